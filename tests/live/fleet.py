#!/usr/bin/env python3
"""Seed a moto server with a small fleet for pullpath's fleet-wide audit tests, through the
real AWS APIs (boto3):

    python tests/live/fleet.py --endpoint http://127.0.0.1:PORT

It resets the server, then builds two accounts (123456789012, the credentials' own, and
111111111111, reached by assuming a role: moto gives an assumed role's credentials that role's
account) in us-east-1 and us-west-2, and prints one JSON object: the role ARNs to pass to
`--role-arn`, and for each account and region the distinct resources an audit reads (clusters
with their service counts, task definitions, roles and their inline policies, managed policies,
repositories, image references and how many of them exist, SSM parameter names by region,
VPCs, DHCP option sets, prefix lists), from which tests/integration/live_fleet.rs computes the
documented call formula.

| account      | region    | what                                                                  |
|--------------|-----------|-----------------------------------------------------------------------|
| 123456789012 | us-east-1 | VPC A: cluster prod (12 services, task definitions web, api, worker);  |
|              |           | VPC B: cluster batch (8 services: batch with a Docker Hub image, report);|
|              |           | cluster empty (no service); the default VPC, never read               |
| 123456789012 | us-west-2 | VPC C: cluster prod (10 services: web, api), cluster web (6: web);     |
|              |           | cluster retired, deleted (INACTIVE)                                   |
| 111111111111 | us-east-1 | VPC D: cluster payments (5 services: pay)                               |
| 111111111111 | us-west-2 | nothing                                                                 |

Services sharing a task definition, role, repository or parameter make the point of the
formula: those are read once, however many services use them. Execution roles are IAM, which
is global: the role app-execution serves both regions of 123456789012 and is read once; so is
the account's organization (123456789012 manages one; 111111111111 is in none, which costs the
same one call). The api task definitions read SSM parameter /fleet/api-token of their region
(a SecureString under the default key). Every ECR image is an image index for linux/amd64.

Every service can pull (NAT gateway, default security-group egress, default network ACLs,
roles with the AWS managed execution policy, images present), so every workload passes except
the 4 batch services: their Docker Hub image's platforms are unknown (NOT_COLLECTED), since a
run without --inspect-registries reads nothing outside AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import EXECUTION_POLICY_ARN, allow, manifest, policy, push_image, reset, trust  # noqa: E402

MAIN = "123456789012"
OTHER = "111111111111"
AUDIT_ROLE = "pullpath-audit"
REGIONS = ["us-east-1", "us-west-2"]
API_TOKEN = "/fleet/api-token"


class Account:
    """boto3 clients for one account: the default credentials, or an assumed role's."""

    def __init__(self, endpoint: str, account: str):
        import boto3
        from botocore.config import Config

        self.endpoint = endpoint
        self.account = account
        self.config = Config(retries={"max_attempts": 1, "mode": "standard"})
        self.credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if account != MAIN:
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                               config=self.config, **self.credentials)
            assumed = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="seed")
            c = assumed["Credentials"]
            self.credentials = {
                "aws_access_key_id": c["AccessKeyId"],
                "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["SessionToken"],
            }

    def client(self, service: str, region: str = "us-east-1"):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            config=self.config, **self.credentials)


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{AUDIT_ROLE}"


def execution_role(acct: Account, name: str, inline: bool) -> str:
    iam = acct.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust("ecs-tasks.amazonaws.com")))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=EXECUTION_POLICY_ARN)
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="read-config",
                            PolicyDocument=json.dumps(policy(allow("ssm:GetParameters", "*"))))
    return arn


def network(acct: Account, region: str, cidr_prefix: str, dhcp: bool) -> dict:
    """A VPC whose app subnets reach the internet through a NAT gateway, and a task security
    group (egress to anywhere); returns the awsvpcConfiguration of its tasks."""
    ec2 = acct.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock=f"{cidr_prefix}.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    if dhcp:
        options = ec2.create_dhcp_options(DhcpConfigurations=[
            {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}])["DhcpOptions"]["DhcpOptionsId"]
        ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=vpc)
    zones = [f"{region}a", f"{region}b"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr_prefix}.0.0/24", AvailabilityZone=zones[0])["Subnet"]["SubnetId"]
    app = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr_prefix}.{10 + i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
           for i, z in enumerate(zones)]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    private_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for subnet in app:
        ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=subnet)
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    return {"subnets": app, "securityGroups": [group], "assignPublicIp": "DISABLED"}


def repository(acct: Account, region: str, name: str, tags: list[str]) -> None:
    ecr = acct.client("ecr", region)
    ecr.create_repository(repositoryName=name)
    for tag in tags:
        push_image(ecr, name, manifest(f"{name}:{tag}"), tag)


def image(account: str, region: str, reference: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{reference}"


def task_definition(acct: Account, region: str, family: str, image_ref: str, role: str,
                    parameter: str | None = None) -> str:
    """A Fargate task definition running `image_ref`, reading SSM `parameter` (by name) as a
    secret if given."""
    container = {"name": "app", "image": image_ref, "memory": 512, "essential": True}
    if parameter is not None:
        container["secrets"] = [{"name": "API_TOKEN", "valueFrom": parameter}]
    return acct.client("ecs", region).register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=role,
        containerDefinitions=[container],
    )["taskDefinition"]["taskDefinitionArn"]


def parameter(acct: Account, region: str, name: str) -> None:
    acct.client("ssm", region).put_parameter(Name=name, Value="t0ken", Type="SecureString")


def cluster(acct: Account, region: str, name: str, services: list[str], placement: dict) -> None:
    """Cluster `name` with one service per task definition ARN in `services`."""
    ecs = acct.client("ecs", region)
    ecs.create_cluster(clusterName=name)
    for i, definition in enumerate(services):
        ecs.create_service(
            cluster=name,
            serviceName=f"{name}-{i:02}",
            taskDefinition=definition,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": placement},
        )


def s3_prefix_lists(acct: Account, region: str) -> int:
    """How many `com.amazonaws.REGION.s3` prefix lists the region has (moto seeds them)."""
    return len(acct.client("ec2", region).describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.s3"]}])["PrefixLists"])


def cycle(items: list[str], count: int) -> list[str]:
    return [items[i % len(items)] for i in range(count)]


def seed(endpoint: str) -> dict:
    reset(endpoint)
    main_acct, other = Account(endpoint, MAIN), Account(endpoint, OTHER)
    main_acct.client("organizations").create_organization(FeatureSet="ALL")
    app_role = execution_role(main_acct, "app-execution", inline=True)
    batch_role = execution_role(main_acct, "batch-execution", inline=False)
    pay_role = execution_role(other, "payments-execution", inline=False)
    scopes = {}

    # 123456789012 us-east-1: two VPCs, three clusters.
    region = "us-east-1"
    subnets_a = network(main_acct, region, "10.1", dhcp=True)
    subnets_b = network(main_acct, region, "10.2", dhcp=False)
    repository(main_acct, region, "web", ["1.0", "1.1"])
    repository(main_acct, region, "api", ["2.0"])
    parameter(main_acct, region, API_TOKEN)
    web = task_definition(main_acct, region, "web", image(MAIN, region, "web:1.0"), app_role)
    api = task_definition(main_acct, region, "api", image(MAIN, region, "api:2.0"), app_role, API_TOKEN)
    worker = task_definition(main_acct, region, "worker", image(MAIN, region, "web:1.1"), app_role)
    batch = task_definition(main_acct, region, "batch", "docker.io/library/busybox:1.36", batch_role)
    report = task_definition(main_acct, region, "report", image(MAIN, region, "api:2.0"), batch_role)
    cluster(main_acct, region, "prod", cycle([web, api, worker], 12), subnets_a)
    cluster(main_acct, region, "batch", cycle([batch, report], 8), subnets_b)
    cluster(main_acct, region, "empty", [], subnets_a)
    scopes[f"{MAIN} {region}"] = {
        "clusters": {"prod": 12, "batch": 8, "empty": 0},
        "task_definitions": 5, "roles": {"app-execution": 1, "batch-execution": 0},
        "managed_policies": [EXECUTION_POLICY_ARN], "repositories": 2, "image_references": 3,
        "images_found": 3, "parameters": {region: 1},
        "vpcs": 2, "dhcp_option_sets": 1, "prefix_lists": s3_prefix_lists(main_acct, region),
    }

    # 123456789012 us-west-2: one VPC, two clusters; app-execution again (IAM is global).
    region = "us-west-2"
    subnets_c = network(main_acct, region, "10.3", dhcp=False)
    repository(main_acct, region, "web", ["1.0"])
    repository(main_acct, region, "api", ["2.0"])
    parameter(main_acct, region, API_TOKEN)
    web = task_definition(main_acct, region, "web", image(MAIN, region, "web:1.0"), app_role)
    api = task_definition(main_acct, region, "api", image(MAIN, region, "api:2.0"), app_role, API_TOKEN)
    cluster(main_acct, region, "prod", cycle([web, api], 10), subnets_c)
    cluster(main_acct, region, "web", cycle([web], 6), subnets_c)
    # Deleted: ECS keeps listing it as INACTIVE for a while; it has nothing to audit.
    ecs = main_acct.client("ecs", region)
    ecs.create_cluster(clusterName="retired")
    ecs.delete_cluster(cluster="retired")
    scopes[f"{MAIN} {region}"] = {
        "clusters": {"prod": 10, "web": 6},
        "task_definitions": 2, "roles": {"app-execution": 1},
        "managed_policies": [EXECUTION_POLICY_ARN], "repositories": 2, "image_references": 2,
        "images_found": 2, "parameters": {region: 1},
        "vpcs": 1, "dhcp_option_sets": 0, "prefix_lists": s3_prefix_lists(main_acct, region),
    }

    # 111111111111 us-east-1: one cluster; us-west-2: nothing at all.
    region = "us-east-1"
    subnets_d = network(other, region, "10.4", dhcp=False)
    repository(other, region, "pay", ["3.1"])
    pay = task_definition(other, region, "pay", image(OTHER, region, "pay:3.1"), pay_role)
    cluster(other, region, "payments", cycle([pay], 5), subnets_d)
    scopes[f"{OTHER} {region}"] = {
        "clusters": {"payments": 5},
        "task_definitions": 1, "roles": {"payments-execution": 0},
        "managed_policies": [EXECUTION_POLICY_ARN], "repositories": 1, "image_references": 1,
        "images_found": 1, "parameters": {},
        "vpcs": 1, "dhcp_option_sets": 0, "prefix_lists": s3_prefix_lists(other, region),
    }
    scopes[f"{OTHER} us-west-2"] = {
        "clusters": {}, "task_definitions": 0, "roles": {}, "managed_policies": [],
        "repositories": 0, "image_references": 0, "images_found": 0, "parameters": {},
        "vpcs": 0, "dhcp_option_sets": 0, "prefix_lists": 0,
    }
    return {"role_arns": [role_arn(MAIN), role_arn(OTHER)], "scopes": scopes}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args(argv[1:])
    print(json.dumps(seed(args.endpoint)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
