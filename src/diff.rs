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
    guardrail_changes(old, new, &mut changes);
    changes.sort();

    let (access_gained, access_lost) = access_changes(old, new);
    SnapshotDiff {
        changes,
        access_gained,
        access_lost,
    }
}

/// SCPs and RCPs added, removed, edited, attached or detached, and policy types enabled or
/// disabled. Snapshots that did not read the guardrails compare as nothing changed.
fn guardrail_changes(old: &Snapshot, new: &Snapshot, changes: &mut Vec<Change>) {
    let (Some(before), Some(after)) = (&old.guardrails, &new.guardrails) else {
        return;
    };
    let target_name = |id: &str| {
        new.organization
            .accounts
            .iter()
            .chain(&old.organization.accounts)
            .find(|a| a.id == id)
            .map(|a| format!("account {} ({id})", a.name))
            .or_else(|| {
                new.organization
                    .organizational_units
                    .iter()
                    .chain(&old.organization.organizational_units)
                    .find(|u| u.id == id)
                    .map(|u| format!("{} ({id})", u.path))
            })
            .unwrap_or_else(|| id.to_string())
    };
    let kind = |p: &crate::snapshot::OrganizationPolicy| {
        if p.kind == crate::snapshot::Guardrails::RCP {
            "RCP"
        } else {
            "SCP"
        }
    };
    let describe = |p: &crate::snapshot::OrganizationPolicy| {
        let targets: Vec<String> = p.targets.iter().map(|t| target_name(t)).collect();
        format!(
            "{} {} ({}), attached to {}",
            kind(p),
            p.name,
            p.id,
            if targets.is_empty() {
                "nothing".to_string()
            } else {
                targets.join(", ")
            }
        )
    };
    let old_policies = by_key(&before.policies, |p| p.id.clone());
    let new_policies = by_key(&after.policies, |p| p.id.clone());
    added_removed(
        &old_policies,
        &new_policies,
        "guardrail",
        |p| describe(p),
        changes,
    );
    for (id, now) in &new_policies {
        let Some(was) = old_policies.get(id) else {
            continue;
        };
        let mut details = Vec::new();
        for target in now.targets.iter().filter(|t| !was.targets.contains(t)) {
            details.push(format!("attached to {}", target_name(target)));
        }
        for target in was.targets.iter().filter(|t| !now.targets.contains(t)) {
            details.push(format!("detached from {}", target_name(target)));
        }
        let pretty = |d: &serde_json::Value| {
            serde_json::to_string_pretty(&canonical_policy(d)).unwrap_or_default()
        };
        let (a, b) = (pretty(&was.document), pretty(&now.document));
        let policy_diff = (a != b).then(|| line_diff(&a, &b));
        if policy_diff.is_some() {
            details.push("document changed".into());
        }
        if !details.is_empty() {
            changes.push(Change {
                kind: "guardrail",
                change: "changed",
                subject: format!("{} {} ({id})", kind(now), now.name),
                details,
                policy_diff,
            });
        }
    }
    if before.enabled_types != after.enabled_types {
        changes.push(Change {
            kind: "guardrail",
            change: "changed",
            subject: "policy types enabled on the root".into(),
            details: vec![format!(
                "{} → {}",
                before.enabled_types.join(", "),
                after.enabled_types.join(", ")
            )],
            policy_diff: None,
        });
    }
}

/// What a route is, the same in both snapshots: account, permission set (or role) ARN and
/// principal. An access row's key is its route's and its user's id, so the rows two snapshots
/// differ by are those of routes only one has, and of routes both have whose principal reaches
/// other users (a group's members changed, a user exists in one only).
/// A chained route is told from the others by its path.
type RouteId<'s> = (
    &'s str,
    &'s str,
    crate::snapshot::PrincipalType,
    &'s str,
    String,
);

fn route_id<'s>(model: &crate::model::Model<'s>, route: &crate::model::Route<'s>) -> RouteId<'s> {
    (
        route.account_id,
        route.grant_arn,
        route.principal_type,
        route.principal_id,
        route
            .chain
            .map(|c| model.chains[c as usize].path.clone())
            .unwrap_or_default(),
    )
}

/// The account a route's rows name: (name, id), or the id twice for an account the snapshot
/// does not hold.
fn account_of<'s>(model: &crate::model::Model<'s>, position: usize) -> access::AccountKey<'s> {
    match model.assignment_targets[position].account {
        Some(a) => {
            let account = &model.snapshot.organization.accounts[a as usize];
            (&account.name, &account.id)
        }
        None => {
            let id = model.routes[position].account_id;
            (id, id)
        }
    }
}

/// The user ids a route's principal reaches (sorted), or none when the snapshot does not hold
/// the principal.
fn reached<'s>(model: &crate::model::Model<'s>, position: usize) -> Vec<&'s str> {
    let target = model.assignment_targets[position];
    let snapshot = model.snapshot;
    let mut ids: Vec<&'s str> = match (model.routes[position].principal_type, target.principal) {
        (_, None) => Vec::new(),
        (crate::snapshot::PrincipalType::Group, Some(g)) => model.group_members[g as usize]
            .iter()
            .map(|&u| snapshot.users[u].id.as_str())
            .collect(),
        (crate::snapshot::PrincipalType::User, Some(u)) => {
            vec![snapshot.users[u as usize].id.as_str()]
        }
    };
    ids.sort_unstable();
    ids
}

/// Effective access gained and lost, compared route by route: only the routes that differ
/// are expanded into rows, so memory and time follow the changes, not the organization's
/// millions of rows. Ordered by user, account, permission set and route.
/// How much a route grants, in the order of its capability word: read-only, write, unknown,
/// administrator.
fn capability_rank(model: &crate::model::Model<'_>, position: usize) -> u8 {
    match model.assignment_targets[position].facts {
        None => 2,
        Some(f) => access::capability_rank(access::capability_word(
            &model.policy_facts().capabilities[f as usize],
        )),
    }
}

fn access_changes(old: &Snapshot, new: &Snapshot) -> (Vec<AccessRow>, Vec<AccessRow>) {
    let (old_model, new_model) = (crate::model::Model::new(old), crate::model::Model::new(new));
    fn positions<'s>(
        model: &crate::model::Model<'s>,
    ) -> std::collections::HashMap<RouteId<'s>, usize> {
        let mut ids = std::collections::HashMap::with_capacity(model.routes.len());
        for (position, route) in model.routes.iter().enumerate() {
            ids.entry(route_id(model, route)).or_insert(position);
        }
        ids
    }
    let (old_routes, new_routes) = (positions(&old_model), positions(&new_model));
    let filter = Filter::default();
    let rows = |model: &crate::model::Model<'_>, position: usize| -> Vec<AccessRow> {
        access::account_rows(model, account_of(model, position), &[position], &filter)
            .iter()
            .map(AccessRowRef::to_owned)
            .collect()
    };
    // Whether a principal reaches the same users in both: computed once per principal.
    let mut same_reach: std::collections::HashMap<(crate::snapshot::PrincipalType, &str), bool> =
        std::collections::HashMap::new();
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    for (id, &position) in &new_routes {
        let Some(&before) = old_routes.get(id) else {
            gained.extend(rows(&new_model, position));
            continue;
        };
        let same = *same_reach
            .entry((id.2, id.3))
            .or_insert_with(|| reached(&old_model, before) == reached(&new_model, position));
        if same {
            // The same people, but what the route grants may have changed (a policy, a
            // guardrail): more is access gained, less is access lost.
            let (was, is) = (
                capability_rank(&old_model, before),
                capability_rank(&new_model, position),
            );
            if is > was {
                gained.extend(rows(&new_model, position));
            } else if is < was {
                lost.extend(rows(&old_model, position));
            }
            continue;
        }
        let (was, is) = (rows(&old_model, before), rows(&new_model, position));
        let users = |rows: &[AccessRow]| -> BTreeSet<String> {
            rows.iter().map(|r| r.user_id.clone()).collect()
        };
        let (had, has) = (users(&was), users(&is));
        gained.extend(is.into_iter().filter(|r| !had.contains(&r.user_id)));
        lost.extend(was.into_iter().filter(|r| !has.contains(&r.user_id)));
    }
    for (id, &position) in &old_routes {
        if !new_routes.contains_key(id) {
            lost.extend(rows(&old_model, position));
        }
    }
    // IAM users of member accounts: new ones, or more capable, gained; gone, or less, lost.
    let users = |model: &crate::model::Model<'_>| -> BTreeMap<(String, String), AccessRow> {
        access::iam_user_access(model)
            .into_iter()
            .map(|r| ((r.account_id.clone(), r.user_id.clone()), r))
            .collect()
    };
    let (was, is) = (users(&old_model), users(&new_model));
    for (key, row) in &is {
        match was.get(key) {
            Some(before)
                if access::capability_rank(before.capability)
                    >= access::capability_rank(row.capability) => {}
            _ => gained.push(row.clone()),
        }
    }
    for (key, row) in &was {
        match is.get(key) {
            Some(after)
                if access::capability_rank(after.capability)
                    >= access::capability_rank(row.capability) => {}
            _ => lost.push(row.clone()),
        }
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

    /// Access gained and lost as the whole rows of both snapshots say (every row expanded).
    fn brute_force(old: &Snapshot, new: &Snapshot) -> (Vec<AccessRow>, Vec<AccessRow>) {
        let key = |r: &AccessRow| {
            (
                r.user_id.clone(),
                r.account_id.clone(),
                r.permission_set_arn.clone(),
                r.via_type.clone(),
                r.via_id.clone(),
            )
        };
        let all = |s: &Snapshot| -> BTreeMap<_, AccessRow> {
            access::effective_access(s, &Filter::default())
                .into_iter()
                .map(|r| (key(&r), r))
                .collect()
        };
        let (before, after) = (all(old), all(new));
        // Rows only one side has, and rows whose capability is greater there.
        let only = |a: &BTreeMap<_, AccessRow>, b: &BTreeMap<_, AccessRow>| {
            a.iter()
                .filter(|(k, r)| {
                    b.get(*k).is_none_or(|other| {
                        access::capability_rank(r.capability)
                            > access::capability_rank(other.capability)
                    })
                })
                .map(|(_, r)| r.clone())
                .collect::<Vec<_>>()
        };
        (only(&after, &before), only(&before, &after))
    }

    /// Route by route, the same rows as expanding everything: over the fixture pairs and over
    /// random edits of memberships, assignments, users and groups.
    #[test]
    fn route_level_changes_equal_the_whole_rows() {
        let violating = Snapshot::from_slice(
            include_bytes!("../fixtures/reference-violating.snapshot.json"),
            "fixture",
        )
        .unwrap();
        let week_later = Snapshot::from_slice(
            include_bytes!("../fixtures/reference-compliant-week-later.snapshot.json"),
            "fixture",
        )
        .unwrap();
        let compliant = reference_compliant();
        let mut pairs = vec![
            (compliant.clone(), week_later.clone()),
            (week_later.clone(), compliant.clone()),
            (compliant.clone(), violating.clone()),
            (violating.clone(), compliant.clone()),
        ];
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n.max(1)
        };
        for round in 0..40 {
            let old = if round % 2 == 0 {
                &violating
            } else {
                &compliant
            };
            let mut new = old.clone();
            for _ in 0..4 {
                match next(6) {
                    0 if !new.memberships.is_empty() => {
                        let i = next(new.memberships.len());
                        new.memberships.remove(i);
                    }
                    1 => {
                        let (g, u) = (next(new.groups.len()), next(new.users.len()));
                        new.memberships.push(crate::snapshot::Membership {
                            group_id: new.groups[g].id.clone(),
                            user_id: new.users[u].id.clone(),
                        });
                    }
                    2 if !new.assignments.is_empty() => {
                        let i = next(new.assignments.len());
                        new.assignments.remove(i);
                    }
                    3 if !new.assignments.is_empty() => {
                        let i = next(new.assignments.len());
                        let mut moved = new.assignments[i].clone();
                        let a = next(new.organization.accounts.len());
                        moved.account_id = new.organization.accounts[a].id.clone();
                        new.assignments.push(moved);
                    }
                    4 if !new.users.is_empty() => {
                        let i = next(new.users.len());
                        new.users.remove(i);
                    }
                    _ if !new.groups.is_empty() => {
                        let i = next(new.groups.len());
                        new.groups.remove(i);
                    }
                    _ => {}
                }
            }
            new.normalize();
            new.assignments.dedup();
            new.memberships.dedup();
            pairs.push((old.clone(), new));
        }
        let mut changed = 0;
        for (old, new) in &pairs {
            let (gained, lost) = access_changes(old, new);
            changed += gained.len() + lost.len();
            assert_eq!((gained, lost), brute_force(old, new));
        }
        assert!(changed > 100, "{changed} rows changed in all");
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
