//! `check: events`, kind `sign-in-failures-burst`: more than `max_failures` failed sign-ins of
//! one user within `window` (an ISO 8601 duration). One finding per user, for their largest
//! burst.

use super::events::{self, Tally};
use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::events::analytics::{epoch, rfc3339};
use crate::subjects::{self, EventRow, Field};
use crate::vocabulary::{DataArea, EventCheckKind, UserKey};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[allow(dead_code)]
    kind: EventCheckKind,
    #[serde(default)]
    max_failures: Option<Spanned<i64>>,
    #[serde(default)]
    window: Option<Spanned<String>>,
}

#[derive(Debug)]
struct FailuresBurst {
    max_failures: i64,
    window_seconds: i64,
}

pub(super) fn parse(text: &str) -> Result<Arc<dyn Check>, CheckError> {
    let params: Params = super::params(text)?;
    let max_failures = match &params.max_failures {
        None => 5,
        Some(max) if max.value >= 1 => max.value,
        Some(max) => {
            return Err(super::invalid(
                max,
                format!("`max_failures` must be 1 or more, not {}", max.value),
            ));
        }
    };
    let window_seconds = match &params.window {
        None => 900,
        Some(window) => match crate::policy::iso_duration_seconds(&window.value) {
            Some(seconds) if seconds > 0 => seconds,
            _ => {
                return Err(super::invalid(
                    window,
                    format!(
                        "`window` must be a positive ISO 8601 duration such as PT15M, not `{}`",
                        window.value
                    ),
                ));
            }
        },
    };
    Ok(Arc::new(FailuresBurst {
        max_failures,
        window_seconds,
    }))
}

impl Check for FailuresBurst {
    fn describe(&self) -> String {
        format!(
            "events (sign-in-failures-burst): more than {} failures within {} s",
            self.max_failures, self.window_seconds
        )
    }

    fn reads(&self) -> &'static [DataArea] {
        &[DataArea::Events, DataArea::Users]
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("event", subjects::EVENT_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let model = input.model;
        let mut by_user: BTreeMap<UserKey, Vec<(i64, &str)>> = BTreeMap::new();
        for failure in &model.snapshot.events.failures {
            let key = UserKey::of(failure.user_id.as_deref(), failure.user_name.as_deref())
                .unwrap_or_else(|| UserKey::Name("(unknown user)".into()));
            let key = events::principal_key(model, key);
            if let Some(t) = epoch(&failure.time) {
                by_user.entry(key).or_default().push((t, &failure.event_id));
            }
        }
        let mut findings = Vec::new();
        for (key, mut times) in by_user {
            times.sort_unstable();
            // The largest number of failures within one window.
            let (mut best, mut best_start, mut start) = (0usize, 0usize, 0usize);
            for end in 0..times.len() {
                while times[end].0 - times[start].0 > self.window_seconds {
                    start += 1;
                }
                if end + 1 - start > best {
                    best = end + 1 - start;
                    best_start = start;
                }
            }
            if (best as i64) <= self.max_failures {
                continue;
            }
            let mut tally = Tally::default();
            for (t, event_id) in &times[best_start..best_start + best] {
                tally.add(&rfc3339(*t), Some(event_id));
            }
            let user = events::user_of(model, Some(&key));
            let (resource, principal) = events::user_refs(user, &key);
            let row = EventRow {
                kind: "sign-in-failures-burst",
                user_name: resource.name.clone(),
                user_id: user.map(|u| u.id.clone()).unwrap_or_default(),
                // The burst's start, as reported before: when it began.
                time: tally.first.clone(),
                first_time: tally.first,
                count: best as i64,
                sessions: tally.sessions.into_iter().collect(),
                detail: format!(
                    "{best} failed sign-ins within {} s (more than {})",
                    self.window_seconds, self.max_failures
                ),
                ..Default::default()
            };
            findings.push(events::finding(resource, None, principal, &row));
        }
        findings
    }
}
