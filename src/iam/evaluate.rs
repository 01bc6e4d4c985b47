//! IAM policy evaluation for action-level questions: which actions the policies of a
//! permission set allow, on every resource or on some, unconditionally or under a condition.
//!
//! The statement grammar in full: `Effect`, `Action` / `NotAction`, `Resource` / `NotResource`,
//! `Condition`, one statement or a list, string or list values. Actions match
//! case-insensitively with `*` and `?` anywhere, expanded against the action catalog; an action
//! the catalog does not know is kept literally and reported as unknown. An explicit deny beats
//! an allow; a permissions boundary intersects; conditional allows are kept apart (reported as
//! conditional, never dropped) and conditional denies are not subtracted.

use super::catalog::{Catalog, glob};
use serde_json::Value;

/// A set of catalog actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSet(Vec<u64>);

impl ActionSet {
    pub fn empty(len: usize) -> ActionSet {
        ActionSet(vec![0; len.div_ceil(64)])
    }

    pub fn full(len: usize) -> ActionSet {
        let mut set = ActionSet::empty(len);
        for i in 0..len {
            set.insert(i);
        }
        set
    }

    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    pub fn union_with(&mut self, other: &ActionSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn complement(&self, len: usize) -> ActionSet {
        let mut out = ActionSet::empty(len);
        for i in 0..len {
            if !self.contains(i) {
                out.insert(i);
            }
        }
        out
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement, with the catalog actions it names.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in its policy (0-based).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `NotAction`: everything but `actions`.
    pub not_action: bool,
    /// The patterns as written.
    pub actions: Vec<String>,
    /// The catalog actions it applies to.
    pub matched: ActionSet,
    /// Patterns that match nothing in the catalog (new or mistyped actions), kept literally.
    pub unknown_actions: Vec<String>,
    /// It applies to every resource (`*`, an ARN of wildcards, or `NotResource`).
    pub every_resource: bool,
    pub conditional: bool,
    /// The `Resource` patterns as written (or `NotResource`'s when `not_resource`), for
    /// questions about one resource.
    pub resources: std::sync::Arc<[String]>,
    pub not_resource: bool,
    /// The `Condition` block as written, for questions about one request.
    pub condition: Option<std::sync::Arc<Value>>,
}

impl Statement {
    /// `statement 0` or `statement 2 (Sid AllowAll)`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("statement {} ({sid})", self.index),
            _ => format!("statement {}", self.index),
        }
    }

    /// Whether it applies to an action the catalog does not know, by its literal name.
    pub(crate) fn names_literal(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let hit = self.actions.iter().any(|p| {
            let p = p.to_ascii_lowercase();
            p == "*" || glob(&p, &name)
        });
        hit != self.not_action
    }
}

/// The strings of a string-or-list value.
fn strings(value: Option<&Value>) -> Result<Vec<String>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("expected a string, found {v}"))
            })
            .collect(),
        Some(other) => Err(format!("expected a string or a list, found {other}")),
    }
}

/// A resource that every ARN matches: `*`, `arn:*`, `arn:aws:*:*:*:*`.
fn is_every_resource(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let parts: Vec<&str> = resource.split(':').collect();
    parts.first() == Some(&"arn")
        && parts.len() >= 2
        && (parts[1] == "*" || parts[1].starts_with("aws"))
        && (parts.len() == 2 && parts[1] == "*" || parts[2..].iter().all(|p| *p == "*"))
}

/// The statements of a policy document, with their actions expanded against `catalog`.
pub fn statements(document: &Value, catalog: &Catalog) -> Result<Vec<Statement>, String> {
    let raw: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(object @ Value::Object(_)) => vec![object],
        Some(other) => {
            return Err(format!(
                "`Statement` must be an object or a list, not {other}"
            ));
        }
        None => return Err("the policy has no `Statement`".into()),
    };
    raw.into_iter()
        .enumerate()
        .map(|(index, statement)| {
            let at = |message: String| format!("statement {index}: {message}");
            let effect = match statement.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                other => return Err(at(format!("`Effect` must be Allow or Deny, not {other:?}"))),
            };
            let (not_action, actions) = match (statement.get("Action"), statement.get("NotAction"))
            {
                (Some(a), None) => (false, strings(Some(a)).map_err(at)?),
                (None, Some(n)) => (true, strings(Some(n)).map_err(at)?),
                _ => return Err(at("needs exactly one of `Action` and `NotAction`".into())),
            };
            let (every_resource, resources, not_resource) =
                match (statement.get("Resource"), statement.get("NotResource")) {
                    (Some(r), None) => {
                        let resources = strings(Some(r)).map_err(at)?;
                        (
                            resources.iter().any(|r| is_every_resource(r)),
                            resources,
                            false,
                        )
                    }
                    // Everything but some resources: as good as every resource for an auditor.
                    (None, Some(n)) => (true, strings(Some(n)).map_err(at)?, true),
                    (None, None) => (true, vec!["*".to_string()], false),
                    _ => return Err(at("has both `Resource` and `NotResource`".into())),
                };
            let conditional = statement
                .get("Condition")
                .is_some_and(|c| c.as_object().is_none_or(|m| !m.is_empty()));
            let mut matched = ActionSet::empty(catalog.len());
            let mut unknown_actions = Vec::new();
            for pattern in &actions {
                let (found, unknown) = catalog.matching(pattern);
                for i in found {
                    matched.insert(i);
                }
                if unknown {
                    unknown_actions.push(pattern.clone());
                }
            }
            if not_action {
                matched = matched.complement(catalog.len());
            }
            Ok(Statement {
                index,
                sid: statement
                    .get("Sid")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                effect,
                not_action,
                actions,
                matched,
                unknown_actions,
                every_resource,
                conditional,
                resources: resources.into(),
                not_resource,
                condition: statement
                    .get("Condition")
                    .filter(|_| conditional)
                    .map(|c| std::sync::Arc::new(c.clone())),
            })
        })
        .collect()
}

/// What a policy is to a permission set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It grants (managed, customer managed, inline).
    Grants,
    /// It caps the others (the permissions boundary).
    Boundary,
    /// A service control policy attached at the `n`th level from the organization's root to
    /// the account: at every level some policy must allow an action, and none may deny it.
    Ceiling(u8),
}

/// One policy of a permission set.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How findings name it: `IAMFullAccess (AWS managed, v2)`, `inline policy`.
    pub label: String,
    pub role: Role,
    pub statements: Vec<Statement>,
}

/// Whether (and how) the policies allow an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed without a condition; `every_resource` when on every resource.
    Allowed { every_resource: bool },
    /// Allowed only under a condition.
    Conditional,
    /// Explicitly denied, or allowed by none.
    Denied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed { .. } => "allowed",
            Decision::Conditional => "conditional",
            Decision::Denied => "denied",
        }
    }
}

/// The grants of one side (the set's policies, or the boundary).
struct Grants {
    every: ActionSet,
    some: ActionSet,
    conditional: ActionSet,
    deny_every: ActionSet,
    deny_some: ActionSet,
}

impl Grants {
    fn of<'p>(policies: impl Iterator<Item = &'p Policy>, len: usize) -> Grants {
        let mut grants = Grants {
            every: ActionSet::empty(len),
            some: ActionSet::empty(len),
            conditional: ActionSet::empty(len),
            deny_every: ActionSet::empty(len),
            deny_some: ActionSet::empty(len),
        };
        for statement in policies.flat_map(|p| &p.statements) {
            let target = match (
                statement.effect,
                statement.conditional,
                statement.every_resource,
            ) {
                (Effect::Allow, true, _) => &mut grants.conditional,
                (Effect::Allow, false, true) => &mut grants.every,
                (Effect::Allow, false, false) => &mut grants.some,
                // A conditional deny is not subtracted: it denies only when it holds.
                (Effect::Deny, true, _) => continue,
                (Effect::Deny, false, true) => &mut grants.deny_every,
                (Effect::Deny, false, false) => &mut grants.deny_some,
            };
            target.union_with(&statement.matched);
        }
        grants
    }

    fn decision(&self, i: usize) -> Decision {
        Hits {
            deny_every: self.deny_every.contains(i),
            deny_some: self.deny_some.contains(i),
            every: self.every.contains(i),
            some: self.some.contains(i),
            conditional: self.conditional.contains(i),
        }
        .decision()
    }
}

/// Which kinds of statement of one side name an action.
#[derive(Default)]
struct Hits {
    deny_every: bool,
    deny_some: bool,
    every: bool,
    some: bool,
    conditional: bool,
}

impl Hits {
    fn decision(&self) -> Decision {
        if self.deny_every {
            Decision::Denied
        } else if self.every || self.some {
            // A deny on some resources narrows an allow on every resource.
            Decision::Allowed {
                every_resource: self.every && !self.deny_some,
            }
        } else if self.conditional {
            Decision::Conditional
        } else {
            Decision::Denied
        }
    }
}

/// The set's own decision capped by the boundary's: an intersection.
fn intersect(own: Decision, boundary: Option<Decision>) -> Decision {
    match (own, boundary) {
        (_, None) | (Decision::Denied, _) => own,
        (_, Some(Decision::Denied)) => Decision::Denied,
        (
            Decision::Allowed { every_resource: a },
            Some(Decision::Allowed { every_resource: b }),
        ) => Decision::Allowed {
            every_resource: a && b,
        },
        _ => Decision::Conditional,
    }
}

/// What the policies of one permission set allow.
pub struct Analysis {
    pub policies: Vec<Policy>,
    own: Grants,
    boundary: Option<Grants>,
    /// The guardrail levels, root first.
    ceilings: Vec<Grants>,
    /// Policies whose content is unknown (customer managed policies outside the management
    /// account, AWS managed policies in neither the snapshot nor the catalog).
    pub unknown_policies: Vec<String>,
    /// Policies that could not be read as IAM policies, with the reason.
    pub malformed: Vec<String>,
}

impl Analysis {
    pub fn new(
        policies: Vec<Policy>,
        unknown_policies: Vec<String>,
        malformed: Vec<String>,
    ) -> Analysis {
        let len = Catalog::get().len();
        let own = Grants::of(policies.iter().filter(|p| p.role == Role::Grants), len);
        let boundary = policies
            .iter()
            .any(|p| p.role == Role::Boundary)
            .then(|| Grants::of(policies.iter().filter(|p| p.role == Role::Boundary), len));
        let levels: std::collections::BTreeSet<u8> = policies
            .iter()
            .filter_map(|p| match p.role {
                Role::Ceiling(level) => Some(level),
                _ => None,
            })
            .collect();
        let ceilings = levels
            .into_iter()
            .map(|level| {
                Grants::of(
                    policies.iter().filter(|p| p.role == Role::Ceiling(level)),
                    len,
                )
            })
            .collect();
        Analysis {
            policies,
            own,
            boundary,
            ceilings,
            unknown_policies,
            malformed,
        }
    }

    /// The decision on the `i`th catalog action: the set's policies intersected with the
    /// boundary.
    pub fn decision(&self, i: usize) -> Decision {
        self.ceilings
            .iter()
            .fold(self.uncapped(i), |d, c| intersect(d, Some(c.decision(i))))
    }

    /// The decision of the policies and boundary alone, before the guardrails.
    pub fn uncapped(&self, i: usize) -> Decision {
        intersect(
            self.own.decision(i),
            self.boundary.as_ref().map(|b| b.decision(i)),
        )
    }

    /// Whether guardrails cap this analysis.
    pub fn has_ceiling(&self) -> bool {
        !self.ceilings.is_empty()
    }

    /// Why the guardrails deny the `i`th action: the first level that does, with the SCP
    /// that denies it there or the level's policies, none of which allows it.
    pub fn ceiling_denial(&self, i: usize) -> Option<String> {
        for (grants, level) in self.ceilings.iter().zip(self.ceiling_levels()) {
            if grants.decision(i) != Decision::Denied {
                continue;
            }
            let at_level = || {
                self.policies
                    .iter()
                    .filter(move |p| p.role == Role::Ceiling(level))
            };
            for policy in at_level() {
                if let Some(statement) = policy
                    .statements
                    .iter()
                    .find(|s| s.effect == Effect::Deny && !s.conditional && s.matched.contains(i))
                {
                    return Some(format!(
                        "{}, {}, denies it",
                        policy.label,
                        statement.label()
                    ));
                }
            }
            let names: Vec<&str> = at_level().map(|p| p.label.as_str()).collect();
            return Some(format!("none of {} allows it", names.join(", ")));
        }
        None
    }

    /// The decision on an action by name: a catalog action, or one the catalog does not know,
    /// matched literally.
    pub fn decide(&self, name: &str) -> Decision {
        let has_boundary = self.policies.iter().any(|p| p.role == Role::Boundary);
        let own = match Catalog::get().position(name) {
            Some(i) => return self.decision(i),
            None => intersect(
                self.literal(name, Role::Grants),
                has_boundary.then(|| self.literal(name, Role::Boundary)),
            ),
        };
        self.capped(name, own)
    }

    /// The guardrails' decision alone on an action by name, as though the policies allowed it
    /// on every resource.
    pub fn decide_capped(&self, name: &str) -> Decision {
        self.capped(
            name,
            Decision::Allowed {
                every_resource: true,
            },
        )
    }

    fn capped(&self, name: &str, start: Decision) -> Decision {
        let position = Catalog::get().position(name);
        let levels = self.ceiling_levels();
        levels
            .iter()
            .zip(&self.ceilings)
            .fold(start, |d, (&level, grants)| {
                let side = match position {
                    Some(i) => grants.decision(i),
                    None => self.literal(name, Role::Ceiling(level)),
                };
                intersect(d, Some(side))
            })
    }

    /// The levels of the ceiling policies, in the order of `ceilings`.
    pub fn ceiling_levels(&self) -> Vec<u8> {
        let mut levels: Vec<u8> = self
            .policies
            .iter()
            .filter_map(|p| match p.role {
                Role::Ceiling(level) => Some(level),
                _ => None,
            })
            .collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }

    /// The decision of one side's policies on an action the catalog does not know, matched
    /// literally.
    fn literal(&self, name: &str, role: Role) -> Decision {
        let mut hits = Hits::default();
        for statement in self
            .policies
            .iter()
            .filter(|p| p.role == role)
            .flat_map(|p| &p.statements)
            .filter(|s| s.names_literal(name))
        {
            let hit = match (
                statement.effect,
                statement.conditional,
                statement.every_resource,
            ) {
                (Effect::Allow, true, _) => &mut hits.conditional,
                (Effect::Allow, false, true) => &mut hits.every,
                (Effect::Allow, false, false) => &mut hits.some,
                (Effect::Deny, true, _) => continue,
                (Effect::Deny, false, true) => &mut hits.deny_every,
                (Effect::Deny, false, false) => &mut hits.deny_some,
            };
            *hit = true;
        }
        hits.decision()
    }

    /// The first granting statement of an allowed action: (policy label, statement), for
    /// explanations.
    pub fn grant(&self, i: usize) -> Option<(&Policy, &Statement)> {
        let mut conditional = None;
        for policy in self.policies.iter().filter(|p| p.role == Role::Grants) {
            for statement in &policy.statements {
                if statement.effect == Effect::Allow && statement.matched.contains(i) {
                    if !statement.conditional {
                        return Some((policy, statement));
                    }
                    conditional.get_or_insert((policy, statement));
                }
            }
        }
        conditional
    }

    /// Patterns of allow statements that match no catalog action.
    pub fn unknown_actions(&self) -> Vec<String> {
        let mut unknown: Vec<String> = self
            .policies
            .iter()
            .filter(|p| p.role == Role::Grants)
            .flat_map(|p| &p.statements)
            .filter(|s| s.effect == Effect::Allow)
            .flat_map(|s| s.unknown_actions.iter().cloned())
            .collect();
        unknown.sort();
        unknown.dedup();
        unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn analysis(grants: &[Value], boundary: Option<Value>) -> Analysis {
        let catalog = Catalog::get();
        let mut policies: Vec<Policy> = grants
            .iter()
            .enumerate()
            .map(|(i, d)| Policy {
                label: format!("policy {i}"),
                role: Role::Grants,
                statements: statements(d, catalog).unwrap(),
            })
            .collect();
        if let Some(b) = boundary {
            policies.push(Policy {
                label: "boundary".into(),
                role: Role::Boundary,
                statements: statements(&b, catalog).unwrap(),
            });
        }
        Analysis::new(policies, Vec::new(), Vec::new())
    }

    fn allow(action: Value, resource: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}})
    }

    const EVERY: Decision = Decision::Allowed {
        every_resource: true,
    };
    const SOME: Decision = Decision::Allowed {
        every_resource: false,
    };

    #[test]
    fn a_single_statement_object_and_string_values() {
        let a = analysis(&[allow(json!("iam:PassRole"), json!("*"))], None);
        assert_eq!(a.decide("iam:passrole"), EVERY);
        assert_eq!(a.decide("iam:CreateRole"), Decision::Denied);
    }

    #[test]
    fn wildcards_anywhere_match_case_insensitively() {
        let a = analysis(&[allow(json!(["IAM:Attach*Polic?"]), json!(["*"]))], None);
        assert_eq!(a.decide("iam:AttachRolePolicy"), EVERY);
        assert_eq!(a.decide("iam:AttachUserPolicy"), EVERY);
        assert_eq!(a.decide("iam:DetachRolePolicy"), Decision::Denied);
        let star = analysis(&[allow(json!("*"), json!("arn:aws:*:*:*:*"))], None);
        assert_eq!(star.decide("organizations:LeaveOrganization"), EVERY);
    }

    #[test]
    fn resources_scope_the_grant() {
        let a = analysis(
            &[allow(json!("s3:GetObject"), json!("arn:aws:s3:::bucket/*"))],
            None,
        );
        assert_eq!(a.decide("s3:GetObject"), SOME);
        let not_resource = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}]});
        assert_eq!(
            analysis(&[not_resource], None).decide("s3:PutObject"),
            EVERY
        );
    }

    #[test]
    fn not_action_allows_everything_else() {
        let power_user = json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Resource": "*"}
        ]});
        let a = analysis(&[power_user], None);
        assert_eq!(a.decide("ec2:RunInstances"), EVERY);
        assert_eq!(a.decide("iam:AttachRolePolicy"), Decision::Denied);
        assert_eq!(a.decide("iam:ListRoles"), EVERY);
        assert_eq!(
            a.decide("organizations:LeaveOrganization"),
            Decision::Denied
        );
    }

    #[test]
    fn an_explicit_deny_beats_an_allow_and_a_conditional_deny_is_not_subtracted() {
        let document = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:*:*:instance/i-prod"}
        ]});
        let a = analysis(&[document], None);
        assert_eq!(a.decide("iam:PassRole"), Decision::Denied);
        assert_eq!(a.decide("s3:DeleteBucket"), EVERY);
        assert_eq!(a.decide("ec2:TerminateInstances"), SOME);
    }

    #[test]
    fn conditional_allows_are_kept_apart() {
        let document = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRoot", "Resource": "arn:aws:iam::*:root",
            "Condition": {"StringEquals": {"sts:TaskPolicyArn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}}}});
        let a = analysis(&[document], None);
        assert_eq!(a.decide("sts:AssumeRoot"), Decision::Conditional);
        assert_eq!(
            a.grant(Catalog::get().position("sts:AssumeRoot").unwrap())
                .unwrap()
                .1
                .index,
            0
        );
    }

    #[test]
    fn the_boundary_is_an_intersection() {
        let read_only = json!({"Statement": {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}});
        let a = analysis(&[allow(json!("*"), json!("*"))], Some(read_only));
        assert_eq!(a.decide("s3:GetObject"), EVERY);
        assert_eq!(a.decide("s3:PutObject"), Decision::Denied);
        assert_eq!(a.decide("iam:AttachRolePolicy"), Decision::Denied);
        let conditional_boundary = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}});
        let b = analysis(
            &[allow(json!("iam:*"), json!("*"))],
            Some(conditional_boundary),
        );
        assert_eq!(b.decide("iam:CreateUser"), Decision::Conditional);
    }

    #[test]
    fn unknown_actions_are_matched_literally_and_reported() {
        let a = analysis(
            &[allow(
                json!(["newservice:DoThing", "s3:GetObject"]),
                json!("*"),
            )],
            None,
        );
        assert_eq!(a.decide("newservice:DoThing"), EVERY);
        assert_eq!(a.decide("newservice:Other"), Decision::Denied);
        assert_eq!(a.unknown_actions(), ["newservice:DoThing"]);
        let star = analysis(&[allow(json!("*"), json!("*"))], None);
        assert_eq!(star.decide("brandnew:Action"), EVERY);
    }

    #[test]
    fn malformed_statements_are_errors() {
        let catalog = Catalog::get();
        for (document, message) in [
            (
                json!({"Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}}),
                "Effect",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "iam:*", "Resource": "*"}}),
                "exactly one",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": 5, "Resource": "*"}}),
                "string",
            ),
            (json!({"Version": "2012-10-17"}), "no `Statement`"),
        ] {
            let error = statements(&document, catalog).unwrap_err();
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn every_resource_patterns() {
        for every in ["*", "arn:*", "arn:aws:*:*:*:*", "arn:aws:*:*:*:*:*"] {
            assert!(is_every_resource(every), "{every}");
        }
        for some in [
            "arn:aws:s3:::bucket",
            "arn:aws:iam::*:role/x",
            "arn:aws:*:*:*:role/*",
        ] {
            assert!(!is_every_resource(some), "{some}");
        }
    }
}
