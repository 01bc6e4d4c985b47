//! `check: drift`: differences of one kind (`params.kind`) between AWS and the stack file given
//! with `--desired`, each located on the stack line of the declaration it concerns.

use super::{Check, CheckError, CheckFinding, CheckInput};
use crate::desired::DesiredState;
use crate::findings::{AccountRef, PermissionSetRef, PrincipalRef, Resource, SourceLocation};
use crate::snapshot::Gap;
use crate::subjects::{self, Field, rows::DriftRow};
use crate::vocabulary::{DataArea, DriftKind, ResourceKind};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[allow(dead_code)]
    kind: DriftKind,
}

#[derive(Debug)]
struct Drift {
    kind: DriftKind,
}

pub(super) fn parse(
    kind: Option<&str>,
    text: &str,
    at_check: impl Fn(String) -> CheckError,
) -> Result<Arc<dyn Check>, CheckError> {
    let Some(kind) = kind.and_then(DriftKind::parse) else {
        return Err(at_check(format!(
            "check `drift` needs `params.kind`, one of {}",
            DriftKind::names()
        )));
    };
    let _: Params = super::params(text)?;
    Ok(Arc::new(Drift { kind }))
}

impl Check for Drift {
    fn describe(&self) -> String {
        format!(
            "drift ({}); compares with the stack file given with --desired",
            self.kind
        )
    }

    fn reads(&self) -> &'static [DataArea] {
        use DataArea as A;
        match self.kind {
            DriftKind::UnknownAccount => &[A::Organization],
            DriftKind::UnknownPrincipal => &[A::Organization, A::Users, A::Groups],
            DriftKind::UnknownPermissionSet | DriftKind::MissingPermissionSet => {
                &[A::PermissionSets]
            }
            DriftKind::UnmanagedPermissionSet => &[A::PermissionSets],
            DriftKind::PermissionSetModified => &[A::PermissionSets, A::PermissionSetPolicies],
            // Assignments are compared by names: every entity is read.
            DriftKind::UnmanagedAssignment | DriftKind::MissingAssignment => &[
                A::Assignments,
                A::Organization,
                A::PermissionSets,
                A::Users,
                A::Groups,
            ],
        }
    }

    fn needs_desired(&self) -> bool {
        true
    }

    fn message_root(&self) -> (&'static str, &'static [Field]) {
        ("drift", subjects::DRIFT_FIELDS)
    }

    fn desired_gaps(&self, desired: &DesiredState) -> Vec<Gap> {
        desired
            .unresolved
            .iter()
            .filter(|u| u.affects.contains(&self.kind))
            .map(|u| Gap {
                area: DataArea::DesiredState,
                operation: format!("stack:{}", u.function),
                resource: format!("{}:{} {}", desired.path, u.line, u.key),
                error: format!(
                    "`{}` is written with {}, which only atmos resolves: not compared; pass the output of `atmos describe component aws-sso -s STACK` to compare it",
                    u.key, u.function
                ),
            })
            .collect()
    }

    fn run(&self, input: &CheckInput) -> Vec<CheckFinding> {
        let Some((desired, items)) = input.desired else {
            return Vec::new();
        };
        items
            .iter()
            .filter(|i| i.kind == self.kind)
            .map(|item| {
                let value = subjects::value_of(
                    subjects::DRIFT_FIELDS,
                    &DriftRow {
                        item,
                        stack_file: &desired.path,
                    },
                );
                let or_key = |name: &str| {
                    if name.is_empty() {
                        item.account_key.clone()
                    } else {
                        name.to_string()
                    }
                };
                let account =
                    (!item.account_id.is_empty() || !item.account_key.is_empty()).then(|| {
                        AccountRef {
                            id: item.account_id.clone(),
                            name: or_key(&item.account_name),
                        }
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
                    DriftKind::UnknownAccount => Resource {
                        kind: ResourceKind::Account,
                        id: or_key(&item.account_id),
                        name: item.account_key.clone(),
                    },
                    DriftKind::UnknownPrincipal => Resource {
                        kind: if item.principal_type == "GROUP" {
                            ResourceKind::Group
                        } else {
                            ResourceKind::User
                        },
                        // One finding per declaration: the account it is declared for
                        // keeps their fingerprints apart.
                        id: format!(
                            "{}/{}/{}",
                            or_key(&item.account_id),
                            item.principal_type,
                            item.principal_name
                        ),
                        name: item.principal_name.clone(),
                    },
                    DriftKind::MissingPermissionSet
                    | DriftKind::UnmanagedPermissionSet
                    | DriftKind::PermissionSetModified
                    | DriftKind::UnknownPermissionSet
                        if item.principal_name.is_empty() =>
                    {
                        Resource {
                            kind: ResourceKind::PermissionSet,
                            id: if item.permission_set_arn.is_empty() {
                                item.permission_set.clone()
                            } else {
                                item.permission_set_arn.clone()
                            },
                            name: item.permission_set.clone(),
                        }
                    }
                    _ => Resource {
                        kind: ResourceKind::Assignment,
                        id: format!(
                            "{}/{}/{}/{}",
                            or_key(&item.account_id),
                            item.permission_set,
                            item.principal_type,
                            item.principal_name
                        ),
                        name: format!(
                            "{} {} on {}",
                            item.principal_name,
                            item.permission_set,
                            or_key(&item.account_name)
                        ),
                    },
                };
                CheckFinding {
                    resource,
                    account,
                    principal,
                    permission_set,
                    location: Some(SourceLocation {
                        path: desired.path.clone(),
                        line: item.line,
                    }),
                    value,
                }
            })
            .collect()
    }
}
