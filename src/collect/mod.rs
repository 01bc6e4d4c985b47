//! The live, read-only scan: the only code that talks to AWS. It produces a `Snapshot` and
//! nothing else. Every operation it calls is a List, Describe or Get (see
//! `policy/ssoaudit-read-only.json`); a part it cannot read becomes a collection gap.

/// Follows `NextToken` until the listing ends; a failure ends it with a gap.
/// `SERVICE` is the calling module's service.
macro_rules! paged {
    ($scan:expr, $operation:literal, $area:expr, $resource:expr, |$token:ident| $request:expr, |$output:ident| $each:expr) => {{
        let mut $token: Option<String> = None;
        let mut complete = true;
        loop {
            match $scan.caller.call(SERVICE, $operation, || $request).await {
                Ok($output) => {
                    $each;
                    $token = $output.next_token().map(str::to_string);
                    if $token.is_none() {
                        break;
                    }
                }
                Err(error) => {
                    $scan.gap($area, SERVICE, $operation, $resource, &error);
                    complete = false;
                    break;
                }
            }
        }
        complete
    }};
}

mod account_access;
mod applications;
pub mod athena;
pub mod calls;
pub mod changes;
mod cloudtrail;
mod iam;
mod identity;
pub mod lake;
pub mod member;
mod organizations;
pub mod progress;
mod settings;
mod sso_admin;
pub mod trail_s3;

use crate::snapshot::{Gap, Metadata, SCHEMA_VERSION, Snapshot};
use calls::{CallError, Caller, Limits, Service};
use progress::Progress;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Settings of a scan, from the command line.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub profile: Option<String>,
    /// The IAM Identity Center home Region.
    pub region: Option<String>,
    pub limits: Option<Limits>,
    /// Attempts per call that meets faults (network errors, 5xx, timeouts) before it counts as
    /// failed.
    pub max_attempts: Option<u32>,
    /// How long the scan may take: throttled calls are retried at an adapted rate until it is
    /// spent, and what is not read by then is a gap (default one hour).
    pub time_budget: Option<std::time::Duration>,
    /// How long one attempt at a call may take (default 60 s).
    pub call_timeout: Option<std::time::Duration>,
    pub quiet: bool,
    /// The role to read member accounts through; None: member accounts are not read.
    pub member_role: Option<member::MemberRoleSpec>,
    /// An incremental scan's change events start this long before its base's scan did: how
    /// late CloudTrail may deliver an event (default 15 minutes).
    pub changes_margin: Option<std::time::Duration>,
}

/// Why a scan could not start, in one plain sentence naming the cause and the fix; the SDK's
/// own account of it is `detail()` (printed with `--verbose`).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "no AWS credentials were found: pass --profile with a configured profile (or set AWS_PROFILE), run `aws configure` or `aws configure sso`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials { detail: String },
    #[error(
        "there is no AWS profile named `{profile}` in {files}: check the name (`aws configure list-profiles`) or create it (`aws configure sso`)"
    )]
    NoProfile { profile: String, files: String },
    #[error(
        "the AWS SSO session of profile `{profile}` has expired or was never started: run `aws sso login --profile {profile}`"
    )]
    SsoLogin { profile: String, detail: String },
    #[error(
        "AWS refused the credentials ({reason}): they are invalid or expired; refresh them (`aws sso login` for an SSO profile) or pass --profile with other ones"
    )]
    Credentials { reason: String, detail: String },
    #[error(
        "the credentials work but may not call sso:ListInstances (access denied): give the scanning identity the read-only policy policy/ssoaudit-read-only.json, and run from the management account or the Identity Center delegated administrator"
    )]
    Denied { detail: String },
    #[error(
        "cannot reach AWS{endpoint} ({reason}): check the network connection, proxy settings (HTTPS_PROXY) and AWS_ENDPOINT_URL"
    )]
    Unreachable {
        reason: String,
        endpoint: String,
        detail: String,
    },
    #[error(
        "no AWS Region: pass --region with the IAM Identity Center home Region, or set AWS_REGION"
    )]
    NoRegion,
    #[error(
        "no IAM Identity Center instance is visible in {region}: pass --region with the home Region of IAM Identity Center, and run from the management account or a delegated administrator"
    )]
    NoInstance { region: String },
    #[error(
        "cannot list IAM Identity Center instances ({0}): the scan needs sso:ListInstances in the home Region"
    )]
    Instances(String),
}

impl ScanError {
    /// One plain sentence, and with `verbose` the SDK's detail (else a pointer to it).
    pub fn explain(&self, verbose: bool) -> String {
        match (verbose, self.detail()) {
            (true, Some(detail)) => format!("{self}\n  detail: {detail}"),
            (false, Some(_)) => format!("{self} (--verbose for the details)"),
            _ => self.to_string(),
        }
    }

    /// The SDK's account of the failure, for `--verbose`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ScanError::NoCredentials { detail }
            | ScanError::SsoLogin { detail, .. }
            | ScanError::Credentials { detail, .. }
            | ScanError::Denied { detail }
            | ScanError::Unreachable { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// The plain account of the first call's failure: what a new user meets first (no
    /// credentials, an expired SSO session, a missing permission, no network).
    fn of_first_call(error: CallError, options: &ScanOptions) -> ScanError {
        let profile = || {
            options
                .profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok())
                .unwrap_or_else(|| "default".into())
        };
        match error {
            CallError::Credentials(detail) => {
                let lower = detail.to_ascii_lowercase();
                if lower.contains("sso token") || lower.contains("sso session") {
                    ScanError::SsoLogin {
                        profile: profile(),
                        detail,
                    }
                } else if lower.contains("credential provider was not enabled")
                    || lower.contains("no credentials")
                    || lower.contains("loading credentials")
                {
                    ScanError::NoCredentials { detail }
                } else {
                    ScanError::Credentials {
                        reason: detail
                            .split(':')
                            .next()
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                        detail,
                    }
                }
            }
            CallError::Denied(detail) => ScanError::Denied { detail },
            CallError::Failed(detail) if is_network_failure(&detail) => {
                let lower = detail.to_ascii_lowercase();
                let reason = if lower.contains("connection refused") {
                    "connection refused"
                } else if lower.contains("reset") || lower.contains("broken pipe") {
                    "the connection was reset"
                } else if lower.contains("dns") || lower.contains("lookup address") {
                    "the host name does not resolve"
                } else if lower.contains("timed out") || lower.contains("timeout") {
                    "no answer in time"
                } else {
                    "network error"
                };
                ScanError::Unreachable {
                    reason: reason.into(),
                    endpoint: std::env::var("AWS_ENDPOINT_URL")
                        .map(|e| format!(" at {e}"))
                        .unwrap_or_default(),
                    detail,
                }
            }
            other => ScanError::Instances(other.message().to_string()),
        }
    }
}

/// A failure before any answer: the request never reached AWS (or no answer came back).
fn is_network_failure(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ["dispatch failure", "timeout", "timed out", "connection"]
        .iter()
        .any(|k| lower.contains(k))
}

/// A profile named on the command line or in AWS_PROFILE that no profile file defines: the
/// SDK would quietly fall back to no credentials.
fn missing_profile(options: &ScanOptions) -> Option<ScanError> {
    let profile = options
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok())?;
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let config = file("AWS_CONFIG_FILE", "config");
    let credentials = file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let defines = |path: &Option<std::path::PathBuf>, config: bool| {
        let Some(text) = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) else {
            return false;
        };
        text.lines().any(|line| {
            let Some(section) = line
                .trim()
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
            else {
                return false;
            };
            let section = section.trim();
            let name = if config {
                match section.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ => section,
                }
            } else {
                section
            };
            name == profile
        })
    };
    if defines(&config, true) || defines(&credentials, false) {
        return None;
    }
    let files: Vec<String> = [config, credentials]
        .into_iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    Some(ScanError::NoProfile {
        profile,
        files: files.join(" or "),
    })
}

/// What the scan shares between its tasks.
pub(crate) struct Scan {
    pub caller: Caller,
    pub progress: Progress,
    gaps: Mutex<Vec<Gap>>,
}

/// The default of `--time-budget`.
pub const DEFAULT_TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(3600);
/// The default of `--call-timeout`.
pub const DEFAULT_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Scan {
    /// Ends the progress display, saying how far throttling slowed the scan.
    fn end_progress(&self) {
        use std::sync::atomic::Ordering;
        let throttles = self.progress.counters.throttles.load(Ordering::Relaxed);
        if throttles > 0 {
            let limits = Limits::default();
            let slowed: Vec<String> = self
                .caller
                .rates()
                .into_iter()
                .filter(|(service, rate)| *rate < limits.of(*service))
                .map(|(service, rate)| format!("{} {rate:.1}/s", service.name()))
                .collect();
            self.progress.note(&format!(
                "{throttles} requests throttled; rate adapted{}",
                if slowed.is_empty() {
                    String::new()
                } else {
                    format!(", now {}", slowed.join(", "))
                }
            ));
        }
        self.progress.finish();
    }

    fn new(options: &ScanOptions) -> Scan {
        let progress = Progress::start(options.quiet);
        Scan {
            caller: Caller::new(
                options.limits.unwrap_or_default(),
                options.max_attempts.unwrap_or(8),
                Some(options.time_budget.unwrap_or(DEFAULT_TIME_BUDGET)),
                progress.counters.clone(),
            ),
            progress,
            gaps: Mutex::new(Vec::new()),
        }
    }

    /// Ends the progress display and hands over the gaps recorded.
    fn finish(&self) -> Vec<Gap> {
        self.end_progress();
        std::mem::take(&mut *self.gaps.lock().expect("gap lock"))
    }

    /// Records a part that could not be read.
    pub fn gap(
        &self,
        area: crate::vocabulary::DataArea,
        service: Service,
        operation: &str,
        resource: &str,
        error: &CallError,
    ) {
        self.gaps.lock().expect("gap lock").push(Gap {
            area,
            operation: format!("{}:{operation}", service.name()),
            resource: resource.to_string(),
            error: error.message().to_string(),
        });
        self.progress.note(&format!(
            "could not read {area} ({}:{operation} {resource}): {}",
            service.name(),
            error.message()
        ));
    }
}

/// Loads the AWS configuration: the standard chain, with our retries instead of the SDK's.
async fn load_config(options: &ScanOptions) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .operation_attempt_timeout(options.call_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT))
        .build();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(timeouts);
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    loader.load().await
}

/// Sign-in and access events from CloudTrail LookupEvents, in the IdC home Region (the
/// snapshot's, unless --region says otherwise), every other Region the instance is replicated
/// to, and us-east-1, from `since` to `until`. Returns the normalized events and the gaps.
pub async fn lookup_events(
    options: &ScanOptions,
    home_region: Option<&str>,
    instance_regions: &[String],
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<crate::events::normalize::Normalized>, Vec<Gap>), ScanError> {
    let config = load_config(options).await;
    let region = options
        .region
        .clone()
        .or_else(|| home_region.map(str::to_string))
        .or_else(|| config.region().map(|r| r.to_string()))
        .ok_or(ScanError::NoRegion)?;
    let mut regions = vec![region];
    for other in instance_regions
        .iter()
        .map(String::as_str)
        .chain(["us-east-1"])
    {
        if !regions.iter().any(|r| r == other) {
            regions.push(other.to_string());
        }
    }
    let scan = Arc::new(Scan::new(options));
    let events = cloudtrail::lookup_events(scan.clone(), &config, &regions, since, until).await;
    let gaps = scan.finish();
    if let Some(refused) = gaps.iter().find(|g| {
        let e = g.error.to_ascii_lowercase();
        e.contains("credential") || e.contains("unrecognizedclient") || e.contains("expiredtoken")
    }) {
        return Err(ScanError::of_first_call(
            CallError::Credentials(refused.error.clone()),
            options,
        ));
    }
    Ok((events, gaps))
}

/// Sign-in and access evidence from a CloudTrail Lake event data store, aggregated in AWS.
pub async fn lake_events(
    options: &ScanOptions,
    store: &str,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(lake::LakeEvidence, Vec<Gap>), ScanError> {
    let config = load_config(options).await;
    let scan = Arc::new(Scan::new(options));
    let client = aws_sdk_cloudtrail::Client::new(&config);
    let evidence = lake::read(&scan, &client, store, since, until).await;
    Ok((evidence, scan.finish()))
}

/// Sign-in and access evidence from an Athena table over the trail's log files, aggregated in
/// Athena.
pub async fn athena_events(
    options: &ScanOptions,
    athena: &athena::AthenaOptions<'_>,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(lake::LakeEvidence, Vec<Gap>), ScanError> {
    if let Some(error) = missing_profile(options) {
        return Err(error);
    }
    let config = load_config(options).await;
    let scan = Arc::new(Scan::new(options));
    let client = aws_sdk_athena::Client::new(&config);
    let evidence = athena::read(&scan, &client, athena, since, until).await;
    Ok((evidence, scan.finish()))
}

/// Sign-in and access events from trail log files in S3, read between `since` and `until`
/// (whole days), of `accounts` only when given; `sink` receives the events as each object is
/// read.
pub async fn trail_s3_events(
    options: &ScanOptions,
    url: &trail_s3::S3Url,
    accounts: Option<&std::collections::BTreeSet<String>>,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    sink: &mut dyn FnMut(Vec<crate::events::normalize::Normalized>),
) -> Result<(trail_s3::S3Read, Vec<Gap>), ScanError> {
    if let Some(error) = missing_profile(options) {
        return Err(error);
    }
    let config = load_config(options).await;
    let scan = Arc::new(Scan::new(options));
    let read = trail_s3::read(&scan, &config, url, accounts, since, until, sink).await;
    Ok((read, scan.finish()))
}

/// Scans the organization the credentials reach and returns its snapshot.
pub async fn scan(options: &ScanOptions) -> Result<Snapshot, ScanError> {
    scan_from(options, None).await
}

/// Scans the organization again since `base` was captured: what is cheap to read whole is read
/// whole, assignments and account tags only where the change events (or the invariants that
/// check them) say they changed. The snapshot records how it was made
/// (`metadata.incremental`); whatever cannot be trusted is read in full, and says why.
pub async fn scan_incremental(
    options: &ScanOptions,
    base: &Snapshot,
) -> Result<Snapshot, ScanError> {
    scan_from(options, Some(base)).await
}

/// How long after a call CloudTrail may deliver its event ("on average about 5 minutes", 15 in
/// older documentation): the change events of an incremental scan start this long before its
/// base's scan did, unless `--changes-margin` says otherwise.
pub const DELIVERY_MARGIN: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// How far back LookupEvents reads.
const LOOKUP_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(90);

/// What an incremental scan takes from its base, and what it reads again.
struct Plan<'a> {
    base: &'a Snapshot,
    changes: changes::Changes,
}

impl Plan<'_> {
    fn full(&self, part: changes::Part) -> bool {
        self.changes.full.contains_key(&part)
    }
}

/// Reads the change events since `base` and decides what to read again, noting the period and
/// the events in `record`; Err(reason) when nothing of the base can be trusted and the whole
/// organization must be scanned.
async fn plan<'a>(
    (scan, config, sso): (&Scan, &aws_config::SdkConfig, &aws_sdk_ssoadmin::Client),
    base: &'a Snapshot,
    instance: &sso_admin::Instance,
    region: &str,
    now: chrono::DateTime<chrono::Utc>,
    margin: std::time::Duration,
    record: &mut crate::snapshot::Incremental,
) -> Result<Plan<'a>, String> {
    use changes::Part;
    let metadata = &base.metadata;
    if metadata.source != "live" {
        return Err(format!(
            "the base was not made by a live scan (source `{}`)",
            metadata.source
        ));
    }
    if metadata.instance_arn != instance.arn
        || metadata.identity_store_id != instance.identity_store_id
    {
        return Err(format!(
            "the base is of another instance ({} with identity store {}), not {}",
            metadata.instance_arn, metadata.identity_store_id, instance.arn
        ));
    }
    let captured = chrono::DateTime::parse_from_rfc3339(&metadata.captured_at)
        .map_err(|e| {
            format!(
                "the base's capture time `{}` is not RFC 3339 ({e})",
                metadata.captured_at
            )
        })?
        .with_timezone(&chrono::Utc);
    let started =
        captured - chrono::TimeDelta::milliseconds(metadata.scan_duration_ms.unwrap_or(0) as i64);
    let since =
        started - chrono::TimeDelta::from_std(margin).unwrap_or(chrono::TimeDelta::minutes(15));
    record.changes_since = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    record.changes_until = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if captured > now {
        return Err(format!(
            "the base was captured after now ({})",
            metadata.captured_at
        ));
    }
    if now - since > LOOKUP_WINDOW {
        return Err(format!(
            "the base ({}) is older than the 90 days of events LookupEvents keeps",
            metadata.captured_at
        ));
    }
    let mut regions = vec![region.to_string()];
    if region != "us-east-1" {
        regions.push("us-east-1".into());
    }
    let events = changes::lookup(scan, config, &regions, since, now).await?;
    let mut changes = changes::interpret(&events);
    record.change_events = changes.relevant;
    // From a delegated administrator's account the tag changes are out of sight.
    let caller = changes::caller_account(scan, config).await;
    let management = &base.organization.management_account_id;
    if let Some(reason) =
        changes::tags_unseen(caller.as_deref().map_err(String::as_str), management)
    {
        changes.full.entry(Part::AccountTags).or_insert(reason);
    }
    // Gaps of the base in a part taken from it: that part is read in full.
    for gap in &base.gaps {
        use crate::vocabulary::DataArea;
        let part = match gap.area {
            DataArea::Assignments | DataArea::Provisioning => Part::Assignments,
            DataArea::AccountTags => Part::AccountTags,
            _ => continue,
        };
        changes.full.entry(part).or_insert_with(|| {
            format!(
                "the base could not read {} ({} {})",
                gap.area, gap.operation, gap.resource
            )
        });
    }
    // Identity Center lists the assignment requests it ran: each must have its event, or the
    // history misses changes and nothing taken from events can be trusted.
    let since_secs = since.timestamp();
    let unverified = match changes::assignment_requests(scan, sso, &instance.arn).await {
        Ok(requests) => {
            let missing =
                changes::missing_requests(&requests, &changes.assignment_requests, since_secs);
            (!missing.is_empty()).then(|| {
                format!(
                    "{} assignment request(s) Identity Center ran since {} have no CloudTrail event (not delivered yet, or missing; first: {}): the change history is incomplete",
                    missing.len(),
                    record.changes_since,
                    missing[0].id
                )
            })
        }
        Err(error) => Some(format!(
            "the assignment requests could not be listed to check the events against ({})",
            error.message()
        )),
    };
    if let Some(reason) = unverified {
        for part in [Part::Assignments, Part::AccountTags] {
            changes.full.entry(part).or_insert_with(|| reason.clone());
        }
    }
    Ok(Plan { base, changes })
}

async fn scan_from(options: &ScanOptions, base: Option<&Snapshot>) -> Result<Snapshot, ScanError> {
    let started = Instant::now();
    let now = chrono::Utc::now();
    if let Some(error) = missing_profile(options) {
        return Err(error);
    }
    let config = load_config(options).await;
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or(ScanError::NoRegion)?;

    let scan = Arc::new(Scan::new(options));
    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let identity_store = aws_sdk_identitystore::Client::new(&config);
    // Organizations is a global service served from us-east-1.
    let organizations_config = aws_sdk_organizations::config::Builder::from(&config)
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let organizations_client = aws_sdk_organizations::Client::from_conf(organizations_config);
    let organizations = &organizations_client;

    // Fail fast on credentials and Region: the one call everything else depends on.
    let instances = sso_admin::instances(&scan, &sso)
        .await
        .map_err(|e| ScanError::of_first_call(e, options))?;
    if instances.is_empty() {
        return Err(ScanError::NoInstance { region });
    }
    // Account instances (owned by member accounts) may be listed beside the organization's:
    // the one to audit is the management account's.
    let described = organizations::describe(&scan, organizations).await;
    let management = described.as_ref().ok().map(|(_, id)| id.as_str());
    let Some((instance, doubt)) = sso_admin::organization_instance(&instances, management) else {
        return Err(ScanError::NoInstance { region });
    };
    if let Some(doubt) = doubt {
        // The assignments of the organization instance may not be these.
        for area in [
            crate::vocabulary::DataArea::Instances,
            crate::vocabulary::DataArea::Assignments,
        ] {
            scan.gap(
                area,
                Service::SsoAdmin,
                "ListInstances",
                &region,
                &CallError::Failed(doubt.clone()),
            );
        }
    }

    // An incremental scan first reads what changed since its base.
    let mut record = crate::snapshot::Incremental {
        base_captured_at: base
            .map(|b| b.metadata.captured_at.clone())
            .unwrap_or_default(),
        changes_source: "lookup-events".into(),
        ..Default::default()
    };
    let plan = match base {
        None => None,
        Some(base) => {
            let margin = options.changes_margin.unwrap_or(DELIVERY_MARGIN);
            match plan(
                (scan.as_ref(), &config, &sso),
                base,
                &instance,
                &region,
                now,
                margin,
                &mut record,
            )
            .await
            {
                Ok(plan) => Some(plan),
                Err(reason) => {
                    scan.progress.note(&format!("scanning in full: {reason}"));
                    record.read_in_full.push(crate::snapshot::FullRead {
                        part: "all".into(),
                        reason,
                    });
                    None
                }
            }
        }
    };
    if let Some(plan) = &plan {
        scan.progress.note(&format!(
            "{} change events since {}: assignments of {} pairs and tags of {} accounts named",
            plan.changes.relevant,
            record.changes_since,
            plan.changes.pairs.len(),
            plan.changes.tagged_accounts.len()
        ));
    }
    let kept_tags = plan
        .as_ref()
        .filter(|p| !p.full(changes::Part::AccountTags))
        .map(|p| organizations::KeptTags {
            tags: p
                .base
                .organization
                .accounts
                .iter()
                .map(|a| (a.id.clone(), a.tags.clone()))
                .collect(),
            read_again: p.changes.tagged_accounts.clone(),
        });

    // IAM is a global service served from us-east-1.
    let iam_config = aws_sdk_iam::config::Builder::from(&config)
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let iam_client = aws_sdk_iam::Client::from_conf(iam_config);
    // The instance's settings first among sso-admin calls: a few calls, queued ahead of the
    // many per set and per principal.
    let (settings, applications, (organization, guardrails), directory, sets) = tokio::join!(
        settings::collect(
            &scan,
            &sso,
            &organizations_client,
            &iam_client,
            instances,
            &instance.arn
        ),
        applications::collect(&scan, &sso, &instance.arn),
        organizations::collect(
            scan.clone(),
            organizations_client.clone(),
            described,
            kept_tags
        ),
        identity::collect(
            scan.clone(),
            identity_store,
            instance.identity_store_id.clone()
        ),
        sso_admin::permission_sets(scan.clone(), sso.clone(), instance.arn.clone()),
    );
    let permission_sets: Vec<_> = sets.iter().map(|s| s.permission_set.clone()).collect();
    let account_ids: Vec<String> = organization.accounts.iter().map(|a| a.id.clone()).collect();
    let management = if organization.management_account_id.is_empty() {
        instance.owner_account_id.clone()
    } else {
        organization.management_account_id.clone()
    };
    let account_access_client = aws_sdk_accountaccess::Client::new(&config);
    // Assignments from the base need every principal and every set's provisioning, the
    // invariants they are checked against.
    let since_base = plan.as_ref().and_then(|plan| {
        let why = if plan.full(changes::Part::Assignments) {
            None
        } else if !directory.complete {
            Some("users or groups could not be listed whole".to_string())
        } else if !sets.iter().all(|s| s.provisioning_known) {
            Some("where some permission set is provisioned could not be listed".to_string())
        } else {
            return Some(plan);
        };
        if let Some(why) = why {
            record.read_in_full.push(crate::snapshot::FullRead {
                part: changes::Part::Assignments.as_str().into(),
                reason: why,
            });
        }
        None
    });
    let (assignments, (account_access, policy_documents), member_accounts) = tokio::join!(
        async {
            match since_base {
                Some(plan) => {
                    let (assignments, listed) = sso_admin::assignments_since(
                        scan.clone(),
                        sso.clone(),
                        instance.arn.clone(),
                        &sets,
                        &directory,
                        plan.base,
                        &plan.changes.pairs,
                    )
                    .await;
                    (assignments, Some(listed))
                }
                None => (
                    sso_admin::assignments(
                        scan.clone(),
                        sso.clone(),
                        instance.arn.clone(),
                        &sets,
                        &directory,
                    )
                    .await,
                    None,
                ),
            }
        },
        async {
            // Entitlements first: the documents of the policies their roles use are read
            // with the sets'.
            let access = account_access::collect(
                &scan,
                &account_access_client,
                &iam_client,
                &account_ids,
                &management,
            )
            .await;
            let documents = iam::documents(
                scan.clone(),
                iam_client.clone(),
                &permission_sets,
                &access.roles,
                &instance.owner_account_id,
            )
            .await;
            (access, documents)
        },
        // Member accounts beside the Identity Center calls: their IAM quotas are their own.
        async {
            match &options.member_role {
                Some(spec) => Some(
                    member::collect(&scan, &config, spec, &organization.accounts, &management)
                        .await,
                ),
                None => None,
            }
        },
    );

    let management_account_id = if organization.management_account_id.is_empty() {
        instance.owner_account_id.clone()
    } else {
        organization.management_account_id.clone()
    };
    let (assignments, pairs_listed) = assignments;
    let incremental = base.map(|_| {
        if let Some(plan) = &plan {
            for (part, reason) in &plan.changes.full {
                record.read_in_full.push(crate::snapshot::FullRead {
                    part: part.as_str().into(),
                    reason: reason.clone(),
                });
            }
        }
        // Tags were read for every account, unless kept from the base for those it knew and
        // no event named.
        record.account_tags_read = match plan
            .as_ref()
            .filter(|p| !p.full(changes::Part::AccountTags))
        {
            Some(plan) => {
                let known: std::collections::BTreeSet<&str> = plan
                    .base
                    .organization
                    .accounts
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect();
                organization
                    .accounts
                    .iter()
                    .filter(|a| {
                        !known.contains(a.id.as_str())
                            || plan.changes.tagged_accounts.contains(&a.id)
                    })
                    .count() as u64
            }
            None => organization.accounts.len() as u64,
        };
        record.assignment_pairs_read = pairs_listed.map(|n| n as u64).unwrap_or_else(|| {
            permission_sets
                .iter()
                .map(|s| s.provisioned_accounts.len() as u64)
                .sum()
        });
        record.read_in_full.sort_by(|a, b| a.part.cmp(&b.part));
        record.read_in_full.dedup_by(|a, b| a.part == b.part);
        std::mem::take(&mut record)
    });
    scan.end_progress();
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        metadata: Metadata {
            captured_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            source: "live".into(),
            management_account_id,
            instance_arn: instance.arn,
            identity_store_id: instance.identity_store_id,
            region,
            tool_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            api_calls: scan.caller.log.counts(),
            scan_duration_ms: Some(started.elapsed().as_millis() as u64),
            incremental,
        },
        organization,
        permission_sets,
        users: directory.users,
        groups: directory.groups,
        memberships: directory.memberships,
        assignments,
        events: Default::default(),
        gaps: std::mem::take(&mut *scan.gaps.lock().expect("gap lock")),
        policy_documents,
        settings: Some(settings),
        applications: Some(applications),
        account_access: Some(account_access),
        member_accounts,
        guardrails,
    };
    snapshot.normalize();
    Ok(snapshot)
}
