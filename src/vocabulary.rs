//! The typed vocabulary shared by collection, rules and reports: data areas, kinds of finding
//! resource, event sources and the keys that tie evidence to users.
//!
//! Each is an enum serialized as the string users see in snapshots and reports, so a mistyped
//! name is a compile error here and a load error in a file, never a gap that matches no rule.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a string-valued enum: its variants, their names, `ALL`, `as_str`, `parse` and
/// `Display`, in one place.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// Every name, comma-separated, for error messages.
            pub fn names() -> String {
                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The parts of the snapshot a rule reads. A collection gap in one of them makes the result
    /// of every rule that reads it incomplete. Declared in the order of their names, so gaps
    /// sort the same as their serialized form.
    DataArea {
        /// Tags of accounts (Organizations `ListTagsForResource`).
        AccountTags => "account_tags",
        /// Applications of the instance and the users and groups assigned to them.
        Applications => "applications",
        /// Account assignments.
        Assignments => "assignments",
        /// What permission sets can do: every policy document of a set (customer managed
        /// policies live in each account and are unknown to a scan of the management account).
        Capabilities => "capabilities",
        /// Organizations delegated administrators (of Identity Center and IAM).
        Delegation => "delegation",
        /// The stack file given with `--desired` (values only atmos resolves).
        DesiredState => "desired_state",
        /// Account access manager applications and entitlements (IAM roles Identity Center
        /// principals may assume outside permission sets).
        Entitlements => "entitlements",
        /// CloudTrail sign-in and access evidence.
        Events => "events",
        /// The external ids an IdP gives the users and groups it provisions over SCIM (none on
        /// users and groups created in Identity Center).
        ExternalIds => "external_ids",
        Groups => "groups",
        /// Service and resource control policies and where they are attached: the ceiling on
        /// what any policy allows in a member account.
        Guardrails => "guardrails",
        /// Identity Center instances (organization and account instances), their status,
        /// encryption and Regions.
        Instances => "instances",
        /// What member accounts hold in IAM (roles, users, groups, customer managed policies),
        /// read through the member role.
        MemberAccounts => "member_accounts",
        Memberships => "memberships",
        /// Accounts, organizational units, the management account.
        Organization => "organization",
        /// IAM centralized root access features of the organization.
        OrganizationFeatures => "organization_features",
        /// Managed, customer-managed and inline policies and boundaries of permission sets.
        PermissionSetPolicies => "permission_set_policies",
        /// Permission sets: names, session duration, relay state, tags.
        PermissionSets => "permission_sets",
        /// Where each permission set is provisioned, and whether its latest version is.
        Provisioning => "provisioning",
        Users => "users",
    }
}

vocabulary! {
    /// What a finding is about (`resource.kind` in every report).
    ResourceKind {
        Account => "account",
        Group => "group",
        User => "user",
        PermissionSet => "permission_set",
        Assignment => "assignment",
        /// One user's access to an account through one assignment.
        Access => "access",
        /// The root user of an account (evidence of root use).
        RootUser => "root_user",
        /// An IAM user of an account (console logins seen in CloudTrail, or read in a member
        /// account).
        IamUser => "iam_user",
        /// An IAM role of a member account.
        IamRole => "iam_role",
        /// A change between two snapshots (`diff --format sarif`).
        Change => "diff",
    }
}

vocabulary! {
    /// Where sign-in and access events were read from (in name order).
    EventSource {
        /// An Athena table over trail log files.
        Athena => "athena",
        /// A CloudTrail Lake event data store.
        Lake => "lake",
        /// CloudTrail `LookupEvents`.
        LookupEvents => "lookup-events",
        /// Trail log files or exported records in a local folder.
        TrailLogs => "trail-logs",
        /// Trail log files read from S3.
        TrailS3 => "trail-s3",
    }
}

vocabulary! {
    /// The kinds of difference between AWS and the stack file (`check: drift`, `params.kind`).
    DriftKind {
        UnmanagedAssignment => "unmanaged-assignment",
        MissingAssignment => "missing-assignment",
        UnknownAccount => "unknown-account",
        UnknownPrincipal => "unknown-principal",
        UnknownPermissionSet => "unknown-permission-set",
        MissingPermissionSet => "missing-permission-set",
        UnmanagedPermissionSet => "unmanaged-permission-set",
        PermissionSetModified => "permission-set-modified",
    }
}

vocabulary! {
    /// The kinds of evidence check (`check: events`, `params.kind`).
    EventCheckKind {
        SignInWithoutMfa => "sign-in-without-mfa",
        MfaUnverifiableExternalIdp => "mfa-unverifiable-external-idp",
        RootCredentialUse => "root-credential-use",
        SignInFailuresBurst => "sign-in-failures-burst",
    }
}

/// How evidence names a user: by Identity Store id (events of July 2025 and later) or by user
/// name (the legacy shape). Serialized as the id, or as `name:` and the user name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UserKey {
    Id(String),
    Name(String),
}

impl Default for UserKey {
    fn default() -> Self {
        UserKey::Id(String::new())
    }
}

impl UserKey {
    const NAME_PREFIX: &'static str = "name:";

    /// The key of a user from what an event carries: the id when known, else the name.
    pub fn of(user_id: Option<&str>, user_name: Option<&str>) -> Option<UserKey> {
        match (user_id, user_name) {
            (Some(id), _) if !id.is_empty() => Some(UserKey::Id(id.to_string())),
            (_, Some(name)) if !name.is_empty() => Some(UserKey::Name(name.to_string())),
            _ => None,
        }
    }

    /// Reads the serialized form.
    pub fn parse(text: &str) -> UserKey {
        match text.strip_prefix(Self::NAME_PREFIX) {
            Some(name) => UserKey::Name(name.to_string()),
            None => UserKey::Id(text.to_string()),
        }
    }

    /// The id or the name, for display.
    pub fn label(&self) -> &str {
        match self {
            UserKey::Id(id) => id,
            UserKey::Name(name) => name,
        }
    }
}

impl Serialize for UserKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UserKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(UserKey::parse(&text))
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserKey::Id(id) => f.write_str(id),
            UserKey::Name(name) => write!(f, "{}{name}", Self::NAME_PREFIX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_areas_sort_like_their_names() {
        for area in DataArea::ALL {
            assert_eq!(DataArea::parse(area.as_str()), Some(*area));
            let json = serde_json::to_string(area).unwrap();
            assert_eq!(json, format!("\"{area}\""));
        }
        let mut by_name: Vec<DataArea> = DataArea::ALL.to_vec();
        by_name.sort_by_key(|a| a.as_str());
        assert_eq!(by_name, DataArea::ALL, "declare areas in name order");
        assert_eq!(DataArea::parse("event"), None);
        for kind in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(kind.as_str()), Some(*kind));
        }
    }

    #[test]
    fn user_keys_round_trip() {
        for key in [UserKey::Id("906-a".into()), UserKey::Name("a@b.c".into())] {
            assert_eq!(UserKey::parse(&key.to_string()), key);
        }
        assert_eq!(
            UserKey::of(Some(""), Some("bob")),
            Some(UserKey::Name("bob".into()))
        );
        assert_eq!(UserKey::of(None, None), None);
    }
}
