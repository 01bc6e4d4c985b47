//! The README's figures come from the program: its main example is run as written, and the
//! summary line and exit code it states are checked, so they cannot go stale.

mod common;

use common::*;

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The arguments of the README's "Run the main job" command (after `cargo run --release --`).
fn main_job(readme: &str) -> Vec<String> {
    let line = readme
        .lines()
        .skip_while(|l| !l.starts_with("# Run the main job"))
        .nth(1)
        .expect("the README shows the main job");
    let (_, args) = line
        .split_once("cargo run --release -- ")
        .expect("the main job runs the binary");
    args.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_readme_main_example_prints_what_the_readme_says() {
    let readme = readme();
    let args = main_job(&readme);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    let summary = out.stdout.lines().last().expect("a summary line");
    assert!(
        readme.contains(&format!("`{summary}`")),
        "the README must quote the summary line the main example prints: `{summary}`"
    );
    let stated = readme
        .split_once("and exits with code ")
        .and_then(|(_, rest)| rest.chars().next())
        .and_then(|c| c.to_digit(10))
        .expect("the README states the exit code");
    assert_eq!(out.code, stated as i32, "{}", out.stderr);

    // With every member account read, nothing is incomplete.
    assert_eq!(stated, 1);
    assert!(!out.stdout.contains("incomplete:"), "{}", out.stdout);

    // The second example: one account refused the member role. Each gap once, naming the
    // account; exit 3.
    let refused = "fixtures/reference-violating-member-refused.snapshot.json";
    assert!(readme.contains(&format!("`{refused}`, exits with code 3")));
    let mut second: Vec<&str> = args.clone();
    let at = second
        .iter()
        .position(|a| a.ends_with(".snapshot.json"))
        .unwrap();
    second[at] = refused;
    let out = run(&second);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let gaps: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("incomplete:"))
        .collect();
    let distinct: std::collections::BTreeSet<&str> = gaps.iter().copied().collect();
    assert_eq!(gaps.len(), distinct.len());
    assert!(!gaps.is_empty());
    assert!(
        gaps.iter().all(|g| g.contains("100000000010")),
        "every gap names the refusing account: {gaps:#?}"
    );
    assert!(gaps.iter().any(|g| g.contains("sts:AssumeRole")));

    // The table's one-line summary quoted under "Output formats" is the same line.
    let formats = readme
        .split_once("- **table** (default)")
        .map(|(_, rest)| rest)
        .unwrap();
    let quoted = formats
        .split_once("(`")
        .and_then(|(_, rest)| rest.split_once("`)"))
        .map(|(line, _)| line)
        .unwrap();
    assert!(summary.starts_with(quoted), "{quoted} / {summary}");
}

#[test]
fn the_readme_compliant_example_is_clean() {
    let readme = readme();
    assert!(readme.contains(
        "`fixtures/reference-compliant.snapshot.json` is the same organization done right: no findings,\nexit code 0."
    ));
    let args = main_job(&readme);
    let args: Vec<&str> = args
        .iter()
        .map(|a| {
            if a.ends_with("reference-violating.snapshot.json") {
                COMPLIANT
            } else {
                a.as_str()
            }
        })
        .collect();
    let out = run(&args);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.starts_with("no findings;"), "{}", out.stdout);
}
