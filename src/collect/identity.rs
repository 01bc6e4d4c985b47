//! Identity Store: users, groups, and memberships listed group by group (one listing per group
//! is far fewer calls than one per user).

use super::Scan;
use super::calls::Service;
use crate::snapshot::{Email, ExternalId, Group, Membership, User};
use crate::vocabulary::DataArea;
use aws_sdk_identitystore::Client;
use aws_sdk_identitystore::types::{MemberId, UserStatus};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

const PAGE: i32 = 100;
const SERVICE: Service = Service::IdentityStore;

#[derive(Default)]
pub struct Directory {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub memberships: Vec<Membership>,
    /// Whether users and groups were listed completely (the per-principal assignment strategy
    /// needs every principal).
    pub complete: bool,
}

pub async fn collect(scan: Arc<Scan>, client: Client, store: String) -> Directory {
    let (users, groups) = tokio::join!(
        users(&scan, &client, &store),
        groups(&scan, &client, &store)
    );
    let mut directory = Directory {
        complete: users.is_some() && groups.is_some(),
        users: users.unwrap_or_default(),
        groups: groups.unwrap_or_default(),
        memberships: Vec::new(),
    };
    let mut tasks = JoinSet::new();
    for group in &directory.groups {
        let scan = scan.clone();
        let client = client.clone();
        let store = store.clone();
        let id = group.id.clone();
        tasks.spawn(async move { memberships(&scan, &client, &store, &id).await });
    }
    while let Some(joined) = tasks.join_next().await {
        directory
            .memberships
            .extend(joined.expect("membership task"));
    }
    scan.progress.note(&format!(
        "identity store {store}: {} users, {} groups, {} memberships",
        directory.users.len(),
        directory.groups.len(),
        directory.memberships.len()
    ));
    directory
}

async fn users(scan: &Scan, client: &Client, store: &str) -> Option<Vec<User>> {
    let mut users = Vec::new();
    let complete = paged!(
        scan,
        "ListUsers",
        DataArea::Users,
        store,
        |token| client
            .list_users()
            .identity_store_id(store)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| {
            users.extend(output.users().iter().map(|user| {
                User {
                    id: user.user_id().to_string(),
                    user_name: user.user_name().unwrap_or_default().to_string(),
                    display_name: user.display_name().map(str::to_string),
                    emails: user
                        .emails()
                        .iter()
                        .filter_map(|e| {
                            Some(Email {
                                value: e.value()?.to_string(),
                                primary: e.primary(),
                                kind: e.r#type().map(str::to_string),
                            })
                        })
                        .collect(),
                    active: !matches!(user.user_status(), Some(UserStatus::Disabled)),
                    external_ids: Some(user.external_ids().iter().map(external_id).collect()),
                    created_at: user.created_at().and_then(rfc3339),
                }
            }));
            scan.progress
                .counters
                .users
                .store(users.len() as u64, Ordering::Relaxed);
        }
    );
    complete.then_some(users)
}

async fn groups(scan: &Scan, client: &Client, store: &str) -> Option<Vec<Group>> {
    let mut groups = Vec::new();
    let complete = paged!(
        scan,
        "ListGroups",
        DataArea::Groups,
        store,
        |token| client
            .list_groups()
            .identity_store_id(store)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| {
            groups.extend(output.groups().iter().map(|group| Group {
                id: group.group_id().to_string(),
                display_name: group.display_name().unwrap_or_default().to_string(),
                description: group.description().map(str::to_string),
                external_ids: Some(group.external_ids().iter().map(external_id).collect()),
                created_at: group.created_at().and_then(rfc3339),
            }));
            scan.progress
                .counters
                .groups
                .store(groups.len() as u64, Ordering::Relaxed);
        }
    );
    complete.then_some(groups)
}

fn external_id(id: &aws_sdk_identitystore::types::ExternalId) -> ExternalId {
    ExternalId {
        issuer: id.issuer().to_string(),
        id: id.id().to_string(),
    }
}

fn rfc3339(time: &aws_smithy_types::DateTime) -> Option<String> {
    time.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}

async fn memberships(scan: &Scan, client: &Client, store: &str, group_id: &str) -> Vec<Membership> {
    let mut memberships = Vec::new();
    // Members that are not users (a kind newer than this version): members whose access would
    // be missing, so a gap.
    let mut unreadable = 0usize;
    paged!(
        scan,
        "ListGroupMemberships",
        DataArea::Memberships,
        group_id,
        |token| client
            .list_group_memberships()
            .identity_store_id(store)
            .group_id(group_id)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| memberships.extend(output.group_memberships().iter().filter_map(|membership| {
            match membership.member_id() {
                Some(MemberId::UserId(user_id)) => Some(Membership {
                    group_id: group_id.to_string(),
                    user_id: user_id.clone(),
                }),
                _ => {
                    unreadable += 1;
                    None
                }
            }
        }))
    );
    if unreadable > 0 {
        scan.gap(
            DataArea::Memberships,
            SERVICE,
            "ListGroupMemberships",
            group_id,
            &super::calls::CallError::Failed(format!(
                "{unreadable} member(s) this version cannot read (not a user): the access they hold through the group is not in the snapshot"
            )),
        );
    }
    memberships
}
