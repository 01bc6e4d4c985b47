//! Reports: each format is a pure function of the evaluation and the rules, written to a
//! writer. Nothing else in the program prints findings.

pub mod access;
pub mod diff;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod permission_set;
pub mod rules;
pub mod sarif;
pub mod table;

use crate::engine::Evaluation;
use crate::rules::{Rule, Severity};
use std::collections::BTreeMap;

/// Everything a report shows.
pub struct ReportInput<'a> {
    pub evaluation: &'a Evaluation,
    pub rules: &'a [Rule],
    /// The threshold the exit code uses, shown in summaries.
    pub fail_on: Option<Severity>,
    pub snapshot_source: &'a str,
}

/// Each collection gap once, as (area, what was not read, error), with the rules it affects.
pub fn distinct_gaps(evaluation: &Evaluation) -> BTreeMap<(String, String, String), Vec<&str>> {
    let mut gaps: BTreeMap<(String, String, String), Vec<&str>> = BTreeMap::new();
    for rule in &evaluation.incomplete {
        for gap in &rule.gaps {
            let what = [gap.operation.as_str(), gap.resource.as_str()]
                .join(" ")
                .trim()
                .to_string();
            gaps.entry((gap.area.to_string(), what, gap.error.clone()))
                .or_default()
                .push(&rule.rule_id);
        }
    }
    gaps
}

/// Counts of unsuppressed findings per severity, most severe first.
pub fn severity_counts(evaluation: &Evaluation) -> Vec<(Severity, usize)> {
    let mut counts: Vec<(Severity, usize)> = Severity::ALL
        .iter()
        .rev()
        .map(|&s| {
            let n = evaluation
                .findings
                .iter()
                .filter(|f| f.severity == s && f.suppressed.is_none())
                .count();
            (s, n)
        })
        .collect();
    counts.retain(|(_, n)| *n > 0);
    counts
}

pub fn suppressed_count(evaluation: &Evaluation) -> usize {
    evaluation
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .count()
}

/// The one-line summary used by the table report and on stderr.
pub fn summary_line(input: &ReportInput) -> String {
    let evaluation = input.evaluation;
    let active = evaluation.findings.len() - suppressed_count(evaluation);
    let mut line = if active == 0 {
        "no findings".to_string()
    } else {
        let parts: Vec<String> = severity_counts(evaluation)
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        format!(
            "{active} finding{} ({})",
            if active == 1 { "" } else { "s" },
            parts.join(", ")
        )
    };
    let suppressed = suppressed_count(evaluation);
    if suppressed > 0 {
        line.push_str(&format!(", {suppressed} suppressed"));
    }
    line.push_str(&format!(
        "; {} rule{} evaluated",
        evaluation.rules_evaluated,
        if evaluation.rules_evaluated == 1 {
            ""
        } else {
            "s"
        }
    ));
    if !evaluation.skipped.is_empty() {
        line.push_str(&format!(
            "; {} drift rule{} skipped (no --desired)",
            evaluation.skipped.len(),
            if evaluation.skipped.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if !evaluation.incomplete.is_empty() {
        line.push_str(&format!(
            "; {} incomplete (collection gaps)",
            evaluation.incomplete.len()
        ));
    }
    if let Some(baseline) = &evaluation.baseline {
        line.push_str(&format!("; {}", baseline_phrase(baseline)));
    }
    line
}

/// `baseline: 3 new, 47 unchanged, 2 resolved`.
pub fn baseline_phrase(comparison: &crate::baseline::Comparison) -> String {
    format!(
        "baseline: {} new, {} unchanged, {} resolved",
        comparison.new,
        comparison.unchanged,
        comparison.resolved.len()
    )
}
