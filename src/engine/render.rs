//! Message templates filled from a subject's values.

use crate::rules::{Template, TemplatePart};
use crate::subjects;
use cel::Value;
use cel::objects::Key;

/// Fills a message template from the subject's values.
pub fn render(
    template: &Template,
    values: &[Value],
    roots: &[(&str, &[subjects::Field])],
    params: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Path(path) if path[0] == "params" => {
                let mut current = params.get(path.get(1).map(String::as_str).unwrap_or(""));
                for step in path.iter().skip(2) {
                    current = current.and_then(|v| v.get(step));
                }
                match current {
                    Some(serde_json::Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                    None => out.push_str("(none)"),
                }
            }
            TemplatePart::Path(path) => {
                let value = roots
                    .iter()
                    .position(|(name, _)| *name == path[0])
                    .and_then(|i| values.get(i))
                    .and_then(|root| subjects::lookup(root, &path[1..]));
                out.push_str(&display(value));
            }
        }
    }
    out
}

fn display(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_string(),
        Some(Value::String(s)) => s.to_string(),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::UInt(u)) => u.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Timestamp(t)) => t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Some(Value::List(items)) => {
            // A message stays readable: a long list shows its first items and how many more.
            const SHOWN: usize = 8;
            let parts: Vec<String> = items.iter().take(SHOWN).map(|v| display(Some(v))).collect();
            let mut text = parts.join(", ");
            if items.len() > SHOWN {
                text.push_str(&format!(" and {} more", items.len() - SHOWN));
            }
            text
        }
        Some(Value::Map(map)) => {
            let mut entries: Vec<String> = map
                .map
                .iter()
                .map(|(k, v)| format!("{}={}", key_text(k), display(Some(v))))
                .collect();
            entries.sort();
            entries.join(", ")
        }
        Some(other) => format!("{other:?}"),
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::String(s) => s.to_string(),
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
    }
}
