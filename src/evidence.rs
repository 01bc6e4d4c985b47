//! Sign-in and access evidence added to a snapshot from the event sources a command names: a
//! folder of trail log files, the trail's bucket, LookupEvents, CloudTrail Lake and Athena.
//! Every source reads the same period, from `since` to `now`; a source that read nothing, or
//! nothing for part of that period, is recorded as a collection gap.

use crate::collect::{self, ScanError, ScanOptions};
use crate::events::normalize::Normalized;
use crate::events::trail_logs::ReadStats;
use crate::events::{Ingest, SourceRead, source_gaps};
use crate::snapshot::Snapshot;
use crate::vocabulary::EventSource;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Mutex;

/// The start of the period events are read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Days(u32),
    Time(DateTime<Utc>),
}

impl Since {
    /// The start of the period ending at `until`, at most `limit_days` back.
    pub fn start(this: Option<Since>, until: DateTime<Utc>, limit_days: u32) -> DateTime<Utc> {
        let earliest = until - chrono::Duration::days(i64::from(limit_days.min(365_000)));
        match this {
            None => until - chrono::Duration::days(i64::from(90u32.min(limit_days))),
            Some(Since::Days(days)) => {
                until - chrono::Duration::days(i64::from(days.min(limit_days).min(365_000)))
            }
            Some(Since::Time(time)) => time.max(earliest),
        }
    }

    /// A number of days, a first day (2026-01-01) or an RFC 3339 time.
    pub fn parse(text: &str) -> Result<Since, String> {
        if let Ok(days) = text.parse::<u32>() {
            return Ok(Since::Days(days));
        }
        if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(Since::Time(
                date.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
            ));
        }
        DateTime::parse_from_rfc3339(text)
            .map(|t| Since::Time(t.with_timezone(&Utc)))
            .map_err(|_| {
                format!("{text}: not a number of days, a date (2026-01-01) or an RFC 3339 time")
            })
    }
}

/// An Athena table to read, with the workgroup and result location of its queries.
#[derive(Debug, Clone)]
pub struct AthenaSource {
    pub table: String,
    pub workgroup: String,
    pub output: Option<String>,
}

/// The event sources of one command, and the period they are read for.
#[derive(Debug, Clone)]
pub struct Sources {
    pub trail_logs: Option<PathBuf>,
    pub lookup_events: bool,
    pub lake: Option<String>,
    pub s3: Option<String>,
    pub athena: Option<AthenaSource>,
    /// The start of the period (default 90 days before `now`).
    pub since: Option<Since>,
    /// The end of the period: the clock, or `--now`.
    pub now: DateTime<Utc>,
}

impl Sources {
    pub fn any(&self) -> bool {
        self.trail_logs.is_some()
            || self.lookup_events
            || self.lake.is_some()
            || self.s3.is_some()
            || self.athena.is_some()
    }
}

/// Why evidence could not be added.
#[derive(Debug)]
pub enum EvidenceError {
    /// A live source could not start (credentials, Region).
    Scan(ScanError),
    /// Bad input: an unreadable folder, a malformed URL or table name, a record that broke
    /// the ingestion.
    Input(String),
}

impl From<String> for EvidenceError {
    fn from(message: String) -> Self {
        EvidenceError::Input(message)
    }
}

impl From<ScanError> for EvidenceError {
    fn from(error: ScanError) -> Self {
        EvidenceError::Scan(error)
    }
}

/// A multi-threaded runtime for the live sources.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads `sources` into the snapshot, keeping the events it already holds. Progress and the
/// gaps found go to stderr unless `options.quiet`.
pub fn add(
    snapshot: &mut Snapshot,
    sources: &Sources,
    options: &ScanOptions,
) -> Result<(), EvidenceError> {
    if !sources.any() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let ingest = Mutex::new(Ingest::default());
    let failure = Mutex::new(None);
    let mut read_sources = snapshot.events.sources.clone();
    ingest
        .lock()
        .expect("ingest")
        .keep(std::mem::take(&mut snapshot.events));
    let until = sources.now;
    let since = |limit_days: u32| Since::start(sources.since, until, limit_days);
    let mut reads: Vec<SourceRead> = Vec::new();
    // Events of log files, from several threads; the first error is kept. A thread that finds
    // the ingestion busy leaves its batch queued for the thread inside instead of waiting for
    // it, so no reader idles while another's events are added.
    let queue: Mutex<Vec<Vec<Normalized>>> = Mutex::new(Vec::new());
    let add_batch = |batch: Vec<Normalized>| {
        queue.lock().expect("queue").push(batch);
        loop {
            let mut adding = match ingest.try_lock() {
                Ok(adding) => adding,
                // The thread inside looks at the queue again after it leaves.
                Err(std::sync::TryLockError::WouldBlock) => return,
                Err(std::sync::TryLockError::Poisoned(error)) => panic!("ingest: {error}"),
            };
            loop {
                let batches = std::mem::take(&mut *queue.lock().expect("queue"));
                if batches.is_empty() {
                    break;
                }
                for batch in batches {
                    if let Err(error) = adding.add(batch) {
                        failure.lock().expect("failure").get_or_insert(error);
                    }
                }
            }
            drop(adding);
            // A batch queued after the last look, by a thread that found the ingestion busy.
            if queue.lock().expect("queue").is_empty() {
                return;
            }
        }
    };
    if let Some(dir) = &sources.trail_logs {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (stats, gaps) = crate::events::trail_logs::read_dir(dir, threads, &add_batch)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        snapshot.gaps.extend(gaps);
        read_sources.push(EventSource::TrailLogs);
        // A folder has no period of its own: it is checked against one only when asked for.
        let requested = sources
            .since
            .map(|_| (stamp(since(u32::MAX)), stamp(until)));
        let location = dir.display().to_string();
        reads.push(files_read(
            &ingest,
            EventSource::TrailLogs,
            location,
            &stats,
            requested,
        ));
        if !options.quiet {
            eprintln!(
                "events: {} files, {} records, {} sign-in and access events, {:.1} MB uncompressed in {:.1?}",
                stats.files,
                stats.records,
                stats.normalized,
                stats.bytes_uncompressed as f64 / 1e6,
                started.elapsed()
            );
        }
    }
    if let Some(url) = &sources.s3 {
        let url = collect::trail_s3::parse_url(url)?;
        let since = since(u32::MAX);
        // Only the organization's accounts: log folders of accounts that left it (or of
        // another organization sharing the bucket) say nothing about this one.
        let accounts: std::collections::BTreeSet<String> = snapshot
            .organization
            .accounts
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let accounts = (!accounts.is_empty()).then_some(accounts);
        let mut sink = |batch| add_batch(batch);
        let (read, gaps) = runtime()?.block_on(collect::trail_s3_events(
            options,
            &url,
            accounts.as_ref(),
            since,
            until,
            &mut sink,
        ))?;
        let stats = &read.stats;
        snapshot.gaps.extend(gaps);
        read_sources.push(EventSource::TrailS3);
        reads.push(files_read(
            &ingest,
            EventSource::TrailS3,
            url.to_string(),
            stats,
            Some((stamp(since), stamp(until))),
        ));
        if !options.quiet {
            if !read.skipped_accounts.is_empty() {
                eprintln!(
                    "events: {url}: not read, not accounts of the organization: {}",
                    read.skipped_accounts.join(", ")
                );
            }
            eprintln!(
                "events: {url}: {} Region folders, {} objects, {} records, {} sign-in and access events, {:.1} MB uncompressed in {:.1?}",
                read.regions,
                stats.files,
                stats.records,
                stats.normalized,
                stats.bytes_uncompressed as f64 / 1e6,
                started.elapsed()
            );
        }
    }
    if sources.lookup_events {
        let since = since(90);
        let home =
            (!snapshot.metadata.region.is_empty()).then_some(snapshot.metadata.region.as_str());
        let (events, gaps) = runtime()?.block_on(collect::lookup_events(
            options,
            home,
            &snapshot.instance_regions(),
            since,
            until,
        ))?;
        // The lookups ask for sign-ins, role use and root activity only, which can be quiet
        // for days: only "nothing at all" is a hole here.
        reads.push(SourceRead {
            source: EventSource::LookupEvents,
            location: "LookupEvents (the instance's Regions and us-east-1)".into(),
            files: None,
            records: events.len() as u64,
            earliest: None,
            latest: None,
            requested: Some((stamp(since), stamp(until))),
        });
        let mut ingest = ingest.lock().expect("ingest");
        if !events.is_empty() {
            ingest.covering(Some(&stamp(since)), Some(&stamp(until)));
        }
        ingest.add(events)?;
        snapshot.gaps.extend(gaps);
        read_sources.push(EventSource::LookupEvents);
    }
    if let Some(store) = &sources.lake {
        let since = since(u32::MAX);
        let (evidence, gaps) =
            runtime()?.block_on(collect::lake_events(options, store, since, until))?;
        let period = (stamp(since), stamp(until));
        reads.push(add_aggregated(
            &ingest,
            EventSource::Lake,
            store,
            evidence,
            period,
        )?);
        snapshot.gaps.extend(gaps);
        read_sources.push(EventSource::Lake);
    }
    if let Some(athena) = &sources.athena {
        let table = collect::athena::parse_table(&athena.table)?;
        let since = since(u32::MAX);
        let query = collect::athena::AthenaOptions {
            table: &table,
            workgroup: &athena.workgroup,
            output: athena.output.as_deref(),
        };
        let (evidence, gaps) =
            runtime()?.block_on(collect::athena_events(options, &query, since, until))?;
        let period = (stamp(since), stamp(until));
        let location = table.to_string();
        reads.push(add_aggregated(
            &ingest,
            EventSource::Athena,
            &location,
            evidence,
            period,
        )?);
        snapshot.gaps.extend(gaps);
        read_sources.push(EventSource::Athena);
    }
    if let Some(error) = failure.into_inner().expect("failure") {
        return Err(EvidenceError::Input(error));
    }
    for read in &reads {
        let gaps = source_gaps(read);
        for gap in &gaps {
            eprintln!("warning: {}: {}", read.source, gap.error);
        }
        snapshot.gaps.extend(gaps);
    }
    let ingest = ingest.into_inner().expect("ingest");
    let summarizing = std::time::Instant::now();
    let (events, unreadable) = ingest.finish(read_sources)?;
    if !options.quiet {
        eprintln!(
            "events: {} users and {} (user, account, permission set) rows summarized in {:.1?}",
            events.users.len(),
            events.role_uses.len(),
            summarizing.elapsed()
        );
    }
    snapshot.events = events;
    // Records that could not be counted are evidence missing: a gap, never a quiet pass.
    for reason in unreadable {
        eprintln!("warning: events: {reason}");
        snapshot.gaps.push(crate::snapshot::Gap {
            area: crate::vocabulary::DataArea::Events,
            operation: "events:read".into(),
            resource: "sign-in and role-use records".into(),
            error: format!("{reason}: not counted"),
        });
    }
    snapshot.normalize();
    Ok(())
}

/// What a source of log files (a folder, a bucket) read, its period counted as covered when it
/// read any record.
fn files_read(
    ingest: &Mutex<Ingest>,
    source: EventSource,
    location: String,
    stats: &ReadStats,
    requested: Option<(String, String)>,
) -> SourceRead {
    if stats.records > 0 {
        ingest
            .lock()
            .expect("ingest")
            .covering(stats.earliest.as_deref(), stats.latest.as_deref());
    }
    SourceRead {
        source,
        location,
        files: Some(stats.found),
        records: stats.records,
        earliest: stats.earliest.clone(),
        latest: stats.latest.clone(),
        requested,
    }
}

/// Adds the rows of a source that aggregates where the events live (Lake, Athena) for
/// `period` (RFC 3339 from, to); returns what it read. Such a source returns summaries, not
/// records: only "no rows at all" can be told.
fn add_aggregated(
    ingest: &Mutex<Ingest>,
    source: EventSource,
    location: &str,
    evidence: collect::lake::LakeEvidence,
    period: (String, String),
) -> Result<SourceRead, String> {
    let rows = evidence.users.len() + evidence.role_uses.len() + evidence.rare.len();
    let mut ingest = ingest.lock().expect("ingest");
    if rows > 0 {
        ingest.covering(Some(&period.0), Some(&period.1));
    }
    ingest.add_summaries(evidence.users, evidence.role_uses);
    ingest.add(evidence.rare)?;
    Ok(SourceRead {
        source,
        location: location.to_string(),
        files: None,
        records: rows as u64,
        earliest: None,
        latest: None,
        requested: Some(period),
    })
}
