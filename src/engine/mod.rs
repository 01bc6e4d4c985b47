//! Evaluates rules against a snapshot and produces findings.
//!
//! A CEL condition is evaluated once per distinct combination of the field values it reads
//! (a condition on `principal.type` runs twice, however many assignments there are). Access
//! rules decide their assignment-level conjuncts per assignment and expand group members only
//! for the assignments that pass, so effective access is never materialized as a whole.

mod decide;
mod render;

pub use render::render;

use crate::cel_paths::{self, ConditionShape};
use crate::checks::{CheckFinding, CheckInput};
use crate::desired::DesiredState;
use crate::drift::{self, DriftItem};
use crate::findings::{
    self, AccountRef, Finding, PermissionSetRef, PrincipalRef, Resource, SourceLocation, Text,
};
use crate::iam::evaluate::Decision;
use crate::model::{Model, Route};
use crate::rules::{Logic, Rule};
use crate::snapshot::{Gap, PrincipalType, Snapshot};
use crate::subjects::{self, SubjectKind, ValueCache};
use crate::vocabulary::DataArea;
use cel::{Context, ExecutionError, Value};
use decide::{Chain, RootValues, principal_identity};
use std::sync::{Arc, OnceLock};

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
    /// Rules not evaluated because no previous snapshot was given (`--previous`).
    pub skipped_previous: Vec<String>,
    /// New, unchanged and resolved findings, when compared with a `--baseline` report.
    pub baseline: Option<crate::baseline::Comparison>,
}

/// A condition that could not be decided for one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationError {
    pub rule_id: String,
    /// `path:line` of the rule.
    pub rule_origin: String,
    pub resource_kind: crate::vocabulary::ResourceKind,
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
    evaluate_with(snapshot, rules, now, None, None, None)
}

/// Evaluates `rules`; drift rules compare with `desired` and are skipped without it.
/// `unused_days` overrides the look-back (`params.days`) of rules that conclude from absence.
pub fn evaluate_with(
    snapshot: &Snapshot,
    rules: &[Rule],
    now: chrono::DateTime<chrono::Utc>,
    desired: Option<&DesiredState>,
    unused_days: Option<u32>,
    previous: Option<&Snapshot>,
) -> Evaluation {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    evaluate_on(
        snapshot,
        rules,
        now,
        (desired, unused_days, previous),
        threads,
    )
}

/// [`evaluate_with`] on `threads` threads: rules side by side, and the rows of a rule over
/// many assignments in ranges. The result is the same for any number.
pub fn evaluate_on(
    snapshot: &Snapshot,
    rules: &[Rule],
    now: chrono::DateTime<chrono::Utc>,
    (desired, unused_days, previous): (Option<&DesiredState>, Option<u32>, Option<&Snapshot>),
    threads: usize,
) -> Evaluation {
    // The team roles a stack declares stand in for accounts that were not read.
    let (declared, unplaced) = match desired {
        Some(d) if !d.roles.is_empty() => {
            crate::desired::teams::as_member_accounts(&d.roles, snapshot, &d.path)
        }
        _ => Default::default(),
    };
    let mut model = Model::with_declared(snapshot, &declared);
    model.declared_groups = desired
        .filter(|d| d.has_sso)
        .map(|d| d.groups.iter().cloned().collect());
    let mut evaluation = Evaluation::default();
    let drift_items: std::sync::OnceLock<Vec<DriftItem>> = std::sync::OnceLock::new();
    // The rules that run, decided in order; they then run side by side.
    let mut runs: Vec<std::borrow::Cow<Rule>> = Vec::new();
    let mut unread: Vec<DataArea> = snapshot.unread_areas().iter().map(|(a, _)| *a).collect();
    if !declared.is_empty() {
        // The roles a stack declares are something to decide from: rules on chains run on
        // them, still marked incomplete by the gap of the accounts not read.
        unread.retain(|a| *a != DataArea::MemberAccounts);
    }
    for rule in rules {
        let check = match &rule.logic {
            Logic::Check(check) => Some(check.clone()),
            Logic::Condition(_) => None,
        };
        // Drift compares with the aws-sso component: skipped when the file given has none.
        if check.as_ref().is_some_and(|c| c.needs_desired()) && desired.is_none_or(|d| !d.has_sso) {
            evaluation.skipped.push(rule.id.clone());
            continue;
        }
        if check.as_ref().is_some_and(|c| c.needs_previous()) && previous.is_none() {
            evaluation.skipped_previous.push(rule.id.clone());
            continue;
        }
        let rule = match unused_days {
            Some(days) if rule.concludes_from_absence && !rule.look_back_params().is_empty() => {
                let mut copy = rule.clone();
                for name in rule.look_back_params() {
                    copy.params
                        .insert(name.to_string(), serde_json::Value::from(days));
                }
                std::borrow::Cow::Owned(copy)
            }
            _ => std::borrow::Cow::Borrowed(rule),
        };
        let mut gaps = gaps_for(snapshot, &rule);
        // A declared role whose account the organization lacks is left out of the chains:
        // said, not dropped.
        if rule.requires.contains(&DataArea::MemberAccounts) {
            gaps.extend(unplaced.iter().map(|role| Gap {
                area: DataArea::MemberAccounts,
                operation: "stack:declared-role".into(),
                resource: role.clone(),
                error: "the stack declares this role in an account the organization does not have (its tenant-stage names no account): it is left out of the role chains".into(),
            }));
        }
        if rule.requires.contains(&DataArea::Capabilities) {
            // Roles entitlements reach count for rules that see routes into accounts.
            let sees_roles = matches!(rule.subject, SubjectKind::Assignment | SubjectKind::Access);
            gaps.extend(model.capability_gaps(sees_roles));
        }
        if let (Some(check), Some(desired)) = (&check, desired) {
            gaps.extend(check.desired_gaps(desired));
        }
        if rule.requires.contains(&DataArea::Events) {
            let look_back = rule.concludes_from_absence.then(|| look_back_days(&rule));
            gaps.extend(coverage_gap(snapshot, look_back, now));
        }
        // A rule that reads an area of which nothing was read (no event source, settings or
        // applications a snapshot does not hold, root access features that could not be read)
        // has nothing to decide from: it reports the gap alone. Rules that conclude from
        // absence (no use, no sign-in) do the same on any events gap (a short history, an
        // unreadable log file): they would report what they did not see. Rules about what
        // happened still report what was seen, marked incomplete.
        // A rule comparing with the previous snapshot has nothing to compare with where that
        // snapshot did not read what the rule reads.
        let mut previous_unread = false;
        if let (Some(previous), Some(check)) = (previous, &check)
            && check.needs_previous()
        {
            for (area, why) in previous.unread_areas() {
                if rule.requires.contains(&area) {
                    previous_unread = true;
                    gaps.push(Gap {
                        area,
                        operation: "previous snapshot".into(),
                        resource: previous.metadata.captured_at.clone(),
                        error: format!("the previous snapshot (--previous): {why}"),
                    });
                }
            }
        }
        let nothing_to_read = previous_unread
            || rule.requires.iter().any(|a| unread.contains(a))
            || (rule.requires.contains(&DataArea::Events)
                && rule.concludes_from_absence
                && gaps.iter().any(|g| g.area == DataArea::Events));
        if !gaps.is_empty() {
            evaluation.incomplete.push(IncompleteRule {
                rule_id: rule.id.clone(),
                gaps,
            });
        }
        evaluation.rules_evaluated += 1;
        if nothing_to_read {
            continue;
        }
        runs.push(rule);
    }
    let cache = ValueCache::new(&model).with_user_fields(user_fields_read(&runs));
    let refs = SharedRefs::new(snapshot);
    let run_one = |rule: &Rule| {
        let (mut findings, mut errors) = (vec![Vec::new()], Vec::new());
        let mut run = RuleRun {
            rule,
            text: RuleText::of(rule),
            cache: &cache,
            refs: &refs,
            findings: &mut findings,
            errors: &mut errors,
            message_fields: decide::fields_read(
                rule.message.parts.iter().filter_map(|part| match part {
                    crate::rules::TemplatePart::Path(path) => Some(path.as_slice()),
                    crate::rules::TemplatePart::Text(_) => None,
                }),
                rule.subject.roots(),
            ),
            threads,
        };
        match &rule.logic {
            Logic::Condition(shape) => run.condition(shape, now),
            Logic::Check(check) => {
                // Drift items are computed once, by the first drift rule that needs them.
                let desired = desired.filter(|_| check.needs_desired()).map(|d| {
                    let items = drift_items.get_or_init(|| drift::compute(&model, d));
                    (d, items.as_slice())
                });
                let input = CheckInput {
                    model: &model,
                    desired,
                    now,
                    subject: rule.subject,
                    previous,
                };
                let root = check.message_root();
                for finding in check.run(&input) {
                    run.check_finding(finding, root);
                }
            }
        }
        (findings, errors)
    };
    // Rules over every assignment or access row first, so that the long ones do not start last.
    let cost = |rule: &Rule| match rule.subject {
        SubjectKind::Access => 0,
        SubjectKind::Assignment => 1,
        _ => 2,
    };
    let results = side_by_side(&runs, threads, |rule| cost(rule), |rule| run_one(rule));
    // What the rules read goes before their findings are joined: the join is then the peak.
    drop(cache);
    drop(refs);
    drop(model);
    // Errors are joined in rule order. Findings are sorted below, and two findings can tie
    // there only within one rule (the rule is part of the order), so a rule's lists must stay
    // in order and the rules' order does not matter: the longest first list of a rule is taken
    // as it is and the others appended to it, sparing a copy of the largest.
    let mut lists = Vec::new();
    for (rule, (findings, errors)) in results.into_iter().enumerate() {
        lists.extend(
            findings
                .into_iter()
                .enumerate()
                .map(|(i, l)| (rule, i == 0, l)),
        );
        evaluation.errors.extend(errors);
    }
    let ids_unique = {
        let mut ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.windows(2).all(|w| w[0] != w[1])
    };
    let base = lists
        .iter()
        .enumerate()
        .filter(|(_, (_, first, _))| *first)
        .max_by_key(|(_, (_, _, l))| l.len())
        .map(|(i, _)| i)
        .filter(|_| ids_unique)
        .unwrap_or(0);
    if !lists.is_empty() {
        let total: usize = lists.iter().map(|(_, _, l)| l.len()).sum();
        let mut all = std::mem::take(&mut lists[base].2);
        all.reserve_exact(total - all.len());
        let rule = lists[base].0;
        // The base rule's other lists right after it, in order; then the rest.
        let (same, others): (Vec<_>, Vec<_>) = lists.into_iter().partition(|(r, ..)| *r == rule);
        for (_, _, list) in same.into_iter().chain(others) {
            all.extend(list);
        }
        evaluation.findings = all;
    }
    findings::sort(&mut evaluation.findings);
    evaluation
}

/// The `user` fields the conditions and messages of `rules` read (positions in the root's
/// fields), None when one reads the whole root. Checks build their own values.
fn user_fields_read(rules: &[std::borrow::Cow<Rule>]) -> Option<Vec<usize>> {
    let root: &[(&str, &[subjects::Field])] = &[("user", subjects::USER_FIELDS)];
    let mut paths: Vec<&[String]> = Vec::new();
    for rule in rules {
        if !rule.subject.roots().iter().any(|(name, _)| *name == "user") {
            continue;
        }
        if let Logic::Condition(shape) = &rule.logic {
            paths.extend(shape.paths.iter().map(Vec::as_slice));
        }
        paths.extend(rule.message.parts.iter().filter_map(|part| match part {
            crate::rules::TemplatePart::Path(path) => Some(path.as_slice()),
            crate::rules::TemplatePart::Text(_) => None,
        }));
    }
    decide::fields_read(paths.into_iter(), root).pop().flatten()
}

/// Runs `work` on every item, on all cores, longest first by `cost` (lower is longer), and
/// returns the results in the items' order.
fn side_by_side<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    cost: impl Fn(&T) -> u8,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| cost(&items[i]));
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: std::sync::Mutex<Vec<(usize, R)>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(&i) =
                    order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    let result = work(&items[i]);
                    done.lock().expect("no worker panicked").push((i, result));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("no worker panicked");
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// How far back a rule that concludes from absence looks: the longest duration its condition
/// builds, 90 days when it builds none.
fn look_back_days(rule: &Rule) -> i64 {
    rule.look_back_days().unwrap_or(90)
}

/// A gap when the events do not cover the window a rule reads: from `now - days` (rules that
/// look back, `look_back`) to `now`, with the slack the sources use. Evidence that ends before
/// `now` says nothing about the days after it, however far back it reaches.
fn coverage_gap(
    snapshot: &Snapshot,
    look_back: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Gap> {
    if snapshot.events.sources.is_empty() {
        return None;
    }
    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let (from, to) = (
        parse(&snapshot.events.covered_from),
        parse(&snapshot.events.covered_to),
    );
    let slack = chrono::Duration::hours(crate::events::COVERAGE_SLACK_HOURS);
    let since = look_back.map(|days| now - chrono::Duration::days(days));
    let starts_late = since.is_some_and(|since| from.is_none_or(|from| from > since));
    let ends_early = to.is_none_or(|to| to + slack < now);
    if !starts_late && !ends_early {
        return None;
    }
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let window = match since {
        Some(since) => format!("{}..{}", stamp(since), stamp(now)),
        None => format!("..{}", stamp(now)),
    };
    let covered = match (&snapshot.events.covered_from, &snapshot.events.covered_to) {
        (Some(a), Some(b)) => format!("{a}..{b}"),
        _ => "no period".into(),
    };
    let what = match look_back {
        Some(days) => format!("the rule's window of {days} days"),
        None => "the evidence up to now".into(),
    };
    let hint = if ends_early {
        " (add newer events, or pass --now to check as of an earlier time)"
    } else {
        ""
    };
    Some(Gap {
        area: DataArea::Events,
        operation: String::new(),
        resource: String::new(),
        error: format!("{what} ({window}) is not covered: the events cover {covered}{hint}"),
    })
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
    for (area, why) in snapshot
        .unread_areas()
        .into_iter()
        .chain(snapshot.partial_areas())
    {
        if rule.requires.contains(&area) {
            gaps.push(Gap {
                area,
                operation: String::new(),
                resource: String::new(),
                error: why.into(),
            });
        }
    }
    gaps
}

/// Rows from which a rule's rows are split among the cores.
const CHUNKED_ROWS: usize = 20_000;

/// Findings a rule records in one list before it starts another.
const FINDINGS_LIST: usize = 4096;

/// The references findings share, built once per account, group, user and permission set on
/// first use: 200,000 findings on 2,000 accounts name 2,000 account references.
struct SharedRefs<'s> {
    snapshot: &'s Snapshot,
    accounts: Vec<OnceLock<Arc<AccountRef>>>,
    groups: Vec<OnceLock<Arc<PrincipalRef>>>,
    users: Vec<OnceLock<Arc<PrincipalRef>>>,
    permission_sets: Vec<OnceLock<Arc<PermissionSetRef>>>,
}

impl<'s> SharedRefs<'s> {
    fn new(snapshot: &'s Snapshot) -> Self {
        fn cells<T>(n: usize) -> Vec<OnceLock<T>> {
            (0..n).map(|_| OnceLock::new()).collect()
        }
        SharedRefs {
            snapshot,
            accounts: cells(snapshot.organization.accounts.len()),
            groups: cells(snapshot.groups.len()),
            users: cells(snapshot.users.len()),
            permission_sets: cells(snapshot.permission_sets.len()),
        }
    }

    fn account(&self, i: usize) -> Arc<AccountRef> {
        self.accounts[i]
            .get_or_init(|| {
                let account = &self.snapshot.organization.accounts[i];
                Arc::new(AccountRef {
                    id: account.id.clone(),
                    name: account.name.clone(),
                })
            })
            .clone()
    }

    fn group(&self, i: usize) -> Arc<PrincipalRef> {
        self.groups[i]
            .get_or_init(|| {
                let group = &self.snapshot.groups[i];
                Arc::new(PrincipalRef {
                    principal_type: "GROUP".into(),
                    id: group.id.clone(),
                    name: group.display_name.clone(),
                })
            })
            .clone()
    }

    fn user(&self, i: usize) -> Arc<PrincipalRef> {
        self.users[i]
            .get_or_init(|| {
                let user = &self.snapshot.users[i];
                Arc::new(PrincipalRef {
                    principal_type: "USER".into(),
                    id: user.id.clone(),
                    name: user.user_name.clone(),
                })
            })
            .clone()
    }

    fn permission_set(&self, i: usize) -> Arc<PermissionSetRef> {
        self.permission_sets[i]
            .get_or_init(|| {
                let set = &self.snapshot.permission_sets[i];
                Arc::new(PermissionSetRef {
                    arn: set.arn.clone(),
                    name: set.name.clone(),
                })
            })
            .clone()
    }
}

/// What every finding of a rule repeats: shared by them.
#[derive(Clone)]
struct RuleText {
    id: Text,
    title: Text,
    location: Arc<SourceLocation>,
}

impl RuleText {
    fn of(rule: &Rule) -> Self {
        RuleText {
            id: rule.id.as_str().into(),
            title: rule.title.as_str().into(),
            location: Arc::new(SourceLocation {
                path: rule.origin.path.clone(),
                line: rule.origin.line,
            }),
        }
    }
}

struct RuleRun<'r, 'c, 'm, 's> {
    rule: &'r Rule,
    text: RuleText,
    cache: &'c ValueCache<'m, 's>,
    refs: &'c SharedRefs<'s>,
    /// Lists of findings in order: a rule over many rows has one per range.
    findings: &'r mut Vec<Vec<Finding>>,
    errors: &'r mut Vec<EvaluationError>,
    /// The fields of each root the message reads (None: the whole root).
    message_fields: Vec<Option<Vec<usize>>>,
    /// Threads a rule's rows may be split among.
    threads: usize,
}

pub fn base_context(rule: &Rule, now: chrono::DateTime<chrono::Utc>) -> Context<'static, 'static> {
    base_context_with(rule, now, None)
}

/// The context of a rule's conditions; with the policy facts of the snapshot, the function
/// `allows(permission_set, "service:Action")` answers "allowed", "conditional" or "denied".
pub fn base_context_with(
    rule: &Rule,
    now: chrono::DateTime<chrono::Utc>,
    facts: Option<Arc<crate::model::PolicyFacts>>,
) -> Context<'static, 'static> {
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
        .add_function("days", |n: i64| -> Result<Value, ExecutionError> {
            chrono::Duration::try_days(n)
                .map(Value::Duration)
                .ok_or_else(|| {
                    ExecutionError::function_error("days", format!("{n} days is out of range"))
                })
        })
        .expect("days is not a standard function");
    if let Some(facts) = facts {
        context
            .add_function(
                "allows",
                move |set: Value, action: Arc<String>| -> Result<Value, ExecutionError> {
                    let arn = subjects::lookup(&set, &["arn".to_string()]).and_then(|v| match v {
                        Value::String(s) => Some(s.to_string()),
                        _ => None,
                    });
                    let arn = arn.ok_or_else(|| {
                        ExecutionError::function_error(
                            "allows",
                            "the first argument must be a permission_set",
                        )
                    })?;
                    Ok(match facts.by_arn.get(&arn) {
                        // A policy or boundary that could not be read could allow or deny it.
                        Some(&i) if !facts.capabilities[i].unknown.is_empty() => {
                            subjects::string("unknown")
                        }
                        // A set that differs per account: the most it allows in any of them.
                        Some(&i) if i < facts.merged.len() && !facts.merged[i].is_empty() => {
                            let rank = |d: Decision| match d {
                                Decision::Allowed { .. } => 2,
                                Decision::Conditional => 1,
                                Decision::Denied => 0,
                            };
                            let best = facts.merged[i]
                                .iter()
                                .map(|&v| facts.analyses[v].decide(&action))
                                .max_by_key(|d| rank(*d))
                                .unwrap_or(Decision::Denied);
                            subjects::string(best.as_str())
                        }
                        Some(&i) => subjects::string(facts.analyses[i].decide(&action).as_str()),
                        // A set the snapshot does not hold (an assignment to a deleted set).
                        None => subjects::string("unknown"),
                    })
                },
            )
            .expect("allows is not a standard function");
    }
    context
}

impl RuleRun<'_, '_, '_, '_> {
    fn error(&mut self, resource: &Resource, message: &str) {
        self.errors.push(EvaluationError {
            rule_id: self.rule.id.clone(),
            rule_origin: format!("{}:{}", self.rule.origin.path, self.rule.origin.line),
            resource_kind: resource.kind,
            resource_id: resource.id.clone(),
            message: message.to_string(),
        });
    }

    fn push(&mut self, refs: Refs, message: (String, Option<String>)) {
        let location = self.text.location.clone();
        self.push_at(refs, message, location);
    }

    /// A finding located somewhere else than the rule (a stack file line).
    fn push_at(
        &mut self,
        (resource, account, principal, permission_set, via): Refs,
        (message, brief): (String, Option<String>),
        location: Arc<SourceLocation>,
    ) {
        let fingerprint = findings::fingerprint(&self.rule.id, &resource);
        // Lists of a bounded length: the room a growing list leaves stays small, however many
        // findings a rule has.
        if self
            .findings
            .last()
            .is_none_or(|list| list.len() >= FINDINGS_LIST)
        {
            self.findings.push(Vec::new());
        }
        let list = self.findings.last_mut().expect("a list");
        list.push(Finding {
            rule_id: self.text.id.clone(),
            severity: self.rule.severity,
            title: self.text.title.clone(),
            message,
            brief,
            resource,
            account,
            principal,
            permission_set,
            via,
            fingerprint,
            location,
            suppressed: None,
            in_baseline: false,
        });
    }

    /// Renders and records one finding of a check.
    fn check_finding(
        &mut self,
        finding: CheckFinding,
        root: (&'static str, &'static [subjects::Field]),
    ) {
        let message = render::render_with_brief(
            &self.rule.message,
            std::slice::from_ref(&finding.value),
            &[root],
            &self.rule.params,
        );
        let location = finding
            .location
            .map_or_else(|| self.text.location.clone(), Arc::new);
        let refs = (
            finding.resource,
            finding.account.map(Arc::new),
            finding.principal.map(Arc::new),
            finding.permission_set.map(Arc::new),
            None,
        );
        self.push_at(refs, message, location);
    }

    fn condition(&mut self, shape: &Arc<ConditionShape>, now: chrono::DateTime<chrono::Utc>) {
        let facts = shape
            .calls_allows
            .then(|| self.cache.model.policy_facts().clone());
        let rule = self.rule;
        let base_of = || base_context_with(rule, now, facts.clone());
        let roots = self.rule.subject.roots();
        let snapshot = self.cache.model.snapshot;
        let cache = self.cache;
        if self.rule.subject == SubjectKind::Access {
            // Access rows are expanded from assignments: their own path, in two stages.
            return self.in_chunks(cache.model.routes.len(), |run, range| {
                run.access(shape, &base_of(), range)
            });
        }
        let conjuncts: Vec<&crate::cel_paths::Conjunct> = shape.conjuncts.iter().collect();
        if self.rule.subject == SubjectKind::Assignment {
            let targets = &cache.model.assignment_targets;
            return self.in_chunks(cache.model.routes.len(), |run, range| {
                let base = base_of();
                let mut decider = Chain::new(&conjuncts, roots);
                for position in range {
                    let assignment = &cache.model.routes[position];
                    let target = targets[position];
                    let principal = principal_identity(assignment.principal_type, target.principal);
                    let entities = [target.account, target.facts, principal, None];
                    let values = |root: usize, only: Option<&[usize]>| {
                        cache.assignment_root_only(position, root, only)
                    };
                    let outcome = decider.decide(&base, roots, entities, &values);
                    run.record(outcome, &values, assignment.chain, |run| {
                        run.assignment_refs(assignment, None)
                    });
                }
            });
        }
        let base = base_of();
        let mut decider = Chain::new(&conjuncts, roots);
        // Accounts, groups, users and permission sets: one root, one entity per row.
        let count = match self.rule.subject {
            SubjectKind::Account => snapshot.organization.accounts.len(),
            SubjectKind::Group => snapshot.groups.len(),
            SubjectKind::User => snapshot.users.len(),
            _ => snapshot.permission_sets.len(),
        };
        for i in 0..count {
            let values = |_: usize, _: Option<&[usize]>| cache.entity(self.rule.subject, i);
            let outcome = decider.decide(&base, roots, [Some(i as u32), None, None, None], &values);
            self.record(outcome, &values, None, |run| run.entity_refs(i));
        }
    }

    /// Resource and references of the `position`th account, group, user or permission set.
    fn entity_refs(&self, position: usize) -> Refs {
        let snapshot = self.cache.model.snapshot;
        match self.rule.subject {
            SubjectKind::Account => {
                let account = &snapshot.organization.accounts[position];
                let account_ref = self.refs.account(position);
                (
                    Resource {
                        kind: crate::vocabulary::ResourceKind::Account,
                        id: account.id.clone(),
                        name: account.name.clone(),
                    },
                    Some(account_ref),
                    None,
                    None,
                    None,
                )
            }
            SubjectKind::Group => {
                let group = &snapshot.groups[position];
                let principal = self.refs.group(position);
                (
                    Resource {
                        kind: crate::vocabulary::ResourceKind::Group,
                        id: group.id.clone(),
                        name: group.display_name.clone(),
                    },
                    None,
                    Some(principal),
                    None,
                    None,
                )
            }
            SubjectKind::User => {
                let user = &snapshot.users[position];
                let resource = Resource {
                    kind: crate::vocabulary::ResourceKind::User,
                    id: user.id.clone(),
                    name: user.user_name.clone(),
                };
                (resource, None, Some(self.refs.user(position)), None, None)
            }
            _ => {
                let set = &snapshot.permission_sets[position];
                let set_ref = self.refs.permission_set(position);
                (
                    Resource {
                        kind: crate::vocabulary::ResourceKind::PermissionSet,
                        id: set.arn.clone(),
                        name: set.name.clone(),
                    },
                    None,
                    None,
                    Some(set_ref),
                    None,
                )
            }
        }
    }

    /// Turns a decision into a finding (true), nothing (false) or a rule error.
    /// A chained route's finding names every hop and what allows it.
    fn record(
        &mut self,
        outcome: Result<bool, String>,
        values: RootValues,
        chain: Option<u32>,
        refs: impl FnOnce(&Self) -> Refs,
    ) {
        match outcome {
            Ok(false) => {}
            Ok(true) => {
                let roots = self.rule.subject.roots();
                let all: Vec<Value> = (0..roots.len())
                    .map(|root| values(root, self.message_fields[root].as_deref()))
                    .collect();
                let refs = refs(self);
                let mut message =
                    render::render_with_brief(&self.rule.message, &all, roots, &self.rule.params);
                if let Some(c) = chain {
                    message = chained_message(message, &self.cache.model.chains[c as usize]);
                }
                self.push(refs, message);
            }
            Err(error) => {
                let (resource, ..) = refs(self);
                self.error(&resource, &error);
            }
        }
    }

    /// Resource and references of an assignment, or of one access row through it.
    fn assignment_refs(&self, assignment: &Route, user: Option<usize>) -> Refs {
        let model = self.cache.model;
        let snapshot = model.snapshot;
        let refs = self.refs;
        // Shared with every other finding on the same account, principal and set; built here
        // for what the snapshot does not hold (a deleted set, an unknown principal).
        let account = model
            .account_index
            .get(assignment.account_id)
            .map(|&i| refs.account(i))
            .unwrap_or_else(|| {
                Arc::new(AccountRef {
                    id: assignment.account_id.to_string(),
                    name: assignment.account_id.to_string(),
                })
            });
        let listed_set = match (assignment.entitlement, assignment.chain) {
            (None, None) => model
                .permission_set_index
                .get(assignment.grant_arn)
                .map(|&i| refs.permission_set(i)),
            _ => None,
        };
        let permission_set = listed_set.unwrap_or_else(|| {
            let name = match (assignment.entitlement, assignment.chain) {
                (None, None) => assignment.grant_arn,
                _ => crate::iam::role_label(assignment.grant_arn),
            };
            Arc::new(PermissionSetRef {
                arn: assignment.grant_arn.to_string(),
                name: name.to_string(),
            })
        });
        let principal = match assignment.principal_type {
            PrincipalType::Group => model
                .group_index
                .get(assignment.principal_id)
                .map(|&i| refs.group(i)),
            PrincipalType::User => model
                .user_index
                .get(assignment.principal_id)
                .map(|&i| refs.user(i)),
        }
        .unwrap_or_else(|| {
            Arc::new(PrincipalRef {
                principal_type: assignment.principal_type.as_str().to_string(),
                id: assignment.principal_id.to_string(),
                name: assignment.principal_id.to_string(),
            })
        });
        let mut base_id = joined(&[
            assignment.account_id,
            "/",
            assignment.grant_arn,
            "/",
            assignment.principal_type.as_str(),
            "/",
            assignment.principal_id,
        ]);
        // A chained route: the path tells it from the others to the same role.
        let through = assignment.chain.map(|c| {
            let chain = &model.chains[c as usize];
            base_id.push_str("/chain/");
            base_id.push_str(&chain.start_arn);
            for hop in &chain.hops[..chain.hops.len() - 1] {
                base_id.push('>');
                base_id.push_str(&hop.to);
            }
            format!(" through {}", chain.path)
        });
        let through = through.as_deref().unwrap_or_default();
        match user {
            None => (
                Resource {
                    kind: crate::vocabulary::ResourceKind::Assignment,
                    id: base_id,
                    name: joined(&[
                        &principal.name,
                        " ",
                        &permission_set.name,
                        " on ",
                        &account.name,
                        through,
                    ]),
                },
                Some(account),
                Some(principal),
                Some(permission_set),
                None,
            ),
            Some(u) => {
                let user = &snapshot.users[u];
                let user_ref = refs.user(u);
                (
                    Resource {
                        kind: crate::vocabulary::ResourceKind::Access,
                        id: joined(&[
                            assignment.account_id,
                            "/",
                            assignment.grant_arn,
                            "/USER/",
                            &user.id,
                            "/via/",
                            assignment.principal_type.as_str(),
                            "/",
                            assignment.principal_id,
                            base_id.find("/chain/").map_or("", |at| &base_id[at..]),
                        ]),
                        name: joined(&[
                            &user.user_name,
                            " ",
                            &permission_set.name,
                            " on ",
                            &account.name,
                            through,
                        ]),
                    },
                    Some(account),
                    Some(user_ref),
                    Some(permission_set),
                    Some(principal),
                )
            }
        }
    }

    /// Runs `body` over the rows `0..count`, in ranges side by side on all cores when there
    /// are many: each range records into lists of its own, joined in row order, so the
    /// findings and errors are those of one pass in order.
    fn in_chunks(
        &mut self,
        count: usize,
        body: impl Fn(&mut RuleRun, std::ops::Range<usize>) + Sync,
    ) {
        let threads = if count >= CHUNKED_ROWS {
            self.threads
        } else {
            1
        };
        if threads <= 1 {
            return body(self, 0..count);
        }
        let size = count.div_ceil(threads);
        let (rule, cache, refs, message_fields) =
            (self.rule, self.cache, self.refs, &self.message_fields);
        let text = &self.text;
        let body = &body;
        let parts: Vec<(Vec<Vec<Finding>>, Vec<EvaluationError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = t * size..((t + 1) * size).min(count);
                    scope.spawn(move || {
                        let (mut findings, mut errors) = (vec![Vec::new()], Vec::new());
                        let mut run = RuleRun {
                            rule,
                            text: text.clone(),
                            cache,
                            refs,
                            findings: &mut findings,
                            errors: &mut errors,
                            message_fields: message_fields.clone(),
                            threads: 1,
                        };
                        body(&mut run, range);
                        (findings, errors)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a rule's worker does not panic"))
                .collect()
        });
        // Kept as lists, in order: they are joined once, when the rules are done.
        for (findings, errors) in parts {
            self.findings.extend(findings);
            self.errors.extend(errors);
        }
    }

    fn access(
        &mut self,
        shape: &Arc<ConditionShape>,
        base: &Context,
        range: std::ops::Range<usize>,
    ) {
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
        for position in range {
            let assignment = &model.routes[position];
            let target = model.assignment_targets[position];
            let principal = principal_identity(assignment.principal_type, target.principal);
            // Assignment-level conjuncts never read the user root (0).
            let entities = [None, target.account, target.facts, principal];
            let assignment_values = |root: usize, only: Option<&[usize]>| match root {
                0 => Value::Null,
                _ => cache.assignment_root_only(position, root - 1, only),
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
                let entities = [Some(u as u32), target.account, target.facts, principal];
                let values = |root: usize, only: Option<&[usize]>| match root {
                    0 => cache.user(u).clone(),
                    _ => cache.assignment_root_only(position, root - 1, only),
                };
                let outcome = inner.decide(base, roots, entities, &values);
                self.record(outcome, &values, assignment.chain, |run| {
                    run.assignment_refs(assignment, Some(u))
                });
            }
        }
    }
}

/// The parts one after the other, in a string of exactly their length.
fn joined(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}

type Refs = (
    Resource,
    Option<Arc<AccountRef>>,
    Option<Arc<PrincipalRef>>,
    Option<Arc<PermissionSetRef>>,
    Option<Arc<PrincipalRef>>,
);

/// A finding's message and brief form for a route reached through `chain`: the message names
/// every hop and the statements that allow it; the brief form says how many hops (the path is
/// in the resource's name).
fn chained_message(
    (mut full, brief): (String, Option<String>),
    chain: &crate::model::Chain,
) -> (String, Option<String>) {
    if !full.ends_with('.') {
        full.push('.');
    }
    let mut brief = brief.unwrap_or_else(|| full.clone());
    let hops = chain.hops.len();
    let summary = format!(
        " Reached through a chain of {hops} role assumption{}{}",
        if hops == 1 { "" } else { "s" },
        if chain.conditional {
            ", conditional on what the snapshot cannot decide"
        } else {
            ""
        },
    );
    full.push_str(&format!(
        "{summary}: {}.",
        crate::chains::explanation(&chain.hops)
    ));
    let note = format!("{summary}.");
    let room = render::BRIEF_LIMIT.saturating_sub(note.chars().count() + 2);
    if let Some((limit, _)) = brief.char_indices().nth(room) {
        let cut = brief[..limit].rfind(' ').unwrap_or(limit);
        brief.truncate(cut);
        brief.push_str(" …");
    }
    brief.push_str(&note);
    let brief = (brief != full).then_some(brief);
    (full, brief)
}
