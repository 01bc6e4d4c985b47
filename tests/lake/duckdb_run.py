"""Executes ssoaudit's CloudTrail Lake or Athena statements in DuckDB over trail log files.

Usage: python duckdb_run.py LOG_DIR SHAPE TABLE STATEMENTS.json

The records of every `.json.gz` under LOG_DIR are loaded into TABLE in the SHAPE `lake` (TABLE
the event data store id) or `athena` (TABLE as DATABASE.TABLE); see cloudtrail_tables.py. Each
statement of STATEMENTS.json ([[name, sql], ...]) runs as written; the rows come back as JSON
{name: [{column: text}]}, NULL as "".
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cloudtrail_tables  # noqa: E402


def main():
    log_dir, shape, table, statements = sys.argv[1:5]
    records = cloudtrail_tables.load_records(log_dir)
    con = cloudtrail_tables.connect()
    if shape == "lake":
        cloudtrail_tables.create_lake_table(con, table, records)
    elif shape == "athena":
        database, name = table.split(".", 1)
        cloudtrail_tables.create_athena_table(con, database, name, records)
    else:
        sys.exit(f"unknown shape {shape!r}: lake or athena")
    out = {}
    with open(statements) as f:
        for name, sql in json.load(f):
            columns, rows = cloudtrail_tables.run(con, sql)
            out[name] = [
                {c: ("" if v is None else v) for c, v in zip(columns, row)} for row in rows
            ]
    json.dump({"records": len(records), "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
