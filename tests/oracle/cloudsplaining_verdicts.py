"""Privilege-escalation verdicts of cloudsplaining (an independent classifier, PyPI, MIT) for
policy documents: reads `[{"name": ..., "document": {...}}, ...]` on standard input and writes
`{"name": ["EscalationMethod", ...], ...}` on standard output.
Used by tests/oracle.rs to measure ssoaudit's capabilities against it."""
import json
import sys

from cloudsplaining.scan.policy_document import PolicyDocument

policies = json.load(sys.stdin)
verdicts = {}
for policy in policies:
    document = PolicyDocument(policy["document"])
    verdicts[policy["name"]] = sorted({e["type"] for e in document.allows_privilege_escalation})
json.dump(verdicts, sys.stdout, sort_keys=True)
