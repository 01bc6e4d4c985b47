//! `check: member-accounts`: what the member role read in member accounts (`params.kind`).
//!
//! - `iam-user-credentials`: IAM users with a console password or an active access key, access
//!   that bypasses Identity Center, with when each was last used;
//! - `reserved-role-drift`: the `AWSReservedSSO_<set>_<hex>` roles Identity Center provisions,
//!   matched to their sets: a role whose policies differ from its set's, a role of a set that no
//!   longer exists or is not assigned in its account.

use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::findings::{AccountRef, PermissionSetRef, Resource};
use crate::snapshot::{MemberAccount, MemberRole, PermissionSet, Snapshot};
use crate::subjects::{self, Field, MemberRow, SubjectKind};
use crate::vocabulary::{DataArea, ResourceKind};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    IamUserCredentials,
    ReservedRoleDrift,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::IamUserCredentials => "iam-user-credentials",
            Kind::ReservedRoleDrift => "reserved-role-drift",
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    kind: Kind,
}

#[derive(Debug)]
struct MemberCheck {
    kind: Kind,
}

pub(super) fn parse(
    subject: SubjectKind,
    text: &str,
    at_check: impl Fn(String) -> CheckError,
) -> Result<Arc<dyn Check>, CheckError> {
    if subject != SubjectKind::Account {
        return Err(at_check(format!(
            "check `member-accounts` applies to subject `account`, not `{}`",
            subject.name()
        )));
    }
    let params: Params = super::params(text)?;
    Ok(Arc::new(MemberCheck { kind: params.kind }))
}

pub use crate::iam::reserved_set_name;

impl Check for MemberCheck {
    fn describe(&self) -> String {
        format!(
            "member-accounts ({}); reads what the member role read in each member account",
            self.kind.name()
        )
    }

    fn reads(&self) -> &'static [DataArea] {
        match self.kind {
            Kind::IamUserCredentials => &[DataArea::MemberAccounts],
            Kind::ReservedRoleDrift => &[
                DataArea::MemberAccounts,
                DataArea::PermissionSets,
                DataArea::PermissionSetPolicies,
                DataArea::Assignments,
            ],
        }
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("iam", subjects::MEMBER_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let model = input.model;
        let snapshot = model.snapshot;
        let mut findings = Vec::new();
        for member in snapshot.member_accounts.iter().flatten() {
            let account = AccountRef {
                id: member.account_id.clone(),
                name: super::events::account_name(model, &member.account_id),
            };
            match self.kind {
                Kind::IamUserCredentials => {
                    users(self.kind, member, &account, &mut findings);
                }
                Kind::ReservedRoleDrift => {
                    roles(self.kind, snapshot, model, member, &account, &mut findings);
                }
            }
        }
        findings
    }
}

/// What a finding is about: an IAM user or role of a member account.
struct Subject<'a> {
    kind: ResourceKind,
    name: &'a str,
    arn: &'a str,
    last_used: Option<&'a str>,
}

fn finding(
    kind: Kind,
    subject: Subject,
    account: &AccountRef,
    detail: String,
    permission_set: Option<PermissionSetRef>,
) -> CheckFinding {
    let row = MemberRow {
        kind: kind.name(),
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        name: subject.name.to_string(),
        arn: subject.arn.to_string(),
        last_used: subject.last_used.unwrap_or_default().to_string(),
        detail,
    };
    CheckFinding {
        resource: Resource {
            kind: subject.kind,
            id: subject.arn.to_string(),
            name: format!("{} in {}", subject.name, account.name),
        },
        account: Some(account.clone()),
        principal: None,
        permission_set,
        location: None,
        value: subjects::value_of(subjects::MEMBER_FIELDS, &row),
    }
}

/// IAM users that can sign in or hold an active access key.
fn users(kind: Kind, member: &MemberAccount, account: &AccountRef, out: &mut Vec<CheckFinding>) {
    for user in &member.users {
        let mut parts = Vec::new();
        let mut last: Option<&str> = None;
        let used = |t: Option<&str>| match t {
            Some(t) => format!("last used {t}"),
            None => "never used".to_string(),
        };
        if user.console_password {
            parts.push(format!(
                "console password ({})",
                used(user.password_last_used.as_deref())
            ));
            last = last.max(user.password_last_used.as_deref());
        }
        for key in user.access_keys.iter().filter(|k| k.status == "Active") {
            parts.push(format!(
                "active access key {} ({})",
                key.id,
                used(key.last_used.as_deref())
            ));
            last = last.max(key.last_used.as_deref());
        }
        if parts.is_empty() {
            continue;
        }
        let subject = Subject {
            kind: ResourceKind::IamUser,
            name: &user.name,
            arn: &user.arn,
            last_used: last,
        };
        out.push(finding(kind, subject, account, parts.join("; "), None));
    }
}

/// Reserved roles matched to their sets.
fn roles(
    kind: Kind,
    snapshot: &Snapshot,
    model: &crate::model::Model,
    member: &MemberAccount,
    account: &AccountRef,
    out: &mut Vec<CheckFinding>,
) {
    for role in &member.roles {
        let Some(set_name) = reserved_set_name(role) else {
            continue;
        };
        let set = snapshot
            .permission_sets
            .iter()
            .position(|s| s.name == set_name);
        let reference = |set: &PermissionSet| PermissionSetRef {
            name: set.name.clone(),
            arn: set.arn.clone(),
        };
        let (detail, permission_set) = match set {
            None => (
                format!(
                    "provisioned for permission set {set_name}, which no longer exists in Identity Center"
                ),
                None,
            ),
            Some(p) if !model.permission_set_assigned_accounts[p].contains(account.id.as_str()) => {
                let set = &snapshot.permission_sets[p];
                (
                    format!(
                        "provisioned for permission set {set_name}, which is not assigned in this account: nobody signs in to it through Identity Center, and it stays until the set is deprovisioned"
                    ),
                    Some(reference(set)),
                )
            }
            Some(p) => {
                let set = &snapshot.permission_sets[p];
                let differences = differences(set, role, &member.account_id);
                if differences.is_empty() {
                    continue;
                }
                let outdated = if set.outdated_accounts.contains(&member.account_id) {
                    " (the set's latest version is not provisioned here: see permission-set-not-provisioned)"
                } else {
                    ""
                };
                (
                    format!(
                        "its policies differ from permission set {set_name}'s{outdated}: {}",
                        differences.join("; ")
                    ),
                    Some(reference(set)),
                )
            }
        };
        let subject = Subject {
            kind: ResourceKind::IamRole,
            name: &role.role.name,
            arn: &role.role.arn,
            last_used: role.last_used.as_deref(),
        };
        out.push(finding(kind, subject, account, detail, permission_set));
    }
}

/// How a reserved role's policies differ from what its set provisions in `account_id`.
pub fn differences(set: &PermissionSet, role: &MemberRole, account_id: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut expected: Vec<String> = set.managed_policies.clone();
    expected.extend(
        set.customer_managed_policies
            .iter()
            .map(|r| crate::iam::customer_managed_arn("aws", account_id, r)),
    );
    expected.sort();
    let mut actual = role.role.managed_policies.clone();
    actual.sort();
    for extra in actual.iter().filter(|a| !expected.contains(a)) {
        out.push(format!("{extra} attached, not in the set"));
    }
    for missing in expected.iter().filter(|e| !actual.contains(e)) {
        out.push(format!("{missing} of the set not attached"));
    }
    let inline: Vec<&serde_json::Value> = role
        .role
        .inline_policies
        .iter()
        .map(|p| &p.document)
        .collect();
    match (&set.inline_policy, inline.as_slice()) {
        (None, []) => {}
        (Some(wanted), [found]) if crate::policy::same_document(wanted, found) => {}
        (None, _) => out.push(format!(
            "inline policies {} added (the set has none)",
            names(role)
        )),
        (Some(_), []) => out.push("the set's inline policy is missing".into()),
        (Some(_), _) => out.push(format!(
            "inline policy {} differs from the set's",
            names(role)
        )),
    }
    let expected_boundary = set.permissions_boundary.as_ref().and_then(|b| {
        b.managed_policy_arn.clone().or_else(|| {
            b.customer_managed_policy
                .as_ref()
                .map(|r| crate::iam::customer_managed_arn("aws", account_id, r))
        })
    });
    if expected_boundary != role.role.permissions_boundary {
        out.push(format!(
            "permissions boundary {} (the set's: {})",
            role.role.permissions_boundary.as_deref().unwrap_or("none"),
            expected_boundary.as_deref().unwrap_or("none")
        ));
    }
    out
}

fn names(role: &MemberRole) -> String {
    role.role
        .inline_policies
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Role, RoleInlinePolicy};
    use serde_json::json;

    fn role(name: &str, path: &str) -> MemberRole {
        MemberRole {
            role: Role {
                arn: format!("arn:aws:iam::1:role{path}{name}"),
                name: name.into(),
                ..Default::default()
            },
            path: path.into(),
            last_used: None,
        }
    }

    #[test]
    fn reserved_roles_are_matched_by_path_and_name() {
        let name = "AWSReservedSSO_Admin_Access_0123456789abcdef";
        let of = |path: &str| reserved_set_name(&role(name, path)).map(str::to_string);
        assert_eq!(
            of("/aws-reserved/sso.amazonaws.com/").as_deref(),
            Some("Admin_Access")
        );
        assert_eq!(
            of("/aws-reserved/sso.amazonaws.com/eu-west-1/").as_deref(),
            Some("Admin_Access")
        );
        // The name alone is not enough: anyone can create a role called so elsewhere.
        assert_eq!(of("/"), None);
        assert_eq!(
            reserved_set_name(&role(
                "AWSReservedSSO_Admin_xyz",
                "/aws-reserved/sso.amazonaws.com/"
            )),
            None
        );
    }

    #[test]
    fn a_role_that_carries_its_sets_policies_does_not_differ() {
        let set = PermissionSet {
            name: "Ops".into(),
            managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            customer_managed_policies: vec![crate::snapshot::CustomerManagedPolicy {
                name: "tools".into(),
                path: "/".into(),
            }],
            inline_policy: Some(
                json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}),
            ),
            ..Default::default()
        };
        let mut provisioned = role(
            "AWSReservedSSO_Ops_0123456789abcdef",
            "/aws-reserved/sso.amazonaws.com/",
        );
        provisioned.role.managed_policies = vec![
            "arn:aws:iam::22:policy/tools".into(),
            "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        ];
        provisioned.role.inline_policies = vec![RoleInlinePolicy {
            name: "AwsSSOInlinePolicy".into(),
            document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]}),
        }];
        assert!(differences(&set, &provisioned, "22").is_empty());
        // Edited in IAM: a statement added to the inline policy, a boundary set.
        let mut edited = provisioned.clone();
        edited.role.inline_policies[0].document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        edited.role.permissions_boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".into());
        assert_eq!(
            differences(&set, &edited, "22"),
            [
                "inline policy AwsSSOInlinePolicy differs from the set's",
                "permissions boundary arn:aws:iam::aws:policy/PowerUserAccess (the set's: none)"
            ]
        );
    }
}
