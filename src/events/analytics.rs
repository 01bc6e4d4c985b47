//! Sign-in and role-use analytics with polars (lazy API): per user the last sign-in, the last
//! one without MFA and the last one through an external IdP; per (user, account, permission
//! set) the last use. Batches are aggregated as they arrive and merged into running totals, so
//! memory follows the number of users and assignments, not the length of the history. Polars
//! stays behind this module: callers see plain types.

use crate::snapshot::{RoleUse, RoleUseSummary, SignIn, UserSignInSummary};
use crate::vocabulary::UserKey;
use polars::prelude::*;

/// Seconds since the epoch of an RFC 3339 time.
pub fn epoch(time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.timestamp())
}

/// An epoch second as RFC 3339, UTC.
pub fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[derive(Default)]
pub struct Analytics {
    users: Option<DataFrame>,
    role_uses: Option<DataFrame>,
}

fn error(e: PolarsError) -> String {
    format!("event analytics: {e}")
}

/// How a column of a running total combines: the latest time, the earliest, or a count.
#[derive(Clone, Copy)]
enum Combine {
    Max,
    Min,
    Sum,
}

fn merge(
    total: Option<DataFrame>,
    batch: LazyFrame,
    keys: &[&str],
    values: &[(&str, Combine)],
) -> Result<DataFrame, String> {
    let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let aggregates: Vec<Expr> = values
        .iter()
        .map(|(v, combine)| {
            match combine {
                Combine::Max => col(*v).max(),
                Combine::Min => col(*v).min(),
                Combine::Sum => col(*v).sum(),
            }
            .alias(*v)
        })
        .collect();
    let partial = batch.group_by(by.clone()).agg(aggregates.clone());
    let combined = match total {
        None => partial,
        Some(total) => concat([total.lazy(), partial], UnionArgs::default())
            .map_err(error)?
            .group_by(by)
            .agg(aggregates),
    };
    combined.collect().map_err(error)
}

impl Analytics {
    /// Adds successful Identity Center sign-ins.
    pub fn add_sign_ins(&mut self, sign_ins: &[SignIn]) -> Result<(), String> {
        let mut users = Vec::new();
        let mut times = Vec::new();
        let mut without_mfa = Vec::new();
        let mut external = Vec::new();
        for sign_in in sign_ins
            .iter()
            .filter(|s| s.success && s.kind == "identity-center")
        {
            let (Some(user), Some(time)) = (
                UserKey::of(sign_in.user_id.as_deref(), sign_in.user_name.as_deref())
                    .map(|k| k.to_string()),
                epoch(&sign_in.time),
            ) else {
                continue;
            };
            users.push(user);
            times.push(time);
            without_mfa.push((sign_in.mfa == "no").then_some(time));
            external.push((sign_in.mfa == "unverifiable").then_some(time));
        }
        if users.is_empty() {
            return Ok(());
        }
        let without_count: Vec<i64> = without_mfa.iter().map(|t| i64::from(t.is_some())).collect();
        let batch = df!(
            "user" => users,
            "last_sign_in" => times,
            "first_without_mfa" => without_mfa.clone(),
            "last_without_mfa" => without_mfa,
            "without_mfa_count" => without_count,
            "last_external_idp" => external,
        )
        .map_err(error)?;
        self.users = Some(merge(
            self.users.take(),
            batch.lazy(),
            &["user"],
            &[
                ("last_sign_in", Combine::Max),
                ("first_without_mfa", Combine::Min),
                ("last_without_mfa", Combine::Max),
                ("without_mfa_count", Combine::Sum),
                ("last_external_idp", Combine::Max),
            ],
        )?);
        Ok(())
    }

    pub fn add_role_uses(&mut self, uses: &[RoleUse]) -> Result<(), String> {
        let mut users = Vec::new();
        let mut accounts = Vec::new();
        let mut sets = Vec::new();
        let mut times = Vec::new();
        for role_use in uses {
            let (Some(user), Some(time)) = (role_use.user_id.clone(), epoch(&role_use.time)) else {
                continue;
            };
            users.push(user);
            accounts.push(role_use.account_id.clone());
            sets.push(role_use.permission_set_name.clone());
            times.push(time);
        }
        if users.is_empty() {
            return Ok(());
        }
        let batch = df!(
            "user" => users,
            "account_id" => accounts,
            "permission_set_name" => sets,
            "last_used" => times,
        )
        .map_err(error)?;
        self.role_uses = Some(merge(
            self.role_uses.take(),
            batch.lazy(),
            &["user", "account_id", "permission_set_name"],
            &[("last_used", Combine::Max)],
        )?);
        Ok(())
    }

    pub fn finish(self) -> Result<(Vec<UserSignInSummary>, Vec<RoleUseSummary>), String> {
        let mut users = Vec::new();
        if let Some(frame) = self.users {
            let key = frame
                .column("user")
                .map_err(error)?
                .str()
                .map_err(error)?
                .clone();
            let column = |name: &str| -> Result<Int64Chunked, String> {
                Ok(frame
                    .column(name)
                    .map_err(error)?
                    .i64()
                    .map_err(error)?
                    .clone())
            };
            let (last, first_without, without, without_count, external) = (
                column("last_sign_in")?,
                column("first_without_mfa")?,
                column("last_without_mfa")?,
                column("without_mfa_count")?,
                column("last_external_idp")?,
            );
            for i in 0..frame.height() {
                let Some(user) = key.get(i) else { continue };
                let (user_id, user_name) = match UserKey::parse(user) {
                    UserKey::Name(name) => (None, Some(name)),
                    UserKey::Id(id) => (Some(id), None),
                };
                users.push(UserSignInSummary {
                    user_id,
                    user_name,
                    last_sign_in: last.get(i).map(rfc3339),
                    last_sign_in_without_mfa: without.get(i).map(rfc3339),
                    first_sign_in_without_mfa: first_without.get(i).map(rfc3339),
                    sign_ins_without_mfa: without_count.get(i).unwrap_or(0).max(0) as u64,
                    last_external_idp_sign_in: external.get(i).map(rfc3339),
                });
            }
        }
        let mut role_uses = Vec::new();
        if let Some(frame) = self.role_uses {
            let text = |name: &str| -> Result<StringChunked, String> {
                Ok(frame
                    .column(name)
                    .map_err(error)?
                    .str()
                    .map_err(error)?
                    .clone())
            };
            let (user, account, set) = (
                text("user")?,
                text("account_id")?,
                text("permission_set_name")?,
            );
            let last = frame
                .column("last_used")
                .map_err(error)?
                .i64()
                .map_err(error)?
                .clone();
            for i in 0..frame.height() {
                if let (Some(user), Some(account), Some(set), Some(last)) =
                    (user.get(i), account.get(i), set.get(i), last.get(i))
                {
                    role_uses.push(RoleUseSummary {
                        user: UserKey::parse(user),
                        account_id: account.to_string(),
                        permission_set_name: set.to_string(),
                        last_used: rfc3339(last),
                    });
                }
            }
        }
        users.sort();
        role_uses.sort();
        Ok((users, role_uses))
    }
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
