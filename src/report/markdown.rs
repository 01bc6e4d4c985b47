//! The Markdown report of `check`: for `$GITHUB_STEP_SUMMARY` and pull-request comments.
//! Collection gaps come first (a gap must be impossible to miss), then findings by severity.
//! GitHub refuses a comment over 65,536 characters (and a step summary over 1 MiB): a longer
//! report is cut at a row, with a note saying how much is left out and where the rest is.

use super::{ReportInput, summary_line};
use std::fmt::Write as _;

/// The largest comment body GitHub accepts, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// A table cell: pipes escaped, one line.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub fn write(input: &ReportInput, limit: usize) -> String {
    let evaluation = input.evaluation;
    let mut head = String::new();
    let _ = writeln!(head, "## ssoaudit: IAM Identity Center audit\n");
    let _ = writeln!(head, "**{}**\n", summary_line(input));
    let _ = writeln!(head, "Snapshot: {}\n", cell(input.snapshot_source));
    // Rows that may be cut, with the section each belongs to.
    let mut rows: Vec<(String, String)> = Vec::new();
    if !evaluation.incomplete.is_empty() {
        let _ = writeln!(
            head,
            "> [!WARNING]\n> Collection gaps: {} rule{} could not see all their data, so their results may be incomplete (not clean).\n",
            evaluation.incomplete.len(),
            if evaluation.incomplete.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        let gaps = super::distinct_gaps(evaluation);
        let section = "### Collection gaps\n\n| Area | Not read | Error | Rules affected |\n|---|---|---|---|\n";
        for ((area, what, error), rules) in gaps {
            let rules: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
            rows.push((
                section.to_string(),
                format!(
                    "| {area} | {} | {} | {} |\n",
                    cell(&what),
                    cell(&error),
                    rules.join(", ")
                ),
            ));
        }
    }
    if !evaluation.errors.is_empty() {
        let section = "### Rule errors\n\n| Rule | Resource | Error |\n|---|---|---|\n";
        for error in &evaluation.errors {
            rows.push((
                section.to_string(),
                format!(
                    "| `{}` | {} | {} |\n",
                    error.rule_id,
                    cell(&error.resource_id),
                    cell(&error.message)
                ),
            ));
        }
    }
    if let Some(baseline) = &evaluation.baseline {
        let _ = writeln!(
            head,
            "Against the baseline: **{} new**, {} unchanged (not failing), {} resolved.\n",
            baseline.new,
            baseline.unchanged,
            baseline.resolved.len()
        );
    }
    // Counted once: a section heading per row would count them again for every finding.
    let counts = super::severity_counts(evaluation);
    for finding in evaluation
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
    {
        let count = counts
            .iter()
            .find(|(s, _)| *s == finding.severity)
            .map_or(0, |(_, n)| *n);
        let section = format!(
            "### {} ({count})\n\n| Rule | Resource | Finding |\n|---|---|---|\n",
            finding.severity
        );
        rows.push((
            section,
            format!(
                "| `{}` | {} | {}{} |\n",
                finding.rule_id,
                cell(&finding.resource.name),
                cell(finding.brief_message()),
                if finding.in_baseline {
                    " *(in the baseline)*"
                } else {
                    ""
                }
            ),
        ));
    }
    let suppressed: Vec<_> = evaluation
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    for finding in &suppressed {
        let section = format!(
            "### Suppressed ({})\n\n| Rule | Resource | Reason |\n|---|---|---|\n",
            suppressed.len()
        );
        rows.push((
            section,
            format!(
                "| `{}` | {} | {} |\n",
                finding.rule_id,
                cell(&finding.resource.name),
                cell(finding.suppressed.as_deref().unwrap_or_default())
            ),
        ));
    }

    let mut out = head;
    let mut current: Option<&str> = None;
    let total = rows.len();
    for (shown, (section, row)) in rows.iter().enumerate() {
        let heading = if current != Some(section.as_str()) {
            format!("\n{section}")
        } else {
            String::new()
        };
        // Room for the note that says what was left out.
        let note = truncation_note(total - shown);
        if out.len() + heading.len() + row.len() + note.len() > limit {
            out.push_str(&note);
            return out;
        }
        out.push_str(&heading);
        out.push_str(row);
        current = Some(section);
    }
    out
}

fn truncation_note(left_out: usize) -> String {
    format!(
        "\n> [!NOTE]\n> {left_out} more row{} not shown: GitHub limits a comment to {GITHUB_COMMENT_LIMIT} characters. The JSON (`--format json`) or SARIF report has the whole list.\n",
        if left_out == 1 { "" } else { "s" }
    )
}
