"""CloudTrail records as tables of a real SQL engine (DuckDB), in the two shapes ssoaudit's
statements are written for:

- a CloudTrail Lake event data store: lower-case columns; userIdentity a struct;
  additionalEventData, serviceEventDetails, requestParameters and responseElements maps of
  strings (nested values as JSON text); eventTime as Lake shows it, `YYYY-MM-DD HH:MM:SS.000`;
- the standard Athena table over trail log files (docs/athena.md): the same struct, those four
  columns JSON text, eventTime as the record has it, and the partition columns `account`,
  `region` and `timestamp` (`YYYY/MM/DD`).

Lake's and Athena's `json_extract_scalar` is defined as DuckDB's `json_extract_string`.
"""

import gzip
import json
import os

import duckdb

IDENTITY = """STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR,
    invokedby VARCHAR, accesskeyid VARCHAR, username VARCHAR,
    onbehalfof STRUCT(userid VARCHAR, identitystorearn VARCHAR))"""


def load_records(log_dir):
    """The records of every .json.gz below log_dir, in file name order."""
    records = []
    for root, _, files in sorted(os.walk(log_dir)):
        for name in sorted(files):
            if name.endswith(".json.gz"):
                with gzip.open(os.path.join(root, name), "rt") as f:
                    records.extend(json.load(f)["Records"])
    return records


def text(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def as_map(value):
    if not isinstance(value, dict):
        return {}
    return {k: text(v) for k, v in value.items() if v is not None}


def lake_time(value):
    # 2026-11-23T00:00:00Z -> 2026-11-23 00:00:00.000
    return value.replace("T", " ").rstrip("Z").split(".")[0] + ".000"


def identity(record):
    identity = record.get("userIdentity") or {}
    on_behalf = identity.get("onBehalfOf") or {}
    return {
        "type": identity.get("type"),
        "principalid": identity.get("principalId"),
        "arn": identity.get("arn"),
        "accountid": identity.get("accountId"),
        "invokedby": identity.get("invokedBy"),
        "accesskeyid": identity.get("accessKeyId"),
        "username": identity.get("userName"),
        "onbehalfof": {
            "userid": on_behalf.get("userId"),
            "identitystorearn": on_behalf.get("identityStoreArn"),
        },
    }


def connect():
    con = duckdb.connect()
    con.execute("CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)")
    return con


def create_lake_table(con, table, records):
    con.execute(
        f"""CREATE TABLE "{table}" (
            eventid VARCHAR, eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR,
            useridentity {IDENTITY},
            additionaleventdata MAP(VARCHAR, VARCHAR), serviceeventdetails MAP(VARCHAR, VARCHAR),
            requestparameters MAP(VARCHAR, VARCHAR), responseelements MAP(VARCHAR, VARCHAR),
            recipientaccountid VARCHAR, errorcode VARCHAR)"""
    )
    rows = [
        (
            r.get("eventID"), lake_time(r["eventTime"]), r.get("eventSource"), r.get("eventName"),
            identity(r),
            as_map(r.get("additionalEventData")), as_map(r.get("serviceEventDetails")),
            as_map(r.get("requestParameters")), as_map(r.get("responseElements")),
            r.get("recipientAccountId"), r.get("errorCode"),
        )
        for r in records
    ]
    if rows:
        con.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)


def create_athena_table(con, database, table, records):
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
    con.execute(
        f"""CREATE TABLE "{database}"."{table}" (
            eventversion VARCHAR, useridentity {IDENTITY},
            eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, awsregion VARCHAR,
            sourceipaddress VARCHAR, useragent VARCHAR, errorcode VARCHAR, errormessage VARCHAR,
            requestparameters VARCHAR, responseelements VARCHAR, additionaleventdata VARCHAR,
            requestid VARCHAR, eventid VARCHAR, readonly VARCHAR, eventtype VARCHAR,
            recipientaccountid VARCHAR, serviceeventdetails VARCHAR, sharedeventid VARCHAR,
            account VARCHAR, region VARCHAR, "timestamp" VARCHAR)"""
    )
    rows = [
        (
            r.get("eventVersion"), identity(r), r.get("eventTime"), r.get("eventSource"),
            r.get("eventName"), r.get("awsRegion"), r.get("sourceIPAddress"), r.get("userAgent"),
            r.get("errorCode"), r.get("errorMessage"), text(r.get("requestParameters")),
            text(r.get("responseElements")), text(r.get("additionalEventData")),
            r.get("requestID"), r.get("eventID"), text(r.get("readOnly")), r.get("eventType"),
            r.get("recipientAccountId"), text(r.get("serviceEventDetails")),
            r.get("sharedEventID"), r.get("recipientAccountId"), r.get("awsRegion"),
            r["eventTime"][:10].replace("-", "/"),
        )
        for r in records
    ]
    if rows:
        marks = ", ".join(["?"] * 23)
        con.executemany(f'INSERT INTO "{database}"."{table}" VALUES ({marks})', rows)


def run(con, sql):
    """The rows of a statement as {column: text}, NULL as None."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return columns, [
        [None if v is None else str(v) for v in row] for row in cursor.fetchall()
    ]
