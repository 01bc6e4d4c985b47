//! `ssoaudit history`: what a folder of scheduled runs says over time.
//!
//! Each run is a snapshot (evaluated here, at its capture time, with the rules given) or a JSON
//! report of `check` (its findings as they were). Runs are read one at a time and reduced to
//! rows: findings (rule, severity, account, fingerprint), effective access per account and
//! level (snapshots only), users and groups. The time series are then built with polars lazy
//! frames over those rows: findings by run, severity, rule and account, findings new and
//! resolved since the run before, how long open findings have been open, time to fix,
//! administrator seats per account.

use crate::access;
use crate::engine;
use crate::model::Model;
use crate::rules::Rule;
use crate::snapshot::Snapshot;
use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The version of the frozen JSON output.
pub const FORMAT_VERSION: u32 = 1;

/// A finding as the history knows it: one entry per fingerprint, whatever the runs it is in.
#[derive(Debug, Clone)]
struct RunFinding {
    rule_id: String,
    severity: String,
    account: String,
    fingerprint: String,
    resource: String,
}

/// What one run is reduced to.
#[derive(Debug, Clone)]
struct Run {
    path: String,
    kind: &'static str,
    captured_at: DateTime<Utc>,
    /// The run's findings, by their position in the [`Catalog`].
    findings: Vec<u32>,
    /// (account, level, users): active users with that highest capability in the account.
    access: Option<Vec<(String, &'static str, i64)>>,
    /// Users and groups: id → name.
    users: Option<BTreeMap<String, String>>,
    groups: Option<BTreeMap<String, String>>,
}

/// Every finding seen in any run, once: runs hold positions into it, so that a year of
/// weekly runs of a large organization keeps one copy of each finding's text.
#[derive(Debug, Default)]
struct Catalog {
    index: HashMap<String, u32>,
    rows: Vec<RunFinding>,
}

impl Catalog {
    fn add(&mut self, finding: RunFinding) -> u32 {
        if let Some(&id) = self.index.get(&finding.fingerprint) {
            return id;
        }
        let id = self.rows.len() as u32;
        self.index.insert(finding.fingerprint.clone(), id);
        self.rows.push(finding);
        id
    }

    fn ids(&mut self, findings: impl Iterator<Item = RunFinding>) -> Vec<u32> {
        let mut ids: Vec<u32> = findings.map(|f| self.add(f)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Filters of `history`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub since: Option<DateTime<Utc>>,
    /// Account name or id.
    pub account: Option<String>,
    pub rule: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct HistoryError {
    pub path: String,
    pub message: String,
}

fn error(path: &Path, message: impl Into<String>) -> HistoryError {
    HistoryError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The files of the folders (or files) given: every `*.json`, sorted by path.
pub fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, HistoryError> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_file() {
            out.push(input.clone());
            continue;
        }
        let entries = std::fs::read_dir(input).map_err(|e| error(input, e.to_string()))?;
        for entry in entries {
            let path = entry.map_err(|e| error(input, e.to_string()))?.path();
            if path.is_file() && path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(HistoryError {
            path: inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            message: "no snapshot or JSON report (*.json) to read".into(),
        });
    }
    Ok(out)
}

/// A date in a file name (`2026-10-05.json`, `audit-2026-10-05T0300Z.json`), as midnight UTC.
fn date_in_name(path: &Path) -> Option<DateTime<Utc>> {
    let name = path.file_name()?.to_str()?;
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let text = name.get(i..i + 10)?;
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    })
}

/// An RFC 3339 time in milliseconds since the epoch (0 when unreadable).
pub fn millis(text: &str) -> i64 {
    parse_time(text).map(|t| t.timestamp_millis()).unwrap_or(0)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads one file: a snapshot (evaluated with `rules` at its capture time) or a report.
fn read_run(path: &Path, rules: &[Rule], catalog: &Mutex<Catalog>) -> Result<Run, HistoryError> {
    let bytes = std::fs::read(path).map_err(|e| error(path, e.to_string()))?;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_string();
    if head.contains("\"schema_version\"") {
        let snapshot = Snapshot::from_slice(&bytes, &path.display().to_string())
            .map_err(|e| error(path, e.to_string()))?;
        drop(bytes);
        let captured_at = parse_time(&snapshot.metadata.captured_at)
            .or_else(|| date_in_name(path))
            .ok_or_else(|| {
                error(
                    path,
                    "the snapshot has no capture time and its file name no date (YYYY-MM-DD)",
                )
            })?;
        return Ok(of_snapshot(path, &snapshot, captured_at, rules, catalog));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| error(path, format!("not JSON: {e}")))?;
    of_report(path, &report, catalog)
}

fn of_snapshot(
    path: &Path,
    snapshot: &Snapshot,
    captured_at: DateTime<Utc>,
    rules: &[Rule],
    catalog: &Mutex<Catalog>,
) -> Run {
    let evaluation = engine::evaluate(snapshot, rules, captured_at);
    let findings = catalog
        .lock()
        .expect("catalog")
        .ids(evaluation.findings.iter().map(|f| {
            RunFinding {
                rule_id: f.rule_id.to_string(),
                severity: f.severity.as_str().to_string(),
                account: f
                    .account
                    .as_ref()
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                fingerprint: f.fingerprint.to_string(),
                resource: f.resource.name.clone(),
            }
        }));
    drop(evaluation);
    // Effective access: each active user's highest capability in each account.
    let model = Model::new(snapshot);
    let mut access = Vec::new();
    // Accounts as `access` names them: the organization's name, or the id of one it lacks.
    for ((name, _), seats) in access::seats_by_account(&model) {
        let account = name.to_string();
        for (rank, word) in ["read-only", "write", "unknown", "administrator"]
            .into_iter()
            .enumerate()
        {
            access.push((account.clone(), word, seats[rank] as i64));
        }
    }
    Run {
        path: path.display().to_string(),
        kind: "snapshot",
        captured_at,
        findings,
        access: Some(access),
        users: Some(
            snapshot
                .users
                .iter()
                .map(|u| (u.id.clone(), u.user_name.clone()))
                .collect(),
        ),
        groups: Some(
            snapshot
                .groups
                .iter()
                .map(|g| (g.id.clone(), g.display_name.clone()))
                .collect(),
        ),
    }
}

fn of_report(
    path: &Path,
    report: &serde_json::Value,
    catalog: &Mutex<Catalog>,
) -> Result<Run, HistoryError> {
    let version = report["version"].as_u64();
    if version != Some(u64::from(crate::report::json::FORMAT_VERSION))
        || report["findings"].as_array().is_none()
    {
        return Err(error(
            path,
            format!(
                "neither a snapshot nor a JSON report of `ssoaudit check` (version {}): {}",
                crate::report::json::FORMAT_VERSION,
                match version {
                    Some(v) => format!(
                        "report version {v} (written by ssoaudit {}) is not one this build reads",
                        report["tool"]["version"].as_str().unwrap_or("?")
                    ),
                    None => "no `version` or `schema_version`".into(),
                }
            ),
        ));
    }
    let captured_at = report["snapshot"]["captured_at"]
        .as_str()
        .and_then(parse_time)
        .or_else(|| report["snapshot"]["evaluated_at"].as_str().and_then(parse_time))
        .or_else(|| date_in_name(path))
        .ok_or_else(|| {
            error(
                path,
                "the report records no capture time (written before ssoaudit recorded it) and its file name no date (YYYY-MM-DD)",
            )
        })?;
    let findings = catalog.lock().expect("catalog").ids(
        report["findings"]
            .as_array()
            .expect("checked")
            .iter()
            .map(|f| RunFinding {
                rule_id: f["rule_id"].as_str().unwrap_or_default().to_string(),
                severity: f["severity"].as_str().unwrap_or_default().to_string(),
                account: f["account"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                fingerprint: f["fingerprint"].as_str().unwrap_or_default().to_string(),
                resource: f["resource"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            }),
    );
    Ok(Run {
        path: path.display().to_string(),
        kind: "report",
        captured_at,
        findings,
        access: None,
        users: None,
        groups: None,
    })
}

/// The history, as written in every format.
#[derive(Debug, Serialize)]
pub struct History {
    pub version: u32,
    /// Runs in time order.
    pub runs: Vec<RunOut>,
    /// Findings open in the last run, oldest first.
    pub open_findings: Vec<OpenFinding>,
    /// Findings fixed during the history (present in a run, gone in the next).
    pub fixed_findings: Vec<FixedFinding>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct RunOut {
    pub captured_at: String,
    pub source: String,
    /// `snapshot` (evaluated here) or `report` (findings as reported).
    pub kind: &'static str,
    /// Findings of the run.
    pub findings: i64,
    pub by_severity: BTreeMap<String, i64>,
    pub by_rule: BTreeMap<String, i64>,
    pub by_account: BTreeMap<String, i64>,
    /// Findings not in the run before (every finding of the first run).
    pub new: i64,
    /// Findings of the run before that are gone.
    pub resolved: i64,
    /// Days the oldest open finding has been open, and the median.
    pub open_days_max: f64,
    pub open_days_median: f64,
    /// Active users by highest capability, per account (snapshots only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<BTreeMap<String, AccessOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users_added: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users_removed: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_added: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_removed: Option<Vec<String>>,
    /// Findings of `unused-assignment`.
    pub unused_assignments: i64,
}

#[derive(Debug, Serialize, Clone, Default, PartialEq)]
pub struct AccessOut {
    pub administrator: i64,
    pub write: i64,
    pub read_only: i64,
    pub unknown: i64,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct OpenFinding {
    pub fingerprint: String,
    pub rule_id: String,
    pub severity: String,
    pub resource: String,
    pub account: String,
    pub first_seen: String,
    pub open_days: f64,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct FixedFinding {
    pub fingerprint: String,
    pub rule_id: String,
    pub resource: String,
    pub first_seen: String,
    pub fixed_at: String,
    pub days_to_fix: f64,
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads every file and builds the history.
pub fn build(
    inputs: &[PathBuf],
    rules: &[Rule],
    options: &Options,
) -> Result<History, HistoryError> {
    // Runs are read side by side, one per core: each holds one snapshot at a time and keeps
    // only its reduced rows; the catalog of findings is shared.
    let paths = files(inputs)?;
    let catalog = Mutex::new(Catalog::default());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(paths.len())
        .max(1);
    let mut read: Vec<Option<Result<Run, HistoryError>>> = (0..paths.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        done.push((i, read_run(path, rules, &catalog)));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            for (i, run) in handle.join().expect("a history worker") {
                read[i] = Some(run);
            }
        }
    });
    let catalog = catalog.into_inner().expect("catalog");
    let mut runs = Vec::new();
    for run in read.into_iter().flatten() {
        let run = run?;
        if options.since.is_some_and(|since| run.captured_at < since) {
            continue;
        }
        runs.push(run);
    }
    runs.sort_by(|a, b| a.captured_at.cmp(&b.captured_at).then(a.path.cmp(&b.path)));
    if let Some(pair) = runs
        .windows(2)
        .find(|w| w[0].captured_at == w[1].captured_at)
    {
        return Err(HistoryError {
            path: pair[1].path.clone(),
            message: format!(
                "captured at the same time as {} ({}): two runs of one moment make no history; keep one",
                pair[0].path,
                time_text(pair[0].captured_at)
            ),
        });
    }
    for run in &mut runs {
        if let Some(account) = &options.account {
            run.findings
                .retain(|id| &catalog.rows[*id as usize].account == account);
            if let Some(access) = &mut run.access {
                access.retain(|(a, _, _)| a == account);
            }
        }
        if let Some(rule) = &options.rule {
            run.findings
                .retain(|id| &catalog.rows[*id as usize].rule_id == rule);
        }
    }
    series(&runs, &catalog).map_err(|e| HistoryError {
        path: "history".into(),
        message: e.to_string(),
    })
}

fn days(ms: i64) -> f64 {
    (ms as f64 / 86_400_000.0 * 100.0).round() / 100.0
}

/// The time series, computed with polars over the runs' rows.
fn series(runs: &[Run], catalog: &Catalog) -> PolarsResult<History> {
    let times: Vec<i64> = runs
        .iter()
        .map(|r| r.captured_at.timestamp_millis())
        .collect();
    // Presence: one row per (run, finding), two integers; what a finding is: one row each.
    let (mut run_col, mut time_col, mut id_col) = (vec![], vec![], vec![]);
    for (i, run) in runs.iter().enumerate() {
        for id in &run.findings {
            run_col.push(i as i64);
            time_col.push(times[i]);
            id_col.push(*id);
        }
    }
    let meta = |f: fn(&RunFinding) -> &str| -> Vec<&str> { catalog.rows.iter().map(f).collect() };
    let catalog_frame = df!(
        "id" => (0..catalog.rows.len() as u32).collect::<Vec<_>>(),
        "rule_id" => meta(|f| &f.rule_id),
        "severity" => meta(|f| &f.severity),
        "account" => meta(|f| &f.account),
        "fingerprint" => meta(|f| &f.fingerprint),
        "resource" => meta(|f| &f.resource),
    )?
    .lazy();
    let findings = df!(
        "run" => run_col,
        "time" => time_col,
        "id" => id_col,
    )?
    .lazy()
    .join(
        catalog_frame,
        [col("id")],
        [col("id")],
        JoinArgs::new(JoinType::Inner),
    );
    let runs_frame = df!(
        "run" => (0..runs.len() as i64).collect::<Vec<_>>(),
        "time" => times.clone(),
    )?
    .lazy();

    let count_by = |key: &str| -> PolarsResult<Vec<BTreeMap<String, i64>>> {
        let frame = findings
            .clone()
            .group_by([col("run"), col(key)])
            .agg([len().cast(DataType::Int64).alias("n")])
            .collect()?;
        let mut out = vec![BTreeMap::new(); runs.len()];
        let (r, k, n) = (
            frame.column("run")?.i64()?,
            frame.column(key)?.str()?,
            frame.column("n")?.i64()?,
        );
        for i in 0..frame.height() {
            if let (Some(r), Some(k), Some(n)) = (r.get(i), k.get(i), n.get(i)) {
                out[r as usize].insert(k.to_string(), n);
            }
        }
        Ok(out)
    };
    let by_severity = count_by("severity")?;
    let by_rule = count_by("rule_id")?;
    let by_account = count_by("account")?;

    // Presence of each fingerprint per run, and the same moved one run later: a left join says
    // what was there the run before (new when not) and what is gone (resolved).
    let present = findings
        .clone()
        .select([col("run"), col("fingerprint")])
        .unique(None, UniqueKeepStrategy::First);
    let next = present
        .clone()
        .with_column((col("run") + lit(1i64)).alias("run"))
        .with_column(lit(true).alias("was_there"));
    let new_per_run = present
        .clone()
        .join(
            next.clone(),
            [col("run"), col("fingerprint")],
            [col("run"), col("fingerprint")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(col("was_there").is_null())
        .group_by([col("run")])
        .agg([len().cast(DataType::Int64).alias("n")])
        .collect()?;
    let still = present.clone().with_column(lit(true).alias("still_there"));
    let gone = next
        .join(
            still,
            [col("run"), col("fingerprint")],
            [col("run"), col("fingerprint")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(
            col("still_there")
                .is_null()
                .and(col("run").lt(lit(runs.len() as i64))),
        )
        .collect()?;
    let per_run = |frame: &DataFrame| -> PolarsResult<Vec<i64>> {
        let mut out = vec![0; runs.len()];
        let (r, n) = (frame.column("run")?.i64()?, frame.column("n")?.i64()?);
        for i in 0..frame.height() {
            if let (Some(r), Some(n)) = (r.get(i), n.get(i)) {
                out[r as usize] = n;
            }
        }
        Ok(out)
    };
    let new = per_run(&new_per_run)?;
    let resolved = per_run(
        &gone
            .clone()
            .lazy()
            .group_by([col("run")])
            .agg([len().cast(DataType::Int64).alias("n")])
            .collect()?,
    )?;

    // First seen of each fingerprint; age of open findings per run.
    let first_seen = findings
        .clone()
        .group_by([col("fingerprint")])
        .agg([col("time").min().alias("first_seen")]);
    let ages = findings
        .clone()
        .join(
            first_seen.clone(),
            [col("fingerprint")],
            [col("fingerprint")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column((col("time") - col("first_seen")).alias("age"))
        .group_by([col("run")])
        .agg([
            col("age").max().alias("max"),
            col("age").cast(DataType::Float64).median().alias("median"),
        ])
        .collect()?;
    let mut open_max = vec![0.0; runs.len()];
    let mut open_median = vec![0.0; runs.len()];
    {
        let (r, max, median) = (
            ages.column("run")?.i64()?,
            ages.column("max")?.i64()?,
            ages.column("median")?.f64()?,
        );
        for i in 0..ages.height() {
            if let Some(r) = r.get(i) {
                open_max[r as usize] = days(max.get(i).unwrap_or(0));
                open_median[r as usize] = days(median.get(i).unwrap_or(0.0) as i64);
            }
        }
    }

    // Access per account and level.
    let mut access_rows: (Vec<i64>, Vec<String>, Vec<&str>, Vec<i64>) = Default::default();
    for (i, run) in runs.iter().enumerate() {
        for (account, level, n) in run.access.iter().flatten() {
            access_rows.0.push(i as i64);
            access_rows.1.push(account.clone());
            access_rows.2.push(level);
            access_rows.3.push(*n);
        }
    }
    let access_frame = df!(
        "run" => access_rows.0,
        "account" => access_rows.1,
        "level" => access_rows.2,
        "users" => access_rows.3,
    )?
    .lazy()
    .group_by([col("run"), col("account"), col("level")])
    .agg([col("users").sum().alias("users")])
    .collect()?;
    let mut access: Vec<Option<BTreeMap<String, AccessOut>>> = runs
        .iter()
        .map(|r| r.access.as_ref().map(|_| BTreeMap::new()))
        .collect();
    {
        let (r, a, l, u) = (
            access_frame.column("run")?.i64()?,
            access_frame.column("account")?.str()?,
            access_frame.column("level")?.str()?,
            access_frame.column("users")?.i64()?,
        );
        for i in 0..access_frame.height() {
            let (Some(r), Some(a), Some(l), Some(u)) = (r.get(i), a.get(i), l.get(i), u.get(i))
            else {
                continue;
            };
            if let Some(map) = &mut access[r as usize] {
                let entry = map.entry(a.to_string()).or_default();
                match l {
                    "administrator" => entry.administrator = u,
                    "write" => entry.write = u,
                    "read-only" => entry.read_only = u,
                    _ => entry.unknown = u,
                }
            }
        }
    }

    // Open findings of the last run, with their age; findings fixed, with time to fix.
    let last = runs.len() as i64 - 1;
    let open = findings
        .clone()
        .filter(col("run").eq(lit(last)))
        .join(
            first_seen.clone(),
            [col("fingerprint")],
            [col("fingerprint")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column((col("time") - col("first_seen")).alias("age"))
        .sort_by_exprs(
            [col("first_seen"), col("rule_id"), col("fingerprint")],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let mut open_findings = Vec::new();
    {
        let s = |name: &str| open.column(name).and_then(|c| c.str().cloned());
        let (fp, rule, sev, res, acc) = (
            s("fingerprint")?,
            s("rule_id")?,
            s("severity")?,
            s("resource")?,
            s("account")?,
        );
        let (first, age) = (
            open.column("first_seen")?.i64()?,
            open.column("age")?.i64()?,
        );
        for i in 0..open.height() {
            open_findings.push(OpenFinding {
                fingerprint: fp.get(i).unwrap_or_default().to_string(),
                rule_id: rule.get(i).unwrap_or_default().to_string(),
                severity: sev.get(i).unwrap_or_default().to_string(),
                resource: res.get(i).unwrap_or_default().to_string(),
                account: acc.get(i).unwrap_or_default().to_string(),
                first_seen: time_text(
                    DateTime::from_timestamp_millis(first.get(i).unwrap_or(0)).unwrap_or_default(),
                ),
                open_days: days(age.get(i).unwrap_or(0)),
            });
        }
    }
    // A fix: present in run r-1, gone in run r; first seen is the finding's first run.
    let fixed = gone
        .lazy()
        .join(
            runs_frame,
            [col("run")],
            [col("run")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            first_seen,
            [col("fingerprint")],
            [col("fingerprint")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            findings
                .clone()
                .group_by([col("fingerprint")])
                .agg([col("rule_id").first(), col("resource").first()]),
            [col("fingerprint")],
            [col("fingerprint")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column((col("time") - col("first_seen")).alias("to_fix"))
        .sort_by_exprs(
            [col("time"), col("rule_id"), col("fingerprint")],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let mut fixed_findings = Vec::new();
    {
        let s = |name: &str| fixed.column(name).and_then(|c| c.str().cloned());
        let (fp, rule, res) = (s("fingerprint")?, s("rule_id")?, s("resource")?);
        let (time, first, to_fix) = (
            fixed.column("time")?.i64()?,
            fixed.column("first_seen")?.i64()?,
            fixed.column("to_fix")?.i64()?,
        );
        for i in 0..fixed.height() {
            let at = |ms: Option<i64>| {
                time_text(DateTime::from_timestamp_millis(ms.unwrap_or(0)).unwrap_or_default())
            };
            fixed_findings.push(FixedFinding {
                fingerprint: fp.get(i).unwrap_or_default().to_string(),
                rule_id: rule.get(i).unwrap_or_default().to_string(),
                resource: res.get(i).unwrap_or_default().to_string(),
                first_seen: at(first.get(i)),
                fixed_at: at(time.get(i)),
                days_to_fix: days(to_fix.get(i).unwrap_or(0)),
            });
        }
    }

    // Users and groups added and removed since the run before (both snapshots).
    let changes = |get: fn(&Run) -> Option<&BTreeMap<String, String>>,
                   i: usize|
     -> (Option<Vec<String>>, Option<Vec<String>>) {
        let Some(now) = get(&runs[i]) else {
            return (None, None);
        };
        let before = if i == 0 { None } else { get(&runs[i - 1]) };
        let Some(before) = before else {
            return (Some(Vec::new()), Some(Vec::new()));
        };
        let names = |from: &BTreeMap<String, String>, ids: BTreeSet<&String>| -> Vec<String> {
            let mut out: Vec<String> = ids.into_iter().map(|id| from[id].clone()).collect();
            out.sort();
            out
        };
        let added = names(
            now,
            now.keys().filter(|k| !before.contains_key(*k)).collect(),
        );
        let removed = names(
            before,
            before.keys().filter(|k| !now.contains_key(*k)).collect(),
        );
        (Some(added), Some(removed))
    };

    let mut out = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let (users_added, users_removed) = changes(|r| r.users.as_ref(), i);
        let (groups_added, groups_removed) = changes(|r| r.groups.as_ref(), i);
        out.push(RunOut {
            captured_at: time_text(run.captured_at),
            source: run.path.clone(),
            kind: run.kind,
            findings: run.findings.len() as i64,
            by_severity: by_severity[i].clone(),
            by_rule: by_rule[i].clone(),
            by_account: by_account[i].clone(),
            new: new[i],
            resolved: resolved[i],
            open_days_max: open_max[i],
            open_days_median: open_median[i],
            access: access[i].take(),
            users_added,
            users_removed,
            groups_added,
            groups_removed,
            unused_assignments: by_rule[i].get("unused-assignment").copied().unwrap_or(0),
        });
    }
    Ok(History {
        version: FORMAT_VERSION,
        runs: out,
        open_findings,
        fixed_findings,
    })
}

/// One row per run and severity level, with the columns that stay flat: for CSV and Parquet.
pub fn runs_frame(history: &History) -> PolarsResult<DataFrame> {
    let runs = &history.runs;
    let count = |level: &str| -> Vec<i64> {
        runs.iter()
            .map(|r| r.by_severity.get(level).copied().unwrap_or(0))
            .collect()
    };
    let seats = |f: fn(&AccessOut) -> i64| -> Vec<Option<i64>> {
        runs.iter()
            .map(|r| r.access.as_ref().map(|a| a.values().map(f).sum()))
            .collect()
    };
    let times: Vec<i64> = runs
        .iter()
        .map(|r| {
            parse_time(&r.captured_at)
                .map(|t| t.timestamp_millis())
                .unwrap_or(0)
        })
        .collect();
    let mut frame = df!(
        "captured_at" => times,
        "source" => runs.iter().map(|r| r.source.clone()).collect::<Vec<_>>(),
        "kind" => runs.iter().map(|r| r.kind).collect::<Vec<_>>(),
        "findings" => runs.iter().map(|r| r.findings).collect::<Vec<_>>(),
        "critical" => count("critical"),
        "high" => count("high"),
        "medium" => count("medium"),
        "low" => count("low"),
        "info" => count("info"),
        "new" => runs.iter().map(|r| r.new).collect::<Vec<_>>(),
        "resolved" => runs.iter().map(|r| r.resolved).collect::<Vec<_>>(),
        "open_days_max" => runs.iter().map(|r| r.open_days_max).collect::<Vec<_>>(),
        "open_days_median" => runs.iter().map(|r| r.open_days_median).collect::<Vec<_>>(),
        "administrator_seats" => seats(|a| a.administrator),
        "write_seats" => seats(|a| a.write),
        "read_only_seats" => seats(|a| a.read_only),
        "users_added" => runs.iter().map(|r| r.users_added.as_ref().map(|u| u.len() as i64)).collect::<Vec<_>>(),
        "users_removed" => runs.iter().map(|r| r.users_removed.as_ref().map(|u| u.len() as i64)).collect::<Vec<_>>(),
        "unused_assignments" => runs.iter().map(|r| r.unused_assignments).collect::<Vec<_>>(),
    )?;
    // Millisecond timestamps in UTC: what Athena and Glue read.
    frame = frame
        .lazy()
        .with_column(col("captured_at").cast(DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC),
        )))
        .collect()?;
    Ok(frame)
}

/// CSV with ISO 8601 times (polars' writer).
pub fn write_csv(frame: &mut DataFrame, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    CsvWriter::new(out)
        .include_header(true)
        .finish(frame)
        .map_err(std::io::Error::other)
}

/// Parquet with typed columns (polars' writer: zstd, millisecond UTC timestamps).
pub fn write_parquet(frame: &mut DataFrame, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    ParquetWriter::new(out)
        .finish(frame)
        .map(|_| ())
        .map_err(std::io::Error::other)
}
