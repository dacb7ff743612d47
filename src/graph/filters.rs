//! Hop checks shared by every kind of path: the task's security-group egress, and a subnet's
//! network ACL in both directions.

use ipnet::Ipv4Net;

use super::hop::{Candidate, Hop, HopKind};
use super::index::{Gap, IndexedAcl, IndexedRouteTable};
use super::placement::Placement;
use super::rules::{security_groups_allow, AclOutcome, Peer, SgOutcome, TASK_EPHEMERAL};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::fix::{Alternative, Change};
use crate::model::{GapKind, PortRange, Snapshot, Subnet};

pub fn not_collected(snapshot: &Snapshot, resource: &str, gap: &Gap, needed_for: &str) -> Blocker {
    let field = match gap {
        Gap::NotCollected(field) => *field,
        Gap::Missing { .. } => "",
    };
    not_collected_because(
        snapshot,
        field,
        resource,
        format!("{gap}, so {needed_for} cannot be checked"),
    )
}

/// NOT_COLLECTED for a missing snapshot `field`, naming the permission the collector was
/// denied when the snapshot records it.
pub fn not_collected_because(
    snapshot: &Snapshot,
    field: &str,
    resource: &str,
    message: String,
) -> Blocker {
    let why = snapshot.why_not_collected(field);
    let kinds: Vec<GapKind> = snapshot
        .coverage_gaps
        .iter()
        .filter(|g| g.collection == field)
        .map(|g| g.kind)
        .collect();
    let fix = if why.is_empty() {
        "Collect the snapshot with read access to that resource type (a missing list means the collector could not read it), or add it to the snapshot.".to_string()
    } else if kinds.contains(&GapKind::Denied) {
        format!("Grant the identity pullpath runs as the missing permission{why} (docs/iam-policy.json lists every action pullpath uses), then audit again.")
    } else {
        format!("Audit again: the read failed or its reply was not trusted{why}, which throttling, an outage or a reply damaged on the way explains; if it keeps failing, check the endpoint and network pullpath reads AWS through.")
    };
    Blocker::new(Code::NotCollected, resource, format!("{message}{why}"), fix)
}

/// The task subnet's route table; when it cannot be known, a route-table step saying why is
/// added to `candidate` (which then ends there).
pub fn task_route_table<'i, 'a>(
    placement: &Placement<'i, 'a>,
    candidate: &mut Candidate,
) -> Option<&'i IndexedRouteTable<'a>> {
    match placement.index.route_table_of(placement.subnet) {
        Ok(table) => Some(table),
        Err(gap) => {
            candidate.step(
                Hop::new(HopKind::RouteTable, "unknown"),
                vec![not_collected(
                    placement.index.snapshot,
                    &placement.subnet.id,
                    &gap,
                    "its route table",
                )],
            );
            None
        }
    }
}

/// The task's security groups must allow TCP `port` (443 but for a registry's `host:port`)
/// out to every CIDR of `peer`.
pub fn task_egress(
    placement: &Placement<'_, '_>,
    peer: &Peer,
    peer_label: &str,
    port: u16,
) -> Vec<Blocker> {
    if placement.security_groups.is_empty() {
        return vec![Blocker::new(
            Code::NotCollected,
            &placement.subnet.id,
            format!(
                "the security groups of the tasks in subnet {} are unknown",
                placement.subnet.id
            ),
            "Collect the workload's security groups.",
        )];
    }
    let outcomes: Vec<(Ipv4Net, SgOutcome)> = peer
        .cidrs
        .iter()
        .map(|cidr| {
            let outcome = security_groups_allow(
                placement.index,
                &placement.security_groups,
                |g| &g.egress,
                port,
                peer,
                *cidr,
            );
            (*cidr, outcome)
        })
        .collect();
    let Some((cidr, _)) = outcomes.iter().find(|(_, o)| *o != SgOutcome::Allowed) else {
        return Vec::new();
    };
    let fix = format!(
        "Add an egress rule to {} allowing TCP {port} to {}.",
        placement.first_group(),
        egress_target(peer, *cidr)
    );
    // Denied for every address: certainly blocked. Allowed for some: depends on the address
    // the name resolves to.
    let all_denied = outcomes.iter().all(|(_, o)| *o == SgOutcome::Denied);
    let remedy: Vec<_> = super::remedies::egress_alternative(placement, peer, *cidr, port)
        .into_iter()
        .collect();
    if all_denied {
        vec![Blocker::new(
            Code::SgEgressBlocked,
            placement.first_group(),
            format!(
                "no egress rule of security groups {} allows TCP {port} to {peer_label} ({cidr})",
                placement.group_list()
            ),
            fix,
        )
        .with_remedy(remedy)]
    } else {
        vec![Blocker::new(
            Code::RangePartiallyAllowed,
            placement.first_group(),
            format!(
                "security groups {} allow TCP {port} to only part of {peer_label} (not all of {cidr})",
                placement.group_list()
            ),
            fix,
        )
        .with_remedy(remedy)]
    }
}

/// What an egress rule should name: the endpoint's group, the prefix list, or the CIDR.
fn egress_target(peer: &Peer, cidr: Ipv4Net) -> String {
    if let Some(group) = peer.security_groups.first() {
        format!("security group {group} (the endpoint's)")
    } else if let Some(list) = &peer.prefix_list_id {
        format!("prefix list {list}")
    } else {
        cidr.to_string()
    }
}

/// Which way a flow crosses an ACL, from the ACL's subnet's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Outbound,
    Inbound,
}

/// One flow through a subnet's ACL: direction, ports, and the far side's CIDR.
pub struct Flow<'s> {
    pub direction: Direction,
    pub ports: PortRange,
    pub cidr: Ipv4Net,
    /// What the flow is, for messages: "requests to the internet".
    pub what: &'s str,
}

/// The two flows a task's call makes through the ACL of a subnet it connects *into* (an
/// endpoint's or NAT gateway's, or a private registry's): the request in on `port`, the
/// response out to the task's ephemeral ports.
pub fn flows_from_task<'s>(
    task: Ipv4Net,
    port: u16,
    request: &'s str,
    response: &'s str,
) -> [Flow<'s>; 2] {
    [
        Flow {
            direction: Direction::Inbound,
            ports: PortRange {
                from: port,
                to: port,
            },
            cidr: task,
            what: request,
        },
        Flow {
            direction: Direction::Outbound,
            ports: TASK_EPHEMERAL,
            cidr: task,
            what: response,
        },
    ]
}

/// Evaluates flows through `subnet`'s ACL; one blocker per failing flow.
pub fn acl_flows(
    placement: &Placement<'_, '_>,
    subnet: &Subnet,
    flows: &[Flow<'_>],
) -> (Option<String>, Vec<Blocker>) {
    match acl_verdicts(placement, subnet, flows) {
        Ok((acl, verdicts)) => (Some(acl), verdicts.into_iter().flatten().collect()),
        Err(blocker) => (None, vec![blocker]),
    }
}

/// Each flow's blocker (None: it passes), in the order of `flows`.
fn acl_verdicts(
    placement: &Placement<'_, '_>,
    subnet: &Subnet,
    flows: &[Flow<'_>],
) -> Result<(String, Vec<Option<Blocker>>), Blocker> {
    let acl = placement.index.acl_of(subnet).map_err(|gap| {
        not_collected(
            placement.index.snapshot,
            &subnet.id,
            &gap,
            "its network ACL",
        )
    })?;
    let verdicts = flows
        .iter()
        .map(|flow| acl_blocker(acl, subnet, flow))
        .collect();
    Ok((acl.id.to_string(), verdicts))
}

fn acl_blocker(acl: &IndexedAcl<'_>, subnet: &Subnet, flow: &Flow<'_>) -> Option<Blocker> {
    let (outbound, code, word, peer_word) = match flow.direction {
        Direction::Outbound => (true, Code::NaclOutboundBlocked, "outbound", "to"),
        Direction::Inbound => (false, Code::NaclInboundBlocked, "inbound", "from"),
    };
    let outcome = acl.decide(outbound, flow.ports, flow.cidr);
    if matches!(outcome, AclOutcome::Allowed { .. }) {
        return None;
    }
    let ports = if flow.ports.from == flow.ports.to {
        format!("TCP {}", flow.ports.from)
    } else {
        format!("TCP {}-{}", flow.ports.from, flow.ports.to)
    };
    // Suggest the usual wide ephemeral range for return traffic; it covers every client OS.
    let fix_ports = if flow.ports.from == flow.ports.to {
        format!("TCP {}", flow.ports.from)
    } else {
        "TCP 1024-65535".to_string()
    };
    let fix = |before: Option<u16>| {
        let position = before.map_or(String::new(), |n| format!(" numbered below {n}"));
        format!(
            "Add an {word} rule to {}{position} allowing {fix_ports} {peer_word} {} (network ACLs are stateless: both directions need a rule).",
            acl.id, flow.cidr
        )
    };
    let subject = format!("network ACL {} of subnet {}", acl.id, subnet.id);
    let (from_port, to_port) = if flow.ports.from == flow.ports.to {
        (flow.ports.from, flow.ports.to)
    } else {
        (1024, 65535)
    };
    let rule_of = |outcome: &AclOutcome| match outcome {
        AclOutcome::Denied { rule } | AclOutcome::Partly { rule, .. } => *rule,
        AclOutcome::Allowed { .. } => None,
    };
    let remedy: Vec<Alternative> = acl
        .free_rule_number(outbound, rule_of(&outcome))
        .map(|rule_number| {
            Alternative::direct(Change::AllowNaclEntry {
                network_acl_id: acl.id.to_string(),
                egress: outbound,
                rule_number,
                cidr: flow.cidr.to_string(),
                from_port,
                to_port,
            })
        })
        .into_iter()
        .collect();
    let blocker = match outcome {
        AclOutcome::Allowed { .. } => None,
        AclOutcome::Denied { rule: Some(rule) } => Some(Blocker::new(
            code,
            acl.id,
            format!("{subject}: {word} rule {rule} denies {ports} {peer_word} {} ({})", flow.cidr, flow.what),
            fix(Some(rule)),
        )),
        AclOutcome::Denied { rule: None } => Some(Blocker::new(
            code,
            acl.id,
            format!("{subject}: no {word} rule allows {ports} {peer_word} {} ({}); the final `*` rule denies it", flow.cidr, flow.what),
            fix(None),
        )),
        AclOutcome::Partly { rule, by_ports: true } => Some(Blocker::new(
            code,
            acl.id,
            format!(
                "{subject}: {word} rules allow only part of {ports} {peer_word} {} ({}){}; connections on the other ports fail",
                flow.cidr,
                flow.what,
                rule.map_or(String::new(), |r| format!(", rule {r} denies part"))
            ),
            fix(rule),
        )),
        AclOutcome::Partly { rule, by_ports: false } => Some(Blocker::new(
            Code::RangePartiallyAllowed,
            acl.id,
            format!(
                "{subject}: {word} rules cover only part of {} for {ports} ({}){}; whether the call passes depends on the address it resolves to",
                flow.cidr,
                flow.what,
                rule.map_or(String::new(), |r| format!(", rule {r} denies part"))
            ),
            fix(rule),
        )),
    };
    blocker.map(|b| b.with_remedy(remedy))
}

/// The task subnet's ACL: requests out on `port` (443 but for a registry's `host:port`),
/// responses back on the task's ephemeral ports.
pub fn task_acl(
    placement: &Placement<'_, '_>,
    cidrs: &[Ipv4Net],
    what: &str,
    port: u16,
) -> (Option<String>, Vec<Blocker>) {
    // Traffic within one subnet never crosses its ACL.
    let remote: Vec<Ipv4Net> = cidrs
        .iter()
        .copied()
        .filter(|c| !placement.subnet.cidr_block.contains(c))
        .collect();
    let flows: Vec<Flow<'_>> = remote
        .iter()
        .flat_map(|cidr| {
            [
                Flow {
                    direction: Direction::Outbound,
                    ports: PortRange {
                        from: port,
                        to: port,
                    },
                    cidr: *cidr,
                    what,
                },
                Flow {
                    direction: Direction::Inbound,
                    ports: TASK_EPHEMERAL,
                    cidr: *cidr,
                    what,
                },
            ]
        })
        .collect();
    let (acl, verdicts) = match acl_verdicts(placement, placement.subnet, &flows) {
        Ok(found) => found,
        Err(blocker) => return (None, vec![blocker]),
    };
    // A range passes when both its flows pass. When some of the peer's ranges pass and others
    // do not, the outcome depends on the address the name resolves to.
    let passing = verdicts
        .chunks(2)
        .filter(|pair| pair.iter().all(Option::is_none))
        .count();
    let mut blockers: Vec<Blocker> = verdicts.into_iter().flatten().collect();
    if passing > 0 {
        for blocker in blockers.iter_mut().filter(|b| b.blocks()) {
            blocker.message = format!(
                "{} (other addresses of the destination pass)",
                blocker.message
            );
            blocker.code = Code::RangePartiallyAllowed;
            blocker.effect = Code::RangePartiallyAllowed.default_effect();
        }
    }
    dedupe_by_code(&mut blockers);
    (Some(acl), blockers)
}

/// Several CIDRs of one peer fail the same way: keep the first of each code.
pub fn dedupe_by_code(blockers: &mut Vec<Blocker>) {
    let mut kept: Vec<Blocker> = Vec::with_capacity(blockers.len());
    for blocker in blockers.drain(..) {
        match kept.iter_mut().find(|b| b.identity() == blocker.identity()) {
            Some(first) => first.absorb_remedy(&blocker),
            None => kept.push(blocker),
        }
    }
    *blockers = kept;
}

/// The task's route table sends parts of the destination's addresses to different targets.
pub(super) fn routes_split(table_id: &str, spread: &str, host: &str) -> Blocker {
    Blocker::new(
        Code::RangePartiallyAllowed,
        table_id,
        format!("route table {table_id} sends different parts of the destination's addresses to different targets ({spread}), so the path depends on the address {host} resolves to"),
        format!("Route all of the destination through one working target in {table_id}, or remove the more specific routes."),
    )
}
