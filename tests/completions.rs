//! Shell completions and the manual page, generated from the argument definitions.

mod common;

use common::*;

/// Every subcommand, and an option of each, taken from `--help` (not from the generators).
fn subcommands() -> Vec<String> {
    let help = run(&["--help"]).stdout;
    let commands: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 8, "{commands:?}");
    commands
}

#[test]
fn completion_scripts_know_every_subcommand_and_are_valid_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        for command in subcommands() {
            assert!(out.stdout.contains(&command), "{shell}: {command}");
        }
        for option in ["snapshot", "fail-on"] {
            let spelled = if shell == "fish" {
                format!("-l {option}")
            } else {
                format!("--{option}")
            };
            assert!(out.stdout.contains(&spelled), "{shell}: {spelled}");
        }
    }
    // The bash script parses.
    let script = temp_dir("completions").join("ssoaudit.bash");
    std::fs::write(&script, run(&["completions", "bash"]).stdout).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    let unknown = run(&["completions", "tcsh"]);
    assert_eq!(unknown.code, 2);
}

#[test]
fn the_man_page_documents_every_subcommand_and_renders_cleanly() {
    let out = run(&["man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(".TH ssoaudit 1"), "a roff page");
    for command in subcommands() {
        assert!(
            out.stdout
                .contains(&format!(".SH \"SSOAUDIT {}\"", command.to_uppercase())),
            "{command}"
        );
    }
    for option in ["\\-\\-snapshot", "\\-\\-fail\\-on", "\\-\\-time\\-budget"] {
        assert!(out.stdout.contains(option), "{option}");
    }
    // groff reads it without a warning.
    let page = temp_dir("man").join("ssoaudit.1");
    std::fs::write(&page, &out.stdout).unwrap();
    let groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&page)
        .output()
        .expect("groff is installed");
    assert!(groff.status.success());
    assert!(
        groff.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&groff.stderr)
    );
}
