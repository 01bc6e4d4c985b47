//! OCSF output: every finding as an OCSF 1.3 Compliance Finding (class 2003), validated with
//! py-ocsf-models (Prowler's independent models of OCSF, installed by scripts/test) and against
//! what OCSF 1.3 requires that those models leave unchecked (tests/oracle/ocsf_validate.py).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

const PREVIOUS: &str = "fixtures/reference-violating-previous.snapshot.json";
const STACK: &str = "fixtures/stacks/reference-violating.yaml";

fn check(snapshot: &str, format: &str, output: &std::path::Path, extra: &[&str]) -> i32 {
    let mut args = vec![
        "check",
        "--snapshot",
        snapshot,
        "--desired",
        STACK,
        "--previous",
        PREVIOUS,
        "--now",
        NOW,
        "--allow-gaps",
        "--format",
        format,
        "-o",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args).code
}

fn validate(path: &std::path::Path) -> Value {
    python_json(&[
        root().join("tests/oracle/ocsf_validate.py").as_os_str(),
        path.as_os_str(),
    ])
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(json)
        .collect()
}

#[test]
fn every_finding_is_a_valid_ocsf_compliance_finding() {
    let dir = temp_dir("ocsf");
    let (ocsf, report) = (dir.join("findings.ocsf.jsonl"), dir.join("report.json"));
    assert_eq!(check(VIOLATING, "ocsf", &ocsf, &[]), 1);
    assert_eq!(check(VIOLATING, "json", &report, &[]), 1);
    let report = json(&std::fs::read_to_string(&report).unwrap());
    let findings = report["findings"].as_array().unwrap();
    let records = lines(&ocsf);
    assert_eq!(records.len(), findings.len());
    assert!(records.len() > 100);
    // A record's uid is its finding's alone (Security Hub and lakes key on it).
    let uids: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r["finding_info"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), records.len(), "finding_info.uid is unique");

    let verdict = validate(&ocsf);
    assert_eq!(verdict["records"], findings.len());
    assert_eq!(verdict["invalid"], serde_json::json!([]), "{verdict}");
    // What py-ocsf-models does not model (it drops unknown keys silently): the cloud profile's
    // object and the compliance status caption. Nothing else may vanish.
    assert_eq!(
        verdict["dropped"],
        serde_json::json!([
            "cloud",
            "cloud.account",
            "cloud.account.name",
            "cloud.account.type",
            "cloud.account.type_id",
            "cloud.account.uid",
            "cloud.provider",
            "cloud.region",
            "compliance.status"
        ]),
        "{verdict}"
    );

    // Record by record, the JSON report's finding: uid = fingerprint, severity, account.
    let severity = BTreeMap::from([
        ("critical", 5),
        ("high", 4),
        ("medium", 3),
        ("low", 2),
        ("info", 1),
    ]);
    for (record, finding) in records.iter().zip(findings) {
        assert_eq!(record["finding_info"]["uid"], finding["fingerprint"]);
        assert_eq!(
            record["finding_info"]["analytic"]["uid"],
            finding["rule_id"]
        );
        assert_eq!(record["compliance"]["control"], finding["rule_id"]);
        assert_eq!(record["message"], finding["message"]);
        assert_eq!(
            record["severity_id"],
            severity[finding["severity"].as_str().unwrap()]
        );
        assert_eq!(record["resources"][0]["uid"], finding["resource"]["id"]);
        assert_eq!(record["resources"][0]["name"], finding["resource"]["name"]);
        // Findings about no account, or one the organization lacks (a stack key with no id),
        // are filed under the instance's account.
        let account = finding["account"]["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or("100000000001");
        assert_eq!(record["cloud"]["account"]["uid"], account);
        assert_eq!(record["activity_id"], 1);
        assert_eq!(
            record["time"], 1_795_824_000_000_i64,
            "{NOW} in milliseconds"
        );
        assert!(!record["remediation"]["desc"].as_str().unwrap().is_empty());
    }
    // Deterministic: the same input gives the same bytes.
    let again = dir.join("again.jsonl");
    check(VIOLATING, "ocsf", &again, &[]);
    assert_eq!(
        std::fs::read(&ocsf).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn against_a_baseline_findings_are_created_updated_and_closed() {
    let dir = temp_dir("ocsf-baseline");
    // Last run: the violating organization. This run: the same organization with Contractors'
    // assignment gone, so that group's findings are closed and the rest updated.
    let baseline = dir.join("baseline.json");
    check(VIOLATING, "json", &baseline, &[]);
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(VIOLATING)).unwrap()).unwrap();
    let contractors = snapshot["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["display_name"] == "Contractors")
        .unwrap()["id"]
        .clone();
    snapshot["assignments"]
        .as_array_mut()
        .unwrap()
        .retain(|a| a["principal_id"] != contractors);
    let edited = dir.join("edited.snapshot.json");
    std::fs::write(&edited, snapshot.to_string()).unwrap();
    let ocsf = dir.join("findings.jsonl");
    check(
        edited.to_str().unwrap(),
        "ocsf",
        &ocsf,
        &["--baseline", baseline.to_str().unwrap()],
    );
    let records = lines(&ocsf);
    let count = |activity: i64| {
        records
            .iter()
            .filter(|r| r["activity_id"] == activity)
            .count()
    };
    assert_eq!(count(1), 0, "nothing new");
    assert!(count(2) > 50);
    let closed: Vec<&Value> = records.iter().filter(|r| r["activity_id"] == 3).collect();
    // group-assigned-without-members and drift-unmanaged-assignment about Contractors.
    assert_eq!(closed.len(), 2, "{closed:?}");
    for record in &closed {
        assert_eq!(record["type_uid"], 200303);
        assert_eq!(record["status_id"], 4);
        assert_eq!(record["compliance"]["status_id"], 1);
    }
    let verdict = validate(&ocsf);
    assert_eq!(verdict["invalid"], serde_json::json!([]), "{verdict}");
    assert_eq!(verdict["activities"]["Close"], 2);
}
