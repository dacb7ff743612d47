//! Where a task's network interface sits: the starting point of every path.

use crate::model::{SecurityGroup, Subnet, Vpc};
use crate::policy::Caller;

use super::index::NetworkIndex;

/// One subnet a workload's tasks may be placed in, with everything a hop check needs.
pub struct Placement<'i, 'a> {
    pub index: &'i NetworkIndex<'a>,
    /// The region of the VPC (the snapshot's region).
    pub region: &'a str,
    pub vpc: &'a Vpc,
    pub subnet: &'a Subnet,
    /// All subnets of the workload, for fixes that create endpoints.
    pub workload_subnets: Vec<String>,
    pub security_groups: Vec<&'a SecurityGroup>,
    pub public_ip: bool,
    /// The public address, where it is known before launch (an EC2 instance's); a task's is
    /// assigned when it starts.
    pub public_address: Option<String>,
    /// The identity the calls are made with (execution role), for endpoint policies.
    pub caller: Caller,
}

// Nothing here names the workload: a path's verdict depends only on where the task sits and
// who calls, so workloads placed alike share it (see `checks::PathCache`).

impl Placement<'_, '_> {
    pub fn group_ids(&self) -> Vec<String> {
        self.security_groups.iter().map(|g| g.id.clone()).collect()
    }

    /// The task's security groups for a message: "sg-a" or "sg-a, sg-b".
    pub fn group_list(&self) -> String {
        self.group_ids().join(", ")
    }

    /// The resource a security-group fix applies to (the first group).
    pub fn first_group(&self) -> String {
        self.security_groups
            .first()
            .map_or_else(|| self.subnet.id.clone(), |g| g.id.clone())
    }
}
