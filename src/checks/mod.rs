//! Built-in checks: rule logic in Rust, for what a CEL condition over one subject cannot say
//! (names that must exist, differences from a stack file, evidence summed over many events).
//!
//! Each check is a module of its own behind one small interface: what it reads, whether it
//! concludes from absence, what its messages can show, and how it runs. Its parameters are a
//! typed struct that rejects unknown fields, parsed and validated when the rule file loads,
//! with errors at the file's line and column.

mod drift;
mod events;
mod failures_burst;
mod identity_changed;
mod member;
mod mfa_unverifiable;
mod required_names;
mod root_credential_use;
mod sign_in_without_mfa;

use crate::desired::DesiredState;
use crate::drift::DriftItem;
use crate::findings::{AccountRef, PermissionSetRef, PrincipalRef, Resource, SourceLocation};
use crate::model::Model;
use crate::subjects::{Field, SubjectKind};
use crate::vocabulary::DataArea;
use cel::Value;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;

/// What a check sees.
pub struct CheckInput<'a, 's> {
    pub model: &'a Model<'s>,
    /// The stack file and its drift items, for checks that need them.
    pub desired: Option<(&'a DesiredState, &'a [DriftItem])>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub subject: SubjectKind,
    /// The snapshot given with `--previous`, for checks that compare with it.
    pub previous: Option<&'a crate::snapshot::Snapshot>,
}

/// One finding of a check, before its message is rendered.
pub struct CheckFinding {
    pub resource: Resource,
    pub account: Option<AccountRef>,
    pub principal: Option<PrincipalRef>,
    pub permission_set: Option<PermissionSetRef>,
    /// Where the finding points, when not at the rule (a stack file line).
    pub location: Option<SourceLocation>,
    /// The value of the message root (`check.message_root()`).
    pub value: Value,
}

pub trait Check: Send + Sync + fmt::Debug {
    /// How `rules explain` describes it.
    fn describe(&self) -> String;
    /// The data areas it reads besides its subject's.
    fn reads(&self) -> &'static [DataArea];
    /// It concludes from the absence of evidence: on any gap in what it reads it reports the
    /// gap alone.
    fn concludes_from_absence(&self) -> bool {
        false
    }
    /// It compares with the stack file given with `--desired`, and is skipped without one.
    fn needs_desired(&self) -> bool {
        false
    }
    /// It compares with the previous run's snapshot given with `--previous`, and is skipped
    /// without one.
    fn needs_previous(&self) -> bool {
        false
    }
    /// The root variable its message template can use.
    fn message_root(&self) -> (&'static str, &'static [Field]);
    /// What it could not compare in the stack file (values only atmos resolves).
    fn desired_gaps(&self, _desired: &DesiredState) -> Vec<crate::snapshot::Gap> {
        Vec::new()
    }
    fn run(&self, input: &CheckInput) -> Vec<CheckFinding>;
}

/// An error in a check's declaration, at a line and column of the rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// The check named in a rule file, with its typed parameters. `check` is the value of
/// `check:` at `line`/`column`; `text` the whole rule file.
pub fn parse(
    check: &str,
    line: u64,
    column: u64,
    subject: SubjectKind,
    kind: Option<&str>,
    text: &str,
) -> Result<Arc<dyn Check>, CheckError> {
    let at_check = |message: String| CheckError {
        line,
        column,
        message,
    };
    match check {
        "required-names" => required_names::parse(subject, text, at_check),
        "drift" => drift::parse(kind, text, at_check),
        "events" => events::parse(subject, kind, text, at_check),
        "member-accounts" => member::parse(subject, text, at_check),
        "identity-changed" => identity_changed::parse(subject, at_check),
        other => Err(at_check(format!(
            "unknown check `{other}`; expected required-names, drift, events, member-accounts or identity-changed"
        ))),
    }
}

/// Deserializes a rule file's `params` into a check's typed parameters; other keys of the file
/// are checked elsewhere.
fn params<P: DeserializeOwned>(text: &str) -> Result<P, CheckError> {
    #[derive(serde::Deserialize)]
    struct RuleParams<P> {
        params: P,
    }
    serde_saphyr::from_str::<RuleParams<P>>(text)
        .map(|r| r.params)
        .map_err(|e| {
            let (line, column) = crate::yaml_error::position(&e);
            CheckError {
                line,
                column,
                message: format!("params: {}", crate::yaml_error::message(&e)),
            }
        })
}

/// A parameter that failed validation, at its own position.
fn invalid<T>(value: &serde_saphyr::Spanned<T>, message: String) -> CheckError {
    CheckError {
        line: value.referenced.line(),
        column: value.referenced.column(),
        message: format!("params: {message}"),
    }
}
