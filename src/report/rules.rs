//! `rules list` and `rules explain`: the rule pack as a table, as JSON through a frozen,
//! versioned output type (`version: 1`), and one rule's documentation.

use super::json::Tool;
use crate::rules::{Logic, Rule};
use serde::Serialize;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct RuleList<'a> {
    pub version: u32,
    pub tool: Tool,
    pub rules: Vec<RuleOut<'a>>,
}

#[derive(Serialize)]
pub struct RuleOut<'a> {
    pub id: &'a str,
    pub severity: &'static str,
    pub subject: &'static str,
    pub title: &'a str,
    /// The rule file: `rules/<file>` for the built-in pack.
    pub path: &'a str,
    pub builtin: bool,
    /// The data areas it reads.
    pub reads: Vec<&'static str>,
}

pub fn json(rules: &[Rule]) -> String {
    let list = RuleList {
        version: FORMAT_VERSION,
        tool: Tool::current(),
        rules: rules
            .iter()
            .map(|r| RuleOut {
                id: &r.id,
                severity: r.severity.as_str(),
                subject: r.subject.name(),
                title: &r.title,
                path: &r.origin.path,
                builtin: r.origin.builtin,
                reads: r.requires.iter().map(|a| a.as_str()).collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&list).expect("the rule list serializes");
    text.push('\n');
    text
}

pub fn table(rules: &[Rule]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::NOTHING);
    table.set_header(vec!["ID", "SEVERITY", "SUBJECT", "TITLE"]);
    for rule in rules {
        table.add_row(vec![
            rule.id.as_str(),
            rule.severity.as_str(),
            rule.subject.name(),
            rule.title.as_str(),
        ]);
    }
    format!("{table}\n")
}

/// What `rules explain` prints.
pub fn explain(rule: &Rule) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} ({}, subject: {})\n",
        rule.id,
        rule.severity,
        rule.subject.name()
    ));
    out.push_str(&format!("{}\n\n", rule.title));
    out.push_str(&format!("Why it matters:\n  {}\n\n", wrap(&rule.rationale)));
    out.push_str(&format!("How to fix:\n  {}\n", wrap(&rule.remediation)));
    if let Some(example) = &rule.example {
        out.push_str("\nExample:\n");
        for line in example.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    match &rule.logic {
        Logic::Condition(shape) => out.push_str(&format!(
            "\nCondition:\n  {}\n",
            shape.source.trim().replace('\n', "\n  ")
        )),
        Logic::Check(check) => out.push_str(&format!("\nCheck: {}\n", check.describe())),
    }
    if rule.concludes_from_absence {
        out.push_str(
            "\nConcludes from absence: on any gap in the events it reports the gap, no finding.\n",
        );
    }
    out.push_str(&format!(
        "\nReads: {}\n",
        rule.requires
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(&format!(
        "Defined in: {}:{}\n",
        rule.origin.path, rule.origin.line
    ));
    out
}

fn wrap(text: &str) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 96 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n  ")
}
