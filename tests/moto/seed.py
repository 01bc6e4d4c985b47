"""Seeds an ssoaudit moto server with the organization of a snapshot file, through the AWS APIs.

Usage: python seed.py ENDPOINT SNAPSHOT.json > mapping.json

Prints how the snapshot's ids map to the ones moto made: accounts, organizational units,
groups, users, permission sets, and the instance, Identity Store and organization ids.
"""

import datetime
import json
import sys
import urllib.request

import boto3

REGION = "us-east-1"


def client(service, endpoint):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


# Organizations with more users and assignments than this are loaded into the server's
# backends in bulk (one control request each) rather than one API call an item: the moto
# server spends tens of milliseconds a request, hours for a 2,000-account organization.
BULK = 10_000


def control(endpoint, path, body):
    request = urllib.request.Request(
        f"{endpoint}/_ssoaudit/{path}", data=json.dumps(body).encode(), method="POST"
    )
    return json.loads(urllib.request.urlopen(request).read() or b"{}")


def bulk_directory(endpoint, store, snapshot, mapping):
    """Users, groups and memberships, created in the server's backend in one request."""
    def user(u):
        display = u.get("display_name") or u["user_name"]
        given, _, family = display.partition(" ")
        return {
            "UserName": u["user_name"],
            "DisplayName": display,
            "Name": {"GivenName": given, "FamilyName": family or given},
            "Emails": [
                {k: v for k, v in {"Value": e["value"], "Primary": e["primary"], "Type": e.get("type")}.items() if v is not None}
                for e in u["emails"]
            ],
        }

    groups = snapshot["groups"]
    users = snapshot["users"]
    group_index = {g["id"]: i for i, g in enumerate(groups)}
    user_index = {u["id"]: i for i, u in enumerate(users)}
    created = control(endpoint, "bulk-directory", {
        "store": store,
        "groups": [{"DisplayName": g["display_name"], "Description": g.get("description")} for g in groups],
        "users": [user(u) for u in users],
        "memberships": [[group_index[m["group_id"]], user_index[m["user_id"]]] for m in snapshot["memberships"]],
    })
    for g, made in zip(groups, created["groups"]):
        mapping["groups"][g["id"]] = made
    for u, made in zip(users, created["users"]):
        mapping["users"][u["id"]] = made


def main():
    endpoint, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        snapshot = json.load(f)
    organizations = client("organizations", endpoint)
    sso = client("sso-admin", endpoint)
    identity = client("identitystore", endpoint)
    iam = client("iam", endpoint)
    created_policies = set()

    def customer_managed(reference):
        """The management account's copy of a customer managed policy (the scanner reads it)."""
        key = (reference["path"], reference["name"])
        if key in created_policies:
            return
        created_policies.add(key)
        iam.create_policy(
            PolicyName=reference["name"],
            Path=reference["path"],
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "support:*", "Resource": "*"}]}),
        )
    mapping = {"accounts": {}, "ous": {}, "groups": {}, "users": {}, "permission_sets": {}}
    provisioned = {}

    org = organizations.create_organization(FeatureSet="ALL")["Organization"]
    mapping["organization_id"] = org["Id"]
    management = org["MasterAccountId"]
    mapping["management_account_id"] = management
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    fixture = snapshot["organization"]
    mapping["accounts"][fixture["management_account_id"]] = management

    # Organizational units, parents first (paths are sorted by depth).
    units = sorted(fixture["organizational_units"], key=lambda u: u["path"].count("/"))
    for unit in units:
        if unit["parent_id"] is None:
            mapping["ous"][unit["id"]] = root_id
            continue
        created = organizations.create_organizational_unit(
            ParentId=mapping["ous"][unit["parent_id"]], Name=unit["name"]
        )["OrganizationalUnit"]
        mapping["ous"][unit["id"]] = created["Id"]

    for account in fixture["accounts"]:
        if account["id"] == fixture["management_account_id"]:
            moto_id = management
            details = organizations.describe_account(AccountId=management)["Account"]
            mapping["management_account"] = {"name": details["Name"], "email": details["Email"]}
        else:
            status = organizations.create_account(
                Email=account["email"], AccountName=account["name"]
            )["CreateAccountStatus"]
            moto_id = status["AccountId"]
            mapping["accounts"][account["id"]] = moto_id
        parent = mapping["ous"][account["parent_id"]]
        if parent != root_id:
            organizations.move_account(
                AccountId=moto_id, SourceParentId=root_id, DestinationParentId=parent
            )
        if account["tags"]:
            organizations.tag_resource(
                ResourceId=moto_id,
                Tags=[{"Key": k, "Value": v} for k, v in account["tags"].items()],
            )

    instance = sso.list_instances()["Instances"][0]
    instance_arn = instance["InstanceArn"]
    store = instance["IdentityStoreId"]
    mapping["instance_arn"] = instance_arn
    mapping["identity_store_id"] = store

    bulk = len(snapshot["users"]) + len(snapshot["assignments"]) > BULK
    if bulk:
        bulk_directory(endpoint, store, snapshot, mapping)
    for group in snapshot["groups"] if not bulk else []:
        arguments = {"IdentityStoreId": store, "DisplayName": group["display_name"]}
        if group.get("description"):
            arguments["Description"] = group["description"]
        mapping["groups"][group["id"]] = identity.create_group(**arguments)["GroupId"]
    for user in snapshot["users"] if not bulk else []:
        display = user.get("display_name") or user["user_name"]
        given, _, family = display.partition(" ")
        emails = [
            {k: v for k, v in {"Value": e["value"], "Primary": e["primary"], "Type": e.get("type")}.items() if v is not None}
            for e in user["emails"]
        ]
        user_id = identity.create_user(
            IdentityStoreId=store,
            UserName=user["user_name"],
            DisplayName=display,
            Name={"GivenName": given, "FamilyName": family or given},
            Emails=emails,
        )["UserId"]
        mapping["users"][user["id"]] = user_id
        if not user["active"]:
            control(endpoint, "user-status", {"user_id": user_id, "status": "DISABLED"})
    # External ids and creation times: SCIM sets the first, the store the second; neither
    # goes through CreateUser or CreateGroup.
    def directory_entry(item):
        entry = {}
        if item.get("external_ids"):
            entry["ExternalIds"] = [{"Issuer": e["issuer"], "Id": e["id"]} for e in item["external_ids"]]
        if item.get("created_at"):
            entry["CreatedAt"] = datetime.datetime.fromisoformat(
                item["created_at"].replace("Z", "+00:00")).timestamp()
        return entry
    entries = {}
    for kind, items in (("groups", snapshot["groups"]), ("users", snapshot["users"])):
        for item in items:
            entry = directory_entry(item)
            if entry:
                entries[mapping[kind][item["id"]]] = entry
    if entries:
        control(endpoint, "directory", {"entries": entries})
    for membership in snapshot["memberships"] if not bulk else []:
        identity.create_group_membership(
            IdentityStoreId=store,
            GroupId=mapping["groups"][membership["group_id"]],
            MemberId={"UserId": mapping["users"][membership["user_id"]]},
        )

    for permission_set in snapshot["permission_sets"]:
        arguments = {
            "Name": permission_set["name"],
            "InstanceArn": instance_arn,
            # moto answers DescribePermissionSet with a bad value when none is set.
            "SessionDuration": permission_set.get("session_duration") or "PT1H",
        }
        if permission_set.get("description"):
            arguments["Description"] = permission_set["description"]
        if permission_set.get("relay_state"):
            arguments["RelayState"] = permission_set["relay_state"]
        if permission_set["tags"]:
            arguments["Tags"] = [{"Key": k, "Value": v} for k, v in permission_set["tags"].items()]
        arn = sso.create_permission_set(**arguments)["PermissionSet"]["PermissionSetArn"]
        mapping["permission_sets"][permission_set["arn"]] = arn
        for policy in permission_set["managed_policies"]:
            sso.attach_managed_policy_to_permission_set(
                InstanceArn=instance_arn, PermissionSetArn=arn, ManagedPolicyArn=policy
            )
        for reference in permission_set["customer_managed_policies"]:
            customer_managed(reference)
            sso.attach_customer_managed_policy_reference_to_permission_set(
                InstanceArn=instance_arn,
                PermissionSetArn=arn,
                CustomerManagedPolicyReference={"Name": reference["name"], "Path": reference["path"]},
            )
        if permission_set.get("inline_policy") is not None:
            sso.put_inline_policy_to_permission_set(
                InstanceArn=instance_arn,
                PermissionSetArn=arn,
                InlinePolicy=json.dumps(permission_set["inline_policy"]),
            )
        boundary = permission_set.get("permissions_boundary")
        if boundary:
            value = {}
            if boundary.get("managed_policy_arn"):
                value["ManagedPolicyArn"] = boundary["managed_policy_arn"]
            if boundary.get("customer_managed_policy"):
                reference = boundary["customer_managed_policy"]
                customer_managed(reference)
                value["CustomerManagedPolicyReference"] = {"Name": reference["name"], "Path": reference["path"]}
            sso.put_permissions_boundary_to_permission_set(
                InstanceArn=instance_arn, PermissionSetArn=arn, PermissionsBoundary=value
            )
        if bulk:
            provisioned[arn] = [mapping["accounts"][a] for a in permission_set["provisioned_accounts"]]
        for account in permission_set["provisioned_accounts"] if not bulk else []:
            sso.provision_permission_set(
                InstanceArn=instance_arn,
                PermissionSetArn=arn,
                TargetType="AWS_ACCOUNT",
                TargetId=mapping["accounts"][account],
            )
        for account in permission_set["outdated_accounts"]:
            control(
                endpoint,
                "outdated",
                {"permission_set_arn": arn, "account_id": mapping["accounts"][account]},
            )

    if bulk:
        control(endpoint, "bulk-assignments", {
            "instance_arn": instance_arn,
            "provisioned": provisioned,
            "assignments": [
                {
                    "TargetId": mapping["accounts"][a["account_id"]],
                    "PermissionSetArn": mapping["permission_sets"][a["permission_set_arn"]],
                    "PrincipalType": a["principal_type"],
                    "PrincipalId": (mapping["groups"] if a["principal_type"] == "GROUP" else mapping["users"])[a["principal_id"]],
                }
                for a in snapshot["assignments"]
            ],
        })
    for assignment in snapshot["assignments"] if not bulk else []:
        principals = mapping["groups"] if assignment["principal_type"] == "GROUP" else mapping["users"]
        sso.create_account_assignment(
            InstanceArn=instance_arn,
            TargetId=mapping["accounts"][assignment["account_id"]],
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=mapping["permission_sets"][assignment["permission_set_arn"]],
            PrincipalType=assignment["principal_type"],
            PrincipalId=principals[assignment["principal_id"]],
        )
    # Instance settings: account instances, encryption, Regions, delegated administrators,
    # centralized root access features.
    settings = snapshot.get("settings")
    if settings is not None:
        audited = snapshot["metadata"]["instance_arn"]
        encryption = {"KeyType": "AWS_OWNED_KMS_KEY"}
        regions = [{"RegionName": "us-east-1", "Status": "ACTIVE", "IsPrimaryRegion": True}]
        account_instances = []
        for instance in settings["instances"]:
            if instance["arn"] == audited:
                encryption = {"KeyType": instance.get("encryption_key_type") or "AWS_OWNED_KMS_KEY"}
                if instance.get("kms_key_arn"):
                    encryption["KmsKeyArn"] = instance["kms_key_arn"]
                regions = [
                    {"RegionName": r["region"], "Status": r.get("status") or "ACTIVE", "IsPrimaryRegion": r["primary"]}
                    for r in instance["regions"]
                ]
                mapping["audited_instance"] = {"status": instance.get("status"), "regions": instance["regions"]}
            else:
                owner = mapping["accounts"].get(instance["owner_account_id"], instance["owner_account_id"])
                account_instances.append({
                    "InstanceArn": instance["arn"],
                    "IdentityStoreId": instance["identity_store_id"],
                    "OwnerAccountId": owner,
                    "Status": instance.get("status") or "ACTIVE",
                })
        control(endpoint, "settings", {
            "account_instances": account_instances,
            "encryption": encryption,
            "regions": regions,
            "organization_features": settings.get("organization_features") or [],
        })
        for delegated in settings["delegated_administrators"]:
            organizations.register_delegated_administrator(
                AccountId=mapping["accounts"][delegated["account_id"]],
                ServicePrincipal=delegated["service_principal"],
            )

    # Applications and who is assigned to them.
    applications = []
    for application in snapshot.get("applications") or []:
        applications.append({
            "ApplicationArn": application["arn"],
            "Name": application["name"],
            "Status": application.get("status") or "ENABLED",
            "ApplicationProviderArn": application.get("provider_arn"),
            "InstanceArn": instance_arn,
            "assignments": [
                {
                    "PrincipalType": a["principal_type"],
                    "PrincipalId": (mapping["groups"] if a["principal_type"] == "GROUP" else mapping["users"])[a["principal_id"]],
                }
                for a in application["assignments"]
            ],
        })
    control(endpoint, "applications", {"applications": applications})

    # Account access manager: applications, entitlements, and the management account's roles
    # they reach (created in moto's IAM, which is the management account's).
    access = snapshot.get("account_access")
    if access is not None:
        fixture_management = fixture["management_account_id"]

        def account(account_id):
            return mapping["accounts"].get(account_id, account_id)

        def role_arn(arn):
            parts = arn.split(":")
            parts[4] = account(parts[4])
            return ":".join(parts)

        for role in access["roles"]:
            path, _, name = role["arn"].split(":", 5)[5].partition("role")[2].rpartition("/")
            arguments = {
                "RoleName": name,
                "Path": (path + "/") if path else "/",
                "AssumeRolePolicyDocument": json.dumps(role.get("trust_policy") or {
                    "Version": "2012-10-17", "Statement": []}),
            }
            if role.get("permissions_boundary"):
                arguments["PermissionsBoundary"] = role["permissions_boundary"]
            iam.create_role(**arguments)
            for policy in role["managed_policies"]:
                iam.attach_role_policy(RoleName=name, PolicyArn=policy)
            for inline in role["inline_policies"]:
                iam.put_role_policy(
                    RoleName=name, PolicyName=inline["name"], PolicyDocument=json.dumps(inline["document"])
                )
        assert all(r["arn"].split(":")[4] == fixture_management for r in access["roles"])
        control(endpoint, "account-access", {
            "applications": [
                {
                    "applicationArn": a["arn"],
                    "status": a.get("status") or "ACTIVE",
                    "instanceArn": instance_arn if a.get("instance_arn") == snapshot["metadata"]["instance_arn"] else a.get("instance_arn"),
                }
                for a in access["applications"]
            ],
            "entitlements": [
                {
                    "applicationArn": e["application_arn"],
                    "entitlementId": e["id"],
                    "principal": {
                        "groupId": mapping["groups"][e["principal_id"]]
                    } if e["principal_type"] == "GROUP" else {
                        "userId": mapping["users"][e["principal_id"]]
                    },
                    "roleArn": role_arn(e["role_arn"]),
                    "account": account(e["account_id"]),
                    "accountName": e.get("account_name"),
                }
                for e in access["entitlements"]
            ],
        })

    # Seeding calls are not the scanner's.
    control(endpoint, "reset", {})
    json.dump(mapping, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
