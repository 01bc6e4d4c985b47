//! IAM Identity Center (sso-admin): the instance, permission sets with their whole policy model
//! and provisioning status, and every account assignment, listed the cheaper of two ways.

use super::Scan;
use super::calls::{CallError, Service};
use super::identity::Directory;
use crate::snapshot::{
    Assignment, CustomerManagedPolicy, PermissionSet, PermissionsBoundary, PrincipalType,
};
use crate::vocabulary::DataArea;
use aws_sdk_ssoadmin::Client;
use aws_sdk_ssoadmin::types::{PrincipalType as SdkPrincipalType, ProvisioningStatus};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

const PAGE: i32 = 100;
const SERVICE: Service = Service::SsoAdmin;

pub struct Instance {
    pub arn: String,
    pub identity_store_id: String,
    pub owner_account_id: String,
}

/// A permission set and whether its provisioned accounts are known.
pub struct CollectedSet {
    pub permission_set: PermissionSet,
    pub provisioning_known: bool,
}

/// Every instance the caller sees (the organization instance and account instances), paged.
pub async fn instances(
    scan: &Scan,
    client: &Client,
) -> Result<Vec<crate::snapshot::Instance>, CallError> {
    let mut instances = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = scan
            .caller
            .call(SERVICE, "ListInstances", || {
                client
                    .list_instances()
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        instances.extend(output.instances().iter().filter_map(|i| {
            Some(crate::snapshot::Instance {
                arn: i.instance_arn()?.to_string(),
                identity_store_id: i.identity_store_id()?.to_string(),
                owner_account_id: i.owner_account_id().unwrap_or_default().to_string(),
                status: i.status().map(|s| s.as_str().to_string()),
                ..Default::default()
            })
        }));
        token = output.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(instances);
        }
    }
}

/// The instance to audit among `instances`: the organization instance, owned by the
/// management account (`management`, when known); the only one otherwise. When the choice is
/// not certain (none is the management account's, or the management account is unknown and
/// there are several), the second value says why, for a gap: the organization's assignments
/// may be in an instance that was not audited.
pub fn organization_instance(
    instances: &[crate::snapshot::Instance],
    management: Option<&str>,
) -> Option<(Instance, Option<String>)> {
    let owned = management.and_then(|id| instances.iter().find(|i| i.owner_account_id == id));
    let chosen = owned.or(instances.first())?;
    let listed = || {
        instances
            .iter()
            .map(|i| format!("{} (owner {})", i.arn, i.owner_account_id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let doubt = match (management, owned) {
        (_, Some(_)) => None,
        (Some(id), None) => Some(format!(
            "no instance is owned by the management account {id}: audited {} of {}; the organization instance may be in another Region",
            chosen.arn,
            listed()
        )),
        (None, None) if instances.len() > 1 => Some(format!(
            "the management account is unknown, so the organization instance cannot be told from account instances: audited {} of {}",
            chosen.arn,
            listed()
        )),
        (None, None) => None,
    };
    Some((
        Instance {
            arn: chosen.arn.clone(),
            identity_store_id: chosen.identity_store_id.clone(),
            owner_account_id: chosen.owner_account_id.clone(),
        },
        doubt,
    ))
}

pub async fn permission_sets(
    scan: Arc<Scan>,
    client: Client,
    instance: String,
) -> Vec<CollectedSet> {
    let mut arns: Vec<String> = Vec::new();
    paged!(
        scan,
        "ListPermissionSets",
        DataArea::PermissionSets,
        &instance,
        |token| client
            .list_permission_sets()
            .instance_arn(&instance)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| arns.extend(output.permission_sets().iter().cloned())
    );
    let mut tasks = JoinSet::new();
    for arn in arns {
        let scan = scan.clone();
        let client = client.clone();
        let instance = instance.clone();
        tasks.spawn(async move { permission_set(&scan, &client, &instance, arn).await });
    }
    let mut sets = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        sets.push(joined.expect("permission set task"));
        scan.progress
            .counters
            .permission_sets
            .fetch_add(1, Ordering::Relaxed);
    }
    sets.sort_by(|a, b| a.permission_set.arn.cmp(&b.permission_set.arn));
    scan.progress
        .note(&format!("{} permission sets", sets.len()));
    sets
}

async fn permission_set(scan: &Scan, client: &Client, instance: &str, arn: String) -> CollectedSet {
    let mut set = PermissionSet {
        arn: arn.clone(),
        ..Default::default()
    };
    let describe = scan
        .caller
        .call(SERVICE, "DescribePermissionSet", || {
            client
                .describe_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .send()
        })
        .await;
    let described = describe.and_then(|output| {
        output
            .permission_set()
            .filter(|d| d.name().is_some())
            .cloned()
            .ok_or_else(|| {
                CallError::Failed(
                    "the answer holds no permission set (or one without a name): its name, session duration and relay state are unknown".into(),
                )
            })
    });
    match described {
        Ok(described) => {
            set.name = described.name().unwrap_or_default().to_string();
            set.description = described.description().map(str::to_string);
            set.session_duration = described.session_duration().map(str::to_string);
            set.relay_state = described
                .relay_state()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        // The set keeps its ARN as its name, and rules that read permission sets are
        // incomplete.
        Err(error) => {
            set.name = arn.clone();
            scan.gap(
                DataArea::PermissionSets,
                SERVICE,
                "DescribePermissionSet",
                &arn,
                &error,
            )
        }
    }

    paged!(
        scan,
        "ListManagedPoliciesInPermissionSet",
        DataArea::PermissionSetPolicies,
        &arn,
        |token| client
            .list_managed_policies_in_permission_set()
            .instance_arn(instance)
            .permission_set_arn(&arn)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| set.managed_policies.extend(
            output
                .attached_managed_policies()
                .iter()
                .filter_map(|p| p.arn().map(str::to_string))
        )
    );
    paged!(
        scan,
        "ListCustomerManagedPolicyReferencesInPermissionSet",
        DataArea::PermissionSetPolicies,
        &arn,
        |token| client
            .list_customer_managed_policy_references_in_permission_set()
            .instance_arn(instance)
            .permission_set_arn(&arn)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| set.customer_managed_policies.extend(
            output.customer_managed_policy_references().iter().map(|r| {
                CustomerManagedPolicy {
                    name: r.name().to_string(),
                    path: r.path().unwrap_or("/").to_string(),
                }
            })
        )
    );
    let inline = scan
        .caller
        .call(SERVICE, "GetInlinePolicyForPermissionSet", || {
            client
                .get_inline_policy_for_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .send()
        })
        .await;
    match inline {
        Ok(output) => {
            if let Some(text) = output.inline_policy().filter(|t| !t.trim().is_empty()) {
                match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(document) => set.inline_policy = Some(document),
                    Err(error) => scan.gap(
                        DataArea::PermissionSetPolicies,
                        SERVICE,
                        "GetInlinePolicyForPermissionSet",
                        &arn,
                        &CallError::Failed(format!("the inline policy is not JSON: {error}")),
                    ),
                }
            }
        }
        Err(error) => scan.gap(
            DataArea::PermissionSetPolicies,
            SERVICE,
            "GetInlinePolicyForPermissionSet",
            &arn,
            &error,
        ),
    }
    let boundary = scan
        .caller
        .call(SERVICE, "GetPermissionsBoundaryForPermissionSet", || {
            client
                .get_permissions_boundary_for_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .send()
        })
        .await;
    match boundary {
        Ok(output) => {
            set.permissions_boundary = output.permissions_boundary().map(|b| PermissionsBoundary {
                managed_policy_arn: b.managed_policy_arn().map(str::to_string),
                customer_managed_policy: b.customer_managed_policy_reference().map(|r| {
                    CustomerManagedPolicy {
                        name: r.name().to_string(),
                        path: r.path().unwrap_or("/").to_string(),
                    }
                }),
            })
        }
        // No boundary attached.
        Err(CallError::NotFound(_)) => {}
        Err(error) => scan.gap(
            DataArea::PermissionSetPolicies,
            SERVICE,
            "GetPermissionsBoundaryForPermissionSet",
            &arn,
            &error,
        ),
    }
    let mut tags = BTreeMap::new();
    paged!(
        scan,
        "ListTagsForResource",
        DataArea::PermissionSets,
        &arn,
        |token| client
            .list_tags_for_resource()
            .instance_arn(instance)
            .resource_arn(&arn)
            .set_next_token(token.clone())
            .send(),
        |output| tags.extend(
            output
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
        )
    );
    set.tags = tags;

    // Every account the set is provisioned to, then those where the latest version is not.
    let mut listings = [Vec::new(), Vec::new()];
    let mut all = true;
    let statuses = [
        None,
        Some(ProvisioningStatus::LatestPermissionSetNotProvisioned),
    ];
    for (i, status) in statuses.into_iter().enumerate() {
        let accounts = &mut listings[i];
        let listed = paged!(
            scan,
            "ListAccountsForProvisionedPermissionSet",
            DataArea::Provisioning,
            &arn,
            |token| client
                .list_accounts_for_provisioned_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .set_provisioning_status(status.clone())
                .max_results(PAGE)
                .set_next_token(token.clone())
                .send(),
            |output| accounts.extend(output.account_ids().iter().cloned())
        );
        // A failed listing of outdated accounts is a gap of its own; assignments need the first.
        all &= listed || i > 0;
    }
    let [provisioned, outdated] = listings;
    set.provisioned_accounts = provisioned;
    set.outdated_accounts = outdated;
    CollectedSet {
        permission_set: set,
        provisioning_known: all,
    }
}

/// Lists every account assignment: one call per provisioned (account, set) pair, or one per
/// principal, whichever needs fewer calls for this organization.
pub async fn assignments(
    scan: Arc<Scan>,
    client: Client,
    instance: String,
    sets: &[CollectedSet],
    directory: &Directory,
) -> Vec<Assignment> {
    let pairs: usize = sets
        .iter()
        .map(|s| s.permission_set.provisioned_accounts.len())
        .sum();
    let principals = directory.users.len() + directory.groups.len();
    let provisioning_complete = sets.iter().all(|s| s.provisioning_known);
    // Per principal needs every principal; per pair needs every set's provisioned accounts.
    let by_principal = directory.complete && (principals < pairs || !provisioning_complete);
    let mut tasks = JoinSet::new();
    if by_principal {
        scan.progress.note(&format!(
            "listing assignments per principal ({principals} principals, {pairs} provisioned pairs)"
        ));
        let principals = directory
            .groups
            .iter()
            .map(|g| (PrincipalType::Group, g.id.clone()))
            .chain(
                directory
                    .users
                    .iter()
                    .map(|u| (PrincipalType::User, u.id.clone())),
            );
        for (kind, id) in principals {
            let scan = scan.clone();
            let client = client.clone();
            let instance = instance.clone();
            tasks.spawn(async move { for_principal(&scan, &client, &instance, kind, &id).await });
        }
    } else {
        scan.progress.note(&format!(
            "listing assignments per provisioned account and permission set ({pairs} pairs, {principals} principals)"
        ));
        for set in sets {
            if !set.provisioning_known {
                scan.gap(
                    DataArea::Assignments,
                    SERVICE,
                    "ListAccountAssignments",
                    &set.permission_set.arn,
                    &CallError::Failed(
                        "the accounts this permission set is provisioned to are unknown".into(),
                    ),
                );
            }
            for account in &set.permission_set.provisioned_accounts {
                let scan = scan.clone();
                let client = client.clone();
                let instance = instance.clone();
                let account = account.clone();
                let arn = set.permission_set.arn.clone();
                tasks.spawn(
                    async move { for_pair(&scan, &client, &instance, &account, &arn).await },
                );
            }
        }
    }
    let mut assignments = Vec::new();
    gather(&scan, tasks, &mut assignments).await;
    assignments
}

/// Adds what the listing tasks find to `assignments`, counting it for the progress display.
async fn gather(
    scan: &Scan,
    mut tasks: JoinSet<Vec<Assignment>>,
    assignments: &mut Vec<Assignment>,
) {
    while let Some(joined) = tasks.join_next().await {
        let found = joined.expect("assignment task");
        scan.progress
            .counters
            .assignments
            .fetch_add(found.len() as u64, Ordering::Relaxed);
        assignments.extend(found);
    }
}

fn principal_type(kind: Option<&SdkPrincipalType>) -> Option<PrincipalType> {
    match kind? {
        SdkPrincipalType::Group => Some(PrincipalType::Group),
        SdkPrincipalType::User => Some(PrincipalType::User),
        _ => None,
    }
}

async fn for_pair(
    scan: &Scan,
    client: &Client,
    instance: &str,
    account: &str,
    arn: &str,
) -> Vec<Assignment> {
    let mut found = Vec::new();
    let resource = format!("{account} {arn}");
    // Assignments this version cannot read (a principal type newer than it, or one without a
    // principal id): access that would be missing, so a gap, never a silent drop.
    let mut unreadable = 0usize;
    paged!(
        scan,
        "ListAccountAssignments",
        DataArea::Assignments,
        &resource,
        |token| client
            .list_account_assignments()
            .instance_arn(instance)
            .account_id(account)
            .permission_set_arn(arn)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| found.extend(output.account_assignments().iter().filter_map(|a| {
            let read = principal_type(a.principal_type())
                .zip(a.principal_id())
                .map(|(principal_type, id)| Assignment {
                    account_id: a.account_id().unwrap_or(account).to_string(),
                    permission_set_arn: a.permission_set_arn().unwrap_or(arn).to_string(),
                    principal_type,
                    principal_id: id.to_string(),
                });
            unreadable += usize::from(read.is_none());
            read
        }))
    );
    unreadable_assignments(scan, "ListAccountAssignments", &resource, unreadable);
    found
}

/// A gap for the assignments of a listing that could not be read.
fn unreadable_assignments(scan: &Scan, operation: &str, resource: &str, count: usize) {
    if count > 0 {
        scan.gap(
            DataArea::Assignments,
            SERVICE,
            operation,
            resource,
            &CallError::Failed(format!(
                "{count} assignment(s) this version cannot read (a principal type other than USER or GROUP, or no principal, account or permission set): the access they grant is not in the snapshot"
            )),
        );
    }
}

async fn for_principal(
    scan: &Scan,
    client: &Client,
    instance: &str,
    kind: PrincipalType,
    id: &str,
) -> Vec<Assignment> {
    let sdk_kind = match kind {
        PrincipalType::Group => SdkPrincipalType::Group,
        PrincipalType::User => SdkPrincipalType::User,
    };
    let mut found = Vec::new();
    let mut unreadable = 0usize;
    paged!(
        scan,
        "ListAccountAssignmentsForPrincipal",
        DataArea::Assignments,
        id,
        |token| client
            .list_account_assignments_for_principal()
            .instance_arn(instance)
            .principal_type(sdk_kind.clone())
            .principal_id(id)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| found.extend(output.account_assignments().iter().filter_map(|a| {
            let read = a
                .account_id()
                .zip(a.permission_set_arn())
                .map(|(account, arn)| Assignment {
                    account_id: account.to_string(),
                    permission_set_arn: arn.to_string(),
                    principal_type: kind,
                    principal_id: id.to_string(),
                });
            unreadable += usize::from(read.is_none());
            read
        }))
    );
    unreadable_assignments(scan, "ListAccountAssignmentsForPrincipal", id, unreadable);
    found
}

/// The assignments of an incremental scan: the base's, except on the pairs listed again: those
/// `read_again` names, every pair provisioned now but not in the base or the reverse, and every
/// pair of a principal the directory no longer holds. The result is what the full scan would
/// read with the strategy it would choose: by principal, only principals the directory holds;
/// by pair, only provisioned pairs. Needs a complete directory and every set's provisioning.
/// Returns the assignments and how many pairs were listed.
pub async fn assignments_since(
    scan: Arc<Scan>,
    client: Client,
    instance: String,
    sets: &[CollectedSet],
    directory: &Directory,
    base: &crate::snapshot::Snapshot,
    read_again: &std::collections::BTreeSet<(String, String)>,
) -> (Vec<Assignment>, usize) {
    use std::collections::BTreeSet;
    let pair_of = |account: &str, arn: &str| (account.to_string(), arn.to_string());
    let provisioned: BTreeSet<(String, String)> = sets
        .iter()
        .flat_map(|s| {
            s.permission_set
                .provisioned_accounts
                .iter()
                .map(|a| pair_of(a, &s.permission_set.arn))
        })
        .collect();
    let base_provisioned: BTreeSet<(String, String)> = base
        .permission_sets
        .iter()
        .flat_map(|s| s.provisioned_accounts.iter().map(|a| pair_of(a, &s.arn)))
        .collect();
    let users: BTreeSet<&str> = directory.users.iter().map(|u| u.id.as_str()).collect();
    let groups: BTreeSet<&str> = directory.groups.iter().map(|g| g.id.as_str()).collect();
    let known = |a: &Assignment| match a.principal_type {
        PrincipalType::User => users.contains(a.principal_id.as_str()),
        PrincipalType::Group => groups.contains(a.principal_id.as_str()),
    };
    let mut changed: BTreeSet<(String, String)> = read_again.clone();
    changed.extend(provisioned.symmetric_difference(&base_provisioned).cloned());
    changed.extend(
        base.assignments
            .iter()
            .filter(|a| !known(a))
            .map(|a| pair_of(&a.account_id, &a.permission_set_arn)),
    );
    // Pairs no longer provisioned are not listed: a full scan by pair would not list them, and
    // one whose set was deleted cannot be.
    let listed: Vec<&(String, String)> = changed
        .iter()
        .filter(|p| provisioned.contains(*p))
        .collect();
    scan.progress.note(&format!(
        "listing assignments again on {} of {} provisioned pairs",
        listed.len(),
        provisioned.len()
    ));
    let mut tasks = JoinSet::new();
    for (account, arn) in listed.iter().map(|p| (p.0.clone(), p.1.clone())) {
        let scan = scan.clone();
        let client = client.clone();
        let instance = instance.clone();
        tasks.spawn(async move { for_pair(&scan, &client, &instance, &account, &arn).await });
    }
    let mut assignments: Vec<Assignment> = base
        .assignments
        .iter()
        .filter(|a| !changed.contains(&pair_of(&a.account_id, &a.permission_set_arn)))
        .cloned()
        .collect();
    gather(&scan, tasks, &mut assignments).await;
    let principals = directory.users.len() + directory.groups.len();
    if principals < provisioned.len() {
        assignments.retain(known);
    } else {
        assignments
            .retain(|a| provisioned.contains(&pair_of(&a.account_id, &a.permission_set_arn)));
    }
    (assignments, listed.len())
}
