//! SARIF 2.1.0 for GitHub code scanning: one run, every enabled rule in the driver with the
//! properties GitHub reads (`security-severity`, `tags`), one location per result and a stable
//! `primaryLocationLineHash`. Collection gaps become tool execution notifications.
//!
//! GitHub shows at most 5,000 results of a run (and rejects more than 25,000, or an upload over
//! 10 MB gzipped). A larger report groups its findings, one result per rule and account with
//! the count and the first resources (then one per rule, if that is still too many), keeps the
//! most severe first, and says in a notification what was grouped or left out: the JSON report
//! has every finding.

use super::ReportInput;
use crate::rules::{Rule, Severity};
use serde_json::{Value, json};
use std::io::Write;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The results GitHub code scanning shows of one run.
pub const MAX_RESULTS: usize = 5_000;
/// Resources a grouped result names.
const FIRST_RESOURCES: usize = 5;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// A repository-relative URI for a path; absolute paths become `file://` URIs.
pub fn artifact_uri(path: &str) -> String {
    let normalized = path.replace('\\', "/");
    let relative = normalized.strip_prefix("./").unwrap_or(&normalized);
    if relative.starts_with('/') {
        format!("file://{}", relative.replace(' ', "%20"))
    } else {
        relative.replace(' ', "%20")
    }
}

/// PascalCase of a kebab-case id, for the rule's `name`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule_descriptor(rule: &Rule) -> Value {
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.tags.iter().cloned());
    let mut markdown = format!(
        "**{}**\n\n{}\n\n**Remediation:** {}",
        rule.title, rule.rationale, rule.remediation
    );
    if let Some(example) = &rule.example {
        markdown.push_str(&format!("\n\n**Example:**\n\n```\n{example}\n```"));
    }
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {
            "text": format!("{}\n\nRemediation: {}", rule.rationale, rule.remediation),
            "markdown": markdown,
        },
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "problem.severity": level(rule.severity),
            "security-severity": security_severity(rule.severity),
        }
    })
}

pub fn build(input: &ReportInput) -> Value {
    let rules: Vec<Value> = input.rules.iter().map(rule_descriptor).collect();
    let result_of = |finding: &crate::findings::Finding| -> Value {
        let rule_index = input
            .rules
            .iter()
            .position(|r| *r.id == *finding.rule_id)
            .unwrap_or(0);
        let mut properties = json!({
            "severity": finding.severity.as_str(),
            "resourceKind": finding.resource.kind,
            "resourceId": finding.resource.id,
            "resourceName": finding.resource.name,
        });
        if let Some(account) = &finding.account {
            properties["accountId"] = json!(account.id);
            properties["accountName"] = json!(account.name);
        }
        if let Some(principal) = &finding.principal {
            properties["principal"] =
                json!(format!("{} {}", principal.principal_type, principal.name));
        }
        if let Some(set) = &finding.permission_set {
            properties["permissionSetArn"] = json!(set.arn);
        }
        let mut result = json!({
            "ruleId": finding.rule_id,
            "ruleIndex": rule_index,
            "level": level(finding.severity),
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(&finding.location.path)},
                    "region": {"startLine": finding.location.line.max(1)}
                },
                "logicalLocations": [{
                    "name": finding.resource.name,
                    "fullyQualifiedName": finding.resource.id,
                    "kind": finding.resource.kind,
                }]
            }],
            "partialFingerprints": {"primaryLocationLineHash": finding.fingerprint},
            "properties": properties,
        });
        if let Some(reason) = &finding.suppressed {
            result["suppressions"] = json!([{"kind": "external", "justification": reason}]);
        }
        if input.evaluation.baseline.is_some() {
            result["baselineState"] = json!(if finding.in_baseline {
                "unchanged"
            } else {
                "new"
            });
        }
        result
    };
    let mut notifications: Vec<Value> = Vec::new();
    // Results are built only for what is kept: a grouped report never holds one per finding.
    let results = fit(input, &result_of, &mut notifications);
    for incomplete in &input.evaluation.incomplete {
        for gap in &incomplete.gaps {
            notifications.push(json!({
                "level": "warning",
                "message": {"text": format!(
                    "rule {} may be incomplete: {} not collected ({} {}): {}",
                    incomplete.rule_id, gap.area, gap.operation, gap.resource, gap.error
                )},
                "descriptor": {"id": "collection-gap"},
            }));
        }
    }
    for error in &input.evaluation.errors {
        notifications.push(json!({
            "level": "error",
            "message": {"text": error.to_string()},
            "descriptor": {"id": "rule-error"},
        }));
    }
    let mut sarif = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ssoaudit",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
                "properties": {
                    "actionCatalog": crate::iam::catalog::VENDORED,
                    "managedPolicyCatalog": crate::iam::managed::VENDORED,
                },
            }},
            "invocations": [{
                "executionSuccessful": input.evaluation.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    if let Some(baseline) = &input.evaluation.baseline {
        sarif["runs"][0]["properties"] = json!({"baseline": {
            "new": baseline.new,
            "unchanged": baseline.unchanged,
            "resolved": baseline.resolved.len(),
        }});
    }
    sarif
}

/// Keeps the results within what GitHub shows: grouped per rule and account, then per rule,
/// then cut, most severe first; each step said in a notification.
fn fit(
    input: &ReportInput,
    result_of: &dyn Fn(&crate::findings::Finding) -> Value,
    notifications: &mut Vec<Value>,
) -> Vec<Value> {
    let findings = &input.evaluation.findings;
    if findings.len() <= MAX_RESULTS {
        return findings.iter().map(result_of).collect();
    }
    let total = findings.len();
    let by_account = |i: usize| {
        let finding = &findings[i];
        (
            finding.rule_id.to_string(),
            finding
                .account
                .as_ref()
                .map(|a| (a.id.clone(), a.name.clone())),
        )
    };
    let mut grouped = group(input, result_of, by_account);
    let mut how = "one per rule and account";
    if grouped.len() > MAX_RESULTS {
        grouped = group(input, result_of, |i| {
            (findings[i].rule_id.to_string(), None)
        });
        how = "one per rule";
    }
    notifications.push(json!({
        "level": "note",
        "message": {"text": format!(
            "{total} findings are more than the {MAX_RESULTS} results GitHub code scanning shows: grouped into {} results, {how}, each with its count and first {FIRST_RESOURCES} resources; the JSON report (--format json) lists every finding",
            grouped.len()
        )},
        "descriptor": {"id": "results-grouped"},
    }));
    if grouped.len() > MAX_RESULTS {
        let left_out = grouped.len() - MAX_RESULTS;
        grouped.truncate(MAX_RESULTS);
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{left_out} grouped results (the least severe) left out to stay within {MAX_RESULTS}; the JSON report (--format json) lists every finding"
            )},
            "descriptor": {"id": "results-left-out"},
        }));
    }
    grouped
}

/// What results are grouped by: the rule, and the account (id, name) when grouped per account.
type GroupKey = (String, Option<(String, String)>);

/// One result per key: a key with one finding keeps its result; several become one result
/// that counts them and names the first. Results stay in finding order (most severe first).
fn group(
    input: &ReportInput,
    result_of: &dyn Fn(&crate::findings::Finding) -> Value,
    key: impl Fn(usize) -> GroupKey,
) -> Vec<Value> {
    let findings = &input.evaluation.findings;
    let mut order: Vec<GroupKey> = Vec::new();
    let mut members: std::collections::HashMap<GroupKey, Vec<usize>> = Default::default();
    for i in 0..findings.len() {
        let k = key(i);
        let entry = members.entry(k.clone()).or_default();
        if entry.is_empty() {
            order.push(k);
        }
        entry.push(i);
    }
    order
        .into_iter()
        .map(|k| {
            let indices = &members[&k];
            let first = indices[0];
            if indices.len() == 1 {
                return result_of(&findings[first]);
            }
            let (rule_id, account) = &k;
            let mut result = result_of(&findings[first]);
            let names: Vec<&str> = indices
                .iter()
                .take(FIRST_RESOURCES)
                .map(|&i| findings[i].resource.name.as_str())
                .collect();
            let place = account
                .as_ref()
                .map(|(id, name)| format!(" in {name} ({id})"))
                .unwrap_or_default();
            result["message"] = json!({"text": format!(
                "{} findings of {rule_id}{place}, grouped: {}{}. First: {}",
                indices.len(),
                findings[first].title,
                if indices.len() > FIRST_RESOURCES { " (the JSON report lists all)" } else { "" },
                findings[first].message
            )});
            let (resource_id, resource_name) = account.clone().unwrap_or_else(|| (rule_id.clone(), rule_id.clone()));
            let resource = crate::findings::Resource {
                kind: crate::vocabulary::ResourceKind::Account,
                id: resource_id.clone(),
                name: resource_name.clone(),
            };
            result["partialFingerprints"] = json!({
                "primaryLocationLineHash": crate::findings::fingerprint(&format!("{rule_id}#grouped"), &resource)
            });
            result["locations"][0]["logicalLocations"] = json!([{
                "name": resource_name,
                "fullyQualifiedName": resource_id,
                "kind": if account.is_some() { "account" } else { "rule" },
            }]);
            result["properties"]["groupedFindings"] = json!(indices.len());
            result["properties"]["firstResources"] = json!(names);
            // Suppressed only if all are; new if any is.
            if indices.iter().any(|&i| findings[i].suppressed.is_none())
                && let Some(object) = result.as_object_mut()
            {
                object.remove("suppressions");
            }
            if input.evaluation.baseline.is_some() {
                let any_new = indices.iter().any(|&i| !findings[i].in_baseline);
                result["baselineState"] = json!(if any_new { "new" } else { "unchanged" });
            }
            result
        })
        .collect()
}

pub fn write(input: &ReportInput, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &build(input))?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_or_file() {
        assert_eq!(artifact_uri("rules/a.yaml"), "rules/a.yaml");
        assert_eq!(artifact_uri("./stacks/x y.yaml"), "stacks/x%20y.yaml");
        assert_eq!(artifact_uri("/tmp/r.yaml"), "file:///tmp/r.yaml");
    }

    fn finding(
        rule: &str,
        severity: Severity,
        account: &str,
        n: usize,
    ) -> crate::findings::Finding {
        let resource = crate::findings::Resource {
            kind: crate::vocabulary::ResourceKind::Account,
            id: format!("{account}/{n}"),
            name: format!("r{n}"),
        };
        crate::findings::Finding {
            rule_id: rule.into(),
            severity,
            title: "t".into(),
            message: format!("m{n}"),
            brief: None,
            fingerprint: crate::findings::fingerprint(rule, &resource),
            resource,
            account: Some(
                crate::findings::AccountRef {
                    id: account.into(),
                    name: account.into(),
                }
                .into(),
            ),
            principal: None,
            permission_set: None,
            via: None,
            location: crate::findings::SourceLocation {
                path: "rules/x.yaml".into(),
                line: 1,
            }
            .into(),
            suppressed: None,
            in_baseline: false,
        }
    }

    fn sarif_of(findings: Vec<crate::findings::Finding>) -> Value {
        let rules = crate::rules::load(&crate::rules::builtin_sources()).unwrap();
        let evaluation = crate::engine::Evaluation {
            findings,
            ..Default::default()
        };
        build(&ReportInput {
            evaluation: &evaluation,
            rules: &rules,
            fail_on: Some(Severity::Low),
            snapshot_source: "test",
            captured_at: "2026-11-28T00:00:00Z",
            now: chrono::DateTime::UNIX_EPOCH,
            region: "us-east-1",
            management_account_id: "100000000001",
            history: None,
        })
    }

    fn notes(sarif: &Value) -> Vec<String> {
        sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["message"]["text"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn too_many_results_are_grouped_per_rule_when_accounts_are_too_many() {
        // 6,000 findings of one rule, each in its own account: per account is still 6,000.
        let findings = (0..6_000)
            .map(|n| finding("unused-assignment", Severity::Medium, &format!("a{n}"), n))
            .collect();
        let sarif = sarif_of(findings);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["properties"]["groupedFindings"], 6_000);
        assert!(notes(&sarif)[0].contains("grouped into 1 results, one per rule"));
    }

    #[test]
    fn what_grouping_cannot_fit_is_cut_least_severe_first_and_said() {
        // 6,000 rules' worth of single findings cannot be grouped: the least severe go.
        let mut findings: Vec<_> = (0..6_000)
            .map(|n| {
                let severity = if n < 100 {
                    Severity::Critical
                } else {
                    Severity::Low
                };
                finding(&format!("rule-{n:04}"), severity, "a", n)
            })
            .collect();
        crate::findings::sort(&mut findings);
        let sarif = sarif_of(findings);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS);
        assert!(
            results[..100]
                .iter()
                .all(|r| r["properties"]["severity"] == "critical")
        );
        let notes = notes(&sarif);
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("1000 grouped results (the least severe) left out")),
            "{notes:?}"
        );
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(
            pascal_case("no-direct-user-assignments"),
            "NoDirectUserAssignments"
        );
    }
}
