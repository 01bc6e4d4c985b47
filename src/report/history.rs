//! `history --format table`: the last runs, one row each, and what changed in the last one.

use crate::history::History;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

/// How many of the last runs the table shows (JSON, CSV and Parquet hold every run).
pub const LAST_RUNS: usize = 12;

pub fn table(history: &History) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header([
        "captured",
        "findings",
        "critical",
        "high",
        "new",
        "resolved",
        "oldest open (days)",
        "admin seats",
        "users +/-",
    ]);
    let runs = &history.runs;
    let start = runs.len().saturating_sub(LAST_RUNS);
    let seats = |run: &crate::history::RunOut| {
        run.access
            .as_ref()
            .map(|a| a.values().map(|s| s.administrator).sum::<i64>().to_string())
            .unwrap_or_else(|| "-".into())
    };
    for run in &runs[start..] {
        let severity = |level: &str| run.by_severity.get(level).copied().unwrap_or(0).to_string();
        let users = match (&run.users_added, &run.users_removed) {
            (Some(a), Some(r)) => format!("+{} -{}", a.len(), r.len()),
            _ => "-".into(),
        };
        table.add_row([
            run.captured_at.clone(),
            run.findings.to_string(),
            severity("critical"),
            severity("high"),
            run.new.to_string(),
            run.resolved.to_string(),
            format!("{}", run.open_days_max),
            seats(run),
            users,
        ]);
    }
    let mut out = table.to_string();
    out.push('\n');
    if start > 0 {
        out.push_str(&format!(
            "{} earlier runs not shown (--format json holds every run)\n",
            start
        ));
    }
    let last = runs.last().expect("at least one run");
    let mut line = format!(
        "{} runs from {} to {}; last run: {} findings ({} new, {} resolved)",
        runs.len(),
        runs[0].captured_at,
        last.captured_at,
        last.findings,
        last.new,
        last.resolved
    );
    if let [.., before, last] = runs.as_slice()
        && let (Some(_), Some(_)) = (&before.access, &last.access)
    {
        line.push_str(&format!(
            "; administrator seats {} -> {}",
            seats(before),
            seats(last)
        ));
    }
    if !history.fixed_findings.is_empty() {
        let mut days: Vec<f64> = history
            .fixed_findings
            .iter()
            .map(|f| f.days_to_fix)
            .collect();
        days.sort_by(f64::total_cmp);
        line.push_str(&format!(
            "; {} findings fixed, median time to fix {} days",
            days.len(),
            days[days.len() / 2]
        ));
    }
    out.push_str(&line);
    out.push('\n');
    out
}
