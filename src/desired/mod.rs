//! Desired state: what the Cloud Posse `aws-sso` component declares in a stack file, with the
//! file line of every declaration, and the permission sets the component creates.

pub mod component;
pub mod teams;
pub mod yaml;

use crate::snapshot::PrincipalType;
use crate::vocabulary::DriftKind;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::Path;
use yaml::Node;

/// One intended assignment: `account_assignments.<account>.<groups|users>.<name>.permission_sets[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredAssignment {
    pub account_key: String,
    pub principal_type: PrincipalType,
    pub principal_name: String,
    pub permission_set: String,
    /// Line of the permission set entry.
    pub line: u32,
    /// Line of the principal's key.
    pub principal_line: u32,
    /// Line of the account's key.
    pub account_line: u32,
}

/// A Terraform state backend of `tf_access_additional_backends`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backend {
    pub bucket_arn: String,
    pub role_arn: String,
    pub dynamodb_table_arn: String,
}

/// The `aws-sso` component's variables that matter for drift.
#[derive(Debug, Clone, Default)]
pub struct DesiredState {
    /// The stack file, as given.
    pub path: String,
    pub assignments: Vec<DesiredAssignment>,
    /// Account keys with the line they are declared on.
    pub accounts: BTreeMap<String, u32>,
    /// `account_map.full_account_map`: name → (12-digit id, line).
    pub account_map: BTreeMap<String, (String, u32)>,
    /// True when names resolve through Organizations account names.
    pub account_map_enabled: bool,
    pub partition: String,
    pub session_duration: String,
    pub tf_access: Backend,
    pub tf_access_additional_backends: BTreeMap<String, Backend>,
    pub teams_accessible: Vec<String>,
    pub roles_accessible: Vec<String>,
    /// Names of extra permission sets the stack adds (`overridable_additional_permission_sets`).
    pub additional_permission_sets: Vec<String>,
    /// Line of `vars` (or of the document), for findings about the component as a whole.
    pub vars_line: u32,
    /// Line of `account_assignments`.
    pub assignments_line: u32,
    /// Values written with an atmos function or template, which only atmos resolves: never
    /// compared; the drift they could hide is a gap.
    pub unresolved: Vec<UnresolvedValue>,
    /// Whether the file holds the aws-sso (or aws-identity-center) component: without it the
    /// drift rules are skipped.
    pub has_sso: bool,
    /// The team roles of `aws-teams` and `aws-team-roles` the file declares.
    pub roles: Vec<teams::DeclaredRole>,
    /// Groups the component creates itself in the Identity Store (`groups`), for IdPs whose
    /// SCIM does not sync groups.
    pub groups: Vec<String>,
}

/// A stack value the loader cannot resolve (`!terraform.output`, `!store`, `{{ ... }}`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedValue {
    /// The key, as a path: `tf_access_bucket_arn`, `account_map.full_account_map.plat-dev`.
    pub key: String,
    pub line: u32,
    /// The function or `Go template`.
    pub function: String,
    /// The kinds of drift that depend on it.
    pub affects: &'static [DriftKind],
    /// Only the drift of this account key depends on it (None: any).
    pub account_key: Option<String>,
}

/// What a stack key feeds, and so which kinds of drift it can change.
fn affected_by(key: &str) -> (&'static [DriftKind], bool) {
    use DriftKind as K;
    const SETS: &[DriftKind] = &[
        K::PermissionSetModified,
        K::MissingPermissionSet,
        K::UnmanagedPermissionSet,
        K::UnknownPermissionSet,
        K::MissingAssignment,
        K::UnmanagedAssignment,
    ];
    const ACCOUNTS: &[DriftKind] = &[
        K::UnknownAccount,
        K::MissingAssignment,
        K::UnmanagedAssignment,
    ];
    const ASSIGNMENTS: &[DriftKind] = &[
        K::MissingAssignment,
        K::UnmanagedAssignment,
        K::UnknownPermissionSet,
        K::UnknownPrincipal,
        K::UnknownAccount,
    ];
    let first = key.split('.').next().unwrap_or(key);
    match first {
        // The content of the component's sets.
        "session_duration"
        | "tf_access_bucket_arn"
        | "tf_access_role_arn"
        | "tf_access_dynamodb_table_arn" => (&[K::PermissionSetModified], false),
        // The names of the sets it creates.
        "tf_access_additional_backends"
        | "aws_teams_accessible"
        | "identity_roles_accessible"
        | "overridable_additional_permission_sets" => (SETS, false),
        "account_map_enabled" => (ACCOUNTS, false),
        "account_map" if key.contains("aws_partition") => (&[K::PermissionSetModified], false),
        "account_map" => (ACCOUNTS, true),
        "account_assignments" => (ASSIGNMENTS, true),
        _ => (&[], false),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct DesiredError {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

fn line_of<T>(node: &Spanned<T>) -> u32 {
    node.referenced.line() as u32
}

impl DesiredState {
    pub fn load(path: &Path) -> Result<DesiredState, DesiredError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DesiredError {
            path: shown.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the stack file: {e}"),
        })?;
        Self::parse(&text, &shown)
    }

    /// Reads a raw stack file (`components.terraform.aws-sso.vars`), the output of
    /// `atmos describe component` (a top-level `vars`), or the vars themselves.
    pub fn parse(text: &str, path: &str) -> Result<DesiredState, DesiredError> {
        let error = |line: u64, column: u64, message: String| DesiredError {
            path: path.to_string(),
            line,
            column,
            message,
        };
        let root =
            yaml::parse(text).map_err(|(line, column, message)| error(line, column, message))?;
        let roles = teams::read(&root);
        let Some((vars_line, vars)) = find_vars(&root) else {
            if !roles.is_empty() {
                // Team roles alone: the chains they declare, no aws-sso drift.
                return Ok(DesiredState {
                    path: path.to_string(),
                    partition: "aws".into(),
                    vars_line: 1,
                    roles,
                    ..Default::default()
                });
            }
            return Err(error(
                1,
                1,
                "no aws-sso, aws-teams or aws-team-roles vars: expected `components.terraform.aws-sso.vars` (or aws-identity-center, aws-teams, aws-team-roles), the output of `atmos describe stacks` or `atmos describe component`, or `account_assignments`".into(),
            ));
        };
        let mut state = DesiredState {
            path: path.to_string(),
            partition: "aws".into(),
            vars_line: vars_line.max(1),
            has_sso: true,
            roles,
            ..Default::default()
        };
        let expect_map = |node: &Spanned<Node>, what: &str| -> Result<(), DesiredError> {
            match &node.value {
                Node::Map(_) | Node::Null => Ok(()),
                other => Err(error(
                    node.referenced.line(),
                    node.referenced.column(),
                    format!("`{what}` must be a mapping, not {}", other.kind()),
                )),
            }
        };
        let unresolved = std::cell::RefCell::new(Vec::new());
        let lines = yaml::Lines::new(text);
        // Records a value written with an atmos function; `key` is its path, `account` the
        // account key it belongs to.
        let check_resolved =
            |key: &str, account: Option<&str>, line: u64, column: u64, value: &str| {
                if let Some(function) = lines.function_at(line, column, value) {
                    let (affects, per_account) = affected_by(key);
                    unresolved.borrow_mut().push(UnresolvedValue {
                        key: key.to_string(),
                        line: line as u32,
                        function,
                        affects,
                        account_key: account.filter(|_| per_account).map(str::to_string),
                    });
                }
            };
        let scalar = |node: &Spanned<Node>, what: &str| -> Result<String, DesiredError> {
            match &node.value {
                Node::Scalar(s) => {
                    let account = what
                        .strip_prefix("account_assignments.")
                        .or_else(|| what.strip_prefix("account_map.full_account_map."))
                        .map(|rest| rest.split('.').next().unwrap_or(rest));
                    check_resolved(
                        what,
                        account,
                        node.referenced.line(),
                        node.referenced.column(),
                        s,
                    );
                    Ok(s.clone())
                }
                Node::Null => Ok(String::new()),
                other => Err(error(
                    node.referenced.line(),
                    node.referenced.column(),
                    format!("`{what}` must be a string, not {}", other.kind()),
                )),
            }
        };

        if let Some(assignments) = vars.value.get("account_assignments") {
            expect_map(assignments, "account_assignments")?;
            state.assignments_line = vars
                .value
                .entries()
                .iter()
                .find(|(k, _)| k.value == "account_assignments")
                .map(|(k, _)| line_of(k))
                .unwrap_or(vars_line);
            for (account, kinds) in assignments.value.entries() {
                expect_map(kinds, &format!("account_assignments.{}", account.value))?;
                check_resolved(
                    &format!("account_assignments.{}", account.value),
                    Some(&account.value),
                    account.referenced.line(),
                    account.referenced.column(),
                    &account.value,
                );
                state
                    .accounts
                    .insert(account.value.clone(), line_of(account));
                for (kind, principals) in kinds.value.entries() {
                    let principal_type = match kind.value.as_str() {
                        "groups" => PrincipalType::Group,
                        "users" => PrincipalType::User,
                        other => {
                            return Err(error(
                                kind.referenced.line(),
                                kind.referenced.column(),
                                format!(
                                    "expected `groups` or `users` under account `{}`, not `{other}`",
                                    account.value
                                ),
                            ));
                        }
                    };
                    expect_map(principals, &format!("{}.{}", account.value, kind.value))?;
                    for (principal, body) in principals.value.entries() {
                        expect_map(body, &principal.value)?;
                        check_resolved(
                            &format!(
                                "account_assignments.{}.{}.{}",
                                account.value, kind.value, principal.value
                            ),
                            Some(&account.value),
                            principal.referenced.line(),
                            principal.referenced.column(),
                            &principal.value,
                        );
                        let Some(sets) = body.value.get("permission_sets") else {
                            continue;
                        };
                        let items = match &sets.value {
                            Node::Seq(items) => items.as_slice(),
                            Node::Null => &[],
                            other => {
                                return Err(error(
                                    sets.referenced.line(),
                                    sets.referenced.column(),
                                    format!(
                                        "`permission_sets` of `{}` must be a list, not {}",
                                        principal.value,
                                        other.kind()
                                    ),
                                ));
                            }
                        };
                        for item in items {
                            state.assignments.push(DesiredAssignment {
                                account_key: account.value.clone(),
                                principal_type,
                                principal_name: principal.value.clone(),
                                permission_set: scalar(
                                    item,
                                    &format!(
                                        "account_assignments.{}.{}.{}.permission_sets",
                                        account.value, kind.value, principal.value
                                    ),
                                )?,
                                line: line_of(item),
                                principal_line: line_of(principal),
                                account_line: line_of(account),
                            });
                        }
                    }
                }
            }
        }

        if let Some(map) = vars.value.get("account_map") {
            expect_map(map, "account_map")?;
            if let Some(full) = map.value.get("full_account_map") {
                expect_map(full, "account_map.full_account_map")?;
                for (name, id) in full.value.entries() {
                    let id_text =
                        scalar(id, &format!("account_map.full_account_map.{}", name.value))?;
                    // An unquoted id loses its leading zeros in YAML: account ids have 12 digits.
                    let id_text = if !id_text.is_empty()
                        && id_text.len() < 12
                        && id_text.bytes().all(|b| b.is_ascii_digit())
                    {
                        format!("{id_text:0>12}")
                    } else {
                        id_text
                    };
                    state
                        .account_map
                        .insert(name.value.clone(), (id_text, line_of(name)));
                }
            }
            if let Some(partition) = map.value.get("aws_partition") {
                state.partition = scalar(partition, "account_map.aws_partition")?;
            }
        }
        if let Some(enabled) = vars.value.get("account_map_enabled") {
            state.account_map_enabled = scalar(enabled, "account_map_enabled")? == "true";
        }
        if let Some(duration) = vars.value.get("session_duration") {
            state.session_duration = scalar(duration, "session_duration")?;
        }
        for (var, field) in [
            ("tf_access_bucket_arn", 0),
            ("tf_access_role_arn", 1),
            ("tf_access_dynamodb_table_arn", 2),
        ] {
            if let Some(node) = vars.value.get(var) {
                let value = scalar(node, var)?;
                match field {
                    0 => state.tf_access.bucket_arn = value,
                    1 => state.tf_access.role_arn = value,
                    _ => state.tf_access.dynamodb_table_arn = value,
                }
            }
        }
        if let Some(backends) = vars.value.get("tf_access_additional_backends") {
            expect_map(backends, "tf_access_additional_backends")?;
            for (key, backend) in backends.value.entries() {
                let get = |name: &str| -> Result<String, DesiredError> {
                    backend
                        .value
                        .get(name)
                        .map(|n| {
                            scalar(
                                n,
                                &format!("tf_access_additional_backends.{}.{name}", key.value),
                            )
                        })
                        .transpose()
                        .map(Option::unwrap_or_default)
                };
                state.tf_access_additional_backends.insert(
                    key.value.clone(),
                    Backend {
                        bucket_arn: get("bucket_arn")?,
                        role_arn: get("role_arn")?,
                        dynamodb_table_arn: get("dynamodb_table_arn")?,
                    },
                );
            }
        }
        for (var, target) in [
            ("aws_teams_accessible", 0),
            ("identity_roles_accessible", 1),
        ] {
            if let Some(list) = vars.value.get(var) {
                let names = list
                    .value
                    .items()
                    .iter()
                    .map(|i| scalar(i, var))
                    .collect::<Result<Vec<_>, _>>()?;
                if target == 0 {
                    state.teams_accessible = names;
                } else {
                    state.roles_accessible = names;
                }
            }
        }
        if let Some(list) = vars.value.get("groups") {
            for item in list.value.items() {
                // A plain name, or an object with a name (display_name in newer versions).
                let name = item
                    .value
                    .get("display_name")
                    .or_else(|| item.value.get("name"))
                    .map(|n| scalar(n, "groups.name"))
                    .unwrap_or_else(|| scalar(item, "groups"))?;
                state.groups.push(name);
            }
        }
        if let Some(list) = vars.value.get("overridable_additional_permission_sets") {
            for item in list.value.items() {
                if let Some(name) = item.value.get("name") {
                    state
                        .additional_permission_sets
                        .push(scalar(name, "overridable_additional_permission_sets.name")?);
                }
            }
        }
        state.unresolved = unresolved.into_inner();
        Ok(state)
    }

    /// The account id a key names: through the account map, or, when the map comes from the
    /// account-map component (or is absent), through Organizations account names.
    pub fn account_id<'a>(
        &'a self,
        key: &str,
        organization_names: &'a BTreeMap<String, String>,
    ) -> Option<&'a str> {
        if !self.account_map_enabled && !self.account_map.is_empty() {
            return self.account_map.get(key).map(|(id, _)| id.as_str());
        }
        organization_names.get(key).map(String::as_str)
    }
}

fn vars_of(component: &Spanned<Node>) -> Option<(u32, &Spanned<Node>)> {
    component
        .value
        .entries()
        .iter()
        .find(|(k, _)| k.value == "vars")
        .map(|(k, v)| (line_of(k), v))
}

/// The component's vars and the line of their `vars:` key (1 for bare vars).
fn find_vars(root: &Spanned<Node>) -> Option<(u32, &Spanned<Node>)> {
    if let Some(components) = root.value.get("components") {
        let terraform = components.value.get("terraform")?;
        for name in ["aws-sso", "aws-identity-center"] {
            if let Some(component) = terraform.value.get(name) {
                return vars_of(component);
            }
        }
        // A component instance named otherwise (aws-sso/main, aws-identity-center, ...).
        return terraform
            .value
            .entries()
            .iter()
            .filter_map(|(_, c)| vars_of(c))
            .find(|(_, vars)| vars.value.get("account_assignments").is_some());
    }
    if let Some(found) = vars_of(root) {
        return Some(found);
    }
    if let Some(found) = root.value.get("account_assignments").map(|_| (1, root)) {
        return Some(found);
    }
    // `atmos describe stacks`: the first stack that holds the component.
    root.value
        .entries()
        .iter()
        .filter(|(_, stack)| stack.value.get("components").is_some())
        .find_map(|(_, stack)| find_vars(stack))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &[(&str, &str)] = &[
        (
            "v4-component-readme-basic.yaml",
            include_str!("../../fixtures/cloudposse/v4-component-readme-basic.yaml"),
        ),
        (
            "v4-component-readme-anchors.yaml",
            include_str!("../../fixtures/cloudposse/v4-component-readme-anchors.yaml"),
        ),
        (
            "v1-terraform-aws-components-readme.yaml",
            include_str!("../../fixtures/cloudposse/v1-terraform-aws-components-readme.yaml"),
        ),
    ];

    #[test]
    fn reference_examples_load() {
        for (name, text) in REFERENCE {
            let state = DesiredState::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!state.assignments.is_empty(), "{name}");
        }
    }

    #[test]
    fn merge_keys_and_aliases_keep_lines() {
        let (_, text) = REFERENCE[1];
        let state = DesiredState::parse(text, "anchors.yaml").unwrap();
        let merged: Vec<_> = state
            .assignments
            .iter()
            .filter(|a| a.account_key == "core-audit")
            .map(|a| (a.principal_name.as_str(), a.permission_set.as_str(), a.line))
            .collect();
        assert!(
            merged.contains(&("Production Cloud Engineers", "ReadOnlyAccess", 29)),
            "{merged:?}"
        );
        // The merged entries are declared at the `<<:` line of core-audit.
        assert!(
            merged.contains(&(
                "Production Cloud Infrastructure Engineers",
                "AdministratorAccess",
                26
            )),
            "{merged:?}"
        );
        assert_eq!(
            state.account_map["core-audit"],
            ("222222222222".to_string(), 18)
        );
        let (_, v1) = REFERENCE[2];
        let state = DesiredState::parse(v1, "v1.yaml").unwrap();
        assert_eq!(
            state.teams_accessible,
            ["developers", "devops", "managers", "support"]
        );
        assert!(
            state
                .assignments
                .iter()
                .any(|a| a.account_key == "corp" && a.permission_set == "ReadOnlyAccess")
        );
    }

    #[test]
    fn atmos_output_and_bare_vars_are_accepted() {
        let json = r#"{"component": "aws-sso", "vars": {"account_assignments": {"plat-dev": {"users": {"a@b.c": {"permission_sets": ["ReadOnlyAccess"]}}}}, "account_map_enabled": true}}"#;
        let state = DesiredState::parse(json, "describe.json").unwrap();
        assert_eq!(state.assignments.len(), 1);
        assert_eq!(state.assignments[0].principal_type, PrincipalType::User);
        assert!(state.account_map_enabled);
        let bare = "account_assignments:\n  plat-dev:\n    groups:\n      DevOps:\n        permission_sets: [AdministratorAccess]\naccount_map:\n  full_account_map:\n    plat-dev: 12345\n";
        let state = DesiredState::parse(bare, "vars.yaml").unwrap();
        assert_eq!(state.account_map["plat-dev"].0, "000000012345");
    }

    #[test]
    fn billion_laughs_is_rejected_fast() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut previous = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let items = vec![format!("*{previous}"); 9].join(",");
            text.push_str(&format!("{name}: &{name} [{items}]\n"));
            previous = name;
        }
        // What keeps it fast is the bound on replayed alias events and nodes, not the clock:
        // 9^9 expansions are refused by the bound, 9^3 are read.
        let error = DesiredState::parse(&text, "laughs.yaml").unwrap_err();
        assert!(error.to_string().starts_with("laughs.yaml:"), "{error}");
        assert!(
            error.message.contains("budget") || error.message.contains("limit"),
            "{error}"
        );
        let small: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
        let parsed = yaml::parse(&small).expect("729 expansions are within the bound");
        assert_eq!(parsed.value.get("c").unwrap().value.items().len(), 9);
        // Padding does not buy an attack room: the bound grows with the text, the expansion
        // with its power.
        let padded = format!("{}{text}", "# padding\n".repeat(10_000));
        assert!(DesiredState::parse(&padded, "laughs.yaml").is_err());
    }

    /// A large organization's stack: a thousand accounts, each with the shared group anchor,
    /// beyond the fixed limits this parser once had.
    #[test]
    fn a_thousand_accounts_stack_is_read() {
        let mut text = String::from(
            "x-groups: &groups\n  DevOps:\n    permission_sets: [AdministratorAccess, TerraformApplyAccess]\n  Managers:\n    permission_sets: [AdministratorAccess]\n  Developers:\n    permission_sets: [ReadOnlyAccess, TerraformPlanAccess, TerraformStateAccess]\ncomponents:\n  terraform:\n    aws-sso:\n      vars:\n        account_map:\n          full_account_map:\n",
        );
        for i in 0..1_000 {
            text.push_str(&format!(
                "            acct-{i:04}: \"{:012}\"\n",
                400_000_000_000u64 + i
            ));
        }
        text.push_str("        account_assignments:\n");
        for i in 0..1_000 {
            text.push_str(&format!("          acct-{i:04}:\n            groups:\n              <<: *groups\n              Auditors:\n                permission_sets: [SecurityAudit]\n"));
        }
        let state = DesiredState::parse(&text, "aws-sso.yaml").expect("read whole");
        assert_eq!(state.account_map.len(), 1_000);
    }

    #[test]
    fn wrong_shapes_are_located() {
        let error = DesiredState::parse(
            "account_assignments:\n  plat-dev:\n    roles: {}\n",
            "x.yaml",
        )
        .unwrap_err();
        assert_eq!((error.line, error.column), (3, 5));
        let error = DesiredState::parse("account_assignments:\n  plat-dev:\n    groups:\n      A:\n        permission_sets: Admin\n", "x.yaml").unwrap_err();
        assert_eq!(error.line, 5);
        let error = DesiredState::parse("foo: [", "x.yaml").unwrap_err();
        assert!(error.to_string().starts_with("x.yaml:1:"), "{error}");
    }
}
