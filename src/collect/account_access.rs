//! Account access manager: its applications (`ListApplications`, `GetApplication`) and their
//! entitlements (`ListEntitlements`, which requires a filter: one call series per account),
//! the access Identity Center users and groups have to IAM roles outside permission sets.
//! Then the roles those entitlements reach in the management account (IAM `GetRole`,
//! `ListAttachedRolePolicies`, `ListRolePolicies`, `GetRolePolicy`), so that what they can do
//! is analysed like a permission set. Roles in member accounts are not readable from here.
//! A refusal (many scanning identities lack these permissions) is a gap, never a failure.

use super::Scan;
use super::calls::{CallError, Service};
use crate::snapshot::{
    AccessApplication, AccountAccess, Entitlement, PrincipalType, Role, RoleInlinePolicy,
};
use crate::vocabulary::DataArea;
use aws_sdk_accountaccess::Client;
use aws_sdk_accountaccess::types::{
    EntitlementFilter, EntitlementSummary, IdentityCenterPrincipal, IdentitySourceDetails,
    Principal, PrincipalRoleEntitlementFilter,
};

const SERVICE: Service = Service::AccountAccess;

/// Follows IAM's `Marker` while `IsTruncated`; a failure ends the listing with a gap in the
/// role's capabilities and gives false.
macro_rules! marker_paged {
    ($scan:expr, $operation:literal, $arn:expr, |$marker:ident| $request:expr, |$output:ident| $each:expr) => {{
        let mut $marker: Option<String> = None;
        loop {
            match $scan
                .caller
                .call(Service::Iam, $operation, || $request)
                .await
            {
                Ok($output) => {
                    $each;
                    $marker = $output.marker().map(str::to_string);
                    if !$output.is_truncated() || $marker.is_none() {
                        break true;
                    }
                }
                Err(error) => {
                    $scan.gap(
                        DataArea::Capabilities,
                        Service::Iam,
                        $operation,
                        $arn,
                        &error,
                    );
                    break false;
                }
            }
        }
    }};
}
const PAGE: i32 = 100;

/// Applications, their entitlements in `accounts`, and the management account's roles they
/// reach.
pub async fn collect(
    scan: &Scan,
    client: &Client,
    iam: &aws_sdk_iam::Client,
    accounts: &[String],
    management: &str,
) -> AccountAccess {
    let mut applications = Vec::new();
    let listed = paged!(
        scan,
        "ListApplications",
        DataArea::Entitlements,
        "account access manager applications",
        |token| client
            .list_applications()
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| applications.extend(output.applications().iter().map(|a| AccessApplication {
            arn: a.application_arn().to_string(),
            status: None,
            instance_arn: None,
        }))
    );
    let mut entitlements = Vec::new();
    if listed {
        for application in &mut applications {
            describe(scan, client, application).await;
            for account in accounts {
                entitlements
                    .extend(list_entitlements(scan, client, &application.arn, account).await);
            }
        }
    }
    let mut role_arns: Vec<&str> = entitlements
        .iter()
        .map(|e: &Entitlement| e.role_arn.as_str())
        .filter(|arn| crate::iam::arn_account(arn) == management)
        .collect();
    role_arns.sort_unstable();
    role_arns.dedup();
    let mut roles = Vec::new();
    for arn in role_arns {
        if let Some(role) = read_role(scan, iam, arn).await {
            roles.push(role);
        }
    }
    AccountAccess {
        applications,
        entitlements,
        roles,
    }
}

/// Adds an application's status and the Identity Center instance it entitles principals of.
async fn describe(scan: &Scan, client: &Client, application: &mut AccessApplication) {
    let arn = application.arn.clone();
    match scan
        .caller
        .call(SERVICE, "GetApplication", || {
            client.get_application().application_arn(&arn).send()
        })
        .await
    {
        Ok(output) => {
            application.status = Some(output.status().as_str().to_string());
            if let Some(IdentitySourceDetails::IdentityCenter(details)) = output.identity_source() {
                application.instance_arn = Some(details.instance_arn().to_string());
            }
        }
        Err(error) => scan.gap(
            DataArea::Entitlements,
            SERVICE,
            "GetApplication",
            &arn,
            &error,
        ),
    }
}

/// The entitlements of one application in one account.
async fn list_entitlements(
    scan: &Scan,
    client: &Client,
    application: &str,
    account: &str,
) -> Vec<Entitlement> {
    let filter = EntitlementFilter::builder()
        .principal_role(
            PrincipalRoleEntitlementFilter::builder()
                .account(account)
                .build(),
        )
        .build();
    let mut found = Vec::new();
    // Entitlements of a kind this version cannot read (a principal or entitlement type newer
    // than the SDK): access the snapshot would miss, so a gap, never a silent drop.
    let mut unreadable = 0;
    let resource = format!("{application} in account {account}");
    paged!(
        scan,
        "ListEntitlements",
        DataArea::Entitlements,
        &resource,
        |token| client
            .list_entitlements()
            .application_arn(application)
            .filter(filter.clone())
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| found.extend(output.entitlements().iter().filter_map(|member| {
            let Some(EntitlementSummary::PrincipalRole(summary)) = member.entitlement() else {
                unreadable += 1;
                return None;
            };
            let (principal_type, principal_id) = match summary.principal() {
                Some(Principal::IdentityCenter(IdentityCenterPrincipal::GroupId(id))) => {
                    (PrincipalType::Group, id.clone())
                }
                Some(Principal::IdentityCenter(IdentityCenterPrincipal::UserId(id))) => {
                    (PrincipalType::User, id.clone())
                }
                _ => {
                    unreadable += 1;
                    return None;
                }
            };
            Some(Entitlement {
                account_id: summary.account().to_string(),
                role_arn: summary.role_arn().to_string(),
                principal_type,
                principal_id,
                application_arn: application.to_string(),
                id: member.entitlement_id().to_string(),
                account_name: summary.account_name().map(str::to_string),
            })
        }))
    );
    if unreadable > 0 {
        scan.gap(
            DataArea::Entitlements,
            SERVICE,
            "ListEntitlements",
            &resource,
            &CallError::Failed(format!(
                "{unreadable} entitlement(s) of a kind this version cannot read (an unknown entitlement or principal type): the access they grant is not in the snapshot"
            )),
        );
    }
    found
}

/// A management account role with its policies; None (and a gap) when it cannot be read.
async fn read_role(scan: &Scan, client: &aws_sdk_iam::Client, arn: &str) -> Option<Role> {
    const SERVICE: Service = Service::Iam;
    let name = crate::iam::role_name(arn).to_string();
    let role = match scan
        .caller
        .call(SERVICE, "GetRole", || {
            client.get_role().role_name(&name).send()
        })
        .await
    {
        Ok(output) => match output.role {
            Some(role) => role,
            // Nothing to analyse is not "allows nothing": a gap, and the role stays unknown.
            None => {
                scan.gap(
                    DataArea::Capabilities,
                    SERVICE,
                    "GetRole",
                    arn,
                    &CallError::Failed("the answer holds no role".into()),
                );
                return None;
            }
        },
        Err(error) => {
            scan.gap(DataArea::Capabilities, SERVICE, "GetRole", arn, &error);
            return None;
        }
    };
    let mut read = Role {
        arn: arn.to_string(),
        name: name.clone(),
        trust_policy: role
            .assume_role_policy_document()
            .and_then(super::iam::parse_document),
        permissions_boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        ..Default::default()
    };
    let attached = marker_paged!(
        scan,
        "ListAttachedRolePolicies",
        arn,
        |marker| client
            .list_attached_role_policies()
            .role_name(&name)
            .set_marker(marker.clone())
            .send(),
        |output| read.managed_policies.extend(
            output
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string)),
        )
    );
    let mut names = Vec::new();
    let inline = marker_paged!(
        scan,
        "ListRolePolicies",
        arn,
        |marker| client
            .list_role_policies()
            .role_name(&name)
            .set_marker(marker.clone())
            .send(),
        |output| names.extend(output.policy_names().iter().cloned())
    );
    if !(attached && inline) {
        return None;
    }
    for policy in names {
        match scan
            .caller
            .call(SERVICE, "GetRolePolicy", || {
                client
                    .get_role_policy()
                    .role_name(&name)
                    .policy_name(&policy)
                    .send()
            })
            .await
        {
            Ok(output) => {
                let text = output.policy_document();
                // A document that does not parse is kept as text: evaluation reports it.
                let document = super::iam::parse_document(text)
                    .unwrap_or_else(|| serde_json::Value::String(text.to_string()));
                read.inline_policies.push(RoleInlinePolicy {
                    name: policy,
                    document,
                });
            }
            Err(error) => {
                scan.gap(
                    DataArea::Capabilities,
                    SERVICE,
                    "GetRolePolicy",
                    &format!("{arn} policy {policy}"),
                    &error,
                );
                return None;
            }
        }
    }
    Some(read)
}
