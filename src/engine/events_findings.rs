//! Findings of `check: events` rules: what CloudTrail shows about sign-ins, MFA, root use and
//! the use of assignments, matched to the Identity Store users and assignments of the snapshot.

use super::RuleRun;
use crate::findings::{AccountRef, PermissionSetRef, PrincipalRef, Resource};
use crate::snapshot::{Gap, PrincipalType, Snapshot, User};
use crate::subjects;
use crate::vocabulary::UserKey;
use cel::Value;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// Look-back of a rule: `params.days`, unless the command line overrides it.
pub(super) fn days(
    params: &serde_json::Map<String, serde_json::Value>,
    override_days: Option<u32>,
) -> i64 {
    override_days
        .map(i64::from)
        .or_else(|| params.get("days").and_then(|d| d.as_i64()))
        .unwrap_or(90)
}

/// A gap when the events do not reach back as far as the rule looks.
pub(super) fn coverage_gap(
    snapshot: &Snapshot,
    kind: &str,
    days: i64,
    now: DateTime<Utc>,
) -> Option<Gap> {
    if !matches!(kind, "unused-assignment" | "dormant-user-with-access")
        || snapshot.events.sources.is_empty()
    {
        return None;
    }
    let since = now - chrono::Duration::days(days);
    let from = snapshot
        .events
        .covered_from
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    match from {
        Some(from) if from <= since => None,
        _ => Some(Gap {
            area: crate::vocabulary::DataArea::Events,
            operation: String::new(),
            resource: String::new(),
            error: format!(
                "the events cover {} only; the rule looks back {days} days (to {})",
                match (&snapshot.events.covered_from, &snapshot.events.covered_to) {
                    (Some(a), Some(b)) => format!("{a} to {b}"),
                    _ => "no period".into(),
                },
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        }),
    }
}

fn parse(time: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// One finding's values for the message template.
#[derive(Default)]
struct Evidence {
    user_name: String,
    user_id: String,
    account_id: String,
    account_name: String,
    permission_set: String,
    via: String,
    time: String,
    count: i64,
    detail: String,
}

impl RuleRun<'_, '_, '_, '_> {
    pub(super) fn events(&mut self, kind: &str, now: DateTime<Utc>, override_days: Option<u32>) {
        let snapshot = self.cache.model.snapshot;
        let model = self.cache.model;
        let days = days(&self.rule.params, override_days);
        let since = now - chrono::Duration::days(days);
        let users_by_key: HashMap<UserKey, usize> = snapshot
            .users
            .iter()
            .enumerate()
            .flat_map(|(i, u)| UserKey::of_user(u).map(|k| (k, i)))
            .collect();
        let account_name = |id: &str| {
            model
                .account_index
                .get(id)
                .map(|&i| snapshot.organization.accounts[i].name.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let user_resource = |user: &User| super::user_refs(user).0;
        let user_principal = |user: &User| super::user_refs(user).1;
        let summary_user = |id: Option<&str>, name: Option<&str>| -> Option<&User> {
            UserKey::of(id, name)
                .and_then(|k| users_by_key.get(&k))
                .map(|&i| &snapshot.users[i])
        };

        match kind {
            "sign-in-without-mfa" | "mfa-unverifiable-external-idp" => {
                for summary in &snapshot.events.users {
                    let time = if kind == "sign-in-without-mfa" {
                        &summary.last_sign_in_without_mfa
                    } else {
                        &summary.last_external_idp_sign_in
                    };
                    let Some(time) = time else { continue };
                    let (resource, principal, name, id) = match summary_user(
                        summary.user_id.as_deref(),
                        summary.user_name.as_deref(),
                    ) {
                        Some(user) => (
                            user_resource(user),
                            Some(user_principal(user)),
                            user.user_name.clone(),
                            user.id.clone(),
                        ),
                        None => {
                            let name = summary
                                .user_name
                                .clone()
                                .or(summary.user_id.clone())
                                .unwrap_or_default();
                            (
                                Resource {
                                    kind: crate::vocabulary::ResourceKind::User,
                                    id: name.clone(),
                                    name: name.clone(),
                                },
                                None,
                                name,
                                summary.user_id.clone().unwrap_or_default(),
                            )
                        }
                    };
                    let detail = if kind == "sign-in-without-mfa" {
                        "signed in to IAM Identity Center with a single factor".to_string()
                    } else {
                        "signed in through the external identity provider, which checks MFA itself: verify the MFA policy there (Okta, Entra ID, Google Workspace, JumpCloud sign-in logs)".to_string()
                    };
                    self.evidence_finding(
                        resource,
                        None,
                        principal,
                        None,
                        Evidence {
                            user_name: name,
                            user_id: id,
                            time: time.clone(),
                            count: 1,
                            detail,
                            ..Default::default()
                        },
                    );
                }
                if kind == "sign-in-without-mfa" {
                    for login in snapshot
                        .events
                        .console_logins
                        .iter()
                        .filter(|l| l.success && l.mfa == "no")
                    {
                        let who = login
                            .user_name
                            .clone()
                            .unwrap_or_else(|| login.identity_type.clone());
                        let resource = Resource {
                            kind: if login.identity_type == "Root" {
                                crate::vocabulary::ResourceKind::RootUser
                            } else {
                                crate::vocabulary::ResourceKind::IamUser
                            },
                            id: format!("{}/{who}", login.account_id),
                            name: format!("{who} in {}", account_name(&login.account_id)),
                        };
                        let account = AccountRef {
                            id: login.account_id.clone(),
                            name: account_name(&login.account_id),
                        };
                        self.evidence_finding(
                            resource,
                            Some(account),
                            None,
                            None,
                            Evidence {
                                user_name: who,
                                account_id: login.account_id.clone(),
                                account_name: account_name(&login.account_id),
                                time: login.time.clone(),
                                count: 1,
                                detail: format!(
                                    "{} console sign-in with MFAUsed: No",
                                    login.identity_type
                                ),
                                ..Default::default()
                            },
                        );
                    }
                }
            }
            "root-credential-use" => {
                let mut by_account: BTreeMap<(String, String), (String, i64, String)> =
                    BTreeMap::new();
                for login in snapshot
                    .events
                    .console_logins
                    .iter()
                    .filter(|l| l.identity_type == "Root" && l.success)
                {
                    let entry = by_account
                        .entry((login.account_id.clone(), "console sign-in".into()))
                        .or_insert((String::new(), 0, String::new()));
                    entry.0 = entry.0.clone().max(login.time.clone());
                    entry.1 += 1;
                    entry.2 = "root user signed in to the console".into();
                }
                for action in snapshot
                    .events
                    .root_activity
                    .iter()
                    .filter(|a| !a.via_assume_root)
                {
                    let key = action
                        .access_key_id
                        .clone()
                        .unwrap_or_else(|| "(no access key)".into());
                    let entry = by_account
                        .entry((action.account_id.clone(), key.clone()))
                        .or_insert((String::new(), 0, String::new()));
                    entry.0 = entry.0.clone().max(action.time.clone());
                    entry.1 += 1;
                    entry.2 = format!(
                        "actions as root with access key {key}, not issued by sts:AssumeRoot (last: {})",
                        action.event_name
                    );
                }
                for ((account_id, route), (time, count, detail)) in by_account {
                    let resource = Resource {
                        kind: crate::vocabulary::ResourceKind::RootUser,
                        id: format!("{account_id}/{route}"),
                        name: format!("root of {}", account_name(&account_id)),
                    };
                    let account = AccountRef {
                        id: account_id.clone(),
                        name: account_name(&account_id),
                    };
                    self.evidence_finding(
                        resource,
                        Some(account),
                        None,
                        None,
                        Evidence {
                            user_name: "root".into(),
                            account_name: account_name(&account_id),
                            account_id,
                            time,
                            count,
                            detail,
                            ..Default::default()
                        },
                    );
                }
            }
            "unused-assignment" => {
                // Last use per (user key, account, permission set name).
                let mut last_use: HashMap<(&UserKey, &str, &str), &str> = HashMap::new();
                for role_use in &snapshot.events.role_uses {
                    last_use.insert(
                        (
                            &role_use.user,
                            role_use.account_id.as_str(),
                            role_use.permission_set_name.as_str(),
                        ),
                        role_use.last_used.as_str(),
                    );
                }
                for (position, assignment) in snapshot.assignments.iter().enumerate() {
                    let target = model.assignment_targets[position];
                    let Some(set) = target
                        .permission_set
                        .map(|p| &snapshot.permission_sets[p as usize])
                    else {
                        continue;
                    };
                    let (via, members): (String, Vec<usize>) =
                        match (assignment.principal_type, target.principal) {
                            (PrincipalType::Group, Some(g)) => (
                                snapshot.groups[g as usize].display_name.clone(),
                                model.group_members[g as usize].clone(),
                            ),
                            (PrincipalType::User, Some(u)) => {
                                ("direct assignment".into(), vec![u as usize])
                            }
                            _ => continue,
                        };
                    if members.is_empty() {
                        continue;
                    }
                    let last = members
                        .iter()
                        .flat_map(|&u| {
                            let user = &snapshot.users[u];
                            UserKey::of_user(user).map(|key| {
                                last_use
                                    .get(&(&key, assignment.account_id.as_str(), set.name.as_str()))
                                    .copied()
                            })
                        })
                        .flatten()
                        .max();
                    if last.and_then(parse).is_some_and(|t| t >= since) {
                        continue;
                    }
                    let (resource, account, principal, permission_set, _) =
                        self.assignment_refs(assignment, None);
                    self.evidence_finding(
                        resource,
                        account,
                        principal,
                        permission_set,
                        Evidence {
                            account_id: assignment.account_id.clone(),
                            account_name: account_name(&assignment.account_id),
                            permission_set: set.name.clone(),
                            via,
                            time: last.unwrap_or("").to_string(),
                            count: members.len() as i64,
                            detail: match last {
                                Some(t) => format!("last used {t}"),
                                None => "never used in the covered period".into(),
                            },
                            ..Default::default()
                        },
                    );
                }
            }
            "dormant-user-with-access" => {
                let mut last_sign_in: HashMap<UserKey, &str> = HashMap::new();
                for summary in &snapshot.events.users {
                    if let (Some(key), Some(time)) = (
                        UserKey::of(summary.user_id.as_deref(), summary.user_name.as_deref()),
                        summary.last_sign_in.as_deref(),
                    ) {
                        last_sign_in.insert(key, time);
                    }
                }
                for (i, user) in snapshot.users.iter().enumerate() {
                    if !user.active || !model.user_has_access[i] {
                        continue;
                    }
                    let last = UserKey::of_user(user)
                        .iter()
                        .filter_map(|key| last_sign_in.get(key))
                        .copied()
                        .max();
                    if last.and_then(parse).is_some_and(|t| t >= since) {
                        continue;
                    }
                    self.evidence_finding(
                        user_resource(user),
                        None,
                        Some(user_principal(user)),
                        None,
                        Evidence {
                            user_name: user.user_name.clone(),
                            user_id: user.id.clone(),
                            time: last.unwrap_or("").to_string(),
                            count: 0,
                            detail: match last {
                                Some(t) => format!("last signed in {t}"),
                                None => "no sign-in in the covered period".into(),
                            },
                            ..Default::default()
                        },
                    );
                }
            }
            "sign-in-failures-burst" => {
                let max = self
                    .rule
                    .params
                    .get("max_failures")
                    .and_then(|v| v.as_i64())
                    .unwrap_or(5);
                let window = self
                    .rule
                    .params
                    .get("window")
                    .and_then(|v| v.as_str())
                    .and_then(crate::policy::iso_duration_seconds)
                    .unwrap_or(900);
                let mut by_user: BTreeMap<UserKey, Vec<i64>> = BTreeMap::new();
                for failure in &snapshot.events.failures {
                    let key = UserKey::of(failure.user_id.as_deref(), failure.user_name.as_deref())
                        .unwrap_or_else(|| UserKey::Name("(unknown user)".into()));
                    if let Some(t) = parse(&failure.time) {
                        by_user.entry(key).or_default().push(t.timestamp());
                    }
                }
                for (key, mut times) in by_user {
                    times.sort_unstable();
                    let (mut best, mut best_start, mut start) = (0usize, 0usize, 0usize);
                    for end in 0..times.len() {
                        while times[end] - times[start] > window {
                            start += 1;
                        }
                        if end + 1 - start > best {
                            best = end + 1 - start;
                            best_start = start;
                        }
                    }
                    if (best as i64) <= max {
                        continue;
                    }
                    let user = users_by_key.get(&key).map(|&i| &snapshot.users[i]);
                    let name = user
                        .map(|u| u.user_name.clone())
                        .unwrap_or_else(|| key.label().to_string());
                    let resource = user.map(user_resource).unwrap_or(Resource {
                        kind: crate::vocabulary::ResourceKind::User,
                        id: key.to_string(),
                        name: name.clone(),
                    });
                    let time = DateTime::from_timestamp(times[best_start], 0)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default();
                    self.evidence_finding(
                        resource,
                        None,
                        user.map(user_principal),
                        None,
                        Evidence {
                            user_name: name,
                            user_id: user.map(|u| u.id.clone()).unwrap_or_default(),
                            time,
                            count: best as i64,
                            detail: format!(
                                "{best} failed sign-ins within {window} s (more than {max})"
                            ),
                            ..Default::default()
                        },
                    );
                }
            }
            _ => {}
        }
        let _ = days;
    }

    fn evidence_finding(
        &mut self,
        resource: Resource,
        account: Option<AccountRef>,
        principal: Option<PrincipalRef>,
        permission_set: Option<PermissionSetRef>,
        evidence: Evidence,
    ) {
        let days = days(&self.rule.params, self.override_days);
        let value = subjects::object(vec![
            (
                "kind",
                subjects::string(
                    self.rule
                        .params
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or(""),
                ),
            ),
            ("user_name", subjects::string(&evidence.user_name)),
            ("user_id", subjects::string(&evidence.user_id)),
            ("account_id", subjects::string(&evidence.account_id)),
            ("account_name", subjects::string(&evidence.account_name)),
            ("permission_set", subjects::string(&evidence.permission_set)),
            ("via", subjects::string(&evidence.via)),
            ("time", subjects::string(&evidence.time)),
            ("count", Value::Int(evidence.count)),
            ("days", Value::Int(days)),
            ("detail", subjects::string(&evidence.detail)),
        ]);
        let message = super::render(
            &self.rule.message,
            &[value],
            &[("event", subjects::EVENT_FIELDS)],
            &self.rule.params,
        );
        self.push(resource, message, account, principal, permission_set, None);
    }
}
