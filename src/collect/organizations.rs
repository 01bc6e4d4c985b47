//! Organizations: the organization, its OU tree (walked parent by parent, which also gives
//! each account's parent without a ListParents call per account), accounts and their tags.

use super::Scan;
use super::calls::{CallError, Service};
use crate::snapshot::{Account, Guardrails, Organization, OrganizationPolicy, OrganizationalUnit};
use crate::vocabulary::DataArea;
use aws_sdk_organizations::Client;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

/// Organizations pages hold at most 20 items.
const PAGE: i32 = 20;
const SERVICE: Service = Service::Organizations;

/// The organization's id and its management account's id (`DescribeOrganization`).
pub async fn describe(scan: &Scan, client: &Client) -> Result<(String, String), CallError> {
    let output = scan
        .caller
        .call(SERVICE, "DescribeOrganization", || {
            client.describe_organization().send()
        })
        .await?;
    let org = output.organization();
    Ok((
        org.and_then(|o| o.id()).unwrap_or_default().to_string(),
        org.and_then(|o| o.master_account_id())
            .unwrap_or_default()
            .to_string(),
    ))
}

/// The organization described by `described` (the result of `describe`), its OU tree,
/// accounts and their tags, and its guardrails (read beside the tree); nothing but a gap when
/// it could not be described.
pub async fn collect(
    scan: Arc<Scan>,
    client: Client,
    described: Result<(String, String), CallError>,
    kept_tags: Option<KeptTags>,
) -> (Organization, Option<Guardrails>) {
    let mut organization = Organization::default();
    match described {
        Ok((id, management)) => {
            organization.id = id;
            organization.management_account_id = management;
        }
        Err(error) => {
            scan.gap(
                DataArea::Organization,
                SERVICE,
                "DescribeOrganization",
                "",
                &error,
            );
            return (organization, None);
        }
    }

    // Roots, then each level of OUs with the accounts directly under each parent.
    let mut roots = Vec::new();
    let mut enabled_types = Vec::new();
    let listed = paged!(
        scan,
        "ListRoots",
        DataArea::Organization,
        "",
        |token| client
            .list_roots()
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| for root in output.roots() {
            enabled_types.extend(
                root.policy_types()
                    .iter()
                    .filter(|t| {
                        t.status()
                            .is_some_and(|s| s.as_str().eq_ignore_ascii_case("ENABLED"))
                    })
                    .filter_map(|t| t.r#type().map(|t| t.as_str().to_string())),
            );
            roots.push(OrganizationalUnit {
                id: root.id().unwrap_or_default().to_string(),
                name: root.name().unwrap_or("Root").to_string(),
                parent_id: None,
                path: root.name().unwrap_or("Root").to_string(),
            });
        }
    );
    if !listed {
        // Without the roots, neither the tree nor which policy types are enabled is known.
        return (organization, None);
    }
    let (organization, guardrails) = tokio::join!(
        tree(scan.clone(), client.clone(), organization, roots, kept_tags),
        guardrails(scan.clone(), client.clone(), enabled_types)
    );
    (organization, Some(guardrails))
}

/// Tags an incremental scan keeps from its base: those of every account it knew, except the
/// accounts named to be read again.
pub struct KeptTags {
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    pub read_again: std::collections::BTreeSet<String>,
}

/// The OU tree below `roots`, level by level, with the accounts under each and their tags (of
/// accounts `kept` holds, the kept ones).
async fn tree(
    scan: Arc<Scan>,
    client: Client,
    mut organization: Organization,
    roots: Vec<OrganizationalUnit>,
    kept: Option<KeptTags>,
) -> Organization {
    let mut level: Vec<OrganizationalUnit> = roots;
    while !level.is_empty() {
        let mut tasks = JoinSet::new();
        for parent in &level {
            let scan = scan.clone();
            let client = client.clone();
            let parent = parent.clone();
            tasks.spawn(async move {
                let units = child_units(&scan, &client, &parent).await;
                let accounts = child_accounts(&scan, &client, &parent).await;
                (units, accounts)
            });
        }
        organization.organizational_units.append(&mut level);
        let mut next = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (mut units, mut accounts) = joined.expect("organizations task");
            next.append(&mut units);
            scan.progress
                .counters
                .accounts
                .fetch_add(accounts.len() as u64, Ordering::Relaxed);
            organization.accounts.append(&mut accounts);
        }
        level = next;
    }
    scan.progress.note(&format!(
        "organization {}: {} accounts in {} organizational units",
        organization.id,
        organization.accounts.len(),
        organization.organizational_units.len()
    ));

    // Tags, one account at a time under the rate limit.
    let mut tasks = JoinSet::new();
    for (position, account) in organization.accounts.iter_mut().enumerate() {
        if let Some(kept) = &kept
            && !kept.read_again.contains(&account.id)
            && let Some(tags) = kept.tags.get(&account.id)
        {
            account.tags = tags.clone();
            continue;
        }
        let scan = scan.clone();
        let client = client.clone();
        let id = account.id.clone();
        tasks.spawn(async move { (position, tags(&scan, &client, &id).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (position, tags) = joined.expect("tags task");
        organization.accounts[position].tags = tags;
    }
    organization
}

/// The SCPs and RCPs of the organization (of the enabled types), each with its document and
/// targets. A policy whose document or targets could not be read is a gap in `guardrails`:
/// the ceiling is then not applied (an unread Allow would deny everything below it).
async fn guardrails(scan: Arc<Scan>, client: Client, enabled_types: Vec<String>) -> Guardrails {
    use aws_sdk_organizations::types::PolicyType;
    let mut summaries = Vec::new();
    for kind in [Guardrails::SCP, Guardrails::RCP] {
        if !enabled_types.iter().any(|t| t == kind) {
            continue;
        }
        paged!(
            scan,
            "ListPolicies",
            DataArea::Guardrails,
            kind,
            |token| client
                .list_policies()
                .filter(PolicyType::from(kind))
                .max_results(PAGE)
                .set_next_token(token.clone())
                .send(),
            |output| summaries.extend(output.policies().iter().map(|p| OrganizationPolicy {
                id: p.id().unwrap_or_default().to_string(),
                name: p.name().unwrap_or_default().to_string(),
                kind: kind.to_string(),
                aws_managed: p.aws_managed(),
                document: serde_json::Value::Null,
                targets: Vec::new(),
            }))
        );
    }
    let mut tasks = JoinSet::new();
    for mut policy in summaries {
        let scan = scan.clone();
        let client = client.clone();
        tasks.spawn(async move {
            match scan
                .caller
                .call(SERVICE, "DescribePolicy", || {
                    client.describe_policy().policy_id(&policy.id).send()
                })
                .await
            {
                Ok(output) => {
                    let content = output
                        .policy()
                        .and_then(|p| p.content())
                        .unwrap_or_default();
                    match serde_json::from_str(content) {
                        Ok(document) => policy.document = document,
                        Err(error) => scan.gap(
                            DataArea::Guardrails,
                            SERVICE,
                            "DescribePolicy",
                            &policy.id,
                            &CallError::Failed(format!(
                                "the policy's content is not JSON: {error}"
                            )),
                        ),
                    }
                }
                Err(error) => scan.gap(
                    DataArea::Guardrails,
                    SERVICE,
                    "DescribePolicy",
                    &policy.id,
                    &error,
                ),
            }
            let mut targets = Vec::new();
            paged!(
                scan,
                "ListTargetsForPolicy",
                DataArea::Guardrails,
                &policy.id,
                |token| client
                    .list_targets_for_policy()
                    .policy_id(&policy.id)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send(),
                |output| targets.extend(
                    output
                        .targets()
                        .iter()
                        .filter_map(|t| t.target_id().map(str::to_string))
                )
            );
            policy.targets = targets;
            policy
        });
    }
    let mut policies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        policies.push(joined.expect("guardrail task"));
    }
    Guardrails {
        enabled_types,
        policies,
    }
}

async fn child_units(
    scan: &Scan,
    client: &Client,
    parent: &OrganizationalUnit,
) -> Vec<OrganizationalUnit> {
    let mut units = Vec::new();
    // An empty page can still carry a token: `paged!` follows it.
    paged!(
        scan,
        "ListOrganizationalUnitsForParent",
        DataArea::Organization,
        &parent.id,
        |token| client
            .list_organizational_units_for_parent()
            .parent_id(&parent.id)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| units.extend(output.organizational_units().iter().map(|unit| {
            let name = unit.name().unwrap_or_default().to_string();
            OrganizationalUnit {
                id: unit.id().unwrap_or_default().to_string(),
                path: format!("{}/{name}", parent.path),
                name,
                parent_id: Some(parent.id.clone()),
            }
        }))
    );
    units
}

async fn child_accounts(scan: &Scan, client: &Client, parent: &OrganizationalUnit) -> Vec<Account> {
    let mut accounts = Vec::new();
    paged!(
        scan,
        "ListAccountsForParent",
        DataArea::Organization,
        &parent.id,
        |token| client
            .list_accounts_for_parent()
            .parent_id(&parent.id)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| accounts.extend(output.accounts().iter().map(|account| {
            Account {
                id: account.id().unwrap_or_default().to_string(),
                name: account.name().unwrap_or_default().to_string(),
                email: account.email().unwrap_or_default().to_string(),
                status: account
                    .state()
                    .map(|s| s.as_str().to_string())
                    .or_else(|| account.status().map(|s| s.as_str().to_string()))
                    .unwrap_or_default(),
                parent_id: parent.id.clone(),
                ou_path: parent.path.clone(),
                tags: BTreeMap::new(),
            }
        }))
    );
    accounts
}

async fn tags(scan: &Scan, client: &Client, account_id: &str) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    paged!(
        scan,
        "ListTagsForResource",
        DataArea::AccountTags,
        account_id,
        |token| client
            .list_tags_for_resource()
            .resource_id(account_id)
            .set_next_token(token.clone())
            .send(),
        |output| tags.extend(
            output
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
        )
    );
    tags
}
