//! The live scan against moto on loopback: the snapshot of a seeded organization equals the
//! fixture it was seeded from (ids translated), live `check` equals `check --snapshot`, the
//! scanner calls only read-only operations of the shipped IAM policy, and faults become gaps.

mod common;
#[path = "support/live.rs"]
mod live;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use live::*;
use moto::Moto;
use ssoaudit::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn live_snapshot_equals_the_seeded_fixture_and_check_agrees() {
    let (moto, expected) = seeded(VIOLATING);
    let (live, _) = scan(&moto, &[]);
    assert!(live.gaps.is_empty(), "unexpected gaps: {:?}", live.gaps);
    assert_same(&live, &expected);
    // One call per set where one is due: the count is the organization's, not "some".
    let calls = &live.metadata.api_calls;
    assert_eq!(calls["sso-admin:ListInstances"], 1);
    assert_eq!(
        calls["sso-admin:DescribePermissionSet"],
        expected.permission_sets.len() as u64
    );
    assert_eq!(
        calls["sso-admin:GetInlinePolicyForPermissionSet"],
        expected.permission_sets.len() as u64
    );
    assert!(live.metadata.scan_duration_ms.is_some());
    // Account access manager: one application, described once, its entitlements listed once
    // per account (the filter is required); the one management account role they reach read
    // with its attached and inline policies.
    for (operation, count) in [
        ("account-access:ListApplications", 1),
        ("account-access:GetApplication", 1),
        (
            "account-access:ListEntitlements",
            expected.organization.accounts.len() as u64,
        ),
        ("iam:GetRole", 1),
        ("iam:ListAttachedRolePolicies", 1),
        ("iam:ListRolePolicies", 1),
        ("iam:GetRolePolicy", 1),
    ] {
        assert_eq!(calls[operation], count, "{operation}");
    }

    // Live check reports what check on the (translated) fixture reports, with the managed
    // policy documents the scan read.
    let dir = temp_dir("live-check");
    let translated = dir.join("translated.json");
    let mut expected = expected;
    expected.policy_documents = live.policy_documents.clone();
    std::fs::write(&translated, expected.to_canonical_json()).unwrap();
    let offline = run(&[
        "check",
        "--snapshot",
        translated.to_str().unwrap(),
        "--format",
        "json",
        "--now",
        NOW,
        "--allow-gaps",
    ]);
    // Neither has events: the evidence rules report their gap, --allow-gaps lets the rest speak.
    let live_check = moto.ssoaudit(&[
        "check",
        "--quiet",
        "--format",
        "json",
        "--now",
        NOW,
        "--allow-gaps",
    ]);
    assert_eq!(
        live_check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live_check.stderr)
    );
    let findings = |text: &str| -> BTreeSet<(String, String)> {
        json(text)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let live_findings = findings(&String::from_utf8(live_check.stdout).unwrap());
    assert_eq!(live_findings, findings(&offline.stdout));
    let rules: BTreeSet<&str> = live_findings.iter().map(|(r, _)| r.as_str()).collect();
    // Neither has member accounts (no --member-role): their two rules report the gap, and no
    // role chain is seen (the roles it runs through are not read).
    assert_eq!(
        rules.len(),
        BUILTIN_IDS.len() - 10,
        "every built-in rule but the evidence, member-account and chain ones fires live too"
    );
    // The provisioning rules read the external ids the scan read.
    assert!(rules.contains("user-created-by-hand") && rules.contains("group-created-by-hand"));
    assert!(!rules.contains("chain-admin-on-management-account"));
}

#[test]
fn compliant_organization_scans_clean() {
    let (moto, expected) = seeded(COMPLIANT);
    let (live, _) = scan(&moto, &[]);
    assert_same(&live, &expected);
    let check = moto.ssoaudit(&["check", "--quiet", "--fail-on", "info", "--allow-gaps"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// The operations the shipped policy allows, as `service:Operation` with the SDK's service names.
fn policy_operations() -> BTreeSet<String> {
    let policy =
        json(&std::fs::read_to_string(root().join("policy/ssoaudit-read-only.json")).unwrap());
    let mut operations = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        for action in statement["Action"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            let (prefix, operation) = action.split_once(':').unwrap();
            assert!(
                !operation.contains('*'),
                "the policy names operations, no wildcards: {action}"
            );
            let service = match prefix {
                "sso" => "sso-admin",
                other => other,
            };
            // s3:ListBucket is the permission of the ListObjectsV2 operation.
            let operation = match (service, operation) {
                ("s3", "ListBucket") => "ListObjectsV2",
                (_, operation) => operation,
            };
            operations.insert(format!("{service}:{operation}"));
        }
    }
    operations
}

#[test]
fn scanner_calls_only_read_only_operations_of_the_policy() {
    let (moto, _) = seeded(VIOLATING);
    let (live, _) = scan(&moto, &[]);
    let allowed = policy_operations();
    // What the server saw, not what the scanner says it did; with an organization where
    // assignments are listed per principal, and one where they are listed per pair.
    let mut called: BTreeSet<String> = moto.calls().keys().cloned().collect();
    let (per_pair, _) = seeded_from(&with_extra_users("policy-per-pair", 20));
    scan(&per_pair, &[]);
    called.extend(per_pair.calls().into_keys());
    for operation in &called {
        let name = operation.split_once(':').unwrap().1;
        assert!(
            ["List", "Describe", "Get"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{operation} is not a read-only operation"
        );
        assert!(
            allowed.contains(operation),
            "{operation} is not in policy/ssoaudit-read-only.json"
        );
    }
    // The policy lists exactly what the scanner uses: every operation of both scans...
    let mut used = called.clone();
    for listing in [
        "sso-admin:ListAccountAssignments",
        "sso-admin:ListAccountAssignmentsForPrincipal",
    ] {
        assert!(used.contains(listing), "{listing} not called");
    }
    // And LookupEvents, with --lookup-events (see lookup_events_feed_the_evidence_rules).
    used.insert("cloudtrail:LookupEvents".into());
    // And the assignment requests an incremental scan checks the change events against
    // (tests/incremental.rs checks what it calls is in the policy).
    // and the account it runs in (tag changes are seen from the management account only).
    for operation in [
        "sso-admin:ListAccountAssignmentCreationStatus",
        "sso-admin:ListAccountAssignmentDeletionStatus",
        "sts:GetCallerIdentity",
    ] {
        used.insert(operation.into());
    }
    // And CloudTrail Lake, with --cloudtrail-lake.
    for operation in [
        "cloudtrail:StartQuery",
        "cloudtrail:DescribeQuery",
        "cloudtrail:GetQueryResults",
    ] {
        used.insert(operation.into());
    }
    // And S3, with --cloudtrail-s3 (trail_logs_in_s3_give_the_events_of_the_same_files_in_a_folder
    // checks that what it calls is in the policy).
    for operation in ["s3:GetBucketLocation", "s3:GetObject", "s3:ListObjectsV2"] {
        used.insert(operation.into());
    }
    // And Athena, with --cloudtrail-athena (see cloudtrail_athena_queries_feed_the_evidence_rules).
    for operation in [
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StartQueryExecution",
    ] {
        used.insert(operation.into());
    }
    // And assuming the member role, with --member-role, and the management account's own IAM
    // read beside the member accounts (see member_accounts_are_read_through_the_member_role).
    for operation in [
        "sts:AssumeRole",
        "iam:GetAccountAuthorizationDetails",
        "iam:ListUsers",
        "iam:GetLoginProfile",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
    ] {
        used.insert(operation.into());
    }
    // And the guardrails, where SCPs or RCPs are enabled (see
    // member_accounts_and_guardrails_shape_what_sets_can_do).
    for operation in [
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "organizations:ListTargetsForPolicy",
    ] {
        used.insert(operation.into());
    }
    assert_eq!(used, allowed);
    // The server's count and the scanner's own agree.
    let recorded: BTreeMap<String, u64> = live.metadata.api_calls.clone();
    assert_eq!(recorded, moto.calls());
}

#[test]
fn throttled_scan_gives_the_same_snapshot() {
    let (moto, expected) = seeded(VIOLATING);
    moto.control(
        "config",
        serde_json::json!({"throttle_rate": 0.3, "seed": 7}),
    );
    let (live, _) = scan(&moto, &["--max-attempts", "20"]);
    let throttled = moto.control("calls", serde_json::json!({}))["throttled"]
        .as_u64()
        .unwrap();
    assert!(throttled > 10, "the server throttled {throttled} requests");
    assert!(live.gaps.is_empty(), "{:?}", live.gaps);
    assert_same(&live, &expected);
}

#[test]
fn access_denied_becomes_a_gap_and_check_exits_3() {
    let (moto, expected) = seeded(VIOLATING);
    moto.control(
        "config",
        serde_json::json!({"deny": {"sso-admin:GetInlinePolicyForPermissionSet": ""}}),
    );
    let (live, _) = scan(&moto, &[]);
    assert_eq!(
        live.gaps.len(),
        expected.permission_sets.len(),
        "{:?}",
        live.gaps
    );
    assert!(live.gaps.iter().all(|g| g.area
        == ssoaudit::vocabulary::DataArea::PermissionSetPolicies
        && g.operation == "sso-admin:GetInlinePolicyForPermissionSet"
        && g.error.contains("AccessDenied")));
    // Everything else was still read.
    assert_eq!(live.assignments.len(), expected.assignments.len());
    assert_eq!(live.users.len(), expected.users.len());
    let check = moto.ssoaudit(&["check", "--quiet", "--format", "json"]);
    assert_eq!(
        check.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let report = json(&String::from_utf8(check.stdout).unwrap());
    let incomplete = incomplete_rules(&report);
    assert!(incomplete.contains("inline-policy-grants-admin"));
    assert!(!incomplete.contains("no-direct-user-assignments"));
}

#[test]
fn denied_instance_settings_are_gaps_of_their_own_areas() {
    // Many scanning identities lack the newer read permissions: each missing one is a gap of
    // its own area, the rest of the scan is complete.
    use ssoaudit::vocabulary::DataArea;
    let (moto, mut expected) = seeded(VIOLATING);
    moto.control(
        "config",
        serde_json::json!({"deny": {
            "sso-admin:DescribeInstance": "",
            "sso-admin:ListRegions": "",
            "organizations:ListDelegatedAdministrators": "",
            "iam:ListOrganizationsFeatures": "",
            "sso-admin:ListApplications": "",
        }}),
    );
    let (live, _) = scan(&moto, &[]);
    let gaps: BTreeSet<(DataArea, String, String)> = live
        .gaps
        .iter()
        .map(|g| (g.area, g.operation.clone(), g.resource.clone()))
        .collect();
    let instance = expected.metadata.instance_arn.clone();
    let want: BTreeSet<(DataArea, String, String)> = [
        (
            DataArea::Instances,
            "sso-admin:DescribeInstance",
            instance.as_str(),
        ),
        (
            DataArea::Instances,
            "sso-admin:ListRegions",
            instance.as_str(),
        ),
        (
            DataArea::Delegation,
            "organizations:ListDelegatedAdministrators",
            "sso.amazonaws.com",
        ),
        (
            DataArea::Delegation,
            "organizations:ListDelegatedAdministrators",
            "iam.amazonaws.com",
        ),
        (
            DataArea::OrganizationFeatures,
            "iam:ListOrganizationsFeatures",
            "",
        ),
        (
            DataArea::Applications,
            "sso-admin:ListApplications",
            instance.as_str(),
        ),
    ]
    .into_iter()
    .map(|(a, o, r)| (a, o.to_string(), r.to_string()))
    .collect();
    assert_eq!(gaps, want);
    assert!(live.gaps.iter().all(|g| g.error.contains("AccessDenied")));
    // The rest equals the fixture, without what could not be read.
    let settings = expected.settings.as_mut().unwrap();
    for instance in &mut settings.instances {
        if instance.arn == expected.metadata.instance_arn {
            instance.encryption_key_type = None;
            instance.regions.clear();
        }
    }
    settings.delegated_administrators.clear();
    settings.organization_features = None;
    expected.applications = Some(Vec::new());
    expected.gaps = live.gaps.clone();
    assert_same(&live, &expected);

    let path = temp_dir("denied-settings").join("live.json");
    std::fs::write(&path, live.to_canonical_json()).unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--only",
        "identity-center-delegated",
        "--only",
        "root-access-features-disabled",
        "--only",
        "account-instance-outside-central-control",
        "--only",
        "session-duration-too-long",
        "--only",
        "no-direct-user-application-assignments",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out.stdout);
    // Root access features that could not be read are not "disabled": that rule reports its gap
    // alone. The account instance, listed by ListInstances, is still reported, and so is the
    // rule that reads none of the denied parts.
    assert_eq!(
        rule_resources(&report),
        [
            ("account-instance-outside-central-control", "plat-sandbox"),
            ("session-duration-too-long", "AdministratorAccess"),
        ]
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .into()
    );
    // (session-duration-too-long reads what sets can do, and the fixture's SupportEngineerAccess
    // has a customer managed policy no scan of the management account reads: that gap alone.)
    assert_eq!(
        incomplete_rules(&report),
        [
            "account-instance-outside-central-control",
            "identity-center-delegated",
            "no-direct-user-application-assignments",
            "root-access-features-disabled",
            "session-duration-too-long",
        ]
        .map(String::from)
        .into()
    );
    let session_gaps: Vec<&serde_json::Value> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule_id"] == "session-duration-too-long")
        .flat_map(|r| r["gaps"].as_array().unwrap())
        .collect();
    assert!(
        !session_gaps.is_empty()
            && session_gaps.iter().all(|g| g["area"] == "capabilities"
                && g["resource"]
                    .as_str()
                    .unwrap()
                    .starts_with("SupportEngineerAccess")),
        "{session_gaps:?}"
    );
}

#[test]
fn bad_credentials_and_region_fail_fast() {
    let moto = Moto::start();
    moto.control("config", serde_json::json!({"deny": {}}));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ssoaudit"));
    let output = command
        .args(["snapshot", "--quiet"])
        .env_clear()
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("credentials"), "{stderr}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ssoaudit"))
        .args(["snapshot", "--quiet"])
        .env_clear()
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--region"), "{stderr}");
}

#[test]
fn lookup_events_feed_the_evidence_rules() {
    let (moto, bare) = serving_history("lookup");
    let with_events = bare.with_file_name("with-events.json");
    let out = moto.ssoaudit(&[
        "snapshot",
        "--quiet",
        "--base",
        bare.to_str().unwrap(),
        "--lookup-events",
        "-o",
        with_events.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = moto.calls();
    assert_eq!(
        calls.keys().cloned().collect::<Vec<_>>(),
        ["cloudtrail:LookupEvents"],
        "--base calls nothing else"
    );
    assert!(calls["cloudtrail:LookupEvents"] >= 4);
    let snapshot = Snapshot::load(&with_events).unwrap();
    assert_eq!(
        snapshot.events.sources,
        [ssoaudit::vocabulary::EventSource::LookupEvents]
    );
    assert!(snapshot.gaps.is_empty(), "{:?}", snapshot.gaps);

    assert_eq!(evidence_findings(&with_events), planted_evidence());
}

#[test]
fn cloudtrail_lake_queries_feed_the_evidence_rules() {
    let (moto, bare) = serving_history("lake");
    let with_events = read_lake(&moto, &bare, &[]);
    let calls = moto.calls();
    assert_eq!(calls["cloudtrail:StartQuery"], 3, "{calls:?}");
    assert!(!calls.contains_key("cloudtrail:LookupEvents"));
    let snapshot = Snapshot::load(&with_events).unwrap();
    assert_eq!(
        snapshot.events.sources,
        [ssoaudit::vocabulary::EventSource::Lake]
    );
    assert!(snapshot.gaps.is_empty(), "{:?}", snapshot.gaps);
    assert_eq!(evidence_findings(&with_events), planted_evidence());
}

/// The table the moto extension runs Athena statements against.
const ATHENA_TABLE: &str = "security_logs.cloudtrail_org";

fn serve_athena_table(moto: &Moto) {
    moto.control(
        "athena",
        serde_json::json!({"database": "security_logs", "table": "cloudtrail_org"}),
    );
}

#[test]
fn cloudtrail_athena_queries_feed_the_evidence_rules() {
    let (moto, bare) = serving_history("athena");
    serve_athena_table(&moto);
    let (snapshot, _) = add_events_with(
        &moto,
        &bare,
        "athena",
        &[
            "--quiet",
            "--cloudtrail-athena",
            ATHENA_TABLE,
            "--athena-workgroup",
            "audit",
            "--athena-output",
            "s3://athena-results/ssoaudit/",
        ],
    );
    assert_eq!(
        snapshot.events.sources,
        [ssoaudit::vocabulary::EventSource::Athena]
    );
    assert!(snapshot.gaps.is_empty(), "{:?}", snapshot.gaps);
    assert_eq!(
        evidence_findings(&bare.with_file_name("athena.json")),
        planted_evidence()
    );
    let calls = moto.calls();
    assert_eq!(calls["athena:StartQueryExecution"], 3, "{calls:?}");
    let allowed = policy_operations();
    for operation in calls.keys() {
        assert!(
            allowed.contains(operation),
            "{operation} is not in the policy"
        );
    }
    // Each statement ran in the workgroup, database and result location asked for, and was
    // pruned by the period's days.
    let queries = moto.control("athena-queries", serde_json::json!({}));
    let queries = queries["queries"].as_object().unwrap();
    assert_eq!(queries.len(), 3);
    for query in queries.values() {
        assert_eq!(query["workgroup"], "audit");
        assert_eq!(query["database"], "security_logs");
        assert_eq!(query["output"], "s3://athena-results/ssoaudit/");
        assert_eq!(query["state"], "SUCCEEDED");
        assert!(query["rows"].as_u64().unwrap() > 0, "{query}");
        let statement = query["statement"].as_str().unwrap();
        assert!(statement.contains("\"timestamp\" >= '"), "{statement}");
    }

    // A statement that fails is a gap of its own; the others still count.
    moto.control(
        "athena",
        serde_json::json!({"database": "security_logs", "table": "cloudtrail_org",
            "status": {"rare": "FAILED"}}),
    );
    let (failed, _) = add_events_with(
        &moto,
        &bare,
        "athena-failed",
        &["--quiet", "--cloudtrail-athena", ATHENA_TABLE],
    );
    let gaps: Vec<String> = failed
        .gaps
        .iter()
        .map(|g| format!("{} {} {}", g.operation, g.resource, g.error))
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(
        gaps[0].starts_with("athena:StartQueryExecution security_logs.cloudtrail_org rare")
            && gaps[0].contains("ended FAILED"),
        "{gaps:?}"
    );
    assert!(!failed.events.users.is_empty());

    // Rows that come without column names are not read as rows with nothing in them.
    moto.control(
        "athena",
        serde_json::json!({"database": "security_logs", "table": "cloudtrail_org",
            "columnless": ["role-uses"]}),
    );
    let (columnless, _) = add_events_with(
        &moto,
        &bare,
        "athena-columnless",
        &["--quiet", "--cloudtrail-athena", ATHENA_TABLE],
    );
    let gaps: Vec<String> = columnless
        .gaps
        .iter()
        .map(|g| format!("{} {}", g.resource, g.error))
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(
        gaps[0].starts_with("security_logs.cloudtrail_org role-uses")
            && gaps[0].contains("without column names"),
        "{gaps:?}"
    );
    assert!(columnless.events.role_uses.is_empty());

    // A table the engine does not have: every statement fails, and says why.
    let (missing, _) = add_events_with(
        &moto,
        &bare,
        "athena-missing",
        &[
            "--quiet",
            "--cloudtrail-athena",
            "security_logs.no_such_table",
        ],
    );
    let errors: Vec<&str> = missing.gaps.iter().map(|g| g.error.as_str()).collect();
    assert_eq!(
        errors.len(),
        4,
        "three statements and the empty source: {errors:?}"
    );
    assert!(
        errors[..3].iter().all(|e| e.contains("no_such_table")),
        "{errors:?}"
    );
}

#[test]
fn event_sources_that_return_nothing_are_gaps() {
    let moto = Moto::start();
    serve_athena_table(&moto);
    let base = ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Compliant);
    let bare = temp_dir("nothing-served").join("bare.json");
    std::fs::write(&bare, base.to_canonical_json()).unwrap();
    for (source, flags) in [
        ("lookup-events", vec!["--lookup-events"]),
        ("lake", vec!["--cloudtrail-lake", STORE]),
        ("athena", vec!["--cloudtrail-athena", ATHENA_TABLE]),
    ] {
        let out_path = bare.with_file_name(format!("{source}.json"));
        let mut args = vec!["snapshot", "--quiet", "--base", bare.to_str().unwrap()];
        args.extend(flags);
        args.extend(["-o", out_path.to_str().unwrap()]);
        let out = moto.ssoaudit(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let snapshot = Snapshot::load(&out_path).unwrap();
        let errors: Vec<String> = snapshot
            .gaps
            .iter()
            .map(|g| format!("{} {}", g.operation, g.error))
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(&format!("{source}:read 0 records for ")),
            "{errors:?}"
        );
        let (code, report) = check_evidence(out_path.to_str().unwrap(), &[]);
        assert_eq!(code, 3, "{report}");
        assert!(report["findings"].as_array().unwrap().is_empty());
    }
}

#[test]
fn live_scan_reads_managed_policy_documents() {
    let (moto, expected) = seeded(COMPLIANT);
    let (live, _) = scan(&moto, &[]);
    let used: BTreeSet<&str> = expected
        .permission_sets
        .iter()
        .flat_map(|p| p.managed_policies.iter().map(String::as_str))
        .collect();
    let read: BTreeSet<&str> = live
        .policy_documents
        .iter()
        .map(|d| d.arn.as_str())
        .collect();
    assert_eq!(read, used, "one document per AWS managed policy in use");
    let admin = live
        .policy_documents
        .iter()
        .find(|d| d.arn == "arn:aws:iam::aws:policy/AdministratorAccess")
        .unwrap();
    assert_eq!(admin.document["Statement"][0]["Action"], "*");
    assert!(admin.version.starts_with('v'));
    let calls = moto.calls();
    assert_eq!(calls["iam:GetPolicy"], used.len() as u64);
    assert_eq!(calls["iam:GetPolicyVersion"], used.len() as u64);
    // The documents read are the ones evaluation uses: their versions name the source.
    let out = moto.ssoaudit(&["permission-set", "AdministratorAccess", "--quiet"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "AdministratorAccess (AWS managed, {})",
            admin.version
        )),
        "{text}"
    );
}

#[test]
fn live_scan_reads_customer_managed_policies_of_the_management_account() {
    let (moto, expected) = seeded(VIOLATING);
    let (live, _) = scan(&moto, &[]);
    let account = &live.metadata.management_account_id;
    let read: BTreeSet<&str> = live
        .policy_documents
        .iter()
        .map(|d| d.arn.as_str())
        .collect();
    for name in ["support-tools", "support-boundary"] {
        let arn = format!("arn:aws:iam::{account}:policy/acme/{name}");
        assert!(read.contains(arn.as_str()), "{arn} not in {read:?}");
    }
    // SupportEngineerAccess is assigned in a member account, whose copies are unknown without
    // the member role: the rules about what sets can do stay incomplete, naming the account and
    // what to do.
    assert!(
        expected
            .permission_sets
            .iter()
            .any(|p| p.name == "SupportEngineerAccess")
    );
    let out = moto.ssoaudit(&[
        "check",
        "--quiet",
        "--format",
        "json",
        "--only",
        "inline-policy-grants-admin",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&String::from_utf8(out.stdout).unwrap());
    let errors: Vec<String> = report["incomplete"][0]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["error"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.starts_with("in account ")
            && e.contains(
                ": customer managed policy /acme/support-tools: the account was not read (scan with --member-role"
            )),
        "{errors:?}"
    );
}

#[test]
fn a_region_without_an_instance_fails_fast_with_what_to_fix() {
    // A Region where IAM Identity Center was never enabled.
    let moto = Moto::start();
    moto.control("config", serde_json::json!({"no_instances": true}));
    let target = temp_dir("no-instance").join("snapshot.json");
    let out = moto.ssoaudit(&["snapshot", "--quiet", "-o", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no IAM Identity Center instance is visible in us-east-1"),
        "{stderr}"
    );
    assert!(stderr.contains("--region"), "{stderr}");
    assert!(!target.exists(), "no file from a failed scan");
    // Nothing but the one listing was called.
    assert_eq!(
        moto.calls().keys().cloned().collect::<Vec<_>>(),
        ["sso-admin:ListInstances"]
    );
}

#[test]
fn lookup_events_reads_every_region_of_the_instance_and_us_east_1() {
    // The organization's instance is replicated from us-east-1 to eu-west-1.
    let (moto, bare) = serving_history("regions");
    let regions_read = |home: &str| -> BTreeMap<String, u64> {
        moto.control("reset", serde_json::json!({}));
        let out_path = bare.with_file_name(format!("{home}.json"));
        let out = moto.ssoaudit(&[
            "snapshot",
            "--quiet",
            "--base",
            bare.to_str().unwrap(),
            "--lookup-events",
            "--region",
            home,
            "-o",
            out_path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The same events served in every Region are one set of findings (deduplicated).
        assert_eq!(evidence_findings(&out_path), planted_evidence());
        let answer = moto.control("calls", serde_json::json!({}));
        serde_json::from_value(answer["regions"]["cloudtrail:LookupEvents"].clone()).unwrap()
    };
    let from_home = regions_read("us-east-1");
    assert_eq!(
        from_home.keys().collect::<Vec<_>>(),
        ["eu-west-1", "us-east-1"]
    );
    // The same lookups in each Region.
    let per_region = from_home["us-east-1"];
    assert!(per_region >= 4);
    assert_eq!(from_home["eu-west-1"], per_region);
    // A --region outside the instance's Regions is read as well.
    let elsewhere = regions_read("ap-southeast-2");
    assert_eq!(
        elsewhere,
        BTreeMap::from([
            ("ap-southeast-2".to_string(), per_region),
            ("eu-west-1".to_string(), per_region),
            ("us-east-1".to_string(), per_region),
        ])
    );
}

#[test]
fn every_route_into_the_management_account_live_and_denied_entitlements_are_gaps() {
    use ssoaudit::vocabulary::DataArea;
    let (moto, expected) = seeded(VIOLATING);
    let management = expected.metadata.management_account_id.clone();
    let role = format!("arn:aws:iam::{management}:role/acme-core-gbl-root-breakglass");
    let access = |moto: &Moto| {
        let out = moto.ssoaudit(&[
            "access",
            "--quiet",
            "--account",
            &management,
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8(out.stdout).unwrap())
    };
    let entitled = |report: &serde_json::Value| -> BTreeSet<(String, String, String)> {
        report["access"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["route"] == "entitlement")
            .map(|r| {
                (
                    r["user_name"].as_str().unwrap().to_string(),
                    r["permission_set_arn"].as_str().unwrap().to_string(),
                    r["capability"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Live, every route in: the permission sets, and BillingAdmin's entitlement to the
    // break-glass role, whose policies were read and analysed.
    let report = access(&moto);
    let users = [
        "chen.wei@acme.example",
        "tara.oconnor@acme.example",
        "umar.farouk@acme.example",
    ];
    let want: BTreeSet<(String, String, String)> = users
        .iter()
        .map(|u| (u.to_string(), role.clone(), "administrator".to_string()))
        .collect();
    assert_eq!(entitled(&report), want);
    assert!(
        report["access"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route"] == "assignment")
    );
    assert_eq!(report["gaps"], serde_json::json!([]));

    // The role cannot be read: the route is still listed, its capability unknown, and the
    // rules that need it incomplete.
    moto.control("config", serde_json::json!({"deny": {"iam:GetRole": ""}}));
    let report = access(&moto);
    let want: BTreeSet<(String, String, String)> = users
        .iter()
        .map(|u| (u.to_string(), role.clone(), "unknown".to_string()))
        .collect();
    assert_eq!(entitled(&report), want);
    let check = moto.ssoaudit(&["check", "--quiet", "--format", "json"]);
    assert_eq!(check.status.code(), Some(3));
    let check = json(&String::from_utf8(check.stdout).unwrap());
    let admin = check["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "admin-on-management-account")
        .expect("admin-on-management-account is incomplete");
    assert!(
        admin["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["operation"] == "iam:GetRole" && g["resource"] == role.as_str()),
        "{admin}"
    );
    assert!(
        !check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "admin-on-management-account"
                && f["permission_set"]["arn"] == role.as_str()),
        "no verdict on a role that was not read"
    );

    // Entitlements refused: one gap per application and account, nothing else lost, access and
    // the rules about it say they may be incomplete.
    moto.control(
        "config",
        serde_json::json!({"deny": {"account-access:ListEntitlements": ""}}),
    );
    let (live, _) = scan(&moto, &[]);
    assert_eq!(
        live.gaps.len(),
        expected.organization.accounts.len(),
        "{:?}",
        live.gaps
    );
    assert!(live.gaps.iter().all(|g| g.area == DataArea::Entitlements
        && g.operation == "account-access:ListEntitlements"
        && g.error.contains("AccessDenied")));
    assert!(
        live.account_access
            .as_ref()
            .unwrap()
            .entitlements
            .is_empty()
    );
    assert_eq!(live.assignments.len(), expected.assignments.len());
    let report = access(&moto);
    assert!(entitled(&report).is_empty());
    assert_eq!(
        report["gaps"].as_array().unwrap().len(),
        expected.organization.accounts.len()
    );
    let check = moto.ssoaudit(&["check", "--quiet", "--format", "json"]);
    assert_eq!(check.status.code(), Some(3));
    let incomplete = incomplete_rules(&json(&String::from_utf8(check.stdout).unwrap()));
    for rule in [
        "management-account-access-outside-permission-sets",
        "admin-on-management-account",
        "no-direct-user-assignments",
    ] {
        assert!(incomplete.contains(rule), "{rule} not in {incomplete:?}");
    }
    assert!(!incomplete.contains("required-groups-exist"));

    // Five entitlements in one account: the service pages them (two a page) and every one is
    // read, in three calls for that account.
    moto.control("config", serde_json::json!({}));
    let application = "arn:aws:account-access:us-east-1:1:application/aam-paged";
    let mut entitlements: Vec<serde_json::Value> = expected
        .groups
        .iter()
        .cycle()
        .take(5)
        .enumerate()
        .map(|(i, group)| {
            serde_json::json!({
                "applicationArn": application,
                "entitlementId": format!("ent-{i}"),
                "principal": {"groupId": group.id},
                "roleArn": format!("arn:aws:iam::{management}:role/r{i}"),
                "account": management,
            })
        })
        .collect();
    // And one to a kind of principal this version does not know: a gap, not a silent drop.
    entitlements.push(serde_json::json!({
        "applicationArn": application,
        "entitlementId": "ent-new",
        "principal": {"roleId": "r-1"},
        "roleArn": format!("arn:aws:iam::{management}:role/r9"),
        "account": management,
    }));
    moto.control(
        "account-access",
        serde_json::json!({
            "applications": [{"applicationArn": application, "instanceArn": expected.metadata.instance_arn}],
            "entitlements": entitlements,
        }),
    );
    moto.control("reset", serde_json::json!({}));
    let (live, _) = scan(&moto, &[]);
    let access = live.account_access.unwrap();
    let ids: BTreeSet<&str> = access.entitlements.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["ent-0", "ent-1", "ent-2", "ent-3", "ent-4"])
    );
    assert_eq!(
        live.metadata.api_calls["account-access:ListEntitlements"],
        expected.organization.accounts.len() as u64 + 2
    );
    let unknown: Vec<&ssoaudit::snapshot::Gap> = live
        .gaps
        .iter()
        .filter(|g| g.area == DataArea::Entitlements)
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(
        unknown[0]
            .error
            .starts_with("1 entitlement(s) of a kind this version cannot read")
            && unknown[0].resource.contains(&management),
        "{unknown:?}"
    );
    // Roles that do not exist: a gap each, never a verdict.
    assert_eq!(
        live.gaps
            .iter()
            .filter(|g| g.operation == "iam:GetRole" && g.area == DataArea::Capabilities)
            .count(),
        5
    );
}

/// The trail log fixture: one organization trail, account 100000000001, us-east-1.
const HISTORY: &str = "fixtures/cloudtrail/reference-history";
/// A period that holds the whole fixture.
const HISTORY_SINCE: &str = "2026-07-01";

/// `snapshot --base BARE` with `flags` into `name`.json next to `bare`; returns the snapshot
/// and stderr.
fn add_events_with(
    moto: &Moto,
    bare: &std::path::Path,
    name: &str,
    flags: &[&str],
) -> (Snapshot, String) {
    let path = bare.with_file_name(format!("{name}.json"));
    let mut args = vec!["snapshot", "--base", bare.to_str().unwrap()];
    args.extend_from_slice(flags);
    args.extend(["-o", path.to_str().unwrap()]);
    let out = moto.ssoaudit(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (Snapshot::load(&path).unwrap(), stderr)
}

/// The events of a snapshot without the name of their source, and its gaps' messages.
fn events_and_gap_errors(snapshot: &Snapshot) -> (serde_json::Value, Vec<String>) {
    let mut events = serde_json::to_value(&snapshot.events).unwrap();
    events.as_object_mut().unwrap().remove("sources");
    (
        events,
        snapshot.gaps.iter().map(|g| g.error.clone()).collect(),
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn trail_logs_in_s3_give_the_events_of_the_same_files_in_a_folder() {
    let moto = Moto::start();
    let base = ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Violating);
    let bare = temp_dir("s3-trail").join("bare.json");
    std::fs::write(&bare, base.to_canonical_json()).unwrap();
    let history = root().join(HISTORY);
    let files = ssoaudit::events::trail_logs::log_files(&history).unwrap();
    let (folder, _) = add_events_with(
        &moto,
        &bare,
        "folder",
        &[
            "--quiet",
            "--cloudtrail-logs",
            history.to_str().unwrap(),
            "--events-since",
            HISTORY_SINCE,
            "--now",
            NOW,
        ],
    );
    assert!(!folder.events.users.is_empty());

    // The same files in a bucket of another Region, below a prefix; beside them, a day before
    // the period and an account outside the organization, with sign-ins of their own.
    let planted = gzip(
        serde_json::json!({"Records": [{
            "eventVersion": "1.08", "eventID": "00000000-0000-4000-8000-0000000000aa",
            "eventTime": "2026-06-30T10:00:00Z", "eventSource": "signin.amazonaws.com",
            "eventName": "UserAuthentication", "recipientAccountId": "100000000001",
            "userIdentity": {"type": "Unknown", "onBehalfOf": {"userId": "planted-user"}},
            "serviceEventDetails": {"UserAuthentication": "Success"},
            "additionalEventData": {"UserName": "planted", "CredentialType": "PASSWORD"}
        }]})
        .to_string()
        .as_bytes(),
    );
    let org = "trails/AWSLogs/o-a1b2c3d4e5";
    let objects = serde_json::json!({
        format!("{org}/100000000001/CloudTrail/us-east-1/2026/06/30/100000000001_CloudTrail_us-east-1_20260630T1000Z_early.json.gz"): base64(&planted),
        format!("{org}/999999999999/CloudTrail/us-east-1/2026/11/20/999999999999_CloudTrail_us-east-1_20261120T1000Z_other.json.gz"): base64(&planted),
        format!("{org}/100000000001/CloudTrail-Digest/us-east-1/2026/11/20/digest.json.gz"): base64(b"not a log"),
    });
    let uploaded = moto.control(
        "s3-upload",
        serde_json::json!({"bucket": "org-trail", "region": "eu-west-1",
            "dir": history, "prefix": "trails/", "objects": objects}),
    );
    assert_eq!(uploaded["uploaded"], files.len() + 3);
    moto.control("reset", serde_json::json!({}));
    let (s3, stderr) = add_events_with(
        &moto,
        &bare,
        "s3",
        &[
            "--cloudtrail-s3",
            "s3://org-trail/trails",
            "--events-since",
            HISTORY_SINCE,
            "--now",
            NOW,
        ],
    );
    assert_eq!(
        s3.events.sources,
        [ssoaudit::vocabulary::EventSource::TrailS3]
    );
    assert_eq!(
        events_and_gap_errors(&s3),
        events_and_gap_errors(&folder),
        "S3 and the folder give the same events and the same coverage"
    );
    assert!(
        stderr.contains("not accounts of the organization: 999999999999"),
        "{stderr}"
    );
    let calls = moto.calls();
    assert_eq!(
        calls.get("s3:GetObject").copied(),
        Some(files.len() as u64),
        "each log file of the period fetched once, nothing else: {calls:?}"
    );
    assert_eq!(calls.get("s3:GetBucketLocation").copied(), Some(1));
    // The layout (AWSLogs, the organization, its two accounts, CloudTrail) and one listing of
    // the period: the earlier day's key is listed past, not fetched.
    assert!(calls["s3:ListObjectsV2"] <= 8, "{calls:?}");
    let allowed = policy_operations();
    for operation in calls.keys() {
        assert!(
            allowed.contains(operation),
            "{operation} is not in policy/ssoaudit-read-only.json"
        );
    }

    // A period that starts after the fixture's first days reads only the days it covers.
    moto.control("reset", serde_json::json!({}));
    let (late, _) = add_events_with(
        &moto,
        &bare,
        "late",
        &[
            "--quiet",
            "--cloudtrail-s3",
            "s3://org-trail/trails/",
            "--events-since",
            "2026-11-20",
            "--now",
            NOW,
        ],
    );
    let in_period = files
        .iter()
        .filter(|f| f.to_string_lossy().contains("/2026/11/2"))
        .count();
    assert_eq!(moto.calls()["s3:GetObject"], in_period as u64);
    assert!(!late.events.users.is_empty());
}

#[test]
fn unreadable_trail_objects_in_s3_are_gaps_naming_them() {
    let moto = Moto::start();
    let base = ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Violating);
    let bare = temp_dir("s3-faults").join("bare.json");
    std::fs::write(&bare, base.to_canonical_json()).unwrap();
    let day = "trails/AWSLogs/o-a1b2c3d4e5/100000000001/CloudTrail/us-east-1/2026/11/20";
    let corrupt = format!("{day}/100000000001_CloudTrail_us-east-1_20261120T2350Z_bad.json.gz");
    let mut truncated = gzip(b"{\"Records\": []}");
    truncated.truncate(truncated.len() / 2);
    moto.control(
        "s3-upload",
        serde_json::json!({"bucket": "org-trail", "dir": root().join(HISTORY),
            "prefix": "trails/", "objects": {corrupt.clone(): base64(&truncated)}}),
    );
    let denied = ssoaudit::events::trail_logs::log_files(&root().join(HISTORY))
        .unwrap()
        .into_iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .find(|name| name.contains("20261120"))
        .unwrap();
    moto.control(
        "config",
        serde_json::json!({"deny": {"s3:GetObject": denied.clone()}}),
    );
    let (snapshot, _) = add_events_with(
        &moto,
        &bare,
        "faults",
        &[
            "--quiet",
            "--cloudtrail-s3",
            "s3://org-trail/trails",
            "--events-since",
            HISTORY_SINCE,
            "--now",
            NOW,
        ],
    );
    let gaps: Vec<(String, String, String)> = snapshot
        .gaps
        .iter()
        .map(|g| (g.operation.clone(), g.resource.clone(), g.error.clone()))
        .collect();
    assert!(
        gaps.iter()
            .any(|(operation, resource, error)| operation == "s3:GetObject"
                && resource.ends_with(&denied)
                && resource.starts_with("s3://org-trail/")
                && error.contains("AccessDenied")),
        "{gaps:#?}"
    );
    assert!(
        gaps.iter()
            .any(|(operation, resource, error)| operation == "s3:read"
                && resource == &format!("s3://org-trail/{corrupt}")
                && error.contains("corrupt or truncated")),
        "{gaps:#?}"
    );
    // The rest is read.
    assert!(!snapshot.events.users.is_empty());

    // A bucket that cannot be reached at all is a gap, not an empty history.
    let (missing, _) = add_events_with(
        &moto,
        &bare,
        "missing",
        &["--quiet", "--cloudtrail-s3", "s3://no-such-bucket/x"],
    );
    assert!(
        missing.gaps.iter().any(
            |g| g.operation == "s3:GetBucketLocation" && g.resource == "s3://no-such-bucket/x/"
        ),
        "{:#?}",
        missing.gaps
    );
}

/// Three days of the trail fixture moved 8 days later (2026-12-01 to 2026-12-03, after the
/// compliant snapshot's events end), as log files below `dir`.
fn recent_trail(dir: &std::path::Path) -> usize {
    let shift = chrono::Duration::days(8);
    let mut written = 0;
    for day in ["23", "24", "25"] {
        let from = root().join(format!(
            "{HISTORY}/AWSLogs/o-a1b2c3d4e5/100000000001/CloudTrail/us-east-1/2026/11/{day}"
        ));
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()),
                &mut text,
            )
            .unwrap();
            let mut document: serde_json::Value = serde_json::from_str(&text).unwrap();
            for record in document["Records"].as_array_mut().unwrap() {
                let time =
                    chrono::DateTime::parse_from_rfc3339(record["eventTime"].as_str().unwrap())
                        .unwrap()
                        + shift;
                record["eventTime"] = serde_json::json!(
                    time.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
            let moved_day = format!("{:02}", day.parse::<u32>().unwrap() + 8 - 30);
            let folder = dir.join(format!(
                "AWSLogs/o-a1b2c3d4e5/100000000001/CloudTrail/us-east-1/2026/12/{moved_day}"
            ));
            std::fs::create_dir_all(&folder).unwrap();
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(&format!("202611{day}"), &format!("202612{moved_day}"));
            std::fs::write(folder.join(name), gzip(document.to_string().as_bytes())).unwrap();
            written += 1;
        }
    }
    written
}

#[test]
fn a_source_added_to_a_snapshot_reads_up_to_now_whatever_the_snapshot_covered() {
    // The compliant snapshot's events end on 2026-11-28; the bucket and the folder hold the
    // days after it. Both read the period up to --now, and agree.
    let moto = Moto::start();
    let dir = temp_dir("recent-trail");
    let logs = dir.join("logs");
    let files = recent_trail(&logs);
    assert!(files >= 3);
    let base = dir.join("base.json");
    std::fs::copy(root().join(COMPLIANT), &base).unwrap();
    // The period: the days the bucket holds, up to now.
    let (since, now) = ("2026-12-01", "2026-12-04T00:00:00Z");
    let uploaded = moto.control(
        "s3-upload",
        serde_json::json!({"bucket": "recent-trail", "region": "us-east-1", "dir": logs}),
    );
    assert_eq!(uploaded["uploaded"], files);
    let (folder, _) = add_events_with(
        &moto,
        &base,
        "folder",
        &[
            "--quiet",
            "--cloudtrail-logs",
            logs.to_str().unwrap(),
            "--events-since",
            since,
            "--now",
            now,
        ],
    );
    let (s3, stderr) = add_events_with(
        &moto,
        &base,
        "s3",
        &[
            "--cloudtrail-s3",
            "s3://recent-trail/",
            "--events-since",
            since,
            "--now",
            now,
        ],
    );
    assert!(s3.gaps.is_empty(), "{:?}", s3.gaps);
    assert_eq!(moto.calls()["s3:GetObject"], files as u64, "{stderr}");
    assert!(
        !s3.gaps
            .iter()
            .any(|g| g.error.contains("no trail log files")),
        "{:?}",
        s3.gaps
    );
    assert_eq!(
        s3.events.covered_from.as_deref(),
        Some("2026-07-21T00:00:00Z")
    );
    assert!(
        s3.events.covered_to.as_deref() > Some("2026-12-03T00:00:00Z"),
        "{:?}",
        s3.events.covered_to
    );
    assert_eq!(
        events_and_gap_errors(&s3),
        events_and_gap_errors(&folder),
        "the bucket and the folder give the same events over the same period"
    );
    // Checked at that time, the snapshot's evidence covers the window's end.
    let path = dir.join("s3.json");
    std::fs::write(&path, s3.to_canonical_json()).unwrap();
    let out = moto.ssoaudit(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--now",
        now,
        "--only",
        "sign-in-without-mfa",
    ]);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("is not covered"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn shapes_this_version_cannot_read_are_gaps_not_silent_drops() {
    let (moto, expected) = seeded(VIOLATING);
    let first = &expected.assignments[0];
    let odd_assignments = serde_json::json!([
        // A principal type newer than this version, and an assignment without a principal.
        {"AccountId": first.account_id, "PermissionSetArn": first.permission_set_arn,
         "PrincipalType": "SERVICE_PRINCIPAL", "PrincipalId": "sp-1"},
        {"AccountId": first.account_id, "PermissionSetArn": first.permission_set_arn,
         "PrincipalType": "GROUP"},
    ]);
    let group = &expected.groups[0].id;
    moto.control(
        "patch",
        serde_json::json!({
            "sso-admin:ListAccountAssignments": {"AccountAssignments": {"append": odd_assignments}},
            "sso-admin:ListAccountAssignmentsForPrincipal": {"AccountAssignments": {"append": [
                {"PermissionSetArn": first.permission_set_arn, "PrincipalType": "GROUP", "PrincipalId": group}
            ]}},
            // A member that is not a user.
            "identitystore:ListGroupMemberships": {"GroupMemberships": {"append": [
                {"IdentityStoreId": expected.metadata.identity_store_id, "MembershipId": "m-odd",
                 "GroupId": group, "MemberId": {"ServicePrincipalId": "sp-1"}}
            ]}},
            // An answer without the set, and an instance the management account does not own.
            "sso-admin:DescribePermissionSet": {"PermissionSet": {"set": null}},
            "sso-admin:ListInstances": {"Instances": {"each": {"OwnerAccountId": "999999999999"}}},
        }),
    );
    let (live, _) = scan(&moto, &[]);
    let errors = |operation: &str| -> Vec<String> {
        live.gaps
            .iter()
            .filter(|g| g.operation == operation)
            .map(|g| format!("{}: {}", g.area, g.error))
            .collect()
    };
    let assignments: Vec<String> = errors("sso-admin:ListAccountAssignments")
        .into_iter()
        .chain(errors("sso-admin:ListAccountAssignmentsForPrincipal"))
        .collect();
    assert!(!assignments.is_empty(), "{:?}", live.gaps);
    assert!(
        assignments
            .iter()
            .all(|e| e.starts_with("assignments: ") && e.contains("this version cannot read")),
        "{assignments:?}"
    );
    // Every group's listing got one such member: a gap for each group.
    let members = errors("identitystore:ListGroupMemberships");
    assert_eq!(members.len(), expected.groups.len(), "{members:?}");
    assert!(members.iter().all(|m| m
        == "memberships: 1 member(s) this version cannot read (not a user): the access they hold through the group is not in the snapshot"));
    let described = errors("sso-admin:DescribePermissionSet");
    assert_eq!(described.len(), expected.permission_sets.len());
    assert!(described[0].starts_with("permission_sets: the answer holds no permission set"));
    assert!(live.permission_sets.iter().all(|s| s.name == s.arn));
    let instances = errors("sso-admin:ListInstances");
    assert_eq!(instances.len(), 2, "{instances:?}");
    assert!(
        instances
            .iter()
            .all(|e| e.contains("no instance is owned by the management account")),
        "{instances:?}"
    );
    // Everything readable was read, and what reads the gaps is incomplete.
    assert_eq!(live.assignments.len(), expected.assignments.len());
    let out = moto.ssoaudit(&["check", "--quiet", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&String::from_utf8(out.stdout).unwrap());
    assert!(incomplete_rules(&report).contains("no-direct-user-assignments"));
}

#[test]
fn lake_rows_that_cannot_be_read_are_gaps() {
    let (moto, bare) = serving_history("lake-odd-rows");
    moto.control(
        "patch",
        serde_json::json!({"cloudtrail:GetQueryResults": {"QueryResultRows": {"append": [
            [{"user_id": "u-odd"}, {"last_sign_in": "yesterday"}, {"without_mfa_count": "many"},
             {"account_id": "100000000001"}]
        ]}}}),
    );
    let path = read_lake(&moto, &bare, &[]);
    let snapshot = Snapshot::load(&path).unwrap();
    let errors: Vec<&str> = snapshot.gaps.iter().map(|g| g.error.as_str()).collect();
    assert!(
        errors.iter().any(|e| e.contains("sign-ins row")
            && e.contains("`without_mfa_count` is not a count: `many`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("role-uses row") && e.contains("no `role_name`")),
        "{errors:?}"
    );
    assert!(
        !snapshot
            .events
            .users
            .iter()
            .any(|u| u.user_id.as_deref() == Some("u-odd")),
        "an unreadable row is not a user without sign-ins"
    );
    // The evidence rules see the gap: incomplete, not clean.
    let out = moto.ssoaudit(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--only",
        "sign-in-without-mfa",
        "--format",
        "json",
    ]);
    let report = json(&String::from_utf8(out.stdout).unwrap());
    assert!(incomplete_rules(&report).contains("sign-in-without-mfa"));
}

#[test]
fn member_accounts_are_read_through_the_member_role() {
    let (moto, expected) = seeded(VIOLATING);
    let management = expected.organization.management_account_id.clone();
    // Member accounts that can be read (a suspended or closed one is not).
    let members: Vec<&ssoaudit::snapshot::Account> = expected
        .organization
        .accounts
        .iter()
        .filter(|a| a.id != management && a.status == "ACTIVE")
        .collect();
    assert!(members.len() >= 3);
    let (first, second, refused) = (&members[0].id, &members[1].id, &members[2].id);
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{management}:root")}, "Action": "sts:AssumeRole"}]});
    let tools = |action: &str| serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]});
    // The same customer managed policy with other content in two accounts, a role using it,
    // and an IAM user with a console password and an access key.
    moto.control(
        "iam-account",
        serde_json::json!({"account": first,
            "policies": [{"name": "support-tools", "path": "/acme/", "document": tools("support:*")}],
            "roles": [{"name": "acme-support", "trust": trust, "managed": ["support-tools"],
                       "inline": {"no-leaving": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}}}],
            "users": [{"name": "clickops", "password": true, "keys": 1}]}),
    );
    moto.control(
        "iam-account",
        serde_json::json!({"account": second,
            "policies": [{"name": "support-tools", "path": "/acme/", "document": tools("iam:*")}]}),
    );
    // One account refuses the role.
    moto.control(
        "config",
        serde_json::json!({"deny": {"sts:AssumeRole": refused}}),
    );
    let (live, _) = scan(&moto, &["--member-role", "ssoaudit-read"]);
    let read = live.member_accounts.as_ref().expect("member accounts read");
    let read_ids: BTreeSet<&str> = read.iter().map(|m| m.account_id.as_str()).collect();
    let want: BTreeSet<&str> = members
        .iter()
        .filter(|a| a.id != *refused)
        .map(|a| a.id.as_str())
        .collect();
    let mut want = want;
    want.insert(management.as_str());
    assert_eq!(
        read_ids, want,
        "every member account but the refusing one, and the management account"
    );
    // The management account is read with the scanning credentials, not through a role.
    let own = read
        .iter()
        .find(|m| m.account_id == management.as_str())
        .unwrap();
    assert_eq!(own.role_arn, "");
    // The refusal is a gap for exactly that account.
    let member_gaps: Vec<&ssoaudit::snapshot::Gap> = live
        .gaps
        .iter()
        .filter(|g| g.area == ssoaudit::vocabulary::DataArea::MemberAccounts)
        .collect();
    assert_eq!(member_gaps.len(), 1, "{member_gaps:?}");
    assert_eq!(member_gaps[0].operation, "sts:AssumeRole");
    assert!(
        member_gaps[0].resource.starts_with(&format!(
            "{refused} arn:aws:iam::{refused}:role/ssoaudit-read"
        )),
        "{member_gaps:?}"
    );
    assert!(
        member_gaps[0].error.contains("AccessDenied"),
        "{member_gaps:?}"
    );

    let account = |id: &str| read.iter().find(|m| m.account_id == id).unwrap();
    let a = account(first);
    assert_eq!(
        a.role_arn,
        format!("arn:aws:iam::{first}:role/ssoaudit-read")
    );
    let role = a
        .roles
        .iter()
        .find(|r| r.role.name == "acme-support")
        .unwrap();
    assert_eq!(
        role.role.managed_policies,
        [format!("arn:aws:iam::{first}:policy/acme/support-tools")]
    );
    assert_eq!(role.role.inline_policies[0].name, "no-leaving");
    assert_eq!(
        role.role.trust_policy.as_ref().unwrap()["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{management}:root")
    );
    let user = a.users.iter().find(|u| u.name == "clickops").unwrap();
    assert!(user.console_password);
    assert_eq!(user.access_keys.len(), 1);
    assert_eq!(user.access_keys[0].status, "Active");
    let document = |id: &str| {
        account(id)
            .policies
            .iter()
            .find(|p| p.arn.ends_with(":policy/acme/support-tools"))
            .unwrap()
            .document["Statement"][0]["Action"]
            .clone()
    };
    assert_eq!(document(first), "support:*");
    assert_eq!(document(second), "iam:*", "each account's own content");
    assert!(account(second).users.is_empty());

    // Every call in every account is in one of the two shipped policies, and the member
    // accounts saw only the member policy's reads.
    let member_policy = json(
        &std::fs::read_to_string(root().join("policy/ssoaudit-member-read-only.json")).unwrap(),
    );
    let member_allowed: BTreeSet<String> = member_policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let management_allowed = policy_operations();
    let by_account = moto.control("calls-by-account", serde_json::json!({}));
    let mut member_calls = 0;
    for (account_id, calls) in by_account["accounts"].as_object().unwrap() {
        for operation in calls.as_object().unwrap().keys() {
            if read_ids.contains(account_id.as_str()) && *account_id != management {
                member_calls += 1;
                assert!(
                    member_allowed.contains(operation),
                    "{operation} in member account {account_id} is not in policy/ssoaudit-member-read-only.json"
                );
            } else {
                assert!(
                    management_allowed.contains(operation),
                    "{operation} in {account_id} is not in policy/ssoaudit-read-only.json"
                );
            }
        }
    }
    assert!(member_calls > 0);
    // One per member account, the refusing one included; none for the management account.
    assert_eq!(
        moto.calls()["sts:AssumeRole"],
        want.len() as u64,
        "one AssumeRole per member account"
    );
    assert_eq!(live.metadata.api_calls["sts:AssumeRole"], want.len() as u64);
    // `check` takes the member role from the configuration file too.
    let config = temp_dir("member-config").join("ssoaudit.yaml");
    std::fs::write(
        &config,
        "member-role:\n  role: ssoaudit-read\n  overrides:\n    core-audit: /audit/ssoaudit-read\n",
    )
    .unwrap();
    moto.control("reset", serde_json::json!({}));
    let out = moto.ssoaudit(&[
        "check",
        "--quiet",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
        "--only",
        "required-groups-exist",
    ]);
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(moto.calls()["sts:AssumeRole"], want.len() as u64);
}

/// What member accounts hold and the organization's guardrails, end to end against moto: a
/// customer managed policy and boundary that differ between two accounts (an escalation hidden
/// in one), an SCP that freezes one account, an allow-list SCP at an OU, an IAM user with an
/// access key, a reserved role edited by hand, and an account that refuses the member role.
#[test]
fn member_accounts_and_guardrails_shape_what_sets_can_do() {
    let (moto, expected) = seeded(VIOLATING);
    let management = expected.organization.management_account_id.clone();
    let id = |name: &str| {
        expected
            .organization
            .accounts
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .id
            .clone()
    };
    let (staging, dev, prod, sandbox) = (
        id("plat-staging"),
        id("plat-dev"),
        id("plat-prod"),
        id("plat-sandbox"),
    );
    let plat_ou = expected
        .organization
        .organizational_units
        .iter()
        .find(|u| u.name == "plat")
        .unwrap()
        .id
        .clone();
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{management}:root")}, "Action": "sts:AssumeRole"}]});
    let allow = |actions: serde_json::Value| serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    // SupportEngineerAccess (inline `*`, capped by its boundary) is assigned in plat-staging,
    // where the boundary lets through passing a role to a Lambda function it creates and
    // invokes: an escalation that lives in the account, not in Identity Center.
    moto.control(
        "iam-account",
        serde_json::json!({"account": staging, "policies": [
            {"name": "support-tools", "path": "/acme/", "document": allow(serde_json::json!("support:*"))},
            {"name": "support-boundary", "path": "/acme/", "document": allow(serde_json::json!(["support:*", "iam:PassRole", "lambda:*"]))}
        ]}),
    );
    // The same names in plat-dev allow support alone.
    moto.control(
        "iam-account",
        serde_json::json!({"account": dev, "policies": [
            {"name": "support-tools", "path": "/acme/", "document": allow(serde_json::json!("support:*"))},
            {"name": "support-boundary", "path": "/acme/", "document": allow(serde_json::json!("support:*"))}
        ]}),
    );
    // plat-prod: an IAM user with an access key, and Identity Center's ReadOnlyAccess role
    // with AdministratorAccess attached by hand.
    moto.control(
        "iam-account",
        serde_json::json!({"account": prod,
            "roles": [{"name": "AWSReservedSSO_ReadOnlyAccess_0123456789abcdef", "path": "/aws-reserved/sso.amazonaws.com/",
                       "trust": trust, "managed": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"]}],
            "users": [{"name": "deploy", "keys": 1}]}),
    );
    // Compliant beside them: plat-dev's PowerUserAccess role as Identity Center provisions it,
    // an IAM user with neither password nor key; and the role an entitlement reaches in
    // plat-prod, read like any other.
    moto.control(
        "iam-account",
        serde_json::json!({"account": dev,
            "roles": [{"name": "AWSReservedSSO_PowerUserAccess_fedcba9876543210", "path": "/aws-reserved/sso.amazonaws.com/us-east-1/",
                       "trust": trust, "managed": ["arn:aws:iam::aws:policy/AWSSupportAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]},
                      {"name": "AWSReservedSSO_RetiredAccess_0011223344556677", "path": "/aws-reserved/sso.amazonaws.com/",
                       "trust": trust, "managed": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}],
            "users": [{"name": "svc-no-credentials"}]}),
    );
    moto.control(
        "iam-account",
        serde_json::json!({"account": prod,
            "roles": [{"name": "acme-plat-gbl-prod-support", "trust": trust, "managed": ["arn:aws:iam::aws:policy/AWSSupportAccess"]}]}),
    );
    // Guardrails: plat-prod frozen (deny everything), the plat OU on an allow-list (S3 and
    // CloudWatch Logs, FullAWSAccess detached there), everything denied at the root but for
    // the management account, which SCPs never bind.
    let guardrails = moto.control(
        "guardrails",
        serde_json::json!({"management": management, "enable": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
            "policies": [
                {"name": "NoAssumeFromOutside", "type": "RESOURCE_CONTROL_POLICY",
                 "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}]},
                 "targets": ["root"]},
                {"name": "FreezeProd", "type": "SERVICE_CONTROL_POLICY",
                 "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]},
                 "targets": [prod]},
                {"name": "PlatAllowList", "type": "SERVICE_CONTROL_POLICY",
                 "document": allow(serde_json::json!(["s3:*", "logs:*", "support:*", "iam:PassRole", "lambda:*"])),
                 "targets": [plat_ou]}
            ],
            "detach": [{"policy": "p-FullAWSAccess", "target": plat_ou}]}),
    );
    assert!(guardrails["policies"]["FreezeProd"].is_string());
    // plat-sandbox refuses the member role.
    moto.control(
        "config",
        serde_json::json!({"deny": {"sts:AssumeRole": sandbox}}),
    );
    let (live, _) = scan(&moto, &["--member-role", "ssoaudit-read"]);
    let read = live.guardrails.as_ref().expect("guardrails read");
    assert_eq!(
        read.enabled_types,
        ["RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"]
    );
    let rcp = read
        .policies
        .iter()
        .find(|p| p.name == "NoAssumeFromOutside")
        .unwrap();
    assert_eq!(rcp.kind, "RESOURCE_CONTROL_POLICY");
    assert_eq!(rcp.targets.len(), 1);
    assert!(rcp.targets[0].starts_with("r-"));
    let freeze = read
        .policies
        .iter()
        .find(|p| p.name == "FreezeProd")
        .unwrap();
    assert_eq!(freeze.targets, std::slice::from_ref(&prod));
    assert_eq!(freeze.document["Statement"][0]["Effect"], "Deny");
    let full = read
        .policies
        .iter()
        .find(|p| p.name == "FullAWSAccess")
        .unwrap();
    assert!(full.aws_managed && !full.targets.contains(&plat_ou));
    let dir = temp_dir("member-guardrails");
    let path = dir.join("live.json");
    std::fs::write(&path, live.to_canonical_json()).unwrap();
    let path = path.to_str().unwrap();

    // What SupportEngineerAccess can do, per account.
    let set = |account: &str| {
        let out = run(&[
            "permission-set",
            "SupportEngineerAccess",
            "--account",
            account,
            "--snapshot",
            path,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)["capabilities"].clone()
    };
    let in_staging = set(&staging);
    assert_eq!(in_staging["admin_equivalent"], true, "{in_staging:#}");
    assert!(
        in_staging["escalation_paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("lambda:CreateFunction")),
        "{in_staging:#}"
    );
    assert_eq!(in_staging["unknown_policies"], serde_json::json!([]));
    let in_dev = set("plat-dev");
    assert_eq!(in_dev["admin_equivalent"], false, "{in_dev:#}");
    assert_eq!(in_dev["writable_services"], serde_json::json!(["support"]));
    // In the refusing account the policies are unknown, and say why.
    let in_sandbox = set(&sandbox);
    assert!(
        in_sandbox["unknown_policies"][0]
            .as_str()
            .unwrap()
            .contains("could not be read through the member role"),
        "{in_sandbox:#}"
    );

    // AdministratorAccess under the freeze: nothing; under the allow-list: S3 and Logs only;
    // in the management account: everything.
    let admin = |account: &str| {
        let out = run(&[
            "permission-set",
            "AdministratorAccess",
            "--account",
            account,
            "--snapshot",
            path,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)["capabilities"].clone()
    };
    let frozen = admin(&prod);
    assert_eq!(frozen["admin_equivalent"], false, "{frozen:#}");
    assert_eq!(frozen["read_only"], true, "{frozen:#}");
    // What the OU's allow-list leaves, the account's deny removes; each says so.
    assert!(
        frozen["guardrails"].as_array().unwrap().iter().any(|g| g
            .as_str()
            .unwrap()
            .starts_with("SCP FreezeProd")
            && g.as_str()
                .unwrap()
                .contains("at the account, statement 0, denies it")),
        "{frozen:#}"
    );
    // The allow-list looks narrow, but passing a role to a Lambda function it creates is
    // still in it: administrator-equivalent, and nothing of Organizations or Identity Center.
    let listed = admin(&dev);
    assert_eq!(listed["admin_equivalent"], true, "{listed:#}");
    assert!(
        listed["admin_reasons"].as_array().unwrap().iter().all(|r| r
            .as_str()
            .unwrap()
            .starts_with("PassExistingRoleToNewLambda")),
        "{listed:#}"
    );
    assert_eq!(listed["can_manage_organization"], false);
    assert_eq!(listed["can_manage_identity_center"], false);
    assert_eq!(
        listed["writable_services"],
        serde_json::json!(["iam", "lambda", "logs", "s3", "support"]),
        "{listed:#}"
    );
    assert!(
        listed["guardrails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g.as_str().unwrap().contains("PlatAllowList")),
        "{listed:#}"
    );
    let unbound = admin(&management);
    assert_eq!(unbound["admin_equivalent"], true);
    assert_eq!(unbound["guardrails"], serde_json::json!([]));

    // The rules: the IAM user, the edited reserved role, the gap of the refusing account only.
    let out = run(&[
        "check",
        "--snapshot",
        path,
        "--only",
        "iam-user-outside-identity-center",
        "--only",
        "reserved-role-drift",
        "--only",
        "admin-on-management-account",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out.stdout);
    let found: BTreeSet<(String, String)> = report["findings"]
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
    assert!(
        found.contains(&(
            "iam-user-outside-identity-center".into(),
            "deploy in plat-prod".into()
        )),
        "{found:#?}"
    );
    assert!(
        found.contains(&(
            "reserved-role-drift".into(),
            "AWSReservedSSO_ReadOnlyAccess_0123456789abcdef in plat-prod".into()
        )),
        "{found:#?}"
    );
    // The orphan role of a deleted set; not the role as provisioned, not the user without
    // credentials.
    assert!(
        found.contains(&(
            "reserved-role-drift".into(),
            "AWSReservedSSO_RetiredAccess_0011223344556677 in plat-dev".into()
        )),
        "{found:#?}"
    );
    assert!(
        !found
            .iter()
            .any(|(_, r)| r.contains("PowerUserAccess") || r.contains("svc-no-credentials")),
        "{found:#?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|(rule, _)| rule != "admin-on-management-account")
            .count(),
        3,
        "{found:#?}"
    );
    // DevOps's AdministratorAccess on the management account: SCPs do not bind it.
    assert!(
        found
            .iter()
            .any(|(rule, _)| rule == "admin-on-management-account"),
        "{found:#?}"
    );
    let member_gaps: Vec<String> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["gaps"].as_array().unwrap().clone())
        .filter(|g| g["area"] == "member_accounts")
        .map(|g| g["resource"].as_str().unwrap().to_string())
        .collect();
    assert!(!member_gaps.is_empty());
    assert!(
        member_gaps.iter().all(|r| r.starts_with(&sandbox)),
        "{member_gaps:?}"
    );

    // The entitlement's role in plat-prod is read: AWSSupportAccess writes support cases, and
    // the freeze takes that away too.
    let out = run(&[
        "access",
        "--snapshot",
        path,
        "--account",
        "plat-prod",
        "--format",
        "csv",
    ]);
    let entitlement: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("role/acme-plat-gbl-prod-support") && l.ends_with(",entitlement,,0"))
        .collect();
    assert!(!entitlement.is_empty(), "{}", out.stdout);
    assert!(
        entitlement
            .iter()
            .all(|l| l.ends_with(",read-only,entitlement,,0")),
        "{entitlement:?}"
    );

    // access lists the IAM user as a way in of its own.
    let out = run(&[
        "access",
        "--snapshot",
        path,
        "--user",
        "deploy",
        "--format",
        "csv",
    ]);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with(&format!("plat-prod,{prod},deploy,"))
                && l.ends_with(",iam-user,,0")),
        "{}",
        out.stdout
    );

    // Every guardrail call is in the shipped policy.
    let allowed = policy_operations();
    for operation in [
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "organizations:ListTargetsForPolicy",
    ] {
        assert!(
            moto.calls().contains_key(operation),
            "{operation} not called"
        );
        assert!(allowed.contains(operation), "{operation} not in the policy");
    }
}
