//! What a rule sees: the subjects it can apply to, their root variables, and the CEL values
//! built from the model for each of them. Every field is declared once, in `fields`: its type,
//! meaning, the data areas it reads and how its value is built; validation, the field
//! reference, the data areas of a rule and the values all derive from that declaration.
//!
//! Values of accounts, permission sets, groups and users are built once and shared (CEL maps
//! and strings are reference-counted), so an assignment or access row costs a few pointers.

mod fields;
pub mod rows;

pub use fields::*;
pub use rows::{EventRow, IdentityRow, MemberRow, from_json, string};

use crate::model::Model;
use crate::snapshot::{Account, PermissionSet, PrincipalType, User};
use crate::vocabulary::DataArea;
use cel::Value;
use cel::objects::Key;
use rows::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::OnceLock;

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
                ("assignment", ASSIGNMENT_FIELDS),
            ],
            SubjectKind::Access => &[
                ("user", USER_FIELDS),
                ("account", ACCOUNT_FIELDS),
                ("permission_set", PERMISSION_SET_FIELDS),
                ("via", PRINCIPAL_FIELDS),
            ],
        }
    }

    /// What every rule over this subject reads, whatever fields it uses: the entities the
    /// rows are made of.
    pub fn base_reads(self) -> &'static [DataArea] {
        use DataArea as A;
        match self {
            SubjectKind::Account => &[A::Organization],
            SubjectKind::Group => &[A::Groups],
            SubjectKind::User => &[A::Users],
            SubjectKind::PermissionSet => &[A::PermissionSets],
            SubjectKind::Assignment => &[
                A::Assignments,
                A::Entitlements,
                A::Organization,
                A::PermissionSets,
                A::Users,
                A::Groups,
            ],
            SubjectKind::Access => &[
                A::Assignments,
                A::Entitlements,
                A::Organization,
                A::PermissionSets,
                A::Users,
                A::Groups,
                A::Memberships,
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
    out.push_str("\nEvery condition can also use `params` (the rule's parameters), `now` (a timestamp), `days(n)` (a duration of n days, as in `user.last_sign_in < now - days(90)`), `iso_seconds(text)` (an ISO 8601 duration in seconds) and `allows(permission_set, \"svc:Action\")` (`allowed`, `conditional` or `denied`, from the set's policies).\n");
    let tables: [(&str, &[Field]); 10] = [
        ("account", ACCOUNT_FIELDS),
        ("permission_set", PERMISSION_SET_FIELDS),
        ("group", GROUP_FIELDS),
        ("user", USER_FIELDS),
        ("assignment (subject `assignment`)", ASSIGNMENT_FIELDS),
        ("principal, via", PRINCIPAL_FIELDS),
        ("drift (messages of `check: drift` rules)", DRIFT_FIELDS),
        ("event (messages of `check: events` rules)", EVENT_FIELDS),
        (
            "iam (messages of `check: member-accounts` rules)",
            MEMBER_FIELDS,
        ),
        (
            "change (messages of `check: identity-changed` rules)",
            IDENTITY_FIELDS,
        ),
    ];
    for (name, fields) in tables {
        out.push_str(&format!(
            "\n### {name}\n\n| field | type | meaning | reads |\n|---|---|---|---|\n"
        ));
        for field in fields {
            let reads: Vec<&str> = field.reads.iter().map(|a| a.as_str()).collect();
            out.push_str(&format!(
                "| `{}` | {} | {}{} | {} |\n",
                field.name,
                field.kind.describe(),
                field.doc,
                if field.unseen_when_absent {
                    " (a rule that reads it concludes from absence: any events gap silences it)"
                } else {
                    ""
                },
                reads.join(", ")
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
    /// A timestamp or null.
    OptionalTimestamp,
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
            FieldType::OptionalTimestamp => "timestamp or null",
        }
    }
}

/// How a field's value is built from the row of its root.
#[derive(Clone, Copy)]
pub enum Build {
    Account(fn(&AccountRow) -> Value),
    PermissionSet(fn(&PermissionSetRow) -> Value),
    Group(fn(&GroupRow) -> Value),
    User(fn(&UserRow) -> Value),
    Assignment(fn(&AssignmentRow) -> Value),
    Principal(fn(&PrincipalRow) -> Value),
    Drift(fn(&DriftRow) -> Value),
    Event(fn(&EventRow) -> Value),
    Member(fn(&MemberRow) -> Value),
    Identity(fn(&IdentityRow) -> Value),
    Missing(fn(&str) -> Value),
}

/// One field of a root variable.
#[derive(Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldType,
    pub doc: &'static str,
    /// The data areas its value comes from: a gap in one makes a rule reading it incomplete.
    pub reads: &'static [DataArea],
    /// Its null or old value may only mean "not seen": a rule reading it concludes from
    /// absence, and reports nothing on a gap in the events.
    pub unseen_when_absent: bool,
    pub build: Build,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish()
    }
}

/// A row that fields of one root are built from.
pub trait Row {
    fn value(&self, build: Build) -> Option<Value>;
}

macro_rules! row {
    ($row:ident, $variant:ident) => {
        impl Row for $row<'_> {
            fn value(&self, build: Build) -> Option<Value> {
                match build {
                    Build::$variant(f) => Some(f(self)),
                    _ => None,
                }
            }
        }
    };
}
row!(AccountRow, Account);
row!(PermissionSetRow, PermissionSet);
row!(GroupRow, Group);

impl Row for UserRow<'_, '_> {
    fn value(&self, build: Build) -> Option<Value> {
        match build {
            Build::User(f) => Some(f(self)),
            _ => None,
        }
    }
}

impl Row for AssignmentRow<'_, '_> {
    fn value(&self, build: Build) -> Option<Value> {
        match build {
            Build::Assignment(f) => Some(f(self)),
            _ => None,
        }
    }
}
row!(PrincipalRow, Principal);
row!(DriftRow, Drift);

impl Row for EventRow {
    fn value(&self, build: Build) -> Option<Value> {
        match build {
            Build::Event(f) => Some(f(self)),
            _ => None,
        }
    }
}

impl Row for MemberRow {
    fn value(&self, build: Build) -> Option<Value> {
        match build {
            Build::Member(f) => Some(f(self)),
            _ => None,
        }
    }
}

impl Row for IdentityRow {
    fn value(&self, build: Build) -> Option<Value> {
        match build {
            Build::Identity(f) => Some(f(self)),
            _ => None,
        }
    }
}

impl Row for str {
    fn value(&self, build: Build) -> Option<Value> {
        match build {
            Build::Missing(f) => Some(f(self)),
            _ => None,
        }
    }
}

/// The CEL map of one root: every declared field, built from its row.
pub fn value_of<R: Row + ?Sized>(fields: &'static [Field], row: &R) -> Value {
    value_of_fields(fields.iter(), row)
}

/// The map of some of a root's fields.
fn value_of_fields<'f, R: Row + ?Sized>(
    fields: impl ExactSizeIterator<Item = &'f Field>,
    row: &R,
) -> Value {
    let mut map: HashMap<Key, Value> = HashMap::with_capacity(fields.len());
    for field in fields {
        let value = row.value(field.build).unwrap_or_else(|| {
            panic!(
                "field `{}` is declared with another root's builder",
                field.name
            )
        });
        map.insert(field_key(field.name), value);
    }
    Value::Map(cel::objects::Map { map: Arc::new(map) })
}

/// The data areas read by `root.field` (or by the whole root when `field` is None), and
/// whether the value may only mean "not seen" when absent.
pub fn reads_of(fields: &[Field], field: Option<&str>) -> (BTreeSet<DataArea>, bool) {
    let mut areas = BTreeSet::new();
    let mut unseen = false;
    for f in fields
        .iter()
        .filter(|f| field.is_none_or(|name| f.name == name))
    {
        areas.extend(f.reads.iter().copied());
        unseen |= f.unseen_when_absent;
    }
    (areas, unseen)
}

/// The key of a field name, allocated once per name and thread (no lock on this hot path).
fn field_key(name: &'static str) -> Key {
    thread_local! {
        static KEYS: std::cell::RefCell<rustc_hash::FxHashMap<&'static str, Arc<String>>> =
            Default::default();
    }
    KEYS.with(|keys| {
        Key::String(
            keys.borrow_mut()
                .entry(name)
                .or_insert_with(|| Arc::new(name.to_string()))
                .clone(),
        )
    })
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
    accounts: Vec<OnceLock<Value>>,
    permission_sets: Vec<OnceLock<Value>>,
    groups: Vec<OnceLock<Value>>,
    users: Vec<OnceLock<Value>>,
    group_principals: Vec<OnceLock<Value>>,
    user_principals: Vec<OnceLock<Value>>,
    /// The `user` fields built (positions in [`USER_FIELDS`]), None for all: what the rules
    /// of an evaluation read, so that 20,000 users are not held with every field.
    user_fields: Option<Vec<usize>>,
}

impl<'m, 's> ValueCache<'m, 's> {
    pub fn new(model: &'m Model<'s>) -> Self {
        let snapshot = model.snapshot;
        let cells = |n: usize| (0..n).map(|_| OnceLock::new()).collect::<Vec<_>>();
        ValueCache {
            model,
            accounts: cells(snapshot.organization.accounts.len()),
            permission_sets: cells(model.first_chain_role() + model.chain_roles.len()),
            groups: cells(snapshot.groups.len()),
            users: cells(snapshot.users.len()),
            group_principals: cells(snapshot.groups.len()),
            user_principals: cells(snapshot.users.len()),
            user_fields: None,
        }
    }

    /// Builds only these fields of each `user` (positions in [`USER_FIELDS`]).
    pub fn with_user_fields(mut self, fields: Option<Vec<usize>>) -> Self {
        self.user_fields = fields;
        self
    }

    fn account_row<'a>(&'a self, account: &'a Account, assignment_count: usize) -> AccountRow<'a> {
        AccountRow {
            account,
            is_management: self.model.is_management_account(&account.id),
            assignment_count,
            settings: self.model.snapshot.settings(),
            audited_instance: &self.model.snapshot.metadata.instance_arn,
        }
    }

    pub fn account(&self, position: usize) -> &Value {
        self.accounts[position].get_or_init(|| {
            let account = &self.model.snapshot.organization.accounts[position];
            let row = self.account_row(account, self.model.assignments_per_account[position]);
            value_of(ACCOUNT_FIELDS, &row)
        })
    }

    /// An account the snapshot does not list (an assignment to a closed or foreign account).
    pub fn unknown_account(&self, id: &str) -> Value {
        let account = Account {
            id: id.to_string(),
            name: id.to_string(),
            ..Default::default()
        };
        value_of(ACCOUNT_FIELDS, &self.account_row(&account, 0))
    }

    /// The `permission_set` value of a set, or (past the sets) of an entitlement's IAM role.
    pub fn permission_set(&self, position: usize) -> &Value {
        self.permission_sets[position].get_or_init(|| {
            let model = self.model;
            let sets = model.snapshot.permission_sets.len();
            let first_variant = sets + model.roles.len();
            let first_chain_role = model.first_chain_role();
            // A set as provisioned in an account: the set's fields, the variant's capabilities.
            let set = match position {
                p if p >= first_chain_role => {
                    return self.role(model.chain_roles[p - first_chain_role], p);
                }
                p if p >= first_variant => model.variants[p - first_variant].set,
                p if p >= sets => return self.role(model.roles[p - sets], p),
                p => p,
            };
            value_of(
                PERMISSION_SET_FIELDS,
                &PermissionSetRow {
                    set: &model.snapshot.permission_sets[set],
                    facts: &model.permission_set_facts[set],
                    capabilities: &model.policy_facts().capabilities[position],
                    assigned: &model.permission_set_assigned_accounts[set],
                    assignment_count: model.assignments_per_permission_set[set],
                    kind: "permission_set",
                },
            )
        })
    }

    /// The `permission_set` value of an IAM role entitlements or chains reach (at `position`
    /// in the policy facts): its attached policies as a set's managed policies, its
    /// capabilities from its policies.
    fn role(&self, arn: &str, position: usize) -> Value {
        let model = self.model;
        let read = model
            .snapshot
            .account_access
            .iter()
            .flat_map(|a| &a.roles)
            .chain(
                model
                    .snapshot
                    .member_accounts
                    .iter()
                    .flatten()
                    .flat_map(|m| m.roles.iter().map(|r| &r.role)),
            )
            .find(|role| role.arn == arn);
        let set = PermissionSet {
            arn: arn.to_string(),
            name: crate::iam::role_label(arn).to_string(),
            managed_policies: read.map(|r| r.managed_policies.clone()).unwrap_or_default(),
            ..Default::default()
        };
        let facts = crate::model::PermissionSetFacts::of(&set);
        let mut assigned = BTreeSet::new();
        let mut count = 0;
        for route in model.routes.iter().filter(|r| r.grant_arn == arn) {
            assigned.insert(route.account_id);
            count += 1;
        }
        value_of(
            PERMISSION_SET_FIELDS,
            &PermissionSetRow {
                set: &set,
                facts: &facts,
                capabilities: &model.policy_facts().capabilities[position],
                assigned: &assigned,
                assignment_count: count,
                kind: "iam_role",
            },
        )
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
                let capabilities =
                    crate::iam::capabilities::of(&crate::iam::analyse(self.model.snapshot, &set));
                value_of(
                    PERMISSION_SET_FIELDS,
                    &PermissionSetRow {
                        set: &set,
                        facts: &facts,
                        capabilities: &capabilities,
                        assigned: &BTreeSet::new(),
                        assignment_count: 0,
                        kind: "permission_set",
                    },
                )
            }
        }
    }

    pub fn group(&self, position: usize) -> &Value {
        self.groups[position].get_or_init(|| {
            value_of(
                GROUP_FIELDS,
                &GroupRow {
                    group: &self.model.snapshot.groups[position],
                    member_count: self.model.group_members[position].len(),
                    assignment_count: self.model.assignments_per_group[position],
                    external_source: self.model.identity_source_external,
                    declared: self.model.declared_groups.as_ref().map(|declared| {
                        declared.contains(&self.model.snapshot.groups[position].display_name)
                    }),
                },
            )
        })
    }

    pub fn user(&self, position: usize) -> &Value {
        self.users[position].get_or_init(|| {
            let row = UserRow {
                model: self.model,
                user: &self.model.snapshot.users[position],
                position,
            };
            match &self.user_fields {
                None => value_of(USER_FIELDS, &row),
                Some(only) => value_of_fields(only.iter().map(|&i| &USER_FIELDS[i]), &row),
            }
        })
    }

    /// The `assignment` root of the `position`th assignment (not cached: one row each).
    pub fn assignment(&self, position: usize) -> Value {
        self.assignment_only(position, None)
    }

    /// The `assignment` root with only the fields at `only` (positions in
    /// [`ASSIGNMENT_FIELDS`]), or all of them: a condition reading `assignment.last_used` does
    /// not build the chain's path for 200,000 rows.
    pub fn assignment_only(&self, position: usize, only: Option<&[usize]>) -> Value {
        let row = AssignmentRow {
            model: self.model,
            position,
        };
        match only {
            None => value_of(ASSIGNMENT_FIELDS, &row),
            Some(only) => value_of_fields(only.iter().map(|&i| &ASSIGNMENT_FIELDS[i]), &row),
        }
    }

    /// The `principal` of an assignment (or `via` of an access row).
    pub fn principal(&self, principal_type: PrincipalType, id: &str) -> Value {
        let value = |kind, id, name, exists, active| {
            value_of(
                PRINCIPAL_FIELDS,
                &PrincipalRow {
                    kind,
                    id,
                    name,
                    exists,
                    active,
                },
            )
        };
        match principal_type {
            PrincipalType::Group => match self.model.group_index.get(id) {
                Some(&g) => self.group_principals[g]
                    .get_or_init(|| {
                        let group = &self.model.snapshot.groups[g];
                        value("GROUP", &group.id, &group.display_name, true, true)
                    })
                    .clone(),
                None => value("GROUP", id, id, false, true),
            },
            PrincipalType::User => match self.model.user_index.get(id) {
                Some(&u) => self.user_principals[u]
                    .get_or_init(|| {
                        let user = &self.model.snapshot.users[u];
                        value("USER", &user.id, &user.user_name, true, user.active)
                    })
                    .clone(),
                None => value("USER", id, id, false, false),
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
    /// 0 account, 1 permission set, 2 principal, 3 the assignment itself.
    pub fn assignment_root(&self, position: usize, root: usize) -> Value {
        self.assignment_root_only(position, root, None)
    }

    /// One root variable of an assignment; of the assignment itself (root 3) only the fields
    /// at `only`, when given (the other roots are built once per entity, whole).
    pub fn assignment_root_only(
        &self,
        position: usize,
        root: usize,
        only: Option<&[usize]>,
    ) -> Value {
        let route = &self.model.routes[position];
        let target = self.model.assignment_targets[position];
        match root {
            0 => match target.account {
                Some(a) => self.account(a as usize).clone(),
                None => self.unknown_account(route.account_id),
            },
            1 => match target.facts {
                Some(p) => self.permission_set(p as usize).clone(),
                None => self.permission_set_by_arn(route.grant_arn),
            },
            2 => self.principal(route.principal_type, route.principal_id),
            _ => self.assignment_only(position, only),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;

    fn type_matches(kind: FieldType, value: &Value) -> bool {
        matches!(
            (kind, value),
            (FieldType::String, Value::String(_))
                | (FieldType::Int, Value::Int(_))
                | (FieldType::Bool, Value::Bool(_))
                | (FieldType::ListOfStrings, Value::List(_))
                | (FieldType::Map, Value::Map(_) | Value::Null)
                | (FieldType::OptionalString, Value::String(_) | Value::Null)
                | (
                    FieldType::OptionalTimestamp,
                    Value::Timestamp(_) | Value::Null
                )
        )
    }

    /// Every value built for a root has exactly the declared fields, each of its declared type.
    fn check(root: &str, fields: &[Field], value: &Value, seen: &mut BTreeSet<(String, String)>) {
        let Value::Map(map) = value else {
            panic!("{root} is not a map")
        };
        let built: BTreeSet<String> = map
            .map
            .keys()
            .map(|k| match k {
                Key::String(s) => s.to_string(),
                other => panic!("{root}: key {other:?}"),
            })
            .collect();
        let declared: BTreeSet<String> = fields.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(built, declared, "{root}: built and declared fields differ");
        for field in fields {
            let value = &map.map[&field_key(field.name)];
            assert!(
                type_matches(field.kind, value),
                "{root}.{} is declared {} but built as {value:?}",
                field.name,
                field.kind.describe()
            );
            if !matches!(value, Value::Null) {
                seen.insert((root.to_string(), field.name.to_string()));
            }
        }
    }

    #[test]
    fn built_values_match_their_declarations() {
        let snapshot = Snapshot::from_slice(
            include_bytes!("../../fixtures/reference-violating.snapshot.json"),
            "fixture",
        )
        .unwrap();
        let model = Model::new(&snapshot);
        let cache = ValueCache::new(&model);
        let mut seen = BTreeSet::new();
        for i in 0..snapshot.organization.accounts.len() {
            check("account", ACCOUNT_FIELDS, cache.account(i), &mut seen);
        }
        for i in 0..snapshot.permission_sets.len() {
            check(
                "permission_set",
                PERMISSION_SET_FIELDS,
                cache.permission_set(i),
                &mut seen,
            );
        }
        for i in 0..snapshot.groups.len() {
            check("group", GROUP_FIELDS, cache.group(i), &mut seen);
        }
        for i in 0..snapshot.users.len() {
            check("user", USER_FIELDS, cache.user(i), &mut seen);
        }
        for (i, a) in snapshot.assignments.iter().enumerate() {
            check(
                "assignment",
                ASSIGNMENT_FIELDS,
                &cache.assignment(i),
                &mut seen,
            );
            check(
                "principal",
                PRINCIPAL_FIELDS,
                &cache.principal(a.principal_type, &a.principal_id),
                &mut seen,
            );
        }
        check(
            "principal",
            PRINCIPAL_FIELDS,
            &cache.principal(PrincipalType::User, "gone"),
            &mut seen,
        );
        let event = EventRow::default();
        check(
            "event",
            EVENT_FIELDS,
            &value_of(EVENT_FIELDS, &event),
            &mut seen,
        );
        check(
            "iam",
            MEMBER_FIELDS,
            &value_of(MEMBER_FIELDS, &MemberRow::default()),
            &mut seen,
        );
        check(
            "change",
            IDENTITY_FIELDS,
            &value_of(IDENTITY_FIELDS, &IdentityRow::default()),
            &mut seen,
        );
        check(
            "missing",
            MISSING_FIELDS,
            &value_of(MISSING_FIELDS, "x"),
            &mut seen,
        );
        // The evidence fields are built from the fixture's events, not left null.
        for (root, field) in [
            ("user", "last_sign_in"),
            ("user", "last_sign_in_without_mfa"),
            ("user", "last_external_idp_sign_in"),
            ("assignment", "last_used"),
        ] {
            assert!(
                seen.contains(&(root.to_string(), field.to_string())),
                "{root}.{field} is null for every row of the fixture"
            );
        }
        assert!(
            (0..snapshot.users.len()).any(|u| model.user_evidence()[u].failed_sign_ins > 0),
            "failed sign-ins are counted"
        );
    }

    #[test]
    fn every_field_reads_a_data_area_and_docs_are_written() {
        for fields in [
            ACCOUNT_FIELDS,
            PERMISSION_SET_FIELDS,
            GROUP_FIELDS,
            USER_FIELDS,
            ASSIGNMENT_FIELDS,
            PRINCIPAL_FIELDS,
        ] {
            for field in fields {
                assert!(!field.reads.is_empty(), "{} reads nothing", field.name);
                assert!(!field.doc.is_empty(), "{} has no doc", field.name);
            }
        }
    }
}
