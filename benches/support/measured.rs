//! What the benchmarks that run the binary share.

use std::process::Command;
use std::time::Instant;

/// Runs the binary under /usr/bin/time; returns (seconds, peak RSS in MiB).
pub fn measured(args: &[&str]) -> (f64, f64) {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "MAXRSS %M", env!("CARGO_BIN_EXE_ssoaudit")])
        .args(args)
        .output()
        .expect("ssoaudit runs");
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // diff exits 1 when access grew; check 1 on findings, 3 on gaps.
    assert!(
        matches!(output.status.code(), Some(0 | 1 | 3)),
        "ssoaudit {args:?} failed: {stderr}"
    );
    let rss: f64 = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("MAXRSS "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (seconds, rss / 1024.0)
}
