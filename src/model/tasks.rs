//! Tasks that stopped: what ECS said about them and where they ran. Read by `diagnose`.

use serde::{Deserialize, Serialize};

use super::ecs::LaunchType;

/// A stopped task, as `DescribeTasks` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoppedTask {
    pub arn: String,
    /// The cluster's name.
    pub cluster: String,
    /// `service:NAME` for a service's task, `family:NAME` for a task run on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The deployment id (`ecs-svc/…`) for a service's task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    pub task_definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// `STOPPED` for a stopped task; a task named with `diagnose --task` may still be
    /// `PENDING` or `RUNNING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    /// e.g. `TaskFailedToStart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    #[serde(default)]
    pub containers: Vec<StoppedContainer>,
    /// The task ENI (awsvpc), from the task's attachment details. They name the subnet but not
    /// the security groups: those come from the deployment that started the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface: Option<TaskNetworkInterface>,
}

impl StoppedTask {
    /// The service this task belongs to, from its group.
    pub fn service(&self) -> Option<&str> {
        self.group.as_deref()?.strip_prefix("service:")
    }

    /// The task id: the last part of the ARN.
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoppedContainer {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskNetworkInterface {
    pub subnet_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
}
