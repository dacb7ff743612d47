//! Secrets Manager: which KMS key encrypts each secret the task definitions reference.

use serde::{Deserialize, Serialize};

/// One secret, as `secretsmanager:DescribeSecret` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMetadata {
    /// The full ARN (with the random six-character suffix Secrets Manager appends).
    pub arn: String,
    pub name: String,
    /// `KmsKeyId`: a key ARN, key id, alias name or alias ARN. AWS omits it when the secret
    /// uses the AWS managed key `aws/secretsmanager`, and so may a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// The key encrypting a secret, as far as the execution role is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKey {
    /// The AWS managed key `aws/secretsmanager`: Secrets Manager decrypts on the caller's
    /// behalf, no `kms:Decrypt` grant is needed.
    AwsManaged,
    /// A customer managed key, by its key ARN: the caller needs `kms:Decrypt` on it.
    Customer(String),
    /// An alias (name or ARN) other than `aws/secretsmanager`: the key ARN it stands for is
    /// not in the snapshot.
    Alias(String),
}

/// The key a `KmsKeyId` names (a key ARN, key id, alias name or alias ARN) for a secret or
/// parameter whose ARN is `owner_arn`: none or `managed_alias` is the AWS managed key; a bare
/// key id is a key in the owner's account and region (a key is always in its region).
pub fn kms_key(key_id: Option<&str>, managed_alias: &str, owner_arn: &str) -> SecretKey {
    let Some(id) = key_id.filter(|id| !id.is_empty()) else {
        return SecretKey::AwsManaged;
    };
    let alias = if id.starts_with("alias/") {
        Some(id)
    } else if id.starts_with("arn:") {
        id.find(":alias/").map(|at| &id[at + 1..])
    } else {
        None
    };
    if let Some(alias) = alias {
        return if alias == managed_alias {
            SecretKey::AwsManaged
        } else {
            SecretKey::Alias(id.to_string())
        };
    }
    if id.starts_with("arn:") {
        return SecretKey::Customer(id.to_string());
    }
    let parts: Vec<&str> = owner_arn.splitn(6, ':').collect();
    let (partition, region, account) = match parts.as_slice() {
        ["arn", partition, _, region, account, _] => (*partition, *region, *account),
        _ => ("aws", "*", "*"),
    };
    SecretKey::Customer(format!("arn:{partition}:kms:{region}:{account}:key/{id}"))
}

impl SecretMetadata {
    /// The account and region of the secret (from its ARN).
    fn account_and_region(&self) -> Option<(&str, &str)> {
        let parts: Vec<&str> = self.arn.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", _, "secretsmanager", region, account, _] => Some((account, region)),
            _ => None,
        }
    }

    /// Which key encrypts the secret. A bare key id becomes the key's ARN, in the secret's
    /// account and region (a key is always in the secret's region).
    pub fn key(&self) -> SecretKey {
        kms_key(
            self.kms_key_id.as_deref(),
            "alias/aws/secretsmanager",
            &self.arn,
        )
    }

    /// The ARN without the random suffix (`…:secret:NAME`), which ECS also accepts to name
    /// the secret.
    pub fn partial_arn(&self) -> Option<String> {
        let (account, region) = self.account_and_region()?;
        let partition = self.arn.split(':').nth(1).unwrap_or("aws");
        Some(format!(
            "arn:{partition}:secretsmanager:{region}:{account}:secret:{}",
            self.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(kms_key_id: Option<&str>) -> SecretMetadata {
        SecretMetadata {
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf".into(),
            name: "prod/db".into(),
            kms_key_id: kms_key_id.map(str::to_string),
        }
    }

    #[test]
    fn keys_by_form() {
        assert_eq!(secret(None).key(), SecretKey::AwsManaged);
        assert_eq!(
            secret(Some("alias/aws/secretsmanager")).key(),
            SecretKey::AwsManaged
        );
        assert_eq!(
            secret(Some(
                "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager"
            ))
            .key(),
            SecretKey::AwsManaged
        );
        assert_eq!(
            secret(Some("1234abcd-12ab-34cd-56ef-1234567890ab")).key(),
            SecretKey::Customer(
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into()
            )
        );
        let arn = "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(secret(Some(arn)).key(), SecretKey::Customer(arn.into()));
        assert_eq!(
            secret(Some("alias/prod-secrets")).key(),
            SecretKey::Alias("alias/prod-secrets".into())
        );
        let alias_arn = "arn:aws:kms:us-east-1:123456789012:alias/prod-secrets";
        assert_eq!(
            secret(Some(alias_arn)).key(),
            SecretKey::Alias(alias_arn.into())
        );
    }

    #[test]
    fn partial_arn_drops_the_suffix() {
        assert_eq!(
            secret(None).partial_arn().as_deref(),
            Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db")
        );
    }
}
