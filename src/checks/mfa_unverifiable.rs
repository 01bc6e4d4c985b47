//! `check: events`, kind `mfa-unverifiable-external-idp`: sign-ins through an external IdP,
//! whose MFA CloudTrail cannot show. One finding per user.

use super::events::{self, KindOnly, Tally};
use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::subjects::{self, EventRow, Field};
use crate::vocabulary::{DataArea, UserKey};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug)]
struct MfaUnverifiable;

pub(super) fn parse(text: &str) -> Result<Arc<dyn Check>, CheckError> {
    let _: KindOnly = super::params(text)?;
    Ok(Arc::new(MfaUnverifiable))
}

impl Check for MfaUnverifiable {
    fn describe(&self) -> String {
        "events (mfa-unverifiable-external-idp); reads the sign-in evidence of the snapshot".into()
    }

    fn reads(&self) -> &'static [DataArea] {
        &[DataArea::Events, DataArea::Users]
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("event", subjects::EVENT_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let model = input.model;
        let mut users: BTreeMap<UserKey, Tally> = BTreeMap::new();
        for summary in &model.snapshot.events.users {
            let (Some(last), Some(key)) = (
                summary.last_external_idp_sign_in.as_deref(),
                UserKey::of(summary.user_id.as_deref(), summary.user_name.as_deref()),
            ) else {
                continue;
            };
            let key = events::principal_key(model, key);
            users.entry(key).or_default().add(last, None);
        }
        users
            .into_iter()
            .map(|(key, tally)| {
                let user = events::user_of(model, Some(&key));
                let (resource, principal) = events::user_refs(user, &key);
                let row = EventRow {
                    kind: "mfa-unverifiable-external-idp",
                    user_name: resource.name.clone(),
                    user_id: user.map(|u| u.id.clone()).unwrap_or_default(),
                    time: tally.last,
                    detail: "signed in through the external identity provider, which checks MFA itself: verify the MFA policy there (Okta, Entra ID, Google Workspace, JumpCloud sign-in logs)".into(),
                    count: tally.count,
                    ..Default::default()
                };
                events::finding(resource, None, principal, &row)
            })
            .collect()
    }
}
