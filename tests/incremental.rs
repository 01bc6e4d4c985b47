//! `snapshot --incremental` against moto on loopback: an organization changed at random through
//! the AWS APIs (the test server records every write as CloudTrail does), scanned again from the
//! previous night's snapshot after each round, equals a full scan of the same state byte for
//! byte (but for the metadata of the run); when change events are lost, or cannot be trusted,
//! the scan notices, reads the part in full and says why.

mod common;
#[path = "support/moto.rs"]
mod moto;
#[path = "support/state.rs"]
mod state;

use common::*;
use moto::Moto;
use ssoaudit::snapshot::Snapshot;
use state::state_bytes;
use std::path::{Path, PathBuf};

/// Runs tests/moto/edit.py against the server.
fn edit(moto: &Moto, args: &[&str]) -> serde_json::Value {
    let mut all = vec![
        root().join("tests/moto/edit.py").display().to_string(),
        moto.endpoint(),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    python_json(&all)
}

/// Scans with `snapshot` (and `extra`), writes to `path`, returns the snapshot.
fn snapshot(moto: &Moto, path: &Path, extra: &[&str]) -> Snapshot {
    let mut args = vec!["snapshot", "--quiet", "-o", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = moto.ssoaudit(&args);
    assert!(
        output.status.success(),
        "snapshot {extra:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Snapshot::load(path).expect("a valid snapshot")
}

fn assert_equal_state(incremental: &Snapshot, full: &Snapshot, round: &str) {
    let (a, b) = (state_bytes(incremental), state_bytes(full));
    if a != b {
        let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let show = |text: &str| {
            text.lines()
                .skip(first.saturating_sub(8))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{round}: the incremental snapshot differs from the full scan at line {first}:\n--- incremental\n{}\n--- full\n{}",
            show(&a),
            show(&b)
        );
    }
}

fn calls(snapshot: &Snapshot, operation: &str) -> u64 {
    snapshot
        .metadata
        .api_calls
        .get(operation)
        .copied()
        .unwrap_or(0)
}

fn total_calls(snapshot: &Snapshot) -> u64 {
    snapshot.metadata.api_calls.values().sum()
}

/// A server recording writes, with the small organization edit.py builds, and a full scan of
/// it as the first base.
fn recording_organization(name: &str) -> (Moto, PathBuf, PathBuf) {
    let moto = Moto::start();
    moto.control("config", serde_json::json!({"record_writes": true}));
    edit(&moto, &["setup"]);
    // Events are timed to the second, and so is the base's capture time, from which its start
    // is reckoned (up to a second early) and then looked up from the whole second: the setup's
    // last events are two seconds behind the base's start, or the first round reads them too.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let dir = temp_dir(name);
    let base = dir.join("base.json");
    snapshot(&moto, &base, &[]);
    (moto, dir, base)
}

/// The records the server holds, and the records of this round (after `before` of them).
fn recorded(moto: &Moto) -> Vec<serde_json::Value> {
    let answer = moto.control("cloudtrail-recorded", serde_json::json!({}));
    answer["records"].as_array().cloned().unwrap_or_default()
}

fn is_assignment_event(record: &serde_json::Value) -> bool {
    matches!(
        record["eventName"].as_str(),
        Some("CreateAccountAssignment" | "DeleteAccountAssignment")
    )
}

#[test]
fn incremental_rescans_equal_full_scans_over_random_edits_and_fall_back_on_lost_events() {
    let (moto, dir, base) = recording_organization("incremental-rounds");
    let mut previous = base;
    let mut edits = 0;
    let mut lost_rounds = 0;
    let mut event_rounds = Totals::default();
    // The times of the assignment events lost so far.
    let mut lost: Vec<String> = Vec::new();
    for round in 1..=20u32 {
        let made = edit(&moto, &["edit", &round.to_string(), "12"]);
        edits += made.as_array().expect("edits").len();
        // From round 13, some of the round's events are lost: a seeded half of them, kept
        // from tag changes (which no cheap invariant can check; see README).
        if round > 12 {
            let records = recorded(&moto);
            let round_start = previous_capture(&previous);
            let mut kept = Vec::new();
            for (i, record) in records.into_iter().enumerate() {
                let of_round =
                    record["eventTime"].as_str().unwrap_or_default() > round_start.as_str();
                let tags = record["eventSource"] == "organizations.amazonaws.com"
                    && matches!(
                        record["eventName"].as_str(),
                        Some("TagResource" | "UntagResource")
                    );
                let lose = of_round && !tags && (i as u32 + round).is_multiple_of(2);
                if lose {
                    if is_assignment_event(&record) {
                        lost.push(record["eventTime"].as_str().unwrap_or_default().to_string());
                    }
                } else {
                    kept.push(record);
                }
            }
            moto.control("cloudtrail-events", serde_json::json!({"records": kept}));
        }
        let incremental_path = dir.join(format!("incremental-{round}.json"));
        let incremental = snapshot(
            &moto,
            &incremental_path,
            &[
                "--incremental",
                previous.to_str().unwrap(),
                "--changes-margin",
                "0s",
            ],
        );
        let full = snapshot(&moto, &dir.join(format!("full-{round}.json")), &[]);
        let label = format!("round {round} ({made})");
        assert_equal_state(&incremental, &full, &label);
        assert!(full.gaps.is_empty(), "{label}: gaps {:?}", full.gaps);

        let how = incremental
            .metadata
            .incremental
            .as_ref()
            .expect("an incremental snapshot says how it was made");
        assert!(
            how.change_events >= if round > 12 { 1 } else { 12 },
            "{label}: {how:?}"
        );
        let full_parts: Vec<&str> = how.read_in_full.iter().map(|r| r.part.as_str()).collect();
        // A lost assignment event in the period read is noticed: Identity Center lists the
        // request, CloudTrail has no event of it.
        let lost_in_period: Vec<&String> = lost
            .iter()
            .filter(|time| time.as_str() >= how.changes_since.as_str())
            .collect();
        if !lost_in_period.is_empty() {
            lost_rounds += 1;
            assert_eq!(
                full_parts,
                ["account_tags", "assignments"],
                "{label}: {how:?}, assignment events lost at {lost_in_period:?}"
            );
            assert!(
                how.read_in_full[1]
                    .reason
                    .contains("have no CloudTrail event"),
                "{label}: {how:?}"
            );
            assert_eq!(
                calls(&incremental, "sso-admin:ListAccountAssignments")
                    + calls(&incremental, "sso-admin:ListAccountAssignmentsForPrincipal"),
                calls(&full, "sso-admin:ListAccountAssignments")
                    + calls(&full, "sso-admin:ListAccountAssignmentsForPrincipal"),
                "{label}: a fallback lists every assignment"
            );
        } else {
            assert!(full_parts.is_empty(), "{label}: {how:?}");
            // Only what changed is listed again. In an organization of six accounts a round of
            // twelve edits (a deleted group takes all its pairs along) may touch nearly every
            // pair: no round may read more than the full scan, and over the rounds the
            // incremental scans read fewer pairs and tags, and call less, than the full ones.
            let listed = calls(&incremental, "sso-admin:ListAccountAssignments");
            assert_eq!(listed, how.assignment_pairs_read, "{label}");
            let full_pairs: u64 = full
                .permission_sets
                .iter()
                .map(|s| s.provisioned_accounts.len() as u64)
                .sum();
            assert!(
                how.assignment_pairs_read <= full_pairs,
                "{label}: {how:?}, {full_pairs} pairs provisioned"
            );
            assert_eq!(
                calls(&incremental, "organizations:ListTagsForResource"),
                how.account_tags_read,
                "{label}"
            );
            let accounts = full.organization.accounts.len() as u64;
            assert!(how.account_tags_read <= accounts, "{label}: {how:?}");
            event_rounds.add(
                [
                    how.assignment_pairs_read,
                    how.account_tags_read,
                    total_calls(&incremental),
                ],
                [full_pairs, accounts, total_calls(&full)],
            );
        }
        previous = incremental_path;
    }
    assert!(edits >= 200, "{edits} edits");
    // What the incremental scans called is read-only and in the shipped policy.
    let policy =
        json(&std::fs::read_to_string(root().join("policy/ssoaudit-read-only.json")).unwrap());
    let allowed: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|statement| statement["Action"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().replacen("sso:", "sso-admin:", 1))
        .collect();
    let last = Snapshot::load(&previous).unwrap();
    assert!(
        last.metadata
            .api_calls
            .contains_key("cloudtrail:LookupEvents")
    );
    for operation in last.metadata.api_calls.keys() {
        assert!(
            allowed.contains(operation),
            "{operation} is not in the policy"
        );
        let name = operation.split_once(':').unwrap().1;
        assert!(
            ["List", "Describe", "Get", "Lookup"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{operation} is not a read-only operation"
        );
    }
    assert!(event_rounds.rounds >= 12, "{event_rounds:?}");
    for (i, what) in ["assignment pairs listed", "account tags read", "calls"]
        .iter()
        .enumerate()
    {
        assert!(
            event_rounds.incremental[i] < event_rounds.full[i],
            "over the rounds taken from events, {what}: {} incremental against {} full",
            event_rounds.incremental[i],
            event_rounds.full[i]
        );
    }
    assert!(
        lost_rounds >= 3,
        "only {lost_rounds} rounds lost an assignment event"
    );
}

/// What the incremental scans taken from events read and called, beside the full scans of the
/// same rounds: pairs listed, account tags read, calls.
#[derive(Debug, Default)]
struct Totals {
    rounds: u32,
    incremental: [u64; 3],
    full: [u64; 3],
}

impl Totals {
    fn add(&mut self, incremental: [u64; 3], full: [u64; 3]) {
        self.rounds += 1;
        for i in 0..3 {
            self.incremental[i] += incremental[i];
            self.full[i] += full[i];
        }
    }
}

fn previous_capture(path: &Path) -> String {
    Snapshot::load(path).unwrap().metadata.captured_at
}

#[test]
fn what_the_events_cannot_vouch_for_is_read_in_full_and_said() {
    let (moto, dir, base) = recording_organization("incremental-fallbacks");
    edit(&moto, &["edit", "101", "10"]);
    let full = snapshot(&moto, &dir.join("full.json"), &[]);
    let reasons = |snapshot: &Snapshot| -> Vec<(String, String)> {
        let how = snapshot
            .metadata
            .incremental
            .as_ref()
            .expect("how it was made");
        how.read_in_full
            .iter()
            .map(|r| (r.part.clone(), r.reason.clone()))
            .collect()
    };
    let rescan = |name: &str, base: &Path| {
        let path = dir.join(format!("{name}.json"));
        let incremental = snapshot(
            &moto,
            &path,
            &[
                "--incremental",
                base.to_str().unwrap(),
                "--changes-margin",
                "0s",
            ],
        );
        assert_equal_state(&incremental, &full, name);
        incremental
    };

    // A base older than the 90 days LookupEvents keeps: the whole organization is scanned.
    let mut old = Snapshot::load(&base).unwrap();
    let captured = chrono::DateTime::parse_from_rfc3339(&old.metadata.captured_at).unwrap();
    old.metadata.captured_at =
        (captured - chrono::TimeDelta::days(91)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let old_path = dir.join("old-base.json");
    std::fs::write(&old_path, old.to_canonical_json()).unwrap();
    let scanned = rescan("old", &old_path);
    let why = reasons(&scanned);
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].0, "all");
    assert!(why[0].1.contains("older than the 90 days"), "{why:?}");

    // A base of another instance, or not scanned live: scanned in full.
    let mut other = Snapshot::load(&base).unwrap();
    other.metadata.instance_arn = "arn:aws:sso:::instance/ssoins-0000000000000000".into();
    let other_path = dir.join("other-base.json");
    std::fs::write(&other_path, other.to_canonical_json()).unwrap();
    let why = reasons(&rescan("other", &other_path));
    assert!(why[0].1.contains("another instance"), "{why:?}");
    let fixture = root().join(VIOLATING);
    let output = moto.ssoaudit(&[
        "snapshot",
        "--quiet",
        "-o",
        dir.join("fixture-base.json").to_str().unwrap(),
        "--incremental",
        fixture.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let why = reasons(&Snapshot::load(&dir.join("fixture-base.json")).unwrap());
    assert!(why[0].1.contains("not made by a live scan"), "{why:?}");

    // A base with a gap in assignments: they are listed in full, tags still from events.
    let mut gapped = Snapshot::load(&base).unwrap();
    gapped.gaps.push(ssoaudit::snapshot::Gap {
        area: ssoaudit::vocabulary::DataArea::Assignments,
        operation: "sso-admin:ListAccountAssignments".into(),
        resource: "111111111111 arn".into(),
        error: "throttled".into(),
    });
    let gapped_path = dir.join("gapped-base.json");
    std::fs::write(&gapped_path, gapped.to_canonical_json()).unwrap();
    let why = reasons(&rescan("gapped", &gapped_path));
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].0, "assignments");
    assert!(
        why[0].1.contains("the base could not read assignments"),
        "{why:?}"
    );

    // An Identity Center or Organizations write this version cannot place: its part in full.
    let original = recorded(&moto);
    let mut records = original.clone();
    let mut unknown = records[0].clone();
    unknown["eventSource"] = "sso.amazonaws.com".into();
    unknown["eventName"] = "AttachNewKindOfPolicyToPermissionSet".into();
    unknown["eventID"] = "unknown-1".into();
    let mut organizations = unknown.clone();
    organizations["eventSource"] = "organizations.amazonaws.com".into();
    organizations["eventName"] = "ReassignAccountOwnership".into();
    organizations["eventID"] = "unknown-2".into();
    records.insert(0, unknown);
    records.insert(0, organizations);
    moto.control("cloudtrail-events", serde_json::json!({"records": records}));
    let why = reasons(&rescan("unknown", &base));
    let parts: Vec<&str> = why.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(parts, ["account_tags", "assignments"], "{why:?}");
    assert!(why[0].1.contains("ReassignAccountOwnership"), "{why:?}");
    assert!(
        why[1].1.contains("AttachNewKindOfPolicyToPermissionSet"),
        "{why:?}"
    );
    moto.control(
        "cloudtrail-events",
        serde_json::json!({"records": original}),
    );

    // Change events that cannot be read: the whole organization is scanned.
    moto.control(
        "config",
        serde_json::json!({"record_writes": true, "deny": {"cloudtrail:LookupEvents": ""}}),
    );
    let why = reasons(&rescan("unreadable", &base));
    assert_eq!(why[0].0, "all");
    assert!(why[0].1.contains("could not be read"), "{why:?}");

    // The assignment requests cannot be listed to check the events against: assignments and
    // tags in full.
    moto.control(
        "config",
        serde_json::json!({"record_writes": true,
            "deny": {"sso-admin:ListAccountAssignmentCreationStatus": ""}}),
    );
    let why = reasons(&rescan("unverified", &base));
    let parts: Vec<&str> = why.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(parts, ["account_tags", "assignments"], "{why:?}");
    assert!(why[1].1.contains("could not be listed"), "{why:?}");

    // The account the scan runs in cannot be told: the tags in full (from a delegated
    // administrator's account the management account's tag changes are out of sight).
    moto.control(
        "config",
        serde_json::json!({"record_writes": true, "deny": {"sts:GetCallerIdentity": ""}}),
    );
    let why = reasons(&rescan("caller", &base));
    let parts: Vec<&str> = why.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(parts, ["account_tags"], "{why:?}");
    assert!(why[0].1.contains("sts:GetCallerIdentity"), "{why:?}");
}
