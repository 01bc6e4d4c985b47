//! How the collector calls AWS: a client-side rate limit per service, retries with exponential
//! backoff and full jitter on throttling and transient faults, and a count of every call made.
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
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::SsoAdmin => "sso-admin",
            Service::IdentityStore => "identitystore",
            Service::Organizations => "organizations",
            Service::CloudTrail => "cloudtrail",
            Service::Iam => "iam",
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sso_admin: 20.0,
            identity_store: 20.0,
            organizations: 10.0,
            cloudtrail: 2.0,
            iam: 10.0,
        }
    }
}

/// Paces calls to a steady rate: each call takes the next free slot.
struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(per_second: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            next: Mutex::new(None),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().expect("pacer lock");
            let now = Instant::now();
            let slot = match *next {
                Some(at) if at > now => at,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
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
    pub log: CallLog,
    counters: Arc<Counters>,
    max_attempts: u32,
    base_backoff: Duration,
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
    pub fn new(limits: Limits, max_attempts: u32, counters: Arc<Counters>) -> Caller {
        Caller {
            sso_admin: Pacer::new(limits.sso_admin),
            identity_store: Pacer::new(limits.identity_store),
            organizations: Pacer::new(limits.organizations),
            cloudtrail: Pacer::new(limits.cloudtrail),
            iam: Pacer::new(limits.iam),
            log: CallLog::default(),
            counters,
            max_attempts: max_attempts.max(1),
            base_backoff: Duration::from_millis(100),
        }
    }

    fn pacer(&self, service: Service) -> &Pacer {
        match service {
            Service::SsoAdmin => &self.sso_admin,
            Service::IdentityStore => &self.identity_store,
            Service::Organizations => &self.organizations,
            Service::CloudTrail => &self.cloudtrail,
            Service::Iam => &self.iam,
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
        loop {
            attempt += 1;
            self.pacer(service).wait().await;
            {
                let mut counts = self.log.counts.lock().expect("call log lock");
                *counts.entry(name.clone()).or_insert(0) += 1;
            }
            self.counters.calls.fetch_add(1, Ordering::Relaxed);
            let error = match send().await {
                Ok(output) => return Ok(output),
                Err(error) => error,
            };
            let (retry, failure) = classify(&error);
            if matches!(failure, Failure::Throttled) {
                self.counters.throttles.fetch_add(1, Ordering::Relaxed);
            }
            let message = describe(&error);
            if !retry || attempt >= self.max_attempts {
                return Err(match failure {
                    Failure::Denied => CallError::Denied(message),
                    Failure::NotFound => CallError::NotFound(message),
                    Failure::Credentials => CallError::Credentials(message),
                    Failure::Throttled => CallError::Failed(format!(
                        "still throttled after {attempt} attempts: {message}"
                    )),
                    Failure::Other => CallError::Failed(message),
                });
            }
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// Exponential backoff with full jitter, capped at 10 s.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_backoff.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1) as i32);
        let ceiling = ceiling.min(10.0);
        Duration::from_secs_f64(ceiling * jitter())
    }
}

/// A number in [0.5, 1): enough spread to keep concurrent retries apart.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    0.5 + (hasher.finish() % 1_000) as f64 / 2_000.0
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
            if THROTTLING_CODES.contains(&code) || status == 429 {
                (true, Failure::Throttled)
            } else if code.starts_with("AccessDenied") {
                (false, Failure::Denied)
            } else if code == "ResourceNotFoundException" {
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
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            (true, Failure::Other)
        }
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
