//! OCSF output: each finding as an OCSF 1.3 Compliance Finding (class 2003), one JSON document
//! per line, for Security Lake custom sources (which take OCSF 1.3 or earlier), Security Hub
//! and data lakes.
//!
//! Only fields OCSF 1.3 defines are written, so that a record is valid where Security Lake
//! reads it; what has no OCSF field (the principal, the permission set, the stack line) goes
//! to `unmapped` as strings (a free-form map that Glue and Athena read as map<string,string>).
//! The finding's fingerprint is `finding_info.uid`: stable across runs, so a finding seen again
//! updates the same record. With `--baseline`, a finding the baseline holds is an Update
//! (`activity_id` 2), a new one a Create (1), and one the baseline held that is gone a Close
//! (3) with status Resolved and compliance Pass.

use super::ReportInput;
use crate::findings::{Finding, Severity};
use crate::rules::Rule;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// The OCSF version written: the newest Security Lake custom sources accept.
pub const OCSF_VERSION: &str = "1.3.0";
pub const CLASS_UID: u32 = 2003;
pub const CATEGORY_UID: u32 = 2;

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Record {
    pub activity_id: u32,
    pub activity_name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
    pub class_uid: u32,
    pub class_name: &'static str,
    pub type_uid: u64,
    pub type_name: String,
    /// Milliseconds since the epoch: when the rules were evaluated.
    pub time: i64,
    pub severity_id: u32,
    pub severity: &'static str,
    pub status_id: u32,
    pub status: &'static str,
    pub message: String,
    pub metadata: Metadata,
    pub finding_info: FindingInfo,
    pub compliance: Compliance,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceDetails>,
    pub cloud: Cloud,
    pub remediation: Remediation,
    pub unmapped: BTreeMap<&'static str, String>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Metadata {
    pub version: &'static str,
    pub product: Product,
    pub profiles: Vec<&'static str>,
    pub log_name: &'static str,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Product {
    pub name: &'static str,
    pub vendor_name: &'static str,
    pub uid: &'static str,
    pub version: &'static str,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct FindingInfo {
    pub uid: String,
    pub title: String,
    pub desc: String,
    pub analytic: Analytic,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Analytic {
    pub uid: String,
    pub name: String,
    /// 1: Rule.
    pub type_id: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Compliance {
    pub control: String,
    pub requirements: Vec<String>,
    pub standards: Vec<String>,
    pub status_id: u32,
    pub status: &'static str,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ResourceDetails {
    pub uid: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub cloud_partition: &'static str,
    pub region: String,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Cloud {
    pub provider: &'static str,
    pub region: String,
    pub account: CloudAccount,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct CloudAccount {
    pub uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// 10: AWS Account.
    pub type_id: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Remediation {
    pub desc: String,
}

pub fn severity(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Critical => (5, "Critical"),
        Severity::High => (4, "High"),
        Severity::Medium => (3, "Medium"),
        Severity::Low => (2, "Low"),
        Severity::Info => (1, "Informational"),
    }
}

fn activity(id: u32) -> &'static str {
    match id {
        1 => "Create",
        2 => "Update",
        _ => "Close",
    }
}

fn standards(rule: Option<&Rule>) -> Vec<String> {
    match rule {
        Some(rule) if !rule.origin.builtin => vec![format!("ssoaudit rules: {}", rule.origin.path)],
        _ => vec!["ssoaudit built-in rules".to_string()],
    }
}

struct Common<'a> {
    time: i64,
    input: &'a ReportInput<'a>,
}

impl Common<'_> {
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        activity_id: u32,
        (status_id, status): (u32, &'static str),
        (compliance_id, compliance_status): (u32, &'static str),
        severity_of: Severity,
        rule_id: &str,
        uid: &str,
        message: &str,
        account: (String, String),
    ) -> Record {
        let rule = self.input.rules.iter().find(|r| r.id == rule_id);
        let (severity_id, severity_name) = severity(severity_of);
        Record {
            activity_id,
            activity_name: activity(activity_id),
            category_uid: CATEGORY_UID,
            category_name: "Findings",
            class_uid: CLASS_UID,
            class_name: "Compliance Finding",
            type_uid: u64::from(CLASS_UID) * 100 + u64::from(activity_id),
            type_name: format!("Compliance Finding: {}", activity(activity_id)),
            time: self.time,
            severity_id,
            severity: severity_name,
            status_id,
            status,
            message: message.to_string(),
            metadata: Metadata {
                version: OCSF_VERSION,
                product: Product {
                    name: "ssoaudit",
                    vendor_name: "ssoaudit",
                    uid: "ssoaudit",
                    version: env!("CARGO_PKG_VERSION"),
                },
                profiles: vec!["cloud"],
                log_name: "ssoaudit check",
            },
            finding_info: FindingInfo {
                uid: uid.to_string(),
                title: rule
                    .map(|r| r.title.clone())
                    .unwrap_or_else(|| rule_id.to_string()),
                desc: message.to_string(),
                analytic: Analytic {
                    uid: rule_id.to_string(),
                    name: rule_id.to_string(),
                    type_id: 1,
                    kind: "Rule",
                },
                types: rule.map(|r| r.tags.clone()).unwrap_or_default(),
            },
            compliance: Compliance {
                control: rule_id.to_string(),
                requirements: vec![rule_id.to_string()],
                standards: standards(rule),
                status_id: compliance_id,
                status: compliance_status,
            },
            resources: Vec::new(),
            cloud: Cloud {
                provider: "AWS",
                region: self.input.region.to_string(),
                account: CloudAccount {
                    uid: account.0,
                    name: account.1,
                    type_id: 10,
                    kind: "AWS Account",
                },
            },
            remediation: Remediation {
                desc: rule
                    .map(|r| r.remediation.trim().to_string())
                    .unwrap_or_default(),
            },
            unmapped: BTreeMap::from([("rule_id", rule_id.to_string())]),
        }
    }
}

/// The records of a report: every finding (suppressed ones with status Suppressed), then, with
/// a baseline, a Close record for each finding it held that is gone.
pub fn records(input: &ReportInput) -> Vec<Record> {
    let common = Common {
        time: input.now.timestamp_millis(),
        input,
    };
    let instance_account = || (input.management_account_id.to_string(), String::new());
    let mut out: Vec<Record> = input
        .evaluation
        .findings
        .iter()
        .map(|f| finding_record(&common, f, instance_account()))
        .collect();
    if let Some(baseline) = &input.evaluation.baseline {
        for gone in &baseline.resolved {
            let severity = input
                .rules
                .iter()
                .find(|r| r.id == gone.rule_id)
                .map(|r| r.severity)
                .unwrap_or(Severity::Info);
            let mut record = common.record(
                3,
                (4, "Resolved"),
                (1, "Pass"),
                severity,
                &gone.rule_id,
                &gone.fingerprint,
                &gone.message,
                instance_account(),
            );
            record
                .unmapped
                .insert("fingerprint", gone.fingerprint.clone());
            record.unmapped.insert("baseline", "resolved".into());
            out.push(record);
        }
    }
    out
}

fn finding_record(common: &Common, finding: &Finding, instance: (String, String)) -> Record {
    let activity_id = if finding.in_baseline { 2 } else { 1 };
    let status = if finding.suppressed.is_some() {
        (3, "Suppressed")
    } else {
        (1, "New")
    };
    // A finding about an account the organization does not have (a stack's account key with
    // no id) is filed under the instance's account, the name kept in `unmapped`.
    let account = match &finding.account {
        Some(a) if !a.id.is_empty() => (a.id.clone(), a.name.clone()),
        _ => instance,
    };
    let mut record = common.record(
        activity_id,
        status,
        (3, "Fail"),
        finding.severity,
        &finding.rule_id,
        &finding.fingerprint,
        &finding.message,
        account,
    );
    record.resources.push(ResourceDetails {
        uid: finding.resource.id.clone(),
        name: finding.resource.name.clone(),
        kind: finding.resource.kind.as_str(),
        cloud_partition: "aws",
        region: common.input.region.to_string(),
    });
    let unmapped = &mut record.unmapped;
    unmapped.insert("fingerprint", finding.fingerprint.to_string());
    let principal =
        |p: &crate::findings::PrincipalRef| format!("{} {} ({})", p.principal_type, p.name, p.id);
    if let Some(p) = &finding.principal {
        unmapped.insert("principal", principal(p));
    }
    if let Some(p) = &finding.via {
        unmapped.insert("via", principal(p));
    }
    if let Some(a) = finding.account.as_ref().filter(|a| a.id.is_empty()) {
        unmapped.insert("account", a.name.clone());
    }
    if let Some(set) = &finding.permission_set {
        unmapped.insert("permission_set", format!("{} ({})", set.name, set.arn));
    }
    unmapped.insert(
        "location",
        format!("{}:{}", finding.location.path, finding.location.line),
    );
    if let Some(reason) = &finding.suppressed {
        unmapped.insert("suppressed", reason.clone());
    }
    if common.input.evaluation.baseline.is_some() {
        let state = if finding.in_baseline {
            "unchanged"
        } else {
            "new"
        };
        unmapped.insert("baseline", state.into());
    }
    record
}

pub fn write(input: &ReportInput, out: &mut dyn Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    for record in records(input) {
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
