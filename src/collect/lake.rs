//! Sign-in and access evidence from a CloudTrail Lake event data store: the aggregation runs in
//! AWS (`StartQuery`), and only the result rows come back (`GetQueryResults`), so years of
//! organization-wide history cost a few calls. Three queries: per-user sign-in summaries,
//! per (user, account, permission set) last role use, and the rare events that each matter.

use super::Scan;
use super::calls::{CallError, Service};
use crate::events::normalize::Normalized;
use crate::snapshot::{RoleUseSummary, UserSignInSummary};
use crate::vocabulary::DataArea;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::QueryStatus;
use serde_json::json;
use std::collections::HashMap;

const SERVICE: Service = Service::CloudTrail;

/// What a Lake read returns.
#[derive(Default)]
pub struct LakeEvidence {
    pub users: Vec<UserSignInSummary>,
    pub role_uses: Vec<RoleUseSummary>,
    pub rare: Vec<Normalized>,
}

/// What a query's `FROM` names: the event data store's id, the last part of its ARN
/// (`arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID`); an id is used as it is.
pub fn store_id(store: &str) -> &str {
    if store.starts_with("arn:") {
        store.rsplit('/').next().unwrap_or(store)
    } else {
        store
    }
}

/// The filter on event time of the period from `since` to `until` (Lake's `YYYY-MM-DD HH:MM:SS`).
fn period(since: &str, until: &str) -> String {
    format!("eventtime >= '{since}' AND eventtime <= '{until}'")
}

/// The three queries, by the marker comment that names them: sign-ins, role uses, rare events.
pub fn queries(store: &str, since: &str, until: &str) -> [(&'static str, String); 3] {
    let window = period(since, until);
    [
        ("sign-ins", sign_ins_query(store, &window)),
        ("role-uses", role_uses_query(store, &window)),
        ("rare", rare_query(store, &window)),
    ]
}

fn sign_ins_query(store: &str, window: &str) -> String {
    let store = store_id(store);
    format!(
        "-- ssoaudit: sign-ins
SELECT useridentity.onbehalfof.userid AS user_id,
       coalesce(additionaleventdata['UserName'], useridentity.username) AS user_name,
       max(eventtime) AS last_sign_in,
       max(CASE WHEN coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%TOTP%'
                 AND coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%WEBAUTHN%'
                 AND coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%EXTERNAL_IDP%'
                THEN eventtime END) AS last_without_mfa,
       min(CASE WHEN coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%TOTP%'
                 AND coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%WEBAUTHN%'
                 AND coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%EXTERNAL_IDP%'
                THEN eventtime END) AS first_without_mfa,
       count(CASE WHEN coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%TOTP%'
                   AND coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%WEBAUTHN%'
                   AND coalesce(additionaleventdata['CredentialType'], '') NOT LIKE '%EXTERNAL_IDP%'
                  THEN 1 END) AS without_mfa_count,
       max(CASE WHEN additionaleventdata['CredentialType'] LIKE '%EXTERNAL_IDP%' THEN eventtime END) AS last_external_idp
FROM {store}
WHERE eventsource = 'signin.amazonaws.com' AND eventname = 'UserAuthentication'
  AND serviceeventdetails['UserAuthentication'] = 'Success' AND {window}
GROUP BY 1, 2"
    )
}

fn role_uses_query(store: &str, window: &str) -> String {
    let store = store_id(store);
    format!(
        "-- ssoaudit: role-uses
SELECT coalesce(useridentity.onbehalfof.userid, useridentity.username) AS user_id,
       serviceeventdetails['account_id'] AS account_id,
       serviceeventdetails['role_name'] AS role_name,
       max(eventtime) AS last_used
FROM {store}
WHERE eventsource = 'sso.amazonaws.com' AND eventname = 'GetRoleCredentials'
  AND errorcode IS NULL AND {window}
GROUP BY 1, 2, 3"
    )
}

fn rare_query(store: &str, window: &str) -> String {
    let store = store_id(store);
    // A failed verification does not carry the typed user name; the workflow's first
    // challenge does.
    format!(
        "-- ssoaudit: rare
WITH challenges AS (
  SELECT additionaleventdata['AuthWorkflowID'] AS workflow, max(additionaleventdata['UserName']) AS typed
  FROM {store}
  WHERE eventsource = 'signin.amazonaws.com' AND eventname = 'CredentialChallenge' AND {window}
  GROUP BY 1
)
SELECT eventid, eventtime, eventsource, eventname, useridentity.type AS identity_type,
       useridentity.onbehalfof.userid AS user_id,
       coalesce(additionaleventdata['UserName'], useridentity.username, challenges.typed) AS user_name,
       useridentity.accesskeyid AS access_key_id, recipientaccountid AS account_id,
       additionaleventdata['AuthWorkflowID'] AS workflow_id,
       additionaleventdata['CredentialType'] AS credential_type,
       additionaleventdata['MFAUsed'] AS mfa_used,
       coalesce(serviceeventdetails['CredentialVerification'], responseelements['ConsoleLogin']) AS outcome,
       requestparameters['targetPrincipal'] AS target_principal,
       json_extract_scalar(responseelements['credentials'], '$.accessKeyId') AS issued_key
FROM {store} LEFT JOIN challenges ON additionaleventdata['AuthWorkflowID'] = challenges.workflow
WHERE {window} AND (
      (eventsource = 'signin.amazonaws.com' AND eventname = 'CredentialVerification'
       AND serviceeventdetails['CredentialVerification'] = 'Failure')
   OR (eventname = 'ConsoleLogin' AND useridentity.type IN ('Root', 'IAMUser'))
   OR (eventsource = 'sts.amazonaws.com' AND eventname = 'AssumeRoot' AND errorcode IS NULL)
   OR useridentity.type = 'Root')"
    )
}

/// `2026-01-15 09:00:07.000` (Lake) or RFC 3339 → RFC 3339 seconds.
fn rfc3339(text: &str) -> Option<String> {
    let cleaned = text.trim().replace(' ', "T");
    let cleaned = cleaned
        .split('.')
        .next()
        .unwrap_or(&cleaned)
        .trim_end_matches('Z')
        .to_string();
    chrono::NaiveDateTime::parse_from_str(&cleaned, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| {
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
}

/// The first wait between polls of a query that is still running.
pub(crate) const FIRST_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Waits before polling query `id`, still `state`, again: doubling waits up to 5 s, within the
/// scan's time budget (a query that outlasts it is an error, not a wait past the budget).
pub(crate) async fn wait_to_poll(
    scan: &Scan,
    id: &str,
    state: &str,
    wait: &mut std::time::Duration,
) -> Result<(), CallError> {
    if scan.caller.remaining().is_some_and(|left| left < *wait) {
        return Err(CallError::Failed(format!(
            "query {id} still {state} when {}",
            scan.caller.budget_message()
        )));
    }
    tokio::time::sleep(*wait).await;
    *wait = (*wait * 2).min(std::time::Duration::from_secs(5));
    Ok(())
}

/// Runs one query to completion and returns its rows as column → value maps.
async fn query(
    scan: &Scan,
    client: &Client,
    statement: String,
) -> Result<Vec<HashMap<String, String>>, CallError> {
    let started = scan
        .caller
        .call(SERVICE, "StartQuery", || {
            client.start_query().query_statement(&statement).send()
        })
        .await?;
    let id = started.query_id().unwrap_or_default().to_string();
    let mut wait = FIRST_POLL;
    loop {
        let described = scan
            .caller
            .call(SERVICE, "DescribeQuery", || {
                client.describe_query().query_id(&id).send()
            })
            .await?;
        match described.query_status() {
            Some(QueryStatus::Finished) => break,
            Some(QueryStatus::Failed | QueryStatus::Cancelled | QueryStatus::TimedOut) => {
                return Err(CallError::Failed(format!(
                    "query {id} ended {}: {}",
                    described.query_status().map(|s| s.as_str()).unwrap_or(""),
                    described.error_message().unwrap_or("")
                )));
            }
            status => {
                let state = status.map(|s| s.as_str()).unwrap_or("pending");
                wait_to_poll(scan, &id, state, &mut wait).await?;
            }
        }
    }
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = scan
            .caller
            .call(SERVICE, "GetQueryResults", || {
                client
                    .get_query_results()
                    .query_id(&id)
                    .max_query_results(1000)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        for row in page.query_result_rows() {
            rows.push(
                row.iter()
                    .flat_map(|cell| cell.iter().map(|(k, v)| (k.clone(), v.clone())))
                    .collect(),
            );
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(rows);
        }
    }
}

/// A cell of a result row: None when absent or empty.
fn text(row: &HashMap<String, String>, key: &str) -> Option<String> {
    row.get(key).filter(|v| !v.is_empty()).cloned()
}

/// A time cell: None when absent, an error when present but not a time.
fn time_cell(row: &HashMap<String, String>, key: &str) -> Result<Option<String>, String> {
    match text(row, key) {
        None => Ok(None),
        Some(value) => rfc3339(&value)
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a time: `{value}`")),
    }
}

/// The per-user sign-in summaries of the sign-ins query's rows, and an error for each row
/// that cannot be read (an unreadable time or count, no user): such a row is not taken for a
/// user without sign-ins.
pub fn sign_ins_from_rows(
    rows: &[HashMap<String, String>],
) -> (Vec<UserSignInSummary>, Vec<String>) {
    let mut users = Vec::new();
    let mut errors = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let read = || -> Result<UserSignInSummary, String> {
            let user_id = text(row, "user_id");
            let user_name = text(row, "user_name");
            if user_id.is_none() && user_name.is_none() {
                return Err("no user id or name".into());
            }
            let count = match text(row, "without_mfa_count") {
                None => 0,
                Some(count) => count
                    .parse()
                    .map_err(|_| format!("`without_mfa_count` is not a count: `{count}`"))?,
            };
            Ok(UserSignInSummary {
                user_name: if user_id.is_some() { None } else { user_name },
                user_id,
                last_sign_in: time_cell(row, "last_sign_in")?,
                last_sign_in_without_mfa: time_cell(row, "last_without_mfa")?,
                last_external_idp_sign_in: time_cell(row, "last_external_idp")?,
                first_sign_in_without_mfa: time_cell(row, "first_without_mfa")?,
                sign_ins_without_mfa: count,
            })
        };
        match read() {
            Ok(user) => users.push(user),
            Err(error) => errors.push(format!("sign-ins row {}: {error}", n + 1)),
        }
    }
    (users, errors)
}

/// The last role uses of the role-uses query's rows, and an error for each row that lacks a
/// user, account, role or readable time.
pub fn role_uses_from_rows(rows: &[HashMap<String, String>]) -> (Vec<RoleUseSummary>, Vec<String>) {
    let mut uses = Vec::new();
    let mut errors = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let read = || -> Result<RoleUseSummary, String> {
            let cell = |key: &str| text(row, key).ok_or_else(|| format!("no `{key}`"));
            Ok(RoleUseSummary {
                user: crate::vocabulary::UserKey::Id(cell("user_id")?),
                account_id: cell("account_id")?,
                permission_set_name: cell("role_name")?,
                last_used: time_cell(row, "last_used")?.ok_or("no `last_used`")?,
            })
        };
        match read() {
            Ok(role_use) => uses.push(role_use),
            Err(error) => errors.push(format!("role-uses row {}: {error}", n + 1)),
        }
    }
    (uses, errors)
}

/// The gaps of a query's unreadable rows: a result of many is the first ten and a count, not
/// a gap per row.
fn row_gaps(kind: &str, errors: Vec<String>) -> Vec<String> {
    const SHOWN: usize = 10;
    let more = errors.len().saturating_sub(SHOWN);
    let mut gaps: Vec<String> = errors.into_iter().take(SHOWN).collect();
    if more > 0 {
        gaps.push(format!("{kind}: {more} more rows could not be read"));
    }
    gaps
}

/// Reads the rows of one query into `evidence`; rows that cannot be read are gaps of `scan`
/// (at `operation` on `resource`).
pub(crate) fn take_rows(
    scan: &Scan,
    evidence: &mut LakeEvidence,
    kind: &str,
    rows: &[HashMap<String, String>],
    (service, operation, resource): (Service, &str, &str),
) {
    let errors = match kind {
        "sign-ins" => {
            let (users, errors) = sign_ins_from_rows(rows);
            evidence.users = users;
            errors
        }
        "role-uses" => {
            let (uses, errors) = role_uses_from_rows(rows);
            evidence.role_uses = uses;
            errors
        }
        _ => {
            let (events, errors) = rare_from_rows(rows);
            evidence.rare = events;
            errors
        }
    };
    for error in row_gaps(kind, errors) {
        scan.gap(
            DataArea::Events,
            service,
            operation,
            resource,
            &CallError::Failed(error),
        );
    }
}

/// The rare events of the rare query's rows: each row's record rebuilt and normalized like any
/// other; a row that does not normalize is returned as an error.
pub fn rare_from_rows(rows: &[HashMap<String, String>]) -> (Vec<Normalized>, Vec<String>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        let get = |k: &str| text(row, k);
        let mut identity =
            json!({"type": get("identity_type").unwrap_or_else(|| "Unknown".into())});
        if let Some(user) = get("user_id") {
            identity["onBehalfOf"] = json!({"userId": user});
        }
        if let Some(key) = get("access_key_id") {
            identity["accessKeyId"] = json!(key);
        }
        let name = get("eventname").unwrap_or_default();
        let record = json!({
            "eventID": get("eventid"),
            "eventTime": get("eventtime").and_then(|t| rfc3339(&t)),
            "eventSource": get("eventsource"),
            "eventName": name,
            "userIdentity": identity,
            "recipientAccountId": get("account_id"),
            "additionalEventData": {
                "UserName": get("user_name"), "AuthWorkflowID": get("workflow_id"),
                "CredentialType": get("credential_type"), "MFAUsed": get("mfa_used"),
            },
            "serviceEventDetails": {"CredentialVerification": get("outcome")},
            "responseElements": {"ConsoleLogin": get("outcome"), "credentials": {"accessKeyId": get("issued_key")}},
            "requestParameters": {"targetPrincipal": get("target_principal")},
        });
        match crate::events::normalize::normalize(&record) {
            Ok(Some(normalized)) => events.push(normalized),
            Ok(None) => {}
            Err(error) => errors.push(error.0),
        }
    }
    (events, errors)
}

/// Reads the evidence from `since` to `until` from the event data store `store`.
pub(crate) async fn read(
    scan: &Scan,
    client: &Client,
    store: &str,
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> LakeEvidence {
    let lake_time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let window = period(&lake_time(since), &lake_time(until));
    let mut evidence = LakeEvidence::default();
    for (kind, label, statement) in [
        ("sign-ins", "sign-ins", sign_ins_query(store, &window)),
        ("role-uses", "role-uses", role_uses_query(store, &window)),
        ("rare", "rare events", rare_query(store, &window)),
    ] {
        match query(scan, client, statement).await {
            Ok(rows) => take_rows(
                scan,
                &mut evidence,
                kind,
                &rows,
                (SERVICE, "GetQueryResults", store),
            ),
            Err(error) => scan.gap(
                DataArea::Events,
                SERVICE,
                "StartQuery",
                &format!("{store} {label}"),
                &error,
            ),
        }
    }
    scan.progress.note(&format!(
        "CloudTrail Lake {store}: {} users, {} role uses, {} other events",
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
    fn many_unreadable_rows_are_ten_gaps_and_a_count() {
        let errors: Vec<String> = (1..=25).map(|n| format!("sign-ins row {n}: bad")).collect();
        let gaps = row_gaps("sign-ins", errors);
        assert_eq!(gaps.len(), 11);
        assert_eq!(gaps[9], "sign-ins row 10: bad");
        assert_eq!(gaps[10], "sign-ins: 15 more rows could not be read");
        assert_eq!(row_gaps("rare", vec!["x".into()]), ["x"]);
    }
}
