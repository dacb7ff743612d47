//! EKS: the cluster (VPC, subnets, cluster security group, endpoint access), its managed node
//! groups (subnets, node role) and Fargate profiles (selectors, subnets, pod execution role).
//! Read-only: DescribeCluster, ListNodegroups, DescribeNodegroup, ListFargateProfiles,
//! DescribeFargateProfile. A denied or failed read is a coverage gap (`node_groups` or
//! `fargate_profiles` then not read), never a guess.

use futures::future::try_join_all;

use super::calls::{attempt, attempt_found, Call, CollectError, Session};
use crate::model::{EksCluster, FargateProfile, FargateSelector, NodeGroup};

fn call(operation: &'static str, action: &'static str, collection: &'static str) -> Call {
    Call {
        service: "eks",
        operation,
        action,
        collection,
    }
}

/// The EKS cluster `name`; `Ok(None)` when it could not be read (a gap says why) or does not
/// exist (`Err` then: the name is bad input).
pub async fn cluster(
    client: &aws_sdk_eks::Client,
    session: &Session,
    name: &str,
) -> Result<Option<EksCluster>, CollectError> {
    let found = attempt_found(
        session,
        call("DescribeCluster", "eks:DescribeCluster", "eks_clusters"),
        "ResourceNotFoundException",
        client.describe_cluster().name(name).send(),
    )
    .await?;
    let cluster = match found {
        None => return Ok(None),
        Some(None) => {
            return Err(CollectError::NotFound(format!(
                "EKS cluster `{name}` does not exist in this account and region"
            )))
        }
        Some(Some(output)) => match output.cluster().cloned() {
            Some(cluster) => cluster,
            None => return Ok(None),
        },
    };
    let vpc = cluster.resources_vpc_config();
    let (node_groups, fargate_profiles) = tokio::try_join!(
        node_groups(client, session, name),
        fargate_profiles(client, session, name)
    )?;
    Ok(Some(EksCluster {
        name: cluster.name().unwrap_or(name).to_string(),
        arn: cluster.arn().unwrap_or_default().to_string(),
        vpc_id: vpc.and_then(|v| v.vpc_id()).map(str::to_string),
        subnets: vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default(),
        cluster_security_group: vpc
            .and_then(|v| v.cluster_security_group_id())
            .map(str::to_string),
        endpoint_public_access: vpc.is_some_and(|v| v.endpoint_public_access()),
        endpoint_private_access: vpc.is_some_and(|v| v.endpoint_private_access()),
        node_groups,
        fargate_profiles,
    }))
}

async fn node_groups(
    client: &aws_sdk_eks::Client,
    session: &Session,
    cluster: &str,
) -> Result<Option<Vec<NodeGroup>>, CollectError> {
    let Some(names) = attempt(
        session,
        call("ListNodegroups", "eks:ListNodegroups", "eks_clusters"),
        client
            .list_nodegroups()
            .cluster_name(cluster)
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    )
    .await?
    else {
        return Ok(None);
    };
    let groups = try_join_all(names.iter().map(|name| async move {
        attempt(
            session,
            call("DescribeNodegroup", "eks:DescribeNodegroup", "eks_clusters"),
            client
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send(),
        )
        .await
        .map(|got| {
            got.and_then(|o| o.nodegroup().cloned()).map(|g| NodeGroup {
                name: g.nodegroup_name().unwrap_or(name).to_string(),
                node_role: g.node_role().unwrap_or_default().to_string(),
                subnets: g.subnets().to_vec(),
            })
        })
    }))
    .await?;
    Ok(groups.into_iter().collect())
}

async fn fargate_profiles(
    client: &aws_sdk_eks::Client,
    session: &Session,
    cluster: &str,
) -> Result<Option<Vec<FargateProfile>>, CollectError> {
    let Some(names) = attempt(
        session,
        call(
            "ListFargateProfiles",
            "eks:ListFargateProfiles",
            "eks_clusters",
        ),
        client
            .list_fargate_profiles()
            .cluster_name(cluster)
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    )
    .await?
    else {
        return Ok(None);
    };
    let profiles = try_join_all(names.iter().map(|name| async move {
        attempt(
            session,
            call(
                "DescribeFargateProfile",
                "eks:DescribeFargateProfile",
                "eks_clusters",
            ),
            client
                .describe_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(name)
                .send(),
        )
        .await
        .map(|got| {
            got.and_then(|o| o.fargate_profile().cloned())
                .map(|p| FargateProfile {
                    name: p.fargate_profile_name().unwrap_or(name).to_string(),
                    pod_execution_role: p.pod_execution_role_arn().unwrap_or_default().to_string(),
                    subnets: p.subnets().to_vec(),
                    selectors: p
                        .selectors()
                        .iter()
                        .map(|s| FargateSelector {
                            namespace: s.namespace().unwrap_or_default().to_string(),
                            labels: s
                                .labels()
                                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                                .unwrap_or_default(),
                        })
                        .collect(),
                })
        })
    }))
    .await?;
    Ok(profiles.into_iter().collect())
}
