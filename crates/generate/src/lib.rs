//! Deterministic organizations for fixtures, tests and benchmarks: the Cloud Posse reference
//! architecture (compliant, or with one planted violation per built-in rule) and large
//! synthetic organizations.

use serde_json::json;
use ssoaudit::snapshot::*;
use std::collections::BTreeMap;

pub const INSTANCE_ARN: &str = "arn:aws:sso:::instance/ssoins-72233d1f3c0b4e6a";
pub const IDENTITY_STORE_ID: &str = "d-9067c2a1b3";
pub const ORGANIZATION_ID: &str = "o-a1b2c3d4e5";
const TF_BUCKET_ARN: &str = "arn:aws:s3:::acme-core-use1-root-tfstate";
const TF_ROLE_ARN: &str = "arn:aws:iam::100000000001:role/acme-core-gbl-root-tfstate";
const TF_TABLE_ARN: &str =
    "arn:aws:dynamodb:us-east-1:100000000001:table/acme-core-use1-root-tfstate-lock";

/// Which reference organization to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Compliant,
    Violating,
}

/// Reference-architecture accounts: (name, id, OU).
const ACCOUNTS: &[(&str, &str, &str)] = &[
    ("core-root", "100000000001", "core"),
    ("core-artifacts", "100000000002", "core"),
    ("core-audit", "100000000003", "core"),
    ("core-auto", "100000000004", "core"),
    ("core-dns", "100000000005", "core"),
    ("core-network", "100000000006", "core"),
    ("core-security", "100000000007", "core"),
    ("plat-dev", "100000000008", "plat"),
    ("plat-sandbox", "100000000009", "plat"),
    ("plat-staging", "100000000010", "plat"),
    ("plat-prod", "100000000011", "plat"),
];

/// Users: (user name, display name, groups).
const USERS: &[(&str, &str, &[&str])] = &[
    ("alice.nguyen", "Alice Nguyen", &["Managers"]),
    ("bruno.silva", "Bruno Silva", &["Managers"]),
    ("chen.wei", "Chen Wei", &["Managers", "BillingAdmin"]),
    ("dana.kowalski", "Dana Kowalski", &["DevOps"]),
    ("emeka.obi", "Emeka Obi", &["DevOps"]),
    ("fatima.zahra", "Fatima Zahra", &["DevOps"]),
    ("gustav.berg", "Gustav Berg", &["DevOps"]),
    ("hana.sato", "Hana Sato", &["DevOps", "Developers"]),
    ("ivan.petrov", "Ivan Petrov", &["Developers"]),
    ("julia.rossi", "Julia Rossi", &["Developers"]),
    ("kofi.mensah", "Kofi Mensah", &["Developers"]),
    ("lena.fischer", "Lena Fischer", &["Developers"]),
    ("marco.diaz", "Marco Diaz", &["Developers"]),
    ("nadia.haddad", "Nadia Haddad", &["Developers"]),
    ("oscar.lindqvist", "Oscar Lindqvist", &["Developers"]),
    ("priya.raman", "Priya Raman", &["Developers"]),
    ("quentin.moreau", "Quentin Moreau", &["Developers"]),
    ("rosa.jimenez", "Rosa Jimenez", &["Developers"]),
    ("samir.khan", "Samir Khan", &["Developers"]),
    ("tara.oconnor", "Tara O'Connor", &["BillingAdmin"]),
    ("umar.farouk", "Umar Farouk", &["BillingAdmin"]),
    ("vera.novak", "Vera Novak", &[]),
];

const GROUPS: &[(&str, &str)] = &[
    ("Managers", "Full access to every account"),
    (
        "DevOps",
        "Full access to most accounts, read-only on the root account",
    ),
    ("Developers", "Limited access for development work"),
    ("BillingAdmin", "Billing and cost management"),
];

/// The issuer of the external ids the reference organization's IdP (Okta, over SCIM) gives
/// the users and groups it provisions.
pub const SCIM_ISSUER: &str = "https://acme.okta.com";

fn group_id(name: &str) -> String {
    let n: u32 = name.bytes().map(u32::from).sum();
    format!("906700aaaa-{n:08x}-1111-2222-3333-{:012x}", name.len())
}

fn user_id(index: usize) -> String {
    format!(
        "906700aaaa-{index:08x}-4444-5555-6666-{:012x}",
        index * 7919
    )
}

fn permission_set_arn(index: usize) -> String {
    format!(
        "arn:aws:sso:::permissionSet/ssoins-72233d1f3c0b4e6a/ps-{:016x}",
        0x5a00 + index
    )
}

/// The permission sets of the aws-identity-center component, with their real policies.
fn reference_permission_sets() -> Vec<PermissionSet> {
    let support = "arn:aws:iam::aws:policy/AWSSupportAccess";
    let ro = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let assume_backend = json!({
        "Sid": "TerraformStateBackendAssumeRole", "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "Resource": [TF_ROLE_ARN]
    });
    let describe_regions = json!({
        "Sid": "EC2DescribeRegions", "Effect": "Allow",
        "Action": ["ec2:DescribeRegions"], "Resource": ["*"]
    });
    let dynamodb = json!({
        "Sid": "TerraformStateBackendDynamoDbTable", "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
        "Resource": [TF_TABLE_ARN]
    });
    let bucket = [TF_BUCKET_ARN.to_string(), format!("{TF_BUCKET_ARN}/*")];
    let policy =
        |statements: serde_json::Value| json!({"Version": "2012-10-17", "Statement": statements});
    let set = |name: &str,
               description: &str,
               relay: &str,
               managed: &[&str],
               inline: Option<serde_json::Value>| {
        PermissionSet {
            arn: String::new(),
            name: name.to_string(),
            description: Some(description.to_string()),
            session_duration: Some("PT1H".to_string()),
            relay_state: (!relay.is_empty()).then(|| relay.to_string()),
            managed_policies: managed.iter().map(|s| s.to_string()).collect(),
            inline_policy: inline,
            tags: BTreeMap::from([("Namespace".to_string(), "acme".to_string())]),
            ..Default::default()
        }
    };
    let mut sets = vec![
        set(
            "AdministratorAccess",
            "Allow Full Administrator access to the account",
            "",
            &[admin],
            None,
        ),
        set(
            "BillingAdministratorAccess",
            "Grants permissions for billing and cost management. This includes viewing account usage and viewing and modifying budgets and payment methods.",
            "https://console.aws.amazon.com/billing/",
            &["arn:aws:iam::aws:policy/job-function/Billing", support],
            None,
        ),
        set(
            "BillingReadOnlyAccess",
            "Allow users to view bills in the billing console",
            "",
            &["arn:aws:iam::aws:policy/AWSBillingReadOnlyAccess", support],
            None,
        ),
        set(
            "DNSRecordAdministratorAccess",
            "Allow DNS Record Administrator access to the account, but not zone administration",
            "https://console.aws.amazon.com/route53/",
            &[support],
            Some(policy(json!([{
                "Sid": "AllowDNS", "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:CreateHealthCheck",
                    "route53:CreateTrafficPolicy", "route53:CreateTrafficPolicyInstance",
                    "route53:CreateTrafficPolicyVersion", "route53:DeleteHealthCheck",
                    "route53:DeleteTrafficPolicy", "route53:DeleteTrafficPolicyInstance",
                    "route53:Get*", "route53:List*", "route53:UpdateHealthCheck",
                    "route53:UpdateTrafficPolicyComment", "route53:UpdateTrafficPolicyInstance",
                    "route53domains:List*"],
                "Resource": ["*"]
            }]))),
        ),
        set(
            "PowerUserAccess",
            "Allow Poweruser access to the account",
            "",
            &["arn:aws:iam::aws:policy/PowerUserAccess", support],
            None,
        ),
        set(
            "ReadOnlyAccess",
            "Allow Read Only access to the account",
            "",
            &[ro, support],
            Some(policy(json!([{
                "Sid": "AllowEKSView", "Effect": "Allow",
                "Action": ["eks:Get*", "eks:Describe*", "eks:List*", "eks:Access*"],
                "Resource": ["*"]
            }]))),
        ),
        set(
            "RootAccess",
            "Allow centralized root access to member accounts via sts:AssumeRoot",
            "",
            &[],
            Some(policy(json!([{
                "Sid": "AssumeRootAccess", "Effect": "Allow", "Action": "sts:AssumeRoot",
                "Resource": "arn:aws:iam::*:root",
                "Condition": {"StringEquals": {"sts:TaskPolicyArn": [
                    "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials",
                    "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword",
                    "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials",
                    "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy",
                    "arn:aws:iam::aws:policy/root-task/SQSUnlockQueuePolicy"
                ]}}
            }]))),
        ),
        set(
            "TerraformPlanAccess",
            "Allow read-only access to Terraform state for planning",
            "",
            &[ro],
            Some(policy(json!([
                {"Sid": "TerraformStateBackendS3BucketReadOnly", "Effect": "Allow",
                 "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": bucket},
                assume_backend, describe_regions
            ]))),
        ),
        set(
            "TerraformApplyAccess",
            "Allow full access to Terraform state and account for applying changes",
            "",
            &[admin],
            Some(policy(json!([
                {"Sid": "TerraformStateBackendS3Bucket", "Effect": "Allow",
                 "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject"], "Resource": bucket},
                dynamodb, assume_backend, describe_regions
            ]))),
        ),
        set(
            "TerraformStateAccess",
            "Allow read/write access to Terraform state backend only",
            "",
            &[],
            Some(policy(json!([
                {"Sid": "TerraformStateBackendS3Bucket", "Effect": "Allow",
                 "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": bucket},
                dynamodb, assume_backend
            ]))),
        ),
    ];
    for (i, set) in sets.iter_mut().enumerate() {
        set.arn = permission_set_arn(i);
    }
    sets
}

/// The reference-architecture organization with its CloudTrail evidence: clean for the compliant
/// variant, with the planted cases of `reference_history` for the violating one.
pub fn reference(variant: Variant) -> Snapshot {
    let mut snapshot = reference_without_events(variant);
    let mut ingest = ssoaudit::events::Ingest::default();
    for (_, records) in reference_history(&snapshot, variant == Variant::Violating) {
        let events = records
            .iter()
            .filter_map(|r| ssoaudit::events::normalize::normalize(r).ok().flatten())
            .collect();
        ingest.add(events).expect("fixture events aggregate");
    }
    let history_start = history_now() - chrono::Duration::days(HISTORY_DAYS);
    ingest.covering(
        Some(&history_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        Some(HISTORY_NOW),
    );
    let (events, unreadable) = ingest
        .finish(vec![ssoaudit::vocabulary::EventSource::TrailLogs])
        .expect("fixture events aggregate");
    assert!(
        unreadable.is_empty(),
        "the fixture's records all count: {unreadable:?}"
    );
    snapshot.events = events;
    snapshot.policy_documents = managed_documents(&snapshot);
    snapshot.normalize();
    snapshot
}

/// The documents of the AWS managed policies the sets use, as a live scan records them: the
/// fixtures carry them, from the vendored catalog.
pub fn managed_documents(snapshot: &Snapshot) -> Vec<PolicyDocument> {
    let catalog = ssoaudit::iam::managed::ManagedCatalog::get();
    let arns: std::collections::BTreeSet<&String> = snapshot
        .permission_sets
        .iter()
        .flat_map(|p| &p.managed_policies)
        .collect();
    arns.into_iter()
        .filter_map(|arn| {
            catalog.policy(arn).map(|p| PolicyDocument {
                arn: arn.clone(),
                version: p.version.clone(),
                document: p.document.clone(),
            })
        })
        .collect()
}

/// The reference-architecture organization: 11 accounts, the four groups, 22 users, the
/// component's permission sets, and assignments following the access matrix; no events.
pub fn reference_without_events(variant: Variant) -> Snapshot {
    let management = ACCOUNTS[0].1;
    let mut ous = vec![OrganizationalUnit {
        id: "r-a1b2".into(),
        name: "Root".into(),
        parent_id: None,
        path: "Root".into(),
    }];
    for (id, name) in [("ou-a1b2-c0re0001", "core"), ("ou-a1b2-p1at0001", "plat")] {
        ous.push(OrganizationalUnit {
            id: id.into(),
            name: name.into(),
            parent_id: Some("r-a1b2".into()),
            path: format!("Root/{name}"),
        });
    }
    let accounts: Vec<Account> = ACCOUNTS
        .iter()
        .map(|(name, id, ou)| {
            let (tenant, stage) = name.split_once('-').unwrap_or((name, ""));
            Account {
                id: id.to_string(),
                name: name.to_string(),
                email: format!("aws+{name}@acme.example"),
                status: "ACTIVE".into(),
                parent_id: if *id == management {
                    "r-a1b2".into()
                } else if *ou == "core" {
                    "ou-a1b2-c0re0001".into()
                } else {
                    "ou-a1b2-p1at0001".into()
                },
                ou_path: if *id == management {
                    "Root".into()
                } else {
                    format!("Root/{ou}")
                },
                tags: BTreeMap::from([
                    ("Stage".to_string(), stage.to_string()),
                    ("Tenant".to_string(), tenant.to_string()),
                ]),
            }
        })
        .collect();

    let mut groups: Vec<Group> = GROUPS
        .iter()
        .map(|(name, description)| Group {
            id: group_id(name),
            display_name: name.to_string(),
            description: Some(description.to_string()),
            external_ids: Some(vec![ExternalId {
                issuer: SCIM_ISSUER.into(),
                id: format!("00g{}", name.to_lowercase()),
            }]),
            created_at: Some("2026-03-02T09:00:00Z".into()),
        })
        .collect();
    let users: Vec<User> = USERS
        .iter()
        .enumerate()
        .map(|(i, (user_name, display, _))| User {
            id: user_id(i),
            user_name: format!("{user_name}@acme.example"),
            display_name: Some(display.to_string()),
            emails: vec![Email {
                value: format!("{user_name}@acme.example"),
                primary: true,
                kind: Some("work".into()),
            }],
            active: true,
            external_ids: Some(vec![ExternalId {
                issuer: SCIM_ISSUER.into(),
                id: format!("00u{}", user_name.replace('.', "")),
            }]),
            created_at: Some(format!("2026-03-{:02}T09:00:00Z", 2 + i)),
        })
        .collect();
    let mut memberships = Vec::new();
    for (i, (_, _, member_of)) in USERS.iter().enumerate() {
        for group in *member_of {
            memberships.push(Membership {
                group_id: group_id(group),
                user_id: user_id(i),
            });
        }
    }

    let mut permission_sets = reference_permission_sets();
    let arn_of = |sets: &[PermissionSet], name: &str| -> String {
        sets.iter()
            .find(|s| s.name == name)
            .map(|s| s.arn.clone())
            .unwrap_or_default()
    };
    let mut assignments = Vec::new();
    let mut grant = |account: &str,
                     set: &str,
                     kind: PrincipalType,
                     principal: String,
                     sets: &[PermissionSet]| {
        let account_id = ACCOUNTS
            .iter()
            .find(|a| a.0 == account)
            .map(|a| a.1)
            .unwrap_or(account);
        assignments.push(Assignment {
            account_id: account_id.to_string(),
            permission_set_arn: arn_of(sets, set),
            principal_type: kind,
            principal_id: principal,
        });
    };
    let g = PrincipalType::Group;
    for (name, _, _) in ACCOUNTS {
        let is_root = *name == "core-root";
        let is_core = name.starts_with("core-");
        for set in ["AdministratorAccess", "TerraformApplyAccess"] {
            grant(name, set, g, group_id("Managers"), &permission_sets);
        }
        if is_root {
            grant(
                name,
                "RootAccess",
                g,
                group_id("Managers"),
                &permission_sets,
            );
            for set in ["ReadOnlyAccess", "TerraformPlanAccess"] {
                grant(name, set, g, group_id("DevOps"), &permission_sets);
            }
            for set in ["BillingAdministratorAccess", "BillingReadOnlyAccess"] {
                grant(name, set, g, group_id("BillingAdmin"), &permission_sets);
            }
        } else {
            for set in ["AdministratorAccess", "TerraformApplyAccess"] {
                grant(name, set, g, group_id("DevOps"), &permission_sets);
            }
        }
        if *name == "core-dns" {
            grant(
                name,
                "DNSRecordAdministratorAccess",
                g,
                group_id("DevOps"),
                &permission_sets,
            );
        }
        if is_core {
            grant(
                name,
                "TerraformStateAccess",
                g,
                group_id("Developers"),
                &permission_sets,
            );
        } else if matches!(*name, "plat-dev" | "plat-sandbox") {
            for set in ["PowerUserAccess", "TerraformApplyAccess"] {
                grant(name, set, g, group_id("Developers"), &permission_sets);
            }
        } else {
            for set in ["ReadOnlyAccess", "TerraformPlanAccess"] {
                grant(name, set, g, group_id("Developers"), &permission_sets);
            }
        }
    }

    let mut users = users;
    if variant == Variant::Violating {
        plant_violations(
            &mut permission_sets,
            &mut groups,
            &mut users,
            &mut memberships,
            &mut assignments,
        );
    }

    // Every set is provisioned where it is assigned; the violating variant leaves one stale.
    for set in &mut permission_sets {
        let mut accounts: Vec<String> = assignments
            .iter()
            .filter(|a| a.permission_set_arn == set.arn)
            .map(|a| a.account_id.clone())
            .collect();
        accounts.sort();
        accounts.dedup();
        set.provisioned_accounts = accounts;
        if variant == Variant::Violating && set.name == "PowerUserAccess" {
            set.outdated_accounts = vec!["100000000008".into()];
        }
    }

    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        metadata: Metadata {
            captured_at: "2026-11-02T09:00:00Z".into(),
            source: format!(
                "fixture: reference architecture ({})",
                if variant == Variant::Compliant {
                    "compliant"
                } else {
                    "violating"
                }
            ),
            management_account_id: management.into(),
            instance_arn: INSTANCE_ARN.into(),
            identity_store_id: IDENTITY_STORE_ID.into(),
            region: "us-east-1".into(),
            ..Default::default()
        },
        organization: Organization {
            id: ORGANIZATION_ID.into(),
            management_account_id: management.into(),
            organizational_units: ous,
            accounts,
        },
        permission_sets,
        users,
        groups,
        memberships,
        assignments,
        events: Events::default(),
        gaps: Vec::new(),
        policy_documents: Vec::new(),
        settings: Some(reference_settings(variant, management)),
        applications: Some(reference_applications(variant)),
        account_access: Some(reference_account_access(variant, management)),
        member_accounts: None,
        guardrails: None,
    };
    snapshot.member_accounts = Some(reference_member_accounts(&snapshot, variant));
    snapshot.normalize();
    snapshot
}

/// The violating organization as a scan with a member role that one account (plat-staging)
/// refuses records it: that account is missing from `member_accounts`, with the gap.
pub fn member_refused() -> Snapshot {
    let mut snapshot = reference(Variant::Violating);
    let refused = "100000000010";
    if let Some(members) = &mut snapshot.member_accounts {
        members.retain(|m| m.account_id != refused);
    }
    snapshot.gaps.push(Gap {
        area: ssoaudit::vocabulary::DataArea::MemberAccounts,
        operation: "sts:AssumeRole".into(),
        resource: format!("{refused} arn:aws:iam::{refused}:role/ssoaudit-read"),
        error: "AccessDenied: User: arn:aws:sts::100000000001:assumed-role/ssoaudit/ssoaudit is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::100000000010:role/ssoaudit-read".into(),
    });
    snapshot.normalize();
    snapshot
}

/// The 16 hex digits Identity Center appends to a reserved role's name, derived from the set
/// and account so that the fixtures are stable.
fn reserved_suffix(set: &str, account: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in set.bytes().chain(account.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// What the member role reads in each member account: the reserved role of every set assigned
/// there (as Identity Center provisions it), the customer managed policies the sets reference,
/// the roles entitlements reach. The violating variant plants: an IAM user with a console
/// password and an active key in plat-prod, the ReadOnlyAccess role of plat-prod with
/// AdministratorAccess attached by hand, and the role of the deleted TerraformStateAccess left
/// in plat-dev.
fn reference_member_accounts(snapshot: &Snapshot, variant: Variant) -> Vec<MemberAccount> {
    let management = &snapshot.metadata.management_account_id;
    let mut members = Vec::new();
    for account in snapshot
        .organization
        .accounts
        .iter()
        .filter(|a| &a.id != management && a.status == "ACTIVE")
    {
        let id = account.id.as_str();
        let mut member = MemberAccount {
            account_id: id.to_string(),
            role_arn: format!("arn:aws:iam::{id}:role/ssoaudit-read"),
            ..Default::default()
        };
        let assigned: std::collections::BTreeSet<&str> = snapshot
            .assignments
            .iter()
            .filter(|a| a.account_id == id)
            .map(|a| a.permission_set_arn.as_str())
            .collect();
        let mut reserved = |name: &str,
                            managed: Vec<String>,
                            inline: Option<&serde_json::Value>,
                            boundary: Option<String>| {
            let role_name = format!("AWSReservedSSO_{name}_{}", reserved_suffix(name, id));
            member.roles.push(MemberRole {
                role: Role {
                    arn: format!("arn:aws:iam::{id}:role/aws-reserved/sso.amazonaws.com/{role_name}"),
                    name: role_name,
                    trust_policy: Some(json!({"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"Federated": format!("arn:aws:iam::{id}:saml-provider/AWSSSO_0f1e2d3c4b5a6978_DO_NOT_DELETE")},
                        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
                    }]})),
                    managed_policies: managed,
                    inline_policies: inline
                        .map(|d| RoleInlinePolicy {
                            name: "AwsSSOInlinePolicy".into(),
                            document: d.clone(),
                        })
                        .into_iter()
                        .collect(),
                    permissions_boundary: boundary,
                },
                path: "/aws-reserved/sso.amazonaws.com/".into(),
                last_used: None,
            });
        };
        for set in snapshot
            .permission_sets
            .iter()
            .filter(|s| assigned.contains(s.arn.as_str()))
        {
            let mut managed = set.managed_policies.clone();
            managed.extend(
                set.customer_managed_policies
                    .iter()
                    .map(|r| ssoaudit::iam::customer_managed_arn("aws", id, r)),
            );
            // Planted: AdministratorAccess attached by hand to plat-prod's ReadOnlyAccess role.
            if variant == Variant::Violating
                && set.name == "ReadOnlyAccess"
                && account.name == "plat-prod"
            {
                managed.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
            }
            let boundary = set.permissions_boundary.as_ref().and_then(|b| {
                b.managed_policy_arn.clone().or_else(|| {
                    b.customer_managed_policy
                        .as_ref()
                        .map(|r| ssoaudit::iam::customer_managed_arn("aws", id, r))
                })
            });
            reserved(&set.name, managed, set.inline_policy.as_ref(), boundary);
        }
        if variant == Variant::Violating && account.name == "plat-dev" {
            // Planted: the role of TerraformStateAccess, deleted from Identity Center.
            reserved(
                "TerraformStateAccess",
                vec!["arn:aws:iam::aws:policy/AmazonS3FullAccess".into()],
                None,
                None,
            );
        }
        if variant == Variant::Violating && account.name == "plat-staging" {
            // SupportEngineerAccess's customer managed policy and boundary as they are here.
            for (name, document) in [
                (
                    "support-tools",
                    json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["support:*", "logs:GetLogEvents", "logs:FilterLogEvents"], "Resource": "*"}]}),
                ),
                (
                    "support-boundary",
                    json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "organizations:*", "Resource": "*"}]}),
                ),
            ] {
                member.policies.push(PolicyDocument {
                    arn: format!("arn:aws:iam::{id}:policy/acme/{name}"),
                    version: "v1".into(),
                    document,
                });
            }
        }
        if account.name == "plat-prod" {
            if variant == Variant::Violating {
                // The role an entitlement reaches.
                member.roles.push(MemberRole {
                    role: Role {
                        arn: format!("arn:aws:iam::{id}:role/acme-plat-gbl-prod-support"),
                        name: "acme-plat-gbl-prod-support".into(),
                        trust_policy: Some(json!({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow",
                            "Principal": {"Service": "account-access.amazonaws.com"},
                            "Action": ["sts:AssumeRole", "sts:SetContext"]
                        }]})),
                        managed_policies: vec!["arn:aws:iam::aws:policy/AWSSupportAccess".into()],
                        inline_policies: Vec::new(),
                        permissions_boundary: None,
                    },
                    path: "/".into(),
                    last_used: Some("2026-11-20T14:05:00Z".into()),
                });
                // Planted: an IAM user that bypasses Identity Center.
                member.users.push(IamUser {
                    arn: format!("arn:aws:iam::{id}:user/deploy"),
                    name: "deploy".into(),
                    console_password: true,
                    password_last_used: Some("2026-09-02T08:15:00Z".into()),
                    access_keys: vec![AccessKey {
                        id: "AKIAEXAMPLE0000DEPLOY".into(),
                        status: "Active".into(),
                        last_used: Some("2026-11-20T10:00:00Z".into()),
                    }],
                    managed_policies: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
                    ..Default::default()
                });
            } else {
                // An IAM user without a password whose only key is deactivated: no way in.
                member.users.push(IamUser {
                    arn: format!("arn:aws:iam::{id}:user/legacy-smtp"),
                    name: "legacy-smtp".into(),
                    console_password: false,
                    password_last_used: None,
                    access_keys: vec![AccessKey {
                        id: "AKIAEXAMPLE00000SMTP".into(),
                        status: "Inactive".into(),
                        last_used: Some("2025-03-01T00:00:00Z".into()),
                    }],
                    ..Default::default()
                });
            }
        }
        if account.name == "plat-dev" {
            // A Cloud Posse team role: PowerUserAccess sessions of plat-dev may assume it, and
            // it may assume the `acme-*` roles of any account.
            member.roles.push(team_role(
                id,
                "acme-plat-gbl-dev-terraform",
                cloud_posse_trust(
                    id,
                    &[format!("arn:aws:iam::{id}:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_PowerUserAccess_*")],
                    &[],
                ),
                vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                Some(json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "TeamRoleAccess",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    "Resource": "arn:aws:iam::*:role/acme-*"
                }]})),
            ));
        }
        members.push(member);
    }
    // The management account, read with the scanning credentials: the roles of Cloud Posse's
    // aws-team-roles there. Both trust plat-dev's terraform role; in the compliant
    // organization the administrator role denies it by name (RoleDenyAssumeRole), in the
    // violating one it does not (planted: developers become administrator of core-root in two
    // hops).
    let terraform = "arn:aws:iam::100000000008:role/acme-plat-gbl-dev-terraform".to_string();
    let denied = match variant {
        Variant::Compliant => vec![terraform.clone()],
        Variant::Violating => Vec::new(),
    };
    members.push(MemberAccount {
        account_id: management.clone(),
        role_arn: String::new(),
        roles: vec![
            team_role(
                management,
                "acme-core-gbl-root-admin",
                cloud_posse_trust("100000000008", std::slice::from_ref(&terraform), &denied),
                vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
                None,
            ),
            team_role(
                management,
                "acme-core-gbl-root-observer",
                cloud_posse_trust("100000000008", std::slice::from_ref(&terraform), &[]),
                vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                None,
            ),
        ],
        ..Default::default()
    });
    members.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    members
}

/// A role as Cloud Posse's aws-team-roles component makes it.
fn team_role(
    account: &str,
    name: &str,
    trust: serde_json::Value,
    managed: Vec<String>,
    inline: Option<serde_json::Value>,
) -> MemberRole {
    MemberRole {
        role: Role {
            arn: format!("arn:aws:iam::{account}:role/{name}"),
            name: name.into(),
            trust_policy: Some(trust),
            managed_policies: managed,
            inline_policies: inline
                .map(|document| RoleInlinePolicy {
                    name: "team-role-access".into(),
                    document,
                })
                .into_iter()
                .collect(),
            permissions_boundary: None,
        },
        path: "/".into(),
        last_used: None,
    }
}

/// The trust policy of Cloud Posse's team-assume-role-policy module: the trusted account's
/// root narrowed to the trusted principals by `aws:PrincipalArn`, and a deny of the denied
/// ones and of every IAM user.
fn cloud_posse_trust(
    trusted_account: &str,
    trusted: &[String],
    denied: &[String],
) -> serde_json::Value {
    let mut denied_arns: Vec<String> = denied.to_vec();
    denied_arns.push("arn:aws:iam::*:user/*".into());
    json!({"Version": "2012-10-17", "Statement": [
        {
            "Sid": "RoleAssumeRole",
            "Effect": "Allow",
            "Principal": {"AWS": [format!("arn:aws:iam::{trusted_account}:root")]},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:PrincipalType": "AssumedRole"},
                "ArnLike": {"aws:PrincipalArn": trusted}
            }
        },
        {
            "Sid": "RoleDenyAssumeRole",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            "Condition": {"ArnLike": {"aws:PrincipalArn": denied_arns}}
        }
    ]})
}

/// Sign-in and access evidence for a generated organization, as an audit of a large
/// organization meets it: most users signed in during the last month (one in ten of them once
/// without MFA), and only one assignment in twenty was used, so that every evidence rule runs
/// and unused-assignment reports most assignments. `now` ends the period covered (300 days).
pub fn add_evidence(snapshot: &mut Snapshot, seed: u64, now: chrono::DateTime<chrono::Utc>) {
    let mut random = Random(seed);
    let time = |days: u64, hour: u64| {
        (now - chrono::Duration::days(days as i64) + chrono::Duration::hours(hour as i64 % 12))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let events = &mut snapshot.events;
    events.sources = vec![ssoaudit::vocabulary::EventSource::TrailLogs];
    events.covered_from = Some(time(300, 0));
    events.covered_to = Some(time(0, 0));
    for user in &snapshot.users {
        if random.below(10) == 0 {
            continue;
        }
        let last = time(1 + random.below(30) as u64, random.below(12) as u64);
        let without = (random.below(10) == 0).then(|| last.clone());
        events.users.push(UserSignInSummary {
            user_id: Some(user.id.clone()),
            user_name: None,
            last_sign_in: Some(last),
            last_sign_in_without_mfa: without.clone(),
            first_sign_in_without_mfa: without.clone(),
            sign_ins_without_mfa: u64::from(without.is_some()),
            last_external_idp_sign_in: None,
        });
    }
    let names: BTreeMap<&str, &str> = snapshot
        .permission_sets
        .iter()
        .map(|p| (p.arn.as_str(), p.name.as_str()))
        .collect();
    let mut members: BTreeMap<&str, &str> = BTreeMap::new();
    for membership in &snapshot.memberships {
        members
            .entry(membership.group_id.as_str())
            .or_insert(membership.user_id.as_str());
    }
    for assignment in snapshot.assignments.iter().step_by(20) {
        let user = match assignment.principal_type {
            PrincipalType::User => Some(assignment.principal_id.as_str()),
            PrincipalType::Group => members.get(assignment.principal_id.as_str()).copied(),
        };
        if let (Some(user), Some(set)) = (user, names.get(assignment.permission_set_arn.as_str())) {
            events.role_uses.push(RoleUseSummary {
                user: ssoaudit::vocabulary::UserKey::Id(user.to_string()),
                account_id: assignment.account_id.clone(),
                permission_set_name: set.to_string(),
                last_used: time(1 + random.below(60) as u64, 3),
            });
        }
    }
    snapshot.normalize();
}

/// The account access manager application of the violating organization.
pub const ACCESS_APPLICATION_ARN: &str =
    "arn:aws:account-access:us-east-1:100000000001:application/aam-5e0c7a2d41b9";

/// Account access manager. The compliant organization uses none. The violating one has an
/// application whose entitlements let BillingAdmin assume an administrator role in the
/// management account (outside every permission set) and ivan.petrov, directly, a support role
/// in plat-prod (a member account: what the role can do cannot be read).
fn reference_account_access(variant: Variant, management: &str) -> AccountAccess {
    if variant == Variant::Compliant {
        return AccountAccess::default();
    }
    let admin_role = format!("arn:aws:iam::{management}:role/acme-core-gbl-root-breakglass");
    AccountAccess {
        applications: vec![AccessApplication {
            arn: ACCESS_APPLICATION_ARN.into(),
            status: Some("ACTIVE".into()),
            instance_arn: Some(INSTANCE_ARN.into()),
        }],
        entitlements: vec![
            Entitlement {
                account_id: management.into(),
                role_arn: admin_role.clone(),
                principal_type: PrincipalType::Group,
                principal_id: group_id("BillingAdmin"),
                application_arn: ACCESS_APPLICATION_ARN.into(),
                id: "ent-3f9a1c7e5b20".into(),
                account_name: Some("core-root".into()),
            },
            Entitlement {
                account_id: "100000000011".into(),
                role_arn: "arn:aws:iam::100000000011:role/acme-plat-gbl-prod-support".into(),
                principal_type: PrincipalType::User,
                principal_id: user_id(8),
                application_arn: ACCESS_APPLICATION_ARN.into(),
                id: "ent-8d2b6e0a4c71".into(),
                account_name: Some("plat-prod".into()),
            },
        ],
        roles: vec![Role {
            arn: admin_role,
            name: "acme-core-gbl-root-breakglass".into(),
            trust_policy: Some(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "account-access.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:SetContext"]
                }]
            })),
            managed_policies: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
            inline_policies: vec![RoleInlinePolicy {
                name: "no-leaving".into(),
                document: json!({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "StayInTheOrganization",
                        "Effect": "Deny",
                        "Action": "organizations:LeaveOrganization",
                        "Resource": "*"
                    }]
                }),
            }],
            permissions_boundary: None,
        }],
    }
}

/// A customer managed SAML application (Grafana) assigned to DevOps; in the violating variant
/// also directly to ivan.petrov.
fn reference_applications(variant: Variant) -> Vec<Application> {
    let mut assignments = vec![ApplicationAssignment {
        principal_type: PrincipalType::Group,
        principal_id: group_id("DevOps"),
    }];
    if variant == Variant::Violating {
        assignments.push(ApplicationAssignment {
            principal_type: PrincipalType::User,
            principal_id: user_id(8),
        });
    }
    vec![Application {
        arn: "arn:aws:sso::100000000001:application/ssoins-72233d1f3c0b4e6a/apl-9a7c5e3b1d2f4a60"
            .into(),
        name: "Grafana".into(),
        status: Some("ENABLED".into()),
        provider_arn: Some("arn:aws:sso::aws:applicationProvider/custom-saml".into()),
        assignments,
    }]
}

/// The account instance the violating organization has in plat-sandbox.
pub const ACCOUNT_INSTANCE_ARN: &str = "arn:aws:sso:::instance/ssoins-7223a11ce0000009";

/// The instances and organization settings: the organization instance (customer managed key,
/// replicated to eu-west-1 in the violating variant); in the violating variant also an account
/// instance in plat-sandbox, Identity Center delegated to core-security, and centralized root
/// access with root sessions disabled.
fn reference_settings(variant: Variant, management: &str) -> Settings {
    let violating = variant == Variant::Violating;
    let mut regions = vec![InstanceRegion {
        region: "us-east-1".into(),
        primary: true,
        status: Some("ACTIVE".into()),
    }];
    if violating {
        regions.push(InstanceRegion {
            region: "eu-west-1".into(),
            primary: false,
            status: Some("ACTIVE".into()),
        });
    }
    let mut instances = vec![Instance {
        arn: INSTANCE_ARN.into(),
        identity_store_id: IDENTITY_STORE_ID.into(),
        owner_account_id: management.into(),
        status: Some("ACTIVE".into()),
        encryption_key_type: Some("AWS_OWNED_KMS_KEY".into()),
        kms_key_arn: None,
        regions,
    }];
    let mut delegated_administrators = Vec::new();
    let mut features = vec!["RootCredentialsManagement".to_string()];
    if violating {
        instances.push(Instance {
            arn: ACCOUNT_INSTANCE_ARN.into(),
            identity_store_id: "d-90672233aa".into(),
            owner_account_id: "100000000009".into(),
            status: Some("ACTIVE".into()),
            ..Default::default()
        });
        delegated_administrators.push(DelegatedAdministrator {
            account_id: "100000000007".into(),
            service_principal: "sso.amazonaws.com".into(),
        });
    } else {
        features.push("RootSessions".into());
    }
    Settings {
        instances,
        delegated_administrators,
        organization_features: Some(features),
    }
}

/// One planted violation (at least) per built-in rule.
fn plant_violations(
    permission_sets: &mut Vec<PermissionSet>,
    groups: &mut Vec<Group>,
    users: &mut [User],
    memberships: &mut [Membership],
    assignments: &mut Vec<Assignment>,
) {
    let arn = |sets: &[PermissionSet], name: &str| {
        sets.iter()
            .find(|s| s.name == name)
            .map(|s| s.arn.clone())
            .unwrap_or_default()
    };
    let account = |name: &str| {
        ACCOUNTS
            .iter()
            .find(|a| a.0 == name)
            .map(|a| a.1.to_string())
            .unwrap_or_default()
    };
    let group = |kind: PrincipalType, id: String| (kind, id);

    // user-created-by-hand: a user made in the Identity Center console, not provisioned by
    // the IdP (no external id), who still holds BillingAdmin's access.
    if let Some(umar) = users
        .iter_mut()
        .find(|u| u.user_name.starts_with("umar.farouk"))
    {
        umar.external_ids = Some(Vec::new());
        umar.created_at = Some("2026-09-14T08:12:00Z".into());
    }
    // required-groups-exist: SCIM synced the group as "developers"; "Developers" is missing.
    if let Some(developers) = groups.iter_mut().find(|g| g.display_name == "Developers") {
        developers.display_name = "developers".into();
    }
    // required-permission-sets-exist: TerraformStateAccess was deleted along with its assignments.
    let state_arn = arn(permission_sets, "TerraformStateAccess");
    permission_sets.retain(|s| s.name != "TerraformStateAccess");
    assignments.retain(|a| a.permission_set_arn != state_arn);

    let mut add = |account_name: &str, set: String, (kind, id): (PrincipalType, String)| {
        assignments.push(Assignment {
            account_id: account(account_name),
            permission_set_arn: set,
            principal_type: kind,
            principal_id: id,
        });
    };
    // devops-no-root-account-write, admin-on-management-account: DevOps got admin on the root.
    add(
        "core-root",
        arn(permission_sets, "AdministratorAccess"),
        group(PrincipalType::Group, group_id("DevOps")),
    );
    // root-access-managers-only: RootAccess granted to DevOps.
    add(
        "core-root",
        arn(permission_sets, "RootAccess"),
        group(PrincipalType::Group, group_id("DevOps")),
    );
    // billing-admin-billing-only: BillingAdmin can change production DNS.
    add(
        "plat-prod",
        arn(permission_sets, "DNSRecordAdministratorAccess"),
        group(PrincipalType::Group, group_id("BillingAdmin")),
    );
    // no-direct-user-assignments: an emergency grant to one user, never removed.
    add(
        "plat-prod",
        arn(permission_sets, "AdministratorAccess"),
        group(PrincipalType::User, user_id(9)),
    );

    // group-assigned-without-members: an empty Contractors group holds access to production.
    groups.push(Group {
        id: group_id("Contractors"),
        display_name: "Contractors".into(),
        description: Some("External contractors".into()),
        // group-created-by-hand: made in the console, not pushed by the IdP.
        external_ids: Some(Vec::new()),
        created_at: Some("2026-10-19T14:03:00Z".into()),
    });
    add(
        "plat-prod",
        arn(permission_sets, "ReadOnlyAccess"),
        group(PrincipalType::Group, group_id("Contractors")),
    );

    // inline-policy-grants-admin: a support set whose inline policy allows everything.
    let support_arn = permission_set_arn(40);
    permission_sets.push(PermissionSet {
        arn: support_arn.clone(),
        name: "SupportEngineerAccess".into(),
        description: Some("Support engineers: troubleshoot workloads".into()),
        session_duration: Some("PT1H".into()),
        managed_policies: vec!["arn:aws:iam::aws:policy/AWSSupportAccess".into()],
        customer_managed_policies: vec![CustomerManagedPolicy {
            name: "support-tools".into(),
            path: "/acme/".into(),
        }],
        inline_policy: Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Troubleshoot", "Effect": "Allow", "Action": "*", "Resource": "*"}
        ]})),
        permissions_boundary: Some(PermissionsBoundary {
            managed_policy_arn: None,
            customer_managed_policy: Some(CustomerManagedPolicy {
                name: "support-boundary".into(),
                path: "/acme/".into(),
            }),
        }),
        tags: BTreeMap::from([("Owner".to_string(), "support".to_string())]),
        ..Default::default()
    });
    add(
        "plat-staging",
        support_arn,
        group(PrincipalType::Group, group_id("Developers")),
    );

    // unused-permission-set: a set created by hand and never assigned.
    permission_sets.push(PermissionSet {
        arn: permission_set_arn(41),
        name: "DataScienceAccess".into(),
        description: Some("Created for a proof of concept".into()),
        session_duration: Some("PT1H".into()),
        managed_policies: vec!["arn:aws:iam::aws:policy/job-function/DataScientist".into()],
        ..Default::default()
    });

    // session-duration-too-long: AdministratorAccess sessions last 12 hours.
    if let Some(admin) = permission_sets
        .iter_mut()
        .find(|s| s.name == "AdministratorAccess")
    {
        admin.session_duration = Some("PT12H".into());
    }

    // user-inactive-with-access: a DevOps engineer who left is suspended but still a member.
    if let Some(user) = users
        .iter_mut()
        .find(|u| u.user_name.starts_with("gustav.berg"))
    {
        user.active = false;
    }
    memberships.sort();
}

/// The AWS managed policies workload sets of a large organization draw from.
const WORKLOAD_POLICIES: &[&str] = &[
    "ReadOnlyAccess",
    "PowerUserAccess",
    "AmazonS3FullAccess",
    "AmazonEC2FullAccess",
    "AWSLambda_FullAccess",
    "job-function/ViewOnlyAccess",
    "AmazonDynamoDBFullAccess",
    "SecurityAudit",
    "CloudWatchFullAccess",
    "AWSSupportAccess",
    "IAMReadOnlyAccess",
];

/// Sizes of a synthetic organization.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub accounts: usize,
    pub permission_sets: usize,
    pub groups: usize,
    pub users: usize,
    pub assignments: usize,
}

impl Scale {
    /// The benchmarks' large organization (1,000 accounts, 50 permission sets, 500 groups,
    /// 20,000 users, 200,000 assignments), times `factor` (at least 12 of each).
    pub fn benchmark(factor: f64) -> Scale {
        let scaled = |n: usize| ((n as f64 * factor).round() as usize).max(12);
        Scale {
            accounts: scaled(1_000),
            permission_sets: scaled(50),
            groups: scaled(500),
            users: scaled(20_000),
            assignments: scaled(200_000),
        }
    }
}

/// A SplitMix64 generator: deterministic and dependency-free.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A large organization built on the reference one: the reference accounts, groups, users and
/// sets first, then generated ones up to `scale`.
pub fn large(scale: Scale, seed: u64) -> Snapshot {
    let mut snapshot = reference_without_events(Variant::Compliant);
    let mut random = Random(seed);
    snapshot.metadata.source = format!(
        "generated: {} accounts, {} permission sets, {} groups, {} users, {} assignments",
        scale.accounts, scale.permission_sets, scale.groups, scale.users, scale.assignments
    );
    let org = &mut snapshot.organization;
    for i in org.accounts.len()..scale.accounts {
        org.accounts.push(Account {
            id: format!("{:012}", 200_000_000_000u64 + i as u64),
            name: format!("workload-{i:04}"),
            email: format!("aws+workload-{i:04}@acme.example"),
            status: if i % 97 == 0 {
                "SUSPENDED".into()
            } else {
                "ACTIVE".into()
            },
            parent_id: "ou-a1b2-p1at0001".into(),
            ou_path: "Root/plat".into(),
            tags: BTreeMap::from([(
                "Stage".to_string(),
                ["dev", "staging", "prod"][i % 3].to_string(),
            )]),
        });
    }
    for i in snapshot.permission_sets.len()..scale.permission_sets {
        snapshot.permission_sets.push(PermissionSet {
            arn: permission_set_arn(100 + i),
            name: format!("Workload{i:02}Access"),
            description: Some(format!("Workload team {i} access")),
            session_duration: Some(if i % 10 == 0 { "PT8H" } else { "PT2H" }.into()),
            // One to three AWS managed policies each, large ones among them, and an inline
            // policy: what evaluation and capability analysis meet in real organizations.
            managed_policies: WORKLOAD_POLICIES
                .iter()
                .cycle()
                .skip(i % WORKLOAD_POLICIES.len())
                .take(1 + i % 3)
                .map(|name| format!("arn:aws:iam::aws:policy/{name}"))
                .collect(),
            inline_policy: Some(json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Team", "Effect": "Allow", "Action": [format!("s3:*"), "dynamodb:*".to_string()],
                 "Resource": [format!("arn:aws:s3:::team-{i}-*")]}
            ]})),
            ..Default::default()
        });
    }
    for i in snapshot.groups.len()..scale.groups {
        snapshot.groups.push(Group {
            id: format!("906700bbbb-{i:08x}-0000-0000-0000-000000000000"),
            display_name: format!("team-{i:03}"),
            description: None,
            external_ids: Some(vec![ExternalId {
                issuer: SCIM_ISSUER.into(),
                id: format!("00g{i:08}"),
            }]),
            created_at: None,
        });
    }
    let first_new_user = snapshot.users.len();
    for i in first_new_user..scale.users {
        snapshot.users.push(User {
            id: format!("906700cccc-{i:08x}-0000-0000-0000-000000000000"),
            user_name: format!("user{i:05}@acme.example"),
            display_name: Some(format!("User {i}")),
            emails: vec![Email {
                value: format!("user{i:05}@acme.example"),
                primary: true,
                kind: Some("work".into()),
            }],
            active: i % 50 != 0,
            external_ids: Some(vec![ExternalId {
                issuer: SCIM_ISSUER.into(),
                id: format!("00u{i:08}"),
            }]),
            created_at: None,
        });
    }
    let group_count = snapshot.groups.len();
    for i in first_new_user..snapshot.users.len() {
        let memberships = 1 + random.below(3);
        for _ in 0..memberships {
            let g = 4 + random.below(group_count - 4);
            snapshot.memberships.push(Membership {
                group_id: snapshot.groups[g].id.clone(),
                user_id: snapshot.users[i].id.clone(),
            });
        }
    }
    // Fill assignments account by account: each account gets sets × groups pairs.
    let mut seen = std::collections::HashSet::new();
    for a in &snapshot.assignments {
        seen.insert((
            a.account_id.clone(),
            a.permission_set_arn.clone(),
            a.principal_id.clone(),
        ));
    }
    let accounts = snapshot.organization.accounts.len();
    let sets = snapshot.permission_sets.len();
    let mut attempts = 0usize;
    while snapshot.assignments.len() < scale.assignments && attempts < scale.assignments * 4 {
        attempts += 1;
        let account = &snapshot.organization.accounts[11 + random.below(accounts - 11)];
        let set = &snapshot.permission_sets[random.below(sets)];
        let (principal_type, principal_id) = if random.below(200) == 0 {
            (
                PrincipalType::User,
                snapshot.users
                    [first_new_user + random.below(snapshot.users.len() - first_new_user)]
                .id
                .clone(),
            )
        } else {
            (
                PrincipalType::Group,
                snapshot.groups[4 + random.below(group_count - 4)]
                    .id
                    .clone(),
            )
        };
        if seen.insert((account.id.clone(), set.arn.clone(), principal_id.clone())) {
            snapshot.assignments.push(Assignment {
                account_id: account.id.clone(),
                permission_set_arn: set.arn.clone(),
                principal_type,
                principal_id,
            });
        }
    }
    for set in &mut snapshot.permission_sets {
        set.provisioned_accounts.clear();
    }
    let index: std::collections::HashMap<String, usize> = snapshot
        .permission_sets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.arn.clone(), i))
        .collect();
    for a in &snapshot.assignments {
        if let Some(&i) = index.get(&a.permission_set_arn) {
            snapshot.permission_sets[i]
                .provisioned_accounts
                .push(a.account_id.clone());
        }
    }
    snapshot.normalize();
    snapshot
}

/// The organization of the scan benchmark: 200 accounts, 40 permission sets each provisioned to
/// 50 accounts with one or two groups assigned per (account, set) pair, 30 groups, and 2,000
/// users in one to three groups each.
pub fn scan_benchmark(seed: u64) -> Snapshot {
    scan_benchmark_scaled(seed, 1)
}

/// The scan benchmark's organization with `scale` times its accounts, groups and users, each
/// set provisioned to `scale` times as many accounts (scale 10: 2,000 accounts, 20,000 pairs,
/// 300 groups, 20,000 users). Scale 1 is `scan_benchmark`.
pub fn scan_benchmark_scaled(seed: u64, scale: usize) -> Snapshot {
    let mut random = Random(seed);
    let (accounts_count, groups_count, users_count, per_set) =
        (200 * scale, 30 * scale, 2_000 * scale, 50 * scale);
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        metadata: Metadata {
            captured_at: "2026-11-02T09:00:00Z".into(),
            source: "generated: scan benchmark".into(),
            management_account_id: "300000000000".into(),
            instance_arn: INSTANCE_ARN.into(),
            identity_store_id: IDENTITY_STORE_ID.into(),
            region: "us-east-1".into(),
            ..Default::default()
        },
        settings: Some(Settings {
            instances: vec![Instance {
                arn: INSTANCE_ARN.into(),
                identity_store_id: IDENTITY_STORE_ID.into(),
                owner_account_id: "300000000000".into(),
                status: Some("ACTIVE".into()),
                encryption_key_type: Some("AWS_OWNED_KMS_KEY".into()),
                kms_key_arn: None,
                regions: vec![InstanceRegion {
                    region: "us-east-1".into(),
                    primary: true,
                    status: Some("ACTIVE".into()),
                }],
            }],
            delegated_administrators: Vec::new(),
            organization_features: Some(vec![
                "RootCredentialsManagement".into(),
                "RootSessions".into(),
            ]),
        }),
        applications: Some(Vec::new()),
        account_access: Some(AccountAccess::default()),
        member_accounts: None,
        guardrails: None,
        ..Default::default()
    };
    snapshot.organization = Organization {
        id: ORGANIZATION_ID.into(),
        management_account_id: "300000000000".into(),
        organizational_units: vec![
            OrganizationalUnit {
                id: "r-b3nc".into(),
                name: "Root".into(),
                parent_id: None,
                path: "Root".into(),
            },
            OrganizationalUnit {
                id: "ou-b3nc-w0rk1oad".into(),
                name: "workloads".into(),
                parent_id: Some("r-b3nc".into()),
                path: "Root/workloads".into(),
            },
        ],
        accounts: (0..accounts_count as u64)
            .map(|i| Account {
                id: format!("{}", 300_000_000_000u64 + i),
                name: if i == 0 {
                    "core-root".into()
                } else {
                    format!("workload-{i:03}")
                },
                email: format!("aws+{i:03}@bench.example"),
                status: "ACTIVE".into(),
                parent_id: if i == 0 {
                    "r-b3nc".into()
                } else {
                    "ou-b3nc-w0rk1oad".into()
                },
                ou_path: if i == 0 {
                    "Root".into()
                } else {
                    "Root/workloads".into()
                },
                tags: BTreeMap::from([("Team".to_string(), format!("team-{}", i % 7))]),
            })
            .collect(),
    };
    snapshot.groups = (0..groups_count)
        .map(|i| Group {
            id: format!("906700dddd-{i:08x}-0000-0000-0000-000000000000"),
            display_name: format!("group-{i:02}"),
            description: None,
            ..Default::default()
        })
        .collect();
    snapshot.users = (0..users_count)
        .map(|i| User {
            id: format!("906700eeee-{i:08x}-0000-0000-0000-000000000000"),
            user_name: format!("user{i:04}@bench.example"),
            display_name: Some(format!("User {i}")),
            emails: vec![Email {
                value: format!("user{i:04}@bench.example"),
                primary: true,
                kind: None,
            }],
            active: true,
            ..Default::default()
        })
        .collect();
    for user in &snapshot.users {
        let mut groups: Vec<usize> = (0..1 + random.below(3))
            .map(|_| random.below(groups_count))
            .collect();
        groups.sort_unstable();
        groups.dedup();
        for g in groups {
            snapshot.memberships.push(Membership {
                group_id: snapshot.groups[g].id.clone(),
                user_id: user.id.clone(),
            });
        }
    }
    let sets = reference_permission_sets();
    for i in 0..40 {
        let template = &sets[i % sets.len()];
        let mut set = template.clone();
        set.arn = permission_set_arn(1_000 + i);
        set.name = if i < sets.len() {
            template.name.clone()
        } else {
            format!("{}{i}", template.name.trim_end_matches("Access"))
        };
        let mut accounts: Vec<usize> = (0..accounts_count).collect();
        // A partial Fisher-Yates shuffle picks distinct accounts.
        for k in 0..per_set {
            let j = k + random.below(accounts_count - k);
            accounts.swap(k, j);
        }
        for &a in &accounts[..per_set] {
            let account = snapshot.organization.accounts[a].id.clone();
            set.provisioned_accounts.push(account.clone());
            let first = random.below(groups_count);
            let mut groups = vec![first];
            if random.below(2) == 0 {
                groups.push((first + 1 + random.below(groups_count - 1)) % groups_count);
            }
            for g in groups {
                snapshot.assignments.push(Assignment {
                    account_id: account.clone(),
                    permission_set_arn: set.arn.clone(),
                    principal_type: PrincipalType::Group,
                    principal_id: snapshot.groups[g].id.clone(),
                });
            }
        }
        snapshot.permission_sets.push(set);
    }
    // Account access manager: one application; groups entitled to a support role in every
    // fifth account, and two to a read-only break-glass role in the management account.
    let application = "arn:aws:account-access:us-east-1:300000000000:application/aam-bench";
    let breakglass = "arn:aws:iam::300000000000:role/breakglass";
    let mut entitlements = Vec::new();
    for a in (0..accounts_count).step_by(5) {
        let account = snapshot.organization.accounts[a].id.clone();
        let role_arn = if a == 0 {
            breakglass.to_string()
        } else {
            format!("arn:aws:iam::{account}:role/support")
        };
        for g in [a % groups_count, (a + 7) % groups_count]
            .into_iter()
            .take(if a == 0 { 2 } else { 1 })
        {
            entitlements.push(Entitlement {
                account_id: account.clone(),
                role_arn: role_arn.clone(),
                principal_type: PrincipalType::Group,
                principal_id: snapshot.groups[g].id.clone(),
                application_arn: application.into(),
                id: format!("ent-{a:03}-{g:02}"),
                account_name: Some(snapshot.organization.accounts[a].name.clone()),
            });
        }
    }
    snapshot.account_access = Some(AccountAccess {
        applications: vec![AccessApplication {
            arn: application.into(),
            status: Some("ACTIVE".into()),
            instance_arn: Some(INSTANCE_ARN.into()),
        }],
        entitlements,
        roles: vec![Role {
            arn: breakglass.into(),
            name: "breakglass".into(),
            trust_policy: Some(json!({"Version": "2012-10-17", "Statement": []})),
            managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            inline_policies: Vec::new(),
            permissions_boundary: None,
        }],
    });
    snapshot.normalize();
    snapshot
}

/// The compliant organization a week later: Vera Novak joined DevOps, ReadOnlyAccess gained an
/// inline statement, and Quentin Moreau left (disabled). For `ssoaudit diff`.
pub fn reference_week_later() -> Snapshot {
    let mut snapshot = reference(Variant::Compliant);
    snapshot.metadata.captured_at = "2026-11-09T09:00:00Z".into();
    snapshot.metadata.source = "fixture: reference architecture (compliant, a week later)".into();
    let vera = snapshot
        .users
        .iter()
        .position(|u| u.user_name.starts_with("vera.novak"))
        .expect("vera");
    snapshot.memberships.push(Membership {
        group_id: group_id("DevOps"),
        user_id: snapshot.users[vera].id.clone(),
    });
    if let Some(quentin) = snapshot
        .users
        .iter_mut()
        .find(|u| u.user_name.starts_with("quentin.moreau"))
    {
        quentin.active = false;
    }
    if let Some(read_only) = snapshot
        .permission_sets
        .iter_mut()
        .find(|s| s.name == "ReadOnlyAccess")
        && let Some(serde_json::Value::Array(statements)) = read_only
            .inline_policy
            .as_mut()
            .and_then(|p| p.get_mut("Statement"))
    {
        statements.push(json!({
            "Sid": "AllowSecretsRead", "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"], "Resource": ["*"]
        }));
    }
    snapshot.normalize();
    snapshot
}

/// The violating organization as the previous scheduled run saw it, a week earlier, for
/// `user-idp-identity-changed` (`check --previous`): ivan.petrov was then linked to another
/// identity of the IdP, and kofi.mensah's identity belonged to k.mensah, a user since deleted.
pub fn reference_previous() -> Snapshot {
    let mut snapshot = reference(Variant::Violating);
    snapshot.metadata.captured_at = "2026-11-21T09:00:00Z".into();
    snapshot.metadata.source = "fixture: reference architecture (violating, a week earlier)".into();
    let relink = |snapshot: &mut Snapshot, prefix: &str, id: &str| {
        if let Some(user) = snapshot
            .users
            .iter_mut()
            .find(|u| u.user_name.starts_with(prefix))
        {
            user.external_ids = Some(vec![ExternalId {
                issuer: SCIM_ISSUER.into(),
                id: id.into(),
            }]);
        }
    };
    relink(&mut snapshot, "ivan.petrov", "00u7q2kd9xivan");
    relink(&mut snapshot, "kofi.mensah", "00u3kofi0ld");
    let mut deleted = snapshot.users[0].clone();
    deleted.id = user_id(90);
    deleted.user_name = "k.mensah@acme.example".into();
    deleted.display_name = Some("K. Mensah".into());
    deleted.emails[0].value = deleted.user_name.clone();
    deleted.external_ids = Some(vec![ExternalId {
        issuer: SCIM_ISSUER.into(),
        id: "00ukofimensah".into(),
    }]);
    snapshot.users.push(deleted);
    snapshot.normalize();
    snapshot
}

/// `now` of the fixture event history.
pub const HISTORY_NOW: &str = "2026-11-28T00:00:00Z";
/// How far back the fixture history goes.
pub const HISTORY_DAYS: i64 = 130;

fn history_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(HISTORY_NOW)
        .expect("valid")
        .with_timezone(&chrono::Utc)
}

/// A CloudTrail event history (current identity shape) for the compliant reference
/// organization, 130 days up to `HISTORY_NOW`, with planted cases: a password-only sign-in
/// (ivan.petrov), a TOTP one, external-IdP sign-ins (bruno.silva), a burst of failures
/// (julia.rossi), a root console login without MFA (plat-prod), an `AssumeRoot` session with
/// root actions (plat-dev) and root actions with a real root key (core-audit), dormant users
/// (rosa.jimenez never signs in, samir.khan last did 100 days ago), an assignment last used
/// 120 days ago (Developers, TerraformPlanAccess, plat-staging) and one never used
/// (DevOps, DNSRecordAdministratorAccess, core-dns). Every other assignment is used.
/// Without `planted`, the same organization behaves: everyone signs in with MFA, every
/// assignment is used, nothing fails and root is untouched.
/// Records come grouped by day: (day "YYYY/MM/DD", records).
pub fn reference_history(
    snapshot: &Snapshot,
    planted: bool,
) -> Vec<(String, Vec<serde_json::Value>)> {
    let now = history_now();
    let management = snapshot.organization.management_account_id.clone();
    let store_arn =
        format!("arn:aws:identitystore::{management}:identitystore/{IDENTITY_STORE_ID}");
    let mut records: Vec<(chrono::DateTime<chrono::Utc>, serde_json::Value)> = Vec::new();
    let mut sequence = 0u64;
    let mut next_id = || {
        sequence += 1;
        format!("00000000-0000-4000-8000-{sequence:012}")
    };
    let user = |prefix: &str| {
        snapshot
            .users
            .iter()
            .find(|u| u.user_name.starts_with(prefix))
            .expect("fixture user")
            .clone()
    };
    let at = |days: i64, minutes: i64| {
        now - chrono::Duration::days(days) + chrono::Duration::minutes(minutes)
    };
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    // An IdC sign-in workflow: challenge and verification per factor, then UserAuthentication.
    let sign_in = |records: &mut Vec<(chrono::DateTime<chrono::Utc>, serde_json::Value)>,
                   who: &User,
                   when: chrono::DateTime<chrono::Utc>,
                   factors: &[&str],
                   succeed: bool,
                   next_id: &mut dyn FnMut() -> String| {
        let workflow = next_id();
        let identity = |authenticated: bool| {
            if authenticated {
                json!({"type": "IdentityCenterUser", "accountId": management,
                       "onBehalfOf": {"userId": who.id, "identityStoreArn": store_arn}})
            } else {
                json!({"type": "Unknown", "accountId": management})
            }
        };
        let event = |name: &str,
                     outcome: &str,
                     credential: &str,
                     extra: serde_json::Value,
                     id: String,
                     offset: i64| {
            let mut additional = json!({"AuthWorkflowID": workflow, "CredentialType": credential});
            if let serde_json::Value::Object(extra) = extra {
                for (k, v) in extra {
                    additional[k] = v;
                }
            }
            (
                when + chrono::Duration::seconds(offset),
                json!({
                    "eventVersion": "1.11", "userIdentity": identity(name == "UserAuthentication"),
                    "eventTime": time(when + chrono::Duration::seconds(offset)), "eventSource": "signin.amazonaws.com",
                    "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
                    "userAgent": "Mozilla/5.0", "requestParameters": null, "responseElements": null,
                    "additionalEventData": additional, "requestID": id.clone(), "eventID": id,
                    "readOnly": false, "eventType": "AwsServiceEvent", "managementEvent": true,
                    "recipientAccountId": management, "eventCategory": "Management",
                    "serviceEventDetails": {name: outcome},
                }),
            )
        };
        let mut offset = 0;
        for (n, factor) in factors.iter().enumerate() {
            let extra = if n == 0 {
                json!({"UserName": who.user_name})
            } else {
                json!({})
            };
            records.push(event(
                "CredentialChallenge",
                "Success",
                factor,
                extra,
                next_id(),
                offset,
            ));
            let last = n + 1 == factors.len();
            let outcome = if succeed || !last {
                "Success"
            } else {
                "Failure"
            };
            records.push(event(
                "CredentialVerification",
                outcome,
                factor,
                json!({}),
                next_id(),
                offset + 5,
            ));
            offset += 10;
        }
        if succeed {
            records.push(event(
                "UserAuthentication",
                "Success",
                &factors.join(","),
                json!({"LoginTo": "https://d-9067c2a1b3.awsapps.com/start/"}),
                next_id(),
                offset,
            ));
        }
    };
    let role_use = |who: &User,
                    account: &str,
                    set: &str,
                    when: chrono::DateTime<chrono::Utc>,
                    id: String| {
        (
            when,
            json!({
                "eventVersion": "1.11",
                "userIdentity": {"type": "IdentityCenterUser", "accountId": management,
                                 "onBehalfOf": {"userId": who.id, "identityStoreArn": store_arn}},
                "eventTime": time(when), "eventSource": "sso.amazonaws.com", "eventName": "GetRoleCredentials",
                "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.22.0",
                "requestParameters": null, "responseElements": null, "requestID": id.clone(), "eventID": id,
                "readOnly": true, "eventType": "AwsServiceEvent", "managementEvent": true,
                "recipientAccountId": management, "eventCategory": "Management",
                "serviceEventDetails": {"role_name": set, "account_id": account},
            }),
        )
    };

    // Sign-ins: everyone with access signs in with TOTP in the last 90 days, but the planted cases.
    let groups_of = |u: &User| {
        snapshot
            .memberships
            .iter()
            .filter(|m| m.user_id == u.id)
            .count()
    };
    for (i, who) in snapshot.users.iter().enumerate() {
        let name = who.user_name.as_str();
        let direct = snapshot
            .assignments
            .iter()
            .any(|a| a.principal_id == who.id);
        if !who.active
            || (groups_of(who) == 0 && !direct)
            || (planted && name.starts_with("rosa.jimenez"))
        {
            continue;
        }
        let (days, factors): (i64, &[&str]) = if !planted {
            (1 + (i as i64 % 20), &["PASSWORD", "TOTP"])
        } else if name.starts_with("samir.khan") {
            (100, &["PASSWORD", "TOTP"])
        } else if name.starts_with("ivan.petrov") {
            (2, &["PASSWORD"])
        } else if name.starts_with("bruno.silva") {
            (3, &["EXTERNAL_IDP"])
        } else {
            (1 + (i as i64 % 20), &["PASSWORD", "TOTP"])
        };
        if factors == ["EXTERNAL_IDP"] {
            // External IdP sign-ins have a UserAuthentication only.
            sign_in(&mut records, who, at(days, 60), &[], true, &mut next_id);
            if let Some((_, last)) = records.last_mut() {
                last["additionalEventData"]["CredentialType"] = json!("EXTERNAL_IDP");
            }
        } else {
            sign_in(&mut records, who, at(days, 60), factors, true, &mut next_id);
        }
    }
    // julia.rossi: 7 failed attempts in 12 minutes, 5 days ago; emeka.obi: one typo.
    if planted {
        let julia = user("julia.rossi");
        for attempt in 0..7 {
            sign_in(
                &mut records,
                &julia,
                at(5, 2 * attempt),
                &["PASSWORD"],
                false,
                &mut next_id,
            );
        }
        sign_in(
            &mut records,
            &user("emeka.obi"),
            at(6, 0),
            &["PASSWORD"],
            false,
            &mut next_id,
        );
    }

    // Role use: one member of each group assignment takes the role, but the planted cases.
    let account = |name: &str| {
        snapshot
            .organization
            .accounts
            .iter()
            .find(|a| a.name == name)
            .expect("account")
            .id
            .clone()
    };
    for assignment in &snapshot.assignments {
        let Some(set) = snapshot
            .permission_sets
            .iter()
            .find(|p| p.arn == assignment.permission_set_arn)
        else {
            continue;
        };
        let account_name = snapshot
            .organization
            .accounts
            .iter()
            .find(|a| a.id == assignment.account_id)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let (route, members): (String, Vec<&User>) = match assignment.principal_type {
            PrincipalType::Group => {
                let Some(group) = snapshot
                    .groups
                    .iter()
                    .find(|g| g.id == assignment.principal_id)
                else {
                    continue;
                };
                let members = snapshot
                    .memberships
                    .iter()
                    .filter(|m| m.group_id == group.id)
                    .filter_map(|m| snapshot.users.iter().find(|u| u.id == m.user_id))
                    .collect();
                (group.display_name.to_ascii_lowercase(), members)
            }
            PrincipalType::User => (
                String::new(),
                snapshot
                    .users
                    .iter()
                    .filter(|u| u.id == assignment.principal_id)
                    .collect(),
            ),
        };
        if planted && route == "devops" && set.name == "DNSRecordAdministratorAccess" {
            continue;
        }
        let days = if planted
            && route == "developers"
            && set.name == "TerraformPlanAccess"
            && account_name == "plat-staging"
        {
            120
        } else {
            10
        };
        let Some(member) = members.into_iter().find(|u| {
            u.active
                && !u.user_name.starts_with("rosa.jimenez")
                && !u.user_name.starts_with("samir.khan")
        }) else {
            continue;
        };
        let id = next_id();
        records.push(role_use(
            member,
            &assignment.account_id,
            &set.name,
            at(days, 90),
            id,
        ));
    }

    // Root: a console login without MFA in plat-prod; an AssumeRoot session in plat-dev; root
    // actions with a real root key in core-audit.
    let root_event = |account: &str,
                      name: &str,
                      source: &str,
                      key: Option<&str>,
                      when: chrono::DateTime<chrono::Utc>,
                      id: String,
                      extra: serde_json::Value| {
        let mut identity = json!({"type": "Root", "principalId": account, "arn": format!("arn:aws:iam::{account}:root"), "accountId": account});
        if let Some(key) = key {
            identity["accessKeyId"] = json!(key);
        }
        let mut record = json!({
            "eventVersion": "1.11", "userIdentity": identity, "eventTime": time(when), "eventSource": source,
            "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9", "userAgent": "console",
            "requestParameters": null, "responseElements": null, "requestID": id.clone(), "eventID": id,
            "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
            "recipientAccountId": account, "eventCategory": "Management",
        });
        if let serde_json::Value::Object(extra) = extra {
            for (k, v) in extra {
                record[k] = v;
            }
        }
        (when, record)
    };
    if planted {
        let id = next_id();
        records.push(root_event(&account("plat-prod"), "ConsoleLogin", "signin.amazonaws.com", None, at(4, 0), id, json!({
        "eventType": "AwsConsoleSignIn", "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"},
    })));
        let alice = user("alice.nguyen");
        let id = next_id();
        records.push((at(7, 0), json!({
        "eventVersion": "1.11",
        "userIdentity": {"type": "AssumedRole", "accountId": management,
                         "arn": format!("arn:aws:sts::{management}:assumed-role/AWSReservedSSO_RootAccess_0123456789abcdef/{}", alice.user_name),
                         "onBehalfOf": {"userId": alice.id, "identityStoreArn": store_arn}},
        "eventTime": time(at(7, 0)), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoot",
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.22.0",
        "requestParameters": {"targetPrincipal": account("plat-dev"), "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}},
        "responseElements": {"credentials": {"accessKeyId": "ASIAFIXTUREROOTSESSION", "expiration": time(at(7, 15))}},
        "requestID": id.clone(), "eventID": id, "readOnly": true, "eventType": "AwsApiCall",
        "managementEvent": true, "recipientAccountId": management, "eventCategory": "Management",
    })));
        let id = next_id();
        records.push(root_event(
            &account("plat-dev"),
            "DeleteBucketPolicy",
            "s3.amazonaws.com",
            Some("ASIAFIXTUREROOTSESSION"),
            at(7, 2),
            id,
            json!({}),
        ));
        for minutes in [0, 3] {
            let id = next_id();
            records.push(root_event(
                &account("core-audit"),
                "CreateAccessKey",
                "iam.amazonaws.com",
                Some("AKIAFIXTUREREALROOT01"),
                at(9, minutes),
                id,
                json!({}),
            ));
        }
    }

    // Unrelated management events, as trails are full of them.
    for day in (0..HISTORY_DAYS).step_by(3) {
        let id = next_id();
        records.push((at(day, 30), json!({
            "eventVersion": "1.11", "userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
            "eventTime": time(at(day, 30)), "eventSource": "kms.amazonaws.com", "eventName": "GenerateDataKey",
            "awsRegion": "us-east-1", "requestID": id.clone(), "eventID": id, "readOnly": true,
            "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": management,
        })));
    }
    // The first day of the covered period.
    let id = next_id();
    records.push((at(HISTORY_DAYS, 0), json!({
        "eventVersion": "1.11", "userIdentity": {"type": "AWSService"}, "eventTime": time(at(HISTORY_DAYS, 0)),
        "eventSource": "sso.amazonaws.com", "eventName": "ListApplications", "awsRegion": "us-east-1",
        "eventID": id, "recipientAccountId": management,
    })));

    records.sort_by_key(|r| r.0);
    let mut days: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for (when, record) in records {
        let day = when.format("%Y/%m/%d").to_string();
        match days.last_mut() {
            Some((last, list)) if *last == day => list.push(record),
            _ => days.push((day, vec![record])),
        }
    }
    days
}

/// The shape of a benchmark trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogShape {
    /// A trail full of other management events: three records in ten are sign-ins or role use.
    Mixed,
    /// Every record relevant, as in an IdC-heavy organization or a trail filtered to the IdC
    /// events: sign-in workflows (challenge, verification, authentication) and role use.
    SignInDense,
}

/// Writes a synthetic trail-log folder for the ingestion benchmark: `users` Identity Center
/// users over `days` days, each signing in (TOTP, sometimes password only or through an external
/// IdP, now and then failing) and taking roles, mixed with other management events, in one
/// `.json.gz` file per account, Region and hour as CloudTrail writes them. Stops once
/// `target_bytes` of JSON are written. Returns (files, records, uncompressed bytes).
pub fn write_benchmark_logs(
    dir: &std::path::Path,
    users: usize,
    days: i64,
    target_bytes: u64,
) -> std::io::Result<(u64, u64, u64)> {
    write_shaped_logs(dir, users, days, target_bytes, LogShape::Mixed)
}

/// [`write_benchmark_logs`] in either shape.
pub fn write_shaped_logs(
    dir: &std::path::Path,
    users: usize,
    days: i64,
    target_bytes: u64,
    shape: LogShape,
) -> std::io::Result<(u64, u64, u64)> {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut random = Random(7);
    let start = history_now() - chrono::Duration::days(days);
    let accounts: Vec<String> = (0..50)
        .map(|i| format!("{}", 400_000_000_000u64 + i))
        .collect();
    let sets = [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "TerraformApplyAccess",
        "TerraformPlanAccess",
        "PowerUserAccess",
    ];
    let store = "arn:aws:identitystore::400000000000:identitystore/d-9067bench00";
    let (mut files, mut records_written, mut bytes) = (0u64, 0u64, 0u64);
    let hours = (days * 24) as usize;
    let mut sequence = 0u64;
    'hours: for hour in 0..hours {
        let when = start + chrono::Duration::hours(hour as i64);
        let folder = dir.join(format!(
            "AWSLogs/o-bench00000/400000000000/CloudTrail/us-east-1/{}",
            when.format("%Y/%m/%d")
        ));
        std::fs::create_dir_all(&folder)?;
        let stamp = when.format("%Y%m%dT%H%MZ");
        let path = folder.join(format!(
            "400000000000_CloudTrail_us-east-1_{stamp}_bench{hour:08}.json.gz"
        ));
        let mut body = String::with_capacity(8 << 20);
        body.push_str("{\"Records\":[");
        let per_hour = 4_000;
        for n in 0..per_hour {
            sequence += 1;
            let time = (when + chrono::Duration::seconds((n * 3600 / per_hour) as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let user = random.below(users);
            let user_id = format!("906700bbbb-{user:08x}-0000-4000-8000-000000000000");
            let kind = match shape {
                LogShape::Mixed => random.below(100),
                // Half sign-in workflows, half role use: nothing to skip.
                LogShape::SignInDense => random.below(60),
            };
            if n > 0 {
                body.push(',');
            }
            let identity = format!(
                r#"{{"type":"IdentityCenterUser","accountId":"400000000000","onBehalfOf":{{"userId":"{user_id}","identityStoreArn":"{store}"}}}}"#
            );
            let common = format!(
                r#""eventVersion":"1.11","eventTime":"{time}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{}","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36","requestID":"{sequence:08x}-0000-4000-8000-000000000000","eventID":"{sequence:08x}-1111-4000-8000-000000000000","managementEvent":true,"recipientAccountId":"400000000000","eventCategory":"Management""#,
                user % 250
            );
            if kind < 30 {
                // A sign-in: the decisive UserAuthentication (challenges and verifications are
                // written as separate records below for a fifth of them).
                let credential = match random.below(20) {
                    0 => "PASSWORD",
                    1 => "EXTERNAL_IDP",
                    _ => "PASSWORD,TOTP",
                };
                let workflow = format!("{sequence:08x}-2222-4000-8000-000000000000");
                body.push_str(&format!(r#"{{{common},"userIdentity":{identity},"eventSource":"signin.amazonaws.com","eventName":"UserAuthentication","eventType":"AwsServiceEvent","readOnly":false,"requestParameters":null,"responseElements":null,"additionalEventData":{{"AuthWorkflowID":"{workflow}","CredentialType":"{credential}","LoginTo":"https://d-9067bench00.awsapps.com/start/"}},"serviceEventDetails":{{"UserAuthentication":"Success"}}}}"#));
                if shape == LogShape::SignInDense {
                    // The workflow's other records: the challenge with the typed name, and the
                    // verification of each factor.
                    let challenge = common.replace("-1111-", "-3333-");
                    body.push_str(&format!(r#",{{{challenge},"userIdentity":{{"type":"Unknown","accountId":"400000000000"}},"eventSource":"signin.amazonaws.com","eventName":"CredentialChallenge","eventType":"AwsServiceEvent","readOnly":false,"requestParameters":null,"responseElements":null,"additionalEventData":{{"AuthWorkflowID":"{workflow}","CredentialType":"PASSWORD","UserName":"user{user}"}},"serviceEventDetails":{{"CredentialChallenge":"Success"}}}}"#));
                    let verification = common.replace("-1111-", "-4444-");
                    body.push_str(&format!(r#",{{{verification},"userIdentity":{{"type":"Unknown","accountId":"400000000000"}},"eventSource":"signin.amazonaws.com","eventName":"CredentialVerification","eventType":"AwsServiceEvent","readOnly":false,"requestParameters":null,"responseElements":null,"additionalEventData":{{"AuthWorkflowID":"{workflow}","CredentialType":"PASSWORD","UserName":"user{user}"}},"serviceEventDetails":{{"CredentialVerification":"Success"}}}}"#));
                    records_written += 2;
                } else if random.below(5) == 0 {
                    let failed = random.below(10) == 0;
                    let verification = common.replace("-1111-", "-4444-");
                    body.push_str(&format!(r#",{{{verification},"userIdentity":{{"type":"Unknown","accountId":"400000000000"}},"eventSource":"signin.amazonaws.com","eventName":"CredentialVerification","eventType":"AwsServiceEvent","readOnly":false,"requestParameters":null,"responseElements":null,"additionalEventData":{{"AuthWorkflowID":"{workflow}f","CredentialType":"PASSWORD","UserName":"user{user}"}},"serviceEventDetails":{{"CredentialVerification":"{}"}}}}"#, if failed { "Failure" } else { "Success" }));
                    records_written += 1;
                }
            } else if kind < 60 {
                let account = &accounts[random.below(accounts.len())];
                let set = sets[random.below(sets.len())];
                body.push_str(&format!(r#"{{{common},"userIdentity":{identity},"eventSource":"sso.amazonaws.com","eventName":"GetRoleCredentials","eventType":"AwsServiceEvent","readOnly":true,"requestParameters":null,"responseElements":null,"serviceEventDetails":{{"role_name":"{set}","account_id":"{account}"}}}}"#));
            } else {
                // Everything else a trail is full of.
                let account = &accounts[random.below(accounts.len())];
                body.push_str(&format!(r#"{{{common},"userIdentity":{{"type":"AssumedRole","principalId":"AROABENCH:user{user}","arn":"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_ReadOnlyAccess_0123456789abcdef/user{user}","accountId":"{account}","accessKeyId":"ASIABENCH{user:08}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROABENCH","arn":"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyAccess_0123456789abcdef","accountId":"{account}","userName":"AWSReservedSSO_ReadOnlyAccess_0123456789abcdef"}},"attributes":{{"creationDate":"{time}","mfaAuthenticated":"false"}}}}}},"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventType":"AwsApiCall","readOnly":true,"requestParameters":{{"instancesSet":{{}},"filterSet":{{}}}},"responseElements":null}}"#));
            }
            records_written += 1;
        }
        body.push_str("]}");
        bytes += body.len() as u64;
        let mut encoder = GzEncoder::new(std::fs::File::create(&path)?, Compression::fast());
        encoder.write_all(body.as_bytes())?;
        encoder.finish()?;
        files += 1;
        if bytes >= target_bytes {
            break 'hours;
        }
    }
    Ok((files, records_written, bytes))
}

/// A stack file (`stacks/catalog/aws-sso.yaml`, Cloud Posse's aws-sso component) for a
/// generated organization: its account map and every assignment, by account, group or user and
/// permission set, except one in `drift_every` (left out: unmanaged in AWS), plus as many that
/// AWS lacks (an existing group given a permission set in an account it does not have: missing
/// in AWS). Keys and values quoted.
pub fn stack_for(snapshot: &Snapshot, drift_every: usize) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let account_name: BTreeMap<&str, &str> = snapshot
        .organization
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let set_name: BTreeMap<&str, &str> = snapshot
        .permission_sets
        .iter()
        .map(|p| (p.arn.as_str(), p.name.as_str()))
        .collect();
    let group_name: BTreeMap<&str, &str> = snapshot
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.display_name.as_str()))
        .collect();
    let user_name: BTreeMap<&str, &str> = snapshot
        .users
        .iter()
        .map(|u| (u.id.as_str(), u.user_name.as_str()))
        .collect();
    // account → (groups | users) → principal → permission sets
    type Principals<'a> = BTreeMap<&'a str, std::collections::BTreeSet<&'a str>>;
    let mut matrix: BTreeMap<&str, (Principals, Principals)> = BTreeMap::new();
    let mut left_out = 0usize;
    for (i, assignment) in snapshot.assignments.iter().enumerate() {
        let (Some(account), Some(set)) = (
            account_name.get(assignment.account_id.as_str()),
            set_name.get(assignment.permission_set_arn.as_str()),
        ) else {
            continue;
        };
        if drift_every > 0 && i % drift_every == 0 {
            left_out += 1;
            continue;
        }
        let entry = matrix.entry(account).or_default();
        let (principals, name) = match assignment.principal_type {
            PrincipalType::Group => (
                &mut entry.0,
                group_name.get(assignment.principal_id.as_str()),
            ),
            PrincipalType::User => (
                &mut entry.1,
                user_name.get(assignment.principal_id.as_str()),
            ),
        };
        if let Some(name) = name {
            principals.entry(name).or_default().insert(set);
        }
    }
    // As many that AWS lacks: the first group given each set in accounts where nobody has it.
    let accounts: Vec<&str> = account_name.values().copied().collect();
    let sets: Vec<&str> = set_name.values().copied().collect();
    if let Some(group) = snapshot.groups.first().map(|g| g.display_name.as_str()) {
        let mut added = 0usize;
        'outer: for account in &accounts {
            for set in &sets {
                if added >= left_out {
                    break 'outer;
                }
                let groups = &mut matrix.entry(account).or_default().0;
                if groups.get(group).is_none_or(|s| !s.contains(set)) {
                    groups.entry(group).or_default().insert(set);
                    added += 1;
                }
            }
        }
    }
    let mut text = String::from(
        "# Generated: the aws-sso component's vars for a generated organization.\ncomponents:\n  terraform:\n    aws-sso:\n      vars:\n        enabled: true\n        account_map_enabled: false\n        account_map:\n          full_account_map:\n",
    );
    for account in &snapshot.organization.accounts {
        let _ = writeln!(
            text,
            "            {}: {}",
            quote(&account.name),
            quote(&account.id)
        );
    }
    text.push_str("        account_assignments:\n");
    for (account, (groups, users)) in &matrix {
        let _ = writeln!(text, "          {}:", quote(account));
        for (kind, principals) in [("groups", groups), ("users", users)] {
            if principals.is_empty() {
                continue;
            }
            let _ = writeln!(text, "            {kind}:");
            for (principal, sets) in principals {
                let _ = writeln!(text, "              {}:", quote(principal));
                text.push_str("                permission_sets:\n");
                for set in sets {
                    let _ = writeln!(text, "                  - {}", quote(set));
                }
            }
        }
    }
    text
}

/// Roles of every account for the role-chain benchmark, `per_account` in each, as a Cloud Posse
/// organization has them: the first account is the identity account, where the first five
/// permission sets are team-access sets (each assigned there to one group) and five `aws-teams`
/// team roles trust them; every account has five `aws-team-roles` roles trusting those teams
/// (admin denied to two of them), the `AWSReservedSSO_*` roles of the sets assigned in it, and
/// application roles (trusting their own account or a service) up to `per_account`.
pub fn add_team_roles(snapshot: &mut Snapshot, per_account: usize) {
    const TEAMS: [&str; 5] = ["admin", "devops", "developers", "observer", "billing"];
    const TEAM_ROLES: [(&str, &str); 5] = [
        ("admin", "AdministratorAccess"),
        ("terraform", "PowerUserAccess"),
        ("planner", "ReadOnlyAccess"),
        ("observer", "job-function/ViewOnlyAccess"),
        ("support", "AWSSupportAccess"),
    ];
    let accounts: Vec<String> = snapshot
        .organization
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let identity = accounts[1].clone();
    let assume = |resource: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "RoleAssumeRole", "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"], "Resource": resource}]})
    };
    // The team-access sets: the first five sets, renamed, allowed to assume any role, each
    // assigned in the identity account to one group.
    let mut team_sets = Vec::new();
    for (i, team) in TEAMS.iter().enumerate() {
        let title = format!("{}{}", team[..1].to_uppercase(), &team[1..]);
        let set = &mut snapshot.permission_sets[i];
        set.name = format!("Identity{title}TeamAccess");
        set.managed_policies = vec!["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess".into()];
        set.customer_managed_policies.clear();
        set.permissions_boundary = None;
        set.inline_policy = Some(assume("*"));
        team_sets.push((set.arn.clone(), set.name.clone()));
        let group = snapshot.groups[4 + i].id.clone();
        snapshot.assignments.push(Assignment {
            account_id: identity.clone(),
            permission_set_arn: set.arn.clone(),
            principal_type: PrincipalType::Group,
            principal_id: group,
        });
    }
    let mut sets_in: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for a in &snapshot.assignments {
        sets_in
            .entry(a.account_id.as_str())
            .or_default()
            .insert(a.permission_set_arn.as_str());
    }
    let names: BTreeMap<&str, &str> = snapshot
        .permission_sets
        .iter()
        .map(|p| (p.arn.as_str(), p.name.as_str()))
        .collect();
    let team_arn = |team: &str| format!("arn:aws:iam::{identity}:role/acme-identity-{team}");
    let mut members = Vec::new();
    for (n, account) in accounts.iter().enumerate() {
        let mut roles = Vec::new();
        if *account == identity {
            for (team, (_, set)) in TEAMS.iter().zip(&team_sets) {
                let trusted = [format!(
                    "arn:aws:iam::{identity}:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_{set}_*"
                )];
                roles.push(team_role(
                    account,
                    &format!("acme-identity-{team}"),
                    cloud_posse_trust(&identity, &trusted, &[]),
                    vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                    Some(assume("arn:aws:iam::*:role/*")),
                ));
            }
        }
        for (r, (role, policy)) in TEAM_ROLES.iter().enumerate() {
            // admin: admin and devops teams, developers denied; the others: two teams each.
            let (trusted, denied): (Vec<&str>, Vec<&str>) = match r {
                0 => (vec!["admin", "devops", "developers"], vec!["developers"]),
                _ => (vec![TEAMS[r], TEAMS[(r + 1) % 5]], vec![]),
            };
            roles.push(team_role(
                account,
                &format!("acme-{n:04}-{role}"),
                cloud_posse_trust(
                    &identity,
                    &trusted.iter().map(|t| team_arn(t)).collect::<Vec<_>>(),
                    &denied.iter().map(|t| team_arn(t)).collect::<Vec<_>>(),
                ),
                vec![format!("arn:aws:iam::aws:policy/{policy}")],
                None,
            ));
        }
        for (k, set) in sets_in
            .get(account.as_str())
            .into_iter()
            .flatten()
            .enumerate()
        {
            if roles.len() >= per_account {
                break;
            }
            let name = format!(
                "AWSReservedSSO_{}_{:016x}",
                names[set],
                0xabc0_0000u64 + k as u64
            );
            roles.push(MemberRole {
                role: Role {
                    arn: format!("arn:aws:iam::{account}:role{RESERVED}{name}"),
                    name,
                    trust_policy: Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Principal": {"Federated": format!("arn:aws:iam::{account}:saml-provider/AWSSSO_0123_DO_NOT_DELETE")},
                        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]})),
                    ..Default::default()
                },
                path: RESERVED.into(),
                last_used: None,
            });
        }
        let mut app = 0;
        while roles.len() < per_account {
            let trust = if app % 2 == 0 {
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]})
            } else {
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            };
            roles.push(team_role(
                account,
                &format!("app-{n:04}-{app:02}"),
                trust,
                vec!["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into()],
                None,
            ));
            app += 1;
        }
        members.push(MemberAccount {
            account_id: account.clone(),
            role_arn: if *account == snapshot.organization.management_account_id {
                String::new()
            } else {
                format!("arn:aws:iam::{account}:role/ssoaudit-read")
            },
            roles,
            ..Default::default()
        });
    }
    snapshot.member_accounts = Some(members);
    snapshot.normalize();
}

const RESERVED: &str = "/aws-reserved/sso.amazonaws.com/";

/// One weekly run of [`weekly_runs`]: the snapshot, and what the generator changed since the
/// week before, for tests to check `ssoaudit history` against.
pub struct WeeklyRun {
    pub snapshot: Snapshot,
    /// User and group names added and removed since the week before.
    pub users_added: Vec<String>,
    pub users_removed: Vec<String>,
    pub groups_added: Vec<String>,
    pub groups_removed: Vec<String>,
    /// Findings gained (+) or lost (-) per rule since the week before.
    pub findings_delta: BTreeMap<String, i64>,
    /// Active users with administrator access gained (+) or lost (-) per account.
    pub admin_seats_delta: BTreeMap<String, i64>,
}

/// `weeks` weekly snapshots (at least 12) of the compliant reference organization without
/// events, captured every Sunday from 2026-09-06, with changes between them:
/// week 1 nina.walsh joins DevOps; week 2 julia.rossi gets AdministratorAccess on plat-prod
/// directly, removed in week 4; week 3 a user made by hand (temp.admin) joins Managers, deleted
/// in week 5; week 6 a hand-made Contractors group gets ReadOnlyAccess on plat-prod, deleted in
/// week 9; week 8 vera.novak leaves; week 11 nina.walsh is disabled. Later weeks change nothing.
pub fn weekly_runs(weeks: usize) -> Vec<WeeklyRun> {
    let mut snapshot = reference_without_events(Variant::Compliant);
    let start = chrono::DateTime::parse_from_rfc3339("2026-09-06T06:00:00Z")
        .expect("valid")
        .with_timezone(&chrono::Utc);
    let set_arn = |s: &Snapshot, name: &str| {
        s.permission_sets
            .iter()
            .find(|p| p.name == name)
            .expect("set")
            .arn
            .clone()
    };
    let account = |name: &str| ACCOUNTS.iter().find(|a| a.0 == name).expect("account").1;
    // DevOps holds AdministratorAccess everywhere but core-root; Managers everywhere.
    let devops_admin: Vec<&str> = ACCOUNTS
        .iter()
        .map(|a| a.0)
        .filter(|a| *a != "core-root")
        .collect();
    let every: Vec<&str> = ACCOUNTS.iter().map(|a| a.0).collect();
    let seats = |accounts: &[&str], delta: i64| -> BTreeMap<String, i64> {
        accounts.iter().map(|a| (a.to_string(), delta)).collect()
    };
    let new_user = |name: &str, index: usize, provisioned: bool| User {
        id: user_id(index),
        user_name: format!("{name}@acme.example"),
        display_name: Some(name.to_string()),
        emails: vec![Email {
            value: format!("{name}@acme.example"),
            primary: true,
            kind: Some("work".into()),
        }],
        active: true,
        external_ids: Some(if provisioned {
            vec![ExternalId {
                issuer: SCIM_ISSUER.into(),
                id: format!("00u{}", name.replace('.', "")),
            }]
        } else {
            Vec::new()
        }),
        created_at: None,
    };
    let julia_admin = Assignment {
        account_id: account("plat-prod").into(),
        permission_set_arn: set_arn(&snapshot, "AdministratorAccess"),
        principal_type: PrincipalType::User,
        principal_id: user_id(9),
    };
    let mut runs = Vec::with_capacity(weeks);
    for week in 0..weeks {
        let mut run = WeeklyRun {
            snapshot: Snapshot::default(),
            users_added: Vec::new(),
            users_removed: Vec::new(),
            groups_added: Vec::new(),
            groups_removed: Vec::new(),
            findings_delta: BTreeMap::new(),
            admin_seats_delta: BTreeMap::new(),
        };
        let mut delta = |rule: &str, n: i64| {
            *run.findings_delta.entry(rule.to_string()).or_default() += n;
        };
        match week {
            1 => {
                snapshot.users.push(new_user("nina.walsh", 40, true));
                snapshot.memberships.push(Membership {
                    group_id: group_id("DevOps"),
                    user_id: user_id(40),
                });
                run.users_added.push("nina.walsh@acme.example".into());
                run.admin_seats_delta = seats(&devops_admin, 1);
            }
            2 => {
                snapshot.assignments.push(julia_admin.clone());
                delta("no-direct-user-assignments", 1);
                run.admin_seats_delta = seats(&["plat-prod"], 1);
            }
            3 => {
                snapshot.users.push(new_user("temp.admin", 41, false));
                snapshot.memberships.push(Membership {
                    group_id: group_id("Managers"),
                    user_id: user_id(41),
                });
                run.users_added.push("temp.admin@acme.example".into());
                delta("user-created-by-hand", 1);
                run.admin_seats_delta = seats(&every, 1);
            }
            4 => {
                snapshot.assignments.retain(|a| *a != julia_admin);
                delta("no-direct-user-assignments", -1);
                run.admin_seats_delta = seats(&["plat-prod"], -1);
            }
            5 => {
                snapshot.users.retain(|u| u.id != user_id(41));
                snapshot.memberships.retain(|m| m.user_id != user_id(41));
                run.users_removed.push("temp.admin@acme.example".into());
                delta("user-created-by-hand", -1);
                run.admin_seats_delta = seats(&every, -1);
            }
            6 => {
                snapshot.groups.push(Group {
                    id: group_id("Contractors"),
                    display_name: "Contractors".into(),
                    description: None,
                    external_ids: Some(Vec::new()),
                    created_at: None,
                });
                snapshot.assignments.push(Assignment {
                    account_id: account("plat-prod").into(),
                    permission_set_arn: set_arn(&snapshot, "ReadOnlyAccess"),
                    principal_type: PrincipalType::Group,
                    principal_id: group_id("Contractors"),
                });
                run.groups_added.push("Contractors".into());
                delta("group-created-by-hand", 1);
                delta("group-assigned-without-members", 1);
            }
            8 => {
                let vera = snapshot
                    .users
                    .iter()
                    .find(|u| u.user_name.starts_with("vera.novak"))
                    .expect("vera")
                    .id
                    .clone();
                snapshot.users.retain(|u| u.id != vera);
                snapshot.memberships.retain(|m| m.user_id != vera);
                run.users_removed.push("vera.novak@acme.example".into());
            }
            9 => {
                snapshot.groups.retain(|g| g.id != group_id("Contractors"));
                snapshot
                    .assignments
                    .retain(|a| a.principal_id != group_id("Contractors"));
                run.groups_removed.push("Contractors".into());
                delta("group-created-by-hand", -1);
                delta("group-assigned-without-members", -1);
            }
            11 => {
                if let Some(nina) = snapshot.users.iter_mut().find(|u| u.id == user_id(40)) {
                    nina.active = false;
                }
                delta("user-inactive-with-access", 1);
                run.admin_seats_delta = seats(&devops_admin, -1);
            }
            _ => {}
        }
        snapshot.metadata.captured_at = (start + chrono::Duration::weeks(week as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        snapshot.metadata.source = format!("fixture: reference architecture, week {week}");
        snapshot.normalize();
        run.snapshot = snapshot.clone();
        runs.push(run);
    }
    runs
}
