//! A YAML tree that keeps where every key and value was written, for stack files: anchors,
//! aliases and merge keys resolved, alias expansion bounded (a "billion laughs" document fails
//! fast and in bounded memory), every node with its line.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

#[derive(Debug, Clone)]
pub enum Node {
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar(String),
    Null,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Spanned<Node>> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Spanned<String>, Spanned<Node>)] {
        match self {
            Node::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Spanned<Node>] {
        match self {
            Node::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Node::Map(_) => "a mapping",
            Node::Seq(_) => "a list",
            Node::Scalar(_) => "a scalar",
            Node::Null => "null",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value::<Spanned<Node>>()?));
                }
                Ok(Node::Map(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node, E> {
                Ok(Node::Scalar(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Node, E> {
                Ok(Node::Scalar(s))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
                Ok(Node::Scalar(b.to_string()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
                Ok(Node::Scalar(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
                Ok(Node::Scalar(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Node, E> {
                Ok(Node::Scalar(n.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Parses YAML (or JSON, a subset of it) into a located tree, with limits that grow with the
/// text: a large organization's stack file (a thousand accounts, anchors reused in each) is
/// read, while alias expansions far beyond the text's size (a "billion laughs") are an error,
/// not a hang.
pub fn parse(text: &str) -> Result<Spanned<Node>, (u64, u64, String)> {
    // Written nodes take at least a byte each; replayed aliases may multiply them a little.
    // What bounds an expansion is the replayed events, so the heuristic that refuses many
    // aliases of one anchor (every account of a stack merging the same groups) is off.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = (text.len() * 4).max(100_000);
    budget.max_events = (text.len() * 8).max(1_000_000);
    budget.max_merge_keys = (text.len() / 8).max(10_000);
    budget.enforce_alias_anchor_ratio = false;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = (text.len() * 4).max(100_000);
    let options = serde_saphyr::options! {
        budget: Some(budget),
        alias_limits: alias_limits,
    };
    serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options).map_err(|e| {
        let (line, column) = crate::yaml_error::position(&e);
        (line, column, crate::yaml_error::message(&e))
    })
}

/// The lines of a text, found once: looking one up does not walk the text again (a stack file
/// of a large organization has hundreds of thousands of values to look at).
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        Lines { text, starts }
    }

    /// Line `line` (1-based), without its line break.
    pub fn get(&self, line: u64) -> Option<&'a str> {
        let index = line.checked_sub(1)? as usize;
        let start = *self.starts.get(index)?;
        let end = self
            .starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        if start > end {
            return None;
        }
        let source = &self.text[start..end];
        Some(source.strip_suffix('\r').unwrap_or(source))
    }

    /// The atmos function the value at `line`/`column` (1-based) is written with, if any: a
    /// YAML tag such as `!terraform.output` or `!env` just before it (the parser keeps the
    /// value and drops the tag), or a Go template (`{{ ... }}`) in the value. Only atmos
    /// resolves either.
    pub fn function_at(&self, line: u64, column: u64, value: &str) -> Option<String> {
        function_in(self.get(line), column, value)
    }
}

fn function_in(source: Option<&str>, column: u64, value: &str) -> Option<String> {
    if value.contains("{{") && value.contains("}}") {
        return Some("Go template".into());
    }
    let source = source?;
    let before: String = source
        .chars()
        .take(column.saturating_sub(1) as usize)
        .collect();
    let token = before.split_whitespace().last()?;
    (token.starts_with('!') && !token.starts_with("!!")).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_agree_with_str_lines() {
        for text in ["", "a", "a\n", "a\nb", "a\r\nb\r\n\n c\n", "\n\n"] {
            let lines = Lines::new(text);
            let expected: Vec<&str> = text.lines().collect();
            for (i, line) in expected.iter().enumerate() {
                assert_eq!(
                    lines.get(i as u64 + 1),
                    Some(*line),
                    "{text:?} line {}",
                    i + 1
                );
            }
            assert_eq!(lines.get(0), None);
            assert_eq!(lines.get(expected.len() as u64 + 2), None, "{text:?}");
        }
    }

    #[test]
    fn functions_of_atmos_are_found_where_the_parser_drops_them() {
        let text = "vars:\n  a: !terraform.output tfstate-backend bucket_arn\n  b: !env FOO\n  c: '{{ .vars.x }}'\n  d: !!str plain\n  e:\n    - !include x.yaml\n  f: plain\n";
        let root = parse(text).unwrap();
        let vars = root.value.get("vars").unwrap();
        let found: Vec<(String, Option<String>)> = vars
            .value
            .entries()
            .iter()
            .map(|(k, v)| {
                let node = match &v.value {
                    Node::Seq(items) => &items[0],
                    _ => v,
                };
                (
                    k.value.clone(),
                    Lines::new(text).function_at(
                        node.referenced.line(),
                        node.referenced.column(),
                        node.value.scalar().unwrap_or(""),
                    ),
                )
            })
            .collect();
        let expect = |s: Option<&str>| s.map(str::to_string);
        assert_eq!(
            found,
            [
                ("a".into(), expect(Some("!terraform.output"))),
                ("b".into(), expect(Some("!env"))),
                ("c".into(), expect(Some("Go template"))),
                ("d".into(), None),
                ("e".into(), expect(Some("!include"))),
                ("f".into(), None),
            ]
        );
    }
}
