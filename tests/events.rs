//! Sign-in and access evidence end to end: trail log files replayed into a snapshot, and the
//! evidence rules on the fixture organization with `--now` fixed.

mod common;

use common::*;
use std::collections::BTreeSet;

const HISTORY: &str = "fixtures/cloudtrail/reference-history";
fn evidence(snapshot: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--now", NOW];
    args.extend_from_slice(extra);
    check_evidence(snapshot, &args)
}

#[test]
fn replaying_the_trail_logs_reproduces_the_fixture_events() {
    let dir = temp_dir("replay");
    let path = dir.join("replayed.json");
    let out = run(&[
        "snapshot",
        "--base",
        VIOLATING,
        "--cloudtrail-logs",
        HISTORY,
        "-o",
        path.to_str().unwrap(),
    ]);
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
                && m.contains("last used 2026-07-31")),
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
        ssoaudit::generate::reference_without_events(ssoaudit::generate::Variant::Violating)
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
            .contains("look"),
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
        ssoaudit::generate::reference_without_events(ssoaudit::generate::Variant::Compliant)
            .to_canonical_json(),
    )
    .unwrap();
    let with_events = dir.join("with-events.json");
    let out = run(&[
        "snapshot",
        "--base",
        bare.to_str().unwrap(),
        "--cloudtrail-logs",
        dir.join("AWSLogs").to_str().unwrap(),
        "-o",
        with_events.to_str().unwrap(),
    ]);
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
    let out = run(&[
        "snapshot",
        "--base",
        VIOLATING,
        "--cloudtrail-logs",
        logs.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
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
