//! CloudTrail records to normalized evidence: sign-ins (IdC authentication workflows and
//! console logins), role use (`GetRoleCredentials`) and root activity (`AssumeRoot` sessions and
//! actions as `Root`). Both identity shapes are read: the legacy one (`userIdentity.type`
//! `Unknown` with `userName`) and the current one (`IdentityCenterUser` with
//! `onBehalfOf.userId`, the typed name in `additionalEventData.UserName`).

use crate::snapshot::{RoleUse, RootActivity, SignIn};
use serde_json::Value;

/// Who an event is about, as far as the record tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRef {
    /// Identity Store user id (current shape).
    pub id: Option<String>,
    /// The user name typed or recorded (legacy shape, failed attempts).
    pub name: Option<String>,
}

/// One step of an IAM Identity Center sign-in workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInStep {
    pub workflow_id: String,
    pub event_id: String,
    pub time: String,
    pub account_id: String,
    pub identity_type: String,
    pub user: UserRef,
    pub step: Step,
    /// `CredentialType`, split on commas.
    pub credential_types: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Challenge,
    Verification {
        success: bool,
    },
    /// Only after every challenge passed; carries all factors used.
    Authentication {
        success: bool,
    },
}

/// `sts:AssumeRoot`: a centralized-root session issued to an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoot {
    pub event_id: String,
    pub time: String,
    pub target_account_id: String,
    pub task_policy_arn: String,
    /// The access key of the issued session; root actions with it are not real root use.
    pub access_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    SignInStep(SignInStep),
    /// `ConsoleLogin` of the root user or an IAM user, already complete.
    ConsoleLogin(SignIn),
    RoleUse(RoleUse),
    AssumeRoot(AssumeRoot),
    /// An action taken as `Root`; `via_assume_root` is decided once every `AssumeRoot` is known.
    RootAction(RootActivity),
}

impl Normalized {
    /// When the event happened (RFC 3339).
    pub fn time(&self) -> &str {
        match self {
            Normalized::SignInStep(step) => &step.time,
            Normalized::ConsoleLogin(sign_in) => &sign_in.time,
            Normalized::RoleUse(role_use) => &role_use.time,
            Normalized::AssumeRoot(session) => &session.time,
            Normalized::RootAction(action) => &action.time,
        }
    }
}

/// What the normalizer reads of a record: the non-empty string at a path of object keys, and
/// whether a top-level key is there at all. Implemented by a parsed [`Value`] and by the slim
/// reader of trail log files ([`super::slim::SlimRecord`]).
pub trait Fields {
    fn text(&self, path: &[&str]) -> Option<&str>;
    fn has(&self, key: &str) -> bool;
}

impl Fields for Value {
    fn text(&self, path: &[&str]) -> Option<&str> {
        let mut current = self;
        for key in path {
            current = current.get(key)?;
        }
        current.as_str().filter(|s| !s.is_empty())
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

fn text<'a, R: Fields + ?Sized>(record: &'a R, path: &[&str]) -> Option<&'a str> {
    record.text(path)
}

fn owned<R: Fields + ?Sized>(record: &R, path: &[&str]) -> Option<String> {
    record.text(path).map(str::to_string)
}

/// Why a record could not be read; records of no interest are `Ok(None)`, not errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(pub String);

/// Normalizes one CloudTrail record (an element of `Records`, or a parsed `CloudTrailEvent`).
pub fn normalize<R: Fields + ?Sized>(record: &R) -> Result<Option<Normalized>, RecordError> {
    let source =
        text(record, &["eventSource"]).ok_or_else(|| RecordError("no eventSource".into()))?;
    let name = text(record, &["eventName"]).ok_or_else(|| RecordError("no eventName".into()))?;
    let event_id = owned(record, &["eventID"]).unwrap_or_default();
    let time = owned(record, &["eventTime"])
        .ok_or_else(|| RecordError(format!("{name} {event_id}: no eventTime")))?;
    let identity_type = text(record, &["userIdentity", "type"])
        .unwrap_or("Unknown")
        .to_string();
    let account_id = owned(record, &["recipientAccountId"])
        .or_else(|| owned(record, &["userIdentity", "accountId"]))
        .unwrap_or_default();
    let user = UserRef {
        id: owned(record, &["userIdentity", "onBehalfOf", "userId"]),
        name: owned(record, &["additionalEventData", "UserName"])
            .filter(|n| n != "HIDDEN_DUE_TO_SECURITY_REASONS")
            .or_else(|| owned(record, &["userIdentity", "userName"])),
    };
    match (source, name) {
        (
            "signin.amazonaws.com",
            "CredentialChallenge" | "CredentialVerification" | "UserAuthentication",
        ) => {
            let Some(workflow_id) = owned(record, &["additionalEventData", "AuthWorkflowID"])
            else {
                return Err(RecordError(format!("{name} {event_id}: no AuthWorkflowID")));
            };
            let outcome = text(record, &["serviceEventDetails", name]).unwrap_or("");
            let success = outcome.eq_ignore_ascii_case("success") && !record.has("errorCode");
            let step = match name {
                "CredentialChallenge" => Step::Challenge,
                "CredentialVerification" => Step::Verification { success },
                _ => Step::Authentication { success },
            };
            let credential_types = text(record, &["additionalEventData", "CredentialType"])
                .map(|t| {
                    t.split(',')
                        .map(|c| c.trim().to_ascii_uppercase())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Ok(Some(Normalized::SignInStep(SignInStep {
                workflow_id,
                event_id,
                time,
                account_id,
                identity_type,
                user,
                step,
                credential_types,
            })))
        }
        ("signin.amazonaws.com", "ConsoleLogin") => {
            // Federated and IdC sessions always say MFAUsed: No; only root and IAM users count.
            if identity_type != "Root" && identity_type != "IAMUser" {
                return Ok(None);
            }
            let success = text(record, &["responseElements", "ConsoleLogin"])
                .is_some_and(|r| r.eq_ignore_ascii_case("success"));
            let mfa = text(record, &["additionalEventData", "MFAUsed"])
                .is_some_and(|m| m.eq_ignore_ascii_case("yes"));
            Ok(Some(Normalized::ConsoleLogin(SignIn {
                time,
                event_id,
                kind: "console".into(),
                user_id: None,
                user_name: if identity_type == "Root" {
                    Some("root".into())
                } else {
                    owned(record, &["userIdentity", "userName"])
                },
                identity_type,
                account_id,
                credential_types: Vec::new(),
                mfa: if mfa { "yes".into() } else { "no".into() },
                success,
            })))
        }
        ("sso.amazonaws.com", "GetRoleCredentials") => {
            if record.has("errorCode") {
                return Ok(None);
            }
            let (Some(account), Some(role)) = (
                owned(record, &["serviceEventDetails", "account_id"]),
                owned(record, &["serviceEventDetails", "role_name"]),
            ) else {
                return Err(RecordError(format!(
                    "GetRoleCredentials {event_id}: no serviceEventDetails.account_id/role_name"
                )));
            };
            Ok(Some(Normalized::RoleUse(RoleUse {
                time,
                event_id,
                user_id: user.id.or(user.name),
                account_id: account,
                permission_set_name: role,
            })))
        }
        ("sts.amazonaws.com", "AssumeRoot") => {
            if record.has("errorCode") {
                return Ok(None);
            }
            Ok(Some(Normalized::AssumeRoot(AssumeRoot {
                event_id,
                time,
                target_account_id: owned(record, &["requestParameters", "targetPrincipal"])
                    .unwrap_or_default(),
                task_policy_arn: owned(record, &["requestParameters", "taskPolicyArn", "arn"])
                    .unwrap_or_default(),
                access_key_id: owned(record, &["responseElements", "credentials", "accessKeyId"]),
            })))
        }
        _ if identity_type == "Root" => Ok(Some(Normalized::RootAction(RootActivity {
            time,
            event_id,
            account_id,
            event_name: name.to_string(),
            access_key_id: owned(record, &["userIdentity", "accessKeyId"]),
            via_assume_root: false,
        }))),
        _ => Ok(None),
    }
}

/// Groups sign-in steps by workflow into sign-ins.
#[derive(Default)]
pub struct SignInAssembler {
    /// By workflow id. A hash map: a sign-in-dense trail adds and removes a workflow per
    /// sign-in, and ordered string keys cost more than the rest of the step.
    workflows: rustc_hash::FxHashMap<String, Vec<SignInStep>>,
    /// Workflows that reached `UserAuthentication` since the last drain.
    ready: Vec<String>,
}

impl SignInAssembler {
    pub fn add(&mut self, step: SignInStep) {
        if matches!(step.step, Step::Authentication { .. }) {
            self.ready.push(step.workflow_id.clone());
        }
        self.workflows
            .entry(step.workflow_id.clone())
            .or_default()
            .push(step);
    }

    /// Sign-ins of the workflows that reached `UserAuthentication`, removed from the pending
    /// ones: memory holds only workflows in progress (or failed). Only the workflows that
    /// reached it since the last drain are looked at, not every pending one.
    pub fn drain_complete(&mut self) -> Vec<SignIn> {
        let mut ready = std::mem::take(&mut self.ready);
        ready.sort_unstable();
        ready.dedup();
        ready
            .into_iter()
            .filter_map(|id| self.workflows.remove(&id).and_then(assemble))
            .collect()
    }

    /// Workflows still open.
    pub fn pending(&self) -> usize {
        self.workflows.len()
    }

    /// Ends the workflows whose last step is older than `before` (RFC 3339): a sign-in takes
    /// minutes, so these will not continue. Keeps memory bounded by the sign-ins in progress,
    /// not by every failed or abandoned attempt of the history.
    pub fn drain_stale(&mut self, before: &str) -> Vec<SignIn> {
        let mut stale: Vec<String> = self
            .workflows
            .iter()
            .filter(|(_, steps)| steps.iter().all(|s| s.time.as_str() < before))
            .map(|(id, _)| id.clone())
            .collect();
        stale.sort_unstable();
        stale
            .into_iter()
            .filter_map(|id| self.workflows.remove(&id).and_then(assemble))
            .collect()
    }

    /// One sign-in per workflow: a `UserAuthentication` decides success and the factors; a
    /// workflow without one is a failed attempt when a verification failed, and is dropped
    /// otherwise (still in progress, or abandoned before any factor was checked).
    pub fn finish(self) -> Vec<SignIn> {
        let mut sign_ins: Vec<SignIn> = self.workflows.into_values().filter_map(assemble).collect();
        sign_ins.sort_unstable();
        sign_ins
    }
}

fn assemble(mut steps: Vec<SignInStep>) -> Option<SignIn> {
    steps.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.event_id.cmp(&b.event_id))
    });
    let user_id = steps.iter_mut().find_map(|s| s.user.id.take());
    let user_name = steps.iter_mut().find_map(|s| s.user.name.take());
    let authentication = steps
        .iter()
        .rposition(|s| matches!(s.step, Step::Authentication { .. }));
    // The steps are the workflow's own: the decisive one's fields are moved, not copied.
    let (decisive, success) = match authentication {
        Some(at) => (
            at,
            matches!(steps[at].step, Step::Authentication { success: true }),
        ),
        None => (
            steps
                .iter()
                .position(|s| matches!(s.step, Step::Verification { success: false }))?,
            false,
        ),
    };
    let decisive = steps.swap_remove(decisive);
    let credential_types = decisive.credential_types;
    let mfa = if credential_types.iter().any(|c| c == "EXTERNAL_IDP") {
        "unverifiable"
    } else if credential_types
        .iter()
        .any(|c| c == "TOTP" || c == "WEBAUTHN")
    {
        "yes"
    } else {
        "no"
    };
    Some(SignIn {
        time: decisive.time,
        event_id: decisive.event_id,
        kind: "identity-center".into(),
        user_id,
        user_name,
        identity_type: decisive.identity_type,
        account_id: decisive.account_id,
        credential_types,
        mfa: mfa.into(),
        success,
    })
}

/// Marks root actions whose access key an `AssumeRoot` issued.
pub fn link_root_sessions(actions: &mut [RootActivity], sessions: &[AssumeRoot]) {
    let keys: std::collections::BTreeSet<&str> = sessions
        .iter()
        .filter_map(|s| s.access_key_id.as_deref())
        .collect();
    for action in actions {
        action.via_assume_root = action
            .access_key_id
            .as_deref()
            .is_some_and(|k| keys.contains(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn legacy() -> Value {
        serde_json::from_str(include_str!(
            "../../fixtures/cloudtrail/idc-signin.legacy-2022.json"
        ))
        .unwrap()
    }

    fn sign_ins(records: &[Value]) -> Vec<SignIn> {
        let mut assembler = SignInAssembler::default();
        for record in records {
            if let Some(Normalized::SignInStep(step)) = normalize(record).unwrap() {
                assembler.add(step);
            }
        }
        assembler.finish()
    }

    fn scenario(name: &str) -> Vec<Value> {
        legacy()["scenarios"][name].as_array().unwrap().clone()
    }

    #[test]
    fn legacy_password_only_is_a_sign_in_without_mfa() {
        let result = sign_ins(&scenario(
            "Successful sign-in when authenticating with only a password",
        ));
        assert_eq!(result.len(), 1);
        assert!(result[0].success);
        assert_eq!(result[0].mfa, "no");
        assert_eq!(result[0].user_name.as_deref(), Some("user1"));
        assert_eq!(result[0].credential_types, ["PASSWORD"]);
    }

    #[test]
    fn legacy_totp_external_and_failed() {
        let totp = sign_ins(&scenario(
            "Successful sign-in when authenticating with a password and a TOTP authenticator app",
        ));
        assert_eq!(
            (totp.len(), totp[0].mfa.as_str(), totp[0].success),
            (1, "yes", true)
        );
        let external = sign_ins(&scenario(
            "Successful sign-in when authenticating with an external identity provider",
        ));
        assert_eq!(external[0].mfa, "unverifiable");
        let failed = sign_ins(&scenario(
            "Failed sign-in when authenticating with only a password",
        ));
        assert_eq!(failed.len(), 1);
        assert!(!failed[0].success);
        let enrollment = sign_ins(&scenario(
            "Successful sign-in when authenticating with a password and forced MFA registration is required",
        ));
        assert_eq!(enrollment[0].mfa, "no");
    }

    #[test]
    fn every_legacy_record_normalizes() {
        for (name, records) in legacy()["scenarios"].as_object().unwrap() {
            for record in records.as_array().unwrap() {
                assert!(
                    normalize(record).unwrap().is_some(),
                    "{name}: {}",
                    record["_label"]
                );
            }
        }
    }

    #[test]
    fn current_shape_resolves_the_identity_store_user() {
        let base = |name: &str, details: Value, extra: Value| {
            json!({
                "eventVersion": "1.11",
                "userIdentity": {"type": "IdentityCenterUser", "accountId": "111111111111",
                    "onBehalfOf": {"userId": "906700aaaa-11111111-2222-3333-4444-555555555555",
                                   "identityStoreArn": "arn:aws:identitystore::111111111111:identitystore/d-9067a1b2c3"}},
                "eventTime": "2026-01-15T09:00:00Z", "eventSource": "signin.amazonaws.com", "eventName": name,
                "eventID": format!("id-{name}"), "recipientAccountId": "111111111111",
                "serviceEventDetails": details, "additionalEventData": extra,
            })
        };
        let records = [
            base(
                "CredentialChallenge",
                json!({"CredentialChallenge": "Success"}),
                json!({"AuthWorkflowID": "w1", "CredentialType": "PASSWORD", "UserName": "jane"}),
            ),
            base(
                "CredentialVerification",
                json!({"CredentialVerification": "Success"}),
                json!({"AuthWorkflowID": "w1", "CredentialType": "PASSWORD"}),
            ),
            base(
                "UserAuthentication",
                json!({"UserAuthentication": "Success"}),
                json!({"AuthWorkflowID": "w1", "CredentialType": "PASSWORD,WEBAUTHN"}),
            ),
        ];
        let result = sign_ins(&records);
        assert_eq!(result.len(), 1);
        assert_eq!(
            result[0].user_id.as_deref(),
            Some("906700aaaa-11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(result[0].user_name.as_deref(), Some("jane"));
        assert_eq!(result[0].mfa, "yes");
        assert_eq!(result[0].identity_type, "IdentityCenterUser");
    }

    #[test]
    fn synthetic_role_use_and_root_console_login() {
        let log: Value = serde_json::from_str(include_str!(
            "../../fixtures/cloudtrail/s3-log-object.SYNTHETIC.json"
        ))
        .unwrap();
        let first = normalize(&log["Records"][0]).unwrap();
        match first {
            Some(Normalized::RoleUse(role)) => {
                assert_eq!(role.account_id, "888888888888");
                assert_eq!(role.permission_set_name, "TerraformApplyAccess");
                assert_eq!(
                    role.user_id.as_deref(),
                    Some("906700aaaa-11111111-2222-3333-4444-555555555555")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(normalize(&log["Records"][1]).unwrap(), None);
        let root_login = json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventID": "r1",
            "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"type": "Root", "accountId": "222222222222"},
            "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}});
        match normalize(&root_login).unwrap() {
            Some(Normalized::ConsoleLogin(sign_in)) => {
                assert_eq!(
                    (
                        sign_in.mfa.as_str(),
                        sign_in.success,
                        sign_in.account_id.as_str()
                    ),
                    ("no", true, "222222222222")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(normalize(&json!({"eventName": "X"})).is_err());
    }

    #[test]
    fn root_actions_link_to_assume_root_sessions() {
        let assume = json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoot", "eventID": "a1",
            "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"type": "AssumedRole"},
            "requestParameters": {"targetPrincipal": "333333333333", "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}},
            "responseElements": {"credentials": {"accessKeyId": "ASIAROOTSESSION"}}});
        let action = |key: &str| {
            json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucketPolicy", "eventID": format!("e-{key}"),
            "eventTime": "2026-01-01T00:01:00Z", "recipientAccountId": "333333333333",
            "userIdentity": {"type": "Root", "accountId": "333333333333", "accessKeyId": key}})
        };
        let Some(Normalized::AssumeRoot(session)) = normalize(&assume).unwrap() else {
            panic!()
        };
        let mut actions: Vec<RootActivity> = ["ASIAROOTSESSION", "AKIAREALROOTKEY"]
            .iter()
            .map(|k| match normalize(&action(k)).unwrap() {
                Some(Normalized::RootAction(a)) => a,
                other => panic!("{other:?}"),
            })
            .collect();
        link_root_sessions(&mut actions, &[session]);
        assert!(actions[0].via_assume_root);
        assert!(!actions[1].via_assume_root, "real root credentials");
    }
}
