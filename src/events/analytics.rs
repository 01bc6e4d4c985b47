//! Sign-in and role-use analytics: per user the last sign-in, the first and last one without
//! MFA, how many were without it, and the last one through an external IdP; per (user,
//! account, permission set) the last use. Running totals in hash maps, updated as events
//! arrive: memory follows the number of users and assignments, not the length of the history,
//! and each event costs one lookup. (Aggregating batches in polars data frames and merging
//! them into the totals cost a third of the ingestion of a sign-in-dense trail, most of it in
//! re-grouping the totals; the maps do the same in a few percent.)

use crate::snapshot::{RoleUse, RoleUseSummary, SignIn, UserSignInSummary};
use crate::vocabulary::UserKey;
use rustc_hash::FxHashMap;

/// Seconds since the epoch of an RFC 3339 time.
pub fn epoch(time: &str) -> Option<i64> {
    fast_epoch(time).or_else(|| {
        chrono::DateTime::parse_from_rfc3339(time)
            .ok()
            .map(|t| t.timestamp())
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the form CloudTrail writes, read without the general parser.
fn fast_epoch(time: &str) -> Option<i64> {
    let b = time.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    // A leap second, or anything out of range: the general parser decides.
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(
        date.and_hms_opt(hour, minute, second)?
            .and_utc()
            .timestamp(),
    )
}

/// An epoch second as RFC 3339, UTC.
pub fn rfc3339(seconds: i64) -> String {
    use chrono::{Datelike, Timelike};
    let Some(time) = chrono::DateTime::from_timestamp(seconds, 0) else {
        return String::new();
    };
    let Ok(year @ 0..=9999) = u32::try_from(time.year()) else {
        return time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    };
    let two = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let ([y1, y2], [y3, y4]) = (two(year / 100), two(year % 100));
    let ([mo1, mo2], [d1, d2]) = (two(time.month()), two(time.day()));
    let ([h1, h2], [mi1, mi2], [s1, s2]) =
        (two(time.hour()), two(time.minute()), two(time.second()));
    let text = [
        y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1, s2,
        b'Z',
    ];
    String::from_utf8(text.to_vec()).expect("ASCII digits")
}

/// One user's running totals (epoch seconds).
#[derive(Default, Clone, Copy)]
struct UserTotals {
    last_sign_in: Option<i64>,
    first_without_mfa: Option<i64>,
    last_without_mfa: Option<i64>,
    without_mfa_count: u64,
    last_external_idp: Option<i64>,
}

fn later(current: Option<i64>, time: i64) -> Option<i64> {
    Some(current.map_or(time, |c| c.max(time)))
}

fn earlier(current: Option<i64>, time: i64) -> Option<i64> {
    Some(current.map_or(time, |c| c.min(time)))
}

/// Strings numbered in the order first seen, so that a row of several of them is a few
/// integers: hashed and compared without touching the text.
#[derive(Default)]
struct Interner {
    ids: FxHashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(text.to_string(), id);
        id
    }

    /// The strings by id.
    fn into_texts(self) -> Vec<String> {
        let mut texts = vec![String::new(); self.ids.len()];
        for (text, id) in self.ids {
            texts[id as usize] = text;
        }
        texts
    }
}

/// The rank of each id when its values are sorted: ids compared by rank compare as the values.
fn ranks<T: Ord>(values: &[T]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
    let mut rank = vec![0; values.len()];
    for (position, &id) in order.iter().enumerate() {
        rank[id as usize] = position as u32;
    }
    rank
}

/// Role use by interned (user id, account, permission set): the last use.
#[derive(Default)]
struct RoleUseTotals {
    users: Interner,
    accounts: Interner,
    sets: Interner,
    last: FxHashMap<(u32, u32, u32), i64>,
}

#[derive(Default)]
pub struct Analytics {
    /// By user key (`UserKey` as text).
    users: FxHashMap<String, UserTotals>,
    role_uses: RoleUseTotals,
    /// The key being looked up, reused.
    key: String,
    /// Records that could not be counted, by reason: how many, and the first one's event id.
    unreadable: std::collections::BTreeMap<&'static str, (u64, String)>,
}

/// Why a record could not be counted.
const SIGN_IN_WITHOUT_USER: &str = "successful sign-in(s) without a user id or name";
const SIGN_IN_BAD_TIME: &str = "successful sign-in(s) with an unreadable time";
const ROLE_USE_WITHOUT_USER: &str = "role use(s) without a user id";
const ROLE_USE_BAD_TIME: &str = "role use(s) with an unreadable time";

impl Analytics {
    /// Adds successful Identity Center sign-ins.
    pub fn add_sign_ins(&mut self, sign_ins: &[SignIn]) -> Result<(), String> {
        for sign_in in sign_ins
            .iter()
            .filter(|s| s.success && s.kind == "identity-center")
        {
            let (user, time) = (
                UserKey::of(sign_in.user_id.as_deref(), sign_in.user_name.as_deref()),
                epoch(&sign_in.time),
            );
            let (Some(user), Some(time)) = (user.as_ref(), time) else {
                let reason = if user.is_none() {
                    SIGN_IN_WITHOUT_USER
                } else {
                    SIGN_IN_BAD_TIME
                };
                self.skip(reason, &sign_in.event_id);
                continue;
            };
            self.key.clear();
            use std::fmt::Write as _;
            let _ = write!(self.key, "{user}");
            let totals = match self.users.get_mut(self.key.as_str()) {
                Some(totals) => totals,
                None => self.users.entry(self.key.clone()).or_default(),
            };
            totals.last_sign_in = later(totals.last_sign_in, time);
            if sign_in.mfa == "no" {
                totals.first_without_mfa = earlier(totals.first_without_mfa, time);
                totals.last_without_mfa = later(totals.last_without_mfa, time);
                totals.without_mfa_count += 1;
            }
            if sign_in.mfa == "unverifiable" {
                totals.last_external_idp = later(totals.last_external_idp, time);
            }
        }
        Ok(())
    }

    pub fn add_role_uses(&mut self, uses: &[RoleUse]) -> Result<(), String> {
        for role_use in uses {
            let (Some(user), Some(time)) = (role_use.user_id.as_deref(), epoch(&role_use.time))
            else {
                let reason = if role_use.user_id.is_none() {
                    ROLE_USE_WITHOUT_USER
                } else {
                    ROLE_USE_BAD_TIME
                };
                self.skip(reason, &role_use.event_id);
                continue;
            };
            let totals = &mut self.role_uses;
            let key = (
                totals.users.id(user),
                totals.accounts.id(&role_use.account_id),
                totals.sets.id(&role_use.permission_set_name),
            );
            totals
                .last
                .entry(key)
                .and_modify(|last| *last = (*last).max(time))
                .or_insert(time);
        }
        Ok(())
    }

    fn skip(&mut self, reason: &'static str, event_id: &str) {
        // The smallest event id, not the first seen: batches come from several threads, and
        // the gap must read the same on every run.
        let entry = self
            .unreadable
            .entry(reason)
            .or_insert_with(|| (0, event_id.to_string()));
        entry.0 += 1;
        if event_id < entry.1.as_str() {
            entry.1 = event_id.to_string();
        }
    }

    /// What could not be counted, one line per reason: the evidence it would have been.
    pub fn unreadable(&self) -> Vec<String> {
        self.unreadable
            .iter()
            .map(|(reason, (count, first))| format!("{count} {reason} (for example event {first})"))
            .collect()
    }

    pub fn finish(self) -> Result<(Vec<UserSignInSummary>, Vec<RoleUseSummary>), String> {
        // Two independent conversions: one on another core.
        let Analytics {
            users, role_uses, ..
        } = self;
        let (users, role_uses) = std::thread::scope(|scope| {
            let users = scope.spawn(|| user_summaries(users));
            let role_uses = role_use_summaries(role_uses);
            (users.join().expect("user summaries"), role_uses)
        });
        Ok((users, role_uses))
    }
}

fn user_summaries(users: FxHashMap<String, UserTotals>) -> Vec<UserSignInSummary> {
    let mut users: Vec<UserSignInSummary> = users
        .into_iter()
        .map(|(user, totals)| {
            let (user_id, user_name) = match UserKey::parse(&user) {
                UserKey::Name(name) => (None, Some(name)),
                UserKey::Id(id) => (Some(id), None),
            };
            UserSignInSummary {
                user_id,
                user_name,
                last_sign_in: totals.last_sign_in.map(rfc3339),
                last_sign_in_without_mfa: totals.last_without_mfa.map(rfc3339),
                first_sign_in_without_mfa: totals.first_without_mfa.map(rfc3339),
                sign_ins_without_mfa: totals.without_mfa_count,
                last_external_idp_sign_in: totals.last_external_idp.map(rfc3339),
            }
        })
        .collect();
    users.sort_unstable();
    users
}

/// One row per (user, account, permission set), in the order of `RoleUseSummary`: the rows
/// are sorted by the ranks of their parts, integers, and each distinct string is compared only
/// when the parts themselves are ranked.
fn role_use_summaries(totals: RoleUseTotals) -> Vec<RoleUseSummary> {
    let RoleUseTotals {
        users,
        accounts,
        sets,
        last,
    } = totals;
    let users: Vec<UserKey> = users
        .into_texts()
        .iter()
        .map(|user| UserKey::parse(user))
        .collect();
    let (accounts, sets) = (accounts.into_texts(), sets.into_texts());
    let (user_rank, account_rank, set_rank) = (ranks(&users), ranks(&accounts), ranks(&sets));
    let mut rows: Vec<([u32; 3], [u32; 3], i64)> = last
        .into_iter()
        .map(|((user, account, set), time)| {
            (
                [
                    user_rank[user as usize],
                    account_rank[account as usize],
                    set_rank[set as usize],
                ],
                [user, account, set],
                time,
            )
        })
        .collect();
    // Distinct parts have distinct ranks, so the keys are distinct and the order total.
    rows.sort_unstable_by_key(|row| row.0);
    rows.into_iter()
        .map(|(_, [user, account, set], time)| RoleUseSummary {
            user: users[user as usize].clone(),
            account_id: accounts[account as usize].clone(),
            permission_set_name: sets[set as usize].clone(),
            last_used: rfc3339(time),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in(user: &str, time: &str, mfa: &str, success: bool) -> SignIn {
        SignIn {
            time: time.into(),
            event_id: format!("{user}-{time}"),
            kind: "identity-center".into(),
            user_id: Some(user.into()),
            user_name: None,
            identity_type: "IdentityCenterUser".into(),
            account_id: "1".into(),
            credential_types: vec![],
            mfa: mfa.into(),
            success,
        }
    }

    #[test]
    fn fast_time_paths_agree_with_chrono() {
        for text in [
            "2026-01-15T09:00:07Z",
            "1999-12-31T23:59:59Z",
            "2024-02-29T00:00:00Z",
            "0001-01-01T00:00:00Z",
        ] {
            let expected = chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp();
            assert_eq!(epoch(text), Some(expected), "{text}");
            assert_eq!(rfc3339(expected), text);
        }
        // Other forms go through the general parser.
        assert_eq!(
            epoch("2026-01-15T10:00:07+01:00"),
            epoch("2026-01-15T09:00:07Z")
        );
        assert_eq!(
            epoch("2026-01-15T09:00:07.250Z"),
            epoch("2026-01-15T09:00:07Z")
        );
        assert_eq!(epoch("2026-02-30T00:00:00Z"), None);
        assert_eq!(epoch("2026-01-15T24:00:00Z"), None);
        assert_eq!(epoch("not a time"), None);
    }

    /// Rows ordered by the ranks of their parts are in the order of the summaries' own sort,
    /// legacy user names (`name:`) and ids mixed.
    #[test]
    fn role_uses_sorted_by_ranks_are_sorted_as_summaries() {
        let users = ["u2", "name:zed", "u10", "name:alice", "u1", "name:", "nam"];
        let accounts = ["222", "111", "1110", "3"];
        let sets = ["ReadOnly", "Admin", "admin", "AdminX"];
        let mut analytics = Analytics::default();
        let mut uses = Vec::new();
        for (i, user) in users.iter().enumerate() {
            for (j, account) in accounts.iter().enumerate() {
                for (k, set) in sets.iter().enumerate() {
                    if (i + j + k) % 3 == 0 {
                        continue;
                    }
                    uses.push(RoleUse {
                        time: format!("2026-01-{:02}T10:00:00Z", 1 + (i * 7 + j * 3 + k) % 28),
                        event_id: format!("{i}{j}{k}"),
                        user_id: Some(user.to_string()),
                        account_id: account.to_string(),
                        permission_set_name: set.to_string(),
                    });
                }
            }
        }
        // Each combination used twice, the later use read first.
        let mut earlier = uses.clone();
        for role_use in &mut earlier {
            role_use.time = role_use.time.replace("2026-", "2025-");
        }
        analytics.add_role_uses(&uses).unwrap();
        analytics.add_role_uses(&earlier).unwrap();
        let (_, summaries) = analytics.finish().unwrap();
        let mut expected: Vec<RoleUseSummary> = uses
            .iter()
            .map(|u| RoleUseSummary {
                user: UserKey::parse(u.user_id.as_deref().unwrap()),
                account_id: u.account_id.clone(),
                permission_set_name: u.permission_set_name.clone(),
                last_used: u.time.clone(),
            })
            .collect();
        expected.sort();
        assert_eq!(summaries.len(), uses.len());
        assert_eq!(summaries, expected);
    }

    #[test]
    fn records_that_cannot_be_counted_are_said_not_skipped() {
        let mut analytics = Analytics::default();
        let mut anonymous = sign_in("u1", "2026-01-01T00:00:00Z", "no", true);
        anonymous.user_id = None;
        analytics
            .add_sign_ins(&[
                anonymous.clone(),
                anonymous,
                sign_in("u2", "yesterday", "no", true),
                sign_in("u3", "2026-01-02T00:00:00Z", "no", true),
            ])
            .unwrap();
        analytics
            .add_role_uses(&[RoleUse {
                time: "2026-01-05T10:00:00Z".into(),
                event_id: "r".into(),
                user_id: None,
                account_id: "1".into(),
                permission_set_name: "ReadOnlyAccess".into(),
            }])
            .unwrap();
        assert_eq!(
            analytics.unreadable(),
            [
                "1 role use(s) without a user id (for example event r)",
                "1 successful sign-in(s) with an unreadable time (for example event u2-yesterday)",
                "2 successful sign-in(s) without a user id or name (for example event u1-2026-01-01T00:00:00Z)",
            ]
        );
        let (users, _) = analytics.finish().unwrap();
        assert_eq!(users.len(), 1, "only u3 was counted");
    }

    #[test]
    fn batches_merge_into_per_user_summaries() {
        let mut analytics = Analytics::default();
        analytics
            .add_sign_ins(&[
                sign_in("u1", "2026-01-01T00:00:00Z", "no", true),
                sign_in("u1", "2026-01-03T00:00:00Z", "yes", true),
                sign_in("u2", "2026-01-02T00:00:00Z", "unverifiable", true),
            ])
            .unwrap();
        analytics
            .add_sign_ins(&[
                sign_in("u1", "2026-01-02T00:00:00Z", "no", true),
                sign_in("u1", "2026-01-09T00:00:00Z", "no", false),
            ])
            .unwrap();
        analytics
            .add_role_uses(&[RoleUse {
                time: "2026-01-05T10:00:00Z".into(),
                event_id: "r".into(),
                user_id: Some("u1".into()),
                account_id: "1".into(),
                permission_set_name: "ReadOnlyAccess".into(),
            }])
            .unwrap();
        let (users, roles) = analytics.finish().unwrap();
        assert_eq!(users.len(), 2);
        let u1 = &users[0];
        assert_eq!(u1.user_id.as_deref(), Some("u1"));
        assert_eq!(
            u1.last_sign_in.as_deref(),
            Some("2026-01-03T00:00:00Z"),
            "the failed attempt does not count"
        );
        assert_eq!(
            u1.last_sign_in_without_mfa.as_deref(),
            Some("2026-01-02T00:00:00Z")
        );
        assert_eq!(u1.last_external_idp_sign_in, None);
        assert_eq!(
            users[1].last_external_idp_sign_in.as_deref(),
            Some("2026-01-02T00:00:00Z")
        );
        assert_eq!(roles.len(), 1);
        assert_eq!(roles[0].last_used, "2026-01-05T10:00:00Z");
    }
}
