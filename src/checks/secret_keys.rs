//! The KMS key behind each Secrets Manager secret and `SecureString` parameter a task reads: a
//! customer managed key adds `kms:Decrypt` on it to what the execution role must be allowed
//! (the AWS managed keys `aws/secretsmanager` and `aws/ssm` need no grant: "The AWS managed
//! key for Parameter Store (aws/ssm) grants Decrypt permission to all IAM principals in the
//! AWS account", Systems Manager User Guide, "Restricting access to Parameter Store
//! parameters"; "kms:Decrypt — Required only if your secret uses a customer managed key",
//! ECS Developer Guide, "Pass Systems Manager parameters").

use super::catalog::Catalog;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::SecretKey;
use crate::workload::{Carrier, Permission, Requirement, Target};

/// For a `secretsmanager` requirement: the `kms:Decrypt` permissions its secrets' keys add,
/// and why a key is unknown (secrets not collected, a secret not found, an alias).
pub fn kms_permissions(
    catalog: &Catalog<'_>,
    requirement: &Requirement,
) -> (Vec<Permission>, Vec<Blocker>) {
    let mut permissions: Vec<Permission> = Vec::new();
    let mut unknown = Vec::new();
    if requirement.target == Target::Ssm {
        return parameter_kms_permissions(catalog, requirement);
    }
    if requirement.target != Target::Secretsmanager {
        return (permissions, unknown);
    }
    let snapshot = catalog.snapshot;
    let describe = "Collect the secrets' metadata (secretsmanager:DescribeSecret on each secret the task definitions reference), then audit again.";
    for secret in requirement
        .permissions
        .iter()
        .filter(|p| p.action == "secretsmanager:GetSecretValue")
        .map(|p| p.resource.as_str())
    {
        let found = match catalog.secret(secret) {
            None => {
                unknown.push(Blocker::new(
                    Code::NotCollected,
                    secret,
                    format!(
                        "Secrets Manager secrets were not collected, so whether secret {secret} is encrypted with a customer managed KMS key (the execution role then also needs kms:Decrypt) is unknown{}",
                        snapshot.why_not_collected("secrets")
                    ),
                    describe,
                ));
                continue;
            }
            Some(found) => found,
        };
        let Some(metadata) = found else {
            let here = secret.split(':').nth(3) == Some(snapshot.region.as_str())
                && secret.split(':').nth(4) == Some(snapshot.account_id.as_str());
            let why = if here {
                "secretsmanager:DescribeSecret did not find it: if it does not exist, the task stops with ResourceNotFoundException"
            } else {
                "it is outside the collected account/region, or its owner's resource policy did not let the collector describe it"
            };
            unknown.push(Blocker::new(
                Code::NotCollected,
                secret,
                format!("secret {secret} is not in the snapshot ({why}), so its KMS key, and whether the execution role needs kms:Decrypt on it, are unknown"),
                describe,
            ));
            continue;
        };
        match metadata.key() {
            SecretKey::AwsManaged => {}
            SecretKey::Customer(key) => {
                // Secrets Manager decrypts with the caller's credentials (a forward access
                // session: "Secrets Manager … acts on behalf of the user", Secrets Manager User
                // Guide, "Secret encryption and decryption").
                let permission = Permission::new("kms:Decrypt", key)
                    .carried_by(Carrier::OnBehalf("secretsmanager.amazonaws.com".into()));
                if !permissions.contains(&permission) {
                    permissions.push(permission);
                }
            }
            SecretKey::Alias(alias) => unknown.push(Blocker::new(
                Code::NotCollected,
                &metadata.arn,
                format!(
                    "secret {} is encrypted with the KMS key behind {alias}, whose key ARN is not in the snapshot, so whether the execution role may kms:Decrypt it is unknown",
                    metadata.arn
                ),
                format!(
                    "Find the key (aws kms describe-key --key-id {alias} --query KeyMetadata.Arn) and check that the execution role is allowed kms:Decrypt on it; naming the key by its ARN (aws secretsmanager update-secret --secret-id {} --kms-key-id KEY_ARN) lets the audit check it.",
                    metadata.arn
                ),
            )),
        }
    }
    (permissions, unknown)
}

/// For an `ssm` requirement: `kms:Decrypt` on each `SecureString` parameter's customer managed
/// key (Systems Manager decrypts with the caller's credentials: "Parameter Store calls the AWS
/// KMS Decrypt API operation on your behalf", KMS Developer Guide, "How AWS Systems Manager
/// Parameter Store uses AWS KMS"), and why a key is unknown.
fn parameter_kms_permissions(
    catalog: &Catalog<'_>,
    requirement: &Requirement,
) -> (Vec<Permission>, Vec<Blocker>) {
    let snapshot = catalog.snapshot;
    let mut permissions: Vec<Permission> = Vec::new();
    let mut unknown = Vec::new();
    let describe = "Collect the parameters' metadata (ssm:DescribeParameters; their values are never read), then audit again.";
    for arn in requirement
        .permissions
        .iter()
        .filter(|p| p.action == "ssm:GetParameters")
        .map(|p| p.resource.as_str())
    {
        let found = match catalog.parameter(arn) {
            None => {
                unknown.push(Blocker::new(
                    Code::NotCollected,
                    arn,
                    format!(
                        "Systems Manager parameters were not collected, so whether parameter {arn} is a SecureString under a customer managed KMS key (the execution role then also needs kms:Decrypt) is unknown{}",
                        snapshot.why_not_collected("ssm_parameters")
                    ),
                    describe,
                ));
                continue;
            }
            Some(found) => found,
        };
        let Some(parameter) = found else {
            let here = arn.split(':').nth(4) == Some(snapshot.account_id.as_str());
            let why = if here {
                "ssm:DescribeParameters did not find it: if it does not exist, the task stops with ParameterNotFound"
            } else {
                "it belongs to another account, whose parameters the collector cannot describe"
            };
            unknown.push(Blocker::new(
                Code::NotCollected,
                arn,
                format!("parameter {arn} is not in the snapshot ({why}), so its type and KMS key, and whether the execution role needs kms:Decrypt on it, are unknown"),
                describe,
            ));
            continue;
        };
        match parameter.key() {
            None | Some(SecretKey::AwsManaged) => {}
            Some(SecretKey::Customer(key)) => {
                let permission = Permission::new("kms:Decrypt", key)
                    .carried_by(Carrier::OnBehalf("ssm.amazonaws.com".into()));
                if !permissions.contains(&permission) {
                    permissions.push(permission);
                }
            }
            Some(SecretKey::Alias(alias)) => unknown.push(Blocker::new(
                Code::NotCollected,
                &parameter.arn,
                format!(
                    "SecureString parameter {} is encrypted with the KMS key behind {alias}, whose key ARN is not in the snapshot, so whether the execution role may kms:Decrypt it is unknown",
                    parameter.name
                ),
                format!(
                    "Find the key (aws kms describe-key --key-id {alias} --query KeyMetadata.Arn) and check that the execution role is allowed kms:Decrypt on it."
                ),
            )),
        }
    }
    (permissions, unknown)
}
