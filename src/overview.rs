//! The organization at a glance, for the reports people read: the access matrix (accounts by
//! the groups that hold access, then direct user access; each cell the permission sets or roles
//! granted there), and what each permission set and entitlement role can do. Computed from the
//! model and its policy facts once; reporters only lay it out.

use crate::iam::capabilities::Capabilities;
use crate::model::{Model, PolicyFacts};
use crate::snapshot::{PrincipalType, Snapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One grant in a cell: the position of its kind in `Overview::kinds`, whether it is an
/// role chain (2), an entitlement (1) or a permission set (0), and the user of a direct grant (-1 for none).
pub type Grant = (usize, u8, i64);

/// An account row of the matrix.
#[derive(Debug)]
pub struct AccountRow<'s> {
    pub name: &'s str,
    pub id: &'s str,
    pub management: bool,
}

/// A permission set or an entitlement's IAM role, with what it can do.
#[derive(Debug)]
pub struct Grantor<'s> {
    pub name: String,
    pub arn: &'s str,
    /// `permission set` or `IAM role (entitlement)`.
    pub kind: &'static str,
    /// Its position in the policy facts (`Overview::capabilities`).
    pub facts: usize,
    /// Accounts it is granted in.
    pub accounts: usize,
}

pub struct Overview<'s> {
    pub captured_at: &'s str,
    /// The management account first, then by name.
    pub accounts: Vec<AccountRow<'s>>,
    /// The groups that hold access, by name; the matrix's last column is direct user access.
    pub groups: Vec<&'s str>,
    /// Members of each group column (user positions).
    pub members: Vec<Vec<usize>>,
    pub users: Vec<&'s str>,
    /// What is granted in cells: a name and the position of its capabilities (None when the
    /// grant's set or role is not in the snapshot).
    pub kinds: Vec<(String, Option<usize>)>,
    /// Per account row: [column, [grant...]], columns in order, grants by kind name.
    pub cells: Vec<Vec<(usize, Vec<Grant>)>>,
    /// Permission sets and entitlement roles, by name.
    pub grantors: Vec<Grantor<'s>>,
    /// What each set (then each role) can do, by its position in the policy facts.
    pub facts: Arc<PolicyFacts>,
    /// The evidence: its sources and the period it covers.
    pub sources: Vec<&'static str>,
    pub covered_from: Option<&'s str>,
    pub covered_to: Option<&'s str>,
}

impl Overview<'_> {
    /// What the grants of position `facts` can do.
    pub fn capabilities(&self, facts: usize) -> &Capabilities {
        &self.facts.capabilities[facts]
    }
}

pub fn of<'s>(model: &Model<'s>) -> Overview<'s> {
    let snapshot: &'s Snapshot = model.snapshot;
    let facts = model.policy_facts().clone();
    let sets = snapshot.permission_sets.len();

    // The matrix: groups that hold access, then one column for direct user access.
    let mut held = vec![false; snapshot.groups.len()];
    let mut cells: Vec<BTreeMap<usize, Vec<Grant>>> =
        vec![BTreeMap::new(); snapshot.organization.accounts.len()];
    let mut kind_index: BTreeMap<(String, Option<usize>), usize> = BTreeMap::new();
    let mut group_order: Vec<usize> = (0..snapshot.groups.len()).collect();
    group_order.sort_by(|&a, &b| {
        snapshot.groups[a]
            .display_name
            .cmp(&snapshot.groups[b].display_name)
    });
    for (position, route) in model.routes.iter().enumerate() {
        let target = model.assignment_targets[position];
        let (Some(account), Some(principal)) = (target.account, target.principal) else {
            continue;
        };
        let facts_at = target.facts.map(|p| p as usize);
        let name = match target.permission_set {
            Some(p) if (p as usize) < sets => snapshot.permission_sets[p as usize].name.clone(),
            Some(_) => crate::iam::role_label(route.grant_arn).to_string(),
            None => route.grant_arn.to_string(),
        };
        let (column, user) = match route.principal_type {
            PrincipalType::Group => {
                held[principal as usize] = true;
                (principal as usize, None)
            }
            PrincipalType::User => (usize::MAX, Some(principal as usize)),
        };
        let next = kind_index.len();
        let kind = *kind_index.entry((name, facts_at)).or_insert(next);
        cells[account as usize].entry(column).or_default().push((
            kind,
            match (route.entitlement, route.chain) {
                (_, Some(_)) => 2,
                (Some(_), None) => 1,
                (None, None) => 0,
            },
            user.map(|u| u as i64).unwrap_or(-1),
        ));
    }
    let columns: Vec<usize> = group_order.into_iter().filter(|&g| held[g]).collect();
    let column_of: BTreeMap<usize, usize> =
        columns.iter().enumerate().map(|(c, &g)| (g, c)).collect();
    let direct = columns.len();
    let accounts = &snapshot.organization.accounts;
    let mut account_order: Vec<usize> = (0..accounts.len()).collect();
    let management = |a: usize| model.is_management_account(&accounts[a].id);
    account_order.sort_by(|&a, &b| {
        (!management(a), &accounts[a].name).cmp(&(!management(b), &accounts[b].name))
    });
    // The map iterates in name order: each kind's rank in it orders a cell's grants.
    let mut kinds = vec![(String::new(), None); kind_index.len()];
    let mut rank = vec![0; kind_index.len()];
    for (r, (kind, i)) in kind_index.into_iter().enumerate() {
        kinds[i] = kind;
        rank[i] = r;
    }
    let cells = account_order
        .iter()
        .map(|&a| {
            let mut row: Vec<(usize, Vec<Grant>)> = std::mem::take(&mut cells[a])
                .into_iter()
                .map(|(column, mut grants)| {
                    grants.sort_by_key(|g| (rank[g.0], g.1, g.2));
                    grants.dedup();
                    let column = if column == usize::MAX {
                        direct
                    } else {
                        column_of[&column]
                    };
                    (column, grants)
                })
                .collect();
            row.sort_by_key(|(c, _)| *c);
            row
        })
        .collect();

    let mut grantors: Vec<Grantor> = snapshot
        .permission_sets
        .iter()
        .enumerate()
        .map(|(p, set)| Grantor {
            name: set.name.clone(),
            arn: &set.arn,
            kind: "permission set",
            facts: p,
            accounts: model.permission_set_assigned_accounts[p].len(),
        })
        .collect();
    for (r, arn) in model.roles.iter().enumerate() {
        grantors.push(Grantor {
            name: crate::iam::role_label(arn).to_string(),
            arn,
            kind: "IAM role (entitlement)",
            facts: sets + r,
            accounts: model
                .routes
                .iter()
                .filter(|route| route.grant_arn == *arn)
                .map(|route| route.account_id)
                .collect::<BTreeSet<_>>()
                .len(),
        });
    }
    let first_chain_role = model.first_chain_role();
    for (c, arn) in model.chain_roles.iter().enumerate() {
        grantors.push(Grantor {
            name: crate::iam::role_label(arn).to_string(),
            arn,
            kind: "IAM role (role chain)",
            facts: first_chain_role + c,
            accounts: 1,
        });
    }
    grantors.sort_by(|a, b| a.name.cmp(&b.name));

    Overview {
        captured_at: &snapshot.metadata.captured_at,
        accounts: account_order
            .iter()
            .map(|&a| AccountRow {
                name: &accounts[a].name,
                id: &accounts[a].id,
                management: management(a),
            })
            .collect(),
        groups: columns
            .iter()
            .map(|&g| snapshot.groups[g].display_name.as_str())
            .collect(),
        members: columns
            .iter()
            .map(|&g| model.group_members[g].clone())
            .collect(),
        users: snapshot
            .users
            .iter()
            .map(|u| u.user_name.as_str())
            .collect(),
        kinds,
        cells,
        grantors,
        facts,
        sources: snapshot.events.sources.iter().map(|s| s.as_str()).collect(),
        covered_from: snapshot.events.covered_from.as_deref(),
        covered_to: snapshot.events.covered_to.as_deref(),
    }
}
