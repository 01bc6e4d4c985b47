//! Benchmark: ingestion of a trail-log folder of at least 2 GB uncompressed (200,000 users'
//! worth of sign-ins, role use and other management events, one .json.gz per hour), next to
//! `zcat` of the same files to /dev/null (the decompression limit) and DuckDB's `read_json`
//! aggregating the same sign-ins (PyPI duckdb, installed into .venv-bench on first use).
//!
//! Run: `cargo bench --bench ingest` (`-- --gigabytes 0.2` for a smaller folder).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const DUCKDB: &str = "duckdb==2.0.1";

/// Runs a command under /usr/bin/time; returns (seconds, peak RSS in MiB, stdout).
fn measured(command: &mut Command) -> (f64, f64, String) {
    let started = Instant::now();
    let output = command.output().expect("command runs");
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "failed: {stderr}");
    let rss_kib: f64 = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("MAXRSS "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (
        seconds,
        rss_kib / 1024.0,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn timed(program: &str) -> Command {
    let mut command = Command::new("/usr/bin/time");
    command.args(["-f", "MAXRSS %M", program]);
    command
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let gigabytes: f64 = args
        .iter()
        .position(|a| a == "--gigabytes")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let target = (gigabytes * 1e9) as u64;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("ssoaudit-ingest-bench-{gigabytes}"));
    let marker = dir.join("complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let (files, records, bytes) =
            ssoaudit_generate::write_benchmark_logs(&dir.join("logs"), 200_000, 90, target)
                .expect("logs written");
        std::fs::write(&marker, format!("{files} {records} {bytes}")).unwrap();
        eprintln!("generated in {:.1?}", started.elapsed());
    }
    let summary = std::fs::read_to_string(&marker).unwrap();
    let parts: Vec<u64> = summary
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let (files, records, bytes) = (parts[0], parts[1], parts[2]);
    let logs = dir.join("logs");
    println!(
        "log folder: {files} files, {records} records, {:.2} GB uncompressed, {:.2} GB compressed",
        bytes as f64 / 1e9,
        du(&logs) as f64 / 1e9
    );

    let base = dir.join("base.json");
    std::fs::write(
        &base,
        ssoaudit_generate::reference_without_events(ssoaudit_generate::Variant::Compliant)
            .to_canonical_json(),
    )
    .unwrap();
    let out = dir.join("out.json");
    let (ours, ours_rss, _) = measured(
        timed(env!("CARGO_BIN_EXE_ssoaudit"))
            .args(["snapshot", "--quiet", "--base"])
            .arg(&base)
            .arg("--cloudtrail-logs")
            .arg(&logs)
            .arg("-o")
            .arg(&out),
    );
    let snapshot = ssoaudit::snapshot::Snapshot::load(&out).expect("snapshot written");
    println!(
        "ssoaudit: {ours:.1} s, {:.0} records/s, {:.0} MB/s, peak RSS {ours_rss:.0} MiB ({} users summarized, {} role-use rows, {} failures)",
        records as f64 / ours,
        bytes as f64 / 1e6 / ours,
        snapshot.events.users.len(),
        snapshot.events.role_uses.len(),
        snapshot.events.failures.len()
    );

    let glob = format!("find '{}' -name '*.json.gz' -print0", logs.display());
    for (label, parallel) in [("zcat, 1 process", "1"), ("zcat, 2 processes", "2")] {
        let (seconds, rss, _) = measured(timed("bash").args([
            "-c",
            &format!("{glob} | xargs -0 -n 64 -P {parallel} zcat > /dev/null"),
        ]));
        println!(
            "{label}: {seconds:.1} s ({:.0} MB/s); ssoaudit / this = {:.2}",
            bytes as f64 / 1e6 / seconds,
            ours / seconds
        );
        let _ = rss;
    }

    let venv = root.join(".venv-bench");
    if !venv.join("bin/python").exists() {
        assert!(
            Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .unwrap()
                .success()
        );
    }
    if !Command::new(venv.join("bin/python"))
        .args(["-c", "import duckdb"])
        .status()
        .unwrap()
        .success()
    {
        eprintln!("installing {DUCKDB} into {}", venv.display());
        assert!(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", DUCKDB])
                .status()
                .unwrap()
                .success()
        );
    }
    let query = format!(
        r#"
import duckdb
con = duckdb.connect()
con.execute("SET threads=2")
con.execute("SET enable_progress_bar=false")
rows = con.execute('''
WITH r AS (
  SELECT unnest(Records) AS e
  FROM read_json('{}/**/*.json.gz', columns={{'Records': 'JSON[]'}}, maximum_object_size=268435456, format='auto')
)
SELECT json_extract_string(e, '$.userIdentity.onBehalfOf.userId') AS u,
       max(json_extract_string(e, '$.eventTime')) AS last_sign_in,
       max(CASE WHEN json_extract_string(e, '$.additionalEventData.CredentialType') = 'PASSWORD'
           THEN json_extract_string(e, '$.eventTime') END) AS last_without_mfa
FROM r
WHERE json_extract_string(e, '$.eventName') = 'UserAuthentication'
GROUP BY u
''').fetchall()
print(len(rows))
"#,
        logs.display()
    );
    let (duck, duck_rss, stdout) =
        measured(timed(venv.join("bin/python").to_str().unwrap()).args(["-c", &query]));
    println!(
        "duckdb read_json (sign-in aggregation only, 2 threads): {duck:.1} s, peak RSS {duck_rss:.0} MiB, {} users; ssoaudit is {:.2}x faster",
        stdout.trim(),
        duck / ours
    );
}

fn du(path: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![path.to_path_buf()];
    while let Some(p) = pending.pop() {
        for entry in std::fs::read_dir(&p).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}
