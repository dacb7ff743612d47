//! The request contexts a permission is exercised under: the calling role's own keys, the
//! keys of the resource it calls, and the network keys of each way its call reaches AWS
//! across the workload's placements (through endpoint `vpce-1` from one subnet, through NAT
//! gateway `nat-1` from another). A policy is decided in each; what blocks in any counts.

use std::collections::HashMap;

use crate::graph::add_request_keys;
use crate::model::Snapshot;
use crate::policy::keys::{self, Network};
use crate::policy::{Caller, Context};
use crate::workload::{Carrier, Permission, Requirement, Target};

/// One way a call left: as which role (ARN), by which network.
type Leaving = (Option<String>, Network);

/// How each call of a workload leaves, by calling role.
#[derive(Default)]
pub struct CallNetworks {
    /// By (target, host): each way seen, once.
    by_call: HashMap<(Target, String), Vec<Leaving>>,
}

impl CallNetworks {
    /// Records that `requirement`'s call, made as `caller_arn`, leaves by `network`.
    pub fn add(&mut self, requirement: &Requirement, caller_arn: Option<&str>, network: Network) {
        let seen = self
            .by_call
            .entry((requirement.target, requirement.host.clone()))
            .or_default();
        let entry = (caller_arn.map(str::to_string), network);
        if !seen.contains(&entry) {
            seen.push(entry);
        }
    }

    /// The contexts `permission` of `requirement` is decided in when `caller` makes it.
    pub fn contexts(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        requirement: &Requirement,
        permission: &Permission,
    ) -> Vec<Context> {
        let (target, host) = match &permission.carrier {
            Carrier::Call { target, host } => (*target, host.clone()),
            Carrier::Own | Carrier::OnBehalf(_) => (requirement.target, requirement.host.clone()),
        };
        let mut networks: Vec<&Network> = self
            .by_call
            .get(&(target, host))
            .into_iter()
            .flatten()
            .filter(|(arn, _)| *arn == caller.arn)
            .map(|(_, network)| network)
            .collect();
        let unknown = Network::Unknown {
            why: "where the call starts is not known".into(),
        };
        if networks.is_empty() {
            networks.push(&unknown);
        }
        networks
            .into_iter()
            .map(|network| {
                let mut context = Context::on(&caller.keys);
                add_request_keys(
                    &mut context,
                    snapshot,
                    &requirement.region,
                    &permission.resource,
                );
                match &permission.carrier {
                    Carrier::OnBehalf(service) => {
                        keys::forward_access(&mut context, service, network)
                    }
                    _ => keys::network(&mut context, network),
                }
                context
            })
            .collect()
    }
}
