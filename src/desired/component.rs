//! The permission sets the `aws-identity-center` (aws-sso) component creates for a stack, and
//! what each contains, from the component's definitions
//! (`data/cloudposse/permission-sets.v4.json`, facts from its Apache-2.0 Terraform code).

use super::{Backend, DesiredState};
use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;

const DEFINITIONS: &str = include_str!("../../data/cloudposse/permission-sets.v4.json");

#[derive(Debug, Deserialize)]
struct Definitions {
    permission_sets: Vec<Definition>,
}

#[derive(Debug, Clone, Deserialize)]
struct Definition {
    name: String,
    created_when: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    relay_state: String,
    #[serde(default)]
    managed_policies: Vec<String>,
    #[serde(default)]
    inline_policy: Option<Vec<Value>>,
}

fn definitions() -> &'static [Definition] {
    static PARSED: OnceLock<Vec<Definition>> = OnceLock::new();
    PARSED.get_or_init(|| {
        serde_json::from_str::<Definitions>(DEFINITIONS)
            .expect("the embedded component definitions parse")
            .permission_sets
    })
}

/// A permission set as the component defines it for this stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub name: String,
    pub description: String,
    pub relay_state: Option<String>,
    pub session_duration: String,
    pub managed_policies: Vec<String>,
    /// None: the component attaches no inline policy; Some: the full document.
    pub inline_policy: Option<Value>,
    /// False where the component creates the set but its content is not known here (legacy
    /// team and role sets): only existence is compared.
    pub content_known: bool,
}

/// `prod-us-east-1` → `ProdUsEast1`; `cloud_eng` → `CloudEng` (Terraform `title` after `_`→`-`).
pub fn title_key(key: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in key.replace('_', "-").chars() {
        if c.is_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
            if c != '-' {
                out.push(c);
            }
        }
    }
    out
}

fn substitute(value: &Value, partition: &str, backend: &Backend) -> Value {
    match value {
        Value::String(s) => Value::String(
            s.replace("${partition}", partition)
                .replace("${tf_access_bucket_arn}", &backend.bucket_arn)
                .replace("${tf_access_role_arn}", &backend.role_arn)
                .replace(
                    "${tf_access_dynamodb_table_arn}",
                    &backend.dynamodb_table_arn,
                ),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, partition, backend))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), substitute(v, partition, backend)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn expected_from(
    definition: &Definition,
    name: String,
    state: &DesiredState,
    backend: &Backend,
) -> Expected {
    let inline_policy = definition.inline_policy.as_ref().map(|statements| {
        let kept: Vec<Value> = statements
            .iter()
            .filter(|s| match s.get("_only_if").and_then(Value::as_str) {
                Some(condition) if condition.contains("tf_access_dynamodb_table_arn") => {
                    !backend.dynamodb_table_arn.is_empty()
                }
                _ => true,
            })
            .map(|s| substitute(s, &state.partition, backend))
            .collect();
        serde_json::json!({"Version": "2012-10-17", "Statement": kept})
    });
    Expected {
        name,
        description: definition.description.clone(),
        relay_state: (!definition.relay_state.is_empty()).then(|| definition.relay_state.clone()),
        session_duration: if state.session_duration.is_empty() {
            "PT1H".into()
        } else {
            state.session_duration.clone()
        },
        managed_policies: definition
            .managed_policies
            .iter()
            .map(|p| p.replace("${partition}", &state.partition))
            .collect(),
        inline_policy,
        content_known: true,
    }
}

/// Every permission set the component creates for this stack.
pub fn expected_permission_sets(state: &DesiredState) -> Vec<Expected> {
    let mut sets = Vec::new();
    let terraform = !state.tf_access.bucket_arn.is_empty() && !state.tf_access.role_arn.is_empty();
    for definition in definitions() {
        let is_terraform = definition.created_when.contains("tf_access_bucket_arn");
        if !is_terraform {
            sets.push(expected_from(
                definition,
                definition.name.clone(),
                state,
                &state.tf_access,
            ));
            continue;
        }
        if terraform {
            sets.push(expected_from(
                definition,
                definition.name.clone(),
                state,
                &state.tf_access,
            ));
        }
        for (key, backend) in &state.tf_access_additional_backends {
            let name = format!("{}-{}", definition.name, title_key(key));
            sets.push(expected_from(definition, name, state, backend));
        }
    }
    let legacy = |name: String| Expected {
        name,
        description: String::new(),
        relay_state: None,
        session_duration: String::new(),
        managed_policies: Vec::new(),
        inline_policy: None,
        content_known: false,
    };
    for team in &state.teams_accessible {
        sets.push(legacy(format!("Identity{}TeamAccess", title_key(team))));
    }
    for role in &state.roles_accessible {
        sets.push(legacy(format!("Identity{}RoleAccess", title_key(role))));
    }
    for name in &state.additional_permission_sets {
        sets.push(legacy(name.clone()));
    }
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    sets.dedup_by(|a, b| a.name == b.name);
    sets
}

/// A policy document in a canonical form for comparison: statements and the values of
/// `Action`, `NotAction`, `Resource` and `NotResource` as sorted sets, a single string the
/// same as a one-element list.
pub fn canonical_policy(document: &Value) -> Value {
    fn as_set(value: &Value) -> Value {
        let mut items: Vec<String> = match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect(),
            other => vec![other.to_string()],
        };
        items.sort();
        items.dedup();
        Value::Array(items.into_iter().map(Value::String).collect())
    }
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(item) => vec![item.clone()],
        None => Vec::new(),
    };
    let mut canonical: Vec<Value> = statements
        .iter()
        .map(|statement| match statement {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| match k.as_str() {
                        "Action" | "NotAction" | "Resource" | "NotResource" => {
                            (k.clone(), as_set(v))
                        }
                        _ => (k.clone(), v.clone()),
                    })
                    .collect(),
            ),
            other => other.clone(),
        })
        .collect();
    canonical.sort_by_key(|s| s.to_string());
    serde_json::json!({"Statement": canonical})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_load_and_titles() {
        assert!(definitions().len() >= 10);
        assert_eq!(title_key("prod-us-east-1"), "ProdUsEast1");
        assert_eq!(title_key("cloud_eng"), "CloudEng");
        assert_eq!(title_key("devops"), "Devops");
    }

    #[test]
    fn terraform_sets_follow_the_backend_variables() {
        let mut state = DesiredState {
            partition: "aws".into(),
            ..Default::default()
        };
        let names = |s: &DesiredState| {
            expected_permission_sets(s)
                .into_iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
        };
        assert!(!names(&state).contains(&"TerraformApplyAccess".to_string()));
        state.tf_access = Backend {
            bucket_arn: "arn:aws:s3:::b".into(),
            role_arn: "arn:aws:iam::1:role/r".into(),
            dynamodb_table_arn: String::new(),
        };
        state
            .tf_access_additional_backends
            .insert("prod-us-east-1".into(), state.tf_access.clone());
        state.teams_accessible = vec!["devops".into()];
        let all = names(&state);
        for name in [
            "TerraformApplyAccess",
            "TerraformPlanAccess-ProdUsEast1",
            "IdentityDevopsTeamAccess",
            "RootAccess",
        ] {
            assert!(all.contains(&name.to_string()), "{name} in {all:?}");
        }
        let apply = expected_permission_sets(&state)
            .into_iter()
            .find(|e| e.name == "TerraformApplyAccess")
            .unwrap();
        let text = apply.inline_policy.unwrap().to_string();
        assert!(
            text.contains("arn:aws:s3:::b/*") && !text.contains("dynamodb"),
            "{text}"
        );
    }

    #[test]
    fn policies_compare_ignoring_order() {
        let a = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:B", "s3:A"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": ["*"]}]});
        let b = serde_json::json!({"Statement": [
            {"Effect": "Deny", "Action": ["iam:*"], "Resource": "*"},
            {"Resource": ["*"], "Effect": "Allow", "Action": ["s3:A", "s3:B"]}]});
        assert_eq!(canonical_policy(&a), canonical_policy(&b));
        let c = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:A", "Resource": "*"}]});
        assert_ne!(canonical_policy(&a), canonical_policy(&c));
    }
}
