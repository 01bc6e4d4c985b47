//! ssoaudit's privilege-escalation verdicts measured against an independent classifier,
//! cloudsplaining (PyPI, MIT, installed in the test environment by scripts/test), on every AWS
//! managed policy of the vendored catalog and on the fixtures' policies.
//!
//! Per policy, both name the escalation methods the policy allows on every resource. Only the
//! methods ssoaudit knows are compared (cloudsplaining knows more, from pathfinding.cloud).
//! Every disagreement must be one of the reasoned differences listed below.

mod common;

use common::*;
use ssoaudit::iam::evaluate::{Analysis, Policy, Role, statements};
use ssoaudit::iam::{capabilities, catalog::Catalog, managed::ManagedCatalog};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

/// The escalation methods ssoaudit finds in one policy document.
fn ours(document: &serde_json::Value) -> BTreeSet<String> {
    let Ok(statements) = statements(document, Catalog::get()) else {
        return BTreeSet::new();
    };
    let analysis = Analysis::new(
        vec![Policy {
            label: "p".into(),
            role: Role::Grants,
            statements,
        }],
        Vec::new(),
        Vec::new(),
    );
    capabilities::of(&analysis)
        .escalation_paths
        .iter()
        .map(|p| p.split(':').next().unwrap().to_string())
        .collect()
}

fn cloudsplaining(policies: &[(String, serde_json::Value)]) -> BTreeMap<String, BTreeSet<String>> {
    let input: Vec<serde_json::Value> = policies
        .iter()
        .map(|(name, document)| serde_json::json!({"name": name, "document": document}))
        .collect();
    let python = root().join(".venv/bin/python");
    let mut child = Command::new(&python)
        .arg(root().join("tests/oracle/cloudsplaining_verdicts.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/test installs it)", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "cloudsplaining failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn escalation_verdicts_agree_with_cloudsplaining() {
    let known: BTreeSet<String> = capabilities::ESCALATION_METHODS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    let mut policies: Vec<(String, serde_json::Value)> = ManagedCatalog::get()
        .policies
        .iter()
        .map(|(arn, p)| (arn.clone(), p.document.clone()))
        .collect();
    for fixture in [VIOLATING, COMPLIANT] {
        let snapshot: serde_json::Value =
            json(&std::fs::read_to_string(root().join(fixture)).unwrap());
        for set in snapshot["permission_sets"].as_array().unwrap() {
            if !set["inline_policy"].is_null() {
                policies.push((
                    format!("{fixture} {} inline", set["name"].as_str().unwrap()),
                    set["inline_policy"].clone(),
                ));
            }
        }
    }
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    let theirs = cloudsplaining(&policies);
    let mut agree = 0;
    let mut same_verdict = 0;
    let mut flagged = 0;
    let mut disagreements = Vec::new();
    for (name, document) in &policies {
        let ours = ours(document);
        let theirs: BTreeSet<String> = theirs[name].intersection(&known).cloned().collect();
        flagged += usize::from(!ours.is_empty());
        if ours.is_empty() == theirs.is_empty() {
            same_verdict += 1;
        }
        if ours == theirs {
            agree += 1;
        } else {
            disagreements.push(format!(
                "{name}: ssoaudit only {:?}, cloudsplaining only {:?}",
                ours.difference(&theirs).collect::<Vec<_>>(),
                theirs.difference(&ours).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "{} policies ({flagged} allow escalation): same escalation verdict {same_verdict}, same methods {agree}",
        policies.len()
    );
    assert!(policies.len() > 1500);
    assert!(
        flagged >= 15,
        "the comparison covers policies that escalate: {flagged}"
    );
    // No reasoned difference is needed today: any disagreement is a bug to look at.
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // The rewritten rule's fixture case: the inline policy that allows everything.
    assert!(
        theirs
            .iter()
            .any(|(name, methods)| name.contains("SupportEngineerAccess")
                && methods.contains("AttachRolePolicy"))
    );
}
