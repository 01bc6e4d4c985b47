//! The HTML report in a real browser: Debian's Chromium (headless, driven by playwright-core;
//! scripts/test installs both) renders the report of the violating fixture; what the page shows
//! equals the JSON report, its filters and its access matrix work, and screenshots are taken.

mod common;

use common::*;
use std::collections::BTreeSet;

fn check(format: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--snapshot",
        REFUSED,
        "--format",
        format,
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// What the browser saw of a report (tests/browser/report.mjs).
fn browse(html: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let output = std::process::Command::new("node")
        .arg(root().join("tests/browser/report.mjs"))
        .arg(html)
        .arg(out)
        .args(extra)
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
fn the_html_report_shows_in_chromium_what_the_json_report_says() {
    let dir = temp_dir("html");
    let html = dir.join("report.html");
    let out = check("html", &["-o", html.to_str().unwrap()]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let text = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing is loaded from anywhere else, and the policy forbids it.
    for external in ["<link", "src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!text.contains(external), "{external}");
    }
    assert!(text.contains("default-src 'none'"));
    // Deterministic.
    let again = dir.join("again.html");
    check("html", &["-o", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());

    let report = json(&check("json", &[]).stdout);
    let findings = report["findings"].as_array().unwrap();
    let seen = browse(&html, &dir, &["core-root", "BillingAdmin", "developers"]);
    assert_eq!(seen["errors"], serde_json::json!([]), "no script error");
    assert_eq!(
        seen["requests"],
        serde_json::json!([]),
        "no request leaves the file"
    );

    // The summary and the counts are the JSON report's.
    let summary = check("table", &[]).stdout;
    assert!(
        summary
            .trim_end()
            .ends_with(seen["summary"].as_str().unwrap()),
        "{}",
        seen["summary"]
    );
    assert_eq!(
        seen["finding_count"],
        format!("{} findings", findings.len())
    );
    assert_eq!(seen["finding_rows"], findings.len());
    let severities: Vec<&str> = findings
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(seen["severities"], serde_json::json!(severities));
    // Gaps first, as an alert, one row per distinct gap.
    let gaps: BTreeSet<(String, String, String, String)> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["gaps"].as_array().unwrap().iter())
        .map(|g| {
            (
                g["area"].to_string(),
                g["operation"].to_string(),
                g["resource"].to_string(),
                g["error"].to_string(),
            )
        })
        .collect();
    assert_eq!(seen["gap_rows"], gaps.len());
    assert_eq!(seen["gaps_alert"], true);

    // Filters: severity, then text search.
    let critical = severities.iter().filter(|s| **s == "critical").count();
    assert_eq!(seen["critical_rows"], critical);
    assert_eq!(
        seen["critical_count"],
        format!("{critical} of {} findings", findings.len())
    );
    assert_eq!(seen["critical_all"], true);
    let breakglass = findings
        .iter()
        .filter(|f| f.to_string().contains("breakglass"))
        .count();
    assert!(breakglass > 0);
    assert_eq!(seen["search_rows"], breakglass);
    assert_eq!(seen["after_clear_rows"], findings.len());

    // The matrix: every account; core-root's BillingAdmin cell holds its sets and the
    // entitlement's role (dashed, administrator), and opens to the group's members.
    let snapshot = json(&std::fs::read_to_string(root().join(REFUSED)).unwrap());
    assert_eq!(
        seen["matrix_rows"],
        snapshot["organization"]["accounts"]
            .as_array()
            .unwrap()
            .len()
    );
    assert_eq!(seen["matrix_filtered_rows"], 1);
    let access = json(
        &run(&[
            "access",
            "--snapshot",
            REFUSED,
            "--account",
            "core-root",
            "--group",
            "BillingAdmin",
            "--format",
            "json",
        ])
        .stdout,
    );
    let rows = access["access"].as_array().unwrap();
    let sets: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["permission_set"].as_str().unwrap())
        .collect();
    let chips: BTreeSet<&str> = seen["cell_chips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(chips, sets);
    let classes = seen["cell_classes"].as_array().unwrap();
    let role = seen["cell_chips"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "role/acme-core-gbl-root-breakglass")
        .unwrap();
    assert_eq!(classes[role], "chip administrator route-entitlement");
    assert_eq!(seen["cell_open"], true, "Enter opens the cell");
    let users: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["user_name"].as_str().unwrap())
        .collect();
    let listed: BTreeSet<&str> = seen["cell_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert_eq!(listed, users);
    // core-root's developers cell: administrator two hops away, marked as a chain.
    let other: Vec<(&str, &str)> = seen["other_chips"]
        .as_array()
        .unwrap()
        .iter()
        .zip(seen["other_classes"].as_array().unwrap())
        .map(|(chip, class)| (chip.as_str().unwrap(), class.as_str().unwrap()))
        .collect();
    assert!(
        other.contains(&(
            "role/acme-core-gbl-root-admin",
            "chip administrator route-chain"
        )),
        "{other:?}"
    );
    // Every set, every role entitlements or chains reach, and the evidence period.
    let everyone = json(&run(&["access", "--snapshot", REFUSED, "--format", "json"]).stdout);
    let roles: BTreeSet<&str> = everyone["access"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["route"] == "entitlement" || r["route"] == "chain")
        .map(|r| r["permission_set_arn"].as_str().unwrap())
        .collect();
    assert!(roles.len() > 2, "{roles:?}");
    assert_eq!(
        seen["set_rows"],
        snapshot["permission_sets"].as_array().unwrap().len() + roles.len()
    );
    assert!(seen["coverage"].as_str().unwrap().contains("trail-logs"));
    for shot in ["overview.png", "matrix.png"] {
        let size = std::fs::metadata(dir.join(shot)).unwrap().len();
        assert!(size > 20_000, "{shot}: {size} bytes");
    }
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        for shot in ["overview.png", "matrix.png"] {
            std::fs::copy(
                dir.join(shot),
                root().join("docs/images").join(format!("report-{shot}")),
            )
            .unwrap();
        }
    }
}

#[test]
fn a_clean_report_says_so() {
    let dir = temp_dir("html-clean");
    let html = dir.join("report.html");
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--format",
        "html",
        "--now",
        NOW,
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0);
    let seen = browse(&html, &dir, &[]);
    assert_eq!(seen["errors"], serde_json::json!([]));
    assert_eq!(seen["finding_count"], "0 findings");
    assert_eq!(seen["gaps_alert"], false);
    assert_eq!(seen["gap_rows"], 0);
}
