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
use crate::model::{SecretKey, Snapshot};
use crate::workload::{Carrier, Permission, Requirement, Target};

/// What is read: a secret or a parameter, with the key that encrypts it (`None`: stored in
/// plain text).
struct Encrypted {
    arn: String,
    /// How messages name it.
    label: String,
    key: Option<SecretKey>,
}

/// One kind of thing a task reads that may be encrypted under a customer managed key.
struct Kind {
    /// The action the requirement reads it with (its resource is the ARN).
    action: &'static str,
    /// The snapshot field it is described in.
    collection: &'static str,
    collected: &'static str,
    noun: &'static str,
    encrypted: &'static str,
    unknown_then: &'static str,
    describe: &'static str,
    /// The service that calls KMS with the role's credentials (a forward access session).
    service: &'static str,
    find: fn(&Catalog<'_>, &str) -> Option<Option<Encrypted>>,
    not_found: fn(&Snapshot, &str) -> &'static str,
    alias_fix: fn(&Encrypted) -> String,
}

/// Secrets Manager decrypts with the caller's credentials: "Secrets Manager … acts on behalf
/// of the user" (Secrets Manager User Guide, "Secret encryption and decryption").
const SECRETS: Kind = Kind {
    action: "secretsmanager:GetSecretValue",
    collection: "secrets",
    collected: "Secrets Manager secrets",
    noun: "secret",
    encrypted: "is encrypted with a customer managed KMS key",
    unknown_then: "its KMS key",
    describe: "Collect the secrets' metadata (secretsmanager:DescribeSecret on each secret the task definitions reference), then audit again.",
    service: "secretsmanager.amazonaws.com",
    find: |catalog, arn| {
        catalog.secret(arn).map(|found| {
            found.map(|secret| Encrypted {
                arn: secret.arn.clone(),
                label: format!("secret {}", secret.arn),
                key: Some(secret.key()),
            })
        })
    },
    not_found: |snapshot, arn| {
        let here = arn.split(':').nth(3) == Some(snapshot.region.as_str())
            && arn.split(':').nth(4) == Some(snapshot.account_id.as_str());
        if here {
            "secretsmanager:DescribeSecret did not find it: if it does not exist, the task stops with ResourceNotFoundException"
        } else {
            "it is outside the collected account/region, or its owner's resource policy did not let the collector describe it"
        }
    },
    alias_fix: |secret| {
        format!("; naming the key by its ARN (aws secretsmanager update-secret --secret-id {} --kms-key-id KEY_ARN) lets the audit check it", secret.arn)
    },
};

/// "Parameter Store calls the AWS KMS Decrypt API operation on your behalf" (KMS Developer
/// Guide, "How AWS Systems Manager Parameter Store uses AWS KMS").
const PARAMETERS: Kind = Kind {
    action: "ssm:GetParameters",
    collection: "ssm_parameters",
    collected: "Systems Manager parameters",
    noun: "parameter",
    encrypted: "is a SecureString under a customer managed KMS key",
    unknown_then: "its type and KMS key",
    describe: "Collect the parameters' metadata (ssm:DescribeParameters; their values are never read), then audit again.",
    service: "ssm.amazonaws.com",
    find: |catalog, arn| {
        catalog.parameter(arn).map(|found| {
            found.map(|parameter| Encrypted {
                arn: parameter.arn.clone(),
                label: format!("SecureString parameter {}", parameter.name),
                key: parameter.key(),
            })
        })
    },
    not_found: |snapshot, arn| {
        if arn.split(':').nth(4) == Some(snapshot.account_id.as_str()) {
            "ssm:DescribeParameters did not find it: if it does not exist, the task stops with ParameterNotFound"
        } else {
            "it belongs to another account, whose parameters the collector cannot describe"
        }
    },
    alias_fix: |_| String::new(),
};

/// For a `secretsmanager` or `ssm` requirement: the `kms:Decrypt` permissions its secrets' or
/// parameters' keys add, and why a key is unknown (not collected, not found, an alias).
pub fn kms_permissions(
    catalog: &Catalog<'_>,
    requirement: &Requirement,
) -> (Vec<Permission>, Vec<Blocker>) {
    let kind = match requirement.target {
        Target::Secretsmanager => &SECRETS,
        Target::Ssm => &PARAMETERS,
        _ => return (Vec::new(), Vec::new()),
    };
    let snapshot = catalog.snapshot;
    let mut permissions: Vec<Permission> = Vec::new();
    let mut unknown = Vec::new();
    for arn in requirement
        .permissions
        .iter()
        .filter(|p| p.action == kind.action)
        .map(|p| p.resource.as_str())
    {
        let Some(found) = (kind.find)(catalog, arn) else {
            unknown.push(Blocker::new(
                Code::NotCollected,
                arn,
                format!(
                    "{} were not collected, so whether {} {arn} {} (the execution role then also needs kms:Decrypt) is unknown{}",
                    kind.collected,
                    kind.noun,
                    kind.encrypted,
                    snapshot.why_not_collected(kind.collection)
                ),
                kind.describe,
            ));
            continue;
        };
        let Some(encrypted) = found else {
            unknown.push(Blocker::new(
                Code::NotCollected,
                arn,
                format!(
                    "{} {arn} is not in the snapshot ({}), so {}, and whether the execution role needs kms:Decrypt on it, are unknown",
                    kind.noun,
                    (kind.not_found)(snapshot, arn),
                    kind.unknown_then
                ),
                kind.describe,
            ));
            continue;
        };
        match &encrypted.key {
            None | Some(SecretKey::AwsManaged) => {}
            Some(SecretKey::Customer(key)) => {
                let permission = Permission::new("kms:Decrypt", key)
                    .carried_by(Carrier::OnBehalf(kind.service.into()));
                if !permissions.contains(&permission) {
                    permissions.push(permission);
                }
            }
            Some(SecretKey::Alias(alias)) => unknown.push(Blocker::new(
                Code::NotCollected,
                &encrypted.arn,
                format!(
                    "{} is encrypted with the KMS key behind {alias}, whose key ARN is not in the snapshot, so whether the execution role may kms:Decrypt it is unknown",
                    encrypted.label
                ),
                format!(
                    "Find the key (aws kms describe-key --key-id {alias} --query KeyMetadata.Arn) and check that the execution role is allowed kms:Decrypt on it{}.",
                    (kind.alias_fix)(&encrypted)
                ),
            )),
        }
    }
    (permissions, unknown)
}
