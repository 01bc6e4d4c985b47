//! Drift against a Cloud Posse stack file, end to end on the binary.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};

const VIOLATING_STACK: &str = "fixtures/stacks/reference-violating.yaml";
const COMPLIANT_STACK: &str = "fixtures/stacks/reference-compliant.yaml";

pub const DRIFT_IDS: &[&str] = &[
    "drift-missing-assignment",
    "drift-missing-permission-set",
    "drift-permission-set-modified",
    "drift-unknown-account",
    "drift-unknown-permission-set",
    "drift-unknown-principal",
    "drift-unmanaged-assignment",
    "drift-unmanaged-permission-set",
];

/// The 1-based line of the first line of `file` that contains `needle` after line `after`.
fn line_of(file: &str, needle: &str, after: u64) -> u64 {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    text.lines()
        .enumerate()
        .skip(after as usize)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle} not in {file}"))
}

fn drift_report(snapshot: &str, stack: &str) -> (i32, serde_json::Value) {
    let mut args = vec![
        "check",
        "--snapshot",
        snapshot,
        "--desired",
        stack,
        "--format",
        "json",
        "--now",
        NOW,
    ];
    for id in DRIFT_IDS {
        args.extend(["--only", id]);
    }
    let out = run(&args);
    (out.code, json(&out.stdout))
}

#[test]
fn every_drift_rule_fires_on_the_right_stack_line() {
    let (code, report) = drift_report(VIOLATING, VIOLATING_STACK);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let ids: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, DRIFT_IDS.iter().copied().collect());
    for finding in findings {
        assert_eq!(finding["location"]["path"], VIOLATING_STACK, "{finding}");
    }
    let lines = |rule: &str| -> BTreeMap<String, u64> {
        findings
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| {
                (
                    f["message"].as_str().unwrap().to_string(),
                    f["location"]["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let stack = VIOLATING_STACK;
    let vars = line_of(stack, "vars:", 0);
    let core_root = line_of(
        stack,
        "core-root:",
        line_of(stack, "account_assignments:", 0),
    );

    let typo = lines("drift-unknown-permission-set");
    assert_eq!(
        typo.values().copied().collect::<Vec<_>>(),
        [line_of(stack, "- ReadOnlyAcess", 0)]
    );
    let account = lines("drift-unknown-account");
    assert_eq!(
        account.values().copied().collect::<Vec<_>>(),
        [line_of(stack, "plat-qa:", 0)]
    );
    let missing = lines("drift-missing-assignment");
    let core_audit = line_of(stack, "core-audit:", core_root);
    assert_eq!(missing.len(), 1);
    assert_eq!(
        *missing.values().next().unwrap(),
        line_of(stack, "- BillingReadOnlyAccess", core_audit)
    );
    let ghost = lines("drift-unknown-principal");
    assert!(
        ghost.iter().any(|(m, &l)| m.contains("ghost@acme.example")
            && l == line_of(stack, "ghost@acme.example:", 0))
    );
    // The group renamed in the IdP is reported where each account declares it, merged or not.
    assert!(ghost.iter().any(
        |(m, &l)| m.contains("GROUP Developers declared for core-root")
            && l == line_of(stack, "<<: *developers-state", core_root)
    ));
    assert!(ghost.iter().any(|(m, &l)| m.contains("for core-artifacts")
        && l == line_of(stack, "groups: *core-groups", core_root)));
    let unmanaged = lines("drift-unmanaged-assignment");
    assert!(unmanaged.iter().any(|(m, &l)| {
        m.starts_with("GROUP DevOps holds AdministratorAccess on core-root") && l == core_root
    }));
    assert!(unmanaged.iter().any(|(m, &l)| {
        m.starts_with("USER julia.rossi@acme.example holds AdministratorAccess on plat-prod")
            && l == line_of(stack, "plat-prod:", core_root)
    }));
    let modified = lines("drift-permission-set-modified");
    assert_eq!(modified.len(), 1);
    let (message, line) = modified.iter().next().unwrap();
    assert!(
        message.contains("AdministratorAccess") && message.contains("session duration is PT12H"),
        "{message}"
    );
    assert_eq!(*line, vars);
    let sets: BTreeSet<String> = lines("drift-unmanaged-permission-set")
        .into_keys()
        .collect();
    assert_eq!(sets.len(), 2, "{sets:?}");
    assert!(
        lines("drift-missing-permission-set")
            .keys()
            .any(|m| m.contains("TerraformStateAccess"))
    );
}

#[test]
fn compliant_organization_and_stack_have_no_drift() {
    let (code, report) = drift_report(COMPLIANT, COMPLIANT_STACK);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["summary"]["rules_evaluated"], DRIFT_IDS.len());
    // The whole pack, drift included, is clean too.
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--desired",
        COMPLIANT_STACK,
        "--previous",
        COMPLIANT,
        "--fail-on",
        "info",
        "--now",
        NOW,
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("no findings; {ALL_BUILTIN_RULES} rules evaluated")),
        "{}",
        out.stdout
    );
}

#[test]
fn drift_rules_are_skipped_without_a_stack_file() {
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    assert_eq!(out.code, 0);
    let report = json(&out.stdout);
    let skipped: BTreeSet<&str> = report["summary"]["skipped_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut expected: BTreeSet<&str> = DRIFT_IDS.iter().copied().collect();
    // And the rule that compares with the previous run, given none.
    expected.insert("user-idp-identity-changed");
    assert_eq!(skipped, expected);
}

#[test]
fn sarif_points_drift_at_the_stack_line() {
    let mut args = vec![
        "check",
        "--snapshot",
        VIOLATING,
        "--desired",
        VIOLATING_STACK,
        "--format",
        "sarif",
        "--only",
        "drift-unknown-account",
    ];
    args.push("--now");
    args.push(NOW);
    let out = run(&args);
    let sarif = json(&out.stdout);
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], VIOLATING_STACK);
    assert_eq!(
        location["region"]["startLine"].as_u64().unwrap(),
        line_of(VIOLATING_STACK, "plat-qa:", 0)
    );
}

#[test]
fn reference_examples_load() {
    // The examples' accounts (their own ids, or names of their own) are not the fixture's: each
    // declared account key is reported, on its line.
    for (example, expected) in [
        (
            "fixtures/cloudposse/v4-component-readme-basic.yaml",
            &[("core-root", 19), ("plat-dev", 25), ("plat-prod", 31)][..],
        ),
        (
            "fixtures/cloudposse/v4-component-readme-anchors.yaml",
            &[("core-audit", 24), ("plat-dev", 39), ("plat-prod", 30)][..],
        ),
        (
            "fixtures/cloudposse/v1-terraform-aws-components-readme.yaml",
            &[("audit", 14), ("corp", 20), ("dev", 31), ("prod", 22)][..],
        ),
    ] {
        let out = run(&[
            "check",
            "--snapshot",
            COMPLIANT,
            "--desired",
            example,
            "--format",
            "json",
            "--only",
            "drift-unknown-account",
        ]);
        assert_eq!(out.code, 1, "{example}: {}", out.stderr);
        let report = json(&out.stdout);
        let found: BTreeSet<(String, u64)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["resource"]["name"].as_str().unwrap().to_string(),
                    f["location"]["line"].as_u64().unwrap(),
                )
            })
            .collect();
        let expected: BTreeSet<(String, u64)> = expected
            .iter()
            .map(|(name, line)| (name.to_string(), *line))
            .collect();
        assert_eq!(found, expected, "{example}");
    }
}

#[test]
fn bad_stack_files_are_input_errors() {
    let dir = temp_dir("stacks");
    let mut laughs = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        laughs.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 9].join(",")
        ));
        previous = name;
    }
    let bomb = dir.join("laughs.yaml");
    std::fs::write(&bomb, laughs).unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--desired",
        bomb.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2);
    // Refused by the bound on alias expansion (what keeps it fast), with the file's position.
    assert!(out.stderr.contains("laughs.yaml:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("budget") || out.stderr.contains("limit"),
        "{}",
        out.stderr
    );

    let wrong = dir.join("wrong.yaml");
    std::fs::write(&wrong, "components:\n  terraform:\n    aws-sso:\n      vars:\n        account_assignments:\n          plat-dev:\n            groups:\n              DevOps:\n                permission_sets: AdministratorAccess\n").unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--desired",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("wrong.yaml:9:"), "{}", out.stderr);
}

#[test]
fn declared_assignments_of_a_missing_permission_set_are_missing_too() {
    // The compliant organization without TerraformPlanAccess: Terraform would create the set
    // and every assignment the stack declares of it, so each is reported missing.
    let mut snapshot = json(&std::fs::read_to_string(root().join(COMPLIANT)).unwrap());
    let arn = snapshot["permission_sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "TerraformPlanAccess")
        .unwrap()["arn"]
        .clone();
    snapshot["permission_sets"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["arn"] != arn);
    let mut removed: BTreeSet<(String, String)> = BTreeSet::new();
    snapshot["assignments"].as_array_mut().unwrap().retain(|a| {
        if a["permission_set_arn"] == arn {
            removed.insert((
                a["account_id"].as_str().unwrap().to_string(),
                a["principal_id"].as_str().unwrap().to_string(),
            ));
            false
        } else {
            true
        }
    });
    assert!(removed.len() >= 3, "{removed:?}");
    let dir = temp_dir("missing-set");
    let path = dir.join("without-plan.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let (code, report) = drift_report(path.to_str().unwrap(), COMPLIANT_STACK);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let missing_sets: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "drift-missing-permission-set")
        .collect();
    assert_eq!(missing_sets.len(), 1);
    let missing: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["rule_id"] == "drift-missing-assignment")
        .map(|f| {
            assert_eq!(f["permission_set"]["name"], "TerraformPlanAccess", "{f}");
            (
                f["account"]["id"].as_str().unwrap().to_string(),
                f["principal"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(missing, removed);
    // Each on its own declaration line: DevOps on core-root is declared inline.
    let core_root = line_of(
        COMPLIANT_STACK,
        "core-root:",
        line_of(COMPLIANT_STACK, "account_assignments:", 0),
    );
    let devops_line = line_of(COMPLIANT_STACK, "- TerraformPlanAccess", core_root);
    assert!(
        findings
            .iter()
            .any(|f| f["rule_id"] == "drift-missing-assignment"
                && f["account"]["id"] == "100000000001"
                && f["location"]["line"].as_u64() == Some(devops_line))
    );
    assert_eq!(findings.len(), removed.len() + 1, "{findings:#?}");
}

#[test]
fn values_only_atmos_resolves_are_gaps_not_drift() {
    let dir = temp_dir("atmos-functions");
    let text = std::fs::read_to_string(root().join(COMPLIANT_STACK)).unwrap();
    let text = text
        .replace(
            "tf_access_bucket_arn: arn:aws:s3:::acme-core-use1-root-tfstate",
            "tf_access_bucket_arn: !terraform.output tfstate-backend tfstate_bucket_arn",
        )
        .replace(
            "plat-dev: \"100000000008\"",
            "plat-dev: '{{ (atmos.Component \"account\" \"plat-dev\").outputs.id }}'",
        );
    let stack = dir.join("aws-sso.yaml");
    std::fs::write(&stack, &text).unwrap();
    let (code, report) = drift_report(COMPLIANT, stack.to_str().unwrap());
    assert_eq!(code, 3, "{report}");
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "nothing is compared with a value atmos did not resolve: {report}"
    );
    let line = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .unwrap()
    };
    let gaps: BTreeMap<String, Vec<String>> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule_id"].as_str().unwrap().to_string(),
                r["gaps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| format!("{} {} {}", g["area"], g["operation"], g["resource"]))
                    .collect(),
            )
        })
        .collect();
    let bucket = format!(
        "\"desired_state\" \"stack:!terraform.output\" \"{}:{} tf_access_bucket_arn\"",
        stack.display(),
        line("tf_access_bucket_arn")
    );
    let account = format!(
        "\"desired_state\" \"stack:Go template\" \"{}:{} account_map.full_account_map.plat-dev\"",
        stack.display(),
        line("plat-dev: '{{")
    );
    assert_eq!(gaps["drift-permission-set-modified"], [bucket]);
    assert_eq!(
        gaps["drift-unknown-account"],
        std::slice::from_ref(&account)
    );
    assert_eq!(gaps["drift-missing-assignment"], [account]);
    assert!(
        !gaps.contains_key("drift-unmanaged-permission-set"),
        "{gaps:?}"
    );

    // The same stack with the values resolved (what `atmos describe component` gives) is clean.
    let resolved = std::fs::read_to_string(root().join(COMPLIANT_STACK)).unwrap();
    let stack = dir.join("resolved.yaml");
    std::fs::write(&stack, resolved).unwrap();
    let (code, _) = drift_report(COMPLIANT, stack.to_str().unwrap());
    assert_eq!(code, 0);
}

#[test]
fn policies_and_relay_state_drift_are_reported() {
    let mut snapshot = json(&std::fs::read_to_string(root().join(COMPLIANT)).unwrap());
    for set in snapshot["permission_sets"].as_array_mut().unwrap() {
        match set["name"].as_str().unwrap() {
            "AdministratorAccess" => {
                set["relay_state"] = serde_json::json!("https://console.aws.amazon.com/billing/");
                set["inline_policy"] = serde_json::json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]});
            }
            "PowerUserAccess" => {
                set["managed_policies"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!("arn:aws:iam::aws:policy/IAMFullAccess"));
            }
            _ => {}
        }
    }
    let dir = temp_dir("policy-drift");
    let path = dir.join("modified.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let (code, report) = drift_report(path.to_str().unwrap(), COMPLIANT_STACK);
    assert_eq!(code, 1);
    let modified: BTreeMap<String, String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "drift-permission-set-modified")
        .map(|f| {
            (
                f["resource"]["name"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(modified.len(), 2, "{modified:?}");
    let admin = &modified["AdministratorAccess"];
    assert!(admin.contains("an inline policy was added"), "{admin}");
    assert!(
        admin.contains("relay state is https://console.aws.amazon.com/billing/"),
        "{admin}"
    );
    assert!(
        modified["PowerUserAccess"].contains("added: arn:aws:iam::aws:policy/IAMFullAccess"),
        "{modified:?}"
    );
}
