//! The rows field values are built from, one type per root, and the small constructors of CEL
//! values the field tables use.

use crate::drift::DriftItem;
use crate::model::{Model, PermissionSetFacts};
use crate::snapshot::{Account, Group, PermissionSet, User};
use cel::Value;
use cel::objects::{Key, Map};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub struct AccountRow<'a> {
    pub account: &'a Account,
    pub is_management: bool,
    pub assignment_count: usize,
    pub settings: &'a crate::snapshot::Settings,
    /// The instance being audited (not an account instance).
    pub audited_instance: &'a str,
}

pub struct PermissionSetRow<'a> {
    pub set: &'a PermissionSet,
    pub facts: &'a PermissionSetFacts,
    pub capabilities: &'a crate::iam::capabilities::Capabilities,
    pub assigned: &'a BTreeSet<&'a str>,
    pub assignment_count: usize,
    /// `permission_set`, or `iam_role` for the role of an account access manager entitlement.
    pub kind: &'static str,
}

pub struct GroupRow<'a> {
    pub group: &'a Group,
    pub member_count: usize,
    pub assignment_count: usize,
    /// Whether an IdP provisions the Identity Store.
    pub external_source: bool,
    /// Whether the stack declares it in `groups`; None without a stack.
    pub declared: Option<bool>,
}

pub struct UserRow<'a, 's> {
    pub model: &'a Model<'s>,
    pub user: &'a User,
    pub position: usize,
}

pub struct AssignmentRow<'a, 's> {
    pub model: &'a Model<'s>,
    pub position: usize,
}

pub struct PrincipalRow<'a> {
    /// GROUP or USER.
    pub kind: &'a str,
    pub id: &'a str,
    pub name: &'a str,
    pub exists: bool,
    pub active: bool,
}

pub struct DriftRow<'a> {
    pub item: &'a DriftItem,
    pub stack_file: &'a str,
}

/// One evidence finding of a `check: events` rule.
#[derive(Debug, Default, Clone)]
pub struct EventRow {
    pub kind: &'static str,
    pub user_name: String,
    pub user_id: String,
    pub account_id: String,
    pub account_name: String,
    pub time: String,
    pub first_time: String,
    pub count: i64,
    pub sessions: Vec<String>,
    pub detail: String,
}

/// One finding of a `check: member-accounts` rule: an IAM user or role of a member account.
#[derive(Debug, Default, Clone)]
pub struct MemberRow {
    pub kind: &'static str,
    pub account_id: String,
    pub account_name: String,
    /// The IAM user's or role's name.
    pub name: String,
    pub arn: String,
    /// When it was last used (RFC 3339), empty when never or unknown.
    pub last_used: String,
    pub detail: String,
}

/// What a `check: identity-changed` finding's message can show.
#[derive(Debug, Clone, Default)]
pub struct IdentityRow {
    pub name: String,
    pub id: String,
    pub external_ids: String,
    pub detail: String,
}

pub fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_string()))
}

pub fn int(n: usize) -> Value {
    Value::Int(n as i64)
}

pub fn optional_string(s: Option<&str>) -> Value {
    s.map(string).unwrap_or(Value::Null)
}

/// An RFC 3339 time as a CEL timestamp; null when absent (or unreadable).
pub fn timestamp(time: Option<&str>) -> Value {
    time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(Value::Timestamp)
        .unwrap_or(Value::Null)
}

/// External ids as `issuer id` strings (none when not read).
pub fn external_ids(ids: Option<&[crate::snapshot::ExternalId]>) -> Value {
    Value::List(Arc::new(
        ids.unwrap_or_default()
            .iter()
            .map(|e| string(&format!("{} {}", e.issuer, e.id)))
            .collect(),
    ))
}

pub fn identity_source(external: bool) -> &'static str {
    if external {
        "external"
    } else {
        "identity_center"
    }
}

pub fn list_of_strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List(Arc::new(items.into_iter().map(string).collect()))
}

pub fn string_map(map: &std::collections::BTreeMap<String, String>) -> Value {
    let entries: HashMap<Key, Value> = map
        .iter()
        .map(|(k, v)| (Key::String(Arc::new(k.clone())), string(v)))
        .collect();
    Value::Map(Map {
        map: Arc::new(entries),
    })
}

/// Converts JSON (policy documents, rule parameters) into a CEL value.
pub fn from_json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => string(s),
        serde_json::Value::Array(items) => {
            Value::List(Arc::new(items.iter().map(from_json).collect()))
        }
        serde_json::Value::Object(map) => {
            let entries: HashMap<Key, Value> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), from_json(v)))
                .collect();
            Value::Map(Map {
                map: Arc::new(entries),
            })
        }
    }
}
