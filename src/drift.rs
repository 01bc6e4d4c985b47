//! Drift between the state in AWS (a snapshot) and the intent in an `aws-sso` stack file.
//!
//! Each drift item names the stack line of the declaration it concerns (or of the component's
//! `vars` when no single declaration does), so reports can point at the YAML.

use crate::desired::component::{self, Expected};
use crate::desired::{DesiredAssignment, DesiredState};
use crate::model::Model;
use crate::snapshot::{PermissionSet, PrincipalType};
use crate::vocabulary::DriftKind;
use std::collections::{BTreeMap, BTreeSet};

/// One difference, with what a message template can show (`{drift.<field>}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftItem {
    pub kind: DriftKind,
    pub account_key: String,
    pub account_id: String,
    pub account_name: String,
    pub principal_type: String,
    pub principal_name: String,
    pub principal_id: String,
    pub permission_set: String,
    pub permission_set_arn: String,
    pub detail: String,
    /// The stack line the item is located on.
    pub line: u32,
}

/// Only as the base of struct updates: every item sets its kind.
impl Default for DriftItem {
    fn default() -> Self {
        DriftItem {
            kind: DriftKind::UnmanagedAssignment,
            account_key: String::new(),
            account_id: String::new(),
            account_name: String::new(),
            principal_type: String::new(),
            principal_name: String::new(),
            principal_id: String::new(),
            permission_set: String::new(),
            permission_set_arn: String::new(),
            detail: String::new(),
            line: 0,
        }
    }
}

/// An assignment by names: (account id, permission set name, principal type, principal name).
type Key = (String, String, PrincipalType, String);

struct Resolved<'a> {
    declared: &'a DesiredAssignment,
    key: Key,
    principal_id: String,
}

pub fn compute(model: &Model, desired: &DesiredState) -> Vec<DriftItem> {
    let snapshot = model.snapshot;
    let org_names: BTreeMap<String, String> = snapshot
        .organization
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.id.clone()))
        .collect();
    let account_name = |id: &str| -> String {
        model
            .account_index
            .get(id)
            .map(|&i| snapshot.organization.accounts[i].name.clone())
            .unwrap_or_default()
    };
    let groups: BTreeMap<&str, &str> = snapshot
        .groups
        .iter()
        .map(|g| (g.display_name.as_str(), g.id.as_str()))
        .collect();
    let users: BTreeMap<&str, &str> = snapshot
        .users
        .iter()
        .map(|u| (u.user_name.as_str(), u.id.as_str()))
        .collect();
    let sets: BTreeMap<&str, &PermissionSet> = snapshot
        .permission_sets
        .iter()
        .map(|p| (p.name.as_str(), p))
        .collect();
    let expected_sets = component::expected_permission_sets(desired);
    let expected_names: BTreeSet<&str> = expected_sets.iter().map(|e| e.name.as_str()).collect();
    let mut items = Vec::new();

    // Account keys: each resolved once, reported once.
    let mut account_ids: BTreeMap<&str, String> = BTreeMap::new();
    for (key, &line) in &desired.accounts {
        match desired.account_id(key, &org_names) {
            Some(id) if model.account_index.contains_key(id) => {
                account_ids.insert(key, id.to_string());
            }
            Some(id) => items.push(DriftItem {
                kind: DriftKind::UnknownAccount,
                account_key: key.clone(),
                account_id: id.to_string(),
                detail: format!(
                    "account id {id} (from the account map) is not in the organization"
                ),
                line,
                ..Default::default()
            }),
            None => items.push(DriftItem {
                kind: DriftKind::UnknownAccount,
                account_key: key.clone(),
                detail: if desired.account_map_enabled || desired.account_map.is_empty() {
                    "no account of the organization has this name".into()
                } else {
                    "the key is not in account_map.full_account_map".into()
                },
                line,
                ..Default::default()
            }),
        }
    }

    let mut unknown_principals = BTreeSet::new();
    let mut resolved = Vec::new();
    for declared in &desired.assignments {
        let Some(account_id) = account_ids.get(declared.account_key.as_str()) else {
            continue;
        };
        let principal_id = match declared.principal_type {
            PrincipalType::Group => groups.get(declared.principal_name.as_str()),
            PrincipalType::User => users.get(declared.principal_name.as_str()),
        };
        let mut complete = true;
        if principal_id.is_none() {
            complete = false;
            if unknown_principals.insert((
                declared.principal_type,
                declared.principal_name.clone(),
                declared.principal_line,
            )) {
                items.push(DriftItem {
                    kind: DriftKind::UnknownPrincipal,
                    account_key: declared.account_key.clone(),
                    account_id: account_id.clone(),
                    account_name: account_name(account_id),
                    principal_type: declared.principal_type.as_str().into(),
                    principal_name: declared.principal_name.clone(),
                    detail: format!(
                        "no {} named `{}` in the Identity Store (names are case-sensitive)",
                        if declared.principal_type == PrincipalType::Group {
                            "group"
                        } else {
                            "user"
                        },
                        declared.principal_name
                    ),
                    line: declared.principal_line,
                    ..Default::default()
                });
            }
        }
        if !sets.contains_key(declared.permission_set.as_str()) {
            // A set the component should have created is reported once, as missing, and each
            // of its declared assignments as missing too: Terraform would create them all. A
            // set nobody creates is a configuration error of the stack, not drift.
            if !expected_names.contains(declared.permission_set.as_str()) {
                complete = false;
                items.push(DriftItem {
                    kind: DriftKind::UnknownPermissionSet,
                    account_key: declared.account_key.clone(),
                    account_id: account_id.clone(),
                    account_name: account_name(account_id),
                    principal_type: declared.principal_type.as_str().into(),
                    principal_name: declared.principal_name.clone(),
                    permission_set: declared.permission_set.clone(),
                    detail:
                        "no permission set has this name, and the component does not create one"
                            .into(),
                    line: declared.line,
                    ..Default::default()
                });
            }
        }
        if let (true, Some(principal_id)) = (complete, principal_id) {
            resolved.push(Resolved {
                declared,
                principal_id: principal_id.to_string(),
                key: (
                    account_id.clone(),
                    declared.permission_set.clone(),
                    declared.principal_type,
                    declared.principal_name.clone(),
                ),
            });
        }
    }

    // Assignments in AWS by names.
    let mut actual: BTreeMap<Key, (String, String)> = BTreeMap::new();
    for (position, assignment) in snapshot.assignments.iter().enumerate() {
        let target = model.assignment_targets[position];
        let set_name = target
            .permission_set
            .map(|p| snapshot.permission_sets[p as usize].name.clone())
            .unwrap_or_else(|| assignment.permission_set_arn.clone());
        let principal_name = match (assignment.principal_type, target.principal) {
            (PrincipalType::Group, Some(g)) => snapshot.groups[g as usize].display_name.clone(),
            (PrincipalType::User, Some(u)) => snapshot.users[u as usize].user_name.clone(),
            (_, None) => assignment.principal_id.clone(),
        };
        actual.insert(
            (
                assignment.account_id.clone(),
                set_name,
                assignment.principal_type,
                principal_name,
            ),
            (
                assignment.permission_set_arn.clone(),
                assignment.principal_id.clone(),
            ),
        );
    }
    let expected: BTreeMap<&Key, &Resolved> = resolved.iter().map(|r| (&r.key, r)).collect();
    let key_of_account: BTreeMap<&str, &str> = account_ids
        .iter()
        .map(|(k, id)| (id.as_str(), *k))
        .collect();
    for (key, (arn, principal_id)) in &actual {
        if expected.contains_key(key) {
            continue;
        }
        let account_key = key_of_account
            .get(key.0.as_str())
            .map(|k| k.to_string())
            .unwrap_or_default();
        let line = desired
            .accounts
            .get(&account_key)
            .copied()
            .unwrap_or(desired.assignments_line.max(desired.vars_line));
        items.push(DriftItem {
            kind: DriftKind::UnmanagedAssignment,
            account_key,
            account_id: key.0.clone(),
            account_name: account_name(&key.0),
            principal_type: key.2.as_str().into(),
            principal_name: key.3.clone(),
            principal_id: principal_id.clone(),
            permission_set: key.1.clone(),
            permission_set_arn: arn.clone(),
            detail: "the stack does not declare this assignment".into(),
            line,
        });
    }
    for (key, resolved) in &expected {
        if actual.contains_key(*key) {
            continue;
        }
        let declared = resolved.declared;
        items.push(DriftItem {
            kind: DriftKind::MissingAssignment,
            account_key: declared.account_key.clone(),
            account_id: key.0.clone(),
            account_name: account_name(&key.0),
            principal_type: key.2.as_str().into(),
            principal_name: key.3.clone(),
            principal_id: resolved.principal_id.clone(),
            permission_set: key.1.clone(),
            permission_set_arn: sets
                .get(key.1.as_str())
                .map(|s| s.arn.clone())
                .unwrap_or_default(),
            detail: if sets.contains_key(key.1.as_str()) {
                "declared in the stack, absent in AWS".into()
            } else {
                "declared in the stack, absent in AWS (its permission set does not exist either)"
                    .into()
            },
            line: declared.line,
        });
    }

    // Permission sets.
    for expected_set in &expected_sets {
        match sets.get(expected_set.name.as_str()) {
            None => items.push(DriftItem {
                kind: DriftKind::MissingPermissionSet,
                permission_set: expected_set.name.clone(),
                detail: "the component creates this permission set, but it does not exist".into(),
                line: desired.vars_line,
                ..Default::default()
            }),
            Some(set) if expected_set.content_known => {
                let differences = differences(expected_set, set);
                if !differences.is_empty() {
                    items.push(DriftItem {
                        kind: DriftKind::PermissionSetModified,
                        permission_set: set.name.clone(),
                        permission_set_arn: set.arn.clone(),
                        detail: differences.join("; "),
                        line: desired.vars_line,
                        ..Default::default()
                    });
                }
            }
            Some(_) => {}
        }
    }
    for set in &snapshot.permission_sets {
        if !expected_names.contains(set.name.as_str()) {
            items.push(DriftItem {
                kind: DriftKind::UnmanagedPermissionSet,
                permission_set: set.name.clone(),
                permission_set_arn: set.arn.clone(),
                detail: "the aws-sso component of this stack does not create this permission set"
                    .into(),
                line: desired.vars_line,
                ..Default::default()
            });
        }
    }
    // What depends on a value only atmos resolves is not compared: it is a gap instead.
    items.retain(|item| !desired.unresolved.iter().any(|u| hides(u, item)));
    items
}

/// Whether a drift item could be wrong because of a value only atmos resolves.
fn hides(value: &crate::desired::UnresolvedValue, item: &DriftItem) -> bool {
    value.affects.contains(&item.kind)
        && value
            .account_key
            .as_ref()
            .is_none_or(|key| &item.account_key == key || item.account_key.is_empty())
}

/// What differs between the component's definition and the set in AWS.
fn differences(expected: &Expected, actual: &PermissionSet) -> Vec<String> {
    let mut out = Vec::new();
    let mut want: Vec<&str> = expected
        .managed_policies
        .iter()
        .map(String::as_str)
        .collect();
    let mut have: Vec<&str> = actual.managed_policies.iter().map(String::as_str).collect();
    want.sort_unstable();
    have.sort_unstable();
    if want != have {
        let added: Vec<&str> = have.iter().filter(|p| !want.contains(p)).copied().collect();
        let removed: Vec<&str> = want.iter().filter(|p| !have.contains(p)).copied().collect();
        let mut text = String::from("managed policies differ");
        if !added.is_empty() {
            text.push_str(&format!(" (added: {})", added.join(", ")));
        }
        if !removed.is_empty() {
            text.push_str(&format!(" (removed: {})", removed.join(", ")));
        }
        out.push(text);
    }
    let canonical =
        |document: Option<&serde_json::Value>| document.map(component::canonical_policy);
    if canonical(expected.inline_policy.as_ref()) != canonical(actual.inline_policy.as_ref()) {
        out.push(match (&expected.inline_policy, &actual.inline_policy) {
            (None, Some(_)) => "an inline policy was added".to_string(),
            (Some(_), None) => "the inline policy was removed".to_string(),
            _ => "the inline policy differs".to_string(),
        });
    }
    let session = actual
        .session_duration
        .clone()
        .unwrap_or_else(|| "PT1H".into());
    if session != expected.session_duration {
        out.push(format!(
            "session duration is {session}, the stack sets {}",
            expected.session_duration
        ));
    }
    if actual.relay_state != expected.relay_state {
        out.push(format!(
            "relay state is {}, the component sets {}",
            actual.relay_state.as_deref().unwrap_or("(none)"),
            expected.relay_state.as_deref().unwrap_or("(none)")
        ));
    }
    out
}
