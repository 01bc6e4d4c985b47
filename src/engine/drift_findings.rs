//! Findings of `check: drift` rules, located on the stack file line of each drift item.

use super::RuleRun;
use crate::desired::DesiredState;
use crate::drift::DriftItem;
use crate::findings::{AccountRef, PermissionSetRef, PrincipalRef, Resource, SourceLocation};
use crate::subjects;
use cel::Value;

impl RuleRun<'_, '_, '_, '_> {
    pub(super) fn drift(&mut self, kind: &str, items: &[DriftItem], desired: &DesiredState) {
        for item in items.iter().filter(|i| i.kind == kind) {
            let value = subjects::object(vec![
                ("kind", subjects::string(item.kind)),
                ("account_key", subjects::string(&item.account_key)),
                ("account_id", subjects::string(&item.account_id)),
                ("account_name", subjects::string(&item.account_name)),
                ("principal_type", subjects::string(&item.principal_type)),
                ("principal_name", subjects::string(&item.principal_name)),
                ("permission_set", subjects::string(&item.permission_set)),
                ("detail", subjects::string(&item.detail)),
                ("stack_file", subjects::string(&desired.path)),
                ("line", Value::Int(i64::from(item.line))),
            ]);
            let message = super::render(
                &self.rule.message,
                &[value],
                &[("drift", subjects::DRIFT_FIELDS)],
                &self.rule.params,
            );
            let account =
                (!item.account_id.is_empty() || !item.account_key.is_empty()).then(|| AccountRef {
                    id: item.account_id.clone(),
                    name: if item.account_name.is_empty() {
                        item.account_key.clone()
                    } else {
                        item.account_name.clone()
                    },
                });
            let principal = (!item.principal_name.is_empty()).then(|| PrincipalRef {
                principal_type: item.principal_type.clone(),
                id: item.principal_id.clone(),
                name: item.principal_name.clone(),
            });
            let permission_set = (!item.permission_set.is_empty()).then(|| PermissionSetRef {
                arn: item.permission_set_arn.clone(),
                name: item.permission_set.clone(),
            });
            let resource = match item.kind {
                "unknown-account" => Resource {
                    kind: crate::vocabulary::ResourceKind::Account,
                    id: if item.account_id.is_empty() {
                        item.account_key.clone()
                    } else {
                        item.account_id.clone()
                    },
                    name: item.account_key.clone(),
                },
                "unknown-principal" => Resource {
                    kind: if item.principal_type == "GROUP" {
                        crate::vocabulary::ResourceKind::Group
                    } else {
                        crate::vocabulary::ResourceKind::User
                    },
                    id: format!("{}/{}", item.principal_type, item.principal_name),
                    name: item.principal_name.clone(),
                },
                "missing-permission-set"
                | "unmanaged-permission-set"
                | "permission-set-modified" => Resource {
                    kind: crate::vocabulary::ResourceKind::PermissionSet,
                    id: if item.permission_set_arn.is_empty() {
                        item.permission_set.clone()
                    } else {
                        item.permission_set_arn.clone()
                    },
                    name: item.permission_set.clone(),
                },
                _ => Resource {
                    kind: crate::vocabulary::ResourceKind::Assignment,
                    id: format!(
                        "{}/{}/{}/{}",
                        if item.account_id.is_empty() {
                            &item.account_key
                        } else {
                            &item.account_id
                        },
                        item.permission_set,
                        item.principal_type,
                        item.principal_name
                    ),
                    name: format!(
                        "{} {} on {}",
                        item.principal_name,
                        item.permission_set,
                        if item.account_name.is_empty() {
                            &item.account_key
                        } else {
                            &item.account_name
                        }
                    ),
                },
            };
            let location = SourceLocation {
                path: desired.path.clone(),
                line: item.line,
            };
            self.push_at(
                resource,
                message,
                account,
                principal,
                permission_set,
                None,
                location,
            );
        }
    }
}
