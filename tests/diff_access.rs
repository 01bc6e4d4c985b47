//! `ssoaudit diff` and `ssoaudit access` end to end on the binary.

mod common;

use common::*;
use std::collections::BTreeSet;

/// Effective access of a snapshot file, worked out here from its assignments and memberships
/// (not by the program): (user, account, permission set) for each assignment, group members
/// expanded.
fn effective_access(path: &str) -> BTreeSet<(String, String, String)> {
    let snapshot = json(&std::fs::read_to_string(root().join(path)).unwrap());
    let mut members: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for membership in snapshot["memberships"].as_array().unwrap() {
        members
            .entry(membership["group_id"].as_str().unwrap())
            .or_default()
            .push(membership["user_id"].as_str().unwrap());
    }
    let mut access = BTreeSet::new();
    for assignment in snapshot["assignments"].as_array().unwrap() {
        let principal = assignment["principal_id"].as_str().unwrap();
        let users = match assignment["principal_type"].as_str().unwrap() {
            "USER" => vec![principal],
            _ => members.get(principal).cloned().unwrap_or_default(),
        };
        for user in users {
            access.insert((
                user.to_string(),
                assignment["account_id"].as_str().unwrap().to_string(),
                assignment["permission_set_arn"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
    }
    access
}

#[test]
fn diff_reports_access_gained_through_a_new_membership() {
    let (before, after) = (effective_access(COMPLIANT), effective_access(WEEK_LATER));
    let gained_count = after.difference(&before).count();
    let lost = before.difference(&after).count();
    assert!(gained_count > 0 && lost == 0);
    let table = run(&["diff", COMPLIANT, WEEK_LATER]);
    assert_eq!(table.code, 1, "effective access grew: {}", table.stderr);
    assert!(table.stdout.contains("Effective access gained:"));
    assert!(table.stdout.contains("vera.novak@acme.example"));
    assert!(
        table
            .stdout
            .contains("membership     ┆ added   ┆ vera.novak@acme.example in DevOps"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("+        \"secretsmanager:GetSecretValue\""),
        "policy diff: {}",
        table.stdout
    );
    assert!(table.stdout.trim_end().ends_with(&format!(
        "effective access: {gained_count} gained, 0 lost; 3 other changes"
    )));

    let out = run(&["diff", COMPLIANT, WEEK_LATER, "--format", "json"]);
    assert_eq!(out.code, 1);
    let report = json(&out.stdout);
    assert_eq!(report["version"], 3);
    assert_eq!(report["summary"]["access_gained"], gained_count);
    let gained: BTreeSet<&str> = report["access"]["gained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(
        gained
            .contains("vera.novak@acme.example gained AdministratorAccess on plat-prod via DevOps"),
        "{gained:?}"
    );
    assert!(gained.iter().all(|m| m.starts_with("vera.novak@acme.example gained ") && m.ends_with(" via DevOps")));
    let kinds: BTreeSet<(&str, &str)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("membership", "added"),
            ("permission_set", "changed"),
            ("user", "changed")
        ]
        .into_iter()
        .collect()
    );

    let markdown = run(&["diff", COMPLIANT, WEEK_LATER, "--format", "markdown"]);
    assert_eq!(markdown.code, 1);
    assert!(
        markdown
            .stdout
            .starts_with("## ssoaudit: IAM Identity Center changes")
    );
    assert!(
        markdown
            .stdout
            .contains(&format!("### Effective access gained ({gained_count})"))
    );
    assert!(
        markdown
            .stdout
            .contains("| vera.novak@acme.example | plat-prod | AdministratorAccess | DevOps |")
    );
    assert!(markdown.stdout.contains("```diff"));
}

#[test]
fn diff_exit_codes() {
    let same = run(&["diff", COMPLIANT, COMPLIANT]);
    assert_eq!(same.code, 0);
    assert!(same.stdout.contains("no changes"));
    // Going back a week loses access: not a failure unless any change should fail.
    let back = run(&["diff", WEEK_LATER, COMPLIANT, "--format", "json"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    let gained = effective_access(WEEK_LATER)
        .difference(&effective_access(COMPLIANT))
        .count();
    assert_eq!(json(&back.stdout)["summary"]["access_lost"], gained);
    let strict = run(&["diff", WEEK_LATER, COMPLIANT, "--fail-on-change"]);
    assert_eq!(strict.code, 1);
    let missing = run(&["diff", COMPLIANT, "no/such.json"]);
    assert_eq!(missing.code, 2);
}

#[test]
fn diff_sarif_validates() {
    let out = run(&["diff", COMPLIANT, WEEK_LATER, "--format", "sarif"]);
    let sarif = json(&out.stdout);
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 26);
}

#[test]
fn access_lists_every_user_of_an_account_with_the_group() {
    let out = run(&[
        "access",
        "--snapshot",
        COMPLIANT,
        "--account",
        "core-root",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = json(&out.stdout)["access"].as_array().unwrap().clone();
    // The developers reach a read-only role in root through plat-dev's terraform role.
    let chained: Vec<&serde_json::Value> = all.iter().filter(|r| r["route"] == "chain").collect();
    assert_eq!(chained.len(), 12, "{chained:?}");
    for r in &chained {
        assert_eq!(r["permission_set"], "role/acme-core-gbl-root-observer");
        assert_eq!(r["via_name"], "Developers");
        assert_eq!(r["capability"], "read-only");
        assert_eq!(r["hops"], 2);
        assert!(
            r["chain"]
                .as_str()
                .unwrap()
                .ends_with("→ role/acme-plat-gbl-dev-terraform (plat-dev) → role/acme-core-gbl-root-observer (core-root)"),
            "{r}"
        );
    }
    let rows: BTreeSet<(String, String, String)> = all
        .iter()
        .filter(|r| r["route"] == "assignment")
        .map(|r| {
            assert_eq!(r["account_name"], "core-root");
            assert_eq!(r["via_type"], "GROUP");
            (
                r["user_name"].as_str().unwrap().to_string(),
                r["permission_set"].as_str().unwrap().to_string(),
                r["via_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Expected from the fixture itself: members of each group assigned on core-root.
    let snapshot = ssoaudit::snapshot::Snapshot::load(&root().join(COMPLIANT)).unwrap();
    let root_id = &snapshot.organization.management_account_id;
    let mut expected = BTreeSet::new();
    for assignment in snapshot
        .assignments
        .iter()
        .filter(|a| &a.account_id == root_id)
    {
        let set = snapshot
            .permission_sets
            .iter()
            .find(|p| p.arn == assignment.permission_set_arn)
            .unwrap();
        let group = snapshot
            .groups
            .iter()
            .find(|g| g.id == assignment.principal_id)
            .unwrap();
        for membership in snapshot
            .memberships
            .iter()
            .filter(|m| m.group_id == group.id)
        {
            let user = snapshot
                .users
                .iter()
                .find(|u| u.id == membership.user_id)
                .unwrap();
            expected.insert((
                user.user_name.clone(),
                set.name.clone(),
                group.display_name.clone(),
            ));
        }
    }
    assert_eq!(rows, expected);
    let users: BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        users.len(),
        21,
        "everyone but the new hire reaches core-root"
    );
    assert!(rows.contains(&(
        "hana.sato@acme.example".into(),
        "TerraformStateAccess".into(),
        "Developers".into()
    )));

    let by_id = run(&[
        "access",
        "--snapshot",
        COMPLIANT,
        "--account",
        "100000000001",
        "--format",
        "json",
    ]);
    assert_eq!(
        json(&by_id.stdout)["access"].as_array().unwrap().len(),
        all.len()
    );
    let table = run(&["access", "--snapshot", COMPLIANT, "--account", "core-root"]);
    assert!(table.stdout.contains("group Managers"));
    assert!(
        table
            .stdout
            .trim_end()
            .ends_with(&format!("{} access rows, 21 users", all.len())),
        "{}",
        table.stdout
    );
}

#[test]
fn access_filters_and_csv() {
    let out = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--user",
        "julia.rossi@acme.example",
        "--permission-set",
        "AdministratorAccess",
        "--format",
        "csv",
    ]);
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "account_name,account_id,user_name,user_id,permission_set,permission_set_arn,via_type,via_id,via_name,user_active,capability,route,chain,hops"
    );
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[1].starts_with("plat-prod,100000000011,julia.rossi@acme.example,")
            && lines[1].contains(",USER,")
            && lines[1].ends_with(",true,administrator,assignment,,0")
    );
    let group = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--group",
        "Contractors",
        "--format",
        "csv",
    ]);
    assert_eq!(
        group.stdout.lines().count(),
        1,
        "an empty group gives nobody access"
    );
    let unknown = run(&["access", "--snapshot", VIOLATING, "--account", "plat-qa"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("plat-qa"));
}

#[test]
fn access_rows_say_what_the_set_can_do() {
    let out = run(&[
        "access",
        "--snapshot",
        COMPLIANT,
        "--account",
        "core-root",
        "--group",
        "DevOps",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = json(&out.stdout)["access"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    let by_set: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["permission_set"].as_str().unwrap().to_string(),
                r["capability"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // DevOps reads the management account: TerraformPlanAccess is read-only (assuming the named
    // backend role is a chained path), ReadOnlyAccess writes support cases only.
    assert_eq!(
        by_set,
        [
            ("ReadOnlyAccess".to_string(), "write".to_string()),
            ("TerraformPlanAccess".to_string(), "read-only".to_string()),
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn permission_set_command_explains_capabilities() {
    let out = run(&[
        "permission-set",
        "SupportEngineerAccess",
        "--snapshot",
        VIOLATING,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["version"], 1);
    let caps = &report["capabilities"];
    assert_eq!(caps["admin_equivalent"], true);
    // Its inline `*` under the boundary of the account it is assigned in (which denies
    // Organizations): not every action on every resource, but passing a role to code it runs.
    assert!(
        caps["admin_reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with(
                "PassExistingRoleToNewLambdaThenInvoke: run a function as any role (inline policy, statement 0 (Troubleshoot), allows * → iam:PassRole"
            )),
        "{caps:#}"
    );
    let unknown: Vec<&str> = caps["unknown_policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
    // In that account, with its customer managed policy and boundary.
    let out = run(&[
        "permission-set",
        "SupportEngineerAccess",
        "--account",
        "plat-staging",
        "--snapshot",
        VIOLATING,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "capped by boundary /acme/support-boundary (customer managed, v1 in the account)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.starts_with("SupportEngineerAccess (arn:aws:sso:::permissionSet/ssoins-72233d1f3c0b4e6a/ps-0000000000005a28) in account plat-staging (100000000010)"),
        "{}",
        out.stdout
    );
    let iam = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "iam")
        .unwrap();
    assert!(
        iam["levels"]["Permissions management"]["every_resource"]
            .as_u64()
            .unwrap()
            > 10
    );

    let table = run(&[
        "permission-set",
        "TerraformPlanAccess",
        "--snapshot",
        COMPLIANT,
    ]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.contains("read-only: yes"), "{}", table.stdout);
    assert!(
        table.stdout.contains("ReadOnlyAccess (AWS managed, v188"),
        "{}",
        table.stdout
    );
    let missing = run(&["permission-set", "NoSuchSet", "--snapshot", COMPLIANT]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("NoSuchSet"));
}

#[test]
fn access_lists_application_assignments_with_groups_expanded() {
    let out = run(&["access", "--snapshot", VIOLATING, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: BTreeSet<(String, String, String)> = json(&out.stdout)["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["application"].as_str().unwrap().to_string(),
                r["user_name"].as_str().unwrap().to_string(),
                format!(
                    "{} {}",
                    r["via_type"].as_str().unwrap(),
                    r["via_name"].as_str().unwrap()
                ),
            )
        })
        .collect();
    // Grafana: the five DevOps members through the group, and ivan.petrov directly.
    let expected: BTreeSet<(String, String, String)> = [
        ("dana.kowalski", "GROUP DevOps"),
        ("emeka.obi", "GROUP DevOps"),
        ("fatima.zahra", "GROUP DevOps"),
        ("gustav.berg", "GROUP DevOps"),
        ("hana.sato", "GROUP DevOps"),
        ("ivan.petrov", "USER ivan.petrov@acme.example"),
    ]
    .into_iter()
    .map(|(user, via)| {
        (
            "Grafana".to_string(),
            format!("{user}@acme.example"),
            via.to_string(),
        )
    })
    .collect();
    assert_eq!(rows, expected);

    // An account filter matches no application; a group filter keeps that group's route.
    let by_account = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--account",
        "core-root",
        "--format",
        "json",
    ]);
    assert!(
        json(&by_account.stdout)["applications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let table = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--user",
        "ivan.petrov@acme.example",
    ]);
    assert!(
        table.stdout.contains("direct assignment")
            && table.stdout.ends_with("1 application access rows\n"),
        "{}",
        table.stdout
    );
}

#[test]
fn access_to_the_management_account_lists_entitlements_with_their_capability() {
    let out = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--account",
        "core-root",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    let rows = report["access"].as_array().unwrap();
    let entitled: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["route"] == "entitlement")
        .collect();
    // BillingAdmin's three members, through the entitlement to the break-glass role, which is
    // administrator-equivalent (AdministratorAccess attached to it).
    let users: BTreeSet<&str> = entitled
        .iter()
        .map(|r| r["user_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        BTreeSet::from([
            "chen.wei@acme.example",
            "tara.oconnor@acme.example",
            "umar.farouk@acme.example"
        ])
    );
    for row in &entitled {
        assert_eq!(
            row["permission_set_arn"],
            "arn:aws:iam::100000000001:role/acme-core-gbl-root-breakglass"
        );
        assert_eq!(row["permission_set"], "role/acme-core-gbl-root-breakglass");
        assert_eq!(row["via_type"], "GROUP");
        assert_eq!(row["via_name"], "BillingAdmin");
        assert_eq!(row["capability"], "administrator");
    }
    // The developers become administrators in root two hops away, and their rows say how.
    let chained: Vec<&serde_json::Value> = rows.iter().filter(|r| r["route"] == "chain").collect();
    assert!(chained.iter().any(|r| r["user_name"] == "ivan.petrov@acme.example"
        && r["permission_set"] == "role/acme-core-gbl-root-admin"
        && r["capability"] == "administrator"
        && r["hops"] == 2
        && r["chain"]
            == "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PowerUserAccess_67c9292de365963e \
                (plat-dev) → role/acme-plat-gbl-dev-terraform (plat-dev) → \
                role/acme-core-gbl-root-admin (core-root)"),
        "{chained:?}"
    );
    // The permission-set routes are still there, marked as assignments.
    assert!(
        rows.iter()
            .any(|r| r["route"] == "assignment" && r["permission_set"] == "AdministratorAccess")
    );
    assert_eq!(report["gaps"], serde_json::json!([]));

    let table = run(&["access", "--snapshot", VIOLATING, "--account", "core-root"]);
    assert!(
        table.stdout.contains("group BillingAdmin, entitlement"),
        "{}",
        table.stdout
    );

    // A role in a member account, read through the member role: AWSSupportAccess writes.
    let out = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--account",
        "plat-prod",
        "--user",
        "ivan.petrov@acme.example",
        "--format",
        "csv",
    ]);
    assert!(
        out.stdout.lines().any(|l| l
            .contains("arn:aws:iam::100000000011:role/acme-plat-gbl-prod-support,USER,")
            && l.ends_with(",true,write,entitlement,,0")),
        "{}",
        out.stdout
    );
}

#[test]
fn access_says_when_entitlements_were_not_read() {
    // A snapshot written before entitlements were read: the rows may be missing some.
    let mut snapshot: serde_json::Value =
        json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    snapshot.as_object_mut().unwrap().remove("account_access");
    let path = temp_dir("access-old").join("old.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let out = run(&[
        "access",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["gaps"][0]["area"], "entitlements");
    assert!(
        !out.stdout.contains("\"entitlement\""),
        "no entitlement rows without entitlements"
    );
    let table = run(&["access", "--snapshot", path.to_str().unwrap()]);
    assert!(
        table.stdout.contains("not read, so access may be missing")
            && table.stdout.contains("entitlements"),
        "{}",
        table.stdout
    );
    // And the rules about access say they may be incomplete.
    let check = run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--only",
        "no-direct-user-assignments",
        "--format",
        "json",
    ]);
    assert_eq!(check.code, 3, "{}", check.stderr);
    let report = json(&check.stdout);
    assert_eq!(report["incomplete"][0]["gaps"][0]["area"], "entitlements");
}

/// The violating snapshot with guardrails: FullAWSAccess everywhere (as AWS attaches it), and
/// with `freeze` a deny-everything SCP on plat-prod.
fn with_guardrails(freeze: bool) -> serde_json::Value {
    let mut snapshot = json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    let org = &snapshot["organization"];
    let mut everywhere: Vec<String> = org["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    everywhere.extend(
        org["organizational_units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string()),
    );
    everywhere.sort();
    let mut policies = vec![serde_json::json!({
        "id": "p-FullAWSAccess", "name": "FullAWSAccess", "type": "SERVICE_CONTROL_POLICY",
        "aws_managed": true,
        "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        "targets": everywhere
    })];
    if freeze {
        policies.push(serde_json::json!({
            "id": "p-freeze0001", "name": "FreezeProd", "type": "SERVICE_CONTROL_POLICY",
            "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]},
            "targets": ["100000000011"]
        }));
    }
    snapshot["guardrails"] = serde_json::json!({
        "enabled_types": ["SERVICE_CONTROL_POLICY"],
        "policies": policies
    });
    snapshot
}

#[test]
fn an_scp_caps_what_sets_can_do_in_the_accounts_below_it() {
    let dir = temp_dir("guardrails-offline");
    let open = dir.join("open.json");
    let frozen = dir.join("frozen.json");
    std::fs::write(&open, with_guardrails(false).to_string()).unwrap();
    std::fs::write(&frozen, with_guardrails(true).to_string()).unwrap();
    let (open, frozen) = (open.to_str().unwrap(), frozen.to_str().unwrap());

    // BillingAdmin's DNSRecordAdministratorAccess on plat-prod writes Route 53: a finding,
    // until plat-prod is frozen.
    let billing = |snapshot: &str| {
        run(&[
            "check",
            "--snapshot",
            snapshot,
            "--only",
            "billing-admin-billing-only",
            "--format",
            "json",
        ])
    };
    let on_prod = |snapshot: &str| -> usize {
        let out = billing(snapshot);
        json(&out.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["account"]["id"] == "100000000011")
            .count()
    };
    assert_eq!(on_prod(open), 1);
    assert_eq!(on_prod(frozen), 0);
    // Its break-glass role on the management account stays a finding: SCPs do not bind there.
    assert_eq!(billing(frozen).code, 1);

    // AdministratorAccess rows on plat-prod: administrator, then read-only; the management
    // account is never bound by SCPs.
    let capability = |snapshot: &str, account: &str, set: &str| -> Vec<String> {
        let out = run(&[
            "access",
            "--snapshot",
            snapshot,
            "--account",
            account,
            "--permission-set",
            set,
            "--format",
            "csv",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(10).unwrap().to_string())
            .collect()
    };
    assert!(
        capability(open, "plat-prod", "AdministratorAccess")
            .iter()
            .all(|c| c == "administrator")
    );
    let capped = capability(frozen, "plat-prod", "AdministratorAccess");
    assert!(!capped.is_empty());
    assert!(capped.iter().all(|c| c == "read-only"), "{capped:?}");
    assert!(
        capability(frozen, "core-root", "AdministratorAccess")
            .iter()
            .all(|c| c == "administrator")
    );

    // Why: the permission-set report names the SCP and what it removed.
    let out = run(&[
        "permission-set",
        "AdministratorAccess",
        "--account",
        "plat-prod",
        "--snapshot",
        frozen,
    ]);
    assert!(
        out.stdout
            .contains("under SCP FreezeProd (p-freeze0001) at the account"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("SCP FreezeProd (p-freeze0001) at the account, statement 0, denies it: "),
        "{}",
        out.stdout
    );

    // diff: the freeze is a guardrail change and access lost; lifting it is access gained.
    let out = run(&["diff", open, frozen, "--format", "json"]);
    assert_eq!(out.code, 0, "less access: {}", out.stderr);
    let report = json(&out.stdout);
    let text = report.to_string();
    assert!(
        text.contains(
            "SCP FreezeProd (p-freeze0001), attached to account plat-prod (100000000011)"
        ),
        "{text}"
    );
    let lost = report["access"]["lost"].as_array().unwrap();
    assert!(!lost.is_empty());
    // Only plat-prod's routes, each as it was (what was lost).
    assert!(
        lost.iter().all(|r| r["account_id"] == "100000000011"),
        "{lost:#?}"
    );
    assert!(
        lost.iter()
            .any(|r| r["permission_set"] == "AdministratorAccess"
                && r["capability"] == "administrator"),
        "{lost:#?}"
    );
    assert!(report["access"]["gained"].as_array().unwrap().is_empty());
    let out = run(&["diff", frozen, open, "--format", "json"]);
    assert_eq!(out.code, 1, "access grew: {}", out.stderr);
}

#[test]
fn customer_managed_policies_make_a_set_differ_per_account() {
    // SupportEngineerAccess assigned in plat-dev too, where its customer managed policy and
    // boundary allow support alone; in plat-staging its boundary lets an escalation through.
    let mut snapshot = json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    let set = snapshot["permission_sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "SupportEngineerAccess")
        .unwrap()["arn"]
        .clone();
    let developers = snapshot["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["display_name"] == "developers")
        .unwrap()["id"]
        .clone();
    snapshot["assignments"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "account_id": "100000000008", "permission_set_arn": set,
            "principal_type": "GROUP", "principal_id": developers
        }));
    let support = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}]});
    let dev = snapshot["member_accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["account_id"] == "100000000008")
        .unwrap();
    for name in ["support-tools", "support-boundary"] {
        dev["policies"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "arn": format!("arn:aws:iam::100000000008:policy/acme/{name}"),
                "version": "v2", "document": support
            }));
    }
    let dir = temp_dir("per-account");
    let path = dir.join("snapshot.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let path = path.to_str().unwrap();
    let capability = |account: &str| -> Vec<String> {
        let out = run(&[
            "access",
            "--snapshot",
            path,
            "--account",
            account,
            "--permission-set",
            "SupportEngineerAccess",
            "--format",
            "csv",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let mut words: Vec<String> = out
            .stdout
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(10).unwrap().to_string())
            .collect();
        words.dedup();
        words
    };
    assert_eq!(capability("plat-staging"), ["administrator"]);
    assert_eq!(capability("plat-dev"), ["write"]);
    let out = run(&[
        "permission-set",
        "SupportEngineerAccess",
        "--snapshot",
        path,
    ]);
    assert!(
        out.stdout.contains("it differs per account")
            && out
                .stdout
                .contains("accounts 100000000008: read-only no, administrator-equivalent no")
            && out
                .stdout
                .contains("accounts 100000000010: read-only no, administrator-equivalent yes"),
        "{}",
        out.stdout
    );
    // allows() answers for the set in any account it is assigned in.
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("lambda.yaml"),
        "id: creates-functions\ntitle: t\nseverity: low\nsubject: permission_set\ncondition: permission_set.name == \"SupportEngineerAccess\" && allows(permission_set, \"lambda:CreateFunction\") == \"allowed\"\nmessage: m\nrationale: r\nremediation: x\n",
    )
    .unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        path,
        "--rules",
        rules.to_str().unwrap(),
        "--only",
        "creates-functions",
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(json(&out.stdout)["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn access_lists_iam_users_that_bypass_identity_center() {
    // deploy in plat-prod has a password and an active key, and AdministratorAccess attached.
    let out = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--account",
        "plat-prod",
        "--format",
        "csv",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(",iam-user,"))
        .collect();
    assert_eq!(
        rows,
        [
            "plat-prod,100000000011,deploy,arn:aws:iam::100000000011:user/deploy,(IAM user),arn:aws:iam::100000000011:user/deploy,IAM_USER,arn:aws:iam::100000000011:user/deploy,deploy,true,administrator,iam-user,,0"
        ]
    );
    // A group or permission set filter is about Identity Center: no IAM users.
    let out = run(&[
        "access",
        "--snapshot",
        VIOLATING,
        "--permission-set",
        "AdministratorAccess",
        "--format",
        "csv",
    ]);
    assert!(!out.stdout.contains(",iam-user"), "{}", out.stdout);
    // The compliant organization's IAM user has no password and only a deactivated key.
    let out = run(&["access", "--snapshot", COMPLIANT, "--format", "csv"]);
    assert!(!out.stdout.contains(",iam-user"), "{}", out.stdout);
    assert!(!out.stdout.contains("legacy-smtp"));
}

#[test]
fn a_reserved_role_of_a_set_not_assigned_in_its_account_is_found() {
    // DataScienceAccess exists but is assigned nowhere; its role stayed in plat-dev.
    let mut snapshot = json(&std::fs::read_to_string(root().join(VIOLATING)).unwrap());
    let dev = snapshot["member_accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["account_id"] == "100000000008")
        .unwrap();
    dev["roles"].as_array_mut().unwrap().push(serde_json::json!({
        "role": {
            "arn": "arn:aws:iam::100000000008:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScienceAccess_a1b2c3d4e5f60718",
            "name": "AWSReservedSSO_DataScienceAccess_a1b2c3d4e5f60718",
            "managed_policies": ["arn:aws:iam::aws:policy/job-function/DataScientist"]
        },
        "path": "/aws-reserved/sso.amazonaws.com/",
        "last_used": "2026-10-01T12:00:00Z"
    }));
    let dir = temp_dir("unassigned-reserved");
    let path = dir.join("snapshot.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let out = run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--only",
        "reserved-role-drift",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["resource"]["name"] == "AWSReservedSSO_DataScienceAccess_a1b2c3d4e5f60718 in plat-dev"
        })
        .expect("the role of the unassigned set");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("provisioned for permission set DataScienceAccess, which is not assigned in this account"),
        "{finding:#}"
    );
    assert_eq!(finding["permission_set"]["name"], "DataScienceAccess");
}

/// A role chain is a route: `access` lists it with its path, `diff` reports it when it appears.
/// The compliant organization's administrator role in core-root denies plat-dev's terraform role
/// by name; the violating one does not, so developers reach it in two hops.
#[test]
fn access_and_diff_show_role_chains() {
    let admin = "arn:aws:iam::100000000001:role/acme-core-gbl-root-admin";
    let observer = "arn:aws:iam::100000000001:role/acme-core-gbl-root-observer";
    let chained = |path: &str| -> Vec<serde_json::Value> {
        let out = run(&[
            "access",
            "--snapshot",
            path,
            "--account",
            "core-root",
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)["access"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["route"] == "chain")
            .cloned()
            .collect()
    };
    let violating = chained(VIOLATING);
    let roles: BTreeSet<&str> = violating
        .iter()
        .map(|r| r["permission_set_arn"].as_str().unwrap())
        .collect();
    assert_eq!(roles, BTreeSet::from([admin, observer]));
    for row in &violating {
        assert_eq!(row["via_name"], "developers");
        assert_eq!(row["hops"], 2);
        assert!(
            row["chain"]
                .as_str()
                .unwrap()
                .contains("AWSReservedSSO_PowerUserAccess_67c9292de365963e (plat-dev) → role/acme-plat-gbl-dev-terraform (plat-dev) → role/"),
            "{row}"
        );
        let capability = if row["permission_set_arn"] == admin {
            "administrator"
        } else {
            "read-only"
        };
        assert_eq!(row["capability"], capability);
    }
    // Refused by the Deny in the admin role's trust: only the read-only chain is left.
    let compliant = chained(COMPLIANT);
    assert!(!compliant.is_empty());
    assert!(
        compliant
            .iter()
            .all(|r| r["permission_set_arn"] == observer),
        "{compliant:?}"
    );

    let out = run(&["diff", COMPLIANT, VIOLATING, "--format", "json"]);
    assert_eq!(out.code, 1);
    let report = json(&out.stdout);
    let gained: Vec<&serde_json::Value> = report["access"]["gained"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["route"] == "chain")
        .collect();
    assert!(!gained.is_empty());
    assert!(
        gained
            .iter()
            .all(|r| r["permission_set_arn"] == admin && r["hops"] == 2),
        "{gained:?}"
    );
    assert!(
        report["access"]["lost"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["permission_set_arn"] != observer),
        "the read-only chain is in both"
    );
}
