"""Executes ssoaudit's CloudTrail Lake statements in DuckDB over trail log files.

Usage: python duckdb_run.py LOG_DIR TABLE STATEMENTS.json

The records of every `.json.gz` under LOG_DIR are loaded into TABLE in the shape of a Lake
event data store (lower-case columns; userIdentity a struct; additionalEventData,
serviceEventDetails, requestParameters and responseElements maps of strings, nested values as
JSON text; eventTime as Lake shows it, `YYYY-MM-DD HH:MM:SS.000`). Lake's
`json_extract_scalar` is defined as DuckDB's `json_extract_string`. Each statement of
STATEMENTS.json ([[name, sql], ...]) runs as written; the rows come back as JSON
{name: [{column: text}]}, NULL as "".
"""

import gzip
import json
import os
import sys

import duckdb


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


def main():
    log_dir, table, statements = sys.argv[1], sys.argv[2], sys.argv[3]
    records = []
    for root, _, files in os.walk(log_dir):
        for name in sorted(files):
            if name.endswith(".json.gz"):
                with gzip.open(os.path.join(root, name), "rt") as f:
                    records.extend(json.load(f)["Records"])
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE "{table}" (
            eventid VARCHAR, eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR,
            useridentity STRUCT(type VARCHAR, username VARCHAR, accesskeyid VARCHAR,
                                onbehalfof STRUCT(userid VARCHAR)),
            additionaleventdata MAP(VARCHAR, VARCHAR), serviceeventdetails MAP(VARCHAR, VARCHAR),
            requestparameters MAP(VARCHAR, VARCHAR), responseelements MAP(VARCHAR, VARCHAR),
            recipientaccountid VARCHAR, errorcode VARCHAR)"""
    )
    rows = []
    for r in records:
        identity = r.get("userIdentity") or {}
        on_behalf = identity.get("onBehalfOf") or {}
        rows.append((
            r.get("eventID"), lake_time(r["eventTime"]), r.get("eventSource"), r.get("eventName"),
            {
                "type": identity.get("type"),
                "username": identity.get("userName"),
                "accesskeyid": identity.get("accessKeyId"),
                "onbehalfof": {"userid": on_behalf.get("userId")},
            },
            as_map(r.get("additionalEventData")), as_map(r.get("serviceEventDetails")),
            as_map(r.get("requestParameters")), as_map(r.get("responseElements")),
            r.get("recipientAccountId"), r.get("errorCode"),
        ))
    con.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)
    con.execute("CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)")
    out = {}
    with open(statements) as f:
        for name, sql in json.load(f):
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description]
            out[name] = [
                {c: ("" if v is None else str(v)) for c, v in zip(columns, row)}
                for row in cursor.fetchall()
            ]
    json.dump({"records": len(records), "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
