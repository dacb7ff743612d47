//! Replies that parse but cannot be true are failures, never data. An item without the id
//! AWS always returns, or a reply by ids that answers for fewer (or other) ids than asked — EC2
//! answers `InvalidSubnetID.NotFound` and the like for an id it does not know, ECS lists it
//! under `failures` — means the reply was damaged on the way (or the endpoint is not AWS):
//! taking it as complete could drop the very route, rule or policy that decides a verdict.
//! The call then leaves a coverage gap (kind `suspicious`) naming it and what was wrong, and
//! what it would have filled stays not collected.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::calls::{distrust, Call, Session};
use crate::model::{check_consistency, Snapshot};

/// The fields of a reply item that AWS always fills, by their API names.
pub(super) trait Required {
    fn required(&self) -> Vec<(&'static str, Option<&str>)>;
}

/// The item's id, to match a reply by ids against what was asked.
pub(super) trait Identified {
    fn id(&self) -> Option<&str>;
}

/// `items`, unless an item lacks a required field: then a gap for `call`, and `None`.
pub(super) fn trusted<T: Required>(
    session: &Session,
    call: Call,
    items: Option<Vec<T>>,
) -> Option<Vec<T>> {
    let items = items?;
    for (index, item) in items.iter().enumerate() {
        for (field, value) in item.required() {
            if value.is_none_or(str::is_empty) {
                distrust(
                    session,
                    call,
                    format!("item {index} of the reply has no {field}"),
                );
                return None;
            }
        }
    }
    Some(items)
}

/// `items` answered a request for `asked` ids: each must be answered, and nothing else.
pub(super) fn answers_exactly<T: Identified + Required>(
    session: &Session,
    call: Call,
    asked: &[String],
    items: Option<Vec<T>>,
) -> Option<Vec<T>> {
    let items = trusted(session, call, items)?;
    let got: BTreeSet<&str> = items.iter().filter_map(Identified::id).collect();
    let asked_set: BTreeSet<&str> = asked.iter().map(String::as_str).collect();
    if let Some(missing) = asked_set.difference(&got).next() {
        distrust(
            session,
            call,
            format!("the reply does not answer for {missing}, which was asked for"),
        );
        return None;
    }
    if let Some(extra) = got.difference(&asked_set).next() {
        distrust(
            session,
            call,
            format!("the reply answers for {extra}, which was not asked for"),
        );
        return None;
    }
    Some(items)
}

/// Makes a collected snapshot consistent: while a reference points past a collected list, or
/// a list names an id twice, that list is dropped (not collected) with a gap naming the call
/// that filled it — a list missing an item is the likelier damage than a reference to nothing
/// (EC2 keeps its references consistent: a subnet's route table exists). `Err` when what is
/// wrong is not a list that can be dropped (the clusters, the services).
pub(super) fn reconcile(snapshot: &mut Snapshot, session: &Session) -> Result<(), String> {
    // Each round drops one list; there are fewer lists than this.
    for _ in 0..32 {
        let Err(problem) = check_consistency(snapshot) else {
            return Ok(());
        };
        let Some((collection, call)) = blamed(&problem) else {
            return Err(problem);
        };
        if !snapshot.forget(collection) {
            return Err(problem);
        }
        distrust(session, call, problem);
    }
    check_consistency(snapshot)
}

/// The collection a consistency problem blames, and the call that filled it.
fn blamed(problem: &str) -> Option<(&'static str, Call)> {
    static BLAMED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"which is not in `([a-z_]+)`|^`([a-z_]+)` lists `").expect("a valid pattern")
    });
    let captures = BLAMED.captures(problem)?;
    let name = captures.get(1).or_else(|| captures.get(2))?.as_str();
    FILLED_BY
        .iter()
        .find(|(collection, ..)| *collection == name)
        .map(|&(collection, service, operation, action)| {
            (
                collection,
                Call {
                    service,
                    operation,
                    action,
                    collection,
                },
            )
        })
}

/// Which call fills each list a consistency problem can blame.
const FILLED_BY: [(&str, &str, &str, &str); 19] = [
    ("vpcs", "ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
    ("subnets", "ec2", "DescribeSubnets", "ec2:DescribeSubnets"),
    (
        "route_tables",
        "ec2",
        "DescribeRouteTables",
        "ec2:DescribeRouteTables",
    ),
    (
        "internet_gateways",
        "ec2",
        "DescribeInternetGateways",
        "ec2:DescribeInternetGateways",
    ),
    (
        "nat_gateways",
        "ec2",
        "DescribeNatGateways",
        "ec2:DescribeNatGateways",
    ),
    (
        "vpc_endpoints",
        "ec2",
        "DescribeVpcEndpoints",
        "ec2:DescribeVpcEndpoints",
    ),
    (
        "security_groups",
        "ec2",
        "DescribeSecurityGroups",
        "ec2:DescribeSecurityGroups",
    ),
    (
        "network_acls",
        "ec2",
        "DescribeNetworkAcls",
        "ec2:DescribeNetworkAcls",
    ),
    (
        "prefix_lists",
        "ec2",
        "DescribeManagedPrefixLists",
        "ec2:DescribeManagedPrefixLists",
    ),
    (
        "transit_gateways",
        "ec2",
        "DescribeTransitGateways",
        "ec2:DescribeTransitGateways",
    ),
    (
        "peering_connections",
        "ec2",
        "DescribeVpcPeeringConnections",
        "ec2:DescribeVpcPeeringConnections",
    ),
    (
        "instances",
        "ec2",
        "DescribeInstances",
        "ec2:DescribeInstances",
    ),
    (
        "task_definitions",
        "ecs",
        "DescribeTaskDefinition",
        "ecs:DescribeTaskDefinition",
    ),
    ("roles", "iam", "GetRole", "iam:GetRole"),
    ("managed_policies", "iam", "GetPolicy", "iam:GetPolicy"),
    (
        "instance_profiles",
        "iam",
        "GetInstanceProfile",
        "iam:GetInstanceProfile",
    ),
    (
        "ecr_repositories",
        "ecr",
        "DescribeRepositories",
        "ecr:DescribeRepositories",
    ),
    (
        "secrets",
        "secretsmanager",
        "DescribeSecret",
        "secretsmanager:DescribeSecret",
    ),
    (
        "ssm_parameters",
        "ssm",
        "DescribeParameters",
        "ssm:DescribeParameters",
    ),
];

macro_rules! required {
    ($type:ty, $($field:literal => $getter:ident),+) => {
        impl Required for $type {
            fn required(&self) -> Vec<(&'static str, Option<&str>)> {
                vec![$(($field, self.$getter())),+]
            }
        }
    };
}

macro_rules! identified {
    ($type:ty, $getter:ident) => {
        impl Identified for $type {
            fn id(&self) -> Option<&str> {
                self.$getter()
            }
        }
    };
}

use aws_sdk_ec2::types as ec2;

required!(ec2::Subnet, "SubnetId" => subnet_id, "VpcId" => vpc_id);
identified!(ec2::Subnet, subnet_id);
required!(ec2::Vpc, "VpcId" => vpc_id);
identified!(ec2::Vpc, vpc_id);
// A route's state decides whether it is a blackhole; without it the route is not known.
impl Required for ec2::RouteTable {
    fn required(&self) -> Vec<(&'static str, Option<&str>)> {
        let mut fields = vec![
            ("RouteTableId", self.route_table_id()),
            ("VpcId", self.vpc_id()),
        ];
        for route in self.routes() {
            fields.push(("a route's State", route.state().map(|s| s.as_str())));
        }
        fields
    }
}
required!(ec2::InternetGateway, "InternetGatewayId" => internet_gateway_id);
required!(ec2::NatGateway, "NatGatewayId" => nat_gateway_id, "VpcId" => vpc_id, "SubnetId" => subnet_id);
required!(ec2::VpcEndpoint, "VpcEndpointId" => vpc_endpoint_id, "VpcId" => vpc_id, "ServiceName" => service_name);
// A rule without its protocol would read as "all traffic".
impl Required for ec2::SecurityGroup {
    fn required(&self) -> Vec<(&'static str, Option<&str>)> {
        let mut fields = vec![("GroupId", self.group_id()), ("VpcId", self.vpc_id())];
        for rule in self
            .ip_permissions()
            .iter()
            .chain(self.ip_permissions_egress())
        {
            fields.push(("a rule's IpProtocol", rule.ip_protocol()));
        }
        fields
    }
}
// An entry without its number, direction, protocol or action cannot be placed or judged:
// dropping it could drop the deny that decides.
impl Required for ec2::NetworkAcl {
    fn required(&self) -> Vec<(&'static str, Option<&str>)> {
        let mut fields = vec![
            ("NetworkAclId", self.network_acl_id()),
            ("VpcId", self.vpc_id()),
        ];
        let present = |set: bool| set.then_some("present");
        for entry in self.entries() {
            fields.extend([
                (
                    "an entry's RuleNumber",
                    present(entry.rule_number().is_some()),
                ),
                ("an entry's Egress", present(entry.egress().is_some())),
                ("an entry's Protocol", entry.protocol()),
                (
                    "an entry's RuleAction",
                    entry.rule_action().map(|a| a.as_str()),
                ),
            ]);
        }
        fields
    }
}
required!(ec2::DhcpOptions, "DhcpOptionsId" => dhcp_options_id);
identified!(ec2::DhcpOptions, dhcp_options_id);
required!(ec2::ManagedPrefixList, "PrefixListId" => prefix_list_id);
identified!(ec2::ManagedPrefixList, prefix_list_id);
required!(ec2::TransitGateway, "TransitGatewayId" => transit_gateway_id);
identified!(ec2::TransitGateway, transit_gateway_id);
required!(ec2::VpcPeeringConnection, "VpcPeeringConnectionId" => vpc_peering_connection_id);
identified!(ec2::VpcPeeringConnection, vpc_peering_connection_id);
required!(ec2::Instance, "InstanceId" => instance_id);
identified!(ec2::Instance, instance_id);

use aws_sdk_ecs::types as ecs;

required!(ecs::TaskDefinition, "taskDefinitionArn" => task_definition_arn);
// An external (ECS Anywhere) instance has its SSM managed instance id in `ec2InstanceId`
// (ECS API reference, ContainerInstance): every container instance has one, and a status.
required!(ecs::ContainerInstance, "containerInstanceArn" => container_instance_arn, "ec2InstanceId" => ec2_instance_id, "status" => status);

impl Required for ecs::Service {
    fn required(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("serviceName", self.service_name()),
            ("serviceArn", self.service_arn()),
            ("taskDefinition", self.task_definition()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A route table that names a subnet the subnet list lacks: the list is distrusted (not
    /// collected, a gap naming DescribeSubnets), and the snapshot is consistent again.
    #[test]
    fn a_reference_to_nothing_drops_the_list_it_points_into() {
        let mut snapshot: Snapshot = serde_json::from_value(serde_json::json!({
            "snapshot_version": crate::model::SNAPSHOT_VERSION,
            "account_id": "123456789012",
            "region": "us-east-1",
            "vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]}],
            "subnets": [{"id": "subnet-1", "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24"}],
            "route_tables": [{"id": "rtb-1", "vpc_id": "vpc-1", "main": false,
                "subnet_ids": ["subnet-1", "subnet-2"], "routes": []}]
        }))
        .unwrap();
        assert!(check_consistency(&snapshot).is_err());
        let session = Session::default();
        reconcile(&mut snapshot, &session).unwrap();
        assert!(snapshot.subnets.is_none());
        assert!(snapshot.route_tables.is_some());
        let gaps = session.take();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].action, "ec2:DescribeSubnets");
        assert_eq!(gaps[0].kind, crate::model::GapKind::Suspicious);
        assert!(gaps[0].message.contains("subnet-2"), "{}", gaps[0].message);
    }

    const SUBNETS: Call = Call {
        service: "ec2",
        operation: "DescribeSubnets",
        action: "ec2:DescribeSubnets",
        collection: "subnets",
    };

    fn subnet(id: &str) -> ec2::Subnet {
        ec2::Subnet::builder().subnet_id(id).vpc_id("vpc-1").build()
    }

    #[test]
    fn an_item_without_its_id_is_a_suspicious_gap() {
        let session = Session::default();
        let items = vec![
            subnet("subnet-1"),
            ec2::Subnet::builder().vpc_id("vpc-1").build(),
        ];
        assert!(trusted(&session, SUBNETS, Some(items)).is_none());
        let gaps = session.take();
        assert_eq!(gaps[0].kind, crate::model::GapKind::Suspicious);
        assert!(gaps[0].message.contains("SubnetId"), "{}", gaps[0].message);
        assert_eq!(gaps[0].collection, "subnets");
    }

    /// The fields that decide a verdict are required as much as ids: a NACL entry without its
    /// action (dropping it could drop the deny), a security-group rule without its protocol
    /// (it would read as all traffic), a route without its state, a container instance
    /// without its status or instance id (it would vanish from the hosts).
    #[test]
    fn items_missing_a_deciding_field_are_suspicious() {
        let call = |collection| Call {
            service: "ec2",
            operation: "Describe",
            action: "ec2:Describe",
            collection,
        };
        let entry = ec2::NetworkAclEntry::builder()
            .rule_number(90)
            .egress(true)
            .protocol("-1")
            .cidr_block("0.0.0.0/0");
        let acl = |entry: ec2::NetworkAclEntry| {
            ec2::NetworkAcl::builder()
                .network_acl_id("acl-1")
                .vpc_id("vpc-1")
                .entries(entry)
                .build()
        };
        let whole = entry.clone().rule_action(ec2::RuleAction::Deny).build();
        let session = Session::default();
        assert!(trusted(&session, call("network_acls"), Some(vec![acl(whole)])).is_some());
        assert!(trusted(
            &session,
            call("network_acls"),
            Some(vec![acl(entry.build())])
        )
        .is_none());
        assert!(session.take()[0].message.contains("RuleAction"));

        let group = |rule: ec2::IpPermission| {
            ec2::SecurityGroup::builder()
                .group_id("sg-1")
                .vpc_id("vpc-1")
                .ip_permissions_egress(rule)
                .build()
        };
        let session = Session::default();
        let protocolless = ec2::IpPermission::builder()
            .from_port(443)
            .to_port(443)
            .build();
        assert!(trusted(
            &session,
            call("security_groups"),
            Some(vec![group(protocolless)])
        )
        .is_none());
        assert!(session.take()[0].message.contains("IpProtocol"));

        let session = Session::default();
        let table = ec2::RouteTable::builder()
            .route_table_id("rtb-1")
            .vpc_id("vpc-1")
            .routes(
                ec2::Route::builder()
                    .destination_cidr_block("0.0.0.0/0")
                    .build(),
            )
            .build();
        assert!(trusted(&session, call("route_tables"), Some(vec![table])).is_none());
        assert!(session.take()[0].message.contains("State"));

        let session = Session::default();
        let instance = ecs::ContainerInstance::builder()
            .container_instance_arn("arn:aws:ecs:us-east-1:123456789012:container-instance/prod/1")
            .status("ACTIVE")
            .build();
        assert!(trusted(&session, call("container_instances"), Some(vec![instance])).is_none());
        assert!(session.take()[0].message.contains("ec2InstanceId"));
    }

    #[test]
    fn a_reply_by_ids_must_answer_for_each_and_no_other() {
        let asked = vec!["subnet-1".to_string(), "subnet-2".to_string()];
        let session = Session::default();
        let both = vec![subnet("subnet-2"), subnet("subnet-1")];
        assert_eq!(
            answers_exactly(&session, SUBNETS, &asked, Some(both)).map(|s| s.len()),
            Some(2)
        );
        assert!(session.take().is_empty());
        for reply in [
            vec![subnet("subnet-1")],
            vec![subnet("subnet-1"), subnet("subnet-3")],
        ] {
            let session = Session::default();
            assert!(answers_exactly(&session, SUBNETS, &asked, Some(reply)).is_none());
            assert_eq!(session.take()[0].kind, crate::model::GapKind::Suspicious);
        }
        // Not collected stays not collected, without a second gap.
        let session = Session::default();
        assert!(answers_exactly::<ec2::Subnet>(&session, SUBNETS, &asked, None).is_none());
        assert!(session.take().is_empty());
    }
}
