//! Every report format against expectations written by hand: the planted violations of the
//! reference organization, as `tests/rule_cases/<rule>.yaml` lists them (rule, resource kind and
//! name of each finding). The committed goldens in `reports/` are the program's own output; this
//! checks each format's content independently of them.

mod common;

use common::*;
use std::collections::BTreeMap;

const STACK: &str = "fixtures/stacks/reference-violating.yaml";

#[derive(serde::Deserialize)]
struct Cases {
    violating: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    kind: String,
    resource: String,
}

/// A finding as every format can show it: rule, resource kind, resource name. Counted, since a
/// rule may find the same resource name twice (at two stack lines).
type Expected = BTreeMap<(String, String, String), usize>;

fn expected() -> Expected {
    let mut all = Expected::new();
    for entry in std::fs::read_dir(root().join("tests/rule_cases")).unwrap() {
        let path = entry.unwrap().path();
        let rule = path.file_stem().unwrap().to_string_lossy().into_owned();
        let cases: Cases =
            serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in cases.violating {
            *all.entry((rule.clone(), case.kind, case.resource))
                .or_default() += 1;
        }
    }
    all
}

fn report(format: &str) -> String {
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--desired",
        STACK,
        "--previous",
        "fixtures/reference-violating-previous.snapshot.json",
        "--allow-gaps",
        "--now",
        NOW,
        "--fail-on",
        "info",
        "--format",
        format,
    ]);
    assert_eq!(out.code, 1, "{format}: {}", out.stderr);
    out.stdout
}

fn count(found: impl IntoIterator<Item = (String, String, String)>) -> Expected {
    let mut all = Expected::new();
    for key in found {
        *all.entry(key).or_default() += 1;
    }
    all
}

/// The expectations without what a format does not show.
fn without_kind(expected: &Expected) -> BTreeMap<(String, String), usize> {
    let mut all = BTreeMap::new();
    for ((rule, _, resource), n) in expected {
        *all.entry((rule.clone(), resource.clone())).or_default() += n;
    }
    all
}

#[test]
fn json_sarif_and_html_hold_exactly_the_planted_violations() {
    let expected = expected();
    assert!(expected.values().sum::<usize>() > 50);

    let json_report = json(&report("json"));
    let found = count(json_report["findings"].as_array().unwrap().iter().map(|f| {
        (
            f["rule_id"].as_str().unwrap().to_string(),
            f["resource"]["kind"].as_str().unwrap().to_string(),
            f["resource"]["name"].as_str().unwrap().to_string(),
        )
    }));
    assert_eq!(found, expected, "json");

    let sarif = json(&report("sarif"));
    let found = count(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let location = &r["locations"][0]["logicalLocations"][0];
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    location["kind"].as_str().unwrap().to_string(),
                    location["name"].as_str().unwrap().to_string(),
                )
            }),
    );
    assert_eq!(found, expected, "sarif");

    let html = report("html");
    let marker = r#"<script type="application/json" id="data">"#;
    let start = html.find(marker).unwrap() + marker.len();
    let data = json(&html[start..start + html[start..].find("</script>").unwrap()]);
    let found = count(data["findings"].as_array().unwrap().iter().map(|f| {
        (
            f["rule"].as_str().unwrap().to_string(),
            f["kind"].as_str().unwrap().to_string(),
            f["resource"].as_str().unwrap().to_string(),
        )
    }));
    assert_eq!(found, expected, "html");
}

#[test]
fn markdown_and_junit_hold_exactly_the_planted_violations() {
    let expected = without_kind(&expected());

    let markdown = report("markdown");
    let mut found = BTreeMap::new();
    for row in markdown.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        let rule = cells[0].trim_matches('`').to_string();
        *found
            .entry((rule, cells[1].replace("\\|", "|")))
            .or_insert(0) += 1;
    }
    assert_eq!(found, expected, "markdown");

    // JUnit: a failure per rule, one line per finding: `[severity] resource: message`.
    let junit = report("junit");
    let mut found = BTreeMap::new();
    let mut rule = String::new();
    for line in junit.lines() {
        if let Some(rest) = line.trim().strip_prefix("<testcase ")
            && let Some(name) = rest.split(" name=\"").nth(1)
        {
            rule = name.split(':').next().unwrap().to_string();
        }
        let text = line.trim().trim_start_matches(|c| c != '[');
        let Some(rest) = text.strip_prefix('[') else {
            continue;
        };
        let Some((_, finding)) = rest.split_once("] ") else {
            continue;
        };
        let resource = finding.split_once(": ").map(|(r, _)| r).unwrap_or(finding);
        let resource = resource
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        *found.entry((rule.clone(), resource)).or_insert(0) += 1;
    }
    assert_eq!(found, expected, "junit");
}

#[test]
fn the_table_holds_exactly_the_planted_violations() {
    // A row's cells wrap over several lines: its pieces are joined, white space left out.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let mut wanted = BTreeMap::new();
    for ((rule, kind, resource), n) in expected() {
        *wanted
            .entry((rule, squeeze(&format!("{kind} {resource}"))))
            .or_insert(0) += n;
    }
    let table = report("table");
    let mut found: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in table.lines().filter(|l| l.starts_with('│')) {
        let cells: Vec<&str> = line.trim_matches('│').split('┆').map(str::trim).collect();
        if cells.len() != 4 || cells[0] == "Severity" {
            continue;
        }
        if !cells[0].is_empty() {
            if let Some(row) = current.take() {
                *found.entry(row).or_insert(0) += 1;
            }
            current = Some((String::new(), String::new()));
        }
        if let Some((rule, resource)) = current.as_mut() {
            rule.push_str(&squeeze(cells[1]));
            resource.push_str(&squeeze(cells[2]));
        }
    }
    if let Some(row) = current {
        *found.entry(row).or_insert(0) += 1;
    }
    assert_eq!(found, wanted, "table");
}
