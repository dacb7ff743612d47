//! Paths through VPC endpoints: an interface endpoint (private DNS → endpoint ENIs in the
//! endpoint subnets) or the S3 gateway endpoint (a prefix-list route in the task's table).

use super::dns::public_dns_blockers;
use super::filters::{
    acl_flows, dedupe_by_code, flows_from_task, not_collected, task_acl, task_egress,
    task_route_table,
};
use super::hop::{Candidate, Hop, HopKind, Via};
use super::placement::Placement;
use super::request_keys::{add_request_keys, layer_download_keys, through_endpoint};
use super::route_blockers::{
    endpoint_subnet_diverted, gateway_endpoint_blackhole, gateway_endpoint_not_associated,
};
use super::rules::{security_groups_allow, Peer, SgOutcome, HTTPS_PORT};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::fix::{Alternative, Change};
use crate::model::{
    EndpointType, PrefixList, RouteState, RouteTargetKind, SecurityGroup, Subnet, VpcEndpoint,
};
use crate::policy::keys;
use crate::policy::{evaluate, Caller, Context, Decision, Request};
use crate::workload::{Requirement, Target};

/// The endpoint's policy must allow every call of the requirement, as the call reaches it:
/// through this endpoint, from the task's subnet, as the role (a layer download: as the ECR
/// account that signed its URL).
fn policy_blockers(
    placement: &Placement<'_, '_>,
    endpoint: &VpcEndpoint,
    requirement: &Requirement,
) -> Vec<Blocker> {
    let Some(policy) = placement.index.endpoint_policy(&endpoint.id) else {
        return Vec::new(); // no policy: full access
    };
    let snapshot = placement.index.snapshot;
    let network = through_endpoint(placement, &endpoint.id);
    let layer_signer = Caller::default();
    let mut blockers = Vec::new();
    for permission in &requirement.endpoint_permissions {
        let (caller, mut context) = if requirement.target == Target::S3Layers {
            let context =
                layer_download_keys(snapshot, &requirement.region, &placement.caller.keys);
            (&layer_signer, context)
        } else {
            let mut context = Context::on(&placement.caller.keys);
            add_request_keys(
                &mut context,
                snapshot,
                &requirement.region,
                &permission.resource,
            );
            (&placement.caller, context)
        };
        keys::network(&mut context, &network);
        let request = Request {
            action: &permission.action,
            resource: &permission.resource,
            caller: Some(caller),
            context: &context,
        };
        let fix = format!(
            "Add to the policy of {} a statement allowing {} on {} (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --policy-document file://policy.json).",
            endpoint.id, permission.action, permission.resource, endpoint.id
        );
        let decision = evaluate(&[policy], &request);
        let because = decision.because();
        match decision {
            Decision::Allowed => {}
            Decision::ImplicitlyDenied { .. } => blockers.push(Blocker::new(
                Code::EndpointPolicyDenies,
                &endpoint.id,
                format!(
                    "the policy of endpoint {} does not allow {} on {}{because}",
                    endpoint.id, permission.action, permission.resource
                ),
                fix,
            )),
            Decision::ExplicitlyDenied { sid, .. } => blockers.push(Blocker::new(
                Code::EndpointPolicyDenies,
                &endpoint.id,
                format!(
                    "the policy of endpoint {} explicitly denies {} on {}{}{because}",
                    endpoint.id,
                    permission.action,
                    permission.resource,
                    sid.as_ref().map_or(String::new(), |s| format!(" (statement `{s}`)"))
                ),
                format!(
                    "Remove or narrow the Deny statement{} in the policy of {} so it no longer matches {} on {}.",
                    sid.map_or(String::new(), |s| format!(" `{s}`")),
                    endpoint.id,
                    permission.action,
                    permission.resource
                ),
            )),
            Decision::Unreadable { reason } => blockers.push(Blocker::policy_unreadable(
                &endpoint.id,
                &format!(
                    "{} for {} on {}",
                    policy.name, permission.action, permission.resource
                ),
                &reason,
            )),
            Decision::Unknown { reason } => blockers.push(Blocker::new(
                Code::ConditionUnknown,
                &endpoint.id,
                format!(
                    "{} for {} on {}: {reason}",
                    policy.name, permission.action, permission.resource
                ),
                format!(
                    "Check that the condition holds for the task's calls through {}.",
                    endpoint.id
                ),
            )),
        }
    }
    blockers
}

fn state_blockers(endpoint: &VpcEndpoint) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    if !endpoint.state.eq_ignore_ascii_case("available") {
        blockers.push(Blocker::new(
            Code::EndpointUnavailable,
            &endpoint.id,
            format!(
                "VPC endpoint {} ({}) is `{}`, not `available`",
                endpoint.id, endpoint.service_name, endpoint.state
            ),
            match endpoint.state.to_ascii_lowercase().as_str() {
                "pendingacceptance" | "pending" => format!(
                    "Wait for {} to become available, or accept the connection.",
                    endpoint.id
                ),
                _ => format!(
                    "Delete {} and create it again (aws ec2 create-vpc-endpoint --service-name {}).",
                    endpoint.id, endpoint.service_name
                ),
            },
        ));
    }
    // An interface endpoint has one network interface per subnet: with none, its private DNS
    // name answers with no address.
    if endpoint.endpoint_type == EndpointType::Interface && endpoint.subnet_ids.is_empty() {
        blockers.push(Blocker::new(
            Code::EndpointUnavailable,
            &endpoint.id,
            format!("interface endpoint {} ({}) has no subnets, so it has no network interface to connect to", endpoint.id, endpoint.service_name),
            format!("aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --add-subnet-ids <the task subnets, one per AZ>", endpoint.id),
        ));
    }
    blockers
}

/// The path through an interface endpoint; `dns` holds what keeps the service name from
/// resolving to it (see [`private_dns_blockers`]).
pub fn interface_candidate(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    endpoint: &VpcEndpoint,
    dns: Vec<Blocker>,
) -> Candidate {
    let mut candidate = Candidate::new();
    candidate.via = Some(Via::InterfaceEndpoint);
    candidate.step(Hop::new(HopKind::Subnet, &placement.subnet.id), dns);

    let mut subnets: Vec<&Subnet> = Vec::new();
    let mut gaps = Vec::new();
    for id in &endpoint.subnet_ids {
        match placement.index.subnet(id) {
            Ok(subnet) => subnets.push(subnet),
            Err(gap) => gaps.push(not_collected(
                placement.index.snapshot,
                &endpoint.id,
                &gap,
                "the endpoint's network path",
            )),
        }
    }
    let peer = Peer {
        cidrs: subnets.iter().map(|s| s.cidr_block).collect(),
        security_groups: endpoint.security_group_ids.clone(),
        prefix_list_id: None,
    };
    let label = format!("endpoint {}", endpoint.id);
    candidate.step(
        Hop::new(HopKind::SecurityGroup, placement.first_group()),
        task_egress(placement, &peer, &label, HTTPS_PORT),
    );
    let (acl, blockers) = task_acl(
        placement,
        &peer.cidrs,
        "requests to the endpoint",
        HTTPS_PORT,
    );
    candidate.step(
        Hop::new(HopKind::NetworkAcl, acl.unwrap_or_else(|| "unknown".into())),
        blockers,
    );
    local_route_step(placement, &peer, &mut candidate);

    // Into the endpoint's subnets: each distinct ACL once, then the endpoint's security groups.
    let mut seen_acls = std::collections::HashSet::new();
    for subnet in &subnets {
        if subnet.id == placement.subnet.id {
            continue;
        }
        let flows = flows_from_task(
            placement.subnet.cidr_block,
            HTTPS_PORT,
            "requests from the task into the endpoint subnet",
            "responses from the endpoint to the task",
        );
        let (acl, mut blockers) = acl_flows(placement, subnet, &flows);
        dedupe_by_code(&mut blockers);
        let acl = acl.unwrap_or_else(|| "unknown".into());
        if seen_acls.insert(acl.clone()) {
            candidate.step(Hop::new(HopKind::NetworkAcl, acl), blockers);
        }
    }
    let group_id = endpoint
        .security_group_ids
        .first()
        .cloned()
        .unwrap_or_else(|| endpoint.id.clone());
    candidate.step(
        Hop::new(HopKind::SecurityGroup, group_id),
        endpoint_ingress(placement, endpoint),
    );

    let mut blockers = gaps;
    blockers.extend(state_blockers(endpoint));
    blockers.extend(policy_blockers(placement, endpoint, requirement));
    candidate.step(Hop::new(HopKind::InterfaceEndpoint, &endpoint.id), blockers);
    candidate
}

/// Endpoint IPs are inside the VPC: the local route must carry them (a more specific route
/// to an appliance would divert them).
fn local_route_step(placement: &Placement<'_, '_>, peer: &Peer, candidate: &mut Candidate) {
    let Some(table) = task_route_table(placement, candidate) else {
        return;
    };
    let diverted = peer.cidrs.iter().find_map(|cidr| {
        table
            .route_for(*cidr)
            .filter(|r| r.target.kind != RouteTargetKind::Local)
            .map(|r| (cidr, r))
    });
    let blockers = diverted
        .map(|(cidr, route)| {
            let target = route.target.id.clone().unwrap_or_default();
            vec![endpoint_subnet_diverted(&table.table.id, *cidr, &target)]
        })
        .unwrap_or_default();
    candidate.step(Hop::new(HopKind::RouteTable, &table.table.id), blockers);
}

fn endpoint_ingress(placement: &Placement<'_, '_>, endpoint: &VpcEndpoint) -> Vec<Blocker> {
    // AWS always attaches at least one group (the VPC default) to an interface endpoint.
    if endpoint.security_group_ids.is_empty() {
        return vec![Blocker::new(
            Code::NotCollected,
            &endpoint.id,
            format!("the security groups of interface endpoint {} are not in the snapshot, so its inbound rules cannot be checked", endpoint.id),
            "Collect the endpoint's groups (ec2:DescribeVpcEndpoints returns them).",
        )];
    }
    let mut groups: Vec<&SecurityGroup> = Vec::new();
    for id in &endpoint.security_group_ids {
        match placement.index.security_group(id) {
            Ok(group) => groups.push(group),
            Err(gap) => {
                return vec![not_collected(
                    placement.index.snapshot,
                    id,
                    &gap,
                    "the endpoint's inbound rules",
                )]
            }
        }
    }
    let task = Peer {
        cidrs: vec![placement.subnet.cidr_block],
        security_groups: placement.group_ids(),
        prefix_list_id: None,
    };
    let outcome = security_groups_allow(
        placement.index,
        &groups,
        |g| &g.ingress,
        443,
        &task,
        placement.subnet.cidr_block,
    );
    let resource = endpoint
        .security_group_ids
        .first()
        .cloned()
        .unwrap_or_else(|| endpoint.id.clone());
    let fix = format!(
        "Add an ingress rule to {resource} allowing TCP 443 from security group {} (or from {}).",
        placement.first_group(),
        placement.subnet.cidr_block
    );
    let groups_text = endpoint.security_group_ids.join(", ");
    let remedy: Vec<Alternative> = match (
        endpoint.security_group_ids.first(),
        placement.security_groups.first(),
    ) {
        (Some(group), Some(task_group)) => vec![Alternative::direct(Change::AuthorizeIngress {
            group_id: group.clone(),
            port: 443,
            peer: crate::fix::Peer::Group(task_group.id.clone()),
        })],
        _ => Vec::new(),
    };
    let blockers = match outcome {
        SgOutcome::Allowed => Vec::new(),
        SgOutcome::PartlyAllowed => vec![Blocker::new(
            Code::EndpointSgIngressBlocked,
            &resource,
            format!("security groups {groups_text} of endpoint {} allow TCP 443 from only part of subnet {} ({}); tasks on other addresses are refused", endpoint.id, placement.subnet.id, placement.subnet.cidr_block),
            fix,
        )],
        SgOutcome::Denied => vec![Blocker::new(
            Code::EndpointSgIngressBlocked,
            &resource,
            format!("no ingress rule of security groups {groups_text} of endpoint {} allows TCP 443 from the task (groups {}, subnet {})", endpoint.id, placement.group_list(), placement.subnet.cidr_block),
            fix,
        )],
    };
    blockers
        .into_iter()
        .map(|b| b.with_remedy(remedy.clone()))
        .collect()
}

/// The S3 gateway endpoint path. `route`: the state of the endpoint's prefix-list route in the
/// task's table, `None` when the table is not associated (when it is, S3 traffic *must* take it).
pub fn gateway_candidate(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    endpoint: &VpcEndpoint,
    prefix_list: Option<&PrefixList>,
    route: Option<RouteState>,
    table_id: &str,
) -> Candidate {
    let mut candidate = Candidate::new();
    candidate.via = Some(Via::GatewayEndpoint);
    candidate.step(
        Hop::new(HopKind::Subnet, &placement.subnet.id),
        public_dns_blockers(placement),
    );
    match prefix_list {
        Some(list) => {
            let peer = Peer { cidrs: list.cidrs.clone(), security_groups: Vec::new(), prefix_list_id: Some(list.id.clone()) };
            candidate.step(
                Hop::new(HopKind::SecurityGroup, placement.first_group()),
                task_egress(placement, &peer, &format!("the S3 prefix list {}", list.id), HTTPS_PORT),
            );
            let (acl, blockers) = task_acl(placement, &list.cidrs, "requests to S3", HTTPS_PORT);
            candidate.step(Hop::new(HopKind::NetworkAcl, acl.unwrap_or_else(|| "unknown".into())), blockers);
        }
        None => candidate.step(
            Hop::new(HopKind::SecurityGroup, placement.first_group()),
            vec![Blocker::new(
                Code::NotCollected,
                &endpoint.id,
                format!("the S3 prefix list ({}) was not collected, so security-group and ACL rules toward S3 cannot be checked", endpoint.service_name),
                "Collect the managed prefix lists (ec2:DescribeManagedPrefixLists, ec2:GetManagedPrefixListEntries).",
            )],
        ),
    }
    let route_blockers = match route {
        Some(RouteState::Active) => Vec::new(),
        Some(RouteState::Blackhole) => vec![gateway_endpoint_blackhole(&endpoint.id, table_id)],
        None => vec![gateway_endpoint_not_associated(
            &endpoint.id,
            &endpoint.service_name,
            table_id,
        )],
    };
    candidate.step(Hop::new(HopKind::RouteTable, table_id), route_blockers);
    let mut blockers = state_blockers(endpoint);
    blockers.extend(policy_blockers(placement, endpoint, requirement));
    candidate.step(Hop::new(HopKind::GatewayEndpoint, &endpoint.id), blockers);
    candidate
}
