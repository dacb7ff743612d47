//! The AWS side of a Kubernetes cluster: what its pods' pulls depend on in the account — the
//! nodes' EC2 instances and instance profiles, the EKS cluster's node groups and Fargate
//! profiles, the network of every subnet a pod pulls from, the roles that pull, and the ECR
//! repositories of the pods' images. Scoped to the cluster as `collect` is to ECS services:
//! each distinct resource is read once, independent reads run together.

use std::collections::BTreeSet;

use super::calls::{CollectError, Session};
use super::{
    caller_account, distrust, ec2, ecr, eks, iam, instances, network_snapshot, organization, Aws,
};
use crate::model::{EcrImage, ImageRef, KubeCluster, Snapshot};

/// Reads the AWS side of `cluster` (already read from Kubernetes) into a snapshot that holds
/// the cluster too. `eks_cluster`: the EKS cluster it is, for its Fargate profiles (default:
/// the one the kubeconfig names, `cluster.eks_cluster`).
pub async fn collect_kube_side(
    aws: &Aws,
    mut cluster: KubeCluster,
    eks_cluster: Option<&str>,
) -> Result<Snapshot, CollectError> {
    let region = aws.region().ok_or_else(|| {
        CollectError::Config(
            "no AWS region: pass --region, set AWS_REGION, or give the profile a region".into(),
        )
    })?;
    let session = Session::new(aws.concurrency);
    let account = caller_account(aws, &session).await?;
    // `--eks-cluster`, else the EKS cluster the kubeconfig names.
    if let Some(name) = eks_cluster {
        cluster.eks_cluster = Some(name.to_string());
    }
    let eks = match cluster.eks_cluster.as_deref() {
        Some(name) => eks::cluster(&aws.eks(), &session, name).await?,
        None => None,
    };
    let ids: BTreeSet<String> = cluster
        .nodes
        .iter()
        .flatten()
        .filter_map(|n| n.instance_id().map(str::to_string))
        .collect();
    let found = if ids.is_empty() {
        Some(Vec::new())
    } else {
        instances::instances(&aws.ec2(), &session, &ids).await?
    };
    let profile_arns: BTreeSet<String> = found
        .iter()
        .flatten()
        .filter_map(|i| i.instance_profile_arn.clone())
        .collect();
    let profiles = instances::instance_profiles(&aws.iam(), &session, &profile_arns).await?;
    let fargate = eks.iter().flat_map(|e| e.fargate_profiles.iter().flatten());
    let subnets: BTreeSet<String> = found
        .iter()
        .flatten()
        .filter_map(|i| i.subnet_id.clone())
        .chain(fargate.clone().flat_map(|p| p.subnets.iter().cloned()))
        .collect();
    let roles: BTreeSet<String> = profiles
        .iter()
        .flatten()
        .flat_map(|p| p.role_arns.iter().cloned())
        .chain(fargate.map(|p| p.pod_execution_role.clone()))
        .collect();
    let images: Vec<EcrImage> = cluster
        .workloads
        .iter()
        .flatten()
        .flat_map(|w| w.containers.iter())
        .filter_map(|c| match ImageRef::parse(&c.image) {
            ImageRef::Ecr(image) => Some(image),
            ImageRef::Other(_) => None,
        })
        .collect();
    let ec2_client = aws.ec2();
    let iam_client = aws.iam();
    let (network, (roles, managed_policies), (repositories, rules), organization) = tokio::try_join!(
        ec2::network(&ec2_client, &session, &region, &subnets),
        iam::roles(&iam_client, &session, &aws.iam, &account, &roles),
        async {
            let repositories = ecr::repositories(aws, &session, &account, &images).await?;
            let rules =
                ecr::pull_through_rules(aws, &session, &account, &images, repositories.as_deref())
                    .await?;
            Ok((repositories, rules))
        },
        organization::organization(aws, &session, &account),
    )?;
    let mut snapshot = Snapshot {
        roles,
        managed_policies,
        organization,
        ecr_repositories: repositories,
        ecr_pull_through_cache_rules: rules,
        instances: found,
        instance_profiles: profiles,
        // Asked for and not read (a gap says why): not collected, never "none".
        eks_clusters: eks.map(|e| vec![e]),
        kube_clusters: Some(vec![cluster]),
        ..network_snapshot(account, region, network)
    };
    distrust::reconcile(&mut snapshot, &session).map_err(|problem| CollectError::Api {
        service: "pullpath".into(),
        operation: "collect".into(),
        code: "Inconsistent".into(),
        message: format!("the collected snapshot is inconsistent: {problem}"),
        request_id: None,
    })?;
    snapshot.coverage_gaps = session.take();
    Ok(snapshot)
}
