//! Every built-in rule has its cases: `tests/rule_cases/<rule-id>.yaml` lists, by hand, the
//! findings the rule gives on the violating reference organization (each a planted violation)
//! and on the compliant one (usually none). The rules are discovered from `rules/`, so a rule
//! cannot land without its cases, and a case names the resource (and, for drift, the stack
//! line) of every finding, not only the rule id. Gaps are allowed here (the violating
//! organization has a set whose customer managed policy cannot be read); they are tested on
//! their own.

mod common;

use common::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    violating: Vec<Expected>,
    compliant: Vec<Expected>,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Expected {
    kind: String,
    resource: String,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    id: Option<String>,
    /// Text the message contains.
    #[serde(default)]
    message: Option<String>,
}

const VIOLATING_STACK: &str = "fixtures/stacks/reference-violating.yaml";
const COMPLIANT_STACK: &str = "fixtures/stacks/reference-compliant.yaml";

/// The previous run's snapshot each organization is checked against: the violating one a week
/// earlier (IdP identities changed since), the compliant one itself (nothing changed).
fn previous(snapshot: &str) -> &'static str {
    if snapshot == VIOLATING {
        "fixtures/reference-violating-previous.snapshot.json"
    } else {
        COMPLIANT
    }
}

fn findings(rule: &str, snapshot: &str, stack: &str) -> (i32, Vec<serde_json::Value>) {
    let out = run(&[
        "check",
        "--snapshot",
        snapshot,
        "--desired",
        stack,
        "--previous",
        previous(snapshot),
        "--only",
        rule,
        "--allow-gaps",
        "--format",
        "json",
        "--now",
        NOW,
        "--fail-on",
        "info",
    ]);
    let report = json(&out.stdout);
    (out.code, report["findings"].as_array().unwrap().clone())
}

/// Whether a finding is the one a case expects.
fn matches(expected: &Expected, finding: &serde_json::Value) -> bool {
    finding["resource"]["kind"] == expected.kind.as_str()
        && finding["resource"]["name"] == expected.resource.as_str()
        && expected
            .line
            .is_none_or(|line| finding["location"]["line"] == line)
        && expected
            .id
            .as_ref()
            .is_none_or(|id| finding["resource"]["id"] == id.as_str())
        && expected.message.as_ref().is_none_or(|text| {
            finding["message"]
                .as_str()
                .is_some_and(|m| m.contains(text.as_str()))
        })
}

/// Each expected finding matches one finding, and nothing else was found.
fn compare(rule: &str, case: &str, expected: &[Expected], found: &[serde_json::Value]) {
    let mut unmatched: Vec<&serde_json::Value> = found.iter().collect();
    for want in expected {
        let Some(i) = unmatched.iter().position(|f| matches(want, f)) else {
            panic!("{rule} ({case}): expected {want:?}, not among {unmatched:#?}");
        };
        unmatched.remove(i);
    }
    assert!(
        unmatched.is_empty(),
        "{rule} ({case}): unexpected findings {unmatched:#?}"
    );
}

#[test]
fn every_builtin_rule_has_violating_and_compliant_cases() {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".yaml").map(str::to_string))
        .collect();
    ids.sort();
    assert_eq!(ids.len(), ALL_BUILTIN_RULES);
    let mut missing = Vec::new();
    for id in &ids {
        let path = root().join("tests/rule_cases").join(format!("{id}.yaml"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            missing.push(id.clone());
            continue;
        };
        let cases: Cases =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !cases.violating.is_empty(),
            "{id}: the violating case must find something"
        );
        let (code, found) = findings(id, VIOLATING, VIOLATING_STACK);
        assert_eq!(code, 1, "{id}: violating exit code");
        compare(id, "violating", &cases.violating, &found);
        let (code, found) = findings(id, COMPLIANT, COMPLIANT_STACK);
        assert_eq!(
            code,
            if cases.compliant.is_empty() { 0 } else { 1 },
            "{id}: compliant exit code"
        );
        compare(id, "compliant", &cases.compliant, &found);
    }
    assert!(
        missing.is_empty(),
        "rules without tests/rule_cases/<id>.yaml: {missing:?}"
    );
    // No case file for a rule that does not exist.
    for entry in std::fs::read_dir(root().join("tests/rule_cases")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let id = name.strip_suffix(".yaml").unwrap_or(&name);
        assert!(
            ids.iter().any(|i| i == id),
            "tests/rule_cases/{name} has no rule"
        );
    }
}
