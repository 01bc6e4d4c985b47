//! Benchmark: a live scan of a seeded moto server on 127.0.0.1 with latency injected per
//! request, next to `aws-sso-util admin assignments` (PyPI aws-sso-util, which lists
//! assignments account by account, sequentially, and collects nothing else) on the same server.
//!
//! Organization: 200 accounts, 40 permission sets each provisioned to 50 accounts (one or two
//! groups per pair), 30 groups, 2,000 users in one to three groups each.
//!
//! Each tool runs `--runs N` times (default 3): every run's time and the median are printed,
//! and the calls of every run must be the same. The assignments aws-sso-util prints are
//! compared with the ones in ssoaudit's snapshot: the comparison holds only if both read the
//! same ones.
//!
//! Run: `cargo bench --bench scan` (needs `scripts/test` to have created .venv; installs
//! aws-sso-util into .venv-bench on first use). Options: `--latency-ms N` (default 50),
//! `--runs N`, `--no-baseline`.
//!
//! `--members`: instead of the comparison, every member account gets 20 roles and 5 customer
//! managed policies (and 2 IAM users), the organization gets SCPs and RCPs (one of each at the
//! root, an SCP on each OU), and the scan reads them through `--member-role`; reports
//! the calls, the time against the rate-limit floor, and the time of the same scan without the
//! member role: member accounts are read beside the Identity Center calls that set the floor.
//!
//! `--night SCALE`: the organization scaled SCALE times (10: 2,000 accounts, 20,000 provisioned
//! pairs, 20,000 users), scanned in full, then changed 50 times through the APIs (recorded as
//! CloudTrail records them) and scanned with `--incremental`; reports the calls and time of
//! both, then scans in full again and requires the incremental snapshot to equal it
//! (`--no-verify` skips that).
//!
//! `--budget N[,N...]`: instead, scans the reference violating organization against a server
//! whose IAM Identity Center budget (sso-admin and Identity Store together) allows only N
//! requests/s, as when another client spends the rest of the account's quota; reports
//! duration, calls, throttled requests and gaps at each rate.

#[path = "../tests/support/moto.rs"]
mod moto;
#[path = "../tests/support/state.rs"]
mod state;

use moto::Moto;
use state::state_bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const AWS_SSO_UTIL: &str = "aws-sso-util==4.33.0";

/// The IAM operations the scan makes in member accounts, through the member role.
const MEMBER_IAM: &[&str] = &[
    "iam:GetAccountAuthorizationDetails",
    "iam:ListUsers",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
];

/// Gives every member account of `live` 20 roles (each with an inline and an attached
/// policy), 5 customer managed policies and 2 IAM users (a password, an access key).
fn seed_member_accounts(moto: &Moto, live: &ssoaudit::snapshot::Snapshot) -> usize {
    let management = &live.organization.management_account_id;
    let allow = |action: &str| serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]});
    let mut seeded = 0;
    for account in live
        .organization
        .accounts
        .iter()
        .filter(|a| &a.id != management)
    {
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{management}:root")}, "Action": "sts:AssumeRole"}]});
        let policies: Vec<serde_json::Value> = (0..5)
            .map(|i| serde_json::json!({"name": format!("team-{i}"), "path": "/acme/", "document": allow(&format!("s3:Get{i}*"))}))
            .collect();
        let roles: Vec<serde_json::Value> = (0..20)
            .map(|i| {
                serde_json::json!({"name": format!("role-{i}"), "trust": trust,
                "managed": [format!("team-{}", i % 5)], "inline": {"inline": allow("sqs:Send*")}})
            })
            .collect();
        moto.control(
            "iam-account",
            serde_json::json!({"account": account.id, "policies": policies, "roles": roles,
                "users": [{"name": "clickops", "password": true, "keys": 1}, {"name": "ci", "keys": 1}]}),
        );
        seeded += 1;
    }
    seeded
}

/// SCPs and RCPs as an organization of this size has them: one of each kind at the root, and
/// an SCP on each OU; returns how many.
fn seed_guardrails(moto: &Moto, live: &ssoaudit::snapshot::Snapshot) -> usize {
    let deny = |action: &str| serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}]});
    let mut policies = vec![
        serde_json::json!({"name": "DenyLeavingOrganization", "type": "SERVICE_CONTROL_POLICY",
            "document": deny("organizations:LeaveOrganization"), "targets": ["root"]}),
        serde_json::json!({"name": "DenyOutsideAssume", "type": "RESOURCE_CONTROL_POLICY",
            "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": live.organization.id}}}]},
            "targets": ["root"]}),
    ];
    for (i, unit) in live
        .organization
        .organizational_units
        .iter()
        .filter(|u| u.parent_id.is_some())
        .enumerate()
    {
        policies.push(serde_json::json!({"name": format!("ou-guardrail-{i}"), "type": "SERVICE_CONTROL_POLICY",
            "document": deny("cloudtrail:StopLogging"), "targets": [unit.id]}));
    }
    moto.control(
        "guardrails",
        serde_json::json!({"management": live.organization.management_account_id,
            "enable": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"], "policies": policies}),
    );
    policies.len()
}

fn aws_sso_util(root: &Path) -> PathBuf {
    let venv = root.join(".venv-bench");
    let binary = venv.join("bin/aws-sso-util");
    if !binary.exists() {
        eprintln!("installing {AWS_SSO_UTIL} into {}", venv.display());
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs")
            .success()
            && Command::new(venv.join("bin/pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    AWS_SSO_UTIL,
                ])
                .status()
                .expect("pip runs")
                .success();
        assert!(ok, "could not install {AWS_SSO_UTIL}");
    }
    binary
}

struct Run {
    seconds: f64,
    calls: BTreeMap<String, u64>,
    stdout: String,
}

impl Run {
    fn per_service(&self) -> BTreeMap<String, u64> {
        let mut services = BTreeMap::new();
        for (operation, count) in &self.calls {
            let service = operation
                .split_once(':')
                .map(|(s, _)| s)
                .unwrap_or(operation);
            *services.entry(service.to_string()).or_insert(0) += count;
        }
        services
    }

    fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    /// The shortest time the client-side rate limits allow: calls per service over that
    /// service's limit, services in parallel (IAM in member accounts has a limit of its own).
    fn floor(&self) -> f64 {
        let mut per_limit: BTreeMap<&str, u64> = BTreeMap::new();
        for (operation, calls) in &self.calls {
            let key = match operation.split_once(':').map_or("", |(s, _)| s) {
                "iam" if MEMBER_IAM.contains(&operation.as_str()) => "member-iam",
                service => service,
            };
            *per_limit.entry(key).or_insert(0) += calls;
        }
        let limit = |service: &str| match service {
            "sso-admin" | "identitystore" | "sts" => 20.0,
            "organizations" | "account-access" | "iam" => 10.0,
            "member-iam" => 40.0,
            _ => f64::INFINITY,
        };
        per_limit
            .iter()
            .map(|(service, &calls)| calls as f64 / limit(service))
            .fold(0.0, f64::max)
    }
}

fn timed(moto: &Moto, latency_ms: u64, command: &mut Command) -> Run {
    moto.control("reset", serde_json::json!({}));
    moto.control("config", serde_json::json!({"latency_ms": latency_ms}));
    let started = Instant::now();
    let output = command.output().expect("command runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let calls = moto.calls();
    moto.control("config", serde_json::json!({}));
    Run {
        seconds,
        calls,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

/// Runs `command` `runs` times; returns the run of median time (the calls of every run must be
/// the same) and prints each time.
fn repeated(moto: &Moto, latency_ms: u64, runs: usize, command: &mut Command) -> Run {
    let mut all: Vec<Run> = (0..runs.max(1))
        .map(|_| timed(moto, latency_ms, command))
        .collect();
    let times: Vec<String> = all.iter().map(|r| format!("{:.1} s", r.seconds)).collect();
    println!("  runs: {}", times.join(", "));
    for run in &all[1..] {
        assert_eq!(run.calls, all[0].calls, "every run makes the same calls");
    }
    all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    all.swap_remove(all.len() / 2)
}

/// (account, permission set ARN, principal type, principal id) of each assignment
/// aws-sso-util printed (tab-separated, with a header).
fn printed_assignments(stdout: &str) -> BTreeSet<(String, String, String, String)> {
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("aws-sso-util printed no {name} column: {header:?}"))
    };
    let (account, set, kind, id) = (
        column("target_id"),
        column("permission_set_arn"),
        column("principal_type"),
        column("principal_id"),
    );
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| fields.get(i).copied().unwrap_or_default().to_string();
            (field(account), field(set), field(kind), field(id))
        })
        .collect()
}

fn environment(command: &mut Command, moto: &Moto) {
    command
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
}

fn report(name: &str, run: &Run) {
    println!("{name}:");
    println!("  wall time: {:.1} s", run.seconds);
    println!("  calls: {}", run.total());
    for (service, calls) in run.per_service() {
        println!("    {service}: {calls}");
    }
    for (operation, calls) in &run.calls {
        println!("      {operation}: {calls}");
    }
}

/// Scans the reference violating organization under a shared budget of `rate` requests/s.
fn budget(rate: f64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("fixtures/reference-violating.snapshot.json");
    let moto = Moto::start();
    moto.seed(&fixture);
    let dir = std::env::temp_dir().join("ssoaudit-scan-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let output = dir.join(format!("budget-{rate}.json"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssoaudit"));
    command.args(["snapshot", "--quiet", "-o"]).arg(&output);
    environment(&mut command, &moto);
    moto.control("reset", serde_json::json!({}));
    moto.control(
        "config",
        serde_json::json!({"rate_limit": {"per_second": rate, "burst": rate}}),
    );
    let started = Instant::now();
    let result = command.output().expect("ssoaudit runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        result.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let throttled = moto.control("calls", serde_json::json!({}))["throttled"]
        .as_u64()
        .unwrap_or(0);
    let live = ssoaudit::snapshot::Snapshot::load(&output).expect("the scan wrote a snapshot");
    let calls: u64 = live.metadata.api_calls.values().sum();
    // The shortest possible scan: every accepted request of the budgeted services at the rate.
    let budgeted: u64 = live
        .metadata
        .api_calls
        .iter()
        .filter(|(operation, _)| {
            operation.starts_with("sso-admin:") || operation.starts_with("identitystore:")
        })
        .map(|(_, count)| count)
        .sum();
    let floor = (budgeted - throttled) as f64 / rate;
    println!(
        "budget {rate} requests/s: {seconds:.1} s ({:.2} x the floor of {floor:.1} s), {calls} calls ({budgeted} to the budgeted services), {throttled} throttled, {} gaps",
        seconds / floor,
        live.gaps.len()
    );
    for gap in &live.gaps {
        println!("  gap: {} {}: {}", gap.operation, gap.resource, gap.error);
    }
}

/// One line on the organization a benchmark scans.
fn describe(snapshot: &ssoaudit::snapshot::Snapshot, latency_ms: u64) -> String {
    let pairs: usize = snapshot
        .permission_sets
        .iter()
        .map(|s| s.provisioned_accounts.len())
        .sum();
    format!(
        "organization: {} accounts, {} permission sets ({pairs} provisioned pairs), {} groups, {} users, {} memberships, {} assignments; {latency_ms} ms latency per request",
        snapshot.organization.accounts.len(),
        snapshot.permission_sets.len(),
        snapshot.groups.len(),
        snapshot.users.len(),
        snapshot.memberships.len(),
        snapshot.assignments.len(),
    )
}

/// A night of a large organization: a full scan (the previous night's snapshot), 50 changes
/// made through the APIs and recorded as CloudTrail records them, then `snapshot --incremental`
/// from the previous night's snapshot; with `verify`, a full scan of the changed organization
/// that the incremental snapshot must equal.
fn night(latency_ms: u64, scale: usize, verify: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = ssoaudit_generate::scan_benchmark_scaled(11, scale);
    let dir = std::env::temp_dir().join("ssoaudit-scan-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = dir.join(format!("organization-x{scale}.json"));
    std::fs::write(&fixture, snapshot.to_canonical_json()).unwrap();
    println!("{}", describe(&snapshot, latency_ms));
    let moto = Moto::start_with(&[("SSOAUDIT_MOTO_MANAGED_POLICIES", "management")]);
    let started = Instant::now();
    moto.seed(&fixture);
    println!("seeded in {:.1?}", started.elapsed());

    let scan_to = |path: &Path, extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ssoaudit"));
        command
            .args(["snapshot", "--quiet"])
            .args(extra)
            .arg("-o")
            .arg(path);
        environment(&mut command, &moto);
        timed(&moto, latency_ms, &mut command)
    };
    let base = dir.join("night-base.json");
    let full = scan_to(&base, &[]);
    report("full scan (the previous night)", &full);
    println!("  rate-limit floor: {:.1} s", full.floor());
    let previous = ssoaudit::snapshot::Snapshot::load(&base).expect("a snapshot");
    assert!(previous.gaps.is_empty(), "gaps: {:?}", previous.gaps);

    moto.control("config", serde_json::json!({"record_writes": true}));
    let output = Command::new(moto::python())
        .arg(root.join("tests/moto/edit.py"))
        .arg(moto.endpoint())
        .args(["night", "7"])
        .arg(&base)
        .output()
        .expect("edit.py runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let changes: Vec<String> = serde_json::from_slice(&output.stdout).expect("the changes made");
    println!("{} changes made", changes.len());

    let after = dir.join("night-incremental.json");
    let incremental = scan_to(&after, &["--incremental", base.to_str().unwrap()]);
    report("snapshot --incremental", &incremental);
    let made = ssoaudit::snapshot::Snapshot::load(&after).expect("a snapshot");
    let how = made.metadata.incremental.clone().expect("how it was made");
    println!(
        "  {} change events since {}; assignments listed again on {} pairs, tags of {} accounts; read in full: {:?}",
        how.change_events,
        how.changes_since,
        how.assignment_pairs_read,
        how.account_tags_read,
        how.read_in_full
    );
    println!(
        "incremental / full: {} / {} calls ({:.3}), {:.1} / {:.1} s ({:.3})",
        incremental.total(),
        full.total(),
        incremental.total() as f64 / full.total() as f64,
        incremental.seconds,
        full.seconds,
        incremental.seconds / full.seconds
    );
    assert!(made.gaps.is_empty(), "gaps: {:?}", made.gaps);
    if verify {
        let check = dir.join("night-full.json");
        let again = scan_to(&check, &[]);
        println!(
            "full scan of the changed organization: {} calls, {:.1} s",
            again.total(),
            again.seconds
        );
        let full_after = ssoaudit::snapshot::Snapshot::load(&check).expect("a snapshot");
        assert!(
            state_bytes(&made) == state_bytes(&full_after),
            "the incremental snapshot differs from the full scan"
        );
        println!("the incremental snapshot equals the full scan, byte for byte");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let latency_ms: u64 = args
        .iter()
        .position(|a| a == "--latency-ms")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    if let Some(scale) = args
        .iter()
        .position(|a| a == "--night")
        .and_then(|i| args.get(i + 1))
    {
        night(
            latency_ms,
            scale
                .parse()
                .expect("--night takes the scale (10: 2,000 accounts)"),
            !args.iter().any(|a| a == "--no-verify"),
        );
        return;
    }
    if let Some(rates) = args
        .iter()
        .position(|a| a == "--budget")
        .and_then(|i| args.get(i + 1))
    {
        for rate in rates.split(',') {
            budget(rate.parse().expect("--budget takes requests per second"));
        }
        return;
    }
    let baseline = !args.iter().any(|a| a == "--no-baseline");
    let members = args.iter().any(|a| a == "--members");
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let snapshot = ssoaudit_generate::scan_benchmark(11);
    let dir = std::env::temp_dir().join("ssoaudit-scan-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = dir.join("organization.json");
    std::fs::write(&fixture, snapshot.to_canonical_json()).unwrap();
    println!("{}", describe(&snapshot, latency_ms));

    let moto = Moto::start();
    let started = Instant::now();
    moto.seed(&fixture);
    eprintln!("seeded in {:.1?}", started.elapsed());

    let output = dir.join("live.json");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssoaudit"));
    command.args(["snapshot", "--quiet", "-o"]).arg(&output);
    environment(&mut command, &moto);
    println!("ssoaudit snapshot:");
    let ours = repeated(&moto, latency_ms, runs, &mut command);
    let live = ssoaudit::snapshot::Snapshot::load(&output).expect("the scan wrote a snapshot");
    assert_eq!(
        live.assignments.len(),
        snapshot.assignments.len(),
        "every assignment was listed"
    );
    assert!(live.gaps.is_empty(), "gaps: {:?}", live.gaps);
    report("ssoaudit snapshot (complete snapshot), median run", &ours);
    println!(
        "  rate-limit floor: {:.1} s; wall time / floor: {:.2}",
        ours.floor(),
        ours.seconds / ours.floor()
    );

    if members {
        let accounts = seed_member_accounts(&moto, &live);
        let guardrails = seed_guardrails(&moto, &live);
        let output = dir.join("members.json");
        let mut command = Command::new(env!("CARGO_BIN_EXE_ssoaudit"));
        command
            .args([
                "snapshot",
                "--quiet",
                "--member-role",
                "ssoaudit-read",
                "-o",
            ])
            .arg(&output);
        environment(&mut command, &moto);
        println!(
            "ssoaudit snapshot --member-role ({accounts} member accounts, 20 roles, 5 customer managed policies, 2 IAM users each):"
        );
        let with_members = repeated(&moto, latency_ms, runs, &mut command);
        let read = ssoaudit::snapshot::Snapshot::load(&output).expect("the scan wrote a snapshot");
        assert!(read.gaps.is_empty(), "gaps: {:?}", read.gaps);
        let member_accounts = read.member_accounts.as_ref().expect("member accounts read");
        assert_eq!(member_accounts.len(), accounts, "every member account read");
        assert!(
            member_accounts
                .iter()
                .all(|m| m.roles.len() >= 20 && m.policies.len() == 5 && m.users.len() == 2)
        );
        let read_guardrails = read.guardrails.as_ref().expect("guardrails read");
        assert_eq!(
            read_guardrails.policies.len(),
            guardrails + 2,
            "the seeded SCPs and RCPs and the two AWS managed full-access ones"
        );
        println!(
            "  guardrails: {} SCPs and RCPs read, with their documents and targets",
            read_guardrails.policies.len()
        );
        report("ssoaudit snapshot --member-role, median run", &with_members);
        println!(
            "  rate-limit floor: {:.1} s; wall time / floor: {:.2}; without the member role: {:.1} s ({:+.1} s)",
            with_members.floor(),
            with_members.seconds / with_members.floor(),
            ours.seconds,
            with_members.seconds - ours.seconds
        );
        return;
    }

    if baseline {
        let mut command = Command::new(aws_sso_util(root));
        command.args(["admin", "assignments", "--separator", "\t"]);
        environment(&mut command, &moto);
        println!("aws-sso-util admin assignments:");
        let theirs = repeated(&moto, latency_ms, runs, &mut command);
        report(
            "aws-sso-util admin assignments (assignments only), median run",
            &theirs,
        );
        let printed = printed_assignments(&theirs.stdout);
        let read: BTreeSet<(String, String, String, String)> = live
            .assignments
            .iter()
            .map(|a| {
                (
                    a.account_id.clone(),
                    a.permission_set_arn.clone(),
                    a.principal_type.as_str().to_string(),
                    a.principal_id.clone(),
                )
            })
            .collect();
        let only_ours = read.difference(&printed).count();
        let only_theirs = printed.difference(&read).count();
        println!(
            "assignments: ssoaudit {}, aws-sso-util {}; {}",
            read.len(),
            printed.len(),
            if only_ours + only_theirs == 0 {
                "the same ones".to_string()
            } else {
                format!(
                    "DIFFERENT: {only_ours} only in ssoaudit's, {only_theirs} only in aws-sso-util's"
                )
            }
        );
        println!(
            "calls: ssoaudit / aws-sso-util = {:.2}; speed-up: {:.2}x",
            ours.total() as f64 / theirs.total() as f64,
            theirs.seconds / ours.seconds
        );
    }
}
