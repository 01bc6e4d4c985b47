//! The organization's guardrails as they bound one account: the service control policies
//! attached at each level from the root through the OUs to the account, and the resource
//! control policies over the account's resources.
//!
//! AWS's rules: in a member account an action is allowed only if, at every level, some
//! attached SCP allows it, and no SCP at any level denies it. The management account is
//! exempt, and so are service-linked roles. A policy type that is not enabled on the root
//! applies nowhere.

use super::evaluate::{self, Decision, Policy, Role};
use crate::snapshot::{Guardrails, OrganizationPolicy, Snapshot};
use crate::vocabulary::DataArea;

/// One level of the hierarchy above an account, and the policies attached there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level {
    /// `root Root (r-1a2b)`, `OU Root/Workloads (ou-1a2b-x)`, `account prod (1111)`.
    pub target: String,
    /// Positions in the snapshot's guardrail policies, sorted.
    pub policies: Vec<usize>,
}

/// The levels from the root down to an account of one policy type.
pub type Ceiling = Vec<Level>;

/// Whether the guardrails can be applied at all: read, without a gap. An unread Allow would
/// deny everything below it, so a partial read is not applied (capabilities stay what the
/// policies allow, and rules that read them carry the `guardrails` gap).
fn usable(snapshot: &Snapshot) -> Option<&Guardrails> {
    let guardrails = snapshot.guardrails.as_ref()?;
    if snapshot.gaps.iter().any(|g| g.area == DataArea::Guardrails) {
        return None;
    }
    Some(guardrails)
}

fn is_management(snapshot: &Snapshot, account_id: &str) -> bool {
    account_id == snapshot.organization.management_account_id
        || account_id == snapshot.metadata.management_account_id
}

/// The levels of policies of `kind` above `account_id`, root first; None where they do not
/// apply (not read, not enabled, the management account, an account outside the tree).
pub fn ceiling(snapshot: &Snapshot, account_id: &str, kind: &str) -> Option<Ceiling> {
    let guardrails = usable(snapshot)?;
    if !guardrails.enabled(kind) || account_id.is_empty() || is_management(snapshot, account_id) {
        return None;
    }
    let org = &snapshot.organization;
    let account = org.accounts.iter().find(|a| a.id == account_id)?;
    let attached = |target: &str| -> Vec<usize> {
        guardrails
            .policies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == kind && p.targets.iter().any(|t| t == target))
            .map(|(i, _)| i)
            .collect()
    };
    let mut levels = vec![Level {
        // Not named: accounts under the same policies share one analysis.
        target: "the account".into(),
        policies: attached(&account.id),
    }];
    let mut parent = Some(account.parent_id.clone());
    let mut hops = 0;
    while let Some(id) = parent {
        let unit = org.organizational_units.iter().find(|u| u.id == id)?;
        let what = if unit.parent_id.is_none() {
            "root"
        } else {
            "OU"
        };
        levels.push(Level {
            target: format!("{what} {} ({})", unit.path, unit.id),
            policies: attached(&unit.id),
        });
        parent = unit.parent_id.clone();
        hops += 1;
        if hops > 10 {
            // Organizations nests OUs five deep; a longer chain is a cycle in a bad file.
            return None;
        }
    }
    levels.reverse();
    Some(levels)
}

/// How findings name a guardrail policy at a level: `SCP DenyAll (p-1) at OU Root/Frozen
/// (ou-1)`.
pub fn label(policy: &OrganizationPolicy, level: &Level) -> String {
    let kind = if policy.kind == Guardrails::RCP {
        "RCP"
    } else {
        "SCP"
    };
    format!("{kind} {} ({}) at {}", policy.name, policy.id, level.target)
}

/// The policies of a ceiling as `Role::Ceiling` policies of an analysis; a document that is
/// not an IAM policy is reported in `malformed` (the ceiling is then incomplete).
pub fn policies(
    snapshot: &Snapshot,
    ceiling: &Ceiling,
    malformed: &mut Vec<String>,
) -> Vec<Policy> {
    let Some(guardrails) = snapshot.guardrails.as_ref() else {
        return Vec::new();
    };
    let catalog = super::catalog::Catalog::get();
    let mut out = Vec::new();
    for (n, level) in ceiling.iter().enumerate() {
        let role = Role::Ceiling(n.min(u8::MAX as usize) as u8);
        if level.policies.is_empty() {
            // Nothing attached: nothing is allowed below this level.
            out.push(Policy {
                label: format!("no SCP attached at {}", level.target),
                role,
                statements: Vec::new(),
            });
        }
        for &p in &level.policies {
            let policy = &guardrails.policies[p];
            let label = label(policy, level);
            match evaluate::statements(&policy.document, catalog) {
                Ok(statements) => out.push(Policy {
                    label,
                    role,
                    statements,
                }),
                Err(error) => malformed.push(format!("{label}: {error}")),
            }
        }
    }
    out
}

/// Whether the RCPs over `account_id`'s resources let a principal outside the account
/// perform `action` on them: `Denied` when some level allows it nowhere or denies it on
/// every resource; None where RCPs do not apply (see `ceiling`).
pub fn resource_decision(snapshot: &Snapshot, account_id: &str, action: &str) -> Option<Decision> {
    let ceiling = ceiling(snapshot, account_id, Guardrails::RCP)?;
    let mut malformed = Vec::new();
    let policies = policies(snapshot, &ceiling, &mut malformed);
    if !malformed.is_empty() {
        return None;
    }
    Some(evaluate::Analysis::new(policies, Vec::new(), Vec::new()).decide_capped(action))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Account, OrganizationalUnit};
    use serde_json::json;

    fn org() -> Snapshot {
        let mut s = Snapshot::default();
        s.metadata.management_account_id = "100000000001".into();
        s.organization.management_account_id = "100000000001".into();
        s.organization.organizational_units = vec![
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
        for (id, parent) in [("100000000001", "r-1"), ("100000000002", "ou-1")] {
            s.organization.accounts.push(Account {
                id: id.into(),
                name: format!("a{id}"),
                parent_id: parent.into(),
                ..Default::default()
            });
        }
        let full = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        s.guardrails = Some(Guardrails {
            enabled_types: vec![Guardrails::SCP.into(), Guardrails::RCP.into()],
            policies: vec![
                OrganizationPolicy {
                    id: "p-FullAWSAccess".into(),
                    name: "FullAWSAccess".into(),
                    kind: Guardrails::SCP.into(),
                    aws_managed: true,
                    document: full.clone(),
                    targets: vec!["r-1".into(), "100000000002".into()],
                },
                OrganizationPolicy {
                    id: "p-s3only".into(),
                    name: "S3Only".into(),
                    kind: Guardrails::SCP.into(),
                    aws_managed: false,
                    document: json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
                    targets: vec!["ou-1".into()],
                },
                // As in AWS: the full-access RCP at every level, a deny beside it at the root.
                OrganizationPolicy {
                    id: "p-RCPFullAWSAccess".into(),
                    name: "RCPFullAWSAccess".into(),
                    kind: Guardrails::RCP.into(),
                    aws_managed: true,
                    document: json!({"Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
                    ]}),
                    targets: vec!["r-1".into(), "ou-1".into(), "100000000002".into()],
                },
                OrganizationPolicy {
                    id: "p-rcp".into(),
                    name: "NoOutsideAssume".into(),
                    kind: Guardrails::RCP.into(),
                    aws_managed: false,
                    document: json!({"Statement": [
                        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}
                    ]}),
                    targets: vec!["r-1".into()],
                },
            ],
        });
        s
    }

    #[test]
    fn levels_run_from_the_root_to_the_account_and_spare_the_management_account() {
        let s = org();
        let levels = ceiling(&s, "100000000002", Guardrails::SCP).unwrap();
        let targets: Vec<&str> = levels.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(
            targets,
            ["root Root (r-1)", "OU Root/Workloads (ou-1)", "the account"]
        );
        assert_eq!(levels[1].policies, [1]);
        assert!(ceiling(&s, "100000000001", Guardrails::SCP).is_none());
        // Not enabled: applies nowhere.
        let mut off = org();
        off.guardrails.as_mut().unwrap().enabled_types = vec![Guardrails::RCP.into()];
        assert!(ceiling(&off, "100000000002", Guardrails::SCP).is_none());
        // A gap in what was read: not applied.
        let mut gap = org();
        gap.gaps.push(crate::snapshot::Gap {
            area: DataArea::Guardrails,
            operation: "organizations:DescribePolicy".into(),
            resource: "p-s3only".into(),
            error: "AccessDenied".into(),
        });
        assert!(ceiling(&gap, "100000000002", Guardrails::SCP).is_none());
    }

    #[test]
    fn an_allow_list_at_an_ou_caps_what_the_policies_allow() {
        let s = org();
        let levels = ceiling(&s, "100000000002", Guardrails::SCP).unwrap();
        let mut malformed = Vec::new();
        let mut policies = vec![Policy {
            label: "AdministratorAccess".into(),
            role: Role::Grants,
            statements: evaluate::statements(
                &json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
                super::super::catalog::Catalog::get(),
            )
            .unwrap(),
        }];
        policies.extend(super::policies(&s, &levels, &mut malformed));
        assert!(malformed.is_empty());
        let analysis = evaluate::Analysis::new(policies, Vec::new(), Vec::new());
        assert!(matches!(
            analysis.decide("s3:PutObject"),
            Decision::Allowed { .. }
        ));
        assert_eq!(analysis.decide("iam:CreateUser"), Decision::Denied);
        let i = super::super::catalog::Catalog::get()
            .position("iam:CreateUser")
            .unwrap();
        assert_eq!(
            analysis.ceiling_denial(i).unwrap(),
            "none of SCP S3Only (p-s3only) at OU Root/Workloads (ou-1) allows it"
        );
        assert_eq!(
            resource_decision(&s, "100000000002", "sts:AssumeRole"),
            Some(Decision::Denied)
        );
        assert!(matches!(
            resource_decision(&s, "100000000002", "s3:GetObject"),
            Some(Decision::Allowed { .. })
        ));
        assert_eq!(
            resource_decision(&s, "100000000001", "sts:AssumeRole"),
            None
        );
    }
}
