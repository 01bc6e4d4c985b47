//! The live scan under hostile conditions: faults injected between the scanner and moto, an
//! account's request budget shared with another client, throttling that never ends, CloudTrail
//! Lake queries that poll, page and fail, and both ways of listing assignments.
//!
//! Each test prints what it injected and what the scan did (`cargo test --test live_hostile --
//! --nocapture`).

mod common;
#[path = "support/faults.rs"]
mod faults;
#[path = "support/live.rs"]
mod live;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use faults::{Fault, FaultProxy, Plan};
use live::*;
use moto::Moto;
use ssoaudit::snapshot::{PrincipalType, Snapshot};
use std::collections::BTreeSet;
use std::path::Path;

/// The number before `word` in the scan's last progress line ("... 161 calls, 12 retries, ...").
fn progress_count(stderr: &str, word: &str) -> u64 {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("scan: done:"))
        .unwrap_or_else(|| panic!("no progress summary in:\n{stderr}"));
    line.split(", ")
        .flat_map(|part| part.split("; "))
        .find_map(|part| part.strip_suffix(&format!(" {word}")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {word} count in {line:?}"))
}

/// A scan through the proxy (one-second attempt timeout), which must succeed: the snapshot and
/// the scan's stderr.
fn scan_through(moto: &Moto, proxy: &FaultProxy, name: &str, extra: &[&str]) -> (Snapshot, String) {
    let path = temp_dir(name).join("live.json");
    let mut args = vec![
        "snapshot",
        "-o",
        path.to_str().unwrap(),
        "--call-timeout",
        "1s",
    ];
    args.extend_from_slice(extra);
    let out = moto.ssoaudit_at(&proxy.endpoint(), &args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    (Snapshot::load(&path).unwrap(), stderr)
}

fn gaps_of(snapshot: &Snapshot) -> BTreeSet<(String, String)> {
    snapshot
        .gaps
        .iter()
        .map(|g| (g.operation.clone(), g.resource.clone()))
        .collect()
}

#[test]
fn transient_faults_between_scanner_and_api_give_the_clean_snapshot() {
    let (moto, expected) = seeded(VIOLATING);
    let proxy = FaultProxy::start(
        moto.port,
        Plan {
            rate: 0.2,
            seed: 11,
            ..Plan::default()
        },
    );
    let (live, stderr) = scan_through(&moto, &proxy, "transient-faults", &["--max-attempts", "10"]);
    assert!(live.gaps.is_empty(), "{:?}", live.gaps);
    assert_same(&live, &expected);

    let stats = proxy.stats();
    for kind in Fault::ALL {
        assert!(
            stats.faults.get(&kind).copied().unwrap_or(0) > 0,
            "no {kind:?} injected: {stats:?}"
        );
    }
    let attempts: u64 = live.metadata.api_calls.values().sum();
    let retries = progress_count(&stderr, "retries");
    // Every request the proxy saw is an attempt the scanner counted, and every fault cost
    // exactly one retry (no fault was taken for an answer, none was retried twice).
    assert_eq!(attempts, stats.requests, "{stats:?}");
    assert_eq!(retries, stats.injected(), "{stats:?}");
    println!(
        "transient faults: {} requests, {} faults injected {:?}, {retries} retries; outcome: the clean snapshot, no gap",
        stats.requests,
        stats.injected(),
        stats.faults
    );
}

#[test]
fn persistent_faults_are_gaps_for_exactly_what_was_not_read() {
    let (moto, mut expected) = seeded(VIOLATING);
    let set = expected
        .permission_sets
        .iter()
        .find(|s| s.name == "AdministratorAccess")
        .unwrap()
        .arn
        .clone();
    let group = |name: &str| {
        expected
            .groups
            .iter()
            .find(|g| g.display_name == name)
            .unwrap()
            .id
            .clone()
    };
    let (devops, developers) = (group("DevOps"), group("developers"));
    let rule = |texts: &[&str], fault| (texts.iter().map(|t| t.to_string()).collect(), fault);
    let proxy = FaultProxy::start(
        moto.port,
        Plan {
            always: vec![
                rule(&["DescribePermissionSet", &set], Fault::Reset),
                rule(&["ListGroupMemberships", &developers], Fault::Malformed),
                rule(
                    &["ListAccountAssignmentsForPrincipal", &devops],
                    Fault::Slow,
                ),
                rule(
                    &["ListAccountsForProvisionedPermissionSet", &set],
                    Fault::Truncated,
                ),
                rule(&["ListTagsForResource", &set], Fault::Burst5xx),
            ],
            ..Plan::default()
        },
    );
    let (live, _) = scan_through(&moto, &proxy, "persistent-faults", &["--max-attempts", "3"]);
    let path = temp_dir("persistent-faults-check").join("live.json");
    std::fs::write(&path, live.to_canonical_json()).unwrap();
    let expected_gaps: BTreeSet<(String, String)> = [
        ("sso-admin:DescribePermissionSet", set.as_str()),
        ("identitystore:ListGroupMemberships", developers.as_str()),
        (
            "sso-admin:ListAccountAssignmentsForPrincipal",
            devops.as_str(),
        ),
        (
            "sso-admin:ListAccountsForProvisionedPermissionSet",
            set.as_str(),
        ),
        ("sso-admin:ListTagsForResource", set.as_str()),
    ]
    .into_iter()
    .map(|(o, r)| (o.to_string(), r.to_string()))
    .collect();
    assert_eq!(gaps_of(&live), expected_gaps);
    for gap in &live.gaps {
        assert!(
            gap.error.starts_with("failed after 3 attempts: "),
            "{}: {}",
            gap.operation,
            gap.error
        );
    }

    // Everything else was read: the fixture without what the gaps name.
    let stats = proxy.stats();
    for s in &mut expected.permission_sets {
        if s.arn == set {
            // A set that could not be described keeps its ARN as its name.
            s.name = set.clone();
            s.description = None;
            s.session_duration = None;
            s.relay_state = None;
            s.tags.clear();
            s.provisioned_accounts.clear();
            s.outdated_accounts.clear();
        }
    }
    expected.memberships.retain(|m| m.group_id != developers);
    expected
        .assignments
        .retain(|a| !(a.principal_type == PrincipalType::Group && a.principal_id == devops));
    expected.gaps = live.gaps.clone();
    assert_same(&live, &expected);

    // And no clean report of unread data: the rules that read those parts are incomplete.
    let (code, report) = check_json(&path, &[]);
    assert_eq!(code, 3, "{report}");
    let incomplete = incomplete_rules(&report);
    for rule in [
        "admin-on-management-account",
        "no-direct-user-assignments",
        "group-assigned-without-members",
        "session-duration-too-long",
    ] {
        assert!(incomplete.contains(rule), "{rule} not in {incomplete:?}");
    }
    println!(
        "persistent faults: {} requests, {} faults injected {:?}; outcome: {} gaps naming exactly the faulted resources, check exit 3",
        stats.requests,
        stats.injected(),
        stats.faults,
        live.gaps.len()
    );
}

/// `check --snapshot FILE --format json`: the exit code and the report.
fn check_json(snapshot: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        "check",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    (out.code, json(&out.stdout))
}

#[test]
fn a_scan_that_cannot_start_keeps_the_previous_file_and_says_why() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(
        moto.port,
        Plan {
            always: vec![(vec![String::new()], Fault::Reset)],
            ..Plan::default()
        },
    );
    let path = temp_dir("no-start").join("live.json");
    std::fs::write(&path, "previous snapshot").unwrap();
    let out = moto.ssoaudit_at(
        &proxy.endpoint(),
        &[
            "snapshot",
            "--quiet",
            "-o",
            path.to_str().unwrap(),
            "--max-attempts",
            "2",
            "--verbose",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A network problem, said as one: not a missing permission.
    assert!(
        stderr.contains("cannot reach AWS at http://127.0.0.1:")
            && stderr.contains("(the connection was reset)")
            && stderr.contains("detail: failed after 2 attempts:")
            && !stderr.contains("sso:ListInstances"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous snapshot");
    assert_eq!(proxy.stats().requests, 2);
}

#[test]
fn a_shared_rate_budget_slows_the_scan_instead_of_failing_it() {
    // Another client spends most of the account's quota: 5 requests/s are left for
    // sso-admin and Identity Store together (the scanner's own ceiling is 20 each).
    let (moto, expected) = seeded(VIOLATING);
    moto.control(
        "config",
        serde_json::json!({"rate_limit": {"per_second": 5, "burst": 5}}),
    );
    let path = temp_dir("shared-budget").join("live.json");
    let started = std::time::Instant::now();
    let out = moto.ssoaudit(&["snapshot", "-o", path.to_str().unwrap()]);
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let live = Snapshot::load(&path).unwrap();
    assert!(live.gaps.is_empty(), "{:?}", live.gaps);
    assert_same(&live, &expected);
    let throttled = moto.control("calls", serde_json::json!({}))["throttled"]
        .as_u64()
        .unwrap();
    assert!(throttled > 0, "the budget never bit");
    assert_eq!(progress_count(&stderr, "throttled"), throttled);
    assert!(
        stderr.contains("requests throttled; rate adapted"),
        "{stderr}"
    );
    println!(
        "shared budget of 5 requests/s: {seconds:.1} s, {} calls, {throttled} throttled, no gap",
        live.metadata.api_calls.values().sum::<u64>()
    );
}

#[test]
fn persistent_throttling_becomes_a_gap_when_the_time_budget_is_spent() {
    let (moto, mut expected) = seeded(VIOLATING);
    moto.control(
        "config",
        serde_json::json!({"throttle": {"sso-admin:ListAccountAssignmentsForPrincipal": ""}}),
    );
    let path = temp_dir("throttled-forever").join("live.json");
    let out = moto.ssoaudit(&[
        "snapshot",
        "--quiet",
        "-o",
        path.to_str().unwrap(),
        // Long enough for the rest of the scan (about 6 s unthrottled).
        "--time-budget",
        "15s",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = Snapshot::load(&path).unwrap();
    // One gap per principal, each saying what happened; nothing else missing.
    let principals: BTreeSet<(String, String)> = expected
        .users
        .iter()
        .map(|u| u.id.clone())
        .chain(expected.groups.iter().map(|g| g.id.clone()))
        .map(|id| {
            (
                "sso-admin:ListAccountAssignmentsForPrincipal".to_string(),
                id,
            )
        })
        .collect();
    assert_eq!(gaps_of(&live), principals);
    // Those tried say how long they were throttled; those queued behind them at the backed-off
    // rate were never sent.
    let budget = "the scan's time budget (15s) was spent";
    let mut tried = 0;
    for gap in &live.gaps {
        if gap.error.starts_with("still failing after ") {
            assert!(
                gap.error
                    .ends_with(&format!("(ThrottlingException: Rate exceeded): {budget}")),
                "{}",
                gap.error
            );
            tried += 1;
        } else {
            assert_eq!(gap.error, format!("not called: {budget}"));
        }
    }
    assert!(tried > 0);
    expected.assignments.clear();
    expected.gaps = live.gaps.clone();
    assert_same(&live, &expected);
    let (code, _) = check_json(&path, &[]);
    assert_eq!(code, 3);
}

#[test]
fn lake_queries_are_polled_until_finished_and_read_page_by_page() {
    let (moto, bare) = serving_history("lake-paged");
    moto.control(
        "config",
        serde_json::json!({"lake_running_polls": 2, "lake_page_size": 2}),
    );
    let with_events = read_lake(&moto, &bare, &[]);
    let snapshot = Snapshot::load(&with_events).unwrap();
    assert!(snapshot.gaps.is_empty(), "{:?}", snapshot.gaps);
    assert_eq!(evidence_findings(&with_events), planted_evidence());
    // Each query: QUEUED, RUNNING, FINISHED; every page of two rows fetched.
    let calls = moto.calls();
    assert_eq!(calls["cloudtrail:StartQuery"], 3);
    assert_eq!(calls["cloudtrail:DescribeQuery"], 9);
    let rows = moto.control("queries", serde_json::json!({}));
    let rows: Vec<u64> = rows["queries"]
        .as_object()
        .unwrap()
        .values()
        .map(|q| q["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|&n| n > 2),
        "every query spans pages: {rows:?}"
    );
    assert_eq!(
        calls["cloudtrail:GetQueryResults"],
        rows.iter().map(|n| n.div_ceil(2)).sum::<u64>(),
        "{calls:?}"
    );
}

#[test]
fn a_failed_or_unfinished_lake_query_is_a_gap() {
    let (moto, bare) = serving_history("lake-failed");
    let store = STORE;
    let read = |config: serde_json::Value, extra: &[&str]| -> Snapshot {
        moto.control("config", config);
        let path = read_lake(&moto, &bare, extra);
        let (code, report) = check_evidence(path.to_str().unwrap(), &[]);
        assert_eq!(code, 3, "a rule reading events is incomplete: {report}");
        Snapshot::load(&path).unwrap()
    };

    // The sign-in query fails; the other two are still read.
    let failed = read(
        serde_json::json!({"lake_status": {"sign-ins": "FAILED"}}),
        &[],
    );
    let errors: Vec<(String, String, String)> = failed
        .gaps
        .iter()
        .map(|g| (g.operation.clone(), g.resource.clone(), g.error.clone()))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "cloudtrail:StartQuery");
    assert_eq!(errors[0].1, format!("{store} sign-ins"));
    assert!(
        errors[0]
            .2
            .ends_with("ended FAILED: the sign-ins query failed"),
        "{errors:?}"
    );
    assert!(failed.events.users.is_empty());
    assert!(!failed.events.role_uses.is_empty());

    // A query that never finishes ends with the time budget, and so do those after it.
    let stuck = read(
        serde_json::json!({"lake_running_polls": 1_000_000}),
        &["--time-budget", "3s"],
    );
    let gaps: BTreeSet<(String, String)> = stuck
        .gaps
        .iter()
        .map(|g| (g.resource.clone(), g.error.clone()))
        .collect();
    let budget = "the scan's time budget (3s) was spent";
    let expected: BTreeSet<(String, String)> = [
        (
            format!("{store} sign-ins"),
            format!("still RUNNING when {budget}"),
        ),
        (
            format!("{store} role-uses"),
            format!("not called: {budget}"),
        ),
        (
            format!("{store} rare events"),
            format!("not called: {budget}"),
        ),
    ]
    .into_iter()
    .collect();
    // (The query id varies; compare what follows it.)
    let found: BTreeSet<(String, String)> = gaps
        .iter()
        .filter(|(resource, _)| resource != store)
        .map(|(resource, error)| {
            let error = error
                .split_once(" still ")
                .map(|(_, rest)| format!("still {rest}"))
                .unwrap_or(error.clone());
            (resource.clone(), error)
        })
        .collect();
    assert_eq!(found, expected);
    // And nothing was read at all, which is a gap of its own.
    assert!(
        gaps.iter()
            .any(|(resource, error)| resource == store && error.starts_with("0 records for ")),
        "{gaps:?}"
    );
}

fn pairs(snapshot: &Snapshot) -> usize {
    snapshot
        .permission_sets
        .iter()
        .map(|s| s.provisioned_accounts.len())
        .sum()
}

#[test]
fn assignments_are_listed_per_principal_or_per_pair_whichever_is_fewer_calls() {
    // The fixture as it is: fewer principals than pairs, one call per principal.
    let (moto, expected) = seeded(VIOLATING);
    let principals = expected.users.len() + expected.groups.len();
    assert!(principals < pairs(&expected));
    let (live, _) = scan(&moto, &[]);
    assert_same(&live, &expected);
    let calls = moto.calls();
    assert_eq!(
        calls["sso-admin:ListAccountAssignmentsForPrincipal"],
        principals as u64
    );
    assert!(!calls.contains_key("sso-admin:ListAccountAssignments"));

    // With more principals than pairs: one call per pair.
    let (moto, expected) = seeded_from(&with_extra_users("per-pair", 20));
    let principals = expected.users.len() + expected.groups.len();
    assert!(principals > pairs(&expected));
    let (live, _) = scan(&moto, &[]);
    assert!(live.gaps.is_empty(), "{:?}", live.gaps);
    assert_same(&live, &expected);
    let calls = moto.calls();
    assert_eq!(
        calls["sso-admin:ListAccountAssignments"],
        pairs(&expected) as u64
    );
    assert!(!calls.contains_key("sso-admin:ListAccountAssignmentsForPrincipal"));
}

#[test]
fn listing_per_pair_with_unknown_provisioning_is_a_gap() {
    // The directory cannot be listed (so per principal is impossible) and one set's
    // provisioned accounts are unknown: its assignments cannot be listed either.
    let (moto, expected) = seeded(VIOLATING);
    let set = expected
        .permission_sets
        .iter()
        .find(|s| s.name == "TerraformApplyAccess")
        .unwrap()
        .arn
        .clone();
    moto.control(
        "config",
        serde_json::json!({"deny": {
            "identitystore:ListUsers": "",
            "sso-admin:ListAccountsForProvisionedPermissionSet": set,
        }}),
    );
    let (live, _) = scan(&moto, &[]);
    let calls = moto.calls();
    assert!(!calls.contains_key("sso-admin:ListAccountAssignmentsForPrincipal"));
    let other_pairs: usize = expected
        .permission_sets
        .iter()
        .filter(|s| s.arn != set)
        .map(|s| s.provisioned_accounts.len())
        .sum();
    assert_eq!(
        calls["sso-admin:ListAccountAssignments"],
        other_pairs as u64
    );
    let gap = live
        .gaps
        .iter()
        .find(|g| g.operation == "sso-admin:ListAccountAssignments")
        .expect("a gap for the set's assignments");
    assert_eq!(gap.resource, set);
    assert_eq!(
        gap.error,
        "the accounts this permission set is provisioned to are unknown"
    );
    // Every other assignment was listed.
    let listed: BTreeSet<_> = live.assignments.iter().collect();
    let others: BTreeSet<_> = expected
        .assignments
        .iter()
        .filter(|a| a.permission_set_arn != set)
        .collect();
    assert_eq!(listed, others);
}
