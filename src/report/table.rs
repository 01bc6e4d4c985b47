//! The table report for people: findings grouped by severity (most severe first), a summary
//! line, and the collection gaps that make a result incomplete.

use super::{ReportInput, summary_line};
use crate::rules::Severity;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use std::io::Write;

fn colour(severity: Severity) -> Color {
    match severity {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

/// Writes the table; `colour` only when writing to a terminal.
pub fn write(
    input: &ReportInput,
    out: &mut dyn Write,
    use_colour: bool,
    width: Option<u16>,
) -> std::io::Result<()> {
    let evaluation = input.evaluation;
    if !evaluation.findings.is_empty() {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED);
        table.set_content_arrangement(ContentArrangement::Dynamic);
        match width {
            Some(width) => {
                table.set_width(width);
            }
            // Not on a terminal: a fixed width, so files and CI logs read the same everywhere.
            None if !use_colour => {
                table.set_width(160);
            }
            // On a terminal comfy-table reads its width.
            None => {}
        }
        if use_colour {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_header(vec!["Severity", "Rule", "Resource", "Finding"]);
        for finding in &evaluation.findings {
            let mut severity = Cell::new(finding.severity.as_str());
            if use_colour {
                severity = severity.fg(colour(finding.severity));
            }
            let mut message = finding.brief_message().to_string();
            if let Some(reason) = &finding.suppressed {
                message.push_str(&format!("\n(suppressed: {reason})"));
            }
            if finding.in_baseline {
                message.push_str("\n(in the baseline: not failing)");
            }
            table.add_row(vec![
                severity,
                Cell::new(&finding.rule_id),
                Cell::new(format!(
                    "{} {}",
                    finding.resource.kind, finding.resource.name
                )),
                Cell::new(message),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    for line in super::gap_lines(evaluation) {
        writeln!(out, "{line}")?;
    }
    for error in &evaluation.errors {
        writeln!(out, "error: {error}")?;
    }
    writeln!(out, "{}", summary_line(input))
}
