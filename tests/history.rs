//! `ssoaudit history` over 13 weekly runs of the reference organization with changes the
//! generator made (crates/generate `weekly_runs`): its numbers are checked against those
//! changes, and its CSV and Parquet read back with DuckDB equal its JSON.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

const WEEKS: usize = 13;

/// The weekly snapshots, written as `YYYY-MM-DD.json`.
fn folder(name: &str) -> (std::path::PathBuf, Vec<ssoaudit_generate::WeeklyRun>) {
    let dir = temp_dir(name);
    let runs = ssoaudit_generate::weekly_runs(WEEKS);
    for run in &runs {
        let day = &run.snapshot.metadata.captured_at[..10];
        std::fs::write(
            dir.join(format!("{day}.json")),
            run.snapshot.to_canonical_json(),
        )
        .unwrap();
    }
    (dir, runs)
}

fn history(args: &[&str]) -> Value {
    let mut all = vec!["history"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let out = run(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_history_of_weekly_runs_follows_the_changes_made() {
    let (dir, expected) = folder("history-weekly");
    let report = history(&[dir.to_str().unwrap()]);
    assert_eq!(report["version"], 1);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), WEEKS);
    let mut previous_rules: BTreeMap<String, i64> = BTreeMap::new();
    let mut previous_seats: BTreeMap<String, i64> = BTreeMap::new();
    for (week, (run, want)) in runs.iter().zip(&expected).enumerate() {
        assert_eq!(
            run["captured_at"],
            want.snapshot.metadata.captured_at.as_str()
        );
        assert_eq!(run["kind"], "snapshot");
        let rules: BTreeMap<String, i64> = run["by_rule"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
            .collect();
        let seats: BTreeMap<String, i64> = run["access"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v["administrator"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            run["findings"].as_i64().unwrap(),
            rules.values().sum::<i64>(),
            "week {week}"
        );
        if week == 0 {
            assert_eq!(run["findings"], 0, "the compliant organization: {run}");
            assert_eq!(run["new"], 0);
        } else {
            // Findings per rule moved exactly as the generator said.
            let mut delta: BTreeMap<String, i64> = BTreeMap::new();
            for rule in rules.keys().chain(previous_rules.keys()) {
                let d = rules.get(rule).copied().unwrap_or(0)
                    - previous_rules.get(rule).copied().unwrap_or(0);
                if d != 0 {
                    delta.insert(rule.clone(), d);
                }
            }
            assert_eq!(delta, want.findings_delta, "week {week}");
            let gained: i64 = want.findings_delta.values().filter(|d| **d > 0).sum();
            let lost: i64 = -want
                .findings_delta
                .values()
                .filter(|d| **d < 0)
                .sum::<i64>();
            assert_eq!(run["new"], gained, "week {week}");
            assert_eq!(run["resolved"], lost, "week {week}");
            // Administrator seats per account.
            let mut seat_delta: BTreeMap<String, i64> = BTreeMap::new();
            for (account, n) in &seats {
                let d = n - previous_seats.get(account).copied().unwrap_or(0);
                if d != 0 {
                    seat_delta.insert(account.clone(), d);
                }
            }
            assert_eq!(seat_delta, want.admin_seats_delta, "week {week}");
            assert_eq!(names(&run["users_added"]), want.users_added, "week {week}");
            assert_eq!(
                names(&run["users_removed"]),
                want.users_removed,
                "week {week}"
            );
            assert_eq!(
                names(&run["groups_added"]),
                want.groups_added,
                "week {week}"
            );
            assert_eq!(
                names(&run["groups_removed"]),
                want.groups_removed,
                "week {week}"
            );
        }
        previous_rules = rules;
        previous_seats = seats;
    }
    // Time to fix: the direct grant (weeks 2 to 4) and the hand-made user (3 to 5) took two
    // weeks, the Contractors group's two findings (6 to 9) three.
    let fixed: Vec<(String, f64)> = report["fixed_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["days_to_fix"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fixed,
        vec![
            ("no-direct-user-assignments".to_string(), 14.0),
            ("user-created-by-hand".to_string(), 14.0),
            ("group-assigned-without-members".to_string(), 21.0),
            ("group-created-by-hand".to_string(), 21.0),
        ]
    );
    // Open in the last run: nina.walsh, disabled in week 11 with access kept, for 7 days.
    let open = report["open_findings"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["rule_id"], "user-inactive-with-access");
    assert_eq!(open[0]["resource"], "nina.walsh@acme.example");
    assert_eq!(open[0]["open_days"], 7.0);
    assert_eq!(runs[12]["open_days_max"], 7.0);

    // Filters: one rule; one account; a start date.
    let filtered = history(&[dir.to_str().unwrap(), "--rule", "group-created-by-hand"]);
    let counts: Vec<i64> = filtered["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["findings"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    let prod = history(&[dir.to_str().unwrap(), "--account", "plat-prod"]);
    assert!(
        prod["runs"][2]["access"]
            .as_object()
            .unwrap()
            .keys()
            .eq(["plat-prod"])
    );
    let since = history(&[dir.to_str().unwrap(), "--since", "2026-10-01"]);
    assert_eq!(since["runs"].as_array().unwrap().len(), 9);
    assert_eq!(since["runs"][0]["captured_at"], "2026-10-04T06:00:00Z");

    // The table: the last 12 runs and the change.
    let out = run(&["history", dir.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("1 earlier runs not shown"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("13 runs from 2026-09-06T06:00:00Z to 2026-11-29T06:00:00Z; last run: 1 findings (0 new, 0 resolved); administrator seats"),
        "{}",
        out.stdout
    );
}

#[test]
fn reports_alone_make_a_history_and_mix_with_snapshots() {
    let (dir, _) = folder("history-reports");
    // The last four weeks kept as check reports, not snapshots.
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in &files[WEEKS - 4..] {
        let report = path.with_extension("report.json");
        let out = run(&[
            "check",
            "--snapshot",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--allow-gaps",
            "--fail-on",
            "never",
            "-o",
            report.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        std::fs::remove_file(path).unwrap();
    }
    let mixed = history(&[dir.to_str().unwrap()]);
    let all = history(&[folder("history-all").0.to_str().unwrap()]);
    let runs = mixed["runs"].as_array().unwrap();
    assert_eq!(runs.len(), WEEKS);
    for (a, b) in runs.iter().zip(all["runs"].as_array().unwrap()) {
        for key in [
            "captured_at",
            "findings",
            "new",
            "resolved",
            "by_rule",
            "by_severity",
        ] {
            assert_eq!(a[key], b[key], "{key} of {}", a["captured_at"]);
        }
    }
    assert_eq!(runs[WEEKS - 1]["kind"], "report");
    assert!(
        runs[WEEKS - 1].get("access").is_none(),
        "reports hold no access"
    );
}

#[test]
fn csv_and_parquet_read_back_in_duckdb_equal_the_json() {
    let (dir, _) = folder("history-parquet");
    let report = history(&[dir.to_str().unwrap()]);
    let out_dir = temp_dir("history-parquet-out");
    let (csv, parquet) = (out_dir.join("runs.csv"), out_dir.join("runs.parquet"));
    for (format, path) in [("csv", &csv), ("parquet", &parquet)] {
        let out = run(&[
            "history",
            dir.to_str().unwrap(),
            "--format",
            format,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let script = r#"
import duckdb, json, sys
rows = {}
for name, query in (("parquet", "read_parquet(?)"), ("csv", "read_csv(?)")):
    path = sys.argv[1] if name == "parquet" else sys.argv[2]
    con = duckdb.connect()
    result = con.execute(
        "select strftime(captured_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ'), findings, critical, high, medium, low, info, new, resolved, administrator_seats, users_added, users_removed, unused_assignments, typeof(captured_at), typeof(findings) from " + query + " order by captured_at",
        [path]).fetchall()
    rows[name] = [list(r) for r in result]
print(json.dumps(rows))
"#;
    let read = python_json(&[
        "-c",
        script,
        parquet.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    for format in ["parquet", "csv"] {
        let rows = read[format].as_array().unwrap();
        assert_eq!(rows.len(), WEEKS, "{format}");
        for (row, run) in rows.iter().zip(report["runs"].as_array().unwrap()) {
            let severity = |s: &str| run["by_severity"][s].as_i64().unwrap_or(0);
            let seats: i64 = run["access"]
                .as_object()
                .unwrap()
                .values()
                .map(|a| a["administrator"].as_i64().unwrap())
                .sum();
            let expected = serde_json::json!([
                run["captured_at"],
                run["findings"],
                severity("critical"),
                severity("high"),
                severity("medium"),
                severity("low"),
                severity("info"),
                run["new"],
                run["resolved"],
                seats,
                run["users_added"].as_array().unwrap().len(),
                run["users_removed"].as_array().unwrap().len(),
                run["unused_assignments"],
            ]);
            assert_eq!(
                row.as_array().unwrap()[..13],
                expected.as_array().unwrap()[..],
                "{format}"
            );
        }
        if format == "parquet" {
            // Typed columns: a UTC timestamp and integers, not text.
            assert_eq!(rows[0][13], "TIMESTAMP WITH TIME ZONE");
            assert_eq!(rows[0][14], "BIGINT");
        }
    }
}

#[test]
fn files_that_are_not_runs_are_refused_by_name() {
    let (dir, _) = folder("history-bad");
    let newer = dir.join("2027-01-03.json");
    std::fs::write(&newer, r#"{"schema_version": 99, "metadata": {}}"#).unwrap();
    let out = run(&["history", dir.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("2027-01-03.json"), "{}", out.stderr);
    std::fs::remove_file(&newer).unwrap();
    let report = dir.join("2027-01-10.json");
    std::fs::write(
        &report,
        r#"{"version": 7, "tool": {"version": "9.0.0"}, "findings": []}"#,
    )
    .unwrap();
    let out = run(&["history", dir.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("2027-01-10.json") && out.stderr.contains("report version 7"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(&report).unwrap();
    // Two runs of one moment.
    let copy = dir.join("copy-2026-09-06.json");
    std::fs::copy(dir.join("2026-09-06.json"), &copy).unwrap();
    let out = run(&["history", dir.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("captured at the same time"),
        "{}",
        out.stderr
    );
}

/// What Chromium saw of a page with the history section (tests/browser/history.mjs).
fn browse(page: &std::path::Path, out: &std::path::Path) -> Value {
    let output = std::process::Command::new("node")
        .arg(root().join("tests/browser/history.mjs"))
        .arg(page)
        .arg(out)
        .output()
        .expect("node runs (scripts/test installs playwright-core and chromium)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    json(&String::from_utf8(output.stdout).unwrap())
}

#[test]
fn the_plots_render_in_chromium_and_equal_the_json() {
    let (dir, _) = folder("history-plots");
    let report = history(&[dir.to_str().unwrap()]);
    let out = temp_dir("history-plots-out");
    let page = out.join("history.html");
    let written = run(&[
        "history",
        dir.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script"),
        "the plots are drawn by the report, not a script"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));

    let seen = browse(&page, &out);
    assert_eq!(seen["errors"], serde_json::json!([]));
    assert_eq!(seen["requests"], serde_json::json!([]), "nothing fetched");
    let runs = report["runs"].as_array().unwrap();
    // The points each plot should have, from the JSON: (series, run) -> value.
    let mut severity = BTreeMap::new();
    let mut seats = BTreeMap::new();
    for run in runs {
        let at = run["captured_at"].as_str().unwrap().to_string();
        for level in ["critical", "high", "medium", "low", "info"] {
            let n = run["by_severity"][level].as_f64().unwrap_or(0.0);
            severity.insert((level.to_string(), at.clone()), n);
        }
        for (account, access) in run["access"].as_object().unwrap() {
            seats.insert(
                (account.clone(), at.clone()),
                access["administrator"].as_f64().unwrap(),
            );
        }
    }
    let mut fix: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for fixed in report["fixed_findings"].as_array().unwrap() {
        fix.entry((
            "median days to fix".to_string(),
            fixed["fixed_at"].as_str().unwrap().to_string(),
        ))
        .or_default()
        .push(fixed["days_to_fix"].as_f64().unwrap());
    }
    let fix: BTreeMap<(String, String), f64> = fix
        .into_iter()
        .map(|(k, mut days)| {
            days.sort_by(f64::total_cmp);
            let n = days.len();
            let median = if n % 2 == 1 {
                days[n / 2]
            } else {
                (days[n / 2 - 1] + days[n / 2]) / 2.0
            };
            (k, median)
        })
        .collect();
    assert_eq!(fix.len(), 3, "fixes in weeks 4, 5 and 9: {fix:?}");
    for scheme in ["light", "dark"] {
        let plots = &seen[scheme]["plots"];
        for (id, expected) in [
            ("history-severity-plot", &severity),
            ("history-seats-plot", &seats),
            ("history-fix-plot", &fix),
        ] {
            let points = plots[id]["points"]
                .as_array()
                .unwrap_or_else(|| panic!("{id} in {seen}"));
            let drawn: BTreeMap<(String, String), f64> = points
                .iter()
                .map(|p| {
                    assert_eq!(p["drawn_at_value"], true, "{scheme} {id}: {p}");
                    (
                        (
                            p["series"].as_str().unwrap().to_string(),
                            p["run"].as_str().unwrap().to_string(),
                        ),
                        p["value"].as_f64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(&drawn, expected, "{scheme}: {id}");
            assert!(
                plots[id]["text_contrast"].as_f64().unwrap() >= 4.5,
                "{scheme}: labels of {id} readable: {}",
                plots[id]
            );
            for p in points {
                assert!(
                    p["contrast"].as_f64().unwrap() >= 2.0,
                    "{scheme}: {id} point visible: {p}"
                );
            }
        }
        // The table below the severity plot holds the same numbers.
        let rows = seen[scheme]["tables"]["history-severity-numbers"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), runs.len());
        for (row, run) in rows.iter().zip(runs) {
            assert_eq!(row["run"], run["captured_at"]);
            for level in ["critical", "high", "medium", "low", "info"] {
                assert_eq!(
                    row[level].as_str().unwrap(),
                    run["by_severity"][level].as_i64().unwrap_or(0).to_string()
                );
            }
        }
        assert!(seen[scheme]["body_contrast"].as_f64().unwrap() >= 7.0);
    }
    assert_ne!(
        seen["light"]["background"], seen["dark"]["background"],
        "a dark mode"
    );

    // The check report gains the same section with --history.
    let check_page = out.join("check.html");
    let checked = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--now",
        NOW,
        "--allow-gaps",
        "--format",
        "html",
        "--history",
        dir.to_str().unwrap(),
        "-o",
        check_page.to_str().unwrap(),
    ]);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    let html = std::fs::read_to_string(&check_page).unwrap();
    assert!(html.contains(r#"<section id="history""#) && html.contains(r##"<a href="#history">"##));
    // Anywhere but in the HTML report the plots would be lost: said, not ignored.
    let json_report = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--now",
        NOW,
        "--format",
        "json",
        "--history",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(json_report.code, 2);
    assert!(
        json_report.stderr.contains("use it with --format html"),
        "{}",
        json_report.stderr
    );
    let seen = browse(&check_page, &out);
    assert_eq!(seen["errors"], serde_json::json!([]));
    assert_eq!(
        seen["light"]["plots"]["history-severity-plot"]["points"]
            .as_array()
            .unwrap()
            .len(),
        severity.len()
    );
}

#[test]
fn seats_counted_per_account_equal_the_access_rows() {
    // History counts seats without expanding rows: the counts equal what `access` lists (each
    // active user's highest capability per account), on an organization with entitlements,
    // chains, member-account IAM users and a disabled user.
    let snapshot = ssoaudit::snapshot::Snapshot::load(&root().join(VIOLATING)).unwrap();
    let model = ssoaudit::model::Model::new(&snapshot);
    let rows = ssoaudit::access::effective_access(&snapshot, &Default::default());
    let mut expected: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut best: BTreeMap<(String, String), u8> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.user_active) {
        let rank = ssoaudit::access::capability_rank(row.capability);
        let entry = best
            .entry((row.account_id.clone(), row.user_id.clone()))
            .or_insert(rank);
        *entry = (*entry).max(rank);
    }
    for ((account, _), rank) in best {
        expected.entry(account).or_default()[rank as usize] += 1;
    }
    let counted: BTreeMap<String, [usize; 4]> = ssoaudit::access::seats_by_account(&model)
        .into_iter()
        .filter(|(_, seats)| seats.iter().sum::<usize>() > 0)
        .map(|((_, id), seats)| (id.to_string(), seats))
        .collect();
    assert!(expected.len() >= 11, "{expected:?}");
    assert_eq!(counted, expected);
}
