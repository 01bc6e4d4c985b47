//! Parquet for data lakes, written with polars: findings (`check --format parquet`), effective
//! access (`access --format parquet`), and OCSF Compliance Findings in an Amazon Security Lake
//! custom source's layout (`check --security-lake DIR`).
//!
//! Columns are typed (timestamps as UTC milliseconds, which Athena and Glue read; integers;
//! booleans) and every file of a kind has one fixed schema, nulls where a value is absent, so
//! that partitions never disagree.

use super::ReportInput;
use super::ocsf::{self, Record};
use crate::access::AccessRow;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn utc_ms() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

fn to_io(error: PolarsError) -> std::io::Error {
    std::io::Error::other(error)
}

/// Writes a frame: zstd (polars' default), row groups of at most 100,000 rows.
pub fn write_frame(frame: &mut DataFrame, out: &mut dyn Write) -> std::io::Result<()> {
    ParquetWriter::new(out)
        .with_row_group_size(Some(100_000))
        .finish(frame)
        .map(|_| ())
        .map_err(to_io)
}

/// One row per finding.
pub fn findings_frame(input: &ReportInput) -> PolarsResult<DataFrame> {
    let findings = &input.evaluation.findings;
    let text = |f: &dyn Fn(&crate::findings::Finding) -> Option<String>| -> Vec<Option<String>> {
        findings.iter().map(f).collect()
    };
    let captured = crate::history::millis(input.captured_at);
    let baseline = input.evaluation.baseline.is_some();
    let frame = df!(
        "evaluated_at" => vec![input.now.timestamp_millis(); findings.len()],
        "captured_at" => vec![captured; findings.len()],
        "rule_id" => text(&|f| Some(f.rule_id.to_string())),
        "severity" => text(&|f| Some(f.severity.as_str().to_string())),
        "title" => text(&|f| Some(f.title.to_string())),
        "message" => text(&|f| Some(f.message.clone())),
        "resource_kind" => text(&|f| Some(f.resource.kind.as_str().to_string())),
        "resource_id" => text(&|f| Some(f.resource.id.clone())),
        "resource_name" => text(&|f| Some(f.resource.name.clone())),
        "account_id" => text(&|f| f.account.as_ref().map(|a| a.id.clone())),
        "account_name" => text(&|f| f.account.as_ref().map(|a| a.name.clone())),
        "principal_type" => text(&|f| f.principal.as_ref().map(|p| p.principal_type.clone())),
        "principal_id" => text(&|f| f.principal.as_ref().map(|p| p.id.clone())),
        "principal_name" => text(&|f| f.principal.as_ref().map(|p| p.name.clone())),
        "permission_set_name" => text(&|f| f.permission_set.as_ref().map(|p| p.name.clone())),
        "permission_set_arn" => text(&|f| f.permission_set.as_ref().map(|p| p.arn.clone())),
        "via_type" => text(&|f| f.via.as_ref().map(|p| p.principal_type.clone())),
        "via_id" => text(&|f| f.via.as_ref().map(|p| p.id.clone())),
        "via_name" => text(&|f| f.via.as_ref().map(|p| p.name.clone())),
        "fingerprint" => text(&|f| Some(f.fingerprint.to_string())),
        "location_path" => text(&|f| Some(f.location.path.clone())),
        "location_line" => findings.iter().map(|f| i64::from(f.location.line)).collect::<Vec<_>>(),
        "suppressed" => text(&|f| f.suppressed.clone()),
        "baseline" => text(&|f| baseline.then(|| if f.in_baseline { "unchanged" } else { "new" }.to_string())),
    )?;
    frame
        .lazy()
        .with_columns([
            col("evaluated_at").cast(utc_ms()),
            col("captured_at").cast(utc_ms()),
        ])
        .collect()
}

/// One row per access row, in the order `access` lists them.
pub fn access_frame(rows: &[AccessRow]) -> PolarsResult<DataFrame> {
    let text = |f: &dyn Fn(&AccessRow) -> &str| -> Vec<String> {
        rows.iter().map(|r| f(r).to_string()).collect()
    };
    df!(
        "account_name" => text(&|r| &r.account_name),
        "account_id" => text(&|r| &r.account_id),
        "user_name" => text(&|r| &r.user_name),
        "user_id" => text(&|r| &r.user_id),
        "permission_set" => text(&|r| &r.permission_set),
        "permission_set_arn" => text(&|r| &r.permission_set_arn),
        "via_type" => text(&|r| &r.via_type),
        "via_id" => text(&|r| &r.via_id),
        "via_name" => text(&|r| &r.via_name),
        "user_active" => rows.iter().map(|r| r.user_active).collect::<Vec<_>>(),
        "capability" => text(&|r| r.capability),
        "route" => text(&|r| r.route),
        "chain" => text(&|r| &r.chain),
        "hops" => rows.iter().map(|r| i32::from(r.hops)).collect::<Vec<_>>(),
    )
}

/// The keys `unmapped` may hold: one fixed struct in every file.
const UNMAPPED: [&str; 9] = [
    "rule_id",
    "account",
    "fingerprint",
    "principal",
    "via",
    "permission_set",
    "location",
    "suppressed",
    "baseline",
];

fn field(name: &str, dtype: DataType) -> Field {
    Field::new(name.into(), dtype)
}

fn strings(names: &[&str]) -> DataType {
    DataType::Struct(names.iter().map(|n| field(n, DataType::String)).collect())
}

/// The schema of an OCSF record as Parquet holds it: nested structs and lists mirroring OCSF,
/// ids as 32-bit integers, `type_uid` and `time` (epoch milliseconds) as 64-bit.
pub fn ocsf_schema() -> Schema {
    use DataType::{Int32, Int64, List, String as Text, Struct};
    let int = || Int32;
    Schema::from_iter([
        field("activity_id", int()),
        field("activity_name", Text),
        field("category_uid", int()),
        field("category_name", Text),
        field("class_uid", int()),
        field("class_name", Text),
        field("type_uid", Int64),
        field("type_name", Text),
        field("time", Int64),
        field("severity_id", int()),
        field("severity", Text),
        field("status_id", int()),
        field("status", Text),
        field("message", Text),
        field(
            "metadata",
            Struct(vec![
                field("version", Text),
                field(
                    "product",
                    strings(&["name", "vendor_name", "uid", "version"]),
                ),
                field("profiles", List(Box::new(Text))),
                field("log_name", Text),
            ]),
        ),
        field(
            "finding_info",
            Struct(vec![
                field("uid", Text),
                field("title", Text),
                field("desc", Text),
                field(
                    "analytic",
                    Struct(vec![
                        field("uid", Text),
                        field("name", Text),
                        field("type_id", int()),
                        field("type", Text),
                    ]),
                ),
                field("types", List(Box::new(Text))),
            ]),
        ),
        field(
            "compliance",
            Struct(vec![
                field("control", Text),
                field("requirements", List(Box::new(Text))),
                field("standards", List(Box::new(Text))),
                field("status_id", int()),
                field("status", Text),
            ]),
        ),
        field(
            "resources",
            List(Box::new(strings(&[
                "uid",
                "name",
                "type",
                "cloud_partition",
                "region",
            ]))),
        ),
        field(
            "cloud",
            Struct(vec![
                field("provider", Text),
                field("region", Text),
                field(
                    "account",
                    Struct(vec![
                        field("uid", Text),
                        field("name", Text),
                        field("type_id", int()),
                        field("type", Text),
                    ]),
                ),
            ]),
        ),
        field("remediation", strings(&["desc"])),
        field("unmapped", strings(&UNMAPPED)),
    ])
}

/// OCSF records as one frame with [`ocsf_schema`], read by polars' JSON reader from the
/// records' own JSON (so that the Parquet holds exactly what `--format ocsf` writes).
pub fn ocsf_frame(records: &[Record]) -> PolarsResult<DataFrame> {
    let mut lines = Vec::new();
    for record in records {
        serde_json::to_writer(&mut lines, record).map_err(|e| polars_err!(ComputeError: "{e}"))?;
        lines.push(b'\n');
    }
    if records.is_empty() {
        return Ok(DataFrame::empty_with_schema(&ocsf_schema()));
    }
    JsonReader::new(std::io::Cursor::new(lines))
        .with_json_format(JsonFormat::JsonLines)
        .with_schema(Arc::new(ocsf_schema()))
        .finish()
}

/// Writes the report's OCSF records under `dir` as an Amazon Security Lake custom source lays
/// them out: `ext/{source}/region={region}/accountId={account}/eventDay={YYYYMMDD}/`, one
/// Parquet file per partition, rows sorted by time. Returns the files written.
pub fn security_lake(
    input: &ReportInput,
    dir: &Path,
    source: &str,
) -> std::io::Result<Vec<PathBuf>> {
    let mut partitions: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for record in ocsf::records(input) {
        let day = chrono::DateTime::from_timestamp_millis(record.time)
            .unwrap_or_default()
            .format("%Y%m%d")
            .to_string();
        let key = format!(
            "ext/{source}/region={}/accountId={}/eventDay={day}",
            input.region, record.cloud.account.uid
        );
        partitions.entry(key).or_default().push(record);
    }
    let stamp = input.now.format("%Y%m%dT%H%M%SZ");
    let mut written = Vec::new();
    for (key, mut records) in partitions {
        records.sort_by_key(|r| r.time);
        let folder = dir.join(&key);
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(format!("ssoaudit-{stamp}.parquet"));
        let mut frame = ocsf_frame(&records).map_err(to_io)?;
        let mut file = std::fs::File::create(&path)?;
        write_frame(&mut frame, &mut file)?;
        written.push(path);
    }
    Ok(written)
}
