//! Mutation fuzzing of every parser of outside input: snapshot files, rule files (YAML and
//! CEL), stack YAML, trail log files and records, suppression files. Inputs are the seed corpus
//! (the fixtures, the rule pack, tests/fuzz_corpus) mutated at random (bit flips, interesting
//! bytes, deletions, duplications, dictionary tokens, truncation, splicing). A panic is a
//! failure and its input is written to `target/fuzz-crashes/`; errors are the expected outcome
//! of bad input.
//!
//! CI runs every target for a couple of seconds. A long run of one target:
//!
//!     FUZZ_SECONDS=600 cargo test --profile bench --test fuzz -- --nocapture stack_yaml

mod common;

use common::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// xorshift64*: reproducible from the seed printed at the start of a run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b"{}[]\":,\n &*!-#|>'\\\t0 1.-e\xff\xc3\x00";
const TOKENS: &[&str] = &[
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "*",
    "&a",
    "*a",
    "<<: *a",
    "!terraform.output x y",
    "{{ .x }}",
    "\"Effect\"",
    "\"Action\"",
    "\"NotAction\"",
    "\"Records\"",
    "schema_version",
    "condition: ",
    "check: events",
    "params:",
    "kind: ",
    "---",
    "%",
    "\u{1F600}",
    "9999999999999999999999",
    "-1",
    "1e309",
    "\"eventTime\": \"2026-13-45T99:99:99Z\"",
    "permission_set.",
    "now - days(",
    "size(",
    ".exists(x, ",
    "\"userIdentity\": {}",
];

fn mutate(seed: &[u8], other: &[u8], random: &mut Random) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + random.below(4) {
        let len = data.len();
        match random.below(8) {
            0 if len > 0 => {
                let i = random.below(len);
                data[i] ^= 1 << random.below(8);
            }
            1 if len > 0 => {
                let i = random.below(len);
                data[i] = INTERESTING[random.below(INTERESTING.len())];
            }
            2 if len > 0 => {
                let start = random.below(len);
                let end = (start + 1 + random.below(64)).min(len);
                data.drain(start..end);
            }
            3 if len > 0 => {
                let start = random.below(len);
                let end = (start + 1 + random.below(64)).min(len);
                let copy: Vec<u8> = data[start..end].to_vec();
                let at = random.below(len);
                data.splice(at..at, copy);
            }
            4 => {
                let token = TOKENS[random.below(TOKENS.len())].as_bytes();
                let at = random.below(len + 1);
                data.splice(at..at, token.iter().copied());
            }
            5 if len > 0 => data.truncate(random.below(len)),
            6 if !other.is_empty() && len > 0 => {
                let cut = random.below(len);
                let from = random.below(other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            _ => {
                let at = random.below(len + 1);
                data.insert(at, INTERESTING[random.below(INTERESTING.len())]);
            }
        }
    }
    data
}

fn seeds(paths: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for path in paths {
        let path = root().join(path);
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files.into_iter().take(12) {
                out.push(std::fs::read(file).unwrap());
            }
        } else {
            out.push(std::fs::read(&path).unwrap());
        }
    }
    out
}

/// Runs `parse` on every seed and on mutations of them for the target's time.
fn fuzz(name: &str, seed_paths: &[&str], parse: &dyn Fn(&[u8])) {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let seed_value = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64 ^ name.len() as u64);
    let corpus = seeds(seed_paths);
    assert!(!corpus.is_empty(), "{name}: no seeds");
    let mut random = Random(seed_value | 1);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    let check = |input: &[u8], runs: u64| {
        if catch_unwind(AssertUnwindSafe(|| parse(input))).is_err() {
            let dir = root().join("target/fuzz-crashes");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{name}-{runs}"));
            std::fs::write(&file, input).unwrap();
            panic!("{name}: the parser panicked on {}", file.display());
        }
    };
    for seed in &corpus {
        check(seed, runs);
        runs += 1;
    }
    while Instant::now() < deadline {
        let seed = &corpus[random.below(corpus.len())];
        let other = &corpus[random.below(corpus.len())];
        let input = mutate(seed, other, &mut random);
        check(&input, runs);
        runs += 1;
    }
    eprintln!("{name}: {runs} inputs in {seconds} s (seed {seed_value}), no panic");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn snapshot_loader() {
    fuzz(
        "snapshot",
        &["fixtures/reference-compliant.snapshot.json"],
        &|bytes| {
            let _ = ssoaudit::snapshot::Snapshot::from_slice(bytes, "fuzz.json");
        },
    );
}

#[test]
fn rule_files() {
    fuzz("rule_file", &["rules", "tests/rule_cases"], &|bytes| {
        let source = ssoaudit::rules::RuleSource {
            path: "fuzz.yaml".into(),
            text: text(bytes),
            builtin: false,
        };
        let _ = ssoaudit::rules::load(std::slice::from_ref(&source));
    });
}

#[test]
fn stack_yaml() {
    fuzz(
        "stack_yaml",
        &["fixtures/stacks", "fixtures/cloudposse"],
        &|bytes| {
            let _ = ssoaudit::desired::DesiredState::parse(&text(bytes), "fuzz.yaml");
        },
    );
}

#[test]
fn trail_logs() {
    fuzz(
        "trail_log",
        &[
            "fixtures/cloudtrail/real/stratus-red-team-detonation-logs",
            "fixtures/cloudtrail/idc-signin.legacy-2022.json",
            "fixtures/cloudtrail/s3-log-object.SYNTHETIC.json",
        ],
        &|bytes| {
            if let Ok(records) = ssoaudit::events::trail_logs::records_of(bytes) {
                let mut events = Vec::new();
                for raw in records {
                    if let Ok(record) = serde_json::from_str::<serde_json::Value>(raw.get())
                        && let Ok(Some(event)) = ssoaudit::events::normalize::normalize(&record)
                    {
                        events.push(event);
                    }
                }
                let mut ingest = ssoaudit::events::Ingest::default();
                if ingest.add(events).is_ok() {
                    let _ = ingest.finish(Vec::new());
                }
            }
        },
    );
}

#[test]
fn suppression_files() {
    fuzz("suppressions", &["tests/fuzz_corpus"], &|bytes| {
        let _ = ssoaudit::suppress::parse(&text(bytes), "fuzz.yaml");
    });
}

#[test]
fn policy_documents() {
    fuzz(
        "policy",
        &[
            "fixtures/cloudtrail/s3-log-object.SYNTHETIC.json",
            "tests/fuzz_corpus",
        ],
        &|bytes| {
            if let Ok(document) = serde_json::from_slice::<serde_json::Value>(bytes) {
                let catalog = ssoaudit::iam::catalog::Catalog::get();
                if let Ok(statements) = ssoaudit::iam::evaluate::statements(&document, catalog) {
                    let analysis = ssoaudit::iam::evaluate::Analysis::new(
                        vec![ssoaudit::iam::evaluate::Policy {
                            label: "fuzz".into(),
                            role: ssoaudit::iam::evaluate::Role::Grants,
                            statements,
                        }],
                        Vec::new(),
                        Vec::new(),
                    );
                    let _ = ssoaudit::iam::capabilities::of(&analysis);
                    let _ = analysis.decide("iam:PassRole");
                }
            }
        },
    );
}
