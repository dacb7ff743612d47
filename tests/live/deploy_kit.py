"""Deploys the scheduled-audit kit (deploy/*.yaml) into the emulator and prints what exists
(tests/integration/deploy_kit.rs).

Both templates are created as CloudFormation stacks. moto's CloudFormation does not implement
every resource type: those it skips (here AWS::Scheduler::Schedule, AWS::Glue::Database and
AWS::Glue::Table; the script names them) are created from the same template's properties
through their own APIs, after resolving `Ref`, `Fn::GetAtt` and `Fn::Sub` against the stack,
so every resource of the template is checked against an emulated service. Prints one JSON
object: which resources CloudFormation made and which the script applied, and the role,
bucket, task definition, schedule and table as the services describe them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import reset  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"


def client(endpoint: str, service: str):
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def load(name: str) -> dict:
    import yaml  # PyYAML comes with moto[server]

    return yaml.safe_load((ROOT / "deploy" / name).read_text())


def document(value) -> dict:
    """A policy document as IAM returns it: parsed by boto3, or URL-encoded JSON text."""
    if isinstance(value, str):
        import ast
        import urllib.parse

        text = urllib.parse.unquote(value)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            # moto keeps a document given through CloudFormation as Python's repr of it.
            return ast.literal_eval(text)
    return value


def created(cfn, stack: str) -> list[dict]:
    """The resources CloudFormation made (moto lists a skipped one as an empty entry)."""
    return [r for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
            if r.get("LogicalResourceId")]


class Resolver:
    """`Ref`, `Fn::GetAtt` (Arn) and `Fn::Sub` against one created stack."""

    def __init__(self, endpoint: str, stack: str, template: dict, parameters: dict):
        self.endpoint = endpoint
        self.template = template
        self.values = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws"}
        for name, spec in template.get("Parameters", {}).items():
            value = parameters.get(name, spec.get("Default"))
            # A list parameter's Ref is a list.
            if spec["Type"].startswith("List<") or spec["Type"] == "CommaDelimitedList":
                value = value.split(",")
            self.values[name] = value
        cfn = client(endpoint, "cloudformation")
        for r in created(cfn, stack):
            self.values[r["LogicalResourceId"]] = r["PhysicalResourceId"]

    def arn(self, logical: str) -> str:
        kind = self.template["Resources"][logical]["Type"]
        physical = self.values[logical]
        if kind == "AWS::IAM::Role":
            return client(self.endpoint, "iam").get_role(RoleName=physical)["Role"]["Arn"]
        if kind == "AWS::ECS::Cluster":
            return client(self.endpoint, "ecs").describe_clusters(clusters=[physical])["clusters"][0]["clusterArn"]
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{physical}"
        raise ValueError(f"no Arn for {kind}")

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.values[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            logical, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", attribute
            return self.arn(logical)
        if set(value) == {"Fn::Sub"}:
            def sub(match):
                name = match.group(1)
                if name.startswith("!"):
                    return "${" + name[1:] + "}"
                if name.endswith(".Arn"):
                    return self.arn(name[:-4])
                return str(self.values[name])
            return re.sub(r"\$\{([^}]+)\}", sub, value["Fn::Sub"])
        return {k: self(v) for k, v in value.items()}


def apply_skipped(endpoint: str, stack: str, template: dict, parameters: dict) -> list[str]:
    """Creates the resources moto's CloudFormation skipped, through their APIs."""
    cfn = client(endpoint, "cloudformation")
    made = {r["LogicalResourceId"] for r in created(cfn, stack)}
    resolve = Resolver(endpoint, stack, template, parameters)
    applied = []
    for logical, resource in template["Resources"].items():
        if logical in made:
            continue
        kind, props = resource["Type"], resolve(resource.get("Properties", {}))
        if kind == "AWS::Glue::Database":
            client(endpoint, "glue").create_database(CatalogId=props["CatalogId"],
                                                     DatabaseInput=props["DatabaseInput"])
            resolve.values[logical] = props["DatabaseInput"]["Name"]
        elif kind == "AWS::Glue::Table":
            # The database's name: its Ref, resolved now that the database exists.
            database = resolve(resource["Properties"]["DatabaseName"])
            client(endpoint, "glue").create_table(CatalogId=props["CatalogId"], DatabaseName=database,
                                                  TableInput=props["TableInput"])
        elif kind == "AWS::Scheduler::Schedule":
            target = dict(props["Target"])
            ecs = dict(target["EcsParameters"])
            # CloudFormation spells it AwsvpcConfiguration, the API awsvpcConfiguration.
            network = ecs.pop("NetworkConfiguration")
            ecs["NetworkConfiguration"] = {"awsvpcConfiguration": network["AwsvpcConfiguration"]}
            target["EcsParameters"] = ecs
            client(endpoint, "scheduler").create_schedule(
                Name=props["Name"], Description=props.get("Description", ""),
                ScheduleExpression=props["ScheduleExpression"],
                FlexibleTimeWindow=props["FlexibleTimeWindow"], Target=target)
        else:
            raise SystemExit(f"deploy_kit.py: {logical} ({kind}) was not created and cannot be applied")
        applied.append(f"{logical} {kind}")
    return applied


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args(argv[1:])
    endpoint = args.endpoint
    reset(endpoint)
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="pullpath-audit", Description="audit", VpcId=vpc)["GroupId"]
    cfn = client(endpoint, "cloudformation")
    out: dict = {"stacks": {}, "applied": []}
    audit_parameters = {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/pullpath:1",
                        "Subnets": subnet, "SecurityGroup": group}
    member_parameters = {"AuditAccountId": ACCOUNT}
    for stack, name, parameters in [("pullpath-audit", "audit-account.yaml", audit_parameters),
                                    ("pullpath-member", "member-role.yaml", member_parameters)]:
        body = (ROOT / "deploy" / name).read_text()
        cfn.create_stack(StackName=stack, TemplateBody=body,
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                         Capabilities=["CAPABILITY_NAMED_IAM"])
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        out["stacks"][stack] = {
            "status": status,
            "created": sorted(f"{r['LogicalResourceId']} {r['ResourceType']}" for r in created(cfn, stack)),
        }
        out["applied"] += apply_skipped(endpoint, stack, load(name), parameters)
    iam = client(endpoint, "iam")
    member = iam.get_role(RoleName="pullpath-audit")["Role"]
    policy = document(iam.get_role_policy(RoleName="pullpath-audit",
                                          PolicyName="pullpath-read-only")["PolicyDocument"])
    out["member_role"] = {"trust": document(member["AssumeRolePolicyDocument"]),
                          "actions": policy["Statement"][0]["Action"]}
    task = document(iam.get_role_policy(RoleName="pullpath-audit-task",
                                        PolicyName="pullpath-audit")["PolicyDocument"])
    out["task_role"] = {"statements": task["Statement"]}
    bucket = client(endpoint, "cloudformation").describe_stacks(StackName="pullpath-audit")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in bucket.get("Outputs", [])}
    s3 = client(endpoint, "s3")
    s3.head_bucket(Bucket=outputs["BucketName"])
    out["bucket"] = {"name": outputs["BucketName"],
                     "encryption": s3.get_bucket_encryption(Bucket=outputs["BucketName"])
                     ["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]}
    ecs = client(endpoint, "ecs")
    definition = ecs.describe_task_definition(taskDefinition="pullpath-audit")["taskDefinition"]
    container = definition["containerDefinitions"][0]
    out["task_definition"] = {"arn": definition["taskDefinitionArn"],
                              "compatibilities": definition.get("requiresCompatibilities"),
                              "command": container.get("command"), "entry_point": container.get("entryPoint"),
                              "environment": {e["name"]: e["value"] for e in container.get("environment", [])}}
    schedule = client(endpoint, "scheduler").get_schedule(Name="pullpath-audit")
    out["schedule"] = {"expression": schedule["ScheduleExpression"], "target": schedule["Target"]["Arn"],
                       "ecs": schedule["Target"]["EcsParameters"]}
    table = client(endpoint, "glue").get_table(DatabaseName="pullpath", Name="reports")["Table"]
    out["table"] = {"partition_keys": table["PartitionKeys"],
                    "location": table["StorageDescriptor"]["Location"],
                    "serde": table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
                    "columns": [c["Name"] for c in table["StorageDescriptor"]["Columns"]],
                    "template": table.get("Parameters", {}).get("storage.location.template")}
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
