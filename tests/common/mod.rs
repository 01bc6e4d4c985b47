//! Helpers for tests that drive the built binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const VIOLATING: &str = "fixtures/reference-violating.snapshot.json";
/// The violating organization as scanned while one account (plat-staging) refused the member
/// role: the same findings, and collection gaps.
#[allow(dead_code)]
pub const REFUSED: &str = "fixtures/reference-violating-member-refused.snapshot.json";
pub const COMPLIANT: &str = "fixtures/reference-compliant.snapshot.json";
pub const WEEK_LATER: &str = "fixtures/reference-compliant-week-later.snapshot.json";
pub const NOW: &str = "2026-11-28T00:00:00Z";

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `ssoaudit` from the crate root with variables that would leak into output removed.
pub fn run(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_ssoaudit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .output()
        .expect("the binary runs");
    Output {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssoaudit-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

pub const BUILTIN_IDS: &[&str] = &[
    "admin-on-management-account",
    "billing-admin-billing-only",
    "devops-no-root-account-write",
    "group-assigned-without-members",
    "inline-policy-grants-admin",
    "no-direct-user-assignments",
    "permission-set-not-provisioned",
    "required-groups-exist",
    "required-permission-sets-exist",
    "root-access-managers-only",
    "session-duration-too-long",
    "unused-permission-set",
    "user-inactive-with-access",
    "identity-center-admin-outside-managers",
    "assume-any-role-on-management-account",
    "sign-in-without-mfa",
    "mfa-unverifiable-external-idp",
    "root-credential-use",
    "unused-assignment",
    "dormant-user-with-access",
    "sign-in-failures-burst",
    "account-instance-outside-central-control",
    "identity-center-delegated",
    "root-access-features-disabled",
    "no-direct-user-application-assignments",
    "management-account-access-outside-permission-sets",
    "iam-user-outside-identity-center",
    "reserved-role-drift",
    "chain-admin-on-management-account",
    "user-created-by-hand",
    "group-created-by-hand",
    "user-provisioned-never-signed-in",
];

/// Every rule of the built-in pack: the ones above, the drift rules (which need --desired) and
/// user-idp-identity-changed (which needs --previous).
pub const ALL_BUILTIN_RULES: usize = 41;

/// The findings the planted cases of the fixture CloudTrail history give (rule id, resource).
pub fn planted_evidence() -> std::collections::BTreeSet<(String, String)> {
    [
        ("sign-in-without-mfa", "ivan.petrov@acme.example"),
        ("sign-in-without-mfa", "root in plat-prod"),
        ("mfa-unverifiable-external-idp", "bruno.silva@acme.example"),
        ("root-credential-use", "root of plat-prod"),
        ("root-credential-use", "root of core-audit"),
        (
            "unused-assignment",
            "DevOps DNSRecordAdministratorAccess on core-dns",
        ),
        (
            "unused-assignment",
            "developers TerraformPlanAccess on plat-staging",
        ),
        ("dormant-user-with-access", "rosa.jimenez@acme.example"),
        ("dormant-user-with-access", "samir.khan@acme.example"),
        ("sign-in-failures-burst", "julia.rossi@acme.example"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// The evidence rules (`check: events`).
pub const EVIDENCE_RULES: &[&str] = &[
    "sign-in-without-mfa",
    "mfa-unverifiable-external-idp",
    "root-credential-use",
    "unused-assignment",
    "dormant-user-with-access",
    "sign-in-failures-burst",
];

/// `check` of the evidence rules alone on a snapshot, as JSON; `extra` adds arguments.
pub fn check_evidence(snapshot: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", "--snapshot", snapshot, "--format", "json"];
    for id in EVIDENCE_RULES {
        args.extend(["--only", id]);
    }
    args.extend_from_slice(extra);
    let out = run(&args);
    (out.code, json(&out.stdout))
}

/// The (rule id, resource name) of every finding of a JSON report.
pub fn rule_resources(report: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The ids of the rules a JSON check report lists as incomplete.
pub fn incomplete_rules(report: &serde_json::Value) -> std::collections::BTreeSet<String> {
    report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that a document validates against the SARIF 2.1.0 schema (fixtures/).
pub fn assert_valid_sarif(sarif: &serde_json::Value) {
    let schema =
        json(&std::fs::read_to_string(root().join("fixtures/sarif-schema-2.1.0.json")).unwrap());
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

/// Runs the test environment's Python (`.venv`, installed by scripts/test) with `args` and
/// returns what it printed, as JSON; fails the test when it fails.
#[allow(dead_code)]
pub fn python_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let output = Command::new(root().join(".venv/bin/python"))
        .args(args)
        .output()
        .expect("the test environment's python (scripts/test installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    json(&String::from_utf8_lossy(&output.stdout))
}
