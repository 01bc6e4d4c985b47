//! Effective access: who can reach which account with which permission set (or, through an
//! account access manager entitlement, which IAM role), and through which group (or directly),
//! with group members expanded.

use crate::model::Model;
use crate::snapshot::{PrincipalType, Snapshot};
use serde::Serialize;

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
    /// `assignment` (a permission set), or `entitlement` (an account access manager
    /// entitlement to an IAM role).
    pub route: &'static str,
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

/// Every access row matching `filter`, sorted by account, user, permission set and route.
/// Filters on account, group and permission set apply before members are expanded.
pub fn effective_access(snapshot: &Snapshot, filter: &Filter) -> Vec<AccessRow> {
    let model = Model::new(snapshot);
    let sets = snapshot.permission_sets.len();
    let mut rows = Vec::new();
    for (position, route) in model.routes.iter().enumerate() {
        let target = model.assignment_targets[position];
        let (account_name, account_id) = match target.account {
            Some(a) => {
                let account = &snapshot.organization.accounts[a as usize];
                (account.name.clone(), account.id.clone())
            }
            None => (route.account_id.to_string(), route.account_id.to_string()),
        };
        if let Some(wanted) = &filter.account
            && *wanted != account_name
            && *wanted != account_id
        {
            continue;
        }
        let permission_set = match target.permission_set {
            Some(p) if (p as usize) < sets => snapshot.permission_sets[p as usize].name.clone(),
            Some(_) => crate::iam::role_label(route.grant_arn).to_string(),
            None => route.grant_arn.to_string(),
        };
        let capability = target
            .permission_set
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
            &model,
            filter,
            route.principal_type,
            target.principal.map(|p| p as usize),
            route.principal_id,
        );
        for user in users {
            rows.push(AccessRow {
                account_name: account_name.clone(),
                account_id: account_id.clone(),
                user_name: user.user_name.clone(),
                user_id: user.id.clone(),
                permission_set: permission_set.clone(),
                permission_set_arn: route.grant_arn.to_string(),
                via_type: route.principal_type.as_str().to_string(),
                via_id: route.principal_id.to_string(),
                via_name: via_name.clone(),
                user_active: user.active,
                capability,
                route: if route.entitlement.is_some() {
                    "entitlement"
                } else {
                    "assignment"
                },
            });
        }
    }
    rows.sort();
    rows.dedup();
    rows
}

/// A route's name (the group's, or the user's for a direct assignment; the id when the
/// snapshot does not hold the principal at `position`) and the users it reaches that the filter
/// keeps: none when the group filter names another group or the route is a direct assignment.
fn route<'s>(
    model: &Model<'s>,
    filter: &Filter,
    principal_type: PrincipalType,
    position: Option<usize>,
    principal_id: &str,
) -> (String, Vec<&'s crate::snapshot::User>) {
    let snapshot = model.snapshot;
    let via_name = match (principal_type, position) {
        (PrincipalType::Group, Some(g)) => snapshot.groups[g].display_name.clone(),
        (PrincipalType::User, Some(u)) => snapshot.users[u].user_name.clone(),
        (_, None) => principal_id.to_string(),
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
                    via_name: via_name.clone(),
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

/// CSV with a header row; fields quoted where needed.
pub fn to_csv(rows: &[AccessRow]) -> String {
    fn field(value: &str) -> String {
        if value.contains([',', '"', '\n']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_string()
        }
    }
    let mut out = String::from(
        "account_name,account_id,user_name,user_id,permission_set,permission_set_arn,via_type,via_id,via_name,user_active,capability,route\n",
    );
    for row in rows {
        let fields = [
            &row.account_name,
            &row.account_id,
            &row.user_name,
            &row.user_id,
            &row.permission_set,
            &row.permission_set_arn,
            &row.via_type,
            &row.via_id,
            &row.via_name,
        ];
        let mut line: Vec<String> = fields.iter().map(|f| field(f)).collect();
        line.push(row.user_active.to_string());
        line.push(row.capability.to_string());
        line.push(row.route.to_string());
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}
