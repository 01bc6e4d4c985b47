//! How the collector calls AWS: a client-side rate per service that adapts to throttling,
//! retries (throttling until the scan's time budget is spent; other transient faults a bounded
//! number of times, with exponential backoff and full jitter), and a count of every call made.
//!
//! SDK retries are disabled (see `collect::scan`): this layer retries, so that every attempt is
//! paced by the rate limit and counted.

use super::progress::Counters;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The services the collector calls, each with its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    SsoAdmin,
    IdentityStore,
    Organizations,
    CloudTrail,
    Iam,
    AccountAccess,
    S3,
    Athena,
    /// STS: assuming the member role in each member account.
    Sts,
    /// IAM of the member accounts, read through the member role.
    MemberIam,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::SsoAdmin => "sso-admin",
            Service::IdentityStore => "identitystore",
            Service::Organizations => "organizations",
            Service::CloudTrail => "cloudtrail",
            Service::Iam => "iam",
            Service::AccountAccess => "account-access",
            Service::S3 => "s3",
            Service::Athena => "athena",
            Service::Sts => "sts",
            Service::MemberIam => "iam",
        }
    }

    /// The IAM action prefix of the service's operations.
    pub fn iam_prefix(self) -> &'static str {
        match self {
            Service::SsoAdmin => "sso",
            Service::IdentityStore => "identitystore",
            Service::Organizations => "organizations",
            Service::CloudTrail => "cloudtrail",
            Service::Iam => "iam",
            Service::AccountAccess => "account-access",
            Service::S3 => "s3",
            Service::Athena => "athena",
            Service::Sts => "sts",
            Service::MemberIam => "iam",
        }
    }
}

/// Requests per second per service; IdC and Identity Store allow 20 per account, Organizations
/// less (its published limits are per operation and lower; 10 keeps clear of them).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub sso_admin: f64,
    pub identity_store: f64,
    pub organizations: f64,
    /// LookupEvents allows 2 requests/s per account and Region.
    pub cloudtrail: f64,
    /// IAM reads (managed policy documents); IAM's limits are per account and generous.
    pub iam: f64,
    /// Account access manager (applications and entitlements); few calls, kept modest.
    pub account_access: f64,
    /// S3 reads of trail log objects: S3 serves thousands of GETs per second per prefix; this
    /// bounds the scanner, not S3.
    pub s3: f64,
    /// Athena query calls: StartQueryExecution's default quota is 20 per second per account,
    /// the polling calls' 100.
    pub athena: f64,
    /// AssumeRole into member accounts (STS allows hundreds per second).
    pub sts: f64,
    /// IAM reads in member accounts: IAM's quota is per account, so the accounts' reads together
    /// may go faster than one account's.
    pub member_iam: f64,
}

impl Limits {
    /// The ceiling of one service.
    pub fn of(&self, service: Service) -> f64 {
        match service {
            Service::SsoAdmin => self.sso_admin,
            Service::IdentityStore => self.identity_store,
            Service::Organizations => self.organizations,
            Service::CloudTrail => self.cloudtrail,
            Service::Iam => self.iam,
            Service::AccountAccess => self.account_access,
            Service::S3 => self.s3,
            Service::Athena => self.athena,
            Service::Sts => self.sts,
            Service::MemberIam => self.member_iam,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sso_admin: 20.0,
            identity_store: 20.0,
            organizations: 10.0,
            cloudtrail: 2.0,
            iam: 10.0,
            account_access: 10.0,
            s3: 200.0,
            athena: 5.0,
            sts: 20.0,
            member_iam: 40.0,
        }
    }
}

/// The lowest rate a pacer backs off to, requests/s.
const FLOOR: f64 = 0.5;
/// The share of the rate kept when a request is throttled.
const BETA: f64 = 0.7;
/// How fast the rate grows back after a cut (CUBIC's C, in requests/s per s³).
const GROWTH: f64 = 0.4;

/// Paces one service's calls, adapting to the throttling it meets as the AWS SDKs' adaptive
/// retry mode does: a throttled request cuts the rate to `BETA` of what it was, and the rate
/// then grows back along a cubic curve (slowly near the rate that was throttled, faster beyond
/// it) up to the service's ceiling. Waiters take turns in arrival order, and each turn's slot is
/// computed from the rate at that moment, so a cut slows every queued call at once.
struct Pacer {
    ceiling: f64,
    turn: tokio::sync::Mutex<()>,
    state: Mutex<PaceState>,
}

#[derive(Default)]
struct PaceState {
    last_sent: Option<Instant>,
    /// The rate that was throttled, and when it was cut.
    cut: Option<(f64, Instant)>,
}

impl PaceState {
    fn rate(&self, ceiling: f64, now: Instant) -> f64 {
        match self.cut {
            None => ceiling,
            Some((throttled, at)) => {
                let k = (throttled * (1.0 - BETA) / GROWTH).cbrt();
                let t = now.saturating_duration_since(at).as_secs_f64();
                (GROWTH * (t - k).powi(3) + throttled).clamp(FLOOR.min(ceiling), ceiling)
            }
        }
    }
}

/// The scan's time budget ran out before a call could be sent.
struct BudgetSpent;

impl Pacer {
    fn new(per_second: f64) -> Pacer {
        Pacer {
            ceiling: per_second.max(0.001),
            turn: tokio::sync::Mutex::new(()),
            state: Mutex::new(PaceState::default()),
        }
    }

    /// Waits for the next slot; returns when it was taken, or `BudgetSpent` when the slot
    /// would fall after the deadline.
    async fn wait(&self, deadline: Option<Instant>) -> Result<Instant, BudgetSpent> {
        let _turn = self.turn.lock().await;
        loop {
            let now = Instant::now();
            let slot = {
                let mut state = self.state.lock().expect("pacer lock");
                let interval = Duration::from_secs_f64(1.0 / state.rate(self.ceiling, now));
                match state.last_sent {
                    Some(last) if last + interval > now => last + interval,
                    _ => {
                        state.last_sent = Some(now);
                        return Ok(now);
                    }
                }
            };
            if deadline.is_some_and(|d| slot > d) {
                return Err(BudgetSpent);
            }
            // Sleep at most a second, then look again: a cut meanwhile moves the slot later.
            tokio::time::sleep_until(slot.min(now + Duration::from_secs(1))).await;
        }
    }

    /// A request sent at `sent` was throttled: cut the rate, unless it was already cut after
    /// that request left (many requests in flight are throttled by one overload).
    fn throttled(&self, sent: Instant) {
        let mut state = self.state.lock().expect("pacer lock");
        if state.cut.is_some_and(|(_, at)| at >= sent) {
            return;
        }
        let now = Instant::now();
        let rate = state.rate(self.ceiling, now);
        state.cut = Some((rate, now));
    }

    /// The rate now, requests/s.
    fn rate(&self) -> f64 {
        self.state
            .lock()
            .expect("pacer lock")
            .rate(self.ceiling, Instant::now())
    }
}

/// Why a call did not succeed, once retries are spent.
#[derive(Debug, Clone)]
pub enum CallError {
    /// Not allowed: the caller lacks a permission (never retried).
    Denied(String),
    /// The resource does not exist (or has nothing attached, for boundaries).
    NotFound(String),
    /// The credentials are missing, invalid or expired (never retried).
    Credentials(String),
    /// Anything else, including throttling that outlasted every retry.
    Failed(String),
}

impl CallError {
    pub fn message(&self) -> &str {
        match self {
            CallError::Denied(m)
            | CallError::NotFound(m)
            | CallError::Credentials(m)
            | CallError::Failed(m) => m,
        }
    }
}

/// Calls made so far, per `service:Operation`, every attempt included.
#[derive(Default)]
pub struct CallLog {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl CallLog {
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("call log lock").clone()
    }
}

pub struct Caller {
    sso_admin: Pacer,
    identity_store: Pacer,
    organizations: Pacer,
    cloudtrail: Pacer,
    iam: Pacer,
    account_access: Pacer,
    s3: Pacer,
    athena: Pacer,
    sts: Pacer,
    member_iam: Pacer,
    pub log: CallLog,
    counters: Arc<Counters>,
    max_attempts: u32,
    base_backoff: Duration,
    /// When the scan must end: calls that cannot be sent before it fail.
    deadline: Option<Instant>,
    budget: Option<Duration>,
}

const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "TooManyRequestsException",
    "Throttling",
    "RequestLimitExceeded",
    "SlowDown",
];

const CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

impl Caller {
    /// `max_attempts` bounds the attempts at a call that meets faults (network errors, 5xx,
    /// timeouts); throttled attempts are retried at the adapted rate until `budget`, counted
    /// from now, is spent.
    pub fn new(
        limits: Limits,
        max_attempts: u32,
        budget: Option<Duration>,
        counters: Arc<Counters>,
    ) -> Caller {
        Caller {
            sso_admin: Pacer::new(limits.sso_admin),
            identity_store: Pacer::new(limits.identity_store),
            organizations: Pacer::new(limits.organizations),
            cloudtrail: Pacer::new(limits.cloudtrail),
            iam: Pacer::new(limits.iam),
            account_access: Pacer::new(limits.account_access),
            s3: Pacer::new(limits.s3),
            athena: Pacer::new(limits.athena),
            sts: Pacer::new(limits.sts),
            member_iam: Pacer::new(limits.member_iam),
            log: CallLog::default(),
            counters,
            max_attempts: max_attempts.max(1),
            base_backoff: Duration::from_millis(100),
            deadline: budget.map(|b| Instant::now() + b),
            budget,
        }
    }

    /// The time left of the scan's budget.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    pub fn budget_message(&self) -> String {
        format!(
            "the scan's time budget ({}) was spent",
            self.budget.map(format_duration).unwrap_or_default()
        )
    }

    /// The current rate of each service, requests/s.
    pub fn rates(&self) -> Vec<(Service, f64)> {
        [
            Service::SsoAdmin,
            Service::IdentityStore,
            Service::Organizations,
            Service::CloudTrail,
            Service::Iam,
            Service::AccountAccess,
            Service::S3,
            Service::Athena,
            Service::Sts,
            Service::MemberIam,
        ]
        .into_iter()
        .map(|s| (s, self.pacer(s).rate()))
        .collect()
    }

    fn pacer(&self, service: Service) -> &Pacer {
        match service {
            Service::SsoAdmin => &self.sso_admin,
            Service::IdentityStore => &self.identity_store,
            Service::Organizations => &self.organizations,
            Service::CloudTrail => &self.cloudtrail,
            Service::Iam => &self.iam,
            Service::AccountAccess => &self.account_access,
            Service::S3 => &self.s3,
            Service::Athena => &self.athena,
            Service::Sts => &self.sts,
            Service::MemberIam => &self.member_iam,
        }
    }

    /// Calls `operation` (an SDK request, re-sent on retry) under the service's rate limit.
    pub async fn call<T, E, F, Fut>(
        &self,
        service: Service,
        operation: &str,
        send: F,
    ) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let name = format!("{}:{operation}", service.name());
        let mut attempt = 0;
        let mut faults = 0;
        let mut last_error: Option<String> = None;
        loop {
            attempt += 1;
            let Ok(sent) = self.pacer(service).wait(self.deadline).await else {
                let budget = self.budget_message();
                return Err(CallError::Failed(match &last_error {
                    None => format!("not called: {budget}"),
                    Some(error) => format!(
                        "still failing after {} attempts ({error}): {budget}",
                        attempt - 1
                    ),
                }));
            };
            {
                let mut counts = self.log.counts.lock().expect("call log lock");
                *counts.entry(name.clone()).or_insert(0) += 1;
            }
            self.counters.calls.fetch_add(1, Ordering::Relaxed);
            if attempt > 1 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            let error = match send().await {
                Ok(output) => return Ok(output),
                Err(error) => error,
            };
            let (retry, failure) = classify(&error);
            let message = describe(&error);
            if matches!(failure, Failure::Throttled) {
                self.counters.throttles.fetch_add(1, Ordering::Relaxed);
                // Throttling is retried at the adapted rate for as long as the budget allows.
                self.pacer(service).throttled(sent);
                last_error = Some(message);
                continue;
            }
            faults += 1;
            if !retry || faults >= self.max_attempts {
                return Err(match failure {
                    Failure::Denied => CallError::Denied(message),
                    Failure::NotFound => CallError::NotFound(message),
                    Failure::Credentials => CallError::Credentials(message),
                    // (Throttling never ends here: it is retried above.)
                    Failure::Throttled | Failure::Other if attempt > 1 => {
                        CallError::Failed(format!("failed after {attempt} attempts: {message}"))
                    }
                    Failure::Throttled | Failure::Other => CallError::Failed(message),
                });
            }
            let pause = self.backoff(faults);
            if self.deadline.is_some_and(|d| Instant::now() + pause > d) {
                return Err(CallError::Failed(format!(
                    "failed after {attempt} attempts: {message}; {}",
                    self.budget_message()
                )));
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Exponential backoff with full jitter, capped at 10 s.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_backoff.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1) as i32);
        let ceiling = ceiling.min(10.0);
        Duration::from_secs_f64(ceiling * jitter())
    }
}

/// `90s`, `45m`, `1h30m`.
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    if h > 0 {
        text += &format!("{h}h");
    }
    if m > 0 {
        text += &format!("{m}m");
    }
    if s > 0 || text.is_empty() {
        text += &format!("{s}s");
    }
    text
}

/// Parses `90`, `90s`, `45m`, `1h`, `1h30m` (whole seconds, minutes, hours).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "invalid duration {text:?}: use seconds, or a number with s, m or h (90s, 45m, 1h30m)"
        )
    };
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(invalid()),
        };
        let n: u64 = number.parse().map_err(|_| invalid())?;
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(invalid)?)
            .ok_or_else(invalid)?;
        number.clear();
    }
    if !number.is_empty() {
        total = total
            .checked_add(number.parse::<u64>().map_err(|_| invalid())?)
            .ok_or_else(invalid)?;
    } else if total == 0 && text.trim().is_empty() {
        return Err(invalid());
    }
    if total == 0 {
        return Err(format!("invalid duration {text:?}: must be more than zero"));
    }
    Ok(Duration::from_secs(total))
}

/// A number in [0.5, 1): enough spread to keep concurrent retries apart.
fn jitter() -> f64 {
    0.5 + fastrand::f64() / 2.0
}

enum Failure {
    Throttled,
    Denied,
    NotFound,
    Credentials,
    Other,
}

fn classify<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    error: &SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> (bool, Failure) {
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("");
            let status = service.raw().status().as_u16();
            if code.is_empty() && (200..300).contains(&status) {
                // A success status whose body could not be parsed: cut short or garbled on
                // the way, worth another attempt.
                (true, Failure::Other)
            } else if THROTTLING_CODES.contains(&code) || status == 429 {
                (true, Failure::Throttled)
            } else if code.starts_with("AccessDenied") {
                (false, Failure::Denied)
            } else if code == "ResourceNotFoundException" || code == "NoSuchEntity" {
                (false, Failure::NotFound)
            } else if CREDENTIAL_CODES.contains(&code) {
                (false, Failure::Credentials)
            } else if status >= 500
                || code == "InternalServerException"
                || code == "ServiceException"
            {
                (true, Failure::Other)
            } else {
                (false, Failure::Other)
            }
        }
        SdkError::DispatchFailure(_) => {
            // Credentials that cannot be loaded fail at dispatch too: never worth a retry.
            let text = aws_smithy_types::error::display::DisplayErrorContext(error).to_string();
            if text.to_ascii_lowercase().contains("credential") {
                (false, Failure::Credentials)
            } else {
                (true, Failure::Other)
            }
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => (true, Failure::Other),
        // Requests that could not even be built: missing or unloadable credentials among them.
        _ => {
            let text = aws_smithy_types::error::display::DisplayErrorContext(error).to_string();
            if text.to_ascii_lowercase().contains("credential") {
                (false, Failure::Credentials)
            } else {
                (false, Failure::Other)
            }
        }
    }
}

fn describe<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    error: &SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> String {
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ if service.raw().status().is_success() => format!(
                    "malformed response (HTTP {}): {}",
                    service.raw().status().as_u16(),
                    aws_smithy_types::error::display::DisplayErrorContext(service.err())
                )
                .chars()
                .take(300)
                .collect(),
                // An answer that is not an AWS error document (a proxy's HTML page, say).
                _ => format!(
                    "HTTP {} without an AWS error code",
                    service.raw().status().as_u16()
                ),
            }
        }
        other => {
            let text = aws_smithy_types::error::display::DisplayErrorContext(other).to_string();
            text.chars().take(300).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_keeps_seventy_percent_and_grows_back_slowly_then_faster() {
        let at = Instant::now();
        let state = PaceState {
            last_sent: None,
            cut: Some((10.0, at)),
        };
        let rate = |seconds: f64| state.rate(20.0, at + Duration::from_secs_f64(seconds));
        assert!((rate(0.0) - 7.0).abs() < 1e-9);
        // Back at the throttled rate after K = cbrt(10 * 0.3 / 0.4) s, then beyond it.
        let k = (10.0f64 * 0.3 / 0.4).cbrt();
        assert!((rate(k) - 10.0).abs() < 1e-9);
        assert!(rate(k / 2.0) > 9.0, "flat near the rate that was throttled");
        assert!(rate(k + 2.0) > 12.0);
        assert_eq!(rate(60.0), 20.0, "never above the ceiling");
        let uncut = PaceState::default();
        assert_eq!(uncut.rate(20.0, at), 20.0);
        let low = PaceState {
            last_sent: None,
            cut: Some((0.1, at)),
        };
        assert_eq!(low.rate(20.0, at), FLOOR, "never below the floor");
    }

    #[tokio::test]
    async fn throttles_of_requests_in_flight_cut_once() {
        let pacer = Pacer::new(1000.0);
        let mut sent = Vec::new();
        for _ in 0..5 {
            sent.push(pacer.wait(None).await.ok().unwrap());
        }
        let cut = |pacer: &Pacer| pacer.state.lock().unwrap().cut.map(|(rate, _)| rate);
        for at in &sent {
            pacer.throttled(*at);
        }
        assert_eq!(cut(&pacer), Some(1000.0), "one cut, from the full rate");
        // A request sent after the cut and throttled cuts again, from the lower rate.
        let later = pacer.wait(None).await.ok().unwrap();
        pacer.throttled(later);
        assert!(cut(&pacer).unwrap() < 1000.0);
    }

    #[tokio::test]
    async fn slots_are_spaced_by_the_rate_and_end_at_the_deadline() {
        let pacer = Pacer::new(4.0);
        let start = Instant::now();
        let deadline = start + Duration::from_millis(900);
        let mut slots = Vec::new();
        while let Ok(at) = pacer.wait(Some(deadline)).await {
            slots.push(at);
        }
        // 250 ms apart at least, so at most four fit before the deadline; however slow the
        // machine, the first is granted.
        assert!((1..=4).contains(&slots.len()), "{slots:?}");
        for pair in slots.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(250));
        }
        assert!(slots.iter().all(|&at| at <= deadline));
    }

    #[test]
    fn durations_read_and_written() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("45m"), Ok(Duration::from_secs(2700)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(15)), "15s");
    }
}
