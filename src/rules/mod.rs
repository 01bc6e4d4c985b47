//! Rule files: parsing, validation and the compiled form the engine runs.
//!
//! A rule file is YAML, one rule per file. Everything a user can get wrong (syntax, unknown
//! fields, a bad CEL condition, an unknown subject or field, a duplicate id) is reported with
//! file:line before any rule is evaluated, and every such error is reported, not just the first.

use crate::cel_paths::{self, ConditionShape};
use crate::subjects::SubjectKind;
use crate::vocabulary::DataArea;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod position;

use position::{char_offset, locate_in_scalar};

mod builtin;

use builtin::BUILTIN_RULES;

pub use crate::findings::Severity;

/// Where a rule was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The path as shown to users: `rules/<file>` for the built-in pack.
    pub path: String,
    /// Line of the rule's `id`.
    pub line: u32,
    pub builtin: bool,
}

#[derive(Debug, Clone)]
pub enum Logic {
    Condition(Arc<ConditionShape>),
    /// A built-in check (`check:`), with its typed parameters.
    Check(Arc<dyn crate::checks::Check>),
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub subject: SubjectKind,
    pub rationale: String,
    pub remediation: String,
    pub example: Option<String>,
    pub tags: Vec<String>,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub logic: Logic,
    pub message: Template,
    pub requires: BTreeSet<DataArea>,
    /// The rule concludes from the absence of evidence ("no sign-in for 90 days"): on a gap
    /// in the events it reports the gap alone, never a finding it could not see.
    pub concludes_from_absence: bool,
    pub origin: Origin,
}

impl Rule {
    /// The parameters its condition turns into a look-back (`now - days(params.days)`).
    pub fn look_back_params(&self) -> Vec<&str> {
        match &self.logic {
            Logic::Condition(shape) => shape
                .look_backs
                .iter()
                .filter_map(|l| match l {
                    cel_paths::LookBack::Param(name) => Some(name.as_str()),
                    cel_paths::LookBack::Days(_) => None,
                })
                .collect(),
            Logic::Check(_) => Vec::new(),
        }
    }

    /// How far back its condition looks, in days: the longest `days(...)` it builds, from a
    /// literal or a parameter; None when it builds none.
    pub fn look_back_days(&self) -> Option<i64> {
        let Logic::Condition(shape) = &self.logic else {
            return None;
        };
        shape
            .look_backs
            .iter()
            .filter_map(|l| match l {
                cel_paths::LookBack::Days(days) => Some(*days),
                cel_paths::LookBack::Param(name) => self.params.get(name)?.as_i64(),
            })
            .max()
    }
}

/// A message template: literal text and `{root.field}` placeholders.
#[derive(Debug, Clone)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    Path(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    title: String,
    severity: Severity,
    subject: Spanned<String>,
    rationale: String,
    remediation: String,
    #[serde(default)]
    example: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    params: Option<Spanned<serde_json::Value>>,
    #[serde(default)]
    condition: Option<Spanned<String>>,
    #[serde(default)]
    check: Option<Spanned<String>>,
    message: Spanned<String>,
    #[serde(default)]
    requires: Option<Spanned<Vec<String>>>,
}

/// A rule file's text and the path it is shown under.
pub struct RuleSource {
    pub path: String,
    pub text: String,
    pub builtin: bool,
}

/// The built-in pack, embedded at build time from `rules/` (see `builtin.rs`).
pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN_RULES
        .iter()
        .map(|(name, text)| RuleSource {
            path: format!("rules/{name}"),
            text: (*text).to_string(),
            builtin: true,
        })
        .collect()
}

/// Reads every `*.yaml` / `*.yml` file of a folder, sorted by name.
pub fn directory_sources(dir: &Path) -> Result<Vec<RuleSource>, RuleError> {
    let unreadable = |message: String| RuleError {
        path: dir.display().to_string(),
        line: 0,
        column: 0,
        message,
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| unreadable(format!("cannot read rule folder: {e}")))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| unreadable(format!("cannot read rule folder: {e}")))?
            .path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml") | Some("yml")
        );
        if is_yaml && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| RuleError {
                path: path.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read rule file: {e}"),
            })?;
            Ok(RuleSource {
                path: path.display().to_string(),
                text,
                builtin: false,
            })
        })
        .collect()
}

/// The built-in pack (unless `no_builtin`) and the rule files of `dirs`, loaded; every error of
/// every file in one message.
pub fn load_selection(dirs: &[PathBuf], no_builtin: bool) -> Result<Vec<Rule>, String> {
    let mut sources: Vec<RuleSource> = Vec::new();
    if !no_builtin {
        sources.extend(builtin_sources());
    }
    for dir in dirs {
        sources.extend(directory_sources(dir).map_err(|e| e.to_string())?);
    }
    load(&sources).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        format!(
            "invalid rule file{}:\n{}",
            if errors.len() == 1 { "" } else { "s" },
            lines.join("\n")
        )
    })
}

/// The rules `only` names (all when it names none), less those `skip` names; an id that names
/// no loaded rule is an error.
pub fn select(mut all: Vec<Rule>, only: &[String], skip: &[String]) -> Result<Vec<Rule>, String> {
    for id in only.iter().chain(skip) {
        if !all.iter().any(|r| &r.id == id) {
            return Err(format!(
                "unknown rule id `{id}` (see `ssoaudit rules list`)"
            ));
        }
    }
    if !only.is_empty() {
        all.retain(|r| only.contains(&r.id));
    }
    all.retain(|r| !skip.contains(&r.id));
    Ok(all)
}

/// Parses and validates rule files; returns every rule or every error.
pub fn load(sources: &[RuleSource]) -> Result<Vec<Rule>, Vec<RuleError>> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut errors = Vec::new();
    for source in sources {
        match parse_rule(source) {
            Ok(rule) => {
                if let Some(first) = rules.iter().find(|r| r.id == rule.id) {
                    errors.push(RuleError {
                        path: rule.origin.path.clone(),
                        line: rule.origin.line,
                        column: 1,
                        message: format!(
                            "duplicate rule id `{}`: already defined at {}:{}",
                            rule.id, first.origin.path, first.origin.line
                        ),
                    });
                } else {
                    rules.push(rule);
                }
            }
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    if errors.is_empty() {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rules)
    } else {
        Err(errors)
    }
}

fn parse_rule(source: &RuleSource) -> Result<Rule, Vec<RuleError>> {
    let error_at = |line: u64, column: u64, message: String| RuleError {
        path: source.path.clone(),
        line: line as u32,
        column: column as u32,
        message,
    };
    let raw: RawRule = serde_saphyr::from_str(&source.text).map_err(|e| {
        let (line, column) = crate::yaml_error::position(&e);
        vec![error_at(line, column, crate::yaml_error::message(&e))]
    })?;

    let mut errors = Vec::new();
    let id_line = raw.id.referenced.line();
    if !is_kebab_case(&raw.id.value) {
        errors.push(error_at(
            id_line,
            raw.id.referenced.column(),
            format!(
                "rule id `{}` is not kebab-case (a-z, 0-9 and single dashes)",
                raw.id.value
            ),
        ));
    }
    for (name, text) in [
        ("title", &raw.title),
        ("rationale", &raw.rationale),
        ("remediation", &raw.remediation),
    ] {
        if text.trim().is_empty() {
            errors.push(error_at(id_line, 1, format!("`{name}` must not be empty")));
        }
    }
    let subject = match SubjectKind::parse(&raw.subject.value) {
        Some(kind) => Some(kind),
        None => {
            let known: Vec<&str> = SubjectKind::ALL.iter().map(|k| k.name()).collect();
            errors.push(error_at(
                raw.subject.referenced.line(),
                raw.subject.referenced.column(),
                format!(
                    "unknown subject `{}`; expected one of {}",
                    raw.subject.value,
                    known.join(", ")
                ),
            ));
            None
        }
    };
    let params = match &raw.params {
        None => serde_json::Map::new(),
        Some(Spanned {
            value: serde_json::Value::Object(map),
            ..
        }) => map.clone(),
        Some(other) => {
            errors.push(error_at(
                other.referenced.line(),
                other.referenced.column(),
                "`params` must be a mapping".to_string(),
            ));
            serde_json::Map::new()
        }
    };
    let Some(subject) = subject else {
        return Err(errors);
    };

    let mut referenced_paths: Vec<Vec<String>> = Vec::new();
    let logic = match (&raw.condition, &raw.check) {
        (Some(condition), None) => match cel_paths::analyze(&condition.value, subject) {
            Ok(shape) => {
                referenced_paths.extend(shape.paths.iter().cloned());
                Some(Logic::Condition(Arc::new(shape)))
            }
            Err(problems) => {
                for problem in problems {
                    let offset = char_offset(&condition.value, problem.line, problem.column);
                    let (line, column) = locate_in_scalar(
                        &source.text,
                        &condition.referenced,
                        &condition.value,
                        offset,
                    );
                    errors.push(error_at(
                        line,
                        column,
                        format!("condition: {}", problem.message),
                    ));
                }
                None
            }
        },
        (None, Some(check)) => match crate::checks::parse(
            &check.value,
            check.referenced.line(),
            check.referenced.column(),
            subject,
            params.get("kind").and_then(|k| k.as_str()),
            &source.text,
        ) {
            Ok(check) => Some(Logic::Check(check)),
            Err(error) => {
                errors.push(error_at(error.line, error.column, error.message));
                None
            }
        },
        (Some(_), Some(check)) => {
            errors.push(error_at(
                check.referenced.line(),
                check.referenced.column(),
                "a rule has either `condition` or `check`, not both".to_string(),
            ));
            None
        }
        (None, None) => {
            errors.push(error_at(
                id_line,
                1,
                "a rule needs a `condition` (CEL) or a `check`".to_string(),
            ));
            None
        }
    };

    let template_roots: Vec<(&str, &[crate::subjects::Field])> = match &logic {
        Some(Logic::Check(check)) => vec![check.message_root()],
        _ => subject.roots().to_vec(),
    };
    let message = match parse_template(&raw.message.value, &template_roots) {
        Ok(template) => Some(template),
        Err((offset, message)) => {
            let (line, column) = locate_in_scalar(
                &source.text,
                &raw.message.referenced,
                &raw.message.value,
                offset,
            );
            errors.push(error_at(line, column, format!("message: {message}")));
            None
        }
    };
    if let Some(template) = &message {
        referenced_paths.extend(template.parts.iter().filter_map(|p| match p {
            TemplatePart::Path(path) => Some(path.clone()),
            TemplatePart::Text(_) => None,
        }));
    }

    let (mut requires, concludes_from_absence) =
        requirements(subject, &template_roots, &referenced_paths);
    // `allows(...)` reads what the sets' policies allow.
    if let Some(Logic::Condition(shape)) = &logic
        && shape.calls_allows
    {
        requires.insert(DataArea::Capabilities);
    }
    let mut concludes_from_absence = concludes_from_absence;
    if let Some(Logic::Check(check)) = &logic {
        requires.extend(check.reads().iter().copied());
        if check.needs_desired() {
            requires.insert(DataArea::DesiredState);
        }
        concludes_from_absence |= check.concludes_from_absence();
    }
    if let Some(extra) = &raw.requires {
        for area in &extra.value {
            if let Some(area) = DataArea::parse(area) {
                requires.insert(area);
            } else {
                errors.push(error_at(
                    extra.referenced.line(),
                    extra.referenced.column(),
                    format!(
                        "unknown data area `{area}` in `requires`; expected one of {}",
                        DataArea::names()
                    ),
                ));
            }
        }
    }

    // What policies allow in a member account is capped by the guardrails above it.
    if requires.contains(&DataArea::Capabilities) {
        requires.insert(DataArea::Guardrails);
    }

    match (logic, message) {
        (Some(logic), Some(message)) if errors.is_empty() => Ok(Rule {
            id: raw.id.value,
            title: raw.title.trim().to_string(),
            severity: raw.severity,
            subject,
            rationale: raw.rationale.trim().to_string(),
            remediation: raw.remediation.trim().to_string(),
            example: raw.example.map(|e| e.trim_end().to_string()),
            tags: raw.tags,
            params,
            logic,
            message,
            requires,
            concludes_from_absence,
            origin: Origin {
                path: source.path.clone(),
                line: id_line as u32,
                builtin: source.builtin,
            },
        }),
        _ => Err(errors),
    }
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Parses `{root.field}` placeholders and checks each against the subject's fields. An error
/// carries the character offset of the placeholder it is about.
fn parse_template(
    text: &str,
    roots: &[(&str, &[crate::subjects::Field])],
) -> Result<Template, (usize, String)> {
    let mut parts = Vec::new();
    let mut rest = text.trim_end();
    let mut consumed = 0;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(TemplatePart::Text(rest[..open].to_string()));
        }
        let at = text[..consumed + open].chars().count();
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| (at, "unclosed `{` in the message".to_string()))?;
        let name = after[..close].trim();
        let path: Vec<String> = name.split('.').map(str::to_string).collect();
        cel_paths::check_path(&path, roots, true)
            .map_err(|e| (at, format!("placeholder {{{name}}}: {e}")))?;
        parts.push(TemplatePart::Path(path));
        consumed += open + 1 + close + 1;
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Text(rest.to_string()));
    }
    Ok(Template { parts })
}

/// The data areas a rule reads, from its subject and the fields it references (each field
/// declares its own), and whether it reads a field whose absence only means "not seen".
fn requirements(
    subject: SubjectKind,
    roots: &[(&str, &[crate::subjects::Field])],
    paths: &[Vec<String>],
) -> (BTreeSet<DataArea>, bool) {
    let mut areas: BTreeSet<DataArea> = subject.base_reads().iter().copied().collect();
    let mut unseen = false;
    for path in paths {
        let root = path.first().map(String::as_str).unwrap_or("");
        let Some((_, fields)) = roots.iter().find(|(name, _)| *name == root) else {
            continue;
        };
        let (reads, absent) = crate::subjects::reads_of(fields, path.get(1).map(String::as_str));
        areas.extend(reads);
        unseen |= absent;
    }
    (areas, unseen)
}
