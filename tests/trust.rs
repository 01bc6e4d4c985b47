//! What a careful user of a security tool relies on: evidence windows checked at both ends,
//! verdicts from what policies allow (not names), colours derived from the rules in force,
//! spreadsheet-safe CSV, and reports whose gaps and messages stay readable.

mod common;

use common::*;
use serde_json::{Value, json};

/// The compliant fixture changed by `edit`, written to a fresh folder.
fn edited(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut snapshot: Value = json(&std::fs::read_to_string(root().join(COMPLIANT)).unwrap());
    edit(&mut snapshot);
    let path = temp_dir(name).join("snapshot.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

/// `check --format json` with `args`; the exit code and the report.
fn check(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(
        out.code != 2,
        "check {args:?} failed: {}",
        out.stderr.trim_end()
    );
    (out.code, json(&out.stdout))
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// The gap messages of one incomplete rule.
fn gap_errors(report: &Value, rule: &str) -> Vec<String> {
    report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule_id"] == rule)
        .flat_map(|r| r["gaps"].as_array().unwrap().iter())
        .map(|g| g["error"].as_str().unwrap().to_string())
        .collect()
}

/// The rules that read events (and the compliant fixture's trail ends on 2026-11-28).
const EVIDENCE_RULES: &[&str] = &[
    "dormant-user-with-access",
    "mfa-unverifiable-external-idp",
    "root-credential-use",
    "sign-in-failures-burst",
    "sign-in-without-mfa",
    "unused-assignment",
];

#[test]
fn evidence_that_ends_before_now_is_a_gap_never_a_finding() {
    // At its own date the compliant organization is clean.
    let (code, report) = check(&["--snapshot", COMPLIANT, "--now", NOW]);
    assert_eq!(code, 0, "{report}");
    assert!(report["incomplete"].as_array().unwrap().is_empty());

    // Six months later nothing is known of the 90 days before: gaps, no finding, exit 3.
    let (code, report) = check(&["--snapshot", COMPLIANT, "--now", "2027-06-01T00:00:00Z"]);
    assert_eq!(code, 3, "{report}");
    assert!(
        rule_ids(&report)
            .iter()
            .all(|id| !EVIDENCE_RULES.contains(&id.as_str())),
        "{:?}",
        rule_ids(&report)
    );
    for rule in EVIDENCE_RULES {
        let errors = gap_errors(&report, rule);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("the events cover 2026-07-21T00:00:00Z..2026-11-28T00:00:00Z")),
            "{rule}: {errors:?}"
        );
    }
    assert_eq!(
        gap_errors(&report, "unused-assignment"),
        [
            "the rule's window of 90 days (2027-03-03T00:00:00Z..2027-06-01T00:00:00Z) is not covered: the events cover 2026-07-21T00:00:00Z..2026-11-28T00:00:00Z (add newer events, or pass --now to check as of an earlier time)"
        ]
    );
    assert_eq!(
        gap_errors(&report, "sign-in-without-mfa"),
        [
            "the evidence up to now (..2027-06-01T00:00:00Z) is not covered: the events cover 2026-07-21T00:00:00Z..2026-11-28T00:00:00Z (add newer events, or pass --now to check as of an earlier time)"
        ]
    );

    // Within a day of the trail's end (the slack of every source) it is still covered.
    let (code, _) = check(&["--snapshot", COMPLIANT, "--now", "2026-11-28T23:00:00Z"]);
    assert_eq!(code, 0);
    let (code, _) = check(&["--snapshot", COMPLIANT, "--now", "2026-11-29T01:00:00Z"]);
    assert_eq!(code, 3);
}

#[test]
fn a_window_that_starts_before_the_evidence_is_a_gap_at_that_end() {
    // The trail starts on 2026-07-21: a 200-day look-back from its end reaches before it.
    let (code, report) = check(&[
        "--snapshot",
        COMPLIANT,
        "--now",
        NOW,
        "--unused-days",
        "200",
    ]);
    assert_eq!(code, 3, "{report}");
    for rule in ["unused-assignment", "dormant-user-with-access"] {
        assert_eq!(
            gap_errors(&report, rule),
            [
                "the rule's window of 200 days (2026-05-12T00:00:00Z..2026-11-28T00:00:00Z) is not covered: the events cover 2026-07-21T00:00:00Z..2026-11-28T00:00:00Z"
            ]
        );
    }
    // Rules without a look-back are not concerned.
    assert!(gap_errors(&report, "sign-in-without-mfa").is_empty());
}

#[test]
fn the_look_back_comes_from_the_condition_not_from_a_parameter_name() {
    // A rule of the user's own whose window parameter is not called `days`.
    let rules = temp_dir("look-back-rule");
    std::fs::write(
        rules.join("stale.yaml"),
        "id: stale-assignment\ntitle: Stale\nseverity: low\nsubject: assignment\nparams:\n  lookback: 150\ncondition: >\n  permission_set.kind == \"permission_set\" && assignment.holders > 0 &&\n  (assignment.last_used == null || assignment.last_used < now - days(params.lookback))\nmessage: \"{principal.name} {permission_set.name} {account.name}\"\nrationale: r\nremediation: r\n",
    )
    .unwrap();
    let dir = rules.to_str().unwrap();
    let (code, report) = check(&[
        "--snapshot",
        COMPLIANT,
        "--now",
        NOW,
        "--no-builtin",
        "--rules",
        dir,
    ]);
    assert_eq!(code, 3, "{report}");
    assert!(report["findings"].as_array().unwrap().is_empty());
    assert!(
        gap_errors(&report, "stale-assignment")[0].starts_with("the rule's window of 150 days"),
        "{report}"
    );
    // --unused-days replaces the parameter the condition looks back with.
    let (code, report) = check(&[
        "--snapshot",
        COMPLIANT,
        "--now",
        NOW,
        "--no-builtin",
        "--rules",
        dir,
        "--unused-days",
        "30",
    ]);
    assert!(
        gap_errors(&report, "stale-assignment").is_empty(),
        "{report}"
    );
    assert_eq!(code, 0, "{report}");
}

#[test]
fn session_length_is_judged_by_what_a_set_can_do_not_by_its_name() {
    let snapshot = edited("session-duration", |s| {
        for set in s["permission_sets"].as_array_mut().unwrap() {
            match set["name"].as_str().unwrap() {
                // An administrator under another name, with a 12-hour session.
                "AdministratorAccess" => {
                    set["name"] = json!("PlatformOperators");
                    set["session_duration"] = json!("PT12H");
                }
                // AdministratorAccess capped by a read-only boundary: it writes nothing.
                "TerraformApplyAccess" => {
                    set["permissions_boundary"] =
                        json!({"managed_policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"});
                    set["session_duration"] = json!("PT12H");
                }
                // Read-only, with a long session: not privileged.
                "ReadOnlyAccess" => set["session_duration"] = json!("PT12H"),
                _ => {}
            }
        }
    });
    let (_, report) = check(&[
        "--snapshot",
        &snapshot,
        "--now",
        NOW,
        "--only",
        "session-duration-too-long",
    ]);
    let resources: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["PlatformOperators"], "{report}");

    // The name-based field is gone, with a pointer to what replaced it.
    let rules = temp_dir("retired-field");
    std::fs::write(
        rules.join("old.yaml"),
        "id: old\ntitle: t\nseverity: low\nsubject: permission_set\ncondition: permission_set.grants_full_access\nmessage: m\nrationale: r\nremediation: r\n",
    )
    .unwrap();
    let out = run(&["rules", "list", "--rules", rules.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "`permission_set.grants_full_access` was retired: use `permission_set.admin_equivalent`"
        ),
        "{}",
        out.stderr
    );
}

/// The classes the HTML report gives the permission sets, by name.
fn html_classes(args: &[&str]) -> std::collections::BTreeMap<String, String> {
    let mut all = vec![
        "check",
        "--format",
        "html",
        "--snapshot",
        COMPLIANT,
        "--now",
        NOW,
    ];
    all.extend_from_slice(args);
    let out = run(&all);
    let start = out
        .stdout
        .find(r#"<script type="application/json" id="data">"#)
        .expect("the page carries its data")
        + r#"<script type="application/json" id="data">"#.len();
    let end = start + out.stdout[start..].find("</script>").unwrap();
    let data = json(&out.stdout[start..end]);
    data["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["class"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_html_billing_colour_follows_the_billing_rule_in_force() {
    let builtin = html_classes(&[]);
    assert_eq!(builtin["BillingAdministratorAccess"], "billing");
    assert_eq!(builtin["DNSRecordAdministratorAccess"], "write");
    assert_eq!(builtin["AdministratorAccess"], "administrator");

    // The billing rule with route53 among its services: the DNS set is billing now.
    let text = std::fs::read_to_string(root().join("rules/billing-admin-billing-only.yaml"))
        .unwrap()
        .replace("billing_services: [", "billing_services: [route53, ");
    let rules = temp_dir("billing-rule");
    std::fs::write(rules.join("billing-admin-billing-only.yaml"), text).unwrap();
    let edited = html_classes(&["--no-builtin", "--rules", rules.to_str().unwrap()]);
    assert_eq!(edited["DNSRecordAdministratorAccess"], "billing");

    // Without the rule nothing says which services are billing: writes are writes.
    let without = html_classes(&["--skip", "billing-admin-billing-only"]);
    assert_eq!(without["BillingAdministratorAccess"], "write");
}

#[test]
fn access_csv_cells_cannot_run_as_spreadsheet_formulas() {
    let snapshot = edited("csv-injection", |s| {
        let users = s["users"].as_array_mut().unwrap();
        users[0]["user_name"] = json!("=HYPERLINK(\"http://x.example\",\"click\")");
        let groups = s["groups"].as_array_mut().unwrap();
        for group in groups.iter_mut() {
            if group["display_name"] == "DevOps" {
                group["display_name"] = json!("@SUM(1+1)\r\nDevOps");
            }
        }
    });
    let out = run(&["access", "--snapshot", &snapshot, "--format", "csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut reader = csv_rows(&out.stdout);
    let header = reader.remove(0);
    let user = header.iter().position(|h| h == "user_name").unwrap();
    let via = header.iter().position(|h| h == "via_name").unwrap();
    assert!(
        reader
            .iter()
            .any(|r| r[user] == "'=HYPERLINK(\"http://x.example\",\"click\")")
    );
    assert!(reader.iter().any(|r| r[via] == "'@SUM(1+1)\r\nDevOps"));
    // No cell a spreadsheet would read as a formula.
    for row in &reader {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
    // A carriage return stays inside its quoted cell: every record has every column.
    assert!(reader.iter().all(|r| r.len() == header.len()));
}

/// A CSV text read by an independent reader (RFC 4180: quoted cells may hold commas, quotes
/// and line breaks).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

#[test]
fn each_gap_is_printed_once_with_the_rules_it_affects_and_messages_stay_short() {
    let out = run(&["check", "--snapshot", REFUSED, "--now", NOW]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let gap_lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("incomplete:"))
        .collect();
    let (_, report) = check(&["--snapshot", REFUSED, "--now", NOW, "--allow-gaps"]);
    let mut distinct = std::collections::BTreeSet::new();
    for rule in report["incomplete"].as_array().unwrap() {
        for gap in rule["gaps"].as_array().unwrap() {
            distinct.insert(gap["error"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(gap_lines.len(), distinct.len(), "{gap_lines:#?}");
    for line in &gap_lines {
        assert!(line.contains("; affects "), "{line}");
    }
    // Every finding in brief in the table and in Markdown; the full reasons stay in JSON.
    let longest = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().chars().count())
        .max()
        .unwrap();
    let markdown = run(&[
        "check",
        "--snapshot",
        REFUSED,
        "--now",
        NOW,
        "--format",
        "markdown",
    ]);
    let rows: Vec<&str> = markdown
        .stdout
        .lines()
        .filter(|l| l.starts_with("| `"))
        .collect();
    assert_eq!(rows.len(), report["findings"].as_array().unwrap().len());
    for row in rows {
        let message = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
        assert!(message.chars().count() <= 300, "{message}");
    }
    // The table's finding column holds the brief message too: its widest cell, its lines
    // joined, is at most 300 characters.
    let mut cell = String::new();
    let mut widest = 0;
    for line in out.stdout.lines().filter(|l| l.starts_with('│')) {
        let last = line
            .trim_end_matches('│')
            .rsplit('┆')
            .next()
            .unwrap()
            .trim();
        if line.starts_with("│ ") && !line.starts_with("│          ") {
            widest = widest.max(cell.chars().count());
            cell.clear();
        }
        if !cell.is_empty() {
            cell.push(' ');
        }
        cell.push_str(last);
    }
    widest = widest.max(cell.chars().count());
    assert!(widest <= 300 && widest > 100, "{widest}");
    assert!(longest > 1000, "the fixture has long messages to shorten");
}
