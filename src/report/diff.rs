//! Reports of `ssoaudit diff`: table, JSON (versioned), Markdown (for a pull-request comment or
//! a GitHub step summary) and SARIF.

use super::access::AccessOut;
use super::json::Tool;
use crate::diff::{SnapshotDiff, describe_access};
use crate::snapshot::Snapshot;
use comfy_table::{Table, presets};
use serde::Serialize;
use serde_json::json;
use std::fmt::Write as _;

pub struct DiffInput<'a> {
    pub diff: &'a SnapshotDiff,
    pub old: &'a Snapshot,
    pub new: &'a Snapshot,
    pub old_path: &'a str,
    pub new_path: &'a str,
}

pub fn summary_line(input: &DiffInput) -> String {
    let d = input.diff;
    if d.is_empty() {
        return "no changes".into();
    }
    format!(
        "effective access: {} gained, {} lost; {} other change{}",
        d.access_gained.len(),
        d.access_lost.len(),
        d.changes.len(),
        if d.changes.len() == 1 { "" } else { "s" }
    )
}

pub fn table(input: &DiffInput) -> String {
    let d = input.diff;
    let mut out = String::new();
    for (title, rows, verb) in [
        ("Effective access gained", &d.access_gained, "gained"),
        ("Effective access lost", &d.access_lost, "lost"),
    ] {
        if rows.is_empty() {
            continue;
        }
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_width(160);
        table.set_header(vec!["User", "Account", "Permission set", "Via", "Change"]);
        for row in rows.iter() {
            let via = if row.via_type == "GROUP" {
                row.via_name.clone()
            } else {
                "(direct assignment)".into()
            };
            table.add_row(vec![
                row.user_name.clone(),
                row.account_name.clone(),
                row.permission_set.clone(),
                via,
                verb.to_string(),
            ]);
        }
        let _ = writeln!(out, "{title}:\n{table}");
    }
    if !d.changes.is_empty() {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_width(160);
        table.set_header(vec!["Kind", "Change", "What", "Details"]);
        for change in &d.changes {
            let mut details = change.details.join("\n");
            if let Some(diff) = &change.policy_diff {
                details.push('\n');
                details.push_str(diff.trim_end());
            }
            table.add_row(vec![
                change.kind.to_string(),
                change.change.to_string(),
                change.subject.clone(),
                details,
            ]);
        }
        let _ = writeln!(out, "Other changes:\n{table}");
    }
    let _ = writeln!(out, "{}", summary_line(input));
    out
}

pub const FORMAT_VERSION: u32 = 3;

/// The JSON of `diff`: a frozen, versioned output type (`version: 3`; version 1 had no `route`
/// in access rows, version 2 no `chain` and `hops`).
#[derive(Serialize)]
pub struct DiffReport<'a> {
    pub version: u32,
    pub tool: Tool,
    pub old: Side<'a>,
    pub new: Side<'a>,
    pub summary: DiffSummary,
    pub access: AccessChanges<'a>,
    pub changes: Vec<ChangeOut<'a>>,
}

#[derive(Serialize)]
pub struct Side<'a> {
    pub path: &'a str,
    pub source: &'a str,
    pub captured_at: &'a str,
}

#[derive(Serialize)]
pub struct DiffSummary {
    pub access_gained: usize,
    pub access_lost: usize,
    pub changes: usize,
}

#[derive(Serialize)]
pub struct AccessChanges<'a> {
    pub gained: Vec<AccessOut<'a>>,
    pub lost: Vec<AccessOut<'a>>,
}

#[derive(Serialize)]
pub struct ChangeOut<'a> {
    /// account, user, group, membership, assignment, permission_set.
    pub kind: &'a str,
    /// added, removed or changed.
    pub change: &'a str,
    pub subject: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub details: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_diff: Option<&'a str>,
}

pub fn json(input: &DiffInput) -> String {
    let d = input.diff;
    fn side<'a>(snapshot: &'a Snapshot, path: &'a str) -> Side<'a> {
        Side {
            path,
            source: &snapshot.metadata.source,
            captured_at: &snapshot.metadata.captured_at,
        }
    }
    fn access<'a>(rows: &'a [crate::access::AccessRow], verb: &str) -> Vec<AccessOut<'a>> {
        rows.iter()
            .map(|r| AccessOut::of(r, Some(describe_access(r, verb))))
            .collect()
    }
    let report = DiffReport {
        version: FORMAT_VERSION,
        tool: Tool::current(),
        old: side(input.old, input.old_path),
        new: side(input.new, input.new_path),
        summary: DiffSummary {
            access_gained: d.access_gained.len(),
            access_lost: d.access_lost.len(),
            changes: d.changes.len(),
        },
        access: AccessChanges {
            gained: access(&d.access_gained, "gained"),
            lost: access(&d.access_lost, "lost"),
        },
        changes: d
            .changes
            .iter()
            .map(|c| ChangeOut {
                kind: c.kind,
                change: c.change,
                subject: &c.subject,
                details: &c.details,
                policy_diff: c.policy_diff.as_deref(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the diff report serializes");
    text.push('\n');
    text
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(input: &DiffInput) -> String {
    let d = input.diff;
    let mut out = String::new();
    let _ = writeln!(out, "## ssoaudit: IAM Identity Center changes\n");
    let _ = writeln!(
        out,
        "`{}` → `{}`: **{}**\n",
        input.old_path,
        input.new_path,
        summary_line(input)
    );
    for (title, rows, verb) in [
        ("Effective access gained", &d.access_gained, "gained"),
        ("Effective access lost", &d.access_lost, "lost"),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n", rows.len());
        let _ = writeln!(
            out,
            "| User | Account | Permission set | Via |\n|---|---|---|---|"
        );
        for row in rows.iter() {
            let via = if row.via_type == "GROUP" {
                row.via_name.clone()
            } else {
                "direct assignment".into()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                escape(&row.user_name),
                escape(&row.account_name),
                escape(&row.permission_set),
                escape(&via)
            );
        }
        let _ = writeln!(out);
        let _ = verb;
    }
    if !d.changes.is_empty() {
        let _ = writeln!(out, "### Other changes ({})\n", d.changes.len());
        for change in &d.changes {
            let details = if change.details.is_empty() {
                String::new()
            } else {
                format!(": {}", change.details.join("; "))
            };
            let _ = writeln!(
                out,
                "- {} {} **{}**{}",
                change.kind.replace('_', " "),
                change.change,
                escape(&change.subject),
                details
            );
            if let Some(diff) = &change.policy_diff {
                let _ = writeln!(out, "\n  ```diff");
                for line in diff.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                let _ = writeln!(out, "  ```");
            }
        }
    }
    out
}

pub fn sarif(input: &DiffInput) -> String {
    let d = input.diff;
    let uri = crate::report::sarif::artifact_uri(input.new_path);
    let rule = |id: &str, title: &str, level: &str, score: &str| {
        json!({
            "id": id,
            "shortDescription": {"text": title},
            "fullDescription": {"text": title},
            "help": {"text": "Review the change between the two snapshots; revert it if it was not intended."},
            "defaultConfiguration": {"level": level},
            "properties": {"tags": ["security", "drift"], "security-severity": score},
        })
    };
    let mut results = Vec::new();
    let mut push = |rule_index: usize, rule_id: &str, level: &str, text: String| {
        let fingerprint = crate::findings::fingerprint(
            rule_id,
            &crate::findings::Resource {
                kind: crate::vocabulary::ResourceKind::Change,
                id: text.clone(),
                name: String::new(),
            },
        );
        results.push(json!({
            "ruleId": rule_id,
            "ruleIndex": rule_index,
            "level": level,
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}}],
            "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        }));
    };
    for row in &d.access_gained {
        push(
            0,
            "access-gained",
            "warning",
            describe_access(row, "gained"),
        );
    }
    for row in &d.access_lost {
        push(1, "access-lost", "note", describe_access(row, "lost"));
    }
    for change in &d.changes {
        let details = if change.details.is_empty() {
            String::new()
        } else {
            format!(": {}", change.details.join("; "))
        };
        push(
            2,
            "identity-center-change",
            "note",
            format!(
                "{} {} {}{details}",
                change.kind.replace('_', " "),
                change.change,
                change.subject
            ),
        );
    }
    let report = json!({
        "$schema": crate::report::sarif::SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ssoaudit",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": [
                    rule("access-gained", "Effective access gained between snapshots", "warning", "6.0"),
                    rule("access-lost", "Effective access lost between snapshots", "note", "1.0"),
                    rule("identity-center-change", "IAM Identity Center configuration changed between snapshots", "note", "1.0"),
                ],
            }},
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
