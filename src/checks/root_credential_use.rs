//! `check: events`, kind `root-credential-use`: real root credentials used, not a session issued
//! by `sts:AssumeRoot`. One finding per account and kind of use (console sign-in, long-term
//! access key, session not issued by `sts:AssumeRoot`), with counts, first and last time and
//! the keys or sign-ins involved, so that its fingerprint stays stable as evidence accumulates.

use super::events::{self, KindOnly, Tally};
use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::findings::Resource;
use crate::subjects::{self, EventRow, Field};
use crate::vocabulary::{DataArea, ResourceKind};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug)]
struct RootCredentialUse;

pub(super) fn parse(text: &str) -> Result<Arc<dyn Check>, CheckError> {
    let _: KindOnly = super::params(text)?;
    Ok(Arc::new(RootCredentialUse))
}

/// The kinds of root use, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Use {
    ConsoleSignIn,
    AccessKey,
    Session,
}

impl Use {
    fn slug(self) -> &'static str {
        match self {
            Use::ConsoleSignIn => "console-sign-in",
            Use::AccessKey => "access-key",
            Use::Session => "session",
        }
    }

    fn detail(self, sessions: &[String]) -> String {
        match self {
            Use::ConsoleSignIn => "root user signed in to the console".into(),
            Use::AccessKey => format!(
                "actions as root with the long-term root access key {}",
                sessions.join(", ")
            ),
            Use::Session => format!(
                "actions as root in sessions no sts:AssumeRoot issued (keys {})",
                sessions.join(", ")
            ),
        }
    }
}

/// Long-term access keys start with AKIA; temporary (session) keys with ASIA.
fn kind_of_key(key: Option<&str>) -> Use {
    match key {
        Some(key) if key.starts_with("AKIA") => Use::AccessKey,
        _ => Use::Session,
    }
}

impl Check for RootCredentialUse {
    fn describe(&self) -> String {
        "events (root-credential-use); reads the root activity evidence of the snapshot".into()
    }

    fn reads(&self) -> &'static [DataArea] {
        &[DataArea::Events, DataArea::Organization]
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("event", subjects::EVENT_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let model = input.model;
        let snapshot = model.snapshot;
        let mut uses: BTreeMap<(&str, Use), Tally> = BTreeMap::new();
        for login in snapshot
            .events
            .console_logins
            .iter()
            .filter(|l| l.identity_type == "Root" && l.success)
        {
            uses.entry((login.account_id.as_str(), Use::ConsoleSignIn))
                .or_default()
                .add(&login.time, Some(&login.event_id));
        }
        for action in snapshot
            .events
            .root_activity
            .iter()
            .filter(|a| !a.via_assume_root)
        {
            let key = action.access_key_id.as_deref();
            uses.entry((action.account_id.as_str(), kind_of_key(key)))
                .or_default()
                .add(&action.time, Some(key.unwrap_or("(no access key)")));
        }
        uses.into_iter()
            .map(|((account_id, kind), tally)| {
                let account = events::account_ref(model, account_id);
                let sessions: Vec<String> = tally.sessions.into_iter().collect();
                let resource = Resource {
                    kind: ResourceKind::RootUser,
                    id: format!("{account_id}/root/{}", kind.slug()),
                    name: format!("root of {}", account.name),
                };
                let row = EventRow {
                    kind: "root-credential-use",
                    user_name: "root".into(),
                    account_id: account_id.to_string(),
                    account_name: account.name.clone(),
                    time: tally.last,
                    first_time: tally.first,
                    count: tally.count,
                    detail: kind.detail(&sessions),
                    sessions,
                    ..Default::default()
                };
                events::finding(resource, Some(account), None, &row)
            })
            .collect()
    }
}
