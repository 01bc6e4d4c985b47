//! The one finding type every rule produces and every report consumes.

use crate::vocabulary::ResourceKind;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    /// The message in brief, for tables and Markdown, when it differs: lists cut to their
    /// first item, the whole to 300 characters.
    pub brief: Option<String>,
    pub resource: Resource,
    pub account: Option<AccountRef>,
    pub principal: Option<PrincipalRef>,
    pub permission_set: Option<PermissionSetRef>,
    /// For access findings: the group (or direct assignment) the access came through.
    pub via: Option<PrincipalRef>,
    /// Stable across runs for the same rule and resource.
    pub fingerprint: String,
    pub location: SourceLocation,
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

/// A short, stable identity of (rule, resource).
pub fn fingerprint(rule_id: &str, resource: &Resource) -> String {
    let mut hasher = Sha256::new();
    for part in [rule_id, resource.kind.as_str(), &resource.id] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(32);
    for b in &digest[..16] {
        text.push(HEX[usize::from(b >> 4)] as char);
        text.push(HEX[usize::from(b & 15)] as char);
    }
    text
}

/// Most severe first, then by rule and resource: the one order every report uses.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource.id.cmp(&b.resource.id))
            .then_with(|| a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

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
