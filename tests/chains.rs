//! Role chains, live against moto and from the Cloud Posse team configuration: Identity
//! Center's team-access sets in an identity account, the `aws-teams` roles they may assume
//! there, and the `aws-team-roles` roles of the management account that trust those teams.

mod common;
#[path = "support/live.rs"]
mod live;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use live::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ACTIONS: [&str; 3] = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"];

/// The compliant organization with an identity account (core-auto renamed core-identity) and
/// the two team-access sets assigned there: DevOps's and Developers'.
fn organization_with_teams(dir: &std::path::Path) -> std::path::PathBuf {
    let mut snapshot = json_of(&std::fs::read_to_string(root().join(COMPLIANT)).unwrap());
    for account in snapshot["organization"]["accounts"].as_array_mut().unwrap() {
        if account["name"] == "core-auto" {
            account["name"] = json!("core-identity");
        }
    }
    let identity = "100000000004";
    let group = |name: &str| -> String {
        snapshot["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["display_name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (devops, developers) = (group("DevOps"), group("Developers"));
    let instance = snapshot["permission_sets"][0]["arn"]
        .as_str()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .0
        .to_string();
    // DevOps's set may assume any role, as Cloud Posse's team-access sets do; Developers' only
    // its team role.
    for (n, (team, principal, resource)) in [
        ("Devops", &devops, "*"),
        (
            "Developers",
            &developers,
            "arn:aws:iam::*:role/acme-core-gbl-identity-developers",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let arn = format!("{instance}/ps-00000000000077{n:02}");
        snapshot["permission_sets"].as_array_mut().unwrap().push(json!({
            "arn": arn,
            "name": format!("Identity{team}TeamAccess"),
            "description": format!("Allow the {team} team to assume its team role"),
            "session_duration": "PT1H",
            "relay_state": null,
            "managed_policies": ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"],
            "customer_managed_policies": [],
            "inline_policy": {"Version": "2012-10-17", "Statement": [
                {"Sid": "RoleAssumeRole", "Effect": "Allow", "Action": ACTIONS, "Resource": resource}]},
            "permissions_boundary": null,
            "tags": {},
            "provisioned_accounts": [identity],
            "outdated_accounts": []
        }));
        snapshot["assignments"].as_array_mut().unwrap().push(json!({
            "account_id": identity,
            "permission_set_arn": arn,
            "principal_type": "GROUP",
            "principal_id": principal
        }));
    }
    snapshot["member_accounts"] = json!([]);
    let path = dir.join("teams.snapshot.json");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A trust policy as Cloud Posse's `team-assume-role-policy` writes it: the identity account's
/// root narrowed to assumed roles of the trusted team roles and team-access sets, and a Deny
/// for the denied ones and every IAM user.
fn team_trust(identity: &str, trusted: &[&str], denied: &[&str]) -> Value {
    let arns = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| match n.strip_prefix("set:") {
                Some(set) => format!(
                    "arn:aws:iam::{identity}:role/aws-reserved/sso.amazonaws.com*/AWSReservedSSO_{set}_*"
                ),
                None => format!("arn:aws:iam::{identity}:role/{n}"),
            })
            .collect()
    };
    let mut statements = vec![json!({
        "Sid": "RoleAssumeRole", "Effect": "Allow",
        "Principal": {"AWS": [format!("arn:aws:iam::{identity}:root")]},
        "Action": ACTIONS,
        "Condition": {"StringEquals": {"aws:PrincipalType": "AssumedRole"},
                      "ArnLike": {"aws:PrincipalArn": arns(trusted)}}
    })];
    let mut denied = arns(denied);
    denied.push("arn:aws:iam::*:user/*".into());
    statements.push(json!({
        "Sid": "RoleDenyAssumeRole", "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": ACTIONS,
        "Condition": {"ArnLike": {"aws:PrincipalArn": denied}}
    }));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// `team_role_access`: may assume roles matching `pattern` in any account.
fn role_access(pattern: &str) -> Value {
    json!({"team_role_access": {"Version": "2012-10-17", "Statement": [
        {"Sid": "TeamRoleAccess", "Effect": "Allow", "Action": ACTIONS,
         "Resource": format!("arn:aws:iam::*:role/{pattern}")}]}})
}

/// The chained rows of `access` into `account`: (user's group, role, capability, hops, path).
fn chained_rows(rows: &[Value], account: &str) -> BTreeSet<(String, String, String, u64, String)> {
    rows.iter()
        .filter(|r| r["route"] == "chain" && r["account_name"] == account)
        .map(|r| {
            (
                r["via_name"].as_str().unwrap().to_string(),
                r["permission_set"].as_str().unwrap().to_string(),
                r["capability"].as_str().unwrap().to_string(),
                r["hops"].as_u64().unwrap(),
                r["chain"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn role_chains_through_team_roles_are_routes_live() {
    let dir = temp_dir("live-chains");
    let fixture = organization_with_teams(&dir);
    let (moto, expected) = seeded_from(&fixture);
    let id = |name: &str| {
        expected
            .organization
            .accounts
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .id
            .clone()
    };
    let identity = id("core-identity");
    let management = expected.organization.management_account_id.clone();
    // moto names the management account itself.
    let root_name = expected
        .organization
        .accounts
        .iter()
        .find(|a| a.id == management)
        .unwrap()
        .name
        .clone();
    let reserved = "/aws-reserved/sso.amazonaws.com/";
    let set_role = |set: &str, hex: &str, resource: &str| {
        json!({"name": format!("AWSReservedSSO_{set}_{hex}"), "path": reserved,
               "trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                   "Principal": {"Federated": format!("arn:aws:iam::{identity}:saml-provider/AWSSSO_0123_DO_NOT_DELETE")},
                   "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]},
               "managed": ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"],
               "inline": {"AwsSSOInlinePolicy": {"Version": "2012-10-17", "Statement": [
                   {"Sid": "RoleAssumeRole", "Effect": "Allow", "Action": ACTIONS, "Resource": resource}]}}})
    };
    // The identity account: the sets' roles as Identity Center provisions them, and the team
    // roles of aws-teams. The devops team also trusts root's admin role back: a cycle.
    let mut devops_trust = team_trust(&identity, &["set:IdentityDevopsTeamAccess"], &[]);
    devops_trust["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "PrincipalAssumeRole", "Effect": "Allow",
        "Principal": {"AWS": [format!("arn:aws:iam::{management}:role/acme-core-gbl-root-admin")]},
        "Action": ACTIONS
    }));
    moto.control(
        "iam-account",
        json!({"account": identity, "roles": [
            set_role("IdentityDevopsTeamAccess", "1a2b3c4d5e6f7081", "*"),
            set_role("IdentityDevelopersTeamAccess", "8192a3b4c5d6e7f8",
                "arn:aws:iam::*:role/acme-core-gbl-identity-developers"),
            {"name": "acme-core-gbl-identity-devops", "trust": devops_trust,
             "managed": ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "inline": role_access("*")},
            {"name": "acme-core-gbl-identity-developers",
             "trust": team_trust(&identity, &["set:IdentityDevelopersTeamAccess"], &[]),
             "managed": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
             "inline": role_access("*-observer")}
        ]}),
    );
    // The management account: the team roles of aws-team-roles, and two written by hand.
    // - admin trusts both teams but denies developers: refused to them;
    // - observer (read-only) trusts developers;
    // - ops trusts the identity account's root with no condition: the caller's own policy
    //   decides (devops may assume any role, developers only `*-observer`);
    // - tagged trusts a principal tag the snapshot does not hold: conditional.
    let developers_role = "acme-core-gbl-identity-developers";
    moto.control(
        "iam-account",
        json!({"account": management, "roles": [
            {"name": "acme-core-gbl-root-admin",
             "trust": team_trust(&identity, &["acme-core-gbl-identity-devops", developers_role], &[developers_role]),
             "managed": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
            {"name": "acme-core-gbl-root-observer",
             "trust": team_trust(&identity, &[developers_role], &[]),
             "managed": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
            {"name": "acme-core-gbl-root-ops",
             "trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                 "Principal": {"AWS": format!("arn:aws:iam::{identity}:root")}, "Action": "sts:AssumeRole"}]},
             "managed": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
            {"name": "acme-core-gbl-root-tagged",
             "trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                 "Principal": {"AWS": format!("arn:aws:iam::{identity}:root")}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:PrincipalTag/team": "devops"}}}]},
             "managed": ["arn:aws:iam::aws:policy/AdministratorAccess"]}
        ]}),
    );
    let path = dir.join("live.json");
    let out = moto.ssoaudit(&[
        "snapshot",
        "--quiet",
        "--member-role",
        "ssoaudit-read",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snapshot = path.to_str().unwrap();
    // The management account is read with the scanning credentials: no role assumed there.
    let live: Value = json_of(&std::fs::read_to_string(&path).unwrap());
    let entry = live["member_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account_id"] == management.as_str())
        .expect("the management account's IAM is read");
    assert_eq!(entry["role_arn"], "");
    let calls = moto.calls();
    assert!(calls.contains_key("iam:GetAccountAuthorizationDetails"));

    let access = run(&["access", "--snapshot", snapshot, "--format", "json"]);
    assert_eq!(access.code, 0, "{}", access.stderr);
    let rows = json(&access.stdout)["access"].as_array().unwrap().clone();
    let chained = chained_rows(&rows, &root_name);
    let has = |group: &str, role: &str, capability: &str, hops: u64, path: String| {
        chained.contains(&(
            group.to_string(),
            role.to_string(),
            capability.to_string(),
            hops,
            path,
        ))
    };
    let reaches = |group: &str, role: &str| chained.iter().any(|c| c.0 == group && c.1 == role);
    let devops_set = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_IdentityDevopsTeamAccess_1a2b3c4d5e6f7081 (core-identity)";
    let developers_set = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_IdentityDevelopersTeamAccess_8192a3b4c5d6e7f8 (core-identity)";
    let devops_role = "role/acme-core-gbl-identity-devops (core-identity)";
    let developers_role = "role/acme-core-gbl-identity-developers (core-identity)";
    // Two hops from DevOps to the administrator role in root, every hop named.
    assert!(
        has(
            "DevOps",
            "role/acme-core-gbl-root-admin",
            "administrator",
            2,
            format!("{devops_set} → {devops_role} → role/acme-core-gbl-root-admin ({root_name})")
        ),
        "{chained:#?}"
    );
    // Developers reach the read-only observer, and neither admin (denied) nor ops and tagged
    // (their own policies allow their team role and `*-observer` alone).
    assert!(
        has(
            "Developers",
            "role/acme-core-gbl-root-observer",
            "read-only",
            2,
            format!(
                "{developers_set} → {developers_role} → role/acme-core-gbl-root-observer ({root_name})"
            )
        ),
        "{chained:#?}"
    );
    for role in ["admin", "ops", "tagged"] {
        assert!(
            !reaches("Developers", &format!("role/acme-core-gbl-root-{role}")),
            "{chained:#?}"
        );
    }
    // The root trust without conditions: what the caller's own policy allows decides. DevOps's
    // team-access set may assume any role, so it reaches ops in one hop.
    assert!(
        has(
            "DevOps",
            "role/acme-core-gbl-root-ops",
            "write",
            1,
            format!("{devops_set} → role/acme-core-gbl-root-ops ({root_name})")
        ),
        "{chained:#?}"
    );
    // The cycle (devops team role → root admin → devops team role) ends: from one session
    // each role is reached once, by its shortest path, and no path passes a role twice.
    let mut seen = BTreeSet::new();
    for r in rows.iter().filter(|r| r["route"] == "chain") {
        let path = r["chain"].as_str().unwrap();
        let start = path.split(" → ").next().unwrap();
        assert!(
            seen.insert((
                r["user_name"].as_str().unwrap(),
                r["via_id"].as_str().unwrap(),
                start,
                r["permission_set_arn"].as_str().unwrap()
            )),
            "{r}"
        );
        let hops: Vec<&str> = path.split(" → ").collect();
        let distinct: BTreeSet<&&str> = hops.iter().collect();
        assert_eq!(distinct.len(), hops.len(), "{path}");
        assert_eq!(r["hops"].as_u64().unwrap() as usize, hops.len() - 1);
    }
    assert!(
        rows.iter().any(|r| r["route"] == "chain"
            && r["chain"] == format!("{devops_set} → {devops_role}").as_str()),
        "the devops team role is reached in the identity account"
    );

    // Findings: the chain rule and the administrator rule fire for DevOps through the chain,
    // naming every hop; nothing fires for the developers' chains; the conditional edge is
    // reported as such.
    let out = run(&[
        "check",
        "--snapshot",
        snapshot,
        "--format",
        "json",
        "--allow-gaps",
        "--now",
        NOW,
        "--only",
        "chain-admin-on-management-account",
        "--only",
        "admin-on-management-account",
        "--only",
        "devops-no-root-account-write",
    ]);
    let report = json(&out.stdout);
    let findings = report["findings"].as_array().unwrap();
    let chain_findings: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "chain-admin-on-management-account")
        .collect();
    assert!(!chain_findings.is_empty(), "{}", out.stdout);
    for f in &chain_findings {
        assert_eq!(f["principal"]["name"], "DevOps", "{f}");
    }
    let admin: Vec<&&Value> = chain_findings
        .iter()
        .filter(|f| f["permission_set"]["name"] == "role/acme-core-gbl-root-admin")
        .collect();
    assert_eq!(admin.len(), 1, "{admin:#?}");
    for f in admin {
        let resource = f["resource"]["name"].as_str().unwrap();
        assert!(
            resource.contains(&format!(" → {devops_role} → ")),
            "{resource}"
        );
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("trust statement 0 (RoleAssumeRole)"),
            "{message}"
        );
    }
    let tagged: Vec<&&Value> = chain_findings
        .iter()
        .filter(|f| f["permission_set"]["name"] == "role/acme-core-gbl-root-tagged")
        .collect();
    assert!(!tagged.is_empty(), "{chain_findings:#?}");
    for f in tagged {
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("conditional on what the snapshot cannot decide"),
            "{f}"
        );
    }
    assert!(
        !findings
            .iter()
            .any(
                |f| (f["principal"]["name"] == "Developers" || f["via"]["name"] == "Developers")
                    && f["resource"]["name"].as_str().unwrap().contains("→")
            ),
        "{}",
        out.stdout
    );
    // DevOps writes in root through ops and admin: the rule about DevOps and root sees it.
    assert!(
        findings
            .iter()
            .any(|f| f["rule_id"] == "devops-no-root-account-write"
                && f["resource"]["name"].as_str().unwrap().contains("root-ops")),
        "{}",
        out.stdout
    );
}

const STACKS: &str = "fixtures/stacks/team-roles.describe-stacks.yaml";

/// `check` of the teams organization (no member account read) against `stacks`, chain rules.
fn declared_findings(snapshot: &std::path::Path, stacks: &str) -> Value {
    let out = run(&[
        "check",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--desired",
        stacks,
        "--format",
        "json",
        "--allow-gaps",
        "--now",
        NOW,
        "--only",
        "chain-admin-on-management-account",
        "--only",
        "admin-on-management-account",
        "--only",
        "drift-missing-assignment",
    ]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    json(&out.stdout)
}

#[test]
fn the_same_chains_come_from_the_stack_configuration_and_a_stack_change_adds_one() {
    let dir = temp_dir("declared-chains");
    let fixture = organization_with_teams(&dir);
    // Nothing read of the member accounts: the roles come from the stacks alone.
    let mut snapshot = json_of(&std::fs::read_to_string(&fixture).unwrap());
    snapshot.as_object_mut().unwrap().remove("member_accounts");
    let bare = dir.join("bare.snapshot.json");
    std::fs::write(&bare, serde_json::to_string(&snapshot).unwrap()).unwrap();

    let report = declared_findings(&bare, STACKS);
    // The file holds no aws-sso component: the drift rule is skipped, not an error.
    assert_eq!(
        report["summary"]["skipped_rules"],
        json!(["drift-missing-assignment"]),
        "{report}"
    );
    let chained: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "chain-admin-on-management-account")
        .collect();
    let devops_set = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_IdentityDevopsTeamAccess_{suffix} (core-identity)";
    let names: BTreeSet<&str> = chained
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    // DevOps, two hops from its team-access set through its team role to the admin role (which
    // trusts that role by ARN); developers are trusted as a team but denied; their way to the
    // observer is read-only; the cycle back to the devops team role ends.
    assert_eq!(
        names,
        BTreeSet::from([format!(
            "DevOps role/acme-core-gbl-root-admin on core-root through {devops_set} → \
             role/acme-core-gbl-identity-devops (core-identity) → role/acme-core-gbl-root-admin (core-root)"
        )
        .as_str()]),
        "{report}"
    );
    let message = chained[0]["message"].as_str().unwrap();
    assert!(
        message.contains("trust statement 0 (RoleAssumeRole)")
            && message.contains("inline policy team_role_access"),
        "{message}"
    );

    // A pull request that drops developers from the admin role's denied teams: the gate fails
    // on a new chain, before anything is applied.
    let changed = std::fs::read_to_string(root().join(STACKS))
        .unwrap()
        .replace(
            "              denied_teams: [developers]\n",
            "              denied_teams: []\n",
        );
    let path = dir.join("changed.yaml");
    std::fs::write(&path, changed).unwrap();
    let after = declared_findings(&bare, path.to_str().unwrap());
    let developers: Vec<&str> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "chain-admin-on-management-account")
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .filter(|name| name.starts_with("Developers "))
        .collect();
    // Trusting the team trusts its team-access set too, but Developers' set may assume only its
    // team role: two hops.
    assert_eq!(
        developers,
        [
            "Developers role/acme-core-gbl-root-admin on core-root through \
             role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_IdentityDevelopersTeamAccess_{suffix} (core-identity) → \
             role/acme-core-gbl-identity-developers (core-identity) → role/acme-core-gbl-root-admin (core-root)"
        ],
        "{after}"
    );

    // A role declared in an account the organization does not have is a gap, not dropped.
    let elsewhere = std::fs::read_to_string(root().join(STACKS))
        .unwrap()
        .replace("          stage: root\n", "          stage: nowhere\n");
    let path = dir.join("elsewhere.yaml");
    std::fs::write(&path, elsewhere).unwrap();
    let report = declared_findings(&bare, path.to_str().unwrap());
    let gaps = report["incomplete"].to_string();
    assert!(
        gaps.contains("acme-core-gbl-nowhere-admin") && gaps.contains("does not have"),
        "{report}"
    );

    // Roles read live win over the declaration: with the accounts read (and no such roles in
    // them), the stack adds nothing.
    snapshot["member_accounts"] = json!([
        {"account_id": "100000000001", "role_arn": ""},
        {"account_id": "100000000004", "role_arn": "arn:aws:iam::100000000004:role/ssoaudit-read"}
    ]);
    let read_path = dir.join("read.snapshot.json");
    std::fs::write(&read_path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let read = declared_findings(&read_path, STACKS);
    assert!(
        !read["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "chain-admin-on-management-account"),
        "{read}"
    );
}
