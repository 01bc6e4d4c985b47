"""Validates ssoaudit's OCSF output (one JSON document per line) with py-ocsf-models, Prowler's
independent pydantic models of OCSF, and against the attributes OCSF 1.3 requires of a
Compliance Finding (class 2003) that those models do not check.

Usage: python ocsf_validate.py FILE.ocsf.jsonl
Prints one JSON object: {"records": n, "invalid": [...], "dropped": [...sorted key paths the
models do not know...], "activities": {...}}.
"""

import json
import sys

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding


def paths(value, prefix=""):
    """Every key path of a JSON value (lists flattened with [])."""
    out = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= paths(item, path)
    elif isinstance(value, list):
        for item in value:
            out |= paths(item, prefix + "[]")
    return out


def ocsf_1_3_problems(record):
    """What OCSF 1.3.0 requires of class 2003 (objects/compliance.json: standards required;
    finding_info.title required; status_id 1-4 and 99 only; type_uid = class_uid * 100 +
    activity_id; time an integer of milliseconds)."""
    problems = []
    for key in ("activity_id", "category_uid", "class_uid", "type_uid", "time", "severity_id",
                "metadata", "finding_info", "compliance"):
        if key not in record:
            problems.append(f"missing {key}")
    if record.get("class_uid") != 2003 or record.get("category_uid") != 2:
        problems.append("not class 2003 of category 2")
    if record.get("type_uid") != record.get("class_uid", 0) * 100 + record.get("activity_id", -1):
        problems.append("type_uid is not class_uid * 100 + activity_id")
    if record.get("activity_id") not in (0, 1, 2, 3, 99):
        problems.append("activity_id out of range")
    if record.get("severity_id") not in (0, 1, 2, 3, 4, 5, 6, 99):
        problems.append("severity_id out of range")
    if record.get("status_id", 1) not in (0, 1, 2, 3, 4, 99):
        problems.append("status_id outside OCSF 1.3")
    if not isinstance(record.get("time"), int) or record["time"] < 10**12:
        problems.append("time is not epoch milliseconds")
    metadata = record.get("metadata", {})
    if metadata.get("version") != "1.3.0":
        problems.append("metadata.version is not 1.3.0")
    if not (metadata.get("product", {}).get("name") or metadata.get("product", {}).get("uid")):
        problems.append("metadata.product needs name or uid")
    info = record.get("finding_info", {})
    if not info.get("uid") or not info.get("title"):
        problems.append("finding_info needs uid and title")
    compliance = record.get("compliance", {})
    if not compliance.get("standards"):
        problems.append("compliance.standards is required in 1.3")
    if compliance.get("status_id") not in (0, 1, 2, 3, 99):
        problems.append("compliance.status_id out of range")
    if "cloud" in metadata.get("profiles", []):
        cloud = record.get("cloud", {})
        if not cloud.get("provider"):
            problems.append("the cloud profile requires cloud.provider")
        account = cloud.get("account", {})
        if account and (account.get("type_id") != 10 or not account.get("uid")):
            problems.append("cloud.account must be an AWS Account (type_id 10) with a uid")
    if "remediation" in record and not record["remediation"].get("desc"):
        problems.append("remediation.desc is required")
    for resource in record.get("resources", []):
        if "account" in resource:
            problems.append("resources[].account is not an OCSF 1.3 attribute")
    for key, value in record.get("unmapped", {}).items():
        if not isinstance(value, str):
            problems.append(f"unmapped.{key} is not a string")
    return problems


def main():
    invalid, dropped, activities, count = [], set(), {}, 0
    with open(sys.argv[1]) as f:
        for number, line in enumerate(f, 1):
            record = json.loads(line)
            count += 1
            activities[record.get("activity_name")] = activities.get(record.get("activity_name"), 0) + 1
            try:
                model = ComplianceFinding.model_validate(record)
            except Exception as error:  # pydantic's ValidationError
                invalid.append({"line": number, "error": str(error)[:500]})
                continue
            kept = paths(json.loads(model.model_dump_json(exclude_none=True)))
            dropped |= paths(record) - kept
            for problem in ocsf_1_3_problems(record):
                invalid.append({"line": number, "error": problem})
    print(json.dumps({"records": count, "invalid": invalid, "dropped": sorted(dropped),
                      "activities": activities}))


main()
