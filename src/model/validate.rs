//! Consistency of a parsed snapshot: ids are unique and every reference into a *collected* list
//! resolves. A snapshot that fails here is bad input (exit 2): the analysis would otherwise
//! guess, silently pick one of two duplicates, or report a broken file as an unknown network
//! path. A policy document that cannot be read is not: see [`check_consistency`].

use std::collections::{HashMap, HashSet};

use super::Snapshot;

/// The ids of one collection, if it was collected.
struct Ids<'a> {
    what: &'static str,
    ids: Option<HashSet<&'a str>>,
}

impl<'a> Ids<'a> {
    /// Collects ids, rejecting duplicates.
    fn of<T>(
        what: &'static str,
        items: &'a Option<Vec<T>>,
        id: impl Fn(&'a T) -> &'a str,
    ) -> Result<Self, String> {
        let Some(items) = items else {
            return Ok(Ids { what, ids: None });
        };
        let mut ids = HashSet::with_capacity(items.len());
        for item in items {
            let id = id(item);
            if !ids.insert(id) {
                return Err(format!("`{what}` lists `{id}` twice"));
            }
        }
        Ok(Ids {
            what,
            ids: Some(ids),
        })
    }

    /// `id`, named by `who`, must be in the collection (when it was collected).
    fn resolve(&self, id: &str, who: impl FnOnce() -> String) -> Result<(), String> {
        match &self.ids {
            Some(ids) if !ids.contains(id) => Err(format!(
                "{} refers to `{id}`, which is not in `{}`",
                who(),
                self.what
            )),
            _ => Ok(()),
        }
    }
}

pub fn check_consistency(snapshot: &Snapshot) -> Result<(), String> {
    let vpcs = Ids::of("vpcs", &snapshot.vpcs, |v| v.id.as_str())?;
    let subnets = Ids::of("subnets", &snapshot.subnets, |s| s.id.as_str())?;
    let tables = Ids::of("route_tables", &snapshot.route_tables, |t| t.id.as_str())?;
    let groups = Ids::of("security_groups", &snapshot.security_groups, |g| {
        g.id.as_str()
    })?;
    let task_definitions = Ids::of("task_definitions", &snapshot.task_definitions, |t| {
        t.arn.as_str()
    })?;
    for (what, result) in [
        (
            "internet_gateways",
            Ids::of("internet_gateways", &snapshot.internet_gateways, |g| {
                g.id.as_str()
            })
            .map(drop),
        ),
        (
            "nat_gateways",
            Ids::of("nat_gateways", &snapshot.nat_gateways, |g| g.id.as_str()).map(drop),
        ),
        (
            "vpc_endpoints",
            Ids::of("vpc_endpoints", &snapshot.vpc_endpoints, |e| e.id.as_str()).map(drop),
        ),
        (
            "network_acls",
            Ids::of("network_acls", &snapshot.network_acls, |a| a.id.as_str()).map(drop),
        ),
        (
            "prefix_lists",
            Ids::of("prefix_lists", &snapshot.prefix_lists, |p| p.id.as_str()).map(drop),
        ),
        (
            "transit_gateways",
            Ids::of("transit_gateways", &snapshot.transit_gateways, |g| {
                g.id.as_str()
            })
            .map(drop),
        ),
        (
            "peering_connections",
            Ids::of("peering_connections", &snapshot.peering_connections, |p| {
                p.id.as_str()
            })
            .map(drop),
        ),
        (
            "clusters",
            Ids::of("clusters", &snapshot.clusters, |c| c.name.as_str()).map(drop),
        ),
        (
            "roles",
            Ids::of("roles", &snapshot.roles, |r| r.arn.as_str()).map(drop),
        ),
        (
            "managed_policies",
            Ids::of("managed_policies", &snapshot.managed_policies, |p| {
                p.arn.as_str()
            })
            .map(drop),
        ),
        (
            "secrets",
            Ids::of("secrets", &snapshot.secrets, |s| s.arn.as_str()).map(drop),
        ),
        (
            "instance_profiles",
            Ids::of("instance_profiles", &snapshot.instance_profiles, |p| {
                p.arn.as_str()
            })
            .map(drop),
        ),
    ] {
        result.map_err(|e| format!("{e} (ids in `{what}` must be unique)"))?;
    }

    for subnet in snapshot.subnets.iter().flatten() {
        vpcs.resolve(&subnet.vpc_id, || format!("subnet `{}`", subnet.id))?;
    }
    for table in snapshot.route_tables.iter().flatten() {
        vpcs.resolve(&table.vpc_id, || format!("route table `{}`", table.id))?;
        for id in &table.subnet_ids {
            subnets.resolve(id, || format!("route table `{}`", table.id))?;
        }
    }
    for nat in snapshot.nat_gateways.iter().flatten() {
        subnets.resolve(&nat.subnet_id, || format!("NAT gateway `{}`", nat.id))?;
    }
    for acl in snapshot.network_acls.iter().flatten() {
        for id in &acl.subnet_ids {
            subnets.resolve(id, || format!("network ACL `{}`", acl.id))?;
        }
    }
    for endpoint in snapshot.vpc_endpoints.iter().flatten() {
        let who = || format!("VPC endpoint `{}`", endpoint.id);
        for id in &endpoint.subnet_ids {
            subnets.resolve(id, who)?;
        }
        for id in &endpoint.security_group_ids {
            groups.resolve(id, who)?;
        }
        for id in &endpoint.route_table_ids {
            tables.resolve(id, who)?;
        }
    }
    // An EC2 host's interface is where its tasks' pulls start: it must resolve like a
    // service's placement.
    Ids::of("instances", &snapshot.instances, |i| i.id.as_str())
        .map_err(|e| format!("{e} (ids in `instances` must be unique)"))?;
    for instance in snapshot.instances.iter().flatten() {
        let who = || format!("instance `{}`", instance.id);
        if let Some(id) = &instance.subnet_id {
            subnets.resolve(id, who)?;
        }
        for id in &instance.security_groups {
            groups.resolve(id, who)?;
        }
    }
    // Policy documents are not checked here: AWS wrote them, and one pullpath cannot read
    // makes only the decisions it takes part in unknown, naming it (`policy::evaluate`),
    // while the rest of the snapshot is still audited.
    check_services(snapshot, &subnets, &groups, &task_definitions)
}

fn check_services(
    snapshot: &Snapshot,
    subnets: &Ids<'_>,
    groups: &Ids<'_>,
    task_definitions: &Ids<'_>,
) -> Result<(), String> {
    let routed = RoutedSubnets::new(snapshot);
    for cluster in snapshot.clusters.iter().flatten() {
        for service in cluster.services.iter().flatten() {
            let who = || format!("service `{}` of cluster `{}`", service.name, cluster.name);
            task_definitions.resolve(&service.task_definition, who)?;
            let Some(placement) = &service.network_configuration else {
                continue;
            };
            if placement.subnets.is_empty() {
                return Err(format!(
                    "{} has an awsvpc network configuration without subnets",
                    who()
                ));
            }
            for subnet_id in &placement.subnets {
                subnets.resolve(subnet_id, who)?;
                if let Some(detail) = routed.missing_route_table(subnet_id) {
                    return Err(format!("{}: {detail}", who()));
                }
            }
            for group_id in &placement.security_groups {
                groups.resolve(group_id, who)?;
            }
        }
    }
    // The collector reads each stopped task's task definition and subnet too. (Deployments'
    // subnets and groups are not checked: an old deployment may name ones no longer read.)
    for task in snapshot.stopped_tasks.iter().flatten() {
        let who = || format!("stopped task {}", task.arn);
        task_definitions.resolve(&task.task_definition, who)?;
        if let Some(interface) = &task.network_interface {
            subnets.resolve(&interface.subnet_id, who)?;
        }
    }
    Ok(())
}

/// Which subnets have a route table: in AWS every subnet has one (its explicit association,
/// else its VPC's main table), so a snapshot without it is inconsistent.
struct RoutedSubnets<'a> {
    collected: bool,
    vpc_of_subnet: HashMap<&'a str, &'a str>,
    associated: HashSet<&'a str>,
    vpcs_with_main: HashSet<&'a str>,
}

impl<'a> RoutedSubnets<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        let tables = snapshot.route_tables.iter().flatten();
        RoutedSubnets {
            collected: snapshot.route_tables.is_some(),
            vpc_of_subnet: snapshot
                .subnets
                .iter()
                .flatten()
                .map(|s| (s.id.as_str(), s.vpc_id.as_str()))
                .collect(),
            associated: tables
                .clone()
                .flat_map(|t| t.subnet_ids.iter().map(String::as_str))
                .collect(),
            vpcs_with_main: tables
                .filter(|t| t.main)
                .map(|t| t.vpc_id.as_str())
                .collect(),
        }
    }

    fn missing_route_table(&self, subnet_id: &str) -> Option<String> {
        let vpc = self.vpc_of_subnet.get(subnet_id)?;
        let routed = !self.collected
            || self.associated.contains(subnet_id)
            || self.vpcs_with_main.contains(vpc);
        (!routed).then(|| {
            format!("subnet `{subnet_id}` has no associated route table and VPC `{vpc}` has no main route table in `route_tables`")
        })
    }
}
