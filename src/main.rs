//! The `ssoaudit` command: parses arguments, runs a command, and maps its outcome to the
//! documented exit code in one place.

mod cli;

/// Ingestion and evaluation allocate many small strings from several threads: mimalloc frees
/// them without the system allocator's consolidation passes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use cli::{
    AccessArgs, AccessFormat, CheckArgs, CheckFormat, Cli, Command, DiffArgs, DiffFormat, Format,
    PermissionSetArgs, RuleSelection, RulesCommand, ScanArgs, SnapshotArgs,
};
use ssoaudit::engine;
use ssoaudit::outcome::{self, Outcome};
use ssoaudit::report::{self, ReportInput};
use ssoaudit::rules::{self, Rule, RuleSource};
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
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check(*args),
        Command::Snapshot(args) => snapshot(*args),
        Command::Diff(args) => diff(args),
        Command::Access(args) => access(*args),
        Command::PermissionSet(args) => permission_set(*args),
        Command::Rules(RulesCommand::List { selection, format }) => list_rules(&selection, format),
        Command::Rules(RulesCommand::Explain { id, selection }) => explain_rule(&id, &selection),
        Command::Rules(RulesCommand::Fields) => {
            print!("{}", ssoaudit::subjects::field_reference());
            Ok(Outcome::Clean)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ssoaudit",
                &mut std::io::stdout().lock(),
            );
            Ok(Outcome::Clean)
        }
        Command::Man => {
            use clap::CommandFactory;
            man_page(Cli::command())
        }
    };
    // The one place an outcome becomes an exit code.
    let outcome = outcome.unwrap_or_else(|InputError(message)| {
        eprintln!("error: {message}");
        Outcome::InputError
    });
    ExitCode::from(outcome.exit_code())
}

/// The manual page: the top-level page, then each subcommand's synopsis, description and
/// options, all from the argument definitions themselves.
fn man_page(command: clap::Command) -> Result<Outcome, InputError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for sub in command.get_subcommands() {
        let name = format!("ssoaudit {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let page = clap_mangen::Man::new(sub.clone().bin_name(name));
        page.render_synopsis_section(&mut out)?;
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
    }
    use std::io::Write;
    std::io::stdout().lock().write_all(&out)?;
    Ok(Outcome::Clean)
}

fn load_rules(selection: &RuleSelection) -> Result<Vec<Rule>, InputError> {
    let mut sources: Vec<RuleSource> = Vec::new();
    if !selection.no_builtin {
        sources.extend(rules::builtin_sources());
    }
    for dir in &selection.rules {
        sources.extend(rules::directory_sources(dir)?);
    }
    rules::load(&sources).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        InputError(format!(
            "invalid rule file{}:\n{}",
            if errors.len() == 1 { "" } else { "s" },
            lines.join("\n")
        ))
    })
}

fn select_rules(
    mut all: Vec<Rule>,
    only: &[String],
    skip: &[String],
) -> Result<Vec<Rule>, InputError> {
    for id in only.iter().chain(skip) {
        if !all.iter().any(|r| &r.id == id) {
            return Err(InputError(format!(
                "unknown rule id `{id}` (see `ssoaudit rules list`)"
            )));
        }
    }
    if !only.is_empty() {
        all.retain(|r| only.contains(&r.id));
    }
    all.retain(|r| !skip.contains(&r.id));
    Ok(all)
}

fn check(mut args: CheckArgs) -> Result<Outcome, InputError> {
    // The configuration file fills in what the command line leaves unset.
    let config = if args.no_config {
        None
    } else {
        ssoaudit::config::find(args.config.as_deref(), &std::env::current_dir()?)?
    };
    if let Some(config) = &config {
        let mut rules = config.rules.clone();
        rules.append(&mut args.selection.rules);
        args.selection.rules = rules;
        if config.builtin == Some(false) {
            args.selection.no_builtin = true;
        }
        args.desired = args.desired.or_else(|| config.desired.clone());
        args.suppressions = args.suppressions.or_else(|| config.suppressions.clone());
        args.baseline = args.baseline.or_else(|| config.baseline.clone());
    }
    let fail_on = match (&args.fail_on, config.as_ref().and_then(|c| c.fail_on)) {
        (Some(text), _) => cli::parse_fail_on(text)?,
        (None, Some(configured)) => configured,
        (None, None) => cli::parse_fail_on("low")?,
    };
    let now = cli::parse_now(args.now.as_deref())?;
    let loaded = load_rules(&args.selection)?;
    if let Some(config) = &config {
        config.check_ids(&loaded)?;
    }
    let mut rules = select_rules(loaded, &args.only, &args.skip)?;
    if let Some(config) = &config {
        for (id, reason) in config.apply(&mut rules) {
            eprintln!(
                "note: rule {id} is off ({}: {reason})",
                config.path.display()
            );
        }
    }
    let suppressions = match &args.suppressions {
        Some(path) => suppress::load(path)?,
        None => Vec::new(),
    };
    let baseline = match &args.baseline {
        Some(path) => Some(ssoaudit::baseline::load(path)?),
        None => None,
    };
    // Every input file is read before a live scan, so a mistake in one costs no scan.
    let desired = match &args.desired {
        Some(path) => Some(ssoaudit::desired::DesiredState::load(path)?),
        None => None,
    };
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => scan(&args.scan)?,
    };

    let mut evaluation =
        engine::evaluate_with(&snapshot, &rules, now, desired.as_ref(), args.unused_days);
    suppress::apply(&mut evaluation.findings, &suppressions, now.date_naive());
    if let Some(baseline) = &baseline {
        evaluation.baseline = Some(ssoaudit::baseline::apply(
            &mut evaluation.findings,
            baseline,
        ));
    }

    let input = ReportInput {
        evaluation: &evaluation,
        rules: &rules,
        fail_on,
        snapshot_source: &snapshot.metadata.source,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    // The report goes straight to its destination (a file is replaced only once complete): a
    // large organization's report is never held in memory a second time.
    let format = args.format;
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match format {
            CheckFormat::Table => {
                let colour = to_terminal && std::env::var_os("NO_COLOR").is_none();
                let width = comfy_table_width().filter(|_| to_terminal);
                report::table::write(&input, out, colour, width)
            }
            CheckFormat::Json => report::json::write(&input, out),
            CheckFormat::Sarif => report::sarif::write(&input, out),
            CheckFormat::Markdown => out.write_all(
                report::markdown::write(&input, report::markdown::GITHUB_COMMENT_LIMIT).as_bytes(),
            ),
            CheckFormat::Junit => out.write_all(report::junit::write(&input).as_bytes()),
            CheckFormat::Html => out.write_all(report::html::write(&input, &snapshot).as_bytes()),
        }
    };
    match &args.output {
        Some(path) => ssoaudit::output::write_atomic(path, write)
            .map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))?,
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut stdout)?;
            stdout.flush()?;
        }
    }
    if args.format != CheckFormat::Table || args.output.is_some() {
        eprintln!("{}", report::summary_line(&input));
    }

    for error in &evaluation.errors {
        eprintln!("error: {error}");
    }
    if !evaluation.incomplete.is_empty() {
        let rules: Vec<&str> = evaluation
            .incomplete
            .iter()
            .map(|r| r.rule_id.as_str())
            .collect();
        if args.allow_gaps {
            eprintln!(
                "warning: collection gaps affect {} (--allow-gaps: not failing)",
                rules.join(", ")
            );
        } else {
            eprintln!(
                "error: collection gaps affect {}: their results may be incomplete (exit 3; --allow-gaps to only warn)",
                rules.join(", ")
            );
        }
    }
    Ok(outcome::of_check(&evaluation, fail_on, args.allow_gaps))
}

fn scan_options(args: &ScanArgs) -> ssoaudit::collect::ScanOptions {
    ssoaudit::collect::ScanOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        limits: None,
        max_attempts: Some(args.max_attempts),
        time_budget: Some(args.time_budget),
        call_timeout: Some(args.call_timeout),
        quiet: args.quiet,
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, InputError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| InputError(format!("cannot start the async runtime: {e}")))
}

/// Reads the event sources given on the command line into the snapshot. A source that read
/// nothing, or nothing for part of the period asked for, is recorded as a gap.
fn add_events(snapshot: &mut Snapshot, args: &ScanArgs) -> Result<(), InputError> {
    use ssoaudit::events::{SourceRead, source_gaps};
    use ssoaudit::vocabulary::EventSource;
    if args.cloudtrail_logs.is_none()
        && !args.lookup_events
        && args.cloudtrail_lake.is_none()
        && args.cloudtrail_s3.is_none()
        && args.cloudtrail_athena.is_none()
    {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let ingest = std::sync::Mutex::new(ssoaudit::events::Ingest::default());
    let failure = std::sync::Mutex::new(None);
    let mut sources = snapshot.events.sources.clone();
    ingest
        .lock()
        .expect("ingest")
        .keep(std::mem::take(&mut snapshot.events));
    let format =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let until = chrono::Utc::now();
    let since = |limit_days: u32| crate::cli::Since::start(args.events_since, until, limit_days);
    let mut reads: Vec<SourceRead> = Vec::new();
    // Events of log files, from several threads; the first error is kept.
    let add_batch = |batch| {
        if let Err(error) = ingest.lock().expect("ingest").add(batch) {
            failure.lock().expect("failure").get_or_insert(error);
        }
    };
    if let Some(dir) = &args.cloudtrail_logs {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (stats, gaps) = ssoaudit::events::trail_logs::read_dir(dir, threads, &add_batch)
            .map_err(|e| InputError(format!("cannot read {}: {e}", dir.display())))?;
        snapshot.gaps.extend(gaps);
        sources.push(EventSource::TrailLogs);
        // A folder has no period of its own: it is checked against one only when asked for.
        let requested = args
            .events_since
            .map(|_| (format(since(u32::MAX)), format(until)));
        let location = dir.display().to_string();
        reads.push(files_read(
            &ingest,
            EventSource::TrailLogs,
            location,
            &stats,
            requested,
        ));
        if !args.quiet {
            eprintln!(
                "events: {} files, {} records, {} sign-in and access events, {:.1} MB uncompressed in {:.1?}",
                stats.files,
                stats.records,
                stats.normalized,
                stats.bytes_uncompressed as f64 / 1e6,
                started.elapsed()
            );
        }
    }
    if let Some(url) = &args.cloudtrail_s3 {
        let url = ssoaudit::collect::trail_s3::parse_url(url).map_err(InputError)?;
        let since = since(u32::MAX);
        // Only the organization's accounts: log folders of accounts that left it (or of
        // another organization sharing the bucket) say nothing about this one.
        let accounts: std::collections::BTreeSet<String> = snapshot
            .organization
            .accounts
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let accounts = (!accounts.is_empty()).then_some(accounts);
        let mut sink = |batch| add_batch(batch);
        let (read, gaps) = runtime()?
            .block_on(ssoaudit::collect::trail_s3_events(
                &scan_options(args),
                &url,
                accounts.as_ref(),
                since,
                until,
                &mut sink,
            ))
            .map_err(|e| scan_error(e, args))?;
        let stats = &read.stats;
        snapshot.gaps.extend(gaps);
        sources.push(EventSource::TrailS3);
        let requested = Some((format(since), format(until)));
        reads.push(files_read(
            &ingest,
            EventSource::TrailS3,
            url.to_string(),
            stats,
            requested,
        ));
        if !args.quiet {
            if !read.skipped_accounts.is_empty() {
                eprintln!(
                    "events: {url}: not read, not accounts of the organization: {}",
                    read.skipped_accounts.join(", ")
                );
            }
            eprintln!(
                "events: {url}: {} Region folders, {} objects, {} records, {} sign-in and access events, {:.1} MB uncompressed in {:.1?}",
                read.regions,
                stats.files,
                stats.records,
                stats.normalized,
                stats.bytes_uncompressed as f64 / 1e6,
                started.elapsed()
            );
        }
    }
    if args.lookup_events {
        let since = since(90);
        let home =
            (!snapshot.metadata.region.is_empty()).then_some(snapshot.metadata.region.as_str());
        let (events, gaps) = runtime()?
            .block_on(ssoaudit::collect::lookup_events(
                &scan_options(args),
                home,
                &snapshot.instance_regions(),
                since,
                until,
            ))
            .map_err(|e| scan_error(e, args))?;
        // The lookups ask for sign-ins, role use and root activity only, which can be quiet
        // for days: only "nothing at all" is a hole here.
        reads.push(SourceRead {
            source: EventSource::LookupEvents,
            location: "LookupEvents (the instance's Regions and us-east-1)".into(),
            files: None,
            records: events.len() as u64,
            earliest: None,
            latest: None,
            requested: Some((format(since), format(until))),
        });
        let mut ingest = ingest.lock().expect("ingest");
        if !events.is_empty() {
            ingest.covering(Some(&format(since)), Some(&format(until)));
        }
        ingest.add(events).map_err(InputError)?;
        snapshot.gaps.extend(gaps);
        sources.push(EventSource::LookupEvents);
    }
    if let Some(store) = &args.cloudtrail_lake {
        let since = since(u32::MAX);
        let (evidence, gaps) = runtime()?.block_on(ssoaudit::collect::lake_events(
            &scan_options(args),
            store,
            since,
        ))?;
        let period = (format(since), format(until));
        let read = add_aggregated(&ingest, EventSource::Lake, store, evidence, period)?;
        reads.push(read);
        snapshot.gaps.extend(gaps);
        sources.push(EventSource::Lake);
    }
    if let Some(table) = &args.cloudtrail_athena {
        let table = ssoaudit::collect::athena::parse_table(table).map_err(InputError)?;
        let since = since(u32::MAX);
        let options = ssoaudit::collect::athena::AthenaOptions {
            table: &table,
            workgroup: &args.athena_workgroup,
            output: args.athena_output.as_deref(),
        };
        let (evidence, gaps) = runtime()?
            .block_on(ssoaudit::collect::athena_events(
                &scan_options(args),
                &options,
                since,
            ))
            .map_err(|e| scan_error(e, args))?;
        let period = (format(since), format(until));
        let location = table.to_string();
        let read = add_aggregated(&ingest, EventSource::Athena, &location, evidence, period)?;
        reads.push(read);
        snapshot.gaps.extend(gaps);
        sources.push(EventSource::Athena);
    }
    if let Some(error) = failure.into_inner().expect("failure") {
        return Err(InputError(error));
    }
    for read in &reads {
        let gaps = source_gaps(read);
        for gap in &gaps {
            eprintln!("warning: {}: {}", read.source, gap.error);
        }
        snapshot.gaps.extend(gaps);
    }
    let ingest = ingest.into_inner().expect("ingest");
    snapshot.events = ingest.finish(sources).map_err(InputError)?;
    snapshot.normalize();
    Ok(())
}

/// What a source of log files (a folder, a bucket) read, its period counted as covered when it
/// read any record.
fn files_read(
    ingest: &std::sync::Mutex<ssoaudit::events::Ingest>,
    source: ssoaudit::vocabulary::EventSource,
    location: String,
    stats: &ssoaudit::events::trail_logs::ReadStats,
    requested: Option<(String, String)>,
) -> ssoaudit::events::SourceRead {
    if stats.records > 0 {
        ingest
            .lock()
            .expect("ingest")
            .covering(stats.earliest.as_deref(), stats.latest.as_deref());
    }
    ssoaudit::events::SourceRead {
        source,
        location,
        files: Some(stats.found),
        records: stats.records,
        earliest: stats.earliest.clone(),
        latest: stats.latest.clone(),
        requested,
    }
}

/// Adds the rows of a source that aggregates where the events live (Lake, Athena) for
/// `period` (RFC 3339 from, to); returns what it read. Such a source returns summaries, not
/// records: only "no rows at all" can be told.
fn add_aggregated(
    ingest: &std::sync::Mutex<ssoaudit::events::Ingest>,
    source: ssoaudit::vocabulary::EventSource,
    location: &str,
    evidence: ssoaudit::collect::lake::LakeEvidence,
    period: (String, String),
) -> Result<ssoaudit::events::SourceRead, InputError> {
    let rows = evidence.users.len() + evidence.role_uses.len() + evidence.rare.len();
    let mut ingest = ingest.lock().expect("ingest");
    if rows > 0 {
        ingest.covering(Some(&period.0), Some(&period.1));
    }
    ingest.add_summaries(evidence.users, evidence.role_uses);
    ingest.add(evidence.rare).map_err(InputError)?;
    Ok(ssoaudit::events::SourceRead {
        source,
        location: location.to_string(),
        files: None,
        records: rows as u64,
        earliest: None,
        latest: None,
        requested: Some(period),
    })
}

/// A scan that could not start: one plain sentence, and with --verbose the SDK's detail.
fn scan_error(error: ssoaudit::collect::ScanError, args: &ScanArgs) -> InputError {
    match (args.verbose, error.detail()) {
        (true, Some(detail)) => InputError(format!("{error}\n  detail: {detail}")),
        (false, Some(_)) => InputError(format!("{error} (--verbose for the details)")),
        _ => InputError(error.to_string()),
    }
}

/// Scans the organization live.
fn scan(args: &ScanArgs) -> Result<Snapshot, InputError> {
    let mut snapshot = runtime()?
        .block_on(ssoaudit::collect::scan(&scan_options(args)))
        .map_err(|e| scan_error(e, args))?;
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
        None => scan(&args.scan)?,
    };
    match &args.output {
        Some(path) => {
            ssoaudit::output::write_atomic(path, |out| snapshot.write_canonical(out))
                .map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))?;
        }
        None => snapshot.write_canonical(std::io::stdout().lock())?,
    }
    if !snapshot.gaps.is_empty() {
        eprintln!(
            "warning: {} part(s) could not be read and are recorded as collection gaps in the snapshot",
            snapshot.gaps.len()
        );
    }
    Ok(Outcome::Clean)
}

/// Writes a report to the file given with `-o`, or to standard output.
fn emit(output: Option<&std::path::Path>, text: &str) -> Result<(), InputError> {
    match output {
        Some(path) => ssoaudit::output::write_bytes(path, text.as_bytes())
            .map_err(|e| InputError(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
    }
}

fn diff(args: DiffArgs) -> Result<Outcome, InputError> {
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
    if let Some(account) = &filter.account
        && !snapshot
            .organization
            .accounts
            .iter()
            .any(|a| &a.name == account || &a.id == account)
    {
        return Err(InputError(format!(
            "no account named or numbered `{account}` in the snapshot"
        )));
    }
    let applications = ssoaudit::access::application_access(&snapshot, &filter);
    let gaps = ssoaudit::access::access_gaps(&snapshot);
    if args.format == AccessFormat::Table {
        let rows = ssoaudit::access::effective_access(&snapshot, &filter);
        let text = report::access::table(&rows, &applications, &gaps);
        emit(args.output.as_deref(), &text)?;
        return Ok(Outcome::Clean);
    }
    // JSON and CSV are written one account at a time: an organization of 200,000 assignments
    // has millions of rows, which are never all held.
    let model = ssoaudit::model::Model::new(&snapshot);
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
        let mut failed = None;
        match args.format {
            AccessFormat::Csv => {
                out.write_all(ssoaudit::access::CSV_HEADER.as_bytes())?;
                ssoaudit::access::for_each_account(&model, &filter, &mut |_, rows| {
                    if failed.is_none()
                        && let Err(error) = ssoaudit::access::write_csv_rows(rows, &mut out)
                    {
                        failed = Some(error);
                    }
                });
            }
            _ => {
                let mut json = report::access::JsonWriter::new(&applications, &gaps);
                json.begin(&mut out)?;
                ssoaudit::access::for_each_account(&model, &filter, &mut |_, rows| {
                    if failed.is_none()
                        && let Err(error) = json.rows(&mut out, rows)
                    {
                        failed = Some(error);
                    }
                });
                json.end(&mut out)?;
            }
        }
        match failed {
            Some(error) => Err(error),
            None => out.flush(),
        }
    };
    if args.format == AccessFormat::Csv {
        // One table per file: CSV holds account access only (gaps are said on stderr).
        for gap in &gaps {
            eprintln!(
                "warning: access may be missing: {} not read ({}): {}",
                gap.area,
                [gap.operation.as_str(), gap.resource.as_str()]
                    .join(" ")
                    .trim(),
                gap.error
            );
        }
    }
    match &args.output {
        Some(path) => ssoaudit::output::write_atomic(path, write)
            .map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))?,
        None => write(&mut std::io::stdout().lock())?,
    }
    Ok(Outcome::Clean)
}

fn permission_set(args: PermissionSetArgs) -> Result<Outcome, InputError> {
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => scan(&args.scan)?,
    };
    let Some(position) = snapshot
        .permission_sets
        .iter()
        .position(|p| p.name == args.name || p.arn == args.name)
    else {
        return Err(InputError(format!(
            "no permission set named `{}` in the snapshot",
            args.name
        )));
    };
    let model = ssoaudit::model::Model::new(&snapshot);
    let facts = model.policy_facts();
    let (set, analysis, capabilities) = (
        &snapshot.permission_sets[position],
        &facts.analyses[position],
        &facts.capabilities[position],
    );
    let text = match args.format {
        Format::Json => report::permission_set::json(set, analysis, capabilities),
        _ => report::permission_set::table(set, analysis, capabilities),
    };
    emit(args.output.as_deref(), &text)?;
    Ok(Outcome::Clean)
}

/// A width the user asked for through `COLUMNS`.
fn comfy_table_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}

fn list_rules(selection: &RuleSelection, format: Format) -> Result<Outcome, InputError> {
    let rules = load_rules(selection)?;
    let text = match format {
        Format::Json => report::rules::json(&rules),
        _ => report::rules::table(&rules),
    };
    emit(None, &text)?;
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
