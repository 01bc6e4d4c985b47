//! `check: events`, kind `sign-in-without-mfa`: successful sign-ins with a single factor. One
//! finding per principal: each Identity Center user, and each root or IAM user of an account
//! whose console login said `MFAUsed: No`, with how often, first and last time.

use super::events::{self, KindOnly, Tally};
use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::findings::Resource;
use crate::subjects::{self, EventRow, Field};
use crate::vocabulary::{DataArea, ResourceKind, UserKey};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug)]
struct SignInWithoutMfa;

pub(super) fn parse(text: &str) -> Result<Arc<dyn Check>, CheckError> {
    let _: KindOnly = super::params(text)?;
    Ok(Arc::new(SignInWithoutMfa))
}

impl Check for SignInWithoutMfa {
    fn describe(&self) -> String {
        "events (sign-in-without-mfa); reads the sign-in evidence of the snapshot".into()
    }

    fn reads(&self) -> &'static [DataArea] {
        &[DataArea::Events, DataArea::Users]
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("event", subjects::EVENT_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let model = input.model;
        let snapshot = model.snapshot;
        let mut findings = Vec::new();
        // Identity Center users: summaries by id and by name are one principal when both name
        // the same user.
        let mut users: BTreeMap<UserKey, Tally> = BTreeMap::new();
        for summary in &snapshot.events.users {
            let Some(last) = summary.last_sign_in_without_mfa.as_deref() else {
                continue;
            };
            let Some(key) = UserKey::of(summary.user_id.as_deref(), summary.user_name.as_deref())
            else {
                continue;
            };
            let key = events::principal_key(model, key);
            // Snapshots from before counts were kept know of one sign-in at least.
            users.entry(key).or_default().merge(
                summary.first_sign_in_without_mfa.as_deref().unwrap_or(last),
                last,
                summary.sign_ins_without_mfa.max(1) as i64,
            );
        }
        for (key, tally) in users {
            let user = events::user_of(model, Some(&key));
            let (resource, principal) = events::user_refs(user, &key);
            let row = EventRow {
                kind: "sign-in-without-mfa",
                user_name: resource.name.clone(),
                user_id: user.map(|u| u.id.clone()).unwrap_or_default(),
                time: tally.last,
                first_time: tally.first,
                count: tally.count,
                detail: "signed in to IAM Identity Center with a single factor".into(),
                ..Default::default()
            };
            findings.push(events::finding(resource, None, principal, &row));
        }
        // Root and IAM users: one finding per account and user.
        let mut logins: BTreeMap<(&str, &str, String), Tally> = BTreeMap::new();
        for login in snapshot
            .events
            .console_logins
            .iter()
            .filter(|l| l.success && l.mfa == "no")
        {
            let who = login
                .user_name
                .clone()
                .unwrap_or_else(|| login.identity_type.clone());
            logins
                .entry((login.account_id.as_str(), login.identity_type.as_str(), who))
                .or_default()
                .add(&login.time, Some(&login.event_id));
        }
        for ((account_id, identity_type, who), tally) in logins {
            let account = events::account_ref(model, account_id);
            let resource = Resource {
                kind: if identity_type == "Root" {
                    ResourceKind::RootUser
                } else {
                    ResourceKind::IamUser
                },
                id: format!("{account_id}/{who}"),
                name: format!("{who} in {}", account.name),
            };
            let row = EventRow {
                kind: "sign-in-without-mfa",
                user_name: who,
                account_id: account_id.to_string(),
                account_name: account.name.clone(),
                time: tally.last,
                first_time: tally.first,
                count: tally.count,
                sessions: tally.sessions.into_iter().collect(),
                detail: format!("{identity_type} console sign-in with MFAUsed: No"),
                ..Default::default()
            };
            findings.push(events::finding(resource, Some(account), None, &row));
        }
        findings
    }
}
