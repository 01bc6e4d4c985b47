//! The documents of the managed policies the permission sets use (policies and boundaries):
//! IAM `GetPolicy` for the default version, then `GetPolicyVersion`, once per policy. Read-only.
//! AWS managed policies are the same everywhere; customer managed ones live in each account, and
//! only the management account's copies (the scanner's own account) can be read. Where IAM
//! cannot be read, AWS managed documents come from the vendored catalog and customer managed ones
//! stay unknown (which evaluation reports), so a refusal here is logged, not a gap.

use super::Scan;
use super::calls::Service;
use crate::snapshot::{PermissionSet, PolicyDocument};
use aws_sdk_iam::Client;
use std::collections::BTreeSet;
use std::sync::Arc;

const SERVICE: Service = Service::Iam;

/// A policy document as IAM returns it: URL-encoded JSON (or plain JSON from some servers).
pub(crate) fn parse_document(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        serde_json::from_str(&decoded).ok()
    })
}

/// The AWS managed policies the sets use, as managed policies or boundaries.
fn managed_arns(sets: &[PermissionSet]) -> BTreeSet<String> {
    let mut arns = BTreeSet::new();
    for set in sets {
        arns.extend(set.managed_policies.iter().cloned());
        if let Some(arn) = set
            .permissions_boundary
            .as_ref()
            .and_then(|b| b.managed_policy_arn.clone())
        {
            arns.insert(arn);
        }
    }
    arns.retain(|arn| arn.starts_with("arn:aws") && arn.contains(":iam::aws:policy/"));
    arns
}

/// The management account's copies of the customer managed policies the sets reference.
fn customer_managed_arns(
    sets: &[PermissionSet],
    account: &str,
    partition: &str,
) -> BTreeSet<String> {
    let mut arns = BTreeSet::new();
    for set in sets {
        let references = set.customer_managed_policies.iter().chain(
            set.permissions_boundary
                .as_ref()
                .and_then(|b| b.customer_managed_policy.as_ref()),
        );
        for reference in references {
            arns.insert(crate::iam::customer_managed_arn(
                partition, account, reference,
            ));
        }
    }
    arns
}

pub(crate) async fn documents(
    scan: Arc<Scan>,
    client: Client,
    sets: &[PermissionSet],
    roles: &[crate::snapshot::Role],
    management_account: &str,
) -> Vec<PolicyDocument> {
    let mut documents = Vec::new();
    let mut arns = managed_arns(sets);
    // The policies attached to the management account's roles that entitlements reach, and
    // their boundaries.
    for role in roles {
        arns.extend(role.managed_policies.iter().cloned());
        arns.extend(role.permissions_boundary.iter().cloned());
    }
    if !management_account.is_empty() {
        arns.extend(customer_managed_arns(sets, management_account, "aws"));
    }
    for arn in arns {
        let policy = scan
            .caller
            .call(SERVICE, "GetPolicy", || {
                client.get_policy().policy_arn(&arn).send()
            })
            .await;
        let version = match policy {
            Ok(output) => output
                .policy()
                .and_then(|p| p.default_version_id())
                .map(str::to_string),
            Err(error) => {
                scan.progress.note(&format!(
                    "cannot read {arn} ({}); an AWS managed document comes from the vendored catalog, a customer managed one stays unknown",
                    error.message()
                ));
                None
            }
        };
        let Some(version) = version else { continue };
        let document = scan
            .caller
            .call(SERVICE, "GetPolicyVersion", || {
                client
                    .get_policy_version()
                    .policy_arn(&arn)
                    .version_id(&version)
                    .send()
            })
            .await;
        match document {
            Ok(output) => {
                if let Some(document) = output
                    .policy_version()
                    .and_then(|v| v.document())
                    .and_then(parse_document)
                {
                    documents.push(PolicyDocument {
                        arn,
                        version,
                        document,
                    });
                }
            }
            Err(error) => scan.progress.note(&format!(
                "cannot read {arn} {version} ({}); its document comes from the vendored catalog",
                error.message()
            )),
        }
    }
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_documents_are_decoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let document = parse_document(encoded).unwrap();
        assert_eq!(document["Statement"][0]["Action"], "*");
        let plain = parse_document("{\"Statement\": []}").unwrap();
        assert!(plain["Statement"].is_array());
        assert!(parse_document("%7Bnot json").is_none());
    }
}
