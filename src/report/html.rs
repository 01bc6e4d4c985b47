//! The HTML report of `check`: one self-contained file (no script, style or font from
//! anywhere else; it works from disk, with no server). Summary and collection gaps first, then
//! findings with filters and search, the access matrix (accounts by groups, each cell the
//! permission sets or roles held, coloured by what they can do, opening to the users behind
//! it), each permission set's capabilities and why, and the evidence coverage.
//!
//! The page carries its data as JSON and draws the findings and the matrix a page at a time, so
//! a 1,000-account organization stays usable. The same input gives the same bytes.

use super::{ReportInput, summary_line};
use crate::iam::capabilities::Capabilities;
use crate::overview::{Grant, Overview};
use serde::Serialize;
use std::collections::BTreeMap;

/// The page: style, layout and script, with `{{SUMMARY}}` and `{{DATA}}` where the summary
/// line and the report's data go.
const PAGE: &str = include_str!("page.html");

/// The rule whose parameters say which services are billing, cost and support.
const BILLING_RULE: &str = "billing-admin-billing-only";

/// Services whose writes are billing, cost and support, from the `billing_services` of the
/// billing rule in force (none when it is not loaded): a set that writes only these is
/// coloured "billing".
fn billing_services<'a>(input: &ReportInput<'a>) -> Vec<&'a str> {
    input
        .rules
        .iter()
        .find(|r| r.id == BILLING_RULE)
        .and_then(|r| r.params.get("billing_services"))
        .and_then(|v| v.as_array())
        .map(|list| list.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default()
}

/// What a set or role can do, as the colour of its cells.
fn class(capabilities: &Capabilities, billing: &[&str]) -> &'static str {
    let word = crate::access::capability_word(capabilities);
    if word == "write"
        && !billing.is_empty()
        && capabilities
            .writable_services
            .iter()
            .all(|s| billing.contains(&s.as_str()))
    {
        "billing"
    } else {
        word
    }
}

#[derive(Serialize)]
struct Data<'a> {
    summary: String,
    source: &'a str,
    captured_at: &'a str,
    counts: BTreeMap<&'static str, usize>,
    total: usize,
    suppressed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<[usize; 3]>,
    gaps: Vec<GapRow>,
    errors: Vec<String>,
    findings: Vec<FindingRow<'a>>,
    matrix: Matrix<'a>,
    sets: Vec<SetRow<'a>>,
    coverage: Coverage<'a>,
}

#[derive(Serialize)]
struct GapRow {
    area: String,
    what: String,
    error: String,
    rules: Vec<String>,
}

#[derive(Serialize)]
struct FindingRow<'a> {
    severity: &'static str,
    rule: &'a str,
    title: &'a str,
    kind: &'static str,
    resource: &'a str,
    account: &'a str,
    principal: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a str>,
    baseline: bool,
}

#[derive(Serialize)]
struct Matrix<'a> {
    accounts: Vec<AccountCol<'a>>,
    /// Group names; the last column is direct user access.
    groups: Vec<&'a str>,
    /// Members of each group (user positions).
    members: &'a [Vec<usize>],
    users: Vec<&'a str>,
    /// The sets and roles granted, each with its class: [name, class].
    kinds: Vec<(&'a str, &'static str)>,
    /// Per account: [column, [grant...]].
    cells: &'a [Vec<(usize, Vec<Grant>)>],
}

#[derive(Serialize)]
struct AccountCol<'a> {
    name: &'a str,
    id: &'a str,
    management: bool,
}

#[derive(Serialize)]
struct SetRow<'a> {
    name: &'a str,
    arn: &'a str,
    class: &'static str,
    kind: &'static str,
    admin_reasons: &'a [String],
    writable: &'a [String],
    unknown: &'a [String],
    accounts: usize,
}

#[derive(Serialize)]
struct Coverage<'a> {
    sources: Vec<&'static str>,
    from: Option<&'a str>,
    to: Option<&'a str>,
}

/// The page of `input`, with the organization's `overview`.
pub fn write(input: &ReportInput, overview: &Overview) -> String {
    let evaluation = input.evaluation;
    let billing = billing_services(input);
    let class_of = |facts: Option<usize>| match facts {
        Some(facts) => class(overview.capabilities(facts), &billing),
        None => "unknown",
    };
    let gaps = super::distinct_gaps(evaluation);
    let findings = evaluation
        .findings
        .iter()
        .map(|f| FindingRow {
            severity: f.severity.as_str(),
            rule: &f.rule_id,
            title: &f.title,
            kind: f.resource.kind.as_str(),
            resource: &f.resource.name,
            account: f.account.as_ref().map(|a| a.name.as_str()).unwrap_or(""),
            principal: f
                .via
                .as_ref()
                .or(f.principal.as_ref())
                .map(|p| p.name.as_str())
                .unwrap_or(""),
            message: &f.message,
            suppressed: f.suppressed.as_deref(),
            baseline: f.in_baseline,
        })
        .collect();

    let matrix = Matrix {
        accounts: overview
            .accounts
            .iter()
            .map(|a| AccountCol {
                name: a.name,
                id: a.id,
                management: a.management,
            })
            .collect(),
        groups: overview.groups.clone(),
        members: &overview.members,
        users: overview.users.clone(),
        kinds: overview
            .kinds
            .iter()
            .map(|(name, facts)| (name.as_str(), class_of(*facts)))
            .collect(),
        cells: &overview.cells,
    };
    let set_rows: Vec<SetRow> = overview
        .grantors
        .iter()
        .map(|grantor| {
            let capabilities = overview.capabilities(grantor.facts);
            SetRow {
                name: &grantor.name,
                arn: grantor.arn,
                class: class(capabilities, &billing),
                kind: grantor.kind,
                admin_reasons: &capabilities.admin_reasons,
                writable: &capabilities.writable_services,
                unknown: &capabilities.unknown,
                accounts: grantor.accounts,
            }
        })
        .collect();

    let data = Data {
        summary: summary_line(input),
        source: input.snapshot_source,
        captured_at: overview.captured_at,
        counts: super::severity_counts(evaluation)
            .into_iter()
            .map(|(s, n)| (s.as_str(), n))
            .collect(),
        total: evaluation.findings.len() - super::suppressed_count(evaluation),
        suppressed: super::suppressed_count(evaluation),
        baseline: evaluation
            .baseline
            .as_ref()
            .map(|b| [b.new, b.unchanged, b.resolved.len()]),
        gaps: gaps
            .into_iter()
            .map(|((area, what, error), rules)| GapRow {
                area,
                what,
                error,
                rules: rules.into_iter().map(str::to_string).collect(),
            })
            .collect(),
        errors: evaluation.errors.iter().map(|e| e.to_string()).collect(),
        findings,
        matrix,
        sets: set_rows,
        coverage: Coverage {
            sources: overview.sources.clone(),
            from: overview.covered_from,
            to: overview.covered_to,
        },
    };
    // JSON inside a script element: `<` escaped, so no `</script>` can end it early.
    let json = serde_json::to_string(&data)
        .expect("the report data serializes")
        .replace('<', "\\u003c");
    let (head, rest) = PAGE
        .split_once("{{SUMMARY}}")
        .expect("the page has a summary");
    let (middle, tail) = rest.split_once("{{DATA}}").expect("the page has data");
    let mut page = String::with_capacity(json.len() + PAGE.len() + 256);
    match input.history {
        // The history section after the last section, its styles at the end of the sheet.
        Some(history) => {
            let (before_style, after_style) =
                head.split_once("</style>").expect("the page has styles");
            page.push_str(before_style);
            page.push_str(super::plots::STYLE);
            page.push_str("</style>");
            page.push_str(after_style);
            page.push_str(&escape(&summary_line(input)));
            let (before_main, after_main) = middle
                .split_once("</main>")
                .expect("the page has a main element");
            page.push_str(&before_main.replace(
                r##"<a href="#coverage">Evidence coverage</a>"##,
                r##"<a href="#coverage">Evidence coverage</a><a href="#history">History</a>"##,
            ));
            page.push_str(&super::plots::section(history));
            page.push_str("</main>");
            page.push_str(after_main);
        }
        None => {
            page.push_str(head);
            page.push_str(&escape(&summary_line(input)));
            page.push_str(middle);
        }
    }
    page.push_str(&json);
    page.push_str(tail);
    page
}

/// Text for HTML content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
