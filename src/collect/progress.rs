//! Progress of a scan on stderr: one updating line on a terminal, plain log lines otherwise,
//! nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Default)]
pub struct Counters {
    pub accounts: AtomicU64,
    pub permission_sets: AtomicU64,
    pub users: AtomicU64,
    pub groups: AtomicU64,
    pub assignments: AtomicU64,
    pub calls: AtomicU64,
    /// Attempts after a call's first (throttled or faulted).
    pub retries: AtomicU64,
    pub throttles: AtomicU64,
}

pub struct Progress {
    pub counters: Arc<Counters>,
    quiet: bool,
    terminal: bool,
    done: Arc<AtomicBool>,
}

impl Progress {
    pub fn start(quiet: bool) -> Progress {
        let terminal = !quiet && std::io::stderr().is_terminal();
        let progress = Progress {
            counters: Arc::new(Counters::default()),
            quiet,
            terminal,
            done: Arc::new(AtomicBool::new(false)),
        };
        if terminal {
            let counters = progress.counters.clone();
            let done = progress.done.clone();
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    eprint!("\r\x1b[2K{}", line(&counters));
                    let _ = std::io::stderr().flush();
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            });
        }
        progress
    }

    /// A log line (a phase finished, a gap): on a terminal above the progress line.
    pub fn note(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.terminal {
            eprintln!("\r\x1b[2K{text}");
        } else {
            eprintln!("scan: {text}");
        }
    }

    pub fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
        if self.terminal {
            eprintln!("\r\x1b[2K{}", line(&self.counters));
        } else if !self.quiet {
            eprintln!("scan: done: {}", line(&self.counters));
        }
    }
}

fn line(c: &Counters) -> String {
    format!(
        "{} accounts, {} permission sets, {} users, {} groups, {} assignments; {} calls, {} retries, {} throttled",
        c.accounts.load(Ordering::Relaxed),
        c.permission_sets.load(Ordering::Relaxed),
        c.users.load(Ordering::Relaxed),
        c.groups.load(Ordering::Relaxed),
        c.assignments.load(Ordering::Relaxed),
        c.calls.load(Ordering::Relaxed),
        c.retries.load(Ordering::Relaxed),
        c.throttles.load(Ordering::Relaxed),
    )
}
