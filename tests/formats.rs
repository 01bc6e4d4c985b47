//! The Markdown and JUnit reports of `check`, on the fixtures and on a generated organization
//! large enough to meet GitHub's size limit.

mod common;

use common::*;
use std::collections::BTreeSet;

fn check(snapshot: &str, format: &str) -> Output {
    run(&[
        "check",
        "--snapshot",
        snapshot,
        "--format",
        format,
        "--now",
        NOW,
    ])
}

/// The unsuppressed findings of the JSON report: (rule, message).
fn json_findings(snapshot: &str) -> Vec<(String, String)> {
    let report = json(&check(snapshot, "json").stdout);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn markdown_shows_gaps_first_and_every_finding() {
    let out = check(REFUSED, "markdown");
    assert_eq!(out.code, 3, "gaps decide the exit code as in every format");
    let text = &out.stdout;
    assert!(text.starts_with("## ssoaudit: IAM Identity Center audit\n"));
    // The counts of the JSON report of the same run.
    let report = json(&check(REFUSED, "json").stdout);
    let by_severity: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|s| {
            report["summary"]["by_severity"][s]
                .as_u64()
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    assert!(text.contains(&format!(
        "**{} findings ({}); {} rules evaluated",
        report["findings"].as_array().unwrap().len(),
        by_severity.join(", "),
        BUILTIN_IDS.len()
    )));
    let gaps = text.find("### Collection gaps").expect("a gaps section");
    let warning = text.find("> [!WARNING]").expect("a warning");
    let first_finding = text.find("### critical").expect("findings by severity");
    assert!(warning < gaps && gaps < first_finding);
    // Every finding is a row, its message escaped for a table cell: whole when short, in brief
    // (its start) when longer than 300 characters.
    for (rule, message) in json_findings(REFUSED) {
        let row = format!("| `{rule}` |");
        assert!(text.contains(&row), "{rule}");
        let shown: String = if message.chars().count() > 300 {
            message.chars().take(120).collect()
        } else {
            message.clone()
        };
        assert!(
            text.contains(&shown.replace('|', "\\|")),
            "{rule}: {message}"
        );
    }
    assert!(!text.contains("more row"), "nothing cut");
    // Deterministic.
    assert_eq!(check(REFUSED, "markdown").stdout, out.stdout);

    let clean = check(COMPLIANT, "markdown");
    assert_eq!(clean.code, 0);
    assert!(clean.stdout.contains(&format!(
        "**no findings; {} rules evaluated",
        BUILTIN_IDS.len()
    )));
    assert!(!clean.stdout.contains("[!WARNING]"));
}

/// `check` of the large organization with its review rule, in `format`.
fn large_report(large: &(String, String), format: &str) -> Output {
    run(&[
        "check",
        "--snapshot",
        &large.0,
        "--rules",
        &large.1,
        "--format",
        format,
        "--now",
        NOW,
    ])
}

/// A generated organization and a review rule that lists every access row: thousands of
/// findings. Returns the snapshot and the rule folder.
fn large_with_review_rule(name: &str) -> (String, String) {
    let mut snapshot = ssoaudit_generate::large(
        ssoaudit_generate::Scale {
            accounts: 60,
            permission_sets: 16,
            groups: 40,
            users: 400,
            assignments: 600,
        },
        3,
    );
    snapshot.account_access = Some(Default::default());
    let dir = temp_dir(name);
    let path = dir.join("large.json");
    std::fs::write(&path, snapshot.to_canonical_json()).unwrap();
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("every-access.yaml"),
        "id: every-access\ntitle: Every access row, for review\nseverity: low\nsubject: access\ncondition: user.active\nmessage: \"{user.name} reaches {account.name} with {permission_set.name} through {via.name}\"\nrationale: r\nremediation: x\n",
    )
    .unwrap();
    (
        path.to_str().unwrap().to_string(),
        rules.to_str().unwrap().to_string(),
    )
}

#[test]
fn markdown_of_a_large_organization_fits_a_github_comment() {
    let large = large_with_review_rule("markdown-large");
    let report = |format: &str| large_report(&large, format);
    let findings = json(&report("json").stdout)["findings"]
        .as_array()
        .unwrap()
        .len();
    let out = report("markdown");
    let text = &out.stdout;
    assert!(
        text.chars().count() <= 65_536,
        "{} characters",
        text.chars().count()
    );
    // What was cut is said, with where the rest is, and the cut is at a row.
    let note = text.rfind("> [!NOTE]").expect("a truncation note");
    let left_out: usize = text[note..]
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    let shown = text[..note]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .count();
    assert!(findings > 2_000, "{findings} findings");
    // Gap rows come first, all shown.
    let gaps = text.find("### Collection gaps").expect("gaps listed");
    assert!(gaps < text.find("### low").unwrap());
    assert!(left_out > 0);
    assert_eq!(
        shown + left_out,
        findings,
        "every finding is shown or counted"
    );
    assert!(text.contains("--format json"));
    assert!(
        text[..note].trim_end_matches('\n').ends_with('|'),
        "cut after a whole row"
    );
}

/// Validates JUnit XML against the Jenkins/Surefire schema with the Python `xmlschema`
/// package (scripts/test installs it).
fn validate_junit(xml: &str) {
    let dir = temp_dir("junit");
    let path = dir.join("report.xml");
    std::fs::write(&path, xml).unwrap();
    let output = std::process::Command::new(root().join(".venv/bin/python"))
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
        ])
        .arg(root().join("fixtures/junit-10.xsd"))
        .arg(&path)
        .output()
        .expect("the test environment's python (scripts/test installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn attribute(xml: &str, element: &str, name: &str) -> usize {
    let start = xml.find(&format!("<{element} ")).unwrap();
    let tag = &xml[start..start + xml[start..].find('>').unwrap()];
    let value = tag.split(&format!(" {name}=\"")).nth(1).unwrap();
    value[..value.find('"').unwrap()].parse().unwrap()
}

#[test]
fn junit_has_one_case_per_rule_and_validates_against_the_schema() {
    let out = check(REFUSED, "junit");
    assert_eq!(out.code, 3);
    let xml = &out.stdout;
    validate_junit(xml);
    let report = json(&check(REFUSED, "json").stdout);
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    // Rules with a finding at or above --fail-on (low by default) fail.
    let failing: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    let cases = xml.matches("<testcase ").count();
    assert_eq!(cases, ALL_BUILTIN_RULES);
    assert_eq!(attribute(xml, "testsuite", "tests"), ALL_BUILTIN_RULES);
    assert_eq!(xml.matches("<failure ").count(), failing.len());
    assert_eq!(attribute(xml, "testsuite", "failures"), failing.len());
    // The info finding is in its case's output, not a failure.
    assert!(rules.len() > failing.len() && xml.contains("(below --fail-on)"));
    assert_eq!(
        attribute(xml, "testsuite", "errors"),
        report["incomplete"].as_array().unwrap().len()
    );
    // Drift rules without a stack file, and the rule that compares with a previous run
    // without one, are skipped, not passed.
    assert_eq!(attribute(xml, "testsuite", "skipped"), 9);
    assert_eq!(xml.matches("<skipped ").count(), 9);
    assert_eq!(xml.matches("no previous snapshot (--previous)").count(), 1);
    // Every finding is in its rule's failure, escaped.
    for (_, message) in json_findings(REFUSED) {
        let escaped = message
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;");
        assert!(xml.contains(&escaped), "{message}");
    }
    // Below --fail-on: no failure, the findings in the case's output.
    let lenient = run(&[
        "check",
        "--snapshot",
        REFUSED,
        "--format",
        "junit",
        "--now",
        NOW,
        "--fail-on",
        "critical",
        "--allow-gaps",
    ]);
    validate_junit(&lenient.stdout);
    assert!(lenient.stdout.contains("(below --fail-on)"));
    assert!(lenient.stdout.matches("<failure ").count() < failing.len());

    let clean = check(COMPLIANT, "junit");
    assert_eq!(clean.code, 0);
    validate_junit(&clean.stdout);
    assert_eq!(attribute(&clean.stdout, "testsuite", "failures"), 0);
    assert_eq!(attribute(&clean.stdout, "testsuite", "errors"), 0);
}

/// `check` of `snapshot` against the JSON report `baseline`, in `format`, gaps allowed.
fn against(snapshot: &str, baseline: &std::path::Path, format: &str) -> Output {
    run(&[
        "check",
        "--snapshot",
        snapshot,
        "--baseline",
        baseline.to_str().unwrap(),
        "--allow-gaps",
        "--format",
        format,
        "--now",
        NOW,
    ])
}

#[test]
fn a_baseline_lets_known_findings_pass_and_new_ones_fail() {
    let dir = temp_dir("baseline");
    let report = check(REFUSED, "json").stdout;
    // The whole earlier state: nothing new, nothing fails.
    let same = dir.join("same.json");
    std::fs::write(&same, &report).unwrap();
    let out = against(REFUSED, &same, "table");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("; baseline: 0 new, 73 unchanged, 0 resolved"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(in the baseline: not failing)"));

    // An earlier state without two of today's findings and with one that is gone since.
    let mut earlier = json(&report);
    let findings = earlier["findings"].as_array_mut().unwrap();
    let removed: Vec<serde_json::Value> = vec![findings.remove(3), findings.remove(10)];
    let mut gone = findings[0].clone();
    gone["fingerprint"] = serde_json::json!("00000000000000000000000000000000");
    gone["message"] = serde_json::json!("a finding fixed since");
    findings.push(gone);
    let path = dir.join("earlier.json");
    std::fs::write(&path, serde_json::to_string(&earlier).unwrap()).unwrap();

    let out = against(REFUSED, &path, "json");
    assert_eq!(out.code, 1, "new findings fail the run");
    let now = json(&out.stdout);
    assert_eq!(
        now["summary"]["baseline"],
        serde_json::json!({
            "new": 2,
            "unchanged": 71,
            "resolved": 1,
            "resolved_findings": [{
                "rule_id": gone_rule(&earlier),
                "fingerprint": "00000000000000000000000000000000",
                "message": "a finding fixed since"
            }]
        })
    );
    let new: BTreeSet<&str> = now["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = removed
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(new, expected);

    // SARIF: baselineState on every result, still valid.
    let sarif = json(&against(REFUSED, &path, "sarif").stdout);
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .filter(|r| r["baselineState"] == "new")
            .count(),
        2
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| r["baselineState"] == "unchanged")
            .count(),
        71
    );
    assert_eq!(sarif["runs"][0]["properties"]["baseline"]["resolved"], 1);

    // Markdown and JUnit say it too; only the new findings fail in JUnit.
    let markdown = against(REFUSED, &path, "markdown").stdout;
    assert!(
        markdown
            .contains("Against the baseline: **2 new**, 71 unchanged (not failing), 1 resolved."),
        "{markdown}"
    );
    let junit = against(REFUSED, &path, "junit").stdout;
    validate_junit(&junit);
    let failing: BTreeSet<&str> = removed
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(!failing.is_empty());
    assert_eq!(attribute(&junit, "testsuite", "failures"), failing.len());
    assert!(junit.contains("(in the baseline)"));
    assert!(
        junit.contains("<property name=\"baseline\" value=\"2 new, 71 unchanged, 1 resolved\"/>")
    );

    // Everything fixed: all resolved.
    let out = against(COMPLIANT, &same, "table");
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("baseline: 0 new, 0 unchanged, 73 resolved")
    );
}

fn gone_rule(earlier: &serde_json::Value) -> String {
    earlier["findings"].as_array().unwrap().last().unwrap()["rule_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_baseline_that_is_not_a_report_is_an_input_error() {
    let dir = temp_dir("bad-baseline");
    for (name, text, says) in [
        ("missing.json", None, "cannot read the baseline"),
        (
            "snapshot.json",
            Some("{\"schema_version\": 1}"),
            "is not a JSON report of `ssoaudit check`",
        ),
        (
            "sarif.json",
            Some("{\"version\": \"2.1.0\", \"runs\": []}"),
            "is not a JSON report",
        ),
        (
            "other.json",
            Some("{\"version\": 1, \"tool\": {\"name\": \"other\"}, \"findings\": []}"),
            "written by other",
        ),
    ] {
        let path = dir.join(name);
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        let out = against(REFUSED, &path, "json");
        assert_eq!(out.code, 2, "{name}");
        assert!(
            out.stderr.contains(says) && out.stderr.contains(name),
            "{name}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn sarif_of_a_large_organization_stays_within_what_github_accepts() {
    let large = large_with_review_rule("sarif-large");
    let report = |format: &str| large_report(&large, format);
    let findings = json(&report("json").stdout)["findings"]
        .as_array()
        .unwrap()
        .len();
    assert!(findings > 5_000, "{findings} findings");
    let text = report("sarif").stdout;
    let sarif = json(&text);
    assert_valid_sarif(&sarif);
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(results.len() <= 5_000, "{}", results.len());
    // Upload size: GitHub refuses more than 10 MB gzipped.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    let size = gz.finish().unwrap().len();
    assert!(size < 10 * 1024 * 1024, "{size} bytes gzipped");
    // Nothing lost without a word: every finding is a result or counted in one.
    let counted: u64 = results
        .iter()
        .map(|r| r["properties"]["groupedFindings"].as_u64().unwrap_or(1))
        .sum();
    assert_eq!(counted as usize, findings);
    let grouped: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["properties"]["groupedFindings"].is_u64())
        .collect();
    assert!(grouped.iter().any(|r| {
        r["ruleId"] == "every-access"
            && r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("findings of every-access in ")
    }));
    for result in &grouped {
        let rule = result["ruleId"].as_str().unwrap();
        let text = result["message"]["text"].as_str().unwrap();
        assert!(text.contains(&format!("findings of {rule}")), "{text}");
        assert!(
            !result["properties"]["firstResources"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    let notes: Vec<&str> = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["descriptor"]["id"] == "results-grouped")
        .map(|n| n["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains(&format!("{findings} findings")),
        "{}",
        notes[0]
    );
    // Fingerprints stay unique, and the most severe come first.
    let fingerprints: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fingerprints.len(), results.len());
    let rank = |r: &serde_json::Value| match r["properties"]["severity"].as_str().unwrap() {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    };
    assert!(results.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])));
}
