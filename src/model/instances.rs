//! EC2 instances and instance profiles: where the container agent of an EC2-hosted task runs,
//! and the role it calls AWS with.

use serde::{Deserialize, Serialize};

/// An EC2 instance as the pull path sees it: its primary network interface.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    /// `running`, `stopped`…
    pub state: String,
    /// The primary network interface's subnet (absent for an instance not in a VPC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// The primary network interface's security groups.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The public IPv4 address, if the primary interface has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    /// `x86_64`, `arm64`… (EC2 `Instance.Architecture`): the platform its agent pulls for.
    /// `None`: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// `linux` or `windows` (from EC2 `Instance.PlatformDetails`). `None`: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The instance profile the instance was launched with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile_arn: Option<String>,
}

/// An instance profile and the role it passes to the instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub arn: String,
    pub name: String,
    /// ARNs of its roles (a profile holds at most one).
    #[serde(default)]
    pub role_arns: Vec<String>,
}
