//! The engine's shortcuts (classes of values, projections, conjunct chains, access expansion
//! after assignment-level conjuncts) give exactly what evaluating every condition on every
//! full subject row gives. The reference evaluation here is deliberately naive.

use ssoaudit::engine;
use ssoaudit::model::{Model, Route};
use ssoaudit::rules::{self, Logic, Rule, RuleSource};
use ssoaudit::snapshot::{Assignment, PrincipalType, Snapshot};
use ssoaudit::subjects::{SubjectKind, ValueCache};
use ssoaudit_generate::{Scale, large};
use std::collections::BTreeSet;

const EXTRA_RULES: &[(&str, &str)] = &[
    (
        "tags.yaml",
        "id: prod-accounts\nsubject: account\ncondition: 'size(account.tags) > 0 && account.tags.Stage == \"prod\" && account.status != \"SUSPENDED\"'",
    ),
    (
        "whole.yaml",
        "id: whole-root\nsubject: group\ncondition: 'size(group) > 3 && group.member_count > 3'",
    ),
    (
        "teams.yaml",
        "id: team-zero-users\nsubject: user\ncondition: 'user.groups.exists(g, g.startsWith(\"team-0\")) || !user.active'",
    ),
    (
        "access.yaml",
        "id: prod-readers\nsubject: access\ncondition: 'account.tags.Stage == \"prod\" && permission_set.name.startsWith(\"Workload1\") && user.name.endsWith(\"7@acme.example\") && via.type == \"GROUP\"'",
    ),
    (
        "access-or.yaml",
        "id: access-any\nsubject: access\ncondition: '(user.active || via.type == \"USER\") && permission_set.session_duration_seconds > 7200'",
    ),
    (
        "errors.yaml",
        "id: relay-https\nsubject: permission_set\ncondition: 'permission_set.relay_state.startsWith(\"https\")'",
    ),
    (
        "mixed-errors.yaml",
        "id: mixed-errors\nsubject: assignment\ncondition: 'principal.type == \"USER\" && permission_set.relay_state.startsWith(\"x\")'",
    ),
    (
        "absorbed.yaml",
        "id: absorbed\nsubject: assignment\ncondition: 'permission_set.relay_state.startsWith(\"x\") && principal.type == \"NONE\"'",
    ),
    (
        "roles.yaml",
        "id: role-routes\nsubject: access\ncondition: 'permission_set.kind == \"iam_role\" && (permission_set.admin_equivalent || via.type == \"USER\")'",
    ),
    (
        "dangling.yaml",
        "id: dangling\nsubject: assignment\ncondition: '!principal.exists || account.name == account.id || permission_set.assignment_count == 0'",
    ),
];

fn rule_file(text: &str) -> String {
    format!("{text}\ntitle: t\nseverity: low\nmessage: m\nrationale: r\nremediation: x\n")
}

fn organization() -> Snapshot {
    organization_of(Scale {
        accounts: 30,
        permission_sets: 16,
        groups: 20,
        users: 200,
        assignments: 900,
    })
}

fn organization_of(scale: Scale) -> Snapshot {
    let mut snapshot = large(scale, 7);
    // References the snapshot does not resolve.
    snapshot.assignments.push(Assignment {
        account_id: "999999999999".into(),
        permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-x/ps-gone".into(),
        principal_type: PrincipalType::Group,
        principal_id: "no-such-group".into(),
    });
    snapshot.assignments.push(Assignment {
        account_id: snapshot.organization.accounts[15].id.clone(),
        permission_set_arn: snapshot.permission_sets[3].arn.clone(),
        principal_type: PrincipalType::User,
        principal_id: "no-such-user".into(),
    });
    // Users and groups at the same positions, both assigned directly: their identities differ.
    for position in 0..6 {
        snapshot.assignments.push(Assignment {
            account_id: snapshot.organization.accounts[12 + position].id.clone(),
            permission_set_arn: snapshot.permission_sets[position].arn.clone(),
            principal_type: PrincipalType::User,
            principal_id: snapshot.users[position].id.clone(),
        });
    }
    // Account access manager entitlements: to a readable administrator role in the management
    // account, to roles of member accounts, to principals the snapshot does not hold.
    let management = snapshot.metadata.management_account_id.clone();
    let admin_role = format!("arn:aws:iam::{management}:role/breakglass");
    let mut access = ssoaudit::snapshot::AccountAccess {
        roles: vec![ssoaudit::snapshot::Role {
            arn: admin_role.clone(),
            name: "breakglass".into(),
            managed_policies: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    for i in 0..12 {
        let (account_id, role_arn) = if i % 3 == 0 {
            (management.clone(), admin_role.clone())
        } else {
            let account = snapshot.organization.accounts[i].id.clone();
            let role = format!("arn:aws:iam::{account}:role/support{}", i % 2);
            (account, role)
        };
        let (principal_type, principal_id) = match i % 4 {
            0 | 1 => (PrincipalType::Group, snapshot.groups[i].id.clone()),
            2 => (PrincipalType::User, snapshot.users[i * 5].id.clone()),
            _ => (PrincipalType::User, "no-such-user".to_string()),
        };
        access.entitlements.push(ssoaudit::snapshot::Entitlement {
            account_id,
            role_arn,
            principal_type,
            principal_id,
            application_arn: "arn:aws:account-access:us-east-1:1:application/a".into(),
            id: format!("ent-{i}"),
            account_name: None,
        });
    }
    snapshot.account_access = Some(access);
    snapshot.permission_sets[2].relay_state = Some("https://console.aws.amazon.com/".into());
    // Evidence for some users and assignments, old and recent, so that the evidence fields
    // take many values.
    let now = chrono::Utc::now();
    let time = |days: i64| {
        (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    snapshot.events.sources = vec![ssoaudit::vocabulary::EventSource::TrailLogs];
    snapshot.events.covered_from = Some(time(400));
    snapshot.events.covered_to = Some(time(0));
    for (i, user) in snapshot.users.iter().enumerate().step_by(3) {
        snapshot
            .events
            .users
            .push(ssoaudit::snapshot::UserSignInSummary {
                user_id: (i % 2 == 0).then(|| user.id.clone()),
                user_name: (i % 2 == 1).then(|| user.user_name.clone()),
                last_sign_in: Some(time((i as i64 * 7) % 200)),
                ..Default::default()
            });
    }
    let sets: Vec<(String, String)> = snapshot
        .permission_sets
        .iter()
        .map(|p| (p.arn.clone(), p.name.clone()))
        .collect();
    let members: std::collections::BTreeMap<&str, Vec<&str>> = {
        let mut map: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for m in &snapshot.memberships {
            map.entry(m.group_id.as_str())
                .or_default()
                .push(m.user_id.as_str());
        }
        map
    };
    let mut uses = Vec::new();
    for (i, a) in snapshot.assignments.iter().enumerate().step_by(4) {
        let Some((_, set)) = sets.iter().find(|(arn, _)| *arn == a.permission_set_arn) else {
            continue;
        };
        let user = match a.principal_type {
            PrincipalType::User => Some(a.principal_id.as_str()),
            PrincipalType::Group => members
                .get(a.principal_id.as_str())
                .and_then(|m| m.first().copied()),
        };
        if let Some(user) = user {
            uses.push(ssoaudit::snapshot::RoleUseSummary {
                user: ssoaudit::vocabulary::UserKey::Id(user.to_string()),
                account_id: a.account_id.clone(),
                permission_set_name: set.clone(),
                last_used: time((i as i64 * 11) % 180),
            });
        }
    }
    snapshot.events.role_uses = uses;
    snapshot.normalize();
    snapshot
}

fn naive(
    snapshot: &Snapshot,
    rule: &Rule,
    now: chrono::DateTime<chrono::Utc>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let Logic::Condition(shape) = &rule.logic else {
        return Default::default();
    };
    let model = Model::new(snapshot);
    let cache = ValueCache::new(&model);
    let base = engine::base_context(rule, now);
    let roots = rule.subject.roots();
    let mut hits = BTreeSet::new();
    let mut errors = BTreeSet::new();
    let mut decide = |values: Vec<cel::Value>, id: String| {
        let mut scope = base.new_inner_scope();
        for ((name, _), value) in roots.iter().zip(values) {
            scope.add_variable_from_value(*name, value);
        }
        match shape.program.execute(&scope) {
            Ok(cel::Value::Bool(true)) => {
                hits.insert(id);
            }
            Ok(cel::Value::Bool(false)) => {}
            _ => {
                errors.insert(id);
            }
        }
    };
    let assignment_id = |a: &Route| {
        format!(
            "{}/{}/{}/{}",
            a.account_id,
            a.grant_arn,
            a.principal_type.as_str(),
            a.principal_id
        )
    };
    match rule.subject {
        SubjectKind::Account => {
            for (i, a) in snapshot.organization.accounts.iter().enumerate() {
                decide(vec![cache.account(i).clone()], a.id.clone());
            }
        }
        SubjectKind::Group => {
            for (i, g) in snapshot.groups.iter().enumerate() {
                decide(vec![cache.group(i).clone()], g.id.clone());
            }
        }
        SubjectKind::User => {
            for (i, u) in snapshot.users.iter().enumerate() {
                decide(vec![cache.user(i).clone()], u.id.clone());
            }
        }
        SubjectKind::PermissionSet => {
            for (i, p) in snapshot.permission_sets.iter().enumerate() {
                decide(vec![cache.permission_set(i).clone()], p.arn.clone());
            }
        }
        SubjectKind::Assignment => {
            for (i, a) in model.routes.iter().enumerate() {
                let values = (0..4).map(|r| cache.assignment_root(i, r)).collect();
                decide(values, assignment_id(a));
            }
        }
        SubjectKind::Access => {
            for (i, a) in model.routes.iter().enumerate() {
                let members: Vec<usize> = match a.principal_type {
                    PrincipalType::Group => model
                        .group_index
                        .get(a.principal_id)
                        .map(|&g| model.group_members[g].clone())
                        .unwrap_or_default(),
                    PrincipalType::User => model
                        .user_index
                        .get(a.principal_id)
                        .map(|&u| vec![u])
                        .unwrap_or_default(),
                };
                for u in members {
                    let mut values = vec![cache.user(u).clone()];
                    values.extend((0..3).map(|r| cache.assignment_root(i, r)));
                    let id = format!(
                        "{}/{}/USER/{}/via/{}/{}",
                        a.account_id,
                        a.grant_arn,
                        snapshot.users[u].id,
                        a.principal_type.as_str(),
                        a.principal_id
                    );
                    decide(values, id);
                }
            }
        }
    }
    (hits, errors)
}

fn with_extra_rules() -> Vec<Rule> {
    let mut sources = rules::builtin_sources();
    for (name, text) in EXTRA_RULES {
        sources.push(RuleSource {
            path: (*name).to_string(),
            text: rule_file(text),
            builtin: false,
        });
    }
    rules::load(&sources).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Rules run side by side and the rows of a large rule in ranges on several threads: the
/// findings and errors, in order, are those of one thread.
#[test]
fn any_number_of_threads_gives_the_same_evaluation() {
    // More assignment rows than a rule runs in one piece.
    let snapshot = organization_of(Scale {
        accounts: 60,
        permission_sets: 16,
        groups: 40,
        users: 400,
        assignments: 24_000,
    });
    let rules = with_extra_rules();
    let now = chrono::Utc::now();
    let one = engine::evaluate_on(&snapshot, &rules, now, (None, None, None), 1);
    assert!(one.findings.len() > 20_000, "{}", one.findings.len());
    assert!(!one.errors.is_empty());
    let shown = |e: &engine::Evaluation| {
        (
            e.findings
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>(),
            e.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        )
    };
    let expected = shown(&one);
    for threads in [2, 3] {
        let many = engine::evaluate_on(&snapshot, &rules, now, (None, None, None), threads);
        assert!(
            shown(&many) == expected,
            "{threads} threads differ from one"
        );
    }
}

#[test]
fn shortcuts_match_naive_evaluation() {
    let snapshot = organization();
    let rules = with_extra_rules();
    let now = chrono::Utc::now();
    let mut compared = 0;
    for rule in &rules {
        if !matches!(rule.logic, Logic::Condition(_)) {
            continue;
        }
        let evaluation = engine::evaluate(&snapshot, std::slice::from_ref(rule), now);
        let hits: BTreeSet<String> = evaluation
            .findings
            .iter()
            .map(|f| f.resource.id.clone())
            .collect();
        let errors: BTreeSet<String> = evaluation
            .errors
            .iter()
            .map(|e| e.resource_id.clone())
            .collect();
        let (expected_hits, expected_errors) = naive(&snapshot, rule, now);
        assert_eq!(hits, expected_hits, "findings of {}", rule.id);
        assert_eq!(errors, expected_errors, "errors of {}", rule.id);
        compared += 1;
        if [
            "prod-readers",
            "access-any",
            "team-zero-users",
            "dormant-user-with-access",
            "unused-assignment",
            "role-routes",
        ]
        .contains(&rule.id.as_str())
        {
            assert!(!hits.is_empty(), "{} should match something", rule.id);
        }
        if rule.id == "relay-https" || rule.id == "mixed-errors" {
            assert!(!errors.is_empty(), "{} should fail somewhere", rule.id);
        }
    }
    assert_eq!(compared, 34);
}
