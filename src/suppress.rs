//! Suppressions: accepted findings, listed in a YAML file with a reason. Suppressed findings
//! stay in every report, marked, and do not count towards the exit code.

use crate::findings::Finding;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    suppressions: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule: String,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    reason: String,
    /// A date (YYYY-MM-DD) after which the entry no longer applies.
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub rule: String,
    pub resource: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: String,
    pub expires: Option<chrono::NaiveDate>,
    pub line: u64,
}

pub fn load(path: &Path) -> Result<Vec<Suppression>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    parse(&text, &shown.to_string())
}

/// Parses a suppression file's text; `shown` names it in errors.
pub fn parse(text: &str, shown: &str) -> Result<Vec<Suppression>, String> {
    let raw: RawFile =
        serde_saphyr::from_str(text).map_err(|e| crate::yaml_error::located(shown, &e))?;
    raw.suppressions
        .into_iter()
        .map(|entry| {
            let line = entry.referenced.line();
            let value = entry.value;
            if value.reason.trim().is_empty() {
                return Err(format!("{shown}:{line}: a suppression needs a `reason`"));
            }
            if value.resource.is_none() && value.fingerprint.is_none() {
                return Err(format!(
                    "{shown}:{line}: a suppression names the `resource` id or the `fingerprint` of the finding it accepts"
                ));
            }
            let expires = match &value.expires {
                None => None,
                Some(text) => Some(chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    format!("{shown}:{line}: `expires` must be a date like 2027-01-31, not `{text}`")
                })?),
            };
            Ok(Suppression {
                rule: value.rule,
                resource: value.resource,
                fingerprint: value.fingerprint,
                reason: value.reason.trim().to_string(),
                expires,
                line,
            })
        })
        .collect()
}

/// Marks the findings an unexpired entry matches.
pub fn apply(findings: &mut [Finding], suppressions: &[Suppression], today: chrono::NaiveDate) {
    for finding in findings.iter_mut() {
        let matched = suppressions.iter().find(|s| {
            *s.rule == *finding.rule_id
                && s.expires.is_none_or(|date| today <= date)
                && s.resource
                    .as_ref()
                    .is_none_or(|r| *r == finding.resource.id)
                && s.fingerprint
                    .as_ref()
                    .is_none_or(|f| finding.fingerprint == *f)
        });
        if let Some(suppression) = matched {
            finding.suppressed = Some(suppression.reason.clone());
        }
    }
}
