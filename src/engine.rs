//! Evaluates rules against a snapshot and produces findings.
//!
//! A CEL condition is evaluated once per distinct combination of the field values it reads
//! (a condition on `principal.type` runs twice, however many assignments there are). Access
//! rules decide their assignment-level conjuncts per assignment and expand group members only
//! for the assignments that pass, so effective access is never materialized as a whole.

use crate::cel_paths::{self, ConditionShape};
use crate::findings::{
    self, AccountRef, Finding, PermissionSetRef, PrincipalRef, Resource, SourceLocation,
};
use crate::model::Model;
use crate::rules::{Logic, Rule, Template, TemplatePart};
use crate::snapshot::{Assignment, Gap, PrincipalType, Snapshot};
use crate::subjects::{self, SubjectKind, ValueCache};
use cel::objects::Key;
use cel::{Context, ExecutionError, Value};
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
    pub errors: Vec<String>,
    pub rules_evaluated: usize,
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
    let model = Model::new(snapshot);
    let cache = ValueCache::new(&model);
    let mut evaluation = Evaluation::default();
    for rule in rules {
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
    errors: &'r mut Vec<String>,
}

/// A path prepared for lookups: root position and the map keys below it.
struct PreparedPath {
    root: usize,
    keys: Vec<Key>,
}

fn prepare(paths: &[Vec<String>], roots: &[(&str, &[subjects::Field])]) -> Vec<PreparedPath> {
    paths
        .iter()
        .filter_map(|path| {
            let root = roots.iter().position(|(name, _)| *name == path[0])?;
            let keys = path[1..]
                .iter()
                .map(|k| Key::String(Arc::new(k.clone())))
                .collect();
            Some(PreparedPath { root, keys })
        })
        .collect()
}

fn resolve<'v>(values: &'v [Value], path: &PreparedPath) -> Option<&'v Value> {
    let mut current = values.get(path.root)?;
    for key in &path.keys {
        match current {
            Value::Map(map) => current = map.map.get(key)?,
            _ => return None,
        }
    }
    Some(current)
}

/// The values a condition reads, as a memo key. Equality is CEL equality; a value that is
/// not equal to itself (NaN) only costs a cache miss.
struct MemoKey(Vec<Option<Value>>);

impl PartialEq for MemoKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for MemoKey {}

impl Hash for MemoKey {
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
                let mut entry = std::collections::hash_map::DefaultHasher::new();
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

/// A condition (or a part of one) with its memo.
struct Memoized<'a> {
    paths: Vec<PreparedPath>,
    memo: HashMap<MemoKey, Result<bool, String>>,
    exprs: Vec<&'a cel::IdedExpr>,
    evaluations: usize,
}

impl<'a> Memoized<'a> {
    fn new(
        exprs: Vec<&'a cel::IdedExpr>,
        paths: &[Vec<String>],
        roots: &[(&str, &[subjects::Field])],
    ) -> Self {
        Memoized {
            paths: prepare(paths, roots),
            memo: HashMap::new(),
            exprs,
            evaluations: 0,
        }
    }

    fn decide(
        &mut self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        values: &[Value],
    ) -> Result<bool, String> {
        if self.exprs.is_empty() {
            return Ok(true);
        }
        let key = MemoKey(
            self.paths
                .iter()
                .map(|p| resolve(values, p).cloned())
                .collect(),
        );
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        self.evaluations += 1;
        let mut scope = base.new_inner_scope();
        for ((name, _), value) in names.iter().zip(values) {
            scope.add_variable_from_value(*name, value.clone());
        }
        let mut outcome = Ok(true);
        for expr in &self.exprs {
            match scope.resolve(expr) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => {
                    outcome = Ok(false);
                    break;
                }
                Ok(other) => {
                    outcome = Err(format!("condition evaluated to {other:?}, not a bool"));
                    break;
                }
                Err(error) => {
                    outcome = Err(error.to_string());
                    break;
                }
            }
        }
        self.memo.insert(key, outcome.clone());
        outcome
    }
}

fn base_context(rule: &Rule, now: chrono::DateTime<chrono::Utc>) -> Context<'static, 'static> {
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
        self.errors.push(format!(
            "rule {} ({}:{}) failed on {} {}: {message}",
            self.rule.id, self.rule.origin.path, self.rule.origin.line, resource.kind, resource.id
        ));
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
        match self.rule.subject {
            SubjectKind::Access => self.access(shape, &base),
            SubjectKind::Assignment => {
                let mut decision =
                    Memoized::new(vec![shape.program.expression()], &shape.paths, roots);
                for assignment in &snapshot.assignments {
                    let values = cache.assignment_roots(assignment);
                    self.decide_and_push(&mut decision, &base, &values, |run| {
                        run.assignment_refs(assignment, None)
                    });
                }
            }
            SubjectKind::Account => {
                let mut decision =
                    Memoized::new(vec![shape.program.expression()], &shape.paths, roots);
                for (i, account) in snapshot.organization.accounts.iter().enumerate() {
                    let values = [cache.account(i).clone()];
                    self.decide_and_push(&mut decision, &base, &values, |_| {
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
                let mut decision =
                    Memoized::new(vec![shape.program.expression()], &shape.paths, roots);
                for (i, group) in snapshot.groups.iter().enumerate() {
                    let values = [cache.group(i).clone()];
                    self.decide_and_push(&mut decision, &base, &values, |_| {
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
                let mut decision =
                    Memoized::new(vec![shape.program.expression()], &shape.paths, roots);
                for (i, user) in snapshot.users.iter().enumerate() {
                    let values = [cache.user(i).clone()];
                    self.decide_and_push(&mut decision, &base, &values, |_| {
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
                let mut decision =
                    Memoized::new(vec![shape.program.expression()], &shape.paths, roots);
                for (i, set) in snapshot.permission_sets.iter().enumerate() {
                    let values = [cache.permission_set(i).clone()];
                    self.decide_and_push(&mut decision, &base, &values, |_| {
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

    fn decide_and_push(
        &mut self,
        decision: &mut Memoized,
        base: &Context,
        values: &[Value],
        refs: impl FnOnce(&Self) -> Refs,
    ) {
        let roots = self.rule.subject.roots();
        match decision.decide(base, roots, values) {
            Ok(false) => {}
            Ok(true) => {
                let (resource, account, principal, permission_set, via) = refs(self);
                let message = render(&self.rule.message, values, roots, &self.rule.params);
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
        let outer_paths: Vec<Vec<String>> = outer.iter().flat_map(|c| c.paths.clone()).collect();
        let inner_paths: Vec<Vec<String>> = inner.iter().flat_map(|c| c.paths.clone()).collect();
        let mut outer = Memoized::new(outer.iter().map(|c| &c.expr).collect(), &outer_paths, roots);
        let mut inner = Memoized::new(inner.iter().map(|c| &c.expr).collect(), &inner_paths, roots);
        let model = self.cache.model;
        let cache = self.cache;
        for assignment in &model.snapshot.assignments {
            let [account, permission_set, via] = cache
                .assignment_roots(assignment)
                .try_into()
                .unwrap_or_else(|_| unreachable!("three roots"));
            // The user slot is filled per member; assignment-level conjuncts never read it.
            let mut values = [Value::Null, account, permission_set, via];
            match outer.decide(base, roots, &values) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    let (resource, ..) = self.assignment_refs(assignment, None);
                    self.error(&resource, &error);
                    continue;
                }
            }
            let members: &[usize] = match assignment.principal_type {
                PrincipalType::Group => {
                    match model.group_index.get(assignment.principal_id.as_str()) {
                        Some(&g) => &model.group_members[g],
                        None => &[],
                    }
                }
                PrincipalType::User => match model.user_index.get(assignment.principal_id.as_str())
                {
                    Some(u) => std::slice::from_ref(u),
                    None => &[],
                },
            };
            for &u in members {
                values[0] = cache.user(u).clone();
                match inner.decide(base, roots, &values) {
                    Ok(false) => {}
                    Ok(true) => {
                        let (resource, account, principal, permission_set, via) =
                            self.assignment_refs(assignment, Some(u));
                        let message = render(&self.rule.message, &values, roots, &self.rule.params);
                        self.push(resource, message, account, principal, permission_set, via);
                    }
                    Err(error) => {
                        let (resource, ..) = self.assignment_refs(assignment, Some(u));
                        self.error(&resource, &error);
                    }
                }
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
