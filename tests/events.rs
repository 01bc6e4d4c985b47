//! Sign-in and access evidence end to end: trail log files replayed into a snapshot, and the
//! evidence rules on the fixture organization with `--now` fixed.

mod common;

use common::*;
use std::collections::BTreeSet;

const HISTORY: &str = "fixtures/cloudtrail/reference-history";

/// `ssoaudit snapshot --base BASE --cloudtrail-logs LOGS -o OUT`, plus `extra`.
fn add_logs(base: &str, logs: &str, out: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "snapshot",
        "--base",
        base,
        "--cloudtrail-logs",
        logs,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}
fn evidence(snapshot: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--now", NOW];
    args.extend_from_slice(extra);
    check_evidence(snapshot, &args)
}

#[test]
fn replaying_the_trail_logs_reproduces_the_fixture_events() {
    let dir = temp_dir("replay");
    let path = dir.join("replayed.json");
    let out = add_logs(VIOLATING, HISTORY, &path, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("events: 59 files"), "{}", out.stderr);
    let replayed = std::fs::read_to_string(&path).unwrap();
    let fixture = std::fs::read_to_string(root().join(VIOLATING)).unwrap();
    assert!(
        replayed == fixture,
        "the snapshot built from the .json.gz files differs from the fixture"
    );
}

#[test]
fn planted_cases_and_nothing_else() {
    let (code, report) = evidence(VIOLATING, &[]);
    assert_eq!(code, 1);
    let expected = planted_evidence();
    assert_eq!(rule_resources(&report), expected);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("TerraformPlanAccess on plat-staging")
                && m.contains("last use seen: 2026-07-31")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("AKIAFIXTUREREALROOT01")),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("plat-dev")),
        "the AssumeRoot session is not root credential use"
    );

    // The compliant organization's history is clean.
    let (code, report) = evidence(COMPLIANT, &["--fail-on", "info"]);
    assert_eq!(code, 0, "{report}");
    assert!(rule_resources(&report).is_empty());
}

#[test]
fn without_events_or_with_too_short_a_history_the_rules_are_incomplete() {
    let dir = temp_dir("no-events");
    let bare = dir.join("bare.json");
    std::fs::write(
        &bare,
        ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Violating)
            .to_canonical_json(),
    )
    .unwrap();
    let (code, report) = evidence(bare.to_str().unwrap(), &[]);
    assert_eq!(code, 3, "never a silent pass");
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "no conclusion from absent evidence"
    );
    assert_eq!(
        report["incomplete"].as_array().unwrap().len(),
        EVIDENCE_RULES.len()
    );

    // 130 days of history cannot show 200 days without use.
    let (code, report) = evidence(VIOLATING, &["--unused-days", "200"]);
    assert_eq!(code, 3);
    let incomplete: BTreeSet<&str> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        incomplete,
        ["dormant-user-with-access", "unused-assignment"]
            .into_iter()
            .collect()
    );
    assert!(
        report["incomplete"][0]["gaps"][0]["error"]
            .as_str()
            .unwrap()
            .contains("the rule's window of 200 days"),
        "{report}"
    );

    // A shorter look-back finds more unused assignments.
    let (_, short) = evidence(VIOLATING, &["--unused-days", "5"]);
    let unused = |r: &serde_json::Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "unused-assignment")
            .count()
    };
    assert!(unused(&short) > 2, "{}", unused(&short));
}

#[test]
fn legacy_samples_replay_through_a_log_folder() {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let samples: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/cloudtrail/idc-signin.legacy-2022.json"))
            .unwrap(),
    )
    .unwrap();
    let dir = temp_dir("legacy");
    let folder = dir.join("AWSLogs/111122223333/CloudTrail/us-east-1/2020/12/07");
    std::fs::create_dir_all(&folder).unwrap();
    let mut records = Vec::new();
    for (n, (_, scenario)) in samples["scenarios"].as_object().unwrap().iter().enumerate() {
        for record in scenario.as_array().unwrap() {
            let mut record = record.clone();
            // The documentation reuses one workflow id across scenarios; each scenario is one sign-in.
            record["additionalEventData"]["AuthWorkflowID"] =
                serde_json::json!(format!("scenario-{n}"));
            record["eventID"] = serde_json::json!(format!("scenario-{n}-{}", records.len()));
            records.push(record);
        }
    }
    let file = folder.join("111122223333_CloudTrail_us-east-1_20201207T2030Z_legacy.json.gz");
    let mut encoder = GzEncoder::new(
        std::fs::File::create(&file).unwrap(),
        Compression::default(),
    );
    encoder
        .write_all(
            serde_json::json!({"Records": records})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    encoder.finish().unwrap();
    let bare = dir.join("bare.json");
    std::fs::write(
        &bare,
        ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Compliant)
            .to_canonical_json(),
    )
    .unwrap();
    let with_events = dir.join("with-events.json");
    let out = add_logs(
        bare.to_str().unwrap(),
        dir.join("AWSLogs").to_str().unwrap(),
        &with_events,
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let snapshot = ssoaudit::snapshot::Snapshot::load(&with_events).unwrap();
    let user1 = snapshot
        .events
        .users
        .iter()
        .find(|u| u.user_name.as_deref() == Some("user1"))
        .expect("user1 summarized");
    assert!(user1.last_sign_in_without_mfa.is_some() && user1.last_external_idp_sign_in.is_some());
    assert_eq!(snapshot.events.failures.len(), 1);
    let out = run(&[
        "check",
        "--snapshot",
        with_events.to_str().unwrap(),
        "--only",
        "sign-in-without-mfa",
        "--only",
        "mfa-unverifiable-external-idp",
        "--format",
        "json",
        "--now",
        "2020-12-08T00:00:00Z",
    ]);
    let report = json(&out.stdout);
    let found = rule_resources(&report);
    assert!(
        found.contains(&("sign-in-without-mfa".into(), "user1".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("mfa-unverifiable-external-idp".into(), "user1".into())),
        "{found:?}"
    );
}

#[test]
fn an_unreadable_log_file_keeps_what_was_seen_and_silences_absence() {
    let dir = temp_dir("corrupt");
    let logs = dir.join("logs");
    // The fixture history plus one truncated file.
    let mut pending = vec![root().join(HISTORY)];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let target = logs.join(path.strip_prefix(root().join(HISTORY)).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                pending.push(path);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    let broken = logs.join("AWSLogs/o-a1b2c3d4e5/100000000001/CloudTrail/us-east-1/2026/11/27/100000000001_CloudTrail_us-east-1_20261127T0100Z_broken.json.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 0x08, 0x00]).unwrap();
    let out_path = dir.join("with-gap.json");
    let out = add_logs(VIOLATING, logs.to_str().unwrap(), &out_path, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let snapshot = ssoaudit::snapshot::Snapshot::load(&out_path).unwrap();
    assert_eq!(snapshot.gaps.len(), 1);
    assert!(
        snapshot.gaps[0].resource.ends_with("_broken.json.gz"),
        "{:?}",
        snapshot.gaps
    );
    let (code, report) = evidence(out_path.to_str().unwrap(), &[]);
    assert_eq!(code, 3);
    let found = rule_resources(&report);
    assert!(
        found.contains(&(
            "sign-in-without-mfa".to_string(),
            "ivan.petrov@acme.example".to_string()
        )),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(rule, _)| rule == "unused-assignment" || rule == "dormant-user-with-access"),
        "{found:?}"
    );
}

/// A snapshot of the organization without any events, written to `dir`.
fn bare_snapshot(dir: &std::path::Path, variant: ssoaudit_generate::Variant) -> String {
    let bare = dir.join("bare.json");
    std::fs::write(
        &bare,
        ssoaudit_generate::reference_without_events(variant).to_canonical_json(),
    )
    .unwrap();
    bare.to_str().unwrap().to_string()
}

/// The gap errors of a snapshot file.
fn gap_errors(path: &std::path::Path) -> Vec<String> {
    ssoaudit::snapshot::Snapshot::load(path)
        .unwrap()
        .gaps
        .iter()
        .map(|g| format!("{} {} {}", g.area, g.operation, g.error))
        .collect()
}

#[test]
fn an_event_source_that_read_nothing_is_a_gap_not_a_pass() {
    let dir = temp_dir("read-nothing");
    let bare = bare_snapshot(&dir, ssoaudit_generate::Variant::Compliant);
    let empty = dir.join("empty-sync");
    std::fs::create_dir_all(empty.join("AWSLogs/o-a1b2c3d4e5")).unwrap();
    let out_path = dir.join("nothing.json");
    let out = add_logs(&bare, empty.to_str().unwrap(), &out_path, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let errors = gap_errors(&out_path);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("events trail-logs:read no trail log files")
            && errors[0].contains("empty-sync"),
        "{errors:?}"
    );
    let (code, report) = evidence(out_path.to_str().unwrap(), &[]);
    assert_eq!(code, 3, "never clean on evidence that was not read");
    assert_eq!(
        report["incomplete"].as_array().unwrap().len(),
        EVIDENCE_RULES.len()
    );
    assert!(report["findings"].as_array().unwrap().is_empty());

    // Log files that hold no record at all.
    std::fs::write(
        empty.join("111111111111_CloudTrail_us-east-1_20260801T0000Z_a.json"),
        "{\"Records\": []}",
    )
    .unwrap();
    let out = add_logs(&bare, empty.to_str().unwrap(), &out_path, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        gap_errors(&out_path),
        ["events trail-logs:read 1 files, 0 records for the period read"]
    );
    let (code, _) = evidence(out_path.to_str().unwrap(), &[]);
    assert_eq!(code, 3);

    // Adding a source that read nothing to a snapshot with events keeps those events.
    let out = add_logs(VIOLATING, empty.to_str().unwrap(), &out_path, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, report) = evidence(out_path.to_str().unwrap(), &[]);
    assert_eq!(code, 3);
    assert!(rule_resources(&report).contains(&(
        "sign-in-without-mfa".to_string(),
        "ivan.petrov@acme.example".to_string()
    )));
}

#[test]
fn logs_that_miss_part_of_the_requested_period_are_a_gap() {
    let dir = temp_dir("short-period");
    let out_path = dir.join("short.json");
    // The history spans 2026-07-21..2026-11-28; asked for the last 2,000 days, most is missing.
    let out = run(&[
        "snapshot",
        "--base",
        VIOLATING,
        "--cloudtrail-logs",
        HISTORY,
        "--events-since",
        "2000",
        "--now",
        NOW,
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let errors = gap_errors(&out_path);
    assert!(
        errors.iter().any(|e| e.contains("none for")
            && e.ends_with("..2026-07-21T00:00:00Z")
            && e.contains("events trail-logs:read")),
        "{errors:?}"
    );
    assert!(
        out.stderr.contains("warning: trail-logs:"),
        "{}",
        out.stderr
    );
    // What was seen still counts; what concludes from absence stays silent.
    let (code, report) = evidence(out_path.to_str().unwrap(), &[]);
    assert_eq!(code, 3);
    let found = rule_resources(&report);
    assert!(found.contains(&(
        "sign-in-without-mfa".to_string(),
        "ivan.petrov@acme.example".to_string()
    )));
    assert!(
        !found
            .iter()
            .any(|(rule, _)| rule == "dormant-user-with-access")
    );
}

/// Every record of the fixture history, in file order.
fn history_records() -> Vec<serde_json::Value> {
    use std::io::Read;
    let mut files = Vec::new();
    let mut pending = vec![root().join(HISTORY)];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut records = Vec::new();
    for path in files {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let object: serde_json::Value = serde_json::from_str(&text).unwrap();
        records.extend(object["Records"].as_array().unwrap().iter().cloned());
    }
    records
}

#[test]
fn exported_records_are_read_like_trail_logs() {
    use std::io::Write;
    let records = history_records();
    assert!(records.len() > 100, "{}", records.len());
    let dir = temp_dir("exported");
    let bare = bare_snapshot(&dir, ssoaudit_generate::Variant::Violating);
    // A JSON array (Lake, Athena and console exports), plain.
    let array_dir = dir.join("array");
    std::fs::create_dir_all(&array_dir).unwrap();
    std::fs::write(
        array_dir.join("export.json"),
        serde_json::to_string_pretty(&records).unwrap(),
    )
    .unwrap();
    // One record per line (SIEM exports), gzipped, split in two files.
    let lines_dir = dir.join("lines");
    std::fs::create_dir_all(&lines_dir).unwrap();
    let (first, second) = records.split_at(records.len() / 2);
    for (name, part) in [("a.jsonl.gz", first), ("b.ndjson.gz", second)] {
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(lines_dir.join(name)).unwrap(),
            flate2::Compression::default(),
        );
        for record in part {
            writeln!(encoder, "{}", serde_json::to_string(record).unwrap()).unwrap();
        }
        encoder.finish().unwrap();
    }
    for folder in [&array_dir, &lines_dir] {
        let out_path = dir.join(format!(
            "{}.snapshot.json",
            folder.file_name().unwrap().to_str().unwrap()
        ));
        let out = add_logs(&bare, folder.to_str().unwrap(), &out_path, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("{} records", records.len())),
            "{}",
            out.stderr
        );
        assert!(
            gap_errors(&out_path).is_empty(),
            "{:?}",
            gap_errors(&out_path)
        );
        let (code, report) = evidence(out_path.to_str().unwrap(), &[]);
        assert_eq!(code, 1, "{report}");
        assert_eq!(
            rule_resources(&report),
            planted_evidence(),
            "{}",
            folder.display()
        );
    }
    // A record stream with a broken record is a gap naming the file and the record.
    std::fs::write(
        lines_dir.join("c.jsonl"),
        "{\"eventVersion\": \"1.08\"}\n{\"eventName\": ",
    )
    .unwrap();
    let out_path = dir.join("broken.json");
    let out = add_logs(&bare, lines_dir.to_str().unwrap(), &out_path, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let errors = gap_errors(&out_path);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("record 2"), "{errors:?}");
}

#[cfg(unix)]
#[test]
fn snapshots_and_reports_are_private_and_a_failed_run_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("private");
    let snapshot = dir.join("snapshot.json");
    let out = add_logs(VIOLATING, HISTORY, &snapshot, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = dir.join("report.json");
    run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--format",
        "json",
        "-o",
        report.to_str().unwrap(),
    ]);
    for path in [&snapshot, &report] {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    // A run that fails while reading its sources leaves yesterday's snapshot as it was.
    let before = std::fs::read(&snapshot).unwrap();
    let out = add_logs(
        VIOLATING,
        dir.join("no-such-folder").to_str().unwrap(),
        &snapshot,
        &[],
    );
    assert_eq!(out.code, 2);
    assert_eq!(std::fs::read(&snapshot).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

/// A compliant organization whose history holds `sessions` root console sign-ins without MFA
/// in plat-prod on one morning, each with four actions under its own session key, and two
/// actions with a long-term root access key.
fn root_morning(dir: &std::path::Path, sessions: usize) -> String {
    let mut snapshot: serde_json::Value =
        json(&std::fs::read_to_string(root().join(COMPLIANT)).unwrap());
    let events = &mut snapshot["events"];
    let logins = events["console_logins"].as_array_mut().unwrap();
    let mut activity = Vec::new();
    for s in 0..sessions {
        logins.push(serde_json::json!({
            "time": format!("2026-11-27T0{}:00:00Z", 7 + s),
            "event_id": format!("login-{s}"),
            "kind": "console",
            "user_name": "root",
            "identity_type": "Root",
            "account_id": "100000000011",
            "mfa": "no",
            "success": true
        }));
        for a in 0..4 {
            activity.push(serde_json::json!({
                "time": format!("2026-11-27T0{}:1{a}:00Z", 7 + s),
                "event_id": format!("action-{s}-{a}"),
                "account_id": "100000000011",
                "event_name": "PutBucketPolicy",
                "access_key_id": format!("ASIAROOTSESSION000{s}"),
                "via_assume_root": false
            }));
        }
    }
    for a in 0..2 {
        activity.push(serde_json::json!({
            "time": format!("2026-11-27T06:0{a}:00Z"),
            "event_id": format!("key-{a}"),
            "account_id": "100000000011",
            "event_name": "ListBuckets",
            "access_key_id": "AKIAROOTLONGTERM0001",
            "via_assume_root": false
        }));
    }
    events["root_activity"]
        .as_array_mut()
        .unwrap()
        .extend(activity);
    let path = dir.join(format!("root-{sessions}.json"));
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn root_use_is_one_finding_per_account_and_kind_of_use() {
    let dir = temp_dir("root-morning");
    let findings = |path: &str| -> Vec<serde_json::Value> {
        let (code, report) = evidence(
            path,
            &[
                "--only",
                "root-credential-use",
                "--only",
                "sign-in-without-mfa",
            ],
        );
        assert_eq!(code, 1, "{report}");
        report["findings"].as_array().unwrap().clone()
    };
    let three = findings(&root_morning(&dir, 3));
    let root_use: Vec<&serde_json::Value> = three
        .iter()
        .filter(|f| f["rule_id"] == "root-credential-use")
        .collect();
    let ids: Vec<&str> = root_use
        .iter()
        .map(|f| f["resource"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "100000000011/root/access-key",
            "100000000011/root/console-sign-in",
            "100000000011/root/session"
        ]
    );
    let message = |id: &str| {
        root_use.iter().find(|f| f["resource"]["id"] == id).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        message("100000000011/root/console-sign-in"),
        "Root of plat-prod (100000000011) was used 3 time(s), first 2026-11-27T07:00:00Z, last 2026-11-27T09:00:00Z: root user signed in to the console"
    );
    assert!(
        message("100000000011/root/session").contains("was used 12 time(s)")
            && message("100000000011/root/session")
                .contains("ASIAROOTSESSION0000, ASIAROOTSESSION0001, ASIAROOTSESSION0002"),
        "{}",
        message("100000000011/root/session")
    );
    assert!(message("100000000011/root/access-key").contains("AKIAROOTLONGTERM0001"));
    // One MFA finding for the root user of plat-prod, with the count.
    let mfa: Vec<&serde_json::Value> = three
        .iter()
        .filter(|f| f["rule_id"] == "sign-in-without-mfa")
        .collect();
    assert_eq!(mfa.len(), 1, "{mfa:?}");
    assert!(
        mfa[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("root signed in without MFA 3 time(s), first 2026-11-27T07:00:00Z"),
        "{}",
        mfa[0]["message"]
    );
    // Fingerprints stay the same as evidence accumulates.
    let two = findings(&root_morning(&dir, 2));
    let fingerprints = |findings: &[serde_json::Value]| -> Vec<String> {
        findings
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fingerprints(&two), fingerprints(&three));
}

#[test]
fn real_world_trails_read_without_gaps_and_their_logins_without_mfa_are_reported() {
    let dir = temp_dir("real-trails");
    let bare = bare_snapshot(&dir, ssoaudit_generate::Variant::Compliant);
    // Trail log objects (invictus-ir) and exported record arrays (Stratus Red Team).
    for (folder, files, records, user) in [
        (
            "fixtures/cloudtrail/real/invictus-ir-aws-dataset",
            55,
            2900,
            "stratus-red-team-nmfalu-gfjyeaypjt in 123837392027",
        ),
        (
            "fixtures/cloudtrail/real/stratus-red-team-detonation-logs",
            35,
            310,
            "stratus-red-team-nmfalu-jfzdtsvchl in 562283505220",
        ),
    ] {
        let out_path = dir.join("real.json");
        let out = add_logs(&bare, folder, &out_path, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("events: {files} files, {records} records")),
            "{folder}: {}",
            out.stderr
        );
        assert!(
            gap_errors(&out_path).is_empty(),
            "{folder}: {:?}",
            gap_errors(&out_path)
        );
        // Checked as of the trail's end: later days were not recorded.
        let read = json(&std::fs::read_to_string(&out_path).unwrap());
        let end = read["events"]["covered_to"].as_str().unwrap();
        let out = run(&[
            "check",
            "--snapshot",
            out_path.to_str().unwrap(),
            "--only",
            "sign-in-without-mfa",
            "--format",
            "json",
            "--now",
            end,
        ]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        let report = json(&out.stdout);
        let found: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["resource"]["kind"].as_str().unwrap().to_string(),
                    f["resource"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [("iam_user".to_string(), user.to_string())],
            "{folder}"
        );
    }
}
