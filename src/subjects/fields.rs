//! The schema of every root variable: each field declared once, with its type, meaning, the
//! data areas its value comes from, and how the value is built from its row. Validation of rule
//! files, the field reference, the data areas a rule reads and the CEL values all derive from
//! these tables.

use super::rows::*;
use super::{Build, Field, FieldType as T};
use crate::vocabulary::DataArea as A;
use cel::Value;

const fn field(
    name: &'static str,
    kind: T,
    doc: &'static str,
    reads: &'static [A],
    build: Build,
) -> Field {
    Field {
        name,
        kind,
        doc,
        reads,
        unseen_when_absent: false,
        build,
    }
}

/// A field of evidence whose null (or old) value may only mean that the event was not seen:
/// a rule reading it concludes from absence, so a gap in the events silences it.
const fn unseen_when_absent(
    name: &'static str,
    kind: T,
    doc: &'static str,
    reads: &'static [A],
    build: Build,
) -> Field {
    Field {
        name,
        kind,
        doc,
        reads,
        unseen_when_absent: true,
        build,
    }
}

const ORG: &[A] = &[A::Organization];

pub const ACCOUNT_FIELDS: &[Field] = &[
    field(
        "id",
        T::String,
        "12-digit account id",
        ORG,
        Build::Account(|r| string(&r.account.id)),
    ),
    field(
        "name",
        T::String,
        "account name in Organizations",
        ORG,
        Build::Account(|r| string(&r.account.name)),
    ),
    field(
        "email",
        T::String,
        "root user email",
        ORG,
        Build::Account(|r| string(&r.account.email)),
    ),
    field(
        "status",
        T::String,
        "ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED",
        ORG,
        Build::Account(|r| string(&r.account.status)),
    ),
    field(
        "ou_path",
        T::String,
        "organizational unit path, e.g. Root/core",
        ORG,
        Build::Account(|r| string(&r.account.ou_path)),
    ),
    field(
        "tags",
        T::Map,
        "account tags",
        &[A::Organization, A::AccountTags],
        Build::Account(|r| string_map(&r.account.tags)),
    ),
    field(
        "is_management",
        T::Bool,
        "the organization's management (root) account",
        ORG,
        Build::Account(|r| Value::Bool(r.is_management)),
    ),
    field(
        "assignment_count",
        T::Int,
        "account assignments in this account",
        &[A::Organization, A::Assignments],
        Build::Account(|r| int(r.assignment_count)),
    ),
    field(
        "account_instances",
        T::Int,
        "IAM Identity Center account instances this account owns (outside the organization instance's control)",
        &[A::Organization, A::Instances],
        Build::Account(|r| {
            int(r
                .settings
                .instances
                .iter()
                .filter(|i| i.owner_account_id == r.account.id && i.arn != r.audited_instance)
                .count())
        }),
    ),
    field(
        "delegated_services",
        T::ListOfStrings,
        "service principals this account is an Organizations delegated administrator for (sso.amazonaws.com, iam.amazonaws.com)",
        &[A::Organization, A::Delegation],
        Build::Account(|r| {
            list_of_strings(
                r.settings
                    .delegated_administrators
                    .iter()
                    .filter(|d| d.account_id == r.account.id)
                    .map(|d| d.service_principal.as_str()),
            )
        }),
    ),
    field(
        "root_access_features",
        T::ListOfStrings,
        "IAM centralized root access features enabled for the organization (RootCredentialsManagement, RootSessions); the same for every account",
        &[A::OrganizationFeatures],
        Build::Account(|r| {
            list_of_strings(
                r.settings
                    .organization_features
                    .iter()
                    .flatten()
                    .map(String::as_str),
            )
        }),
    ),
];

const SETS: &[A] = &[A::PermissionSets];
const POLICIES: &[A] = &[A::PermissionSets, A::PermissionSetPolicies];
const CAPS: &[A] = &[A::PermissionSets, A::PermissionSetPolicies, A::Capabilities];

fn strings(items: &[String]) -> Value {
    list_of_strings(items.iter().map(String::as_str))
}

pub const PERMISSION_SET_FIELDS: &[Field] = &[
    field(
        "arn",
        T::String,
        "permission set ARN",
        SETS,
        Build::PermissionSet(|r| string(&r.set.arn)),
    ),
    field(
        "name",
        T::String,
        "permission set name (the role name for an IAM role)",
        SETS,
        Build::PermissionSet(|r| string(&r.set.name)),
    ),
    field(
        "kind",
        T::String,
        "`permission_set`, or `iam_role` where access goes through an account access manager entitlement: `permission_set` is then the IAM role it lets the principal assume (ARN, name, attached policies and capabilities; roles of member accounts cannot be read, so their capabilities are unknown)",
        &[A::PermissionSets, A::Entitlements],
        Build::PermissionSet(|r| string(r.kind)),
    ),
    field(
        "description",
        T::OptionalString,
        "description",
        SETS,
        Build::PermissionSet(|r| optional_string(r.set.description.as_deref())),
    ),
    field(
        "session_duration",
        T::OptionalString,
        "ISO 8601 session duration, e.g. PT1H",
        SETS,
        Build::PermissionSet(|r| optional_string(r.set.session_duration.as_deref())),
    ),
    field(
        "session_duration_seconds",
        T::Int,
        "session duration in seconds (3600 when unset)",
        SETS,
        Build::PermissionSet(|r| Value::Int(r.facts.session_duration_seconds)),
    ),
    field(
        "relay_state",
        T::OptionalString,
        "relay state URL",
        SETS,
        Build::PermissionSet(|r| optional_string(r.set.relay_state.as_deref())),
    ),
    field(
        "managed_policies",
        T::ListOfStrings,
        "AWS-managed policy ARNs",
        POLICIES,
        Build::PermissionSet(|r| {
            list_of_strings(r.set.managed_policies.iter().map(String::as_str))
        }),
    ),
    field(
        "customer_managed_policies",
        T::ListOfStrings,
        "customer-managed policy references as path+name",
        POLICIES,
        Build::PermissionSet(|r| {
            let references: Vec<String> = r
                .set
                .customer_managed_policies
                .iter()
                .map(|p| format!("{}{}", p.path, p.name))
                .collect();
            strings(&references)
        }),
    ),
    field(
        "inline_policy",
        T::Map,
        "the inline policy document, or null",
        POLICIES,
        Build::PermissionSet(|r| {
            r.set
                .inline_policy
                .as_ref()
                .map(from_json)
                .unwrap_or(Value::Null)
        }),
    ),
    field(
        "has_inline_policy",
        T::Bool,
        "an inline policy is attached",
        POLICIES,
        Build::PermissionSet(|r| Value::Bool(r.set.inline_policy.is_some())),
    ),
    field(
        "inline_admin_grants",
        T::ListOfStrings,
        "inline statements granting administrator-equivalent access, as 'Sid: reason' (superseded by admin_reasons)",
        POLICIES,
        Build::PermissionSet(|r| {
            let grants: Vec<String> = r
                .facts
                .inline_admin_grants
                .iter()
                .map(|g| format!("{}: {}", g.statement, g.reason))
                .collect();
            list_of_strings(grants.iter().map(String::as_str))
        }),
    ),
    field(
        "permissions_boundary",
        T::OptionalString,
        "boundary policy ARN or path+name, or null",
        POLICIES,
        Build::PermissionSet(|r| {
            let boundary = r.set.permissions_boundary.as_ref().and_then(|b| {
                b.managed_policy_arn.clone().or_else(|| {
                    b.customer_managed_policy
                        .as_ref()
                        .map(|p| format!("{}{}", p.path, p.name))
                })
            });
            optional_string(boundary.as_deref())
        }),
    ),
    field(
        "tags",
        T::Map,
        "permission set tags",
        SETS,
        Build::PermissionSet(|r| string_map(&r.set.tags)),
    ),
    field(
        "read_only",
        T::Bool,
        "no action that writes (Write, Permissions management, Tagging) is allowed, even under a condition; assuming named roles is a chained path and does not count",
        CAPS,
        Build::PermissionSet(|r| Value::Bool(r.capabilities.read_only)),
    ),
    field(
        "writable_services",
        T::ListOfStrings,
        "services it can write",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.writable_services)),
    ),
    field(
        "admin_equivalent",
        T::Bool,
        "administrator-equivalent: every action on every resource, or a privilege-escalation method through IAM or a passed role",
        CAPS,
        Build::PermissionSet(|r| Value::Bool(r.capabilities.admin_equivalent)),
    ),
    field(
        "admin_reasons",
        T::ListOfStrings,
        "why it is administrator-equivalent: policy, statement and action",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.admin_reasons)),
    ),
    field(
        "escalation_paths",
        T::ListOfStrings,
        "privilege-escalation methods it allows on every resource, with their sources",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.escalation_paths)),
    ),
    field(
        "can_assume_root",
        T::Bool,
        "sts:AssumeRoot is allowed (even under a condition)",
        CAPS,
        Build::PermissionSet(|r| Value::Bool(r.capabilities.can_assume_root)),
    ),
    field(
        "can_manage_identity_center",
        T::Bool,
        "IAM Identity Center or Identity Store writes are allowed",
        CAPS,
        Build::PermissionSet(|r| Value::Bool(r.capabilities.can_manage_identity_center)),
    ),
    field(
        "can_manage_organization",
        T::Bool,
        "Organizations or Account Management writes are allowed",
        CAPS,
        Build::PermissionSet(|r| Value::Bool(r.capabilities.can_manage_organization)),
    ),
    field(
        "can_assume_any_role",
        T::Bool,
        "sts:AssumeRole on every resource (from the management account: every OrganizationAccountAccessRole)",
        CAPS,
        Build::PermissionSet(|r| Value::Bool(r.capabilities.can_assume_any_role)),
    ),
    field(
        "conditional_grants",
        T::ListOfStrings,
        "grants that hold only under a condition",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.conditional_grants)),
    ),
    field(
        "guardrails",
        T::ListOfStrings,
        "what the organization's SCPs take from what the policies allow where it is provisioned: the SCP or level, with the count of actions and examples",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.guardrails)),
    ),
    field(
        "unknown_policies",
        T::ListOfStrings,
        "policies whose content could not be analysed (a rule reading capabilities is incomplete on them)",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.unknown)),
    ),
    field(
        "unknown_actions",
        T::ListOfStrings,
        "allowed actions the action catalog does not know (new or mistyped)",
        CAPS,
        Build::PermissionSet(|r| strings(&r.capabilities.unknown_actions)),
    ),
    field(
        "provisioned_accounts",
        T::ListOfStrings,
        "accounts the set is provisioned to",
        &[A::PermissionSets, A::Provisioning],
        Build::PermissionSet(|r| {
            list_of_strings(r.set.provisioned_accounts.iter().map(String::as_str))
        }),
    ),
    field(
        "outdated_accounts",
        T::ListOfStrings,
        "accounts where the latest version is not provisioned",
        &[A::PermissionSets, A::Provisioning],
        Build::PermissionSet(|r| {
            list_of_strings(r.set.outdated_accounts.iter().map(String::as_str))
        }),
    ),
    field(
        "assigned_accounts",
        T::ListOfStrings,
        "accounts the set is assigned in",
        &[A::PermissionSets, A::Assignments],
        Build::PermissionSet(|r| list_of_strings(r.assigned.iter().copied())),
    ),
    field(
        "provisioning_drift_accounts",
        T::ListOfStrings,
        "assigned accounts where the latest version is not provisioned",
        &[A::PermissionSets, A::Provisioning, A::Assignments],
        Build::PermissionSet(|r| {
            let provisioned: rustc_hash::FxHashSet<&str> = r
                .set
                .provisioned_accounts
                .iter()
                .map(String::as_str)
                .collect();
            let outdated: rustc_hash::FxHashSet<&str> =
                r.set.outdated_accounts.iter().map(String::as_str).collect();
            list_of_strings(
                r.assigned
                    .iter()
                    .copied()
                    .filter(|a| !provisioned.contains(a) || outdated.contains(a)),
            )
        }),
    ),
    field(
        "assignment_count",
        T::Int,
        "account assignments of this set",
        &[A::PermissionSets, A::Assignments],
        Build::PermissionSet(|r| int(r.assignment_count)),
    ),
];

const GROUPS: &[A] = &[A::Groups];

pub const GROUP_FIELDS: &[Field] = &[
    field(
        "id",
        T::String,
        "Identity Store group id",
        GROUPS,
        Build::Group(|r| string(&r.group.id)),
    ),
    field(
        "name",
        T::String,
        "display name",
        GROUPS,
        Build::Group(|r| string(&r.group.display_name)),
    ),
    field(
        "display_name",
        T::String,
        "display name",
        GROUPS,
        Build::Group(|r| string(&r.group.display_name)),
    ),
    field(
        "description",
        T::OptionalString,
        "description",
        GROUPS,
        Build::Group(|r| optional_string(r.group.description.as_deref())),
    ),
    field(
        "member_count",
        T::Int,
        "number of members",
        &[A::Groups, A::Memberships],
        Build::Group(|r| int(r.member_count)),
    ),
    field(
        "assignment_count",
        T::Int,
        "account assignments to this group",
        &[A::Groups, A::Assignments],
        Build::Group(|r| int(r.assignment_count)),
    ),
    field(
        "external_ids",
        T::ListOfStrings,
        "the identifiers the IdP gave the group when it provisioned it over SCIM (`issuer id`); empty for a group created in Identity Center (by hand, or by Terraform)",
        &[A::Groups, A::ExternalIds],
        Build::Group(|r| external_ids(r.group.external_ids.as_deref())),
    ),
    field(
        "identity_source",
        T::String,
        "`external` when an IdP provisions the Identity Store (some user or group carries an external id), else `identity_center`",
        &[A::Users, A::Groups, A::ExternalIds],
        Build::Group(|r| string(identity_source(r.external_source))),
    ),
    field(
        "created_at",
        T::OptionalTimestamp,
        "when the Identity Store created the group, or null where it does not say",
        GROUPS,
        Build::Group(|r| timestamp(r.group.created_at.as_deref())),
    ),
    field(
        "declared_in_stack",
        T::Bool,
        "the stack given with `--desired` declares the group in the aws-sso component's `groups` (groups Terraform creates itself); false without `--desired`",
        &[A::Groups, A::DesiredState],
        Build::Group(|r| Value::Bool(r.declared == Some(true))),
    ),
    field(
        "stack",
        T::String,
        "what the stack says of the group: `declared in the stack's groups`, `not in the stack's groups`, or `no stack file given (--desired)`",
        &[A::Groups, A::DesiredState],
        Build::Group(|r| {
            string(match r.declared {
                Some(true) => "declared in the stack's groups",
                Some(false) => "not in the stack's groups",
                None => "no stack file given (--desired)",
            })
        }),
    ),
];

const USERS: &[A] = &[A::Users];
const USER_EVENTS: &[A] = &[A::Users, A::Events];

pub const USER_FIELDS: &[Field] = &[
    field(
        "id",
        T::String,
        "Identity Store user id",
        USERS,
        Build::User(|r| string(&r.user.id)),
    ),
    field(
        "name",
        T::String,
        "user name",
        USERS,
        Build::User(|r| string(&r.user.user_name)),
    ),
    field(
        "user_name",
        T::String,
        "user name",
        USERS,
        Build::User(|r| string(&r.user.user_name)),
    ),
    field(
        "display_name",
        T::OptionalString,
        "display name",
        USERS,
        Build::User(|r| optional_string(r.user.display_name.as_deref())),
    ),
    field(
        "email",
        T::OptionalString,
        "primary email",
        USERS,
        Build::User(|r| optional_string(super::primary_email(r.user))),
    ),
    field(
        "emails",
        T::ListOfStrings,
        "all emails",
        USERS,
        Build::User(|r| list_of_strings(r.user.emails.iter().map(|e| e.value.as_str()))),
    ),
    field(
        "direct_application_assignments",
        T::ListOfStrings,
        "names of the applications the user is assigned to directly (not through a group)",
        &[A::Users, A::Applications],
        Build::User(|r| list_of_strings(r.model.direct_applications(r.position).iter().copied())),
    ),
    field(
        "active",
        T::Bool,
        "false for disabled or suspended users",
        USERS,
        Build::User(|r| Value::Bool(r.user.active)),
    ),
    field(
        "external_ids",
        T::ListOfStrings,
        "the identifiers the IdP gave the user when it provisioned it over SCIM (`issuer id`); empty for a user created in Identity Center",
        &[A::Users, A::ExternalIds],
        Build::User(|r| external_ids(r.user.external_ids.as_deref())),
    ),
    field(
        "identity_source",
        T::String,
        "`external` when an IdP provisions the Identity Store (some user or group carries an external id), else `identity_center`",
        &[A::Users, A::Groups, A::ExternalIds],
        Build::User(|r| string(identity_source(r.model.identity_source_external))),
    ),
    field(
        "created_at",
        T::OptionalTimestamp,
        "when the Identity Store created (provisioned) the user, or null where it does not say",
        USERS,
        Build::User(|r| timestamp(r.user.created_at.as_deref())),
    ),
    field(
        "groups",
        T::ListOfStrings,
        "display names of the user's groups",
        &[A::Users, A::Groups, A::Memberships],
        Build::User(|r| {
            list_of_strings(
                r.model.user_groups[r.position]
                    .iter()
                    .map(|&g| r.model.snapshot.groups[g].display_name.as_str()),
            )
        }),
    ),
    field(
        "has_access",
        T::Bool,
        "holds access (an account assignment or an account access manager entitlement) directly or through a group",
        &[
            A::Users,
            A::Assignments,
            A::Entitlements,
            A::Groups,
            A::Memberships,
        ],
        Build::User(|r| Value::Bool(r.model.user_has_access[r.position])),
    ),
    field(
        "direct_assignment_count",
        T::Int,
        "account assignments made to the user directly",
        &[A::Users, A::Assignments],
        Build::User(|r| int(r.model.direct_assignments_per_user[r.position])),
    ),
    unseen_when_absent(
        "last_sign_in",
        T::OptionalTimestamp,
        "the last successful sign-in seen in the events, or null when none was seen",
        USER_EVENTS,
        Build::User(|r| timestamp(r.model.user_evidence()[r.position].last_sign_in)),
    ),
    field(
        "last_sign_in_without_mfa",
        T::OptionalTimestamp,
        "the last successful IAM Identity Center sign-in with a single factor, or null",
        USER_EVENTS,
        Build::User(|r| timestamp(r.model.user_evidence()[r.position].last_sign_in_without_mfa)),
    ),
    field(
        "last_external_idp_sign_in",
        T::OptionalTimestamp,
        "the last sign-in through an external IdP (whose MFA CloudTrail cannot show), or null",
        USER_EVENTS,
        Build::User(|r| timestamp(r.model.user_evidence()[r.position].last_external_idp_sign_in)),
    ),
    field(
        "failed_sign_ins",
        T::Int,
        "failed IAM Identity Center sign-ins seen in the events",
        USER_EVENTS,
        Build::User(|r| Value::Int(r.model.user_evidence()[r.position].failed_sign_ins)),
    ),
];

/// What chained routes are made of: assignments and entitlements, and the roles (with their
/// trust policies) of the member accounts.
const CHAIN_READS: &[A] = &[A::Assignments, A::Entitlements, A::MemberAccounts];

pub const ASSIGNMENT_FIELDS: &[Field] = &[
    field(
        "route",
        T::String,
        "how the principal gets in: `assignment` (a permission set), `entitlement` (an account access manager entitlement to an IAM role) or `chain` (an IAM role reached by assuming roles from an assignment or entitlement; `permission_set` is then that role; chains are followed where the member accounts' roles were read)",
        &[A::Assignments, A::Entitlements],
        Build::Assignment(|r| {
            let route = &r.model.routes[r.position];
            string(match (route.entitlement, route.chain) {
                (_, Some(_)) => "chain",
                (Some(_), None) => "entitlement",
                (None, None) => "assignment",
            })
        }),
    ),
    field(
        "chain",
        T::String,
        "a chained route's path of roles, each with its account's name (`role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Set_… (identity) → role/team (identity) → role/admin (root)`), empty for the other routes",
        CHAIN_READS,
        Build::Assignment(|r| match r.model.routes[r.position].chain {
            Some(c) => string(&r.model.chains[c as usize].path),
            None => string(""),
        }),
    ),
    field(
        "hops",
        T::Int,
        "a chained route's number of role assumptions (0 for the other routes); a chained session lasts at most one hour",
        CHAIN_READS,
        Build::Assignment(|r| match r.model.routes[r.position].chain {
            Some(c) => int(r.model.chains[c as usize].hops.len()),
            None => int(0),
        }),
    ),
    field(
        "chain_conditional",
        T::Bool,
        "some hop of a chained route depends on a condition the snapshot cannot decide (a tag, MFA, an external id): the chain may or may not be usable",
        CHAIN_READS,
        Build::Assignment(|r| {
            Value::Bool(
                r.model.routes[r.position]
                    .chain
                    .is_some_and(|c| r.model.chains[c as usize].conditional),
            )
        }),
    ),
    field(
        "holders",
        T::Int,
        "users who hold it: the group's members, or 1 for a direct assignment (0 for a principal not in the Identity Store)",
        &[A::Assignments, A::Users, A::Groups, A::Memberships],
        Build::Assignment(|r| int(r.model.assignment_holders(r.position).len())),
    ),
    unseen_when_absent(
        "last_used",
        T::OptionalTimestamp,
        "the last time a holder took this permission set's role in this account (GetRoleCredentials), or null when none was seen",
        &[
            A::Assignments,
            A::Users,
            A::Groups,
            A::Memberships,
            A::Events,
        ],
        Build::Assignment(|r| timestamp(r.model.assignment_last_used()[r.position])),
    ),
];

pub const PRINCIPAL_FIELDS: &[Field] = &[
    field(
        "type",
        T::String,
        "GROUP or USER",
        &[A::Users, A::Groups],
        Build::Principal(|r| string(r.kind)),
    ),
    field(
        "id",
        T::String,
        "Identity Store id",
        &[A::Users, A::Groups],
        Build::Principal(|r| string(r.id)),
    ),
    field(
        "name",
        T::String,
        "group display name or user name",
        &[A::Users, A::Groups],
        Build::Principal(|r| string(r.name)),
    ),
    field(
        "exists",
        T::Bool,
        "the principal exists in the Identity Store",
        &[A::Users, A::Groups],
        Build::Principal(|r| Value::Bool(r.exists)),
    ),
    field(
        "active",
        T::Bool,
        "false for a disabled user; true for groups",
        &[A::Users, A::Groups],
        Build::Principal(|r| Value::Bool(r.active)),
    ),
];

/// What a drift rule's message can show (`check: drift`).
pub const DRIFT_FIELDS: &[Field] = &[
    field(
        "kind",
        T::String,
        "the kind of drift (params.kind)",
        &[],
        Build::Drift(|r| string(r.item.kind.as_str())),
    ),
    field(
        "account_key",
        T::String,
        "the account key in the stack",
        &[],
        Build::Drift(|r| string(&r.item.account_key)),
    ),
    field(
        "account_id",
        T::String,
        "the account id",
        &[],
        Build::Drift(|r| string(&r.item.account_id)),
    ),
    field(
        "account_name",
        T::String,
        "the account name in Organizations",
        &[],
        Build::Drift(|r| string(&r.item.account_name)),
    ),
    field(
        "principal_type",
        T::String,
        "GROUP or USER",
        &[],
        Build::Drift(|r| string(&r.item.principal_type)),
    ),
    field(
        "principal_name",
        T::String,
        "group display name or user name",
        &[],
        Build::Drift(|r| string(&r.item.principal_name)),
    ),
    field(
        "permission_set",
        T::String,
        "permission set name",
        &[],
        Build::Drift(|r| string(&r.item.permission_set)),
    ),
    field(
        "detail",
        T::String,
        "what differs",
        &[],
        Build::Drift(|r| string(&r.item.detail)),
    ),
    field(
        "stack_file",
        T::String,
        "the stack file",
        &[],
        Build::Drift(|r| string(r.stack_file)),
    ),
    field(
        "line",
        T::Int,
        "the line of the declaration in the stack file",
        &[],
        Build::Drift(|r| Value::Int(i64::from(r.item.line))),
    ),
];

/// What an events rule's message can show (`check: events`).
pub const EVENT_FIELDS: &[Field] = &[
    field(
        "kind",
        T::String,
        "the kind of evidence rule (params.kind)",
        &[A::Events],
        Build::Event(|r| string(r.kind)),
    ),
    field(
        "user_name",
        T::String,
        "user name (or root, or the IAM user)",
        &[A::Events],
        Build::Event(|r| string(&r.user_name)),
    ),
    field(
        "user_id",
        T::String,
        "Identity Store user id, when known",
        &[A::Events],
        Build::Event(|r| string(&r.user_id)),
    ),
    field(
        "account_id",
        T::String,
        "account id",
        &[A::Events],
        Build::Event(|r| string(&r.account_id)),
    ),
    field(
        "account_name",
        T::String,
        "account name",
        &[A::Events],
        Build::Event(|r| string(&r.account_name)),
    ),
    field(
        "time",
        T::String,
        "the time of the last event the finding is about (RFC 3339)",
        &[A::Events],
        Build::Event(|r| string(&r.time)),
    ),
    field(
        "first_time",
        T::String,
        "the time of the first event the finding is about (RFC 3339), when known",
        &[A::Events],
        Build::Event(|r| string(&r.first_time)),
    ),
    field(
        "count",
        T::Int,
        "how many events the finding sums up",
        &[A::Events],
        Build::Event(|r| Value::Int(r.count)),
    ),
    field(
        "sessions",
        T::ListOfStrings,
        "the access keys, sessions or sign-in workflows involved",
        &[A::Events],
        Build::Event(|r| list_of_strings(r.sessions.iter().map(String::as_str))),
    ),
    field(
        "detail",
        T::String,
        "what the evidence shows",
        &[A::Events],
        Build::Event(|r| string(&r.detail)),
    ),
];

/// What a `member-accounts` rule's message can show.
pub const MEMBER_FIELDS: &[Field] = &[
    field(
        "kind",
        T::String,
        "the kind of member-account rule (params.kind)",
        &[A::MemberAccounts],
        Build::Member(|r| string(r.kind)),
    ),
    field(
        "account_id",
        T::String,
        "the member account's id",
        &[A::MemberAccounts],
        Build::Member(|r| string(&r.account_id)),
    ),
    field(
        "account_name",
        T::String,
        "the member account's name",
        &[A::MemberAccounts],
        Build::Member(|r| string(&r.account_name)),
    ),
    field(
        "name",
        T::String,
        "the IAM user's or role's name",
        &[A::MemberAccounts],
        Build::Member(|r| string(&r.name)),
    ),
    field(
        "arn",
        T::String,
        "the IAM user's or role's ARN",
        &[A::MemberAccounts],
        Build::Member(|r| string(&r.arn)),
    ),
    field(
        "last_used",
        T::String,
        "when it was last used (RFC 3339), or `never`",
        &[A::MemberAccounts],
        Build::Member(|r| {
            string(if r.last_used.is_empty() {
                "never"
            } else {
                &r.last_used
            })
        }),
    ),
    field(
        "detail",
        T::String,
        "what was found",
        &[A::MemberAccounts],
        Build::Member(|r| string(&r.detail)),
    ),
];

/// What a `check: identity-changed` rule's message can show.
pub const IDENTITY_FIELDS: &[Field] = &[
    field(
        "name",
        T::String,
        "the user's name",
        &[A::Users],
        Build::Identity(|r| string(&r.name)),
    ),
    field(
        "id",
        T::String,
        "the Identity Store user id",
        &[A::Users],
        Build::Identity(|r| string(&r.id)),
    ),
    field(
        "external_ids",
        T::String,
        "its external ids now (`issuer id`, comma-separated)",
        &[A::Users, A::ExternalIds],
        Build::Identity(|r| string(&r.external_ids)),
    ),
    field(
        "detail",
        T::String,
        "what changed since the previous snapshot",
        &[A::Users, A::ExternalIds],
        Build::Identity(|r| string(&r.detail)),
    ),
];

/// What a `required-names` rule's message can show.
pub const MISSING_FIELDS: &[Field] = &[field(
    "name",
    T::String,
    "the required name that was not found",
    &[],
    Build::Missing(string),
)];
