//! Cloud Posse's team roles as the stacks declare them: `aws-teams` (`teams_config`, deployed in
//! the identity account) and `aws-team-roles` (`roles`, deployed in every account), read from
//! the output of `atmos describe stacks` (stack → `components` → `terraform` → component →
//! `vars`) or from one stack file. Each declared role becomes the IAM role the component creates:
//! named `<namespace>-<tenant>-<environment>-<stage>-<key>` in the account `<tenant>-<stage>`,
//! with the trust policy of `account-map/modules/team-assume-role-policy` and its
//! `role_policy_arns`, so role chains can be followed without reading the accounts.

use super::line_of;
use super::yaml::Node;
use crate::snapshot::{MemberAccount, MemberRole, Role, RoleInlinePolicy, Snapshot};
use serde_json::json;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// The two components, as their instances are named in stacks (`aws-teams`, `aws-teams/x`).
pub const TEAMS: &str = "aws-teams";
pub const TEAM_ROLES: &str = "aws-team-roles";

/// One role a stack declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredRole {
    /// [`TEAMS`] or [`TEAM_ROLES`].
    pub component: &'static str,
    /// The stack it is declared in (`core-gbl-identity`), empty for a single stack file.
    pub stack: String,
    /// The team or role key (`devops`, `admin`).
    pub key: String,
    /// The account it is created in: `<tenant>-<stage>` (or `<stage>`).
    pub account: String,
    /// The IAM role name.
    pub name: String,
    /// Line of its key in the file.
    pub line: u32,
    pub role_policy_arns: Vec<String>,
    pub trusted_teams: Vec<String>,
    pub trusted_permission_sets: Vec<String>,
    pub trusted_role_arns: Vec<String>,
    pub denied_teams: Vec<String>,
    pub denied_permission_sets: Vec<String>,
    pub denied_role_arns: Vec<String>,
    pub max_session_duration: Option<u64>,
}

/// The label of the vars that name a stack's place: namespace, tenant, environment, stage.
#[derive(Debug, Clone, Default)]
struct Context {
    namespace: String,
    tenant: String,
    environment: String,
    stage: String,
}

impl Context {
    fn of(vars: &Spanned<Node>) -> Context {
        let get = |key: &str| {
            vars.value
                .get(key)
                .and_then(|v| v.value.scalar())
                .unwrap_or_default()
                .to_string()
        };
        Context {
            namespace: get("namespace"),
            tenant: get("tenant"),
            environment: get("environment"),
            stage: get("stage"),
        }
    }

    fn account(&self) -> String {
        [self.tenant.as_str(), self.stage.as_str()]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("-")
    }

    fn role_name(&self, key: &str) -> String {
        [
            self.namespace.as_str(),
            self.tenant.as_str(),
            self.environment.as_str(),
            self.stage.as_str(),
            key,
        ]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("-")
    }
}

/// The team-access set of a team: `Identity<Team>TeamAccess`, the team's name title-cased
/// without `-` and `_`.
pub fn team_access_set(team: &str) -> String {
    let title: String = team
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect();
    format!("Identity{title}TeamAccess")
}

/// The components of every stack in `root`: a `describe stacks` output (a map of stacks), or a
/// single stack (`components` at the top).
fn stacks(root: &Spanned<Node>) -> Vec<(String, &Spanned<Node>)> {
    if root.value.get("components").is_some() {
        return vec![(String::new(), root)];
    }
    root.value
        .entries()
        .iter()
        .filter(|(_, stack)| stack.value.get("components").is_some())
        .map(|(name, stack)| (name.value.clone(), stack))
        .collect()
}

/// The vars of each instance of `component` in a stack.
fn instances<'a>(stack: &'a Spanned<Node>, component: &str) -> Vec<&'a Spanned<Node>> {
    let Some(terraform) = stack
        .value
        .get("components")
        .and_then(|c| c.value.get("terraform"))
    else {
        return Vec::new();
    };
    terraform
        .value
        .entries()
        .iter()
        .filter(|(name, _)| {
            name.value == component || name.value.starts_with(&format!("{component}/"))
        })
        .filter_map(|(_, body)| body.value.get("vars"))
        .collect()
}

fn strings(node: Option<&Spanned<Node>>) -> Vec<String> {
    node.map(|n| {
        n.value
            .items()
            .iter()
            .filter_map(|i| i.value.scalar().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

/// Every role the stacks declare, enabled ones only (a role with `enabled: false`, such as
/// the usual `template`, is not created).
pub fn read(root: &Spanned<Node>) -> Vec<DeclaredRole> {
    let mut roles = Vec::new();
    for (stack_name, stack) in stacks(root) {
        for (component, map_key) in [(TEAMS, "teams_config"), (TEAM_ROLES, "roles")] {
            for vars in instances(stack, component) {
                let context = Context::of(vars);
                let Some(declared) = vars.value.get(map_key) else {
                    continue;
                };
                for (key, body) in declared.value.entries() {
                    let enabled = body
                        .value
                        .get("enabled")
                        .and_then(|e| e.value.scalar())
                        .is_none_or(|e| e != "false");
                    if !enabled {
                        continue;
                    }
                    let field = |name: &str| strings(body.value.get(name));
                    roles.push(DeclaredRole {
                        component,
                        stack: stack_name.clone(),
                        key: key.value.clone(),
                        account: context.account(),
                        name: context.role_name(&key.value),
                        line: line_of(key),
                        role_policy_arns: field("role_policy_arns"),
                        trusted_teams: field("trusted_teams"),
                        trusted_permission_sets: field("trusted_permission_sets"),
                        trusted_role_arns: field("trusted_role_arns"),
                        denied_teams: field("denied_teams"),
                        denied_permission_sets: field("denied_permission_sets"),
                        denied_role_arns: field("denied_role_arns"),
                        max_session_duration: body
                            .value
                            .get("max_session_duration")
                            .and_then(|v| v.value.scalar())
                            .and_then(|v| v.parse().ok()),
                    });
                }
            }
        }
    }
    roles
}

const ACTIONS: [&str; 3] = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"];

/// The declared roles as the IAM roles the components create, per account, for the accounts of
/// `snapshot` that were not read (a role read live is the role; the declaration stands in for
/// an account that was not). Roles of accounts the organization does not have are left out and
/// returned by name.
pub fn as_member_accounts(
    roles: &[DeclaredRole],
    snapshot: &Snapshot,
    path: &str,
) -> (Vec<MemberAccount>, Vec<String>) {
    let id_of: BTreeMap<&str, &str> = snapshot
        .organization
        .accounts
        .iter()
        .map(|a| (a.name.as_str(), a.id.as_str()))
        .collect();
    let read: std::collections::BTreeSet<&str> = snapshot
        .member_accounts
        .iter()
        .flatten()
        .map(|m| m.account_id.as_str())
        .collect();
    // The identity account and its team roles, by team.
    let teams: BTreeMap<&str, (&str, String)> = roles
        .iter()
        .filter(|r| r.component == TEAMS)
        .filter_map(|r| {
            let id = *id_of.get(r.account.as_str())?;
            Some((
                r.key.as_str(),
                (id, format!("arn:aws:iam::{id}:role/{}", r.name)),
            ))
        })
        .collect();
    let identity = teams.values().next().map(|(id, _)| *id);
    let reserved = |account: &str, set: &str| {
        format!(
            "arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_{set}_*"
        )
    };
    let mut accounts: BTreeMap<&str, Vec<MemberRole>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for role in roles {
        let Some(&account) = id_of.get(role.account.as_str()) else {
            unplaced.push(format!("{} ({path}:{})", role.name, role.line));
            continue;
        };
        if read.contains(account) {
            continue;
        }
        // aws-teams trusts sets of the identity account (its own), aws-team-roles sets of
        // the role's own account; trusting a team trusts its role and its team-access set.
        let team_principals = |list: &[String]| -> Vec<String> {
            let mut out = Vec::new();
            for team in list {
                if let Some((id, arn)) = teams.get(team.as_str()) {
                    out.push(arn.clone());
                    out.push(reserved(id, &team_access_set(team)));
                } else if let Some(id) = identity {
                    out.push(reserved(id, &team_access_set(team)));
                }
            }
            out
        };
        let mut trusted = team_principals(&role.trusted_teams);
        trusted.extend(
            role.trusted_permission_sets
                .iter()
                .map(|set| reserved(account, set)),
        );
        let mut denied = team_principals(&role.denied_teams);
        denied.extend(
            role.denied_permission_sets
                .iter()
                .map(|set| reserved(account, set)),
        );
        denied.extend(role.denied_role_arns.iter().cloned());
        denied.push("arn:aws:iam::*:user/*".into());
        let mut statements = Vec::new();
        if !trusted.is_empty() {
            let mut roots: Vec<String> = trusted
                .iter()
                .map(|arn| {
                    format!(
                        "arn:aws:iam::{}:root",
                        arn.split(':').nth(4).unwrap_or_default()
                    )
                })
                .collect();
            roots.sort();
            roots.dedup();
            statements.push(json!({
                "Sid": "RoleAssumeRole", "Effect": "Allow",
                "Principal": {"AWS": roots}, "Action": ACTIONS,
                "Condition": {"StringEquals": {"aws:PrincipalType": "AssumedRole"},
                              "ArnLike": {"aws:PrincipalArn": trusted}}
            }));
        }
        if !role.trusted_role_arns.is_empty() {
            statements.push(json!({
                "Sid": "PrincipalAssumeRole", "Effect": "Allow",
                "Principal": {"AWS": role.trusted_role_arns}, "Action": ACTIONS
            }));
        }
        statements.push(json!({
            "Sid": "RoleDenyAssumeRole", "Effect": "Deny",
            "Principal": {"AWS": "*"}, "Action": ACTIONS,
            "Condition": {"ArnLike": {"aws:PrincipalArn": denied}}
        }));
        let mut managed = Vec::new();
        let mut inline = Vec::new();
        for policy in &role.role_policy_arns {
            if policy == "team_role_access" {
                inline.push(RoleInlinePolicy {
                    name: "team_role_access".into(),
                    document: json!({"Version": "2012-10-17", "Statement": [{
                        "Sid": "TeamRoleAccess", "Effect": "Allow", "Action": ACTIONS,
                        "Resource": "arn:aws:iam::*:role/*"}]}),
                });
            } else {
                managed.push(policy.clone());
            }
        }
        accounts.entry(account).or_default().push(MemberRole {
            role: Role {
                arn: format!("arn:aws:iam::{account}:role/{}", role.name),
                name: role.name.clone(),
                trust_policy: Some(json!({"Version": "2012-10-17", "Statement": statements})),
                managed_policies: managed,
                inline_policies: inline,
                permissions_boundary: None,
            },
            path: "/".into(),
            last_used: None,
        });
    }
    let members = accounts
        .into_iter()
        .map(|(account, roles)| MemberAccount {
            account_id: account.to_string(),
            role_arn: format!("declared in {path}"),
            roles,
            ..Default::default()
        })
        .collect();
    (members, unplaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_access_sets_are_title_cased() {
        assert_eq!(team_access_set("devops"), "IdentityDevopsTeamAccess");
        assert_eq!(team_access_set("dev-ops_x"), "IdentityDevOpsXTeamAccess");
    }

    #[test]
    fn stacks_declare_enabled_roles_with_their_names_and_lines() {
        let text = "core-gbl-root:\n  components:\n    terraform:\n      aws-team-roles:\n        vars:\n          namespace: acme\n          tenant: core\n          environment: gbl\n          stage: root\n          roles:\n            template:\n              enabled: false\n            admin:\n              enabled: true\n              role_policy_arns: [\"arn:aws:iam::aws:policy/AdministratorAccess\"]\n              trusted_teams: [devops]\n              denied_teams: [developers]\n";
        let root = super::super::yaml::parse(text).unwrap();
        let roles = read(&root);
        assert_eq!(roles.len(), 1);
        let admin = &roles[0];
        assert_eq!(admin.name, "acme-core-gbl-root-admin");
        assert_eq!(admin.account, "core-root");
        assert_eq!(admin.stack, "core-gbl-root");
        assert_eq!(admin.line, 13);
        assert_eq!(admin.trusted_teams, ["devops"]);
        assert_eq!(admin.denied_teams, ["developers"]);
    }
}
