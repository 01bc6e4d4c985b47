//! The GitHub Action and the workflows: linted with actionlint and zizmor (from PyPI, in the
//! test environment), and the action's check step run as a runner would run it, on a fixture;
//! its snapshot step against moto, in full and incremental.

mod common;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use std::process::Command;

fn tool(name: &str) -> std::path::PathBuf {
    root().join(".venv/bin").join(name)
}

fn lint(program: &str, args: &[&str]) {
    let output = Command::new(tool(program))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/test installs it)"));
    assert!(
        output.status.success(),
        "{program} {args:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

const WORKFLOWS: [&str; 3] = [
    ".github/workflows/release.yml",
    "docs/workflows/nightly-audit.yml",
    "docs/workflows/stack-gate.yml",
];

#[test]
fn the_action_and_the_workflows_pass_actionlint_and_zizmor() {
    lint("actionlint", &WORKFLOWS);
    // The auditor persona: every finding, low confidence included.
    lint(
        "zizmor",
        &[
            "--offline",
            "--persona",
            "auditor",
            "action.yml",
            ".github/workflows/release.yml",
        ],
    );
    lint(
        "zizmor",
        &[
            "--offline",
            "--persona",
            "auditor",
            "--config",
            "docs/workflows/zizmor.yml",
            "docs/workflows/nightly-audit.yml",
            "docs/workflows/stack-gate.yml",
        ],
    );
    // The linters do find what they should: an injected expression, an unpinned action.
    let dir = temp_dir("lint-bad");
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n      - uses: someone/action@main\n",
    )
    .unwrap();
    for program in ["actionlint", "zizmor"] {
        let output = Command::new(tool(program))
            .args(if program == "zizmor" {
                vec!["--offline"]
            } else {
                vec![]
            })
            .arg(&bad)
            .output()
            .unwrap();
        assert!(
            !output.status.success(),
            "{program} accepted a bad workflow"
        );
    }
}

/// The `run` script and the env names of the action's step `id`.
fn step(id: &str) -> (String, Vec<String>) {
    let action: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap())
            .unwrap();
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"));
    let env = step["env"]
        .as_object()
        .map(|e| e.keys().cloned().collect())
        .unwrap_or_default();
    (step["run"].as_str().unwrap().to_string(), env)
}

/// Runs a step's script with bash as a runner does, with `env` as its environment.
fn run_step(id: &str, env: &[(&str, &str)], dir: &std::path::Path) -> std::process::Output {
    let (script, declared) = step(id);
    for (name, _) in env {
        assert!(
            declared.iter().any(|d| d == name),
            "{id} declares no {name}"
        );
    }
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("RUNNER_TEMP", dir)
        .env("GITHUB_OUTPUT", dir.join("output"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .envs(env.iter().copied())
        .current_dir(root())
        .output()
        .unwrap()
}

fn outputs(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("output"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_action_checks_a_snapshot_writes_sarif_and_a_summary_and_keeps_the_exit_code() {
    let binary = env!("CARGO_BIN_EXE_ssoaudit");
    let snapshot = root().join(VIOLATING);
    let snapshot = snapshot.to_str().unwrap();
    let dir = temp_dir("action-step");
    // A snapshot given: the snapshot step passes it on.
    let out = run_step(
        "snapshot",
        &[("SSOAUDIT", binary), ("SNAPSHOT", snapshot), ("REGION", "")],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(outputs(&dir)["path"], snapshot);

    let out = run_step(
        "check",
        &[
            ("SSOAUDIT", binary),
            ("SNAPSHOT", snapshot),
            ("DESIRED", "fixtures/stacks/reference-violating.yaml"),
            ("FAIL_ON", "high"),
            ("ARGS", "--allow-gaps --now 2026-11-28T00:00:00Z"),
            ("SUMMARY", "true"),
        ],
        &dir,
    );
    // The step itself succeeds: the exit code is an output, for the upload to run first.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = outputs(&dir);
    assert_eq!(outputs["exit-code"], "1");
    let sarif = json(&std::fs::read_to_string(&outputs["sarif"]).unwrap());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    // The stack file it was given: drift findings are among them.
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "drift-unknown-account")
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.starts_with("## ssoaudit: IAM Identity Center audit"));
    assert!(summary.contains("drift-unknown-account"));

    // Clean: exit code 0, and no summary when it is not wanted.
    let clean_dir = temp_dir("action-clean");
    let compliant = root().join(COMPLIANT);
    let out = run_step(
        "check",
        &[
            ("SSOAUDIT", binary),
            ("SNAPSHOT", compliant.to_str().unwrap()),
            ("DESIRED", ""),
            ("FAIL_ON", "low"),
            ("ARGS", "--now 2026-11-28T00:00:00Z"),
            ("SUMMARY", "false"),
        ],
        &clean_dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(self::outputs(&clean_dir)["exit-code"], "0");
    assert!(!clean_dir.join("summary.md").exists());
}

#[test]
fn the_action_scans_incrementally_from_a_previous_snapshot_when_one_exists() {
    let binary = env!("CARGO_BIN_EXE_ssoaudit");
    let server = moto::Moto::start();
    // As AWS does: a set is provisioned into an account with its first assignment there.
    server.control("config", serde_json::json!({"record_writes": true}));
    python_json(&[
        root().join("tests/moto/edit.py").display().to_string(),
        server.endpoint(),
        "setup".into(),
    ]);
    let endpoint = server.endpoint();
    let scan = |previous: &str, dir: &std::path::Path| {
        let mut env = vec![
            ("SSOAUDIT", binary),
            ("SNAPSHOT", ""),
            ("REGION", "us-east-1"),
            ("PREVIOUS", previous),
        ];
        let aws = [
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        env.extend(aws);
        let (script, _) = step("snapshot");
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("HOME", std::env::temp_dir())
            .env("RUNNER_TEMP", dir)
            .env("GITHUB_OUTPUT", dir.join("output"))
            .envs(env.iter().copied())
            .envs(moto::test_clock())
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = outputs(dir)["path"].clone();
        ssoaudit::snapshot::Snapshot::load(std::path::Path::new(&path)).unwrap()
    };
    // No previous snapshot yet (the first night): a full scan.
    let first_dir = temp_dir("action-first-night");
    let first = scan(first_dir.join("absent.json").to_str().unwrap(), &first_dir);
    assert!(first.metadata.incremental.is_none());
    assert!(!first.assignments.is_empty());
    // The next night: incremental from the first.
    let kept = temp_dir("action-previous").join("previous.json");
    std::fs::copy(first_dir.join("ssoaudit-snapshot.json"), &kept).unwrap();
    let next_dir = temp_dir("action-next-night");
    let next = scan(kept.to_str().unwrap(), &next_dir);
    let how = next
        .metadata
        .incremental
        .as_ref()
        .expect("an incremental scan");
    assert_eq!(how.base_captured_at, first.metadata.captured_at);
    assert_eq!(next.assignments, first.assignments);
}
