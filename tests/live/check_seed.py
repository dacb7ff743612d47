#!/usr/bin/env python3
"""Self-check of seed.py: seed every scenario (or the named ones) on a running moto server,
read the account back with the describe calls a collector makes, and assert that each
scenario's mutation took effect. Prints one line per scenario with the reset+seed time.

    python tests/live/check_seed.py --endpoint http://127.0.0.1:PORT [--stopped-tasks] [SCENARIO...]

The server must be started as tests/integration/emulator.rs starts it (see seed.py):
`python tests/live/seed.py --amis > amis.json` then
`MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_AMIS_PATH=amis.json moto_server -p PORT` (without
the AMIs, ec2-arm64-instance-amd64-image gets an x86_64 instance and fails its check).

Exit 1 if any scenario fails to seed or to check. This checks the seeding only; the
collector's own tests compare `pullpath audit` codes with the offline fixtures.

With --stopped-tasks every scenario is seeded with two stopped tasks of service web
(seed.py --stopped-task), and the check also asserts what `pullpath diagnose` reads: ListTasks
(serviceName web, desiredStatus STOPPED) lists them, DescribeTasks shows each one's
stoppedReason, group service:web, startedBy the PRIMARY deployment's id and the service's
first subnet, and the scenario's own mutation is still observed (vpc-dns-disabled: DNS
hostnames back off after the RunTask workaround).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import time
import urllib.parse
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import seed  # noqa: E402
from seed import APP, PUBLIC, VPCE, World  # noqa: E402


def doc(text: Any) -> dict:
    """A policy document as boto3 returns it (dict, JSON text, or URL-encoded JSON text)."""
    if isinstance(text, dict):
        return text
    text = text if text.lstrip().startswith("{") else urllib.parse.unquote(text)
    return json.loads(text)


def index_platforms(w: World, tag: str, repository: str = "web") -> list[str] | None:
    """The platforms (`os/architecture[/variant]`) the image index `repository:tag` lists, as
    BatchGetImage serves it to the collector; None unless it is an index whose digest is the
    sha256 of its exact bytes (what a registry computes, and what seed.py pushes)."""
    image = w.ecr.batch_get_image(
        repositoryName=repository, imageIds=[{"imageTag": tag}],
        acceptedMediaTypes=[seed.OCI_INDEX, seed.OCI_MANIFEST],
    )["images"][0]
    index = json.loads(image["imageManifest"])
    if image["imageId"]["imageDigest"] != seed.sha256(image["imageManifest"]) or "manifests" not in index:
        return None
    return sorted(
        "/".join(filter(None, (p["os"], p["architecture"], p.get("variant"))))
        for p in (m["platform"] for m in index["manifests"]) if p["os"] != "unknown"
    )


def observe(w: World) -> dict:
    """What a collector would read, keyed by the names seed.py gave things."""
    ec2 = w.ec2
    names = {v: k for k, v in w.subnets.items()}
    vpc_filter = [{"Name": "vpc-id", "Values": [w.vpc]}]
    view: dict[str, Any] = {}

    vpc = ec2.describe_vpcs(VpcIds=[w.vpc])["Vpcs"][0]
    view["dns_support"] = ec2.describe_vpc_attribute(VpcId=w.vpc, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
    view["dns_hostnames"] = ec2.describe_vpc_attribute(VpcId=w.vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    servers: list[str] = []
    if vpc["DhcpOptionsId"] != "default":
        options = ec2.describe_dhcp_options(DhcpOptionsIds=[vpc["DhcpOptionsId"]])["DhcpOptions"][0]
        for conf in options["DhcpConfigurations"]:
            if conf["Key"] == "domain-name-servers":
                servers = [v["Value"] for v in conf["Values"]]
    view["dns_servers"] = servers

    view["routes"], view["assoc"] = {}, {}
    rt_names = {v: k for k, v in w.rtb.items()}
    for table in ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]:
        name = rt_names.get(table["RouteTableId"], table["RouteTableId"])
        view["routes"][name] = {
            r.get("DestinationCidrBlock") or r.get("DestinationPrefixListId"): (
                r.get("NatGatewayId") or r.get("TransitGatewayId") or r.get("GatewayId")
                or r.get("VpcEndpointId"),
                r["State"],
            )
            for r in table["Routes"]
        }
        view["assoc"][name] = sorted(names[a["SubnetId"]] for a in table["Associations"] if a.get("SubnetId"))

    nats = ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]
    view["nats"] = {n["NatGatewayId"]: (n["State"], names.get(n["SubnetId"], n["SubnetId"])) for n in nats}
    view["nat_ips"] = {n["NatGatewayId"]: [a.get("PublicIp") for a in n.get("NatGatewayAddresses", [])] for n in nats}
    view["tgws"] = {t["TransitGatewayId"]: t["State"] for t in ec2.describe_transit_gateways()["TransitGateways"]}

    view["endpoints"] = {}
    for e in ec2.describe_vpc_endpoints(Filters=vpc_filter)["VpcEndpoints"]:
        key = e["ServiceName"].removeprefix(f"com.amazonaws.{seed.REGION}.")
        view["endpoints"][key] = {
            "id": e["VpcEndpointId"],
            "type": e["VpcEndpointType"],
            "state": e["State"],
            "subnets": sorted(names[s] for s in e.get("SubnetIds", [])),
            "groups": [g["GroupId"] for g in e.get("Groups", [])],
            "route_tables": [rt_names.get(t, t) for t in e.get("RouteTableIds", [])],
            "private_dns": e.get("PrivateDnsEnabled"),
            "policy": doc(e["PolicyDocument"]) if e.get("PolicyDocument") else None,
        }

    view["sg"] = {}
    sg_names = {v: k for k, v in w.sg.items()}
    for rule in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": list(w.sg.values())}])["SecurityGroupRules"]:
        peer = rule.get("CidrIpv4") or rule.get("PrefixListId") or sg_names.get(
            (rule.get("ReferencedGroupInfo") or {}).get("GroupId"), "?")
        entry = (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), peer)
        group = view["sg"].setdefault(sg_names[rule["GroupId"]], {"in": [], "out": []})
        group["out" if rule["IsEgress"] else "in"].append(entry)

    view["acl_of"] = {}
    for acl in ec2.describe_network_acls(Filters=vpc_filter)["NetworkAcls"]:
        entries = sorted(
            (e["Egress"], e["RuleNumber"], e["Protocol"], e["RuleAction"], e["CidrBlock"],
             (e["PortRange"]["From"], e["PortRange"]["To"]) if "PortRange" in e else None)
            for e in acl["Entries"]
        )
        for a in acl["Associations"]:
            view["acl_of"][names[a["SubnetId"]]] = {"default": acl["IsDefault"], "entries": entries}

    try:
        role = w.iam.get_role(RoleName=seed.EXECUTION_ROLE)["Role"]
        view["trust"] = doc(role["AssumeRolePolicyDocument"])
        view["inline"] = {
            n: doc(w.iam.get_role_policy(RoleName=seed.EXECUTION_ROLE, PolicyName=n)["PolicyDocument"])
            for n in w.iam.list_role_policies(RoleName=seed.EXECUTION_ROLE)["PolicyNames"]
        }
        view["attached"] = [p["PolicyArn"] for p in w.iam.list_attached_role_policies(RoleName=seed.EXECUTION_ROLE)["AttachedPolicies"]]
        view["managed"] = {
            arn: doc(w.iam.get_policy_version(
                PolicyArn=arn, VersionId=w.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            )["PolicyVersion"]["Document"])
            for arn in view["attached"]
        }
    except w.iam.exceptions.NoSuchEntityException:
        view["trust"] = None

    arns = w.ecs.list_services(cluster=seed.CLUSTER)["serviceArns"]
    services = w.ecs.describe_services(cluster=seed.CLUSTER, services=arns)["services"]
    view["services"] = {}
    view["task_defs"] = {}
    for svc in services:
        config = svc.get("networkConfiguration", {}).get("awsvpcConfiguration", {"subnets": []})
        view["services"][svc["serviceName"]] = {
            "launch_type": svc.get("launchType"),
            "platform_version": svc.get("platformVersion"),
            "subnets": sorted(names[s] for s in config["subnets"]),
            "groups": config.get("securityGroups"),
            "public_ip": config.get("assignPublicIp"),
            "task_definition": svc["taskDefinition"],
        }
        td = w.ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        view["task_defs"][svc["serviceName"]] = td
    listed = w.ecs.list_container_instances(cluster=seed.CLUSTER)["containerInstanceArns"]
    described = w.ecs.describe_container_instances(cluster=seed.CLUSTER, containerInstances=listed)[
        "containerInstances"] if listed else []
    subnet_of = {
        i["InstanceId"]: names.get(i.get("SubnetId"))
        for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }
    view["container_instances"] = [(c["status"], subnet_of.get(c["ec2InstanceId"])) for c in described]
    public_ip_of = {
        i["InstanceId"]: i.get("PublicIpAddress")
        for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }
    view["instance_public_ips"] = [public_ip_of.get(c["ec2InstanceId"]) for c in described]
    architecture_of = {
        i["InstanceId"]: i.get("Architecture")
        for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }
    view["instance_architectures"] = [architecture_of.get(c["ec2InstanceId"]) for c in described]

    organizations = w.client("organizations")
    try:
        view["org"] = organizations.describe_organization()["Organization"]
    except organizations.exceptions.AWSOrganizationsNotInUseException:
        view["org"] = None
    view["web_platforms"] = index_platforms(w, "1.4.2")
    return view


def web(v: dict) -> dict:
    return v["task_defs"]["web"]


def image(v: dict) -> str:
    return web(v)["containerDefinitions"][0]["image"]


def statement_texts(document: dict) -> str:
    return json.dumps(document["Statement"])


def ecr_error(w: World, call: Callable[[], Any]) -> str | None:
    try:
        call()
    except w.ecr.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


def inline_statement(v: dict, name: str) -> dict:
    return v["inline"][name]["Statement"][0]


def endpoint_condition(v: dict, service: str) -> dict:
    return v["endpoints"][service]["policy"]["Statement"][0].get("Condition", {})


def parameter(w: World, name: str) -> dict:
    return w.client("ssm").describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}]
    )["Parameters"][0]


def only_nat_available(v: dict, subnet: str = "public-a") -> bool:
    return [s for s in v["nats"].values() if s[0] == "available"] == [("available", subnet)]


def default_route(v: dict, table: str = "private"):
    return v["routes"][table].get("0.0.0.0/0")


# Per scenario: a check over (world, view), True when the seeded account has the cause.
CHECKS: dict[str, Callable[[World, dict], bool]] = {
    "healthy-nat": lambda w, v: (
        only_nat_available(v)
        and default_route(v)[0] == w.nat
        and default_route(v, "public")[0] == w.igw
        and v["assoc"]["private"] == APP and v["assoc"]["public"] == PUBLIC
        and v["services"]["web"]["subnets"] == APP and v["services"]["web"]["public_ip"] == "DISABLED"
        and v["dns_support"] and v["dns_hostnames"] and v["dns_servers"] == ["AmazonProvidedDNS"]
        and seed.EXECUTION_POLICY_ARN in v["attached"]
        and "ecr:BatchGetImage" in statement_texts(v["managed"][seed.EXECUTION_POLICY_ARN])
        and v["trust"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        and web(v)["executionRoleArn"] == seed.EXECUTION_ROLE_ARN
        and web(v)["containerDefinitions"][0]["secrets"][0]["valueFrom"] == w.secret_arn
        and web(v)["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"] == "/ecs/web"
        and ("tcp", 443, 443, seed.VPC_CIDR) in v["sg"]["vpce"]["in"]
        and v["sg"]["task"]["out"] == [("-1", -1, -1, "0.0.0.0/0")]
        and ("-1", -1, -1, "default") in v["sg"]["default"]["in"]
        and all(v["acl_of"][s]["default"] for s in seed.SUBNETS)
        and v["endpoints"] == {}
        and v["org"]["Id"] == w.org_id and v["org"]["MasterAccountId"] == seed.ACCOUNT
        and v["web_platforms"] == ["linux/amd64"]
    ),
    "healthy-public-ip": lambda w, v: (
        v["services"]["web"]["subnets"] == PUBLIC and v["services"]["web"]["public_ip"] == "ENABLED"
    ),
    "healthy-endpoints": lambda w, v: (
        v["nats"] == {}
        and set(v["routes"]["private"]) == {seed.VPC_CIDR, w.s3_prefix_list}
        and v["routes"]["private"][w.s3_prefix_list][0] == w.endpoints["s3"]
        and v["endpoints"]["s3"]["route_tables"] == ["private"]
        and all(
            v["endpoints"][s]["subnets"] == VPCE and v["endpoints"][s]["private_dns"]
            and v["endpoints"][s]["groups"] == [w.sg["vpce"]]
            for s in seed.INTERFACE_SERVICES
        )
    ),
    "healthy-tight-sgs": lambda w, v: (
        sorted(v["sg"]["task"]["out"]) == sorted([("tcp", 443, 443, "vpce"), ("tcp", 443, 443, w.s3_prefix_list)])
        and v["sg"]["vpce"]["in"] == [("tcp", 443, 443, "task")]
        and not v["acl_of"]["app-a"]["default"]
        and (False, 100, "6", "allow", "0.0.0.0/0", (32768, 65535)) in v["acl_of"]["app-a"]["entries"]
    ),
    "docker-hub-public": lambda w, v: image(v) == "nginx:1.27",
    "ssm-parameter-secret": lambda w, v: (
        v["endpoints"]["ssm"]["private_dns"]
        and web(v)["containerDefinitions"][0]["secrets"][1] == {"name": "API_TOKEN", "valueFrom": "/prod/web/api-token"}
        and "ssm:GetParameters" in statement_texts(v["inline"]["read-db-secret"])
    ),
    "trust-source-account-condition": lambda w, v: (
        v["trust"]["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": seed.ACCOUNT}}
    ),
    "split-default-route-nat": lambda w, v: (
        default_route(v) is None
        and v["routes"]["private"]["0.0.0.0/1"][0] == w.nat and v["routes"]["private"]["128.0.0.0/1"][0] == w.nat
    ),
    "nacl-ephemeral-in-two-rules": lambda w, v: (
        [e[1] for e in v["acl_of"]["app-b"]["entries"] if not e[0]] == [90, 95]
        and v["acl_of"]["public-a"]["default"]
    ),
    "image-tag-and-digest": lambda w, v: (
        image(v).endswith("@" + w.digests["1.4.2"])
        and w.ecr.describe_images(repositoryName="web", imageIds=[{"imageDigest": w.digests["1.4.2"]}])["imageDetails"][0]["imageTags"] == ["1.4.2", "latest"]
    ),
    "private-subnet-no-egress": lambda w, v: (
        v["nats"] == {} and set(v["routes"]["private"]) == {seed.VPC_CIDR} and v["endpoints"] == {}
    ),
    "route-blackhole": lambda w, v: (
        default_route(v) == (w.nat, "active") and v["nats"][w.nat][0] == "deleted"
    ),
    "nat-gateway-in-private-subnet": lambda w, v: (
        list(v["nats"].values()) == [("available", "app-a")] and default_route(v)[0] == w.nat
    ),
    "public-subnet-no-public-ip": lambda w, v: (
        v["services"]["web"]["subnets"] == PUBLIC and v["services"]["web"]["public_ip"] == "DISABLED"
    ),
    "sg-egress-blocked": lambda w, v: v["sg"]["task"]["out"] == [("tcp", 80, 80, "0.0.0.0/0")],
    "endpoint-sg-ingress-blocked": lambda w, v: v["sg"]["vpce"]["in"] == [("tcp", 443, 443, "192.168.0.0/16")],
    "nacl-outbound-blocked": lambda w, v: all(
        (True, 90, "6", "deny", "0.0.0.0/0", (443, 443)) in v["acl_of"][s]["entries"]
        and len(v["acl_of"][s]["entries"]) == 3 for s in APP
    ),
    "nacl-inbound-blocked": lambda w, v: all(
        v["acl_of"][s]["entries"] == [
            (False, 100, "6", "allow", "0.0.0.0/0", (443, 443)),
            (True, 100, "6", "allow", "0.0.0.0/0", (443, 443)),
        ] for s in APP
    ),
    "endpoint-private-dns-disabled": lambda w, v: (
        [v["endpoints"][s]["private_dns"] for s in seed.INTERFACE_SERVICES] == [False, False, True, True]
        and v["endpoints"]["ecr.api"]["subnets"] == VPCE and v["endpoints"]["ecr.dkr"]["groups"] == [w.sg["vpce"]]
    ),
    "vpc-dns-disabled": lambda w, v: v["dns_support"] and not v["dns_hostnames"],
    "endpoint-policy-denies": lambda w, v: (
        v["endpoints"]["s3"]["policy"]["Statement"][0]["Resource"] == "arn:aws:s3:::acme-artifacts/*"
    ),
    "cross-region-registry": lambda w, v: (
        image(v).startswith(f"{seed.ACCOUNT}.dkr.ecr.eu-west-1.")
        and w.client("ecr", "eu-west-1").describe_images(repositoryName="web", imageIds=[{"imageTag": "1.4.2"}])["imageDetails"]
    ),
    "endpoint-subnet-nacl-blocked": lambda w, v: all(
        (False, 100, "6", "allow", "192.168.0.0/16", (443, 443)) in v["acl_of"][s]["entries"] for s in VPCE
    ) and v["acl_of"]["app-a"]["default"],
    "nat-subnet-nacl-blocked": lambda w, v: all(
        (False, 100, "6", "allow", seed.VPC_CIDR, (443, 443)) in v["acl_of"][s]["entries"] for s in PUBLIC
    ) and v["acl_of"]["app-a"]["default"],
    "s3-gateway-not-associated": lambda w, v: (
        v["endpoints"]["s3"]["route_tables"] == [] and set(v["routes"]["private"]) == {seed.VPC_CIDR}
    ),
    "endpoint-policy-explicit-deny": lambda w, v: (
        v["endpoints"]["ecr.dkr"]["policy"]["Statement"][1]["Action"] == "ecr:BatchGetImage"
    ),
    "split-default-route-blackhole": lambda w, v: (
        default_route(v)[0] == w.nat
        and v["nats"][v["routes"]["private"]["0.0.0.0/1"][0]][0] == "deleted"
        and v["routes"]["private"]["128.0.0.0/1"] == v["routes"]["private"]["0.0.0.0/1"]
    ),
    "endpoint-without-subnets": lambda w, v: (
        v["endpoints"]["ecr.api"]["subnets"] == [] and v["endpoints"]["ecr.api"]["state"] == "available"
        and v["endpoints"]["ecr.dkr"]["subnets"] == VPCE
    ),
    "endpoint-dkr-denies-layer-url": lambda w, v: (
        v["endpoints"]["ecr.dkr"]["policy"]["Statement"][1]["Action"] == "ecr:GetDownloadUrlForLayer"
    ),
    "execution-role-missing": lambda w, v: "executionRoleArn" not in web(v),
    "execution-role-not-found": lambda w, v: web(v)["executionRoleArn"].endswith(":role/web-exec-old"),
    "execution-role-trust": lambda w, v: v["trust"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"},
    "trust-account-principal": lambda w, v: (
        v["trust"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{seed.ACCOUNT}:root"}
    ),
    "trust-source-arn-other-region": lambda w, v: (
        "eu-west-1" in json.dumps(v["trust"]["Statement"][0]["Condition"])
    ),
    "permission-missing": lambda w, v: v["attached"] == [] and list(v["inline"]) == ["read-db-secret"],
    "permission-denied": lambda w, v: (
        v["inline"]["deny-image-pull"]["Statement"][0]["Effect"] == "Deny"
        and seed.EXECUTION_POLICY_ARN in v["attached"]
    ),
    "repository-not-found": lambda w, v: (
        "/web-api:" in image(v)
        and ecr_error(w, lambda: w.ecr.describe_repositories(repositoryNames=["web-api"])) == "RepositoryNotFoundException"
    ),
    "image-not-found": lambda w, v: (
        image(v).endswith("/web:1.5.0")
        and ecr_error(w, lambda: w.ecr.describe_images(repositoryName="web", imageIds=[{"imageTag": "1.5.0"}])) == "ImageNotFoundException"
    ),
    "repository-policy-denies": lambda w, v: (
        image(v).startswith("210987654321.dkr.ecr.")
        and "555555555555" in w.ecr.get_repository_policy(registryId="210987654321", repositoryName="shared/base")["policyText"]
        and w.ecr.describe_images(registryId="210987654321", repositoryName="shared/base", imageIds=[{"imageTag": "3"}])["imageDetails"]
    ),
    "registry-auth-missing": lambda w, v: (
        image(v) == "artifactory.acme.internal/team/web:1.4.2"
        and "repositoryCredentials" not in web(v)["containerDefinitions"][0]
    ),
    "docker-hub-private-no-egress": lambda w, v: (
        image(v) == "nginx:1.27" and v["nats"] == {} and default_route(v) is None
    ),
    "secret-kms-decrypt-missing": lambda w, v: (
        image(v) == "acme/web:1.4.2"
        and w.client("secretsmanager").describe_secret(
            SecretId=web(v)["containerDefinitions"][0]["repositoryCredentials"]["credentialsParameter"]
        ).get("KmsKeyId", "").count("-") == 4
        and "kms:Decrypt" not in json.dumps(v["inline"])
    ),
    "multi-service": lambda w, v: (
        v["services"]["worker"]["subnets"] == PUBLIC and v["services"]["worker"]["public_ip"] == "DISABLED"
        and v["services"]["web"]["subnets"] == APP
        and v["task_defs"]["worker"]["containerDefinitions"][0]["name"] == "worker"
    ),
    "transit-gateway-egress": lambda w, v: (
        v["nats"] == {} and v["tgws"].get(default_route(v)[0]) == "available"
    ),
    "transit-gateway-deleted": lambda w, v: (
        default_route(v)[0].startswith("tgw-") and default_route(v)[0] not in v["tgws"]
    ),
    "condition-unknown": lambda w, v: (
        v["attached"] == [] and "aws:SourceVpce" in json.dumps(v["inline"]["ecr-pull-via-endpoint"])
        and "write-logs" in v["inline"]
    ),
    "custom-dns-servers": lambda w, v: v["dns_servers"] == ["10.0.0.53"] and len(v["endpoints"]) == 5,
    "sg-egress-partial": lambda w, v: v["sg"]["task"]["out"] == [("tcp", 443, 443, "52.0.0.0/8")],
    "ec2-healthy-nat": lambda w, v: (
        v["services"]["web"]["launch_type"] == "EC2" and web(v)["networkMode"] == "bridge"
        and v["container_instances"] == [("ACTIVE", "app-a")]
    ),
    "ec2-launch-type": lambda w, v: (
        v["services"]["web"]["launch_type"] == "EC2" and v["services"]["web"]["platform_version"] is None
        and web(v)["requiresCompatibilities"] == ["EC2"] and web(v)["networkMode"] == "awsvpc"
        and v["container_instances"] == [("ACTIVE", "vpce-a")]
    ),
    "ec2-no-container-instances": lambda w, v: v["container_instances"] == [("DRAINING", "app-a")],
    "ec2-instance-no-public-ip": lambda w, v: (
        v["container_instances"] == [("ACTIVE", "public-a")] and v["instance_public_ips"] == [None]
    ),
    "ec2-instance-role-no-ecr": lambda w, v: (
        "executionRoleArn" not in web(v) and not web(v)["containerDefinitions"][0].get("secrets")
        and v["container_instances"] == [("ACTIVE", "app-a")]
    ),
    "ec2-awsvpc-public-ip": lambda w, v: (
        v["services"]["web"]["launch_type"] == "EC2" and v["services"]["web"]["public_ip"] == "ENABLED"
    ),
    "fargate-1-3-0-without-ecr-api-endpoint": lambda w, v: (
        v["services"]["web"]["platform_version"] == "1.3.0" and "ecr.api" not in v["endpoints"]
        and v["nats"] == {}
    ),
    "fargate-1-4-0-without-ecr-api-endpoint": lambda w, v: (
        v["services"]["web"]["platform_version"] == "LATEST" and "ecr.api" not in v["endpoints"]
        and "ecr.dkr" in v["endpoints"]
    ),
    "fargate-platform-too-old-for-secrets": lambda w, v: v["services"]["web"]["platform_version"] == "1.2.0",
    "endpoint-policy-not-principal": lambda w, v: (
        v["endpoints"]["ecr.dkr"]["policy"]["Statement"][1]["NotPrincipal"] == {"AWS": [seed.EXECUTION_ROLE_ARN]}
    ),
    "nat-behind-network-firewall": lambda w, v: (
        v["endpoints"][seed.FIREWALL_SERVICE]["type"] == "GatewayLoadBalancer"
        and default_route(v, "public")[0] == v["endpoints"][seed.FIREWALL_SERVICE]["id"]
        and default_route(v)[0] == w.nat
    ),
    "endpoint-broken-dns-uncertain": lambda w, v: (
        only_nat_available(v) and sorted(v["endpoints"]) == sorted(seed.INTERFACE_SERVICES)
        and v["sg"]["vpce"]["in"] == [("tcp", 443, 443, "192.168.0.0/16")] and v["dns_servers"] == ["10.0.0.53"]
    ),
    "s3-route-partly-blackholed": lambda w, v: (
        v["nats"][v["routes"]["private"]["52.216.0.0/15"][0]][0] == "deleted" and default_route(v)[0] == w.nat
    ),
    "endpoints-bypassed-via-nat": lambda w, v: (
        only_nat_available(v)
        and {k: e["private_dns"] for k, e in v["endpoints"].items()} == {"ecr.api": False, "ecr.dkr": False}
    ),
    "s3-gateway-bypassed-via-nat": lambda w, v: (
        only_nat_available(v) and v["endpoints"]["s3"]["route_tables"] == []
        and w.s3_prefix_list not in v["routes"]["private"]
    ),
    "one-subnet-without-route": lambda w, v: v["assoc"]["private"] == ["app-a"] and v["assoc"]["main"] == [],
    "perimeter-source-vpce-through-endpoint": lambda w, v: (
        inline_statement(v, "ecr-only-through-our-endpoints")["Condition"]["StringNotEquals"]["aws:SourceVpce"]
        == [v["endpoints"]["ecr.api"]["id"], v["endpoints"]["ecr.dkr"]["id"]]
        and v["nats"] == {}
    ),
    "perimeter-source-vpce-through-nat": lambda w, v: (
        inline_statement(v, "ecr-only-through-our-endpoints")["Effect"] == "Deny"
        and v["endpoints"] == {} and only_nat_available(v)
    ),
    "perimeter-principal-org": lambda w, v: all(
        endpoint_condition(v, s) == {"StringEquals": {"aws:PrincipalOrgID": v["org"]["Id"]}}
        for s in ("ecr.api", "ecr.dkr")
    ) and endpoint_condition(v, "s3") == {},
    "perimeter-s3-endpoint-principal-org": lambda w, v: (
        endpoint_condition(v, "s3") == {"StringEquals": {"aws:PrincipalOrgID": v["org"]["Id"]}}
        and endpoint_condition(v, "ecr.dkr") == {}
    ),
    "perimeter-source-ip-nat": lambda w, v: (
        inline_statement(v, "ecr-only-from-our-addresses")["Condition"]["NotIpAddress"]["aws:SourceIp"]
        == ["198.51.100.0/24"]
        and ipaddress.ip_address(v["nat_ips"][w.nat][0]) not in ipaddress.ip_network("198.51.100.0/24")
    ),
    "perimeter-source-ip-nat-allowed": lambda w, v: (
        inline_statement(v, "ecr-only-from-our-addresses")["Condition"]["NotIpAddress"]["aws:SourceIp"]
        == ["198.51.100.0/24", f"{v['nat_ips'][w.nat][0]}/32"]
    ),
    "policy-variable-deny-resource": lambda w, v: (
        inline_statement(v, "no-pulls-from-own-registry")["Resource"]
        == "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"
    ),
    "secret-json-key-old-platform": lambda w, v: (
        web(v)["containerDefinitions"][0]["secrets"][0]["valueFrom"] == f"{w.secret_arn}:password::"
        and v["services"]["web"]["platform_version"] == "1.3.0"
    ),
    "ssm-secure-string-customer-key": lambda w, v: (
        parameter(w, seed.API_TOKEN_PARAMETER)["Type"] == "SecureString"
        and w.client("kms").describe_key(KeyId=parameter(w, seed.API_TOKEN_PARAMETER)["KeyId"])[
            "KeyMetadata"]["KeyManager"] == "CUSTOMER"
    ),
    "image-platform-arm64-amd64-only": lambda w, v: (
        web(v)["runtimePlatform"] == seed.ARM64_RUNTIME and v["web_platforms"] == ["linux/amd64"]
    ),
    "image-platform-arm64-multi": lambda w, v: (
        web(v)["runtimePlatform"] == seed.ARM64_RUNTIME
        and v["web_platforms"] == ["linux/amd64", "linux/arm64/v8"]
        and index_platforms(w, "1.4.1") == ["linux/amd64", "linux/arm64/v8"]
    ),
    "ec2-arm64-instance-amd64-image": lambda w, v: (
        v["container_instances"] == [("ACTIVE", "app-a")] and v["instance_architectures"] == ["arm64"]
        and "runtimePlatform" not in web(v) and v["web_platforms"] == ["linux/amd64"]
    ),
    "dns-resolver-by-address": lambda w, v: (
        v["dns_servers"] == ["169.254.169.253", "10.0.0.2"] and v["dns_support"] and v["dns_hostnames"]
    ),
    "docker-hub-not-inspected": lambda w, v: image(v) == "nginx:1.27" and only_nat_available(v),
    "foreign-repository-unreadable": lambda w, v: (
        image(v).startswith("210987654321.dkr.ecr.")
        and ecr_error(w, lambda: w.ecr.describe_repositories(
            registryId="210987654321", repositoryNames=["shared/web"])) == "RepositoryNotFoundException"
    ),
}


STOPPED_REASONS = [
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
    f"ref {seed.IMAGE_WEB}: failed to do request: Head \"https://{seed.REGISTRY}/v2/web/manifests/"
    "1.4.2\": dial tcp 52.46.144.120:443: i/o timeout",
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 "
    "time(s): RequestError: send request failed caused by: Post "
    f"\"https://api.ecr.{seed.REGION}.amazonaws.com/\": dial tcp 52.46.145.10:443: i/o timeout",
]


def stopped_tasks_seen(w: World) -> bool:
    """The stopped tasks as `pullpath diagnose` reads them (ListTasks, DescribeTasks,
    DescribeServices) match what seed.stop_tasks() was asked for."""
    ecs = w.ecs
    svc = ecs.describe_services(cluster=seed.CLUSTER, services=[seed.SERVICE])["services"][0]
    primary = next(d["id"] for d in svc["deployments"] if d["status"] == "PRIMARY")
    subnet = svc["networkConfiguration"]["awsvpcConfiguration"]["subnets"][0]
    listed = ecs.list_tasks(cluster=seed.CLUSTER, serviceName=seed.SERVICE, desiredStatus="STOPPED")["taskArns"]
    # moto answers DescribeTasks in its own order, not the request's.
    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(cluster=seed.CLUSTER, tasks=w.stopped_tasks)["tasks"]}
    return (
        sorted(listed) == sorted(w.stopped_tasks) and len(tasks) == len(STOPPED_REASONS)
        and [tasks[arn]["stoppedReason"] for arn in w.stopped_tasks] == STOPPED_REASONS
        and all(
            t["lastStatus"] == t["desiredStatus"] == "STOPPED" and t["group"] == f"service:{seed.SERVICE}"
            and t["startedBy"] == primary and t["taskDefinitionArn"] == svc["taskDefinition"]
            and {"name": "subnetId", "value": subnet} in t["attachments"][0]["details"]
            for t in tasks.values()
        )
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--stopped-tasks", action="store_true",
                        help="also seed and check stopped tasks of service web (seed.py --stopped-task)")
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_args(argv)
    names = args.scenarios or list(seed.SCENARIOS)
    missing = set(seed.SCENARIOS) - set(CHECKS)
    if missing:
        print(f"no check for: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    failed = 0
    total = 0.0
    for name in names:
        start = time.monotonic()
        try:
            w = seed.seed(args.endpoint, name, STOPPED_REASONS if args.stopped_tasks else None)
            elapsed = time.monotonic() - start
            ok = bool(CHECKS[name](w, observe(w)))
            problem = "" if ok else "mutation not observed"
            if ok and args.stopped_tasks and not stopped_tasks_seen(w):
                ok, problem = False, "stopped tasks not observed"
        except Exception as error:  # report and go on
            elapsed, ok, problem = time.monotonic() - start, False, f"{type(error).__name__}: {error}"
        total += elapsed
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:32s} reset+seed {elapsed:5.2f} s {problem}", flush=True)
    print(f"{len(names) - failed} passed, {failed} failed")
    print(f"reset+seed: {total:.1f} s in all, {total / max(len(names), 1):.2f} s each on average")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
