//! A baseline: the JSON report of an earlier `check` run. Findings whose fingerprint it holds
//! are known ("unchanged") and do not fail the run; new ones do; the ones it holds that are no
//! longer found are resolved. A team can adopt the gate on an organization with history
//! without first fixing every old finding (suppressions accept findings one by one, with a
//! reason; a baseline accepts a whole earlier state).

use crate::findings::Finding;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One finding of the earlier report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Known {
    pub rule_id: String,
    pub message: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// By fingerprint.
    pub findings: BTreeMap<String, Known>,
}

/// New, unchanged and resolved findings against a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Findings the baseline does not hold (suppressed ones left out).
    pub new: usize,
    pub unchanged: usize,
    /// Findings of the baseline no longer found, sorted by rule and fingerprint.
    pub resolved: Vec<Known>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path} is not a JSON report of `ssoaudit check` (--format json, version 1): {reason}")]
    NotAReport { path: String, reason: String },
}

#[derive(Deserialize)]
struct Report {
    version: u32,
    tool: Tool,
    findings: Vec<Known>,
}

#[derive(Deserialize)]
struct Tool {
    name: String,
}

pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let shown = path.display().to_string();
    let text = std::fs::read(path).map_err(|error| BaselineError::Read {
        path: shown.clone(),
        error,
    })?;
    let not_a_report = |reason: String| BaselineError::NotAReport {
        path: shown.clone(),
        reason,
    };
    let report: Report = serde_json::from_slice(&text).map_err(|e| not_a_report(e.to_string()))?;
    if report.tool.name != "ssoaudit" {
        return Err(not_a_report(format!("written by {}", report.tool.name)));
    }
    if report.version != 1 {
        return Err(not_a_report(format!("version {}", report.version)));
    }
    Ok(Baseline {
        findings: report
            .findings
            .into_iter()
            .map(|f| (f.fingerprint.clone(), f))
            .collect(),
    })
}

/// Marks the findings the baseline holds and counts new, unchanged and resolved ones.
pub fn apply(findings: &mut [Finding], baseline: &Baseline) -> Comparison {
    let mut comparison = Comparison::default();
    let mut seen = std::collections::BTreeSet::new();
    for finding in findings.iter_mut() {
        if baseline.findings.contains_key(finding.fingerprint.as_str()) {
            finding.in_baseline = true;
            comparison.unchanged += 1;
            seen.insert(finding.fingerprint.as_str());
        } else if finding.suppressed.is_none() {
            comparison.new += 1;
        }
    }
    comparison.resolved = baseline
        .findings
        .values()
        .filter(|k| !seen.contains(k.fingerprint.as_str()))
        .cloned()
        .collect();
    comparison
        .resolved
        .sort_by(|a, b| (&a.rule_id, &a.fingerprint).cmp(&(&b.rule_id, &b.fingerprint)));
    comparison
}
