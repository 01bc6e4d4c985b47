//! The resolved view of a snapshot: lookups by id and the derived facts rules ask about
//! (who is in which group, which principals hold access, where a set is assigned).
//!
//! Built once per evaluation in time linear in the snapshot; nothing here is per rule.

use crate::policy;
use crate::snapshot::{PrincipalType, Snapshot};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;

pub struct Model<'s> {
    pub snapshot: &'s Snapshot,
    pub account_index: HashMap<&'s str, usize>,
    pub permission_set_index: HashMap<&'s str, usize>,
    pub user_index: HashMap<&'s str, usize>,
    pub group_index: HashMap<&'s str, usize>,
    /// Members of each group (user positions), sorted.
    pub group_members: Vec<Vec<usize>>,
    /// Groups of each user (group positions), sorted.
    pub user_groups: Vec<Vec<usize>>,
    pub assignments_per_account: Vec<usize>,
    pub assignments_per_permission_set: Vec<usize>,
    pub assignments_per_group: Vec<usize>,
    pub direct_assignments_per_user: Vec<usize>,
    /// Users who hold access directly or through a group that has an assignment.
    pub user_has_access: Vec<bool>,
    /// Accounts each set is assigned in.
    pub permission_set_assigned_accounts: Vec<BTreeSet<&'s str>>,
    pub permission_set_facts: Vec<PermissionSetFacts>,
    /// Positions of what each assignment refers to, resolved once (None: not in the snapshot).
    pub assignment_targets: Vec<AssignmentTarget>,
}

/// The positions an assignment refers to, so rules never look names up per assignment.
#[derive(Debug, Clone, Copy)]
pub struct AssignmentTarget {
    pub account: Option<u32>,
    pub permission_set: Option<u32>,
    /// Group position for GROUP principals, user position for USER principals.
    pub principal: Option<u32>,
}

/// What the policies of one permission set grant.
pub struct PermissionSetFacts {
    pub session_duration_seconds: i64,
    /// Administrator-equivalent through a managed policy or an inline `*:*`.
    pub grants_full_access: bool,
    /// Inline statements that grant administrator-equivalent access.
    pub inline_admin_grants: Vec<policy::AdminGrant>,
}

impl PermissionSetFacts {
    pub fn of(set: &crate::snapshot::PermissionSet) -> PermissionSetFacts {
        let inline_admin_grants = set
            .inline_policy
            .as_ref()
            .map(policy::admin_grants)
            .unwrap_or_default();
        let grants_full_access = set
            .managed_policies
            .iter()
            .any(|arn| policy::is_admin_managed_policy(arn))
            || set
                .inline_policy
                .as_ref()
                .is_some_and(policy::grants_full_access);
        PermissionSetFacts {
            session_duration_seconds: set
                .session_duration
                .as_deref()
                .and_then(policy::iso_duration_seconds)
                .unwrap_or(DEFAULT_SESSION_SECONDS),
            grants_full_access,
            inline_admin_grants,
        }
    }
}

/// IdC's session duration when a set does not set one.
pub const DEFAULT_SESSION_SECONDS: i64 = 3_600;

impl<'s> Model<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Model<'s> {
        let org = &snapshot.organization;
        let account_index = index(org.accounts.iter().map(|a| a.id.as_str()));
        let permission_set_index = index(snapshot.permission_sets.iter().map(|p| p.arn.as_str()));
        let user_index = index(snapshot.users.iter().map(|u| u.id.as_str()));
        let group_index = index(snapshot.groups.iter().map(|g| g.id.as_str()));

        let mut group_members = vec![Vec::new(); snapshot.groups.len()];
        let mut user_groups = vec![Vec::new(); snapshot.users.len()];
        for membership in &snapshot.memberships {
            if let (Some(&g), Some(&u)) = (
                group_index.get(membership.group_id.as_str()),
                user_index.get(membership.user_id.as_str()),
            ) {
                group_members[g].push(u);
                user_groups[u].push(g);
            }
        }
        for list in group_members.iter_mut().chain(user_groups.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }

        let mut assignments_per_account = vec![0; org.accounts.len()];
        let mut assignments_per_permission_set = vec![0; snapshot.permission_sets.len()];
        let mut assignments_per_group = vec![0; snapshot.groups.len()];
        let mut direct_assignments_per_user = vec![0; snapshot.users.len()];
        let mut permission_set_assigned_accounts =
            vec![BTreeSet::new(); snapshot.permission_sets.len()];
        let mut assignment_targets = Vec::with_capacity(snapshot.assignments.len());
        for assignment in &snapshot.assignments {
            let account = account_index.get(assignment.account_id.as_str()).copied();
            if let Some(a) = account {
                assignments_per_account[a] += 1;
            }
            let permission_set = permission_set_index
                .get(assignment.permission_set_arn.as_str())
                .copied();
            if let Some(p) = permission_set {
                assignments_per_permission_set[p] += 1;
                permission_set_assigned_accounts[p].insert(assignment.account_id.as_str());
            }
            let principal = match assignment.principal_type {
                PrincipalType::Group => {
                    let g = group_index.get(assignment.principal_id.as_str()).copied();
                    if let Some(g) = g {
                        assignments_per_group[g] += 1;
                    }
                    g
                }
                PrincipalType::User => {
                    let u = user_index.get(assignment.principal_id.as_str()).copied();
                    if let Some(u) = u {
                        direct_assignments_per_user[u] += 1;
                    }
                    u
                }
            };
            assignment_targets.push(AssignmentTarget {
                account: account.map(|a| a as u32),
                permission_set: permission_set.map(|p| p as u32),
                principal: principal.map(|p| p as u32),
            });
        }
        let mut user_has_access: Vec<bool> =
            direct_assignments_per_user.iter().map(|&n| n > 0).collect();
        for (g, members) in group_members.iter().enumerate() {
            if assignments_per_group[g] > 0 {
                for &u in members {
                    user_has_access[u] = true;
                }
            }
        }

        let permission_set_facts = snapshot
            .permission_sets
            .iter()
            .map(PermissionSetFacts::of)
            .collect();

        Model {
            snapshot,
            account_index,
            permission_set_index,
            user_index,
            group_index,
            group_members,
            user_groups,
            assignments_per_account,
            assignments_per_permission_set,
            assignments_per_group,
            direct_assignments_per_user,
            user_has_access,
            permission_set_assigned_accounts,
            permission_set_facts,
            assignment_targets,
        }
    }

    pub fn is_management_account(&self, account_id: &str) -> bool {
        !account_id.is_empty()
            && (account_id == self.snapshot.organization.management_account_id
                || account_id == self.snapshot.metadata.management_account_id)
    }
}

fn index<'s>(keys: impl Iterator<Item = &'s str>) -> HashMap<&'s str, usize> {
    keys.enumerate().map(|(i, k)| (k, i)).collect()
}
