//! What the launch decides: which role makes each call, which calls start outside the VPC,
//! and what ECS refuses before any pull (a public IP on EC2, a platform version too old).

use super::execution_role::RoleKind;
use super::origins::label_of;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{AssignPublicIp, TaskDefinition};
use crate::workload::{Launch, Target, Workload};

/// Which role makes a call. On Fargate the execution role makes them all. On EC2 the agent
/// uses the execution role when the task definition has one, for ECR and for Docker's awslogs
/// driver alike (the agent's `UseExecutionRole` and execution-role logs auth); without one, the
/// instance's role makes those calls. Secrets and registry credentials always need the
/// execution role.
pub(super) fn who_calls(launch: &Launch, target: Target, has_execution_role: bool) -> RoleKind {
    match (launch, target) {
        (Launch::Ec2 { .. }, Target::Logs | Target::EcrApi | Target::EcrDkr | Target::S3Layers)
            if !has_execution_role =>
        {
            RoleKind::Instance
        }
        _ => RoleKind::Execution,
    }
}

/// Fargate platform versions before 1.4.0 make the ECR auth call from Fargate's own network,
/// not through the task's interface (only `ecr.dkr` and S3 need a path from the VPC).
pub(super) fn auth_outside_vpc(launch: &Launch, target: Target) -> bool {
    matches!(launch, Launch::Fargate { platform_version } if target == Target::EcrApi && platform_before(platform_version, (1, 4)))
}

/// Before 1.4.0 Fargate also made the secrets and awslogs calls from its own interface in the
/// task's subnet, not the task's (AWS lists the Secrets Manager and SSM endpoints as new needs
/// of 1.4.0): whether the task's security groups and endpoints apply is not documented, so
/// what blocks those paths is unknown, not a failure.
pub(super) fn path_uncertain(launch: &Launch, target: Target) -> bool {
    matches!(launch, Launch::Fargate { platform_version } if matches!(target, Target::Secretsmanager | Target::Ssm | Target::Logs) && platform_before(platform_version, (1, 4)))
}

/// Whether a Secrets Manager `valueFrom` names a JSON key, version stage or version id
/// (`arn:aws:secretsmanager:R:A:secret:NAME:json-key:version-stage:version-id`; "if you do
/// not use them, you must include the colons" — empty parts name nothing).
fn names_json_key_or_version(value_from: &str) -> bool {
    let parts: Vec<&str> = value_from.split(':').collect();
    parts.len() > 7
        && parts.get(2) == Some(&"secretsmanager")
        && parts[7..].iter().any(|p| !p.is_empty())
}

/// Whether `version` (`1.3.0`) is an explicit platform version older than `major.minor`
/// (`LATEST` and unparsable versions are not).
fn platform_before(version: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = version.split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b))) => (a, b) < (major, minor),
        _ => false,
    }
}

/// Blockers of the launch itself: a public IP ECS refuses on EC2, a Fargate platform version
/// too old for the task definition's features.
pub(super) fn launch_blockers(
    workload: &Workload<'_>,
    task_definition: &TaskDefinition,
) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    let label = label_of(workload);
    match &workload.launch {
        Launch::Ec2 { .. } => {
            let awsvpc = task_definition.network_mode.as_deref() == Some("awsvpc");
            if awsvpc
                && workload
                    .placement
                    .is_some_and(|p| p.assign_public_ip == AssignPublicIp::Enabled)
            {
                blockers.push(Blocker::new(
                    Code::AssignPublicIpUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on EC2 with assignPublicIp ENABLED: ECS refuses it (\"Assign public IP is not supported for this launch type\"); awsvpc interfaces on EC2 never get a public IP, and the image is pulled over the instance's own interface"),
                    "Set assignPublicIp to DISABLED in the service's awsvpcConfiguration (aws ecs update-service --network-configuration 'awsvpcConfiguration={subnets=[...],securityGroups=[...],assignPublicIp=DISABLED}').",
                ));
            }
        }
        Launch::Fargate { platform_version } => {
            // Windows tasks have their own platform versions (1.0.0), which support all of it.
            if task_definition.runs_windows() {
                return blockers;
            }
            let known = platform_version.eq_ignore_ascii_case("LATEST")
                || ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
                    .contains(&platform_version.as_str());
            let containers = &task_definition.container_definitions;
            let uses_secrets = containers.iter().any(|c| !c.secrets.is_empty());
            // "To inject a specific JSON key or version of a secret … you must use platform
            // version 1.4.0 or later (Linux)" (ECS Developer Guide, "Pass Secrets Manager
            // secrets through Amazon ECS environment variables").
            let versioned = containers
                .iter()
                .flat_map(|c| &c.secrets)
                .map(|s| s.value_from.as_str())
                .find(|v| names_json_key_or_version(v));
            let uses_credentials = containers
                .iter()
                .any(|c| c.repository_credentials.is_some());
            let fix = "Run on platform version 1.4.0 or LATEST (aws ecs update-service --platform-version LATEST --force-new-deployment).";
            if !known {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} asks for Fargate platform version `{platform_version}`, which does not exist for Linux (1.0.0 to 1.4.0, or LATEST)"),
                    fix,
                ));
            } else if let Some(secret) =
                versioned.filter(|_| platform_before(platform_version, (1, 4)))
            {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on Fargate platform version {platform_version}, but secret `{secret}` names a JSON key or version (…:json-key:version-stage:version-id), which needs 1.4.0 or later"),
                    fix,
                ));
            } else if uses_secrets && platform_before(platform_version, (1, 3)) {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on Fargate platform version {platform_version}, but the task definition's secrets need 1.3.0 or later"),
                    fix,
                ));
            } else if uses_credentials && platform_before(platform_version, (1, 2)) {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on Fargate platform version {platform_version}, but repositoryCredentials (private registry authentication) need 1.2.0 or later"),
                    fix,
                ));
            }
        }
        Launch::External { .. } => {}
    }
    blockers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_and_versions_are_recognised() {
        let base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";
        assert!(!names_json_key_or_version(base));
        assert!(!names_json_key_or_version(&format!("{base}:::")));
        assert!(names_json_key_or_version(&format!("{base}:password::")));
        assert!(names_json_key_or_version(&format!("{base}::AWSPREVIOUS:")));
        assert!(names_json_key_or_version(&format!("{base}:::abc-123")));
        assert!(!names_json_key_or_version(
            "arn:aws:ssm:us-east-1:123456789012:parameter/a:b:c:d"
        ));
    }
}
