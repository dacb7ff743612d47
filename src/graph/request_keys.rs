//! What a call's path puts in its request context: through which VPC endpoint, NAT gateway or
//! public address it reaches AWS (the network keys of [`crate::policy::keys`]), and which
//! account and organization own what it calls. Policies guarded by `aws:SourceVpce`,
//! `aws:SourceIp` or `aws:ResourceAccount` are decided from these.

use ipnet::IpNet;

use super::hop::{Hop, HopKind, Via};
use super::placement::Placement;
use crate::model::Snapshot;
use crate::policy::keys::{self, Network, Organization};
use crate::policy::{Context, KeyValue, Partial};

/// The account's organization as the snapshot knows it.
pub fn organization(snapshot: &Snapshot) -> Organization {
    match &snapshot.organization {
        Some(found) => match &found.id {
            Some(id) => Organization::Member(id.clone()),
            None => Organization::NotAMember,
        },
        None => Organization::Unknown(format!(
            "the organization of account {} was not read{}",
            snapshot.account_id,
            snapshot.why_not_collected("organization")
        )),
    }
}

/// The account an ARN names (`arn:aws:ecr:R:ACCOUNT:…`), if it names one.
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// Adds the keys of a request for `resource` (an ARN, or `*`) in `region`: the owner's
/// account, and its organization when it is the snapshot's own account.
pub fn add_request_keys(context: &mut Context, snapshot: &Snapshot, region: &str, resource: &str) {
    let (account, organization, why) = match account_of(resource) {
        Some(account) if account == snapshot.account_id => (
            KeyValue::Values(vec![account.to_string()]),
            organization(snapshot),
            format!("{resource} belongs to account {account}"),
        ),
        Some(account) => (
            KeyValue::Values(vec![account.to_string()]),
            Organization::Unknown(format!(
                "the organization of account {account}, which owns {resource}, is not known"
            )),
            format!("{resource} belongs to account {account}"),
        ),
        None => (
            KeyValue::Unknown,
            Organization::Unknown(format!("{resource} names no account")),
            format!("{resource} names no account"),
        ),
    };
    keys::request(context, region, account, &organization, &why);
}

/// The request context of a layer download: S3 sees the presigned URL's signer, an ECR
/// account, not the task's role ("The credentials used by the presigned URL are those of the
/// … principal who generated the URL", S3 User Guide, "Sharing objects with presigned URLs";
/// the data-perimeter examples: the URL "is created by an Amazon ECR account and originates
/// from your VPC"), and the bucket is AWS's. Neither is the caller's account or organization.
pub fn layer_download_keys(snapshot: &Snapshot, region: &str, caller: &Context) -> Context {
    let mut context = Context::new();
    for key in ["aws:CurrentTime", "aws:EpochTime"] {
        if let Some(fact) = caller.get(key) {
            context.set(key, fact.value.clone(), fact.source.clone());
        }
    }
    let own = KeyValue::Partial(Partial::OtherThan(vec![snapshot.account_id.clone()]));
    let why = "ECR's layer bucket belongs to an AWS account";
    context.set(
        "aws:PrincipalAccount",
        own.clone(),
        "ECR signs the layer URL",
    );
    let organization = match organization(snapshot) {
        Organization::Member(id) => KeyValue::Partial(Partial::OtherThan(vec![id])),
        _ => KeyValue::Unknown,
    };
    context.set(
        "aws:PrincipalOrgID",
        organization.clone(),
        "ECR signs the layer URL",
    );
    context.set(
        "aws:RequestedRegion",
        KeyValue::Values(vec![region.to_string()]),
        "the layer bucket's region",
    );
    context.set(
        "aws:SecureTransport",
        KeyValue::Values(vec!["true".into()]),
        "layer URLs are HTTPS",
    );
    context.set("aws:ResourceAccount", own, why);
    context.set("aws:ResourceOrgID", organization, why);
    context
}

/// The network keys of a call that takes `path` (leaving by `via`) from `placement`.
/// `uncertain`: DNS may send it another way, so nothing is known.
pub fn network_of(
    placement: &Placement<'_, '_>,
    via: Option<Via>,
    path: &[Hop],
    uncertain: bool,
) -> Network {
    if uncertain {
        return Network::Unknown {
            why: "DNS may or may not send the call to the VPC endpoint".into(),
        };
    }
    let hop = |kind: HopKind| path.iter().find(|h| h.kind == kind).map(|h| h.id.clone());
    match via {
        Some(Via::InterfaceEndpoint | Via::GatewayEndpoint) => {
            let Some(endpoint) =
                hop(HopKind::InterfaceEndpoint).or_else(|| hop(HopKind::GatewayEndpoint))
            else {
                return unknown("the endpoint on the path is not known");
            };
            through_endpoint(placement, &endpoint)
        }
        Some(Via::Nat) => {
            let Some(id) = hop(HopKind::NatGateway) else {
                return unknown("the NAT gateway on the path is not known");
            };
            let why = format!("the call leaves through NAT gateway {id}");
            // The internet gateway maps a public NAT gateway's private address to its
            // Elastic IP (VPC User Guide, "NAT gateways").
            let source_ip = match placement
                .index
                .nat_gateway(&id)
                .ok()
                .and_then(|n| n.public_ips.clone())
            {
                Some(ips) if ips.len() == 1 => KeyValue::Values(vec![ips[0].to_string()]),
                Some(ips) if !ips.is_empty() => KeyValue::Partial(Partial::Address(
                    ips.into_iter().map(|ip| IpNet::V4(ip.into())).collect(),
                )),
                _ => KeyValue::Partial(Partial::Any),
            };
            Network::Public { source_ip, why }
        }
        Some(Via::Igw) => Network::Public {
            source_ip: match &placement.public_address {
                Some(address) => KeyValue::Values(vec![address.clone()]),
                None => KeyValue::Partial(Partial::Any),
            },
            why: match &placement.public_address {
                Some(address) => format!("the call leaves from public IP {address}"),
                None => {
                    "the call leaves from the public IP AWS assigns to the task at launch".into()
                }
            },
        },
        Some(Via::TransitGateway | Via::Peering | Via::VpnGateway) => {
            unknown("the call leaves the VPC, and what it meets beyond is not known")
        }
        None => unknown("the call's way out of the VPC is not known"),
    }
}

/// The network keys of a call from `placement` through VPC endpoint `endpoint`.
pub fn through_endpoint(placement: &Placement<'_, '_>, endpoint: &str) -> Network {
    Network::Endpoint {
        why: format!("the call goes through VPC endpoint {endpoint}"),
        vpc: placement.vpc.id.clone(),
        source: IpNet::V4(placement.subnet.cidr_block),
        endpoint: endpoint.to_string(),
    }
}

fn unknown(why: &str) -> Network {
    Network::Unknown { why: why.into() }
}
