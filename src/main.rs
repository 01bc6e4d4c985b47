//! The `ssoaudit` command: parses arguments, runs a command, and maps its outcome to the
//! documented exit code in one place.

mod cli;

/// Ingestion and evaluation allocate many small strings from several threads: mimalloc frees
/// them without the system allocator's consolidation passes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// Declared here: the bindings of libmimalloc-sys name no purge-delay option.
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// `mi_option_purge_delay` in mimalloc's option enumeration (v3, the version built).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// A command runs once and exits, so what it holds at its peak is not wanted back before then:
/// pages mimalloc frees are kept for reuse rather than returned to the system and zeroed again
/// by it on the next touch (the check of the benchmark organization spent a fifth of its time
/// there). The cost is a resident size that stays at its peak until the process exits. An
/// explicit `MIMALLOC_PURGE_DELAY` in the environment is left as given.
fn keep_freed_pages() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mimalloc's options are plain integers read and set atomically.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// mimalloc's purge delay now (milliseconds; -1 never purges).
#[cfg(test)]
fn purge_delay() -> std::ffi::c_long {
    // SAFETY: as in `keep_freed_pages`.
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

use clap::Parser;
use cli::{
    AccessArgs, AccessFormat, CheckArgs, CheckFormat, Cli, Command, DiffArgs, DiffFormat, Format,
    HistoryArgs, HistoryFormat, PermissionSetArgs, RuleSelection, RulesCommand, ScanArgs,
    SnapshotArgs,
};
use ssoaudit::engine;
use ssoaudit::evidence::{self, EvidenceError};
use ssoaudit::outcome::{self, Outcome};
use ssoaudit::report::{self, ReportInput};
use ssoaudit::snapshot::Snapshot;
use ssoaudit::suppress;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// A failure that ends the run with exit code 2, after printing its message.
struct InputError(String);

impl<E: std::fmt::Display> From<E> for InputError {
    fn from(error: E) -> Self {
        InputError(error.to_string())
    }
}

fn main() -> ExitCode {
    keep_freed_pages();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check(*args),
        Command::Snapshot(args) => snapshot(*args),
        Command::Diff(args) => diff(args),
        Command::Access(args) => access(*args),
        Command::PermissionSet(args) => permission_set(*args),
        Command::History(args) => history(*args),
        Command::Rules(RulesCommand::List { selection, format }) => load_rules(&selection)
            .and_then(|rules| {
                let text = match format {
                    Format::Json => report::rules::json(&rules),
                    _ => report::rules::table(&rules),
                };
                emit(None, &text).map(|()| Outcome::Clean)
            }),
        Command::Rules(RulesCommand::Explain { id, selection }) => explain_rule(&id, &selection),
        Command::Rules(RulesCommand::Fields) => {
            emit(None, &ssoaudit::subjects::field_reference()).map(|()| Outcome::Clean)
        }
        Command::Completions { shell } => {
            emit(None, &cli::completions(shell)).map(|()| Outcome::Clean)
        }
        Command::Man => cli::man_page()
            .map_err(InputError::from)
            .and_then(|page| write_to(None, |out| out.write_all(&page)))
            .map(|()| Outcome::Clean),
    };
    // The one place an outcome becomes an exit code.
    let outcome = outcome.unwrap_or_else(|InputError(message)| {
        eprintln!("error: {message}");
        Outcome::InputError
    });
    ExitCode::from(outcome.exit_code())
}

fn load_rules(selection: &RuleSelection) -> Result<Vec<ssoaudit::rules::Rule>, InputError> {
    Ok(ssoaudit::rules::load_selection(
        &selection.rules,
        selection.no_builtin,
    )?)
}

fn check(args: CheckArgs) -> Result<Outcome, InputError> {
    ssoaudit::iam::warm_catalogs();
    let flags = ssoaudit::config::CheckSettings {
        rules: args.selection.rules.clone(),
        no_builtin: args.selection.no_builtin,
        desired: args.desired.clone(),
        suppressions: args.suppressions.clone(),
        baseline: args.baseline.clone(),
        fail_on: args
            .fail_on
            .as_deref()
            .map(cli::parse_fail_on)
            .transpose()?,
    };
    let now = cli::parse_now(args.scan.now.as_deref())?;
    let dir = std::env::current_dir()?;
    let config = (args.config.as_deref(), args.no_config, dir.as_path());
    let inputs = ssoaudit::config::check_inputs(flags, config, &args.only, &args.skip)?;
    for note in &inputs.notes {
        eprintln!("note: {note}");
    }
    let (rules, fail_on) = (&inputs.rules, inputs.fail_on);
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => scan_with(&args.scan, inputs.member_role.clone())?,
    };
    let previous = args.previous.as_deref().map(Snapshot::load).transpose()?;

    let mut evaluation = engine::evaluate_with(
        &snapshot,
        rules,
        now,
        inputs.desired.as_ref(),
        args.unused_days,
        previous.as_ref(),
    );
    suppress::apply(
        &mut evaluation.findings,
        &inputs.suppressions,
        now.date_naive(),
    );
    if let Some(baseline) = &inputs.baseline {
        evaluation.baseline = Some(ssoaudit::baseline::apply(
            &mut evaluation.findings,
            baseline,
        ));
    }

    let history = match &args.history {
        Some(_) if args.format != CheckFormat::Html => {
            return Err(InputError(
                "--history plots the runs in the HTML report: use it with --format html (or run `ssoaudit history DIR`)".into(),
            ));
        }
        Some(dir) => {
            let rules = load_rules(&args.selection)?;
            Some(ssoaudit::history::build(
                std::slice::from_ref(dir),
                &rules,
                &Default::default(),
            )?)
        }
        None => None,
    };
    let input = ReportInput {
        evaluation: &evaluation,
        rules,
        fail_on,
        snapshot_source: &snapshot.metadata.source,
        captured_at: &snapshot.metadata.captured_at,
        now,
        region: &snapshot.metadata.region,
        management_account_id: &snapshot.organization.management_account_id,
        history: history.as_ref(),
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let terminal = report::Terminal {
        colour: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        width: std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|_| to_terminal),
    };
    // The report goes straight to its destination (a file is replaced only once complete): a
    // large organization's report is never held in memory a second time.
    let format = args.format.into();
    let write = |out: &mut dyn Write| report::write(format, &input, &snapshot, terminal, out);
    write_to(args.output.as_deref(), write)?;
    if let Some(dir) = &args.security_lake {
        if args.security_lake_source.is_empty() || args.security_lake_source.len() > 20 {
            return Err(InputError(format!(
                "--security-lake-source takes a name of 1 to 20 characters, not `{}`",
                args.security_lake_source
            )));
        }
        let files = report::parquet::security_lake(&input, dir, &args.security_lake_source)?;
        eprintln!(
            "wrote {} OCSF Parquet file{} under {}",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            dir.display()
        );
    }
    if args.format != CheckFormat::Table || args.output.is_some() {
        eprintln!("{}", report::summary_line(&input));
    }
    for error in &evaluation.errors {
        eprintln!("error: {error}");
    }
    if let Some(line) = report::gaps_line(&evaluation, args.allow_gaps) {
        eprintln!("{line}");
    }
    let outcome = outcome::of_check(&evaluation, fail_on, args.allow_gaps);
    // The process ends here: freeing the findings and the snapshot piece by piece would only
    // delay it.
    std::mem::forget(evaluation);
    std::mem::forget(snapshot);
    Ok(outcome)
}

/// Reads the event sources the command line names into the snapshot.
fn add_events(snapshot: &mut Snapshot, args: &ScanArgs) -> Result<(), InputError> {
    let sources = args.sources()?;
    evidence::add(snapshot, &sources, &args.options()).map_err(|error| match error {
        EvidenceError::Scan(error) => InputError(error.explain(args.verbose)),
        EvidenceError::Input(message) => InputError(message),
    })
}

/// Scans the organization live.
fn scan(args: &ScanArgs) -> Result<Snapshot, InputError> {
    scan_with(args, None)
}

/// Scans live, with the configuration file's member role when the command line gives none.
fn scan_with(
    args: &ScanArgs,
    member_role: Option<ssoaudit::collect::member::MemberRoleSpec>,
) -> Result<Snapshot, InputError> {
    let mut options = args.options();
    options.member_role = options.member_role.or(member_role);
    let mut snapshot = evidence::runtime()?
        .block_on(ssoaudit::collect::scan(&options))
        .map_err(|e| InputError(e.explain(args.verbose)))?;
    add_events(&mut snapshot, args)?;
    Ok(snapshot)
}

fn snapshot(args: SnapshotArgs) -> Result<Outcome, InputError> {
    let mut snapshot = match &args.base {
        Some(base) => {
            let mut snapshot = Snapshot::load(base)?;
            add_events(&mut snapshot, &args.scan)?;
            snapshot
        }
        None => match &args.incremental {
            Some(previous) => {
                let base = Snapshot::load(previous)?;
                let mut options = args.scan.options();
                options.changes_margin = Some(args.changes_margin);
                let mut snapshot = evidence::runtime()?
                    .block_on(ssoaudit::collect::scan_incremental(&options, &base))
                    .map_err(|e| InputError(e.explain(args.scan.verbose)))?;
                drop(base);
                add_events(&mut snapshot, &args.scan)?;
                snapshot
            }
            None => scan(&args.scan)?,
        },
    };
    let writing = std::time::Instant::now();
    ssoaudit::output::write_durably_to(args.output.as_deref(), |out| {
        snapshot.write_canonical(out)
    })?;
    if !args.scan.quiet && args.output.is_some() {
        eprintln!("snapshot written in {:.1?}", writing.elapsed());
    }
    if !snapshot.gaps.is_empty() {
        eprintln!(
            "warning: {} part(s) could not be read and are recorded as collection gaps in the snapshot",
            snapshot.gaps.len()
        );
    }
    // The process ends here: freeing a large snapshot piece by piece would only delay it.
    std::mem::forget(snapshot);
    Ok(Outcome::Clean)
}

/// Writes to the file given with `-o` (replaced only once complete), or to standard output.
fn write_to(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), InputError> {
    Ok(ssoaudit::output::write_to(output, write)?)
}

fn emit(output: Option<&std::path::Path>, text: &str) -> Result<(), InputError> {
    write_to(output, |out| out.write_all(text.as_bytes()))
}

fn history(args: HistoryArgs) -> Result<Outcome, InputError> {
    ssoaudit::iam::warm_catalogs();
    let rules = load_rules(&args.selection)?;
    let since = args
        .since
        .as_deref()
        .map(|text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
                })
                .map_err(|_| {
                    InputError(format!(
                        "--since takes a date (2026-10-01) or an RFC 3339 time, not `{text}`"
                    ))
                })
        })
        .transpose()?;
    let options = ssoaudit::history::Options {
        since,
        account: args.account.clone(),
        rule: args.rule.clone(),
    };
    let history = ssoaudit::history::build(&args.inputs, &rules, &options)?;
    if history.runs.is_empty() {
        return Err(InputError("no run is left after --since".into()));
    }
    write_to(args.output.as_deref(), |out| match args.format {
        HistoryFormat::Table => out.write_all(report::history::table(&history).as_bytes()),
        HistoryFormat::Html => out.write_all(report::plots::page(&history).as_bytes()),
        HistoryFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &history)?;
            out.write_all(b"\n")
        }
        HistoryFormat::Csv | HistoryFormat::Parquet => {
            let mut frame =
                ssoaudit::history::runs_frame(&history).map_err(std::io::Error::other)?;
            if args.format == HistoryFormat::Csv {
                ssoaudit::history::write_csv(&mut frame, out)
            } else {
                ssoaudit::history::write_parquet(&mut frame, out)
            }
        }
    })?;
    Ok(Outcome::Clean)
}

fn diff(args: DiffArgs) -> Result<Outcome, InputError> {
    ssoaudit::iam::warm_catalogs();
    let old = Snapshot::load(&args.old)?;
    let new = Snapshot::load(&args.new)?;
    let changes = ssoaudit::diff::compare(&old, &new);
    let input = report::diff::DiffInput {
        diff: &changes,
        old: &old,
        new: &new,
        old_path: &args.old.display().to_string(),
        new_path: &args.new.display().to_string(),
    };
    let text = match args.format {
        DiffFormat::Table => report::diff::table(&input),
        DiffFormat::Json => report::diff::json(&input),
        DiffFormat::Markdown => report::diff::markdown(&input),
        DiffFormat::Sarif => report::diff::sarif(&input),
    };
    emit(args.output.as_deref(), &text)?;
    if args.format != DiffFormat::Table || args.output.is_some() {
        eprintln!("{}", report::diff::summary_line(&input));
    }
    Ok(outcome::of_diff(&changes, args.fail_on_change))
}

fn access(args: AccessArgs) -> Result<Outcome, InputError> {
    ssoaudit::iam::warm_catalogs();
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => scan(&args.scan)?,
    };
    let filter = ssoaudit::access::Filter {
        account: args.account.clone(),
        user: args.user.clone(),
        group: args.group.clone(),
        permission_set: args.permission_set.clone(),
    };
    filter.check(&snapshot)?;
    let applications = ssoaudit::access::application_access(&snapshot, &filter);
    let gaps = ssoaudit::access::access_gaps(&snapshot);
    let stream = match args.format {
        AccessFormat::Table => {
            let rows = ssoaudit::access::effective_access(&snapshot, &filter);
            let text = report::access::table(&rows, &applications, &gaps);
            emit(args.output.as_deref(), &text)?;
            return Ok(Outcome::Clean);
        }
        AccessFormat::Parquet => {
            for gap in &gaps {
                eprintln!("warning: access may be missing: {}", report::gap_text(gap));
            }
            let rows = ssoaudit::access::effective_access(&snapshot, &filter);
            let mut frame = report::parquet::access_frame(&rows)?;
            write_to(args.output.as_deref(), |out| {
                report::parquet::write_frame(&mut frame, out)
            })?;
            return Ok(Outcome::Clean);
        }
        AccessFormat::Json => report::access::Stream::Json,
        AccessFormat::Csv => {
            // One table per file: CSV holds account access only (gaps are said on stderr).
            for gap in &gaps {
                eprintln!("warning: access may be missing: {}", report::gap_text(gap));
            }
            report::access::Stream::Csv
        }
    };
    let model = ssoaudit::model::Model::new(&snapshot);
    write_to(args.output.as_deref(), |out| {
        report::access::write_stream(&model, &filter, stream, &applications, &gaps, out)
    })?;
    Ok(Outcome::Clean)
}

fn permission_set(args: PermissionSetArgs) -> Result<Outcome, InputError> {
    ssoaudit::iam::warm_catalogs();
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => scan(&args.scan)?,
    };
    let text = report::permission_set::of_named(
        &snapshot,
        &args.name,
        args.account.as_deref(),
        args.format == Format::Json,
    )?;
    emit(args.output.as_deref(), &text)?;
    Ok(Outcome::Clean)
}

fn explain_rule(id: &str, selection: &RuleSelection) -> Result<Outcome, InputError> {
    let rules = load_rules(selection)?;
    let Some(rule) = rules.iter().find(|r| r.id == id) else {
        return Err(InputError(format!(
            "unknown rule id `{id}` (see `ssoaudit rules list`)"
        )));
    };
    emit(None, &report::rules::explain(rule))?;
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    #[test]
    fn freed_pages_are_kept_unless_the_environment_says_otherwise() {
        let given = super::purge_delay();
        super::keep_freed_pages();
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            assert_eq!(super::purge_delay(), given);
        } else {
            // mimalloc (v3) purges after a second by default: the option read and set is the
            // purge delay.
            assert_eq!(given, 1000);
            assert_eq!(super::purge_delay(), -1);
        }
    }
}
