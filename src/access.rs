//! Effective access: who can reach which account with which permission set (or, through an
//! account access manager entitlement, which IAM role), and through which group (or directly),
//! with group members expanded.

use crate::model::Model;
use crate::snapshot::{PrincipalType, Snapshot};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccessRow {
    pub account_name: String,
    pub account_id: String,
    pub user_name: String,
    pub user_id: String,
    /// The permission set's name, or `role/NAME` for an entitlement's IAM role.
    pub permission_set: String,
    /// The permission set's ARN, or the IAM role's.
    pub permission_set_arn: String,
    /// GROUP, or USER for a direct assignment or entitlement.
    pub via_type: String,
    pub via_id: String,
    pub via_name: String,
    pub user_active: bool,
    /// What the permission set can do: `administrator`, `write`, `read-only`, or `unknown`
    /// (a policy whose content could not be read, or a role of a member account).
    pub capability: &'static str,
    /// `assignment` (a permission set), `entitlement` (an account access manager
    /// entitlement to an IAM role), `chain` (a role reached by assuming roles from an
    /// assignment or entitlement), or `iam-user` (an IAM user of a member account with a
    /// console password or an active access key: the user is the IAM user, by ARN).
    pub route: &'static str,
    /// A chained row's path: `role/aws-reserved/…/AWSReservedSSO_Set_… → role/team →
    /// role/admin`; empty for the other routes.
    pub chain: String,
    /// A chained row's number of role assumptions; 0 for the other routes.
    pub hops: u8,
}

/// The one-word capability of a set: administrator-equivalent, writes, or reads only.
pub fn capability_word(capabilities: &crate::iam::capabilities::Capabilities) -> &'static str {
    if capabilities.admin_equivalent {
        "administrator"
    } else if !capabilities.unknown.is_empty() {
        "unknown"
    } else if capabilities.read_only {
        "read-only"
    } else {
        "write"
    }
}

/// Which rows to produce; empty filters match everything. Accounts match by name or id, users
/// by user name or id, groups and permission sets by name.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account: Option<String>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub permission_set: Option<String>,
}

impl Filter {
    /// An account filter must name an account of the snapshot (by name or id).
    pub fn check(&self, snapshot: &Snapshot) -> Result<(), String> {
        match &self.account {
            Some(account) if snapshot.account(account).is_none() => Err(format!(
                "no account named or numbered `{account}` in the snapshot"
            )),
            _ => Ok(()),
        }
    }
}

/// One access row borrowing from the snapshot: what [`AccessRow`] holds, without a copy of
/// each name per row (an organization of 200,000 assignments has millions of rows). Ordered as
/// `AccessRow` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessRowRef<'s> {
    pub account_name: &'s str,
    pub account_id: &'s str,
    pub user_name: &'s str,
    pub user_id: &'s str,
    pub permission_set: &'s str,
    pub permission_set_arn: &'s str,
    pub via_type: &'s str,
    pub via_id: &'s str,
    pub via_name: &'s str,
    pub user_active: bool,
    pub capability: &'static str,
    pub route: &'static str,
    pub chain: &'s str,
    pub hops: u8,
}

impl AccessRowRef<'_> {
    pub fn to_owned(&self) -> AccessRow {
        AccessRow {
            account_name: self.account_name.to_string(),
            account_id: self.account_id.to_string(),
            user_name: self.user_name.to_string(),
            user_id: self.user_id.to_string(),
            permission_set: self.permission_set.to_string(),
            permission_set_arn: self.permission_set_arn.to_string(),
            via_type: self.via_type.to_string(),
            via_id: self.via_id.to_string(),
            via_name: self.via_name.to_string(),
            user_active: self.user_active,
            capability: self.capability,
            route: self.route,
            chain: self.chain.to_string(),
            hops: self.hops,
        }
    }
}

/// Every access row matching `filter`, sorted by account, user, permission set and route.
/// Filters on account, group and permission set apply before members are expanded. Holds every
/// row: [`for_each_account`] streams them.
pub fn effective_access(snapshot: &Snapshot, filter: &Filter) -> Vec<AccessRow> {
    let model = Model::new(snapshot);
    let mut rows = Vec::new();
    for_each_account(&model, filter, &mut |_, account_rows| {
        rows.extend(account_rows.iter().map(AccessRowRef::to_owned));
    });
    rows
}

/// The routes of each account, by the account's (name, id) as rows show them: accounts the
/// snapshot does not hold are named by their id.
/// An account as rows name it: (name, id).
pub type AccountKey<'s> = (&'s str, &'s str);

pub fn routes_by_account<'s>(model: &Model<'s>) -> Vec<(AccountKey<'s>, Vec<usize>)> {
    let snapshot = model.snapshot;
    let mut groups: std::collections::BTreeMap<(&'s str, &'s str), Vec<usize>> = Default::default();
    for (position, route) in model.routes.iter().enumerate() {
        let key = match model.assignment_targets[position].account {
            Some(a) => {
                let account = &snapshot.organization.accounts[a as usize];
                (account.name.as_str(), account.id.as_str())
            }
            None => (route.account_id, route.account_id),
        };
        groups.entry(key).or_default().push(position);
    }
    groups.into_iter().collect()
}

/// The access rows of one account's routes (positions in `model.routes`), sorted and without
/// duplicates.
pub fn account_rows<'s>(
    model: &'s Model<'_>,
    (account_name, account_id): AccountKey<'s>,
    routes: &[usize],
    filter: &Filter,
) -> Vec<AccessRowRef<'s>> {
    let snapshot = model.snapshot;
    let sets = snapshot.permission_sets.len();
    let mut rows = Vec::new();
    for &position in routes {
        let route = &model.routes[position];
        let target = model.assignment_targets[position];
        let permission_set: &'s str = match target.permission_set {
            Some(p) if (p as usize) < sets => &snapshot.permission_sets[p as usize].name,
            Some(_) => crate::iam::role_label(route.grant_arn),
            None => route.grant_arn,
        };
        let capability = target
            .facts
            .map(|p| capability_word(&model.policy_facts().capabilities[p as usize]))
            .unwrap_or("unknown");
        if filter
            .permission_set
            .as_ref()
            .is_some_and(|wanted| *wanted != permission_set && *wanted != route.grant_arn)
        {
            continue;
        }
        let (via_name, users) = self::route(
            model,
            filter,
            route.principal_type,
            target.principal.map(|p| p as usize),
            route.principal_id,
        );
        let (route_kind, chain, hops) = match (route.entitlement, route.chain) {
            (_, Some(c)) => {
                let chain = &model.chains[c as usize];
                ("chain", chain.path.as_str(), chain.hops.len() as u8)
            }
            (Some(_), None) => ("entitlement", "", 0),
            (None, None) => ("assignment", "", 0),
        };
        rows.extend(users.into_iter().map(|user| AccessRowRef {
            account_name,
            account_id,
            user_name: &user.user_name,
            user_id: &user.id,
            permission_set,
            permission_set_arn: route.grant_arn,
            via_type: route.principal_type.as_str(),
            via_id: route.principal_id,
            via_name,
            user_active: user.active,
            capability,
            route: route_kind,
            chain,
            hops,
        }));
    }
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// Every access row matching `filter`, one account at a time in the order of
/// [`effective_access`]: `each` gets the account's (name, id) and its rows, sorted. Memory
/// holds one account's rows, not the organization's.
/// The routes of each account, and the accounts whose only way in is an IAM user, sorted.
fn accounts_with_access<'s>(model: &'s Model<'_>) -> Vec<(AccountKey<'s>, Vec<usize>)> {
    let mut by_account = routes_by_account(model);
    for member in model.snapshot.member_accounts.iter().flatten() {
        if member.users.iter().any(signs_in)
            && !by_account
                .iter()
                .any(|((_, id), _)| *id == member.account_id)
        {
            let name = model
                .account_index
                .get(member.account_id.as_str())
                .map(|&a| model.snapshot.organization.accounts[a].name.as_str())
                .unwrap_or(member.account_id.as_str());
            by_account.push(((name, member.account_id.as_str()), Vec::new()));
        }
    }
    by_account.sort_by(|a, b| a.0.cmp(&b.0));
    by_account
}

pub fn for_each_account<'s>(
    model: &'s Model<'_>,
    filter: &Filter,
    each: &mut dyn FnMut(AccountKey<'s>, &[AccessRowRef<'s>]),
) {
    for (account, routes) in accounts_with_access(model) {
        if let Some(wanted) = &filter.account
            && *wanted != account.0
            && *wanted != account.1
        {
            continue;
        }
        let mut rows = account_rows(model, account, &routes, filter);
        let users = iam_user_rows(model, account, filter);
        if !users.is_empty() {
            rows.extend(users);
            rows.sort_unstable();
        }
        if !rows.is_empty() {
            each(account, &rows);
        }
    }
}

/// Active users of each account by their highest capability there (read-only, write, unknown,
/// administrator, indexed by [`capability_rank`]): what `access` would list, counted without
/// expanding and sorting its rows. IAM users that can sign in count too.
pub fn seats_by_account<'s>(model: &'s Model<'_>) -> Vec<(AccountKey<'s>, [usize; 4])> {
    let filter = Filter::default();
    let mut out = Vec::new();
    let mut best: HashMap<&str, u8> = HashMap::new();
    for (account, routes) in accounts_with_access(model) {
        best.clear();
        for &position in &routes {
            let route = &model.routes[position];
            let target = model.assignment_targets[position];
            let rank = capability_rank(
                target
                    .facts
                    .map(|p| capability_word(&model.policy_facts().capabilities[p as usize]))
                    .unwrap_or("unknown"),
            );
            let (_, users) = self::route(
                model,
                &filter,
                route.principal_type,
                target.principal.map(|p| p as usize),
                route.principal_id,
            );
            for user in users.into_iter().filter(|u| u.active) {
                let entry = best.entry(user.id.as_str()).or_insert(rank);
                *entry = (*entry).max(rank);
            }
        }
        for row in iam_user_rows(model, account, &filter) {
            let entry = best.entry(row.user_id).or_insert(0);
            *entry = (*entry).max(capability_rank(row.capability));
        }
        let mut seats = [0; 4];
        for rank in best.values() {
            seats[*rank as usize] += 1;
        }
        out.push((account, seats));
    }
    out
}

/// The `iam-user` rows of every member account (see [`iam_user_rows`]).
pub fn iam_user_access(model: &Model<'_>) -> Vec<AccessRow> {
    let mut rows = Vec::new();
    for member in model.snapshot.member_accounts.iter().flatten() {
        let name = model
            .account_index
            .get(member.account_id.as_str())
            .map(|&a| model.snapshot.organization.accounts[a].name.as_str())
            .unwrap_or(member.account_id.as_str());
        rows.extend(
            iam_user_rows(model, (name, &member.account_id), &Filter::default())
                .iter()
                .map(AccessRowRef::to_owned),
        );
    }
    rows
}

/// How much a capability word grants: read-only, write, unknown, administrator.
pub fn capability_rank(word: &str) -> u8 {
    match word {
        "read-only" => 0,
        "write" => 1,
        "unknown" => 2,
        _ => 3,
    }
}

/// An IAM user that can sign in to the console or holds an active access key.
fn signs_in(user: &crate::snapshot::IamUser) -> bool {
    user.console_password || user.access_keys.iter().any(|k| k.status == "Active")
}

/// The IAM users of a member account that can get in without Identity Center, as rows of
/// their own (route `iam-user`, via `IAM_USER`), with the capability of their policies. A
/// group or permission set filter excludes them.
fn iam_user_rows<'s>(
    model: &'s Model<'_>,
    (account_name, account_id): AccountKey<'s>,
    filter: &Filter,
) -> Vec<AccessRowRef<'s>> {
    if filter.group.is_some() || filter.permission_set.is_some() {
        return Vec::new();
    }
    let Some(member) = crate::iam::member_account(model.snapshot, account_id) else {
        return Vec::new();
    };
    let mut cache = crate::iam::StatementCache::default();
    member
        .users
        .iter()
        .filter(|u| signs_in(u))
        .filter(|u| {
            filter
                .user
                .as_ref()
                .is_none_or(|wanted| *wanted == u.name || *wanted == u.arn)
        })
        .map(|user| {
            let analysis = crate::iam::analyse_user(model.snapshot, member, user, &mut cache);
            AccessRowRef {
                account_name,
                account_id,
                user_name: &user.name,
                user_id: &user.arn,
                permission_set: "(IAM user)",
                permission_set_arn: &user.arn,
                via_type: "IAM_USER",
                via_id: &user.arn,
                via_name: &user.name,
                user_active: true,
                capability: capability_word(&crate::iam::capabilities::of(&analysis)),
                route: "iam-user",
                chain: "",
                hops: 0,
            }
        })
        .collect()
}

/// A route's name (the group's, or the user's for a direct assignment; the id when the
/// snapshot does not hold the principal at `position`) and the users it reaches that the filter
/// keeps: none when the group filter names another group or the route is a direct assignment.
fn route<'s, 'p>(
    model: &Model<'s>,
    filter: &Filter,
    principal_type: PrincipalType,
    position: Option<usize>,
    principal_id: &'p str,
) -> (&'p str, Vec<&'s crate::snapshot::User>)
where
    's: 'p,
{
    let snapshot = model.snapshot;
    let via_name: &'p str = match (principal_type, position) {
        (PrincipalType::Group, Some(g)) => &snapshot.groups[g].display_name,
        (PrincipalType::User, Some(u)) => &snapshot.users[u].user_name,
        (_, None) => principal_id,
    };
    if let Some(wanted) = &filter.group
        && (principal_type != PrincipalType::Group || *wanted != via_name)
    {
        return (via_name, Vec::new());
    }
    // A principal the snapshot does not hold reaches nobody it can name.
    let Some(position) = position else {
        return (via_name, Vec::new());
    };
    let members: &[usize] = match principal_type {
        PrincipalType::Group => &model.group_members[position],
        PrincipalType::User => std::slice::from_ref(&position),
    };
    let users = members
        .iter()
        .map(|&u| &snapshot.users[u])
        .filter(|user| {
            filter
                .user
                .as_ref()
                .is_none_or(|wanted| *wanted == user.user_name || *wanted == user.id)
        })
        .collect();
    (via_name, users)
}

/// One user's access to one application (SAML, OAuth), through a group or directly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ApplicationAccessRow {
    pub application: String,
    pub application_arn: String,
    pub user_name: String,
    pub user_id: String,
    /// GROUP, or USER for a direct assignment.
    pub via_type: String,
    pub via_id: String,
    pub via_name: String,
    pub user_active: bool,
}

/// Every user's access to the instance's applications, group members expanded. The user and
/// group filters apply; an account or permission set filter matches no application.
pub fn application_access(snapshot: &Snapshot, filter: &Filter) -> Vec<ApplicationAccessRow> {
    if filter.account.is_some() || filter.permission_set.is_some() {
        return Vec::new();
    }
    let model = Model::new(snapshot);
    let mut rows = Vec::new();
    for application in snapshot.applications.iter().flatten() {
        for assignment in &application.assignments {
            let position = match assignment.principal_type {
                PrincipalType::Group => model.group_index.get(assignment.principal_id.as_str()),
                PrincipalType::User => model.user_index.get(assignment.principal_id.as_str()),
            };
            let (via_name, users) = route(
                &model,
                filter,
                assignment.principal_type,
                position.copied(),
                &assignment.principal_id,
            );
            for user in users {
                rows.push(ApplicationAccessRow {
                    application: application.name.clone(),
                    application_arn: application.arn.clone(),
                    user_name: user.user_name.clone(),
                    user_id: user.id.clone(),
                    via_type: assignment.principal_type.as_str().to_string(),
                    via_id: assignment.principal_id.clone(),
                    via_name: via_name.to_string(),
                    user_active: user.active,
                });
            }
        }
    }
    rows.sort();
    rows.dedup();
    rows
}

/// What was not read of what access rows are made of: the snapshot's gaps in those areas, and
/// the entitlements a snapshot written before they were read does not hold.
pub fn access_gaps(snapshot: &Snapshot) -> Vec<crate::snapshot::Gap> {
    // What access rows are made of: the entities every access rule reads.
    let areas = crate::subjects::SubjectKind::Access.base_reads();
    let mut gaps: Vec<_> = snapshot
        .gaps
        .iter()
        .filter(|g| areas.contains(&g.area))
        .cloned()
        .collect();
    for (area, why) in snapshot.partial_areas() {
        gaps.push(crate::snapshot::Gap {
            area,
            operation: String::new(),
            resource: String::new(),
            error: why.into(),
        });
    }
    gaps
}
