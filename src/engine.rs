//! Evaluates rules against a snapshot and produces findings.
//!
//! A CEL condition is evaluated once per distinct combination of the field values it reads
//! (a condition on `principal.type` runs twice, however many assignments there are). Access
//! rules decide their assignment-level conjuncts per assignment and expand group members only
//! for the assignments that pass, so effective access is never materialized as a whole.

use crate::cel_paths::{self, ConditionShape};
use crate::desired::DesiredState;
use crate::drift::{self, DriftItem};
use crate::findings::{
    self, AccountRef, Finding, PermissionSetRef, PrincipalRef, Resource, SourceLocation,
};
use crate::model::Model;
use crate::rules::{Logic, Rule, Template, TemplatePart};
use crate::snapshot::{Assignment, Gap, PrincipalType, Snapshot};
use crate::subjects::{self, SubjectKind, ValueCache};
use cel::objects::Key;
use cel::{Context, ExecutionError, Value};
use rustc_hash::FxHashMap;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The result of evaluating a rule set.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// Rules whose data has collection gaps: their result may be incomplete.
    pub incomplete: Vec<IncompleteRule>,
    /// Conditions that failed at run time (a user rule reading a null field, say).
    pub errors: Vec<EvaluationError>,
    pub rules_evaluated: usize,
    /// Drift rules not evaluated because no stack file was given.
    pub skipped: Vec<String>,
}

/// A condition that could not be decided for one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationError {
    pub rule_id: String,
    /// `path:line` of the rule.
    pub rule_origin: String,
    pub resource_kind: String,
    pub resource_id: String,
    pub message: String,
}

impl std::fmt::Display for EvaluationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule {} ({}) failed on {} {}: {}",
            self.rule_id, self.rule_origin, self.resource_kind, self.resource_id, self.message
        )
    }
}

#[derive(Debug, Clone)]
pub struct IncompleteRule {
    pub rule_id: String,
    pub gaps: Vec<Gap>,
}

/// Evaluates `rules` on `snapshot` with `now` as the current time.
pub fn evaluate(
    snapshot: &Snapshot,
    rules: &[Rule],
    now: chrono::DateTime<chrono::Utc>,
) -> Evaluation {
    evaluate_with(snapshot, rules, now, None)
}

/// Evaluates `rules`; drift rules compare with `desired` and are skipped without it.
pub fn evaluate_with(
    snapshot: &Snapshot,
    rules: &[Rule],
    now: chrono::DateTime<chrono::Utc>,
    desired: Option<&DesiredState>,
) -> Evaluation {
    let model = Model::new(snapshot);
    let cache = ValueCache::new(&model);
    let mut evaluation = Evaluation::default();
    let mut drift_items: Option<Vec<DriftItem>> = None;
    for rule in rules {
        if let Logic::Drift { .. } = rule.logic
            && desired.is_none()
        {
            evaluation.skipped.push(rule.id.clone());
            continue;
        }
        let gaps = gaps_for(snapshot, rule);
        if !gaps.is_empty() {
            evaluation.incomplete.push(IncompleteRule {
                rule_id: rule.id.clone(),
                gaps,
            });
        }
        let mut run = RuleRun {
            rule,
            cache: &cache,
            findings: &mut evaluation.findings,
            errors: &mut evaluation.errors,
        };
        match &rule.logic {
            Logic::RequiredNames { names } => run.required_names(names),
            Logic::Condition(shape) => run.condition(shape, now),
            Logic::Drift { kind } => {
                let desired = desired.expect("drift rules without --desired are skipped above");
                let items = drift_items.get_or_insert_with(|| drift::compute(&model, desired));
                run.drift(kind, items, desired);
            }
        }
        evaluation.rules_evaluated += 1;
    }
    findings::sort(&mut evaluation.findings);
    evaluation
}

/// The recorded gaps in the areas a rule reads; a rule that needs events when no event
/// source was read gets a gap of its own.
pub fn gaps_for(snapshot: &Snapshot, rule: &Rule) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = snapshot
        .gaps
        .iter()
        .filter(|g| rule.requires.contains(&g.area))
        .cloned()
        .collect();
    if rule.requires.contains("events") && snapshot.events.sources.is_empty() {
        gaps.push(Gap {
            area: "events".into(),
            operation: String::new(),
            resource: String::new(),
            error: "the snapshot holds no sign-in or access events (no event source was read)"
                .into(),
        });
    }
    gaps
}

struct RuleRun<'r, 'c, 'm, 's> {
    rule: &'r Rule,
    cache: &'c ValueCache<'m, 's>,
    findings: &'r mut Vec<Finding>,
    errors: &'r mut Vec<EvaluationError>,
}

/// A field path below its root, prepared for lookups.
struct PreparedPath {
    keys: Vec<Key>,
}

fn resolve<'v>(root: &'v Value, path: &PreparedPath) -> Option<&'v Value> {
    let mut current = root;
    for key in &path.keys {
        match current {
            Value::Map(map) => current = map.map.get(key)?,
            _ => return None,
        }
    }
    Some(current)
}

/// The values one root contributes to a condition, as a hashable key. Equality is CEL
/// equality; a value that is not equal to itself (NaN) only costs a cache miss.
#[derive(Clone)]
struct ValueKey(Vec<Option<Value>>);

impl PartialEq for ValueKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for ValueKey {}

impl Hash for ValueKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for value in &self.0 {
            match value {
                None => state.write_u8(0),
                Some(v) => hash_value(v, state),
            }
        }
    }
}

fn hash_value<H: Hasher>(value: &Value, state: &mut H) {
    match value {
        Value::String(s) => {
            state.write_u8(1);
            s.hash(state);
        }
        Value::Int(i) => {
            state.write_u8(2);
            i.hash(state);
        }
        Value::UInt(u) => {
            state.write_u8(2);
            u.hash(state);
        }
        Value::Bool(b) => {
            state.write_u8(3);
            b.hash(state);
        }
        Value::Null => state.write_u8(4),
        Value::List(items) => {
            state.write_u8(5);
            state.write_usize(items.len());
            for item in items.iter() {
                hash_value(item, state);
            }
        }
        Value::Map(map) => {
            // Order-independent: sum of per-entry hashes.
            state.write_u8(6);
            let mut sum: u64 = 0;
            for (key, item) in map.map.iter() {
                let mut entry = rustc_hash::FxHasher::default();
                key.hash(&mut entry);
                hash_value(item, &mut entry);
                sum = sum.wrapping_add(entry.finish());
            }
            state.write_u64(sum);
        }
        // Floats, bytes, timestamps and the rest are rare in keys: hash the kind only.
        other => state.write_u8(7 + other.type_of() as u8),
    }
}

/// Groups and users are numbered separately: the identity of a principal carries its type.
fn principal_identity(principal_type: PrincipalType, position: Option<u32>) -> Option<u32> {
    let position = position?;
    // Quotas cap users and groups at 100,000 each, far below 2^31.
    Some(match principal_type {
        PrincipalType::Group => position << 1,
        PrincipalType::User => (position << 1) | 1,
    })
}

/// Up to four roots per subject row (access has the most: user, account, set, via).
const MAX_ROOTS: usize = 4;
const UNREAD: u32 = u32::MAX;

/// The root values of one row, built on demand: a condition reading only `principal.type`
/// never builds the account or the permission set.
type RootValues<'f> = &'f dyn Fn(usize) -> Value;

/// One root's part of a condition: the paths it reads, and the classes of entities that read
/// alike (every group has `principal.type == "GROUP"`: one class for them all).
#[derive(Default)]
struct RootClasses {
    paths: Vec<PreparedPath>,
    /// Class of each entity seen so far (by its identity in the snapshot).
    by_entity: FxHashMap<u32, u32>,
    by_values: HashMap<ValueKey, u32>,
    /// The values of each class, to bind when the condition is evaluated.
    representatives: Vec<ValueKey>,
}

impl RootClasses {
    fn class_of(&mut self, value: &Value) -> u32 {
        let key = ValueKey(
            self.paths
                .iter()
                .map(|p| resolve(value, p).cloned())
                .collect(),
        );
        if let Some(&class) = self.by_values.get(&key) {
            return class;
        }
        let class = self.representatives.len() as u32;
        self.representatives.push(key.clone());
        self.by_values.insert(key, class);
        class
    }
}

/// A condition (or some of its conjuncts) decided once per combination of root classes.
///
/// A row costs a few integer lookups; CEL runs only for a combination not seen before, on
/// values reduced to what it reads (CEL copies a bound value deeply, and a permission set
/// carries lists of a thousand account ids the condition may never look at).
struct Decider<'a> {
    exprs: Vec<&'a cel::IdedExpr>,
    roots: Vec<RootClasses>,
    decisions: FxHashMap<[u32; MAX_ROOTS], Result<bool, String>>,
}

impl<'a> Decider<'a> {
    fn new(
        exprs: Vec<&'a cel::IdedExpr>,
        paths: &[Vec<String>],
        roots: &[(&str, &[subjects::Field])],
    ) -> Self {
        let mut classes: Vec<RootClasses> =
            (0..roots.len()).map(|_| RootClasses::default()).collect();
        for path in paths {
            if let Some(root) = roots.iter().position(|(name, _)| *name == path[0]) {
                let keys = path[1..]
                    .iter()
                    .map(|k| Key::String(Arc::new(k.clone())))
                    .collect();
                classes[root].paths.push(PreparedPath { keys });
            }
        }
        Decider {
            exprs,
            roots: classes,
            decisions: FxHashMap::default(),
        }
    }

    /// Decides a row. `entities` identifies each root's entity (None: not in the snapshot, so
    /// its class is computed from its value every time).
    fn decide(
        &mut self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        entities: [Option<u32>; MAX_ROOTS],
        values: RootValues,
    ) -> Result<bool, String> {
        if self.exprs.is_empty() {
            return Ok(true);
        }
        let mut key = [UNREAD; MAX_ROOTS];
        for (root, classes) in self.roots.iter_mut().enumerate() {
            if classes.paths.is_empty() {
                continue;
            }
            key[root] = match entities[root] {
                Some(entity) => match classes.by_entity.get(&entity) {
                    Some(&class) => class,
                    None => {
                        let class = classes.class_of(&values(root));
                        classes.by_entity.insert(entity, class);
                        class
                    }
                },
                None => classes.class_of(&values(root)),
            };
        }
        if let Some(known) = self.decisions.get(&key) {
            return known.clone();
        }
        let outcome = self.evaluate(base, names, &key);
        self.decisions.insert(key, outcome.clone());
        outcome
    }

    fn evaluate(
        &self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        key: &[u32; MAX_ROOTS],
    ) -> Result<bool, String> {
        let mut scope = base.new_inner_scope();
        for (root, classes) in self.roots.iter().enumerate() {
            if classes.paths.is_empty() {
                continue;
            }
            let resolved = &classes.representatives[key[root] as usize].0;
            if let Some(value) = project(&classes.paths, resolved) {
                scope.add_variable_from_value(names[root].0, value);
            }
        }
        for expr in &self.exprs {
            match scope.resolve(expr) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return Ok(false),
                Ok(other) => return Err(format!("condition evaluated to {other:?}, not a bool")),
                Err(error) => return Err(error.to_string()),
            }
        }
        Ok(true)
    }
}

/// The conjuncts of a condition's top-level `&&`, each decided on its own classes and in
/// order, stopping at the first false. A conjunct on `principal.type` (two classes) thus spares
/// one on `principal.name` (thousands of classes) for every user principal. An error counts
/// only when no other conjunct is false, as CEL's commutative `&&` does.
struct Chain<'a> {
    links: Vec<Decider<'a>>,
}

impl<'a> Chain<'a> {
    fn new(
        conjuncts: &[&'a crate::cel_paths::Conjunct],
        roots: &[(&str, &[subjects::Field])],
    ) -> Self {
        Chain {
            links: conjuncts
                .iter()
                .map(|c| Decider::new(vec![&c.expr], &c.paths, roots))
                .collect(),
        }
    }

    fn decide(
        &mut self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        entities: [Option<u32>; MAX_ROOTS],
        values: RootValues,
    ) -> Result<bool, String> {
        let mut error = None;
        for link in &mut self.links {
            match link.decide(base, names, entities, values) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(true),
        }
    }
}

/// One root's value reduced to the paths a condition reads, from their resolved values. A path
/// that is the whole root binds the whole value; a missing field stays missing so that reading
/// it fails as it would on the full value.
fn project(paths: &[PreparedPath], resolved: &[Option<Value>]) -> Option<Value> {
    enum Node {
        Leaf(Value),
        Branch(HashMap<Key, Node>),
    }
    fn insert(node: &mut HashMap<Key, Node>, keys: &[Key], value: Value) {
        let (first, rest) = keys.split_first().expect("a field path has a key");
        if rest.is_empty() {
            node.insert(first.clone(), Node::Leaf(value));
            return;
        }
        let child = node
            .entry(first.clone())
            .or_insert_with(|| Node::Branch(HashMap::new()));
        if let Node::Branch(map) = child {
            insert(map, rest, value);
        }
    }
    fn into_value(node: Node) -> Value {
        match node {
            Node::Leaf(value) => value,
            Node::Branch(map) => Value::Map(cel::objects::Map {
                map: Arc::new(map.into_iter().map(|(k, v)| (k, into_value(v))).collect()),
            }),
        }
    }
    let mut tree: Option<HashMap<Key, Node>> = None;
    for (path, value) in paths.iter().zip(resolved) {
        let Some(value) = value else { continue };
        if path.keys.is_empty() {
            return Some(value.clone());
        }
        insert(
            tree.get_or_insert_with(HashMap::new),
            &path.keys,
            value.clone(),
        );
    }
    Some(into_value(Node::Branch(tree.unwrap_or_default())))
}

pub fn base_context(rule: &Rule, now: chrono::DateTime<chrono::Utc>) -> Context<'static, 'static> {
    let mut context = Context::with_env(cel_paths::env());
    context.add_variable_from_value(
        "params",
        subjects::from_json(&serde_json::Value::Object(rule.params.clone())),
    );
    context.add_variable_from_value("now", Value::Timestamp(now.fixed_offset()));
    context
        .add_function(
            "iso_seconds",
            |text: Arc<String>| -> Result<Value, ExecutionError> {
                crate::policy::iso_duration_seconds(&text)
                    .map(Value::Int)
                    .ok_or_else(|| {
                        ExecutionError::function_error(
                            "iso_seconds",
                            format!("`{text}` is not an ISO 8601 duration such as PT4H"),
                        )
                    })
            },
        )
        .expect("iso_seconds is not a standard function");
    context
}

impl RuleRun<'_, '_, '_, '_> {
    fn location(&self) -> SourceLocation {
        SourceLocation {
            path: self.rule.origin.path.clone(),
            line: self.rule.origin.line,
        }
    }

    fn error(&mut self, resource: &Resource, message: &str) {
        self.errors.push(EvaluationError {
            rule_id: self.rule.id.clone(),
            rule_origin: format!("{}:{}", self.rule.origin.path, self.rule.origin.line),
            resource_kind: resource.kind.clone(),
            resource_id: resource.id.clone(),
            message: message.to_string(),
        });
    }

    fn required_names(&mut self, names: &[String]) {
        let snapshot = self.cache.model.snapshot;
        let existing: BTreeSet<&str> = match self.rule.subject {
            SubjectKind::Group => snapshot
                .groups
                .iter()
                .map(|g| g.display_name.as_str())
                .collect(),
            SubjectKind::PermissionSet => snapshot
                .permission_sets
                .iter()
                .map(|p| p.name.as_str())
                .collect(),
            SubjectKind::Account => snapshot
                .organization
                .accounts
                .iter()
                .map(|a| a.name.as_str())
                .collect(),
            SubjectKind::User => snapshot
                .users
                .iter()
                .map(|u| u.user_name.as_str())
                .collect(),
            SubjectKind::Assignment | SubjectKind::Access => BTreeSet::new(),
        };
        for name in names {
            if existing.contains(name.as_str()) {
                continue;
            }
            let values = [subjects::object(vec![("name", subjects::string(name))])];
            let message = render(
                &self.rule.message,
                &values,
                &[("missing", &[])],
                &self.rule.params,
            );
            let resource = Resource {
                kind: self.rule.subject.name().to_string(),
                id: name.clone(),
                name: name.clone(),
            };
            self.push(resource, message, None, None, None, None);
        }
    }

    fn drift(&mut self, kind: &str, items: &[DriftItem], desired: &DesiredState) {
        for item in items.iter().filter(|i| i.kind == kind) {
            let value = subjects::object(vec![
                ("kind", subjects::string(item.kind)),
                ("account_key", subjects::string(&item.account_key)),
                ("account_id", subjects::string(&item.account_id)),
                ("account_name", subjects::string(&item.account_name)),
                ("principal_type", subjects::string(&item.principal_type)),
                ("principal_name", subjects::string(&item.principal_name)),
                ("permission_set", subjects::string(&item.permission_set)),
                ("detail", subjects::string(&item.detail)),
                ("stack_file", subjects::string(&desired.path)),
                ("line", Value::Int(i64::from(item.line))),
            ]);
            let message = render(
                &self.rule.message,
                &[value],
                &[("drift", subjects::DRIFT_FIELDS)],
                &self.rule.params,
            );
            let account =
                (!item.account_id.is_empty() || !item.account_key.is_empty()).then(|| AccountRef {
                    id: item.account_id.clone(),
                    name: if item.account_name.is_empty() {
                        item.account_key.clone()
                    } else {
                        item.account_name.clone()
                    },
                });
            let principal = (!item.principal_name.is_empty()).then(|| PrincipalRef {
                principal_type: item.principal_type.clone(),
                id: item.principal_id.clone(),
                name: item.principal_name.clone(),
            });
            let permission_set = (!item.permission_set.is_empty()).then(|| PermissionSetRef {
                arn: item.permission_set_arn.clone(),
                name: item.permission_set.clone(),
            });
            let resource = match item.kind {
                "unknown-account" => Resource {
                    kind: "account".into(),
                    id: if item.account_id.is_empty() {
                        item.account_key.clone()
                    } else {
                        item.account_id.clone()
                    },
                    name: item.account_key.clone(),
                },
                "unknown-principal" => Resource {
                    kind: item.principal_type.to_ascii_lowercase(),
                    id: format!("{}/{}", item.principal_type, item.principal_name),
                    name: item.principal_name.clone(),
                },
                "missing-permission-set"
                | "unmanaged-permission-set"
                | "permission-set-modified" => Resource {
                    kind: "permission_set".into(),
                    id: if item.permission_set_arn.is_empty() {
                        item.permission_set.clone()
                    } else {
                        item.permission_set_arn.clone()
                    },
                    name: item.permission_set.clone(),
                },
                _ => Resource {
                    kind: "assignment".into(),
                    id: format!(
                        "{}/{}/{}/{}",
                        if item.account_id.is_empty() {
                            &item.account_key
                        } else {
                            &item.account_id
                        },
                        item.permission_set,
                        item.principal_type,
                        item.principal_name
                    ),
                    name: format!(
                        "{} {} on {}",
                        item.principal_name,
                        item.permission_set,
                        if item.account_name.is_empty() {
                            &item.account_key
                        } else {
                            &item.account_name
                        }
                    ),
                },
            };
            let fingerprint = findings::fingerprint(&self.rule.id, &resource);
            self.findings.push(Finding {
                rule_id: self.rule.id.clone(),
                severity: self.rule.severity,
                title: self.rule.title.clone(),
                message,
                resource,
                account,
                principal,
                permission_set,
                via: None,
                fingerprint,
                location: SourceLocation {
                    path: desired.path.clone(),
                    line: item.line,
                },
                suppressed: None,
            });
        }
    }

    fn push(
        &mut self,
        resource: Resource,
        message: String,
        account: Option<AccountRef>,
        principal: Option<PrincipalRef>,
        permission_set: Option<PermissionSetRef>,
        via: Option<PrincipalRef>,
    ) {
        let fingerprint = findings::fingerprint(&self.rule.id, &resource);
        let location = self.location();
        self.findings.push(Finding {
            rule_id: self.rule.id.clone(),
            severity: self.rule.severity,
            title: self.rule.title.clone(),
            message,
            resource,
            account,
            principal,
            permission_set,
            via,
            fingerprint,
            location,
            suppressed: None,
        });
    }

    fn condition(&mut self, shape: &Arc<ConditionShape>, now: chrono::DateTime<chrono::Utc>) {
        let base = base_context(self.rule, now);
        let roots = self.rule.subject.roots();
        let snapshot = self.cache.model.snapshot;
        let cache = self.cache;
        if self.rule.subject == SubjectKind::Access {
            return self.access(shape, &base);
        }
        let conjuncts: Vec<&crate::cel_paths::Conjunct> = shape.conjuncts.iter().collect();
        let mut decider = Chain::new(&conjuncts, roots);
        match self.rule.subject {
            SubjectKind::Access => unreachable!("handled above"),
            SubjectKind::Assignment => {
                let targets = &cache.model.assignment_targets;
                for (position, assignment) in snapshot.assignments.iter().enumerate() {
                    let target = targets[position];
                    let principal = principal_identity(assignment.principal_type, target.principal);
                    let entities = [target.account, target.permission_set, principal, None];
                    let values = |root: usize| cache.assignment_root(position, root);
                    let outcome = decider.decide(&base, roots, entities, &values);
                    self.record(outcome, &values, |run| {
                        run.assignment_refs(assignment, None)
                    });
                }
            }
            SubjectKind::Account => {
                for (i, account) in snapshot.organization.accounts.iter().enumerate() {
                    let values = |_: usize| cache.account(i).clone();
                    let outcome =
                        decider.decide(&base, roots, [Some(i as u32), None, None, None], &values);
                    self.record(outcome, &values, |_| {
                        (
                            Resource {
                                kind: "account".into(),
                                id: account.id.clone(),
                                name: account.name.clone(),
                            },
                            Some(AccountRef {
                                id: account.id.clone(),
                                name: account.name.clone(),
                            }),
                            None,
                            None,
                            None,
                        )
                    });
                }
            }
            SubjectKind::Group => {
                for (i, group) in snapshot.groups.iter().enumerate() {
                    let values = |_: usize| cache.group(i).clone();
                    let outcome =
                        decider.decide(&base, roots, [Some(i as u32), None, None, None], &values);
                    self.record(outcome, &values, |_| {
                        (
                            Resource {
                                kind: "group".into(),
                                id: group.id.clone(),
                                name: group.display_name.clone(),
                            },
                            None,
                            Some(PrincipalRef {
                                principal_type: "GROUP".into(),
                                id: group.id.clone(),
                                name: group.display_name.clone(),
                            }),
                            None,
                            None,
                        )
                    });
                }
            }
            SubjectKind::User => {
                for (i, user) in snapshot.users.iter().enumerate() {
                    let values = |_: usize| cache.user(i).clone();
                    let outcome =
                        decider.decide(&base, roots, [Some(i as u32), None, None, None], &values);
                    self.record(outcome, &values, |_| {
                        (
                            Resource {
                                kind: "user".into(),
                                id: user.id.clone(),
                                name: user.user_name.clone(),
                            },
                            None,
                            Some(PrincipalRef {
                                principal_type: "USER".into(),
                                id: user.id.clone(),
                                name: user.user_name.clone(),
                            }),
                            None,
                            None,
                        )
                    });
                }
            }
            SubjectKind::PermissionSet => {
                for (i, set) in snapshot.permission_sets.iter().enumerate() {
                    let values = |_: usize| cache.permission_set(i).clone();
                    let outcome =
                        decider.decide(&base, roots, [Some(i as u32), None, None, None], &values);
                    self.record(outcome, &values, |_| {
                        (
                            Resource {
                                kind: "permission_set".into(),
                                id: set.arn.clone(),
                                name: set.name.clone(),
                            },
                            None,
                            None,
                            Some(PermissionSetRef {
                                arn: set.arn.clone(),
                                name: set.name.clone(),
                            }),
                            None,
                        )
                    });
                }
            }
        }
    }

    /// Turns a decision into a finding (true), nothing (false) or a rule error.
    fn record(
        &mut self,
        outcome: Result<bool, String>,
        values: RootValues,
        refs: impl FnOnce(&Self) -> Refs,
    ) {
        match outcome {
            Ok(false) => {}
            Ok(true) => {
                let roots = self.rule.subject.roots();
                let all: Vec<Value> = (0..roots.len()).map(values).collect();
                let (resource, account, principal, permission_set, via) = refs(self);
                let message = render(&self.rule.message, &all, roots, &self.rule.params);
                self.push(resource, message, account, principal, permission_set, via);
            }
            Err(error) => {
                let (resource, ..) = refs(self);
                self.error(&resource, &error);
            }
        }
    }

    /// Resource and references of an assignment, or of one access row through it.
    fn assignment_refs(&self, assignment: &Assignment, user: Option<usize>) -> Refs {
        let model = self.cache.model;
        let snapshot = model.snapshot;
        let account_name = model
            .account_index
            .get(assignment.account_id.as_str())
            .map(|&i| snapshot.organization.accounts[i].name.clone())
            .unwrap_or_else(|| assignment.account_id.clone());
        let set_name = model
            .permission_set_index
            .get(assignment.permission_set_arn.as_str())
            .map(|&i| snapshot.permission_sets[i].name.clone())
            .unwrap_or_else(|| assignment.permission_set_arn.clone());
        let principal_name = match assignment.principal_type {
            PrincipalType::Group => model
                .group_index
                .get(assignment.principal_id.as_str())
                .map(|&i| snapshot.groups[i].display_name.clone()),
            PrincipalType::User => model
                .user_index
                .get(assignment.principal_id.as_str())
                .map(|&i| snapshot.users[i].user_name.clone()),
        }
        .unwrap_or_else(|| assignment.principal_id.clone());
        let principal = PrincipalRef {
            principal_type: assignment.principal_type.as_str().to_string(),
            id: assignment.principal_id.clone(),
            name: principal_name,
        };
        let account = AccountRef {
            id: assignment.account_id.clone(),
            name: account_name,
        };
        let permission_set = PermissionSetRef {
            arn: assignment.permission_set_arn.clone(),
            name: set_name,
        };
        let base_id = format!(
            "{}/{}/{}/{}",
            assignment.account_id,
            assignment.permission_set_arn,
            assignment.principal_type.as_str(),
            assignment.principal_id
        );
        match user {
            None => (
                Resource {
                    kind: "assignment".into(),
                    id: base_id,
                    name: format!(
                        "{} {} on {}",
                        principal.name, permission_set.name, account.name
                    ),
                },
                Some(account),
                Some(principal),
                Some(permission_set),
                None,
            ),
            Some(u) => {
                let user = &snapshot.users[u];
                let user_ref = PrincipalRef {
                    principal_type: "USER".into(),
                    id: user.id.clone(),
                    name: user.user_name.clone(),
                };
                (
                    Resource {
                        kind: "access".into(),
                        id: format!(
                            "{}/{}/USER/{}/via/{}/{}",
                            assignment.account_id,
                            assignment.permission_set_arn,
                            user.id,
                            assignment.principal_type.as_str(),
                            assignment.principal_id
                        ),
                        name: format!(
                            "{} {} on {}",
                            user.user_name, permission_set.name, account.name
                        ),
                    },
                    Some(account),
                    Some(user_ref),
                    Some(permission_set),
                    Some(principal),
                )
            }
        }
    }

    fn access(&mut self, shape: &Arc<ConditionShape>, base: &Context) {
        let roots = SubjectKind::Access.roots();
        let level = SubjectKind::Access.assignment_level_roots();
        let (outer, inner): (Vec<_>, Vec<_>) = shape
            .conjuncts
            .iter()
            .partition(|c| c.paths.iter().all(|p| level.contains(&p[0].as_str())));
        let mut outer = Chain::new(&outer, roots);
        let mut inner = Chain::new(&inner, roots);
        let model = self.cache.model;
        let cache = self.cache;
        for (position, assignment) in model.snapshot.assignments.iter().enumerate() {
            let target = model.assignment_targets[position];
            let principal = principal_identity(assignment.principal_type, target.principal);
            // Assignment-level conjuncts never read the user root (0).
            let entities = [None, target.account, target.permission_set, principal];
            let assignment_values = |root: usize| match root {
                0 => Value::Null,
                _ => cache.assignment_root(position, root - 1),
            };
            match outer.decide(base, roots, entities, &assignment_values) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    let (resource, ..) = self.assignment_refs(assignment, None);
                    self.error(&resource, &error);
                    continue;
                }
            }
            let single;
            let members: &[usize] = match (assignment.principal_type, target.principal) {
                (PrincipalType::Group, Some(g)) => &model.group_members[g as usize],
                (PrincipalType::User, Some(u)) => {
                    single = [u as usize];
                    &single
                }
                (_, None) => &[],
            };
            for &u in members {
                let entities = [
                    Some(u as u32),
                    target.account,
                    target.permission_set,
                    principal,
                ];
                let values = |root: usize| match root {
                    0 => cache.user(u).clone(),
                    _ => cache.assignment_root(position, root - 1),
                };
                let outcome = inner.decide(base, roots, entities, &values);
                self.record(outcome, &values, |run| {
                    run.assignment_refs(assignment, Some(u))
                });
            }
        }
    }
}

type Refs = (
    Resource,
    Option<AccountRef>,
    Option<PrincipalRef>,
    Option<PermissionSetRef>,
    Option<PrincipalRef>,
);

/// Fills a message template from the subject's values.
pub fn render(
    template: &Template,
    values: &[Value],
    roots: &[(&str, &[subjects::Field])],
    params: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Path(path) if path[0] == "params" => {
                let mut current = params.get(path.get(1).map(String::as_str).unwrap_or(""));
                for step in path.iter().skip(2) {
                    current = current.and_then(|v| v.get(step));
                }
                match current {
                    Some(serde_json::Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                    None => out.push_str("(none)"),
                }
            }
            TemplatePart::Path(path) => {
                let value = roots
                    .iter()
                    .position(|(name, _)| *name == path[0])
                    .and_then(|i| values.get(i))
                    .and_then(|root| subjects::lookup(root, &path[1..]));
                out.push_str(&display(value));
            }
        }
    }
    out
}

fn display(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_string(),
        Some(Value::String(s)) => s.to_string(),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::UInt(u)) => u.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::List(items)) => {
            let parts: Vec<String> = items.iter().map(|v| display(Some(v))).collect();
            parts.join(", ")
        }
        Some(Value::Map(map)) => {
            let mut entries: Vec<String> = map
                .map
                .iter()
                .map(|(k, v)| format!("{}={}", key_text(k), display(Some(v))))
                .collect();
            entries.sort();
            entries.join(", ")
        }
        Some(other) => format!("{other:?}"),
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::String(s) => s.to_string(),
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
    }
}
