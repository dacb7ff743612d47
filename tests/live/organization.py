"""Seeds an AWS Organization into the emulator for `pullpath audit --organization`
(tests/integration/live_organization.rs).

It resets the server and seeds the healthy-nat scenario of seed.py in the management account
123456789012 (whose base makes the account an organization's management account, and runs
service prod/web, which passes), then creates six member accounts: two in the root, two in unit `apps`, two in unit `apps/payments`
(nested, to check that a unit filter follows children). In every account, reached by
assuming the audit role (moto gives an assumed role's credentials that role's account; the
role need not exist), it creates an ECS cluster `prod` with no services (the management
account has its own). It closes one member
account (SUSPENDED), which pullpath must report as unreadable, never skip. It prints one JSON
object: the accounts by name with their ids, the unit ids, and the suspended account.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import seed  # noqa: E402

MANAGEMENT = "123456789012"
AUDIT_ROLE = "pullpath-audit"
REGION = "us-east-1"


def client(endpoint: str, service: str, credentials: dict):
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
                        **credentials)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args(argv[1:])
    endpoint = args.endpoint
    seed(endpoint, "healthy-nat")
    own = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    org = client(endpoint, "organizations", own)
    root = org.list_roots()["Roots"][0]["Id"]
    apps = org.create_organizational_unit(ParentId=root, Name="apps")["OrganizationalUnit"]["Id"]
    payments = org.create_organizational_unit(ParentId=apps, Name="payments")["OrganizationalUnit"]["Id"]
    placement = {"web": root, "batch": root, "api": apps, "jobs": apps,
                 "ledger": payments, "old": payments}
    accounts = {"management": MANAGEMENT}
    for name, parent in placement.items():
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        account_id = status["AccountId"]
        accounts[name] = account_id
        if parent != root:
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
    # The management account (with the only service) sits in the nested unit too, so a unit
    # filter has a workload to audit.
    org.move_account(AccountId=MANAGEMENT, SourceParentId=root, DestinationParentId=payments)
    sts = client(endpoint, "sts", own)
    for name, account_id in accounts.items():
        if account_id == MANAGEMENT:
            continue
        assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{AUDIT_ROLE}",
                                  RoleSessionName="seed")["Credentials"]
        credentials = {"aws_access_key_id": assumed["AccessKeyId"],
                       "aws_secret_access_key": assumed["SecretAccessKey"],
                       "aws_session_token": assumed["SessionToken"]}
        client(endpoint, "ecs", credentials).create_cluster(clusterName="prod")
    org.close_account(AccountId=accounts["old"])
    states = {a["Id"]: a.get("State", a.get("Status")) for a in org.list_accounts()["Accounts"]}
    assert states[accounts["old"]] == "SUSPENDED", states
    print(json.dumps({"accounts": accounts, "units": {"apps": apps, "payments": payments},
                      "suspended": accounts["old"], "role": AUDIT_ROLE}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
