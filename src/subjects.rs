//! What a rule sees: the subjects it can apply to, their fields (the schema rule files are
//! validated against), and the CEL values built from the model for each of them.
//!
//! Values of accounts, permission sets, groups and users are built once and shared (CEL maps
//! and strings are reference-counted), so an assignment or access row costs a few pointers.

use crate::model::Model;
use crate::snapshot::{Account, Group, PermissionSet, PrincipalType, User};
use cel::Value;
use cel::objects::{Key, Map};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

/// The kinds of thing a rule can apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    Account,
    Group,
    User,
    PermissionSet,
    Assignment,
    Access,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 6] = [
        SubjectKind::Account,
        SubjectKind::Group,
        SubjectKind::User,
        SubjectKind::PermissionSet,
        SubjectKind::Assignment,
        SubjectKind::Access,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SubjectKind::Account => "account",
            SubjectKind::Group => "group",
            SubjectKind::User => "user",
            SubjectKind::PermissionSet => "permission_set",
            SubjectKind::Assignment => "assignment",
            SubjectKind::Access => "access",
        }
    }

    /// The kind of resource a finding about one such subject names.
    pub fn resource_kind(self) -> crate::vocabulary::ResourceKind {
        use crate::vocabulary::ResourceKind as R;
        match self {
            SubjectKind::Account => R::Account,
            SubjectKind::Group => R::Group,
            SubjectKind::User => R::User,
            SubjectKind::PermissionSet => R::PermissionSet,
            SubjectKind::Assignment => R::Assignment,
            SubjectKind::Access => R::Access,
        }
    }

    pub fn parse(name: &str) -> Option<SubjectKind> {
        SubjectKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The CEL variables a condition over this subject can use, with their types.
    pub fn roots(self) -> &'static [(&'static str, &'static [Field])] {
        match self {
            SubjectKind::Account => &[("account", ACCOUNT_FIELDS)],
            SubjectKind::Group => &[("group", GROUP_FIELDS)],
            SubjectKind::User => &[("user", USER_FIELDS)],
            SubjectKind::PermissionSet => &[("permission_set", PERMISSION_SET_FIELDS)],
            SubjectKind::Assignment => &[
                ("account", ACCOUNT_FIELDS),
                ("permission_set", PERMISSION_SET_FIELDS),
                ("principal", PRINCIPAL_FIELDS),
            ],
            SubjectKind::Access => &[
                ("user", USER_FIELDS),
                ("account", ACCOUNT_FIELDS),
                ("permission_set", PERMISSION_SET_FIELDS),
                ("via", PRINCIPAL_FIELDS),
            ],
        }
    }

    /// The root variables of one access row that stay the same for every member a group
    /// assignment expands to: conditions over them alone are decided once per assignment.
    pub fn assignment_level_roots(self) -> &'static [&'static str] {
        match self {
            SubjectKind::Access => &["account", "permission_set", "via"],
            _ => &[],
        }
    }
}

/// The reference of every subject's variables and fields, as Markdown (printed by
/// `ssoaudit rules fields` and kept in docs/rule-files.md).
pub fn field_reference() -> String {
    let mut out = String::new();
    for kind in SubjectKind::ALL {
        let names: Vec<String> = kind.roots().iter().map(|(n, _)| format!("`{n}`")).collect();
        out.push_str(&format!(
            "- subject `{}`: {}\n",
            kind.name(),
            names.join(", ")
        ));
    }
    out.push_str("\nEvery condition can also use `params` (the rule's parameters) and `now` (a timestamp).\n");
    let tables: [(&str, &[Field]); 7] = [
        ("account", ACCOUNT_FIELDS),
        ("permission_set", PERMISSION_SET_FIELDS),
        ("group", GROUP_FIELDS),
        ("user", USER_FIELDS),
        ("principal, via", PRINCIPAL_FIELDS),
        ("drift (messages of `check: drift` rules)", DRIFT_FIELDS),
        ("event (messages of `check: events` rules)", EVENT_FIELDS),
    ];
    for (name, fields) in tables {
        out.push_str(&format!(
            "\n### {name}\n\n| field | type | meaning |\n|---|---|---|\n"
        ));
        for field in fields {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                field.name,
                field.kind.describe(),
                field.doc
            ));
        }
    }
    out
}

/// Variables every condition can use besides the subject's own.
pub const CONSTANT_ROOTS: &[&str] = &["params", "now"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Int,
    Bool,
    ListOfStrings,
    /// A map whose keys are data (tags, policy documents): not validated further.
    Map,
    /// A string or null.
    OptionalString,
}

impl FieldType {
    pub fn describe(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::ListOfStrings => "list(string)",
            FieldType::Map => "map",
            FieldType::OptionalString => "string or null",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldType,
    pub doc: &'static str,
}

const fn field(name: &'static str, kind: FieldType, doc: &'static str) -> Field {
    Field { name, kind, doc }
}

use FieldType as T;

pub const ACCOUNT_FIELDS: &[Field] = &[
    field("id", T::String, "12-digit account id"),
    field("name", T::String, "account name in Organizations"),
    field("email", T::String, "root user email"),
    field(
        "status",
        T::String,
        "ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED",
    ),
    field(
        "ou_path",
        T::String,
        "organizational unit path, e.g. Root/core",
    ),
    field("tags", T::Map, "account tags"),
    field(
        "is_management",
        T::Bool,
        "the organization's management (root) account",
    ),
    field(
        "assignment_count",
        T::Int,
        "account assignments in this account",
    ),
];

pub const PERMISSION_SET_FIELDS: &[Field] = &[
    field("arn", T::String, "permission set ARN"),
    field("name", T::String, "permission set name"),
    field("description", T::OptionalString, "description"),
    field(
        "session_duration",
        T::OptionalString,
        "ISO 8601 session duration, e.g. PT1H",
    ),
    field(
        "session_duration_seconds",
        T::Int,
        "session duration in seconds (3600 when unset)",
    ),
    field("relay_state", T::OptionalString, "relay state URL"),
    field(
        "managed_policies",
        T::ListOfStrings,
        "AWS-managed policy ARNs",
    ),
    field(
        "customer_managed_policies",
        T::ListOfStrings,
        "customer-managed policy references as path+name",
    ),
    field(
        "inline_policy",
        T::Map,
        "the inline policy document, or null",
    ),
    field("has_inline_policy", T::Bool, "an inline policy is attached"),
    field(
        "inline_admin_grants",
        T::ListOfStrings,
        "inline statements granting administrator-equivalent access, as 'Sid: reason'",
    ),
    field(
        "grants_full_access",
        T::Bool,
        "AdministratorAccess attached or an inline Allow * on *",
    ),
    field(
        "permissions_boundary",
        T::OptionalString,
        "boundary policy ARN or path+name, or null",
    ),
    field("tags", T::Map, "permission set tags"),
    field(
        "provisioned_accounts",
        T::ListOfStrings,
        "accounts the set is provisioned to",
    ),
    field(
        "outdated_accounts",
        T::ListOfStrings,
        "accounts where the latest version is not provisioned",
    ),
    field(
        "assigned_accounts",
        T::ListOfStrings,
        "accounts the set is assigned in",
    ),
    field(
        "provisioning_drift_accounts",
        T::ListOfStrings,
        "assigned accounts where the latest version is not provisioned",
    ),
    field(
        "assignment_count",
        T::Int,
        "account assignments of this set",
    ),
];

pub const GROUP_FIELDS: &[Field] = &[
    field("id", T::String, "Identity Store group id"),
    field("name", T::String, "display name"),
    field("display_name", T::String, "display name"),
    field("description", T::OptionalString, "description"),
    field("member_count", T::Int, "number of members"),
    field(
        "assignment_count",
        T::Int,
        "account assignments to this group",
    ),
];

pub const USER_FIELDS: &[Field] = &[
    field("id", T::String, "Identity Store user id"),
    field("name", T::String, "user name"),
    field("user_name", T::String, "user name"),
    field("display_name", T::OptionalString, "display name"),
    field("email", T::OptionalString, "primary email"),
    field("emails", T::ListOfStrings, "all emails"),
    field("active", T::Bool, "false for disabled or suspended users"),
    field(
        "groups",
        T::ListOfStrings,
        "display names of the user's groups",
    ),
    field(
        "has_access",
        T::Bool,
        "holds access directly or through a group",
    ),
    field(
        "direct_assignment_count",
        T::Int,
        "account assignments made to the user directly",
    ),
];

/// What a drift rule's message can show (`check: drift`).
pub const DRIFT_FIELDS: &[Field] = &[
    field("kind", T::String, "the kind of drift (params.kind)"),
    field("account_key", T::String, "the account key in the stack"),
    field("account_id", T::String, "the account id"),
    field(
        "account_name",
        T::String,
        "the account name in Organizations",
    ),
    field("principal_type", T::String, "GROUP or USER"),
    field(
        "principal_name",
        T::String,
        "group display name or user name",
    ),
    field("permission_set", T::String, "permission set name"),
    field("detail", T::String, "what differs"),
    field("stack_file", T::String, "the stack file"),
    field(
        "line",
        T::Int,
        "the line of the declaration in the stack file",
    ),
];

/// What an events rule's message can show (`check: events`).
pub const EVENT_FIELDS: &[Field] = &[
    field("kind", T::String, "the kind of evidence rule (params.kind)"),
    field(
        "user_name",
        T::String,
        "user name (or root, or the IAM user)",
    ),
    field("user_id", T::String, "Identity Store user id, when known"),
    field("account_id", T::String, "account id"),
    field("account_name", T::String, "account name"),
    field("permission_set", T::String, "permission set name"),
    field(
        "via",
        T::String,
        "the group (or direct assignment) of an assignment",
    ),
    field(
        "time",
        T::String,
        "the time of the event the finding is about (RFC 3339)",
    ),
    field("count", T::Int, "how many events the finding sums up"),
    field("days", T::Int, "the look-back period of the rule, in days"),
    field("detail", T::String, "what the evidence shows"),
];

pub const PRINCIPAL_FIELDS: &[Field] = &[
    field("type", T::String, "GROUP or USER"),
    field("id", T::String, "Identity Store id"),
    field("name", T::String, "group display name or user name"),
    field(
        "exists",
        T::Bool,
        "the principal exists in the Identity Store",
    ),
    field(
        "active",
        T::Bool,
        "false for a disabled user; true for groups",
    ),
];

pub fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_string()))
}

fn optional_string(s: Option<&str>) -> Value {
    s.map(string).unwrap_or(Value::Null)
}

fn list_of_strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List(Arc::new(items.into_iter().map(string).collect()))
}

fn string_map(map: &std::collections::BTreeMap<String, String>) -> Value {
    let entries: HashMap<Key, Value> = map
        .iter()
        .map(|(k, v)| (Key::String(Arc::new(k.clone())), string(v)))
        .collect();
    Value::Map(Map {
        map: Arc::new(entries),
    })
}

/// The key of a field name, allocated once per name for the whole run.
fn field_key(name: &'static str) -> Key {
    static KEYS: std::sync::OnceLock<std::sync::Mutex<HashMap<&'static str, Arc<String>>>> =
        std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    let mut keys = keys.lock().expect("field keys");
    Key::String(
        keys.entry(name)
            .or_insert_with(|| Arc::new(name.to_string()))
            .clone(),
    )
}

pub fn object(entries: Vec<(&'static str, Value)>) -> Value {
    let mut map: HashMap<Key, Value> = HashMap::with_capacity(entries.len());
    for (name, value) in entries {
        map.insert(field_key(name), value);
    }
    Value::Map(Map { map: Arc::new(map) })
}

/// Converts JSON (policy documents, rule parameters) into a CEL value.
pub fn from_json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => string(s),
        serde_json::Value::Array(items) => {
            Value::List(Arc::new(items.iter().map(from_json).collect()))
        }
        serde_json::Value::Object(map) => {
            let entries: HashMap<Key, Value> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), from_json(v)))
                .collect();
            Value::Map(Map {
                map: Arc::new(entries),
            })
        }
    }
}

/// Looks a dotted path up in a CEL value; `None` when a step is missing.
pub fn lookup<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut current = value;
    for step in path {
        match current {
            Value::Map(map) => {
                current = map.map.get(&Key::String(Arc::new(step.clone())))?;
            }
            _ => return None,
        }
    }
    Some(current)
}

/// Lazily built, shared CEL values of the model's entities.
pub struct ValueCache<'m, 's> {
    pub model: &'m Model<'s>,
    accounts: Vec<OnceCell<Value>>,
    permission_sets: Vec<OnceCell<Value>>,
    groups: Vec<OnceCell<Value>>,
    users: Vec<OnceCell<Value>>,
    group_principals: Vec<OnceCell<Value>>,
    user_principals: Vec<OnceCell<Value>>,
}

impl<'m, 's> ValueCache<'m, 's> {
    pub fn new(model: &'m Model<'s>) -> Self {
        let snapshot = model.snapshot;
        let cells = |n: usize| (0..n).map(|_| OnceCell::new()).collect::<Vec<_>>();
        ValueCache {
            model,
            accounts: cells(snapshot.organization.accounts.len()),
            permission_sets: cells(snapshot.permission_sets.len()),
            groups: cells(snapshot.groups.len()),
            users: cells(snapshot.users.len()),
            group_principals: cells(snapshot.groups.len()),
            user_principals: cells(snapshot.users.len()),
        }
    }

    pub fn account(&self, position: usize) -> &Value {
        self.accounts[position].get_or_init(|| {
            let account = &self.model.snapshot.organization.accounts[position];
            account_value(
                self.model,
                account,
                self.model.assignments_per_account[position],
            )
        })
    }

    /// An account the snapshot does not list (an assignment to a closed or foreign account).
    pub fn unknown_account(&self, id: &str) -> Value {
        let account = Account {
            id: id.to_string(),
            name: id.to_string(),
            ..Default::default()
        };
        account_value(self.model, &account, 0)
    }

    pub fn permission_set(&self, position: usize) -> &Value {
        self.permission_sets[position].get_or_init(|| {
            let model = self.model;
            permission_set_value(
                &model.snapshot.permission_sets[position],
                &model.permission_set_facts[position],
                &model.permission_set_assigned_accounts[position],
                model.assignments_per_permission_set[position],
            )
        })
    }

    pub fn permission_set_by_arn(&self, arn: &str) -> Value {
        match self.model.permission_set_index.get(arn) {
            Some(&position) => self.permission_set(position).clone(),
            None => {
                // An assignment to a set the snapshot does not list (deleted meanwhile).
                let set = PermissionSet {
                    arn: arn.to_string(),
                    name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
                    ..Default::default()
                };
                let facts = crate::model::PermissionSetFacts::of(&set);
                permission_set_value(&set, &facts, &Default::default(), 0)
            }
        }
    }

    pub fn group(&self, position: usize) -> &Value {
        self.groups[position].get_or_init(|| {
            let group: &Group = &self.model.snapshot.groups[position];
            object(vec![
                ("id", string(&group.id)),
                ("name", string(&group.display_name)),
                ("display_name", string(&group.display_name)),
                ("description", optional_string(group.description.as_deref())),
                (
                    "member_count",
                    Value::Int(self.model.group_members[position].len() as i64),
                ),
                (
                    "assignment_count",
                    Value::Int(self.model.assignments_per_group[position] as i64),
                ),
            ])
        })
    }

    pub fn user(&self, position: usize) -> &Value {
        self.users[position].get_or_init(|| {
            let model = self.model;
            let user: &User = &model.snapshot.users[position];
            let groups = model.user_groups[position]
                .iter()
                .map(|&g| model.snapshot.groups[g].display_name.as_str());
            object(vec![
                ("id", string(&user.id)),
                ("name", string(&user.user_name)),
                ("user_name", string(&user.user_name)),
                (
                    "display_name",
                    optional_string(user.display_name.as_deref()),
                ),
                ("email", optional_string(primary_email(user))),
                (
                    "emails",
                    list_of_strings(user.emails.iter().map(|e| e.value.as_str())),
                ),
                ("active", Value::Bool(user.active)),
                ("groups", list_of_strings(groups)),
                ("has_access", Value::Bool(model.user_has_access[position])),
                (
                    "direct_assignment_count",
                    Value::Int(model.direct_assignments_per_user[position] as i64),
                ),
            ])
        })
    }

    /// The `principal` of an assignment (or `via` of an access row).
    pub fn principal(&self, principal_type: PrincipalType, id: &str) -> Value {
        match principal_type {
            PrincipalType::Group => match self.model.group_index.get(id) {
                Some(&g) => self.group_principals[g]
                    .get_or_init(|| {
                        let group = &self.model.snapshot.groups[g];
                        principal_value("GROUP", &group.id, &group.display_name, true, true)
                    })
                    .clone(),
                None => principal_value("GROUP", id, id, false, true),
            },
            PrincipalType::User => match self.model.user_index.get(id) {
                Some(&u) => self.user_principals[u]
                    .get_or_init(|| {
                        let user = &self.model.snapshot.users[u];
                        principal_value("USER", &user.id, &user.user_name, true, user.active)
                    })
                    .clone(),
                None => principal_value("USER", id, id, false, false),
            },
        }
    }

    /// The value of the `position`th entity of a single-root subject.
    pub fn entity(&self, kind: SubjectKind, position: usize) -> Value {
        match kind {
            SubjectKind::Account => self.account(position).clone(),
            SubjectKind::Group => self.group(position).clone(),
            SubjectKind::User => self.user(position).clone(),
            SubjectKind::PermissionSet => self.permission_set(position).clone(),
            SubjectKind::Assignment | SubjectKind::Access => {
                panic!("{} rows have several roots", kind.name())
            }
        }
    }

    /// One root variable of an assignment, in `SubjectKind::Assignment.roots()` order:
    /// 0 account, 1 permission set, 2 principal.
    pub fn assignment_root(&self, position: usize, root: usize) -> Value {
        let assignment = &self.model.snapshot.assignments[position];
        let target = self.model.assignment_targets[position];
        match root {
            0 => match target.account {
                Some(a) => self.account(a as usize).clone(),
                None => self.unknown_account(&assignment.account_id),
            },
            1 => match target.permission_set {
                Some(p) => self.permission_set(p as usize).clone(),
                None => self.permission_set_by_arn(&assignment.permission_set_arn),
            },
            _ => self.principal(assignment.principal_type, &assignment.principal_id),
        }
    }
}

pub fn primary_email(user: &User) -> Option<&str> {
    user.emails
        .iter()
        .find(|e| e.primary)
        .or_else(|| user.emails.first())
        .map(|e| e.value.as_str())
}

fn principal_value(kind: &str, id: &str, name: &str, exists: bool, active: bool) -> Value {
    object(vec![
        ("type", string(kind)),
        ("id", string(id)),
        ("name", string(name)),
        ("exists", Value::Bool(exists)),
        ("active", Value::Bool(active)),
    ])
}

fn account_value(model: &Model, account: &Account, assignment_count: usize) -> Value {
    object(vec![
        ("id", string(&account.id)),
        ("name", string(&account.name)),
        ("email", string(&account.email)),
        ("status", string(&account.status)),
        ("ou_path", string(&account.ou_path)),
        ("tags", string_map(&account.tags)),
        (
            "is_management",
            Value::Bool(model.is_management_account(&account.id)),
        ),
        ("assignment_count", Value::Int(assignment_count as i64)),
    ])
}

fn permission_set_value(
    set: &PermissionSet,
    facts: &crate::model::PermissionSetFacts,
    assigned: &std::collections::BTreeSet<&str>,
    assignment_count: usize,
) -> Value {
    let provisioned: rustc_hash::FxHashSet<&str> = set
        .provisioned_accounts
        .iter()
        .map(String::as_str)
        .collect();
    let outdated: rustc_hash::FxHashSet<&str> =
        set.outdated_accounts.iter().map(String::as_str).collect();
    let drift: Vec<&str> = assigned
        .iter()
        .copied()
        .filter(|account| !provisioned.contains(account) || outdated.contains(account))
        .collect();
    let customer_managed: Vec<String> = set
        .customer_managed_policies
        .iter()
        .map(|p| format!("{}{}", p.path, p.name))
        .collect();
    let boundary = set.permissions_boundary.as_ref().and_then(|b| {
        b.managed_policy_arn.clone().or_else(|| {
            b.customer_managed_policy
                .as_ref()
                .map(|p| format!("{}{}", p.path, p.name))
        })
    });
    let grants: Vec<String> = facts
        .inline_admin_grants
        .iter()
        .map(|g| format!("{}: {}", g.statement, g.reason))
        .collect();
    object(vec![
        ("arn", string(&set.arn)),
        ("name", string(&set.name)),
        ("description", optional_string(set.description.as_deref())),
        (
            "session_duration",
            optional_string(set.session_duration.as_deref()),
        ),
        (
            "session_duration_seconds",
            Value::Int(facts.session_duration_seconds),
        ),
        ("relay_state", optional_string(set.relay_state.as_deref())),
        (
            "managed_policies",
            list_of_strings(set.managed_policies.iter().map(String::as_str)),
        ),
        (
            "customer_managed_policies",
            list_of_strings(customer_managed.iter().map(String::as_str)),
        ),
        (
            "inline_policy",
            set.inline_policy
                .as_ref()
                .map(from_json)
                .unwrap_or(Value::Null),
        ),
        (
            "has_inline_policy",
            Value::Bool(set.inline_policy.is_some()),
        ),
        (
            "inline_admin_grants",
            list_of_strings(grants.iter().map(String::as_str)),
        ),
        ("grants_full_access", Value::Bool(facts.grants_full_access)),
        ("permissions_boundary", optional_string(boundary.as_deref())),
        ("tags", string_map(&set.tags)),
        (
            "provisioned_accounts",
            list_of_strings(set.provisioned_accounts.iter().map(String::as_str)),
        ),
        (
            "outdated_accounts",
            list_of_strings(set.outdated_accounts.iter().map(String::as_str)),
        ),
        (
            "assigned_accounts",
            list_of_strings(assigned.iter().copied()),
        ),
        ("provisioning_drift_accounts", list_of_strings(drift)),
        ("assignment_count", Value::Int(assignment_count as i64)),
    ])
}
