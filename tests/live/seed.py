#!/usr/bin/env python3
"""Seed a moto server with one of pullpath's scenarios, through the real AWS APIs (boto3).

    python tests/live/seed.py --endpoint http://127.0.0.1:PORT SCENARIO
    python tests/live/seed.py --endpoint http://127.0.0.1:PORT SCENARIO \
        --stopped-task REASON [--stopped-task REASON...] [--stopped-task-subnet NAME]
    python tests/live/seed.py --list

Seeding first resets the server (`POST /moto-api/reset`), then builds the scenario in account
123456789012, region us-east-1 (credentials testing/testing), and prints one JSON line:
`{"cluster": "prod", "service": "web", "region": "us-east-1"}`. The live collector pointed at
the same endpoint should then build a snapshot on which `pullpath audit` reports the blocker
codes of the offline fixture of the same name (fixtures/scenarios/NAME.json, expectations in
fixtures/scenarios/README.md and tests/integration/scenarios.rs).

For `pullpath diagnose`, each `--stopped-task REASON` adds, after the scenario, one stopped
task of service web (`stop_tasks()`): RunTask (Fargate, the service's task definition, group
`service:web`, startedBy the service's PRIMARY deployment id, the service's security groups
and assignPublicIp, in its first subnet or in `--stopped-task-subnet NAME`, a SUBNETS name),
then StopTask with that reason; the JSON line then also has `"stopped_tasks": [task ARNs]`,
in the order of the options. Service events cannot be seeded (see below).

Scenario names are the fixture names. Every scenario is the healthy base (`base()`, the
fixture generator's `base()`) or another healthy scenario plus one small mutation, made by an
ordinary API call where moto supports one (delete the NAT gateway, revoke an SG rule, replace
an ACL association, update a trust policy...). The ids are moto's (random), not the
fixtures': the organization id, the NAT gateway's Elastic IP and the endpoint ids too, so
scenarios whose policies name them (perimeter-*) use the seeded ones. The server needs
`MOTO_IAM_LOAD_MANAGED_POLICIES=true` (AmazonECSTaskExecutionRolePolicy) and, for
ec2-arm64-instance-amd64-image, `MOTO_AMIS_PATH=FILE` with the AMIs `seed.py --amis` prints
(`python tests/live/seed.py --amis > amis.json`); loading only those instead of moto's default
AMIs also saves about 0.7 s a reset. Requirements: tests/live/requirements.txt.
`tests/live/check_seed.py` seeds every scenario and asserts, with the describe calls a
collector makes, that each mutation took effect.

Timing (2-core machine): reset + seed is 3-4.5 s per scenario, of which the seeding calls
are only ~0.4-0.8 s; the rest is the reset (~1-1.4 s, more at times: IAM reloads ~1,000 AWS
managed policies) and moto's lazy backend set-up on the first EC2 call after it (~1-2.5 s),
and on the first Organizations call (~0.2-0.5 s, CreateOrganization in base()). Add ~0.6 s
when seed.py runs as its own process (boto3 import, clients).

What a collector sees differently on moto 5.2.5 (checked against this script's scenarios)
-----------------------------------------------------------------------------------------
Routes and gateways
- Route `State` is always `active`. A route to a deleted NAT gateway stays `active`; the NAT
  gateway is still listed by DescribeNatGateways with State `deleted` (AWS also lists deleted
  ones for about an hour, but marks the route `blackhole`). The collector must derive blackhole
  from the target's state / absence, as `pullpath audit` does for a snapshot.
- DeleteTransitGateway removes the gateway from DescribeTransitGateways at once (AWS shows
  State `deleted` for a while); the route to it stays, `active`.
- DescribeNatGateways has no `ConnectivityType` (AWS: `public`/`private`): treat absent as
  `public`. NAT public IPs (`NatGatewayAddresses[].PublicIp`, the Elastic IP allocated for
  it) are random 127.x addresses: a perimeter naming the NAT's address must read it
  (`nat_public_ip()`).
- A new VPC's main route table has only the local route (as AWS); routes carry `Origin`.
- Routes to a gateway or Gateway Load Balancer endpoint come back as `GatewayId: vpce-...`
  (as AWS: the Route shape has no VpcEndpointId): classify a target by its id prefix.
- ReplaceRoute with VpcEndpointId leaves a route with no target field at all (moto bug); this
  script deletes and recreates the route instead. A collector meeting a targetless route
  should report it, not crash.
- Deleting a gateway endpoint's route-table association (ModifyVpcEndpoint
  RemoveRouteTableIds) clears the endpoint's `RouteTableIds` but leaves the prefix-list
  route in the table; this script deletes that route itself.

VPC, DHCP, subnets
- A new VPC has `DhcpOptionsId: default` and DescribeDhcpOptions returns nothing (AWS
  associates the region's default set, domain-name-servers AmazonProvidedDNS). This script
  creates and associates an explicit set (AmazonProvidedDNS, ec2.internal), so the collector
  sees what it sees on AWS; a collector should still handle `default` (no DHCP options).
  Server addresses (169.254.169.253, 10.0.0.2) are accepted and returned as given.
- The account also has a default VPC (172.31.0.0/16, six subnets, no IGW, DhcpOptionsId
  `default`): scope collection to the service's VPC.
- New subnets have `MapPublicIpOnLaunch: false` until ModifySubnetAttribute (as AWS).

Security groups and ACLs
- A new VPC's default SG has no self-referencing ingress rule (AWS has one): this script adds
  it. New SGs get the allow-all egress rule (as AWS); DescribeSecurityGroupRules returns
  FromPort/ToPort -1 for protocol -1 (as AWS).
- DescribeSecurityGroupRules omits `Description` (DescribeSecurityGroups has it), and an SG
  reference is `ReferencedGroupInfo: {GroupId, UserId}` (as AWS).
- The default NACL has the `*` (32767) deny entries; a custom NACL created by
  CreateNetworkAcl has none (AWS has both `*` denies): a collector/analysis must treat "no
  matching entry" as deny.

VPC endpoints
- ModifyVpcEndpoint PrivateDnsEnabled=false returns true but changes nothing; this script
  replaces such endpoints by ones created with PrivateDnsEnabled=false.
- Gateway and GatewayLoadBalancer endpoints report `PrivateDnsEnabled: true` (AWS: false).
- Every endpoint without a custom policy reports the default full-access PolicyDocument
  (Version 2008-10-17), as AWS does: no policy key never happens.
- An interface endpoint's ENIs (NetworkInterfaceIds) carry the VPC's default SG and private
  IPs outside the endpoint subnets, and RemoveSubnetIds leaves NetworkInterfaceIds as they
  were: take subnets and SGs from DescribeVpcEndpoints, never from the ENIs.
- `DnsEntries[].DnsName` is `vpce-...-xxxx.com.amazonaws.us-east-1.ecr.api` (AWS:
  `vpce-....api.ecr.us-east-1.vpce.amazonaws.com`); endpoint `State` is always `available`.
- The S3 managed prefix list `com.amazonaws.us-east-1.s3` has a random id that changes on
  every reset (AWS: pl-63a5400a) and three CIDRs (52.216.0.0/15, 3.5.0.0/19, 54.231.0.0/16;
  the fixtures list five, with 54.231.0.0/17), owner `AWS`.

IAM
- Role trust policies and inline policies come back URL-encoded in the XML (as AWS; boto3
  decodes them, the Rust SDK does not). The AWS-managed policy's GetPolicyVersion `Document`
  comes back as plain JSON, NOT URL-encoded (AWS encodes it): decode only when the text does
  not already start with `{`, or percent-decode tolerantly.
- `iam:SimulatePrincipalPolicy` is a 500 (HTML body): disable SDK retries.
- With IAM enforcement on (restrict.py), a denied call to a JSON-protocol service (ECR, ECS,
  SSM, Secrets Manager...) is answered with an XML `ErrorResponse` (HTTP 403, `AccessDenied`
  inside), in which the Rust SDK finds no error code: the collector sees a failed call, not
  a denial (no coverage gap). EC2 (XML protocol) denials are recognised. moto checks only
  actions: a statement's Resource and Condition, and resource policies, are not enforced.
- PutRolePolicy accepts policy variables (`${aws:PrincipalAccount}`) in a Resource.

ECR
- Without `imageDigest`, PutImage does not take sha256 of the pushed manifest as the digest
  (moto hashes the concatenated layer digests; an image index, which has no layers, gets a
  random one): this script passes `imageDigest` = sha256 of the exact manifest bytes (what a
  registry computes) and `imageManifestMediaType`, which moto keeps. `imageSizeInBytes` is
  the config blob's size for an image manifest and absent for an index.
- BatchGetImage ignores `acceptedMediaTypes` and returns the manifest as pushed (an index
  stays an index). GetDownloadUrlForLayer is not implemented (HTTP 500), so the platform of a
  single-platform image (in its config blob) cannot be read: every image seeded here is an
  OCI image index listing its platforms (`manifest()`), as `docker buildx` pushes them.
- BatchGetImage by tag answers with the image's other tag in `imageId.imageTag`.
- CreateRepository accepts another account's `registryId` and keeps it in the caller's
  backend (used by repository-policy-denies); DescribeRepositories without registryId then
  lists that foreign repository too, and DescribeImages reports its images with the caller's
  registryId. Pull-through cache rules are not implemented. Another registry's repository
  that was not created is RepositoryNotFoundException (foreign-repository-unreadable).

ECS
- RegisterTaskDefinition keeps `runtimePlatform` (cpuArchitecture ARM64) and returns it.
  It checks nothing about the execution role: a Fargate task definition
  with awslogs and no execution role (AWS refuses it: "Fargate requires task definition to
  have execution role ARN to support log driver awslogs"), a role that does not exist, or
  one ECS cannot assume are all accepted. On AWS execution-role-missing arises only outside
  Fargate+awslogs, the other two by deleting/editing the role after registration.
- CreateService with desiredCount 1 reports pendingCount 1 but starts no task; DescribeServices
  omits `capacityProviderStrategy` when launchType is set (as AWS). Revisions start at 1
  (the fixtures use web:7).
- DescribeServices has one deployment (status PRIMARY, id `ecs-svc/<random digits>`,
  rolloutState IN_PROGRESS, taskDefinition, networkConfiguration) and `events` always `[]`:
  moto never writes a service event and no API adds one, so "unable to place a task"/"has
  started 1 tasks" messages cannot be seeded. UpdateService forceNewDeployment only gives the
  deployment a new id; stopped tasks leave runningCount 0, pendingCount 1 and failedTasks 0
  (only the server's MOTO_ECS_SERVICE_RUNNING / MOTO_ECS_SERVICE_FAILED_TASKS change them).
- RunTask (awsvpc) is a 500 unless every container sets `memory` and the awsvpcConfiguration
  has `securityGroups`, and, because it reads the new ENI's private DNS name, while the
  subnet's VPC has enableDnsHostnames false (vpc-dns-disabled): `stop_tasks()` switches the
  attribute on around its RunTask calls and off again, so those tasks' attachment carries a
  privateDnsName. Each task gets an ENI (description `moto ECS`, status `in-use`, a random
  10.x address outside the subnet) that StopTask does not release; the collector does not
  read ENIs. RunTask checks no launch type compatibility (EC2 scenarios would get Fargate tasks).
- RegisterContainerInstance takes any instanceIdentityDocument with an `instanceId`; the
  container instance is ACTIVE, has no `capacityProviderName` (so capacity-provider scenarios
  are offline only) and UpdateContainerInstancesState can make it DRAINING.
- A stopped task (DescribeTasks) has taskArn, clusterArn, taskDefinitionArn, group,
  startedBy, launchType, platformVersion (only when RunTask passed one), overrides `{}`,
  lastStatus/desiredStatus STOPPED, stoppedReason, and one ElasticNetworkInterface attachment
  (status ATTACHED, details subnetId, networkInterfaceId, macAddress, privateDnsName,
  privateIPv4Address). Never present: stopCode, stoppedAt, stoppingAt, createdAt, startedAt,
  pullStartedAt, executionStoppedAt, cpu, memory, availabilityZone, connectivity,
  containers[].reason; containers[].lastStatus stays PENDING (exitCode 0, healthStatus
  HEALTHY, networkInterfaces []), and their `taskArn` is the task definition's ARN.
  Non-stopped tasks report stoppedReason "" (AWS omits it). Stopped tasks never change on
  DescribeTasks; a running task's lastStatus advances one step per DescribeTasks call
  (DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED) while desiredStatus stays RUNNING.
- ListTasks ignores `serviceName` (every task of the cluster, other services' and
  standalone `family:web` ones included, even for a service that does not exist); it filters
  on cluster, `desiredStatus` (the desired, not the last status), `startedBy`, `family`. Filter
  DescribeTasks results by `group == service:NAME` (or startedBy) when testing on moto.
- DescribeTasks answers in moto's order, not the request's; unknown ARNs are silently dropped
  (no `failures` entry, AWS says MISSING); it finds tasks of any cluster of the region.
- Tasks do not survive `POST /moto-api/reset` (after it, ListTasks on prod is
  ClusterNotFoundException until the cluster is re-created, then empty).

EC2 instances, Organizations, SSM, KMS
- An instance's `Architecture` is its AMI's (x86_64 for an AMI moto does not know), never
  the instance type's; RegisterImage takes no Architecture, so an arm64 instance needs an
  arm64 AMI loaded from MOTO_AMIS_PATH (see AMIS). Instance types (t4g.small) are accepted.
- CreateOrganization makes the caller the management account of an organization with a
  random id (`o-` + 10 characters); DescribeOrganization then answers it, and
  AWSOrganizationsNotInUseException in an account that is in none. The reset clears it.
- PutParameter keeps `KeyId` as given (a key id here), checking neither the key nor its use;
  a SecureString without one reports `alias/aws/ssm` (as AWS).

Not seedable on moto (scenarios left out): nat-gateway-failed (NAT state cannot be `failed`),
endpoint-unavailable (endpoint state is always `available`), s3-gateway-route-blackhole
(route state), nacls-not-collected and missing-managed-policy (collection gaps: they need a
caller denied DescribeNetworkAcls / iam:GetPolicyVersion, not a different account), and
image-platform-not-read (a caller denied ecr:BatchGetImage: tests/integration/live.rs makes
one with restrict.py instead of seeding it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable

ACCOUNT = "123456789012"
REGION = "us-east-1"
VPC_CIDR = "10.0.0.0/16"

CLUSTER = "prod"
SERVICE = "web"
EXECUTION_ROLE = "web-execution"
EXECUTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{EXECUTION_ROLE}"
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
IMAGE_WEB = f"{REGISTRY}/web:1.4.2"
LOG_GROUP_WEB = "/ecs/web"
SECRET_NAME = "prod/web/db"
API_TOKEN_PARAMETER = "/prod/web/api-token"
WEB_PARAMETERS_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/web/*"
FIREWALL_SERVICE = f"com.amazonaws.vpce.{REGION}.vpce-svc-0a1b2c3d4e5f6f001"
POLICY_VERSION = "2012-10-17"

# name -> (cidr, availability zone, public)
SUBNETS = {
    "public-a": ("10.0.0.0/24", "us-east-1a", True),
    "public-b": ("10.0.1.0/24", "us-east-1b", True),
    "app-a": ("10.0.10.0/24", "us-east-1a", False),
    "app-b": ("10.0.11.0/24", "us-east-1b", False),
    "vpce-a": ("10.0.20.0/24", "us-east-1a", False),
    "vpce-b": ("10.0.21.0/24", "us-east-1b", False),
}
PUBLIC = ["public-a", "public-b"]
APP = ["app-a", "app-b"]
VPCE = ["vpce-a", "vpce-b"]
INTERFACE_SERVICES = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]


# --- policy documents (as in fixtures/scenarios/generate.py) -----------------------------------


def policy(*statements: dict) -> dict:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def allow(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def trust(service: str) -> dict:
    return policy(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def nacl_entry(
    rule_number: int,
    egress: bool,
    protocol: str,
    action: str,
    cidr: str = "0.0.0.0/0",
    ports: tuple[int, int] | None = None,
) -> dict:
    entry = {
        "RuleNumber": rule_number,
        "Egress": egress,
        "Protocol": protocol,
        "RuleAction": action,
        "CidrBlock": cidr,
    }
    if ports is not None:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def tcp(port: int, *, cidr: str | None = None, group: str | None = None,
        prefix_list: str | None = None, description: str | None = None) -> dict:
    """One IpPermission for TCP `port` to/from one peer."""
    perm: dict = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    extra = {"Description": description} if description else {}
    if cidr is not None:
        perm["IpRanges"] = [{"CidrIp": cidr, **extra}]
    if group is not None:
        perm["UserIdGroupPairs"] = [{"GroupId": group, **extra}]
    if prefix_list is not None:
        perm["PrefixListIds"] = [{"PrefixListId": prefix_list, **extra}]
    return perm


OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LINUX_AMD64 = [("linux", "amd64", None)]
LINUX_AMD64_ARM64 = [("linux", "amd64", None), ("linux", "arm64", "v8")]


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifest(seed: str, platforms: list[tuple[str, str, str | None]] = LINUX_AMD64) -> str:
    """An OCI image index, as `docker buildx build --push` writes it: one image manifest per
    platform in `platforms` ((os, architecture, variant)), plus a BuildKit attestation
    manifest (platform unknown/unknown, which names no platform), with digests derived from
    `seed`. pullpath reads the platforms from the index itself; a single-platform manifest
    would name its platform only in its config blob, which needs ecr:GetDownloadUrlForLayer,
    which the emulator does not serve."""
    entries = []
    for os_name, architecture, variant in platforms:
        platform = {"architecture": architecture, "os": os_name}
        if variant:
            platform["variant"] = variant
        entries.append({
            "mediaType": OCI_MANIFEST,
            "digest": sha256(f"manifest:{seed}:{os_name}/{architecture}"),
            "size": 1611,
            "platform": platform,
        })
    entries.append({
        "mediaType": OCI_MANIFEST,
        "digest": sha256(f"attestation:{seed}"),
        "size": 566,
        "annotations": {
            "vnd.docker.reference.digest": entries[0]["digest"],
            "vnd.docker.reference.type": "attestation-manifest",
        },
        "platform": {"architecture": "unknown", "os": "unknown"},
    })
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})


def push_image(ecr, repository: str, body: str, tag: str, **extra: Any) -> str:
    """PutImage of the index `body` under `tag`; returns its digest. The media type and the
    digest (sha256 of the exact bytes, as a registry computes it) are given explicitly: moto
    derives a digest only from `layers`, which an index has none of (it would invent a
    random one)."""
    return ecr.put_image(
        repositoryName=repository, imageManifest=body, imageTag=tag,
        imageManifestMediaType=OCI_INDEX, imageDigest=sha256(body), **extra,
    )["image"]["imageId"]["imageDigest"]


# --- the account being built -------------------------------------------------------------------


@dataclass
class World:
    """Clients plus the ids of everything seeded so far. The ECS task definitions and services
    are kept as request dicts until `deploy()`, so scenarios can edit them first."""

    endpoint: str
    clients: dict = field(default_factory=dict)
    vpc: str = ""
    subnets: dict[str, str] = field(default_factory=dict)
    rtb: dict[str, str] = field(default_factory=dict)  # main, public, private
    igw: str = ""
    nat: str | None = None
    sg: dict[str, str] = field(default_factory=dict)  # default, task, vpce
    endpoints: dict[str, str] = field(default_factory=dict)  # service suffix -> vpce id
    s3_prefix_list: str = ""
    secret_arn: str = ""
    digests: dict[str, str] = field(default_factory=dict)  # tag -> digest (repository web)
    org_id: str = ""  # the organization moto made (o-<random>), the account its management account
    task_definitions: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    stopped_tasks: list[str] = field(default_factory=list)  # task ARNs, by stop_tasks()

    def client(self, service: str, region: str = REGION):
        key = (service, region)
        if key not in self.clients:
            import boto3
            from botocore.config import Config

            self.clients[key] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                # moto answers unimplemented calls with HTTP 500: fail at once, don't retry.
                config=Config(retries={"max_attempts": 1, "mode": "standard"},
                              connect_timeout=5, read_timeout=60),
            )
        return self.clients[key]

    @property
    def ec2(self):
        return self.client("ec2")

    @property
    def iam(self):
        return self.client("iam")

    @property
    def ecs(self):
        return self.client("ecs")

    @property
    def ecr(self):
        return self.client("ecr")

    # -- small helpers --

    def name(self, resource_id: str, name: str) -> None:
        self.ec2.create_tags(Resources=[resource_id], Tags=[{"Key": "Name", "Value": name}])

    def subnet_ids(self, names: list[str]) -> list[str]:
        return [self.subnets[n] for n in names]

    def web_task(self) -> dict:
        return self.task_definitions[0]

    def web_container(self) -> dict:
        return self.web_task()["containerDefinitions"][0]

    def web_service(self) -> dict:
        return self.services[0]


# --- building blocks ---------------------------------------------------------------------------


def reset(endpoint: str) -> None:
    request = urllib.request.Request(endpoint.rstrip("/") + "/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def create_nat(w: World, subnet: str, name: str) -> str:
    allocation = w.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = w.ec2.create_nat_gateway(SubnetId=w.subnets[subnet], AllocationId=allocation)
    nat_id = nat["NatGateway"]["NatGatewayId"]
    w.name(nat_id, name)
    return nat_id


def set_egress(w: World, group: str, permissions: list[dict]) -> None:
    """Replace every egress rule of `group` by `permissions`."""
    current = w.ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    if current["IpPermissionsEgress"]:
        w.ec2.revoke_security_group_egress(GroupId=group, IpPermissions=current["IpPermissionsEgress"])
    if permissions:
        w.ec2.authorize_security_group_egress(GroupId=group, IpPermissions=permissions)


def set_ingress(w: World, group: str, permissions: list[dict]) -> None:
    """Replace every ingress rule of `group` by `permissions`."""
    current = w.ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    if current["IpPermissions"]:
        w.ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=current["IpPermissions"])
    if permissions:
        w.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permissions)


def attach_custom_nacl(w: World, name: str, entries: list[dict], subnets: list[str] = APP) -> str:
    """Create an ACL with `entries` and move `subnets` onto it (off the default ACL). No `*`
    deny entries are added: AWS adds them itself, moto does not, and CreateNetworkAclEntry
    cannot write rule 32767."""
    acl = w.ec2.create_network_acl(VpcId=w.vpc)["NetworkAcl"]["NetworkAclId"]
    w.name(acl, name)
    for entry in entries:
        w.ec2.create_network_acl_entry(NetworkAclId=acl, **entry)
    for subnet in w.subnet_ids(subnets):
        current = w.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"][0]
        association = next(
            a["NetworkAclAssociationId"] for a in current["Associations"] if a["SubnetId"] == subnet
        )
        w.ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    return acl


def create_interface_endpoint(w: World, service: str, private_dns: bool = True) -> str:
    endpoint = w.ec2.create_vpc_endpoint(
        VpcId=w.vpc,
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{REGION}.{service}",
        SubnetIds=w.subnet_ids(VPCE),
        SecurityGroupIds=[w.sg["vpce"]],
        PrivateDnsEnabled=private_dns,
    )["VpcEndpoint"]["VpcEndpointId"]
    w.name(endpoint, service)
    w.endpoints[service] = endpoint
    return endpoint


def create_s3_gateway_endpoint(w: World, route_tables: list[str] | None = None) -> str:
    tables = [w.rtb["private"]] if route_tables is None else route_tables
    endpoint = w.ec2.create_vpc_endpoint(
        VpcId=w.vpc,
        VpcEndpointType="Gateway",
        ServiceName=f"com.amazonaws.{REGION}.s3",
        RouteTableIds=tables,
    )["VpcEndpoint"]["VpcEndpointId"]
    w.name(endpoint, "s3")
    w.endpoints["s3"] = endpoint
    return endpoint


def set_endpoint_policy(w: World, service: str, document: dict) -> None:
    w.ec2.modify_vpc_endpoint(VpcEndpointId=w.endpoints[service], PolicyDocument=json.dumps(document))


def use_dns_servers(w: World, servers: list[str]) -> None:
    options = w.ec2.create_dhcp_options(
        DhcpConfigurations=[
            {"Key": "domain-name-servers", "Values": servers},
            {"Key": "domain-name", "Values": ["ec2.internal"]},
        ]
    )["DhcpOptions"]["DhcpOptionsId"]
    w.ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=w.vpc)


def put_images(w: World, repository: str, tags: dict[str, list[str]], region: str = REGION,
               registry_id: str | None = None,
               platforms: list[tuple[str, str, str | None]] = LINUX_AMD64) -> dict[str, str]:
    """Push one image index (`manifest()`, for `platforms`) per key of `tags` under each of
    its tags; returns tag -> digest."""
    ecr = w.client("ecr", region)
    extra = {"registryId": registry_id} if registry_id else {}
    digests = {}
    for seed, image_tags in tags.items():
        body = manifest(seed, platforms)
        for tag in image_tags:
            digests[tag] = push_image(ecr, repository, body, tag, **extra)
    return digests


def container(name: str, image: str, secret_arn: str, log_group: str, stream_prefix: str) -> dict:
    return {
        "name": name,
        "image": image,
        "essential": True,
        "memory": 512,
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": secret_arn}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": REGION,
                "awslogs-stream-prefix": stream_prefix,
            },
        },
    }


def task_definition(family: str, containers: list[dict]) -> dict:
    return {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": EXECUTION_ROLE_ARN,
        "containerDefinitions": containers,
    }


def service(w: World, name: str, family: str, subnets: list[str], assign_public_ip: str) -> dict:
    return {
        "cluster": CLUSTER,
        "serviceName": name,
        "taskDefinition": family,  # replaced by the registered ARN in deploy()
        "desiredCount": 1,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": w.subnet_ids(subnets),
                "securityGroups": [w.sg["task"]],
                "assignPublicIp": assign_public_ip,
            }
        },
    }


def deploy(w: World) -> None:
    """Register the task definitions and create the services, as edited by the scenario."""
    arns = {}
    for definition in w.task_definitions:
        registered = w.ecs.register_task_definition(**definition)["taskDefinition"]
        arns[definition["family"]] = registered["taskDefinitionArn"]
    for svc in w.services:
        w.ecs.create_service(**{**svc, "taskDefinition": arns[svc["taskDefinition"]]})


# Deployment id used as startedBy when DescribeServices reports no deployment.
FALLBACK_DEPLOYMENT_ID = "ecs-svc/0000000000000000000"


def stop_tasks(w: World, reasons: list[str], subnet: str | None = None) -> list[str]:
    """After `deploy()`: for each of `reasons`, run one Fargate task of service web's task
    definition as the service's scheduler would (group `service:web`, startedBy the PRIMARY
    deployment's id, the service's security groups and assignPublicIp, in subnet `subnet` (a
    SUBNETS name) or else the service's first subnet), then StopTask it with that reason.
    Returns the task ARNs (also appended to `w.stopped_tasks`), in the order of `reasons`.

    Moto's RunTask builds the task's ENI attachment from the subnet's VPC and fails (HTTP 500)
    while the VPC has enableDnsHostnames false: the attribute is switched on for the RunTask
    calls and back off afterwards (vpc-dns-disabled)."""
    ecs = w.ecs
    svc = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    config = svc["networkConfiguration"]["awsvpcConfiguration"]
    subnet_id = w.subnets[subnet] if subnet is not None else config["subnets"][0]
    primary = [d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"]
    started_by = primary[0]["id"] if primary else FALLBACK_DEPLOYMENT_ID
    run: dict[str, Any] = {
        "cluster": CLUSTER,
        "taskDefinition": svc["taskDefinition"],
        "count": 1,
        "launchType": "FARGATE",
        "group": f"service:{SERVICE}",
        "startedBy": started_by,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": [subnet_id],
                "securityGroups": config["securityGroups"],
                "assignPublicIp": config.get("assignPublicIp", "DISABLED"),
            }
        },
    }
    if svc.get("platformVersion"):
        run["platformVersion"] = svc["platformVersion"]

    vpc = w.ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["VpcId"]
    hostnames = w.ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    hostnames_off = not hostnames["EnableDnsHostnames"]["Value"]
    if hostnames_off:
        w.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    try:
        arns = [ecs.run_task(**run)["tasks"][0]["taskArn"] for _ in reasons]
    finally:
        if hostnames_off:
            w.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})
    for arn, reason in zip(arns, reasons):
        ecs.stop_task(cluster=CLUSTER, task=arn, reason=reason)
    w.stopped_tasks.extend(arns)
    return arns


# --- the healthy base account ------------------------------------------------------------------


def base(w: World, nat_subnet: str | None = "public-a",
         platforms: list[tuple[str, str, str | None]] = LINUX_AMD64) -> None:
    """The fixture generator's base(): VPC 10.0.0.0/16 (DNS support and hostnames on,
    AmazonProvidedDNS); public subnets routed to an IGW; app subnets with 0.0.0.0/0 -> a NAT
    gateway in `nat_subnet` (no NAT and no default route when None); endpoint subnets on the
    main table; task SG (egress all), endpoint SG (443 from the VPC); ECR repository `web`
    (1.4.2 + latest, 1.4.1: image indexes for `platforms`, linux/amd64 unless told); role
    web-execution; Fargate service prod/web in the app subnets, no public IP; the account is
    the management account of an organization (the fixtures' `organization`; moto picks the
    id, `w.org_id`)."""
    w.org_id = w.client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
    ec2 = w.ec2
    w.vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    w.name(w.vpc, "prod")
    ec2.modify_vpc_attribute(VpcId=w.vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=w.vpc, EnableDnsHostnames={"Value": True})
    use_dns_servers(w, ["AmazonProvidedDNS"])

    for name, (cidr, zone, public) in SUBNETS.items():
        subnet = ec2.create_subnet(VpcId=w.vpc, CidrBlock=cidr, AvailabilityZone=zone)
        w.subnets[name] = subnet["Subnet"]["SubnetId"]
        w.name(w.subnets[name], name)
        if public:
            ec2.modify_subnet_attribute(SubnetId=w.subnets[name], MapPublicIpOnLaunch={"Value": True})

    w.rtb["main"] = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [w.vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    w.name(w.rtb["main"], "main")

    w.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    w.name(w.igw, "prod")
    ec2.attach_internet_gateway(InternetGatewayId=w.igw, VpcId=w.vpc)

    w.rtb["public"] = ec2.create_route_table(VpcId=w.vpc)["RouteTable"]["RouteTableId"]
    w.name(w.rtb["public"], "public")
    ec2.create_route(RouteTableId=w.rtb["public"], DestinationCidrBlock="0.0.0.0/0", GatewayId=w.igw)
    for subnet in w.subnet_ids(PUBLIC):
        ec2.associate_route_table(RouteTableId=w.rtb["public"], SubnetId=subnet)

    w.rtb["private"] = ec2.create_route_table(VpcId=w.vpc)["RouteTable"]["RouteTableId"]
    w.name(w.rtb["private"], "private")
    for subnet in w.subnet_ids(APP):
        ec2.associate_route_table(RouteTableId=w.rtb["private"], SubnetId=subnet)
    if nat_subnet is not None:
        w.nat = create_nat(w, nat_subnet, "prod")
        ec2.create_route(RouteTableId=w.rtb["private"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=w.nat)

    w.sg["default"] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [w.vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    # AWS gives every default SG this rule; moto does not.
    ec2.authorize_security_group_ingress(
        GroupId=w.sg["default"], IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": w.sg["default"]}]}]
    )
    w.sg["task"] = ec2.create_security_group(
        GroupName="web-task", Description="web tasks", VpcId=w.vpc
    )["GroupId"]
    w.sg["vpce"] = ec2.create_security_group(
        GroupName="vpc-endpoints", Description="interface endpoints", VpcId=w.vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=w.sg["vpce"], IpPermissions=[tcp(443, cidr=VPC_CIDR, description="HTTPS from the VPC")]
    )

    w.s3_prefix_list = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]

    # Secret, log group, execution role.
    w.secret_arn = w.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString="hunter2")["ARN"]
    w.client("logs").create_log_group(logGroupName=LOG_GROUP_WEB)
    w.iam.create_role(
        RoleName=EXECUTION_ROLE,
        AssumeRolePolicyDocument=json.dumps(trust("ecs-tasks.amazonaws.com")),
        Description="ECS task execution role of prod/web",
    )
    w.iam.attach_role_policy(RoleName=EXECUTION_ROLE, PolicyArn=EXECUTION_POLICY_ARN)
    w.iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="read-db-secret",
        PolicyDocument=json.dumps(policy(allow("secretsmanager:GetSecretValue", w.secret_arn))),
    )

    # Registry.
    w.ecr.create_repository(repositoryName="web")
    w.digests = put_images(
        w, "web", {"web:1.4.2": ["1.4.2", "latest"], "web:1.4.1": ["1.4.1"]}, platforms=platforms
    )

    # ECS (registered in deploy()).
    w.ecs.create_cluster(clusterName=CLUSTER)
    w.task_definitions = [
        task_definition("web", [container("app", IMAGE_WEB, w.secret_arn, LOG_GROUP_WEB, "web")])
    ]
    w.services = [service(w, SERVICE, "web", APP, "DISABLED")]


def add_interface_endpoints(w: World, services: list[str] = INTERFACE_SERVICES) -> None:
    for name in services:
        create_interface_endpoint(w, name)


# --- scenario registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    parent: str
    build: Callable[[World], None]

    @property
    def summary(self) -> str:
        first = (self.build.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(first.split())


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, parent: str):
    def register(build: Callable[[World], None]) -> Callable[[World], None]:
        assert name not in SCENARIOS, name
        SCENARIOS[name] = Scenario(name, parent, build)
        return build

    return register


# --- healthy -----------------------------------------------------------------------------------


@scenario("healthy-nat", "base")
def healthy_nat(w: World) -> None:
    """Healthy: app subnets reach everything through a NAT gateway in a public subnet."""
    base(w)


@scenario("healthy-public-ip", "healthy-nat")
def healthy_public_ip(w: World) -> None:
    """Healthy: the service runs in the public subnets with assignPublicIp ENABLED."""
    base(w)
    vpc_config = w.web_service()["networkConfiguration"]["awsvpcConfiguration"]
    vpc_config["subnets"] = w.subnet_ids(PUBLIC)
    vpc_config["assignPublicIp"] = "ENABLED"


@scenario("healthy-endpoints", "healthy-nat")
def healthy_endpoints(w: World) -> None:
    """Healthy: no NAT gateway and no default route; interface endpoints ecr.api, ecr.dkr,
    logs, secretsmanager (private DNS on) in the endpoint subnets; S3 gateway endpoint on the
    private route table."""
    base(w, nat_subnet=None)
    add_interface_endpoints(w)
    create_s3_gateway_endpoint(w)


@scenario("healthy-tight-sgs", "healthy-endpoints")
def healthy_tight_sgs(w: World) -> None:
    """Healthy, least privilege: task SG egress only 443 to the endpoint SG and the S3 prefix
    list; endpoint SG ingress only 443 from the task SG; strict custom NACL on the app subnets
    (out 443 to the VPC and to each CIDR of moto's S3 prefix list, in 32768-65535)."""
    healthy_endpoints(w)
    set_egress(w, w.sg["task"], [
        tcp(443, group=w.sg["vpce"], description="HTTPS to interface endpoints"),
        tcp(443, prefix_list=w.s3_prefix_list, description="HTTPS to S3"),
    ])
    set_ingress(w, w.sg["vpce"], [tcp(443, group=w.sg["task"], description="HTTPS from web tasks")])
    s3_cidrs = [
        e["Cidr"] for e in w.ec2.get_managed_prefix_list_entries(PrefixListId=w.s3_prefix_list)["Entries"]
    ]
    attach_custom_nacl(w, "app-strict", [
        nacl_entry(100, True, "6", "allow", VPC_CIDR, (443, 443)),
        *(nacl_entry(110 + i, True, "6", "allow", cidr, (443, 443)) for i, cidr in enumerate(s3_cidrs)),
        nacl_entry(100, False, "6", "allow", "0.0.0.0/0", (32768, 65535)),
    ])


@scenario("docker-hub-public", "healthy-nat")
def docker_hub_public(w: World) -> None:
    """Healthy: the container pulls the public Docker Hub image nginx:1.27 through the NAT."""
    base(w)
    w.web_container()["image"] = "nginx:1.27"


@scenario("ssm-parameter-secret", "healthy-endpoints")
def ssm_parameter_secret(w: World) -> None:
    """Healthy: a second secret from SSM parameter /prod/web/api-token (by name) through an ssm
    interface endpoint; the inline policy also allows ssm:GetParameters on /prod/web/*."""
    healthy_endpoints(w)
    create_interface_endpoint(w, "ssm")
    w.client("ssm").put_parameter(Name=API_TOKEN_PARAMETER, Value="t0ken", Type="SecureString")
    w.web_container()["secrets"].append({"name": "API_TOKEN", "valueFrom": API_TOKEN_PARAMETER})
    w.iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="read-db-secret",
        PolicyDocument=json.dumps(policy(
            allow("secretsmanager:GetSecretValue", w.secret_arn),
            allow("ssm:GetParameters", WEB_PARAMETERS_ARN),
        )),
    )


@scenario("trust-source-account-condition", "healthy-nat")
def trust_source_account_condition(w: World) -> None:
    """Healthy: the trust policy has Condition StringEquals aws:SourceAccount = the account."""
    base(w)
    document = trust("ecs-tasks.amazonaws.com")
    document["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    w.iam.update_assume_role_policy(RoleName=EXECUTION_ROLE, PolicyDocument=json.dumps(document))


@scenario("split-default-route-nat", "healthy-nat")
def split_default_route_nat(w: World) -> None:
    """Healthy: no 0.0.0.0/0 on the private table; 0.0.0.0/1 and 128.0.0.0/1 -> the NAT."""
    base(w)
    table = w.rtb["private"]
    w.ec2.delete_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0")
    for half in ("0.0.0.0/1", "128.0.0.0/1"):
        w.ec2.create_route(RouteTableId=table, DestinationCidrBlock=half, NatGatewayId=w.nat)


@scenario("nacl-ephemeral-in-two-rules", "healthy-nat")
def nacl_ephemeral_in_two_rules(w: World) -> None:
    """Healthy: a custom NACL on the app subnets admits return traffic in two inbound rules
    (90: TCP 1024-32767, 95: TCP 32768-65535); out 100 all."""
    base(w)
    attach_custom_nacl(w, "app-ephemeral", [
        nacl_entry(90, False, "6", "allow", "0.0.0.0/0", (1024, 32767)),
        nacl_entry(95, False, "6", "allow", "0.0.0.0/0", (32768, 65535)),
        nacl_entry(100, True, "-1", "allow"),
    ])


@scenario("image-tag-and-digest", "healthy-nat")
def image_tag_and_digest(w: World) -> None:
    """Healthy: the image is web:1.4.2@<the digest moto holds for tag 1.4.2>."""
    base(w)
    w.web_container()["image"] = f"{IMAGE_WEB}@{w.digests['1.4.2']}"


# --- failing: network --------------------------------------------------------------------------


@scenario("private-subnet-no-egress", "healthy-nat")
def private_subnet_no_egress(w: World) -> None:
    """NO_ROUTE: no NAT gateway, no endpoints, no public IP; the private table has only the
    local route."""
    base(w, nat_subnet=None)


@scenario("route-blackhole", "healthy-nat")
def route_blackhole(w: World) -> None:
    """ROUTE_BLACKHOLE: the private 0.0.0.0/0 route points at a NAT gateway that was deleted
    (moto: NAT State deleted, route State still active)."""
    base(w)
    w.ec2.delete_nat_gateway(NatGatewayId=w.nat)


@scenario("nat-gateway-in-private-subnet", "healthy-nat")
def nat_gateway_in_private_subnet(w: World) -> None:
    """NAT_GATEWAY_NO_INTERNET: the NAT gateway sits in app subnet A, whose table sends
    0.0.0.0/0 back to the NAT."""
    base(w, nat_subnet="app-a")


@scenario("public-subnet-no-public-ip", "healthy-public-ip")
def public_subnet_no_public_ip(w: World) -> None:
    """NO_PUBLIC_IP: service in the public subnets with assignPublicIp DISABLED."""
    healthy_public_ip(w)
    w.web_service()["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "DISABLED"


@scenario("sg-egress-blocked", "healthy-nat")
def sg_egress_blocked(w: World) -> None:
    """SG_EGRESS_BLOCKED: the task SG allows egress only TCP 80."""
    base(w)
    set_egress(w, w.sg["task"], [tcp(80, cidr="0.0.0.0/0", description="HTTP out")])


@scenario("endpoint-sg-ingress-blocked", "healthy-endpoints")
def endpoint_sg_ingress_blocked(w: World) -> None:
    """ENDPOINT_SG_INGRESS_BLOCKED: the endpoint SG allows 443 only from 192.168.0.0/16."""
    healthy_endpoints(w)
    set_ingress(w, w.sg["vpce"], [tcp(443, cidr="192.168.0.0/16", description="HTTPS from on-prem")])


@scenario("nacl-outbound-blocked", "healthy-nat")
def nacl_outbound_blocked(w: World) -> None:
    """NACL_OUTBOUND_BLOCKED: custom NACL on the app subnets: out 90 deny TCP 443, out 100
    allow all, in 100 allow all."""
    base(w)
    attach_custom_nacl(w, "app-no-https-out", [
        nacl_entry(90, True, "6", "deny", "0.0.0.0/0", (443, 443)),
        nacl_entry(100, True, "-1", "allow"),
        nacl_entry(100, False, "-1", "allow"),
    ])


@scenario("nacl-inbound-blocked", "healthy-nat")
def nacl_inbound_blocked(w: World) -> None:
    """NACL_INBOUND_BLOCKED: custom NACL on the app subnets: out 100 TCP 443, in 100 TCP 443
    only, so return traffic on ephemeral ports is dropped."""
    base(w)
    attach_custom_nacl(w, "app-no-return", [
        nacl_entry(100, True, "6", "allow", "0.0.0.0/0", (443, 443)),
        nacl_entry(100, False, "6", "allow", "0.0.0.0/0", (443, 443)),
    ])


def replace_without_private_dns(w: World, services: list[str]) -> None:
    """Recreate these interface endpoints with private DNS off (moto ignores
    ModifyVpcEndpoint PrivateDnsEnabled)."""
    w.ec2.delete_vpc_endpoints(VpcEndpointIds=[w.endpoints[s] for s in services])
    for name in services:
        create_interface_endpoint(w, name, private_dns=False)


@scenario("endpoint-private-dns-disabled", "healthy-endpoints")
def endpoint_private_dns_disabled(w: World) -> None:
    """ENDPOINT_PRIVATE_DNS_DISABLED: the ecr.api and ecr.dkr endpoints have private DNS off."""
    healthy_endpoints(w)
    replace_without_private_dns(w, ["ecr.api", "ecr.dkr"])


@scenario("vpc-dns-disabled", "healthy-endpoints")
def vpc_dns_disabled(w: World) -> None:
    """VPC_DNS_DISABLED: the VPC has enableDnsHostnames false."""
    healthy_endpoints(w)
    w.ec2.modify_vpc_attribute(VpcId=w.vpc, EnableDnsHostnames={"Value": False})


@scenario("endpoint-policy-denies", "healthy-endpoints")
def endpoint_policy_denies(w: World) -> None:
    """ENDPOINT_POLICY_DENIES: the S3 gateway endpoint policy allows s3:GetObject only on
    arn:aws:s3:::acme-artifacts/*."""
    healthy_endpoints(w)
    set_endpoint_policy(w, "s3", policy({
        "Sid": "OnlyCompanyBuckets",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-artifacts/*",
    }))


@scenario("cross-region-registry", "healthy-endpoints")
def cross_region_registry(w: World) -> None:
    """CROSS_REGION_REGISTRY + NO_ROUTE: the image is in eu-west-1 ECR (repository web, tag
    1.4.2 present there); the VPC only has us-east-1 endpoints and no NAT."""
    healthy_endpoints(w)
    w.client("ecr", "eu-west-1").create_repository(repositoryName="web")
    put_images(w, "web", {"web:1.4.2": ["1.4.2", "latest"]}, region="eu-west-1")
    w.web_container()["image"] = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2"


@scenario("endpoint-subnet-nacl-blocked", "healthy-endpoints")
def endpoint_subnet_nacl_blocked(w: World) -> None:
    """NACL_INBOUND_BLOCKED: custom NACL on the endpoint subnets: in 100 TCP 443 only from
    192.168.0.0/16, out 100 all."""
    healthy_endpoints(w)
    attach_custom_nacl(w, "vpce-on-prem-only", [
        nacl_entry(100, True, "-1", "allow"),
        nacl_entry(100, False, "6", "allow", "192.168.0.0/16", (443, 443)),
    ], subnets=VPCE)


@scenario("nat-subnet-nacl-blocked", "healthy-nat")
def nat_subnet_nacl_blocked(w: World) -> None:
    """NACL_INBOUND_BLOCKED: custom NACL on the public subnets (NAT): in 100 TCP 443 from the
    VPC only (no return traffic), out 100 all."""
    base(w)
    attach_custom_nacl(w, "public-https-in-only", [
        nacl_entry(100, True, "-1", "allow"),
        nacl_entry(100, False, "6", "allow", VPC_CIDR, (443, 443)),
    ], subnets=PUBLIC)


@scenario("s3-gateway-not-associated", "healthy-endpoints")
def s3_gateway_not_associated(w: World) -> None:
    """NO_ROUTE (s3-layers): the S3 gateway endpoint is associated with no route table, and
    the private table has no prefix-list route."""
    healthy_endpoints(w)
    w.ec2.modify_vpc_endpoint(VpcEndpointId=w.endpoints["s3"], RemoveRouteTableIds=[w.rtb["private"]])
    # AWS removes the endpoint's route with the association; moto leaves it.
    w.ec2.delete_route(RouteTableId=w.rtb["private"], DestinationPrefixListId=w.s3_prefix_list)


@scenario("endpoint-policy-explicit-deny", "healthy-endpoints")
def endpoint_policy_explicit_deny(w: World) -> None:
    """ENDPOINT_POLICY_DENIES: the ecr.dkr endpoint policy allows all but denies
    ecr:BatchGetImage on repository web."""
    healthy_endpoints(w)
    set_endpoint_policy(w, "ecr.dkr", policy(
        {"Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {
            "Sid": "FreezeWeb",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "ecr:BatchGetImage",
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/web",
        },
    ))


def deleted_nat(w: World) -> str:
    """A second NAT gateway (public subnet B), deleted; routes to it stay (moto: active)."""
    return create_nat(w, "public-b", "old")


@scenario("split-default-route-blackhole", "healthy-nat")
def split_default_route_blackhole(w: World) -> None:
    """ROUTE_BLACKHOLE: 0.0.0.0/0 still goes to the working NAT, but 0.0.0.0/1 and
    128.0.0.0/1 go to a deleted NAT gateway."""
    base(w)
    old = deleted_nat(w)
    for half in ("0.0.0.0/1", "128.0.0.0/1"):
        w.ec2.create_route(RouteTableId=w.rtb["private"], DestinationCidrBlock=half, NatGatewayId=old)
    w.ec2.delete_nat_gateway(NatGatewayId=old)


@scenario("endpoint-without-subnets", "healthy-endpoints")
def endpoint_without_subnets(w: World) -> None:
    """ENDPOINT_UNAVAILABLE: the ecr.api interface endpoint is available but has no subnets."""
    healthy_endpoints(w)
    w.ec2.modify_vpc_endpoint(VpcEndpointId=w.endpoints["ecr.api"], RemoveSubnetIds=w.subnet_ids(VPCE))


@scenario("endpoint-dkr-denies-layer-url", "healthy-endpoints")
def endpoint_dkr_denies_layer_url(w: World) -> None:
    """ENDPOINT_POLICY_DENIES: the ecr.dkr endpoint policy denies ecr:GetDownloadUrlForLayer."""
    healthy_endpoints(w)
    set_endpoint_policy(w, "ecr.dkr", policy(
        {"Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {
            "Sid": "NoLayerDownloads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "ecr:GetDownloadUrlForLayer",
            "Resource": "*",
        },
    ))


# --- failing: IAM ------------------------------------------------------------------------------


@scenario("execution-role-missing", "healthy-nat")
def execution_role_missing(w: World) -> None:
    """EXECUTION_ROLE_MISSING: the task definition has no execution role (AWS would refuse
    this for Fargate with awslogs/secrets; moto accepts it)."""
    base(w)
    del w.web_task()["executionRoleArn"]


@scenario("execution-role-not-found", "healthy-nat")
def execution_role_not_found(w: World) -> None:
    """EXECUTION_ROLE_NOT_FOUND: the task definition names role web-exec-old, which does not
    exist."""
    base(w)
    w.web_task()["executionRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/web-exec-old"


@scenario("execution-role-trust", "healthy-nat")
def execution_role_trust(w: World) -> None:
    """EXECUTION_ROLE_TRUST: the execution role trusts only ec2.amazonaws.com."""
    base(w)
    w.iam.update_assume_role_policy(
        RoleName=EXECUTION_ROLE, PolicyDocument=json.dumps(trust("ec2.amazonaws.com"))
    )


@scenario("trust-account-principal", "healthy-nat")
def trust_account_principal(w: World) -> None:
    """EXECUTION_ROLE_TRUST: the execution role trusts only arn:aws:iam::123456789012:root."""
    base(w)
    w.iam.update_assume_role_policy(RoleName=EXECUTION_ROLE, PolicyDocument=json.dumps(policy({
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    })))


@scenario("trust-source-arn-other-region", "healthy-nat")
def trust_source_arn_other_region(w: World) -> None:
    """EXECUTION_ROLE_TRUST: ecs-tasks.amazonaws.com is trusted only under ArnLike
    aws:SourceArn arn:aws:ecs:eu-west-1:123456789012:*."""
    base(w)
    document = trust("ecs-tasks.amazonaws.com")
    document["Statement"][0]["Condition"] = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:*"}
    }
    w.iam.update_assume_role_policy(RoleName=EXECUTION_ROLE, PolicyDocument=json.dumps(document))


@scenario("permission-missing", "healthy-nat")
def permission_missing(w: World) -> None:
    """PERMISSION_MISSING: AmazonECSTaskExecutionRolePolicy is detached; only the inline secret
    grant remains."""
    base(w)
    w.iam.detach_role_policy(RoleName=EXECUTION_ROLE, PolicyArn=EXECUTION_POLICY_ARN)


@scenario("permission-denied", "healthy-nat")
def permission_denied(w: World) -> None:
    """PERMISSION_DENIED: an inline policy explicitly denies ecr:BatchGetImage on *."""
    base(w)
    w.iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="deny-image-pull",
        PolicyDocument=json.dumps(policy({
            "Sid": "FreezeDeployments",
            "Effect": "Deny",
            "Action": "ecr:BatchGetImage",
            "Resource": "*",
        })),
    )


# --- failing: registry -------------------------------------------------------------------------


@scenario("repository-not-found", "healthy-nat")
def repository_not_found(w: World) -> None:
    """REPOSITORY_NOT_FOUND: the image names repository web-api, which does not exist."""
    base(w)
    w.web_container()["image"] = f"{REGISTRY}/web-api:2.0.0"


@scenario("image-not-found", "healthy-nat")
def image_not_found(w: World) -> None:
    """IMAGE_NOT_FOUND: tag 1.5.0 is not in repository web (1.4.2, latest, 1.4.1 are)."""
    base(w)
    w.web_container()["image"] = f"{REGISTRY}/web:1.5.0"


@scenario("repository-policy-denies", "healthy-nat")
def repository_policy_denies(w: World) -> None:
    """REPOSITORY_POLICY_DENIES: the image is in account 210987654321's repository shared/base,
    whose policy lets only account 555555555555 pull.

    Moto shortcut: the repository is created with registryId 210987654321 in this account's
    backend, so DescribeRepositories/DescribeImages/GetRepositoryPolicy with that registryId
    answer. On AWS the collector would need the foreign policy to let it read the repository.
    """
    base(w)
    foreign = "210987654321"
    w.ecr.create_repository(repositoryName="shared/base", registryId=foreign)
    put_images(w, "shared/base", {"shared/base:3": ["3"]}, registry_id=foreign)
    w.ecr.set_repository_policy(
        registryId=foreign,
        repositoryName="shared/base",
        policyText=json.dumps(policy({
            "Sid": "AllowPullFromPlatformAccount",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        })),
    )
    w.web_container()["image"] = f"{foreign}.dkr.ecr.{REGION}.amazonaws.com/shared/base:3"


@scenario("registry-auth-missing", "healthy-nat")
def registry_auth_missing(w: World) -> None:
    """REGISTRY_AUTH_MISSING: image artifactory.acme.internal/team/web:1.4.2, no
    repositoryCredentials."""
    base(w)
    w.web_container()["image"] = "artifactory.acme.internal/team/web:1.4.2"


@scenario("docker-hub-private-no-egress", "healthy-endpoints")
def docker_hub_private_no_egress(w: World) -> None:
    """NO_ROUTE on every Docker Hub host (registry-1, auth, the layer CDN): healthy-endpoints
    (no NAT, no default route) pulling nginx:1.27."""
    healthy_endpoints(w)
    w.web_container()["image"] = "nginx:1.27"


DOCKERHUB_SECRET_NAME = "prod/dockerhub-pull"


@scenario("secret-kms-decrypt-missing", "healthy-nat")
def secret_kms_decrypt_missing(w: World) -> None:
    """PERMISSION_MISSING (kms:Decrypt): image acme/web:1.4.2 (private Docker Hub) with
    repositoryCredentials in a secret created with a customer managed KMS key (KmsKeyId = the
    key id); the role may read both secrets but not decrypt with the key."""
    base(w)
    key = w.client("kms").create_key(Description="registry credentials")["KeyMetadata"]["KeyId"]
    secret = w.client("secretsmanager").create_secret(
        Name=DOCKERHUB_SECRET_NAME,
        SecretString=json.dumps({"username": "acme", "password": "hunter2"}),
        KmsKeyId=key,
    )["ARN"]
    w.iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="read-db-secret",
        PolicyDocument=json.dumps(policy(allow("secretsmanager:GetSecretValue", [w.secret_arn, secret]))),
    )
    container = w.web_container()
    container["image"] = "acme/web:1.4.2"
    container["repositoryCredentials"] = {"credentialsParameter": secret}


@scenario("multi-service", "healthy-nat")
def multi_service(w: World) -> None:
    """web passes; worker (task definition worker, same image and role) runs in the public
    subnets without a public IP: NO_PUBLIC_IP."""
    base(w)
    w.client("logs").create_log_group(logGroupName="/ecs/worker")
    w.task_definitions.append(
        task_definition("worker", [container("worker", IMAGE_WEB, w.secret_arn, "/ecs/worker", "worker")])
    )
    w.services.append(service(w, "worker", "worker", PUBLIC, "DISABLED"))


# --- unknown / info ----------------------------------------------------------------------------


@scenario("transit-gateway-egress", "healthy-nat")
def transit_gateway_egress(w: World) -> None:
    """PATH_LEAVES_VPC (unknown): the private 0.0.0.0/0 goes to an available transit gateway
    (attached to the app subnets); no NAT."""
    base(w, nat_subnet=None)
    tgw = w.ec2.create_transit_gateway(Description="egress hub")["TransitGateway"]["TransitGatewayId"]
    w.name(tgw, "egress-hub")
    w.ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw, VpcId=w.vpc, SubnetIds=w.subnet_ids(APP)
    )
    w.ec2.create_route(RouteTableId=w.rtb["private"], DestinationCidrBlock="0.0.0.0/0", TransitGatewayId=tgw)


@scenario("transit-gateway-deleted", "transit-gateway-egress")
def transit_gateway_deleted(w: World) -> None:
    """ROUTE_BLACKHOLE: the private 0.0.0.0/0 names a transit gateway that was deleted (moto:
    gone from DescribeTransitGateways, route still active)."""
    transit_gateway_egress(w)
    tgw = w.ec2.describe_transit_gateways()["TransitGateways"][0]["TransitGatewayId"]
    for attachment in w.ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]:
        w.ec2.delete_transit_gateway_vpc_attachment(
            TransitGatewayAttachmentId=attachment["TransitGatewayAttachmentId"]
        )
    w.ec2.delete_transit_gateway(TransitGatewayId=tgw)


@scenario("condition-unknown", "healthy-nat")
def condition_unknown(w: World) -> None:
    """Unknown: ECR actions are granted only under Condition aws:SourceVpce; logs and the
    secret unconditionally; no managed policy attached."""
    base(w)
    w.iam.detach_role_policy(RoleName=EXECUTION_ROLE, PolicyArn=EXECUTION_POLICY_ARN)
    log_group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP_WEB}"
    w.iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="ecr-pull-via-endpoint",
        PolicyDocument=json.dumps(policy(allow(
            [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ],
            "*",
            Condition={"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        ))),
    )
    w.iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="write-logs",
        PolicyDocument=json.dumps(policy(allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [log_group_arn, f"{log_group_arn}:*"]
        ))),
    )


@scenario("custom-dns-servers", "healthy-endpoints")
def custom_dns_servers(w: World) -> None:
    """CUSTOM_DNS_SERVERS (unknown): the VPC's DHCP options use resolver 10.0.0.53."""
    healthy_endpoints(w)
    use_dns_servers(w, ["10.0.0.53"])


@scenario("sg-egress-partial", "healthy-nat")
def sg_egress_partial(w: World) -> None:
    """RANGE_PARTIALLY_ALLOWED (unknown): the task SG allows egress only TCP 443 to
    52.0.0.0/8."""
    base(w)
    set_egress(w, w.sg["task"], [tcp(443, cidr="52.0.0.0/8", description="HTTPS to 52/8 only")])


INSTANCE_ROLE = "ecsInstanceRole"
# moto gives an instance its AMI's Architecture, and x86_64 when it does not know the AMI, and
# RegisterImage takes no Architecture: an arm64 AMI exists only if the server loads it from
# the file MOTO_AMIS_PATH names (read when the server starts, instead of moto's defaults).
# `seed.py --amis` prints that file's content; tests/integration/emulator.rs starts every
# server with it. Without it the x86_64 scenarios still work (the AMI id is not checked).
AMI_X86_64 = "ami-0a1b2c3d4e5f60001"
AMI_ARM64 = "ami-0a1b2c3d4e5f60002"


def ami(ami_id: str, architecture: str) -> dict:
    """One AMI as MOTO_AMIS_PATH lists it (the keyword arguments of moto's Ami)."""
    return {
        "ami_id": ami_id,
        "name": f"amzn2-ami-ecs-hvm-2.0.20241213-{architecture}-ebs",
        "description": f"Amazon Linux 2 ECS-optimized AMI ({architecture})",
        "owner_id": "591542846629",
        "public": True,
        "virtualization_type": "hvm",
        "architecture": architecture,
        "state": "available",
        "image_type": "machine",
        "hypervisor": "xen",
        "root_device_name": "/dev/xvda",
        "root_device_type": "ebs",
        "sriov": "simple",
    }


AMIS = [ami(AMI_X86_64, "x86_64"), ami(AMI_ARM64, "arm64")]
INSTANCE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def on_ec2(w: World, instance_subnet: str, network_mode: str = "bridge",
           status: str = "ACTIVE", image_id: str = AMI_X86_64,
           instance_type: str = "t3.small") -> str:
    """Service web on the EC2 launch type (task definition for EC2 in `network_mode`; no
    awsvpc configuration unless awsvpc) with one container instance: an EC2 instance in
    `instance_subnet` (a SUBNETS name; no public IP) with instance profile ecsInstanceRole
    (AmazonEC2ContainerServiceforEC2Role) and its own SG (egress all), registered with the
    cluster and left in `status`. The instance runs `image_id` (`instance_type`): its
    Architecture is the AMI's (x86_64 when the AMI is unknown; see AMIS_FILE). Returns the
    instance id."""
    task = w.web_task()
    task["requiresCompatibilities"] = ["EC2"]
    task["networkMode"] = network_mode
    svc = w.web_service()
    svc["launchType"] = "EC2"
    del svc["platformVersion"]
    if network_mode != "awsvpc":
        del svc["networkConfiguration"]
    w.iam.create_role(RoleName=INSTANCE_ROLE, AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    w.iam.attach_role_policy(RoleName=INSTANCE_ROLE, PolicyArn=INSTANCE_POLICY_ARN)
    profile = w.iam.create_instance_profile(InstanceProfileName=INSTANCE_ROLE)["InstanceProfile"]
    w.iam.add_role_to_instance_profile(InstanceProfileName=INSTANCE_ROLE, RoleName=INSTANCE_ROLE)
    w.sg["instance"] = w.ec2.create_security_group(
        GroupName="ecs-instances", Description="container instances", VpcId=w.vpc
    )["GroupId"]
    # No public IP, even in a public subnet (the subnet's MapPublicIpOnLaunch is overridden).
    instance = w.ec2.run_instances(
        ImageId=image_id, MinCount=1, MaxCount=1, InstanceType=instance_type,
        NetworkInterfaces=[{
            "DeviceIndex": 0, "SubnetId": w.subnets[instance_subnet],
            "Groups": [w.sg["instance"]], "AssociatePublicIpAddress": False,
        }],
        IamInstanceProfile={"Arn": profile["Arn"]},
    )["Instances"][0]["InstanceId"]
    registered = w.ecs.register_container_instance(
        cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": instance, "region": REGION})
    )["containerInstance"]["containerInstanceArn"]
    if status != "ACTIVE":
        w.ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=[registered], status=status)
    return instance


@scenario("ec2-healthy-nat", "healthy-nat")
def ec2_healthy_nat(w: World) -> None:
    """Nothing wrong: service web on the EC2 launch type (bridge mode) with its container
    instance in app subnet A, which routes through the NAT gateway."""
    base(w)
    on_ec2(w, "app-a")


@scenario("ec2-launch-type", "ec2-healthy-nat")
def ec2_launch_type(w: World) -> None:
    """NO_ROUTE: EC2 launch type in awsvpc mode (tasks in the app subnets, fine), but the only
    container instance sits in endpoint subnet A (main table: no default route)."""
    base(w)
    on_ec2(w, "vpce-a", network_mode="awsvpc")


@scenario("ec2-no-container-instances", "ec2-healthy-nat")
def ec2_no_container_instances(w: World) -> None:
    """NO_CONTAINER_INSTANCES (unknown): EC2 launch type; the only container instance is
    DRAINING."""
    base(w)
    on_ec2(w, "app-a", status="DRAINING")


@scenario("ec2-instance-no-public-ip", "ec2-healthy-nat")
def ec2_instance_no_public_ip(w: World) -> None:
    """NO_PUBLIC_IP: the container instance is in public subnet A without a public IP."""
    base(w)
    on_ec2(w, "public-a")


@scenario("ec2-instance-role-no-ecr", "ec2-healthy-nat")
def ec2_instance_role_no_ecr(w: World) -> None:
    """PERMISSION_MISSING: no execution role and no secrets, so ECR is called with the
    instance role, which may only write logs."""
    base(w)
    on_ec2(w, "app-a")
    del w.web_task()["executionRoleArn"]
    del w.web_container()["secrets"]
    w.iam.detach_role_policy(RoleName=INSTANCE_ROLE, PolicyArn=INSTANCE_POLICY_ARN)
    w.iam.put_role_policy(
        RoleName=INSTANCE_ROLE, PolicyName="logs-only",
        PolicyDocument=json.dumps(policy(allow(["logs:CreateLogStream", "logs:PutLogEvents"], "*"))),
    )


@scenario("ec2-awsvpc-public-ip", "ec2-healthy-nat")
def ec2_awsvpc_public_ip(w: World) -> None:
    """ASSIGN_PUBLIC_IP_UNSUPPORTED: an EC2 service in awsvpc mode with assignPublicIp ENABLED
    (moto accepts it; AWS refuses it)."""
    base(w)
    on_ec2(w, "app-a", network_mode="awsvpc")
    w.web_service()["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED"


@scenario("fargate-1-3-0-without-ecr-api-endpoint", "healthy-endpoints")
def fargate_1_3_0_without_ecr_api_endpoint(w: World) -> None:
    """Healthy on platform 1.3.0: endpoints for ecr.dkr, logs, secretsmanager and S3 but not
    ecr.api, no NAT."""
    base(w, nat_subnet=None)
    add_interface_endpoints(w, ["ecr.dkr", "logs", "secretsmanager"])
    create_s3_gateway_endpoint(w)
    w.web_service()["platformVersion"] = "1.3.0"


@scenario("fargate-1-4-0-without-ecr-api-endpoint", "healthy-endpoints")
def fargate_1_4_0_without_ecr_api_endpoint(w: World) -> None:
    """NO_ROUTE on ecr-api: the same network on platform LATEST."""
    base(w, nat_subnet=None)
    add_interface_endpoints(w, ["ecr.dkr", "logs", "secretsmanager"])
    create_s3_gateway_endpoint(w)


@scenario("fargate-platform-too-old-for-secrets", "healthy-nat")
def fargate_platform_too_old_for_secrets(w: World) -> None:
    """PLATFORM_VERSION_UNSUPPORTED: platform 1.2.0 with a Secrets Manager secret."""
    base(w)
    w.web_service()["platformVersion"] = "1.2.0"


@scenario("endpoint-policy-not-principal", "healthy-endpoints")
def endpoint_policy_not_principal(w: World) -> None:
    """ENDPOINT_POLICY_DENIES: the ecr.dkr endpoint policy denies ecr:* to everyone except
    (NotPrincipal) the role ARN, which does not exempt the role's session."""
    healthy_endpoints(w)
    set_endpoint_policy(w, "ecr.dkr", policy(
        {"Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {
            "Sid": "OnlyTheExecutionRole",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [EXECUTION_ROLE_ARN]},
            "Action": "ecr:*",
            "Resource": "*",
        },
    ))


@scenario("nat-behind-network-firewall", "healthy-nat")
def nat_behind_network_firewall(w: World) -> None:
    """PATH_LEAVES_VPC (unknown): the public table sends 0.0.0.0/0 to a Gateway Load Balancer
    (Network Firewall) endpoint in public subnet A instead of the IGW."""
    base(w)
    firewall = w.ec2.create_vpc_endpoint(
        VpcId=w.vpc,
        VpcEndpointType="GatewayLoadBalancer",
        ServiceName=FIREWALL_SERVICE,
        SubnetIds=[w.subnets["public-a"]],
    )["VpcEndpoint"]["VpcEndpointId"]
    w.name(firewall, "network-firewall")
    # moto's ReplaceRoute with VpcEndpointId drops the target (a route to nothing): delete and
    # create instead.
    w.ec2.delete_route(RouteTableId=w.rtb["public"], DestinationCidrBlock="0.0.0.0/0")
    w.ec2.create_route(RouteTableId=w.rtb["public"], DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=firewall)


@scenario("endpoint-broken-dns-uncertain", "healthy-nat")
def endpoint_broken_dns_uncertain(w: World) -> None:
    """Unknown (CUSTOM_DNS_SERVERS, ENDPOINT_SG_INGRESS_BLOCKED): NAT path works, but interface
    endpoints whose SG admits 443 only from 192.168.0.0/16 exist and the VPC uses resolver
    10.0.0.53; no S3 gateway endpoint."""
    base(w)
    add_interface_endpoints(w)
    set_ingress(w, w.sg["vpce"], [tcp(443, cidr="192.168.0.0/16", description="HTTPS from on-prem")])
    use_dns_servers(w, ["10.0.0.53"])


@scenario("s3-route-partly-blackholed", "healthy-nat")
def s3_route_partly_blackholed(w: World) -> None:
    """RANGE_PARTIALLY_ALLOWED (unknown): 52.216.0.0/15 (an S3 prefix-list CIDR) goes to a
    deleted NAT gateway, 0.0.0.0/0 to the working one."""
    base(w)
    old = deleted_nat(w)
    w.ec2.create_route(RouteTableId=w.rtb["private"], DestinationCidrBlock="52.216.0.0/15", NatGatewayId=old)
    w.ec2.delete_nat_gateway(NatGatewayId=old)


@scenario("endpoints-bypassed-via-nat", "healthy-nat")
def endpoints_bypassed_via_nat(w: World) -> None:
    """Pass (info ENDPOINT_PRIVATE_DNS_DISABLED): ecr.api and ecr.dkr endpoints exist with
    private DNS off, so ECR traffic leaves through the NAT."""
    base(w)
    for name in ("ecr.api", "ecr.dkr"):
        create_interface_endpoint(w, name, private_dns=False)


@scenario("s3-gateway-bypassed-via-nat", "healthy-nat")
def s3_gateway_bypassed_via_nat(w: World) -> None:
    """Pass (info NO_ROUTE): an S3 gateway endpoint associated with no route table."""
    base(w)
    create_s3_gateway_endpoint(w, route_tables=[])


@scenario("one-subnet-without-route", "healthy-nat")
def one_subnet_without_route(w: World) -> None:
    """NO_ROUTE: app subnet B is disassociated from the private table and falls back to the
    main table (local route only)."""
    base(w)
    table = w.ec2.describe_route_tables(RouteTableIds=[w.rtb["private"]])["RouteTables"][0]
    association = next(
        a["RouteTableAssociationId"] for a in table["Associations"] if a.get("SubnetId") == w.subnets["app-b"]
    )
    w.ec2.disassociate_route_table(AssociationId=association)


# --- conditions decided from the path, policy variables, platforms (issue 12) -------------------


def nat_public_ip(w: World) -> str:
    """The Elastic IP of the NAT gateway (moto allocates its own: 127.x, not the fixtures'
    203.0.113.10), as DescribeNatGateways reports it to the collector."""
    nat = w.ec2.describe_nat_gateways(NatGatewayIds=[w.nat])["NatGateways"][0]
    return nat["NatGatewayAddresses"][0]["PublicIp"]


def add_inline_policy(w: World, name: str, *statements: dict) -> None:
    w.iam.put_role_policy(RoleName=EXECUTION_ROLE, PolicyName=name, PolicyDocument=json.dumps(policy(*statements)))


def deny_ecr_outside_endpoints(w: World, endpoint_ids: list[str]) -> None:
    """The fixtures' ecr_perimeter(): deny ecr:* unless aws:SourceVpce is one of these."""
    add_inline_policy(w, "ecr-only-through-our-endpoints", {
        "Sid": "DenyEcrOutsideOurEndpoints",
        "Effect": "Deny",
        "Action": "ecr:*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint_ids}},
    })


def deny_ecr_outside_addresses(w: World, ranges: list[str]) -> None:
    """The fixtures' ecr_source_ip_perimeter(): deny ecr:* from outside these ranges."""
    add_inline_policy(w, "ecr-only-from-our-addresses", {
        "Sid": "DenyEcrFromElsewhere",
        "Effect": "Deny",
        "Action": "ecr:*",
        "Resource": "*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": ranges}},
    })


def organization_only(w: World, actions: str) -> dict:
    """An endpoint policy allowing `actions` only to principals of the seeded organization."""
    return policy({
        "Sid": "OnlyOurOrganization",
        "Effect": "Allow",
        "Principal": "*",
        "Action": actions,
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": w.org_id}},
    })


@scenario("perimeter-source-vpce-through-endpoint", "healthy-endpoints")
def perimeter_source_vpce_through_endpoint(w: World) -> None:
    """Pass: the execution role denies ECR calls whose aws:SourceVpce is not the ecr.api or
    ecr.dkr endpoint (moto's ids), and the calls go through them."""
    healthy_endpoints(w)
    deny_ecr_outside_endpoints(w, [w.endpoints["ecr.api"], w.endpoints["ecr.dkr"]])


@scenario("perimeter-source-vpce-through-nat", "healthy-nat")
def perimeter_source_vpce_through_nat(w: World) -> None:
    """PERMISSION_DENIED: the same aws:SourceVpce perimeter (naming the fixtures' endpoint ids:
    this VPC has none), but ECR is reached through the NAT gateway, so the calls carry no
    aws:SourceVpce and the Deny applies."""
    base(w)
    deny_ecr_outside_endpoints(w, ["vpce-0a1b2c3d4e5f6e001", "vpce-0a1b2c3d4e5f6e002"])


@scenario("perimeter-principal-org", "healthy-endpoints")
def perimeter_principal_org(w: World) -> None:
    """Pass: the ecr.api and ecr.dkr endpoint policies allow only principals of the account's
    organization (aws:PrincipalOrgID = moto's organization id), and the account is in it."""
    healthy_endpoints(w)
    for name in ("ecr.api", "ecr.dkr"):
        set_endpoint_policy(w, name, organization_only(w, "*"))


@scenario("perimeter-s3-endpoint-principal-org", "healthy-endpoints")
def perimeter_s3_endpoint_principal_org(w: World) -> None:
    """ENDPOINT_POLICY_DENIES: the S3 gateway endpoint allows s3:* only to principals of the
    organization; ECR's presigned layer downloads are not made by the task's role."""
    healthy_endpoints(w)
    set_endpoint_policy(w, "s3", organization_only(w, "s3:*"))


@scenario("perimeter-source-ip-nat", "healthy-nat")
def perimeter_source_ip_nat(w: World) -> None:
    """PERMISSION_DENIED: the execution role denies ECR calls from outside 198.51.100.0/24
    (aws:SourceIp); the calls leave from the NAT gateway's Elastic IP, outside it (moto's
    127.x address, as the fixtures' 203.0.113.10 is)."""
    base(w)
    deny_ecr_outside_addresses(w, ["198.51.100.0/24"])


@scenario("perimeter-source-ip-nat-allowed", "healthy-nat")
def perimeter_source_ip_nat_allowed(w: World) -> None:
    """Pass: the same aws:SourceIp perimeter also lists the NAT gateway's Elastic IP (the
    address moto allocated, /32), the address the calls leave from."""
    base(w)
    deny_ecr_outside_addresses(w, ["198.51.100.0/24", f"{nat_public_ip(w)}/32"])


@scenario("policy-variable-deny-resource", "healthy-nat")
def policy_variable_deny_resource(w: World) -> None:
    """PERMISSION_DENIED: an inline policy denies pulls from
    arn:aws:ecr:*:${aws:PrincipalAccount}:repository/* (the principal's own account)."""
    base(w)
    add_inline_policy(w, "no-pulls-from-own-registry", {
        "Sid": "UseTheSharedRegistry",
        "Effect": "Deny",
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Resource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*",
    })


@scenario("secret-json-key-old-platform", "healthy-nat")
def secret_json_key_old_platform(w: World) -> None:
    """PLATFORM_VERSION_UNSUPPORTED: the secret is injected by JSON key (`ARN:password::`) on
    Fargate platform version 1.3.0."""
    base(w)
    w.web_container()["secrets"][0]["valueFrom"] = f"{w.secret_arn}:password::"
    w.web_service()["platformVersion"] = "1.3.0"


@scenario("ssm-secure-string-customer-key", "ssm-parameter-secret")
def ssm_secure_string_customer_key(w: World) -> None:
    """PERMISSION_MISSING (kms:Decrypt): the SSM parameter is a SecureString under a customer
    managed KMS key (PutParameter KeyId = the key id, which DescribeParameters returns as
    given; moto checks neither the key nor its use), and the role may not decrypt with it."""
    ssm_parameter_secret(w)
    key = w.client("kms").create_key(Description="prod parameters")["KeyMetadata"]["KeyId"]
    w.client("ssm").put_parameter(
        Name=API_TOKEN_PARAMETER, Value="t0ken", Type="SecureString", KeyId=key, Overwrite=True
    )


ARM64_RUNTIME = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}


@scenario("image-platform-arm64-amd64-only", "healthy-nat")
def image_platform_arm64_amd64_only(w: World) -> None:
    """IMAGE_PLATFORM_MISMATCH: the task definition's runtimePlatform is ARM64, and the image
    index lists linux/amd64 only."""
    base(w)
    w.web_task()["runtimePlatform"] = dict(ARM64_RUNTIME)


@scenario("image-platform-arm64-multi", "image-platform-arm64-amd64-only")
def image_platform_arm64_multi(w: World) -> None:
    """Pass: the ARM64 task pulls images whose index lists linux/amd64 and linux/arm64/v8."""
    base(w, platforms=LINUX_AMD64_ARM64)
    w.web_task()["runtimePlatform"] = dict(ARM64_RUNTIME)


@scenario("ec2-arm64-instance-amd64-image", "ec2-healthy-nat")
def ec2_arm64_instance_amd64_image(w: World) -> None:
    """IMAGE_PLATFORM_MISMATCH: the EC2 service's container instance is a t4g.small launched
    from an arm64 AMI (needs the server's MOTO_AMIS_PATH, see AMIS), whose agent pulls for
    linux/arm64; the images are linux/amd64 only."""
    base(w)
    on_ec2(w, "app-a", image_id=AMI_ARM64, instance_type="t4g.small")


@scenario("dns-resolver-by-address", "healthy-endpoints")
def dns_resolver_by_address(w: World) -> None:
    """Pass: the DHCP options name the Amazon DNS server by address, 169.254.169.253 and
    10.0.0.2 (the VPC CIDR base plus two), not as AmazonProvidedDNS."""
    healthy_endpoints(w)
    use_dns_servers(w, ["169.254.169.253", "10.0.0.2"])


@scenario("foreign-repository-unreadable", "healthy-nat")
def foreign_repository_unreadable(w: World) -> None:
    """NOT_COLLECTED (unknown): the image is in account 210987654321's repository shared/web,
    which the collector cannot read. moto enforces no repository policy, so the repository is
    simply not created: DescribeRepositories with that registryId answers
    RepositoryNotFoundException, which AWS also answers for another account's repository
    that does not exist or that its policy hides, and which the collector therefore reads,
    for another account, as "could not be read", never as "does not exist"."""
    base(w)
    w.web_container()["image"] = f"210987654321.dkr.ecr.{REGION}.amazonaws.com/shared/web:1.4.2"


@scenario("docker-hub-not-inspected", "docker-hub-public")
def docker_hub_not_inspected(w: World) -> None:
    """NOT_COLLECTED (unknown): docker-hub-public as a live audit reads it without
    --inspect-registries (the live tests read nothing outside the emulated AWS APIs): the
    image's platforms are unknown."""
    docker_hub_public(w)


# --- command line ------------------------------------------------------------------------------


def seed(endpoint: str, name: str, stopped_tasks: list[str] | None = None,
         stopped_task_subnet: str | None = None) -> World:
    """Reset the server and seed scenario `name`, then, for each reason in `stopped_tasks`, a
    stopped task of service web (see `stop_tasks()`; run in subnet `stopped_task_subnet`, a
    SUBNETS name, or the service's first subnet); returns the world (ids) for checks."""
    w = World(endpoint=endpoint)
    reset(endpoint)
    SCENARIOS[name].build(w)
    deploy(w)
    if stopped_tasks:
        stop_tasks(w, stopped_tasks, stopped_task_subnet)
    return w


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                        help="moto server URL (default: $AWS_ENDPOINT_URL or http://127.0.0.1:5000)")
    parser.add_argument("--list", action="store_true", help="print the scenario names, one a line")
    parser.add_argument("--amis", action="store_true",
                        help="print the AMIs the server should load (a MOTO_AMIS_PATH file), as JSON")
    parser.add_argument("--stopped-task", action="append", default=[], metavar="REASON",
                        help="after seeding, run one task of service web and stop it with stoppedReason "
                             "REASON (repeatable: one task each)")
    parser.add_argument("--stopped-task-subnet", choices=list(SUBNETS), metavar="NAME",
                        help="subnet (a seeded subnet name: %(choices)s) the stopped tasks run in "
                             "(default: the service's first subnet)")
    parser.add_argument("scenario", nargs="?", help="scenario (fixture) name")
    args = parser.parse_args(argv)
    if args.stopped_task_subnet and not args.stopped_task:
        parser.error("--stopped-task-subnet needs --stopped-task")
    if args.list:
        for name in SCENARIOS:
            print(name)
        return 0
    if args.amis:
        print(json.dumps(AMIS, indent=2))
        return 0
    if not args.scenario:
        parser.error("a scenario name (or --list) is required")
    if args.scenario not in SCENARIOS:
        print(f"seed.py: unknown scenario {args.scenario!r} (see --list)", file=sys.stderr)
        return 2
    try:
        w = seed(args.endpoint, args.scenario, args.stopped_task, args.stopped_task_subnet)
    except Exception as error:  # one line for the test harness, not a traceback
        print(f"seed.py: {args.scenario}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    result: dict[str, Any] = {
        "cluster": CLUSTER, "service": SERVICE, "region": REGION,
        # Seeded ids by name, for pre-deploy runs that place a task by flags.
        "subnets": w.subnets, "security_groups": w.sg, "secret_arn": w.secret_arn,
    }
    if args.stopped_task:
        result["stopped_tasks"] = w.stopped_tasks
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
