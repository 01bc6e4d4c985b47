//! `ssoaudit check` end to end on the binary: findings, exit codes, formats, determinism.

mod common;

use common::*;
use std::collections::BTreeSet;

#[test]
fn violating_fixture_reports_every_builtin_rule() {
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "ssoaudit");
    let ids: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = BUILTIN_IDS.iter().copied().collect();
    assert_eq!(ids, expected);
    assert_eq!(report["summary"]["rules_evaluated"], BUILTIN_IDS.len());
}

#[test]
fn violating_findings_name_the_planted_resources() {
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    let report = json(&out.stdout);
    let findings = report["findings"].as_array().unwrap();
    let of = |rule: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["rule_id"] == rule).collect()
    };
    let direct = of("no-direct-user-assignments");
    assert_eq!(direct.len(), 2);
    // A direct account access manager entitlement is a direct grant too.
    let entitled = direct
        .iter()
        .find(|f| f["principal"]["name"] == "ivan.petrov@acme.example")
        .expect("the direct entitlement is found");
    assert_eq!(
        entitled["permission_set"]["arn"],
        "arn:aws:iam::100000000011:role/acme-plat-gbl-prod-support"
    );
    assert_eq!(entitled["account"]["name"], "plat-prod");
    let direct: Vec<_> = direct
        .into_iter()
        .filter(|f| f["principal"]["name"] == "julia.rossi@acme.example")
        .collect();
    assert_eq!(direct[0]["principal"]["name"], "julia.rossi@acme.example");
    assert_eq!(direct[0]["principal"]["type"], "USER");
    assert_eq!(direct[0]["account"]["name"], "plat-prod");
    assert_eq!(direct[0]["permission_set"]["name"], "AdministratorAccess");
    assert_eq!(direct[0]["resource"]["kind"], "assignment");
    assert_eq!(direct[0]["fingerprint"].as_str().unwrap().len(), 32);

    // DevOps members outside Managers, one finding each, through the DevOps group; and the
    // BillingAdmin members outside Managers, through the entitlement to the break-glass role.
    let admins: BTreeSet<(&str, &str, &str)> = of("admin-on-management-account")
        .iter()
        .map(|f| {
            (
                f["principal"]["name"].as_str().unwrap(),
                f["via"]["name"].as_str().unwrap(),
                f["permission_set"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    let mut expected: BTreeSet<(&str, &str, &str)> = [
        "dana.kowalski@acme.example",
        "emeka.obi@acme.example",
        "fatima.zahra@acme.example",
        "gustav.berg@acme.example",
        "hana.sato@acme.example",
    ]
    .into_iter()
    .map(|user| (user, "DevOps", "AdministratorAccess"))
    .collect();
    for user in ["tara.oconnor@acme.example", "umar.farouk@acme.example"] {
        expected.insert((user, "BillingAdmin", "role/acme-core-gbl-root-breakglass"));
    }
    // The developers reach the administrator role in root two hops away: PowerUserAccess in
    // plat-dev may assume the terraform role there, which the root-admin role trusts.
    let developers: Vec<String> = [
        "hana.sato",
        "ivan.petrov",
        "julia.rossi",
        "kofi.mensah",
        "lena.fischer",
        "marco.diaz",
        "nadia.haddad",
        "oscar.lindqvist",
        "priya.raman",
        "quentin.moreau",
        "rosa.jimenez",
        "samir.khan",
    ]
    .iter()
    .map(|user| format!("{user}@acme.example"))
    .collect();
    for user in &developers {
        expected.insert((user, "developers", "role/acme-core-gbl-root-admin"));
    }
    assert_eq!(admins, expected);
    let chained: Vec<&serde_json::Value> = of("admin-on-management-account")
        .into_iter()
        .filter(|f| f["via"]["name"] == "developers")
        .collect();
    for f in &chained {
        let resource = f["resource"]["name"].as_str().unwrap();
        assert!(
            resource.contains(
                "AWSReservedSSO_PowerUserAccess_67c9292de365963e (plat-dev) → \
                 role/acme-plat-gbl-dev-terraform (plat-dev) → role/acme-core-gbl-root-admin (core-root)"
            ),
            "{resource}"
        );
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("Reached through a chain of 2 role assumptions"),
            "{message}"
        );
    }

    let missing: Vec<&str> = of("required-groups-exist")
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["Developers"]);
    let devops_root: BTreeSet<&str> = of("devops-no-root-account-write")
        .iter()
        .map(|f| f["permission_set"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        devops_root,
        ["AdministratorAccess", "RootAccess"].into_iter().collect()
    );
    assert!(
        of("session-duration-too-long")[0]["message"]
            .as_str()
            .unwrap()
            .contains("PT12H")
    );
    let drift = of("permission-set-not-provisioned");
    assert_eq!(drift.len(), 1);
    assert!(
        drift[0]["message"]
            .as_str()
            .unwrap()
            .contains("100000000008")
    );
}

#[test]
fn compliant_fixture_is_clean() {
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--format",
        "json",
        "--fail-on",
        "info",
        "--now",
        NOW,
    ]);
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let report = json(&out.stdout);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["summary"]["findings"], 0);
    let table = run(&["check", "--snapshot", COMPLIANT, "--now", NOW]);
    assert_eq!(table.code, 0);
    assert!(
        table.stdout.contains(&format!(
            "no findings; {} rules evaluated",
            BUILTIN_IDS.len()
        )),
        "{}",
        table.stdout
    );
}

#[test]
fn table_is_grouped_by_severity_with_a_summary() {
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--now",
        NOW,
    ]);
    assert_eq!(out.code, 1);
    let critical = out.stdout.find("│ critical").expect("critical rows");
    let low = out.stdout.rfind("│ low").expect("low rows");
    assert!(critical < low);
    assert!(
        !out.stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
    // The summary line: the JSON report's counts, derived, not written down.
    let report = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    let json_report = json(&report.stdout);
    let summary = &json_report["summary"];
    let by_severity: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|s| {
            summary["by_severity"][s]
                .as_u64()
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    let incomplete = json_report["incomplete"].as_array().unwrap().len();
    let expected = format!(
        "{} findings ({}); {} rules evaluated; {} drift rules skipped (no --desired); 1 rule skipped (no --previous){}",
        json_report["findings"].as_array().unwrap().len(),
        by_severity.join(", "),
        BUILTIN_IDS.len(),
        ALL_BUILTIN_RULES - BUILTIN_IDS.len() - 1,
        if incomplete == 0 {
            String::new()
        } else {
            format!("; {incomplete} incomplete (collection gaps)")
        },
    );
    assert_eq!(out.stdout.lines().last(), Some(expected.as_str()));
    assert_eq!(report.stderr.lines().next(), Some(expected.as_str()));
}

#[test]
fn fail_on_threshold() {
    let critical = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(critical.code, 1);
    let never = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--fail-on",
        "never",
    ]);
    assert_eq!(never.code, 0);
    let only_low = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--only",
        "unused-permission-set",
        "--fail-on",
        "medium",
    ]);
    assert_eq!(only_low.code, 0, "a low finding does not fail at medium");
    let bad = run(&["check", "--snapshot", VIOLATING, "--fail-on", "severe"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--fail-on"), "{}", bad.stderr);
}

#[test]
fn only_and_skip_select_rules() {
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--format",
        "json",
        "--only",
        "no-direct-user-assignments",
    ]);
    let report = json(&out.stdout);
    assert_eq!(report["summary"]["rules_evaluated"], 1);
    // julia.rossi's direct assignment and ivan.petrov's direct entitlement.
    assert_eq!(report["findings"].as_array().unwrap().len(), 2);
    let skipped = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--format",
        "json",
        "--skip",
        "admin-on-management-account",
    ]);
    let report = json(&skipped.stdout);
    assert_eq!(report["summary"]["rules_evaluated"], BUILTIN_IDS.len() - 1);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule_id"] != "admin-on-management-account")
    );
    let unknown = run(&["check", "--snapshot", VIOLATING, "--only", "no-such-rule"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no-such-rule"));
}

#[test]
fn output_is_deterministic_and_can_go_to_a_file() {
    let dir = temp_dir("determinism");
    for format in ["table", "json", "sarif"] {
        let first = dir.join(format!("a.{format}"));
        let second = dir.join(format!("b.{format}"));
        for path in [&first, &second] {
            let out = run(&[
                "check",
                "--snapshot",
                VIOLATING,
                "--allow-gaps",
                "--format",
                format,
                "--now",
                NOW,
                "-o",
                path.to_str().unwrap(),
            ]);
            assert_eq!(out.code, 1);
            assert!(out.stdout.is_empty(), "report went to the file");
            assert!(
                out.stderr.contains(" findings ("),
                "summary on stderr: {}",
                out.stderr
            );
        }
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );
    }
}

#[test]
fn newer_or_malformed_snapshot_is_an_input_error() {
    let dir = temp_dir("snapshots");
    let text = std::fs::read_to_string(root().join(VIOLATING)).unwrap();
    let newer = dir.join("newer.json");
    std::fs::write(
        &newer,
        text.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1),
    )
    .unwrap();
    let out = run(&["check", "--snapshot", newer.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("schema_version 2") && out.stderr.contains("newer.json"),
        "{}",
        out.stderr
    );

    let malformed = dir.join("malformed.json");
    std::fs::write(
        &malformed,
        text.replacen("\"active\": true", "\"active\": \"yes\"", 1),
    )
    .unwrap();
    let out = run(&["check", "--snapshot", malformed.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("users[0].active") && out.stderr.contains("line "),
        "{}",
        out.stderr
    );
    let missing = run(&["check", "--snapshot", "no/such/file.json"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no/such/file.json"));
}

/// Adds collection gaps to the violating fixture.
fn with_gaps(name: &str, gaps: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    let text = std::fs::read_to_string(root().join(VIOLATING)).unwrap();
    let path = dir.join("gaps.json");
    std::fs::write(
        &path,
        text.replacen("\"gaps\": []", &format!("\"gaps\": [{gaps}]"), 1),
    )
    .unwrap();
    path
}

#[test]
fn collection_gaps_fail_with_exit_code_3() {
    let path = with_gaps(
        "gaps",
        r#"{"area": "assignments", "operation": "sso-admin:ListAccountAssignments", "resource": "100000000011", "error": "AccessDeniedException"}"#,
    );
    let path = path.to_str().unwrap();
    let out = run(&["check", "--snapshot", path, "--format", "json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out.stdout);
    let incomplete: BTreeSet<&str> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert!(incomplete.contains("no-direct-user-assignments"));
    assert!(incomplete.contains("unused-permission-set"));
    assert!(
        !incomplete.contains("required-groups-exist"),
        "group existence does not read assignments"
    );
    assert!(out.stderr.contains("collection gaps"), "{}", out.stderr);

    let allowed = run(&["check", "--snapshot", path, "--allow-gaps"]);
    assert_eq!(allowed.code, 1, "findings still fail the run");
    assert!(allowed.stderr.contains("warning"), "{}", allowed.stderr);
    assert!(
        allowed.stdout.contains(
            "incomplete: assignments not fully collected (sso-admin:ListAccountAssignments 100000000011): AccessDeniedException; affects "
        ),
        "{}",
        allowed.stdout
    );

    // A gap no enabled rule reads does not change the outcome.
    let unrelated = run(&[
        "check",
        "--snapshot",
        path,
        "--only",
        "required-groups-exist",
    ]);
    assert_eq!(unrelated.code, 1);
}

#[test]
fn gaps_are_matched_to_the_fields_a_rule_reads() {
    let path = with_gaps(
        "tag-gaps",
        r#"{"area": "account_tags", "operation": "organizations:ListTagsForResource", "resource": "100000000003", "error": "AccessDeniedException"}"#,
    );
    let out = run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--skip",
        "inline-policy-grants-admin",
        "--format",
        "json",
    ]);
    let report = json(&out.stdout);
    assert!(
        report["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["gaps"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["area"] != "account_tags")),
        "no built-in rule reads account tags: {}",
        out.stderr
    );

    let rules = temp_dir("tag-rule");
    std::fs::write(
        rules.join("prod-tag.yaml"),
        "id: account-has-stage-tag\ntitle: Accounts carry a Stage tag\nseverity: low\nsubject: account\n\
         condition: '!(\"Stage\" in account.tags)'\nmessage: \"{account.name} has no Stage tag\"\n\
         rationale: Tags drive cost reports.\nremediation: Tag the account.\n",
    )
    .unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--only",
        "account-has-stage-tag",
    ]);
    assert_eq!(
        out.code, 3,
        "the tag rule reads the missing tags: {}",
        out.stderr
    );
}

#[test]
fn suppressed_findings_are_kept_but_do_not_fail() {
    let dir = temp_dir("suppress");
    let file = dir.join("accepted.yaml");
    std::fs::write(
        &file,
        "suppressions:\n  - rule: no-direct-user-assignments\n    resource: \"100000000011/arn:aws:sso:::permissionSet/ssoins-72233d1f3c0b4e6a/ps-0000000000005a00/USER/906700aaaa-00000009-4444-5555-6666-000000011667\"\n    reason: break-glass grant approved in SEC-123\n  - rule: no-direct-user-assignments\n    resource: \"100000000011/arn:aws:iam::100000000011:role/acme-plat-gbl-prod-support/USER/906700aaaa-00000008-4444-5555-6666-00000000f778\"\n    reason: on-call support role, SEC-124\n",
    )
    .unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--only",
        "no-direct-user-assignments",
        "--suppressions",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["suppressed"], 2);
    let julia = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["principal"]["name"] == "julia.rossi@acme.example")
        .unwrap();
    assert_eq!(
        julia["suppressed"]["reason"],
        "break-glass grant approved in SEC-123"
    );

    // A suppression of that finding by its fingerprint, until `expires` (the entitlement's
    // by resource, as above).
    let fingerprint = julia["fingerprint"].as_str().unwrap();
    let by_fingerprint = |name: &str, reason: &str, expires: &str| {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!(
                "suppressions:\n  - rule: no-direct-user-assignments\n    fingerprint: \"{fingerprint}\"\n    reason: {reason}\n    expires: {expires}\n  - rule: no-direct-user-assignments\n    resource: \"100000000011/arn:aws:iam::100000000011:role/acme-plat-gbl-prod-support/USER/906700aaaa-00000008-4444-5555-6666-00000000f778\"\n    reason: on-call support role, SEC-124\n"
            ),
        )
        .unwrap();
        path
    };
    let expired = by_fingerprint("expired.yaml", "temporary", "2026-01-31");
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--only",
        "no-direct-user-assignments",
        "--suppressions",
        expired.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(out.code, 1, "an expired suppression no longer applies");

    // The same fingerprint, not expired: suppressed, kept and counted, also in SARIF.
    let current = by_fingerprint("current.yaml", "approved in SEC-9", "2027-01-31");
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--only",
        "no-direct-user-assignments",
        "--suppressions",
        current.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "sarif",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sarif = json(&out.stdout);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "kept");
    assert!(
        results
            .iter()
            .all(|r| r["suppressions"][0]["kind"] == "external")
    );
    assert!(
        results
            .iter()
            .any(|r| r["suppressions"][0]["justification"] == "approved in SEC-9")
    );

    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "suppressions:\n  - rule: x\n    reason: r\n").unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--allow-gaps",
        "--suppressions",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bad.yaml:2"), "{}", out.stderr);
}

#[test]
fn every_area_a_gap_can_name_reaches_the_rules_that_read_it() {
    use ssoaudit::vocabulary::DataArea;
    // For each area a collector or event source can record a gap in, a rule that reads it
    // (chosen by hand, not derived from the code under test) and one that does not.
    let expected: &[(DataArea, &str, &str)] = &[
        (
            DataArea::Organization,
            "admin-on-management-account",
            "required-groups-exist",
        ),
        (
            DataArea::PermissionSets,
            "required-permission-sets-exist",
            "required-groups-exist",
        ),
        (
            DataArea::PermissionSetPolicies,
            "inline-policy-grants-admin",
            "required-groups-exist",
        ),
        (
            DataArea::Provisioning,
            "permission-set-not-provisioned",
            "inline-policy-grants-admin",
        ),
        (
            DataArea::Assignments,
            "no-direct-user-assignments",
            "required-groups-exist",
        ),
        (
            DataArea::Users,
            "user-inactive-with-access",
            "required-permission-sets-exist",
        ),
        (
            DataArea::Groups,
            "required-groups-exist",
            "required-permission-sets-exist",
        ),
        (
            DataArea::Memberships,
            "group-assigned-without-members",
            "no-direct-user-assignments",
        ),
        (
            DataArea::Events,
            "sign-in-without-mfa",
            "user-inactive-with-access",
        ),
        (
            DataArea::AccountTags,
            "prod-tagged-accounts",
            "admin-on-management-account",
        ),
        (
            DataArea::DesiredState,
            "drift-unknown-account",
            "required-groups-exist",
        ),
        (
            DataArea::Capabilities,
            "inline-policy-grants-admin",
            "required-groups-exist",
        ),
        (
            DataArea::Guardrails,
            "inline-policy-grants-admin",
            "required-groups-exist",
        ),
        (
            DataArea::Instances,
            "account-instance-outside-central-control",
            "identity-center-delegated",
        ),
        (
            DataArea::Delegation,
            "identity-center-delegated",
            "account-instance-outside-central-control",
        ),
        (
            DataArea::Applications,
            "no-direct-user-application-assignments",
            "user-inactive-with-access",
        ),
        (
            DataArea::Entitlements,
            "management-account-access-outside-permission-sets",
            "required-groups-exist",
        ),
        (
            DataArea::OrganizationFeatures,
            "root-access-features-disabled",
            "root-access-managers-only",
        ),
        (
            DataArea::MemberAccounts,
            "member-accounts-reviewed",
            "required-groups-exist",
        ),
        (
            DataArea::ExternalIds,
            "user-created-by-hand",
            "required-groups-exist",
        ),
    ];
    assert_eq!(expected.len(), DataArea::ALL.len(), "every area is tried");
    let dir = temp_dir("gap-areas");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("tags.yaml"),
        "id: prod-tagged-accounts\ntitle: t\nseverity: low\nsubject: account\ncondition: account.tags.Stage == \"prod\" && account.status != \"ACTIVE\"\nmessage: m\nrationale: r\nremediation: x\n",
    )
    .unwrap();
    // A rule that says it reads what member accounts hold.
    std::fs::write(
        rules.join("members.yaml"),
        "id: member-accounts-reviewed\ntitle: t\nseverity: low\nsubject: account\ncondition: \"false\"\nrequires: [member_accounts]\nmessage: m\nrationale: r\nremediation: x\n",
    )
    .unwrap();
    let base: serde_json::Value = json(&std::fs::read_to_string(root().join(COMPLIANT)).unwrap());
    for (area, reader, other) in expected {
        let mut snapshot = base.clone();
        snapshot["gaps"] = serde_json::json!([{
            "area": area.as_str(),
            "operation": "test:Read",
            "resource": "r",
            "error": "AccessDenied"
        }]);
        let path = dir.join(format!("{area}.json"));
        std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
        let out = run(&[
            "check",
            "--snapshot",
            path.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--desired",
            "fixtures/stacks/reference-compliant.yaml",
            "--format",
            "json",
            "--now",
            NOW,
        ]);
        assert_eq!(out.code, 3, "{area}: a gap is never clean: {}", out.stderr);
        let report = json(&out.stdout);
        let incomplete: Vec<&str> = report["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rule_id"].as_str().unwrap())
            .collect();
        assert!(
            incomplete.contains(reader),
            "{area}: {reader} not in {incomplete:?}"
        );
        assert!(
            !incomplete.contains(other),
            "{area}: {other} in {incomplete:?}"
        );
    }
    // A gap under an area nobody knows is an error of the snapshot, not a silent pass.
    let mut snapshot = base.clone();
    snapshot["gaps"] = serde_json::json!([{
        "area": "permissionsets", "operation": "o", "resource": "", "error": "e"
    }]);
    let path = dir.join("mistyped.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let out = run(&["check", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("gaps[0].area"), "{}", out.stderr);
}

/// The violating fixture with its permission sets renamed, written to `dir`.
fn renamed_sets(dir: &std::path::Path) -> String {
    let mut snapshot: serde_json::Value =
        json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    let mut renames = Vec::new();
    for (i, set) in snapshot["permission_sets"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let name = set["name"].as_str().unwrap().to_string();
        let new = format!("Team{i}");
        set["name"] = serde_json::json!(new);
        renames.push((name, new));
    }
    // The sets' roles in the accounts carry their names, and so do the trust policies that
    // name them: an organization whose sets are called differently names them so throughout.
    let mut text = serde_json::to_string(&snapshot).unwrap();
    for (old, new) in &renames {
        text = text.replace(
            &format!("AWSReservedSSO_{old}_"),
            &format!("AWSReservedSSO_{new}_"),
        );
    }
    let path = dir.join("renamed.json");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn renamed_permission_sets_walk_past_no_rule() {
    let dir = temp_dir("renamed-sets");
    let renamed = renamed_sets(&dir);
    let ids = [
        "devops-no-root-account-write",
        "root-access-managers-only",
        "admin-on-management-account",
        "identity-center-admin-outside-managers",
        "assume-any-role-on-management-account",
        "billing-admin-billing-only",
    ];
    let findings = |snapshot: &str| -> std::collections::BTreeMap<String, usize> {
        let mut args = vec![
            "check",
            "--snapshot",
            snapshot,
            "--format",
            "json",
            "--allow-gaps",
        ];
        for id in &ids {
            args.extend(["--only", id]);
        }
        let out = run(&args);
        assert_eq!(out.code, 1, "{}", out.stderr);
        let mut counts = std::collections::BTreeMap::new();
        for f in json(&out.stdout)["findings"].as_array().unwrap() {
            *counts
                .entry(f["rule_id"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        counts
    };
    let original = findings(VIOLATING);
    assert_eq!(original.len(), ids.len(), "{original:?}");
    assert_eq!(findings(&renamed), original, "names decide nothing");
}

#[test]
fn unreadable_policies_make_capability_rules_incomplete() {
    // SupportEngineerAccess uses a customer managed policy and boundary, which live in each
    // account; the account it is assigned in refused the member role: what it can do there is
    // unknown, and the rules about what sets can do say so.
    let out = run(&[
        "check",
        "--snapshot",
        "fixtures/reference-violating-member-refused.snapshot.json",
        "--format",
        "json",
        "--only",
        "inline-policy-grants-admin",
        "--only",
        "required-groups-exist",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out.stdout);
    let incomplete = report["incomplete"].as_array().unwrap();
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0]["rule_id"], "inline-policy-grants-admin");
    let errors: Vec<String> = incomplete[0]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| format!("{} {} {}", g["area"], g["resource"], g["error"]))
        .collect();
    assert!(
        errors.iter().any(
            |e| e.starts_with("\"capabilities\" \"SupportEngineerAccess")
                && e.contains("customer managed policy /acme/support-tools")
        ),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("permissions boundary /acme/support-boundary")),
        "{errors:?}"
    );
    // The compliant organization uses none: complete and clean.
    let out = run(&[
        "check",
        "--snapshot",
        COMPLIANT,
        "--only",
        "inline-policy-grants-admin",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    // `script` (util-linux) gives the binary a terminal.
    let command = format!(
        "{} check --snapshot {VIOLATING} --allow-gaps --only no-direct-user-assignments",
        env!("CARGO_BIN_EXE_ssoaudit")
    );
    let on_terminal = |no_color: bool| -> String {
        let mut script = std::process::Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .current_dir(root())
            .stdin(std::process::Stdio::null())
            .env("COLUMNS", "200")
            .env_remove("NO_COLOR");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        let output = script.output().expect("script (util-linux) runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let coloured = on_terminal(false);
    assert!(coloured.contains("julia.rossi"), "{coloured}");
    assert!(coloured.contains("\u{1b}["), "colour on a terminal");
    let plain = on_terminal(true);
    assert!(plain.contains("julia.rossi"), "{plain}");
    assert!(!plain.contains("\u{1b}["), "NO_COLOR turns colour off");
}

#[test]
fn a_snapshot_from_before_settings_and_applications_is_incomplete_not_clean() {
    // The violating organization as an older ssoaudit wrote it: no `settings`, no
    // `applications`. The rules that read them report their gap and no finding.
    let mut snapshot = json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    let object = snapshot.as_object_mut().unwrap();
    object.remove("settings").expect("the fixture has settings");
    object
        .remove("applications")
        .expect("the fixture has applications");
    let path = temp_dir("old-snapshot").join("old.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let rules = [
        "account-instance-outside-central-control",
        "identity-center-delegated",
        "no-direct-user-application-assignments",
        "root-access-features-disabled",
    ];
    let mut args = vec![
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ];
    for rule in rules {
        args.extend(["--only", rule]);
    }
    let out = run(&args);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out.stdout);
    assert!(rule_resources(&report).is_empty(), "{report}");
    assert_eq!(incomplete_rules(&report), rules.map(String::from).into());
    assert!(
        report["incomplete"][0]["gaps"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("not in this snapshot: it was written before ssoaudit read"),
        "{report}"
    );
}
