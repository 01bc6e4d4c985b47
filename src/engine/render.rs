//! Message templates filled from a subject's values.

use crate::rules::{Template, TemplatePart};
use crate::subjects;
use cel::Value;
use cel::objects::Key;

/// The longest message the table and Markdown show; the full one stays in JSON, SARIF and HTML.
pub const BRIEF_LIMIT: usize = 300;

/// Fills a message template from the subject's values.
pub fn render(
    template: &Template,
    values: &[Value],
    roots: &[(&str, &[subjects::Field])],
    params: &serde_json::Map<String, serde_json::Value>,
) -> String {
    fill(template, values, roots, params, 8)
}

/// The message, and its brief form when it is longer than [`BRIEF_LIMIT`] characters: each list
/// shows its first item and how many more, and the whole is cut to the limit at a space.
pub fn render_with_brief(
    template: &Template,
    values: &[Value],
    roots: &[(&str, &[subjects::Field])],
    params: &serde_json::Map<String, serde_json::Value>,
) -> (String, Option<String>) {
    let full = fill(template, values, roots, params, 8);
    if full.chars().count() <= BRIEF_LIMIT {
        return (full, None);
    }
    let mut brief = fill(template, values, roots, params, 1);
    if let Some((limit, _)) = brief.char_indices().nth(BRIEF_LIMIT - 2) {
        // Cut at the last space that fits, so no word is broken.
        let cut = brief[..limit].rfind(' ').unwrap_or(limit);
        brief.truncate(cut);
        brief.push_str(" …");
    }
    let brief = (brief != full).then_some(brief);
    (full, brief)
}

fn fill(
    template: &Template,
    values: &[Value],
    roots: &[(&str, &[subjects::Field])],
    params: &serde_json::Map<String, serde_json::Value>,
    shown: usize,
) -> String {
    // Filled in a buffer kept by the thread, then copied at its length: 200,000 messages are
    // not held with the room a growing string leaves.
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with_borrow_mut(|out| {
        out.clear();
        fill_into(out, template, values, roots, params, shown);
        out.as_str().to_owned()
    })
}

fn fill_into(
    out: &mut String,
    template: &Template,
    values: &[Value],
    roots: &[(&str, &[subjects::Field])],
    params: &serde_json::Map<String, serde_json::Value>,
    shown: usize,
) {
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
                match value {
                    Some(Value::String(s)) => out.push_str(s),
                    None | Some(Value::Null) => out.push_str("(none)"),
                    value => out.push_str(&display(value, shown)),
                }
            }
        }
    }
}

/// A value as message text; a list shows its first `shown` items and how many more.
fn display(value: Option<&Value>, shown: usize) -> String {
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
            let parts: Vec<String> = items
                .iter()
                .take(shown)
                .map(|v| display(Some(v), shown))
                .collect();
            let mut text = parts.join(", ");
            if items.len() > shown {
                text.push_str(&format!(" and {} more", items.len() - shown));
            }
            text
        }
        Some(Value::Map(map)) => {
            let mut entries: Vec<String> = map
                .map
                .iter()
                .map(|(k, v)| format!("{}={}", key_text(k), display(Some(v), shown)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::TemplatePart;

    fn template(parts: &[&str]) -> Template {
        Template {
            parts: parts
                .iter()
                .map(|p| match p.strip_prefix('{') {
                    Some(path) => TemplatePart::Path(
                        path.trim_end_matches('}')
                            .split('.')
                            .map(str::to_string)
                            .collect(),
                    ),
                    None => TemplatePart::Text(p.to_string()),
                })
                .collect(),
        }
    }

    fn brief(items: &[&str]) -> (String, Option<String>) {
        let list = Value::List(std::sync::Arc::new(
            items
                .iter()
                .map(|i| Value::String(i.to_string().into()))
                .collect(),
        ));
        let root = Value::Map(cel::objects::Map::from(std::collections::HashMap::from([
            (Key::String("reasons".to_string().into()), list),
        ])));
        let fields: &[subjects::Field] = &[];
        render_with_brief(
            &template(&["admin: ", "{x.reasons}"]),
            &[root],
            &[("x", fields)],
            &serde_json::Map::new(),
        )
    }

    #[test]
    fn the_brief_message_shows_one_item_of_a_list_and_stays_short() {
        // A short message stays whole.
        assert_eq!(
            brief(&["one", "two", "three"]),
            ("admin: one, two, three".to_string(), None)
        );
        // A long one shows one item of each list.
        let items: Vec<String> = (0..40)
            .map(|i| format!("reason number {i}, with its policy and statement"))
            .collect();
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        let (full, short) = brief(&items);
        assert!(full.chars().count() > BRIEF_LIMIT);
        assert_eq!(
            short.as_deref(),
            Some("admin: reason number 0, with its policy and statement and 39 more")
        );
        // A first item too long for the limit is cut at a space, never past the limit.
        let long = "word ".repeat(100);
        let (full, short) = brief(&[long.trim_end(), "two"]);
        let short = short.unwrap();
        assert!(full.chars().count() > BRIEF_LIMIT);
        assert!(short.chars().count() <= BRIEF_LIMIT, "{}", short.len());
        assert!(short.ends_with("word …"), "{short}");
    }
}
