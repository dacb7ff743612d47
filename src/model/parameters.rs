//! Systems Manager parameters the task definitions reference (`secrets[].valueFrom`): their
//! type and KMS key, read with `ssm:DescribeParameters`. The value is never read.

use serde::{Deserialize, Serialize};

use super::secrets::{kms_key, SecretKey};

/// One parameter, as `DescribeParameters` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsmParameter {
    /// `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` (the name without its leading `/`).
    pub arn: String,
    pub name: String,
    /// `String`, `StringList` or `SecureString`.
    pub parameter_type: String,
    /// A `SecureString`'s key: an alias name (`alias/aws/ssm`, the AWS managed key), key id or
    /// ARN ("KeyId — The alias of the AWS KMS key", SSM API Reference, ParameterMetadata; key
    /// ids are seen too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl SsmParameter {
    /// The key that encrypts it; `None` for a parameter stored in plain text.
    pub fn key(&self) -> Option<SecretKey> {
        (self.parameter_type == "SecureString")
            .then(|| kms_key(self.key_id.as_deref(), "alias/aws/ssm", &self.arn))
    }
}

/// The ARN of a parameter named in `valueFrom` by name (or its ARN, unchanged).
pub fn parameter_arn(value_from: &str, account: &str, region: &str) -> String {
    if value_from.starts_with("arn:") {
        value_from.to_string()
    } else {
        let name = value_from.trim_start_matches('/');
        format!("arn:aws:ssm:{region}:{account}:parameter/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(kind: &str, key_id: Option<&str>) -> SsmParameter {
        SsmParameter {
            arn: "arn:aws:ssm:us-east-1:123456789012:parameter/prod/web/token".into(),
            name: "/prod/web/token".into(),
            parameter_type: kind.into(),
            key_id: key_id.map(str::to_string),
        }
    }

    #[test]
    fn only_secure_strings_have_keys_and_the_ssm_alias_is_aws_managed() {
        assert_eq!(parameter("String", None).key(), None);
        assert_eq!(
            parameter("SecureString", Some("alias/aws/ssm")).key(),
            Some(SecretKey::AwsManaged)
        );
        assert_eq!(
            parameter("SecureString", Some("1234abcd-12ab")).key(),
            Some(SecretKey::Customer(
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab".into()
            ))
        );
        assert_eq!(
            parameter("SecureString", Some("alias/team")).key(),
            Some(SecretKey::Alias("alias/team".into()))
        );
    }
}
