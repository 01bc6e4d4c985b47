//! The one finding type every rule produces and every report consumes.

use crate::vocabulary::ResourceKind;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// Text many findings share (a rule's id and title): one copy, counted.
pub type Text = Arc<str>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: ResourceKind,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRef {
    /// GROUP or USER.
    pub principal_type: String,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSetRef {
    pub arn: String,
    pub name: String,
}

/// A file and line a finding is anchored to (the rule file, or a stack file's declaration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub path: String,
    pub line: u32,
}

/// A finding's account, principal, permission set and location are those of many others (every
/// finding on an account names it): shared, not copied, which keeps 200,000 findings small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: Text,
    pub severity: Severity,
    pub title: Text,
    pub message: String,
    /// The message in brief, for tables and Markdown, when it differs: lists cut to their
    /// first item, the whole to 300 characters.
    pub brief: Option<String>,
    pub resource: Resource,
    pub account: Option<Arc<AccountRef>>,
    pub principal: Option<Arc<PrincipalRef>>,
    pub permission_set: Option<Arc<PermissionSetRef>>,
    /// For access findings: the group (or direct assignment) the access came through.
    pub via: Option<Arc<PrincipalRef>>,
    /// Stable across runs for the same rule and resource.
    pub fingerprint: Fingerprint,
    pub location: Arc<SourceLocation>,
    /// The reason, when a suppression entry matched. Suppressed findings are kept and counted.
    pub suppressed: Option<String>,
    /// The `--baseline` report holds it: known, kept and counted, not failing the run.
    pub in_baseline: bool,
}

impl Finding {
    /// The message as tables and Markdown show it.
    pub fn brief_message(&self) -> &str {
        self.brief.as_deref().unwrap_or(&self.message)
    }

    /// Whether it can fail the run: neither suppressed nor in the baseline.
    pub fn is_open(&self) -> bool {
        self.suppressed.is_none() && !self.in_baseline
    }
}

/// A finding's fingerprint: 32 hexadecimal digits, held in place.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hexadecimal digits")
    }
}

impl std::ops::Deref for Fingerprint {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Fingerprint {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Fingerprint {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Fingerprint {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

/// A short, stable identity of (rule, resource).
pub fn fingerprint(rule_id: &str, resource: &Resource) -> Fingerprint {
    let mut hasher = Sha256::new();
    for part in [rule_id, resource.kind.as_str(), &resource.id] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 32];
    for (i, b) in digest[..16].iter().enumerate() {
        text[2 * i] = HEX[usize::from(b >> 4)];
        text[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    Fingerprint(text)
}

/// Most severe first, then by rule and resource: the one order every report uses. A stable
/// sort, of positions: the findings themselves are moved once, in place, so sorting 200,000
/// of them needs no second copy of half of them.
pub fn sort(findings: &mut [Finding]) {
    let mut order: Vec<u32> = (0..findings.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&findings[a as usize], &findings[b as usize]);
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource.id.cmp(&b.resource.id))
            .then_with(|| a.message.cmp(&b.message))
    });
    // Position `k` receives the finding at `order[k]`: each cycle of the permutation is
    // followed once by swaps, and a position done is marked by pointing at itself.
    for start in 0..order.len() {
        let mut at = start;
        while order[at] as usize != at {
            let next = order[at] as usize;
            order[at] = at as u32;
            if next == start {
                break;
            }
            findings.swap(at, next);
            at = next;
        }
    }
}

/// A finding for tests: a group resource, located at `p:1`.
#[cfg(test)]
pub(crate) fn sample(
    severity: Severity,
    rule: &str,
    id: &str,
    message: &str,
    name: &str,
) -> Finding {
    let resource = Resource {
        kind: ResourceKind::Group,
        id: id.into(),
        name: name.into(),
    };
    Finding {
        rule_id: rule.into(),
        severity,
        title: "t".into(),
        message: message.into(),
        brief: None,
        fingerprint: fingerprint(rule, &resource),
        resource,
        account: None,
        principal: None,
        permission_set: None,
        via: None,
        location: SourceLocation {
            path: "p".into(),
            line: 1,
        }
        .into(),
        suppressed: None,
        in_baseline: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sort of positions gives what a stable sort of the findings gives: ties (same
    /// severity, rule, resource and message) keep their order, told apart here by the name.
    #[test]
    fn sort_is_the_stable_order() {
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for len in [0, 1, 2, 3, 17, 500] {
            let findings: Vec<Finding> = (0..len)
                .map(|i| {
                    let severity = Severity::ALL[next(5) as usize];
                    let rule = format!("r{}", next(3));
                    let id = format!("g{}", next(4));
                    let message = format!("m{}", next(2));
                    sample(severity, &rule, &id, &message, &format!("n{i}"))
                })
                .collect();
            let mut expected = findings.clone();
            expected.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| a.rule_id.cmp(&b.rule_id))
                    .then_with(|| a.resource.id.cmp(&b.resource.id))
                    .then_with(|| a.message.cmp(&b.message))
            });
            let mut sorted = findings;
            sort(&mut sorted);
            assert_eq!(sorted, expected, "{len} findings");
        }
    }

    #[test]
    fn fingerprint_is_stable_and_separates_parts() {
        let resource = Resource {
            kind: ResourceKind::Group,
            id: "g-1".into(),
            name: "DevOps".into(),
        };
        let a = fingerprint("rule-a", &resource);
        assert_eq!(a, fingerprint("rule-a", &resource));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("rule-b", &resource));
        let shifted = Resource {
            kind: ResourceKind::Group,
            id: "g-2".into(),
            name: "DevOps".into(),
        };
        assert_ne!(a, fingerprint("rule-a", &shifted));
        let other_kind = Resource {
            kind: ResourceKind::User,
            ..resource.clone()
        };
        assert_ne!(a, fingerprint("rule-a", &other_kind));
    }
}
