//! Benchmark: `access` and `diff` on a large organization (1,000 accounts, 50 permission sets,
//! 500 groups, 20,000 users, 200,000 assignments: the evaluation benchmark's), next to the time
//! and memory of loading its snapshot. `diff` compares it with a copy that differs by 1,000
//! assignments (500 removed, 500 added). Each command runs as a process under /usr/bin/time
//! (wall time, peak RSS); the reports go to files, whose sizes are printed.
//!
//! Run: `cargo bench --bench access` (`-- --scale 0.1` for a smaller organization).

#[path = "support/measured.rs"]
mod measured;

use measured::measured;
use ssoaudit::snapshot::Snapshot;
use ssoaudit_generate::{Scale, large};
use std::path::Path;
use std::time::Instant;

fn size_mib(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / (1 << 20) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let factor: f64 = args
        .iter()
        .position(|a| a == "--scale")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let scale = Scale::benchmark(factor);
    let dir = std::env::temp_dir().join("ssoaudit-bench");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let old = dir.join(format!("access-old-v1-{factor}.snapshot.json"));
    let new = dir.join(format!("access-new-v1-{factor}.snapshot.json"));
    if !old.exists() || !new.exists() {
        let started = Instant::now();
        let snapshot = large(scale, 42);
        std::fs::write(&old, snapshot.to_canonical_json()).expect("write snapshot");
        // 500 assignments removed, 500 added (an existing one moved to another account).
        let mut changed = snapshot.clone();
        let accounts: Vec<String> = changed
            .organization
            .accounts
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let mut added = Vec::new();
        for (i, assignment) in changed.assignments.iter().take(500).enumerate() {
            let mut moved = assignment.clone();
            moved.account_id = accounts[(i * 7 + 3) % accounts.len()].clone();
            added.push(moved);
        }
        let removed = changed.assignments.len() - 500;
        changed.assignments.truncate(removed);
        changed.assignments.extend(added);
        changed.assignments.sort();
        changed.assignments.dedup();
        std::fs::write(&new, changed.to_canonical_json()).expect("write snapshot");
        eprintln!("generated both snapshots in {:.1?}", started.elapsed());
    }

    // Loading, in this process, as `ssoaudit` does first.
    let mut loads = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let snapshot = Snapshot::load(&old).expect("snapshot loads");
        loads.push(started.elapsed().as_secs_f64());
        drop(snapshot);
    }
    loads.sort_by(|a, b| a.total_cmp(b));
    let load = loads[1];
    let (load_process, load_rss) = measured(&[
        "access",
        "--snapshot",
        old.to_str().unwrap(),
        "--permission-set",
        "no-such-permission-set",
        "--format",
        "csv",
    ]);
    let snapshot_mib = size_mib(&old);
    println!(
        "organization: {} accounts, {} groups, {} users, {} assignments; snapshot {snapshot_mib:.1} MiB, loads in {load:.2} s (median of 3)",
        scale.accounts, scale.groups, scale.users, scale.assignments
    );
    println!(
        "baseline: a process that loads the snapshot and finds no row (access for an unknown permission set): {load_process:.2} s, peak RSS {load_rss:.0} MiB"
    );
    let out = dir.join("access-out");
    for (label, command) in [
        ("access, csv", vec!["access", "--format", "csv"]),
        ("access, json", vec!["access", "--format", "json"]),
        (
            "diff, json",
            vec![
                "diff",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                "json",
            ],
        ),
        (
            "diff, table",
            vec!["diff", old.to_str().unwrap(), new.to_str().unwrap()],
        ),
    ] {
        let mut args = command.clone();
        if command[0] == "access" {
            args.extend(["--snapshot", old.to_str().unwrap()]);
        }
        let target = out.with_extension(label.replace([',', ' '], ""));
        args.extend(["-o", target.to_str().unwrap()]);
        let (seconds, rss) = measured(&args);
        let lines = std::fs::read_to_string(&target)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        let snapshots = if command[0] == "diff" { 2.0 } else { 1.0 };
        println!(
            "{label}: {seconds:.2} s ({:.1}x the load time of {} snapshot(s), target <= 10), peak RSS {rss:.0} MiB ({:.2}x their size, target <= 4); report {:.1} MiB, {lines} lines",
            seconds / (load * snapshots),
            snapshots,
            rss / (snapshot_mib * snapshots),
            size_mib(&target)
        );
        let _ = std::fs::remove_file(&target);
    }
}
