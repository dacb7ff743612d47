//! Which workloads a change set can touch, so that verifying it audits those again and not the
//! whole scope.
//!
//! A network change acts in one VPC: security groups, route tables, network ACLs, NAT
//! gateways and VPC endpoints belong to one VPC ([EC2 docs: "A security group is specific to
//! the VPC"; a route table, network ACL, NAT gateway or endpoint is created in a VPC]), and a
//! call's path never continues through another VPC's resources here (peering and transit
//! gateways end the visible path: PATH_LEAVES_VPC). A service setting acts on that service. A
//! role's policies act on the Fargate workloads whose task definition names it as execution
//! role (on EC2 and Kubernetes other roles pull too, so those are always audited again).
//! Anything else (a resource not found) may act anywhere: every workload is audited again.

use std::collections::{HashMap, HashSet};

use crate::checks::WorkloadResult;
use crate::fix::Change;
use crate::graph::HopKind;
use crate::model::{Launch, Snapshot};

/// Where a workload's calls start: the VPCs of the subnets its paths start from.
pub struct Placements {
    vpcs_of: HashMap<String, HashSet<String>>,
    /// The name of each Fargate workload's execution role (the last segment of its ARN).
    role_of: HashMap<String, String>,
    /// Workloads with no path in any VPC (not evaluated, or unknown): always audited again.
    unplaced: Vec<String>,
}

impl Placements {
    pub fn of(results: &[WorkloadResult], snapshot: &Snapshot) -> Self {
        let vpc_of: HashMap<&str, &str> = snapshot
            .subnets
            .iter()
            .flatten()
            .map(|s| (s.id.as_str(), s.vpc_id.as_str()))
            .collect();
        let roles: HashMap<&str, &str> = snapshot
            .task_definitions
            .iter()
            .flatten()
            .filter_map(|t| Some((t.arn.as_str(), t.execution_role_arn.as_deref()?)))
            .collect();
        let mut vpcs_of = HashMap::new();
        let mut role_of = HashMap::new();
        let mut unplaced = Vec::new();
        for result in results {
            if let (Launch::Fargate { .. }, Some(role)) =
                (&result.launch, roles.get(result.task_definition.as_str()))
            {
                let name = role.rsplit('/').next().unwrap_or(role);
                role_of.insert(result.name(), name.to_string());
            }
            let vpcs: HashSet<String> = result
                .requirements
                .iter()
                .flat_map(|r| &r.path)
                .filter(|hop| hop.kind == HopKind::Subnet)
                .filter_map(|hop| vpc_of.get(hop.id.as_str()))
                .map(|vpc| vpc.to_string())
                .collect();
            if vpcs.is_empty() {
                unplaced.push(result.name());
            } else {
                vpcs_of.insert(result.name(), vpcs);
            }
        }
        Placements {
            vpcs_of,
            role_of,
            unplaced,
        }
    }

    /// The workloads `changes` can touch; `None`: any of them. Resources are looked up in
    /// the snapshots in order (the patched one holds what the changes create).
    pub fn touched_by(
        &self,
        changes: &[Change],
        snapshots: &[&Snapshot],
    ) -> Option<HashSet<String>> {
        let mut vpcs = HashSet::new();
        let mut services = HashSet::new();
        let mut roles = HashSet::new();
        for change in changes {
            let reach = snapshots.iter().find_map(|s| reach_of(change, s));
            let reach = reach?;
            match reach {
                Reach::Vpc(vpc) => {
                    vpcs.insert(vpc);
                }
                Reach::Service(name) => {
                    services.insert(name);
                }
                Reach::Role(name) => {
                    roles.insert(name);
                }
            }
        }
        if !roles.is_empty() {
            // Workloads pulling with other roles (EC2 instances, Kubernetes nodes) might use
            // this one: all of them, plus the Fargate workloads whose role it is.
            services.extend(
                self.vpcs_of
                    .keys()
                    .chain(&self.unplaced)
                    .filter(|name| {
                        self.role_of
                            .get(*name)
                            .is_none_or(|role| roles.contains(role))
                    })
                    .cloned(),
            );
        }
        let mut touched: HashSet<String> = self.unplaced.iter().cloned().collect();
        touched.extend(services);
        touched.extend(
            self.vpcs_of
                .iter()
                .filter(|(_, in_vpcs)| !in_vpcs.is_disjoint(&vpcs))
                .map(|(name, _)| name.clone()),
        );
        Some(touched)
    }
}

enum Reach {
    Vpc(String),
    /// A workload's name (`cluster/service`).
    Service(String),
    /// A role's name.
    Role(String),
}

/// The VPC of the item of `items` whose id is `id`, as a reach.
fn in_vpc_of<T>(
    items: &Option<Vec<T>>,
    id: &str,
    ids: impl Fn(&T) -> (&str, &str),
) -> Option<Reach> {
    items
        .iter()
        .flatten()
        .map(ids)
        .find(|(item, _)| *item == id)
        .map(|(_, vpc)| Reach::Vpc(vpc.to_string()))
}

/// Where one change acts; `None`: it may act on any workload.
fn reach_of(change: &Change, snapshot: &Snapshot) -> Option<Reach> {
    let route_table = |id: &str| in_vpc_of(&snapshot.route_tables, id, |t| (&t.id, &t.vpc_id));
    let endpoint = |id: &str| in_vpc_of(&snapshot.vpc_endpoints, id, |e| (&e.id, &e.vpc_id));
    let group = |id: &str| in_vpc_of(&snapshot.security_groups, id, |g| (&g.id, &g.vpc_id));
    match change {
        Change::CreateNatGateway { vpc_id, .. }
        | Change::CreateEndpointSecurityGroup { vpc_id, .. }
        | Change::CreateInterfaceEndpoint { vpc_id, .. }
        | Change::CreateGatewayEndpoint { vpc_id, .. }
        | Change::EnableVpcDns { vpc_id, .. } => Some(Reach::Vpc(vpc_id.clone())),
        Change::CreateRoute { route_table_id, .. }
        | Change::ReplaceRoute { route_table_id, .. }
        | Change::DeleteRoute { route_table_id, .. } => route_table(route_table_id),
        Change::AssociateGatewayEndpoint { endpoint_id, .. }
        | Change::EnableEndpointPrivateDns { endpoint_id }
        | Change::AddEndpointSubnets { endpoint_id, .. }
        | Change::DeleteVpcEndpoint { endpoint_id } => endpoint(endpoint_id),
        Change::DeleteNatGateway { nat_gateway_id } => {
            in_vpc_of(&snapshot.nat_gateways, nat_gateway_id, |n| {
                (&n.id, &n.vpc_id)
            })
        }
        Change::AuthorizeEgress { group_id, .. }
        | Change::AuthorizeIngress { group_id, .. }
        | Change::RevokeEgress { group_id, .. }
        | Change::RevokeIngress { group_id, .. } => group(group_id),
        Change::AllowNaclEntry { network_acl_id, .. } => {
            in_vpc_of(&snapshot.network_acls, network_acl_id, |a| {
                (&a.id, &a.vpc_id)
            })
        }
        Change::EnableAssignPublicIp { cluster, service } => {
            Some(Reach::Service(format!("{cluster}/{service}")))
        }
        Change::AttachRolePolicy { role_name, .. } | Change::DetachRolePolicy { role_name, .. } => {
            Some(Reach::Role(role_name.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{audit_workloads, AuditOptions};
    use crate::fix::DnsAttribute;
    use crate::model::load_snapshot;
    use crate::workload::select_workloads;

    fn audited(name: &str) -> (Snapshot, Vec<WorkloadResult>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios")
            .join(name);
        let snapshot = load_snapshot(&path).expect("fixture loads");
        let workloads = select_workloads(&snapshot, None, &[]).expect("workloads");
        let results = audit_workloads(&snapshot, &workloads, &AuditOptions::default());
        (snapshot, results)
    }

    #[test]
    fn a_change_touches_the_workloads_of_its_vpc_only() {
        let (snapshot, results) = audited("healthy-nat.json");
        let placements = Placements::of(&results, &snapshot);
        let names: HashSet<String> = results.iter().map(WorkloadResult::name).collect();
        let vpc = snapshot.vpcs.as_ref().unwrap()[0].id.clone();
        let table = snapshot.route_tables.as_ref().unwrap()[0].id.clone();
        let in_vpc = placements.touched_by(
            &[Change::EnableVpcDns {
                vpc_id: vpc,
                attribute: DnsAttribute::DnsSupport,
            }],
            &[&snapshot],
        );
        assert_eq!(in_vpc.as_ref(), Some(&names));
        let by_table = placements.touched_by(
            &[Change::DeleteRoute {
                route_table_id: table,
                destination: "0.0.0.0/0".into(),
            }],
            &[&snapshot],
        );
        assert_eq!(by_table.as_ref(), Some(&names));
        let elsewhere = placements.touched_by(
            &[Change::EnableVpcDns {
                vpc_id: "vpc-0another00000000".into(),
                attribute: DnsAttribute::DnsSupport,
            }],
            &[&snapshot],
        );
        assert_eq!(elsewhere, Some(HashSet::new()));
        // A resource the snapshots do not hold may be anywhere: every workload.
        let unknown = placements.touched_by(
            &[Change::DeleteVpcEndpoint {
                endpoint_id: "vpce-0unknown000000000".into(),
            }],
            &[&snapshot],
        );
        assert_eq!(unknown, None);
    }

    #[test]
    fn a_role_change_touches_the_fargate_workloads_of_that_role() {
        let (snapshot, results) = audited("healthy-nat.json");
        let placements = Placements::of(&results, &snapshot);
        let role = snapshot.task_definitions.as_ref().unwrap()[0]
            .execution_role_arn
            .clone()
            .unwrap();
        let name = role.rsplit('/').next().unwrap().to_string();
        let touched = placements
            .touched_by(
                &[Change::AttachRolePolicy {
                    role_name: name,
                    policy_arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly".into(),
                }],
                &[&snapshot],
            )
            .expect("a role's reach is known");
        assert!(!touched.is_empty());
        let other = placements
            .touched_by(
                &[Change::AttachRolePolicy {
                    role_name: "someone-else".into(),
                    policy_arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly".into(),
                }],
                &[&snapshot],
            )
            .expect("a role's reach is known");
        assert!(other.is_empty(), "{other:?}");
    }
}
