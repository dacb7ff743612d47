//! EC2 hosts of the clusters whose services run on EC2: the registered container instances,
//! their EC2 instances (primary network interface, instance profile) and the instance
//! profiles' roles. Fargate-only clusters cost no call here.

use std::collections::BTreeSet;

use futures::future::try_join_all;

use super::calls::{attempt, attempt_found, distrust, Call, CollectError, Session};
use super::distrust::{answers_exactly, trusted};
use super::ecs::call as ecs_call;
use crate::model::{ContainerInstance, Instance, InstanceProfile};

/// DescribeContainerInstances takes at most 100 a call.
const CONTAINER_INSTANCES_PER_CALL: usize = 100;
/// Instance ids per DescribeInstances call (the API takes up to 1,000 with pagination).
const INSTANCES_PER_CALL: usize = 200;

/// The cluster's container instances (every status: the audit keeps the `ACTIVE` ones), or
/// `None` when a call was denied.
pub async fn container_instances(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    cluster_arn: &str,
) -> Result<Option<Vec<ContainerInstance>>, CollectError> {
    let listing = client
        .list_container_instances()
        .cluster(cluster_arn)
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let call = ecs_call(
        "ListContainerInstances",
        "ecs:ListContainerInstances",
        "container_instances",
    );
    let Some(arns) = attempt(session, call, listing).await? else {
        return Ok(None);
    };
    let batches = arns.chunks(CONTAINER_INSTANCES_PER_CALL).map(|chunk| {
        let request = client
            .describe_container_instances()
            .cluster(cluster_arn)
            .set_container_instances(Some(chunk.to_vec()))
            .send();
        let call = ecs_call(
            "DescribeContainerInstances",
            "ecs:DescribeContainerInstances",
            "container_instances",
        );
        attempt(session, call, request)
    });
    let mut found = Vec::new();
    for (asked, output) in arns
        .chunks(CONTAINER_INSTANCES_PER_CALL)
        .zip(try_join_all(batches).await?)
    {
        let call = ecs_call(
            "DescribeContainerInstances",
            "ecs:DescribeContainerInstances",
            "container_instances",
        );
        // ECS answers each instance asked for, described or under `failures` (one
        // deregistered since the listing): an instance dropped from the reply would be a host
        // the audit never sees.
        let answered = output
            .as_ref()
            .map(|o| o.container_instances().len() + o.failures().len());
        if answered.is_some_and(|answered| answered < asked.len()) {
            distrust(
                session,
                call,
                format!(
                    "the reply answers for {} of the {} container instances asked for",
                    answered.unwrap_or_default(),
                    asked.len()
                ),
            );
            return Ok(None);
        }
        let described = output.map(|o| o.container_instances().to_vec());
        let Some(described) = trusted(session, call, described) else {
            return Ok(None);
        };
        found.extend(described.iter().map(|c| ContainerInstance {
            arn: c.container_instance_arn().unwrap_or_default().to_string(),
            ec2_instance_id: c.ec2_instance_id().map(str::to_string),
            status: c.status().unwrap_or_default().to_string(),
            capacity_provider_name: c.capacity_provider_name().map(str::to_string),
            agent_connected: Some(c.agent_connected()),
        }));
    }
    Ok(Some(found))
}

const INSTANCES: Call = Call {
    service: "ec2",
    operation: "DescribeInstances",
    action: "ec2:DescribeInstances",
    collection: "instances",
};

/// The EC2 instances `ids`, as their primary network interface and instance profile show
/// them; `None` when the call was denied.
pub async fn instances(
    client: &aws_sdk_ec2::Client,
    session: &Session,
    ids: &BTreeSet<String>,
) -> Result<Option<Vec<Instance>>, CollectError> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    let batches = ids.chunks(INSTANCES_PER_CALL).map(|chunk| {
        let request = client
            .describe_instances()
            .set_instance_ids(Some(chunk.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(session, INSTANCES, request)
    });
    let mut found = Vec::new();
    for (asked, reservations) in ids
        .chunks(INSTANCES_PER_CALL)
        .zip(try_join_all(batches).await?)
    {
        let instances = reservations.map(|r| {
            r.iter()
                .flat_map(|r| r.instances())
                .cloned()
                .collect::<Vec<_>>()
        });
        let Some(instances) = answers_exactly(session, INSTANCES, asked, instances) else {
            return Ok(None);
        };
        found.extend(instances.iter().map(convert_instance));
    }
    Ok(Some(found))
}

fn convert_instance(instance: &aws_sdk_ec2::types::Instance) -> Instance {
    // The primary interface (device index 0) is the one the agent's traffic leaves by.
    let primary = instance
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
    let security_groups = match primary {
        Some(interface) => interface.groups(),
        None => instance.security_groups(),
    }
    .iter()
    .filter_map(|g| g.group_id().map(str::to_string))
    .collect();
    let public_ip = primary
        .and_then(|n| n.association())
        .and_then(|a| a.public_ip())
        .or(instance.public_ip_address())
        .map(str::to_string);
    Instance {
        id: instance.instance_id().unwrap_or_default().to_string(),
        state: instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        subnet_id: primary
            .and_then(|n| n.subnet_id())
            .or(instance.subnet_id())
            .map(str::to_string),
        security_groups,
        public_ip,
        architecture: instance.architecture().map(|a| a.as_str().to_string()),
        // "Platform: The platform. This value is windows for Windows instances; otherwise
        // blank" (EC2 API Reference, Instance); `PlatformDetails` names it too ("Windows",
        // "Linux/UNIX"…).
        os: Some(
            if instance
                .platform()
                .is_some_and(|p| p.as_str().eq_ignore_ascii_case("windows"))
                || instance
                    .platform_details()
                    .is_some_and(|d| d.to_ascii_lowercase().contains("windows"))
            {
                "windows".into()
            } else {
                "linux".into()
            },
        ),
        instance_profile_arn: instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
    }
}

/// The instance profiles `arns` (iam:GetInstanceProfile by name); `None` when a call was
/// denied. A profile that no longer exists is left out (the audit reports it unknown).
pub async fn instance_profiles(
    client: &aws_sdk_iam::Client,
    session: &Session,
    arns: &BTreeSet<String>,
) -> Result<Option<Vec<InstanceProfile>>, CollectError> {
    let found = try_join_all(arns.iter().map(|arn| async move {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let call = Call {
            service: "iam",
            operation: "GetInstanceProfile",
            action: "iam:GetInstanceProfile",
            collection: "instance_profiles",
        };
        let got = attempt_found(
            session,
            call,
            "NoSuchEntity",
            client
                .get_instance_profile()
                .instance_profile_name(name)
                .send(),
        )
        .await?;
        Ok::<_, CollectError>(got.map(|output| {
            output
                .and_then(|o| o.instance_profile().cloned())
                .map(|p| InstanceProfile {
                    arn: p.arn().to_string(),
                    name: p.instance_profile_name().to_string(),
                    role_arns: p.roles().iter().map(|r| r.arn().to_string()).collect(),
                })
        }))
    }))
    .await?;
    Ok(found
        .into_iter()
        .collect::<Option<Vec<Option<InstanceProfile>>>>()
        .map(|profiles| profiles.into_iter().flatten().collect()))
}
