//! The CloudTrail Lake and Athena statements, executed: DuckDB (from PyPI, in the test
//! environment) runs every statement ssoaudit sends to Lake or Athena, as written, over the
//! fixture's trail log files loaded in the shape of a Lake event data store or of the standard
//! Athena CloudTrail table (tests/lake/cloudtrail_tables.py), and the evidence read from its rows
//! equals the evidence the folder source reads from the same files.

mod common;

use common::*;
use ssoaudit::collect::{athena, lake};
use std::collections::HashMap;

const LOGS: &str = "fixtures/cloudtrail/reference-history";
/// An event data store ARN: its statements name the store by the id at its end.
const STORE: &str = "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/ssoaudit_events";

type Rows = Vec<HashMap<String, String>>;

/// The Athena table the statements name.
const TABLE: &str = "security_logs.cloudtrail_org";

fn since_2000() -> chrono::DateTime<chrono::Utc> {
    time("2000-01-01T00:00:00Z")
}

fn until_2100() -> chrono::DateTime<chrono::Utc> {
    time("2100-01-01T00:00:00Z")
}

fn time(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Runs the Lake statements in DuckDB; returns the rows of each, by name, and the record count.
fn duckdb(logs: &std::path::Path, statements: &[(&str, String)]) -> (HashMap<String, Rows>, u64) {
    duckdb_shaped(logs, "lake", lake::store_id(STORE), statements)
}

/// Runs statements in DuckDB over the records in the `shape` (lake, athena) of `table`.
fn duckdb_shaped(
    logs: &std::path::Path,
    shape: &str,
    table: &str,
    statements: &[(&str, String)],
) -> (HashMap<String, Rows>, u64) {
    // Tests run in parallel: one folder per statement set.
    let dir = temp_dir(&format!(
        "lake-sql-{shape}-{:016x}",
        statements
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, (_, sql)| sql
                .bytes()
                .fold(h, |h, b| (h ^ u64::from(b))
                    .wrapping_mul(0x100_0000_01b3)))
    ));
    let file = dir.join("statements.json");
    std::fs::write(&file, serde_json::to_string(statements).unwrap()).unwrap();
    let output = std::process::Command::new(root().join(".venv/bin/python"))
        .arg(root().join("tests/lake/duckdb_run.py"))
        .arg(logs)
        .arg(shape)
        .arg(table)
        .arg(&file)
        .output()
        .expect("the test environment's python (scripts/test installs duckdb)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer = json(&String::from_utf8(output.stdout).unwrap());
    let results = serde_json::from_value(answer["results"].clone()).unwrap();
    (results, answer["records"].as_u64().unwrap())
}

/// The evidence the folder source reads from the same files.
fn folder_events(logs: &std::path::Path) -> ssoaudit::snapshot::Events {
    let mut bare = json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    bare["events"] = serde_json::json!({});
    let dir = temp_dir("lake-sql-folder");
    let base = dir.join("bare.json");
    std::fs::write(&base, serde_json::to_string(&bare).unwrap()).unwrap();
    let out_path = dir.join("with-events.json");
    let out = run(&[
        "snapshot",
        "--quiet",
        "--base",
        base.to_str().unwrap(),
        "--cloudtrail-logs",
        logs.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    ssoaudit::snapshot::Snapshot::load(&out_path)
        .unwrap()
        .events
}

#[test]
fn the_lake_statements_run_in_a_sql_engine_and_agree_with_the_folder_source() {
    let statements = lake::queries(STORE, "2000-01-01 00:00:00", "2100-01-01 00:00:00");
    for (name, sql) in &statements {
        // Lake's FROM takes the store's id, not its ARN.
        assert!(sql.contains("FROM ssoaudit_events"), "{name}: {sql}");
        assert!(!sql.contains("arn:aws:cloudtrail"), "{name}");
    }
    assert_eq!(lake::store_id("EXAMPLEf852-4e8f"), "EXAMPLEf852-4e8f");
    let (results, records) = duckdb(&root().join(LOGS), &statements);
    assert!(records > 50, "{records} records loaded");
    agrees_with_the_folder_source(&results);
}

#[test]
fn the_athena_statements_run_in_a_sql_engine_and_agree_with_the_folder_source() {
    let table = athena::parse_table(TABLE).unwrap();
    let statements = athena::queries(&table, since_2000(), until_2100());
    for (name, sql) in &statements {
        assert!(
            sql.contains("FROM \"security_logs\".\"cloudtrail_org\""),
            "{name}: {sql}"
        );
    }
    let (results, records) = duckdb_shaped(&root().join(LOGS), "athena", TABLE, &statements);
    assert!(records > 50, "{records} records loaded");
    agrees_with_the_folder_source(&results);

    // The period: a start after the fixture's first sign-ins drops them, in the statement as
    // in its partition pruning.
    let late = chrono::DateTime::parse_from_rfc3339("2026-11-18T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let (late_results, _) = duckdb_shaped(
        &root().join(LOGS),
        "athena",
        TABLE,
        &athena::queries(&table, late, until_2100()),
    );
    let (recent_users, _) = lake::sign_ins_from_rows(&late_results["sign-ins"]);
    let (recent_uses, _) = lake::role_uses_from_rows(&late_results["role-uses"]);
    let (recent_rare, _) = lake::rare_from_rows(&late_results["rare"]);
    assert!(!recent_users.is_empty() && !recent_uses.is_empty());
    for user in &recent_users {
        assert!(
            user.last_sign_in.as_deref() >= Some("2026-11-18T00:00:00Z"),
            "{user:?}"
        );
    }
    for used in &recent_uses {
        assert!(
            used.last_used.as_str() >= "2026-11-18T00:00:00Z",
            "{used:?}"
        );
    }
    for row in &late_results["rare"] {
        assert!(
            row["eventtime"].as_str() >= "2026-11-18T00:00:00Z",
            "{row:?}"
        );
    }
    let rows = |r: &HashMap<String, Rows>| r.values().map(Vec::len).sum::<usize>();
    assert!(
        rows(&late_results) < rows(&results),
        "the earlier events are left out"
    );
    let _ = recent_rare;

    // The period's end: events after it are left out too, so every source reads the same
    // period when the clock is pinned (--now).
    let end = time("2026-11-10T00:00:00Z");
    let (early_results, _) = duckdb_shaped(
        &root().join(LOGS),
        "athena",
        TABLE,
        &athena::queries(&table, since_2000(), end),
    );
    let (early_users, _) = lake::sign_ins_from_rows(&early_results["sign-ins"]);
    assert!(!early_users.is_empty());
    for user in &early_users {
        assert!(
            user.last_sign_in.as_deref() <= Some("2026-11-10T00:00:00Z"),
            "{user:?}"
        );
    }
    for row in &early_results["rare"] {
        assert!(
            row["eventtime"].as_str() <= "2026-11-10T00:00:00Z",
            "{row:?}"
        );
    }
    assert!(
        rows(&early_results) < rows(&results),
        "the later events are left out"
    );
}

/// The evidence read from the rows equals what the folder source reads from the same files.
fn agrees_with_the_folder_source(results: &HashMap<String, Rows>) {
    let folder = folder_events(&root().join(LOGS));

    let (mut users, errors) = lake::sign_ins_from_rows(&results["sign-ins"]);
    assert!(errors.is_empty(), "{errors:?}");
    users.sort();
    let mut expected_users = folder.users.clone();
    expected_users.sort();
    assert!(!expected_users.is_empty());
    assert_eq!(users, expected_users, "per-user sign-in summaries");

    let (mut role_uses, errors) = lake::role_uses_from_rows(&results["role-uses"]);
    assert!(errors.is_empty(), "{errors:?}");
    role_uses.sort();
    let mut expected_uses = folder.role_uses.clone();
    expected_uses.sort();
    assert!(!expected_uses.is_empty());
    assert_eq!(role_uses, expected_uses, "last role uses");

    // Rare events: every row reads back as an event, and every failure, console login and
    // root action the folder source found is among them.
    let (rare, errors) = lake::rare_from_rows(&results["rare"]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rare.len(), results["rare"].len());
    let rare_ids: std::collections::BTreeSet<&str> = results["rare"]
        .iter()
        .map(|row| row["eventid"].as_str())
        .collect();
    let folder_ids: Vec<&str> = folder
        .failures
        .iter()
        .map(|f| f.event_id.as_str())
        .chain(folder.console_logins.iter().map(|c| c.event_id.as_str()))
        .chain(folder.root_activity.iter().map(|r| r.event_id.as_str()))
        .collect();
    assert!(!folder_ids.is_empty());
    for id in &folder_ids {
        assert!(rare_ids.contains(id), "{id} is not among the rare rows");
    }
}

#[test]
fn a_sign_in_without_a_credential_type_counts_as_single_factor_in_both() {
    // A successful Identity Center sign-in whose record names no credential type: the folder
    // source counts it as a sign-in without MFA, and so must the statement (a NULL that a
    // `NOT LIKE` would drop).
    let dir = temp_dir("lake-sql-null");
    let logs = dir.join("AWSLogs/100000000001/CloudTrail/us-east-1/2026/11/20");
    std::fs::create_dir_all(&logs).unwrap();
    let user = "906700aaaa-00000008-4444-5555-6666-00000000f778";
    let records = serde_json::json!({"Records": [{
        "eventVersion": "1.11", "eventID": "00000000-0000-4000-8000-00000000aaaa",
        "eventTime": "2026-11-20T08:00:00Z", "eventSource": "signin.amazonaws.com",
        "eventName": "UserAuthentication", "awsRegion": "us-east-1",
        "recipientAccountId": "100000000001",
        "userIdentity": {"type": "Unknown", "accountId": "100000000001",
                         "onBehalfOf": {"userId": user, "identityStoreArn": "arn:aws:identitystore::100000000001:identitystore/d-9067a1b2c3"}},
        "additionalEventData": {"AuthWorkflowID": "w-null", "UserName": "ivan.petrov@acme.example"},
        "serviceEventDetails": {"UserAuthentication": "Success"}
    }]});
    let file = logs.join("100000000001_CloudTrail_us-east-1_20261120T0800Z_null.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, records.to_string().as_bytes()).unwrap();
    std::fs::write(&file, gz.finish().unwrap()).unwrap();

    let (results, records) = duckdb(
        &dir,
        &lake::queries(STORE, "2000-01-01 00:00:00", "2100-01-01 00:00:00"),
    );
    assert_eq!(records, 1);
    let (users, _) = lake::sign_ins_from_rows(&results["sign-ins"]);
    let folder = folder_events(&dir);
    assert_eq!(folder.users.len(), 1, "{:?}", folder.users);
    assert_eq!(folder.users[0].sign_ins_without_mfa, 1);
    assert_eq!(users, folder.users);
    let table = athena::parse_table(TABLE).unwrap();
    let (results, _) = duckdb_shaped(
        &dir,
        "athena",
        TABLE,
        &athena::queries(&table, since_2000(), until_2100()),
    );
    assert_eq!(
        lake::sign_ins_from_rows(&results["sign-ins"]).0,
        folder.users
    );
}

#[test]
fn result_rows_that_cannot_be_read_are_errors_not_users_without_sign_ins() {
    let row = |cells: &[(&str, &str)]| -> HashMap<String, String> {
        cells
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (users, errors) = lake::sign_ins_from_rows(&[
        row(&[
            ("user_id", "u-1"),
            ("last_sign_in", "2026-11-20 08:00:00.000"),
            ("without_mfa_count", "2"),
            ("last_without_mfa", "2026-11-20 08:00:00.000"),
        ]),
        // A time and a count that cannot be read: not a user whose sign-ins used MFA.
        row(&[
            ("user_id", "u-2"),
            ("last_sign_in", "yesterday"),
            ("without_mfa_count", "0"),
        ]),
        row(&[
            ("user_id", "u-3"),
            ("last_sign_in", "2026-11-20 08:00:00.000"),
            ("without_mfa_count", "many"),
        ]),
        row(&[("last_sign_in", "2026-11-20 08:00:00.000")]),
    ]);
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].sign_ins_without_mfa, 2);
    assert_eq!(
        errors,
        [
            "sign-ins row 2: `last_sign_in` is not a time: `yesterday`",
            "sign-ins row 3: `without_mfa_count` is not a count: `many`",
            "sign-ins row 4: no user id or name",
        ]
    );
    let (uses, errors) = lake::role_uses_from_rows(&[
        row(&[
            ("user_id", "u-1"),
            ("account_id", "100000000001"),
            ("role_name", "AdministratorAccess"),
            ("last_used", "2026-11-20 08:00:00.000"),
        ]),
        row(&[
            ("user_id", "u-1"),
            ("role_name", "AdministratorAccess"),
            ("last_used", "2026-11-20 08:00:00.000"),
        ]),
        row(&[
            ("user_id", "u-1"),
            ("account_id", "100000000001"),
            ("role_name", "AdministratorAccess"),
            ("last_used", "soon"),
        ]),
    ]);
    assert_eq!(uses.len(), 1);
    assert_eq!(
        errors,
        [
            "role-uses row 2: no `account_id`",
            "role-uses row 3: `last_used` is not a time: `soon`",
        ]
    );
}
