//! Role chains: which IAM roles a session can go on to assume, hop by hop.
//!
//! Nodes are the roles the snapshot holds with their trust policies (member accounts read
//! through the member role, the management account's roles), and the sessions routes start
//! from (a permission set's `AWSReservedSSO_*` role in an account, an entitlement's role).
//! An edge A → B exists when both sides allow it: A's identity policies, boundary and the SCPs
//! of A's account allow `sts:AssumeRole` on B, B's trust policy allows A (explicit denies
//! honoured), and the RCPs over B's account let it through. An edge whose conditions the
//! snapshot cannot decide is *conditional*: kept, and marked, never taken as certain.
//!
//! From each start, roles are reached by their shortest certain path first, then (for roles
//! reached no other way) by their shortest path through conditional edges; at most
//! [`MAX_HOPS`] hops, cycles cut by visiting each role once.

use crate::iam::StatementCache;
use crate::iam::evaluate::Analysis;
use crate::iam::request::{self, Request, Verdict};
use crate::snapshot::{MemberAccount, Role, Snapshot};
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;

/// How far chains are followed.
pub const MAX_HOPS: usize = 5;

/// The action chains are made of.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// One role of the graph.
pub struct GraphRole<'s> {
    pub arn: &'s str,
    pub account: &'s str,
    trust: Option<&'s serde_json::Value>,
    /// The role as read or declared.
    pub role: &'s Role,
}

/// One hop: from a session (an ARN) to a role, and what allows it on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The role (or reserved role) the session is of.
    pub from: String,
    /// The role assumed.
    pub to: String,
    /// The statement of the caller's policies that allows it (or that the trust names the
    /// caller itself).
    pub identity: String,
    /// The statement of the target's trust policy that allows it.
    pub trust: String,
    /// The condition the snapshot cannot decide, for a conditional hop.
    pub condition: Option<String>,
}

/// A role reached from a start, and the path to it.
#[derive(Debug, Clone)]
pub struct Reach {
    /// Position in [`Graph::roles`].
    pub role: usize,
    pub hops: Vec<Hop>,
}

impl Reach {
    pub fn conditional(&self) -> bool {
        self.hops.iter().any(|h| h.condition.is_some())
    }
}

#[derive(Clone)]
struct Edge {
    to: usize,
    identity: String,
    trust: String,
    condition: Option<String>,
}

/// The roles that can be assumed, and the edges between them, computed as they are needed.
pub struct Graph<'s> {
    snapshot: &'s Snapshot,
    pub roles: Vec<GraphRole<'s>>,
    /// Roles a stack declares (not read), by ARN.
    declared: HashMap<&'s str, &'s Role>,
    by_arn: HashMap<&'s str, usize>,
    /// Roles whose trust names an account (its root, a principal of it) or anyone (`*`).
    by_trusted_account: HashMap<&'s str, Vec<usize>>,
    trusts_anyone: Vec<usize>,
    analyses: Vec<Option<Analysis>>,
    out: Vec<Option<Vec<Edge>>>,
    cache: StatementCache,
}

/// Whether an IAM role is made by AWS for a service or for Identity Center: no one else can
/// assume it.
fn assumable(path: &str) -> bool {
    !path.starts_with("/aws-service-role/") && !path.starts_with("/aws-reserved/")
}

/// The accounts an `AWS` principal string names (`*` is None).
fn principal_account(principal: &str) -> Option<&str> {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Some(principal);
    }
    principal.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Whether a session of `caller` (a role ARN) whose policies are `analysis` may assume the
/// role `target` whose trust policy is `trust`: None when either side (the caller's identity
/// policies after its boundary and SCPs, the trust policy, the RCPs over the target's account)
/// denies it, else what the identity side, the trust and the RCPs say (each allowed or
/// conditional). The caller's policies need not allow it when the trust names the caller's
/// role itself in the same account.
pub fn assume(
    snapshot: &Snapshot,
    caller: &str,
    analysis: &Analysis,
    target: &str,
    trust: &serde_json::Value,
) -> Option<(Verdict, Verdict, Option<Verdict>)> {
    let account = crate::iam::arn_account(caller);
    let target_account = crate::iam::arn_account(target);
    let request = Request {
        action: ASSUME_ROLE,
        resource: target,
        resource_account: target_account,
        principal_arn: caller,
        principal_account: account,
        principal_type: "AssumedRole",
        org_id: Some(snapshot.organization.id.as_str()).filter(|id| !id.is_empty()),
    };
    let (trust_verdict, explicit) = match request::trust(trust, &request) {
        Ok(t) => (t.verdict, t.explicit),
        Err(error) => (
            Verdict::Conditional(format!("its trust policy cannot be read: {error}")),
            false,
        ),
    };
    if trust_verdict.is_denied() {
        return None;
    }
    let grants_needed = !(explicit && target_account == account);
    let identity = request::identity(analysis, &request, grants_needed);
    if identity.is_denied() {
        return None;
    }
    let control = request::resource_control(snapshot, &request);
    if control.as_ref().is_some_and(Verdict::is_denied) {
        return None;
    }
    Some((identity, trust_verdict, control))
}

impl<'s> Graph<'s> {
    /// The graph of a snapshot's roles; None when it holds no role with a trust policy (no
    /// member account read, no role of the management account).
    pub fn new(snapshot: &'s Snapshot, declared: &'s [MemberAccount]) -> Option<Graph<'s>> {
        let mut roles: Vec<GraphRole<'s>> = Vec::new();
        let mut by_arn: HashMap<&'s str, usize> = HashMap::default();
        let mut add = |role: &'s Role| {
            let arn = role.arn.as_str();
            if !by_arn.contains_key(arn) {
                by_arn.insert(arn, roles.len());
                roles.push(GraphRole {
                    arn,
                    account: crate::iam::arn_account(arn),
                    trust: role.trust_policy.as_ref(),
                    role,
                });
            }
        };
        let mut declared_roles: HashMap<&'s str, &'s Role> = HashMap::default();
        for member in snapshot.member_accounts.iter().flatten().chain(declared) {
            for role in member.roles.iter().filter(|r| assumable(&r.path)) {
                add(&role.role);
            }
        }
        for role in declared.iter().flat_map(|m| &m.roles) {
            declared_roles.insert(&role.role.arn, &role.role);
        }
        for role in snapshot.account_access.iter().flat_map(|a| &a.roles) {
            if assumable(&role_path(&role.arn)) {
                add(role);
            }
        }
        if roles.iter().all(|r| r.trust.is_none()) {
            return None;
        }
        let mut by_trusted_account: HashMap<&'s str, Vec<usize>> = HashMap::default();
        let mut trusts_anyone = Vec::new();
        for (i, role) in roles.iter().enumerate() {
            let Some(trust) = role.trust else { continue };
            let mut accounts: Vec<&'s str> = Vec::new();
            let mut anyone = false;
            for principal in trusted_principals(trust) {
                match principal {
                    "*" => anyone = true,
                    p => match principal_account(p) {
                        Some(account) => accounts.push(account),
                        None => anyone = true,
                    },
                }
            }
            if anyone {
                trusts_anyone.push(i);
                continue;
            }
            accounts.sort_unstable();
            accounts.dedup();
            for account in accounts {
                by_trusted_account.entry(account).or_default().push(i);
            }
        }
        let n = roles.len();
        Some(Graph {
            snapshot,
            roles,
            by_arn,
            by_trusted_account,
            trusts_anyone,
            declared: declared_roles,
            analyses: (0..n).map(|_| None).collect(),
            out: (0..n).map(|_| None).collect(),
            cache: StatementCache::default(),
        })
    }

    /// The position of a role by ARN.
    pub fn position(&self, arn: &str) -> Option<usize> {
        self.by_arn.get(arn).copied()
    }

    /// What a role of the graph can do (its policies in its account, under its SCPs).
    pub fn analysis(&mut self, role: usize) -> &Analysis {
        if self.analyses[role].is_none() {
            let arn = self.roles[role].arn;
            let analysis = match self.declared.get(arn) {
                Some(declared) => crate::iam::analyse_role_as(
                    self.snapshot,
                    crate::iam::arn_account(arn),
                    declared,
                    false,
                    &mut self.cache,
                ),
                None => crate::iam::analyse_role(self.snapshot, arn, &mut self.cache),
            };
            self.analyses[role] = Some(analysis);
        }
        self.analyses[role].as_ref().expect("analysed")
    }

    /// Takes the analysis of a role (analysing it if needed), leaving it to be redone.
    pub fn take_analysis(&mut self, role: usize) -> Analysis {
        self.analysis(role);
        self.analyses[role].take().expect("analysed")
    }

    /// The edges from a session of `caller` (ARN) whose policies are `analysis`.
    fn edges_from(&self, caller: &str, analysis: &Analysis) -> Vec<Edge> {
        let account = crate::iam::arn_account(caller);
        let candidates = self
            .by_trusted_account
            .get(account)
            .into_iter()
            .flatten()
            .chain(&self.trusts_anyone);
        let mut edges = Vec::new();
        for &to in candidates {
            let role = &self.roles[to];
            if role.arn == caller {
                continue;
            }
            let Some(trust) = role.trust else { continue };
            let Some((identity, trust_verdict, control)) =
                assume(self.snapshot, caller, analysis, role.arn, trust)
            else {
                continue;
            };
            let mut conditions = Vec::new();
            let mut label = |verdict: &Verdict, what: &str| match verdict {
                Verdict::Allowed(by) if by.is_empty() => what.to_string(),
                Verdict::Allowed(by) => by.clone(),
                Verdict::Conditional(why) => {
                    conditions.push(why.clone());
                    why.clone()
                }
                Verdict::Denied(why) => why.clone(),
            };
            let identity = label(&identity, "its trust names the role itself");
            let trust = label(&trust_verdict, "");
            if let Some(control) = &control {
                label(control, "");
            }
            edges.push(Edge {
                to,
                identity,
                trust,
                condition: (!conditions.is_empty()).then(|| conditions.join("; ")),
            });
        }
        edges
    }

    fn out(&mut self, role: usize) -> Vec<Edge> {
        if self.out[role].is_none() {
            let arn = self.roles[role].arn;
            self.analysis(role);
            let edges = self.edges_from(arn, self.analyses[role].as_ref().expect("analysed"));
            self.out[role] = Some(edges);
        }
        self.out[role].clone().expect("computed")
    }

    /// Every role reachable from a session of `caller` with `analysis`, each by its shortest
    /// certain path, else its shortest conditional one; sorted by role position.
    pub fn reach(&mut self, caller: &str, analysis: &Analysis) -> Vec<Reach> {
        let first = self.edges_from(caller, analysis);
        let mut found: HashMap<usize, Vec<Hop>> = HashMap::default();
        for certain_only in [true, false] {
            // (role, path to it)
            let mut queue: VecDeque<(usize, Vec<Hop>)> = VecDeque::new();
            let mut seen: rustc_hash::FxHashSet<usize> = Default::default();
            if let Some(start) = self.position(caller) {
                seen.insert(start);
            }
            let hop = |from: &str, edge: &Edge, to: &str| Hop {
                from: from.to_string(),
                to: to.to_string(),
                identity: edge.identity.clone(),
                trust: edge.trust.clone(),
                condition: edge.condition.clone(),
            };
            for edge in &first {
                if (certain_only && edge.condition.is_some()) || !seen.insert(edge.to) {
                    continue;
                }
                queue.push_back((edge.to, vec![hop(caller, edge, self.roles[edge.to].arn)]));
            }
            while let Some((role, path)) = queue.pop_front() {
                if path.len() < MAX_HOPS {
                    for edge in self.out(role) {
                        if (certain_only && edge.condition.is_some()) || !seen.insert(edge.to) {
                            continue;
                        }
                        let mut next = path.clone();
                        next.push(hop(self.roles[role].arn, &edge, self.roles[edge.to].arn));
                        queue.push_back((edge.to, next));
                    }
                }
                found.entry(role).or_insert(path);
            }
        }
        let mut reached: Vec<Reach> = found
            .into_iter()
            .map(|(role, hops)| Reach { role, hops })
            .collect();
        reached.sort_by_key(|r| r.role);
        reached
    }
}

/// The path of a role ARN: `/aws-reserved/sso.amazonaws.com/` of
/// `arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_1`.
fn role_path(arn: &str) -> String {
    let resource = crate::iam::role_label(arn);
    let inner = resource.strip_prefix("role").unwrap_or(resource);
    match inner.rfind('/') {
        Some(end) => inner[..=end].to_string(),
        None => "/".into(),
    }
}

/// The `AWS` principals of a trust policy's Allow statements (`NotPrincipal` counts as `*`).
fn trusted_principals(trust: &serde_json::Value) -> Vec<&str> {
    let statements: Vec<&serde_json::Value> = match trust.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(object) => vec![object],
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for statement in statements {
        if statement.get("Effect").and_then(|e| e.as_str()) != Some("Allow") {
            continue;
        }
        if statement.get("NotPrincipal").is_some() {
            out.push("*");
            continue;
        }
        match statement.get("Principal") {
            Some(serde_json::Value::String(s)) => out.push(s.as_str()),
            Some(serde_json::Value::Object(kinds)) => match kinds.get("AWS") {
                Some(serde_json::Value::String(s)) => out.push(s.as_str()),
                Some(serde_json::Value::Array(items)) => {
                    out.extend(items.iter().filter_map(|v| v.as_str()))
                }
                _ => {}
            },
            _ => {}
        }
    }
    out
}

/// How a chain reads in findings and reports: `role/A (dev) → role/B (dev) → role/C (root)`,
/// each role with the name of its account (`account` names an account id).
pub fn path_text(start: &str, hops: &[Hop], account: impl Fn(&str) -> String) -> String {
    let label = |arn: &str| {
        let role = crate::iam::role_label(arn);
        match principal_account(arn) {
            Some(id) => format!("{role} ({})", account(id)),
            None => role.to_string(),
        }
    };
    let mut text = label(start);
    for hop in hops {
        text.push_str(" → ");
        text.push_str(&label(&hop.to));
    }
    text
}

/// Each hop with what allows it: `role/A → role/B (identity: …; trust: …)`.
pub fn explanation(hops: &[Hop]) -> String {
    hops.iter()
        .map(|hop| {
            let mut text = format!(
                "{} → {} (caller: {}; trust: {}",
                crate::iam::role_label(&hop.from),
                crate::iam::role_label(&hop.to),
                hop.identity,
                hop.trust
            );
            if let Some(condition) = &hop.condition {
                text.push_str("; conditional: ");
                text.push_str(condition);
            }
            text.push(')');
            text
        })
        .collect::<Vec<_>>()
        .join("; then ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{MemberAccount, MemberRole, Role, RoleInlinePolicy};
    use serde_json::json;

    fn role(
        account: &str,
        name: &str,
        trust: serde_json::Value,
        assume: Option<&str>,
    ) -> MemberRole {
        MemberRole {
            role: Role {
                arn: format!("arn:aws:iam::{account}:role/{name}"),
                name: name.into(),
                trust_policy: Some(trust),
                managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                inline_policies: assume
                    .map(|resource| RoleInlinePolicy {
                        name: "assume".into(),
                        document: json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}}),
                    })
                    .into_iter()
                    .collect(),
                permissions_boundary: None,
            },
            path: "/".into(),
            last_used: None,
        }
    }

    fn trusting(principal: &str, condition: Option<serde_json::Value>) -> serde_json::Value {
        let mut statement =
            json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principal}});
        if let Some(c) = condition {
            statement["Condition"] = c;
        }
        json!({"Statement": [statement]})
    }

    /// a (start) → b → c → b (a cycle); a → d only under a tag condition; e trusts the whole
    /// account of a but a's policy does not name it; f denies a explicitly.
    #[test]
    fn chains_follow_edges_both_sides_allow_and_cut_cycles() {
        let (x, y) = ("111111111111", "222222222222");
        let a = format!("arn:aws:iam::{x}:role/a");
        let b = format!("arn:aws:iam::{y}:role/b");
        let c = format!("arn:aws:iam::{x}:role/c");
        let mut snapshot = Snapshot::default();
        snapshot.metadata.management_account_id = "999999999999".into();
        let deny_a = json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": format!("arn:aws:iam::{x}:root")}},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}, "Condition": {"ArnLike": {"aws:PrincipalArn": a.clone()}}}
        ]});
        snapshot.member_accounts = Some(vec![
            MemberAccount {
                account_id: x.into(),
                roles: vec![
                    role(
                        x,
                        "a",
                        trusting("arn:aws:iam::999999999999:root", None),
                        Some("arn:aws:iam::*:role/*"),
                    ),
                    role(x, "c", trusting(&b, None), Some(&b)),
                ],
                ..Default::default()
            },
            MemberAccount {
                account_id: y.into(),
                roles: vec![
                    role(
                        y,
                        "b",
                        trusting(
                            &format!("arn:aws:iam::{x}:root"),
                            Some(json!({"ArnLike": {"aws:PrincipalArn": [a.clone(), c.clone()]}})),
                        ),
                        Some(&c),
                    ),
                    role(
                        y,
                        "d",
                        trusting(
                            x,
                            Some(json!({"StringEquals": {"aws:PrincipalTag/team": "ops"}})),
                        ),
                        None,
                    ),
                    role(y, "f", deny_a, None),
                ],
                ..Default::default()
            },
        ]);
        let mut graph = Graph::new(&snapshot, &[]).expect("roles with trust");
        let start = graph.position(&a).unwrap();
        let analysis = crate::iam::analyse_role(&snapshot, &a, &mut StatementCache::default());
        let reached = graph.reach(&a, &analysis);
        let mut names: Vec<(String, usize, bool)> = reached
            .iter()
            .map(|r| {
                (
                    crate::iam::role_name(graph.roles[r.role].arn).to_string(),
                    r.hops.len(),
                    r.conditional(),
                )
            })
            .collect();
        names.sort();
        // b in one hop, c in two (b may assume c: c trusts b by ARN and b's policy names c);
        // the cycle back to b is cut; d conditionally; f is denied by name; a is the start.
        assert_eq!(
            names,
            [
                ("b".to_string(), 1, false),
                ("c".to_string(), 2, false),
                ("d".to_string(), 1, true)
            ]
        );
        assert!(!reached.iter().any(|r| r.role == start));
        let d = reached.iter().find(|r| r.conditional()).unwrap();
        assert!(
            d.hops[0]
                .condition
                .as_deref()
                .unwrap()
                .contains("aws:PrincipalTag/team")
        );
        let to_c = reached
            .iter()
            .find(|r| graph.roles[r.role].arn == c)
            .unwrap();
        assert_eq!(
            path_text(&a, &to_c.hops, |id| format!("acct-{}", &id[..1])),
            "role/a (acct-1) → role/b (acct-2) → role/c (acct-1)"
        );
        // The same account root trusted without a condition: the caller's own policy decides.
        let narrow = crate::iam::analyse_role(&snapshot, &c, &mut StatementCache::default());
        let from_c = graph.reach(&c, &narrow);
        let names: Vec<&str> = from_c
            .iter()
            .map(|r| crate::iam::role_name(graph.roles[r.role].arn))
            .collect();
        assert_eq!(
            names,
            ["b"],
            "c's policy names b only, though d and f trust its account"
        );
    }

    #[test]
    fn role_paths_and_principals() {
        assert_eq!(
            role_path("arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_1"),
            "/aws-reserved/sso.amazonaws.com/"
        );
        assert_eq!(role_path("arn:aws:iam::1:role/admin"), "/");
        assert_eq!(
            principal_account("arn:aws:iam::123456789012:root"),
            Some("123456789012")
        );
        assert_eq!(principal_account("123456789012"), Some("123456789012"));
        assert_eq!(principal_account("AROAXXXXXXXX"), None);
    }
}
