//! IAM policy analysis: what a permission set's policies grant, as far as rules need to know.
//!
//! Deliberately narrow: it recognizes administrator-equivalent grants (full `*` actions, all of
//! IAM, or role assumption on every resource), not a full policy evaluation.

use serde_json::Value;

/// A statement that grants administrator-equivalent access, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminGrant {
    /// `Sid` of the statement, or its position (`#0`) when it has none.
    pub statement: String,
    pub reason: &'static str,
}

/// The statements of a policy document, whether `Statement` is one object or a list.
fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    }
}

/// A policy element that may be a string or a list of strings.
fn strings(element: Option<&Value>) -> Vec<&str> {
    match element {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Statements of an inline policy that grant administrator-equivalent access on every
/// resource: `*` actions, `iam:*`, or `sts:AssumeRole` / `sts:*`.
pub fn admin_grants(document: &Value) -> Vec<AdminGrant> {
    let mut grants = Vec::new();
    for (position, statement) in statements(document).into_iter().enumerate() {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let resources = strings(statement.get("Resource"));
        if !resources.iter().any(|r| *r == "*" || *r == "arn:*") {
            continue;
        }
        let actions: Vec<String> = strings(statement.get("Action"))
            .iter()
            .map(|a| a.to_ascii_lowercase())
            .collect();
        let reason = if actions.iter().any(|a| a == "*" || a == "*:*") {
            Some("allows every action (*) on every resource")
        } else if actions.iter().any(|a| a == "iam:*") {
            Some("allows every IAM action (iam:*) on every resource")
        } else if actions
            .iter()
            .any(|a| a == "sts:assumerole" || a == "sts:*" || a == "sts:assume*")
        {
            Some("allows sts:AssumeRole on every resource")
        } else {
            None
        };
        if let Some(reason) = reason {
            let statement_name = statement
                .get("Sid")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{position}"));
            grants.push(AdminGrant {
                statement: statement_name,
                reason,
            });
        }
    }
    grants
}

/// Parses an ISO 8601 duration of the form IdC uses (`PT1H`, `PT12H30M`, `P1D`) into seconds.
pub fn iso_duration_seconds(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total: i64 = 0;
    let mut parse = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
            } else {
                let (_, factor) = units.iter().find(|(u, _)| *u == c)?;
                let value: i64 = number.parse().ok()?;
                total = total.checked_add(value.checked_mul(*factor)?)?;
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    parse(date, &[('D', 86_400), ('W', 604_800)])?;
    parse(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    if date.is_empty() && time.is_empty() {
        return None;
    }
    Some(total)
}

/// Whether two policy documents say the same: equal once single values are lists, lists are
/// sorted and the statement list is a list (IAM and Identity Center return one policy in
/// different shapes).
pub fn same_document(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

fn canonical(value: &Value) -> Value {
    const LISTS: &[&str] = &[
        "Statement",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
    ];
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let v = canonical(v);
                    let v = match v {
                        Value::Array(_) => v,
                        other if LISTS.contains(&key.as_str()) => Value::Array(vec![other]),
                        other => other,
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognizes_hidden_admin_statements() {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"},
            {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["IAM:*"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}
        ]});
        let grants = admin_grants(&doc);
        let names: Vec<_> = grants.iter().map(|g| g.statement.as_str()).collect();
        assert_eq!(names, ["Everything", "#2", "#3"]);
        let single = json!({"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}});
        assert_eq!(admin_grants(&single).len(), 1);
    }

    #[test]
    fn parses_durations() {
        assert_eq!(iso_duration_seconds("PT1H"), Some(3_600));
        assert_eq!(iso_duration_seconds("PT12H30M"), Some(45_000));
        assert_eq!(iso_duration_seconds("P1DT1S"), Some(86_401));
        assert_eq!(iso_duration_seconds("PT"), None);
        assert_eq!(iso_duration_seconds("1H"), None);
        assert_eq!(iso_duration_seconds("PT1X"), None);
        assert_eq!(iso_duration_seconds("PT1"), None);
    }

    #[test]
    fn one_document_in_two_shapes_is_the_same() {
        let a = serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}});
        let b = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Resource": ["*"], "Action": ["s3:GetObject"], "Effect": "Allow"}]});
        assert!(same_document(&a, &b));
        let c = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Resource": ["*"], "Action": ["s3:*"], "Effect": "Allow"}]});
        assert!(!same_document(&a, &c));
    }
}
