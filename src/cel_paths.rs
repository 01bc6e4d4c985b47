//! Static analysis of CEL conditions: compile, find every subject field a condition reads,
//! reject unknown variables and fields with their position, and split the top-level `&&`.
//!
//! The field paths let the engine evaluate a condition once per distinct combination of the
//! values it reads (memoization), and decide conjuncts over assignment-level fields before
//! expanding group members into access rows.

use crate::subjects::{CONSTANT_ROOTS, Field, FieldType, SubjectKind};
use cel::common::ast::{EntryExpr, Expr, operators};
use cel::{Env, IdedExpr, Program};
use std::sync::{Arc, OnceLock};

/// A compiled condition and what it reads.
#[derive(Debug)]
pub struct ConditionShape {
    pub source: String,
    pub program: Program,
    /// Subject field paths the condition reads (root first), sorted, deduplicated. A path
    /// stops at a map-typed field (tags, policies): the whole map is read.
    pub paths: Vec<Vec<String>>,
    /// The operands of the top-level `&&` chain, each with the paths it reads.
    pub conjuncts: Vec<Conjunct>,
    /// It calls `allows(...)`, which needs the policy facts of the snapshot.
    pub calls_allows: bool,
    /// The durations it builds with `days(...)`: how far back it looks.
    pub look_backs: Vec<LookBack>,
}

/// The argument of a `days(...)` call: a rule parameter or a literal number of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookBack {
    Param(String),
    Days(i64),
}

#[derive(Debug)]
pub struct Conjunct {
    pub expr: IdedExpr,
    pub paths: Vec<Vec<String>>,
}

/// A problem with a condition, positioned within the condition's text (1-based).
#[derive(Debug, Clone)]
pub struct Problem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// The CEL environment all conditions compile and run in: the standard library plus the
/// strings extension.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .expect("strings extension registers");
        Arc::new(env)
    })
    .clone()
}

pub fn analyze(source: &str, subject: SubjectKind) -> Result<ConditionShape, Vec<Problem>> {
    let program = env().compile(source).map_err(|errors| {
        errors
            .errors
            .iter()
            .map(|e| Problem {
                line: e.pos.0.max(1) as u64,
                column: e.pos.1.max(1) as u64,
                message: format!("CEL syntax error: {}", e.msg),
            })
            .collect::<Vec<_>>()
    })?;
    let roots = subject.roots();
    let mut walker = Walker {
        roots,
        source,
        program: &program,
        bound: Vec::new(),
        paths: Vec::new(),
        problems: Vec::new(),
        calls: Vec::new(),
    };
    walker.walk(program.expression());
    if !walker.problems.is_empty() {
        return Err(walker.problems);
    }
    let paths = normalize(walker.paths);
    let calls_allows = walker.calls.iter().any(|(name, _)| name == "allows");
    let mut look_backs: Vec<LookBack> = walker
        .calls
        .iter()
        .filter(|(name, _)| name == "days")
        .filter_map(|(_, argument)| argument.clone())
        .collect();
    look_backs.dedup();

    let mut operands = Vec::new();
    split_and(program.expression(), &mut operands);
    let conjuncts = operands
        .into_iter()
        .map(|expr| {
            let mut walker = Walker {
                roots,
                source,
                program: &program,
                bound: Vec::new(),
                paths: Vec::new(),
                problems: Vec::new(),
                calls: Vec::new(),
            };
            walker.walk(expr);
            Conjunct {
                expr: expr.clone(),
                paths: normalize(walker.paths),
            }
        })
        .collect();
    Ok(ConditionShape {
        source: source.to_string(),
        program,
        paths,
        conjuncts,
        calls_allows,
        look_backs,
    })
}

fn normalize(mut paths: Vec<Vec<String>>) -> Vec<Vec<String>> {
    paths.sort();
    paths.dedup();
    // A path whose prefix is also read adds nothing to what the condition depends on.
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q.len() < p.len() && p.starts_with(q)));
    paths
}

fn split_and<'e>(expr: &'e IdedExpr, out: &mut Vec<&'e IdedExpr>) {
    if let Expr::Call(call) = &expr.expr
        && call.func_name == operators::LOGICAL_AND
        && call.target.is_none()
        && call.args.len() == 2
    {
        split_and(&call.args[0], out);
        split_and(&call.args[1], out);
        return;
    }
    out.push(expr);
}

/// Checks `root.field...` against a subject's schema. Returns the path as far as the schema
/// knows it (a map-typed field ends it). `params` accepts any path.
pub fn check_path(
    path: &[String],
    roots: &[(&str, &[Field])],
    allow_params: bool,
) -> Result<Vec<String>, String> {
    let root = path.first().map(String::as_str).unwrap_or("");
    if allow_params && root == "params" {
        return Ok(path.to_vec());
    }
    let Some((_, fields)) = roots.iter().find(|(name, _)| *name == root) else {
        let mut known: Vec<&str> = roots.iter().map(|(name, _)| *name).collect();
        if allow_params {
            known.push("params");
        }
        return Err(format!(
            "unknown variable `{root}`; available: {}",
            known.join(", ")
        ));
    };
    let Some(name) = path.get(1) else {
        return Ok(path.to_vec());
    };
    let Some(field) = fields.iter().find(|f| f.name == name.as_str()) else {
        if let Some((_, instead)) = RETIRED.iter().find(|(old, _)| old == name) {
            return Err(format!(
                "`{root}.{name}` was retired: use `{root}.{instead}`"
            ));
        }
        let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(format!(
            "`{root}` has no field `{name}`; its fields are {}",
            known.join(", ")
        ));
    };
    if field.kind == FieldType::Map {
        return Ok(path[..2].to_vec());
    }
    if let Some(next) = path.get(2) {
        return Err(format!(
            "`{root}.{name}` is a {}; it has no field `{next}`",
            field.kind.describe()
        ));
    }
    Ok(path.to_vec())
}

/// Fields that decided from names or text and were replaced by what policies allow.
const RETIRED: &[(&str, &str)] = &[("grants_full_access", "admin_equivalent")];

struct Walker<'a> {
    roots: &'static [(&'static str, &'static [Field])],
    source: &'a str,
    program: &'a Program,
    bound: Vec<String>,
    paths: Vec<Vec<String>>,
    problems: Vec<Problem>,
    /// Global functions called, with their first argument when it is a look-back.
    calls: Vec<(String, Option<LookBack>)>,
}

impl Walker<'_> {
    fn position(&self, id: u64) -> (u64, u64) {
        let Some((start, _)) = self.program.source_info().offset_for(id) else {
            return (1, 1);
        };
        let before = &self.source[..(start as usize).min(self.source.len())];
        let line = before.matches('\n').count() as u64 + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0) as u64
            + 1;
        (line, column)
    }

    fn problem(&mut self, id: u64, message: String) {
        let (line, column) = self.position(id);
        self.problems.push(Problem {
            line,
            column,
            message,
        });
    }

    /// `a.b.c` as `["a", "b", "c"]` when the expression is a plain field chain on a variable.
    fn chain(expr: &IdedExpr) -> Option<Vec<String>> {
        match &expr.expr {
            Expr::Ident(name) => Some(vec![name.clone()]),
            Expr::Select(select) if !select.test => {
                let mut path = Self::chain(&select.operand)?;
                path.push(select.field.clone());
                Some(path)
            }
            _ => None,
        }
    }

    fn reference(&mut self, id: u64, path: Vec<String>) {
        let root = path[0].as_str();
        if root.starts_with('@') || self.bound.iter().any(|b| b == root) {
            return;
        }
        if CONSTANT_ROOTS.contains(&root) {
            return;
        }
        match check_path(&path, self.roots, false) {
            Ok(known) => self.paths.push(known),
            Err(message) => {
                let message = if self.roots.iter().all(|(name, _)| *name != root) {
                    let mut known: Vec<&str> = self.roots.iter().map(|(name, _)| *name).collect();
                    known.extend(CONSTANT_ROOTS);
                    format!("unknown variable `{root}`; available: {}", known.join(", "))
                } else {
                    message
                };
                self.problem(id, message);
            }
        }
    }

    fn walk(&mut self, expr: &IdedExpr) {
        match &expr.expr {
            Expr::Ident(_) | Expr::Select(_) if Self::chain(expr).is_some() => {
                let path = Self::chain(expr).unwrap_or_default();
                self.reference(expr.id, path);
            }
            Expr::Select(select) => {
                // `has(a.b)` reads `a`; a field of a computed value reads what computes it.
                self.walk(&select.operand);
            }
            Expr::Ident(_) => {}
            Expr::Call(call) => {
                if call.target.is_none() {
                    let argument = call.args.first().and_then(|arg| match &arg.expr {
                        Expr::Literal(cel::common::ast::LiteralValue::Int(n)) => {
                            Some(LookBack::Days(*n.inner()))
                        }
                        _ => match Self::chain(arg).as_deref() {
                            Some([root, name]) if root == "params" => {
                                Some(LookBack::Param(name.clone()))
                            }
                            _ => None,
                        },
                    });
                    self.calls.push((call.func_name.clone(), argument));
                }
                if let Some(target) = &call.target {
                    self.walk(target);
                }
                for arg in &call.args {
                    self.walk(arg);
                }
            }
            Expr::Comprehension(comprehension) => {
                self.walk(&comprehension.iter_range);
                let before = self.bound.len();
                self.bound.push(comprehension.iter_var.clone());
                if let Some(second) = &comprehension.iter_var2 {
                    self.bound.push(second.clone());
                }
                self.bound.push(comprehension.accu_var.clone());
                self.walk(&comprehension.accu_init);
                self.walk(&comprehension.loop_cond);
                self.walk(&comprehension.loop_step);
                self.walk(&comprehension.result);
                self.bound.truncate(before);
            }
            Expr::List(list) => {
                for element in &list.elements {
                    self.walk(element);
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    self.walk_entry(&entry.expr);
                }
            }
            Expr::Struct(structure) => {
                for entry in &structure.entries {
                    self.walk_entry(&entry.expr);
                }
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    fn walk_entry(&mut self, entry: &EntryExpr) {
        match entry {
            EntryExpr::StructField(field) => self.walk(&field.value),
            EntryExpr::MapEntry(entry) => {
                self.walk(&entry.key);
                self.walk(&entry.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str, subject: SubjectKind) -> Vec<String> {
        analyze(source, subject)
            .unwrap()
            .paths
            .iter()
            .map(|p| p.join("."))
            .collect()
    }

    #[test]
    fn collects_field_paths() {
        assert_eq!(
            paths(
                "principal.type == 'GROUP' && principal.name == params.group && account.is_management",
                SubjectKind::Assignment
            ),
            ["account.is_management", "principal.name", "principal.type"]
        );
    }

    #[test]
    fn comprehension_variables_are_not_roots() {
        assert_eq!(
            paths("user.groups.exists(g, g == 'Managers')", SubjectKind::User),
            ["user.groups"]
        );
    }

    #[test]
    fn map_fields_end_the_path() {
        assert_eq!(
            paths(
                "account.tags.env == 'prod' && has(account.tags.team)",
                SubjectKind::Account
            ),
            ["account.tags"]
        );
    }

    #[test]
    fn whole_root_subsumes_fields() {
        assert_eq!(
            paths(
                "size(account) > 0 && account.name == 'x'",
                SubjectKind::Account
            ),
            ["account"]
        );
    }

    #[test]
    fn unknown_field_and_variable_are_positioned() {
        let problems = analyze(
            "account.name == 'a' &&\n  principal.nmae == 'b'",
            SubjectKind::Assignment,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
        assert!(
            problems[0].message.contains("no field `nmae`"),
            "{}",
            problems[0].message
        );
        let problems = analyze("acount.name == 'a'", SubjectKind::Account).unwrap_err();
        assert!(problems[0].message.contains("unknown variable `acount`"));
    }

    #[test]
    fn syntax_error_is_reported() {
        let problems = analyze("account.name == ", SubjectKind::Account).unwrap_err();
        assert!(problems[0].message.contains("syntax error"));
    }

    #[test]
    fn splits_top_level_and() {
        let shape = analyze(
            "account.is_management && (permission_set.admin_equivalent || via.name == 'x') && !user.active",
            SubjectKind::Access,
        )
        .unwrap();
        let conjuncts: Vec<Vec<String>> = shape
            .conjuncts
            .iter()
            .map(|c| c.paths.iter().map(|p| p.join(".")).collect())
            .collect();
        assert_eq!(
            conjuncts,
            vec![
                vec!["account.is_management".to_string()],
                vec![
                    "permission_set.admin_equivalent".to_string(),
                    "via.name".to_string()
                ],
                vec!["user.active".to_string()],
            ]
        );
    }
}
