//! `check: events`: sign-in and access evidence of one kind (`params.kind`), and what the
//! evidence checks share: resolving the users and accounts that events name.

use super::{Check, CheckError, CheckFinding};
use crate::findings::{AccountRef, PrincipalRef, Resource};
use crate::model::Model;
use crate::snapshot::User;
use crate::subjects::{self, EventRow, SubjectKind};
use crate::vocabulary::{EventCheckKind, ResourceKind, UserKey};
use std::sync::Arc;

/// Kinds that were evidence checks once and are CEL rules now.
const NOW_CEL: &[(&str, &str)] = &[
    (
        "unused-assignment",
        "assignment.last_used (see rules/unused-assignment.yaml)",
    ),
    (
        "dormant-user-with-access",
        "user.last_sign_in (see rules/dormant-user-with-access.yaml)",
    ),
];

pub(super) fn parse(
    subject: SubjectKind,
    kind: Option<&str>,
    text: &str,
    at_check: impl Fn(String) -> CheckError,
) -> Result<Arc<dyn Check>, CheckError> {
    if let Some((_, field)) = NOW_CEL.iter().find(|(k, _)| Some(*k) == kind) {
        return Err(at_check(format!(
            "`{}` is a CEL condition now: use the field {field}",
            kind.unwrap_or_default()
        )));
    }
    let Some(kind) = kind.and_then(EventCheckKind::parse) else {
        return Err(at_check(format!(
            "check `events` needs `params.kind`, one of {}",
            EventCheckKind::names()
        )));
    };
    let expected = match kind {
        EventCheckKind::RootCredentialUse => SubjectKind::Account,
        _ => SubjectKind::User,
    };
    if subject != expected {
        return Err(at_check(format!(
            "check `events` of kind `{kind}` applies to subject `{}`, not `{}`",
            expected.name(),
            subject.name()
        )));
    }
    match kind {
        EventCheckKind::SignInWithoutMfa => super::sign_in_without_mfa::parse(text),
        EventCheckKind::MfaUnverifiableExternalIdp => super::mfa_unverifiable::parse(text),
        EventCheckKind::RootCredentialUse => super::root_credential_use::parse(text),
        EventCheckKind::SignInFailuresBurst => super::failures_burst::parse(text),
    }
}

/// Parameters of a check whose only parameter is its kind.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KindOnly {
    #[allow(dead_code)]
    pub kind: EventCheckKind,
}

/// The Identity Store user an event names, if the snapshot has them.
pub(super) fn user_of<'s>(model: &Model<'s>, key: Option<&UserKey>) -> Option<&'s User> {
    key.and_then(|k| model.user_by_key(k))
        .map(|u| &model.snapshot.users[u])
}

/// The key evidence about one principal is summed up under: the Identity Store user's id when
/// the snapshot holds the user the events name (by id or by name), else what the events say.
pub(super) fn principal_key(model: &Model, key: UserKey) -> UserKey {
    match user_of(model, Some(&key)) {
        Some(user) => UserKey::Id(user.id.clone()),
        None => key,
    }
}

/// The resource and principal of a finding about a user of the Identity Store, or about a user
/// the events name but the snapshot does not hold (deleted since).
pub(super) fn user_refs(user: Option<&User>, key: &UserKey) -> (Resource, Option<PrincipalRef>) {
    match user {
        Some(user) => (
            Resource {
                kind: ResourceKind::User,
                id: user.id.clone(),
                name: user.user_name.clone(),
            },
            Some(PrincipalRef {
                principal_type: "USER".into(),
                id: user.id.clone(),
                name: user.user_name.clone(),
            }),
        ),
        None => (
            Resource {
                kind: ResourceKind::User,
                id: key.to_string(),
                name: key.label().to_string(),
            },
            None,
        ),
    }
}

pub(super) fn account_ref(model: &Model, account_id: &str) -> AccountRef {
    AccountRef {
        id: account_id.to_string(),
        name: account_name(model, account_id),
    }
}

pub(super) fn account_name(model: &Model, account_id: &str) -> String {
    model
        .account_index
        .get(account_id)
        .map(|&i| model.snapshot.organization.accounts[i].name.clone())
        .unwrap_or_else(|| account_id.to_string())
}

/// A finding of an evidence check, with its message value.
pub(super) fn finding(
    resource: Resource,
    account: Option<AccountRef>,
    principal: Option<PrincipalRef>,
    row: &EventRow,
) -> CheckFinding {
    CheckFinding {
        resource,
        account,
        principal,
        permission_set: None,
        location: None,
        value: subjects::value_of(subjects::EVENT_FIELDS, row),
    }
}

/// Counts, first and last time of a group of events.
#[derive(Debug, Default, Clone)]
pub(super) struct Tally {
    pub count: i64,
    pub first: String,
    pub last: String,
    pub sessions: std::collections::BTreeSet<String>,
}

impl Tally {
    pub fn add(&mut self, time: &str, session: Option<&str>) {
        self.merge(time, time, 1);
        if let Some(session) = session {
            self.sessions.insert(session.to_string());
        }
    }

    /// Adds `count` events seen between `first` and `last`.
    pub fn merge(&mut self, first: &str, last: &str, count: i64) {
        self.count += count;
        if self.first.is_empty() || first < self.first.as_str() {
            self.first = first.to_string();
        }
        if last > self.last.as_str() {
            self.last = last.to_string();
        }
    }
}
