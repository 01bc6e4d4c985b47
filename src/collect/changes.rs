//! What changed since a base snapshot, for `snapshot --incremental`: the write events CloudTrail
//! recorded (LookupEvents, `ReadOnly=false`, in the home Region and us-east-1), read into the
//! parts of a snapshot an incremental scan takes from events rather than reading again.
//!
//! Every scan, incremental or not, reads again what is cheap to read whole (the OU tree and
//! accounts, users, groups and memberships, permission sets with their policies and
//! provisioning, policy documents, settings, applications, guardrails, account access, member
//! accounts). Two parts cost one call per item and are taken from events: assignments (one
//! `ListAccountAssignments` per provisioned account and set) and account tags (one
//! `ListTagsForResource` per account). An event this module cannot place makes its part read in
//! full; so does an assignment request Identity Center lists without an event (see
//! `missing_requests`).

use super::Scan;
use super::calls::{CallError, Service};
use std::collections::{BTreeMap, BTreeSet};

/// A part of the snapshot an incremental scan takes from events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Assignments,
    AccountTags,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Assignments => "assignments",
            Part::AccountTags => "account_tags",
        }
    }
}

/// One write event, as CloudTrail records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeEvent {
    pub time: String,
    pub source: String,
    pub name: String,
    pub request: serde_json::Value,
    pub response: serde_json::Value,
    /// Set when the call failed: it changed nothing.
    pub error_code: Option<String>,
}

impl ChangeEvent {
    /// Reads one CloudTrail record (the `CloudTrailEvent` text of LookupEvents, or a record of a
    /// trail log file).
    pub fn parse(record: &serde_json::Value) -> Option<ChangeEvent> {
        let text = |key: &str| record.get(key).and_then(|v| v.as_str());
        Some(ChangeEvent {
            time: text("eventTime")?.to_string(),
            source: text("eventSource")?.to_string(),
            name: text("eventName")?.to_string(),
            request: record.get("requestParameters").cloned().unwrap_or_default(),
            response: record.get("responseElements").cloned().unwrap_or_default(),
            error_code: text("errorCode").map(str::to_string),
        })
    }
}

/// What the events say must be read again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// (account, permission set ARN) pairs whose assignments changed.
    pub pairs: BTreeSet<(String, String)>,
    /// Accounts whose tags changed.
    pub tagged_accounts: BTreeSet<String>,
    /// Request ids of the assignment creations and deletions the events record.
    pub assignment_requests: BTreeSet<String>,
    /// Parts to read in full, each with why.
    pub full: BTreeMap<Part, String>,
    /// Write events of the services a snapshot holds (failed calls included).
    pub relevant: u64,
}

impl Changes {
    fn read_in_full(&mut self, part: Part, reason: String) {
        self.full.entry(part).or_insert(reason);
    }
}

const SSO: &str = "sso.amazonaws.com";
const ORGANIZATIONS: &str = "organizations.amazonaws.com";

/// Identity Center writes that change nothing an incremental scan takes from events: permission
/// sets, their policies and provisioning, applications and the instance are read whole by every
/// scan. The access portal's calls are its users', not changes.
const SSO_READ_WHOLE: &[&str] = &[
    "AddRegion",
    "AttachCustomerManagedPolicyReferenceToPermissionSet",
    "AttachManagedPolicyToPermissionSet",
    "Authenticate",
    "CreateApplication",
    "CreateApplicationAssignment",
    "CreateInstance",
    "CreateInstanceAccessControlAttributeConfiguration",
    "CreatePermissionSet",
    "CreateToken",
    "CreateTrustedTokenIssuer",
    "DeleteApplication",
    "DeleteApplicationAccessScope",
    "DeleteApplicationAssignment",
    "DeleteApplicationAuthenticationMethod",
    "DeleteApplicationGrant",
    "DeleteInlinePolicyFromPermissionSet",
    "DeleteInstance",
    "DeleteInstanceAccessControlAttributeConfiguration",
    "DeletePermissionSet",
    "DeletePermissionsBoundaryFromPermissionSet",
    "DeleteTrustedTokenIssuer",
    "DetachCustomerManagedPolicyReferenceFromPermissionSet",
    "DetachManagedPolicyFromPermissionSet",
    "Federate",
    "GetRoleCredentials",
    "ListAccountRoles",
    "ListAccounts",
    "Logout",
    "ProvisionPermissionSet",
    "PutApplicationAccessScope",
    "PutApplicationAssignmentConfiguration",
    "PutApplicationAuthenticationMethod",
    "PutApplicationGrant",
    "PutInlinePolicyToPermissionSet",
    "PutPermissionsBoundaryToPermissionSet",
    "RemoveRegion",
    "TagResource",
    "UntagResource",
    "UpdateApplication",
    "UpdateInstance",
    "UpdateInstanceAccessControlAttributeConfiguration",
    "UpdatePermissionSet",
    "UpdateTrustedTokenIssuer",
];

/// Organizations writes whose effect every scan reads whole: the OU tree and accounts, the
/// policies and where they are attached, delegated administrators.
const ORGANIZATIONS_READ_WHOLE: &[&str] = &[
    "AcceptHandshake",
    "AttachPolicy",
    "CancelHandshake",
    "CloseAccount",
    "CreateAccount",
    "CreateGovCloudAccount",
    "CreateOrganization",
    "CreateOrganizationalUnit",
    "CreatePolicy",
    "DeclineHandshake",
    "DeleteOrganization",
    "DeleteOrganizationalUnit",
    "DeletePolicy",
    "DeleteResourcePolicy",
    "DeregisterDelegatedAdministrator",
    "DetachPolicy",
    "DisableAWSServiceAccess",
    "DisablePolicyType",
    "EnableAWSServiceAccess",
    "EnableAllFeatures",
    "EnablePolicyType",
    "InviteAccountToOrganization",
    "LeaveOrganization",
    "MoveAccount",
    "PutResourcePolicy",
    "RegisterDelegatedAdministrator",
    "RemoveAccountFromOrganization",
    "UpdateOrganizationalUnit",
    "UpdatePolicy",
];

/// The services whose every write is read whole by every scan: the Identity Store (users,
/// groups and memberships are listed in full, N/100 calls), its console and SCIM faces, and
/// IAM (policy documents, roles of account access and member accounts are read again).
const READ_WHOLE_SOURCES: &[&str] = &[
    "identitystore.amazonaws.com",
    "identitystore-scim.amazonaws.com",
    "sso-directory.amazonaws.com",
    "iam.amazonaws.com",
];

fn text<'a>(value: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

/// Reads the events into what must be read again.
pub fn interpret(events: &[ChangeEvent]) -> Changes {
    let mut changes = Changes::default();
    for event in events {
        let source = event.source.as_str();
        let name = event.name.as_str();
        let known =
            source == SSO || source == ORGANIZATIONS || READ_WHOLE_SOURCES.contains(&source);
        if !known {
            continue;
        }
        changes.relevant += 1;
        if event.error_code.is_some() {
            continue;
        }
        match (source, name) {
            (SSO, "CreateAccountAssignment" | "DeleteAccountAssignment") => {
                let status = if name == "CreateAccountAssignment" {
                    "accountAssignmentCreationStatus"
                } else {
                    "accountAssignmentDeletionStatus"
                };
                if let Some(id) = event
                    .response
                    .get(status)
                    .and_then(|s| text(s, "requestId"))
                {
                    changes.assignment_requests.insert(id.to_string());
                }
                match (
                    text(&event.request, "targetId"),
                    text(&event.request, "permissionSetArn"),
                ) {
                    (Some(account), Some(set)) => {
                        changes.pairs.insert((account.to_string(), set.to_string()));
                    }
                    _ => changes.read_in_full(
                        Part::Assignments,
                        format!(
                            "a {name} event at {} names no account or permission set",
                            event.time
                        ),
                    ),
                }
            }
            (SSO, other) if SSO_READ_WHOLE.contains(&other) => {}
            (SSO, other) => changes.read_in_full(
                Part::Assignments,
                format!(
                    "an IAM Identity Center event this version cannot place ({other} at {})",
                    event.time
                ),
            ),
            (ORGANIZATIONS, "TagResource" | "UntagResource") => {
                match text(&event.request, "resourceId") {
                    Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => {
                        changes.tagged_accounts.insert(id.to_string());
                    }
                    // Tags of roots, OUs and policies are not in the snapshot.
                    Some(_) => {}
                    None => changes.read_in_full(
                        Part::AccountTags,
                        format!("a {name} event at {} names no resource", event.time),
                    ),
                }
            }
            (ORGANIZATIONS, other) if ORGANIZATIONS_READ_WHOLE.contains(&other) => {}
            (ORGANIZATIONS, other) => changes.read_in_full(
                Part::AccountTags,
                format!(
                    "an Organizations event this version cannot place ({other} at {})",
                    event.time
                ),
            ),
            _ => {}
        }
    }
    changes
}

/// An assignment request Identity Center lists: its id, status and creation time.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRequest {
    pub id: String,
    pub status: String,
    /// Seconds since the epoch.
    pub created: i64,
}

/// The requests made at or after `since` (seconds) that did not fail and have no event: the
/// change history misses them (not delivered yet, or lost).
pub fn missing_requests<'a>(
    requests: &'a [AssignmentRequest],
    recorded: &BTreeSet<String>,
    since: i64,
) -> Vec<&'a AssignmentRequest> {
    requests
        .iter()
        .filter(|r| r.created >= since && r.status != "FAILED" && !recorded.contains(&r.id))
        .collect()
}

/// The account the scan's credentials belong to (sts:GetCallerIdentity, which needs no
/// permission). LookupEvents returns that account's history only.
pub(crate) async fn caller_account(
    scan: &Scan,
    config: &aws_config::SdkConfig,
) -> Result<String, String> {
    let sts = aws_sdk_sts::Client::new(config);
    let identity = scan
        .caller
        .call(Service::Sts, "GetCallerIdentity", || {
            sts.get_caller_identity().send()
        })
        .await
        .map_err(|error| error.message().to_string())?;
    identity
        .account()
        .map(str::to_string)
        .ok_or_else(|| "the answer names no account".into())
}

/// Why the account tags cannot be taken from the events the scan's account sees, if they
/// cannot: Organizations records tag changes in the management account's history, which
/// LookupEvents in a delegated administrator's account does not return.
pub fn tags_unseen(caller: Result<&str, &str>, management_account: &str) -> Option<String> {
    match caller {
        Ok(account) if account == management_account => None,
        Ok(account) => Some(format!(
            "the scan runs in account {account}, not the management account {management_account}: Organizations records tag changes in the management account's event history, which this account's LookupEvents does not return"
        )),
        Err(error) => Some(format!(
            "the account the scan runs in could not be read (sts:GetCallerIdentity: {error}): tag changes, recorded in the management account's history only, could be missed"
        )),
    }
}

/// Write events between `since` and `until` in each Region (LookupEvents, `ReadOnly=false`:
/// the scan's own reads are not returned). None when a lookup failed or a record could not be
/// read: the change history is then unknown.
pub(crate) async fn lookup(
    scan: &Scan,
    config: &aws_config::SdkConfig,
    regions: &[String],
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<ChangeEvent>, String> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    const SERVICE: Service = Service::CloudTrail;
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ReadOnly)
        .attribute_value("false")
        .build()
        .expect("key and value are set");
    let mut events = Vec::new();
    for region in regions {
        let client = aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(config)
                .region(aws_config::Region::new(region.clone()))
                .build(),
        );
        let mut unreadable = 0usize;
        let mut token: Option<String> = None;
        loop {
            // A failure is no gap of the snapshot: the scan reads in full instead.
            let output = scan
                .caller
                .call(SERVICE, "LookupEvents", || {
                    client
                        .lookup_events()
                        .lookup_attributes(attribute.clone())
                        .start_time(aws_smithy_types::DateTime::from_secs(since.timestamp()))
                        .end_time(aws_smithy_types::DateTime::from_secs(until.timestamp()))
                        .max_results(50)
                        .set_next_token(token.clone())
                        .send()
                })
                .await
                .map_err(|error| {
                    format!(
                        "the write events of {region} could not be read (LookupEvents: {})",
                        error.message()
                    )
                })?;
            for event in output.events() {
                match event
                    .cloud_trail_event()
                    .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                    .as_ref()
                    .and_then(ChangeEvent::parse)
                {
                    Some(change) => events.push(change),
                    None => unreadable += 1,
                }
            }
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if unreadable > 0 {
            return Err(format!(
                "{unreadable} write event(s) of {region} could not be read"
            ));
        }
    }
    Ok(events)
}

/// Every assignment creation and deletion request Identity Center lists for the instance.
pub(crate) async fn assignment_requests(
    scan: &Scan,
    client: &aws_sdk_ssoadmin::Client,
    instance: &str,
) -> Result<Vec<AssignmentRequest>, CallError> {
    const SERVICE: Service = Service::SsoAdmin;
    let mut requests = Vec::new();
    let read = |s: &aws_sdk_ssoadmin::types::AccountAssignmentOperationStatusMetadata| {
        Some(AssignmentRequest {
            id: s.request_id()?.to_string(),
            status: s
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            // Without a date it counts as recent: it must have its event.
            created: s.created_date().map(|d| d.secs()).unwrap_or(i64::MAX),
        })
    };
    macro_rules! every_page {
        ($operation:literal, $method:ident, $items:ident) => {{
            let mut token: Option<String> = None;
            loop {
                let output = scan
                    .caller
                    .call(SERVICE, $operation, || {
                        client
                            .$method()
                            .instance_arn(instance)
                            .max_results(100)
                            .set_next_token(token.clone())
                            .send()
                    })
                    .await?;
                requests.extend(output.$items().iter().filter_map(read));
                token = output.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }};
    }
    every_page!(
        "ListAccountAssignmentCreationStatus",
        list_account_assignment_creation_status,
        account_assignments_creation_status
    );
    every_page!(
        "ListAccountAssignmentDeletionStatus",
        list_account_assignment_deletion_status,
        account_assignments_deletion_status
    );
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_read_in_full_unless_the_scan_runs_in_the_management_account() {
        assert_eq!(tags_unseen(Ok("111111111111"), "111111111111"), None);
        let delegated = tags_unseen(Ok("222222222222"), "111111111111").unwrap();
        assert!(
            delegated.contains("account 222222222222, not the management account 111111111111")
        );
        let unknown = tags_unseen(Err("timed out"), "111111111111").unwrap();
        assert!(unknown.contains("GetCallerIdentity: timed out"));
    }

    fn event(source: &str, name: &str, request: serde_json::Value) -> ChangeEvent {
        ChangeEvent {
            time: "2026-12-01T10:00:00Z".into(),
            source: source.into(),
            name: name.into(),
            request,
            response: json!(null),
            error_code: None,
        }
    }

    #[test]
    fn assignment_events_name_their_pair_and_request() {
        let mut create = event(
            SSO,
            "CreateAccountAssignment",
            json!({"targetId": "111111111111", "permissionSetArn": "arn:ps/a", "principalId": "u"}),
        );
        create.response = json!({"accountAssignmentCreationStatus": {"requestId": "r1"}});
        let mut failed = event(
            SSO,
            "DeleteAccountAssignment",
            json!({"targetId": "222222222222", "permissionSetArn": "arn:ps/b"}),
        );
        failed.error_code = Some("ConflictException".into());
        let changes = interpret(&[create, failed]);
        assert_eq!(
            changes.pairs,
            BTreeSet::from([("111111111111".to_string(), "arn:ps/a".to_string())])
        );
        assert_eq!(
            changes.assignment_requests,
            BTreeSet::from(["r1".to_string()])
        );
        assert_eq!(changes.relevant, 2);
        assert!(changes.full.is_empty());
    }

    #[test]
    fn events_that_cannot_be_placed_read_their_part_in_full() {
        let changes = interpret(&[
            event(
                SSO,
                "CreateAccountAssignment",
                json!({"targetId": "111111111111"}),
            ),
            event(ORGANIZATIONS, "SomethingNew", json!({})),
            event(
                ORGANIZATIONS,
                "TagResource",
                json!({"resourceId": "ou-ab12-cdef3456"}),
            ),
            event(
                ORGANIZATIONS,
                "UntagResource",
                json!({"resourceId": "333333333333"}),
            ),
            event("ec2.amazonaws.com", "RunInstances", json!({})),
            event(
                "identitystore.amazonaws.com",
                "CreateGroupMembership",
                json!({}),
            ),
        ]);
        assert!(changes.full[&Part::Assignments].contains("names no account"));
        assert!(changes.full[&Part::AccountTags].contains("SomethingNew"));
        assert_eq!(
            changes.tagged_accounts,
            BTreeSet::from(["333333333333".to_string()])
        );
        assert_eq!(changes.relevant, 5, "EC2 is not a service a snapshot holds");
        let unknown = interpret(&[event(SSO, "AttachSomethingToPermissionSet", json!({}))]);
        assert!(unknown.full[&Part::Assignments].contains("AttachSomethingToPermissionSet"));
    }

    #[test]
    fn requests_without_an_event_are_missing() {
        let request = |id: &str, status: &str, created| AssignmentRequest {
            id: id.into(),
            status: status.into(),
            created,
        };
        let requests = [
            request("seen", "SUCCEEDED", 100),
            request("old", "SUCCEEDED", 10),
            request("failed", "FAILED", 100),
            request("lost", "IN_PROGRESS", 100),
        ];
        let recorded = BTreeSet::from(["seen".to_string()]);
        let missing: Vec<&str> = missing_requests(&requests, &recorded, 50)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(missing, ["lost"]);
    }

    #[test]
    fn records_are_read_from_cloudtrail_json() {
        let record = json!({"eventTime": "2026-12-01T10:00:00Z", "eventSource": SSO,
            "eventName": "DeleteAccountAssignment", "errorCode": "AccessDenied",
            "requestParameters": {"targetId": "1"}});
        let parsed = ChangeEvent::parse(&record).expect("a record");
        assert_eq!(parsed.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(parsed.request["targetId"], "1");
        assert!(ChangeEvent::parse(&json!({"eventName": "X"})).is_none());
    }
}
