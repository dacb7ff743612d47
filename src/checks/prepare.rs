//! What a requirement takes from outside its task definition before it is evaluated: the
//! private route the user declared for a registry host, and the `kms:Decrypt` grants the
//! secrets' KMS keys add to the execution role's permissions.

use super::audit::RequirementResult;
use super::catalog::Catalog;
use super::options::AuditOptions;
use super::secret_keys::kms_permissions;
use crate::blocker::{Blocker, Status};
use crate::workload::{Requirement, Target};

/// Completes `requirement`; returns what keeps part of it unknown (a secret's key that is not
/// known), to add to its result with [`with_blockers`].
pub fn prepare_requirement(
    catalog: &Catalog<'_>,
    options: &AuditOptions,
    requirement: &mut Requirement,
) -> Vec<Blocker> {
    if requirement.target == Target::Registry {
        requirement.route = options.registry_route(&requirement.host);
    }
    let (permissions, unknown) = kms_permissions(catalog, requirement);
    for permission in permissions {
        if !requirement.permissions.contains(&permission) {
            requirement.permissions.push(permission);
        }
    }
    unknown
}

/// `result` with `blockers` added (each once); the status is at least what they make it.
pub fn with_blockers(mut result: RequirementResult, blockers: Vec<Blocker>) -> RequirementResult {
    if blockers.is_empty() {
        return result;
    }
    for blocker in blockers {
        if !result.blockers.contains(&blocker) {
            result.blockers.push(blocker);
        }
    }
    result.status = result.status.max(Status::of(&result.blockers));
    if result.status != Status::Reachable {
        result.bypassed.clear(); // only a working call can be said to bypass an endpoint
    }
    result
}
