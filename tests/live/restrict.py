"""Make the emulator enforce IAM for one restricted identity, to test partial permissions.

    python tests/live/restrict.py --endpoint URL --deny ec2:DescribeVpcEndpoints

Creates an IAM user allowed every read pullpath makes (the actions of docs/iam-policy.json,
the documented audit policy) except the denied actions, switches moto to authorizing every
following request (`/moto-api/reset-auth`), and prints the user's credentials as one JSON
line: {"access_key_id": ..., "secret_access_key": ...}.
"""

import argparse
import json
import urllib.request
from pathlib import Path

import boto3

POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"
READS = [action for s in json.loads(POLICY.read_text())["Statement"] for action in s["Action"]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--deny", action="append", default=[])
    args = parser.parse_args()
    iam = boto3.client(
        "iam",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam.create_user(UserName="pullpath-auditor")
    statements = [{"Effect": "Allow", "Action": READS, "Resource": "*"}]
    if args.deny:
        statements.append({"Effect": "Deny", "Action": args.deny, "Resource": "*"})
    iam.put_user_policy(
        UserName="pullpath-auditor",
        PolicyName="audit",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName="pullpath-auditor")["AccessKey"]
    # From now on moto authenticates and authorizes every request (the body is a bare number:
    # how many requests stay unchecked).
    request = urllib.request.Request(
        args.endpoint + "/moto-api/reset-auth",
        data=b"0",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    urllib.request.urlopen(request).read()
    print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))


if __name__ == "__main__":
    main()
