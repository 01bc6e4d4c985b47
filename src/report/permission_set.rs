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
        },
        policies: analysis
            .policies
            .iter()
            .map(|p| PolicyOut {
                label: p.label.clone(),
                role: if p.role == Role::Boundary {
                    "boundary"
                } else {
                    "grants"
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
            unknown_policies: &caps.unknown,
            unknown_actions: &caps.unknown_actions,
        },
        services: services(analysis),
    }
}

/// The report of the permission set `name` (or ARN) of a snapshot, as JSON or a table; an
/// error names a set the snapshot does not hold.
pub fn of_named(
    snapshot: &crate::snapshot::Snapshot,
    name: &str,
    json_format: bool,
) -> Result<String, String> {
    let position = snapshot
        .permission_sets
        .iter()
        .position(|p| p.name == name || p.arn == name)
        .ok_or_else(|| format!("no permission set named `{name}` in the snapshot"))?;
    let model = crate::model::Model::new(snapshot);
    let facts = model.policy_facts();
    let (set, analysis, capabilities) = (
        &snapshot.permission_sets[position],
        &facts.analyses[position],
        &facts.capabilities[position],
    );
    Ok(if json_format {
        json(set, analysis, capabilities)
    } else {
        table(set, analysis, capabilities)
    })
}

pub fn json(set: &PermissionSet, analysis: &Analysis, caps: &Capabilities) -> String {
    let mut text = serde_json::to_string_pretty(&report(set, analysis, caps))
        .expect("the permission set report serializes");
    text.push('\n');
    text
}

pub fn table(set: &PermissionSet, analysis: &Analysis, caps: &Capabilities) -> String {
    let report = report(set, analysis, caps);
    let mut out = String::new();
    let yes = |b: bool| if b { "yes" } else { "no" };
    let _ = writeln!(out, "{} ({})", set.name, set.arn);
    for policy in &report.policies {
        let _ = writeln!(
            out,
            "  {} {} ({} statements)",
            if policy.role == "boundary" {
                "capped by"
            } else {
                "policy"
            },
            policy.label,
            policy.statements
        );
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
