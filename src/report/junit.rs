//! The JUnit XML report of `check`, for GitLab, Jenkins and other CI systems: one test case per
//! rule. A rule's findings at or above `--fail-on` are its failure; findings below it (and
//! suppressed ones) are listed in its output; collection gaps and rule errors are errors (the
//! run is not clean); drift rules skipped without a stack file are skipped.

use super::ReportInput;
use std::fmt::Write as _;

/// Text escaped for XML content and attributes; characters XML 1.0 cannot hold are dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

pub fn write(input: &ReportInput) -> String {
    let evaluation = input.evaluation;
    let mut cases = String::new();
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    for rule in input.rules {
        // Findings at or above --fail-on that neither a suppression nor the baseline holds
        // fail the case; the others go to its output.
        let (failing, others): (Vec<_>, Vec<_>) = evaluation
            .findings
            .iter()
            .filter(|f| *f.rule_id == *rule.id)
            .partition(|f| f.is_open() && input.fail_on.is_some_and(|t| f.severity >= t));
        let incomplete = evaluation.incomplete.iter().find(|r| r.rule_id == rule.id);
        let rule_errors: Vec<_> = evaluation
            .errors
            .iter()
            .filter(|e| e.rule_id == rule.id)
            .collect();
        let _ = writeln!(
            cases,
            "    <testcase classname=\"ssoaudit.{}\" name=\"{}: {}\">",
            rule.subject.name(),
            xml(&rule.id),
            xml(&rule.title)
        );
        if evaluation.skipped.contains(&rule.id) {
            skipped += 1;
            cases.push_str("      <skipped message=\"drift rule: no stack file (--desired)\"/>\n");
        }
        if evaluation.skipped_previous.contains(&rule.id) {
            skipped += 1;
            cases.push_str(
                "      <skipped message=\"compares with the previous run: no previous snapshot (--previous)\"/>\n",
            );
        }
        if !failing.is_empty() {
            failures += 1;
            let body: Vec<String> = failing
                .iter()
                .map(|f| format!("[{}] {}: {}", f.severity, f.resource.name, f.message))
                .collect();
            let _ = writeln!(
                cases,
                "      <failure type=\"{}\" message=\"{} finding{}\">{}</failure>",
                rule.severity,
                failing.len(),
                if failing.len() == 1 { "" } else { "s" },
                xml(&body.join("\n"))
            );
        }
        if incomplete.is_some() || !rule_errors.is_empty() {
            errors += 1;
            let mut body: Vec<String> = Vec::new();
            if let Some(incomplete) = incomplete {
                body.extend(incomplete.gaps.iter().map(|g| {
                    format!(
                        "collection gap in {}: {} {}: {}",
                        g.area, g.operation, g.resource, g.error
                    )
                }));
            }
            body.extend(rule_errors.iter().map(|e| e.to_string()));
            let message = match (incomplete.is_some(), rule_errors.is_empty()) {
                (true, true) => "incomplete: collection gaps",
                (false, false) => "the condition failed at run time",
                _ => "incomplete: collection gaps and run-time errors",
            };
            let _ = writeln!(
                cases,
                "      <error type=\"{}\" message=\"{message}\">{}</error>",
                if incomplete.is_some() {
                    "collection-gap"
                } else {
                    "rule-error"
                },
                xml(&body.join("\n"))
            );
        }
        let others: Vec<String> = others
            .iter()
            .map(|f| match &f.suppressed {
                Some(reason) => format!(
                    "[{}] {}: {} (suppressed: {reason})",
                    f.severity, f.resource.name, f.message
                ),
                None if f.in_baseline => format!(
                    "[{}] {}: {} (in the baseline)",
                    f.severity, f.resource.name, f.message
                ),
                None => format!(
                    "[{}] {}: {} (below --fail-on)",
                    f.severity, f.resource.name, f.message
                ),
            })
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                xml(&others.join("\n"))
            );
        }
        cases.push_str("    </testcase>\n");
    }
    let tests = input.rules.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ssoaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name=\"ssoaudit check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n    <properties>\n      <property name=\"snapshot\" value=\"{}\"/>\n      <property name=\"fail-on\" value=\"{}\"/>\n    </properties>",
        xml(input.snapshot_source),
        input
            .fail_on
            .map(|s| s.to_string())
            .unwrap_or_else(|| "never".into())
    );
    if let Some(baseline) = &evaluation.baseline {
        // Inside <properties>: new, unchanged and resolved against the baseline.
        let at = out
            .rfind("    </properties>")
            .expect("properties were written");
        out.insert_str(
            at,
            &format!(
                "      <property name=\"baseline\" value=\"{} new, {} unchanged, {} resolved\"/>\n",
                baseline.new,
                baseline.unchanged,
                baseline.resolved.len()
            ),
        );
    }
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
