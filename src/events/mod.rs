//! Sign-in and access evidence from CloudTrail: normalization of records, the sources they are
//! read from, and the analytics that turn them into the snapshot's `events`.

pub mod analytics;
pub mod inflate;
pub mod normalize;
pub mod slim;
pub mod trail_logs;

use crate::snapshot::{Events, RoleUse, RoleUseSummary, RootActivity, SignIn, UserSignInSummary};
use analytics::Analytics;
use normalize::{AssumeRoot, Normalized, SignInAssembler};

/// Sign-ins and role uses are aggregated in batches of this many rows.
const BATCH: usize = 50_000;
/// Open sign-in workflows beyond which those gone quiet are closed.
const STALE_CHECK: usize = 20_000;

/// Turns normalized events, in any order and in batches, into the snapshot's `events`.
#[derive(Default)]
pub struct Ingest {
    analytics: Analytics,
    assembler: SignInAssembler,
    sign_ins: Vec<SignIn>,
    role_uses: Vec<RoleUse>,
    failures: Vec<SignIn>,
    console_logins: Vec<SignIn>,
    root_activity: Vec<RootActivity>,
    assume_root: Vec<AssumeRoot>,
    earliest: Option<String>,
    latest: Option<String>,
    /// Summaries computed elsewhere (CloudTrail Lake), merged at the end.
    users: Vec<UserSignInSummary>,
    role_use_summaries: Vec<RoleUseSummary>,
    /// Root activity of an earlier snapshot, linked to its sessions then.
    previous_root_activity: Vec<RootActivity>,
}

impl Ingest {
    fn seen(&mut self, time: &str) {
        if self.earliest.as_deref().is_none_or(|t| time < t) {
            self.earliest = Some(time.to_string());
        }
        if self.latest.as_deref().is_none_or(|t| time > t) {
            self.latest = Some(time.to_string());
        }
    }

    pub fn add(&mut self, events: Vec<Normalized>) -> Result<(), String> {
        for event in events {
            match event {
                Normalized::SignInStep(step) => {
                    self.seen(&step.time);
                    self.assembler.add(step);
                }
                Normalized::ConsoleLogin(sign_in) => {
                    self.seen(&sign_in.time);
                    self.console_logins.push(sign_in);
                }
                Normalized::RoleUse(role_use) => {
                    self.seen(&role_use.time);
                    self.role_uses.push(role_use);
                }
                Normalized::AssumeRoot(session) => {
                    self.seen(&session.time);
                    self.assume_root.push(session);
                }
                Normalized::RootAction(action) => {
                    self.seen(&action.time);
                    self.root_activity.push(action);
                }
            }
        }
        let complete = self.assembler.drain_complete();
        self.take_sign_ins(complete);
        // Log files are read roughly in time order; a workflow quiet for an hour is over.
        if self.assembler.pending() > STALE_CHECK
            && let Some(latest) = &self.latest
            && let Some(cutoff) = chrono::DateTime::parse_from_rfc3339(latest).ok().map(|t| {
                (t - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
        {
            let stale = self.assembler.drain_stale(&cutoff);
            self.take_sign_ins(stale);
        }
        self.flush(false)
    }

    fn take_sign_ins(&mut self, sign_ins: Vec<SignIn>) {
        for sign_in in sign_ins {
            if sign_in.success {
                self.sign_ins.push(sign_in);
            } else {
                self.failures.push(sign_in);
            }
        }
    }

    fn flush(&mut self, all: bool) -> Result<(), String> {
        if all || self.sign_ins.len() >= BATCH {
            self.analytics.add_sign_ins(&self.sign_ins)?;
            self.sign_ins.clear();
        }
        if all || self.role_uses.len() >= BATCH {
            self.analytics.add_role_uses(&self.role_uses)?;
            self.role_uses.clear();
        }
        Ok(())
    }

    /// Adds summaries aggregated elsewhere (a CloudTrail Lake query).
    pub fn add_summaries(&mut self, users: Vec<UserSignInSummary>, role_uses: Vec<RoleUseSummary>) {
        self.users.extend(users);
        self.role_use_summaries.extend(role_uses);
    }

    /// Keeps the events of an earlier snapshot (`snapshot --base`), so that adding a source
    /// loses nothing that was read before.
    pub fn keep(&mut self, previous: Events) {
        self.covering(
            previous.covered_from.as_deref(),
            previous.covered_to.as_deref(),
        );
        self.add_summaries(previous.users, previous.role_uses);
        self.failures.extend(previous.failures);
        self.console_logins.extend(previous.console_logins);
        // Already linked to their AssumeRoot sessions, which are not kept.
        self.previous_root_activity.extend(previous.root_activity);
    }

    /// Widens the covered period (to the times of log files that held no relevant event).
    pub fn covering(&mut self, earliest: Option<&str>, latest: Option<&str>) {
        for time in [earliest, latest].into_iter().flatten() {
            self.seen(time);
        }
    }

    /// The `events` part of a snapshot, from everything added, and what could not be counted
    /// (records without a user or with an unreadable time), one line per reason.
    pub fn finish(
        mut self,
        sources: Vec<crate::vocabulary::EventSource>,
    ) -> Result<(Events, Vec<String>), String> {
        let rest = std::mem::take(&mut self.assembler).finish();
        self.take_sign_ins(rest);
        self.flush(true)?;
        let unreadable = self.analytics.unreadable();
        normalize::link_root_sessions(&mut self.root_activity, &self.assume_root);
        self.root_activity.append(&mut self.previous_root_activity);
        let (mut users, mut role_uses) = self.analytics.finish()?;
        // The analytics give one row per key; only summaries from elsewhere need merging.
        if !self.users.is_empty() {
            users.append(&mut self.users);
            users = merge_users(users);
        }
        if !self.role_use_summaries.is_empty() {
            role_uses.append(&mut self.role_use_summaries);
            role_uses = merge_role_uses(role_uses);
        }
        let mut events = Events {
            sources,
            covered_from: self.earliest,
            covered_to: self.latest,
            users,
            role_uses,
            failures: self.failures,
            console_logins: self.console_logins,
            root_activity: self.root_activity,
        };
        events.failures.sort();
        events.failures.dedup_by(|a, b| a.event_id == b.event_id);
        events.console_logins.sort();
        events
            .console_logins
            .dedup_by(|a, b| a.event_id == b.event_id);
        events.root_activity.sort();
        events
            .root_activity
            .dedup_by(|a, b| a.event_id == b.event_id);
        Ok((events, unreadable))
    }
}

/// One summary per user: the latest of each time.
fn merge_users(users: Vec<UserSignInSummary>) -> Vec<UserSignInSummary> {
    let mut merged: std::collections::BTreeMap<
        (Option<String>, Option<String>),
        UserSignInSummary,
    > = Default::default();
    for user in users {
        let entry = merged
            .entry((user.user_id.clone(), user.user_name.clone()))
            .or_insert_with(|| UserSignInSummary {
                user_id: user.user_id.clone(),
                user_name: user.user_name.clone(),
                ..Default::default()
            });
        entry.last_sign_in = entry.last_sign_in.take().max(user.last_sign_in);
        entry.last_sign_in_without_mfa = entry
            .last_sign_in_without_mfa
            .take()
            .max(user.last_sign_in_without_mfa);
        entry.first_sign_in_without_mfa = match (
            entry.first_sign_in_without_mfa.take(),
            user.first_sign_in_without_mfa,
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Sources overlap (a snapshot's earlier events and a new read of the same trail): the
        // largest count is the one that is certain.
        entry.sign_ins_without_mfa = entry.sign_ins_without_mfa.max(user.sign_ins_without_mfa);
        entry.last_external_idp_sign_in = entry
            .last_external_idp_sign_in
            .take()
            .max(user.last_external_idp_sign_in);
    }
    merged.into_values().collect()
}

/// One summary per (user, account, permission set): the latest use.
fn merge_role_uses(uses: Vec<RoleUseSummary>) -> Vec<RoleUseSummary> {
    let mut merged: std::collections::BTreeMap<
        (crate::vocabulary::UserKey, String, String),
        String,
    > = Default::default();
    for role_use in uses {
        let entry = merged
            .entry((
                role_use.user,
                role_use.account_id,
                role_use.permission_set_name,
            ))
            .or_default();
        if role_use.last_used > *entry {
            *entry = role_use.last_used;
        }
    }
    merged
        .into_iter()
        .map(
            |((user, account_id, permission_set_name), last_used)| RoleUseSummary {
                user,
                account_id,
                permission_set_name,
                last_used,
            },
        )
        .collect()
}

/// What one event source read, so that a source that read nothing, or nothing for part of the
/// period asked for, is told apart from a quiet organization.
#[derive(Debug, Clone)]
pub struct SourceRead {
    pub source: crate::vocabulary::EventSource,
    /// The folder, event data store or Regions read.
    pub location: String,
    /// Files found (trail logs only).
    pub files: Option<u64>,
    /// Records (or result rows) read.
    pub records: u64,
    /// The period the records cover (RFC 3339).
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// The period asked for, when one was (RFC 3339).
    pub requested: Option<(String, String)>,
}

/// How far the records may start after, or end before, the requested period before the
/// difference counts as a hole: CloudTrail delivers log files every few minutes, and a day
/// without a single record of an organization's management events is not quiet but missing.
pub const COVERAGE_SLACK_HOURS: i64 = 24;

/// The gaps of one source: nothing found, nothing read, or part of the period not covered.
pub fn source_gaps(read: &SourceRead) -> Vec<crate::snapshot::Gap> {
    let gap = |error: String| crate::snapshot::Gap {
        area: crate::vocabulary::DataArea::Events,
        operation: format!("{}:read", read.source),
        resource: read.location.clone(),
        error,
    };
    let period = |from: &str, to: &str| format!("{from}..{to}");
    let requested = read
        .requested
        .as_ref()
        .map(|(from, to)| period(from, to))
        .unwrap_or_else(|| "the period read".into());
    if read.files == Some(0) {
        return vec![gap(match read.source {
            // A bucket is read where CloudTrail delivers, for the period's days only.
            crate::vocabulary::EventSource::TrailS3 => format!(
                "no trail log files under {} for {requested} (looked for AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ of the organization's accounts)",
                read.location
            ),
            _ => format!(
                "no trail log files (.json, .json.gz, .jsonl, .ndjson) under {}",
                read.location
            ),
        })];
    }
    if read.records == 0 {
        return vec![gap(match read.files {
            Some(files) => format!("{files} files, 0 records for {requested}"),
            None => format!("0 records for {requested}"),
        })];
    }
    let mut gaps = Vec::new();
    if let (Some((from, to)), Some(earliest), Some(latest)) =
        (&read.requested, &read.earliest, &read.latest)
    {
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        let slack = chrono::Duration::hours(COVERAGE_SLACK_HOURS);
        if let (Some(f), Some(e)) = (parse(from), parse(earliest))
            && e - f > slack
        {
            gaps.push(gap(format!(
                "{} records, none for {}",
                read.records,
                period(from, earliest)
            )));
        }
        if let (Some(t), Some(l)) = (parse(to), parse(latest))
            && t - l > slack
        {
            gaps.push(gap(format!(
                "{} records, none for {}",
                read.records,
                period(latest, to)
            )));
        }
    }
    gaps
}

#[cfg(test)]
mod source_tests {
    use super::*;
    use crate::vocabulary::EventSource;

    fn read(files: Option<u64>, records: u64) -> SourceRead {
        SourceRead {
            source: EventSource::TrailLogs,
            location: "logs/".into(),
            files,
            records,
            earliest: Some("2026-08-10T00:00:00Z".into()),
            latest: Some("2026-08-20T00:00:00Z".into()),
            requested: None,
        }
    }

    #[test]
    fn a_source_that_read_nothing_is_a_gap() {
        let none = source_gaps(&read(Some(0), 0));
        assert_eq!(none.len(), 1);
        assert!(none[0].error.contains("no trail log files"), "{none:?}");
        let empty = source_gaps(&read(Some(3), 0));
        assert_eq!(empty[0].error, "3 files, 0 records for the period read");
        assert!(source_gaps(&read(Some(3), 10)).is_empty());
    }

    #[test]
    fn part_of_the_requested_period_without_records_is_a_gap() {
        let mut partial = read(Some(3), 10);
        partial.requested = Some(("2026-08-01T00:00:00Z".into(), "2026-08-30T00:00:00Z".into()));
        let gaps = source_gaps(&partial);
        let errors: Vec<&str> = gaps.iter().map(|g| g.error.as_str()).collect();
        assert_eq!(
            errors,
            [
                "10 records, none for 2026-08-01T00:00:00Z..2026-08-10T00:00:00Z",
                "10 records, none for 2026-08-20T00:00:00Z..2026-08-30T00:00:00Z"
            ]
        );
        partial.requested = Some(("2026-08-10T06:00:00Z".into(), "2026-08-20T12:00:00Z".into()));
        assert!(source_gaps(&partial).is_empty());
    }
}
