//! The HTML report of `check`: one self-contained file (no script, style or font from
//! anywhere else; it works from disk, with no server). Summary and collection gaps first, then
//! findings with filters and search, the access matrix (accounts by groups, each cell the
//! permission sets or roles held, coloured by what they can do, opening to the users behind
//! it), each permission set's capabilities and why, and the evidence coverage.
//!
//! The page carries its data as JSON and draws the findings and the matrix a page at a time, so
//! a 1,000-account organization stays usable. The same input gives the same bytes.

use super::{ReportInput, summary_line};
use crate::model::Model;
use crate::snapshot::{PrincipalType, Snapshot};
use serde::Serialize;
use std::collections::BTreeMap;

/// Services whose writes are billing, cost and support: a set that writes only these is
/// coloured "billing" (the list of `billing-admin-billing-only`).
const BILLING: &[&str] = &[
    "aws-portal",
    "billing",
    "billingconductor",
    "budgets",
    "ce",
    "consolidatedbilling",
    "cur",
    "freetier",
    "invoicing",
    "payments",
    "pricing",
    "purchase-orders",
    "savingsplans",
    "sustainability",
    "tax",
    "support",
    "support-console",
    "supportplans",
];

/// What a set or role can do, as the colour of its cells.
fn class(capabilities: &crate::iam::capabilities::Capabilities) -> &'static str {
    let word = crate::access::capability_word(capabilities);
    if word == "write"
        && capabilities
            .writable_services
            .iter()
            .all(|s| BILLING.contains(&s.as_str()))
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
    members: Vec<Vec<usize>>,
    users: Vec<&'a str>,
    /// The sets and roles granted, each with its class: [name, class].
    kinds: Vec<(String, &'static str)>,
    /// Per account: [column, [grant...]].
    cells: Vec<Vec<(usize, Vec<Grant>)>>,
}

#[derive(Serialize)]
struct AccountCol<'a> {
    name: &'a str,
    id: &'a str,
    management: bool,
}

/// One grant in a cell: the position of its (name, class) in `Matrix::kinds`, whether it is
/// an entitlement (1) or a permission set (0), and the user of a direct grant (-1 for none):
/// an array of three numbers, for a 200,000-assignment organization stays a few megabytes.
type Grant = (usize, u8, i64);

#[derive(Serialize)]
struct SetRow<'a> {
    name: String,
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

pub fn write(input: &ReportInput, snapshot: &Snapshot) -> String {
    let evaluation = input.evaluation;
    let model = Model::new(snapshot);
    let facts = model.policy_facts();
    let sets = snapshot.permission_sets.len();

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

    // The matrix: groups that hold access, then one column for direct user access.
    let mut held = vec![false; snapshot.groups.len()];
    let mut cells: Vec<BTreeMap<usize, Vec<Grant>>> =
        vec![BTreeMap::new(); snapshot.organization.accounts.len()];
    let mut kind_index: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut group_order: Vec<usize> = (0..snapshot.groups.len()).collect();
    group_order.sort_by(|&a, &b| {
        snapshot.groups[a]
            .display_name
            .cmp(&snapshot.groups[b].display_name)
    });
    for (position, route) in model.routes.iter().enumerate() {
        let target = model.assignment_targets[position];
        let (Some(account), Some(principal)) = (target.account, target.principal) else {
            continue;
        };
        let (name, class_of) = match target.permission_set {
            Some(p) if (p as usize) < sets => (
                snapshot.permission_sets[p as usize].name.clone(),
                class(&facts.capabilities[p as usize]),
            ),
            Some(p) => (
                crate::iam::role_label(route.grant_arn).to_string(),
                class(&facts.capabilities[p as usize]),
            ),
            None => (route.grant_arn.to_string(), "unknown"),
        };
        let (column, user) = match route.principal_type {
            PrincipalType::Group => {
                held[principal as usize] = true;
                (principal as usize, None)
            }
            PrincipalType::User => (usize::MAX, Some(principal as usize)),
        };
        let next = kind_index.len();
        let kind = *kind_index.entry((name, class_of)).or_insert(next);
        cells[account as usize].entry(column).or_default().push((
            kind,
            u8::from(route.entitlement.is_some()),
            user.map(|u| u as i64).unwrap_or(-1),
        ));
    }
    let columns: Vec<usize> = group_order.into_iter().filter(|&g| held[g]).collect();
    let column_of: BTreeMap<usize, usize> =
        columns.iter().enumerate().map(|(c, &g)| (g, c)).collect();
    let direct = columns.len();
    let mut account_order: Vec<usize> = (0..snapshot.organization.accounts.len()).collect();
    let management = |a: usize| model.is_management_account(&snapshot.organization.accounts[a].id);
    account_order.sort_by(|&a, &b| {
        (!management(a), &snapshot.organization.accounts[a].name)
            .cmp(&(!management(b), &snapshot.organization.accounts[b].name))
    });
    // The map iterates in name order: each kind's rank in it orders a cell's grants.
    let mut kinds = vec![(String::new(), ""); kind_index.len()];
    let mut rank = vec![0; kind_index.len()];
    for (r, ((name, class_of), i)) in kind_index.into_iter().enumerate() {
        kinds[i] = (name, class_of);
        rank[i] = r;
    }
    let matrix = Matrix {
        accounts: account_order
            .iter()
            .map(|&a| AccountCol {
                name: &snapshot.organization.accounts[a].name,
                id: &snapshot.organization.accounts[a].id,
                management: management(a),
            })
            .collect(),
        groups: columns
            .iter()
            .map(|&g| snapshot.groups[g].display_name.as_str())
            .collect(),
        members: columns
            .iter()
            .map(|&g| model.group_members[g].clone())
            .collect(),
        users: snapshot
            .users
            .iter()
            .map(|u| u.user_name.as_str())
            .collect(),
        kinds,
        cells: account_order
            .iter()
            .map(|&a| {
                let mut row: Vec<(usize, Vec<Grant>)> = std::mem::take(&mut cells[a])
                    .into_iter()
                    .map(|(column, mut grants)| {
                        grants.sort_by_key(|g| (rank[g.0], g.1, g.2));
                        grants.dedup();
                        let column = if column == usize::MAX {
                            direct
                        } else {
                            column_of[&column]
                        };
                        (column, grants)
                    })
                    .collect();
                row.sort_by_key(|(c, _)| *c);
                row
            })
            .collect(),
    };

    let mut set_rows: Vec<SetRow> = snapshot
        .permission_sets
        .iter()
        .enumerate()
        .map(|(p, set)| {
            let capabilities = &facts.capabilities[p];
            SetRow {
                name: set.name.clone(),
                arn: &set.arn,
                class: class(capabilities),
                kind: "permission set",
                admin_reasons: &capabilities.admin_reasons,
                writable: &capabilities.writable_services,
                unknown: &capabilities.unknown,
                accounts: model.permission_set_assigned_accounts[p].len(),
            }
        })
        .collect();
    for (r, arn) in model.roles.iter().enumerate() {
        let capabilities = &facts.capabilities[sets + r];
        set_rows.push(SetRow {
            name: crate::iam::role_label(arn).to_string(),
            arn,
            class: class(capabilities),
            kind: "IAM role (entitlement)",
            admin_reasons: &capabilities.admin_reasons,
            writable: &capabilities.writable_services,
            unknown: &capabilities.unknown,
            accounts: model
                .routes
                .iter()
                .filter(|route| route.grant_arn == *arn)
                .map(|route| route.account_id)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
        });
    }
    set_rows.sort_by(|a, b| a.name.cmp(&b.name));

    let data = Data {
        summary: summary_line(input),
        source: input.snapshot_source,
        captured_at: &snapshot.metadata.captured_at,
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
            sources: snapshot.events.sources.iter().map(|s| s.as_str()).collect(),
            from: snapshot.events.covered_from.as_deref(),
            to: snapshot.events.covered_to.as_deref(),
        },
    };
    // JSON inside a script element: `<` escaped, so no `</script>` can end it early.
    let json = serde_json::to_string(&data)
        .expect("the report data serializes")
        .replace('<', "\\u003c");
    let mut page = String::with_capacity(json.len() + PAGE.len() + 256);
    page.push_str(PAGE_HEAD);
    page.push_str(&escape(&summary_line(input)));
    page.push_str(PAGE_AFTER_TITLE);
    page.push_str(&json);
    page.push_str(PAGE);
    page
}

/// Text for HTML content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PAGE_HEAD: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>ssoaudit: IAM Identity Center audit</title>
<style>
:root { --fg:#1d2330; --muted:#5b6475; --line:#d7dce4; --bg:#f6f7f9; --card:#fff;
  --critical:#8e1212; --high:#c2410c; --medium:#a16207; --low:#1d4ed8; --info:#4b5563;
  --administrator:#fde2e1; --administrator-fg:#8e1212; --write:#feebc8; --write-fg:#7c3a03;
  --read-only:#dcfce7; --read-only-fg:#14532d; --billing:#dbeafe; --billing-fg:#1e3a8a;
  --unknown:#e5e7eb; --unknown-fg:#374151; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header, main { max-width: 1400px; margin: 0 auto; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
nav a { margin-right: 16px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h2 { margin-top: 0; font-size: 18px; }
.summary { font-size: 16px; font-weight: 600; }
.muted { color: var(--muted); }
.gaps { border: 2px solid #b45309; background: #fff7ed; }
.gaps h2 { color: #9a3412; }
.clean { border-left: 6px solid #15803d; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: #eef1f5; position: sticky; top: 0; z-index: 1; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.sev-critical { color: var(--critical); } .sev-high { color: var(--high); } .sev-medium { color: var(--medium); }
.sev-low { color: var(--low); } .sev-info { color: var(--info); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin-bottom: 12px; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filters select, .filters input { font: inherit; padding: 4px 6px; min-width: 160px; }
.pager { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
button { font: inherit; padding: 4px 10px; cursor: pointer; }
.chip { display: inline-block; margin: 1px 2px; padding: 1px 6px; border-radius: 10px; font-size: 12px; white-space: nowrap; border: 1px solid transparent; }
.administrator { background: var(--administrator); color: var(--administrator-fg); }
.write { background: var(--write); color: var(--write-fg); }
.read-only { background: var(--read-only); color: var(--read-only-fg); }
.billing { background: var(--billing); color: var(--billing-fg); }
.unknown { background: var(--unknown); color: var(--unknown-fg); }
.route-entitlement { border: 1px dashed currentColor; }
.matrix-wrap { overflow: auto; max-height: 75vh; }
.matrix td, .matrix th { min-width: 120px; }
.matrix th.account { position: sticky; left: 0; background: #eef1f5; z-index: 2; min-width: 180px; }
.matrix tr.management th.account::after { content: " (management)"; color: var(--critical); font-weight: 400; font-size: 12px; }
details summary { cursor: pointer; list-style: none; }
details summary::-webkit-details-marker { display: none; }
details ul { margin: 4px 0 0 16px; padding: 0; font-size: 12px; }
.legend .chip { margin-right: 8px; }
tr.suppressed td, tr.baseline td { opacity: .6; }
:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
</style>
</head>
<body>
<header>
<h1>ssoaudit: IAM Identity Center audit</h1>
<p class="summary" id="summary">"##;

const PAGE_AFTER_TITLE: &str = r##"</p>
<p class="muted" id="source"></p>
<nav aria-label="Sections"><a href="#gaps">Collection gaps</a><a href="#findings">Findings</a><a href="#matrix">Access matrix</a><a href="#sets">Permission sets</a><a href="#coverage">Evidence coverage</a></nav>
</header>
<main>
<section id="gaps" aria-labelledby="gaps-title"><h2 id="gaps-title">Collection gaps</h2><div id="gaps-body"></div></section>
<section id="findings" aria-labelledby="findings-title"><h2 id="findings-title">Findings</h2>
<form class="filters" id="finding-filters" role="search" onsubmit="return false">
<label>Severity<select id="f-severity"><option value="">all</option></select></label>
<label>Rule<select id="f-rule"><option value="">all</option></select></label>
<label>Account<select id="f-account"><option value="">all</option></select></label>
<label>Principal<select id="f-principal"><option value="">all</option></select></label>
<label>Search<input type="search" id="f-text" placeholder="text in any column"></label>
</form>
<p id="finding-count" aria-live="polite"></p>
<table id="finding-table"><caption class="muted">Most severe first</caption>
<thead><tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Resource</th><th scope="col">Account</th><th scope="col">Principal</th><th scope="col">Finding</th></tr></thead>
<tbody></tbody></table>
<div class="pager" id="finding-pager"></div>
</section>
<section id="matrix" aria-labelledby="matrix-title"><h2 id="matrix-title">Access matrix</h2>
<p class="muted">Accounts by groups: each cell holds the permission sets (or, dashed, the IAM roles of account access manager entitlements) a group has in an account, coloured by what they can do. Open a cell to see the users behind it. The last column is access granted to users directly.</p>
<p class="legend"><span class="chip administrator">administrator</span><span class="chip write">write</span><span class="chip billing">billing</span><span class="chip read-only">read-only</span><span class="chip unknown">unknown</span><span class="chip unknown route-entitlement">entitlement (IAM role)</span></p>
<form class="filters" role="search" onsubmit="return false"><label>Account<input type="search" id="m-account" placeholder="name or id"></label><label>Group<input type="search" id="m-group" placeholder="name"></label></form>
<p id="matrix-count" aria-live="polite"></p>
<div class="matrix-wrap"><table class="matrix" id="matrix-table"><thead></thead><tbody></tbody></table></div>
<div class="pager" id="matrix-pager"></div>
</section>
<section id="sets" aria-labelledby="sets-title"><h2 id="sets-title">Permission sets and roles</h2>
<table id="set-table"><thead><tr><th scope="col">Name</th><th scope="col">Can</th><th scope="col">Accounts</th><th scope="col">Why</th></tr></thead><tbody></tbody></table>
</section>
<section id="coverage" aria-labelledby="coverage-title"><h2 id="coverage-title">Evidence coverage</h2><div id="coverage-body"></div></section>
</main>
<script type="application/json" id="data">"##;

const PAGE: &str = r##"</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
$("source").textContent = "Snapshot: " + D.source + (D.captured_at ? " (captured " + D.captured_at + ")" : "") +
  (D.baseline ? " · against the baseline: " + D.baseline[0] + " new, " + D.baseline[1] + " unchanged, " + D.baseline[2] + " resolved" : "");

// Collection gaps: first, impossible to miss.
(function gaps() {
  const section = $("gaps"), body = $("gaps-body");
  if (!D.gaps.length && !D.errors.length) {
    section.classList.add("clean");
    body.append(el("p", {}, "Every rule saw all the data it reads."));
    return;
  }
  section.classList.add("gaps");
  section.setAttribute("role", "alert");
  body.append(el("p", {}, D.gaps.length + " collection gap(s): the rules listed may be incomplete, never clean."));
  const t = el("table", {}, el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Area"), el("th", {scope: "col"}, "Not read"), el("th", {scope: "col"}, "Error"), el("th", {scope: "col"}, "Rules affected"))));
  const tb = el("tbody");
  for (const g of D.gaps) tb.append(el("tr", {}, el("td", {}, g.area), el("td", {}, g.what), el("td", {}, g.error), el("td", {}, g.rules.join(", "))));
  t.append(tb); body.append(t);
  for (const e of D.errors) body.append(el("p", {}, "Rule error: " + e));
})();

// Findings, filtered and paged.
const PAGE_SIZE = 200;
let findingPage = 0;
function options(select, values) {
  for (const v of [...new Set(values)].filter(Boolean).sort()) select.append(el("option", {value: v}, v));
}
options($("f-severity"), ["critical", "high", "medium", "low", "info"].filter((s) => D.findings.some((f) => f.severity === s)));
options($("f-rule"), D.findings.map((f) => f.rule));
options($("f-account"), D.findings.map((f) => f.account));
options($("f-principal"), D.findings.map((f) => f.principal));
function matching() {
  const sev = $("f-severity").value, rule = $("f-rule").value, acc = $("f-account").value, pr = $("f-principal").value;
  const text = $("f-text").value.trim().toLowerCase();
  return D.findings.filter((f) => (!sev || f.severity === sev) && (!rule || f.rule === rule) &&
    (!acc || f.account === acc) && (!pr || f.principal === pr) &&
    (!text || [f.rule, f.resource, f.account, f.principal, f.message].join(" ").toLowerCase().includes(text)));
}
function pager(node, page, pages, go) {
  node.replaceChildren();
  if (pages <= 1) return;
  const prev = el("button", {type: "button"}, "Previous"), next = el("button", {type: "button"}, "Next");
  prev.disabled = page === 0; next.disabled = page >= pages - 1;
  prev.onclick = () => go(page - 1); next.onclick = () => go(page + 1);
  node.append(prev, el("span", {}, "page " + (page + 1) + " of " + pages), next);
}
function drawFindings() {
  const rows = matching();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  findingPage = Math.min(findingPage, pages - 1);
  const tb = $("finding-table").tBodies[0];
  tb.replaceChildren();
  for (const f of rows.slice(findingPage * PAGE_SIZE, (findingPage + 1) * PAGE_SIZE)) {
    const note = f.suppressed ? " (suppressed: " + f.suppressed + ")" : f.baseline ? " (in the baseline)" : "";
    tb.append(el("tr", {class: f.suppressed ? "suppressed" : f.baseline ? "baseline" : "", "data-severity": f.severity},
      el("td", {class: "sev sev-" + f.severity}, f.severity), el("td", {}, el("code", {}, f.rule)),
      el("td", {}, f.resource), el("td", {}, f.account), el("td", {}, f.principal), el("td", {}, f.message + note)));
  }
  $("finding-count").textContent = rows.length === D.findings.length
    ? D.findings.length + " findings" : rows.length + " of " + D.findings.length + " findings";
  $("finding-count").dataset.shown = String(rows.length);
  pager($("finding-pager"), findingPage, pages, (p) => { findingPage = p; drawFindings(); });
}
for (const id of ["f-severity", "f-rule", "f-account", "f-principal"]) $(id).addEventListener("change", () => { findingPage = 0; drawFindings(); });
$("f-text").addEventListener("input", () => { findingPage = 0; drawFindings(); });
drawFindings();

// The access matrix: accounts by groups, a page of accounts at a time.
const M = D.matrix, MATRIX_PAGE = 50;
let matrixPage = 0;
function drawMatrix() {
  const qa = $("m-account").value.trim().toLowerCase(), qg = $("m-group").value.trim().toLowerCase();
  const columns = M.groups.map((g, i) => i).filter((i) => !qg || M.groups[i].toLowerCase().includes(qg));
  const direct = M.groups.length;
  if (!qg) columns.push(direct);
  const rows = M.accounts.map((a, i) => i).filter((i) => !qa || M.accounts[i].name.toLowerCase().includes(qa) || M.accounts[i].id.includes(qa));
  const pages = Math.max(1, Math.ceil(rows.length / MATRIX_PAGE));
  matrixPage = Math.min(matrixPage, pages - 1);
  const head = el("tr", {}, el("th", {scope: "col", class: "account"}, "Account"));
  for (const c of columns) head.append(el("th", {scope: "col"}, c === direct ? "Direct (users)" : M.groups[c]));
  $("matrix-table").tHead.replaceChildren(head);
  const tb = $("matrix-table").tBodies[0];
  tb.replaceChildren();
  let cellsShown = 0;
  for (const a of rows.slice(matrixPage * MATRIX_PAGE, (matrixPage + 1) * MATRIX_PAGE)) {
    const account = M.accounts[a];
    const tr = el("tr", {class: account.management ? "management" : ""}, el("th", {scope: "row", class: "account"}, account.name + " ", el("span", {class: "muted"}, account.id)));
    const byColumn = new Map(M.cells[a]);
    for (const c of columns) {
      const grants = byColumn.get(c);
      const td = el("td");
      if (grants) {
        cellsShown += 1;
        const chips = el("summary", {"aria-label": (c === direct ? "direct access" : M.groups[c]) + " in " + account.name + ": " + grants.map((g) => M.kinds[g[0]][0]).join(", ")});
        for (const [kind, entitlement, user] of grants) {
          const [name, cls] = M.kinds[kind];
          chips.append(el("span", {class: "chip " + cls + (entitlement ? " route-entitlement" : ""), title: cls + (entitlement ? ", through an account access manager entitlement" : "")}, name + (user >= 0 ? " · " + M.users[user] : "")));
        }
        const people = c === direct ? [...new Set(grants.map((g) => M.users[g[2]]))] : M.members[c].map((u) => M.users[u]);
        const list = el("ul");
        for (const p of people) list.append(el("li", {}, p));
        if (!people.length) list.append(el("li", {}, "no members"));
        td.append(el("details", {}, chips, list));
      }
      tr.append(td);
    }
    tb.append(tr);
  }
  $("matrix-count").textContent = rows.length + " accounts, " + (columns.length - (qg ? 0 : 1)) + " groups with access" + (pages > 1 ? " (" + MATRIX_PAGE + " accounts a page)" : "");
  $("matrix-count").dataset.cells = String(cellsShown);
  pager($("matrix-pager"), matrixPage, pages, (p) => { matrixPage = p; drawMatrix(); });
}
$("m-account").addEventListener("input", () => { matrixPage = 0; drawMatrix(); });
$("m-group").addEventListener("input", () => { matrixPage = 0; drawMatrix(); });
drawMatrix();

// Permission sets and roles: what each can do, and why.
(function sets() {
  const tb = $("set-table").tBodies[0];
  for (const s of D.sets) {
    const why = el("td");
    if (s.admin_reasons.length) why.append(el("div", {}, "Administrator-equivalent: " + s.admin_reasons.slice(0, 3).join("; ") + (s.admin_reasons.length > 3 ? " and " + (s.admin_reasons.length - 3) + " more" : "")));
    if (s.writable.length) why.append(el("div", {class: "muted"}, "Writes " + s.writable.length + " services: " + s.writable.slice(0, 12).join(", ") + (s.writable.length > 12 ? ", ..." : "")));
    for (const u of s.unknown) why.append(el("div", {}, "Unknown: " + u));
    if (!why.childNodes.length) why.append("Reads only");
    tb.append(el("tr", {}, el("th", {scope: "row"}, s.name, el("div", {class: "muted"}, s.kind)), el("td", {}, el("span", {class: "chip " + s["class"]}, s["class"])), el("td", {}, s.accounts), why));
  }
})();

// Evidence coverage.
(function coverage() {
  const c = D.coverage, body = $("coverage-body");
  if (!c.sources.length) {
    body.append(el("p", {}, "No sign-in or access evidence was read: the evidence rules report a gap, not a pass."));
    return;
  }
  body.append(el("p", {}, "Sources: " + c.sources.join(", ")), el("p", {}, "Period: " + (c.from || "?") + " to " + (c.to || "?")));
})();
</script>
</body>
</html>
"##;
