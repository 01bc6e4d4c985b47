//! Benchmark: ingestion of trail-log folders of at least 2 GB uncompressed each, in two shapes
//! (a mixed trail where three records in ten are sign-ins or role use, and a sign-in-dense one
//! where every record is: an IdC-heavy organization, or a trail filtered to the IdC events),
//! each next to `zcat` of the same files to /dev/null with one process and with one per core
//! (the decompression limit), and DuckDB's `read_json` with a typed schema and as many threads as
//! ssoaudit uses, doing the same aggregation (users signed in, single-factor sign-ins, last use
//! per user, account and permission set); the counts of both are compared.
//!
//! Run: `cargo bench --bench ingest` (`-- --gigabytes 0.2` for smaller folders, `-- --shape
//! dense` or `mixed` for one shape). DuckDB comes from PyPI (installed into .venv-bench on
//! first use).

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

/// The Python of the benchmark's DuckDB.
fn duckdb_python(root: &Path) -> std::path::PathBuf {
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
    venv.join("bin/python")
}

/// The aggregation, in DuckDB over the typed fields it needs: users signed in, single-factor
/// sign-ins, (user, account, permission set) last uses. Prints the three counts.
const DUCKDB_QUERY: &str = r#"
import sys
import duckdb
logs, threads = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute("SET enable_progress_bar=false")
con.execute(f"""
CREATE TEMP TABLE r AS
SELECT e.eventName AS name, e.eventTime AS time, e.errorCode AS error,
       e.userIdentity.onBehalfOf.userId AS u, e.additionalEventData.CredentialType AS credential,
       e.serviceEventDetails.UserAuthentication AS outcome,
       e.serviceEventDetails.account_id AS account, e.serviceEventDetails.role_name AS role
FROM (
  SELECT unnest(Records) AS e
  FROM read_json('{logs}/**/*.json.gz', format='auto', maximum_object_size=268435456,
    columns={{'Records': 'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR,
      errorCode VARCHAR, userIdentity STRUCT(onBehalfOf STRUCT(userId VARCHAR)),
      additionalEventData STRUCT(CredentialType VARCHAR),
      serviceEventDetails STRUCT(UserAuthentication VARCHAR, account_id VARCHAR, role_name VARCHAR))[]'}})
)
WHERE e.eventSource IN ('signin.amazonaws.com', 'sso.amazonaws.com')
""")
users, single = con.execute("""
SELECT count(DISTINCT u), count(*) FILTER (WHERE coalesce(credential, '') NOT LIKE '%TOTP%'
       AND coalesce(credential, '') NOT LIKE '%WEBAUTHN%' AND coalesce(credential, '') NOT LIKE '%EXTERNAL_IDP%')
FROM r WHERE name = 'UserAuthentication' AND outcome = 'Success'
""").fetchone()
uses = con.execute("""
SELECT count(*) FROM (SELECT u, account, role, max(time) FROM r
  WHERE name = 'GetRoleCredentials' AND error IS NULL GROUP BY ALL)
""").fetchone()[0]
print(users, single, uses)
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let gigabytes: f64 = value("--gigabytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let only = value("--shape");
    let shapes: Vec<(&str, ssoaudit_generate::LogShape)> = [
        ("mixed", ssoaudit_generate::LogShape::Mixed),
        ("dense", ssoaudit_generate::LogShape::SignInDense),
    ]
    .into_iter()
    .filter(|(name, _)| only.as_deref().is_none_or(|s| s == *name))
    .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = duckdb_python(root);
    println!("{threads} cores: ssoaudit reads with {threads} threads, DuckDB runs with {threads}");
    let mut summary = Vec::new();
    for (name, shape) in shapes {
        summary.push(bench_shape(name, shape, gigabytes, threads, &python));
    }
    println!();
    for line in summary {
        println!("{line}");
    }
}

/// Generates (once) and measures one shape; returns its summary line.
fn bench_shape(
    name: &str,
    shape: ssoaudit_generate::LogShape,
    gigabytes: f64,
    threads: usize,
    python: &Path,
) -> String {
    let target = (gigabytes * 1e9) as u64;
    let dir = std::env::temp_dir().join(format!("ssoaudit-ingest-bench-{name}-{gigabytes}"));
    let marker = dir.join("complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let (files, records, bytes) =
            ssoaudit_generate::write_shaped_logs(&dir.join("logs"), 200_000, 90, target, shape)
                .expect("logs written");
        std::fs::write(&marker, format!("{files} {records} {bytes}")).unwrap();
        eprintln!("{name}: generated in {:.1?}", started.elapsed());
    }
    let summary = std::fs::read_to_string(&marker).unwrap();
    let parts: Vec<u64> = summary
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let (files, records, bytes) = (parts[0], parts[1], parts[2]);
    let logs = dir.join("logs");
    println!(
        "\n{name}: {files} files, {records} records, {:.2} GB uncompressed, {:.2} GB compressed",
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
    let events = &snapshot.events;
    let signed_in = events
        .users
        .iter()
        .filter(|u| u.last_sign_in.is_some())
        .count() as u64;
    let single_factor: u64 = events.users.iter().map(|u| u.sign_ins_without_mfa).sum();
    let uses = events.role_uses.len() as u64;
    println!(
        "ssoaudit: {ours:.2} s, {:.0} records/s, {:.0} MB/s, peak RSS {ours_rss:.0} MiB ({signed_in} users signed in, {single_factor} single-factor sign-ins, {uses} role-use rows, {} failures)",
        records as f64 / ours,
        bytes as f64 / 1e6 / ours,
        events.failures.len()
    );

    let glob = format!("find '{}' -name '*.json.gz' -print0", logs.display());
    let mut zcat_parallel = f64::NAN;
    for parallel in [1, threads] {
        let (seconds, _, _) = measured(timed("bash").args([
            "-c",
            &format!("{glob} | xargs -0 -n 16 -P {parallel} zcat > /dev/null"),
        ]));
        zcat_parallel = seconds;
        println!(
            "zcat, {parallel} process(es): {seconds:.2} s ({:.0} MB/s); ssoaudit / this = {:.2}",
            bytes as f64 / 1e6 / seconds,
            ours / seconds
        );
    }

    let (duck, duck_rss, stdout) = measured(
        timed(python.to_str().unwrap())
            .args(["-c", DUCKDB_QUERY])
            .arg(&logs)
            .arg(threads.to_string()),
    );
    let counts: Vec<u64> = stdout
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let agree = counts == [signed_in, single_factor, uses];
    println!(
        "duckdb read_json, typed, {threads} threads: {duck:.2} s, peak RSS {duck_rss:.0} MiB ({} users signed in, {} single-factor sign-ins, {} role-use rows: {}); ssoaudit is {:.2}x faster",
        counts[0],
        counts[1],
        counts[2],
        if agree {
            "the same as ssoaudit"
        } else {
            "DIFFERENT from ssoaudit"
        },
        duck / ours
    );
    assert!(agree, "DuckDB and ssoaudit disagree on the {name} trail");
    format!(
        "{name}: ssoaudit {ours:.2} s = {:.2}x zcat on {threads} processes (target <= 1.5); DuckDB {duck:.2} s = {:.2}x ssoaudit (target >= 3); ssoaudit peak RSS {ours_rss:.0} MiB",
        ours / zcat_parallel,
        duck / ours
    )
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
