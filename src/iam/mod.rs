//! What permission sets can do, from their policies: the action catalog, AWS managed policy
//! documents, policy evaluation and the capabilities rules read.

pub mod capabilities;
pub mod catalog;
pub mod evaluate;
pub mod managed;

use crate::snapshot::{PermissionSet, Snapshot};
use evaluate::{Analysis, Policy, Role};
use std::collections::HashMap;
use std::sync::Arc;

/// The name of a managed policy ARN: `arn:aws:iam::aws:policy/job-function/Billing` → `Billing`.
fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Statements of documents already expanded, by managed policy ARN: a managed policy shared
/// by many sets is expanded against the catalog once.
#[derive(Default)]
pub struct StatementCache {
    by_arn: HashMap<String, Arc<Result<Vec<evaluate::Statement>, String>>>,
}

/// The analysis of one permission set's policies: its inline policy, its managed policies
/// (from the snapshot's documents, else the vendored catalog), its permissions boundary.
/// Customer managed policies live in each account and their content is unknown here.
pub fn analyse(snapshot: &Snapshot, set: &PermissionSet) -> Analysis {
    analyse_with(snapshot, set, &mut StatementCache::default())
}

/// `analyse`, with managed policies expanded once across sets.
pub fn analyse_with(
    snapshot: &Snapshot,
    set: &PermissionSet,
    cache: &mut StatementCache,
) -> Analysis {
    let catalog = catalog::Catalog::get();
    let mut policies = Vec::new();
    let mut unknown = Vec::new();
    let mut malformed = Vec::new();
    let mut add = |label: String, role: Role, document: &serde_json::Value, arn: Option<&str>| {
        let expanded = match arn {
            Some(arn) => cache
                .by_arn
                .entry(arn.to_string())
                .or_insert_with(|| Arc::new(evaluate::statements(document, catalog)))
                .clone(),
            None => Arc::new(evaluate::statements(document, catalog)),
        };
        match expanded.as_ref() {
            Ok(statements) => policies.push(Policy {
                label,
                role,
                statements: statements.clone(),
            }),
            Err(error) => malformed.push(format!("{label}: {error}")),
        }
    };
    let managed = |arn: &str| -> Option<(String, &serde_json::Value)> {
        if let Some(doc) = snapshot.policy_documents.iter().find(|d| d.arn == arn) {
            return Some((
                format!("{} (AWS managed, {})", policy_name(arn), doc.version),
                &doc.document,
            ));
        }
        let vendored = managed::ManagedCatalog::get();
        vendored.policy(arn).map(|p| {
            (
                format!(
                    "{} (AWS managed, {}, catalog of {})",
                    policy_name(arn),
                    p.version,
                    vendored.updated
                ),
                &p.document,
            )
        })
    };
    if let Some(inline) = &set.inline_policy {
        add("inline policy".into(), Role::Grants, inline, None);
    }
    for arn in &set.managed_policies {
        match managed(arn) {
            Some((label, document)) => add(label, Role::Grants, document, Some(arn)),
            None => unknown.push(format!(
                "managed policy {arn}: in neither the snapshot nor the vendored catalog"
            )),
        }
    }
    for reference in &set.customer_managed_policies {
        unknown.push(format!(
            "customer managed policy {}{}: its content lives in each account",
            reference.path, reference.name
        ));
    }
    if let Some(boundary) = &set.permissions_boundary {
        match (&boundary.managed_policy_arn, &boundary.customer_managed_policy) {
            (Some(arn), _) => match managed(arn) {
                Some((label, document)) => {
                    add(format!("boundary {label}"), Role::Boundary, document, Some(arn))
                }
                None => unknown.push(format!(
                    "permissions boundary {arn}: in neither the snapshot nor the vendored catalog"
                )),
            },
            (None, Some(reference)) => unknown.push(format!(
                "permissions boundary {}{}: a customer managed policy whose content lives in each account",
                reference.path, reference.name
            )),
            (None, None) => {}
        }
    }
    Analysis::new(policies, unknown, malformed)
}
