//! One request, decided: may a principal perform an action on one resource? Where the
//! capability engine asks which actions policies allow anywhere, this asks about one role
//! assumption: the caller's identity policies, boundary and SCPs (`identity`), the target
//! role's trust policy (`trust`), and the RCPs over the target's account (`resource_control`).
//!
//! Conditions are evaluated against what the snapshot knows of the request (the caller's ARN,
//! type, account and organization, the resource's account). A condition on anything else
//! (tags, MFA, source identity, an external id, time, network) cannot be decided offline: the
//! statement is then *conditional*, reported with the condition, never dropped and never taken
//! as certain. An explicit deny beats an allow; a conditional deny makes an allow conditional.

use super::catalog::{Catalog, glob};
use super::evaluate::{Analysis, Effect, Policy, Role, Statement};
use serde_json::Value;

/// What is known of one request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `sts:AssumeRole`.
    pub action: &'a str,
    /// The ARN of the resource (the role to assume).
    pub resource: &'a str,
    pub resource_account: &'a str,
    /// The caller's role (or user) ARN, as `aws:PrincipalArn` holds it.
    pub principal_arn: &'a str,
    pub principal_account: &'a str,
    /// `AssumedRole` for a role session, `User` for an IAM user.
    pub principal_type: &'a str,
    /// The organization both accounts are in, when known.
    pub org_id: Option<&'a str>,
}

/// Whether a condition (or a principal, or a resource pattern) holds for the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// It cannot be decided from the snapshot: why.
    Unknown(String),
}

impl Truth {
    fn and(self, other: impl FnOnce() -> Truth) -> Truth {
        match self {
            Truth::False => Truth::False,
            Truth::True => other(),
            Truth::Unknown(why) => match other() {
                Truth::False => Truth::False,
                _ => Truth::Unknown(why),
            },
        }
    }
}

/// A request's value for a condition key.
enum Known {
    Values(Vec<String>),
    Absent,
    Unknown,
}

impl Request<'_> {
    fn key(&self, key: &str) -> Known {
        let one = |v: &str| Known::Values(vec![v.to_string()]);
        match key.to_ascii_lowercase().as_str() {
            "aws:principalarn" => one(self.principal_arn),
            "aws:principaltype" => one(self.principal_type),
            "aws:principalaccount" => one(self.principal_account),
            "aws:principalorgid" | "aws:resourceorgid" => match self.org_id {
                Some(id) => one(id),
                None => Known::Unknown,
            },
            "aws:principalisawsservice" => one("false"),
            "aws:principalservicename" | "aws:principalservicenameslist" => Known::Absent,
            "aws:resourceaccount" => one(self.resource_account),
            _ => Known::Unknown,
        }
    }
}

/// The strings of a condition value (strings, booleans and numbers as written).
fn condition_values(value: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|v| vec![v]),
    }
}

/// `ArnLike`/`ArnEquals`: each of the six colon-separated parts matched on its own, with
/// `*` and `?` inside a part.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == a.len() && p.iter().zip(&a).all(|(p, a)| glob(p, a))
}

/// One condition operator on one key.
fn test(operator: &str, key: &str, values: &Value, request: &Request) -> Truth {
    let unknown = |why: &str| Truth::Unknown(format!("{operator} {key}: {why}"));
    let Some(wanted) = condition_values(values) else {
        return unknown("its values are not strings");
    };
    if wanted.iter().any(|w| w.contains("${")) {
        return unknown("a policy variable cannot be resolved from the snapshot");
    }
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    // Every key decided here is single-valued: a set operator acts as the plain one.
    let base = base
        .strip_prefix("ForAnyValue:")
        .or_else(|| base.strip_prefix("ForAllValues:"))
        .unwrap_or(base);
    let known = request.key(key);
    if base == "Null" {
        let wants_absent = wanted.iter().any(|w| w.eq_ignore_ascii_case("true"));
        return match known {
            Known::Unknown => unknown("not known from the snapshot"),
            Known::Absent => bool_truth(wants_absent),
            Known::Values(_) => bool_truth(!wants_absent),
        };
    }
    let (negated, compare): (bool, fn(&str, &str) -> bool) = match base {
        "StringEquals" => (false, |w, a| w == a),
        "StringNotEquals" => (true, |w, a| w == a),
        "StringEqualsIgnoreCase" => (false, |w, a| w.eq_ignore_ascii_case(a)),
        "StringNotEqualsIgnoreCase" => (true, |w, a| w.eq_ignore_ascii_case(a)),
        "StringLike" => (false, glob),
        "StringNotLike" => (true, glob),
        "ArnEquals" | "ArnLike" => (false, arn_like),
        "ArnNotEquals" | "ArnNotLike" => (true, arn_like),
        "Bool" => (false, |w, a| w.eq_ignore_ascii_case(a)),
        _ => return unknown("this operator is not decided from the snapshot"),
    };
    match known {
        Known::Unknown => unknown("not known from the snapshot"),
        // A missing key: `...IfExists` holds, a negated operator holds, the rest do not.
        Known::Absent => bool_truth(if_exists || negated),
        Known::Values(actual) => {
            let hit = actual.iter().any(|a| wanted.iter().any(|w| compare(w, a)));
            bool_truth(hit != negated)
        }
    }
}

fn bool_truth(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

/// A `Condition` block: every operator and key must hold.
pub fn condition(block: &Value, request: &Request) -> Truth {
    let Some(operators) = block.as_object() else {
        return Truth::Unknown("the condition is not an object".into());
    };
    let mut undecided = None;
    for (operator, keys) in operators {
        let Some(keys) = keys.as_object() else {
            undecided.get_or_insert_with(|| format!("{operator}: not an object of keys"));
            continue;
        };
        for (key, values) in keys {
            match test(operator, key, values, request) {
                Truth::False => return Truth::False,
                Truth::Unknown(why) => {
                    undecided.get_or_insert(why);
                }
                Truth::True => {}
            }
        }
    }
    undecided.map_or(Truth::True, Truth::Unknown)
}

/// Whether a statement's `Resource` (or `NotResource`) covers the resource.
fn covers(statement: &Statement, resource: &str) -> Truth {
    let mut hit = false;
    for pattern in statement.resources.iter() {
        if pattern.contains("${") {
            return Truth::Unknown(format!(
                "resource {pattern}: a policy variable cannot be resolved from the snapshot"
            ));
        }
        hit |= pattern == "*" || glob(pattern, resource);
    }
    bool_truth(hit != statement.not_resource)
}

/// Whether a statement applies to an action (catalog or literal).
fn names(statement: &Statement, action: &str) -> bool {
    match Catalog::get().position(&action.to_ascii_lowercase()) {
        Some(i) => statement.matched.contains(i),
        None => statement.names_literal(action),
    }
}

/// The decision on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, by (the statement that allows it).
    Allowed(String),
    /// Allowed only if a condition holds that the snapshot cannot decide: the statement and
    /// the condition.
    Conditional(String),
    /// Denied: why (the denying statement, or that nothing allows it).
    Denied(String),
}

impl Verdict {
    pub fn is_denied(&self) -> bool {
        matches!(self, Verdict::Denied(_))
    }
}

/// The statements of one side (one group of policies that must allow) as they apply.
#[derive(Default)]
struct Tally {
    allow: Option<String>,
    maybe_allow: Option<String>,
    deny: Option<String>,
    maybe_deny: Option<String>,
}

impl Tally {
    fn add(&mut self, effect: Effect, label: String, truth: Truth) {
        match (effect, truth) {
            (_, Truth::False) => {}
            (Effect::Allow, Truth::True) => {
                self.allow.get_or_insert(label);
            }
            (Effect::Allow, Truth::Unknown(why)) => {
                self.maybe_allow.get_or_insert(format!("{label} if {why}"));
            }
            (Effect::Deny, Truth::True) => {
                self.deny.get_or_insert(label);
            }
            (Effect::Deny, Truth::Unknown(why)) => {
                self.maybe_deny
                    .get_or_insert(format!("{label} denies it if {why}"));
            }
        }
    }

    fn verdict(self, nothing: impl FnOnce() -> String) -> Verdict {
        if let Some(deny) = self.deny {
            return Verdict::Denied(format!("{deny} denies it"));
        }
        match (self.allow, self.maybe_allow, self.maybe_deny) {
            (Some(allow), _, None) => Verdict::Allowed(allow),
            (Some(allow), _, Some(deny)) => Verdict::Conditional(format!("{allow}, unless {deny}")),
            (None, Some(maybe), None) => Verdict::Conditional(maybe),
            (None, Some(maybe), Some(deny)) => {
                Verdict::Conditional(format!("{maybe}, unless {deny}"))
            }
            (None, None, _) => Verdict::Denied(nothing()),
        }
    }
}

/// All sides must allow: the first denial, else the conditions of all, else the grant.
fn all(sides: Vec<Verdict>) -> Verdict {
    let mut grant = None;
    let mut conditions = Vec::new();
    for side in sides {
        match side {
            Verdict::Denied(why) => return Verdict::Denied(why),
            Verdict::Conditional(why) => conditions.push(why),
            Verdict::Allowed(by) => {
                grant.get_or_insert(by);
            }
        }
    }
    match (conditions.is_empty(), grant) {
        (true, Some(by)) => Verdict::Allowed(by),
        (true, None) => Verdict::Allowed(String::new()),
        (false, _) => Verdict::Conditional(conditions.join("; ")),
    }
}

fn tally<'p>(policies: impl Iterator<Item = &'p Policy>, request: &Request) -> Tally {
    let mut tally = Tally::default();
    for policy in policies {
        for statement in &policy.statements {
            if !names(statement, request.action) {
                continue;
            }
            let truth = covers(statement, request.resource).and(|| match &statement.condition {
                Some(block) if statement.conditional => condition(block, request),
                _ => Truth::True,
            });
            tally.add(
                statement.effect,
                format!("{}, {}", policy.label, statement.label()),
                truth,
            );
        }
    }
    tally
}

/// What the caller's own policies decide: its identity policies (unless `grants_needed` is
/// false: a trust policy that names the caller's ARN in its own account grants on its own,
/// and then only their explicit denies count), its boundary, the SCPs above its account.
pub fn identity(analysis: &Analysis, request: &Request, grants_needed: bool) -> Verdict {
    let mut sides = Vec::new();
    let of_role = |role: Role| analysis.policies.iter().filter(move |p| p.role == role);
    let grants = tally(of_role(Role::Grants), request);
    if grants_needed {
        sides.push(grants.verdict(|| {
            format!(
                "no identity policy allows {} on {}",
                request.action, request.resource
            )
        }));
    } else if let Some(deny) = grants.deny {
        sides.push(Verdict::Denied(format!("{deny} denies it")));
    }
    if analysis.policies.iter().any(|p| p.role == Role::Boundary) {
        sides.push(
            tally(of_role(Role::Boundary), request)
                .verdict(|| format!("the permissions boundary does not allow {}", request.action)),
        );
    }
    for level in analysis.ceiling_levels() {
        let at = || of_role(Role::Ceiling(level));
        let names: Vec<&str> = at().map(|p| p.label.as_str()).collect();
        sides.push(
            tally(at(), request).verdict(|| format!("none of {} allows it", names.join(", "))),
        );
    }
    all(sides)
}

/// How a trust statement's principal applies to the caller: whether it matches, and whether
/// it names the caller itself (not its account). A wildcard names everyone, the caller too: in
/// the caller's own account it needs no identity policy, as with a resource policy granting
/// `*` (as @cloud-copilot/iam-simulate decides it too).
fn principal(statement: &Value, request: &Request) -> (bool, bool) {
    let (value, negated) = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(p), None) => (p, false),
        (None, Some(n)) => (n, true),
        _ => return (false, false),
    };
    let (hit, explicit) = match value {
        Value::String(s) if s == "*" => (true, true),
        Value::Object(kinds) => {
            let mut hit = (false, false);
            if let Some(aws) = kinds.get("AWS") {
                for p in condition_values(aws).unwrap_or_default() {
                    if p == request.principal_account
                        || p == format!("arn:aws:iam::{}:root", request.principal_account)
                    {
                        hit.0 = true;
                    } else if p == "*"
                        || p == request.principal_arn
                        || session_of(&p, request.principal_arn)
                    {
                        hit = (true, true);
                    }
                }
            }
            hit
        }
        _ => (false, false),
    };
    if negated {
        (!hit, false)
    } else {
        (hit, explicit)
    }
}

/// Whether `principal` is a session of the role `role_arn`:
/// `arn:aws:sts::1:assumed-role/Name/session` of `arn:aws:iam::1:role/path/Name`.
fn session_of(principal: &str, role_arn: &str) -> bool {
    let Some(rest) = principal.strip_prefix("arn:aws:sts::") else {
        return false;
    };
    let Some((account, rest)) = rest.split_once(":assumed-role/") else {
        return false;
    };
    let name = rest.split('/').next().unwrap_or_default();
    super::arn_account(role_arn) == account && super::role_name(role_arn) == name
}

fn raw_statements(document: &Value) -> Result<Vec<&Value>, String> {
    match document.get("Statement") {
        Some(Value::Array(items)) => Ok(items.iter().collect()),
        Some(object @ Value::Object(_)) => Ok(vec![object]),
        _ => Err("the policy has no `Statement` object or list".into()),
    }
}

fn raw_label(index: usize, statement: &Value) -> String {
    match statement.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("statement {index} ({sid})"),
        _ => format!("statement {index}"),
    }
}

/// Whether a raw statement's `Action`/`NotAction` names the action.
fn raw_names(statement: &Value, action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    let (value, negated) = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(a), _) => (a, false),
        (None, Some(n)) => (n, true),
        _ => return false,
    };
    let hit = condition_values(value)
        .unwrap_or_default()
        .iter()
        .any(|p| super::catalog::names(p, &lower));
    hit != negated
}

fn raw_covers(statement: &Value, resource: &str) -> Truth {
    let (value, negated) = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(r), _) => (r, false),
        (None, Some(n)) => (n, true),
        (None, None) => return Truth::True,
    };
    let patterns = condition_values(value).unwrap_or_default();
    if patterns.iter().any(|p| p.contains("${")) {
        return Truth::Unknown("a policy variable in the resource".into());
    }
    bool_truth(patterns.iter().any(|p| p == "*" || glob(p, resource)) != negated)
}

fn raw_effect(statement: &Value) -> Option<Effect> {
    match statement.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Some(Effect::Allow),
        Some("Deny") => Some(Effect::Deny),
        _ => None,
    }
}

/// A trust policy's decision on the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustVerdict {
    pub verdict: Verdict,
    /// The allowing statement names the caller's ARN (not only its account).
    pub explicit: bool,
}

/// What a role's trust policy decides on the request (`Principal`, `NotPrincipal`,
/// `Action`, `Condition`; explicit denies win).
pub fn trust(document: &Value, request: &Request) -> Result<TrustVerdict, String> {
    let mut tally = Tally::default();
    let mut explicit = false;
    for (index, statement) in raw_statements(document)?.into_iter().enumerate() {
        let Some(effect) = raw_effect(statement) else {
            return Err(format!(
                "{}: `Effect` must be Allow or Deny",
                raw_label(index, statement)
            ));
        };
        if !raw_names(statement, request.action) {
            continue;
        }
        let (matches, names_caller) = principal(statement, request);
        if !matches {
            continue;
        }
        let truth = match statement.get("Condition") {
            Some(block) => condition(block, request),
            None => Truth::True,
        };
        if effect == Effect::Allow && truth == Truth::True && names_caller {
            explicit = true;
        }
        tally.add(
            effect,
            format!("trust {}", raw_label(index, statement)),
            truth,
        );
    }
    Ok(TrustVerdict {
        verdict: tally.verdict(|| "no statement of its trust policy allows the caller".into()),
        explicit,
    })
}

/// What the RCPs over the resource's account decide (None where none apply: not read, not
/// enabled, the management account). At every level some RCP must allow it; none may deny.
pub fn resource_control(
    snapshot: &crate::snapshot::Snapshot,
    request: &Request,
) -> Option<Verdict> {
    use crate::snapshot::Guardrails;
    let ceiling = super::guardrails::ceiling(snapshot, request.resource_account, Guardrails::RCP)?;
    let guardrails = snapshot.guardrails.as_ref()?;
    let mut sides = Vec::new();
    for level in &ceiling {
        let mut tally = Tally::default();
        for &p in &level.policies {
            let policy = &guardrails.policies[p];
            let label = super::guardrails::label(policy, level);
            let Ok(statements) = raw_statements(&policy.document) else {
                return Some(Verdict::Conditional(format!("{label} cannot be read")));
            };
            for (index, statement) in statements.into_iter().enumerate() {
                let Some(effect) = raw_effect(statement) else {
                    continue;
                };
                if !raw_names(statement, request.action) {
                    continue;
                }
                let principal_truth = if statement.get("Principal").is_some()
                    || statement.get("NotPrincipal").is_some()
                {
                    bool_truth(principal(statement, request).0)
                } else {
                    Truth::True
                };
                let truth = principal_truth
                    .and(|| raw_covers(statement, request.resource))
                    .and(|| match statement.get("Condition") {
                        Some(block) => condition(block, request),
                        None => Truth::True,
                    });
                tally.add(
                    effect,
                    format!("{label}, {}", raw_label(index, statement)),
                    truth,
                );
            }
        }
        sides.push(tally.verdict(|| format!("no RCP at {} allows it", level.target)));
    }
    Some(all(sides))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IDENTITY: &str = "111111111111";
    const ROOT: &str = "222222222222";
    const SET_ROLE: &str = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_IdentityDevopsTeamAccess_0123456789abcdef";
    const TARGET: &str = "arn:aws:iam::222222222222:role/acme-core-gbl-root-admin";

    fn request(principal_arn: &'static str) -> Request<'static> {
        Request {
            action: "sts:AssumeRole",
            resource: TARGET,
            resource_account: ROOT,
            principal_arn,
            principal_account: super::super::arn_account(principal_arn),
            principal_type: "AssumedRole",
            org_id: Some("o-acme"),
        }
    }

    /// The trust policy Cloud Posse's team-assume-role-policy module writes.
    fn cloud_posse_trust(set: &str, denied: &str) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RoleAssumeRole",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                    "Principal": {"AWS": [format!("arn:aws:iam::{IDENTITY}:root")]},
                    "Condition": {
                        "StringEquals": {"aws:PrincipalType": "AssumedRole"},
                        "ArnLike": {"aws:PrincipalArn": [
                            format!("arn:aws:iam::{IDENTITY}:role/acme-core-gbl-identity-devops"),
                            format!("arn:aws:iam::{IDENTITY}:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_{set}_*")
                        ]}
                    }
                },
                {
                    "Sid": "RoleDenyAssumeRole",
                    "Effect": "Deny",
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                    "Principal": {"AWS": "*"},
                    "Condition": {"ArnLike": {"aws:PrincipalArn": [denied, "arn:aws:iam::*:user/*"]}}
                }
            ]
        })
    }

    #[test]
    fn an_account_root_narrowed_by_principal_arn_trusts_the_named_set_only() {
        let trust_policy =
            cloud_posse_trust("IdentityDevopsTeamAccess", "arn:aws:iam::*:role/nobody");
        let yes = trust(&trust_policy, &request(SET_ROLE)).unwrap();
        assert_eq!(
            yes.verdict,
            Verdict::Allowed("trust statement 0 (RoleAssumeRole)".into())
        );
        assert!(
            !yes.explicit,
            "the account root, narrowed, is not the caller's own ARN"
        );
        // In a Region segment of the reserved path, too.
        let regional = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_IdentityDevopsTeamAccess_0123456789abcdef";
        assert!(matches!(
            trust(&trust_policy, &request(regional)).unwrap().verdict,
            Verdict::Allowed(_)
        ));
        // Another set of the same account does not match the ArnLike.
        let other = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_IdentityDevelopersTeamAccess_0123456789abcdef";
        assert!(
            trust(&trust_policy, &request(other))
                .unwrap()
                .verdict
                .is_denied()
        );
        // Another account's role with the same name does not match the root principal.
        let foreign = "arn:aws:iam::333333333333:role/acme-core-gbl-identity-devops";
        assert!(
            trust(&trust_policy, &request(foreign))
                .unwrap()
                .verdict
                .is_denied()
        );
        // The team role itself matches.
        let team = "arn:aws:iam::111111111111:role/acme-core-gbl-identity-devops";
        assert!(matches!(
            trust(&trust_policy, &request(team)).unwrap().verdict,
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn an_explicit_deny_in_the_trust_wins() {
        let team = "arn:aws:iam::111111111111:role/acme-core-gbl-identity-devops";
        let trust_policy = cloud_posse_trust(
            "IdentityDevopsTeamAccess",
            "arn:aws:iam::111111111111:role/acme-core-gbl-identity-devops",
        );
        let verdict = trust(&trust_policy, &request(team)).unwrap().verdict;
        assert_eq!(
            verdict,
            Verdict::Denied("trust statement 1 (RoleDenyAssumeRole) denies it".into())
        );
        // IAM users are denied by the module's catch-all.
        let user = "arn:aws:iam::111111111111:user/alice";
        let mut as_user = request(user);
        as_user.principal_type = "User";
        assert!(trust(&trust_policy, &as_user).unwrap().verdict.is_denied());
    }

    #[test]
    fn principal_forms() {
        let doc = |principal: Value| json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}});
        let team = "arn:aws:iam::111111111111:role/acme-core-gbl-identity-devops";
        let check = |principal: Value| trust(&doc(principal), &request(team)).unwrap();
        // An explicit role ARN: allowed, and explicit.
        let explicit = check(json!({"AWS": team}));
        assert!(matches!(explicit.verdict, Verdict::Allowed(_)) && explicit.explicit);
        // The account id, the root ARN: allowed, not explicit (the caller's policies decide).
        for p in [
            json!({"AWS": IDENTITY}),
            json!({"AWS": format!("arn:aws:iam::{IDENTITY}:root")}),
        ] {
            let v = check(p.clone());
            assert!(
                matches!(v.verdict, Verdict::Allowed(_)) && !v.explicit,
                "{p}"
            );
        }
        // `*` names everyone, the caller too.
        for p in [json!("*"), json!({"AWS": "*"})] {
            let v = check(p.clone());
            assert!(
                matches!(v.verdict, Verdict::Allowed(_)) && v.explicit,
                "{p}"
            );
        }
        // A session of the role.
        let session = check(
            json!({"AWS": "arn:aws:sts::111111111111:assumed-role/acme-core-gbl-identity-devops/alice"}),
        );
        assert!(matches!(session.verdict, Verdict::Allowed(_)));
        // A service, a SAML provider, another role: not the caller.
        for p in [
            json!({"Service": "ec2.amazonaws.com"}),
            json!({"Federated": "arn:aws:iam::111111111111:saml-provider/x"}),
            json!({"AWS": "arn:aws:iam::111111111111:role/other"}),
        ] {
            assert!(check(p.clone()).verdict.is_denied(), "{p}");
        }
        // NotPrincipal: everyone but the named.
        let not = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:role/other"}}});
        assert!(matches!(
            trust(&not, &request(team)).unwrap().verdict,
            Verdict::Allowed(_)
        ));
        // Another action only.
        let saml = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML", "Principal": {"AWS": team}}});
        assert!(trust(&saml, &request(team)).unwrap().verdict.is_denied());
        assert!(trust(&json!({"Statement": {"Effect": "Maybe"}}), &request(team)).is_err());
    }

    #[test]
    fn conditions_the_snapshot_cannot_decide_make_it_conditional() {
        let team = "arn:aws:iam::111111111111:role/acme-core-gbl-identity-devops";
        let with = |condition: Value| {
            let doc = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": IDENTITY}, "Condition": condition}});
            trust(&doc, &request(team)).unwrap().verdict
        };
        assert!(
            matches!(with(json!({"StringEquals": {"aws:PrincipalTag/team": "devops"}})), Verdict::Conditional(w) if w.contains("aws:PrincipalTag/team"))
        );
        assert!(matches!(
            with(json!({"StringEquals": {"sts:ExternalId": "x"}})),
            Verdict::Conditional(_)
        ));
        assert!(matches!(
            with(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
            Verdict::Conditional(_)
        ));
        // Decided ones: organization, account, type; a false one decides even beside an unknown.
        assert!(matches!(
            with(json!({"StringEquals": {"aws:PrincipalOrgID": "o-acme"}})),
            Verdict::Allowed(_)
        ));
        assert!(with(json!({"StringEquals": {"aws:PrincipalOrgID": "o-other"}})).is_denied());
        assert!(matches!(
            with(json!({"StringEquals": {"aws:PrincipalAccount": IDENTITY}})),
            Verdict::Allowed(_)
        ));
        assert!(
            with(json!({"StringEquals": {"aws:PrincipalType": "User", "aws:PrincipalTag/x": "y"}}))
                .is_denied()
        );
        assert!(matches!(
            with(json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/other*"}})),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            with(json!({"StringLikeIfExists": {"aws:PrincipalServiceName": "x"}})),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            with(json!({"Null": {"aws:PrincipalServiceName": "true"}})),
            Verdict::Allowed(_)
        ));
        // A conditional deny makes an allow conditional.
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": team}},
            {"Effect": "Deny", "Action": "sts:*", "Principal": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        ]});
        assert!(
            matches!(trust(&doc, &request(team)).unwrap().verdict, Verdict::Conditional(w) if w.contains("unless"))
        );
    }

    #[test]
    fn identity_policies_decide_on_the_role_named() {
        let catalog = Catalog::get();
        let policy = |document: Value, role: Role| Policy {
            label: "p".into(),
            role,
            statements: super::super::evaluate::statements(&document, catalog).unwrap(),
        };
        let assume = |resource: &str| json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}});
        let decide = |policies: Vec<Policy>| {
            identity(
                &Analysis::new(policies, vec![], vec![]),
                &request(SET_ROLE),
                true,
            )
        };
        assert!(matches!(
            decide(vec![policy(assume("*"), Role::Grants)]),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            decide(vec![policy(
                assume("arn:aws:iam::*:role/acme-*"),
                Role::Grants
            )]),
            Verdict::Allowed(_)
        ));
        assert!(
            decide(vec![policy(
                assume("arn:aws:iam::*:role/other"),
                Role::Grants
            )])
            .is_denied()
        );
        assert!(decide(vec![]).is_denied());
        // A boundary or an SCP that does not allow it.
        let s3 = json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
        assert!(
            decide(vec![
                policy(assume("*"), Role::Grants),
                policy(s3.clone(), Role::Boundary)
            ])
            .is_denied()
        );
        let denied = decide(vec![
            policy(assume("*"), Role::Grants),
            policy(s3, Role::Ceiling(0)),
        ]);
        assert!(
            matches!(&denied, Verdict::Denied(w) if w.contains("none of p allows it")),
            "{denied:?}"
        );
        // A condition on the resource's account is decided; a tag is not.
        let in_account = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceAccount": ROOT}}}});
        assert!(matches!(
            decide(vec![policy(in_account, Role::Grants)]),
            Verdict::Allowed(_)
        ));
        let tagged = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "devops"}}}});
        assert!(matches!(
            decide(vec![policy(tagged, Role::Grants)]),
            Verdict::Conditional(_)
        ));
        // With a trust that names the caller in its account, only explicit denies count.
        let analysis = Analysis::new(vec![], vec![], vec![]);
        assert!(matches!(
            identity(&analysis, &request(SET_ROLE), false),
            Verdict::Allowed(_)
        ));
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "sts:*", "Resource": "*"}});
        let analysis = Analysis::new(vec![policy(deny, Role::Grants)], vec![], vec![]);
        assert!(identity(&analysis, &request(SET_ROLE), false).is_denied());
        assert!(arn_like(
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_X_*",
            "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_X_ab"
        ));
        assert!(!arn_like(
            "arn:aws:iam::*:role/*",
            "arn:aws:sts::1:assumed-role/x/y"
        ));
    }
}
