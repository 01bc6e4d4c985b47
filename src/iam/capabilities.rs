//! Capabilities of a permission set, computed once from the analysis of its policies: whether
//! it is read-only, what it can write, whether it is administrator-equivalent and why, its
//! privilege-escalation paths, and the powers the reference architecture cares about (root,
//! Identity Center, the organization, any role). Every capability says which policy, statement
//! and action make it true.

use super::catalog::Catalog;
use super::evaluate::{Analysis, Decision};
use std::collections::BTreeSet;
use std::sync::OnceLock;

static READ_ONLY_EXCEPTIONS: &str = include_str!("../../data/iam/read-only-exceptions.tsv");

/// Catalog positions of the actions counted as reads despite their catalog level.
fn read_only_exceptions() -> &'static BTreeSet<usize> {
    static SET: OnceLock<BTreeSet<usize>> = OnceLock::new();
    SET.get_or_init(|| {
        READ_ONLY_EXCEPTIONS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split('\t').next())
            .filter_map(|action| Catalog::get().position(action))
            .collect()
    })
}

/// Whether an action the catalog does not know reads, by the verb its name starts with.
pub fn reads_by_name(action: &str) -> bool {
    let name = action.split_once(':').map(|(_, n)| n).unwrap_or(action);
    [
        "Get", "BatchGet", "List", "Describe", "Search", "View", "Lookup", "Check", "Export",
    ]
    .iter()
    .any(|verb| {
        name.strip_prefix(verb).is_some_and(|rest| {
            rest.chars()
                .next()
                .is_none_or(|c| c.is_ascii_uppercase() || c == '*')
        })
    })
}

/// A known privilege-escalation method: actions that, allowed together on every resource, let
/// the holder give themselves more (Rhino Security Labs' list, as cloudsplaining uses it).
pub struct Method {
    pub name: &'static str,
    pub actions: &'static [&'static str],
    /// What it lets the holder do.
    pub means: &'static str,
    /// Administrator-equivalent: IAM permission management or passing a role to code.
    pub admin: bool,
}

pub const ESCALATION_METHODS: &[Method] = &[
    Method {
        name: "CreateNewPolicyVersion",
        actions: &["iam:CreatePolicyVersion"],
        means: "make a new default version of any customer managed policy",
        admin: true,
    },
    Method {
        name: "SetExistingDefaultPolicyVersion",
        actions: &["iam:SetDefaultPolicyVersion"],
        means: "switch a policy to a more permissive version",
        admin: true,
    },
    Method {
        name: "AttachUserPolicy",
        actions: &["iam:AttachUserPolicy"],
        means: "attach any policy to a user",
        admin: true,
    },
    Method {
        name: "AttachGroupPolicy",
        actions: &["iam:AttachGroupPolicy"],
        means: "attach any policy to a group",
        admin: true,
    },
    Method {
        name: "AttachRolePolicy",
        actions: &["iam:AttachRolePolicy"],
        means: "attach any policy to a role you can assume",
        admin: true,
    },
    Method {
        name: "PutUserPolicy",
        actions: &["iam:PutUserPolicy"],
        means: "write any inline policy into a user",
        admin: true,
    },
    Method {
        name: "PutGroupPolicy",
        actions: &["iam:PutGroupPolicy"],
        means: "write any inline policy into a group",
        admin: true,
    },
    Method {
        name: "PutRolePolicy",
        actions: &["iam:PutRolePolicy"],
        means: "write any inline policy into a role you can assume",
        admin: true,
    },
    Method {
        name: "AddUserToGroup",
        actions: &["iam:AddUserToGroup"],
        means: "join a privileged group",
        admin: true,
    },
    Method {
        name: "CreateAccessKey",
        actions: &["iam:CreateAccessKey"],
        means: "create keys for a privileged user",
        admin: true,
    },
    Method {
        name: "CreateLoginProfile",
        actions: &["iam:CreateLoginProfile"],
        means: "set a console password on a privileged user",
        admin: true,
    },
    Method {
        name: "UpdateLoginProfile",
        actions: &["iam:UpdateLoginProfile"],
        means: "change a privileged user's console password",
        admin: true,
    },
    Method {
        name: "UpdateRolePolicyToAssumeIt",
        actions: &["iam:UpdateAssumeRolePolicy"],
        means: "make any role trust you",
        admin: true,
    },
    Method {
        name: "CreateEC2WithExistingIP",
        actions: &["iam:PassRole", "ec2:RunInstances"],
        means: "run an instance as any role",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToNewLambdaThenInvoke",
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        means: "run a function as any role",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        means: "run a function as any role, triggered by a stream",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToNewGlueDevEndpoint",
        actions: &["iam:PassRole", "glue:CreateDevEndpoint"],
        means: "run a Glue endpoint as any role",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToCloudFormation",
        actions: &["iam:PassRole", "cloudformation:CreateStack"],
        means: "deploy a stack as any role",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToNewDataPipeline",
        actions: &["iam:PassRole", "datapipeline:CreatePipeline"],
        means: "run a pipeline as any role",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToNewECSTaskViaRunTask",
        actions: &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
        means: "run a task as any role",
        admin: true,
    },
    Method {
        name: "PassExistingRoleToNewSageMakerNotebookInstance",
        actions: &["iam:PassRole", "sagemaker:CreateNotebookInstance"],
        means: "run a notebook as any role",
        admin: true,
    },
    Method {
        name: "UpdateExistingGlueDevEndpoint",
        actions: &["glue:UpdateDevEndpoint"],
        means: "take over a Glue endpoint and its role",
        admin: false,
    },
    Method {
        name: "EditExistingLambdaFunctionWithRole",
        actions: &["lambda:UpdateFunctionCode"],
        means: "run your code in a function and its role",
        admin: false,
    },
];

/// Actions that manage IAM Identity Center or the Identity Store: from the account that hosts
/// the instance they grant any access in any account.
const IDENTITY_CENTER_WRITES: &[&str] = &[
    "sso:CreateAccountAssignment",
    "sso:CreatePermissionSet",
    "sso:PutInlinePolicyToPermissionSet",
    "sso:AttachManagedPolicyToPermissionSet",
    "sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
    "sso:ProvisionPermissionSet",
    "identitystore:CreateGroupMembership",
    "identitystore:UpdateUser",
    "identitystore:CreateUser",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// No action that writes (Write, Permissions management, Tagging) is allowed, even under a
    /// condition; assuming named roles does not count (a chained path, see `chained_roles`).
    pub read_only: bool,
    /// Services it can write, sorted.
    pub writable_services: Vec<String>,
    pub admin_equivalent: bool,
    /// Why it is administrator-equivalent: policy, statement, action and what it allows.
    pub admin_reasons: Vec<String>,
    /// Every escalation method it allows on every resource, with where it comes from.
    pub escalation_paths: Vec<String>,
    /// `sts:AssumeRoot` allowed (even under a condition).
    pub can_assume_root: bool,
    /// Identity Center or Identity Store writes allowed.
    pub can_manage_identity_center: bool,
    /// Writes of Organizations or Account Management allowed.
    pub can_manage_organization: bool,
    /// `sts:AssumeRole` on every resource: from the management account, every
    /// `OrganizationAccountAccessRole`.
    pub can_assume_any_role: bool,
    /// Grants that hold only under a condition: `action (policy, statement)`.
    pub conditional_grants: Vec<String>,
    /// What could not be analysed: policies of unknown content, malformed documents. Rules
    /// that read capabilities are incomplete when this is not empty.
    pub unknown: Vec<String>,
    /// Allowed actions the catalog does not know (new or mistyped), matched literally.
    pub unknown_actions: Vec<String>,
    /// What the organization's guardrails (SCPs) take from what the policies allow, one line
    /// per reason: `SCP DenyAll (p-1) at account 1111, statement 0, denies it: 14,020 actions
    /// (e.g. iam:CreateUser)`. Empty when no guardrail caps it or none removes anything.
    pub guardrails: Vec<String>,
}

/// `IAMFullAccess (AWS managed, v2), statement 0, allows iam:* → iam:AttachRolePolicy`.
fn reason(analysis: &Analysis, i: usize) -> String {
    let catalog = Catalog::get();
    let action = catalog.actions[i].full_name();
    match analysis.grant(i) {
        Some((policy, statement)) => {
            // The patterns of the statement that name this action, not the whole list.
            let granting = if statement.not_action {
                format!("everything but {}", statement.actions.join(", "))
            } else {
                let lower = &catalog.actions[i].lower;
                let patterns: Vec<&str> = statement
                    .actions
                    .iter()
                    .filter(|p| super::catalog::names(p, lower))
                    .map(String::as_str)
                    .collect();
                patterns.join(", ")
            };
            format!(
                "{}, {}, allows {granting} → {action}",
                policy.label,
                statement.label(),
            )
        }
        None => action,
    }
}

/// What AWS itself calls read-only: the actions its `ReadOnlyAccess` managed policy grants.
/// The action catalog classifies a few of them (and some it does not know yet) as writes; a
/// set that grants nothing beyond them and no other write is read-only.
#[derive(Clone)]
pub struct ReadOnlyBaseline {
    actions: super::evaluate::ActionSet,
    /// Lowercase patterns of the policy that name no catalog action.
    unknown: Vec<String>,
}

pub const READ_ONLY_ACCESS: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

impl ReadOnlyBaseline {
    /// From a `ReadOnlyAccess` document (the snapshot's, or the vendored catalog's).
    pub fn of(document: Option<&serde_json::Value>) -> ReadOnlyBaseline {
        let catalog = Catalog::get();
        let mut actions = super::evaluate::ActionSet::empty(catalog.len());
        let mut unknown = Vec::new();
        let statements = document
            .and_then(|d| super::evaluate::statements(d, catalog).ok())
            .unwrap_or_default();
        // The document may come from a snapshot file: a pattern that names whole services
        // (`*`, `iam:*`) is no statement of read-only, and is not taken as one.
        let whole_service = |p: &str| p.trim() == "*" || p.trim().ends_with(":*");
        for statement in statements
            .iter()
            .filter(|s| s.effect == super::evaluate::Effect::Allow && !s.not_action)
        {
            for pattern in statement.actions.iter().filter(|p| !whole_service(p)) {
                let (found, is_unknown) = catalog.matching(pattern);
                for i in found {
                    actions.insert(i);
                }
                if is_unknown {
                    unknown.push(pattern.to_ascii_lowercase());
                }
            }
        }
        ReadOnlyBaseline { actions, unknown }
    }

    /// The baseline of the vendored catalog's `ReadOnlyAccess`.
    pub fn vendored() -> &'static ReadOnlyBaseline {
        static BASELINE: OnceLock<ReadOnlyBaseline> = OnceLock::new();
        BASELINE.get_or_init(|| {
            ReadOnlyBaseline::of(
                super::managed::ManagedCatalog::get()
                    .policy(READ_ONLY_ACCESS)
                    .map(|p| &p.document),
            )
        })
    }

    fn names_unknown(&self, action: &str) -> bool {
        let action = action.to_ascii_lowercase();
        self.unknown
            .iter()
            .any(|p| super::catalog::glob(p, &action))
    }
}

/// Capabilities, with read-only judged against the vendored catalog's `ReadOnlyAccess`.
pub fn of(analysis: &Analysis) -> Capabilities {
    of_with(analysis, ReadOnlyBaseline::vendored())
}

/// Capabilities, with read-only judged against `baseline`.
pub fn of_with(analysis: &Analysis, baseline: &ReadOnlyBaseline) -> Capabilities {
    let catalog = Catalog::get();
    let exceptions = read_only_exceptions();
    let mut caps = Capabilities::default();
    let allowed = |i: usize| matches!(analysis.decision(i), Decision::Allowed { .. });
    let on_every = |i: usize| {
        analysis.decision(i)
            == Decision::Allowed {
                every_resource: true,
            }
    };
    let assume_role = catalog.position("sts:AssumeRole");
    // Assuming a named role, with the session tags and source identity that go with it, is a
    // chained path whose power is that role's.
    let chained_actions: BTreeSet<usize> =
        ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
            .iter()
            .filter_map(|a| catalog.position(a))
            .collect();
    let mut writable = BTreeSet::new();
    let mut conditional = Vec::new();
    for (i, action) in catalog.actions.iter().enumerate() {
        let decision = analysis.decision(i);
        if decision == Decision::Denied {
            continue;
        }
        if decision == Decision::Conditional {
            conditional.push(i);
        }
        // On every resource, assuming roles is `can_assume_any_role`, and a write.
        let chained = chained_actions.contains(&i) && !on_every(i);
        if action.level.writes()
            && !exceptions.contains(&i)
            && !baseline.actions.contains(i)
            && !chained
        {
            writable.insert(action.service.clone());
        }
    }
    // An action the catalog does not know (newer than the catalog, or mistyped) may write,
    // unless its name reads or AWS's ReadOnlyAccess grants it.
    for unknown in analysis.unknown_actions() {
        if !reads_by_name(&unknown)
            && !baseline.names_unknown(&unknown)
            && (!analysis.has_ceiling() || analysis.decide(&unknown) != Decision::Denied)
        {
            writable.insert(
                unknown
                    .split(':')
                    .next()
                    .unwrap_or(&unknown)
                    .to_ascii_lowercase(),
            );
        }
    }
    caps.read_only = writable.is_empty();
    caps.writable_services = writable.into_iter().collect();

    let every_write_everywhere = catalog
        .actions
        .iter()
        .enumerate()
        .all(|(i, a)| !a.level.writes() || on_every(i));
    if every_write_everywhere {
        let i = catalog
            .position("iam:AttachRolePolicy")
            .expect("in the catalog");
        caps.admin_reasons.push(format!(
            "every action on every resource: {}",
            reason(analysis, i)
        ));
    }
    for method in ESCALATION_METHODS {
        let positions: Option<Vec<usize>> =
            method.actions.iter().map(|a| catalog.position(a)).collect();
        let Some(positions) = positions else { continue };
        if positions.iter().all(|&i| on_every(i)) {
            let sources: Vec<String> = positions.iter().map(|&i| reason(analysis, i)).collect();
            let path = format!("{}: {} ({})", method.name, method.means, sources.join("; "));
            if method.admin && !every_write_everywhere {
                caps.admin_reasons.push(path.clone());
            }
            caps.escalation_paths.push(path);
        }
    }
    caps.admin_equivalent = !caps.admin_reasons.is_empty();
    let any = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| catalog.position(n))
            .any(|i| analysis.decision(i) != Decision::Denied)
    };
    caps.can_assume_root = any(&["sts:AssumeRoot"]);
    caps.can_manage_identity_center = any(IDENTITY_CENTER_WRITES);
    caps.can_manage_organization = catalog.actions.iter().enumerate().any(|(i, a)| {
        (a.service == "organizations" || a.service == "account")
            && matches!(
                a.level,
                super::catalog::AccessLevel::Write
                    | super::catalog::AccessLevel::PermissionsManagement
            )
            && allowed(i)
    });
    caps.can_assume_any_role = assume_role.is_some_and(on_every);
    caps.conditional_grants = conditional
        .iter()
        .take(50)
        .map(|&i| reason(analysis, i))
        .collect();
    if conditional.len() > 50 {
        caps.conditional_grants
            .push(format!("and {} more", conditional.len() - 50));
    }
    caps.unknown
        .extend(analysis.unknown_policies.iter().cloned());
    caps.unknown.extend(analysis.malformed.iter().cloned());
    caps.unknown_actions = analysis.unknown_actions();
    caps.guardrails = removed_by_guardrails(analysis);
    caps
}

/// What a permission set can do in any of the accounts of `parts` (one per analysis): the
/// most any of them allows, and every reason.
pub fn merge(parts: &[&Capabilities]) -> Capabilities {
    fn union(lists: impl Iterator<Item = Vec<String>>) -> Vec<String> {
        let mut all: Vec<String> = lists.flatten().collect();
        all.sort();
        all.dedup();
        all
    }
    let any = |f: fn(&Capabilities) -> bool| parts.iter().any(|c| f(c));
    Capabilities {
        read_only: parts.iter().all(|c| c.read_only),
        writable_services: union(parts.iter().map(|c| c.writable_services.clone())),
        admin_equivalent: any(|c| c.admin_equivalent),
        admin_reasons: union(parts.iter().map(|c| c.admin_reasons.clone())),
        escalation_paths: union(parts.iter().map(|c| c.escalation_paths.clone())),
        can_assume_root: any(|c| c.can_assume_root),
        can_manage_identity_center: any(|c| c.can_manage_identity_center),
        can_manage_organization: any(|c| c.can_manage_organization),
        can_assume_any_role: any(|c| c.can_assume_any_role),
        conditional_grants: union(parts.iter().map(|c| c.conditional_grants.clone())),
        unknown: union(parts.iter().map(|c| c.unknown.clone())),
        unknown_actions: union(parts.iter().map(|c| c.unknown_actions.clone())),
        guardrails: union(parts.iter().map(|c| c.guardrails.clone())),
    }
}

/// What the guardrails deny of what the policies and boundary allow, grouped by the reason
/// (the level and SCP that deny it), the largest first, with examples that write.
fn removed_by_guardrails(analysis: &Analysis) -> Vec<String> {
    if !analysis.has_ceiling() {
        return Vec::new();
    }
    let catalog = Catalog::get();
    let mut by_reason: std::collections::BTreeMap<String, (usize, Vec<String>)> =
        Default::default();
    for (i, action) in catalog.actions.iter().enumerate() {
        if analysis.uncapped(i) == Decision::Denied || analysis.decision(i) != Decision::Denied {
            continue;
        }
        let Some(reason) = analysis.ceiling_denial(i) else {
            continue;
        };
        let entry = by_reason.entry(reason).or_default();
        entry.0 += 1;
        if action.level.writes() && entry.1.len() < 3 {
            entry.1.push(action.full_name());
        }
    }
    let mut lines: Vec<(usize, String)> = by_reason
        .into_iter()
        .map(|(reason, (count, examples))| {
            let noun = if count == 1 { "action" } else { "actions" };
            let examples = if examples.is_empty() {
                String::new()
            } else {
                format!(" (e.g. {})", examples.join(", "))
            };
            (count, format!("{reason}: {count} {noun}{examples}"))
        })
        .collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    lines.into_iter().map(|(_, line)| line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{PermissionSet, PermissionsBoundary, Snapshot};
    use serde_json::json;

    fn reference(name: &str) -> Capabilities {
        let snapshot = Snapshot::from_slice(
            include_bytes!("../../fixtures/reference-compliant.snapshot.json"),
            "fixture",
        )
        .unwrap();
        let set = snapshot
            .permission_sets
            .iter()
            .find(|p| p.name == name)
            .unwrap();
        of(&crate::iam::analyse(&snapshot, set))
    }

    fn set(
        managed: &[&str],
        inline: Option<serde_json::Value>,
        boundary: Option<&str>,
    ) -> Capabilities {
        let snapshot = Snapshot::default();
        let set = PermissionSet {
            arn: "arn:aws:sso:::permissionSet/ssoins-x/ps-x".into(),
            name: "Innocent".into(),
            managed_policies: managed
                .iter()
                .map(|m| format!("arn:aws:iam::aws:policy/{m}"))
                .collect(),
            inline_policy: inline,
            permissions_boundary: boundary.map(|b| PermissionsBoundary {
                managed_policy_arn: Some(format!("arn:aws:iam::aws:policy/{b}")),
                customer_managed_policy: None,
            }),
            ..Default::default()
        };
        of(&crate::iam::analyse(&snapshot, &set))
    }

    fn inline(statements: serde_json::Value) -> Option<serde_json::Value> {
        Some(json!({"Version": "2012-10-17", "Statement": statements}))
    }

    #[test]
    fn the_reference_sets_come_out_right() {
        let plan = reference("TerraformPlanAccess");
        assert!(plan.read_only, "{:?}", plan.writable_services);
        assert!(!plan.admin_equivalent && !plan.can_assume_any_role && !plan.can_assume_root);
        let read = reference("ReadOnlyAccess");
        assert_eq!(read.writable_services, ["support", "support-console"]);
        let root = reference("RootAccess");
        assert!(root.can_assume_root && !root.admin_equivalent);
        let admin = reference("AdministratorAccess");
        assert!(
            admin.admin_equivalent
                && admin.can_manage_identity_center
                && admin.can_manage_organization
        );
        assert!(
            admin.admin_reasons[0].starts_with(
                "every action on every resource: AdministratorAccess (AWS managed, v1"
            ),
            "{:?}",
            admin.admin_reasons
        );
        let power = reference("PowerUserAccess");
        assert!(!power.admin_equivalent, "{:?}", power.admin_reasons);
        assert!(
            power
                .escalation_paths
                .iter()
                .any(|p| p.starts_with("EditExistingLambdaFunctionWithRole"))
        );
        let billing = reference("BillingReadOnlyAccess");
        assert_eq!(billing.writable_services, ["support", "support-console"]);
        let state = reference("TerraformStateAccess");
        assert!(!state.admin_equivalent);
    }

    #[test]
    fn renamed_and_rewritten_admin_is_found() {
        // IAM policy attachment with wildcards in the action names.
        let attach = set(
            &[],
            inline(json!([{"Effect": "Allow", "Action": "iam:Attach*", "Resource": "*"}])),
            None,
        );
        assert!(attach.admin_equivalent);
        assert!(attach.admin_reasons.iter().any(|r| r.starts_with("AttachRolePolicy: attach any policy to a role you can assume (inline policy, statement 0, allows iam:Attach* → iam:AttachRolePolicy)")), "{:?}", attach.admin_reasons);
        // An AWS managed policy other than AdministratorAccess that allows all of IAM.
        let iam_full = set(&["IAMFullAccess"], None, None);
        assert!(iam_full.admin_equivalent);
        assert!(
            iam_full
                .admin_reasons
                .iter()
                .any(|r| r.contains("IAMFullAccess (AWS managed")),
            "{:?}",
            iam_full.admin_reasons
        );
        // NotAction.
        let not_action = set(
            &[],
            inline(json!([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}])),
            None,
        );
        assert!(not_action.admin_equivalent);
        // Action * on a wildcard ARN.
        let wildcard_arn = set(
            &[],
            inline(json!([{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"}])),
            None,
        );
        assert!(wildcard_arn.admin_equivalent);
        // sts:AssumeRoot, Identity Center writes, AssumeRole on everything.
        let root = set(
            &[],
            inline(json!([{"Effect": "Allow", "Action": "sts:AssumeRoot", "Resource": "*"}])),
            None,
        );
        assert!(root.can_assume_root && !root.read_only);
        let idc = set(
            &[],
            inline(
                json!([{"Effect": "Allow", "Action": ["sso:CreateAccountAssignment"], "Resource": "*"}]),
            ),
            None,
        );
        assert!(idc.can_manage_identity_center);
        let store = set(
            &[],
            inline(
                json!([{"Effect": "Allow", "Action": ["identitystore:CreateGroupMembership"], "Resource": "*"}]),
            ),
            None,
        );
        assert!(store.can_manage_identity_center);
        let any_role = set(
            &[],
            inline(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])),
            None,
        );
        assert!(any_role.can_assume_any_role && !any_role.read_only);
        let named_role = set(
            &[],
            inline(
                json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::1:role/x"}]),
            ),
            None,
        );
        assert!(!named_role.can_assume_any_role && named_role.read_only);
        // PassRole with a service that runs code as the role.
        let pass = set(
            &[],
            inline(
                json!([{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]),
            ),
            None,
        );
        assert!(pass.admin_equivalent);
        let pass_scoped = set(
            &[],
            inline(
                json!([{"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "arn:aws:iam::1:role/app"}, {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]),
            ),
            None,
        );
        assert!(!pass_scoped.admin_equivalent);
    }

    #[test]
    fn a_forged_read_only_baseline_exempts_no_whole_service() {
        let forged = ReadOnlyBaseline::of(Some(&json!({"Statement": [
            {"Effect": "Allow", "Action": ["*", "iam:*", "s3:Get*"], "Resource": "*"}]})));
        let caps = of_with(
            &crate::iam::analyse(
                &Snapshot::default(),
                &PermissionSet {
                    inline_policy: inline(
                        json!([{"Effect": "Allow", "Action": ["iam:CreateUser", "s3:GetObject"], "Resource": "*"}]),
                    ),
                    ..Default::default()
                },
            ),
            &forged,
        );
        assert_eq!(caps.writable_services, ["iam"]);
    }

    #[test]
    fn a_boundary_caps_an_administrator_named_set() {
        let capped = set(&["AdministratorAccess"], None, Some("ReadOnlyAccess"));
        assert!(!capped.admin_equivalent, "{:?}", capped.admin_reasons);
        assert!(capped.read_only, "{:?}", capped.writable_services);
    }

    #[test]
    fn conditional_grants_are_reported_and_unknowns_are_kept() {
        let conditional = set(
            &[],
            inline(
                json!([{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]),
            ),
            None,
        );
        assert!(!conditional.admin_equivalent);
        assert!(!conditional.read_only);
        assert_eq!(conditional.conditional_grants.len(), 1);
        assert!(conditional.conditional_grants[0].contains("iam:AttachRolePolicy"));
        let unknown = set(
            &["NoSuchPolicy"],
            inline(
                json!([{"Effect": "Allow", "Action": "brandnew:DeleteEverything", "Resource": "*"}]),
            ),
            None,
        );
        assert!(unknown.unknown[0].contains("NoSuchPolicy"));
        assert_eq!(unknown.unknown_actions, ["brandnew:DeleteEverything"]);
        assert!(!unknown.read_only);
        let reads = set(
            &[],
            inline(json!([{"Effect": "Allow", "Action": "brandnew:GetThing", "Resource": "*"}])),
            None,
        );
        assert!(reads.read_only);
    }
}
