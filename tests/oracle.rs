//! ssoaudit's privilege-escalation verdicts measured against an independent classifier,
//! cloudsplaining (PyPI, MIT, installed in the test environment by scripts/test), on every AWS
//! managed policy of the vendored catalog and on the fixtures' policies.
//!
//! Per policy, both name the escalation methods the policy allows on every resource. Only the
//! methods ssoaudit knows are compared (cloudsplaining knows more, from pathfinding.cloud).
//! Every disagreement must be one of the reasoned differences listed below.

mod common;

use common::*;
use ssoaudit::iam::evaluate::{Analysis, Policy, Role, statements};
use ssoaudit::iam::{capabilities, catalog::Catalog, managed::ManagedCatalog};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

/// The escalation methods ssoaudit finds in one policy document.
fn ours(document: &serde_json::Value) -> BTreeSet<String> {
    let Ok(statements) = statements(document, Catalog::get()) else {
        return BTreeSet::new();
    };
    let analysis = Analysis::new(
        vec![Policy {
            label: "p".into(),
            role: Role::Grants,
            statements,
        }],
        Vec::new(),
        Vec::new(),
    );
    capabilities::of(&analysis)
        .escalation_paths
        .iter()
        .map(|p| p.split(':').next().unwrap().to_string())
        .collect()
}

fn cloudsplaining(policies: &[(String, serde_json::Value)]) -> BTreeMap<String, BTreeSet<String>> {
    let input: Vec<serde_json::Value> = policies
        .iter()
        .map(|(name, document)| serde_json::json!({"name": name, "document": document}))
        .collect();
    let python = root().join(".venv/bin/python");
    let mut child = Command::new(&python)
        .arg(root().join("tests/oracle/cloudsplaining_verdicts.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/test installs it)", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "cloudsplaining failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn escalation_verdicts_agree_with_cloudsplaining() {
    let known: BTreeSet<String> = capabilities::ESCALATION_METHODS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    let mut policies: Vec<(String, serde_json::Value)> = ManagedCatalog::get()
        .policies
        .iter()
        .map(|(arn, p)| (arn.clone(), p.document.clone()))
        .collect();
    for fixture in [VIOLATING, COMPLIANT] {
        let snapshot: serde_json::Value =
            json(&std::fs::read_to_string(root().join(fixture)).unwrap());
        for set in snapshot["permission_sets"].as_array().unwrap() {
            if !set["inline_policy"].is_null() {
                policies.push((
                    format!("{fixture} {} inline", set["name"].as_str().unwrap()),
                    set["inline_policy"].clone(),
                ));
            }
        }
    }
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    let theirs = cloudsplaining(&policies);
    let mut agree = 0;
    let mut same_verdict = 0;
    let mut flagged = 0;
    let mut disagreements = Vec::new();
    for (name, document) in &policies {
        let ours = ours(document);
        let theirs: BTreeSet<String> = theirs[name].intersection(&known).cloned().collect();
        flagged += usize::from(!ours.is_empty());
        if ours.is_empty() == theirs.is_empty() {
            same_verdict += 1;
        }
        if ours == theirs {
            agree += 1;
        } else {
            disagreements.push(format!(
                "{name}: ssoaudit only {:?}, cloudsplaining only {:?}",
                ours.difference(&theirs).collect::<Vec<_>>(),
                theirs.difference(&ours).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "{} policies ({flagged} allow escalation): same escalation verdict {same_verdict}, same methods {agree}",
        policies.len()
    );
    assert!(policies.len() > 1500);
    assert!(
        flagged >= 15,
        "the comparison covers policies that escalate: {flagged}"
    );
    // No reasoned difference is needed today: any disagreement is a bug to look at.
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // The rewritten rule's fixture case: the inline policy that allows everything.
    assert!(
        theirs
            .iter()
            .any(|(name, methods)| name.contains("SupportEngineerAccess")
                && methods.contains("AttachRolePolicy"))
    );
}

/// SCP ceilings measured against an independent simulator, @cloud-copilot/iam-simulate
/// (npm, AGPL-3.0, test-only; installed in tests/oracle/simulate by scripts/test): identity
/// policies (AWS managed and hand-written, with and without a boundary) under guardrail
/// shapes an organization uses (full access, a deny-all on the account, an allow-list at the
/// OU, a deny of a service at the root, a deny of everything but some services), on actions
/// sampled across the catalog, each decided for a role of a member account on every resource.
#[test]
fn scp_ceilings_agree_with_iam_simulate() {
    use ssoaudit::iam::evaluate::Decision;
    use ssoaudit::snapshot::{
        Account, Guardrails, OrganizationPolicy, OrganizationalUnit, PermissionSet,
        PermissionsBoundary, Snapshot,
    };
    let doc = |statements: serde_json::Value| serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    let full = doc(serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let managed = |name: &str| {
        ManagedCatalog::get()
            .policy(&format!("arn:aws:iam::aws:policy/{name}"))
            .unwrap()
            .document
            .clone()
    };
    // Guardrail shapes: the SCPs at the root, the OU and the account.
    let shapes: Vec<(&str, [Vec<serde_json::Value>; 3])> = vec![
        (
            "full",
            [vec![full.clone()], vec![full.clone()], vec![full.clone()]],
        ),
        (
            "deny-all-on-account",
            [
                vec![full.clone()],
                vec![full.clone()],
                vec![
                    full.clone(),
                    doc(serde_json::json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}])),
                ],
            ],
        ),
        (
            "allow-list-at-ou",
            [
                vec![full.clone()],
                vec![doc(
                    serde_json::json!([{"Effect": "Allow", "Action": ["s3:*", "logs:*", "iam:PassRole", "lambda:*"], "Resource": "*"}]),
                )],
                vec![full.clone()],
            ],
        ),
        (
            "deny-iam-at-root",
            [
                vec![
                    full.clone(),
                    doc(
                        serde_json::json!([{"Effect": "Deny", "Action": ["iam:*", "organizations:Leave*"], "Resource": "*"}]),
                    ),
                ],
                vec![full.clone()],
                vec![full.clone()],
            ],
        ),
        (
            "deny-all-but",
            [
                vec![full.clone()],
                vec![
                    full.clone(),
                    doc(
                        serde_json::json!([{"Effect": "Deny", "NotAction": ["s3:Get*", "ec2:Describe*", "sts:*", "support:*"], "Resource": "*"}]),
                    ),
                ],
                vec![full.clone()],
            ],
        ),
    ];
    let identities: Vec<(&str, serde_json::Value, Option<&str>)> = vec![
        ("AdministratorAccess", managed("AdministratorAccess"), None),
        ("PowerUserAccess", managed("PowerUserAccess"), None),
        ("ReadOnlyAccess", managed("ReadOnlyAccess"), None),
        (
            "inline-under-boundary",
            doc(
                serde_json::json!([{"Effect": "Allow", "Action": ["iam:*", "s3:*", "ec2:*"], "Resource": "*"},
                                   {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}]),
            ),
            Some("PowerUserAccess"),
        ),
    ];
    // Actions: a fixed set that matters, and every 400th of the catalog.
    let catalog = Catalog::get();
    let mut actions: Vec<String> = [
        "iam:CreateUser",
        "iam:PassRole",
        "iam:AttachRolePolicy",
        "s3:GetObject",
        "s3:PutObject",
        "lambda:CreateFunction",
        "ec2:RunInstances",
        "ec2:DescribeInstances",
        "ec2:TerminateInstances",
        "organizations:LeaveOrganization",
        "sts:AssumeRole",
        "support:CreateCase",
        "logs:PutLogEvents",
        "kms:Decrypt",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    actions.extend(catalog.actions.iter().step_by(400).map(|a| a.full_name()));
    actions.sort();
    actions.dedup();

    let account = "100000000008";
    let mut cases = Vec::new();
    let mut ours = BTreeMap::new();
    for (shape, levels) in &shapes {
        let mut snapshot = Snapshot::default();
        snapshot.metadata.management_account_id = "100000000001".into();
        snapshot.organization.management_account_id = "100000000001".into();
        snapshot.organization.organizational_units = vec![
            OrganizationalUnit {
                id: "r-1".into(),
                name: "Root".into(),
                parent_id: None,
                path: "Root".into(),
            },
            OrganizationalUnit {
                id: "ou-1".into(),
                name: "Workloads".into(),
                parent_id: Some("r-1".into()),
                path: "Root/Workloads".into(),
            },
        ];
        snapshot.organization.accounts.push(Account {
            id: account.into(),
            name: "workload".into(),
            parent_id: "ou-1".into(),
            ..Default::default()
        });
        let mut policies = Vec::new();
        for (level, target) in levels.iter().zip(["r-1", "ou-1", account]) {
            for (i, document) in level.iter().enumerate() {
                policies.push(OrganizationPolicy {
                    id: format!("p-{target}-{i}"),
                    name: format!("{target}-{i}"),
                    kind: Guardrails::SCP.into(),
                    aws_managed: false,
                    document: document.clone(),
                    targets: vec![target.into()],
                });
            }
        }
        snapshot.guardrails = Some(Guardrails {
            enabled_types: vec![Guardrails::SCP.into()],
            policies,
        });
        for (name, identity, boundary) in &identities {
            let set = PermissionSet {
                arn: format!("arn:aws:sso:::permissionSet/ssoins-x/{name}"),
                name: name.to_string(),
                inline_policy: Some(identity.clone()),
                permissions_boundary: boundary.map(|b| PermissionsBoundary {
                    managed_policy_arn: Some(format!("arn:aws:iam::aws:policy/{b}")),
                    customer_managed_policy: None,
                }),
                ..Default::default()
            };
            let analysis = ssoaudit::iam::analyse_in(
                &snapshot,
                &set,
                Some(account),
                &mut ssoaudit::iam::StatementCache::default(),
            );
            assert!(analysis.unknown_policies.is_empty() && analysis.malformed.is_empty());
            let id = format!("{shape}/{name}");
            let decisions: BTreeMap<String, &str> = actions
                .iter()
                .map(|a| {
                    let word = match analysis.decide(a) {
                        Decision::Allowed {
                            every_resource: true,
                        } => "Allowed",
                        Decision::Allowed { .. } | Decision::Conditional => "Partly",
                        Decision::Denied => "Denied",
                    };
                    (a.clone(), word)
                })
                .collect();
            ours.insert(id.clone(), decisions);
            cases.push(serde_json::json!({
                "id": id,
                "identity": [identity],
                "boundary": boundary.map(managed),
                "scps": levels,
                "account": account,
                "actions": actions,
            }));
        }
    }

    let node = Command::new("node")
        .arg(root().join("tests/oracle/simulate/decide.mjs"))
        .current_dir(root().join("tests/oracle/simulate"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = node.expect("node runs (scripts/test installs the simulator)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&cases).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "iam-simulate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&output.stdout).unwrap();

    let (mut compared, mut skipped, mut disagreements) = (0, 0, Vec::new());
    for (id, decisions) in &ours {
        for (action, word) in decisions {
            let other = theirs[id][action].as_str();
            // Actions one catalog does not know, and grants on some resources only (the
            // simulator decides one request on "*"), are not compared.
            if other == "Unknown" || *word == "Partly" {
                skipped += 1;
                continue;
            }
            compared += 1;
            if *word != other {
                disagreements.push(format!("{id} {action}: ours {word}, iam-simulate {other}"));
            }
        }
    }
    let allowed = ours
        .values()
        .flat_map(|d| d.values())
        .filter(|w| **w == "Allowed")
        .count();
    println!(
        "{compared} decisions compared ({allowed} allowed), {skipped} not comparable, {} cases",
        ours.len()
    );
    assert!(compared > 1_000, "only {compared} decisions compared");
    assert!(
        disagreements.is_empty(),
        "{} of {compared} decisions differ:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Whether a session may assume a role, decided by ssoaudit's chain edges and by
/// @cloud-copilot/iam-simulate, over callers (team-access sets, team roles, roles without
/// `sts:AssumeRole`, same and other accounts) and trust policies (Cloud Posse's, account roots
/// with and without conditions, explicit ARNs, denies, `NotPrincipal`-free wildcards, service
/// principals).
#[test]
fn role_assumption_decisions_agree_with_iam_simulate() {
    let (identity, target, outside) = ("111111111111", "222222222222", "333333333333");
    let allow = |action: &str, resource: &str| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": action, "Resource": resource}]})
    };
    let reserved = |set: &str| {
        format!(
            "arn:aws:iam::{identity}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{set}_0123456789abcdef"
        )
    };
    let devops_team = format!("arn:aws:iam::{identity}:role/acme-core-gbl-identity-devops");
    let developers_team = format!("arn:aws:iam::{identity}:role/acme-core-gbl-identity-developers");
    let app = format!("arn:aws:iam::{target}:role/app");
    let callers: Vec<(String, serde_json::Value)> = vec![
        (
            reserved("IdentityDevopsTeamAccess"),
            allow("sts:AssumeRole", "*"),
        ),
        (
            reserved("IdentityDevelopersTeamAccess"),
            allow("sts:AssumeRole", &developers_team),
        ),
        (
            devops_team.clone(),
            allow("sts:AssumeRole", "arn:aws:iam::*:role/*"),
        ),
        (
            developers_team.clone(),
            allow("sts:AssumeRole", "arn:aws:iam::*:role/*-observer"),
        ),
        (reserved("ReadOnlyAccess"), allow("s3:Get*", "*")),
        (app.clone(), allow("s3:*", "*")),
        (format!("arn:aws:iam::{target}:role/ops"), allow("*", "*")),
        (
            format!("arn:aws:iam::{outside}:role/vendor"),
            allow("*", "*"),
        ),
    ];
    let account_root = |account: &str| format!("arn:aws:iam::{account}:root");
    let statement = |principal: serde_json::Value, condition: Option<serde_json::Value>| {
        let mut s = serde_json::json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        s
    };
    let document = |statements: Vec<serde_json::Value>| serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    let cloud_posse = document(vec![
        serde_json::json!({"Sid": "RoleAssumeRole", "Effect": "Allow",
            "Principal": {"AWS": [account_root(identity)]},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:PrincipalType": "AssumedRole"},
                          "ArnLike": {"aws:PrincipalArn": [devops_team.clone(), developers_team.clone(),
                              format!("arn:aws:iam::{identity}:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_IdentityDevopsTeamAccess_*")]}}}),
        serde_json::json!({"Sid": "RoleDenyAssumeRole", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            "Condition": {"ArnLike": {"aws:PrincipalArn": [developers_team.clone(), "arn:aws:iam::*:user/*"]}}}),
    ]);
    let trusts: Vec<(&str, serde_json::Value)> = vec![
        ("cloud-posse", cloud_posse),
        (
            "identity-root",
            document(vec![statement(
                serde_json::json!({"AWS": account_root(identity)}),
                None,
            )]),
        ),
        (
            "target-root",
            document(vec![statement(
                serde_json::json!({"AWS": account_root(target)}),
                None,
            )]),
        ),
        (
            "bare-account-id",
            document(vec![statement(serde_json::json!({"AWS": identity}), None)]),
        ),
        (
            "explicit-app",
            document(vec![statement(
                serde_json::json!({"AWS": app.clone()}),
                None,
            )]),
        ),
        (
            "explicit-devops",
            document(vec![statement(
                serde_json::json!({"AWS": [devops_team.clone()]}),
                None,
            )]),
        ),
        (
            "anyone-acme-roles",
            document(vec![statement(
                serde_json::json!({"AWS": "*"}),
                Some(
                    serde_json::json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/acme-*"}}),
                ),
            )]),
        ),
        (
            "identity-root-not-reserved",
            document(vec![statement(
                serde_json::json!({"AWS": account_root(identity)}),
                Some(
                    serde_json::json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws-reserved/*"}}),
                ),
            )]),
        ),
        (
            "account-equals",
            document(vec![statement(
                serde_json::json!({"AWS": "*"}),
                Some(
                    serde_json::json!({"StringEquals": {"aws:PrincipalAccount": [identity, target]}}),
                ),
            )]),
        ),
        (
            "users-only",
            document(vec![statement(
                serde_json::json!({"AWS": account_root(identity)}),
                Some(serde_json::json!({"StringEquals": {"aws:PrincipalType": "User"}})),
            )]),
        ),
        (
            "deny-all-but-devops",
            document(vec![
                statement(
                    serde_json::json!({"AWS": [account_root(identity), account_root(target)]}),
                    None,
                ),
                serde_json::json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": devops_team.clone()}}}),
            ]),
        ),
        (
            "service-only",
            document(vec![statement(
                serde_json::json!({"Service": "lambda.amazonaws.com"}),
                None,
            )]),
        ),
    ];
    let snapshot = ssoaudit::snapshot::Snapshot::default();
    let mut cases = Vec::new();
    let mut ours = BTreeMap::new();
    for (caller, policy) in &callers {
        let analysis = Analysis::new(
            vec![Policy {
                label: "p".into(),
                role: Role::Grants,
                statements: statements(policy, Catalog::get()).unwrap(),
            }],
            Vec::new(),
            Vec::new(),
        );
        for (name, trust) in &trusts {
            let role = format!("arn:aws:iam::{target}:role/{name}");
            let id = format!("{caller} -> {name}");
            let word = match ssoaudit::chains::assume(&snapshot, caller, &analysis, &role, trust) {
                None => "Denied",
                Some((identity, trust, control)) => {
                    let conditional = [Some(identity), Some(trust), control]
                        .into_iter()
                        .flatten()
                        .any(|v| matches!(v, ssoaudit::iam::request::Verdict::Conditional(_)));
                    if conditional {
                        "Conditional"
                    } else {
                        "Allowed"
                    }
                }
            };
            ours.insert(id.clone(), word);
            cases.push(serde_json::json!({
                "id": id, "identity": [policy], "trust": trust, "caller": caller, "target": role
            }));
        }
    }
    let mut child = Command::new("node")
        .arg(root().join("tests/oracle/simulate/assume.mjs"))
        .current_dir(root().join("tests/oracle/simulate"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/test installs the simulator)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&cases).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "iam-simulate failed");
    let theirs: BTreeMap<String, String> = serde_json::from_slice(&output.stdout).unwrap();
    let (mut compared, mut allowed, mut disagreements) = (0, 0, Vec::new());
    for (id, word) in &ours {
        let other = theirs[id].as_str();
        assert_ne!(other, "Unknown", "{id}: the simulator could not run it");
        assert_ne!(
            *word, "Conditional",
            "{id}: every condition here is decidable"
        );
        compared += 1;
        if *word == "Allowed" {
            allowed += 1;
        }
        if *word != other {
            disagreements.push(format!("{id}: ours {word}, iam-simulate {other}"));
        }
    }
    println!(
        "{compared} role assumptions compared ({allowed} allowed), {} callers x {} trust policies",
        callers.len(),
        trusts.len()
    );
    assert!(
        allowed > 10 && compared - allowed > 10,
        "{allowed} of {compared}"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {compared} decisions differ:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
