//! Lookups by id over the snapshot's IAM and ECR lists, built once per audit so each workload
//! costs map lookups, not scans of every role, policy and repository.

use std::collections::HashMap;
use std::rc::Rc;

use crate::graph::organization;
use crate::model::{
    parameter_arn, Instance, InstanceProfile, ManagedPolicy, PullThroughCacheRule, Repository,
    Role, SecretMetadata, Snapshot, SsmParameter,
};
use crate::policy::keys::Organization;
use crate::policy::Policy;

pub struct Catalog<'a> {
    pub snapshot: &'a Snapshot,
    /// `None`: roles were not collected.
    roles: Option<HashMap<&'a str, &'a Role>>,
    managed_policies: HashMap<&'a str, &'a ManagedPolicy>,
    /// Keyed by (registry id, region, name). `None`: repositories were not collected.
    repositories: Option<HashMap<(&'a str, &'a str, &'a str), &'a Repository>>,
    /// Keyed by full and by partial ARN. `None`: secrets were not collected.
    secrets: Option<HashMap<String, &'a SecretMetadata>>,
    /// Keyed by ARN. `None`: parameters were not collected.
    parameters: Option<HashMap<String, &'a SsmParameter>>,
    /// `None`: EC2 instances were not collected.
    instances: Option<HashMap<&'a str, &'a Instance>>,
    /// `None`: instance profiles were not collected.
    instance_profiles: Option<HashMap<&'a str, &'a InstanceProfile>>,
    /// Every policy document, parsed once: managed policies by ARN, each role's inline
    /// policies and trust policy by role ARN, repository policies by repository ARN.
    managed_documents: HashMap<&'a str, Rc<Policy>>,
    inline_documents: HashMap<&'a str, Vec<Rc<Policy>>>,
    trust_documents: HashMap<&'a str, Rc<Policy>>,
    repository_documents: HashMap<String, Rc<Policy>>,
    pub organization: Organization,
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
            secrets: snapshot.secrets.as_ref().map(|secrets| {
                secrets
                    .iter()
                    .flat_map(|s| {
                        s.partial_arn()
                            .into_iter()
                            .chain([s.arn.clone()])
                            .map(move |arn| (arn, s))
                    })
                    .collect()
            }),
            parameters: snapshot.ssm_parameters.as_ref().map(|parameters| {
                parameters
                    .iter()
                    .flat_map(|p| {
                        // By its ARN, and by the ARN its name gives (ECS names it either way).
                        let (region, account) = arn_region_account(&p.arn);
                        [p.arn.clone(), parameter_arn(&p.name, account, region)]
                            .into_iter()
                            .map(move |arn| (arn, p))
                    })
                    .collect()
            }),
            instances: snapshot
                .instances
                .as_ref()
                .map(|instances| instances.iter().map(|i| (i.id.as_str(), i)).collect()),
            instance_profiles: snapshot
                .instance_profiles
                .as_ref()
                .map(|profiles| profiles.iter().map(|p| (p.arn.as_str(), p)).collect()),
            managed_documents: snapshot
                .managed_policies
                .iter()
                .flatten()
                .map(|p| (p.arn.as_str(), Rc::new(Policy::parse(&p.arn, &p.document))))
                .collect(),
            inline_documents: snapshot
                .roles
                .iter()
                .flatten()
                .map(|r| {
                    let inline = r
                        .inline_policies
                        .iter()
                        .map(|p| Rc::new(Policy::parse(&p.name, &p.document)))
                        .collect();
                    (r.arn.as_str(), inline)
                })
                .collect(),
            trust_documents: snapshot
                .roles
                .iter()
                .flatten()
                .map(|r| {
                    let name = format!("trust policy of {}", r.name);
                    (
                        r.arn.as_str(),
                        Rc::new(Policy::parse(name, &r.assume_role_policy)),
                    )
                })
                .collect(),
            repository_documents: snapshot
                .ecr_repositories
                .iter()
                .flatten()
                .filter_map(|r| {
                    let document = r.policy.as_ref()?;
                    let name = format!("repository policy of {}", r.name);
                    Some((r.arn(), Rc::new(Policy::parse(name, document))))
                })
                .collect(),
            organization: organization(snapshot),
        }
    }

    /// A role's identity policies, parsed: its inline policies, then the attached managed
    /// ones the snapshot has; and the ARNs of attached policies it lacks.
    pub fn role_policies(&self, role: &Role) -> (Vec<Rc<Policy>>, Vec<String>) {
        let mut policies = self
            .inline_documents
            .get(role.arn.as_str())
            .cloned()
            .unwrap_or_default();
        let mut missing = Vec::new();
        for arn in &role.attached_policy_arns {
            match self.managed_documents.get(arn.as_str()) {
                Some(policy) => policies.push(Rc::clone(policy)),
                None => missing.push(arn.clone()),
            }
        }
        (policies, missing)
    }

    /// A role's trust policy, parsed.
    pub fn trust_policy(&self, role: &Role) -> Rc<Policy> {
        self.trust_documents
            .get(role.arn.as_str())
            .cloned()
            .unwrap_or_else(|| {
                Rc::new(Policy::parse(
                    format!("trust policy of {}", role.name),
                    &role.assume_role_policy,
                ))
            })
    }

    /// A repository's policy, parsed; `None`: it has none.
    pub fn repository_policy(&self, repository: &Repository) -> Option<Rc<Policy>> {
        repository.policy.as_ref()?;
        Some(
            self.repository_documents
                .get(&repository.arn())
                .cloned()
                .unwrap_or_else(|| {
                    Rc::new(Policy::parse(
                        format!("repository policy of {}", repository.name),
                        repository.policy.as_ref().expect("checked above"),
                    ))
                }),
        )
    }

    /// The pull-through cache rule serving `repository` of `registry`/`region`. `None`: the
    /// rules were not read; `Some(None)`: no rule serves it.
    pub fn pull_through_rule(
        &self,
        registry: &str,
        region: &str,
        repository: &str,
    ) -> Option<Option<&'a PullThroughCacheRule>> {
        self.snapshot
            .ecr_pull_through_cache_rules
            .as_ref()
            .map(|rules| {
                rules.iter().find(|r| {
                    r.registry_id == registry && r.region == region && r.serves(repository)
                })
            })
    }

    /// `None`: instances were not collected; `Some(None)`: collected, and not among them.
    pub fn instance(&self, id: &str) -> Option<Option<&'a Instance>> {
        self.instances
            .as_ref()
            .map(|instances| instances.get(id).copied())
    }

    /// `None`: instance profiles were not collected; `Some(None)`: not among them.
    pub fn instance_profile(&self, arn: &str) -> Option<Option<&'a InstanceProfile>> {
        self.instance_profiles
            .as_ref()
            .map(|profiles| profiles.get(arn).copied())
    }

    /// The secret a `valueFrom` / `credentialsParameter` ARN (full or partial) names. `None`:
    /// secrets were not collected; `Some(None)`: not among them.
    pub fn secret(&self, arn: &str) -> Option<Option<&'a SecretMetadata>> {
        self.secrets
            .as_ref()
            .map(|secrets| secrets.get(arn).copied())
    }

    /// The parameter an ARN names. `None`: parameters were not collected; `Some(None)`: not
    /// among them.
    pub fn parameter(&self, arn: &str) -> Option<Option<&'a SsmParameter>> {
        self.parameters
            .as_ref()
            .map(|parameters| parameters.get(arn).copied())
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

/// The region and account of an ARN (`arn:aws:SERVICE:REGION:ACCOUNT:…`).
fn arn_region_account(arn: &str) -> (&str, &str) {
    let mut parts = arn.split(':').skip(3);
    (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
}
