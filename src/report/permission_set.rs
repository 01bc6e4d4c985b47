//! `ssoaudit permission-set NAME`: what one permission set can do, as a table for people and as
//! JSON through a frozen, versioned output type (`version: 1`).

use super::json::Tool;
use crate::iam::capabilities::Capabilities;
use crate::iam::catalog::{AccessLevel, Catalog};
use crate::iam::evaluate::{Analysis, Decision, Role};
use crate::snapshot::PermissionSet;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct PermissionSetReport<'a> {
    pub version: u32,
    pub tool: Tool,
    /// The action catalog the analysis used.
    pub catalog: &'a str,
    pub permission_set: SetOut<'a>,
    pub policies: Vec<PolicyOut>,
    pub capabilities: CapabilitiesOut<'a>,
    /// Allowed actions per service and access level.
    pub services: Vec<ServiceOut>,
}

#[derive(Serialize)]
pub struct SetOut<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    /// The account it is analysed in (`--account`), as `name (id)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<&'a str>,
}

#[derive(Serialize)]
pub struct PolicyOut {
    pub label: String,
    /// `grants` or `boundary`.
    pub role: &'static str,
    pub statements: usize,
}

#[derive(Serialize)]
pub struct CapabilitiesOut<'a> {
    pub read_only: bool,
    pub writable_services: &'a [String],
    pub admin_equivalent: bool,
    pub admin_reasons: &'a [String],
    pub escalation_paths: &'a [String],
    pub can_assume_root: bool,
    pub can_manage_identity_center: bool,
    pub can_manage_organization: bool,
    pub can_assume_any_role: bool,
    pub conditional_grants: &'a [String],
    pub guardrails: &'a [String],
    pub unknown_policies: &'a [String],
    pub unknown_actions: &'a [String],
}

/// How many actions of one access level are allowed, and how.
#[derive(Serialize, Default, Clone, Copy)]
pub struct Counts {
    pub every_resource: usize,
    pub some_resources: usize,
    pub conditional: usize,
}

#[derive(Serialize)]
pub struct ServiceOut {
    pub service: String,
    /// By access level: `List`, `Read`, `Write`, `Permissions management`, `Tagging`.
    pub levels: BTreeMap<&'static str, Counts>,
}

fn services(analysis: &Analysis) -> Vec<ServiceOut> {
    let catalog = Catalog::get();
    let mut by_service: BTreeMap<&str, BTreeMap<&'static str, Counts>> = BTreeMap::new();
    for (i, action) in catalog.actions.iter().enumerate() {
        let decision = analysis.decision(i);
        if decision == Decision::Denied {
            continue;
        }
        let counts = by_service
            .entry(&action.service)
            .or_default()
            .entry(action.level.as_str())
            .or_default();
        match decision {
            Decision::Allowed {
                every_resource: true,
            } => counts.every_resource += 1,
            Decision::Allowed {
                every_resource: false,
            } => counts.some_resources += 1,
            _ => counts.conditional += 1,
        }
    }
    by_service
        .into_iter()
        .map(|(service, levels)| ServiceOut {
            service: service.to_string(),
            levels,
        })
        .collect()
}

fn report<'a>(
    set: &'a PermissionSet,
    account: Option<&'a str>,
    analysis: &'a Analysis,
    caps: &'a Capabilities,
) -> PermissionSetReport<'a> {
    PermissionSetReport {
        version: FORMAT_VERSION,
        tool: Tool::current(),
        catalog: &Catalog::get().source,
        permission_set: SetOut {
            name: &set.name,
            arn: &set.arn,
            account,
        },
        policies: analysis
            .policies
            .iter()
            .map(|p| PolicyOut {
                label: p.label.clone(),
                role: match p.role {
                    Role::Boundary => "boundary",
                    Role::Ceiling(_) => "guardrail",
                    Role::Grants => "grants",
                },
                statements: p.statements.len(),
            })
            .collect(),
        capabilities: CapabilitiesOut {
            read_only: caps.read_only,
            writable_services: &caps.writable_services,
            admin_equivalent: caps.admin_equivalent,
            admin_reasons: &caps.admin_reasons,
            escalation_paths: &caps.escalation_paths,
            can_assume_root: caps.can_assume_root,
            can_manage_identity_center: caps.can_manage_identity_center,
            can_manage_organization: caps.can_manage_organization,
            can_assume_any_role: caps.can_assume_any_role,
            conditional_grants: &caps.conditional_grants,
            guardrails: &caps.guardrails,
            unknown_policies: &caps.unknown,
            unknown_actions: &caps.unknown_actions,
        },
        services: services(analysis),
    }
}

/// The report of the permission set `name` (or ARN) of a snapshot, as JSON or a table; with
/// `account` (id or name), as provisioned in that account. An error names a set or account
/// the snapshot does not hold.
pub fn of_named(
    snapshot: &crate::snapshot::Snapshot,
    name: &str,
    account: Option<&str>,
    json_format: bool,
) -> Result<String, String> {
    let position = snapshot
        .permission_sets
        .iter()
        .position(|p| p.name == name || p.arn == name)
        .ok_or_else(|| format!("no permission set named `{name}` in the snapshot"))?;
    let model = crate::model::Model::new(snapshot);
    let facts = model.policy_facts();
    let set = &snapshot.permission_sets[position];
    let first_variant = snapshot.permission_sets.len() + model.roles.len();
    let (at, account) = match account {
        None => (position, None),
        Some(wanted) => {
            let account = snapshot
                .organization
                .accounts
                .iter()
                .find(|a| a.id == wanted || a.name == wanted)
                .ok_or_else(|| format!("no account `{wanted}` in the snapshot's organization"))?;
            let variant = model
                .variants
                .iter()
                .position(|v| v.set == position && v.accounts.contains(&account.id.as_str()));
            let at = match variant {
                Some(v) => first_variant + v,
                // Not assigned there (or nothing differs): the set as analysed in that
                // account all the same.
                None => {
                    let mut cache = crate::iam::StatementCache::default();
                    let analysis =
                        crate::iam::analyse_in(snapshot, set, Some(&account.id), &mut cache);
                    let caps = crate::iam::capabilities::of(&analysis);
                    let where_ = format!("{} ({})", account.name, account.id);
                    return Ok(if json_format {
                        json(set, Some(&where_), &analysis, &caps)
                    } else {
                        table(set, Some(&where_), &analysis, &caps, &[])
                    });
                }
            };
            (at, Some(format!("{} ({})", account.name, account.id)))
        }
    };
    let (analysis, capabilities) = (&facts.analyses[at], &facts.capabilities[at]);
    // Without an account, a set that differs per account says where it differs.
    let per_account: Vec<String> = if account.is_none() {
        facts.merged[position]
            .iter()
            .map(|&source| {
                let accounts = if source >= first_variant {
                    model.variants[source - first_variant].accounts.join(", ")
                } else {
                    "the others".to_string()
                };
                let caps = &facts.capabilities[source];
                format!(
                    "accounts {accounts}: read-only {}, administrator-equivalent {}{}",
                    yes(caps.read_only),
                    yes(caps.admin_equivalent),
                    if caps.unknown.is_empty() {
                        ""
                    } else {
                        ", partly unknown"
                    }
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(if json_format {
        json(set, account.as_deref(), analysis, capabilities)
    } else {
        table(
            set,
            account.as_deref(),
            analysis,
            capabilities,
            &per_account,
        )
    })
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub fn json(
    set: &PermissionSet,
    account: Option<&str>,
    analysis: &Analysis,
    caps: &Capabilities,
) -> String {
    let mut text = serde_json::to_string_pretty(&report(set, account, analysis, caps))
        .expect("the permission set report serializes");
    text.push('\n');
    text
}

pub fn table(
    set: &PermissionSet,
    account: Option<&str>,
    analysis: &Analysis,
    caps: &Capabilities,
    per_account: &[String],
) -> String {
    let report = report(set, account, analysis, caps);
    let mut out = String::new();
    match account {
        Some(account) => {
            let _ = writeln!(out, "{} ({}) in account {account}", set.name, set.arn);
        }
        None => {
            let _ = writeln!(out, "{} ({})", set.name, set.arn);
        }
    }
    for policy in &report.policies {
        let _ = writeln!(
            out,
            "  {} {} ({} statements)",
            match policy.role {
                "boundary" => "capped by",
                "guardrail" => "under",
                _ => "policy",
            },
            policy.label,
            policy.statements
        );
    }
    if !per_account.is_empty() {
        let _ = writeln!(
            out,
            "\nit differs per account (--account ACCOUNT shows one); below, the most it can do in any:"
        );
        for line in per_account {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out, "\nread-only: {}", yes(caps.read_only));
    let _ = writeln!(
        out,
        "administrator-equivalent: {}",
        yes(caps.admin_equivalent)
    );
    for reason in &caps.admin_reasons {
        let _ = writeln!(out, "  - {reason}");
    }
    let _ = writeln!(
        out,
        "can assume root (sts:AssumeRoot): {}",
        yes(caps.can_assume_root)
    );
    let _ = writeln!(
        out,
        "can manage IAM Identity Center or the Identity Store: {}",
        yes(caps.can_manage_identity_center)
    );
    let _ = writeln!(
        out,
        "can manage the organization: {}",
        yes(caps.can_manage_organization)
    );
    let _ = writeln!(
        out,
        "can assume any role (sts:AssumeRole on every resource): {}",
        yes(caps.can_assume_any_role)
    );
    for (title, items) in [
        ("escalation paths", &caps.escalation_paths),
        ("conditional grants", &caps.conditional_grants),
        ("removed by the guardrails (SCPs)", &caps.guardrails),
        (
            "unknown (rules that read capabilities are incomplete)",
            &caps.unknown,
        ),
        ("actions the catalog does not know", &caps.unknown_actions),
    ] {
        if !items.is_empty() {
            let _ = writeln!(out, "\n{title}:");
            for item in items.iter() {
                let _ = writeln!(out, "  - {item}");
            }
        }
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["service".to_string()];
    header.extend(AccessLevel::ALL.iter().map(|l| l.as_str().to_string()));
    table.set_header(header);
    for service in &report.services {
        let mut row = vec![service.service.clone()];
        for level in AccessLevel::ALL {
            let cell = match service.levels.get(level.as_str()) {
                None => String::new(),
                Some(c) => {
                    let mut parts = Vec::new();
                    if c.every_resource > 0 {
                        parts.push(format!("{}", c.every_resource));
                    }
                    if c.some_resources > 0 {
                        parts.push(format!("{} scoped", c.some_resources));
                    }
                    if c.conditional > 0 {
                        parts.push(format!("{} conditional", c.conditional));
                    }
                    parts.join(", ")
                }
            };
            row.push(cell);
        }
        table.add_row(row);
    }
    let _ = writeln!(
        out,
        "\nallowed actions by service and access level (scoped: on some resources only):\n{table}"
    );
    let _ = writeln!(out, "action catalog: {}", report.catalog);
    out
}
