//! Reads a local copy of CloudTrail trail log files (the S3 layout, organization trails
//! included): every `*.json.gz` (or `*.json`) below a folder except the digest and insight
//! folders, one file at a time on each worker thread, each file's records normalized and
//! handed to a sink together. A corrupt or truncated file becomes a gap naming the file; the
//! rest is still read.

use super::inflate::Inflater;
use super::normalize::{Normalized, normalize};
use super::slim::SlimRecord;
use crate::snapshot::Gap;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a record of interest contains somewhere: sign-ins, role use, root sessions and
/// actions as root. Records without any of these are skipped unparsed.
static RELEVANT: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 4]> =
    std::sync::LazyLock::new(|| {
        [
            memchr::memmem::Finder::new("signin.amazonaws.com"),
            memchr::memmem::Finder::new("sso.amazonaws.com"),
            memchr::memmem::Finder::new("AssumeRoot"),
            memchr::memmem::Finder::new("\"Root\""),
        ]
    });

/// Counts of one read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadStats {
    /// Log files found below the folder (read or not).
    pub found: u64,
    /// Log files read whole.
    pub files: u64,
    pub records: u64,
    pub normalized: u64,
    pub bytes_uncompressed: u64,
    /// Earliest and latest times in the file names read (`..._YYYYMMDDTHHmmZ_...`), RFC 3339:
    /// the period the logs cover, irrelevant records included.
    pub earliest: Option<String>,
    pub latest: Option<String>,
}

/// `111111111111_CloudTrail_us-east-1_20260115T0905Z_abc.json.gz` → `2026-01-15T09:05:00Z`.
fn file_time(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stamp = name
        .split('_')
        .find(|part| part.len() == 14 && part.ends_with('Z') && part.as_bytes()[8] == b'T')?;
    let parsed = chrono::NaiveDateTime::parse_from_str(&stamp[..13], "%Y%m%dT%H%M").ok()?;
    Some(
        parsed
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

fn widen(stats: &mut ReadStats, earliest: Option<&String>, latest: Option<&String>) {
    if let Some(time) = earliest
        && stats.earliest.as_ref().is_none_or(|e| time < e)
    {
        stats.earliest = Some(time.clone());
    }
    if let Some(time) = latest
        && stats.latest.as_ref().is_none_or(|l| time > l)
    {
        stats.latest = Some(time.clone());
    }
}

/// Log files below `dir`, sorted, without `CloudTrail-Digest/` and `CloudTrail-Insight/`.
pub fn log_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                if name != "CloudTrail-Digest" && name != "CloudTrail-Insight" {
                    pending.push(path);
                }
            } else if is_log_file(&name) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Trail log objects (`.json`, `.json.gz`) and exported records (`.jsonl`, `.ndjson`, plain
/// or gzipped).
pub fn is_log_file(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".ndjson")
}

/// The keys of a trail log object: only `Records` is read.
#[derive(Deserialize)]
#[serde(field_identifier)]
enum LogKey {
    Records,
    #[serde(other)]
    Other,
}

/// What is done with each record of a log object; an error stops the read and is the file's.
type EachRecord<'f, 'de> = &'f mut dyn FnMut(&SlimRecord<'de>) -> Result<(), String>;

/// A trail log object read record by record, each as a slim record handed to `each` as soon
/// as it is read: no record of the file is held beyond its turn.
struct SlimLog<'f, 'de> {
    each: EachRecord<'f, 'de>,
    /// The error `each` returned, told apart from a shape the slim reader does not take.
    failed: &'f mut Option<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for SlimLog<'_, 'de> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SlimLog<'_, 'de> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a CloudTrail log object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<LogKey>()? {
            match key {
                LogKey::Records if !found => {
                    found = true;
                    map.next_value_seed(SlimRecords {
                        each: &mut *self.each,
                        failed: &mut *self.failed,
                    })?;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

struct SlimRecords<'f, 'de> {
    each: EachRecord<'f, 'de>,
    failed: &'f mut Option<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for SlimRecords<'_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SlimRecords<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(outcome) = seq.next_element_seed(EachRecordSeed(&mut *self.each))? {
            if let Err(error) = outcome {
                *self.failed = Some(error);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// One record of `Records`, read and handed to `each` where it is built.
struct EachRecordSeed<'f, 'de>(EachRecord<'f, 'de>);

impl<'de> serde::de::DeserializeSeed<'de> for EachRecordSeed<'_, 'de> {
    type Value = Result<(), String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EachRecordSeed<'_, 'de> {
    type Value = Result<(), String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a CloudTrail record")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        super::slim::with_record(map, |record| (self.0)(record))
    }
}

/// The normalized events of a log object's records, read in one pass. `None` when the text is
/// not what the slim reader takes (another shape, a duplicate key, ...): nothing was counted
/// then, and the general path reads it.
fn read_slim(text: &str, stats: &mut ReadStats) -> Option<Result<Vec<Normalized>, String>> {
    let mut events = Vec::new();
    let mut records = 0u64;
    let mut failed = None;
    let mut each = |record: &SlimRecord| {
        records += 1;
        if !record.may_matter() {
            return Ok(());
        }
        match normalize(record) {
            Ok(Some(event)) => events.push(event),
            Ok(None) => {}
            Err(error) => return Err(error.0),
        }
        Ok(())
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = serde::de::DeserializeSeed::deserialize(
        SlimLog {
            each: &mut each,
            failed: &mut failed,
        },
        &mut deserializer,
    );
    if let Some(error) = failed {
        return Some(Err(error));
    }
    match read.map(|found| found && deserializer.end().is_ok()) {
        Ok(true) => {
            stats.records += records;
            stats.normalized += events.len() as u64;
            Some(Ok(events))
        }
        _ => None,
    }
}

#[derive(Deserialize)]
struct LogObject<'a> {
    #[serde(borrow, rename = "Records")]
    records: Vec<&'a RawValue>,
}

fn gap(path: &Path, error: String) -> Gap {
    Gap {
        area: crate::vocabulary::DataArea::Events,
        operation: "trail-logs:read".into(),
        resource: path.display().to_string(),
        error,
    }
}

/// The records of one file: a trail log object (`{"Records": [...]}`, what CloudTrail writes to
/// S3), a JSON array of records (CloudTrail Lake, Athena and console exports), or records one
/// after another, one per line or pretty-printed (SIEM exports, JSON Lines).
pub fn records_of(bytes: &[u8]) -> Result<Vec<&RawValue>, String> {
    // The common case, parsed once: a log object.
    let log_object_error = match serde_json::from_slice::<LogObject>(bytes) {
        Ok(object) => return Ok(object.records),
        Err(error) => error,
    };
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let looks_like_log_object = start.is_some_and(|i| {
        bytes[i] == b'{'
            && bytes[i + 1..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| b == b'"')
            && bytes[i..bytes.len().min(i + 64)]
                .windows(9)
                .any(|w| w == b"\"Records\"")
    });
    if looks_like_log_object {
        return Err(format!("not a CloudTrail log object: {log_object_error}"));
    }
    match start.map(|i| bytes[i]) {
        None => Ok(Vec::new()),
        Some(b'[') => serde_json::from_slice::<Vec<&RawValue>>(bytes)
            .map_err(|e| format!("not a JSON array of CloudTrail records: {e}")),
        Some(b'{') => {
            let mut records = Vec::new();
            for (index, value) in serde_json::Deserializer::from_slice(bytes)
                .into_iter::<&RawValue>()
                .enumerate()
            {
                let value = value.map_err(|e| {
                    format!(
                        "not CloudTrail records (one JSON object per record): record {}: {e}",
                        index + 1
                    )
                })?;
                if !value.get().starts_with('{') {
                    return Err(format!(
                        "not CloudTrail records: record {} is not a JSON object",
                        index + 1
                    ));
                }
                records.push(value);
            }
            Ok(records)
        }
        Some(_) => Err(format!(
            "not a CloudTrail log object, record array or JSON Lines file: {log_object_error}"
        )),
    }
}

/// Reads one file: its normalized events, or the gap it is.
fn read_file(
    path: &Path,
    bytes: &mut Vec<u8>,
    inflater: &mut Inflater,
    stats: &mut ReadStats,
) -> Result<Vec<Normalized>, Gap> {
    bytes.clear();
    std::fs::File::open(path)
        .and_then(|mut file| file.read_to_end(bytes))
        .map_err(|e| gap(path, format!("cannot open: {e}")))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    read_object(name, bytes, inflater, stats).map_err(|e| gap(path, e))
}

/// The normalized events of one log file or object named `name` (gzipped when it ends with
/// `.gz`, inflated by `inflater`, reused from file to file); on error, nothing of it has been
/// counted as read whole, and the message says what is wrong with it.
pub fn read_object(
    name: &str,
    content: &[u8],
    inflater: &mut Inflater,
    stats: &mut ReadStats,
) -> Result<Vec<Normalized>, String> {
    let bytes = if name.ends_with(".gz") {
        inflater.inflate(content)?
    } else {
        content
    };
    stats.bytes_uncompressed += bytes.len() as u64;
    // The common case in one pass: a log object read straight into slim records. Anything
    // else (another shape, a record the slim reader refuses) takes the general path below.
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(result) = read_slim(text, stats)
    {
        let events = result?;
        stats.files += 1;
        let time = file_time(Path::new(name));
        widen(stats, time.as_ref(), time.as_ref());
        return Ok(events);
    }
    let records = records_of(bytes)?;
    stats.files += 1;
    let time = file_time(Path::new(name));
    widen(stats, time.as_ref(), time.as_ref());
    let mut events = Vec::new();
    for raw in records {
        stats.records += 1;
        // Most records are of no interest: look at the source first, parse only if needed.
        let text = raw.get();
        if !RELEVANT.iter().any(|f| f.find(text.as_bytes()).is_some()) {
            continue;
        }
        // Only the fields the normalizer reads; a record the slim reader refuses (a duplicate
        // key, say) is read whole.
        let normalized = match serde_json::from_str::<SlimRecord>(text) {
            Ok(slim) => normalize(&slim),
            Err(_) => {
                let record: serde_json::Value =
                    serde_json::from_str(text).map_err(|e| format!("bad record: {e}"))?;
                normalize(&record)
            }
        };
        match normalized {
            Ok(Some(event)) => {
                stats.normalized += 1;
                events.push(event);
            }
            Ok(None) => {}
            Err(error) => return Err(error.0),
        }
    }
    Ok(events)
}

/// Adds the counts of one worker to the totals.
pub fn add_stats(totals: &mut ReadStats, stats: &ReadStats) {
    totals.files += stats.files;
    totals.records += stats.records;
    totals.normalized += stats.normalized;
    totals.bytes_uncompressed += stats.bytes_uncompressed;
    widen(totals, stats.earliest.as_ref(), stats.latest.as_ref());
}

/// Reads every log file below `dir` with `threads` workers. `sink` receives the normalized
/// events (from several threads, so it locks); gaps list the files that could not be read.
pub fn read_dir(
    dir: &Path,
    threads: usize,
    sink: &(dyn Fn(Vec<Normalized>) + Sync),
) -> std::io::Result<(ReadStats, Vec<Gap>)> {
    let files = log_files(dir)?;
    let next = Mutex::new(0usize);
    let totals = Mutex::new((ReadStats::default(), Vec::new()));
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut stats = ReadStats::default();
                let mut gaps = Vec::new();
                let mut bytes = Vec::new();
                let mut inflater = Inflater::default();
                loop {
                    let index = {
                        let mut next = next.lock().expect("file queue");
                        let index = *next;
                        *next += 1;
                        index
                    };
                    let Some(path) = files.get(index) else { break };
                    match read_file(path, &mut bytes, &mut inflater, &mut stats) {
                        Ok(batch) => sink(batch),
                        // Nothing of a file that failed is used: a half-read file would be a
                        // silent partial result.
                        Err(gap) => gaps.push(gap),
                    }
                }
                let mut totals = totals.lock().expect("totals");
                add_stats(&mut totals.0, &stats);
                totals.1.append(&mut gaps);
            });
        }
    });
    let (mut stats, mut gaps) = totals.into_inner().expect("totals");
    stats.found = files.len() as u64;
    gaps.sort();
    Ok((stats, gaps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn write_gz(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut encoder =
            GzEncoder::new(std::fs::File::create(path).unwrap(), Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap();
    }

    #[test]
    fn reads_logs_skips_digests_and_reports_corrupt_files() {
        let dir = std::env::temp_dir().join(format!("ssoaudit-trail-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let base = dir.join("AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/2026/01/15");
        let sample = include_str!("../../fixtures/cloudtrail/s3-log-object.SYNTHETIC.json");
        write_gz(
            &base.join("111111111111_CloudTrail_us-east-1_20260115T0900Z_a.json.gz"),
            sample,
        );
        write_gz(
            &base.join("111111111111_CloudTrail_us-east-1_20260115T0905Z_b.json.gz"),
            sample,
        );
        write_gz(
            &dir.join("AWSLogs/o-abc/111111111111/CloudTrail-Digest/us-east-1/digest.json.gz"),
            "not json",
        );
        write_gz(
            &dir.join("AWSLogs/o-abc/111111111111/CloudTrail-Insight/us-east-1/insight.json.gz"),
            "not json either",
        );
        // Truncated: half of a gzip stream.
        let mut full = Vec::new();
        let mut encoder = GzEncoder::new(&mut full, Compression::default());
        encoder.write_all(sample.as_bytes()).unwrap();
        encoder.finish().unwrap();
        std::fs::write(
            base.join("111111111111_CloudTrail_us-east-1_20260115T0910Z_c.json.gz"),
            &full[..full.len() / 2],
        )
        .unwrap();
        write_gz(
            &base.join("111111111111_CloudTrail_us-east-1_20260115T0915Z_d.json.gz"),
            "{\"Records\": [",
        );

        let collected = Mutex::new(Vec::new());
        let (stats, gaps) =
            read_dir(&dir, 2, &|batch| collected.lock().unwrap().extend(batch)).unwrap();
        assert_eq!(stats.files, 2, "two good files");
        assert_eq!(stats.earliest.as_deref(), Some("2026-01-15T09:00:00Z"));
        assert_eq!(stats.latest.as_deref(), Some("2026-01-15T09:05:00Z"));
        assert_eq!(stats.records, 4);
        assert_eq!(
            collected.lock().unwrap().len(),
            2,
            "one role use per good file"
        );
        assert_eq!(gaps.len(), 2, "{gaps:?}");
        assert!(
            gaps[0].resource.ends_with("_c.json.gz")
                && gaps[0].error.contains("corrupt or truncated"),
            "{gaps:?}"
        );
        assert!(
            gaps[1].resource.ends_with("_d.json.gz")
                && gaps[1].error.contains("not a CloudTrail log object"),
            "{gaps:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A record with a key written twice is refused by the slim reader, and a file holding one
    /// is read whole by the general path: every record comes out as the `Value` reader makes
    /// it (the later of two values), the other records of the file included.
    #[test]
    fn a_file_with_a_repeated_key_is_read_as_values() {
        let role_use = |id: &str, role: &str| {
            format!(
                r#"{{"eventSource":"sso.amazonaws.com","eventName":"GetRoleCredentials","eventID":"{id}","eventTime":"2026-01-01T00:00:00Z","userIdentity":{{"type":"Unknown","userName":"ana"}},"serviceEventDetails":{{"account_id":"111111111111","role_name":"{role}"}}}}"#
            )
        };
        let repeated = role_use("b", "First").replace(
            r#""role_name":"First"}"#,
            r#""role_name":"First","role_name":"Second"}"#,
        );
        let text = format!(r#"{{"Records":[{},{repeated}]}}"#, role_use("a", "Admin"));
        let mut stats = ReadStats::default();
        let events = read_object(
            "x.json",
            text.as_bytes(),
            &mut Inflater::default(),
            &mut stats,
        )
        .unwrap();
        let expected: Vec<Normalized> = [role_use("a", "Admin"), repeated]
            .iter()
            .map(|record| {
                normalize(&serde_json::from_str::<serde_json::Value>(record).unwrap())
                    .unwrap()
                    .unwrap()
            })
            .collect();
        assert_eq!(events, expected);
        assert!(
            matches!(&events[1], Normalized::RoleUse(r) if r.permission_set_name == "Second"),
            "{events:?}"
        );
        assert_eq!((stats.files, stats.records, stats.normalized), (1, 2, 2));
    }
}
