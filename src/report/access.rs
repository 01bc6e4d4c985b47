//! The `access` report: effective access as a table, CSV, or JSON through a frozen, versioned
//! output type (`version: 4`: version 1 had no `applications`, version 2 no entitlements:
//! `route` and `gaps`, version 3 no role chains: `chain` and `hops`), separate from the
//! internal rows.

use super::json::Tool;
use crate::access::{AccessRow, AccessRowRef, ApplicationAccessRow, Filter};
use crate::model::Model;
use serde::Serialize;
use std::io::Write;

pub const FORMAT_VERSION: u32 = 4;

#[derive(Serialize)]
pub struct AccessReport<'a> {
    pub version: u32,
    pub tool: Tool,
    pub access: Vec<AccessOut<'a>>,
    /// Access to the instance's applications (not accounts), one row per user and route.
    pub applications: Vec<&'a ApplicationAccessRow>,
    /// What was not read of what access is made of (assignments, entitlements, groups and
    /// their members, capabilities): the rows may be incomplete.
    pub gaps: &'a [crate::snapshot::Gap],
}

/// One user's access to one account with one permission set, through one group (or a direct
/// assignment). Also the rows of `diff`'s `access.gained` and `access.lost`, with a message.
#[derive(Serialize)]
pub struct AccessOut<'a> {
    pub account_name: &'a str,
    pub account_id: &'a str,
    pub user_name: &'a str,
    pub user_id: &'a str,
    pub permission_set: &'a str,
    pub permission_set_arn: &'a str,
    /// GROUP, or USER for a direct assignment.
    pub via_type: &'a str,
    pub via_id: &'a str,
    pub via_name: &'a str,
    pub user_active: bool,
    /// `administrator`, `write`, `read-only` or `unknown`: what the permission set (or role)
    /// can do.
    pub capability: &'static str,
    /// `assignment` (a permission set), `entitlement` (an account access manager
    /// entitlement to the IAM role `permission_set_arn`), `chain` (the role
    /// `permission_set_arn`, reached by assuming roles from an assignment or entitlement) or
    /// `iam-user`.
    pub route: &'static str,
    /// A chained row's path of roles, empty for the other routes.
    pub chain: &'a str,
    /// A chained row's number of role assumptions, 0 for the other routes.
    pub hops: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl<'a> AccessOut<'a> {
    pub fn of(row: &'a AccessRow, message: Option<String>) -> AccessOut<'a> {
        AccessOut {
            account_name: &row.account_name,
            account_id: &row.account_id,
            user_name: &row.user_name,
            user_id: &row.user_id,
            permission_set: &row.permission_set,
            permission_set_arn: &row.permission_set_arn,
            via_type: &row.via_type,
            via_id: &row.via_id,
            via_name: &row.via_name,
            user_active: row.user_active,
            capability: row.capability,
            route: row.route,
            chain: &row.chain,
            hops: row.hops,
            message,
        }
    }
}

/// The JSON report written as its rows come, one account at a time: the same text as
/// `AccessReport` of all the rows serialized at once, without holding them.
pub struct JsonWriter {
    /// The report up to its `access` array's first row, and after its last.
    head: String,
    tail: String,
    rows: usize,
}

impl JsonWriter {
    pub fn new(applications: &[ApplicationAccessRow], gaps: &[crate::snapshot::Gap]) -> JsonWriter {
        let report = AccessReport {
            version: FORMAT_VERSION,
            tool: Tool::current(),
            access: Vec::new(),
            applications: applications.iter().collect(),
            gaps,
        };
        let text = serde_json::to_string_pretty(&report).expect("the access report serializes");
        let marker = "\n  \"access\": []";
        let at = text.find(marker).expect("the report has an access array") + marker.len() - 1;
        JsonWriter {
            head: text[..at].to_string(),
            tail: text[at..].to_string() + "\n",
            rows: 0,
        }
    }

    pub fn begin(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(self.head.as_bytes())
    }

    pub fn rows(
        &mut self,
        out: &mut impl std::io::Write,
        rows: &[AccessRowRef],
    ) -> std::io::Result<()> {
        // The text serde_json's pretty printer gives an `AccessOut` at this depth, written
        // field by field: millions of rows go through here.
        fn text(out: &mut impl std::io::Write, value: &str) -> std::io::Result<()> {
            if value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
                out.write_all(b"\"")?;
                out.write_all(value.as_bytes())?;
                out.write_all(b"\"")
            } else {
                serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)
            }
        }
        for row in rows {
            out.write_all(if self.rows == 0 {
                b"\n    {"
            } else {
                b",\n    {"
            })?;
            for (key, value) in [
                ("account_name", row.account_name),
                ("account_id", row.account_id),
                ("user_name", row.user_name),
                ("user_id", row.user_id),
                ("permission_set", row.permission_set),
                ("permission_set_arn", row.permission_set_arn),
                ("via_type", row.via_type),
                ("via_id", row.via_id),
                ("via_name", row.via_name),
            ] {
                write!(out, "\n      \"{key}\": ")?;
                text(out, value)?;
                out.write_all(b",")?;
            }
            write!(out, "\n      \"user_active\": {},", row.user_active)?;
            out.write_all(b"\n      \"capability\": ")?;
            text(out, row.capability)?;
            out.write_all(b",\n      \"route\": ")?;
            text(out, row.route)?;
            out.write_all(b",\n      \"chain\": ")?;
            text(out, row.chain)?;
            write!(out, ",\n      \"hops\": {}", row.hops)?;
            out.write_all(b"\n    }")?;
            self.rows += 1;
        }
        Ok(())
    }

    pub fn end(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        if self.rows > 0 {
            out.write_all(b"\n  ")?;
        }
        out.write_all(self.tail.as_bytes())
    }
}

/// The streamed formats of `access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Json,
    Csv,
}

/// The CSV header row.
pub const CSV_HEADER: [&str; 14] = [
    "account_name",
    "account_id",
    "user_name",
    "user_id",
    "permission_set",
    "permission_set_arn",
    "via_type",
    "via_id",
    "via_name",
    "user_active",
    "capability",
    "route",
    "chain",
    "hops",
];

/// A cell a spreadsheet would not read as a formula: names come from the IdP, and a display
/// name such as `=HYPERLINK(...)` must stay text. A cell that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'` (OWASP's advice for CSV injection).
pub fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Writes the access rows matching `filter` as JSON or CSV, one account at a time: an
/// organization of 200,000 assignments has millions of rows, which are never all held.
pub fn write_stream(
    model: &Model,
    filter: &Filter,
    format: Stream,
    applications: &[ApplicationAccessRow],
    gaps: &[crate::snapshot::Gap],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut failed = None;
    match format {
        Stream::Csv => {
            let mut csv = csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Necessary)
                .from_writer(&mut out);
            csv.write_record(CSV_HEADER)?;
            crate::access::for_each_account(model, filter, &mut |_, rows| {
                for row in rows {
                    if failed.is_some() {
                        return;
                    }
                    let active = if row.user_active { "true" } else { "false" };
                    let hops = row.hops.to_string();
                    let record = [
                        row.account_name,
                        row.account_id,
                        row.user_name,
                        row.user_id,
                        row.permission_set,
                        row.permission_set_arn,
                        row.via_type,
                        row.via_id,
                        row.via_name,
                        active,
                        row.capability,
                        row.route,
                        row.chain,
                        &hops,
                    ]
                    .map(csv_cell);
                    if let Err(error) = csv.write_record(record.iter().map(|c| c.as_bytes())) {
                        failed = Some(std::io::Error::other(error));
                    }
                }
            });
            csv.flush()?;
        }
        Stream::Json => {
            let mut json = JsonWriter::new(applications, gaps);
            json.begin(&mut out)?;
            crate::access::for_each_account(model, filter, &mut |_, rows| {
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
}

pub fn table(
    rows: &[AccessRow],
    applications: &[ApplicationAccessRow],
    gaps: &[crate::snapshot::Gap],
) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "Account",
        "User",
        "Permission set or role",
        "Can",
        "Via",
        "Active",
    ]);
    for row in rows {
        let via = match (row.via_type == "GROUP", row.route == "entitlement") {
            _ if row.route == "iam-user" => "IAM user (outside Identity Center)".into(),
            _ if row.route == "chain" => format!(
                "{}, chain of {}: {}",
                if row.via_type == "GROUP" {
                    format!("group {}", row.via_name)
                } else {
                    "direct".to_string()
                },
                row.hops,
                row.chain
            ),
            (true, false) => format!("group {}", row.via_name),
            (false, false) => "direct assignment".into(),
            (true, true) => format!("group {}, entitlement", row.via_name),
            (false, true) => "direct entitlement".into(),
        };
        table.add_row(vec![
            format!("{} ({})", row.account_name, row.account_id),
            row.user_name.clone(),
            row.permission_set.clone(),
            row.capability.to_string(),
            via,
            if row.user_active { "yes" } else { "no" }.to_string(),
        ]);
    }
    let users: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.user_id.as_str()).collect();
    let mut text = format!(
        "{table}\n{} access rows, {} users\n",
        rows.len(),
        users.len()
    );
    if !applications.is_empty() {
        let mut table = comfy_table::Table::new();
        table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(vec!["Application", "User", "Via", "Active"]);
        for row in applications {
            table.add_row(vec![
                row.application.clone(),
                row.user_name.clone(),
                if row.via_type == "GROUP" {
                    format!("group {}", row.via_name)
                } else {
                    "direct assignment".into()
                },
                if row.user_active { "yes" } else { "no" }.to_string(),
            ]);
        }
        text.push_str(&format!(
            "\n{table}\n{} application access rows\n",
            applications.len()
        ));
    }
    if !gaps.is_empty() {
        text.push_str(&format!(
            "\nnot read, so access may be missing from the rows above ({}):\n",
            gaps.len()
        ));
        for gap in gaps {
            let at = [gap.operation.as_str(), gap.resource.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            text.push_str(&format!(
                "  {}{}: {}\n",
                gap.area,
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" ({at})")
                },
                gap.error
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole report serialized at once: what the streamed one must equal.
    fn json(
        rows: &[AccessRow],
        applications: &[ApplicationAccessRow],
        gaps: &[crate::snapshot::Gap],
    ) -> String {
        let report = AccessReport {
            version: FORMAT_VERSION,
            tool: Tool::current(),
            access: rows.iter().map(|r| AccessOut::of(r, None)).collect(),
            applications: applications.iter().collect(),
            gaps,
        };
        let mut text = serde_json::to_string_pretty(&report).expect("the access report serializes");
        text.push('\n');
        text
    }

    /// The streamed report is the same text as the report of all rows at once, with rows,
    /// with none, and with rows in several batches.
    #[test]
    fn streamed_json_is_the_whole_report() {
        let mut snapshot: crate::snapshot::Snapshot = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/reference-violating.snapshot.json"
            ))
            .unwrap(),
        )
        .unwrap();
        // Names that need escaping, and some that need none but are not ASCII.
        snapshot.users[0].user_name = "quote\" back\\slash\nline\ttab\u{1}".into();
        snapshot.users[1].user_name = "José Müller 😀".into();
        snapshot.groups[0].display_name = "Dev\"Ops\"".into();
        let filter = crate::access::Filter::default();
        let rows = crate::access::effective_access(&snapshot, &filter);
        assert!(rows.len() > 20, "{} rows", rows.len());
        let applications = crate::access::application_access(&snapshot, &filter);
        let gaps = vec![crate::snapshot::Gap {
            area: crate::vocabulary::DataArea::Assignments,
            operation: "sso-admin:ListAccountAssignments".into(),
            resource: "a \"quoted\"\nname".into(),
            error: "denied".into(),
        }];
        let model = crate::model::Model::new(&snapshot);
        for (expected_rows, batches) in [(&rows[..], true), (&[][..], false)] {
            let mut writer = JsonWriter::new(&applications, &gaps);
            let mut out = Vec::new();
            writer.begin(&mut out).unwrap();
            if batches {
                crate::access::for_each_account(&model, &filter, &mut |_, rows| {
                    writer.rows(&mut out, rows).unwrap()
                });
            }
            writer.end(&mut out).unwrap();
            let expected = json(expected_rows, &applications, &gaps);
            if batches {
                for escaped in [
                    r#""quote\" back\\slash\nline\ttab\u0001""#,
                    r#""José Müller 😀""#,
                    r#""Dev\"Ops\"""#,
                ] {
                    assert!(expected.contains(escaped), "no row names {escaped}");
                }
            }
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }
}
