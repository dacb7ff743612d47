//! `audit --task-definition FILE` and `audit --prefect-yaml FILE --deployment NAME`: one task
//! that is not deployed yet, placed by flags, audited from a snapshot or the live account.

use std::path::Path;

use super::args::{AssignPublicIpArg, AuditArgs, LaunchTypeArg, PreDeployArgs};
use super::Failure;
use crate::collect::Undeployed;
use crate::model::{
    AssignPublicIp, CapacityProviderItem, KubeWorkload, LaunchType, Service, Snapshot,
    TaskDefinition,
};
use crate::predeploy::{prefect_deployment, prefect_kubernetes_job, Placement, PreDeploy};

/// The pre-deploy the flags ask for, checked; `None` for an ordinary audit.
pub fn pre_deploy_of(args: &AuditArgs) -> Result<Option<PreDeploy>, Failure> {
    let flags = &args.pre_deploy;
    if let Some(flag) = flags.stray_placement() {
        return Err(Failure::bad_input(format!(
            "{flag} places a task not deployed yet: give --task-definition FILE or --prefect-yaml FILE --deployment NAME"
        )));
    }
    if !flags.requested() {
        return Ok(None);
    }
    if args.select.cluster.len() > 1 {
        return Err(Failure::bad_input(
            "a pre-deploy audit takes at most one --cluster (the cluster the task will run in)",
        ));
    }
    if args.snapshot.len() > 1 {
        return Err(Failure::bad_input(
            "a pre-deploy audit reads one --snapshot (the account and region it will run in)",
        ));
    }
    let placement = placement_of(flags, args.select.cluster.first().cloned());
    let pre = match (&flags.task_definition, &flags.prefect_yaml) {
        (Some(path), _) => PreDeploy::from_task_file(path, placement),
        (None, Some(path)) => prefect(path, flags, placement),
        (None, None) => unreachable!("requested() checked one is given"),
    };
    let pre = pre.map_err(Failure::bad_input)?;
    for warning in &pre.warnings {
        eprintln!(
            "pullpath: warning: {}",
            crate::report::terminal_text::message(warning)
        );
    }
    Ok(Some(pre))
}

/// The Job a Prefect Kubernetes work-pool deployment (`--prefect-yaml`, `--deployment`)
/// would run, its warnings printed.
pub fn prefect_kube_job(flags: &PreDeployArgs) -> Result<Option<KubeWorkload>, Failure> {
    let Some(path) = &flags.prefect_yaml else {
        return Ok(None);
    };
    refuse_ecs_placement(flags)?;
    let deployment = flags.deployment.as_deref().unwrap_or_default();
    let (job, warnings) = prefect_kubernetes_job(
        path,
        deployment,
        &vars_of(flags).map_err(Failure::bad_input)?,
    )
    .map_err(|e| Failure::bad_input(e.to_string()))?;
    for warning in &warnings {
        eprintln!("pullpath: warning: {warning}");
    }
    Ok(Some(job))
}

/// A Kubernetes pre-deploy's pods run where the cluster places them: the ECS placement flags
/// are bad input there.
pub fn refuse_ecs_placement(flags: &PreDeployArgs) -> Result<(), Failure> {
    if !flags.subnets.is_empty()
        || !flags.security_groups.is_empty()
        || flags.assign_public_ip.is_some()
        || flags.launch_type.is_some()
        || flags.platform_version.is_some()
    {
        return Err(Failure::bad_input(
            "a Kubernetes workload's pods run where the cluster places them: --subnets, --security-groups, --assign-public-ip, --launch-type and --platform-version are for ECS",
        ));
    }
    Ok(())
}

/// `--var KEY=VALUE`, parsed.
fn vars_of(flags: &PreDeployArgs) -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    for var in &flags.vars {
        let (key, value) = var
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| format!("--var `{var}`: expected KEY=VALUE"))?;
        vars.push((key.trim().to_string(), value.to_string()));
    }
    Ok(vars)
}

fn prefect(path: &Path, flags: &PreDeployArgs, placement: Placement) -> Result<PreDeploy, String> {
    let deployment = flags.deployment.as_deref().unwrap_or_default();
    let vars = vars_of(flags)?;
    prefect_deployment(path, deployment, &vars, placement).map_err(|e| e.to_string())
}

/// The placement flags (a Prefect deployment fills what they leave out).
fn placement_of(flags: &PreDeployArgs, cluster: Option<String>) -> Placement {
    Placement {
        cluster,
        subnets: flags.subnets.iter().map(|s| s.trim().to_string()).collect(),
        security_groups: flags
            .security_groups
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
        assign_public_ip: flags.assign_public_ip.map(|p| match p {
            AssignPublicIpArg::Enabled => AssignPublicIp::Enabled,
            AssignPublicIpArg::Disabled => AssignPublicIp::Disabled,
        }),
        launch_type: flags.launch_type.map(|l| match l {
            LaunchTypeArg::Fargate => LaunchType::Fargate,
            LaunchTypeArg::Ec2 => LaunchType::Ec2,
            LaunchTypeArg::External => LaunchType::External,
        }),
        capacity_provider_strategy: Vec::new(),
        platform_version: flags.platform_version.clone(),
    }
}

/// Collection reads what the task to deploy needs through this (collection and `predeploy`
/// are both input stages: neither knows the other).
impl Undeployed for PreDeploy {
    fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    fn task_definition(&self, account: &str, region: &str) -> TaskDefinition {
        PreDeploy::task_definition(self, account, region)
    }

    fn service(
        &self,
        account: &str,
        region: &str,
        cluster: &str,
        cluster_default: &[CapacityProviderItem],
    ) -> Service {
        PreDeploy::service(self, account, region, cluster, cluster_default)
    }

    fn inject(&self, snapshot: &mut Snapshot) -> Result<(), String> {
        PreDeploy::inject(self, snapshot)
    }
}
