//! Benchmark: `history` over 52 weekly snapshots of the large organization (1,000 accounts, 50
//! permission sets, 500 groups, 20,000 users, 200,000 assignments: the evaluation benchmark's),
//! a year of scheduled runs with changes every week (1,000 assignments moved, 100 users added,
//! 20 disabled). The command runs as a process under /usr/bin/time (wall time, peak RSS), next
//! to one `check --format json` of one week, which evaluates the same rules on one snapshot.
//!
//! Run: `cargo bench --bench history` (`-- --scale 0.1` for a smaller organization, `-- --weeks
//! N` for fewer runs).

use ssoaudit::snapshot::{Email, ExternalId, Membership, User};
use ssoaudit_generate::{Scale, large};
#[path = "support/measured.rs"]
mod measured;

use measured::measured;
use std::path::Path;
use std::time::Instant;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let factor: f64 = arg(&args, "--scale", 1.0);
    let weeks: usize = arg(&args, "--weeks", 52);
    let dir = std::env::temp_dir()
        .join("ssoaudit-bench")
        .join(format!("history-v1-{factor}-{weeks}"));
    let start = chrono::DateTime::parse_from_rfc3339("2025-12-07T06:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    if files != weeks {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench folder");
        let started = Instant::now();
        let mut snapshot = large(Scale::benchmark(factor), 42);
        let accounts: Vec<String> = snapshot
            .organization
            .accounts
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let groups: Vec<String> = snapshot.groups.iter().map(|g| g.id.clone()).collect();
        for week in 0..weeks {
            if week > 0 {
                // 1,000 assignments moved to another account.
                let n = snapshot.assignments.len();
                for i in 0..1_000.min(n) {
                    let a = &mut snapshot.assignments[(week * 7_919 + i * 104_729) % n];
                    a.account_id = accounts[(week * 31 + i * 7) % accounts.len()].clone();
                }
                snapshot.assignments.sort();
                snapshot.assignments.dedup();
                // 100 users join, each in a group; 20 are disabled.
                for i in 0..100 {
                    let n = 1_000_000 + week * 100 + i;
                    let id = format!("906700ffff-{n:08x}-0000-0000-0000-000000000000");
                    snapshot.users.push(User {
                        id: id.clone(),
                        user_name: format!("new{n}@acme.example"),
                        display_name: None,
                        emails: vec![Email {
                            value: format!("new{n}@acme.example"),
                            primary: true,
                            kind: None,
                        }],
                        active: true,
                        external_ids: Some(vec![ExternalId {
                            issuer: ssoaudit_generate::SCIM_ISSUER.into(),
                            id: format!("00u{n}"),
                        }]),
                        created_at: None,
                    });
                    snapshot.memberships.push(Membership {
                        group_id: groups[n % groups.len()].clone(),
                        user_id: id,
                    });
                }
                let users = snapshot.users.len();
                for i in 0..20 {
                    snapshot.users[(week * 613 + i * 997) % users].active = false;
                }
            }
            let at = start + chrono::Duration::weeks(week as i64);
            snapshot.metadata.captured_at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            snapshot.normalize();
            let path = dir.join(format!("{}.json", at.format("%Y-%m-%d")));
            std::fs::write(&path, snapshot.to_canonical_json()).expect("write snapshot");
        }
        eprintln!(
            "generated {weeks} weekly snapshots in {:.1?}",
            started.elapsed()
        );
    }
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let total: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let last = paths.last().unwrap().clone();
    let out = std::env::temp_dir()
        .join("ssoaudit-bench")
        .join("history-out.json");
    let check_out = std::env::temp_dir()
        .join("ssoaudit-bench")
        .join("history-check.json");
    println!(
        "organization: {:.1} MiB a snapshot, {weeks} snapshots, {:.0} MiB in all",
        size(&last),
        total as f64 / (1 << 20) as f64
    );
    let (check_s, check_rss) = measured(&[
        "check",
        "--snapshot",
        last.to_str().unwrap(),
        "--format",
        "json",
        "--allow-gaps",
        "--fail-on",
        "never",
        "--now",
        "2026-11-29T06:00:00Z",
        "-o",
        check_out.to_str().unwrap(),
    ]);
    println!("one check of one week (--format json): {check_s:.1} s, peak RSS {check_rss:.0} MiB");
    let (seconds, rss) = measured(&[
        "history",
        dir.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    let history: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let runs = history["runs"].as_array().unwrap();
    let findings: i64 = runs.iter().map(|r| r["findings"].as_i64().unwrap()).sum();
    println!(
        "history over {} runs: {seconds:.1} s ({:.2} s a run, {:.2}x one check), peak RSS {rss:.0} MiB ({:.2}x one snapshot file, {:.2}x one check); {findings} findings over the runs, {} open in the last, {} fixed",
        runs.len(),
        seconds / runs.len() as f64,
        seconds / runs.len() as f64 / check_s,
        rss / size(&last),
        rss / check_rss,
        history["open_findings"].as_array().unwrap().len(),
        history["fixed_findings"].as_array().unwrap().len(),
    );
}

fn size(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / (1 << 20) as f64
}
