//! The snapshot: one versioned, deterministic document of an organization's identity state.
//!
//! Everything downstream of collection reads this type only, so a saved file and a live scan
//! are interchangeable. `normalize` sorts every list so one state gives one byte-identical file.

use crate::vocabulary::{DataArea, EventSource, UserKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The schema version this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Snapshots with at least this many users, memberships, assignments and event summaries
/// together are written on every core.
const PARALLEL_ARRAY: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub schema_version: u32,
    pub metadata: Metadata,
    pub organization: Organization,
    #[serde(default)]
    pub permission_sets: Vec<PermissionSet>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub memberships: Vec<Membership>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub events: Events,
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Documents of the managed policies the permission sets use, as read by a live scan
    /// (default versions). Without them, AWS managed policies come from the vendored catalog.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_documents: Vec<PolicyDocument>,
    /// The instances and the organization's settings around them. None in a snapshot written
    /// before ssoaudit read them: loading one records gaps for their areas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    /// The instance's applications (SAML, OAuth, AWS managed) and who is assigned to them.
    /// None in a snapshot written before ssoaudit read them (loading one records a gap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications: Option<Vec<Application>>,
    /// Account access manager: applications, the entitlements that let Identity Center users
    /// and groups assume IAM roles outside permission sets, and the management account's roles
    /// they reach. None in a snapshot written before ssoaudit read them (rules about access
    /// are then incomplete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_access: Option<AccountAccess>,
    /// What each member account holds in IAM, read through the member role (`--member-role`).
    /// None when no member role was given: member accounts were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_accounts: Option<Vec<MemberAccount>>,
    /// The organization's guardrails: its service and resource control policies and where
    /// they are attached. None in a snapshot written before ssoaudit read them: capabilities
    /// are then what the policies allow, never less than AWS allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<Guardrails>,
}

/// Service control policies (SCPs) and resource control policies (RCPs), read from
/// Organizations with the hierarchy they are attached to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Policy types enabled on the root (`SERVICE_CONTROL_POLICY`,
    /// `RESOURCE_CONTROL_POLICY`): a type that is not enabled applies nowhere.
    #[serde(default)]
    pub enabled_types: Vec<String>,
    #[serde(default)]
    pub policies: Vec<OrganizationPolicy>,
}

/// One SCP or RCP, its document and the roots, OUs and accounts it is attached to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPolicy {
    pub id: String,
    pub name: String,
    /// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aws_managed: bool,
    pub document: serde_json::Value,
    /// Ids of the roots, OUs and accounts it is attached to, sorted.
    #[serde(default)]
    pub targets: Vec<String>,
}

impl Guardrails {
    pub const SCP: &'static str = "SERVICE_CONTROL_POLICY";
    pub const RCP: &'static str = "RESOURCE_CONTROL_POLICY";

    pub fn enabled(&self, kind: &str) -> bool {
        self.enabled_types.iter().any(|t| t == kind)
    }
}

/// One member account's IAM, read through the member role with
/// `GetAccountAuthorizationDetails` (and, per IAM user, its console password and access keys).
/// An account whose role could not be assumed or read is absent, with a gap naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberAccount {
    pub account_id: String,
    /// The role it was read through.
    pub role_arn: String,
    #[serde(default)]
    pub roles: Vec<MemberRole>,
    #[serde(default)]
    pub users: Vec<IamUser>,
    #[serde(default)]
    pub groups: Vec<IamGroup>,
    /// The account's customer managed policies, each at its default version.
    #[serde(default)]
    pub policies: Vec<PolicyDocument>,
}

/// A role of a member account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    pub role: Role,
    pub path: String,
    /// When the role was last used (RFC 3339), as IAM records it.
    #[serde(default)]
    pub last_used: Option<String>,
}

/// An IAM user of a member account: access that bypasses Identity Center.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamUser {
    pub arn: String,
    pub name: String,
    /// It has a console password (`GetLoginProfile`).
    pub console_password: bool,
    /// When the password was last used (RFC 3339).
    #[serde(default)]
    pub password_last_used: Option<String>,
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: Vec<RoleInlinePolicy>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    #[serde(default)]
    pub last_used: Option<String>,
}

/// An IAM group of a member account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamGroup {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: Vec<RoleInlinePolicy>,
}

/// Access granted by account access manager: IAM roles that Identity Center principals may
/// assume, beside account assignments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountAccess {
    #[serde(default)]
    pub applications: Vec<AccessApplication>,
    #[serde(default)]
    pub entitlements: Vec<Entitlement>,
    /// The roles entitlements reach in the management account (the scanner's own account,
    /// the only one whose roles it can read). Roles in member accounts are not readable.
    #[serde(default)]
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessApplication {
    pub arn: String,
    /// `ACTIVE`, `CREATE_IN_PROGRESS`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// The IAM Identity Center instance whose users and groups it entitles.
    #[serde(default)]
    pub instance_arn: Option<String>,
}

/// One principal-to-role entitlement: a user or group may assume a role in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entitlement {
    pub account_id: String,
    pub role_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    pub application_arn: String,
    pub id: String,
    #[serde(default)]
    pub account_name: Option<String>,
}

/// An IAM role of the management account, with its policies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub arn: String,
    pub name: String,
    /// The trust policy (who may assume it).
    #[serde(default)]
    pub trust_policy: Option<serde_json::Value>,
    /// Attached managed policy ARNs (AWS managed or customer managed); their documents are in
    /// the snapshot's `policy_documents` when read.
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: Vec<RoleInlinePolicy>,
    /// The permissions boundary's policy ARN.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInlinePolicy {
    pub name: String,
    pub document: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub arn: String,
    pub name: String,
    /// `ENABLED` or `DISABLED`.
    #[serde(default)]
    pub status: Option<String>,
    /// The application provider (a SAML 2.0 or OAuth custom application, or an AWS service).
    #[serde(default)]
    pub provider_arn: Option<String>,
    /// Users and groups assigned to the application.
    #[serde(default)]
    pub assignments: Vec<ApplicationAssignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationAssignment {
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

/// Identity Center instances, delegated administration and centralized root access.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Every instance `ListInstances` returned: the organization instance and account
    /// instances (owned by member accounts, outside central control).
    #[serde(default)]
    pub instances: Vec<Instance>,
    /// Organizations delegated administrators of Identity Center (`sso.amazonaws.com`) and IAM
    /// (`iam.amazonaws.com`).
    #[serde(default)]
    pub delegated_administrators: Vec<DelegatedAdministrator>,
    /// IAM centralized root access features enabled for the organization
    /// (`RootCredentialsManagement`, `RootSessions`); None when they could not be read.
    #[serde(default)]
    pub organization_features: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub arn: String,
    pub identity_store_id: String,
    /// The account that owns it: the management account (or the delegated administrator's
    /// organization) for the organization instance, a member account for an account instance.
    pub owner_account_id: String,
    /// `ACTIVE`, `CREATE_IN_PROGRESS`, `DELETE_IN_PROGRESS`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// `AWS_OWNED_KMS_KEY` or `CUSTOMER_MANAGED_KEY`.
    #[serde(default)]
    pub encryption_key_type: Option<String>,
    #[serde(default)]
    pub kms_key_arn: Option<String>,
    /// The Regions it is replicated to, the primary among them.
    #[serde(default)]
    pub regions: Vec<InstanceRegion>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceRegion {
    pub region: String,
    #[serde(default)]
    pub primary: bool,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegatedAdministrator {
    pub account_id: String,
    /// `sso.amazonaws.com` or `iam.amazonaws.com`.
    pub service_principal: String,
}

impl Snapshot {
    /// The settings, or nothing when the snapshot predates them (its gaps say so).
    pub fn settings(&self) -> &Settings {
        static NONE: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();
        self.settings
            .as_ref()
            .unwrap_or_else(|| NONE.get_or_init(Settings::default))
    }

    /// The areas of which nothing was read at all, each with why. A rule that reads one has
    /// nothing to decide from: it reports this as its gap and no finding.
    pub fn unread_areas(&self) -> Vec<(DataArea, &'static str)> {
        const SETTINGS: &str = "not in this snapshot: it was written before ssoaudit read instances, delegated administrators and root access features";
        let mut unread = Vec::new();
        if self.events.sources.is_empty() {
            unread.push((
                DataArea::Events,
                "the snapshot holds no sign-in or access events (no event source was read)",
            ));
        }
        match &self.settings {
            None => unread.extend([
                (DataArea::Instances, SETTINGS),
                (DataArea::Delegation, SETTINGS),
                (DataArea::OrganizationFeatures, SETTINGS),
            ]),
            Some(settings) if settings.organization_features.is_none() => unread.push((
                DataArea::OrganizationFeatures,
                "the organization's root access features could not be read",
            )),
            Some(_) => {}
        }
        if self.applications.is_none() {
            unread.push((
                DataArea::Applications,
                "not in this snapshot: it was written before ssoaudit read applications",
            ));
        }
        let external_ids_unread = self.users.iter().any(|u| u.external_ids.is_none())
            || self.groups.iter().any(|g| g.external_ids.is_none());
        if external_ids_unread {
            unread.push((
                DataArea::ExternalIds,
                "not in this snapshot: it was written before ssoaudit read the external ids SCIM provisioning gives users and groups",
            ));
        }
        if self.member_accounts.is_none() {
            unread.push((
                DataArea::MemberAccounts,
                "member accounts were not read: scan with --member-role (docs/member-role.md), or leave out the rules that read them",
            ));
        }
        unread
    }

    /// The areas read only in part by the snapshot's kind, each with why: rules that read one
    /// still decide from what was read, and say that their result may be incomplete.
    pub fn partial_areas(&self) -> Vec<(DataArea, &'static str)> {
        let mut partial = Vec::new();
        if self.account_access.is_none() {
            partial.push((
                DataArea::Entitlements,
                "not in this snapshot: it was written before ssoaudit read account access manager entitlements (access to IAM roles outside permission sets)",
            ));
        }
        partial
    }

    /// The account of the organization with this name or id.
    pub fn account(&self, name_or_id: &str) -> Option<&Account> {
        self.organization
            .accounts
            .iter()
            .find(|a| a.name == name_or_id || a.id == name_or_id)
    }

    /// The Regions of the instance being audited (its home Region first when known).
    pub fn instance_regions(&self) -> Vec<String> {
        let mut regions = vec![self.metadata.region.clone()];
        if let Some(instance) = self
            .settings()
            .instances
            .iter()
            .find(|i| i.arn == self.metadata.instance_arn)
        {
            for region in &instance.regions {
                if !regions.contains(&region.region) {
                    regions.push(region.region.clone());
                }
            }
        }
        regions.retain(|r| !r.is_empty());
        regions
    }
}

/// The default version of a managed policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    pub arn: String,
    /// `v7`.
    pub version: String,
    pub document: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// RFC 3339 time the state was captured.
    pub captured_at: String,
    /// Where the state came from: `live`, `fixture`, `generated`, ...
    pub source: String,
    pub management_account_id: String,
    pub instance_arn: String,
    pub identity_store_id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// API calls made by a live scan, per `service:Operation`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_calls: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_duration_ms: Option<u64>,
    /// How `snapshot --incremental` made this snapshot from an earlier one; None for a full
    /// scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
}

/// How an incremental scan was made: the base it started from, the change events it read, what
/// it read again because of them, and the parts it read in full, each with why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    /// `captured_at` of the snapshot it started from.
    pub base_captured_at: String,
    /// Where the change events came from (`lookup-events`), and the period read.
    pub changes_source: String,
    pub changes_since: String,
    pub changes_until: String,
    /// Write events of the services a snapshot holds, in that period.
    pub change_events: u64,
    /// (account, permission set) pairs whose assignments were listed again.
    pub assignment_pairs_read: u64,
    /// Accounts whose tags were read again.
    pub account_tags_read: u64,
    /// Parts read in full rather than from the base: `all` when the whole organization was
    /// scanned.
    #[serde(default)]
    pub read_in_full: Vec<FullRead>,
}

/// A part an incremental scan read in full, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullRead {
    pub part: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    pub management_account_id: String,
    #[serde(default)]
    pub organizational_units: Vec<OrganizationalUnit>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationalUnit {
    /// `r-xxxx` for a root, `ou-xxxx-yyyyyyyy` otherwise.
    pub id: String,
    pub name: String,
    /// None for a root.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Names from the root down, `/`-joined: `Root/core`.
    pub path: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    /// ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED.
    pub status: String,
    pub parent_id: String,
    pub ou_path: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSet {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// ISO 8601 duration, e.g. `PT1H`.
    #[serde(default)]
    pub session_duration: Option<String>,
    #[serde(default)]
    pub relay_state: Option<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub customer_managed_policies: Vec<CustomerManagedPolicy>,
    /// The inline policy document, parsed.
    #[serde(default)]
    pub inline_policy: Option<serde_json::Value>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Accounts the set is provisioned to.
    #[serde(default)]
    pub provisioned_accounts: Vec<String>,
    /// Accounts where the latest version of the set is not provisioned.
    #[serde(default)]
    pub outdated_accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerManagedPolicy {
    pub name: String,
    #[serde(default = "default_path")]
    pub path: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn default_path() -> String {
    "/".to_string()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsBoundary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_policy_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_managed_policy: Option<CustomerManagedPolicy>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub user_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub emails: Vec<Email>,
    /// False for users disabled or suspended in the identity source.
    pub active: bool,
    /// The identifiers the external IdP gave the user when it provisioned it over SCIM; empty
    /// for a user created in Identity Center itself. None in a snapshot written before
    /// ssoaudit read them (rules about provisioning are then incomplete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ids: Option<Vec<ExternalId>>,
    /// When the Identity Store created the user (RFC 3339), where it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// An identifier an external IdP gave a user or group (Identity Store `ExternalId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalId {
    pub issuer: String,
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    pub value: String,
    #[serde(default)]
    pub primary: bool,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// As for users: empty for a group created in Identity Center (by hand or by Terraform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ids: Option<Vec<ExternalId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub group_id: String,
    pub user_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PrincipalType {
    Group,
    User,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Group => "GROUP",
            PrincipalType::User => "USER",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

/// Sign-in and access evidence: what was read, summaries whose size depends on the number of
/// users and assignments (not on the length of the history), and the rare events every one of
/// which matters (failures, console logins of root and IAM users, root activity).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    /// Event sources that were read; empty when no events were collected, which is not the
    /// same as "no events happened".
    #[serde(default)]
    pub sources: Vec<EventSource>,
    /// The period the events cover (RFC 3339); a rule about the last N days needs N days.
    #[serde(default)]
    pub covered_from: Option<String>,
    #[serde(default)]
    pub covered_to: Option<String>,
    /// Per Identity Center user: when they last signed in, and how.
    #[serde(default)]
    pub users: Vec<UserSignInSummary>,
    /// Per (user, account, permission set): when the role was last taken.
    #[serde(default)]
    pub role_uses: Vec<RoleUseSummary>,
    /// Failed Identity Center sign-ins, one entry each (for bursts).
    #[serde(default)]
    pub failures: Vec<SignIn>,
    /// Console logins of root and IAM users, one entry each.
    #[serde(default)]
    pub console_logins: Vec<SignIn>,
    /// Actions taken as the root user, one entry each.
    #[serde(default)]
    pub root_activity: Vec<RootActivity>,
}

/// How one Identity Center user signed in over the covered period.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSignInSummary {
    /// Identity Store user id when the events carry it (current shape), else None.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user name when the events carry it (legacy shape).
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub last_sign_in: Option<String>,
    /// Last successful sign-in with a single factor (IdC directory or AD source).
    #[serde(default)]
    pub last_sign_in_without_mfa: Option<String>,
    /// First successful sign-in with a single factor in the covered period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sign_in_without_mfa: Option<String>,
    /// How many successful sign-ins used a single factor.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sign_ins_without_mfa: u64,
    /// Last successful sign-in through an external IdP, whose MFA CloudTrail cannot show.
    #[serde(default)]
    pub last_external_idp_sign_in: Option<String>,
}

/// As serde writes it (tested equal): the events' summaries are the longest arrays of a
/// snapshot with events.
impl crate::parallel_json::PrettyObject for UserSignInSummary {
    fn write_object(&self, object: &mut crate::parallel_json::Object<'_>) {
        object.optional_str("user_id", self.user_id.as_deref());
        object.optional_str("user_name", self.user_name.as_deref());
        object.optional_str("last_sign_in", self.last_sign_in.as_deref());
        object.optional_str(
            "last_sign_in_without_mfa",
            self.last_sign_in_without_mfa.as_deref(),
        );
        if let Some(first) = &self.first_sign_in_without_mfa {
            object.str("first_sign_in_without_mfa", first);
        }
        if !is_zero(&self.sign_ins_without_mfa) {
            object.u64("sign_ins_without_mfa", self.sign_ins_without_mfa);
        }
        object.optional_str(
            "last_external_idp_sign_in",
            self.last_external_idp_sign_in.as_deref(),
        );
    }
}

/// When a user last took a permission set's role in an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleUseSummary {
    /// Identity Store user id, or `name:` and the user name for legacy events.
    pub user: UserKey,
    pub account_id: String,
    pub permission_set_name: String,
    pub last_used: String,
}

impl crate::parallel_json::PrettyObject for RoleUseSummary {
    fn write_object(&self, object: &mut crate::parallel_json::Object<'_>) {
        match &self.user {
            UserKey::Id(id) => object.str("user", id),
            name => object.display("user", name),
        }
        object.str("account_id", &self.account_id);
        object.str("permission_set_name", &self.permission_set_name);
        object.str("last_used", &self.last_used);
    }
}

/// One sign-in attempt: an IdC authentication workflow or a console login.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// RFC 3339, UTC.
    pub time: String,
    /// `eventID` of the event that decided the outcome (dedupe key).
    pub event_id: String,
    /// `identity-center` or `console`.
    pub kind: String,
    /// Identity Store user id when known.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    /// `userIdentity.type` (IdentityCenterUser, Unknown, Root, IAMUser).
    pub identity_type: String,
    pub account_id: String,
    /// Factors used: PASSWORD, TOTP, WEBAUTHN, EXTERNAL_IDP, ...
    #[serde(default)]
    pub credential_types: Vec<String>,
    /// `yes`, `no`, or `unverifiable` (external IdP).
    pub mfa: String,
    pub success: bool,
}

/// A user took a permission set's role in an account (`GetRoleCredentials`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleUse {
    pub time: String,
    pub event_id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    pub account_id: String,
    pub permission_set_name: String,
}

/// An action taken as the root user of an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootActivity {
    pub time: String,
    pub event_id: String,
    pub account_id: String,
    pub event_name: String,
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// True when the session was issued by `sts:AssumeRoot` (centralized root access).
    pub via_assume_root: bool,
}

/// Something the collector could not read. A gap is a result of its own: rules that depend on
/// its area refuse to report a clean result.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// The part of the model that is incomplete.
    pub area: DataArea,
    /// `service:Operation` that failed.
    pub operation: String,
    /// The resource it was called for (ARN, id), or empty.
    #[serde(default)]
    pub resource: String,
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "snapshot {path} has schema_version {found}, newer than this build reads ({SCHEMA_VERSION}); upgrade ssoaudit"
    )]
    NewerVersion { path: String, found: u64 },
    #[error("snapshot {path} has no schema_version field (is it an ssoaudit snapshot?)")]
    NoVersion { path: String },
    #[error("snapshot {path}: field `{field}` at line {line} column {column}: {message}")]
    Malformed {
        path: String,
        field: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Snapshot {
    /// Reads and validates a snapshot file.
    pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
        let bytes = std::fs::read(path).map_err(|source| SnapshotError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_slice(&bytes, &path.display().to_string())
    }

    /// Parses a snapshot document; `origin` names it in errors.
    pub fn from_slice(bytes: &[u8], origin: &str) -> Result<Snapshot, SnapshotError> {
        check_version(bytes, origin)?;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let snapshot: Snapshot = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            SnapshotError::Malformed {
                path: origin.to_string(),
                field,
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            }
        })?;
        Ok(snapshot)
    }

    /// Sorts every list and deduplicates sets so that one state serializes one way.
    pub fn normalize(&mut self) {
        // The events' summaries, the longest lists, are sorted beside the rest.
        let mut sign_ins = std::mem::take(&mut self.events.users);
        let mut role_uses = std::mem::take(&mut self.events.role_uses);
        let parallel = sign_ins.len() + role_uses.len() >= PARALLEL_ARRAY;
        let mut sort_events = || {
            sign_ins.sort();
            sign_ins.dedup();
            role_uses.sort();
            role_uses.dedup();
        };
        if parallel {
            std::thread::scope(|scope| {
                scope.spawn(sort_events);
                self.normalize_rest();
            });
        } else {
            sort_events();
            self.normalize_rest();
        }
        self.events.users = sign_ins;
        self.events.role_uses = role_uses;
    }

    fn normalize_rest(&mut self) {
        if let Some(guardrails) = &mut self.guardrails {
            guardrails.enabled_types.sort();
            guardrails.enabled_types.dedup();
            guardrails.policies.sort_by(|a, b| a.id.cmp(&b.id));
            for policy in &mut guardrails.policies {
                policy.targets.sort();
                policy.targets.dedup();
            }
        }
        if let Some(members) = &mut self.member_accounts {
            members.sort_by(|a, b| a.account_id.cmp(&b.account_id));
            for member in members.iter_mut() {
                member.roles.sort_by(|a, b| a.role.arn.cmp(&b.role.arn));
                member.users.sort_by(|a, b| a.arn.cmp(&b.arn));
                member.groups.sort_by(|a, b| a.arn.cmp(&b.arn));
                member.policies.sort_by(|a, b| a.arn.cmp(&b.arn));
                for user in &mut member.users {
                    user.access_keys.sort();
                    user.groups.sort();
                    user.managed_policies.sort();
                }
            }
        }
        let org = &mut self.organization;
        org.organizational_units.sort_by(|a, b| a.id.cmp(&b.id));
        org.accounts.sort_by(|a, b| a.id.cmp(&b.id));
        for permission_set in &mut self.permission_sets {
            permission_set.managed_policies.sort();
            permission_set.managed_policies.dedup();
            permission_set.customer_managed_policies.sort();
            permission_set.customer_managed_policies.dedup();
            permission_set.provisioned_accounts.sort();
            permission_set.provisioned_accounts.dedup();
            permission_set.outdated_accounts.sort();
            permission_set.outdated_accounts.dedup();
        }
        self.permission_sets.sort_by(|a, b| a.arn.cmp(&b.arn));
        for user in &mut self.users {
            user.emails.sort();
            if let Some(ids) = &mut user.external_ids {
                ids.sort();
            }
        }
        for group in &mut self.groups {
            if let Some(ids) = &mut group.external_ids {
                ids.sort();
            }
        }
        self.users.sort_by(|a, b| a.id.cmp(&b.id));
        self.groups.sort_by(|a, b| a.id.cmp(&b.id));
        self.memberships.sort();
        self.memberships.dedup();
        self.assignments.sort();
        self.assignments.dedup();
        self.events.sources.sort();
        self.events.sources.dedup();
        self.events.failures.sort();
        self.events
            .failures
            .dedup_by(|a, b| a.event_id == b.event_id);
        self.events.console_logins.sort();
        self.events
            .console_logins
            .dedup_by(|a, b| a.event_id == b.event_id);
        self.events.root_activity.sort();
        self.events
            .root_activity
            .dedup_by(|a, b| a.event_id == b.event_id);
        self.gaps.sort();
        self.gaps.dedup();
        self.policy_documents.sort_by(|a, b| a.arn.cmp(&b.arn));
        self.policy_documents.dedup_by(|a, b| a.arn == b.arn);
        if let Some(applications) = &mut self.applications {
            for application in applications.iter_mut() {
                application.assignments.sort();
                application.assignments.dedup();
            }
            applications.sort_by(|a, b| a.arn.cmp(&b.arn));
            applications.dedup_by(|a, b| a.arn == b.arn);
        }
        if let Some(access) = &mut self.account_access {
            access.applications.sort();
            access.applications.dedup();
            access.entitlements.sort();
            access.entitlements.dedup();
            for role in &mut access.roles {
                role.managed_policies.sort();
                role.managed_policies.dedup();
                role.inline_policies.sort_by(|a, b| a.name.cmp(&b.name));
                role.inline_policies.dedup_by(|a, b| a.name == b.name);
            }
            access.roles.sort_by(|a, b| a.arn.cmp(&b.arn));
            access.roles.dedup_by(|a, b| a.arn == b.arn);
        }
        if let Some(settings) = &mut self.settings {
            for instance in &mut settings.instances {
                instance.regions.sort();
                instance.regions.dedup();
            }
            settings.instances.sort();
            settings.instances.dedup();
            settings.delegated_administrators.sort();
            settings.delegated_administrators.dedup();
            if let Some(features) = &mut settings.organization_features {
                features.sort();
                features.dedup();
            }
        }
    }

    /// Writes the canonical form, normalizing in place: no copy of the snapshot is held in
    /// memory. Long arrays (users, memberships, assignments, the events' summaries) are
    /// serialized on every core; the bytes are those of the plain printer.
    pub fn write_canonical(&mut self, out: impl std::io::Write) -> std::io::Result<()> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        self.write_canonical_with(out, threads, PARALLEL_ARRAY)
    }

    fn write_canonical_with(
        &mut self,
        out: impl std::io::Write,
        threads: usize,
        parallel_from: usize,
    ) -> std::io::Result<()> {
        use crate::parallel_json::SpliceError;
        use std::io::Write as _;
        self.normalize();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
        let long = self.users.len()
            + self.memberships.len()
            + self.assignments.len()
            + self.events.users.len()
            + self.events.role_uses.len();
        let spliced = if threads > 1 && long >= parallel_from {
            self.write_spliced(&mut out, threads)
        } else {
            Err(SpliceError::Marker(""))
        };
        match spliced {
            Ok(()) => {}
            Err(SpliceError::Io(error)) => return Err(error),
            Err(SpliceError::Json(error)) => return Err(error.into()),
            // Nothing was written: the plain printer writes it all.
            Err(SpliceError::Marker(_)) => serde_json::to_writer_pretty(&mut out, self)?,
        }
        out.write_all(b"\n")?;
        out.flush()
    }

    /// The snapshot with its long arrays serialized side by side (see `parallel_json`).
    fn write_spliced(
        &mut self,
        out: &mut dyn std::io::Write,
        threads: usize,
    ) -> Result<(), crate::parallel_json::SpliceError> {
        use crate::parallel_json::{Objects, SpliceError, Spliced, write};
        use std::mem::take;
        let users = take(&mut self.users);
        let groups = take(&mut self.groups);
        let memberships = take(&mut self.memberships);
        let assignments = take(&mut self.assignments);
        let sign_ins = take(&mut self.events.users);
        let role_uses = take(&mut self.events.role_uses);
        let failures = take(&mut self.events.failures);
        let console_logins = take(&mut self.events.console_logins);
        let result = serde_json::to_vec_pretty(self)
            .map_err(SpliceError::Json)
            .and_then(|skeleton| {
                write(
                    &skeleton,
                    &[
                        Spliced {
                            marker: "\n  \"users\": []",
                            items: &users,
                        },
                        Spliced {
                            marker: "\n  \"groups\": []",
                            items: &groups,
                        },
                        Spliced {
                            marker: "\n  \"memberships\": []",
                            items: &memberships,
                        },
                        Spliced {
                            marker: "\n  \"assignments\": []",
                            items: &assignments,
                        },
                        Spliced {
                            marker: "\n    \"users\": []",
                            items: &Objects(&sign_ins),
                        },
                        Spliced {
                            marker: "\n    \"role_uses\": []",
                            items: &Objects(&role_uses),
                        },
                        Spliced {
                            marker: "\n    \"failures\": []",
                            items: &failures,
                        },
                        Spliced {
                            marker: "\n    \"console_logins\": []",
                            items: &console_logins,
                        },
                    ],
                    threads,
                    out,
                )
            });
        self.users = users;
        self.groups = groups;
        self.memberships = memberships;
        self.assignments = assignments;
        self.events.users = sign_ins;
        self.events.role_uses = role_uses;
        self.events.failures = failures;
        self.events.console_logins = console_logins;
        result
    }

    /// The canonical serialized form: normalized, pretty-printed, newline-terminated.
    pub fn to_canonical_json(&self) -> String {
        let mut copy = self.clone();
        copy.normalize();
        let mut text = serde_json::to_string_pretty(&copy).expect("snapshot serializes");
        text.push('\n');
        text
    }
}

/// Rejects a document written by a newer schema before trying to read its body. The writer puts
/// `schema_version` first, so the prefix usually answers; otherwise one cheap skim of the whole.
fn check_version(bytes: &[u8], origin: &str) -> Result<(), SnapshotError> {
    let found = match version_in_prefix(bytes) {
        Some(v) => Some(v),
        None => {
            #[derive(Deserialize)]
            struct VersionOnly {
                schema_version: Option<serde_json::Value>,
            }
            match serde_json::from_slice::<VersionOnly>(bytes) {
                Ok(v) => v.schema_version.and_then(|v| v.as_u64()),
                // Syntax errors are reported with field context by the full parse.
                Err(_) => return Ok(()),
            }
        }
    };
    match found {
        None => Err(SnapshotError::NoVersion {
            path: origin.to_string(),
        }),
        Some(v) if v > u64::from(SCHEMA_VERSION) => Err(SnapshotError::NewerVersion {
            path: origin.to_string(),
            found: v,
        }),
        Some(_) => Ok(()),
    }
}

fn version_in_prefix(bytes: &[u8]) -> Option<u64> {
    let prefix = &bytes[..bytes.len().min(256)];
    let text = std::str::from_utf8(prefix).ok()?;
    let trimmed = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = trimmed.strip_prefix("\"schema_version\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// serde_json appends " at line L column C"; the error already carries both.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Snapshot {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            settings: Some(Settings::default()),
            applications: Some(Vec::new()),
            account_access: Some(AccountAccess::default()),
            ..Default::default()
        }
    }

    /// The summaries' own writers and serde's derive write the same bytes, at any depth, for
    /// every optional field present or absent and strings that need escaping.
    #[test]
    fn summaries_write_themselves_as_serde_writes_them() {
        use crate::parallel_json::{Items, Objects};
        let texts = [None, Some(""), Some("u-1"), Some("a\"b\\c\n\u{1}é")];
        let mut users = Vec::new();
        for (i, user_id) in texts.iter().enumerate() {
            for (j, time) in texts.iter().enumerate() {
                users.push(UserSignInSummary {
                    user_id: user_id.map(String::from),
                    user_name: texts[(i + 1) % texts.len()].map(String::from),
                    last_sign_in: time.map(String::from),
                    last_sign_in_without_mfa: texts[(j + 2) % texts.len()].map(String::from),
                    first_sign_in_without_mfa: texts[(i + j) % texts.len()].map(String::from),
                    sign_ins_without_mfa: (i * j) as u64,
                    last_external_idp_sign_in: texts[(i + 3) % texts.len()].map(String::from),
                });
            }
        }
        let mut role_uses = Vec::new();
        for (i, text) in texts.iter().flatten().enumerate() {
            for user in [
                UserKey::Id(text.to_string()),
                UserKey::Name(text.to_string()),
            ] {
                role_uses.push(RoleUseSummary {
                    user,
                    account_id: format!("{text}{i}"),
                    permission_set_name: text.to_string(),
                    last_used: format!("t{text}"),
                });
            }
        }
        /// Elements `range` at `indent`, by their own writer and by serde.
        fn both<T: crate::parallel_json::PrettyObject + Serialize>(
            items: &Vec<T>,
            range: std::ops::Range<usize>,
            indent: &[u8],
        ) -> (String, String) {
            let (mut ours, mut serde) = (Vec::new(), Vec::new());
            Objects(items)
                .write_range(range.clone(), indent, &mut ours)
                .unwrap();
            items.write_range(range, indent, &mut serde).unwrap();
            (
                String::from_utf8(ours).unwrap(),
                String::from_utf8(serde).unwrap(),
            )
        }
        for indent in [&b""[..], b"  ", b"    "] {
            let (ours, serde) = both(&users, 0..users.len(), indent);
            assert_eq!(ours, serde);
            let (ours, serde) = both(&role_uses, 1..role_uses.len(), indent);
            assert_eq!(ours, serde);
        }
    }

    #[test]
    fn written_on_every_core_the_bytes_are_the_plain_printers() {
        for fixture in [
            "reference-violating.snapshot.json",
            "reference-compliant.snapshot.json",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(fixture);
            let mut snapshot = Snapshot::load(&path).unwrap();
            assert!(!snapshot.events.users.is_empty() && !snapshot.events.role_uses.is_empty());
            let expected = snapshot.to_canonical_json();
            for threads in [2, 3] {
                let mut written = Vec::new();
                snapshot
                    .write_canonical_with(&mut written, threads, 1)
                    .unwrap();
                assert_eq!(String::from_utf8(written).unwrap(), expected, "{fixture}");
            }
            // And every array still in place afterwards.
            assert_eq!(snapshot.to_canonical_json(), expected);
        }
    }

    #[test]
    fn a_snapshot_without_settings_or_applications_has_not_read_them() {
        let text = Snapshot {
            schema_version: SCHEMA_VERSION,
            ..Default::default()
        }
        .to_canonical_json();
        assert!(!text.contains("\"settings\"") && !text.contains("\"applications\""));
        let loaded = Snapshot::from_slice(text.as_bytes(), "old.json").unwrap();
        let areas: Vec<DataArea> = loaded.unread_areas().iter().map(|(a, _)| *a).collect();
        assert_eq!(
            areas,
            [
                DataArea::Events,
                DataArea::Instances,
                DataArea::Delegation,
                DataArea::OrganizationFeatures,
                DataArea::Applications,
                DataArea::MemberAccounts
            ]
        );
        // With settings and applications, even empty ones, only what was not read stays unread:
        // the events, and root access features that could not be read (null).
        let mut snapshot = minimal();
        snapshot.member_accounts = Some(Vec::new());
        let areas =
            |s: &Snapshot| -> Vec<DataArea> { s.unread_areas().iter().map(|(a, _)| *a).collect() };
        assert_eq!(
            areas(&snapshot),
            [DataArea::Events, DataArea::OrganizationFeatures]
        );
        snapshot.settings.as_mut().unwrap().organization_features = Some(Vec::new());
        assert_eq!(areas(&snapshot), [DataArea::Events]);
    }

    #[test]
    fn round_trip_is_byte_identical() {
        let mut snapshot = minimal();
        snapshot.assignments = vec![
            Assignment {
                account_id: "2".into(),
                permission_set_arn: "b".into(),
                principal_type: PrincipalType::User,
                principal_id: "u".into(),
            },
            Assignment {
                account_id: "1".into(),
                permission_set_arn: "a".into(),
                principal_type: PrincipalType::Group,
                principal_id: "g".into(),
            },
        ];
        let text = snapshot.to_canonical_json();
        let back = Snapshot::from_slice(text.as_bytes(), "mem").unwrap();
        assert_eq!(back.assignments[0].account_id, "1");
        assert_eq!(back.to_canonical_json(), text);
    }

    #[test]
    fn newer_version_is_rejected() {
        let err = Snapshot::from_slice(br#"{"schema_version": 99, "metadata": {}}"#, "x.json")
            .unwrap_err();
        assert!(
            matches!(err, SnapshotError::NewerVersion { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("x.json"));
    }

    #[test]
    fn newer_version_found_when_not_first() {
        let err = Snapshot::from_slice(br#"{"metadata": {}, "schema_version": 7}"#, "x.json")
            .unwrap_err();
        assert!(
            matches!(err, SnapshotError::NewerVersion { found: 7, .. }),
            "{err}"
        );
    }

    #[test]
    fn malformed_field_names_path_and_position() {
        let mut text = minimal().to_canonical_json();
        text = text.replace(
            "\"assignments\": []",
            "\"assignments\": [{\"account_id\": 5}]",
        );
        let err = Snapshot::from_slice(text.as_bytes(), "bad.json").unwrap_err();
        match &err {
            SnapshotError::Malformed { field, line, .. } => {
                assert_eq!(field, "assignments[0].account_id");
                assert!(*line > 1);
            }
            other => panic!("unexpected {other}"),
        }
        let shown = err.to_string();
        assert!(
            shown.contains("bad.json") && shown.contains("assignments[0].account_id"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        let text = minimal()
            .to_canonical_json()
            .replace("\"gaps\": []", "\"gaps\": [], \"extra\": 1");
        let err = Snapshot::from_slice(text.as_bytes(), "x.json").unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
    }
}
