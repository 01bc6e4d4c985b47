//! The errors a new user meets first, each one plain sentence naming the cause and the fix,
//! with the SDK's account of it behind `--verbose`. Nothing here leaves the machine: every
//! endpoint is on loopback, and the credential failures happen before any request is sent.

mod common;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use std::process::Command;

/// `check` (a live scan) in an environment with nothing but `env`, a home of its own and an
/// endpoint on loopback.
fn first_run(name: &str, env: &[(&str, &str)], extra: &[&str]) -> (i32, String) {
    let home = temp_dir(name);
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssoaudit"));
    command
        .args([
            "check",
            "--quiet",
            "--region",
            "eu-west-1",
            "--max-attempts",
            "2",
        ])
        .args(extra)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    for (key, value) in env {
        let value = value.replace("$HOME", home.to_str().unwrap());
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// One line, no Rust debug dump.
fn plain(stderr: &str) {
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for dump in ["DispatchFailure", "ConnectorError", "source:", "{ "] {
        assert!(!stderr.contains(dump), "{dump} in {stderr}");
    }
}

#[test]
fn no_credentials_say_how_to_configure_them() {
    let (code, stderr) = first_run("no-credentials", &[], &[]);
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.starts_with("error: no AWS credentials were found: pass --profile"),
        "{stderr}"
    );
    // Not blamed on a missing permission.
    assert!(!stderr.contains("sso:ListInstances"), "{stderr}");
    let (_, verbose) = first_run("no-credentials-verbose", &[], &["--verbose"]);
    assert!(
        verbose.contains("detail:") && verbose.contains("credential"),
        "{verbose}"
    );
}

#[test]
fn a_profile_that_does_not_exist_is_named() {
    let home_config = "[profile audit]\nregion = eu-west-1\n";
    let dir = temp_dir("profiles");
    let config = dir.join("config");
    std::fs::write(&config, home_config).unwrap();
    let (code, stderr) = first_run(
        "no-profile",
        &[
            ("AWS_PROFILE", "nope"),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ],
        &[],
    );
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.contains("there is no AWS profile named `nope` in")
            && stderr.contains(config.to_str().unwrap()),
        "{stderr}"
    );
    // --profile wins over AWS_PROFILE, and a profile that exists gets past this check.
    let (_, stderr) = first_run(
        "profile-flag",
        &[("AWS_CONFIG_FILE", config.to_str().unwrap())],
        &["--profile", "other"],
    );
    assert!(stderr.contains("named `other`"), "{stderr}");
    let (_, stderr) = first_run(
        "profile-exists",
        &[
            ("AWS_PROFILE", "audit"),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ],
        &[],
    );
    assert!(!stderr.contains("there is no AWS profile"), "{stderr}");
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
}

#[test]
fn an_sso_profile_without_a_session_says_aws_sso_login() {
    let dir = temp_dir("sso-config");
    let config = dir.join("config");
    std::fs::write(
        &config,
        "[profile audit]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = SecurityAudit\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n",
    )
    .unwrap();
    let (code, stderr) = first_run(
        "sso",
        &[
            ("AWS_PROFILE", "audit"),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ],
        &[],
    );
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.contains(
            "the AWS SSO session of profile `audit` has expired or was never started: run `aws sso login --profile audit`"
        ),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_endpoint_is_a_network_problem() {
    let (code, stderr) = first_run(
        "unreachable",
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
        &[],
    );
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.contains("cannot reach AWS at http://127.0.0.1:9 (connection refused)"),
        "{stderr}"
    );
    assert!(!stderr.contains("sso:ListInstances"), "{stderr}");
}

#[test]
fn refused_credentials_and_a_missing_permission_are_told_apart() {
    let moto = moto::Moto::start();
    let run_against = |name: &str| {
        let home = temp_dir(name);
        let output = Command::new(env!("CARGO_BIN_EXE_ssoaudit"))
            .args(["check", "--quiet", "--region", "us-east-1"])
            .env_clear()
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    moto.control(
        "config",
        serde_json::json!({"deny": {"sso-admin:ListInstances": ""}}),
    );
    let (code, stderr) = run_against("denied");
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.contains("the credentials work but may not call sso:ListInstances (access denied)")
            && stderr.contains("policy/ssoaudit-read-only.json"),
        "{stderr}"
    );
    moto.control("config", serde_json::json!({"refuse_credentials": true}));
    let (code, stderr) = run_against("refused");
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.contains(
            "AWS refused the credentials (UnrecognizedClientException): they are invalid or expired"
        ),
        "{stderr}"
    );
    // A Region where Identity Center was never enabled.
    moto.control("config", serde_json::json!({"no_instances": true}));
    let (code, stderr) = run_against("no-instance");
    assert_eq!(code, 2);
    plain(&stderr);
    assert!(
        stderr.contains("no IAM Identity Center instance is visible in us-east-1"),
        "{stderr}"
    );
}
