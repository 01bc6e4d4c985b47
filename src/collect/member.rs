//! Member accounts read through a read-only role that exists in each of them (`--member-role`):
//! STS `AssumeRole` (session name `ssoaudit`, an optional external id), then the account's IAM
//! with the role's credentials: `GetAccountAuthorizationDetails` (roles with their trust,
//! inline, attached and boundary policies; users; groups; customer managed policies at their
//! default version), `ListUsers` (when a password was last used), and per IAM user
//! `GetLoginProfile`, `ListAccessKeys` and `GetAccessKeyLastUsed`. Read-only calls only: no
//! credential report, since generating one is a write. Accounts are read concurrently; one
//! whose role cannot be assumed or read is a gap naming the account and the call, and the rest
//! is still read. The management account's IAM is read the same way with the scanning
//! credentials (no role to assume there; its entry has an empty `role_arn`), so role chains
//! that end in it are seen.

use super::Scan;
use super::calls::{CallError, Service};
use super::iam::parse_document;
use crate::snapshot::{
    AccessKey, Account, IamGroup, IamUser, MemberAccount, MemberRole, PolicyDocument, Role,
    RoleInlinePolicy,
};
use crate::vocabulary::DataArea;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The member role: a name or path with placeholders, per-account overrides, an external id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberRoleSpec {
    /// `ssoaudit-read`, `/audit/ssoaudit-read`, or with placeholders: `{account_id}`,
    /// `{account_name}`, and for Cloud Posse account names `TENANT-STAGE`, `{tenant}` and
    /// `{stage}` (`acme-{tenant}-gbl-{stage}-observer`). A full role ARN is taken as it is.
    pub template: String,
    /// By account id or name: the role to use there instead.
    pub overrides: BTreeMap<String, String>,
    pub external_id: Option<String>,
}

impl MemberRoleSpec {
    /// The role ARN to assume in `account`.
    pub fn role_arn(&self, account: &Account) -> Result<String, String> {
        let template = self
            .overrides
            .get(&account.id)
            .or_else(|| self.overrides.get(&account.name))
            .unwrap_or(&self.template);
        let (tenant, stage) = account.name.split_once('-').unwrap_or(("", ""));
        let mut name = template.clone();
        for (placeholder, value) in [
            ("{account_id}", account.id.as_str()),
            ("{account_name}", account.name.as_str()),
            ("{tenant}", tenant),
            ("{stage}", stage),
        ] {
            if name.contains(placeholder) && value.is_empty() {
                return Err(format!(
                    "member role `{template}`: account {} ({}) has no {placeholder} (its name is not TENANT-STAGE)",
                    account.name, account.id
                ));
            }
            name = name.replace(placeholder, value);
        }
        if let Some(open) = name.find('{') {
            return Err(format!(
                "member role `{template}`: unknown placeholder `{}`; known: {{account_id}}, {{account_name}}, {{tenant}}, {{stage}}",
                &name[open..=name[open..].find('}').map_or(open, |c| open + c)]
            ));
        }
        if name.starts_with("arn:") {
            return Ok(name);
        }
        let path = if name.starts_with('/') {
            name
        } else {
            format!("/{name}")
        };
        Ok(format!("arn:aws:iam::{}:role{path}", account.id))
    }
}

/// Reads every member account of `accounts` (all but `management`) through the member role.
pub(crate) async fn collect(
    scan: &Arc<Scan>,
    config: &aws_config::SdkConfig,
    spec: &MemberRoleSpec,
    accounts: &[Account],
    management: &str,
) -> Vec<MemberAccount> {
    let sts = aws_sdk_sts::Client::new(config);
    let mut tasks = tokio::task::JoinSet::new();
    // A bounded number of accounts at a time: each holds its own credentials and clients.
    let permits = Arc::new(tokio::sync::Semaphore::new(16));
    for account in accounts.iter().filter(|a| a.id != management) {
        // A suspended or closing account cannot be signed in to or assumed: said, not read.
        if account.status != "ACTIVE" && !account.status.is_empty() {
            scan.progress.note(&format!(
                "member account {} ({}) not read: it is {}",
                account.name, account.id, account.status
            ));
            continue;
        }
        let role_arn = match spec.role_arn(account) {
            Ok(arn) => arn,
            Err(error) => {
                scan.gap(
                    DataArea::MemberAccounts,
                    Service::Sts,
                    "AssumeRole",
                    &account.id,
                    &CallError::Failed(error),
                );
                continue;
            }
        };
        let (scan, sts, config, permits) =
            (scan.clone(), sts.clone(), config.clone(), permits.clone());
        let (account_id, external_id) = (account.id.clone(), spec.external_id.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            read_account(&scan, &sts, &config, account_id, role_arn, external_id).await
        });
    }
    // The management account, with the scanning credentials.
    if let Some(account) = accounts.iter().find(|a| a.id == management) {
        let (scan, config, account_id) = (scan.clone(), config.clone(), account.id.clone());
        tasks.spawn(async move {
            let iam = aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&config)
                    .region(aws_config::Region::new("us-east-1"))
                    .build(),
            );
            read_iam(&scan, &iam, account_id, String::new(), Service::Iam).await
        });
    }
    let mut members = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Some(member) = joined.expect("member account task") {
            members.push(member);
        }
    }
    scan.progress
        .note(&format!("member accounts: {} read", members.len()));
    members
}

/// One member account, or None (with a gap) when its role cannot be assumed or IAM not read.
async fn read_account(
    scan: &Scan,
    sts: &aws_sdk_sts::Client,
    config: &aws_config::SdkConfig,
    account_id: String,
    role_arn: String,
    external_id: Option<String>,
) -> Option<MemberAccount> {
    let assumed = scan
        .caller
        .call(Service::Sts, "AssumeRole", || {
            sts.assume_role()
                .role_arn(&role_arn)
                .role_session_name("ssoaudit")
                .set_external_id(external_id.clone())
                .send()
        })
        .await;
    let credentials = match assumed.and_then(|output| {
        output
            .credentials()
            .cloned()
            .ok_or_else(|| CallError::Failed("the answer holds no credentials".into()))
    }) {
        Ok(credentials) => credentials,
        Err(error) => {
            scan.gap(
                DataArea::MemberAccounts,
                Service::Sts,
                "AssumeRole",
                &format!("{account_id} {role_arn}"),
                &error,
            );
            return None;
        }
    };
    let iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(config)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                credentials.access_key_id(),
                credentials.secret_access_key(),
                Some(credentials.session_token().to_string()),
                None,
                "ssoaudit-member-role",
            ))
            .build(),
    );
    read_iam(scan, &iam, account_id, role_arn, Service::MemberIam).await
}

/// One account's IAM through `iam`, or None (with a gap) when it cannot be read. `role_arn` is
/// the role the client's credentials are of, empty for the scanning credentials.
async fn read_iam(
    scan: &Scan,
    iam: &aws_sdk_iam::Client,
    account_id: String,
    role_arn: String,
    service: Service,
) -> Option<MemberAccount> {
    let through = if role_arn.is_empty() {
        "(scanning credentials)"
    } else {
        role_arn.as_str()
    };
    let gap = |operation: &str, error: &CallError| {
        scan.gap(
            DataArea::MemberAccounts,
            service,
            operation,
            &format!("{account_id} {through}"),
            error,
        )
    };
    let mut member = MemberAccount {
        account_id: account_id.clone(),
        role_arn: role_arn.clone(),
        ..Default::default()
    };
    if let Err(error) = authorization_details(scan, iam, service, &mut member).await {
        gap("GetAccountAuthorizationDetails", &error);
        return None;
    }
    // When each console password was last used.
    let mut password_used: BTreeMap<String, String> = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = scan
            .caller
            .call(service, "ListUsers", || {
                iam.list_users()
                    .max_items(1000)
                    .set_marker(marker.clone())
                    .send()
            })
            .await;
        match page {
            Ok(page) => {
                for user in page.users() {
                    if let Some(time) = user.password_last_used() {
                        password_used.insert(user.arn().to_string(), rfc3339(time));
                    }
                }
                marker = page
                    .marker()
                    .map(str::to_string)
                    .filter(|_| page.is_truncated());
                if marker.is_none() {
                    break;
                }
            }
            Err(error) => {
                gap("ListUsers", &error);
                break;
            }
        }
    }
    for user in &mut member.users {
        user.password_last_used = password_used.get(&user.arn).cloned();
        if let Err((operation, error)) = user_credentials(scan, iam, service, user).await {
            gap(operation, &error);
        }
    }
    Some(member)
}

fn rfc3339(time: &aws_smithy_types::DateTime) -> String {
    time.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// A URL-encoded policy document, or an error naming what it belongs to.
fn document(text: Option<&str>, of: &str) -> Result<Option<serde_json::Value>, CallError> {
    match text {
        None => Ok(None),
        Some(text) => parse_document(text)
            .map(Some)
            .ok_or_else(|| CallError::Failed(format!("the policy document of {of} is not JSON"))),
    }
}

fn inline_policies(
    list: &[aws_sdk_iam::types::PolicyDetail],
    of: &str,
) -> Result<Vec<RoleInlinePolicy>, CallError> {
    list.iter()
        .map(|p| {
            let name = p.policy_name().unwrap_or_default().to_string();
            Ok(RoleInlinePolicy {
                document: document(p.policy_document(), &format!("{of} inline {name}"))?
                    .unwrap_or_default(),
                name,
            })
        })
        .collect()
}

fn attached(list: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<String> {
    list.iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

/// Roles, users, groups and customer managed policies of the account, every page.
async fn authorization_details(
    scan: &Scan,
    iam: &aws_sdk_iam::Client,
    service: Service,
    member: &mut MemberAccount,
) -> Result<(), CallError> {
    use aws_sdk_iam::types::EntityType;
    let mut marker: Option<String> = None;
    loop {
        let page = scan
            .caller
            .call(service, "GetAccountAuthorizationDetails", || {
                iam.get_account_authorization_details()
                    .set_filter(Some(vec![
                        EntityType::Role,
                        EntityType::User,
                        EntityType::Group,
                        EntityType::LocalManagedPolicy,
                    ]))
                    .max_items(1000)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        for role in page.role_detail_list() {
            let arn = role.arn().unwrap_or_default().to_string();
            member.roles.push(MemberRole {
                role: Role {
                    name: role.role_name().unwrap_or_default().to_string(),
                    trust_policy: document(
                        role.assume_role_policy_document(),
                        &format!("{arn} trust"),
                    )?,
                    managed_policies: attached(role.attached_managed_policies()),
                    inline_policies: inline_policies(role.role_policy_list(), &arn)?,
                    permissions_boundary: role
                        .permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn())
                        .map(str::to_string),
                    arn,
                },
                path: role.path().unwrap_or("/").to_string(),
                last_used: role
                    .role_last_used()
                    .and_then(|u| u.last_used_date())
                    .map(rfc3339),
            });
        }
        for user in page.user_detail_list() {
            let arn = user.arn().unwrap_or_default().to_string();
            member.users.push(IamUser {
                name: user.user_name().unwrap_or_default().to_string(),
                managed_policies: attached(user.attached_managed_policies()),
                inline_policies: inline_policies(user.user_policy_list(), &arn)?,
                groups: user.group_list().to_vec(),
                permissions_boundary: user
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string),
                arn,
                ..Default::default()
            });
        }
        for group in page.group_detail_list() {
            let arn = group.arn().unwrap_or_default().to_string();
            member.groups.push(IamGroup {
                name: group.group_name().unwrap_or_default().to_string(),
                managed_policies: attached(group.attached_managed_policies()),
                inline_policies: inline_policies(group.group_policy_list(), &arn)?,
                arn,
            });
        }
        for policy in page.policies() {
            let arn = policy.arn().unwrap_or_default().to_string();
            let default = policy.default_version_id().unwrap_or_default();
            let Some(version) = policy
                .policy_version_list()
                .iter()
                .find(|v| v.is_default_version() || v.version_id() == Some(default))
            else {
                return Err(CallError::Failed(format!(
                    "{arn}: the default version {default} is not in the answer"
                )));
            };
            member.policies.push(PolicyDocument {
                document: document(version.document(), &arn)?.unwrap_or_default(),
                version: version.version_id().unwrap_or(default).to_string(),
                arn,
            });
        }
        marker = page
            .marker()
            .map(str::to_string)
            .filter(|_| page.is_truncated());
        if marker.is_none() {
            return Ok(());
        }
    }
}

/// Whether a user can sign in to the console, and its access keys with their last use.
async fn user_credentials(
    scan: &Scan,
    iam: &aws_sdk_iam::Client,
    service: Service,
    user: &mut IamUser,
) -> Result<(), (&'static str, CallError)> {
    let login = scan
        .caller
        .call(service, "GetLoginProfile", || {
            iam.get_login_profile().user_name(&user.name).send()
        })
        .await;
    user.console_password = match login {
        Ok(_) => true,
        Err(CallError::NotFound(_)) => false,
        Err(error) => return Err(("GetLoginProfile", error)),
    };
    let keys = scan
        .caller
        .call(service, "ListAccessKeys", || {
            iam.list_access_keys().user_name(&user.name).send()
        })
        .await
        .map_err(|e| ("ListAccessKeys", e))?;
    for key in keys.access_key_metadata() {
        let id = key.access_key_id().unwrap_or_default().to_string();
        let used = scan
            .caller
            .call(service, "GetAccessKeyLastUsed", || {
                iam.get_access_key_last_used().access_key_id(&id).send()
            })
            .await
            .map_err(|e| ("GetAccessKeyLastUsed", e))?;
        user.access_keys.push(AccessKey {
            status: key
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            last_used: used
                .access_key_last_used()
                .and_then(|u| u.last_used_date())
                .map(rfc3339),
            id,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: &str) -> Account {
        Account {
            id: id.into(),
            name: name.into(),
            status: "ACTIVE".into(),
            ..Default::default()
        }
    }

    #[test]
    fn role_names_follow_the_account_naming_scheme() {
        let spec = MemberRoleSpec {
            template: "acme-{tenant}-gbl-{stage}-observer".into(),
            overrides: BTreeMap::from([(
                "core-audit".to_string(),
                "/audit/ssoaudit-{account_id}".to_string(),
            )]),
            external_id: None,
        };
        assert_eq!(
            spec.role_arn(&account("111111111111", "plat-prod"))
                .unwrap(),
            "arn:aws:iam::111111111111:role/acme-plat-gbl-prod-observer"
        );
        assert_eq!(
            spec.role_arn(&account("222222222222", "core-audit"))
                .unwrap(),
            "arn:aws:iam::222222222222:role/audit/ssoaudit-222222222222"
        );
        let error = spec
            .role_arn(&account("333333333333", "sandbox"))
            .unwrap_err();
        assert!(error.contains("has no {tenant}"), "{error}");
        let plain = MemberRoleSpec {
            template: "ssoaudit-read".into(),
            ..Default::default()
        };
        assert_eq!(
            plain.role_arn(&account("444444444444", "x")).unwrap(),
            "arn:aws:iam::444444444444:role/ssoaudit-read"
        );
        let unknown = MemberRoleSpec {
            template: "role-{region}".into(),
            ..Default::default()
        };
        assert!(
            unknown
                .role_arn(&account("444444444444", "a-b"))
                .unwrap_err()
                .contains("unknown placeholder `{region}`")
        );
    }
}
