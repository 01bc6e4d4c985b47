//! Parquet for data lakes: findings, effective access and OCSF records in a Security Lake
//! custom source's layout, each file read back with DuckDB (an independent reader) and compared
//! with the JSON output row for row.

mod common;

use common::*;
use serde_json::{Value, json};

const STACK: &str = "fixtures/stacks/reference-violating.yaml";

/// Every row of a Parquet file as DuckDB reads it (JSON objects), with the column types.
fn duckdb(path: &std::path::Path) -> (Vec<Value>, Value) {
    let script = r#"
import duckdb, json, sys, datetime
con = duckdb.connect()
rel = con.execute("select * from read_parquet(?)", [sys.argv[1]])
names = [d[0] for d in rel.description]
def plain(v):
    if isinstance(v, datetime.datetime):
        return v.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v
rows = [dict(zip(names, (plain(v) for v in row))) for row in rel.fetchall()]
types = {name: t for name, t in con.execute("select column_name, column_type from (describe select * from read_parquet(?))", [sys.argv[1]]).fetchall()}
print(json.dumps({"rows": rows, "types": types}))
"#;
    let mut read = python_json(&["-c", script, path.to_str().unwrap()]);
    (
        read["rows"].as_array_mut().unwrap().drain(..).collect(),
        read["types"].take(),
    )
}

/// A JSON value without its null members (absent in JSON, null in a fixed Parquet schema).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[test]
fn findings_in_parquet_equal_the_json_report() {
    let dir = temp_dir("parquet-findings");
    let (parquet, report) = (dir.join("findings.parquet"), dir.join("report.json"));
    for (format, path) in [("parquet", &parquet), ("json", &report)] {
        let out = run(&[
            "check",
            "--snapshot",
            VIOLATING,
            "--desired",
            STACK,
            "--now",
            NOW,
            "--allow-gaps",
            "--format",
            format,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 1, "{}", out.stderr);
    }
    let report = json(&std::fs::read_to_string(&report).unwrap());
    let (rows, types) = duckdb(&parquet);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        let expected = json!({
            "evaluated_at": NOW,
            "captured_at": report["snapshot"]["captured_at"],
            "rule_id": f["rule_id"], "severity": f["severity"], "title": f["title"],
            "message": f["message"], "resource_kind": f["resource"]["kind"],
            "resource_id": f["resource"]["id"], "resource_name": f["resource"]["name"],
            "account_id": f["account"]["id"], "account_name": f["account"]["name"],
            "principal_type": f["principal"]["type"], "principal_id": f["principal"]["id"],
            "principal_name": f["principal"]["name"],
            "permission_set_name": f["permission_set"]["name"],
            "permission_set_arn": f["permission_set"]["arn"],
            "via_type": f["via"]["type"], "via_id": f["via"]["id"], "via_name": f["via"]["name"],
            "fingerprint": f["fingerprint"], "location_path": f["location"]["path"],
            "location_line": f["location"]["line"], "suppressed": f["suppressed"]["reason"],
            "baseline": Value::Null,
        });
        assert_eq!(row, &expected);
    }
    assert_eq!(types["evaluated_at"], "TIMESTAMP WITH TIME ZONE");
    assert_eq!(types["location_line"], "BIGINT");
}

#[test]
fn access_in_parquet_equals_the_json() {
    let dir = temp_dir("parquet-access");
    let (parquet, report) = (dir.join("access.parquet"), dir.join("access.json"));
    for (format, path) in [("parquet", &parquet), ("json", &report)] {
        let out = run(&[
            "access",
            "--snapshot",
            VIOLATING,
            "--format",
            format,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let report = json(&std::fs::read_to_string(&report).unwrap());
    let (rows, types) = duckdb(&parquet);
    let access = report["access"].as_array().unwrap();
    assert!(access.len() > 100);
    assert_eq!(&rows, access);
    assert_eq!(types["user_active"], "BOOLEAN");
    assert_eq!(types["hops"], "INTEGER");
}

#[test]
fn security_lake_layout_holds_the_ocsf_records() {
    let dir = temp_dir("parquet-lake");
    let (lake, ocsf) = (dir.join("lake"), dir.join("findings.jsonl"));
    let out = run(&[
        "check",
        "--snapshot",
        VIOLATING,
        "--desired",
        STACK,
        "--now",
        NOW,
        "--allow-gaps",
        "--format",
        "ocsf",
        "-o",
        ocsf.to_str().unwrap(),
        "--security-lake",
        lake.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let records: Vec<Value> = std::fs::read_to_string(&ocsf)
        .unwrap()
        .lines()
        .map(json)
        .collect();
    // Every file sits at ext/ssoaudit/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/.
    let mut files = Vec::new();
    let mut stack = vec![lake.clone()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let accounts: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r["cloud"]["account"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), accounts.len(), "one file per account and day");
    assert!(
        out.stderr
            .contains(&format!("wrote {} OCSF Parquet files", files.len()))
    );
    let mut read = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&lake)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let parts: Vec<&str> = relative.split('/').collect();
        assert_eq!(parts[..2], ["ext", "ssoaudit"], "{relative}");
        assert_eq!(parts[2], "region=us-east-1");
        let account = parts[3].strip_prefix("accountId=").unwrap();
        assert_eq!(parts[4], "eventDay=20261128");
        assert_eq!(parts[5], "ssoaudit-20261128T000000Z.parquet");
        let (rows, types) = duckdb(file);
        assert_eq!(types["time"], "BIGINT");
        assert_eq!(types["class_uid"], "INTEGER");
        assert!(
            types["unmapped"].as_str().unwrap().starts_with("STRUCT("),
            "{types}"
        );
        assert!(
            types["resources"].as_str().unwrap().ends_with("[]"),
            "{types}"
        );
        for mut row in rows {
            assert_eq!(row["cloud"]["account"]["uid"], account);
            // DuckDB reads the partition keys of the path as columns, as Athena does.
            let row = row.as_object_mut().unwrap();
            assert_eq!(row.remove("accountId").unwrap().to_string(), account);
            assert_eq!(row.remove("eventDay").unwrap(), 20261128);
            assert_eq!(row.remove("region").unwrap(), "us-east-1");
            read.push(without_nulls(&Value::Object(row.clone())));
        }
    }
    // Row for row, the records of --format ocsf (the files hold them by account).
    let key = |r: &Value| r["finding_info"]["uid"].as_str().unwrap().to_string();
    let mut expected: Vec<Value> = records.iter().map(without_nulls).collect();
    expected.sort_by_key(key);
    read.sort_by_key(key);
    assert_eq!(read.len(), expected.len());
    for (a, b) in read.iter().zip(&expected) {
        assert_eq!(a, b);
    }
}
