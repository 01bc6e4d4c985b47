//! `check: required-names`: every name in `params.names` exists among the subjects (groups,
//! permission sets, accounts or users).

use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::findings::Resource;
use crate::subjects::{self, Field, SubjectKind};
use crate::vocabulary::DataArea;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    names: Spanned<Vec<String>>,
}

#[derive(Debug)]
struct RequiredNames {
    names: Vec<String>,
}

pub(super) fn parse(
    subject: SubjectKind,
    text: &str,
    at_check: impl Fn(String) -> CheckError,
) -> Result<Arc<dyn Check>, CheckError> {
    if matches!(subject, SubjectKind::Assignment | SubjectKind::Access) {
        return Err(at_check(format!(
            "check `required-names` applies to account, group, user or permission_set, not `{}`",
            subject.name()
        )));
    }
    let params: Params = super::params(text)?;
    if params.names.value.is_empty() {
        return Err(super::invalid(
            &params.names,
            "`names` lists no name: the check could never fail".into(),
        ));
    }
    Ok(Arc::new(RequiredNames {
        names: params.names.value,
    }))
}

impl Check for RequiredNames {
    fn describe(&self) -> String {
        format!("required-names: {}", self.names.join(", "))
    }

    fn reads(&self) -> &'static [DataArea] {
        &[]
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("missing", subjects::MISSING_FIELDS)
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let snapshot = input.model.snapshot;
        let existing: BTreeSet<&str> = match input.subject {
            SubjectKind::Group => snapshot
                .groups
                .iter()
                .map(|g| g.display_name.as_str())
                .collect(),
            SubjectKind::PermissionSet => snapshot
                .permission_sets
                .iter()
                .map(|p| p.name.as_str())
                .collect(),
            SubjectKind::Account => snapshot
                .organization
                .accounts
                .iter()
                .map(|a| a.name.as_str())
                .collect(),
            SubjectKind::User => snapshot
                .users
                .iter()
                .map(|u| u.user_name.as_str())
                .collect(),
            SubjectKind::Assignment | SubjectKind::Access => BTreeSet::new(),
        };
        self.names
            .iter()
            .filter(|name| !existing.contains(name.as_str()))
            .map(|name| CheckFinding {
                resource: Resource {
                    kind: input.subject.resource_kind(),
                    id: name.clone(),
                    name: name.clone(),
                },
                account: None,
                principal: None,
                permission_set: None,
                location: None,
                value: subjects::value_of(subjects::MISSING_FIELDS, name.as_str()),
            })
            .collect()
    }
}
