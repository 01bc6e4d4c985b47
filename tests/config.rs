//! The configuration file: found in the working directory (or given with --config), filling in
//! what the command line leaves unset, overriding severities and turning rules off with a
//! reason; its errors located.

mod common;

use common::*;
use std::process::Command;

/// `ssoaudit ARGS` run in `dir`.
fn run_in(dir: &std::path::Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_ssoaudit"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    Output {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A project folder with a `.ssoaudit.yaml`, its own rule folder and a copy of the violating
/// stack file, all named relative to the configuration file.
fn project(name: &str, config: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::create_dir_all(dir.join("stacks")).unwrap();
    std::fs::copy(
        root().join("fixtures/stacks/reference-violating.yaml"),
        dir.join("stacks/aws-sso.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("policies/prod-tagged.yaml"),
        "id: team-accounts\ntitle: Accounts of a team\nseverity: info\nsubject: account\ncondition: account.name == \"plat-prod\"\nmessage: \"{account.name}\"\nrationale: r\nremediation: x\n",
    )
    .unwrap();
    std::fs::write(dir.join(".ssoaudit.yaml"), config).unwrap();
    dir
}

const CONFIG: &str = "# shared by laptops and CI
rules: [policies]
desired: stacks/aws-sso.yaml
fail-on: critical
overrides:
  unused-permission-set:
    severity: critical
  session-duration-too-long:
    enabled: false
    reason: sessions are capped by an SCP
";

fn report(out: &Output) -> serde_json::Value {
    json(&out.stdout)
}

fn rule_ids(report: &serde_json::Value) -> std::collections::BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_configuration_file_in_the_working_directory_applies() {
    let dir = project("config-applies", CONFIG);
    let snapshot = root().join(VIOLATING);
    let snapshot = snapshot.to_str().unwrap();
    let args = [
        "check",
        "--snapshot",
        snapshot,
        "--format",
        "json",
        "--now",
        NOW,
        "--allow-gaps",
    ];
    let out = run_in(&dir, &args);
    let first = report(&out);
    assert_eq!(first["summary"]["fail_on"], "critical");
    // The stack file it names: drift rules run (the one that compares with a previous run
    // has none).
    assert_eq!(
        first["summary"]["skipped_rules"],
        serde_json::json!(["user-idp-identity-changed"])
    );
    let ids = rule_ids(&first);
    assert!(ids.contains("drift-unknown-account"));
    // Its rule folder is added to the built-in pack.
    assert!(ids.contains("team-accounts"));
    // A severity raised, a rule turned off with its reason said.
    let unused: Vec<&serde_json::Value> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "unused-permission-set")
        .collect();
    assert!(!unused.is_empty() && unused.iter().all(|f| f["severity"] == "critical"));
    assert!(!ids.contains("session-duration-too-long"));
    assert!(
        out.stderr
            .contains("note: rule session-duration-too-long is off (")
            && out
                .stderr
                .contains(".ssoaudit.yaml: sessions are capped by an SCP)"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 1, "critical findings fail at fail-on critical");

    // The command line wins.
    let mut never = args.to_vec();
    never.extend(["--fail-on", "never"]);
    let out = run_in(&dir, &never);
    assert_eq!(out.code, 0);
    assert_eq!(report(&out)["summary"]["fail_on"], "never");

    // --no-config ignores it; --config names another.
    let mut ignored = args.to_vec();
    ignored.push("--no-config");
    let out = run_in(&dir, &ignored);
    let plain = report(&out);
    assert_eq!(plain["summary"]["fail_on"], "low");
    assert!(rule_ids(&plain).contains("session-duration-too-long"));
    assert!(!rule_ids(&plain).contains("team-accounts"));
    let elsewhere = temp_dir("config-elsewhere");
    let mut named = args.to_vec();
    let config = dir.join(".ssoaudit.yaml");
    named.extend(["--config", config.to_str().unwrap()]);
    let out = run_in(&elsewhere, &named);
    assert!(rule_ids(&report(&out)).contains("team-accounts"));
}

#[test]
fn configuration_errors_are_located() {
    let snapshot = root().join(VIOLATING);
    let snapshot = snapshot.to_str().unwrap();
    for (name, config, says) in [
        (
            "unknown-key",
            "rules: [policies]\nfailon: high\n",
            ".ssoaudit.yaml:2:1:",
        ),
        (
            "bad-fail-on",
            "fail-on: sometimes\n",
            ".ssoaudit.yaml:1:10: fail-on takes",
        ),
        (
            "no-reason",
            "overrides:\n  unused-permission-set:\n    enabled: false\n",
            "needs a `reason`",
        ),
        (
            "unknown-rule",
            "overrides:\n  no-such-rule:\n    severity: high\n",
            "override of `no-such-rule`, which is not a loaded rule",
        ),
        (
            "bad-severity",
            "overrides:\n  unused-permission-set:\n    severity: urgent\n",
            "not `urgent`",
        ),
    ] {
        let dir = project(name, config);
        let out = run_in(&dir, &["check", "--snapshot", snapshot]);
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(".ssoaudit.yaml:"),
            "{name}: {}",
            out.stderr
        );
    }
}
