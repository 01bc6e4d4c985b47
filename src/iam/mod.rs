//! What permission sets can do, from their policies: the action catalog, AWS managed policy
//! documents, policy evaluation and the capabilities rules read.

pub mod capabilities;
pub mod catalog;
pub mod evaluate;
pub mod guardrails;
pub mod managed;
pub mod request;

/// Loads the embedded catalogs (actions, AWS managed policies) on a thread of their own, so
/// that a command pays for them while it reads its snapshot rather than after.
pub fn warm_catalogs() {
    std::thread::spawn(|| {
        catalog::Catalog::get();
        managed::ManagedCatalog::get();
    });
}

use crate::snapshot::{PermissionSet, Snapshot};
use evaluate::{Analysis, Policy, Role};
use std::collections::HashMap;
use std::sync::Arc;

/// The name of a managed policy ARN: `arn:aws:iam::aws:policy/job-function/Billing` → `Billing`.
fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The ARN of a customer managed policy reference in one account.
pub fn customer_managed_arn(
    partition: &str,
    account: &str,
    reference: &crate::snapshot::CustomerManagedPolicy,
) -> String {
    let path = if reference.path.is_empty() {
        "/"
    } else {
        &reference.path
    };
    format!(
        "arn:{partition}:iam::{account}:policy{path}{}",
        reference.name
    )
}

/// The management account's copy of a customer managed policy, when the snapshot holds it.
fn customer_managed_document<'a>(
    snapshot: &'a Snapshot,
    reference: &crate::snapshot::CustomerManagedPolicy,
) -> Option<(String, &'a serde_json::Value)> {
    let account = &snapshot.metadata.management_account_id;
    if account.is_empty() {
        return None;
    }
    let arn = customer_managed_arn("aws", account, reference);
    snapshot
        .policy_documents
        .iter()
        .find(|d| d.arn == arn)
        .map(|d| {
            (
                format!(
                    "{}{} (customer managed, {} in the management account)",
                    reference.path, reference.name, d.version
                ),
                &d.document,
            )
        })
}

/// A member account as the member role read it, if it was read.
pub fn member_account<'a>(
    snapshot: &'a Snapshot,
    account_id: &str,
) -> Option<&'a crate::snapshot::MemberAccount> {
    snapshot
        .member_accounts
        .as_ref()?
        .iter()
        .find(|m| m.account_id == account_id)
}

/// Why a member account's IAM is unknown: the member role was not given, or the account could
/// not be read through it.
/// The account is not named: the accounts it applies to share one analysis, and their gap
/// names them all.
fn unread_member(snapshot: &Snapshot) -> &'static str {
    if snapshot.member_accounts.is_none() {
        "the account was not read (scan with --member-role to read member accounts)"
    } else {
        "the account could not be read through the member role (see the member_accounts gaps)"
    }
}

/// `/acme/tools` of `arn:aws:iam::1:policy/acme/tools`.
pub fn policy_path_name(arn: &str) -> &str {
    arn.split_once(":policy").map_or(arn, |(_, n)| n)
}

/// A customer managed policy (by ARN) in the account where it lives: the management account's
/// from the scan's documents, a member account's from what the member role read; else why
/// not.
pub fn customer_managed_in<'a>(
    snapshot: &'a Snapshot,
    account_id: &str,
    arn: &str,
) -> Result<(String, &'a serde_json::Value), String> {
    let name = policy_path_name(arn);
    if account_id == snapshot.metadata.management_account_id {
        return snapshot
            .policy_documents
            .iter()
            .find(|d| d.arn == arn)
            .map(|d| {
                (
                    format!(
                        "{name} (customer managed, {} in the management account)",
                        d.version
                    ),
                    &d.document,
                )
            })
            .ok_or_else(|| "not read in the management account".to_string());
    }
    let Some(member) = member_account(snapshot, account_id) else {
        return Err(unread_member(snapshot).to_string());
    };
    member
        .policies
        .iter()
        .find(|d| d.arn == arn)
        .map(|d| {
            (
                format!("{name} (customer managed, {} in the account)", d.version),
                &d.document,
            )
        })
        .ok_or_else(|| {
            format!("account {account_id} has no such policy (Identity Center cannot provision a set that references it there)")
        })
}

/// The document of an AWS managed policy and how findings name it: the snapshot's (read by a
/// live scan), else the vendored catalog's.
fn managed_document<'a>(
    snapshot: &'a Snapshot,
    arn: &str,
) -> Option<(String, &'a serde_json::Value)> {
    if let Some(doc) = snapshot.policy_documents.iter().find(|d| d.arn == arn) {
        return Some((
            format!("{} (AWS managed, {})", policy_name(arn), doc.version),
            &doc.document,
        ));
    }
    let vendored = managed::ManagedCatalog::get();
    vendored.policy(arn).map(|p| {
        (
            format!(
                "{} (AWS managed, {}, catalog of {})",
                policy_name(arn),
                p.version,
                vendored.updated
            ),
            &p.document,
        )
    })
}

/// A document expanded against the catalog (or why it could not be).
type Expanded = Arc<Result<Vec<evaluate::Statement>, String>>;

/// Statements of documents already expanded, by managed policy ARN: a managed policy shared
/// by many sets is expanded against the catalog once.
#[derive(Default)]
pub struct StatementCache {
    by_arn: HashMap<String, Expanded>,
}

impl StatementCache {
    /// Expands every managed policy the snapshot's sets use (policies and boundaries), on all
    /// cores: the large ones (ReadOnlyAccess names thousands of action patterns) dominate.
    pub fn prefill(&mut self, snapshot: &Snapshot) {
        let arns: std::collections::BTreeSet<&str> = snapshot
            .permission_sets
            .iter()
            .flat_map(|set| {
                set.managed_policies.iter().map(String::as_str).chain(
                    set.permissions_boundary
                        .as_ref()
                        .and_then(|b| b.managed_policy_arn.as_deref()),
                )
            })
            .filter(|arn| !self.by_arn.contains_key(*arn))
            .collect();
        let work: Vec<(&str, &serde_json::Value)> = arns
            .into_iter()
            .filter_map(|arn| managed_document(snapshot, arn).map(|(_, d)| (arn, d)))
            .collect();
        let catalog = catalog::Catalog::get();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done = std::sync::Mutex::new(Vec::new());
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(work.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((arn, document)) = work.get(i) else {
                            break;
                        };
                        let expanded = evaluate::statements(document, catalog);
                        done.lock()
                            .expect("expansions")
                            .push((arn.to_string(), Arc::new(expanded)));
                    }
                });
            }
        });
        self.by_arn.extend(done.into_inner().expect("expansions"));
    }
}

/// The analysis of one permission set's policies: its inline policy, its managed policies
/// (from the snapshot's documents, else the vendored catalog), its permissions boundary.
/// Customer managed policies live in each account and their content is unknown here.
pub fn analyse(snapshot: &Snapshot, set: &PermissionSet) -> Analysis {
    analyse_with(snapshot, set, &mut StatementCache::default())
}

/// `analyse`, with managed policies expanded once across sets.
pub fn analyse_with(
    snapshot: &Snapshot,
    set: &PermissionSet,
    cache: &mut StatementCache,
) -> Analysis {
    analyse_in(snapshot, set, None, cache)
}

/// The analysis of a permission set as provisioned in one account (`Some`): its customer
/// managed policies and boundary resolved in that account, under the account's guardrails.
/// With `None`, the set as Identity Center holds it (customer managed policies as read in the
/// management account, known only when the set is assigned there alone).
pub fn analyse_in(
    snapshot: &Snapshot,
    set: &PermissionSet,
    account: Option<&str>,
    cache: &mut StatementCache,
) -> Analysis {
    let catalog = catalog::Catalog::get();
    let mut policies = Vec::new();
    let mut unknown = Vec::new();
    let mut malformed = Vec::new();
    let mut add = |label: String, role: Role, document: &serde_json::Value, arn: Option<&str>| {
        let expanded = match arn {
            Some(arn) => cache
                .by_arn
                .entry(arn.to_string())
                .or_insert_with(|| Arc::new(evaluate::statements(document, catalog)))
                .clone(),
            None => Arc::new(evaluate::statements(document, catalog)),
        };
        match expanded.as_ref() {
            Ok(statements) => policies.push(Policy {
                label,
                role,
                statements: statements.clone(),
            }),
            Err(error) => malformed.push(format!("{label}: {error}")),
        }
    };
    let managed = |arn: &str| managed_document(snapshot, arn);
    if let Some(inline) = &set.inline_policy {
        add("inline policy".into(), Role::Grants, inline, None);
    }
    for arn in &set.managed_policies {
        match managed(arn) {
            Some((label, document)) => add(label, Role::Grants, document, Some(arn)),
            None => unknown.push(format!(
                "managed policy {arn}: in neither the snapshot nor the vendored catalog"
            )),
        }
    }
    // Customer managed policies live in each account: the management account's copy is known
    // when the scan read it, and is the whole truth only when the set is assigned there alone.
    let assigned_elsewhere = || {
        snapshot.assignments.iter().any(|a| {
            a.permission_set_arn == set.arn
                && a.account_id != snapshot.metadata.management_account_id
        })
    };
    if let Some(account) = account {
        for reference in &set.customer_managed_policies {
            let arn = customer_managed_arn("aws", account, reference);
            match customer_managed_in(snapshot, account, &arn) {
                Ok((label, document)) => add(label, Role::Grants, document, None),
                Err(why) => unknown.push(format!(
                    "customer managed policy {}: {why}",
                    policy_path_name(&arn)
                )),
            }
        }
        if let Some(boundary) = &set.permissions_boundary {
            match (&boundary.managed_policy_arn, &boundary.customer_managed_policy) {
                (Some(arn), _) => match managed(arn) {
                    Some((label, document)) => {
                        add(format!("boundary {label}"), Role::Boundary, document, Some(arn))
                    }
                    None => unknown.push(format!(
                        "permissions boundary {arn}: in neither the snapshot nor the vendored catalog"
                    )),
                },
                (None, Some(reference)) => {
                    let arn = customer_managed_arn("aws", account, reference);
                    match customer_managed_in(snapshot, account, &arn) {
                        Ok((label, document)) => {
                            add(format!("boundary {label}"), Role::Boundary, document, None)
                        }
                        Err(why) => unknown.push(format!(
                            "permissions boundary {}: {why}",
                            policy_path_name(&arn)
                        )),
                    }
                }
                (None, None) => {}
            }
        }
        if let Some(ceiling) =
            guardrails::ceiling(snapshot, account, crate::snapshot::Guardrails::SCP)
        {
            policies.extend(guardrails::policies(snapshot, &ceiling, &mut malformed));
        }
        return Analysis::new(policies, unknown, malformed);
    }
    for reference in &set.customer_managed_policies {
        match customer_managed_document(snapshot, reference) {
            Some((label, document)) => {
                add(label, Role::Grants, document, None);
                if assigned_elsewhere() {
                    unknown.push(format!(
                        "customer managed policy {}{}: read in the management account; its copies in the other accounts the set is assigned in are unknown",
                        reference.path, reference.name
                    ));
                }
            }
            None => unknown.push(format!(
                "customer managed policy {}{}: its content lives in each account",
                reference.path, reference.name
            )),
        }
    }
    if let Some(boundary) = &set.permissions_boundary {
        match (&boundary.managed_policy_arn, &boundary.customer_managed_policy) {
            (Some(arn), _) => match managed(arn) {
                Some((label, document)) => {
                    add(format!("boundary {label}"), Role::Boundary, document, Some(arn))
                }
                None => unknown.push(format!(
                    "permissions boundary {arn}: in neither the snapshot nor the vendored catalog"
                )),
            },
            (None, Some(reference)) => match customer_managed_document(snapshot, reference) {
                // A cap known for the management account only is not applied to the others:
                // it would hide what the set may do there.
                Some(_) if assigned_elsewhere() => unknown.push(format!(
                    "permissions boundary {}{}: read in the management account, not applied: its copies in the other accounts the set is assigned in are unknown",
                    reference.path, reference.name
                )),
                Some((label, document)) => {
                    add(format!("boundary {label}"), Role::Boundary, document, None);
                }
                None => unknown.push(format!(
                    "permissions boundary {}{}: a customer managed policy whose content lives in each account",
                    reference.path, reference.name
                )),
            },
            (None, None) => {}
        }
    }
    Analysis::new(policies, unknown, malformed)
}

/// The path Identity Center provisions its roles under (a Region segment may follow).
pub const RESERVED_PATH: &str = "/aws-reserved/sso.amazonaws.com/";

/// The permission set name of a reserved role: `AWSReservedSSO_Admin_Access_0123456789abcdef`
/// → `Admin_Access`.
pub fn reserved_set_name(role: &crate::snapshot::MemberRole) -> Option<&str> {
    if !role.path.starts_with(RESERVED_PATH) {
        return None;
    }
    let rest = role.role.name.strip_prefix("AWSReservedSSO_")?;
    let (set, suffix) = rest.rsplit_once('_')?;
    (!set.is_empty() && suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(set)
}

/// The account of an IAM ARN: `arn:aws:iam::123456789012:role/x` → `123456789012`.
pub fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// How reports name a role: its ARN's resource, `arn:aws:iam::1:role/path/Admin` →
/// `role/path/Admin` (never mistaken for a permission set's name).
pub fn role_label(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

/// The name of a role ARN: `arn:aws:iam::1:role/path/Admin` → `Admin`.
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The analysis of an IAM role an entitlement reaches: its inline policies, its attached
/// managed policies (AWS managed from the snapshot or the vendored catalog, customer managed
/// as read in the role's account) and its permissions boundary; in a member account (read
/// through the member role) under the account's guardrails, unless it is service-linked.
pub fn analyse_role(snapshot: &Snapshot, arn: &str, cache: &mut StatementCache) -> Analysis {
    let account = arn_account(arn);
    let management = &snapshot.metadata.management_account_id;
    let unknown_role = |why: String| Analysis::new(Vec::new(), vec![why], Vec::new());
    let (role, service_linked) = if !account.is_empty() && account == management {
        // The roles entitlements reach, or the management account's IAM as read.
        let read = snapshot
            .account_access
            .iter()
            .flat_map(|a| &a.roles)
            .find(|r| r.arn == arn)
            .or_else(|| {
                member_account(snapshot, account)?
                    .roles
                    .iter()
                    .map(|r| &r.role)
                    .find(|r| r.arn == arn)
            });
        match read {
            Some(role) => (role, false),
            None => {
                return unknown_role(format!(
                    "IAM role {arn}: its policies were not read (see the collection gaps)"
                ));
            }
        }
    } else {
        let Some(member) = member_account(snapshot, account) else {
            return unknown_role(format!(
                "IAM role {arn} in account {account}: {}",
                unread_member(snapshot)
            ));
        };
        match member.roles.iter().find(|r| r.role.arn == arn) {
            Some(role) => (&role.role, role.path.starts_with("/aws-service-role/")),
            None => {
                return unknown_role(format!(
                    "IAM role {arn}: account {account} has no such role (deleted, or the entitlement names it wrongly)"
                ));
            }
        }
    };
    analyse_role_as(snapshot, account, role, service_linked, cache)
}

/// The analysis of `role` in `account`: its inline, attached and boundary policies, under the
/// account's guardrails unless it is service-linked.
pub fn analyse_role_as(
    snapshot: &Snapshot,
    account: &str,
    role: &crate::snapshot::Role,
    service_linked: bool,
    cache: &mut StatementCache,
) -> Analysis {
    let inline: Vec<(String, &serde_json::Value)> = role
        .inline_policies
        .iter()
        .map(|p| {
            (
                format!("inline policy {} of role {}", p.name, role.name),
                &p.document,
            )
        })
        .collect();
    let managed: Vec<&str> = role.managed_policies.iter().map(String::as_str).collect();
    analyse_identity(
        snapshot,
        account,
        &format!("role {}", role.name),
        &inline,
        &managed,
        role.permissions_boundary.as_deref(),
        !service_linked,
        cache,
    )
}

/// The analysis of an IAM user of a member account: its own and its groups' inline and
/// attached policies, its boundary, under the account's guardrails.
pub fn analyse_user(
    snapshot: &Snapshot,
    member: &crate::snapshot::MemberAccount,
    user: &crate::snapshot::IamUser,
    cache: &mut StatementCache,
) -> Analysis {
    let mut inline: Vec<(String, &serde_json::Value)> = user
        .inline_policies
        .iter()
        .map(|p| {
            (
                format!("inline policy {} of user {}", p.name, user.name),
                &p.document,
            )
        })
        .collect();
    let mut managed: Vec<&str> = user.managed_policies.iter().map(String::as_str).collect();
    for group in member
        .groups
        .iter()
        .filter(|g| user.groups.iter().any(|n| *n == g.name || *n == g.arn))
    {
        inline.extend(group.inline_policies.iter().map(|p| {
            (
                format!("inline policy {} of group {}", p.name, group.name),
                &p.document,
            )
        }));
        managed.extend(group.managed_policies.iter().map(String::as_str));
    }
    analyse_identity(
        snapshot,
        &member.account_id,
        &format!("user {}", user.name),
        &inline,
        &managed,
        user.permissions_boundary.as_deref(),
        true,
        cache,
    )
}

/// The analysis of an IAM identity's policies in `account`: inline documents (with their
/// labels), attached managed policies by ARN, a boundary; under the account's SCPs when
/// `capped`.
#[allow(clippy::too_many_arguments)]
fn analyse_identity(
    snapshot: &Snapshot,
    account: &str,
    who: &str,
    inline: &[(String, &serde_json::Value)],
    managed: &[&str],
    boundary: Option<&str>,
    capped: bool,
    cache: &mut StatementCache,
) -> Analysis {
    let catalog = catalog::Catalog::get();
    let mut policies = Vec::new();
    let mut unknown = Vec::new();
    let mut malformed = Vec::new();
    let mut add =
        |label: String, role: Role, expanded: Arc<Result<Vec<evaluate::Statement>, String>>| {
            match expanded.as_ref() {
                Ok(statements) => policies.push(Policy {
                    label,
                    role,
                    statements: statements.clone(),
                }),
                Err(error) => malformed.push(format!("{label}: {error}")),
            }
        };
    for (label, document) in inline {
        add(
            label.clone(),
            Role::Grants,
            Arc::new(evaluate::statements(document, catalog)),
        );
    }
    // An attached or boundary policy: AWS managed from the snapshot or the vendored catalog,
    // customer managed from the identity's own account. Customer managed documents are cached
    // by ARN, which names their account.
    let mut document = |policy: &str| -> Result<(String, Expanded), String> {
        let (label, document) = if policy.contains(":iam::aws:policy/") {
            managed_document(snapshot, policy).ok_or_else(|| {
                format!("managed policy {policy}: in neither the snapshot nor the vendored catalog")
            })?
        } else {
            customer_managed_in(snapshot, account, policy).map_err(|why| {
                format!(
                    "customer managed policy {}: {why}",
                    policy_path_name(policy)
                )
            })?
        };
        let expanded = cache
            .by_arn
            .entry(policy.to_string())
            .or_insert_with(|| Arc::new(evaluate::statements(document, catalog)))
            .clone();
        Ok((label, expanded))
    };
    let mut found = Vec::new();
    for policy in managed {
        match document(policy) {
            Ok((label, expanded)) => found.push((label, Role::Grants, expanded)),
            Err(why) => unknown.push(format!("{why} (attached to {who})")),
        }
    }
    if let Some(boundary) = boundary {
        match document(boundary) {
            Ok((label, expanded)) => {
                found.push((format!("boundary {label}"), Role::Boundary, expanded))
            }
            Err(why) => unknown.push(format!("permissions boundary of {who}: {why}")),
        }
    }
    for (label, role, expanded) in found {
        add(label, role, expanded);
    }
    if capped
        && let Some(ceiling) =
            guardrails::ceiling(snapshot, account, crate::snapshot::Guardrails::SCP)
    {
        policies.extend(guardrails::policies(snapshot, &ceiling, &mut malformed));
    }
    Analysis::new(policies, unknown, malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Assignment, CustomerManagedPolicy, PolicyDocument, PrincipalType};

    fn snapshot(assigned_in: &[&str], with_document: bool) -> (Snapshot, PermissionSet) {
        let set = PermissionSet {
            arn: "arn:aws:sso:::permissionSet/ssoins-x/ps-1".into(),
            name: "Tools".into(),
            customer_managed_policies: vec![CustomerManagedPolicy {
                name: "tools".into(),
                path: "/acme/".into(),
            }],
            ..Default::default()
        };
        let mut snapshot = Snapshot::default();
        snapshot.metadata.management_account_id = "100000000001".into();
        snapshot.permission_sets.push(set.clone());
        for account in assigned_in {
            snapshot.assignments.push(Assignment {
                account_id: account.to_string(),
                permission_set_arn: set.arn.clone(),
                principal_type: PrincipalType::Group,
                principal_id: "g".into(),
            });
        }
        if with_document {
            snapshot.policy_documents.push(PolicyDocument {
                arn: "arn:aws:iam::100000000001:policy/acme/tools".into(),
                version: "v3".into(),
                document: serde_json::json!({"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}}),
            });
        }
        (snapshot, set)
    }

    #[test]
    fn customer_managed_policies_are_known_where_they_were_read() {
        // Read in the management account, assigned there only: the whole truth.
        let (only_root, set) = snapshot(&["100000000001"], true);
        let caps = capabilities::of(&analyse(&only_root, &set));
        assert!(caps.unknown.is_empty(), "{:?}", caps.unknown);
        assert!(caps.admin_equivalent);
        assert!(caps.admin_reasons.iter().any(|r| r.contains("/acme/tools (customer managed, v3 in the management account)")), "{:?}", caps.admin_reasons);
        // Assigned in a member account too: that copy is unknown.
        let (elsewhere, set) = snapshot(&["100000000001", "100000000008"], true);
        let caps = capabilities::of(&analyse(&elsewhere, &set));
        assert!(caps.admin_equivalent);
        assert!(
            caps.unknown[0].contains("read in the management account"),
            "{:?}",
            caps.unknown
        );
        // Not read at all.
        let (unread, set) = snapshot(&["100000000001"], false);
        let caps = capabilities::of(&analyse(&unread, &set));
        assert!(caps.unknown[0].contains("its content lives in each account"));
        assert_eq!(
            customer_managed_arn(
                "aws",
                "1",
                &CustomerManagedPolicy {
                    name: "n".into(),
                    path: "/".into()
                }
            ),
            "arn:aws:iam::1:policy/n"
        );
    }

    #[test]
    fn roles_are_analysed_where_they_can_be_read() {
        use crate::snapshot::{AccountAccess, Role as IamRole, RoleInlinePolicy};
        let mut snapshot = Snapshot::default();
        snapshot.metadata.management_account_id = "100000000001".into();
        let tools = "arn:aws:iam::100000000001:policy/tools";
        snapshot.policy_documents.push(PolicyDocument {
            arn: tools.into(),
            version: "v2".into(),
            document: serde_json::json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}),
        });
        snapshot.account_access = Some(AccountAccess {
            roles: vec![
                IamRole {
                    arn: "arn:aws:iam::100000000001:role/reader".into(),
                    name: "reader".into(),
                    inline_policies: vec![RoleInlinePolicy {
                        name: "read".into(),
                        document: serde_json::json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}),
                    }],
                    ..Default::default()
                },
                IamRole {
                    arn: "arn:aws:iam::100000000001:role/ops".into(),
                    name: "ops".into(),
                    managed_policies: vec![tools.into()],
                    inline_policies: vec![RoleInlinePolicy {
                        name: "run".into(),
                        document: serde_json::json!({"Statement": {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}}),
                    }],
                    ..Default::default()
                },
                IamRole {
                    arn: "arn:aws:iam::100000000001:role/lost".into(),
                    name: "lost".into(),
                    managed_policies: vec!["arn:aws:iam::100000000001:policy/unread".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        });
        let caps = |arn: &str| {
            capabilities::of(&analyse_role(
                &snapshot,
                arn,
                &mut StatementCache::default(),
            ))
        };
        let reader = caps("arn:aws:iam::100000000001:role/reader");
        assert!(reader.read_only && reader.unknown.is_empty() && !reader.admin_equivalent);
        // Passing a role to code it runs, through a customer managed policy read in the
        // management account: administrator-equivalent, whatever the role is called.
        let ops = caps("arn:aws:iam::100000000001:role/ops");
        assert!(ops.admin_equivalent, "{:?}", ops.admin_reasons);
        assert!(ops.unknown.is_empty(), "{:?}", ops.unknown);
        // An attached policy that was not read, a role that was not read, a member account's.
        let lost = caps("arn:aws:iam::100000000001:role/lost");
        assert!(
            lost.unknown[0].contains("/unread: not read in the management account"),
            "{:?}",
            lost.unknown
        );
        let unread = caps("arn:aws:iam::100000000001:role/never");
        assert!(unread.unknown[0].contains("were not read"));
        let member = caps("arn:aws:iam::100000000008:role/x");
        assert!(
            member.unknown[0].contains("in account 100000000008: the account was not read"),
            "{:?}",
            member.unknown
        );
        assert!(!member.admin_equivalent);
        assert_eq!(
            role_label("arn:aws:iam::1:role/path/Admin"),
            "role/path/Admin"
        );
        assert_eq!(arn_account("arn:aws:iam::1:role/path/Admin"), "1");
    }

    #[test]
    fn member_roles_are_capped_by_guardrails_unless_service_linked() {
        use crate::snapshot::{
            Account, Guardrails, MemberAccount, MemberRole, OrganizationPolicy, OrganizationalUnit,
            Role as IamRole,
        };
        let mut snapshot = Snapshot::default();
        snapshot.metadata.management_account_id = "100000000001".into();
        snapshot.organization.management_account_id = "100000000001".into();
        snapshot
            .organization
            .organizational_units
            .push(OrganizationalUnit {
                id: "r-1".into(),
                name: "Root".into(),
                parent_id: None,
                path: "Root".into(),
            });
        snapshot.organization.accounts.push(Account {
            id: "100000000008".into(),
            name: "plat-dev".into(),
            parent_id: "r-1".into(),
            ..Default::default()
        });
        let role = |name: &str, path: &str| MemberRole {
            role: IamRole {
                arn: format!("arn:aws:iam::100000000008:role{path}{name}"),
                name: name.into(),
                managed_policies: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
                ..Default::default()
            },
            path: path.into(),
            last_used: None,
        };
        snapshot.member_accounts = Some(vec![MemberAccount {
            account_id: "100000000008".into(),
            roles: vec![
                role("ops", "/"),
                role(
                    "AWSServiceRoleForSupport",
                    "/aws-service-role/support.amazonaws.com/",
                ),
            ],
            ..Default::default()
        }]);
        let full =
            serde_json::json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        snapshot.guardrails = Some(Guardrails {
            enabled_types: vec![Guardrails::SCP.into()],
            policies: vec![
                OrganizationPolicy {
                    id: "p-FullAWSAccess".into(),
                    name: "FullAWSAccess".into(),
                    kind: Guardrails::SCP.into(),
                    aws_managed: true,
                    document: full,
                    targets: vec!["r-1".into(), "100000000008".into()],
                },
                OrganizationPolicy {
                    id: "p-freeze".into(),
                    name: "Freeze".into(),
                    kind: Guardrails::SCP.into(),
                    aws_managed: false,
                    document: serde_json::json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}),
                    targets: vec!["100000000008".into()],
                },
            ],
        });
        let caps = |arn: &str| {
            capabilities::of(&analyse_role(
                &snapshot,
                arn,
                &mut StatementCache::default(),
            ))
        };
        let ops = caps("arn:aws:iam::100000000008:role/ops");
        assert!(!ops.admin_equivalent && ops.read_only, "{ops:?}");
        assert!(
            ops.guardrails[0]
                .starts_with("SCP Freeze (p-freeze) at the account, statement 0, denies it")
        );
        // SCPs do not bind service-linked roles.
        let linked = caps(
            "arn:aws:iam::100000000008:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
        );
        assert!(
            linked.admin_equivalent && linked.guardrails.is_empty(),
            "{linked:?}"
        );
    }
}
