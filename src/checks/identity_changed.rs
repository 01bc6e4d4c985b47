//! `check: identity-changed`: users whose IdP identity changed since the previous snapshot
//! (`--previous`). SCIM links an Identity Center user to one identity of the IdP through its
//! external id: when that id is replaced, or moves to another Identity Center user, someone
//! else's IdP account now signs in as that user and inherits its groups and assignments.

use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::findings::{PrincipalRef, Resource};
use crate::snapshot::{ExternalId, PrincipalType};
use crate::subjects::{self, Field, IdentityRow, SubjectKind};
use crate::vocabulary::{DataArea, ResourceKind};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug)]
struct IdentityChanged;

pub(super) fn parse(
    subject: SubjectKind,
    at_check: impl Fn(String) -> CheckError,
) -> Result<Arc<dyn Check>, CheckError> {
    if subject != SubjectKind::User {
        return Err(at_check(format!(
            "check `identity-changed` applies to subject `user`, not `{}`",
            subject.name()
        )));
    }
    Ok(Arc::new(IdentityChanged))
}

fn show(ids: &[ExternalId]) -> String {
    if ids.is_empty() {
        return "none".into();
    }
    ids.iter()
        .map(|e| format!("{} {}", e.issuer, e.id))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Check for IdentityChanged {
    fn describe(&self) -> String {
        "identity-changed; compares each user's external ids with the snapshot given with --previous, and is skipped without one".into()
    }

    fn reads(&self) -> &'static [DataArea] {
        &[DataArea::Users, DataArea::ExternalIds]
    }

    fn needs_previous(&self) -> bool {
        true
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("change", subjects::IDENTITY_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let Some(previous) = input.previous else {
            return Vec::new();
        };
        let before: HashMap<&str, (&str, &[ExternalId])> = previous
            .users
            .iter()
            .filter_map(|u| {
                Some((
                    u.id.as_str(),
                    (u.user_name.as_str(), u.external_ids.as_deref()?),
                ))
            })
            .collect();
        let mut holder: HashMap<&ExternalId, (&str, &str)> = HashMap::new();
        for user in &previous.users {
            for id in user.external_ids.iter().flatten() {
                holder.insert(id, (user.id.as_str(), user.user_name.as_str()));
            }
        }
        let mut findings = Vec::new();
        for user in &input.model.snapshot.users {
            let Some(ids) = user.external_ids.as_deref() else {
                continue;
            };
            let mut details = Vec::new();
            if let Some((_, old)) = before.get(user.id.as_str())
                && !old.is_empty()
                && *old != ids
            {
                details.push(format!(
                    "its external id changed from {} to {}: another identity of the IdP now signs in as this user",
                    show(old),
                    show(ids)
                ));
            }
            for id in ids {
                if let Some((other, name)) = holder.get(id)
                    && *other != user.id
                {
                    details.push(format!(
                        "its external id {} {} belonged to {name} ({other}) in the previous snapshot: that IdP identity now signs in as another user",
                        id.issuer, id.id
                    ));
                }
            }
            if details.is_empty() {
                continue;
            }
            let row = IdentityRow {
                name: user.user_name.clone(),
                id: user.id.clone(),
                external_ids: show(ids),
                detail: details.join("; "),
            };
            findings.push(CheckFinding {
                resource: Resource {
                    kind: ResourceKind::User,
                    id: user.id.clone(),
                    name: user.user_name.clone(),
                },
                account: None,
                principal: Some(PrincipalRef {
                    principal_type: PrincipalType::User.as_str().to_string(),
                    id: user.id.clone(),
                    name: user.user_name.clone(),
                }),
                permission_set: None,
                location: None,
                value: subjects::value_of(subjects::IDENTITY_FIELDS, &row),
            });
        }
        findings
    }
}
