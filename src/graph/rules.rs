//! Security-group and network-ACL rule evaluation for TCP flows.
//!
//! Security groups are stateful allow-lists: a flow passes if any rule of any group covers it.
//! Network ACLs are stateless and ordered: the lowest-numbered entry that matches decides, and
//! no match denies. A destination is a CIDR *range* (the internet is `0.0.0.0/0`, an endpoint
//! is its subnets), so an entry may cover it fully, partly, or not at all.

use ipnet::Ipv4Net;

use super::index::NetworkIndex;
use crate::model::{NaclEntry, PortRange, RuleAction, SecurityGroup, SgRule};

/// AWS service endpoints (and VPC endpoints) listen on TCP 443 only.
pub const HTTPS_PORT: u16 = 443;
/// Ports a Linux task uses for outgoing connections: return traffic to the task arrives here.
pub const TASK_EPHEMERAL: PortRange = PortRange {
    from: 32768,
    to: 60999,
};
/// Ports a NAT gateway uses for its translated connections.
pub const NAT_EPHEMERAL: PortRange = PortRange {
    from: 1024,
    to: 65535,
};

/// The other side of a flow, as security-group rules can name it.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    pub cidrs: Vec<Ipv4Net>,
    /// Security groups attached to the peer (an endpoint's or the task's).
    pub security_groups: Vec<String>,
    /// The managed prefix list the peer's addresses come from (the S3 list).
    pub prefix_list_id: Option<String>,
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Private, shared, loopback, link-local and multicast/reserved space: never the public
/// address of a registry or AWS service.
const NOT_PUBLIC: [Ipv4Net; 7] = [
    net(10, 0, 8),
    net(172, 16, 12),
    net(192, 168, 16),
    net(100, 64, 10),
    net(127, 0, 8),
    net(169, 254, 16),
    net(224, 0, 3),
];

const fn net(a: u8, b: u8, prefix: u8) -> Ipv4Net {
    match Ipv4Net::new(std::net::Ipv4Addr::new(a, b, 0, 0), prefix) {
        Ok(net) => net,
        Err(_) => panic!("valid prefix"),
    }
}

/// Is all of `cidr` in private or special-purpose space (never a public address)?
pub fn is_private(cidr: &Ipv4Net) -> bool {
    NOT_PUBLIC.iter().any(|range| range.contains(cidr))
}

/// Does `rule` speak about part of `destination`? `0.0.0.0/0` stands for "the registry's
/// public address, wherever it is", so a rule confined to non-public space does not.
pub fn touches(rule: &Ipv4Net, destination: &Ipv4Net) -> bool {
    if !overlaps(rule, destination) {
        return false;
    }
    destination.prefix_len() != 0 || !NOT_PUBLIC.iter().any(|range| range.contains(rule))
}

fn ports_overlap(a: PortRange, b: PortRange) -> bool {
    a.from <= b.to && b.from <= a.to
}

/// How security groups treat a flow to one CIDR of a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SgOutcome {
    Allowed,
    /// Only some addresses of the CIDR are allowed (e.g. `52.0.0.0/8` for the internet).
    PartlyAllowed,
    Denied,
}

/// Does any rule of `groups` (egress or ingress, as given by `rules_of`) allow TCP `port` to
/// `cidr`, a CIDR of `peer`?
pub fn security_groups_allow<'g>(
    index: &NetworkIndex<'_>,
    groups: &[&'g SecurityGroup],
    rules_of: impl Fn(&'g SecurityGroup) -> &'g [SgRule],
    port: u16,
    peer: &Peer,
    cidr: Ipv4Net,
) -> SgOutcome {
    let mut partly = false;
    for rule in groups.iter().flat_map(|g| rules_of(g)) {
        if !sg_rule_carries_tcp(rule, port) {
            continue;
        }
        if let Some(group) = &rule.referenced_group_id {
            if peer.security_groups.contains(group) {
                return SgOutcome::Allowed;
            }
        }
        if let Some(list_id) = &rule.prefix_list_id {
            if peer.prefix_list_id.as_ref() == Some(list_id) {
                return SgOutcome::Allowed;
            }
            if let Ok(list) = index.prefix_list(list_id) {
                if list.cidrs.iter().any(|c| c.contains(&cidr)) {
                    return SgOutcome::Allowed;
                }
                partly |= list.cidrs.iter().any(|c| touches(c, &cidr));
            }
        }
        if let Some(rule_cidr) = &rule.cidr_ipv4 {
            if rule_cidr.contains(&cidr) {
                return SgOutcome::Allowed;
            }
            partly |= touches(rule_cidr, &cidr);
        }
    }
    if partly {
        SgOutcome::PartlyAllowed
    } else {
        SgOutcome::Denied
    }
}

fn sg_rule_carries_tcp(rule: &SgRule, port: u16) -> bool {
    match rule.protocol.as_str() {
        "-1" | "all" => true,
        "tcp" | "6" => {
            let from = rule.from_port.unwrap_or(0);
            let to = rule.to_port.unwrap_or(65535);
            // -1 / -1 on TCP means all ports.
            (from == -1 && to == -1) || (from <= i32::from(port) && i32::from(port) <= to)
        }
        _ => false,
    }
}

/// How an ACL direction treats a TCP flow on `ports` to or from `cidr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclOutcome {
    Allowed {
        rule: u16,
    },
    /// A deny entry covers the flow, or (`rule: None`) no entry matches it.
    Denied {
        rule: Option<u16>,
    },
    /// Some of the flow is denied and some allowed. `by_ports`: the split is by port (some
    /// connections certainly fail); otherwise by address (depends on the address used).
    Partly {
        rule: Option<u16>,
        by_ports: bool,
    },
}

/// An entry's relevance to a TCP flow to `cidr`: its address range and ports, or `None`
/// when it cannot match (another protocol, IPv6, or an address range the flow never uses).
fn tcp_entry(entry: &NaclEntry, cidr: &Ipv4Net) -> Option<(Ipv4Net, PortRange)> {
    if !matches!(entry.protocol.as_str(), "-1" | "6" | "tcp") {
        return None;
    }
    let entry_cidr = entry.cidr_block?;
    let all = PortRange { from: 0, to: 65535 };
    let ports = if entry.protocol == "-1" {
        all
    } else {
        entry.port_range.unwrap_or(all)
    };
    touches(&entry_cidr, cidr).then_some((entry_cidr, ports))
}

/// First-match evaluation of one direction's entries (already sorted by rule number).
///
/// The needed port range is cut at every entry's port boundaries, so within each piece every
/// entry covers all of the piece's ports or none: rules that together cover a range (49152-
/// 65535, then all ports) then decide it exactly, piece by piece.
pub fn acl_decides(entries: &[&NaclEntry], ports: PortRange, cidr: Ipv4Net) -> AclOutcome {
    let (from, to) = (u32::from(ports.from), u32::from(ports.to));
    let mut cuts = vec![from, to + 1];
    for (_, entry_ports) in entries.iter().filter_map(|e| tcp_entry(e, &cidr)) {
        for cut in [u32::from(entry_ports.from), u32::from(entry_ports.to) + 1] {
            if from < cut && cut <= to {
                cuts.push(cut);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let pieces: Vec<AclOutcome> = cuts
        .windows(2)
        .map(|w| {
            // Cuts lie within 0..=65536, so each piece's bounds fit a port number.
            let piece = PortRange {
                from: w[0] as u16,
                to: (w[1] - 1) as u16,
            };
            decide_piece(entries, piece, cidr)
        })
        .collect();
    combine_pieces(pieces)
}

/// First match for a piece of ports that every entry covers wholly or not at all; only the
/// address range can still be split.
fn decide_piece(entries: &[&NaclEntry], ports: PortRange, cidr: Ipv4Net) -> AclOutcome {
    let mut partial_rule: Option<Option<u16>> = None;
    for entry in entries {
        let Some((entry_cidr, entry_ports)) = tcp_entry(entry, &cidr) else {
            continue;
        };
        if !ports_overlap(entry_ports, ports) {
            continue;
        }
        match (entry.rule_action, entry_cidr.contains(&cidr)) {
            (RuleAction::Allow, true) => {
                return match partial_rule {
                    None => AclOutcome::Allowed {
                        rule: entry.rule_number,
                    },
                    Some(rule) => AclOutcome::Partly {
                        rule,
                        by_ports: false,
                    },
                }
            }
            (RuleAction::Deny, true) => {
                return match partial_rule {
                    None => AclOutcome::Denied {
                        rule: Some(entry.rule_number),
                    },
                    Some(_) => AclOutcome::Partly {
                        rule: Some(entry.rule_number),
                        by_ports: false,
                    },
                }
            }
            // The entry decides some addresses of the range: remember the first, keep going.
            (action, false) => {
                partial_rule
                    .get_or_insert((action == RuleAction::Deny).then_some(entry.rule_number));
            }
        }
    }
    match partial_rule {
        None => AclOutcome::Denied { rule: None },
        Some(rule) => AclOutcome::Partly {
            rule,
            by_ports: false,
        },
    }
}

/// The outcome of the whole port range from its pieces: some ports certainly denied while
/// others pass is a split by port (some connections fail).
fn combine_pieces(pieces: Vec<AclOutcome>) -> AclOutcome {
    let denied_rule = pieces.iter().find_map(|p| match p {
        AclOutcome::Denied { rule } => Some(*rule),
        _ => None,
    });
    let all_denied = pieces
        .iter()
        .all(|p| matches!(p, AclOutcome::Denied { .. }));
    let all_allowed = pieces
        .iter()
        .all(|p| matches!(p, AclOutcome::Allowed { .. }));
    match (all_allowed, all_denied, denied_rule) {
        (true, _, _) => pieces
            .into_iter()
            .next()
            .unwrap_or(AclOutcome::Denied { rule: None }),
        (_, true, rule) => AclOutcome::Denied {
            rule: rule.flatten(),
        },
        (_, _, Some(rule)) => AclOutcome::Partly {
            rule,
            by_ports: true,
        },
        // No piece wholly denied: the split is by address.
        (_, _, None) => pieces
            .into_iter()
            .find(|p| matches!(p, AclOutcome::Partly { .. }))
            .unwrap_or(AclOutcome::Denied { rule: None }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTPS: PortRange = PortRange {
        from: HTTPS_PORT,
        to: HTTPS_PORT,
    };

    fn entry(
        rule_number: u16,
        action: RuleAction,
        cidr: &str,
        ports: Option<(u16, u16)>,
    ) -> NaclEntry {
        NaclEntry {
            rule_number,
            egress: true,
            protocol: if ports.is_some() { "6" } else { "-1" }.into(),
            rule_action: action,
            cidr_block: Some(cidr.parse().unwrap()),
            port_range: ports.map(|(from, to)| PortRange { from, to }),
        }
    }

    fn decide(entries: &[NaclEntry], ports: PortRange, cidr: &str) -> AclOutcome {
        let refs: Vec<_> = entries.iter().collect();
        acl_decides(&refs, ports, cidr.parse().unwrap())
    }

    #[test]
    fn first_matching_rule_wins() {
        let entries = [
            entry(90, RuleAction::Deny, "0.0.0.0/0", Some((443, 443))),
            entry(100, RuleAction::Allow, "0.0.0.0/0", None),
        ];
        assert_eq!(
            decide(&entries, HTTPS, "0.0.0.0/0"),
            AclOutcome::Denied { rule: Some(90) }
        );
        assert_eq!(
            decide(&entries, TASK_EPHEMERAL, "0.0.0.0/0"),
            AclOutcome::Allowed { rule: 100 }
        );
    }

    #[test]
    fn no_matching_rule_denies() {
        let entries = [entry(100, RuleAction::Allow, "10.0.0.0/16", None)];
        // A private range says nothing about the registry's public address.
        assert_eq!(
            decide(&entries, HTTPS, "0.0.0.0/0"),
            AclOutcome::Denied { rule: None }
        );
        assert_eq!(
            decide(&entries, HTTPS, "52.0.0.0/8"),
            AclOutcome::Denied { rule: None }
        );
        assert_eq!(
            decide(&entries, HTTPS, "10.0.20.0/24"),
            AclOutcome::Allowed { rule: 100 }
        );
    }

    #[test]
    fn a_public_range_covers_only_part_of_the_internet() {
        let entries = [entry(100, RuleAction::Allow, "52.0.0.0/8", None)];
        assert_eq!(
            decide(&entries, HTTPS, "0.0.0.0/0"),
            AclOutcome::Partly {
                rule: None,
                by_ports: false
            }
        );
    }

    #[test]
    fn ephemeral_range_must_be_covered_whole() {
        let entries = [entry(
            100,
            RuleAction::Allow,
            "0.0.0.0/0",
            Some((49152, 65535)),
        )];
        assert_eq!(
            decide(&entries, TASK_EPHEMERAL, "0.0.0.0/0"),
            AclOutcome::Partly {
                rule: None,
                by_ports: true
            }
        );
        let entries = [entry(
            100,
            RuleAction::Allow,
            "0.0.0.0/0",
            Some((1024, 65535)),
        )];
        assert_eq!(
            decide(&entries, TASK_EPHEMERAL, "0.0.0.0/0"),
            AclOutcome::Allowed { rule: 100 }
        );
    }

    #[test]
    fn port_ranges_of_several_rules_add_up() {
        let entries = [
            entry(90, RuleAction::Allow, "0.0.0.0/0", Some((49152, 65535))),
            entry(100, RuleAction::Allow, "0.0.0.0/0", None),
        ];
        assert_eq!(
            decide(&entries, TASK_EPHEMERAL, "0.0.0.0/0"),
            AclOutcome::Allowed { rule: 100 }
        );
        let entries = [
            entry(100, RuleAction::Allow, "0.0.0.0/0", Some((1024, 32767))),
            entry(110, RuleAction::Allow, "0.0.0.0/0", Some((32768, 65535))),
        ];
        assert_eq!(
            decide(&entries, TASK_EPHEMERAL, "0.0.0.0/0"),
            AclOutcome::Allowed { rule: 110 }
        );
        let entries = [
            entry(80, RuleAction::Deny, "0.0.0.0/0", Some((40000, 40010))),
            entry(100, RuleAction::Allow, "0.0.0.0/0", None),
        ];
        assert_eq!(
            decide(&entries, TASK_EPHEMERAL, "0.0.0.0/0"),
            AclOutcome::Partly {
                rule: Some(80),
                by_ports: true
            }
        );
    }

    #[test]
    fn private_ranges_do_not_split_the_internet() {
        let entries = [
            entry(50, RuleAction::Deny, "172.16.5.0/24", None),
            entry(100, RuleAction::Allow, "0.0.0.0/0", None),
        ];
        assert_eq!(
            decide(&entries, HTTPS, "0.0.0.0/0"),
            AclOutcome::Allowed { rule: 100 }
        );
    }

    #[test]
    fn partial_deny_before_allow_is_partial() {
        let entries = [
            entry(50, RuleAction::Deny, "1.2.3.0/24", None),
            entry(100, RuleAction::Allow, "0.0.0.0/0", None),
        ];
        assert_eq!(
            decide(&entries, HTTPS, "0.0.0.0/0"),
            AclOutcome::Partly {
                rule: Some(50),
                by_ports: false
            }
        );
        assert_eq!(
            decide(&entries, HTTPS, "10.0.20.0/24"),
            AclOutcome::Allowed { rule: 100 }
        );
    }
}
