//! Command-line arguments (raw values) and their validation into the settings the commands use.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use ssoaudit::evidence::{AthenaSource, Since, Sources};
use ssoaudit::rules::Severity;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ssoaudit",
    version,
    about = "Read-only compliance auditor and drift reporter for AWS IAM Identity Center",
    after_help = "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; \
                  2 usage or input error; 3 collection gaps affect an enabled rule."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Evaluate the rules against a snapshot (or a live scan) and report findings.
    Check(Box<CheckArgs>),
    /// Scan the organization live (read-only) and write a snapshot file.
    Snapshot(Box<SnapshotArgs>),
    /// Compare two snapshots: what changed, and who gained or lost access.
    Diff(DiffArgs),
    /// Who can reach what: effective access with group members expanded.
    Access(Box<AccessArgs>),
    /// What one permission set can do, from its policies: capabilities by service and access
    /// level, administrator-equivalence and escalation paths with their sources, conditional
    /// grants, and what is unknown.
    PermissionSet(Box<PermissionSetArgs>),
    /// What scheduled runs say over time, from a folder of their snapshots and JSON reports:
    /// findings by severity, rule and account, new and resolved, how long findings stay open,
    /// time to fix, seats per account by capability, users and groups added and removed.
    History(Box<HistoryArgs>),
    /// List or explain rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell): for example
    /// `ssoaudit completions bash > /etc/bash_completion.d/ssoaudit`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `ssoaudit man > ssoaudit.1; man ./ssoaudit.1`.
    Man,
}

#[derive(Args)]
pub struct PermissionSetArgs {
    /// The permission set (name or ARN).
    pub name: String,
    /// What the set can do in this account (id or name): its customer managed policies as
    /// they are there, under the account's guardrails.
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// The snapshot file; without it, the organization is scanned live.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

/// The formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
    Sarif,
    /// For `$GITHUB_STEP_SUMMARY` and pull-request comments (cut to GitHub's 65,536
    /// characters, with a note).
    Markdown,
    /// JUnit XML: one test case per rule.
    Junit,
    /// One self-contained HTML file: summary and gaps, findings with filters, the access
    /// matrix, what each permission set can do, the evidence coverage.
    Html,
    /// OCSF 1.3 Compliance Findings (class 2003), one JSON document per line: for Security
    /// Lake, Security Hub and data lakes.
    Ocsf,
    /// One row per finding, typed columns (for Athena, DuckDB, Spark).
    Parquet,
}

impl From<CheckFormat> for ssoaudit::report::Format {
    fn from(format: CheckFormat) -> Self {
        use ssoaudit::report::Format as F;
        match format {
            CheckFormat::Table => F::Table,
            CheckFormat::Json => F::Json,
            CheckFormat::Sarif => F::Sarif,
            CheckFormat::Markdown => F::Markdown,
            CheckFormat::Junit => F::Junit,
            CheckFormat::Html => F::Html,
            CheckFormat::Ocsf => F::Ocsf,
            CheckFormat::Parquet => F::Parquet,
        }
    }
}

#[derive(Args)]
pub struct RuleSelection {
    /// A folder of rule files (*.yaml) to add to the built-in pack; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in rule pack.
    #[arg(long)]
    pub no_builtin: bool,
}

/// Where and how to scan live: the standard AWS credential chain and configuration apply
/// (environment, shared config and credentials files, SSO profiles, AWS_ENDPOINT_URL).
#[derive(Args, Clone)]
pub struct ScanArgs {
    /// The AWS profile to use (else AWS_PROFILE, else the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The IAM Identity Center home Region (else AWS_REGION or the profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Attempts per API call that meets faults (network errors, 5xx answers, timeouts) before
    /// it counts as failed. Throttling is not a fault: the scan slows down instead.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub max_attempts: u32,
    /// How long the scan may take (90s, 45m, 1h). Throttled calls are retried at a rate that
    /// adapts to the throttling met (the quota is shared with whatever else runs in the
    /// account) until this is spent; what is not read by then is a collection gap.
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    pub time_budget: std::time::Duration,
    /// How long one attempt at an API call may take before it is retried (30s, 2m).
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub call_timeout: std::time::Duration,
    /// No progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// With an error that stops the scan, also print the AWS SDK's account of it.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Read sign-in and access evidence from a local copy of CloudTrail trail log files (the
    /// S3 layout, `.json.gz`).
    #[arg(long, value_name = "DIR")]
    pub cloudtrail_logs: Option<PathBuf>,
    /// Read sign-in and access evidence with CloudTrail LookupEvents (this account's management
    /// events of the last 90 days, in every Region of the instance and us-east-1).
    #[arg(long)]
    pub lookup_events: bool,
    /// Read sign-in and access evidence from this CloudTrail Lake event data store (ARN or id):
    /// the aggregation runs in AWS, only result rows are fetched.
    #[arg(long, value_name = "EVENT_DATA_STORE")]
    pub cloudtrail_lake: Option<String>,
    /// Read sign-in and access evidence from the trail log files where CloudTrail delivers
    /// them (s3://BUCKET/PREFIX, the prefix above `AWSLogs/`): only the period's days, of the
    /// organization's accounts.
    #[arg(long, value_name = "S3_URL")]
    pub cloudtrail_s3: Option<String>,
    /// Read sign-in and access evidence with Athena from this table over the trail's logs
    /// (DATABASE.TABLE, the CloudTrail table partitioned by account, region and timestamp; see
    /// docs/athena.md): the aggregation runs in Athena, only result rows are fetched.
    #[arg(long, value_name = "DATABASE.TABLE")]
    pub cloudtrail_athena: Option<String>,
    /// The Athena workgroup of --cloudtrail-athena queries (its result location is used).
    #[arg(long, default_value = "primary", value_name = "NAME")]
    pub athena_workgroup: String,
    /// Where Athena writes query results (s3://BUCKET/PREFIX/), for a workgroup without a
    /// result location of its own.
    #[arg(long, value_name = "S3_URL")]
    pub athena_output: Option<String>,
    /// The period events are read for: a number of days back (default 90), or the first day
    /// (2026-01-01, or an RFC 3339 time). LookupEvents reads at most 90 days back, the API's
    /// limit. With --cloudtrail-logs, the period the log files must cover: a part of it without
    /// records is recorded as a collection gap.
    #[arg(long, value_parser = parse_since, value_name = "DAYS|DATE")]
    pub events_since: Option<Since>,
    /// The current time (RFC 3339), defaulting to the system clock: the end of the period
    /// events are read for, and the time time-based rules are evaluated at. Pin it to
    /// re-check an older snapshot as of its own day.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Read every member account through this role (assumed with sts:AssumeRole, session
    /// `ssoaudit`): a name, a path (`/audit/ssoaudit-read`), or a pattern with {account_id},
    /// {account_name}, {tenant} and {stage} (account names TENANT-STAGE), as in
    /// `acme-{tenant}-gbl-{stage}-observer`. See policy/ssoaudit-member-read-only.json.
    #[arg(long, value_name = "ROLE")]
    pub member_role: Option<String>,
    /// The external id the member role's trust requires.
    #[arg(long, value_name = "ID", requires = "member_role")]
    pub member_role_external_id: Option<String>,
}

impl ScanArgs {
    /// The settings of a live scan.
    pub fn options(&self) -> ssoaudit::collect::ScanOptions {
        ssoaudit::collect::ScanOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            limits: None,
            max_attempts: Some(self.max_attempts),
            time_budget: Some(self.time_budget),
            call_timeout: Some(self.call_timeout),
            quiet: self.quiet,
            member_role: self.member_role.as_ref().map(|template| {
                ssoaudit::collect::member::MemberRoleSpec {
                    template: template.clone(),
                    overrides: Default::default(),
                    external_id: self.member_role_external_id.clone(),
                }
            }),
            changes_margin: None,
        }
    }

    /// The event sources named, and the period they are read for.
    pub fn sources(&self) -> Result<Sources, String> {
        Ok(Sources {
            trail_logs: self.cloudtrail_logs.clone(),
            lookup_events: self.lookup_events,
            lake: self.cloudtrail_lake.clone(),
            s3: self.cloudtrail_s3.clone(),
            athena: self.cloudtrail_athena.as_ref().map(|table| AthenaSource {
                table: table.clone(),
                workgroup: self.athena_workgroup.clone(),
                output: self.athena_output.clone(),
            }),
            since: self.events_since,
            now: parse_now(self.now.as_deref())?,
        })
    }
}

fn parse_since(text: &str) -> Result<Since, String> {
    Since::parse(text)
}

#[derive(Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Write the snapshot to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add events to this snapshot instead of scanning the organization.
    #[arg(long, value_name = "FILE", conflicts_with = "incremental")]
    pub base: Option<PathBuf>,
    /// Scan again since this earlier snapshot of the same organization was captured: read what
    /// is cheap to read whole, and assignments and account tags only where CloudTrail's write
    /// events (LookupEvents) say they changed. Anything the events cannot vouch for is read in
    /// full; `metadata.incremental` records what was read and why.
    #[arg(long, value_name = "PREVIOUS")]
    pub incremental: Option<PathBuf>,
    /// With --incremental: how late CloudTrail may deliver an event (90s, 15m, 1h). Change
    /// events are read from this long before the previous scan started.
    #[arg(long, value_parser = parse_margin, default_value = "15m", requires = "incremental", value_name = "DURATION")]
    pub changes_margin: std::time::Duration,
}

#[derive(Args)]
pub struct CheckArgs {
    /// The snapshot file to evaluate; without it, the organization is scanned live.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// The aws-sso stack file (or `atmos describe component` output) to compare with: enables
    /// the drift rules.
    #[arg(long, value_name = "FILE")]
    pub desired: Option<PathBuf>,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Evaluate only this rule; repeatable.
    #[arg(long = "only", value_name = "ID")]
    pub only: Vec<String>,
    /// Do not evaluate this rule; repeatable.
    #[arg(long = "skip", value_name = "ID")]
    pub skip: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that fails the run (exit code 1): info, low, medium, high, critical, or
    /// never [default: low, or the configuration file's `fail-on`].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// The configuration file [default: .ssoaudit.yaml in the working directory, when present].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore .ssoaudit.yaml.
    #[arg(long)]
    pub no_config: bool,
    /// Look-back of the rules that conclude from absence (`unused-assignment`,
    /// `dormant-user-with-access`), in days: replaces the parameter their condition passes to
    /// `days(...)` (else the rule's own value, 90).
    #[arg(long, value_name = "DAYS")]
    pub unused_days: Option<u32>,
    /// Report collection gaps as a warning instead of exit code 3.
    #[arg(long)]
    pub allow_gaps: bool,
    /// A YAML file of accepted findings (rule, resource or fingerprint, reason, expires).
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// The JSON report (--format json) of an earlier run: findings it holds are marked
    /// unchanged and do not fail the run, new ones do; reports count new, unchanged and
    /// resolved findings.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// The snapshot of the previous scheduled run: enables the rules that compare with it
    /// (`user-idp-identity-changed`).
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Also write the findings as OCSF Parquet under this folder, in an Amazon Security Lake
    /// custom source's layout (`ext/{source}/region=.../accountId=.../eventDay=.../`): copy it
    /// to the lake's bucket as the source's provider role.
    #[arg(long, value_name = "DIR")]
    pub security_lake: Option<PathBuf>,
    /// A folder of scheduled runs (snapshots and JSON reports) whose history the HTML report
    /// plots (`--format html`): findings by severity, administrator seats, time to fix.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// The custom source name of `--security-lake` (at most 20 characters).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "ssoaudit",
        requires = "security_lake"
    )]
    pub security_lake_source: String,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// Folders (or files) of snapshots and JSON reports (`check --format json`) of scheduled
    /// runs; runs are ordered by capture time (or a YYYY-MM-DD date in the file name).
    #[arg(required = true, value_name = "DIR")]
    pub inputs: Vec<PathBuf>,
    /// The rules snapshots are evaluated with, at their capture time.
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Leave out runs captured before this date (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only findings and access of this account (its name).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Only findings of this rule.
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,
    /// Output format: the last runs as a table, the whole history as JSON (frozen, versioned),
    /// one row per run as CSV or Parquet, or an HTML page with plots.
    #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
    pub format: HistoryFormat,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum HistoryFormat {
    Table,
    Json,
    Csv,
    Parquet,
    /// A page of plots (inline SVG) with the numbers behind them.
    Html,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
    Sarif,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The earlier snapshot.
    pub old: PathBuf,
    /// The later snapshot.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 on any change, not only when effective access grew.
    #[arg(long)]
    pub fail_on_change: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum AccessFormat {
    Table,
    Json,
    Csv,
    /// One row per access row, typed columns.
    Parquet,
}

#[derive(Args)]
pub struct AccessArgs {
    /// The snapshot file; without it, the organization is scanned live.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Only this account (name or id).
    #[arg(long, value_name = "NAME|ID")]
    pub account: Option<String>,
    /// Only this user (user name or id).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Only access through this group (display name).
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Only this permission set (name).
    #[arg(long, value_name = "NAME")]
    pub permission_set: Option<String>,
    #[arg(long, value_enum, default_value_t = AccessFormat::Table)]
    pub format: AccessFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List the rules: id, severity, subject, title.
    List {
        #[command(flatten)]
        selection: RuleSelection,
        /// Output format (table or json).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Print the variables and fields conditions and messages can use, per subject.
    Fields,
    /// Show a rule's title, rationale, remediation and example.
    Explain {
        /// The rule id.
        id: String,
        #[command(flatten)]
        selection: RuleSelection,
    },
}

/// `--fail-on`: a severity, or None for `never`.
pub fn parse_fail_on(text: &str) -> Result<Option<Severity>, String> {
    if text == "never" {
        return Ok(None);
    }
    Severity::parse(text).map(Some).ok_or_else(|| {
        format!("--fail-on takes info, low, medium, high, critical or never, not `{text}`")
    })
}

pub fn parse_now(text: Option<&str>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    match text {
        None => Ok(chrono::Utc::now()),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                format!(
                    "--now takes an RFC 3339 time such as 2026-11-28T12:00:00Z, not `{text}`: {e}"
                )
            }),
    }
}

/// The shell completion script, from the argument definitions.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ssoaudit", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The manual page: the top-level page, then each subcommand's synopsis, description and
/// options, all from the argument definitions themselves.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let command = Cli::command();
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
    Ok(out)
}

/// A duration that may be zero (`0s`).
fn parse_margin(text: &str) -> Result<std::time::Duration, String> {
    let digits = text.trim().trim_end_matches(['s', 'm', 'h']);
    if !digits.is_empty() && digits.bytes().all(|b| b == b'0') {
        return Ok(std::time::Duration::ZERO);
    }
    parse_duration(text)
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    ssoaudit::collect::calls::parse_duration(text)
}
