//! What the live tests share: a seeded moto server, the fixture as moto holds it, a scan and
//! the comparison of its snapshot with the fixture, the fixture history served as events.
#![allow(dead_code)]

use crate::common::*;
use crate::moto::Moto;
use serde_json::Value;
use ssoaudit::snapshot::Snapshot;
use std::collections::BTreeSet;

/// The fixture as moto holds it: every id replaced by the one moto made.
pub fn translate(fixture: &Snapshot, mapping: &Value) -> Snapshot {
    let map = |kind: &str, id: &str| -> String {
        mapping[kind][id]
            .as_str()
            .unwrap_or_else(|| panic!("no {kind} mapping for {id}"))
            .to_string()
    };
    let mut s = fixture.clone();
    let management = map("accounts", &fixture.organization.management_account_id);
    s.metadata.management_account_id = management.clone();
    s.metadata.instance_arn = mapping["instance_arn"].as_str().unwrap().to_string();
    s.metadata.identity_store_id = mapping["identity_store_id"].as_str().unwrap().to_string();
    s.organization.id = mapping["organization_id"].as_str().unwrap().to_string();
    s.organization.management_account_id = management.clone();
    for unit in &mut s.organization.organizational_units {
        unit.id = map("ous", &unit.id);
        unit.parent_id = unit.parent_id.as_ref().map(|p| map("ous", p));
    }
    for account in &mut s.organization.accounts {
        account.id = map("accounts", &account.id);
        account.parent_id = map("ous", &account.parent_id);
        if account.id == management {
            // moto names the management account itself.
            account.name = mapping["management_account"]["name"]
                .as_str()
                .unwrap()
                .to_string();
            account.email = mapping["management_account"]["email"]
                .as_str()
                .unwrap()
                .to_string();
        }
    }
    for set in &mut s.permission_sets {
        set.arn = map("permission_sets", &set.arn);
        set.provisioned_accounts = set
            .provisioned_accounts
            .iter()
            .map(|a| map("accounts", a))
            .collect();
        set.outdated_accounts = set
            .outdated_accounts
            .iter()
            .map(|a| map("accounts", a))
            .collect();
    }
    for user in &mut s.users {
        user.id = map("users", &user.id);
    }
    for group in &mut s.groups {
        group.id = map("groups", &group.id);
    }
    for membership in &mut s.memberships {
        membership.user_id = map("users", &membership.user_id);
        membership.group_id = map("groups", &membership.group_id);
    }
    for assignment in &mut s.assignments {
        assignment.account_id = map("accounts", &assignment.account_id);
        assignment.permission_set_arn = map("permission_sets", &assignment.permission_set_arn);
        let kind = if assignment.principal_type.as_str() == "GROUP" {
            "groups"
        } else {
            "users"
        };
        assignment.principal_id = map(kind, &assignment.principal_id);
    }
    if let Some(settings) = &mut s.settings {
        for instance in &mut settings.instances {
            if instance.arn == fixture.metadata.instance_arn {
                instance.arn = s.metadata.instance_arn.clone();
                instance.identity_store_id = s.metadata.identity_store_id.clone();
            }
            instance.owner_account_id = map("accounts", &instance.owner_account_id);
        }
        for delegated in &mut settings.delegated_administrators {
            delegated.account_id = map("accounts", &delegated.account_id);
        }
    }
    for application in s.applications.iter_mut().flatten() {
        for assignment in &mut application.assignments {
            let kind = if assignment.principal_type.as_str() == "GROUP" {
                "groups"
            } else {
                "users"
            };
            assignment.principal_id = map(kind, &assignment.principal_id);
        }
    }
    if let Some(access) = &mut s.account_access {
        // A role ARN names its account.
        let role_arn = |arn: &str| {
            let mut parts: Vec<String> = arn.split(':').map(str::to_string).collect();
            parts[4] = map("accounts", &parts[4]);
            parts.join(":")
        };
        for application in &mut access.applications {
            if application.instance_arn.as_deref() == Some(&fixture.metadata.instance_arn) {
                application.instance_arn = Some(s.metadata.instance_arn.clone());
            }
        }
        for entitlement in &mut access.entitlements {
            entitlement.account_id = map("accounts", &entitlement.account_id);
            entitlement.role_arn = role_arn(&entitlement.role_arn);
            let kind = if entitlement.principal_type.as_str() == "GROUP" {
                "groups"
            } else {
                "users"
            };
            entitlement.principal_id = map(kind, &entitlement.principal_id);
        }
        for role in &mut access.roles {
            role.arn = role_arn(&role.arn);
        }
    }
    // Member accounts are read only with --member-role (tests that pass it compare them).
    s.member_accounts = None;
    // A server without guardrails enables no policy type.
    if s.guardrails.is_none() {
        s.guardrails = Some(Default::default());
    }
    // The scan collects no events (they come from their own sources).
    s.events = Default::default();
    s.normalize();
    s
}

/// The parts of a live snapshot that depend on the run, not the organization.
pub fn without_run_metadata(mut snapshot: Snapshot) -> Snapshot {
    // Managed policy documents are moto's (compared in live_scan_reads_managed_policy_documents).
    snapshot.policy_documents.clear();
    snapshot.metadata = ssoaudit::snapshot::Metadata {
        management_account_id: snapshot.metadata.management_account_id,
        instance_arn: snapshot.metadata.instance_arn,
        identity_store_id: snapshot.metadata.identity_store_id,
        region: snapshot.metadata.region,
        ..Default::default()
    };
    snapshot
}

pub fn scan(moto: &Moto, extra: &[&str]) -> (Snapshot, std::process::Output) {
    let dir = temp_dir(&format!("scan-{}", moto.port));
    let path = dir.join("live.json");
    let mut args = vec!["snapshot", "--quiet", "-o", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = moto.ssoaudit(&args);
    assert!(
        output.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        Snapshot::load(&path).expect("the scan writes a valid snapshot"),
        output,
    )
}

pub fn seeded(fixture: &str) -> (Moto, Snapshot) {
    seeded_from(&root().join(fixture))
}

/// A server seeded with the organization of a snapshot file, and that organization as the
/// server holds it.
pub fn seeded_from(fixture: &std::path::Path) -> (Moto, Snapshot) {
    let moto = Moto::start();
    let mapping = moto.seed(fixture);
    let expected = translate(&Snapshot::load(fixture).unwrap(), &mapping);
    (moto, expected)
}

pub fn assert_same(live: &Snapshot, expected: &Snapshot) {
    let live = without_run_metadata(live.clone());
    let mut expected = without_run_metadata(expected.clone());
    expected.metadata.region = "us-east-1".into();
    if live != expected {
        let a = live.to_canonical_json();
        let b = expected.to_canonical_json();
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let context = |text: &str| {
            text.lines()
                .skip(first.saturating_sub(5))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "live snapshot differs from the fixture at line {}:\n--- live\n{}\n--- fixture\n{}",
            first + 1,
            context(&a),
            context(&b)
        );
    }
}

/// The fixture history, moved so that it ends now, served by the moto extension; returns the
/// server and a snapshot file of the organization without events.
pub fn serving_history(name: &str) -> (Moto, std::path::PathBuf) {
    let moto = Moto::start();
    // The fixture history, moved so that it ends now: LookupEvents reads the last 90 days.
    let base = ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Violating);
    let end = chrono::DateTime::parse_from_rfc3339(ssoaudit_generate::HISTORY_NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let shift = chrono::Utc::now() - end;
    let mut records = Vec::new();
    for (_, day) in ssoaudit_generate::reference_history(&base, true) {
        for mut record in day {
            let time = chrono::DateTime::parse_from_rfc3339(record["eventTime"].as_str().unwrap())
                .unwrap()
                + shift;
            record["eventTime"] = serde_json::json!(
                time.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            records.push(record);
        }
    }
    moto.control("cloudtrail-events", serde_json::json!({"records": records}));
    let bare = temp_dir(name).join("bare.json");
    std::fs::write(&bare, base.to_canonical_json()).unwrap();
    (moto, bare)
}

pub fn evidence_findings(snapshot: &std::path::Path) -> BTreeSet<(String, String)> {
    let (code, report) = check_evidence(snapshot.to_str().unwrap(), &[]);
    assert_eq!(code, 1, "{report}");
    rule_resources(&report)
}

/// The violating fixture with `extra` users who hold nothing, so that principals outnumber
/// the provisioned (account, permission set) pairs.
pub fn with_extra_users(name: &str, extra: usize) -> std::path::PathBuf {
    let mut snapshot = Snapshot::load(&root().join(VIOLATING)).unwrap();
    let template = snapshot.users[0].clone();
    for i in 0..extra {
        let mut user = template.clone();
        user.id = format!("906700aaaa-00000000-4444-5555-7777-{i:012}");
        user.user_name = format!("extra.user{i}@acme.example");
        user.display_name = Some(format!("Extra User {i}"));
        for email in &mut user.emails {
            email.value = user.user_name.clone();
        }
        snapshot.users.push(user);
    }
    snapshot.normalize();
    let path = temp_dir(name).join("fixture.json");
    std::fs::write(&path, snapshot.to_canonical_json()).unwrap();
    path
}

/// The event data store the moto extension answers for.
pub const STORE: &str = "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/ssoaudit-test";

/// `snapshot --base BARE --cloudtrail-lake STORE` (and `extra`), which must succeed; returns
/// the path of the snapshot written next to `bare`.
pub fn read_lake(moto: &Moto, bare: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    let path = bare.with_file_name("with-events.json");
    let mut args = vec![
        "snapshot",
        "--quiet",
        "--base",
        bare.to_str().unwrap(),
        "--cloudtrail-lake",
        STORE,
        "-o",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = moto.ssoaudit(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}
