#!/usr/bin/env python3
"""Seed a moto server with the AWS side of an EKS cluster, through the real AWS APIs (boto3).

    python tests/live/kube_seed.py --endpoint http://127.0.0.1:PORT \
        [--node-role-without-ecr] [--no-nat-route] [--fargate-role-without-ecr]

Seeding first resets the server (`POST /moto-api/reset`), then builds, in account
123456789012, region us-east-1 (credentials testing/testing):

- VPC 10.0.0.0/16 (DNS support and hostnames on, AmazonProvidedDNS); public subnet
  10.0.0.0/24 (us-east-1a) routed 0.0.0.0/0 -> an internet gateway; private subnets
  10.0.10.0/24 (us-east-1a) and 10.0.11.0/24 (us-east-1b) on a private route table whose
  0.0.0.0/0 goes to a NAT gateway in the public subnet (`--no-nat-route`: the table keeps
  only its local route; the NAT gateway still exists);
- a node security group `eks-nodes` (egress all, as every new SG);
- IAM role `eks-node-role` (trusts ec2.amazonaws.com) with AmazonEKSWorkerNodePolicy and
  AmazonEKS_CNI_Policy (neither grants an ECR action) and the ECR pull policy
  AmazonEC2ContainerRegistryReadOnly (`--node-role-without-ecr`: not that one), in the
  instance profile `eks-node-role`;
- two running EC2 instances (t3.medium, x86_64), one in each private subnet, with that
  profile and SG and no public IP: the cluster's nodes;
- ECR repository `web` with image `1.4.2`, an OCI image index listing linux/amd64
  (`seed.manifest()`: the emulator cannot serve a config blob);
- EKS cluster `shop` (role `eks-cluster-role`, the private subnets), a managed node group
  `general` (node role `eks-node-role`, the private subnets: moto launches no instance for
  it) and a Fargate profile `payments` (pod execution role `eks-fargate-pod-role`, trusting
  eks-fargate-pods.amazonaws.com, with AmazonEKSFargatePodExecutionRolePolicy
  (`--fargate-role-without-ecr`: no policy at all); the private subnets; selector namespace
  `fargate-ns`).

When the server has not loaded AWS managed policies (MOTO_IAM_LOAD_MANAGED_POLICIES), the
ECR pull policies are customer managed ones with the same ECR actions instead.

It prints one JSON line: `{"account", "region", "vpc", "public_subnet", "private_subnets",
"node_security_group", "default_security_group", "nat_gateway", "instances": [{"id", "az",
"subnet", "private_dns"}], "repository_uri", "image_digest", "node_role_arn",
"fargate_role_arn", "eks_cluster", "fargate_profile", "fargate_namespace"}`.

What moto 5.2.5 does differently from EKS (see also seed.py's notes)
--------------------------------------------------------------------
- DescribeCluster echoes `resourcesVpcConfig` as CreateCluster was given it: no `vpcId`, no
  `clusterSecurityGroupId` (EKS creates and reports one, which it gives Fargate pods).
- CreateNodegroup launches no instance: the nodes are instances this script runs itself.
- Nothing checks that a role exists or whom it trusts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# tests/live/seed.py: the World (clients, ids), reset, policies, images.
from seed import (  # noqa: E402
    ACCOUNT,
    AMI_X86_64,
    LINUX_AMD64,
    REGION,
    VPC_CIDR,
    World,
    allow,
    create_nat,
    policy,
    put_images,
    reset,
    trust,
    use_dns_servers,
)

REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
REPOSITORY = "web"
TAG = "1.4.2"
EKS_CLUSTER = "shop"
FARGATE_PROFILE = "payments"
FARGATE_NAMESPACE = "fargate-ns"
NODE_ROLE = "eks-node-role"
CLUSTER_ROLE = "eks-cluster-role"
FARGATE_ROLE = "eks-fargate-pod-role"
NODE_GROUP = "general"

# name -> (cidr, availability zone, public)
SUBNETS = {
    "public-a": ("10.0.0.0/24", "us-east-1a", True),
    "private-a": ("10.0.10.0/24", "us-east-1a", False),
    "private-b": ("10.0.11.0/24", "us-east-1b", False),
}
PRIVATE = ["private-a", "private-b"]

AWS_POLICY = "arn:aws:iam::aws:policy/"
NODE_ECR_POLICY = AWS_POLICY + "AmazonEC2ContainerRegistryReadOnly"
FARGATE_POD_POLICY = AWS_POLICY + "AmazonEKSFargatePodExecutionRolePolicy"
# The node role's other EKS policies: no ECR action in either.
NODE_OTHER_POLICIES = [AWS_POLICY + "AmazonEKSWorkerNodePolicy", AWS_POLICY + "AmazonEKS_CNI_Policy"]
CLUSTER_POLICY = AWS_POLICY + "AmazonEKSClusterPolicy"
ECR_PULL_ACTIONS = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def managed_policy_loaded(w: World, arn: str) -> bool:
    try:
        w.iam.get_policy(PolicyArn=arn)
        return True
    except w.iam.exceptions.NoSuchEntityException:
        return False


def ecr_pull_policy(w: World, managed_arn: str, fallback_name: str) -> str:
    """`managed_arn` when the server has the AWS managed policies loaded, else a customer
    managed policy `fallback_name` granting the ECR pull actions."""
    if managed_policy_loaded(w, managed_arn):
        return managed_arn
    return w.iam.create_policy(
        PolicyName=fallback_name,
        PolicyDocument=json.dumps(policy(allow(ECR_PULL_ACTIONS, "*"))),
    )["Policy"]["Arn"]


def create_role(w: World, name: str, service: str, policies: list[str]) -> str:
    arn = w.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(service)))["Role"]["Arn"]
    for arn_to_attach in policies:
        if arn_to_attach.startswith(AWS_POLICY) and not managed_policy_loaded(w, arn_to_attach):
            continue  # not an ECR policy (those have a fallback): leave it out
        w.iam.attach_role_policy(RoleName=name, PolicyArn=arn_to_attach)
    return arn


def network(w: World, nat_route: bool) -> str:
    """The VPC, its subnets, gateways and tables (seed.base()'s, fewer subnets); returns the
    node security group."""
    ec2 = w.ec2
    w.vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    w.name(w.vpc, EKS_CLUSTER)
    ec2.modify_vpc_attribute(VpcId=w.vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=w.vpc, EnableDnsHostnames={"Value": True})
    use_dns_servers(w, ["AmazonProvidedDNS"])

    for name, (cidr, zone, public) in SUBNETS.items():
        subnet = ec2.create_subnet(VpcId=w.vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        w.subnets[name] = subnet
        w.name(subnet, name)
        if public:
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})

    w.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    w.name(w.igw, EKS_CLUSTER)
    ec2.attach_internet_gateway(InternetGatewayId=w.igw, VpcId=w.vpc)
    w.rtb["public"] = ec2.create_route_table(VpcId=w.vpc)["RouteTable"]["RouteTableId"]
    w.name(w.rtb["public"], "public")
    ec2.create_route(RouteTableId=w.rtb["public"], DestinationCidrBlock="0.0.0.0/0", GatewayId=w.igw)
    ec2.associate_route_table(RouteTableId=w.rtb["public"], SubnetId=w.subnets["public-a"])

    w.nat = create_nat(w, "public-a", EKS_CLUSTER)
    w.rtb["private"] = ec2.create_route_table(VpcId=w.vpc)["RouteTable"]["RouteTableId"]
    w.name(w.rtb["private"], "private")
    for subnet in w.subnet_ids(PRIVATE):
        ec2.associate_route_table(RouteTableId=w.rtb["private"], SubnetId=subnet)
    if nat_route:
        ec2.create_route(RouteTableId=w.rtb["private"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=w.nat)

    w.sg["default"] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [w.vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    # AWS gives every default SG this rule; moto does not.
    ec2.authorize_security_group_ingress(
        GroupId=w.sg["default"],
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": w.sg["default"]}]}],
    )
    # A new SG has the allow-all egress rule (as on AWS): the nodes may reach anything.
    w.sg["nodes"] = ec2.create_security_group(
        GroupName="eks-nodes", Description="EKS worker nodes", VpcId=w.vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=w.sg["nodes"],
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": w.sg["nodes"]}]}],
    )
    return w.sg["nodes"]


def nodes(w: World, node_role_ecr: bool) -> tuple[str, list[dict[str, str]]]:
    """The node role, its instance profile and one instance per private subnet; returns the
    role's ARN and the instances (id, az, subnet, private DNS name)."""
    policies = list(NODE_OTHER_POLICIES)
    if node_role_ecr:
        policies.append(ecr_pull_policy(w, NODE_ECR_POLICY, "eks-node-ecr-pull"))
    role_arn = create_role(w, NODE_ROLE, "ec2.amazonaws.com", policies)
    profile = w.iam.create_instance_profile(InstanceProfileName=NODE_ROLE)["InstanceProfile"]
    w.iam.add_role_to_instance_profile(InstanceProfileName=NODE_ROLE, RoleName=NODE_ROLE)
    found = []
    for name in PRIVATE:
        instance = w.ec2.run_instances(
            ImageId=AMI_X86_64, MinCount=1, MaxCount=1, InstanceType="t3.medium",
            NetworkInterfaces=[{
                "DeviceIndex": 0, "SubnetId": w.subnets[name],
                "Groups": [w.sg["nodes"]], "AssociatePublicIpAddress": False,
            }],
            IamInstanceProfile={"Arn": profile["Arn"]},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [
                {"Key": "Name", "Value": f"{EKS_CLUSTER}-{NODE_GROUP}"},
                {"Key": f"kubernetes.io/cluster/{EKS_CLUSTER}", "Value": "owned"},
                {"Key": "eks:nodegroup-name", "Value": NODE_GROUP},
            ]}],
        )["Instances"][0]
        found.append({
            "id": instance["InstanceId"],
            "az": instance["Placement"]["AvailabilityZone"],
            "subnet": instance["SubnetId"],
            "private_dns": instance.get("PrivateDnsName", ""),
        })
    return role_arn, found


def eks(w: World, node_role_arn: str, fargate_role_ecr: bool) -> str:
    """The EKS cluster, its node group and its Fargate profile; returns the pod execution
    role's ARN."""
    cluster_role = create_role(w, CLUSTER_ROLE, "eks.amazonaws.com", [CLUSTER_POLICY])
    fargate_policies = [ecr_pull_policy(w, FARGATE_POD_POLICY, "eks-fargate-ecr-pull")] if fargate_role_ecr else []
    fargate_role = create_role(w, FARGATE_ROLE, "eks-fargate-pods.amazonaws.com", fargate_policies)
    client = w.client("eks")
    client.create_cluster(
        name=EKS_CLUSTER,
        roleArn=cluster_role,
        resourcesVpcConfig={
            "subnetIds": w.subnet_ids(PRIVATE),
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
        },
    )
    client.create_nodegroup(
        clusterName=EKS_CLUSTER,
        nodegroupName=NODE_GROUP,
        nodeRole=node_role_arn,
        subnets=w.subnet_ids(PRIVATE),
        scalingConfig={"minSize": 2, "maxSize": 2, "desiredSize": 2},
        instanceTypes=["t3.medium"],
    )
    client.create_fargate_profile(
        fargateProfileName=FARGATE_PROFILE,
        clusterName=EKS_CLUSTER,
        podExecutionRoleArn=fargate_role,
        subnets=w.subnet_ids(PRIVATE),
        selectors=[{"namespace": FARGATE_NAMESPACE}],
    )
    return fargate_role


def build(endpoint: str, node_role_ecr: bool, nat_route: bool, fargate_role_ecr: bool) -> dict[str, Any]:
    w = World(endpoint=endpoint)
    reset(endpoint)
    network(w, nat_route)
    node_role_arn, instances = nodes(w, node_role_ecr)
    w.ecr.create_repository(repositoryName=REPOSITORY)
    digests = put_images(w, REPOSITORY, {f"{REPOSITORY}:{TAG}": [TAG]}, platforms=LINUX_AMD64)
    fargate_role_arn = eks(w, node_role_arn, fargate_role_ecr)
    return {
        "account": ACCOUNT,
        "region": REGION,
        "vpc": w.vpc,
        "public_subnet": w.subnets["public-a"],
        "private_subnets": w.subnet_ids(PRIVATE),
        "node_security_group": w.sg["nodes"],
        "default_security_group": w.sg["default"],
        "nat_gateway": w.nat,
        "instances": instances,
        "repository_uri": f"{REGISTRY}/{REPOSITORY}",
        "image_digest": digests[TAG],
        "node_role_arn": node_role_arn,
        "fargate_role_arn": fargate_role_arn,
        "eks_cluster": EKS_CLUSTER,
        "fargate_profile": FARGATE_PROFILE,
        "fargate_namespace": FARGATE_NAMESPACE,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                        help="moto server URL (default: $AWS_ENDPOINT_URL or http://127.0.0.1:5000)")
    parser.add_argument("--node-role-without-ecr", action="store_true",
                        help="attach no ECR pull policy to the node role")
    parser.add_argument("--no-nat-route", action="store_true",
                        help="leave the private route table without its 0.0.0.0/0 -> NAT gateway route")
    parser.add_argument("--fargate-role-without-ecr", action="store_true",
                        help="attach no policy to the Fargate pod execution role")
    args = parser.parse_args(argv)
    try:
        result = build(args.endpoint, not args.node_role_without_ecr, not args.no_nat_route,
                       not args.fargate_role_without_ecr)
    except Exception as error:  # one line for the test harness, not a traceback
        print(f"kube_seed.py: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
