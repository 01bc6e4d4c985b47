//! SARIF 2.1.0 for GitHub code scanning: one run, every enabled rule in the driver with the
//! properties GitHub reads (`security-severity`, `tags`), one location per result and a stable
//! `primaryLocationLineHash`. Collection gaps become tool execution notifications.

use super::ReportInput;
use crate::rules::{Rule, Severity};
use serde_json::{Value, json};
use std::io::Write;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

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
    let results: Vec<Value> = input
        .evaluation
        .findings
        .iter()
        .map(|finding| {
            let rule_index = input
                .rules
                .iter()
                .position(|r| r.id == finding.rule_id)
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
        })
        .collect();
    let mut notifications: Vec<Value> = Vec::new();
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

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(
            pascal_case("no-direct-user-assignments"),
            "NoDirectUserAssignments"
        );
    }
}
