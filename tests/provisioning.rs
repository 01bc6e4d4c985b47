//! Provisioning hygiene: users and groups an IdP did not provision (no external id), users
//! provisioned with access who never signed in, and IdP identities that changed between runs;
//! offline on the reference organizations, and live against moto (which the test server
//! extends with the external ids and creation times SCIM and the store set).

mod common;
#[path = "support/live.rs"]
mod live;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use live::*;
use serde_json::{Value, json};

const RULES: [&str; 4] = [
    "user-created-by-hand",
    "group-created-by-hand",
    "user-provisioned-never-signed-in",
    "user-idp-identity-changed",
];

fn check(snapshot: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "check",
        "--snapshot",
        snapshot,
        "--format",
        "json",
        "--now",
        NOW,
        "--fail-on",
        "info",
    ];
    for rule in RULES {
        args.extend(["--only", rule]);
    }
    args.extend_from_slice(extra);
    let out = run(&args);
    (out.code, json(&out.stdout))
}

fn found(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(rule: &str, resource: &str) -> (String, String) {
    (rule.to_string(), resource.to_string())
}

fn edited(dir: &std::path::Path, from: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(from)).unwrap()).unwrap();
    edit(&mut snapshot);
    let path = dir.join("edited.snapshot.json");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn hand_made_users_and_groups_are_found_and_stack_declared_groups_are_not() {
    let (code, report) = check(VIOLATING, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&report),
        vec![
            pair("group-created-by-hand", "Contractors"),
            pair("user-created-by-hand", "umar.farouk@acme.example"),
            pair(
                "user-provisioned-never-signed-in",
                "rosa.jimenez@acme.example"
            ),
        ]
    );
    assert!(
        report["summary"]["skipped_rules"]
            .as_array()
            .unwrap()
            .contains(&json!("user-idp-identity-changed"))
    );
    let message = |report: &Value, rule: &str| -> String {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule)
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(
        message(&report, "group-created-by-hand").contains("no stack file given (--desired)"),
        "{report}"
    );

    // Cloud Posse's component creates the groups of `groups` itself: declared, it is expected.
    let dir = temp_dir("provisioning-declared");
    let stack = std::fs::read_to_string(root().join("fixtures/stacks/reference-violating.yaml"))
        .unwrap()
        .replace(
            "        session_duration: PT1H\n",
            "        session_duration: PT1H\n        groups:\n          - Contractors\n",
        );
    assert!(stack.contains("- Contractors"));
    let declared = dir.join("declared.yaml");
    std::fs::write(&declared, stack).unwrap();
    let (_, report) = check(VIOLATING, &["--desired", declared.to_str().unwrap()]);
    assert!(
        !found(&report).contains(&pair("group-created-by-hand", "Contractors")),
        "{report}"
    );
    // The stack without it: reported, and the message says the stack does not declare it.
    let (_, report) = check(
        VIOLATING,
        &["--desired", "fixtures/stacks/reference-violating.yaml"],
    );
    assert!(message(&report, "group-created-by-hand").contains("not in the stack's groups"));
}

#[test]
fn a_directory_no_idp_provisions_has_no_hand_made_users() {
    // Identity Center's own directory: nobody carries an external id, so nobody was made "by
    // hand" against an IdP.
    let dir = temp_dir("provisioning-internal");
    let path = edited(&dir, VIOLATING, |s| {
        for kind in ["users", "groups"] {
            for item in s[kind].as_array_mut().unwrap() {
                item["external_ids"] = json!([]);
            }
        }
    });
    let (_, report) = check(&path, &[]);
    let rules: Vec<String> = found(&report).into_iter().map(|(r, _)| r).collect();
    assert!(
        !rules.contains(&"user-created-by-hand".to_string()),
        "{report}"
    );
    assert!(
        !rules.contains(&"group-created-by-hand".to_string()),
        "{report}"
    );
    // Never signing in does not depend on the IdP.
    assert!(rules.contains(&"user-provisioned-never-signed-in".to_string()));
}

#[test]
fn a_snapshot_without_external_ids_leaves_the_rules_incomplete_not_clean() {
    let dir = temp_dir("provisioning-old");
    let path = edited(&dir, VIOLATING, |s| {
        for kind in ["users", "groups"] {
            for item in s[kind].as_array_mut().unwrap() {
                item.as_object_mut().unwrap().remove("external_ids");
            }
        }
    });
    let (code, report) = check(&path, &[]);
    assert_eq!(code, 3, "a gap, not a clean run: {report}");
    let incomplete: Vec<&str> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert!(incomplete.contains(&"user-created-by-hand"), "{report}");
    assert!(incomplete.contains(&"group-created-by-hand"), "{report}");
    let rules: Vec<String> = found(&report).into_iter().map(|(r, _)| r).collect();
    assert!(!rules.contains(&"user-created-by-hand".to_string()));
    assert!(!rules.contains(&"group-created-by-hand".to_string()));

    // A previous snapshot without them cannot be compared with: a gap, no finding.
    let (code, report) = check(
        VIOLATING,
        &["--previous", &path, "--only", "user-idp-identity-changed"],
    );
    assert_eq!(code, 3, "{report}");
    assert!(
        found(&report)
            .iter()
            .all(|(r, _)| r != "user-idp-identity-changed")
    );
    assert!(
        report
            .to_string()
            .contains("the previous snapshot (--previous)"),
        "{report}"
    );
}

#[test]
fn identity_changes_between_runs_are_found() {
    let previous = "fixtures/reference-violating-previous.snapshot.json";
    let (_, report) = check(VIOLATING, &["--previous", previous]);
    let changed: Vec<(String, String)> = found(&report)
        .into_iter()
        .filter(|(r, _)| r == "user-idp-identity-changed")
        .collect();
    assert_eq!(
        changed,
        vec![
            pair("user-idp-identity-changed", "ivan.petrov@acme.example"),
            pair("user-idp-identity-changed", "kofi.mensah@acme.example"),
        ]
    );
    // The same run against itself: nothing changed.
    let (_, report) = check(VIOLATING, &["--previous", VIOLATING]);
    assert!(
        found(&report)
            .iter()
            .all(|(r, _)| r != "user-idp-identity-changed")
    );
    // An identity removed (the user unlinked from the IdP) is a change too.
    let dir = temp_dir("provisioning-unlinked");
    let path = edited(&dir, VIOLATING, |s| {
        for user in s["users"].as_array_mut().unwrap() {
            if user["user_name"] == "alice.nguyen@acme.example" {
                user["external_ids"] = json!([]);
            }
        }
    });
    let (_, report) = check(&path, &["--previous", VIOLATING]);
    let alice = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "user-idp-identity-changed")
        .expect("alice's identity was removed");
    assert_eq!(alice["resource"]["name"], "alice.nguyen@acme.example");
    assert!(alice["message"].as_str().unwrap().contains("to none"));
}

#[test]
fn external_ids_and_creation_times_are_read_live() {
    let (moto, expected) = seeded(VIOLATING);
    let (live, _) = scan(&moto, &[]);
    // The scan reads what SCIM and the store set: equal to the fixture, ids and times.
    assert_same(&live, &expected);
    let umar = live
        .users
        .iter()
        .find(|u| u.user_name.starts_with("umar.farouk"))
        .unwrap();
    assert_eq!(umar.external_ids.as_deref(), Some(&[][..]));
    assert_eq!(umar.created_at.as_deref(), Some("2026-09-14T08:12:00Z"));
    let alice = live
        .users
        .iter()
        .find(|u| u.user_name.starts_with("alice.nguyen"))
        .unwrap();
    assert_eq!(
        alice.external_ids.as_deref().unwrap()[0].id,
        "00ualicenguyen"
    );
    let dir = temp_dir("provisioning-live");
    let path = dir.join("live.json");
    std::fs::write(&path, live.to_canonical_json()).unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--now",
        NOW,
        "--only",
        "user-created-by-hand",
        "--only",
        "group-created-by-hand",
        "--allow-gaps",
    ]);
    let report = json(&out.stdout);
    assert_eq!(
        found(&report),
        vec![
            pair("group-created-by-hand", "Contractors"),
            pair("user-created-by-hand", "umar.farouk@acme.example"),
        ]
    );
}
