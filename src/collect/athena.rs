//! Sign-in and access evidence from an Athena table over the trail's log files: the same three
//! aggregations as the Lake source, written for the standard CloudTrail table (docs/athena.md:
//! partition projection on `account`, `region` and `timestamp`, the four nested columns JSON
//! text), pruned by the `timestamp` partition so that only the period's days are scanned; only
//! result rows come back.

use super::Scan;
use super::calls::{CallError, Service};
use super::lake::{LakeEvidence, take_rows};
use crate::vocabulary::DataArea;
use aws_sdk_athena::Client;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use std::collections::HashMap;

const SERVICE: Service = Service::Athena;

/// `DATABASE.TABLE`, each a Glue name (letters, digits, `_`, `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AthenaTable {
    pub database: String,
    pub table: String,
}

impl std::fmt::Display for AthenaTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.database, self.table)
    }
}

/// Parses `DATABASE.TABLE`.
pub fn parse_table(text: &str) -> Result<AthenaTable, String> {
    let valid = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match text.split_once('.') {
        Some((database, table)) if valid(database) && valid(table) => Ok(AthenaTable {
            database: database.to_string(),
            table: table.to_string(),
        }),
        _ => Err(format!(
            "{text}: not an Athena table (DATABASE.TABLE, letters, digits, _ and -)"
        )),
    }
}

/// Whether a sign-in's credential type is single-factor: no TOTP, WebAuthn or external IdP, a
/// missing type included (as the folder source counts it).
const SINGLE_FACTOR: &str = "coalesce(json_extract_scalar(additionaleventdata, '$.CredentialType'), '') NOT LIKE '%TOTP%'
                 AND coalesce(json_extract_scalar(additionaleventdata, '$.CredentialType'), '') NOT LIKE '%WEBAUTHN%'
                 AND coalesce(json_extract_scalar(additionaleventdata, '$.CredentialType'), '') NOT LIKE '%EXTERNAL_IDP%'";

/// The three statements, by the marker comment that names them, for events from `since` to
/// `until`: sign-ins, role uses, rare events.
pub fn queries(
    table: &AthenaTable,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> [(&'static str, String); 3] {
    let from = format!("\"{}\".\"{}\"", table.database, table.table);
    // The partition holds the day a file was delivered, which is the day of its events or
    // the next: the day before the period is scanned too, and the events filtered by time.
    let day = (since - chrono::Duration::days(1))
        .format("%Y/%m/%d")
        .to_string();
    let pruned = format!("\"timestamp\" >= '{day}'");
    let since = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let until = until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    [
        (
            "sign-ins",
            format!(
                "-- ssoaudit: sign-ins
SELECT useridentity.onbehalfof.userid AS user_id,
       coalesce(json_extract_scalar(additionaleventdata, '$.UserName'), useridentity.username) AS user_name,
       max(eventtime) AS last_sign_in,
       max(CASE WHEN {SINGLE_FACTOR} THEN eventtime END) AS last_without_mfa,
       min(CASE WHEN {SINGLE_FACTOR} THEN eventtime END) AS first_without_mfa,
       count(CASE WHEN {SINGLE_FACTOR} THEN 1 END) AS without_mfa_count,
       max(CASE WHEN json_extract_scalar(additionaleventdata, '$.CredentialType') LIKE '%EXTERNAL_IDP%' THEN eventtime END) AS last_external_idp
FROM {from}
WHERE {pruned} AND eventtime >= '{since}' AND eventtime <= '{until}'
  AND eventsource = 'signin.amazonaws.com' AND eventname = 'UserAuthentication'
  AND json_extract_scalar(serviceeventdetails, '$.UserAuthentication') = 'Success'
GROUP BY 1, 2"
            ),
        ),
        (
            "role-uses",
            format!(
                "-- ssoaudit: role-uses
SELECT coalesce(useridentity.onbehalfof.userid, useridentity.username) AS user_id,
       json_extract_scalar(serviceeventdetails, '$.account_id') AS account_id,
       json_extract_scalar(serviceeventdetails, '$.role_name') AS role_name,
       max(eventtime) AS last_used
FROM {from}
WHERE {pruned} AND eventtime >= '{since}' AND eventtime <= '{until}'
  AND eventsource = 'sso.amazonaws.com' AND eventname = 'GetRoleCredentials' AND errorcode IS NULL
GROUP BY 1, 2, 3"
            ),
        ),
        (
            "rare",
            // A failed verification does not carry the typed user name; the workflow's first
            // challenge does.
            format!(
                "-- ssoaudit: rare
WITH challenges AS (
  SELECT json_extract_scalar(additionaleventdata, '$.AuthWorkflowID') AS workflow,
         max(json_extract_scalar(additionaleventdata, '$.UserName')) AS typed
  FROM {from}
  WHERE {pruned} AND eventtime >= '{since}' AND eventtime <= '{until}'
    AND eventsource = 'signin.amazonaws.com' AND eventname = 'CredentialChallenge'
  GROUP BY 1
)
SELECT eventid, eventtime, eventsource, eventname, useridentity.type AS identity_type,
       useridentity.onbehalfof.userid AS user_id,
       coalesce(json_extract_scalar(additionaleventdata, '$.UserName'), useridentity.username, challenges.typed) AS user_name,
       useridentity.accesskeyid AS access_key_id, recipientaccountid AS account_id,
       json_extract_scalar(additionaleventdata, '$.AuthWorkflowID') AS workflow_id,
       json_extract_scalar(additionaleventdata, '$.CredentialType') AS credential_type,
       json_extract_scalar(additionaleventdata, '$.MFAUsed') AS mfa_used,
       coalesce(json_extract_scalar(serviceeventdetails, '$.CredentialVerification'),
                json_extract_scalar(responseelements, '$.ConsoleLogin')) AS outcome,
       json_extract_scalar(requestparameters, '$.targetPrincipal') AS target_principal,
       json_extract_scalar(responseelements, '$.credentials.accessKeyId') AS issued_key
FROM {from} LEFT JOIN challenges
  ON json_extract_scalar(additionaleventdata, '$.AuthWorkflowID') = challenges.workflow
WHERE {pruned} AND eventtime >= '{since}' AND eventtime <= '{until}' AND (
      (eventsource = 'signin.amazonaws.com' AND eventname = 'CredentialVerification'
       AND json_extract_scalar(serviceeventdetails, '$.CredentialVerification') = 'Failure')
   OR (eventname = 'ConsoleLogin' AND useridentity.type IN ('Root', 'IAMUser'))
   OR (eventsource = 'sts.amazonaws.com' AND eventname = 'AssumeRoot' AND errorcode IS NULL)
   OR useridentity.type = 'Root')"
            ),
        ),
    ]
}

/// Where and how queries run.
pub struct AthenaOptions<'a> {
    pub table: &'a AthenaTable,
    pub workgroup: &'a str,
    /// The result location, for a workgroup without one.
    pub output: Option<&'a str>,
}

/// Runs one statement to completion and returns its rows as column → value maps (a NULL is
/// absent).
async fn query(
    scan: &Scan,
    client: &Client,
    options: &AthenaOptions<'_>,
    statement: &str,
) -> Result<Vec<HashMap<String, String>>, CallError> {
    let context = QueryExecutionContext::builder()
        .database(&options.table.database)
        .build();
    let results = options.output.map(|output| {
        ResultConfiguration::builder()
            .output_location(output)
            .build()
    });
    let started = scan
        .caller
        .call(SERVICE, "StartQueryExecution", || {
            client
                .start_query_execution()
                .query_string(statement)
                .query_execution_context(context.clone())
                .work_group(options.workgroup)
                .set_result_configuration(results.clone())
                .send()
        })
        .await?;
    let id = started.query_execution_id().unwrap_or_default().to_string();
    let mut wait = super::lake::FIRST_POLL;
    loop {
        let described = scan
            .caller
            .call(SERVICE, "GetQueryExecution", || {
                client.get_query_execution().query_execution_id(&id).send()
            })
            .await?;
        let status = described.query_execution().and_then(|q| q.status());
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => break,
            Some(state @ (QueryExecutionState::Failed | QueryExecutionState::Cancelled)) => {
                return Err(CallError::Failed(format!(
                    "query {id} ended {}: {}",
                    state.as_str(),
                    status
                        .and_then(|s| s.state_change_reason())
                        .unwrap_or_default()
                )));
            }
            state => {
                let state = state.map(|s| s.as_str()).unwrap_or("pending");
                super::lake::wait_to_poll(scan, &id, state, &mut wait).await?;
            }
        }
    }
    let mut rows = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut first_page = true;
    loop {
        let page = scan
            .caller
            .call(SERVICE, "GetQueryResults", || {
                client
                    .get_query_results()
                    .query_execution_id(&id)
                    .max_results(1000)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let Some(set) = page.result_set() else {
            return Err(CallError::Failed(format!("query {id}: no result set")));
        };
        if columns.is_empty() {
            columns = set
                .result_set_metadata()
                .map(|m| {
                    m.column_info()
                        .iter()
                        .map(|c| c.name().to_string())
                        .collect()
                })
                .unwrap_or_default();
        }
        // Rows without column names cannot be read: empty maps would pass for rows with
        // nothing to say.
        if columns.is_empty() && set.rows().len() > usize::from(first_page) {
            return Err(CallError::Failed(format!(
                "query {id}: result rows without column names"
            )));
        }
        // The first row of the first page names the columns.
        let skip = usize::from(first_page);
        first_page = false;
        for row in set.rows().iter().skip(skip) {
            rows.push(
                columns
                    .iter()
                    .zip(row.data())
                    .filter_map(|(column, datum)| {
                        datum
                            .var_char_value()
                            .map(|value| (column.clone(), value.to_string()))
                    })
                    .collect(),
            );
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(rows);
        }
    }
}

/// Reads the evidence from `since` to `until` from the table.
pub(crate) async fn read(
    scan: &Scan,
    client: &Client,
    options: &AthenaOptions<'_>,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> LakeEvidence {
    let mut evidence = LakeEvidence::default();
    let table = options.table.to_string();
    for (name, statement) in queries(options.table, since, until) {
        let rows = match query(scan, client, options, &statement).await {
            Ok(rows) => rows,
            Err(error) => {
                scan.gap(
                    DataArea::Events,
                    SERVICE,
                    "StartQueryExecution",
                    &format!("{table} {name}"),
                    &error,
                );
                continue;
            }
        };
        take_rows(
            scan,
            &mut evidence,
            name,
            &rows,
            (SERVICE, "GetQueryResults", &table),
        );
    }
    scan.progress.note(&format!(
        "Athena {table}: {} users, {} role uses, {} other events",
        evidence.users.len(),
        evidence.role_uses.len(),
        evidence.rare.len()
    ));
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(
            parse_table("security.cloudtrail_logs").unwrap(),
            AthenaTable {
                database: "security".into(),
                table: "cloudtrail_logs".into()
            }
        );
        for bad in ["cloudtrail_logs", "a.", ".b", "a.b;drop", "a.b c"] {
            assert!(parse_table(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statements_are_pruned_by_day_and_filtered_by_time() {
        let table = parse_table("security.cloudtrail_logs").unwrap();
        let since = chrono::DateTime::parse_from_rfc3339("2026-09-01T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        for (name, sql) in queries(&table, since, since + chrono::Duration::days(90)) {
            assert!(sql.starts_with(&format!("-- ssoaudit: {name}\n")));
            assert!(
                sql.contains("FROM \"security\".\"cloudtrail_logs\""),
                "{sql}"
            );
            assert!(sql.contains("\"timestamp\" >= '2026/08/31'"), "{sql}");
            assert!(sql.contains("eventtime >= '2026-09-01T12:00:00Z'"), "{sql}");
        }
    }
}
