//! Trail log files read where CloudTrail delivers them, in S3 (read-only: ListObjectsV2,
//! GetObject, GetBucketLocation). The layout below the prefix is discovered
//! (`AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/`), and each Region's keys are listed from the
//! first day of the period to its last only (`YYYY/MM/DD/`, with `StartAfter`), so years of
//! history outside the period cost nothing. Objects are fetched a bounded number at a time and
//! each is parsed as soon as it arrives, like a local file: memory holds the objects in flight,
//! not the period. An object that cannot be fetched or read is a gap naming it; the rest is
//! still read.

use super::Scan;
use super::calls::{CallError, Service};
use crate::events::inflate::Inflater;
use crate::events::normalize::Normalized;
use crate::events::trail_logs::{ReadStats, add_stats, is_log_file, read_object};
use crate::snapshot::Gap;
use crate::vocabulary::DataArea;
use aws_sdk_s3::Client;
use std::collections::BTreeSet;
use std::sync::Arc;

const SERVICE: Service = Service::S3;

/// `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Empty, or ending with `/`.
    pub prefix: String,
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Parses `s3://BUCKET[/PREFIX]`.
pub fn parse_url(text: &str) -> Result<S3Url, String> {
    let rest = text
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{text}: not an S3 URL (s3://BUCKET/PREFIX)"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{text}: no bucket name (s3://BUCKET/PREFIX)"));
    }
    let prefix = prefix.trim_matches('/');
    Ok(S3Url {
        bucket: bucket.to_string(),
        prefix: if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        },
    })
}

/// Where the log files of one account and Region are: `.../ACCOUNT/CloudTrail/REGION/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegionPrefix {
    pub account: String,
    pub region: String,
    pub prefix: String,
}

fn is_account(segment: &str) -> bool {
    segment.len() == 12 && segment.bytes().all(|b| b.is_ascii_digit())
}

/// The last segment of a prefix ending with `/`.
fn last_segment(prefix: &str) -> &str {
    prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// What a child prefix of the layout is: descend into it, a Region's log folder, or neither.
enum Child {
    Descend,
    Region { account: String, region: String },
    Skip,
}

fn classify(parent: &str, child: &str) -> Child {
    let segment = last_segment(child);
    if last_segment(parent) == "CloudTrail" {
        let trimmed = parent.trim_end_matches('/');
        let account = trimmed
            .strip_suffix("CloudTrail")
            .map(last_segment)
            .unwrap_or_default();
        return if is_account(account) {
            Child::Region {
                account: account.to_string(),
                region: segment.to_string(),
            }
        } else {
            Child::Skip
        };
    }
    // CloudTrail-Digest and CloudTrail-Insight hold no events of ours.
    if segment == "AWSLogs"
        || segment == "CloudTrail"
        || segment.starts_with("o-")
        || is_account(segment)
    {
        Child::Descend
    } else {
        Child::Skip
    }
}

/// Pages through a listing of `prefix` (below a `delimiter`, after `start_after`), handing
/// each page to `each` until it returns `false` or the listing ends. A page with a
/// continuation token is followed whatever else it says: stopping early would read part of
/// the history as if it were all of it.
async fn list(
    scan: &Scan,
    client: &Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<&str>,
    each: &mut dyn FnMut(&aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output) -> bool,
) -> Result<(), CallError> {
    let mut token: Option<String> = None;
    loop {
        let page = scan
            .caller
            .call(SERVICE, "ListObjectsV2", || {
                client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_delimiter(delimiter.map(str::to_string))
                    .set_start_after(start_after.map(str::to_string))
                    .set_continuation_token(token.clone())
                    .send()
            })
            .await?;
        if !each(&page) {
            return Ok(());
        }
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return Ok(());
        }
    }
}

/// Lists the common prefixes directly below `prefix`.
async fn children(
    scan: &Scan,
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, CallError> {
    let mut found = Vec::new();
    list(scan, client, bucket, prefix, Some("/"), None, &mut |page| {
        found.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
        true
    })
    .await?;
    Ok(found)
}

/// The accounts' and Regions' log folders below the URL's prefix (the prefix may name the
/// bucket's root, `AWSLogs/`, an organization's folder or an account's).
async fn discover(scan: &Scan, client: &Client, url: &S3Url) -> Vec<RegionPrefix> {
    let mut found = Vec::new();
    let mut pending = vec![url.prefix.clone()];
    while let Some(parent) = pending.pop() {
        match children(scan, client, &url.bucket, &parent).await {
            Ok(children) => {
                for child in children {
                    match classify(&parent, &child) {
                        Child::Descend => pending.push(child),
                        Child::Region { account, region } => found.push(RegionPrefix {
                            account,
                            region,
                            prefix: child,
                        }),
                        Child::Skip => {}
                    }
                }
            }
            Err(error) => scan.gap(
                DataArea::Events,
                SERVICE,
                "ListObjectsV2",
                &format!("s3://{}/{parent}", url.bucket),
                &error,
            ),
        }
    }
    found.sort();
    found
}

/// One log object to fetch.
struct Object {
    key: String,
    size: i64,
}

/// The log objects of one Region's folder delivered from the first day of the period to its
/// last, listed from the first day's prefix on (`StartAfter`) and no further than the last.
async fn list_period(
    scan: &Scan,
    client: &Client,
    bucket: &str,
    region: &RegionPrefix,
    first_day: chrono::NaiveDate,
    last_day: chrono::NaiveDate,
) -> Result<Vec<Object>, CallError> {
    let start_after = format!("{}{}/", region.prefix, first_day.format("%Y/%m/%d"));
    let end = format!(
        "{}{}/",
        region.prefix,
        (last_day + chrono::Duration::days(1)).format("%Y/%m/%d")
    );
    let mut objects = Vec::new();
    let prefix = &region.prefix;
    list(
        scan,
        client,
        bucket,
        prefix,
        None,
        Some(&start_after),
        &mut |page| {
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                if key >= end.as_str() {
                    return false;
                }
                let name = key.rsplit('/').next().unwrap_or(key);
                if is_log_file(name) {
                    objects.push(Object {
                        key: key.to_string(),
                        size: object.size().unwrap_or(0),
                    });
                }
            }
            true
        },
    )
    .await?;
    Ok(objects)
}

/// Fetches one object whole: a body cut off in transfer is fetched again, up to 3 times.
async fn fetch(
    scan: &Scan,
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, CallError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let output = scan
            .caller
            .call(SERVICE, "GetObject", || {
                client.get_object().bucket(bucket).key(key).send()
            })
            .await?;
        match output.body.collect().await {
            Ok(data) => return Ok(data.into_bytes().to_vec()),
            Err(error) if attempts >= 3 => {
                return Err(CallError::Failed(format!(
                    "body cut off after {attempts} attempts: {error}"
                )));
            }
            Err(_) => {}
        }
    }
}

/// What a read of the bucket found.
#[derive(Debug, Default)]
pub struct S3Read {
    pub stats: ReadStats,
    /// Accounts with log folders that are not in the organization, not read.
    pub skipped_accounts: Vec<String>,
    /// Region folders read.
    pub regions: usize,
}

/// The bucket's Region (GetBucketLocation answers from any Region).
async fn bucket_region(scan: &Scan, client: &Client, bucket: &str) -> Result<String, CallError> {
    let output = scan
        .caller
        .call(SERVICE, "GetBucketLocation", || {
            client.get_bucket_location().bucket(bucket).send()
        })
        .await?;
    Ok(match output.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    })
}

/// Reads the log objects below `url` delivered between `since` and `until` (whole days, UTC),
/// of `accounts` only when given, into `sink`; unreadable objects and listings are gaps of
/// `scan`.
pub(crate) async fn read(
    scan: &Arc<Scan>,
    config: &aws_config::SdkConfig,
    url: &S3Url,
    accounts: Option<&BTreeSet<String>>,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    sink: &mut dyn FnMut(Vec<Normalized>),
) -> S3Read {
    let mut read = S3Read::default();
    // A custom endpoint (a local S3-compatible store) takes path-style requests.
    let path_style = config.endpoint_url().is_some();
    let locator = Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .region(aws_config::Region::new("us-east-1"))
            .force_path_style(path_style)
            .build(),
    );
    let region = match bucket_region(scan, &locator, &url.bucket).await {
        Ok(region) => region,
        Err(error) => {
            scan.gap(
                DataArea::Events,
                SERVICE,
                "GetBucketLocation",
                &url.to_string(),
                &error,
            );
            return read;
        }
    };
    let client = Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .region(aws_config::Region::new(region))
            .force_path_style(path_style)
            .build(),
    );
    let folders = discover(scan, &client, url).await;
    let mut skipped = BTreeSet::new();
    let (first_day, last_day) = (since.date_naive(), until.date_naive());
    let mut objects = Vec::new();
    for folder in &folders {
        if accounts.is_some_and(|accounts| !accounts.contains(&folder.account)) {
            skipped.insert(folder.account.clone());
            continue;
        }
        read.regions += 1;
        match list_period(scan, &client, &url.bucket, folder, first_day, last_day).await {
            Ok(found) => objects.extend(found),
            Err(error) => scan.gap(
                DataArea::Events,
                SERVICE,
                "ListObjectsV2",
                &format!("s3://{}/{}", url.bucket, folder.prefix),
                &error,
            ),
        }
    }
    read.skipped_accounts = skipped.into_iter().collect();
    read.stats.found = objects.len() as u64;
    let total_bytes: i64 = objects.iter().map(|o| o.size).sum();
    scan.progress.note(&format!(
        "{url}: {} Region folders, {} log objects ({:.1} MB) from {first_day} to {last_day}",
        read.regions,
        objects.len(),
        total_bytes as f64 / 1e6
    ));

    // Fetch a bounded number at a time; each is parsed on the blocking pool as it arrives.
    let in_flight = std::thread::available_parallelism()
        .map(|n| n.get() * 8)
        .unwrap_or(16)
        .clamp(8, 64);
    let mut tasks = tokio::task::JoinSet::new();
    let mut queue = objects.into_iter();
    let mut done = 0usize;
    let mut fetched_bytes = 0i64;
    let mut last_note = std::time::Instant::now();
    let total = read.stats.found as usize;
    loop {
        while tasks.len() < in_flight {
            let Some(object) = queue.next() else { break };
            let (scan, client, bucket) = (scan.clone(), client.clone(), url.bucket.clone());
            tasks.spawn(async move {
                let resource = format!("s3://{bucket}/{}", object.key);
                let bytes = match fetch(&scan, &client, &bucket, &object.key).await {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        return (
                            object.size,
                            Err((resource, "GetObject", error.message().to_string())),
                        );
                    }
                };
                let parsed = tokio::task::spawn_blocking(move || {
                    let name = object
                        .key
                        .rsplit('/')
                        .next()
                        .unwrap_or(&object.key)
                        .to_string();
                    let mut stats = ReadStats::default();
                    read_object(&name, &bytes, &mut Inflater::default(), &mut stats)
                        .map(|batch| (stats, batch))
                })
                .await;
                match parsed {
                    Ok(Ok(result)) => (object.size, Ok(result)),
                    Ok(Err(error)) => (object.size, Err((resource, "read", error))),
                    Err(error) => (object.size, Err((resource, "read", error.to_string()))),
                }
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (size, result) = joined.expect("an object's task does not panic");
        done += 1;
        fetched_bytes += size;
        match result {
            // Nothing of an object that failed is used, as with a local file.
            Ok((stats, batch)) => {
                add_stats(&mut read.stats, &stats);
                sink(batch);
            }
            Err((resource, operation, error)) => {
                let gap = Gap {
                    area: DataArea::Events,
                    operation: format!("s3:{operation}"),
                    resource: resource.clone(),
                    error,
                };
                scan.progress
                    .note(&format!("could not read {resource}: {}", gap.error));
                scan.gaps.lock().expect("gap lock").push(gap);
            }
        }
        if last_note.elapsed() >= std::time::Duration::from_secs(2) && done < total {
            last_note = std::time::Instant::now();
            scan.progress.note(&format!(
                "{url}: {done}/{total} objects, {:.1}/{:.1} MB",
                fetched_bytes as f64 / 1e6,
                total_bytes as f64 / 1e6
            ));
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("s3://trail-bucket").unwrap(),
            S3Url {
                bucket: "trail-bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            parse_url("s3://trail-bucket/org/logs/").unwrap().prefix,
            "org/logs/"
        );
        assert!(
            parse_url("trail-bucket/x")
                .unwrap_err()
                .contains("not an S3 URL")
        );
        assert!(parse_url("s3:///x").unwrap_err().contains("no bucket"));
    }

    #[test]
    fn layout() {
        assert!(matches!(classify("", "AWSLogs/"), Child::Descend));
        assert!(matches!(
            classify("AWSLogs/", "AWSLogs/o-abc/"),
            Child::Descend
        ));
        assert!(matches!(
            classify("AWSLogs/o-abc/", "AWSLogs/o-abc/111111111111/"),
            Child::Descend
        ));
        assert!(matches!(
            classify(
                "AWSLogs/o-abc/111111111111/",
                "AWSLogs/o-abc/111111111111/CloudTrail-Digest/"
            ),
            Child::Skip
        ));
        match classify(
            "AWSLogs/o-abc/111111111111/CloudTrail/",
            "AWSLogs/o-abc/111111111111/CloudTrail/eu-west-1/",
        ) {
            Child::Region { account, region } => {
                assert_eq!(
                    (account.as_str(), region.as_str()),
                    ("111111111111", "eu-west-1")
                )
            }
            _ => panic!("a Region folder"),
        }
        assert!(matches!(classify("logs/", "logs/other/"), Child::Skip));
    }
}
