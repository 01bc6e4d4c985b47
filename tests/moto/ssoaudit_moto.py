"""moto in server mode, with what ssoaudit's tests need that moto 5.2.5 lacks.

Run: python ssoaudit_moto.py [--port 0]; prints "PORT <n>" once listening on 127.0.0.1.

A WSGI layer in front of moto:
- counts calls per `service:Operation` (GET /_ssoaudit/calls, POST /_ssoaudit/reset);
- injects faults and latency (POST /_ssoaudit/config: throttle_rate, deny, latency_ms, seed),
  and an account's shared request budget (rate_limit: a token bucket over the services
  listed, throttling what exceeds it, as AWS does when another client spends the same quota);
- implements sso-admin operations moto lacks or gets wrong: AttachManagedPolicyToPermissionSet
  (moto knows AWS-managed policies only at path "/"), ListTagsForResource,
  Get/PutPermissionsBoundaryToPermissionSet, ProvisionPermissionSet (honours its target),
  ListAccountsForProvisionedPermissionSet, ListPermissionSetsProvisionedToAccount (both with
  ProvisioningStatus and pagination);
- accepts sso.amazonaws.com and iam.amazonaws.com as delegated administrator services (AWS does);
- lists account instances beside moto's organization instance, and serves DescribeInstance
  (status, encryption), ListRegions and IAM ListOrganizationsFeatures (POST /_ssoaudit/settings),
  and ListApplications / ListApplicationAssignments (POST /_ssoaudit/applications), paged;
- serves account access manager (REST JSON, service `account-access`): ListApplications,
  GetApplication and ListEntitlements, which requires its filter (principal, role or account)
  and pages at most 2 entitlements (POST /_ssoaudit/account-access);
- adds Identity Store UserStatus (POST /_ssoaudit/user-status) and marks sets as edited but
  not re-provisioned in an account (POST /_ssoaudit/outdated);
- serves CloudTrail LookupEvents (moto has none) over records given to
  POST /_ssoaudit/cloudtrail-events: one lookup attribute, time range, newest first, 50 a page;
  with record_writes (config), every write of sso-admin, Identity Store, Organizations and IAM
  is served and recorded there as CloudTrail records it (GET-like POST
  /_ssoaudit/cloudtrail-recorded returns them; POST cloudtrail-events replaces them, to lose
  some), CreateAccountAssignment provisions its pair as AWS does, a deletion gets a request id
  of its own (moto reuses the creation's) and assignment requests are
  listed by ListAccountAssignmentCreationStatus / DeletionStatus;
  and CloudTrail Lake StartQuery / DescribeQuery / GetQueryResults for ssoaudit's three
  queries, computed from the same records, rows in the GetQueryResults shape (config:
  lake_running_polls, lake_status per query kind, lake_page_size);
- serves Athena StartQueryExecution / GetQueryExecution / GetQueryResults by executing each
  statement, as written, in DuckDB over the same records loaded in the shape of the standard
  CloudTrail table (POST /_ssoaudit/athena names the database and table, and query kinds that
  fail; GET /_ssoaudit/athena-queries lists what ran);
- counts S3 calls (moto serves them) by operation, and loads a folder's files into a bucket
  (POST /_ssoaudit/s3-upload).
"""

import argparse
import base64
import io
import json
import os
from urllib.parse import parse_qs
import random
import sys
import threading
import time

from werkzeug.serving import make_server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lake"))
import cloudtrail_tables  # noqa: E402
from werkzeug.wrappers import Request, Response

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

TARGET_PREFIXES = {
    "SWBExternalService": "sso-admin",
    "AWSIdentityStore": "identitystore",
    "AWSOrganizationsV20161128": "organizations",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": "cloudtrail",
    "CloudTrail_20131101": "cloudtrail",
    "AmazonAthena": "athena",
}

THROTTLE_ERRORS = {
    "organizations": "TooManyRequestsException",
}


def account_access_operation(method, path):
    if path == "/applications-list":
        return "ListApplications"
    if path == "/entitlements-list":
        return "ListEntitlements"
    if method == "GET" and path.startswith("/applications/"):
        return "GetApplication"
    return "Unknown"


def s3_operation(request):
    """The S3 operation of a path-style request (the ones ssoaudit makes, and the test's own)."""
    parts = request.path.lstrip("/").split("/", 1)
    has_key = len(parts) == 2 and parts[1] != ""
    if request.method == "GET":
        if "location" in request.args:
            return "GetBucketLocation"
        if has_key:
            return "GetObject"
        if request.args.get("list-type") == "2":
            return "ListObjectsV2"
        return "ListObjects"
    if request.method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if request.method == "PUT":
        return "PutObject" if has_key else "CreateBucket"
    return request.method


# The event sources CloudTrail records each service's calls under.
RECORDED_SOURCES = {
    "sso-admin": "sso.amazonaws.com",
    "identitystore": "identitystore.amazonaws.com",
    "organizations": "organizations.amazonaws.com",
    "iam": "iam.amazonaws.com",
}


def is_write(operation):
    return not operation.startswith(("List", "Describe", "Get", "Lookup", "Is", "Search"))


def camel(value):
    """Keys as CloudTrail writes them: `PermissionSetArn` becomes `permissionSetArn`."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def json_response(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/x-amz-json-1.1")


def error(kind, message, status=400):
    return json_response({"__type": kind, "message": message, "Message": message}, status)


def xml_error(code, message, status=400):
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
    return Response(body, status=status, content_type="text/xml")


def paged_response(key, items, params, default=100):
    """One page of `items` under `key`, with NextToken while more remain."""
    chunk, token = page(items, params, default)
    body = {key: chunk}
    if token:
        body["NextToken"] = token
    return json_response(body)


def page(items, params, default=100):
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or default)
    chunk = items[start : start + size]
    token = str(start + size) if start + size < len(items) else None
    return chunk, token


class Extension:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls = {}
        self.regions_called = {}
        self.throttled = 0
        self.throttle_rate = 0.0
        self.deny = {}
        self.latency = 0.0
        self.random = random.Random(1)
        self.throttle = {}
        self.lake_running_polls = 0
        self.lake_status = {}
        self.lake_page_size = None
        # The shared budget: {"per_second", "burst", "services"}, its tokens and last refill.
        self.rate_limit = None
        self.tokens = 0.0
        self.refilled = 0.0
        # permission set ARN -> set of account ids
        self.provisioned = {}
        self.outdated = {}
        self.boundaries = {}
        self.user_status = {}
        # Identity Store id -> what SCIM provisioning and the store add to a user or group
        # that moto's CreateUser/CreateGroup cannot take: {"ExternalIds": [...], "CreatedAt": n}.
        self.directory = {}
        # Instance settings: account instances listed beside moto's, the audited instance's
        # encryption and Regions, IAM centralized root access features.
        self.account_instances = []
        # Answers changed on their way out, by operation (see `patched`).
        self.patches = {}
        # IAM and STS calls by the account their credentials act in.
        self.calls_by_account = {}
        self.encryption = {"KeyType": "AWS_OWNED_KMS_KEY"}
        self.regions = [{"RegionName": "us-east-1", "Status": "ACTIVE", "IsPrimaryRegion": True}]
        self.organization_features = []
        # Applications of the instance, each with "assignments" [{PrincipalType, PrincipalId}].
        self.applications = []
        # Account access manager: applications {applicationArn, status, instanceArn} and
        # entitlements {applicationArn, entitlementId, principal {groupId|userId}, roleArn,
        # account, accountName}.
        self.access_applications = []
        self.entitlements = []
        # CloudTrail records served by LookupEvents (newest first) and CloudTrail Lake queries.
        self.trail_events = []
        # Writes recorded as CloudTrail records (POST /_ssoaudit/config record_writes), in the
        # event history of this account; assignment requests by kind, for the status listings.
        self.record_writes = False
        self.recording_account = "123456789012"
        self.assignment_requests = {"creation": [], "deletion": []}
        self.queries = {}
        # Athena: the table the statements are run against (DuckDB, the standard CloudTrail
        # table's shape, over trail_events), the queries started, and kinds that fail.
        self.athena_table = ("ssoaudit_audit", "cloudtrail_logs")
        self.athena_queries = {}
        self.athena_status = {}
        self.athena_columnless = set()
        self.query_polls = {}

    # --- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_ssoaudit/"):
            return self.control(request)(environ, start_response)
        body = request.get_data()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        target = request.headers.get("X-Amz-Target", "")
        prefix, _, operation = target.rpartition(".")
        service = TARGET_PREFIXES.get(prefix)
        if service is None and "/account-access/aws4_request" in request.headers.get("Authorization", ""):
            # REST JSON: the operation is the method and path.
            service = "account-access"
            operation = account_access_operation(request.method, request.path)
        if service is None and "/s3/aws4_request" in request.headers.get("Authorization", ""):
            # S3 speaks REST XML: the operation is told by the method, path and query.
            operation = s3_operation(request)
            name = f"s3:{operation}"
            with self.lock:
                self.calls[name] = self.calls.get(name, 0) + 1
            denied = self.deny.get(name)
            if denied is not None and (denied == "" or denied in request.full_path):
                body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                return Response(body, status=403, content_type="application/xml")(environ, start_response)
            return self.app(environ, start_response)
        if service is None:
            # IAM and STS speak the query protocol: count their calls by the form's Action, and
            # by the account the credentials act in (assumed-role keys act in the role's).
            authorization = request.headers.get("Authorization", "")
            query_service = next(
                (q for q in ("iam", "sts") if f"/{q}/aws4_request" in authorization), None
            )
            if query_service:
                form = parse_qs(body.decode(errors="replace"))
                action = form.get("Action", [""])[0]
                if action:
                    name = f"{query_service}:{action}"
                    key = authorization.split("Credential=")[-1].split("/")[0]
                    from moto.iam.models import get_account_id_from

                    account = get_account_id_from(key)
                    with self.lock:
                        self.calls[name] = self.calls.get(name, 0) + 1
                        per_account = self.calls_by_account.setdefault(account, {})
                        per_account[name] = per_account.get(name, 0) + 1
                    denied = self.deny.get(name)
                    if denied is not None and (denied == "" or denied in json.dumps(form)):
                        return xml_error("AccessDenied", f"not authorized to perform {name}", 403)(
                            environ, start_response
                        )
                    handler = getattr(self, f"handle_{query_service}_" + action, None)
                    if handler is not None:
                        return handler(form)(environ, start_response)
                    if self.record_writes and query_service == "iam" and is_write(action):
                        params = {k: v[0] for k, v in form.items() if k not in ("Action", "Version")}
                        return self.recorded("iam", action, params, "us-east-1", environ, start_response)
            return self.app(environ, start_response)
        name = f"{service}:{operation}"
        params = json.loads(body or b"{}")
        if service == "account-access" and operation == "GetApplication":
            params = {"applicationArn": request.path[len("/applications/") :]}
        # The Region the request was signed for: Credential=KEY/DATE/REGION/SERVICE/aws4_request.
        scope = request.headers.get("Authorization", "").split("Credential=")[-1].split("/")
        region = scope[2] if len(scope) > 3 else ""
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            per_region = self.regions_called.setdefault(name, {})
            per_region[region] = per_region.get(region, 0) + 1
            throttle = self.throttle_rate > 0 and self.random.random() < self.throttle_rate
            if not throttle and self.rate_limit and service in self.rate_limit["services"]:
                now = time.monotonic()
                self.tokens = min(
                    float(self.rate_limit["burst"]),
                    self.tokens + (now - self.refilled) * float(self.rate_limit["per_second"]),
                )
                self.refilled = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                else:
                    throttle = True
            if throttle:
                self.throttled += 1
        if self.latency:
            time.sleep(self.latency)
        denied = self.deny.get(name)
        if denied is not None and (denied == "" or denied in json.dumps(params)):
            return error("AccessDeniedException", f"not authorized to perform {name}")(
                environ, start_response
            )
        always = self.throttle.get(name)
        if always is not None and (always == "" or always in json.dumps(params)):
            with self.lock:
                self.throttled += 1
            throttle = True
        if throttle:
            kind = THROTTLE_ERRORS.get(service, "ThrottlingException")
            return error(kind, "Rate exceeded")(environ, start_response)
        if getattr(self, "refuse_credentials", False):
            return error(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )(environ, start_response)
        if name == "sso-admin:ListInstances" and getattr(self, "no_instances", False):
            return json_response({"Instances": []})(environ, start_response)
        if self.record_writes and service in RECORDED_SOURCES and is_write(operation):
            return self.recorded(service, operation, params, region, environ, start_response)
        return self.dispatch(service, operation, name, params, environ, start_response)

    def dispatch(self, service, operation, name, params, environ, start_response):
        if name in self.patches:
            return self.patched(name, params, environ, start_response)
        handler = getattr(self, "handle_" + service.replace("-", "_") + "_" + operation, None)
        if handler is not None:
            return handler(params)(environ, start_response)
        if name in (
            "identitystore:ListUsers", "identitystore:DescribeUser",
            "identitystore:ListGroups", "identitystore:DescribeGroup",
        ):
            return self.with_user_status(environ, start_response)
        if name == "sso-admin:ListInstances" and self.account_instances:
            return self.with_account_instances(environ, start_response)
        return self.app(environ, start_response)

    def recorded(self, service, operation, params, region, environ, start_response):
        """Serves a write and records it as CloudTrail does: a record in the management
        account's event history (LookupEvents), with the request's parameters and, on success,
        the response's elements (keys in lower camel case); a failed call has its error code.
        Assignment requests are also kept for ListAccountAssignmentCreation/DeletionStatus."""
        import datetime
        import uuid

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        if service == "iam":
            chunks = b"".join(self.app(environ, capture))
        else:
            chunks = b"".join(
                self.dispatch(service, operation, f"{service}:{operation}", params, environ, capture)
            )
        ok = captured["status"].startswith("200")
        now = datetime.datetime.now(datetime.timezone.utc)
        record = {
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole", "accountId": self.recording_account,
                             "arn": f"arn:aws:sts::{self.recording_account}:assumed-role/admin/editor"},
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": RECORDED_SOURCES[service],
            "eventName": operation,
            "awsRegion": "us-east-1" if service in ("organizations", "iam") else region,
            "sourceIPAddress": "192.0.2.10",
            "requestParameters": camel(params),
            "responseElements": None,
            "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": self.recording_account,
        }
        answer = {}
        if ok and service != "iam":
            answer = json.loads(chunks or b"{}")
            deletion = answer.get("AccountAssignmentDeletionStatus")
            if deletion and deletion.get("RequestId"):
                # moto answers a deletion with the request id of the assignment's creation;
                # AWS gives every request its own.
                deletion["RequestId"] = str(uuid.uuid4())
                chunks = json.dumps(answer).encode()
                captured["headers"] = [
                    (k, str(len(chunks)) if k.lower() == "content-length" else v)
                    for k, v in captured["headers"]
                ]
            record["responseElements"] = camel(answer) or None
        if not ok:
            try:
                failure = json.loads(chunks or b"{}")
                record["errorCode"] = str(failure.get("__type", "Error")).split("#")[-1]
            except ValueError:
                record["errorCode"] = "Error"
        with self.lock:
            self.trail_events.insert(0, record)
            for key, kind in (
                ("AccountAssignmentCreationStatus", "creation"),
                ("AccountAssignmentDeletionStatus", "deletion"),
            ):
                status = answer.get(key)
                if status and status.get("RequestId"):
                    self.assignment_requests[kind].append({
                        "RequestId": status["RequestId"],
                        "Status": "SUCCEEDED" if status.get("Status") != "FAILED" else "FAILED",
                        "CreatedDate": now.timestamp(),
                    })
            if ok and service == "sso-admin" and operation == "CreateAccountAssignment":
                # AWS provisions the set into the account with its first assignment there.
                self.provisioned.setdefault(params["PermissionSetArn"], set()).add(params["TargetId"])
        return Response(chunks, status=captured["status"], headers=captured["headers"])(
            environ, start_response
        )

    def handle_sso_admin_ListAccountAssignmentCreationStatus(self, params):
        with self.lock:
            items = list(self.assignment_requests["creation"])
        return paged_response("AccountAssignmentsCreationStatus", items, params)

    def handle_sso_admin_ListAccountAssignmentDeletionStatus(self, params):
        with self.lock:
            items = list(self.assignment_requests["deletion"])
        return paged_response("AccountAssignmentsDeletionStatus", items, params)

    def patched(self, name, params, environ, start_response):
        """The answer of `name` (a handler's or moto's) with the fields of its patch changed:
        `{"Field": {"append": [...]}}` adds items to a list, `{"Field": {"each": {...}}}` sets
        keys on every item of a list, `{"Field": {"set": value}}` replaces it (null removes it).
        Shapes AWS may send that moto never does, fed to the scanner."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            return lambda data: None

        service, operation = name.split(":", 1)
        handler = getattr(self, "handle_" + service.replace("-", "_") + "_" + operation, None)
        app = handler(params) if handler is not None else self.app
        chunks = b"".join(app(environ, capture))
        if not captured["status"].startswith("200"):
            return error("InternalServerException", "moto failed")(environ, start_response)
        document = json.loads(chunks)
        for field, change in self.patches[name].items():
            if "append" in change:
                document[field] = document.get(field, []) + change["append"]
            if "each" in change:
                for item in document.get(field, []):
                    item.update(change["each"])
            if "set" in change:
                if change["set"] is None:
                    document.pop(field, None)
                else:
                    document[field] = change["set"]
        return json_response(document)(environ, start_response)

    def with_account_instances(self, environ, start_response):
        """moto's answer (the organization instance) with the account instances after it."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            return lambda data: None

        chunks = b"".join(self.app(environ, capture))
        if not captured["status"].startswith("200"):
            return error("InternalServerException", "moto failed")(environ, start_response)
        document = json.loads(chunks)
        document["Instances"] = document.get("Instances", []) + [
            dict(i, Status=i.get("Status", "ACTIVE")) for i in self.account_instances
        ]
        return json_response(document)(environ, start_response)

    def with_user_status(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        chunks = b"".join(self.app(environ, capture))
        if captured["status"].startswith("200"):
            document = json.loads(chunks)
            users = document.get("Users", [document] if "UserId" in document else [])
            for user in users:
                user["UserStatus"] = self.user_status.get(user["UserId"], "ENABLED")
            groups = document.get("Groups", [document] if "GroupId" in document else [])
            for item, key in [(u, "UserId") for u in users] + [(g, "GroupId") for g in groups]:
                extra = self.directory.get(item[key], {})
                item["ExternalIds"] = extra.get("ExternalIds", [])
                if "CreatedAt" in extra:
                    item["CreatedAt"] = extra["CreatedAt"]
            chunks = json.dumps(document).encode()
            captured["headers"] = [
                (k, v) for k, v in captured["headers"] if k.lower() != "content-length"
            ] + [("Content-Length", str(len(chunks)))]
        start_response(captured["status"], captured["headers"])
        return [chunks]

    # --- control ------------------------------------------------------------------------
    def control(self, request):
        path = request.path[len("/_ssoaudit/") :]
        data = json.loads(request.get_data() or b"{}")
        with self.lock:
            if path == "calls":
                return json_response(
                    {"calls": self.calls, "throttled": self.throttled, "regions": self.regions_called}
                )
            if path == "calls-by-account":
                return json_response({"accounts": self.calls_by_account})
            if path == "reset":
                self.calls = {}
                self.calls_by_account = {}
                self.regions_called = {}
                self.throttled = 0
                return json_response({})
            if path == "config":
                self.throttle_rate = float(data.get("throttle_rate", 0.0))
                self.deny = dict(data.get("deny", {}))
                # Throttled every time, like deny: operation -> "" or a parameter substring.
                self.throttle = dict(data.get("throttle", {}))
                # Lake: DescribeQuery answers RUNNING this many times per query first; a query
                # kind may end in another status; GetQueryResults pages hold this many rows.
                self.lake_running_polls = int(data.get("lake_running_polls", 0))
                self.lake_status = dict(data.get("lake_status", {}))
                self.lake_page_size = data.get("lake_page_size")
                self.latency = float(data.get("latency_ms", 0)) / 1000.0
                # A Region where IAM Identity Center was never enabled.
                self.no_instances = bool(data.get("no_instances", False))
                # Keys AWS does not know: every JSON-protocol request is refused.
                self.refuse_credentials = bool(data.get("refuse_credentials", False))
                self.random = random.Random(int(data.get("seed", 1)))
                limit = data.get("rate_limit")
                if limit:
                    limit.setdefault("burst", limit["per_second"])
                    limit.setdefault("services", ["sso-admin", "identitystore"])
                    self.tokens = float(limit["burst"])
                    self.refilled = time.monotonic()
                self.rate_limit = limit
                self.record_writes = bool(data.get("record_writes", False))
                self.recording_account = data.get("recording_account", self.recording_account)
                return json_response({})
            if path == "iam-account":
                # IAM of one (member) account: roles with trust, inline and attached policies,
                # customer managed policies, users with a password and access keys.
                from moto.iam.models import iam_backends

                backend = iam_backends[data["account"]]["aws"]
                arns = {}
                for policy in data.get("policies", []):
                    created = backend.create_policy(
                        description="", path=policy.get("path", "/"),
                        policy_document=json.dumps(policy["document"]),
                        policy_name=policy["name"], tags=[],
                    )
                    arns[policy["name"]] = created.arn
                    for document in policy.get("versions", []):
                        backend.create_policy_version(
                            created.arn, json.dumps(document), set_as_default="true"
                        )
                for role in data.get("roles", []):
                    backend.create_role(
                        role_name=role["name"], assume_role_policy_document=json.dumps(role["trust"]),
                        path=role.get("path", "/"), permissions_boundary=None, description="",
                        tags=[], max_session_duration=None,
                    )
                    for name, document in role.get("inline", {}).items():
                        backend.put_role_policy(role["name"], name, json.dumps(document))
                    for policy in role.get("managed", []):
                        backend.attach_role_policy(arns.get(policy, policy), role["name"])
                for user in data.get("users", []):
                    backend.create_user(region_name="us-east-1", user_name=user["name"])
                    if user.get("password"):
                        backend.create_login_profile(user["name"], "Not-a-real-password-1")
                    for _ in range(user.get("keys", 0)):
                        backend.create_access_key(user["name"])
                    for policy in user.get("managed", []):
                        backend.attach_user_policy(arns.get(policy, policy), user["name"])
                return json_response({"policies": arns})
            if path == "guardrails":
                # SCPs and RCPs of the organization: enable the types on the root, create the
                # policies and attach them (moto attaches the AWS managed full-access ones to
                # every root, OU and account itself).
                from moto.organizations.models import organizations_backends

                backend = organizations_backends[data["management"]]["aws"]
                root = backend.list_roots()["Roots"][0]["Id"]
                for kind in data.get("enable", []):
                    backend.enable_policy_type(RootId=root, PolicyType=kind)
                ids = {}
                for policy in data.get("policies", []):
                    created = backend.create_policy(
                        Content=json.dumps(policy["document"]), Description="",
                        Name=policy["name"], Type=policy["type"],
                    )["Policy"]["PolicySummary"]
                    ids[policy["name"]] = created["Id"]
                    for target in policy.get("targets", []):
                        backend.attach_policy(PolicyId=created["Id"], TargetId=root if target == "root" else target)
                for detach in data.get("detach", []):
                    target = root if detach["target"] == "root" else detach["target"]
                    backend.detach_policy(PolicyId=detach["policy"], TargetId=target)
                return json_response({"policies": ids, "root": root})
            if path == "patch":
                self.patches = dict(data)
                return json_response({})
            if path == "athena":
                self.athena_table = (data["database"], data["table"])
                self.athena_status = dict(data.get("status", {}))
                # Query kinds whose results come without column names.
                self.athena_columnless = set(data.get("columnless", []))
                return json_response({})
            if path == "athena-queries":
                return json_response({"queries": {
                    query_id: {k: v for k, v in q.items() if k not in ("columns", "rows")}
                    | {"rows": len(q["rows"])}
                    for query_id, q in self.athena_queries.items()
                }})
            if path == "queries":
                return json_response({"queries": {
                    query_id: {"kind": kind, "rows": len(rows)}
                    for query_id, (kind, rows, _) in self.queries.items()
                }})
            if path == "outdated":
                arn, account = data["permission_set_arn"], data["account_id"]
                self.outdated.setdefault(arn, set()).add(account)
                return json_response({})
            if path == "bulk-directory":
                # Users, groups and memberships straight into the backend (seed.py, for
                # organizations too large to create one request at a time); ids in order.
                from moto.core import DEFAULT_ACCOUNT_ID
                from moto.identitystore.models import identitystore_backends

                backend = identitystore_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
                store = data["store"]
                groups = [
                    backend.create_group(store, g["DisplayName"], g.get("Description"))[0]
                    for g in data["groups"]
                ]
                users = [
                    backend.create_user(
                        store, u["UserName"], u["Name"], u["DisplayName"], None, None,
                        u["Emails"], None, None, None, None, None, None, None,
                    )[0]
                    for u in data["users"]
                ]
                for g, u in data["memberships"]:
                    backend.create_group_membership(store, groups[g], {"UserId": users[u]})
                return json_response({"groups": groups, "users": users})
            if path == "bulk-assignments":
                # Assignments and where sets are provisioned, straight into the backend.
                from moto.core import DEFAULT_ACCOUNT_ID
                from moto.ssoadmin.models import ssoadmin_backends

                backend = ssoadmin_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
                for a in data["assignments"]:
                    backend.create_account_assignment(
                        data["instance_arn"], a["TargetId"], "AWS_ACCOUNT",
                        a["PermissionSetArn"], a["PrincipalType"], a["PrincipalId"],
                    )
                for arn, accounts in data["provisioned"].items():
                    self.provisioned.setdefault(arn, set()).update(accounts)
                return json_response({})
            if path == "cloudtrail-recorded":
                return json_response({"records": self.trail_events})
            if path == "cloudtrail-events":
                self.trail_events = sorted(
                    data["records"], key=lambda r: r["eventTime"], reverse=True
                )
                return json_response({})
            if path == "settings":
                self.account_instances = list(data.get("account_instances", []))
                self.encryption = dict(data.get("encryption", self.encryption))
                self.regions = list(data.get("regions", self.regions))
                self.organization_features = list(data.get("organization_features", []))
                return json_response({})
            if path == "applications":
                self.applications = list(data["applications"])
                return json_response({})
            if path == "account-access":
                self.access_applications = list(data.get("applications", []))
                self.entitlements = list(data.get("entitlements", []))
                return json_response({})
            if path == "s3-upload":
                # A folder's files as objects of a bucket (created in the Region given), under
                # a prefix, each key the prefix and the file's path below the folder; and
                # extra objects {key: text} beside them.
                from moto.core import DEFAULT_ACCOUNT_ID
                from moto.s3.models import s3_backends

                backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
                bucket = data["bucket"]
                if bucket not in backend.buckets:
                    backend.create_bucket(bucket, data.get("region", "us-east-1"))
                prefix = data.get("prefix", "")
                uploaded = 0
                if data.get("dir"):
                    for folder, _, files in os.walk(data["dir"]):
                        for file_name in sorted(files):
                            path_on_disk = os.path.join(folder, file_name)
                            key = prefix + os.path.relpath(path_on_disk, data["dir"]).replace(os.sep, "/")
                            with open(path_on_disk, "rb") as f:
                                backend.put_object(bucket, key, f.read())
                            uploaded += 1
                for key, text in data.get("objects", {}).items():
                    backend.put_object(bucket, key, base64.b64decode(text))
                    uploaded += 1
                return json_response({"uploaded": uploaded})
            if path == "user-status":
                self.user_status[data["user_id"]] = data["status"]
                return json_response({})
            if path == "directory":
                # {"entries": {id: {"ExternalIds": [{"Issuer", "Id"}], "CreatedAt": epoch}}}
                self.directory.update(data.get("entries", {}))
                return json_response({})
        return error("NotFound", path, 404)

    # --- cloudtrail ---------------------------------------------------------------------
    def handle_cloudtrail_LookupEvents(self, params):
        import datetime

        def epoch(text):
            return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc
            ).timestamp()

        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            return error("InvalidLookupAttributesException", "at most one lookup attribute")
        start = params.get("StartTime")
        end = params.get("EndTime")
        max_results = int(params.get("MaxResults") or 50)
        if max_results > 50:
            return error("InvalidMaxResultsException", "MaxResults is at most 50")

        def user_name(record):
            identity = record.get("userIdentity", {})
            if identity.get("type") == "Root":
                return "root"
            return identity.get("userName") or (record.get("additionalEventData") or {}).get("UserName")

        def matches(record):
            t = epoch(record["eventTime"])
            if start is not None and t < float(start):
                return False
            if end is not None and t > float(end):
                return False
            for attribute in attributes:
                key, value = attribute["AttributeKey"], attribute["AttributeValue"]
                field = {
                    "EventSource": record.get("eventSource"),
                    "EventName": record.get("eventName"),
                    "Username": user_name(record),
                    "EventId": record.get("eventID"),
                    "ReadOnly": str(record.get("readOnly", False)).lower(),
                }.get(key)
                if field != value:
                    return False
            return True

        selected = [r for r in self.trail_events if matches(r)]
        chunk, token = page(selected, {"NextToken": params.get("NextToken"), "MaxResults": max_results}, 50)
        events = []
        for record in chunk:
            event = {
                "EventId": record.get("eventID"),
                "EventName": record.get("eventName"),
                "ReadOnly": str(record.get("readOnly", False)).lower(),
                "EventTime": epoch(record["eventTime"]),
                "EventSource": record.get("eventSource"),
                "Resources": [],
                "CloudTrailEvent": json.dumps(record),
            }
            name = user_name(record)
            if name:
                event["Username"] = name
            events.append(event)
        body = {"Events": events}
        if token:
            body["NextToken"] = token
        return json_response(body)

    # CloudTrail Lake: the three queries ssoaudit sends (recognized by their marker comment),
    # answered from the injected records the way the SQL would.
    def handle_cloudtrail_StartQuery(self, params):
        statement = params.get("QueryStatement", "")
        kinds = [k for k in ("sign-ins", "role-uses", "rare") if f"-- ssoaudit: {k}" in statement]
        if not kinds:
            return error("InvalidQueryStatementException", "the test server answers ssoaudit's queries only")
        query_id = f"q-{len(self.queries) + 1:04d}"
        self.queries[query_id] = (kinds[0], self._lake_rows(kinds[0]), statement)
        return json_response({"QueryId": query_id})

    def handle_cloudtrail_DescribeQuery(self, params):
        query = self.queries.get(params.get("QueryId"))
        if query is None:
            return error("QueryIdNotFoundException", "no such query")
        kind = query[0]
        with self.lock:
            polls = self.query_polls.get(params["QueryId"], 0)
            self.query_polls[params["QueryId"]] = polls + 1
        if polls < self.lake_running_polls:
            status = "QUEUED" if polls == 0 else "RUNNING"
        else:
            status = self.lake_status.get(kind, "FINISHED")
        body = {"QueryId": params["QueryId"], "QueryString": query[2], "QueryStatus": status}
        if status == "FAILED":
            body["ErrorMessage"] = f"the {kind} query failed"
        return json_response(body)

    def handle_cloudtrail_GetQueryResults(self, params):
        query = self.queries.get(params.get("QueryId"))
        if query is None:
            return error("QueryIdNotFoundException", "no such query")
        size = self.lake_page_size or params.get("MaxQueryResults") or 1000
        rows, token = page(query[1], {"NextToken": params.get("NextToken"), "MaxResults": size}, 1000)
        body = {"QueryStatus": "FINISHED", "QueryResultRows": rows}
        if token:
            body["NextToken"] = token
        return json_response(body)

    # Athena: every statement executed, as written, by DuckDB over the injected records loaded
    # in the shape of the standard CloudTrail table; a statement DuckDB refuses fails.
    def handle_athena_StartQueryExecution(self, params):
        statement = params.get("QueryString", "")
        kind = next((k for k in ("sign-ins", "role-uses", "rare") if f"-- ssoaudit: {k}" in statement), "")
        query = {
            "statement": statement,
            "kind": kind,
            "database": (params.get("QueryExecutionContext") or {}).get("Database"),
            "workgroup": params.get("WorkGroup"),
            "output": (params.get("ResultConfiguration") or {}).get("OutputLocation"),
            "columns": [],
            "rows": [],
            "reason": None,
        }
        try:
            con = cloudtrail_tables.connect()
            cloudtrail_tables.create_athena_table(con, *self.athena_table, self.trail_events)
            query["columns"], query["rows"] = cloudtrail_tables.run(con, statement)
            con.close()
            query["state"] = self.athena_status.get(kind, "SUCCEEDED")
            if query["state"] == "FAILED":
                query["reason"] = f"the {kind} query failed"
        except Exception as e:  # noqa: BLE001 - the engine's refusal is the query's failure
            query["state"] = "FAILED"
            query["reason"] = f"{type(e).__name__}: {e}"
        with self.lock:
            query_id = f"a-{len(self.athena_queries) + 1:04d}"
            self.athena_queries[query_id] = query
        return json_response({"QueryExecutionId": query_id})

    def handle_athena_GetQueryExecution(self, params):
        query_id = params.get("QueryExecutionId")
        query = self.athena_queries.get(query_id)
        if query is None:
            return error("InvalidRequestException", "no such query")
        with self.lock:
            polls = self.query_polls.get(query_id, 0)
            self.query_polls[query_id] = polls + 1
        state = query["state"]
        if polls < self.lake_running_polls:
            state = "QUEUED" if polls == 0 else "RUNNING"
        status = {"State": state}
        if state == "FAILED":
            status["StateChangeReason"] = query["reason"]
        return json_response({"QueryExecution": {
            "QueryExecutionId": query_id, "Query": query["statement"], "StatementType": "DML",
            "WorkGroup": query["workgroup"], "Status": status,
        }})

    def handle_athena_GetQueryResults(self, params):
        query = self.athena_queries.get(params.get("QueryExecutionId"))
        if query is None or query["state"] != "SUCCEEDED":
            return error("InvalidRequestException", "the query has not succeeded")
        header = {"Data": [{"VarCharValue": c} for c in query["columns"]]}
        rows = [header] + [
            {"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in query["rows"]
        ]
        size = self.lake_page_size or params.get("MaxResults") or 1000
        chunk, token = page(rows, {"NextToken": params.get("NextToken"), "MaxResults": size}, 1000)
        body = {
            "ResultSet": {
                "Rows": chunk,
                "ResultSetMetadata": {"ColumnInfo": [] if query["kind"] in self.athena_columnless else [
                    {"Name": c, "Label": c, "Type": "varchar", "CatalogName": "hive"} for c in query["columns"]
                ]},
            },
            "UpdateCount": 0,
        }
        if token:
            body["NextToken"] = token
        return json_response(body)

    def _lake_rows(self, kind):
        def lake_time(text):
            return text.replace("T", " ").replace("Z", ".000") if text else None

        def get(record, *path):
            for key in path:
                record = (record or {}).get(key) if isinstance(record, dict) else None
            return record

        def row(columns):
            return [{k: ("" if v is None else str(v))} for k, v in columns]

        rows = []
        if kind == "sign-ins":
            users = {}
            for r in self.trail_events:
                if r.get("eventSource") != "signin.amazonaws.com" or r.get("eventName") != "UserAuthentication":
                    continue
                if get(r, "serviceEventDetails", "UserAuthentication") != "Success":
                    continue
                key = (get(r, "userIdentity", "onBehalfOf", "userId"), get(r, "additionalEventData", "UserName") or get(r, "userIdentity", "userName"))
                credential = get(r, "additionalEventData", "CredentialType") or ""
                entry = users.setdefault(key, [None, None, None, None, 0])
                t = r["eventTime"]
                entry[0] = max(filter(None, [entry[0], t]))
                if not any(f in credential for f in ("TOTP", "WEBAUTHN", "EXTERNAL_IDP")):
                    entry[1] = max(filter(None, [entry[1], t]))
                    entry[3] = min(filter(None, [entry[3], t]))
                    entry[4] += 1
                if "EXTERNAL_IDP" in credential:
                    entry[2] = max(filter(None, [entry[2], t]))
            for (user_id, user_name), (last, without, external, first_without, count) in sorted(users.items(), key=str):
                rows.append(row([("user_id", user_id), ("user_name", user_name), ("last_sign_in", lake_time(last)),
                                 ("last_without_mfa", lake_time(without)), ("last_external_idp", lake_time(external)),
                                 ("first_without_mfa", lake_time(first_without)), ("without_mfa_count", count)]))
        elif kind == "role-uses":
            uses = {}
            for r in self.trail_events:
                if r.get("eventName") != "GetRoleCredentials" or r.get("errorCode"):
                    continue
                key = (get(r, "userIdentity", "onBehalfOf", "userId") or get(r, "userIdentity", "userName"),
                       get(r, "serviceEventDetails", "account_id"), get(r, "serviceEventDetails", "role_name"))
                uses[key] = max(filter(None, [uses.get(key), r["eventTime"]]))
            for (user, account, role), last in sorted(uses.items()):
                rows.append(row([("user_id", user), ("account_id", account), ("role_name", role), ("last_used", lake_time(last))]))
        else:
            typed = {}
            for r in self.trail_events:
                if r.get("eventName") == "CredentialChallenge":
                    workflow = get(r, "additionalEventData", "AuthWorkflowID")
                    name = get(r, "additionalEventData", "UserName")
                    if workflow and name:
                        typed[workflow] = max(filter(None, [typed.get(workflow), name]))
            for r in self.trail_events:
                identity_type = get(r, "userIdentity", "type")
                failed = (r.get("eventSource") == "signin.amazonaws.com" and r.get("eventName") == "CredentialVerification"
                          and get(r, "serviceEventDetails", "CredentialVerification") == "Failure")
                console = r.get("eventName") == "ConsoleLogin" and identity_type in ("Root", "IAMUser")
                assume = r.get("eventSource") == "sts.amazonaws.com" and r.get("eventName") == "AssumeRoot" and not r.get("errorCode")
                if not (failed or console or assume or identity_type == "Root"):
                    continue
                rows.append(row([
                    ("eventid", r.get("eventID")), ("eventtime", lake_time(r.get("eventTime"))),
                    ("eventsource", r.get("eventSource")), ("eventname", r.get("eventName")),
                    ("identity_type", identity_type), ("user_id", get(r, "userIdentity", "onBehalfOf", "userId")),
                    ("user_name", get(r, "additionalEventData", "UserName") or get(r, "userIdentity", "userName")
                     or typed.get(get(r, "additionalEventData", "AuthWorkflowID"))),
                    ("access_key_id", get(r, "userIdentity", "accessKeyId")), ("account_id", r.get("recipientAccountId")),
                    ("workflow_id", get(r, "additionalEventData", "AuthWorkflowID")),
                    ("credential_type", get(r, "additionalEventData", "CredentialType")),
                    ("mfa_used", get(r, "additionalEventData", "MFAUsed")),
                    ("outcome", get(r, "serviceEventDetails", "CredentialVerification") or get(r, "responseElements", "ConsoleLogin")),
                    ("target_principal", get(r, "requestParameters", "targetPrincipal")),
                    ("issued_key", get(r, "responseElements", "credentials", "accessKeyId")),
                ]))
        return rows

    # --- instance settings --------------------------------------------------------------
    def _moto_instances(self):
        from moto.ssoadmin.models import ssoadmin_backends

        found = []
        for account_backends in ssoadmin_backends.values():
            for backend in account_backends.values():
                for instance in getattr(backend, "instances", []):
                    found.append(instance)
        return found

    def handle_sso_admin_DescribeInstance(self, params):
        arn = params.get("InstanceArn")
        for instance in self._moto_instances():
            described = instance.to_json() if hasattr(instance, "to_json") else dict(instance)
            if described.get("InstanceArn") == arn:
                described["Status"] = "ACTIVE"
                details = dict(self.encryption)
                details.setdefault("EncryptionStatus", "ENABLED")
                described["EncryptionConfigurationDetails"] = details
                return json_response(described)
        return error("ResourceNotFoundException", f"no instance {arn}")

    def handle_sso_admin_ListRegions(self, params):
        return paged_response("Regions", self.regions, params, 100)

    def handle_sso_admin_ListApplications(self, params):
        listed = [
            {k: v for k, v in a.items() if k != "assignments"}
            for a in self.applications
            if a["InstanceArn"] == params.get("InstanceArn")
        ]
        return paged_response("Applications", listed, params, 100)

    def handle_sso_admin_ListApplicationAssignments(self, params):
        arn = params.get("ApplicationArn")
        found = [a for a in self.applications if a["ApplicationArn"] == arn]
        if not found:
            return error("ResourceNotFoundException", f"no application {arn}")
        assignments = [dict(a, ApplicationArn=arn) for a in found[0]["assignments"]]
        return paged_response("ApplicationAssignments", assignments, params, 100)

    # --- account access manager --------------------------------------------------------
    def handle_account_access_ListApplications(self, params):
        start = int(params.get("nextToken") or 0)
        size = int(params.get("maxResults") or 100)
        chunk = self.access_applications[start : start + size]
        body = {"applications": [
            {"applicationArn": a["applicationArn"], "createdAt": "2026-10-01T00:00:00Z",
             "updatedAt": "2026-10-01T00:00:00Z"}
            for a in chunk
        ]}
        if start + size < len(self.access_applications):
            body["nextToken"] = str(start + size)
        return json_response(body)

    def handle_account_access_GetApplication(self, params):
        arn = params["applicationArn"]
        for application in self.access_applications:
            if application["applicationArn"] == arn:
                return json_response({
                    "status": application.get("status", "ACTIVE"),
                    "identitySource": {"identityCenter": {"instanceArn": application["instanceArn"]}},
                    "createdAt": "2026-10-01T00:00:00Z",
                    "updatedAt": "2026-10-01T00:00:00Z",
                })
        return error("ResourceNotFoundException", f"no application {arn}", 404)

    def handle_account_access_ListEntitlements(self, params):
        arn = params.get("applicationArn")
        if not any(a["applicationArn"] == arn for a in self.access_applications):
            return error("ResourceNotFoundException", f"no application {arn}", 404)
        # The filter is required, with exactly one criterion.
        criteria = (params.get("filter") or {}).get("principalRole") or {}
        if len([k for k in ("principal", "roleArn", "account") if criteria.get(k)]) != 1:
            return error("ValidationException", "filter.principalRole needs one of principal, roleArn, account")

        def keep(entitlement):
            if entitlement["applicationArn"] != arn:
                return False
            if "account" in criteria:
                return entitlement["account"] == criteria["account"]
            if "roleArn" in criteria:
                return entitlement["roleArn"] == criteria["roleArn"]
            return entitlement["principal"] == criteria["principal"].get("identityCenter")

        found = [e for e in self.entitlements if keep(e)]
        start = int(params.get("nextToken") or 0)
        # The service pages at most 2, whatever maxResults asks: pagination is always exercised.
        size = min(int(params.get("maxResults") or 100), 2)
        body = {"entitlements": [
            {
                "entitlementId": e["entitlementId"],
                "createdAt": "2026-10-01T00:00:00Z",
                "entitlement": {"principalRole": {
                    "principal": {"identityCenter": e["principal"]},
                    "roleArn": e["roleArn"],
                    "account": e["account"],
                    "accountName": e.get("accountName"),
                }},
            }
            for e in found[start : start + size]
        ]}
        if start + size < len(found):
            body["nextToken"] = str(start + size)
        return json_response(body)

    def handle_iam_ListOrganizationsFeatures(self, form):
        members = "".join(f"<member>{f}</member>" for f in self.organization_features)
        body = (
            '<ListOrganizationsFeaturesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            "<ListOrganizationsFeaturesResult><OrganizationId>o-ssoaudit</OrganizationId>"
            f"<EnabledFeatures>{members}</EnabledFeatures></ListOrganizationsFeaturesResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListOrganizationsFeaturesResponse>"
        )
        return Response(body, status=200, content_type="text/xml")

    # --- sso-admin ----------------------------------------------------------------------
    def _permission_set(self, arn):
        from moto.ssoadmin.models import ssoadmin_backends

        for account_backends in ssoadmin_backends.values():
            for backend in account_backends.values():
                for permission_set in backend.permission_sets:
                    if permission_set.permission_set_arn == arn:
                        return permission_set
        return None

    def handle_sso_admin_ListTagsForResource(self, params):
        permission_set = self._permission_set(params.get("ResourceArn"))
        if permission_set is None:
            return error("ResourceNotFoundException", "no such resource")
        tags, token = page(list(permission_set.tags or []), params, 50)
        body = {"Tags": tags}
        if token:
            body["NextToken"] = token
        return json_response(body)

    def handle_sso_admin_AttachManagedPolicyToPermissionSet(self, params):
        # moto knows AWS-managed policies only at path "/" (not job-function/Billing, say).
        from moto.ssoadmin.models import ManagedPolicy

        permission_set = self._permission_set(params.get("PermissionSetArn"))
        if permission_set is None:
            return error("ResourceNotFoundException", "no such permission set")
        arn = params["ManagedPolicyArn"]
        if not arn.split(":")[4] == "aws" or ":policy/" not in arn:
            return error("ValidationException", f"not an AWS-managed policy: {arn}")
        policy = ManagedPolicy(arn, arn.rsplit("/", 1)[-1])
        if policy in permission_set.managed_policies:
            return error("ConflictException", "already attached")
        permission_set.managed_policies.append(policy)
        permission_set.total_managed_policies_attached += 1
        return json_response({})

    def handle_sso_admin_PutPermissionsBoundaryToPermissionSet(self, params):
        if self._permission_set(params.get("PermissionSetArn")) is None:
            return error("ResourceNotFoundException", "no such permission set")
        self.boundaries[params["PermissionSetArn"]] = params["PermissionsBoundary"]
        return json_response({})

    def handle_sso_admin_GetPermissionsBoundaryForPermissionSet(self, params):
        arn = params.get("PermissionSetArn")
        if self._permission_set(arn) is None:
            return error("ResourceNotFoundException", "no such permission set")
        boundary = self.boundaries.get(arn)
        if boundary is None:
            return error("ResourceNotFoundException", "the permission set has no permissions boundary")
        return json_response({"PermissionsBoundary": boundary})

    def handle_sso_admin_ProvisionPermissionSet(self, params):
        arn = params["PermissionSetArn"]
        target_type = params.get("TargetType")
        with self.lock:
            if target_type == "AWS_ACCOUNT":
                account = params["TargetId"]
                self.provisioned.setdefault(arn, set()).add(account)
                self.outdated.get(arn, set()).discard(account)
            elif target_type == "ALL_PROVISIONED_ACCOUNTS":
                self.outdated[arn] = set()
            else:
                return error("ValidationException", "TargetType is required")
        return json_response(
            {
                "PermissionSetProvisioningStatus": {
                    "AccountId": params.get("TargetId"),
                    "PermissionSetArn": arn,
                    "RequestId": "00000000-0000-0000-0000-000000000000",
                    "Status": "SUCCEEDED",
                }
            }
        )

    def _accounts(self, arn, status):
        accounts = self.provisioned.get(arn, set())
        outdated = self.outdated.get(arn, set()) & accounts
        if status == "LATEST_PERMISSION_SET_PROVISIONED":
            return sorted(accounts - outdated)
        if status == "LATEST_PERMISSION_SET_NOT_PROVISIONED":
            return sorted(outdated)
        return sorted(accounts)

    def handle_sso_admin_ListAccountsForProvisionedPermissionSet(self, params):
        accounts = self._accounts(params["PermissionSetArn"], params.get("ProvisioningStatus"))
        chunk, token = page(accounts, params)
        body = {"AccountIds": chunk}
        if token:
            body["NextToken"] = token
        return json_response(body)

    def handle_sso_admin_ListPermissionSetsProvisionedToAccount(self, params):
        account = params["AccountId"]
        status = params.get("ProvisioningStatus")
        arns = sorted(
            arn for arn in self.provisioned if account in self._accounts(arn, status)
        )
        chunk, token = page(arns, params)
        body = {"PermissionSets": chunk}
        if token:
            body["NextToken"] = token
        return json_response(body)


def main():
    # AWS lets IAM Identity Center and IAM (centralized root access) be delegated; moto 5.2.5's
    # list of services that support a delegated administrator predates both.
    from moto.organizations.models import FakeDelegatedAdministrator

    for principal in ("sso.amazonaws.com", "iam.amazonaws.com"):
        if principal not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)

    # An organization of thousands of accounts: AWS managed policies (MOTO_IAM_LOAD_MANAGED_POLICIES)
    # only in the management account, where the scanner reads them; every other account would
    # parse the whole catalog when its IAM is first touched (creating the account does).
    if os.environ.get("SSOAUDIT_MOTO_MANAGED_POLICIES") == "management":
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.iam.models import IAMBackend

        load = IAMBackend._init_aws_policies

        def management_only(self):
            return load(self) if self.account_id == DEFAULT_ACCOUNT_ID else []

        IAMBackend._init_aws_policies = management_only

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = Extension(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
