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
    let started = Instant::now();
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
        organizations::collect(scan.clone(), organizations_client.clone(), described),
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
    let (assignments, (account_access, policy_documents), member_accounts) = tokio::join!(
        sso_admin::assignments(
            scan.clone(),
            sso.clone(),
            instance.arn.clone(),
            &sets,
            &directory
        ),
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
