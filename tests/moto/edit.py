"""Changes an organization on an ssoaudit moto server through the AWS APIs, at random.

Usage:
  python edit.py ENDPOINT setup                 builds a small organization, prints its ids
  python edit.py ENDPOINT edit SEED COUNT       makes COUNT random edits, prints what each was
  python edit.py ENDPOINT night SEED SNAPSHOT   makes a night's 50 changes to a large
                                                organization, picked from its snapshot's ids
                                                (no listing: the organization is too large)

The edits are what administrators and an IdP do between two nightly audits: assignments created
and deleted (also of principals later deleted), users and groups created and deleted, members
added and removed, permission sets created, edited and re-provisioned, policies attached and
detached, accounts created, moved and tagged. Each goes through the API, so the server records
it as CloudTrail would (record_writes). Every choice comes from SEED.
"""

import json
import random
import sys

from seed import client
MANAGED = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/job-function/Billing",
    "arn:aws:iam::aws:policy/SecurityAudit",
]


class Organization:
    def __init__(self, endpoint):
        self.organizations = client("organizations", endpoint)
        self.sso = client("sso-admin", endpoint)
        self.identity = client("identitystore", endpoint)
        instance = self.sso.list_instances()["Instances"][0]
        self.instance = instance["InstanceArn"]
        self.store = instance["IdentityStoreId"]

    def accounts(self):
        pages = self.organizations.get_paginator("list_accounts").paginate()
        return sorted(a["Id"] for page in pages for a in page["Accounts"])

    def units(self):
        root = self.organizations.list_roots()["Roots"][0]["Id"]
        units = [root]
        level = [root]
        while level:
            below = []
            for parent in level:
                below += [
                    u["Id"]
                    for u in self.organizations.list_organizational_units_for_parent(ParentId=parent)[
                        "OrganizationalUnits"
                    ]
                ]
            units += below
            level = below
        return units

    def parent(self, account):
        return self.organizations.list_parents(ChildId=account)["Parents"][0]["Id"]

    def users(self):
        return sorted(u["UserId"] for u in self.identity.list_users(IdentityStoreId=self.store)["Users"])

    def groups(self):
        return sorted(g["GroupId"] for g in self.identity.list_groups(IdentityStoreId=self.store)["Groups"])

    def memberships(self, group):
        listed = self.identity.list_group_memberships(IdentityStoreId=self.store, GroupId=group)
        return sorted((m["MembershipId"], m["MemberId"]["UserId"]) for m in listed["GroupMemberships"])

    def sets(self):
        return sorted(self.sso.list_permission_sets(InstanceArn=self.instance)["PermissionSets"])

    def assignments(self):
        found = []
        for arn in self.sets():
            accounts = self.sso.list_accounts_for_provisioned_permission_set(
                InstanceArn=self.instance, PermissionSetArn=arn
            )["AccountIds"]
            for account in accounts:
                listed = self.sso.list_account_assignments(
                    InstanceArn=self.instance, AccountId=account, PermissionSetArn=arn
                )["AccountAssignments"]
                found += [
                    (a["AccountId"], a["PermissionSetArn"], a["PrincipalType"], a["PrincipalId"])
                    for a in listed
                ]
        return sorted(set(found))

    # --- edits ---------------------------------------------------------------------------
    def create_user(self, name):
        user = self.identity.create_user(
            IdentityStoreId=self.store,
            UserName=name,
            DisplayName=name.title(),
            Name={"GivenName": name, "FamilyName": "Example"},
            Emails=[{"Value": f"{name}@example.com", "Primary": True, "Type": "work"}],
        )["UserId"]
        return user

    def create_group(self, name):
        return self.identity.create_group(IdentityStoreId=self.store, DisplayName=name)["GroupId"]

    def add_member(self, group, user):
        self.identity.create_group_membership(
            IdentityStoreId=self.store, GroupId=group, MemberId={"UserId": user}
        )

    def create_set(self, name, managed):
        arn = self.sso.create_permission_set(
            Name=name, InstanceArn=self.instance, SessionDuration="PT1H"
        )["PermissionSet"]["PermissionSetArn"]
        self.sso.attach_managed_policy_to_permission_set(
            InstanceArn=self.instance, PermissionSetArn=arn, ManagedPolicyArn=managed
        )
        return arn

    def assign(self, account, arn, kind, principal):
        self.sso.create_account_assignment(
            InstanceArn=self.instance, TargetId=account, TargetType="AWS_ACCOUNT",
            PermissionSetArn=arn, PrincipalType=kind, PrincipalId=principal,
        )

    def unassign(self, account, arn, kind, principal):
        self.sso.delete_account_assignment(
            InstanceArn=self.instance, TargetId=account, TargetType="AWS_ACCOUNT",
            PermissionSetArn=arn, PrincipalType=kind, PrincipalId=principal,
        )


def setup(org):
    o = org.organizations
    o.create_organization(FeatureSet="ALL")
    root = o.list_roots()["Roots"][0]["Id"]
    units = [
        o.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        for name in ("core", "plat")
    ]
    accounts = []
    for i, name in enumerate(["core-audit", "core-network", "plat-dev", "plat-staging", "plat-prod", "plat-sandbox"]):
        account = o.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
        o.move_account(AccountId=account, SourceParentId=root, DestinationParentId=units[i // 3])
        o.tag_resource(ResourceId=account, Tags=[{"Key": "stage", "Value": name.split("-")[1]}])
        accounts.append(account)
    users = [org.create_user(name) for name in ("ana", "ben", "chen", "dara", "eli", "fay", "gus", "hana")]
    groups = [org.create_group(name) for name in ("Managers", "DevOps", "Developers", "BillingAdmin")]
    rng = random.Random(0)
    for user in users:
        for group in rng.sample(groups, rng.randint(1, 2)):
            org.add_member(group, user)
    sets = [
        org.create_set(name, managed)
        for name, managed in zip(
            ("AdministratorAccess", "ReadOnlyAccess", "BillingAdminAccess", "AuditAccess"), MANAGED
        )
    ]
    for account in accounts:
        for arn, group in rng.sample(list(zip(sets, groups)), 2):
            org.assign(account, arn, "GROUP", group)
    org.assign(accounts[0], sets[0], "USER", users[0])
    return {"accounts": accounts, "users": users, "groups": groups, "permission_sets": sets}


def edit(org, rng, number):
    """One random edit; returns what it did (or None when it found nothing to do)."""
    kind = rng.choice(
        [
            "assign", "assign", "assign", "unassign", "unassign", "create_user", "delete_user",
            "add_member", "remove_member", "create_group", "delete_group", "update_set",
            "put_inline", "attach_managed", "detach_managed", "create_set", "tag_account",
            "untag_account", "move_account", "create_account",
        ]
    )
    accounts = org.accounts()
    if kind == "assign":
        principal_kind = rng.choice(["USER", "GROUP"])
        principals = org.users() if principal_kind == "USER" else org.groups()
        if not principals:
            return None
        pick = (rng.choice(accounts), rng.choice(org.sets()), principal_kind, rng.choice(principals))
        if pick in org.assignments():
            return None
        org.assign(*pick)
        return f"assign {pick}"
    if kind == "unassign":
        existing = org.assignments()
        if not existing:
            return None
        pick = rng.choice(existing)
        org.unassign(*pick)
        return f"unassign {pick}"
    if kind == "create_user":
        user = org.create_user(f"user{number}")
        groups = org.groups()
        if groups:
            org.add_member(rng.choice(groups), user)
        return f"create user {user}"
    if kind == "delete_user":
        users = org.users()
        if len(users) < 3:
            return None
        user = rng.choice(users)
        org.identity.delete_user(IdentityStoreId=org.store, UserId=user)
        return f"delete user {user}"
    if kind == "add_member":
        groups, users = org.groups(), org.users()
        if not groups or not users:
            return None
        group, user = rng.choice(groups), rng.choice(users)
        if user in [m[1] for m in org.memberships(group)]:
            return None
        org.add_member(group, user)
        return f"add {user} to {group}"
    if kind == "remove_member":
        groups = [g for g in org.groups() if org.memberships(g)]
        if not groups:
            return None
        group = rng.choice(groups)
        membership, user = rng.choice(org.memberships(group))
        org.identity.delete_group_membership(IdentityStoreId=org.store, MembershipId=membership)
        return f"remove {user} from {group}"
    if kind == "create_group":
        group = org.create_group(f"Team{number}")
        return f"create group {group}"
    if kind == "delete_group":
        groups = org.groups()
        if len(groups) < 3:
            return None
        group = rng.choice(groups)
        org.identity.delete_group(IdentityStoreId=org.store, GroupId=group)
        return f"delete group {group}"
    sets = org.sets()
    arn = rng.choice(sets)
    if kind == "update_set":
        org.sso.update_permission_set(
            InstanceArn=org.instance, PermissionSetArn=arn,
            Description=f"edit {number}", SessionDuration=rng.choice(["PT1H", "PT4H", "PT12H"]),
        )
        return f"update {arn}"
    if kind == "put_inline":
        document = {"Version": "2012-10-17", "Statement": [
            {"Effect": rng.choice(["Allow", "Deny"]), "Action": rng.choice(["s3:*", "iam:PassRole", "ec2:Describe*"]), "Resource": "*"}]}
        org.sso.put_inline_policy_to_permission_set(
            InstanceArn=org.instance, PermissionSetArn=arn, InlinePolicy=json.dumps(document)
        )
        org.sso.provision_permission_set(
            InstanceArn=org.instance, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS"
        )
        return f"inline policy of {arn}"
    attached = [
        p["Arn"]
        for p in org.sso.list_managed_policies_in_permission_set(
            InstanceArn=org.instance, PermissionSetArn=arn
        )["AttachedManagedPolicies"]
    ]
    if kind == "attach_managed":
        free = [p for p in MANAGED if p not in attached]
        if not free:
            return None
        policy = rng.choice(free)
        org.sso.attach_managed_policy_to_permission_set(
            InstanceArn=org.instance, PermissionSetArn=arn, ManagedPolicyArn=policy
        )
        return f"attach {policy} to {arn}"
    if kind == "detach_managed":
        if not attached:
            return None
        policy = rng.choice(attached)
        org.sso.detach_managed_policy_from_permission_set(
            InstanceArn=org.instance, PermissionSetArn=arn, ManagedPolicyArn=policy
        )
        return f"detach {policy} from {arn}"
    if kind == "create_set":
        created = org.create_set(f"Team{number}Access", rng.choice(MANAGED))
        return f"create set {created}"
    account = rng.choice(accounts)
    if kind == "tag_account":
        org.organizations.tag_resource(
            ResourceId=account, Tags=[{"Key": rng.choice(["team", "stage", "cost"]), "Value": f"v{number}"}]
        )
        return f"tag {account}"
    if kind == "untag_account":
        tags = org.organizations.list_tags_for_resource(ResourceId=account)["Tags"]
        if not tags:
            return None
        key = rng.choice(tags)["Key"]
        org.organizations.untag_resource(ResourceId=account, TagKeys=[key])
        return f"untag {key} of {account}"
    if kind == "move_account":
        source = org.parent(account)
        targets = [u for u in org.units() if u != source]
        target = rng.choice(targets)
        org.organizations.move_account(AccountId=account, SourceParentId=source, DestinationParentId=target)
        return f"move {account} to {target}"
    if kind == "create_account":
        name = f"new-{number}"
        created = org.organizations.create_account(Email=f"{name}@example.com", AccountName=name)
        account = created["CreateAccountStatus"]["AccountId"]
        if rng.random() < 0.5:
            org.organizations.tag_resource(ResourceId=account, Tags=[{"Key": "stage", "Value": "new"}])
        return f"create account {account}"
    raise AssertionError(kind)


def night(org, rng, snapshot):
    """50 changes: 15 assignments created, 10 deleted, 5 users created (each into a group), 3
    deleted, 5 members added, 4 removed, 3 accounts tagged, 2 moved, 2 permission sets edited
    (one re-provisioned), 1 account created."""
    accounts = [a["id"] for a in snapshot["organization"]["accounts"]]
    units = [u["id"] for u in snapshot["organization"]["organizational_units"]]
    sets = [s["arn"] for s in snapshot["permission_sets"]]
    groups = [g["id"] for g in snapshot["groups"]]
    users = [u["id"] for u in snapshot["users"]]
    members = {(m["group_id"], m["user_id"]) for m in snapshot["memberships"]}
    assignments = [
        (a["account_id"], a["permission_set_arn"], a["principal_type"], a["principal_id"])
        for a in snapshot["assignments"]
    ]
    existing = set(assignments)
    done = []
    while len([d for d in done if d.startswith("assign")]) < 15:
        pick = (rng.choice(accounts), rng.choice(sets), "GROUP", rng.choice(groups))
        if pick in existing:
            continue
        existing.add(pick)
        org.assign(*pick)
        done.append(f"assign {pick}")
    for pick in rng.sample(assignments, 10):
        org.unassign(*pick)
        done.append(f"unassign {pick}")
    for i in range(5):
        user = org.create_user(f"night{rng.randrange(10**6)}-{i}")
        org.add_member(rng.choice(groups), user)
        done.append(f"create user {user}")
    gone = set(rng.sample(users, 3))
    for user in sorted(gone):
        org.identity.delete_user(IdentityStoreId=org.store, UserId=user)
        done.append(f"delete user {user}")
    added = 0
    while added < 5:
        group, user = rng.choice(groups), rng.choice(users)
        if (group, user) in members or user in gone:
            continue
        members.add((group, user))
        org.add_member(group, user)
        added += 1
        done.append(f"add {user} to {group}")
    for group, user in rng.sample(sorted(m for m in members if m[1] not in gone), 4):
        membership = org.identity.get_group_membership_id(
            IdentityStoreId=org.store, GroupId=group, MemberId={"UserId": user}
        )["MembershipId"]
        org.identity.delete_group_membership(IdentityStoreId=org.store, MembershipId=membership)
        done.append(f"remove {user} from {group}")
    for account in rng.sample(accounts, 3):
        org.organizations.tag_resource(ResourceId=account, Tags=[{"Key": "night", "Value": "changed"}])
        done.append(f"tag {account}")
    for account in rng.sample(accounts, 2):
        source = org.parent(account)
        target = rng.choice([u for u in units if u != source])
        org.organizations.move_account(AccountId=account, SourceParentId=source, DestinationParentId=target)
        done.append(f"move {account}")
    first, second = rng.sample(sets, 2)
    # With its session duration: moto answers DescribePermissionSet with a bad value without one.
    org.sso.update_permission_set(
        InstanceArn=org.instance, PermissionSetArn=first, Description="edited tonight",
        SessionDuration="PT4H",
    )
    org.sso.put_inline_policy_to_permission_set(
        InstanceArn=org.instance, PermissionSetArn=second, InlinePolicy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    )
    org.sso.provision_permission_set(
        InstanceArn=org.instance, PermissionSetArn=second, TargetType="ALL_PROVISIONED_ACCOUNTS"
    )
    done += [f"update {first}", f"inline policy of {second}"]
    created = org.organizations.create_account(Email="night@bench.example", AccountName="night-new")
    done.append(f"create account {created['CreateAccountStatus']['AccountId']}")
    return done


def main():
    endpoint, command = sys.argv[1], sys.argv[2]
    org = Organization(endpoint)
    if command == "setup":
        print(json.dumps(setup(org)))
        return
    if command == "night":
        with open(sys.argv[4]) as f:
            snapshot = json.load(f)
        print(json.dumps(night(org, random.Random(int(sys.argv[3])), snapshot)))
        return
    seed, count = int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    done = []
    number = seed * 1000
    while len(done) < count:
        number += 1
        made = edit(org, rng, number)
        if made:
            done.append(made)
    print(json.dumps(done))


if __name__ == "__main__":
    sys.exit(main())
