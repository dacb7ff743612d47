#!/usr/bin/env python3
"""Writes a large snapshot for measuring `pullpath audit` on an account with tens of
thousands of rules (see docs/performance.md).

Starts from fixtures/scenarios/healthy-nat.json and adds, adversarially for the engine:
  * GROUPS extra security groups of RULES egress rules each (decoys in the index), and
    RULES decoy egress rules in front of the task group's real rule;
  * ACL_ENTRIES decoy entries before the allow rules of the app subnets' ACL;
  * ROUTES decoy /32 routes in the app subnets' route table;
  * SERVICES services sharing the task definition.

  * with --distinct-roles: one task definition and one execution role per service (the
    usual setup), instead of every service sharing them.

usage: scripts/large-snapshot.py OUT.json [SERVICES] [GROUPS] [RULES] [ACL_ENTRIES] [ROUTES] [--distinct-roles]
"""
import ipaddress
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def decoy_cidr(i):
    # 172.16.0.0/12 addresses: never the internet or the VPC, so no decoy matches.
    return f"{ipaddress.IPv4Address(int(ipaddress.IPv4Address('172.16.0.0')) + i)}/32"


def main():
    distinct = "--distinct-roles" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--distinct-roles"]
    out = pathlib.Path(args[0])
    numbers = [int(a) for a in args[1:6]]
    services, groups, rules, acl_entries, routes = numbers + [200, 400, 100, 2000, 5000][len(numbers):]
    snap = json.loads((ROOT / "fixtures/scenarios/healthy-nat.json").read_text())
    vpc = snap["vpcs"][0]["id"]
    decoys = [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": decoy_cidr(i)} for i in range(rules)]
    for g in range(groups):
        snap["security_groups"].append({"id": f"sg-decoy{g:08x}", "vpc_id": vpc, "name": f"decoy-{g}", "ingress": decoys, "egress": decoys})
    service = snap["clusters"][0]["services"][0]
    task_group = service["network_configuration"]["security_groups"][0]
    for group in snap["security_groups"]:
        if group["id"] == task_group:
            group["egress"] = decoys + group["egress"]
    app_subnets = service["network_configuration"]["subnets"]
    acl = {
        "id": "acl-large0000000001", "vpc_id": vpc, "is_default": False, "subnet_ids": app_subnets,
        "entries": [
            {"rule_number": n + 1, "egress": egress, "protocol": "6", "rule_action": "deny",
             "cidr_block": decoy_cidr(n), "port_range": {"from": 443, "to": 443}}
            for n in range(acl_entries) for egress in (True, False)
        ] + [
            {"rule_number": 30000, "egress": egress, "protocol": "-1", "rule_action": "allow", "cidr_block": "0.0.0.0/0"}
            for egress in (True, False)
        ] + [
            {"rule_number": 32767, "egress": egress, "protocol": "-1", "rule_action": "deny", "cidr_block": "0.0.0.0/0"}
            for egress in (True, False)
        ],
    }
    for existing in snap["network_acls"]:
        existing["subnet_ids"] = [s for s in existing["subnet_ids"] if s not in app_subnets]
    snap["network_acls"].append(acl)
    for table in snap["route_tables"]:
        if set(app_subnets) & set(table["subnet_ids"]):
            table["routes"] += [
                {"destination_cidr": decoy_cidr(n), "target": {"kind": "network-interface", "id": f"eni-decoy{n:08x}"}, "state": "active"}
                for n in range(routes)
            ]
    snap["clusters"][0]["services"] = [
        dict(service, name=f"web-{i:05d}", arn=service["arn"] + f"-{i:05d}") for i in range(services)
    ]
    if distinct:
        task = snap["task_definitions"][0]
        role = next(r for r in snap["roles"] if r["arn"] == task["execution_role_arn"])
        snap["task_definitions"], snap["roles"] = [], []
        for i, svc in enumerate(snap["clusters"][0]["services"]):
            role_arn = f"{role['arn']}-{i:05d}"
            snap["roles"].append(dict(role, arn=role_arn, name=f"{role['name']}-{i:05d}"))
            task_arn = f"{task['arn']}-{i:05d}"
            snap["task_definitions"].append(dict(task, arn=task_arn, execution_role_arn=role_arn))
            svc["task_definition"] = task_arn
    out.write_text(json.dumps(snap))
    total_rules = 2 * rules * groups + rules
    print(f"{out}: {services} services{' (one role each)' if distinct else ''}, {total_rules} security-group rules, {2 * acl_entries} ACL entries, {routes} routes")


if __name__ == "__main__":
    main()
