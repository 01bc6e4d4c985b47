//! Benchmark: the whole built-in pack over a generated organization of 1,000 accounts, 50
//! permission sets, 500 groups, 20,000 users and 200,000 assignments, with sign-in and access
//! evidence (most users signed in, one assignment in twenty used), so that every rule runs.
//! Reports the time to load the snapshot file next to the time to evaluate it, the findings per
//! second, the peak heap during both, and with `--per-rule` each rule's time. Last, the whole
//! `check --format json` beside the load, in this process and as processes (`--whole-check`:
//! that alone).
//!
//! Run: `cargo bench --bench evaluate` (add `-- --scale 0.1` for a smaller organization).

use ssoaudit::engine;
use ssoaudit::rules;
use ssoaudit::snapshot::Snapshot;
use ssoaudit_generate::{Scale, large};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes and their peak, so memory is measured without outside tools.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(pointer, layout, new_size) };
        if !new.is_null() {
            if new_size > layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `--load-only FILE`: the process a load costs, to time beside `ssoaudit check`.
    if let Some(file) = args
        .iter()
        .position(|a| a == "--load-only")
        .and_then(|i| args.get(i + 1))
    {
        let snapshot = Snapshot::load(std::path::Path::new(file)).expect("snapshot loads");
        std::hint::black_box(&snapshot);
        return;
    }
    let factor: f64 = args
        .iter()
        .position(|a| a == "--scale")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let scale = Scale::benchmark(factor);
    let dir = std::env::temp_dir().join("ssoaudit-bench");
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Named after the generator's version: a file of an older generator is not reused.
    let path = dir.join(format!("org-v3-{factor}.snapshot.json"));
    // A file left by an older build (another schema) is generated again.
    if !path.exists() || Snapshot::load(&path).is_err() {
        let started = Instant::now();
        let mut snapshot = large(scale, 42);
        let end = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        ssoaudit_generate::add_evidence(&mut snapshot, 42, end);
        std::fs::write(&path, snapshot.to_canonical_json()).expect("write snapshot");
        eprintln!("generated {} in {:.1?}", path.display(), started.elapsed());
    }
    let file_size = std::fs::metadata(&path).expect("snapshot exists").len() as usize;
    // The stack file the drift rules compare with: every assignment but one in a thousand,
    // and as many that AWS lacks.
    let stack = dir.join(format!("org-v3-{factor}.aws-sso.yaml"));
    if !stack.exists() {
        let snapshot = Snapshot::load(&path).expect("snapshot loads");
        std::fs::write(&stack, ssoaudit_generate::stack_for(&snapshot, 1_000))
            .expect("write stack");
    }
    // `--whole-check`: the whole check beside the load, and nothing else.
    if args.iter().any(|a| a == "--whole-check") {
        let rules = rules::load(&rules::builtin_sources()).expect("built-in rules load");
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        ssoaudit::iam::catalog::Catalog::get();
        ssoaudit::iam::managed::ManagedCatalog::get();
        whole_check(&path, file_size, &rules, now, 3);
        return;
    }
    let started = Instant::now();
    let desired = ssoaudit::desired::DesiredState::load(&stack).expect("the stack file parses");
    let stack_load = started.elapsed();
    let rules = rules::load(&rules::builtin_sources()).expect("built-in rules load");
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);

    // The embedded catalogs load once per process, on first use: timed on their own.
    let started = Instant::now();
    let actions = ssoaudit::iam::catalog::Catalog::get().len();
    let managed = ssoaudit::iam::managed::ManagedCatalog::get().policies.len();
    let catalogs = started.elapsed();
    // What every permission set's policies allow: part of evaluate, timed here alone too.
    let analysis = {
        let snapshot = Snapshot::load(&path).expect("snapshot loads");
        let model = ssoaudit::model::Model::new(&snapshot);
        let started = Instant::now();
        let facts = model.policy_facts();
        let admin = facts
            .capabilities
            .iter()
            .filter(|c| c.admin_equivalent)
            .count();
        let elapsed = started.elapsed();
        (elapsed, admin)
    };

    // `--profile RULE`: that rule alone, five times, and nothing else (for a profiler).
    if let Some(id) = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
    {
        let snapshot = Snapshot::load(&path).expect("snapshot loads");
        let chosen: Vec<_> = rules
            .iter()
            .filter(|r| r.id == *id || id == "all")
            .cloned()
            .collect();
        for _ in 0..5 {
            let started = Instant::now();
            let evaluation =
                engine::evaluate_with(&snapshot, &chosen, now, Some(&desired), None, None);
            println!(
                "{id}: {:.1?}, {} findings",
                started.elapsed(),
                evaluation.findings.len()
            );
        }
        return;
    }
    let runs = 3;
    let mut load_times = Vec::new();
    let mut eval_times = Vec::new();
    let mut findings = 0;
    let mut skipped = Vec::new();
    let mut incomplete = 0;
    let mut drift_findings = 0;
    let mut peak_load = 0;
    let mut peak_total = 0;
    for _ in 0..runs {
        let baseline = CURRENT.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let started = Instant::now();
        let snapshot = Snapshot::load(&path).expect("snapshot loads");
        load_times.push(started.elapsed());
        peak_load = PEAK.load(Ordering::Relaxed) - baseline;

        let started = Instant::now();
        let evaluation = engine::evaluate_with(&snapshot, &rules, now, Some(&desired), None, None);
        eval_times.push(started.elapsed());
        peak_total = PEAK.load(Ordering::Relaxed) - baseline;
        findings = evaluation.findings.len();
        skipped = evaluation.skipped.clone();
        incomplete = evaluation.incomplete.len();
        drift_findings = evaluation
            .findings
            .iter()
            .filter(|f| f.rule_id.starts_with("drift-"))
            .count();
        drop(evaluation);
        drop(snapshot);
    }
    if args.iter().any(|a| a == "--per-rule") {
        let snapshot = Snapshot::load(&path).expect("snapshot loads");
        for rule in &rules {
            let started = Instant::now();
            let evaluation = engine::evaluate_with(
                &snapshot,
                std::slice::from_ref(rule),
                now,
                Some(&desired),
                None,
                None,
            );
            println!(
                "  {:<32} {:>8.1?} {:>6} findings",
                rule.id,
                started.elapsed(),
                evaluation.findings.len()
            );
        }
    }
    let best = |times: &[std::time::Duration]| times.iter().min().copied().unwrap_or_default();
    let snapshot = Snapshot::load(&path).expect("snapshot loads");
    println!(
        "organization: {} accounts, {} permission sets, {} groups, {} users, {} memberships, {} assignments",
        snapshot.organization.accounts.len(),
        snapshot.permission_sets.len(),
        snapshot.groups.len(),
        snapshot.users.len(),
        snapshot.memberships.len(),
        snapshot.assignments.len()
    );
    println!("snapshot file: {:.1} MiB", mib(file_size));
    // A rule that reads an area of which nothing was read reports its gap and does not run.
    let unread: Vec<_> = snapshot.unread_areas().iter().map(|(a, _)| *a).collect();
    let ran = rules
        .iter()
        .filter(|r| !r.requires.iter().any(|a| unread.contains(a)))
        .count();
    println!(
        "rules: {} (the built-in pack), {ran} ran (the drift rules with a generated stack file of {:.1} MiB, parsed in {stack_load:.1?})",
        rules.len(),
        mib(std::fs::metadata(&stack)
            .map(|m| m.len() as usize)
            .unwrap_or(0))
    );
    println!(
        "skipped: {skipped:?}; incomplete (a gap in what they read): {incomplete}; drift findings: {drift_findings}"
    );
    println!(
        "findings: {findings} ({:.0} a second of evaluation)",
        findings as f64 / best(&eval_times).as_secs_f64()
    );
    println!(
        "catalogs (first use): {catalogs:.1?} ({actions} actions, {managed} managed policies)"
    );
    println!(
        "capability analysis of {} permission sets (once, inside evaluate): {:.1?}; {} administrator-equivalent",
        snapshot.permission_sets.len(),
        analysis.0,
        analysis.1
    );
    println!("load (best of {runs}):     {:>8.1?}", best(&load_times));
    println!("evaluate (best of {runs}): {:>8.1?}", best(&eval_times));
    println!(
        "evaluate / load: {:.2}",
        best(&eval_times).as_secs_f64() / best(&load_times).as_secs_f64()
    );
    println!(
        "peak heap: load {:.1} MiB, load + evaluate {:.1} MiB ({:.2}x the file size)",
        mib(peak_load),
        mib(peak_total),
        peak_total as f64 / file_size as f64
    );

    whole_check(&path, file_size, &rules, now, runs);

    // Role chains: the same organization with 20 roles in each account (Cloud Posse's team
    // roles, the sets' roles, application roles) and an identity account whose team-access
    // sets reach the team roles of every account. The graph is built and followed inside
    // `Model::new`; timed against the same organization without member accounts.
    drop(snapshot);
    let mut plain = Snapshot::load(&path).expect("snapshot loads");
    let started = Instant::now();
    let model = ssoaudit::model::Model::new(&plain);
    let without = started.elapsed();
    drop(model);
    ssoaudit_generate::add_team_roles(&mut plain, 20);
    let roles: usize = plain
        .member_accounts
        .iter()
        .flatten()
        .map(|m| m.roles.len())
        .sum();
    let mut chain_times = Vec::new();
    let mut counts = (0, 0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        let model = ssoaudit::model::Model::new(&plain);
        chain_times.push(started.elapsed());
        counts = (
            model.chains.len(),
            model.chain_roles.len(),
            model.chains.iter().filter(|c| c.conditional).count(),
        );
    }
    let started = Instant::now();
    let evaluation = engine::evaluate_with(&plain, &rules, now, Some(&desired), None, None);
    let chained_eval = started.elapsed();
    let chain_findings = evaluation
        .findings
        .iter()
        .filter(|f| f.resource.id.contains("/chain/"))
        .count();
    println!(
        "role chains: {} accounts x 20 = {roles} roles; model with the graph followed (best of {runs}): {:.1?} ({:.1?} without member accounts, so the graph costs {:.1?}); {} chained routes to {} roles ({} conditional)",
        plain.organization.accounts.len(),
        best(&chain_times),
        without,
        best(&chain_times).saturating_sub(without),
        counts.0,
        counts.1,
        counts.2
    );
    println!(
        "evaluate with chains: {chained_eval:.1?}; {} findings, {chain_findings} of them on chained routes",
        evaluation.findings.len()
    );
}

/// The whole `check --format json` (load, every rule, the report written to a new file) beside
/// the load alone, measured side by side: in this process (time and peak heap, best of `runs`,
/// the catalogs already loaded) and as processes (`ssoaudit check` against this benchmark
/// loading the file and exiting; wall time, best of `runs`).
fn whole_check(
    path: &std::path::Path,
    file_size: usize,
    rules: &[rules::Rule],
    now: chrono::DateTime<chrono::Utc>,
    runs: usize,
) {
    let report = path.with_extension("report.json");
    let (mut load, mut check) = (Vec::new(), Vec::new());
    let (mut load_peak, mut check_peak, mut report_size) = (0, 0, 0);
    // Live and peak heap once the findings are sorted, before the report.
    let mut evaluated = (0, 0);
    for _ in 0..runs {
        let baseline = CURRENT.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let started = Instant::now();
        let snapshot = Snapshot::load(path).expect("snapshot loads");
        load.push(started.elapsed());
        load_peak = PEAK.load(Ordering::Relaxed) - baseline;
        drop(snapshot);

        let _ = std::fs::remove_file(&report);
        let baseline = CURRENT.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let started = Instant::now();
        let snapshot = Snapshot::load(path).expect("snapshot loads");
        let evaluation = engine::evaluate_with(&snapshot, rules, now, None, None, None);
        evaluated = (
            CURRENT.load(Ordering::Relaxed) - baseline,
            PEAK.load(Ordering::Relaxed) - baseline,
        );
        let input = ssoaudit::report::ReportInput {
            evaluation: &evaluation,
            rules,
            fail_on: None,
            snapshot_source: &snapshot.metadata.source,
            captured_at: &snapshot.metadata.captured_at,
            now,
            region: &snapshot.metadata.region,
            management_account_id: &snapshot.organization.management_account_id,
            history: None,
        };
        ssoaudit::output::write_to(Some(&report), |out| {
            ssoaudit::report::write(
                ssoaudit::report::Format::Json,
                &input,
                &snapshot,
                ssoaudit::report::Terminal::default(),
                out,
            )
        })
        .expect("report written");
        check.push(started.elapsed());
        check_peak = PEAK.load(Ordering::Relaxed) - baseline;
        report_size = std::fs::metadata(&report).map(|m| m.len()).unwrap_or(0);
        drop(evaluation);
        drop(snapshot);
    }
    let best = |times: &[std::time::Duration]| times.iter().min().copied().unwrap_or_default();
    println!(
        "whole check in process (best of {runs}): load {:.1?}, check --format json {:.1?} ({:.2}x the load; report {:.1} MiB); peak heap: load {:.1} MiB ({:.2}x the file), check {:.1} MiB ({:.2}x the file)",
        best(&load),
        best(&check),
        best(&check).as_secs_f64() / best(&load).as_secs_f64(),
        mib(report_size as usize),
        mib(load_peak),
        load_peak as f64 / file_size as f64,
        mib(check_peak),
        check_peak as f64 / file_size as f64,
    );
    println!(
        "  heap once evaluated: live {:.1} MiB (the snapshot and the findings), peak {:.1} MiB",
        mib(evaluated.0),
        mib(evaluated.1)
    );

    let (mut load, mut check) = (Vec::new(), Vec::new());
    let this = std::env::current_exe().expect("this benchmark's path");
    for _ in 0..runs {
        let started = Instant::now();
        let status = std::process::Command::new(&this)
            .arg("--load-only")
            .arg(path)
            .status()
            .expect("the load runs");
        assert!(status.success());
        load.push(started.elapsed());
        let _ = std::fs::remove_file(&report);
        let started = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_ssoaudit"))
            .arg("check")
            .arg("--snapshot")
            .arg(path)
            .args([
                "--format",
                "json",
                "--now",
                "2026-11-28T00:00:00Z",
                "--output",
            ])
            .arg(&report)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("ssoaudit check runs");
        // Exit code 1: findings at or above the threshold, as expected here.
        assert_eq!(status.code(), Some(1));
        check.push(started.elapsed());
    }
    println!(
        "whole check as processes (best of {runs}): load {:.1?}, `ssoaudit check --format json` {:.1?} ({:.2}x the load)",
        best(&load),
        best(&check),
        best(&check).as_secs_f64() / best(&load).as_secs_f64(),
    );
    let _ = std::fs::remove_file(&report);
}
