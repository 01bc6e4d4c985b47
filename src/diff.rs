//! What changed between two snapshots: the organization's parts, permission-set policies (with
//! a readable line diff), and, most important, effective access gained and lost.

use crate::access::{self, AccessRow, AccessRowRef, Filter};
use crate::desired::component::canonical_policy;
use crate::snapshot::{PermissionSet, Snapshot};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One change that is not effective access.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// account, user, group, membership, assignment, permission_set.
    pub kind: &'static str,
    /// added, removed or changed.
    pub change: &'static str,
    /// What it is, in words: `alice@example.com in DevOps`.
    pub subject: String,
    /// For changed items: what changed, one entry per aspect.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// For changed policies: a line diff of the canonical documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_diff: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SnapshotDiff {
    pub changes: Vec<Change>,
    pub access_gained: Vec<AccessRow>,
    pub access_lost: Vec<AccessRow>,
}

impl SnapshotDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.access_gained.is_empty() && self.access_lost.is_empty()
    }
}

fn added_removed<K: Ord + Clone, V>(
    old: &BTreeMap<K, V>,
    new: &BTreeMap<K, V>,
    kind: &'static str,
    describe: impl Fn(&V) -> String,
    out: &mut Vec<Change>,
) {
    for (key, value) in new {
        if !old.contains_key(key) {
            out.push(Change {
                kind,
                change: "added",
                subject: describe(value),
                details: Vec::new(),
                policy_diff: None,
            });
        }
    }
    for (key, value) in old {
        if !new.contains_key(key) {
            out.push(Change {
                kind,
                change: "removed",
                subject: describe(value),
                details: Vec::new(),
                policy_diff: None,
            });
        }
    }
}

fn by_key<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> BTreeMap<K, &T> {
    items.iter().map(|item| (key(item), item)).collect()
}

pub fn compare(old: &Snapshot, new: &Snapshot) -> SnapshotDiff {
    let mut changes = Vec::new();
    let old_accounts = by_key(&old.organization.accounts, |a| a.id.clone());
    let new_accounts = by_key(&new.organization.accounts, |a| a.id.clone());
    added_removed(
        &old_accounts,
        &new_accounts,
        "account",
        |a| format!("{} ({})", a.name, a.id),
        &mut changes,
    );
    for (id, before) in &old_accounts {
        if let Some(after) = new_accounts.get(id) {
            let mut details = Vec::new();
            if before.name != after.name {
                details.push(format!("name {} → {}", before.name, after.name));
            }
            if before.status != after.status {
                details.push(format!("status {} → {}", before.status, after.status));
            }
            if before.ou_path != after.ou_path {
                details.push(format!("moved {} → {}", before.ou_path, after.ou_path));
            }
            if !details.is_empty() {
                changes.push(Change {
                    kind: "account",
                    change: "changed",
                    subject: format!("{} ({id})", after.name),
                    details,
                    policy_diff: None,
                });
            }
        }
    }

    let old_users = by_key(&old.users, |u| u.id.clone());
    let new_users = by_key(&new.users, |u| u.id.clone());
    added_removed(
        &old_users,
        &new_users,
        "user",
        |u| u.user_name.clone(),
        &mut changes,
    );
    for (id, before) in &old_users {
        if let Some(after) = new_users.get(id)
            && before.active != after.active
        {
            changes.push(Change {
                kind: "user",
                change: "changed",
                subject: after.user_name.clone(),
                details: vec![if after.active {
                    "enabled".into()
                } else {
                    "disabled".into()
                }],
                policy_diff: None,
            });
        }
    }
    let old_groups = by_key(&old.groups, |g| g.id.clone());
    let new_groups = by_key(&new.groups, |g| g.id.clone());
    added_removed(
        &old_groups,
        &new_groups,
        "group",
        |g| g.display_name.clone(),
        &mut changes,
    );

    let name_of_user = |id: &str| {
        new_users
            .get(id)
            .or_else(|| old_users.get(id))
            .map(|u| u.user_name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let name_of_group = |id: &str| {
        new_groups
            .get(id)
            .or_else(|| old_groups.get(id))
            .map(|g| g.display_name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let membership_key = |m: &crate::snapshot::Membership| (m.group_id.clone(), m.user_id.clone());
    added_removed(
        &by_key(&old.memberships, membership_key),
        &by_key(&new.memberships, membership_key),
        "membership",
        |m| {
            format!(
                "{} in {}",
                name_of_user(&m.user_id),
                name_of_group(&m.group_id)
            )
        },
        &mut changes,
    );

    let old_sets = by_key(&old.permission_sets, |p| p.arn.clone());
    let new_sets = by_key(&new.permission_sets, |p| p.arn.clone());
    added_removed(
        &old_sets,
        &new_sets,
        "permission_set",
        |p| p.name.clone(),
        &mut changes,
    );
    for (arn, before) in &old_sets {
        if let Some(after) = new_sets.get(arn) {
            let (details, policy_diff) = set_changes(before, after);
            if !details.is_empty() {
                changes.push(Change {
                    kind: "permission_set",
                    change: "changed",
                    subject: after.name.clone(),
                    details,
                    policy_diff,
                });
            }
        }
    }
    let account_name = |id: &str| {
        new_accounts
            .get(id)
            .or_else(|| old_accounts.get(id))
            .map(|a| a.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let set_name = |arn: &str| {
        new_sets
            .get(arn)
            .or_else(|| old_sets.get(arn))
            .map(|p| p.name.clone())
            .unwrap_or_else(|| arn.to_string())
    };
    added_removed(
        &by_key(&old.assignments, Clone::clone),
        &by_key(&new.assignments, Clone::clone),
        "assignment",
        |a| {
            let principal = match a.principal_type {
                crate::snapshot::PrincipalType::Group => {
                    format!("group {}", name_of_group(&a.principal_id))
                }
                crate::snapshot::PrincipalType::User => {
                    format!("user {}", name_of_user(&a.principal_id))
                }
            };
            format!(
                "{principal}: {} on {}",
                set_name(&a.permission_set_arn),
                account_name(&a.account_id)
            )
        },
        &mut changes,
    );
    changes.sort();

    let (access_gained, access_lost) = access_changes(old, new);
    SnapshotDiff {
        changes,
        access_gained,
        access_lost,
    }
}

/// What makes two access rows the same access: who, where, with what, through which route.
type AccessKey<'s> = (&'s str, &'s str, &'s str, &'s str, &'s str);

fn access_key<'s>(row: &AccessRowRef<'s>) -> AccessKey<'s> {
    (
        row.user_id,
        row.account_id,
        row.permission_set_arn,
        row.via_type,
        row.via_id,
    )
}

/// Effective access gained and lost, compared one account at a time: memory holds one
/// account's rows of each side, never the organization's (an organization of 200,000
/// assignments has millions of rows). Ordered by user, account, permission set and route.
fn access_changes(old: &Snapshot, new: &Snapshot) -> (Vec<AccessRow>, Vec<AccessRow>) {
    let (old_model, new_model) = (crate::model::Model::new(old), crate::model::Model::new(new));
    type Side<'s> = Option<(access::AccountKey<'s>, Vec<usize>)>;
    let mut accounts: BTreeMap<&str, (Side, Side)> = BTreeMap::new();
    for (account, routes) in access::routes_by_account(&old_model) {
        accounts.entry(account.1).or_default().0 = Some((account, routes));
    }
    for (account, routes) in access::routes_by_account(&new_model) {
        accounts.entry(account.1).or_default().1 = Some((account, routes));
    }
    let filter = Filter::default();
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    for (old_side, new_side) in accounts.into_values() {
        fn rows<'s>(
            model: &crate::model::Model<'s>,
            side: Option<(access::AccountKey<'s>, Vec<usize>)>,
            filter: &Filter,
        ) -> Vec<AccessRowRef<'s>> {
            match side {
                Some((account, routes)) => access::account_rows(model, account, &routes, filter),
                None => Vec::new(),
            }
        }
        let before = rows(&old_model, old_side, &filter);
        let after = rows(&new_model, new_side, &filter);
        let before_keys: std::collections::HashSet<AccessKey> =
            before.iter().map(access_key).collect();
        let after_keys: std::collections::HashSet<AccessKey> =
            after.iter().map(access_key).collect();
        gained.extend(
            after
                .iter()
                .filter(|r| !before_keys.contains(&access_key(r)))
                .map(AccessRowRef::to_owned),
        );
        lost.extend(
            before
                .iter()
                .filter(|r| !after_keys.contains(&access_key(r)))
                .map(AccessRowRef::to_owned),
        );
    }
    let order = |rows: &mut Vec<AccessRow>| {
        fn key(r: &AccessRow) -> (&str, &str, &str, &str, &str) {
            (
                &r.user_id,
                &r.account_id,
                &r.permission_set_arn,
                &r.via_type,
                &r.via_id,
            )
        }
        rows.sort_by(|a, b| key(a).cmp(&key(b)));
        rows.dedup_by(|a, b| key(a) == key(b));
    };
    order(&mut gained);
    order(&mut lost);
    (gained, lost)
}

fn set_changes(before: &PermissionSet, after: &PermissionSet) -> (Vec<String>, Option<String>) {
    let mut details = Vec::new();
    let list = |items: &[String]| items.iter().cloned().collect::<BTreeSet<_>>();
    let (old_managed, new_managed) = (
        list(&before.managed_policies),
        list(&after.managed_policies),
    );
    for policy in new_managed.difference(&old_managed) {
        details.push(format!("managed policy attached: {policy}"));
    }
    for policy in old_managed.difference(&new_managed) {
        details.push(format!("managed policy detached: {policy}"));
    }
    if before.customer_managed_policies != after.customer_managed_policies {
        details.push("customer-managed policy references changed".into());
    }
    if before.permissions_boundary != after.permissions_boundary {
        details.push("permissions boundary changed".into());
    }
    if before.session_duration != after.session_duration {
        details.push(format!(
            "session duration {} → {}",
            before.session_duration.as_deref().unwrap_or("(default)"),
            after.session_duration.as_deref().unwrap_or("(default)")
        ));
    }
    if before.relay_state != after.relay_state {
        details.push("relay state changed".into());
    }
    let canonical = |p: &Option<serde_json::Value>| p.as_ref().map(canonical_policy);
    let mut policy_diff = None;
    if canonical(&before.inline_policy) != canonical(&after.inline_policy) {
        details.push("inline policy changed".into());
        let text = |p: &Option<serde_json::Value>| {
            p.as_ref()
                .map(|v| serde_json::to_string_pretty(&canonical_policy(v)).unwrap_or_default())
                .unwrap_or_default()
        };
        policy_diff = Some(line_diff(
            &text(&before.inline_policy),
            &text(&after.inline_policy),
        ));
    }
    (details, policy_diff)
}

/// A unified-style line diff (`-` removed, `+` added, ` ` kept) from the longest common
/// subsequence of lines; policy documents are small.
pub fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!(" {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// "alice@example.com gained AdministratorAccess on plat-prod via DevOps".
pub fn describe_access(row: &AccessRow, verb: &str) -> String {
    let route = if row.via_type == "GROUP" {
        format!("via {}", row.via_name)
    } else {
        "by direct assignment".to_string()
    };
    format!(
        "{} {verb} {} on {} {route}",
        row.user_name, row.permission_set, row.account_name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_compliant() -> Snapshot {
        Snapshot::from_slice(
            include_bytes!("../fixtures/reference-compliant.snapshot.json"),
            "fixture",
        )
        .unwrap()
    }

    #[test]
    fn line_diff_marks_changes() {
        assert_eq!(line_diff("a\nb\nc", "a\nx\nc"), " a\n-b\n+x\n c\n");
        assert_eq!(line_diff("", "a"), "+a\n");
    }

    #[test]
    fn membership_change_grants_access() {
        let old = reference_compliant();
        let mut new = old.clone();
        let devops = new
            .groups
            .iter()
            .find(|g| g.display_name == "DevOps")
            .unwrap()
            .id
            .clone();
        let vera = new
            .users
            .iter()
            .find(|u| u.user_name.starts_with("vera.novak"))
            .unwrap()
            .id
            .clone();
        new.memberships.push(crate::snapshot::Membership {
            group_id: devops,
            user_id: vera,
        });
        new.normalize();
        let diff = compare(&old, &new);
        assert!(diff.access_lost.is_empty());
        assert!(!diff.access_gained.is_empty());
        assert!(
            diff.access_gained
                .iter()
                .all(|r| r.user_name.starts_with("vera.novak") && r.via_name == "DevOps")
        );
        assert_eq!(diff.changes.len(), 1);
        assert_eq!(diff.changes[0].kind, "membership");
        assert!(compare(&old, &old).is_empty());
    }
}
