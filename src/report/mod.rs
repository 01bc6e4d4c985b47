//! Reports: each format is a pure function of the evaluation and the rules, written to a
//! writer. Nothing else in the program prints findings.

pub mod access;
pub mod diff;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ocsf;
pub mod parquet;
pub mod permission_set;
pub mod plots;
pub mod rules;
pub mod sarif;
pub mod table;

use crate::engine::Evaluation;
use crate::rules::{Rule, Severity};
use std::collections::BTreeMap;

/// The formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Markdown,
    Junit,
    Html,
    Ocsf,
    Parquet,
}

/// Where a table goes: colour and width only on a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub colour: bool,
    pub width: Option<u16>,
}

/// Writes the report of `input` in `format` to `out`. The HTML page also shows the
/// organization at a glance, from `snapshot`.
pub fn write(
    format: Format,
    input: &ReportInput,
    snapshot: &crate::snapshot::Snapshot,
    terminal: Terminal,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => table::write(input, out, terminal.colour, terminal.width),
        Format::Json => json::write(input, out),
        Format::Sarif => sarif::write(input, out),
        Format::Markdown => {
            out.write_all(markdown::write(input, markdown::GITHUB_COMMENT_LIMIT).as_bytes())
        }
        Format::Junit => out.write_all(junit::write(input).as_bytes()),
        Format::Ocsf => ocsf::write(input, out),
        Format::Parquet => {
            let mut frame = parquet::findings_frame(input).map_err(std::io::Error::other)?;
            parquet::write_frame(&mut frame, out)
        }
        Format::Html => {
            let model = crate::model::Model::new(snapshot);
            let overview = crate::overview::of(&model);
            out.write_all(html::write(input, &overview).as_bytes())
        }
    }
}

/// Everything a report shows.
pub struct ReportInput<'a> {
    pub evaluation: &'a Evaluation,
    pub rules: &'a [Rule],
    /// The threshold the exit code uses, shown in summaries.
    pub fail_on: Option<Severity>,
    pub snapshot_source: &'a str,
    /// When the snapshot was captured (RFC 3339), as its metadata says.
    pub captured_at: &'a str,
    /// The time the rules were evaluated for (`--now`, else the clock).
    pub now: chrono::DateTime<chrono::Utc>,
    /// The Region of the Identity Center instance (OCSF `cloud.region`).
    pub region: &'a str,
    /// The account Identity Center runs in: the account of findings about no one account.
    pub management_account_id: &'a str,
    /// Scheduled runs to plot in the HTML report (`--history`).
    pub history: Option<&'a crate::history::History>,
}

/// What a gap says was not read: its operation and resource, when it names them.
fn gap_what(gap: &crate::snapshot::Gap) -> String {
    [gap.operation.as_str(), gap.resource.as_str()]
        .join(" ")
        .trim()
        .to_string()
}

/// A gap in one line: `area not read (operation resource): error`.
pub fn gap_text(gap: &crate::snapshot::Gap) -> String {
    let what = gap_what(gap);
    if what.is_empty() {
        format!("{} not read: {}", gap.area, gap.error)
    } else {
        format!("{} not read ({what}): {}", gap.area, gap.error)
    }
}

/// Each collection gap once, as (area, what was not read, error), with the rules it affects.
pub fn distinct_gaps(evaluation: &Evaluation) -> BTreeMap<(String, String, String), Vec<&str>> {
    let mut gaps: BTreeMap<(String, String, String), Vec<&str>> = BTreeMap::new();
    for rule in &evaluation.incomplete {
        for gap in &rule.gaps {
            gaps.entry((gap.area.to_string(), gap_what(gap), gap.error.clone()))
                .or_default()
                .push(&rule.rule_id);
        }
    }
    gaps
}

/// Each distinct gap in one line, with the rules it leaves incomplete.
pub fn gap_lines(evaluation: &Evaluation) -> Vec<String> {
    distinct_gaps(evaluation)
        .into_iter()
        .map(|((area, what, error), rules)| {
            let what = if what.is_empty() {
                String::new()
            } else {
                format!(" ({what})")
            };
            format!(
                "incomplete: {area} not fully collected{what}: {error}; affects {}",
                rules.join(", ")
            )
        })
        .collect()
}

/// The line on stderr that says collection gaps decide the exit code, or only warn.
pub fn gaps_line(evaluation: &Evaluation, allow_gaps: bool) -> Option<String> {
    if evaluation.incomplete.is_empty() {
        return None;
    }
    let rules: Vec<&str> = evaluation
        .incomplete
        .iter()
        .map(|r| r.rule_id.as_str())
        .collect();
    Some(if allow_gaps {
        format!(
            "warning: collection gaps affect {} (--allow-gaps: not failing)",
            rules.join(", ")
        )
    } else {
        format!(
            "error: collection gaps affect {}: their results may be incomplete (exit 3; --allow-gaps to only warn)",
            rules.join(", ")
        )
    })
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
    if !evaluation.skipped_previous.is_empty() {
        line.push_str(&format!(
            "; {} rule{} skipped (no --previous)",
            evaluation.skipped_previous.len(),
            if evaluation.skipped_previous.len() == 1 {
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
