//! The configuration file: `.ssoaudit.yaml` in the working directory, or `--config FILE`. It
//! holds what a laptop run and CI should share: rule folders, the stack file, suppressions, a
//! baseline, `fail-on`, and per-rule overrides (a stricter or milder severity, or a rule turned
//! off with a reason), the way cargo-deny's `deny.toml` does. Paths are relative to the file.
//! Command-line flags win over it. Errors name `file:line:column`.

use crate::rules::{Rule, Severity};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file looked for in the working directory.
pub const FILE_NAME: &str = ".ssoaudit.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    builtin: Option<bool>,
    #[serde(default)]
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    desired: Option<String>,
    #[serde(default)]
    suppressions: Option<String>,
    #[serde(default)]
    baseline: Option<String>,
    #[serde(default)]
    overrides: BTreeMap<String, Spanned<RawOverride>>,
    #[serde(default)]
    member_role: Option<RawMemberRole>,
}

/// `member-role: NAME`, or a mapping with `role`, `external-id` and per-account `overrides`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawMemberRole {
    Name(String),
    Full(RawMemberRoleFields),
}

/// A mapping's keys are checked like every other key of the file: a misspelt one is an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMemberRoleFields {
    role: String,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    overrides: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    reason: Option<String>,
}

/// A rule's override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    Severity(Severity),
    /// Turned off, with the reason the file gives.
    Disabled {
        reason: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub rules: Vec<PathBuf>,
    pub builtin: Option<bool>,
    /// `never` is `Some(None)`.
    pub fail_on: Option<Option<Severity>>,
    pub desired: Option<PathBuf>,
    pub suppressions: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// By rule id, with the line it is declared on.
    pub overrides: BTreeMap<String, (Override, u64)>,
    /// The role to read member accounts through (`member-role`), when `--member-role` gives
    /// none.
    pub member_role: Option<crate::collect::member::MemberRoleSpec>,
}

/// The configuration in force: `--config FILE`, else `.ssoaudit.yaml` in `dir` when present.
pub fn find(explicit: Option<&Path>, dir: &Path) -> Result<Option<Config>, String> {
    match explicit {
        Some(path) => load(path).map(Some),
        None => {
            let path = dir.join(FILE_NAME);
            if path.is_file() {
                load(&path).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text, path)
}

pub fn parse(text: &str, path: &Path) -> Result<Config, String> {
    let shown = path.display().to_string();
    let raw: RawConfig =
        serde_saphyr::from_str(text).map_err(|e| crate::yaml_error::located(&shown, &e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let relative = |p: &String| base.join(p);
    let fail_on = match &raw.fail_on {
        None => None,
        Some(value) if value.value == "never" => Some(None),
        Some(value) => Some(Some(Severity::parse(&value.value).ok_or_else(|| {
            format!(
                "{shown}:{}:{}: fail-on takes info, low, medium, high, critical or never, not `{}`",
                value.referenced.line(),
                value.referenced.column(),
                value.value
            )
        })?)),
    };
    let mut overrides = BTreeMap::new();
    for (id, spanned) in &raw.overrides {
        let line = spanned.referenced.line();
        let at = format!("{shown}:{line}:{}", spanned.referenced.column());
        let entry = &spanned.value;
        let value = match (entry.enabled, &entry.severity, &entry.reason) {
            (Some(false), None, Some(reason)) if !reason.trim().is_empty() => Override::Disabled {
                reason: reason.clone(),
            },
            (Some(false), None, _) => {
                return Err(format!(
                    "{at}: turning `{id}` off needs a `reason` (it is shown in every run)"
                ));
            }
            (None | Some(true), Some(severity), _) => {
                Override::Severity(Severity::parse(severity).ok_or_else(|| {
                    format!(
                        "{at}: severity of `{id}` is info, low, medium, high or critical, not `{severity}`"
                    )
                })?)
            }
            _ => {
                return Err(format!(
                    "{at}: an override of `{id}` sets `severity`, or `enabled: false` with a `reason`"
                ));
            }
        };
        overrides.insert(id.clone(), (value, line));
    }
    Ok(Config {
        path: path.to_path_buf(),
        rules: raw.rules.iter().map(relative).collect(),
        builtin: raw.builtin,
        fail_on,
        desired: raw.desired.as_ref().map(relative),
        suppressions: raw.suppressions.as_ref().map(relative),
        baseline: raw.baseline.as_ref().map(relative),
        overrides,
        member_role: raw.member_role.map(|role| match role {
            RawMemberRole::Name(template) => crate::collect::member::MemberRoleSpec {
                template,
                ..Default::default()
            },
            RawMemberRole::Full(RawMemberRoleFields {
                role,
                external_id,
                overrides,
            }) => crate::collect::member::MemberRoleSpec {
                template: role,
                overrides,
                external_id,
            },
        }),
    })
}

/// The settings of `check` a configuration file can hold, as the command line gives them.
#[derive(Debug, Clone, Default)]
pub struct CheckSettings {
    pub rules: Vec<PathBuf>,
    pub no_builtin: bool,
    pub desired: Option<PathBuf>,
    pub suppressions: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// `--fail-on` as given (`never` is `Some(None)`).
    pub fail_on: Option<Option<Severity>>,
}

/// Everything `check` reads before it evaluates, as the command line and the configuration file
/// say together: every input file is read before a live scan, so a mistake in one costs no scan.
pub struct CheckInputs {
    pub rules: Vec<Rule>,
    pub fail_on: Option<Severity>,
    pub suppressions: Vec<crate::suppress::Suppression>,
    pub baseline: Option<crate::baseline::Baseline>,
    pub desired: Option<crate::desired::DesiredState>,
    /// Rules the configuration file turned off, each with the file and its reason.
    pub notes: Vec<String>,
    /// The configuration file's member role, for a live scan without `--member-role`.
    pub member_role: Option<crate::collect::member::MemberRoleSpec>,
}

/// Reads the inputs of `check`: `flags` as the command line gives them, filled in from the
/// configuration file (`explicit`, else `.ssoaudit.yaml` in `dir`, unless `no_config`); the
/// rules `only` names (all without it), less those `skip` names.
pub fn check_inputs(
    mut flags: CheckSettings,
    (explicit, no_config, dir): (Option<&Path>, bool, &Path),
    only: &[String],
    skip: &[String],
) -> Result<CheckInputs, String> {
    let config = if no_config {
        None
    } else {
        find(explicit, dir)?
    };
    if let Some(config) = &config {
        config.fill(&mut flags);
    }
    let loaded = crate::rules::load_selection(&flags.rules, flags.no_builtin)?;
    if let Some(config) = &config {
        config.check_ids(&loaded)?;
    }
    let mut rules = crate::rules::select(loaded, only, skip)?;
    let notes = match &config {
        Some(config) => config
            .apply(&mut rules)
            .into_iter()
            .map(|(id, reason)| format!("rule {id} is off ({}: {reason})", config.path.display()))
            .collect(),
        None => Vec::new(),
    };
    Ok(CheckInputs {
        rules,
        fail_on: flags.fail_on.unwrap_or(Some(Severity::Low)),
        suppressions: match &flags.suppressions {
            Some(path) => crate::suppress::load(path)?,
            None => Vec::new(),
        },
        baseline: match &flags.baseline {
            Some(path) => Some(crate::baseline::load(path).map_err(|e| e.to_string())?),
            None => None,
        },
        desired: match &flags.desired {
            Some(path) => {
                Some(crate::desired::DesiredState::load(path).map_err(|e| e.to_string())?)
            }
            None => None,
        },
        notes,
        member_role: config.and_then(|c| c.member_role),
    })
}

impl Config {
    /// Fills in what the command line left unset: flags win, and the file's rule folders come
    /// before the command line's.
    pub fn fill(&self, settings: &mut CheckSettings) {
        let mut rules = self.rules.clone();
        rules.append(&mut settings.rules);
        settings.rules = rules;
        if self.builtin == Some(false) {
            settings.no_builtin = true;
        }
        settings.desired = settings.desired.take().or_else(|| self.desired.clone());
        settings.suppressions = settings
            .suppressions
            .take()
            .or_else(|| self.suppressions.clone());
        settings.baseline = settings.baseline.take().or_else(|| self.baseline.clone());
        settings.fail_on = settings.fail_on.or(self.fail_on);
    }

    /// An override of a rule that is not loaded is an error.
    pub fn check_ids(&self, rules: &[Rule]) -> Result<(), String> {
        for (id, (_, line)) in &self.overrides {
            if !rules.iter().any(|r| &r.id == id) {
                return Err(format!(
                    "{}:{line}: override of `{id}`, which is not a loaded rule (`ssoaudit rules list`)",
                    self.path.display()
                ));
            }
        }
        Ok(())
    }

    /// Applies the overrides to the selected rules: severities changed, disabled rules removed
    /// and returned with their reasons.
    pub fn apply(&self, rules: &mut Vec<Rule>) -> Vec<(String, String)> {
        let mut disabled = Vec::new();
        rules.retain_mut(|rule| match self.overrides.get(&rule.id) {
            Some((Override::Severity(severity), _)) => {
                rule.severity = *severity;
                true
            }
            Some((Override::Disabled { reason }, _)) => {
                disabled.push((rule.id.clone(), reason.clone()));
                false
            }
            None => true,
        });
        disabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_file_and_errors_are_located() {
        let config = parse(
            "rules: [policies]\nfail-on: high\ndesired: stacks/aws-sso.yaml\noverrides:\n  unused-permission-set:\n    severity: high\n  session-duration-too-long:\n    enabled: false\n    reason: capped by an SCP\n",
            Path::new("/repo/.ssoaudit.yaml"),
        )
        .unwrap();
        assert_eq!(config.rules, [PathBuf::from("/repo/policies")]);
        assert_eq!(config.fail_on, Some(Some(Severity::High)));
        assert_eq!(
            config.desired,
            Some(PathBuf::from("/repo/stacks/aws-sso.yaml"))
        );
        assert_eq!(
            config.overrides["session-duration-too-long"].0,
            Override::Disabled {
                reason: "capped by an SCP".into()
            }
        );
        assert_eq!(config.member_role, None);
        let named = parse("member-role: ssoaudit-read\n", Path::new("c.yaml")).unwrap();
        assert_eq!(named.member_role.unwrap().template, "ssoaudit-read");
        let full = parse(
            "member-role:\n  role: acme-{tenant}-gbl-{stage}-observer\n  external-id: x1\n  overrides:\n    core-audit: /audit/ssoaudit-read\n",
            Path::new("c.yaml"),
        )
        .unwrap()
        .member_role
        .unwrap();
        assert_eq!(full.template, "acme-{tenant}-gbl-{stage}-observer");
        assert_eq!(full.external_id.as_deref(), Some("x1"));
        assert_eq!(full.overrides["core-audit"], "/audit/ssoaudit-read");
        let misspelt = parse(
            "member-role:\n  role: ssoaudit-read\n  extrnal-id: x1\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(misspelt.starts_with("c.yaml:"), "{misspelt}");
        let error = parse("fail-on: sometimes\n", Path::new("c.yaml")).unwrap_err();
        assert!(error.starts_with("c.yaml:1:"), "{error}");
        let error = parse("rule: [x]\n", Path::new("c.yaml")).unwrap_err();
        assert!(error.starts_with("c.yaml:1:1:"), "{error}");
        let error = parse(
            "overrides:\n  x:\n    enabled: false\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(
            error.starts_with("c.yaml:3:") && error.contains("needs a `reason`"),
            "{error}"
        );
    }
}
