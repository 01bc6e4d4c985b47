//! The JSON report: a frozen, versioned output type (`version: 1`), separate from the internal
//! structs so that refactors never change what machines read.

use super::{ReportInput, severity_counts, suppressed_count};
use crate::findings::Finding;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub tool: Tool,
    /// The vendored catalogs capabilities were judged with.
    pub catalogs: Catalogs,
    pub snapshot: SnapshotInfo<'a>,
    pub summary: Summary<'a>,
    pub incomplete: Vec<Incomplete<'a>>,
    pub errors: Vec<String>,
    pub findings: Vec<FindingOut<'a>>,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct Catalogs {
    pub actions: &'static str,
    pub managed_policies: &'static str,
}

impl Catalogs {
    pub fn current() -> Catalogs {
        Catalogs {
            actions: crate::iam::catalog::VENDORED,
            managed_policies: crate::iam::managed::VENDORED,
        }
    }
}

impl Tool {
    /// This build.
    pub fn current() -> Tool {
        Tool {
            name: "ssoaudit",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Serialize)]
pub struct SnapshotInfo<'a> {
    pub source: &'a str,
    /// When the snapshot was captured (RFC 3339).
    pub captured_at: &'a str,
    /// The time the rules were evaluated for (`--now`, else the clock), RFC 3339: with
    /// `captured_at`, what lets a folder of reports alone make a history.
    pub evaluated_at: String,
}

#[derive(Serialize)]
pub struct Summary<'a> {
    pub findings: usize,
    pub suppressed: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
    pub rules_evaluated: usize,
    /// Drift rules not evaluated because no stack file was given.
    pub skipped_rules: Vec<&'a str>,
    pub incomplete_rules: usize,
    pub fail_on: &'static str,
    /// With --baseline only: new, unchanged and resolved findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineOut<'a>>,
}

#[derive(Serialize)]
pub struct BaselineOut<'a> {
    pub new: usize,
    pub unchanged: usize,
    pub resolved: usize,
    /// The baseline's findings no longer found.
    pub resolved_findings: Vec<ResolvedOut<'a>>,
}

#[derive(Serialize)]
pub struct ResolvedOut<'a> {
    pub rule_id: &'a str,
    pub fingerprint: &'a str,
    pub message: &'a str,
}

#[derive(Serialize)]
pub struct Incomplete<'a> {
    pub rule_id: &'a str,
    pub gaps: Vec<GapOut<'a>>,
}

#[derive(Serialize)]
pub struct GapOut<'a> {
    pub area: &'a str,
    pub operation: &'a str,
    pub resource: &'a str,
    pub error: &'a str,
}

#[derive(Serialize)]
pub struct FindingOut<'a> {
    pub rule_id: &'a str,
    pub severity: &'static str,
    pub title: &'a str,
    pub message: &'a str,
    pub resource: ResourceOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<PermissionSetOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<PrincipalOut<'a>>,
    pub fingerprint: &'a str,
    pub location: LocationOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<SuppressedOut<'a>>,
    /// With --baseline only: `new`, or `unchanged` (the baseline holds it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<&'static str>,
}

#[derive(Serialize)]
pub struct ResourceOut<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct AccountOut<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct PrincipalOut<'a> {
    #[serde(rename = "type")]
    pub principal_type: &'a str,
    pub id: &'a str,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct PermissionSetOut<'a> {
    pub arn: &'a str,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct LocationOut<'a> {
    pub path: &'a str,
    pub line: u32,
}

#[derive(Serialize)]
pub struct SuppressedOut<'a> {
    pub reason: &'a str,
}

fn principal_out(p: &crate::findings::PrincipalRef) -> PrincipalOut<'_> {
    PrincipalOut {
        principal_type: &p.principal_type,
        id: &p.id,
        name: &p.name,
    }
}

fn finding_out(finding: &Finding, with_baseline: bool) -> FindingOut<'_> {
    FindingOut {
        rule_id: &finding.rule_id,
        severity: finding.severity.as_str(),
        title: &finding.title,
        message: &finding.message,
        resource: ResourceOut {
            kind: finding.resource.kind.as_str(),
            id: &finding.resource.id,
            name: &finding.resource.name,
        },
        account: finding.account.as_ref().map(|a| AccountOut {
            id: &a.id,
            name: &a.name,
        }),
        principal: finding.principal.as_deref().map(principal_out),
        permission_set: finding.permission_set.as_ref().map(|p| PermissionSetOut {
            arn: &p.arn,
            name: &p.name,
        }),
        via: finding.via.as_deref().map(principal_out),
        fingerprint: &finding.fingerprint,
        location: LocationOut {
            path: &finding.location.path,
            line: finding.location.line,
        },
        suppressed: finding
            .suppressed
            .as_deref()
            .map(|reason| SuppressedOut { reason }),
        baseline: with_baseline.then_some(if finding.in_baseline {
            "unchanged"
        } else {
            "new"
        }),
    }
}

/// The report; with `findings` false, without its findings (written apart, chunk by chunk).
pub fn build<'a>(input: &'a ReportInput<'a>, findings: bool) -> Report<'a> {
    let evaluation = input.evaluation;
    Report {
        version: FORMAT_VERSION,
        tool: Tool::current(),
        catalogs: Catalogs::current(),
        snapshot: SnapshotInfo {
            source: input.snapshot_source,
            captured_at: input.captured_at,
            evaluated_at: input.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        summary: Summary {
            findings: evaluation.findings.len() - suppressed_count(evaluation),
            suppressed: suppressed_count(evaluation),
            by_severity: severity_counts(evaluation)
                .into_iter()
                .map(|(s, n)| (s.as_str(), n))
                .collect(),
            rules_evaluated: evaluation.rules_evaluated,
            skipped_rules: {
                let mut ids: Vec<&str> = evaluation
                    .skipped
                    .iter()
                    .chain(&evaluation.skipped_previous)
                    .map(String::as_str)
                    .collect();
                ids.sort_unstable();
                ids
            },
            incomplete_rules: evaluation.incomplete.len(),
            fail_on: input.fail_on.map(|s| s.as_str()).unwrap_or("never"),
            baseline: evaluation.baseline.as_ref().map(|b| BaselineOut {
                new: b.new,
                unchanged: b.unchanged,
                resolved: b.resolved.len(),
                resolved_findings: b
                    .resolved
                    .iter()
                    .map(|k| ResolvedOut {
                        rule_id: &k.rule_id,
                        fingerprint: &k.fingerprint,
                        message: &k.message,
                    })
                    .collect(),
            }),
        },
        incomplete: evaluation
            .incomplete
            .iter()
            .map(|rule| Incomplete {
                rule_id: &rule.rule_id,
                gaps: rule
                    .gaps
                    .iter()
                    .map(|g| GapOut {
                        area: g.area.as_str(),
                        operation: &g.operation,
                        resource: &g.resource,
                        error: &g.error,
                    })
                    .collect(),
            })
            .collect(),
        errors: evaluation.errors.iter().map(|e| e.to_string()).collect(),
        findings: match findings {
            true => evaluation
                .findings
                .iter()
                .map(|f| finding_out(f, evaluation.baseline.is_some()))
                .collect(),
            false => Vec::new(),
        },
    }
}

/// Reports with at least this many findings are written on every core.
const PARALLEL_FINDINGS: usize = 10_000;

pub fn write(input: &ReportInput, out: &mut dyn Write) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    write_with(input, out, threads, PARALLEL_FINDINGS)
}

/// The report, its findings serialized side by side when there are many (the bytes of the
/// plain printer; see `parallel_json`).
fn write_with(
    input: &ReportInput,
    out: &mut dyn Write,
    threads: usize,
    parallel_from: usize,
) -> std::io::Result<()> {
    use crate::parallel_json::{SpliceError, Spliced};
    let findings = &input.evaluation.findings;
    if threads > 1 && findings.len() >= parallel_from {
        let skeleton = serde_json::to_vec_pretty(&build(input, false))?;
        // Each finding turned into its output form as its chunk is serialized: 200,000 of
        // them are never held a second time.
        let with_baseline = input.evaluation.baseline.is_some();
        let items = crate::parallel_json::Mapped {
            items: findings,
            map: move |f| finding_out(f, with_baseline),
        };
        let spliced = crate::parallel_json::write(
            &skeleton,
            &[Spliced {
                marker: "\n  \"findings\": []",
                items: &items,
            }],
            threads,
            out,
        );
        match spliced {
            Ok(()) => return out.write_all(b"\n"),
            Err(SpliceError::Io(error)) => return Err(error),
            Err(SpliceError::Json(error)) => return Err(error.into()),
            Err(SpliceError::Marker(_)) => {}
        }
    }
    serde_json::to_writer_pretty(&mut *out, &build(input, true))?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_written_on_every_core_are_the_plain_printers_bytes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/reference-violating.snapshot.json");
        let snapshot = crate::snapshot::Snapshot::load(&path).unwrap();
        let rules = crate::rules::load(&crate::rules::builtin_sources()).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let evaluation = crate::engine::evaluate(&snapshot, &rules, now);
        assert!(evaluation.findings.len() > 10);
        let input = ReportInput {
            evaluation: &evaluation,
            rules: &rules,
            fail_on: None,
            snapshot_source: &snapshot.metadata.source,
            captured_at: &snapshot.metadata.captured_at,
            now,
            region: &snapshot.metadata.region,
            management_account_id: &snapshot.organization.management_account_id,
            history: None,
        };
        let mut plain = Vec::new();
        write_with(&input, &mut plain, 1, usize::MAX).unwrap();
        for threads in [2, 3] {
            let mut parallel = Vec::new();
            write_with(&input, &mut parallel, threads, 1).unwrap();
            assert_eq!(
                String::from_utf8(parallel).unwrap(),
                String::from_utf8(plain.clone()).unwrap()
            );
        }
    }
}
