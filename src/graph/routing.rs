//! Which route carries a destination: longest-prefix match over a *range* of addresses, with
//! more specific routes that split it.

use ipnet::Ipv4Net;

use super::index::IndexedRouteTable;
use super::placement::Placement;
use super::rules::Peer;
use crate::model::{Route, RouteState};

/// What carries a destination in a route table: one route (or several to the same target in
/// the same state), or routes to different targets.
pub(super) enum Carrier<'a> {
    One(Option<&'a Route>),
    Mixed(Vec<&'a Route>),
}

/// The routes that carry `cidrs`: for each, the most specific route containing it, and routes
/// more specific than it that could hold the service's address (public space, and not another
/// AWS service's prefix list). A containing route whose range the more specific ones cover
/// entirely carries nothing.
pub(super) fn carrying_route<'a>(
    placement: &Placement<'_, '_>,
    table: &IndexedRouteTable<'a>,
    destination: &Peer,
) -> Carrier<'a> {
    let own_list = destination.prefix_list_id.as_deref();
    let mut carried: Vec<&'a Route> = Vec::new();
    for cidr in &destination.cidrs {
        let within: Vec<(Ipv4Net, &'a Route)> = table
            .public_routes_within(*cidr)
            .iter()
            .filter(|(net, route)| {
                !aws_service_prefix_list(placement, route)
                    && !in_another_service_range(placement, net, own_list)
            })
            .copied()
            .collect();
        let covered = Ipv4Net::aggregate(&within.iter().map(|(net, _)| *net).collect::<Vec<_>>())
            == vec![*cidr];
        if !covered {
            match table.route_for(*cidr) {
                Some(route) => carried.push(route),
                // Part of the destination has no route at all.
                None if !within.is_empty() => {
                    return Carrier::Mixed(within.iter().map(|(_, r)| *r).collect())
                }
                None => return Carrier::One(None),
            }
        }
        carried.extend(within.iter().map(|(_, route)| *route));
    }
    let first = carried.first().copied();
    let same = |a: &Route, b: &Route| a.target == b.target && a.state == b.state;
    match first {
        Some(first) if carried.iter().all(|r| same(r, first)) => Carrier::One(Some(first)),
        Some(_) => {
            let mut distinct: Vec<&Route> = Vec::new();
            for route in carried {
                if !distinct.iter().any(|d| same(d, route)) {
                    distinct.push(route);
                }
            }
            Carrier::Mixed(distinct)
        }
        None => Carrier::One(None),
    }
}

/// Prefix lists of AWS services (`com.amazonaws.REGION.s3`…) hold only that service's
/// addresses: their routes never carry another service's traffic.
fn aws_service_prefix_list(placement: &Placement<'_, '_>, route: &Route) -> bool {
    route
        .destination_prefix_list_id
        .as_deref()
        .and_then(|id| placement.index.prefix_list(id).ok())
        .is_some_and(|list| list.name.starts_with("com.amazonaws."))
}

/// Is `net` inside a published range of another AWS service (its managed prefix list)?
/// Those addresses belong to that service: a route for them never carries this call.
fn in_another_service_range(
    placement: &Placement<'_, '_>,
    net: &Ipv4Net,
    own_list: Option<&str>,
) -> bool {
    placement
        .index
        .snapshot
        .prefix_lists
        .iter()
        .flatten()
        .filter(|list| {
            list.name.starts_with("com.amazonaws.") && Some(list.id.as_str()) != own_list
        })
        .any(|list| list.cidrs.iter().any(|c| c.contains(net)))
}

pub(super) fn describe_route(route: &Route) -> String {
    let destination = route
        .destination_cidr
        .map(|c| c.to_string())
        .or_else(|| route.destination_prefix_list_id.clone())
        .unwrap_or_default();
    let state = if route.state == RouteState::Blackhole {
        " (blackhole)"
    } else {
        ""
    };
    format!(
        "{destination} → {}{state}",
        route.target.id.as_deref().unwrap_or("local")
    )
}
