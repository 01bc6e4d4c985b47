//! User rule files end to end: picked up with --rules, and rejected with file:line when wrong.

mod common;

use common::*;
use std::path::Path;

const VALID_RULE: &str = r#"id: contractors-no-prod
title: Contractors hold no access to plat-prod
severity: high
subject: assignment
condition: >
  principal.type == "GROUP" && principal.name == "Contractors" &&
  account.name == "plat-prod"
message: "Group {principal.name} holds {permission_set.name} on {account.name}"
rationale: Contractors work in development accounts only.
remediation: Remove the assignment.
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn check_with(dir: &Path) -> Output {
    run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--rules",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ])
}

#[test]
fn user_rule_is_picked_up_and_produces_findings() {
    let dir = temp_dir("user-rule");
    write(&dir, "contractors.yaml", VALID_RULE);
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--rules",
        dir.to_str().unwrap(),
        "--only",
        "contractors-no-prod",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["rule_id"], "contractors-no-prod");
    assert_eq!(
        findings[0]["message"],
        "Group Contractors holds ReadOnlyAccess on plat-prod"
    );
    assert_eq!(findings[0]["severity"], "high");
    assert!(
        findings[0]["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("contractors.yaml")
    );
    assert_eq!(findings[0]["location"]["line"], 1);

    let compliant = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--rules",
        dir.to_str().unwrap(),
        "--only",
        "contractors-no-prod",
    ]);
    assert_eq!(compliant.code, 0);

    let listed = run(&["rules", "list", "--rules", dir.to_str().unwrap()]);
    assert!(listed.stdout.contains("contractors-no-prod"));
}

#[test]
fn cel_syntax_error_names_file_and_line() {
    let dir = temp_dir("syntax");
    write(
        &dir,
        "broken.yaml",
        &VALID_RULE.replace(
            "account.name == \"plat-prod\"",
            "account.name == == \"plat-prod\"",
        ),
    );
    let out = check_with(&dir);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.is_empty(),
        "no evaluation happens: {}",
        out.stdout
    );
    // The condition starts on line 6; its second line (7) holds the error.
    assert!(out.stderr.contains("broken.yaml:7:"), "{}", out.stderr);
    assert!(out.stderr.contains("CEL syntax error"), "{}", out.stderr);
}

#[test]
fn unknown_field_names_file_and_line() {
    let dir = temp_dir("unknown-field");
    write(
        &dir,
        "extra.yaml",
        &VALID_RULE.replace("severity: high\n", "severity: high\nowner: sec\n"),
    );
    let out = check_with(&dir);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("extra.yaml:4:1"), "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown field `owner`"),
        "{}",
        out.stderr
    );
}

#[test]
fn duplicate_id_names_both_places() {
    let dir = temp_dir("duplicate");
    write(&dir, "a.yaml", VALID_RULE);
    write(&dir, "b.yaml", VALID_RULE);
    let out = check_with(&dir);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("b.yaml:1:1: duplicate rule id `contractors-no-prod`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("a.yaml:1"), "{}", out.stderr);

    let clash = temp_dir("duplicate-builtin");
    write(
        &clash,
        "mine.yaml",
        &VALID_RULE.replace("contractors-no-prod", "unused-permission-set"),
    );
    let out = check_with(&clash);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("already defined at rules/unused-permission-set.yaml:1"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_subject_variable_and_field_are_rejected() {
    let dir = temp_dir("unknown-names");
    write(
        &dir,
        "subject.yaml",
        &VALID_RULE.replace("subject: assignment", "subject: role"),
    );
    write(
        &dir,
        "field.yaml",
        &VALID_RULE
            .replace("contractors-no-prod", "field-typo")
            .replace(
                "principal.name == \"Contractors\"",
                "principal.nmae == \"Contractors\"",
            ),
    );
    write(
        &dir,
        "message.yaml",
        &VALID_RULE
            .replace("contractors-no-prod", "message-typo")
            .replace("{account.name}\"", "{acount.name}\""),
    );
    let out = check_with(&dir);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("subject.yaml:4:10: unknown subject `role`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("field.yaml:6:41:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("`principal` has no field `nmae`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("message.yaml:8:65:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown variable `acount`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("invalid rule files"),
        "every error is reported: {}",
        out.stderr
    );
}

#[test]
fn yaml_syntax_and_missing_fields_are_rejected() {
    let dir = temp_dir("yaml");
    write(&dir, "syntax.yaml", "id: [broken\ntitle: x\n");
    write(&dir, "missing.yaml", "id: no-title\nseverity: low\n");
    write(
        &dir,
        "severity.yaml",
        &VALID_RULE.replace("severity: high", "severity: severe"),
    );
    let out = check_with(&dir);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("syntax.yaml:1:"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("missing.yaml:2:1: missing field `title`\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("severity.yaml:3:11: unknown variant `severe`"),
        "{}",
        out.stderr
    );
}

#[test]
fn runtime_errors_are_reported_not_swallowed() {
    let dir = temp_dir("runtime");
    write(
        &dir,
        "null.yaml",
        &VALID_RULE
            .replace("contractors-no-prod", "relay-state-https")
            .replace("subject: assignment", "subject: permission_set")
            .replace(
                "principal.type == \"GROUP\" && principal.name == \"Contractors\" &&\n  account.name == \"plat-prod\"",
                "!permission_set.relay_state.startsWith(\"https://\")",
            )
            .replace("Group {principal.name} holds {permission_set.name} on {account.name}", "{permission_set.name}"),
    );
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--rules",
        dir.to_str().unwrap(),
        "--only",
        "relay-state-https",
    ]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("rule relay-state-https"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("null.yaml:1"), "{}", out.stderr);
}

#[test]
fn rules_list_and_explain() {
    let list = run(&["rules", "list"]);
    assert_eq!(list.code, 0);
    for id in BUILTIN_IDS {
        assert!(
            list.stdout.contains(id),
            "{id} missing from:\n{}",
            list.stdout
        );
    }
    let json_list = json(&run(&["rules", "list", "--format", "json"]).stdout);
    assert_eq!(json_list["version"], 1);
    let listed = json_list["rules"].as_array().unwrap();
    assert_eq!(listed.len(), ALL_BUILTIN_RULES);
    let dormant = listed
        .iter()
        .find(|r| r["id"] == "dormant-user-with-access")
        .unwrap();
    assert_eq!(dormant["subject"], "user");
    assert_eq!(dormant["path"], "rules/dormant-user-with-access.yaml");
    assert_eq!(dormant["builtin"], true);
    let reads: Vec<&str> = dormant["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        reads,
        [
            "assignments",
            "entitlements",
            "events",
            "groups",
            "memberships",
            "users"
        ]
    );
    let explained = run(&["rules", "explain", "dormant-user-with-access"]).stdout;
    assert!(explained.contains("Concludes from absence"), "{explained}");
    for id in BUILTIN_IDS {
        let out = run(&["rules", "explain", id]);
        assert_eq!(out.code, 0);
        for section in [
            "Why it matters:",
            "How to fix:",
            "Example:",
            "Defined in: rules/",
        ] {
            assert!(
                out.stdout.contains(section),
                "{id}: no `{section}` in\n{}",
                out.stdout
            );
        }
    }
    let unknown = run(&["rules", "explain", "nope"]);
    assert_eq!(unknown.code, 2);
}

#[test]
fn field_reference_in_the_docs_is_current() {
    let docs = std::fs::read_to_string(root().join("docs/rule-files.md")).unwrap();
    let out = run(&["rules", "fields"]);
    assert_eq!(out.code, 0);
    assert!(
        docs.ends_with(&out.stdout),
        "docs/rule-files.md must end with the output of `ssoaudit rules fields`"
    );
}

/// A `check:` rule file with the given check lines (`check:` and `params:`).
fn check_rule(id: &str, subject: &str, body: &str) -> String {
    format!(
        "id: {id}\ntitle: t\nseverity: low\nsubject: {subject}\n{body}message: \"{{event.user_name}}\"\nrationale: r\nremediation: x\n"
    )
}

#[test]
fn check_parameters_are_typed_and_located() {
    let dir = temp_dir("check-params");
    // (file, text, expected error at file:line:column)
    let cases = [
        (
            "unknown-param.yaml",
            check_rule(
                "a",
                "user",
                "check: events\nparams:\n  kind: sign-in-failures-burst\n  max_failure: 3\n",
            ),
            ":8:3:",
            "max_failure",
        ),
        (
            "out-of-range.yaml",
            check_rule(
                "b",
                "user",
                "check: events\nparams:\n  kind: sign-in-failures-burst\n  max_failures: 0\n",
            ),
            ":8:17:",
            "`max_failures` must be 1 or more",
        ),
        (
            "bad-window.yaml",
            check_rule(
                "c",
                "user",
                "check: events\nparams:\n  kind: sign-in-failures-burst\n  window: 15 minutes\n",
            ),
            ":8:11:",
            "ISO 8601",
        ),
        (
            "wrong-type.yaml",
            check_rule(
                "d",
                "user",
                "check: events\nparams:\n  kind: sign-in-failures-burst\n  max_failures: many\n",
            ),
            ":8:17:",
            "invalid",
        ),
        (
            "unknown-kind.yaml",
            check_rule(
                "e",
                "user",
                "check: events\nparams:\n  kind: sign-in-witout-mfa\n",
            ),
            ":5:8:",
            "one of sign-in-without-mfa",
        ),
        (
            "now-cel.yaml",
            check_rule(
                "f",
                "user",
                "check: events\nparams:\n  kind: dormant-user-with-access\n  days: 30\n",
            ),
            ":5:8:",
            "user.last_sign_in",
        ),
        (
            "wrong-subject.yaml",
            check_rule(
                "g",
                "account",
                "check: events\nparams:\n  kind: sign-in-without-mfa\n",
            ),
            ":5:8:",
            "applies to subject `user`",
        ),
        (
            "drift-extra.yaml",
            check_rule(
                "h",
                "assignment",
                "check: drift\nparams:\n  kind: missing-assignment\n  strict: true\n",
            ),
            ":8:3:",
            "strict",
        ),
        (
            "unknown-check.yaml",
            check_rule(
                "i",
                "user",
                "check: event\nparams:\n  kind: sign-in-without-mfa\n",
            ),
            ":5:8:",
            "unknown check `event`",
        ),
        (
            "no-names.yaml",
            check_rule(
                "j",
                "group",
                "check: required-names\nparams:\n  names: []\n",
            ),
            ":7:10:",
            "could never fail",
        ),
    ];
    for (file, text, position, message) in &cases {
        let case_dir = dir.join(file.trim_end_matches(".yaml"));
        std::fs::create_dir_all(&case_dir).unwrap();
        write(&case_dir, file, text);
        let out = check_with(&case_dir);
        assert_eq!(out.code, 2, "{file}: {}", out.stderr);
        let line = out
            .stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file}: {}", out.stderr));
        assert!(
            line.contains(&format!("{file}{position}")) && line.contains(message),
            "{file}: expected {position} and `{message}` in {line}"
        );
    }
}

#[test]
fn allows_answers_per_action_in_conditions() {
    let dir = temp_dir("allows");
    write(
        &dir,
        "pass-role.yaml",
        "id: can-pass-any-role\ntitle: t\nseverity: low\nsubject: permission_set\ncondition: allows(permission_set, \"iam:PassRole\") == \"allowed\"\nmessage: \"{permission_set.name}\"\nrationale: r\nremediation: x\n",
    );
    write(
        &dir,
        "root.yaml",
        "id: conditional-root\ntitle: t\nseverity: low\nsubject: permission_set\ncondition: allows(permission_set, \"STS:assumeroot\") == \"conditional\"\nmessage: \"{permission_set.name}\"\nrationale: r\nremediation: x\n",
    );
    let names = |rule: &str| -> Vec<String> {
        let out = run(&[
            "check",
            "--snapshot",
            COMPLIANT,
            "--rules",
            dir.to_str().unwrap(),
            "--no-builtin",
            "--only",
            rule,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        let mut names: Vec<String> = json(&out.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names("can-pass-any-role"),
        ["AdministratorAccess", "TerraformApplyAccess"]
    );
    assert_eq!(names("conditional-root"), ["RootAccess"]);
}

#[test]
fn the_embedded_pack_is_the_rules_folder() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    let embedded: Vec<String> = ssoaudit::rules::builtin_sources()
        .into_iter()
        .map(|source| {
            let name = source.path.trim_start_matches("rules/").to_string();
            let on_disk = std::fs::read_to_string(root().join("rules").join(&name)).unwrap();
            assert_eq!(source.text, on_disk, "{name} is embedded as it is on disk");
            name
        })
        .collect();
    assert_eq!(
        embedded, files,
        "src/rules/builtin.rs lists every file of rules/"
    );
}
