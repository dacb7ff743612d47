//! Lookups by id over the snapshot's IAM and ECR lists, built once per audit so each workload
//! costs map lookups, not scans of every role, policy and repository.

use std::collections::HashMap;

use crate::model::{ManagedPolicy, Repository, Role, Snapshot};

pub struct Catalog<'a> {
    pub snapshot: &'a Snapshot,
    /// `None`: roles were not collected.
    roles: Option<HashMap<&'a str, &'a Role>>,
    managed_policies: HashMap<&'a str, &'a ManagedPolicy>,
    /// Keyed by (registry id, region, name). `None`: repositories were not collected.
    repositories: Option<HashMap<(&'a str, &'a str, &'a str), &'a Repository>>,
}

impl<'a> Catalog<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        Catalog {
            snapshot,
            roles: snapshot
                .roles
                .as_ref()
                .map(|roles| roles.iter().map(|r| (r.arn.as_str(), r)).collect()),
            managed_policies: snapshot
                .managed_policies
                .iter()
                .flatten()
                .map(|p| (p.arn.as_str(), p))
                .collect(),
            repositories: snapshot.ecr_repositories.as_ref().map(|repositories| {
                repositories
                    .iter()
                    .map(|r| {
                        (
                            (r.registry_id.as_str(), r.region.as_str(), r.name.as_str()),
                            r,
                        )
                    })
                    .collect()
            }),
        }
    }

    /// `None`: roles were not collected; `Some(None)`: collected, and this one does not exist.
    pub fn role(&self, arn: &str) -> Option<Option<&'a Role>> {
        self.roles.as_ref().map(|roles| roles.get(arn).copied())
    }

    pub fn managed_policy(&self, arn: &str) -> Option<&'a ManagedPolicy> {
        self.managed_policies.get(arn).copied()
    }

    /// `None`: repositories were not collected; `Some(None)`: collected, and not among them.
    pub fn repository(
        &self,
        registry: &str,
        region: &str,
        name: &str,
    ) -> Option<Option<&'a Repository>> {
        self.repositories
            .as_ref()
            .map(|repositories| repositories.get(&(registry, region, name)).copied())
    }
}
