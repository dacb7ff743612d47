//! A pull secret reduced to what decides a pull: its registries, usernames and, for ECR
//! authorization tokens, when they expire. The password, token and `auth` value are read in
//! memory here and dropped: nothing of them reaches the snapshot, a log or a message.
//!
//! The kubelet's reading, which this follows (Kubernetes `pkg/credentialprovider/secrets/
//! secrets.go` `MakeDockerKeyring` and `pkg/credentialprovider/config.go`):
//! - only type `kubernetes.io/dockerconfigjson` with a non-empty `.dockerconfigjson` key
//!   (`{"auths": {…}}`), or type `kubernetes.io/dockercfg` with a non-empty `.dockercfg` key
//!   (the `auths` map itself), is used; anything else is skipped without a word;
//! - a used secret whose JSON does not parse makes `MakeDockerKeyring` return an error, and
//!   the kubelet fails the pull of every image of the pod;
//! - an entry's `auth` (base64 `user:password`) overrides its `username` and `password`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{PullSecret, RegistryCredential};

pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
pub const DOCKER_CFG: &str = "kubernetes.io/dockercfg";

/// One `auths` entry, as the kubelet reads it. The password is kept only long enough to read
/// an ECR token's expiry.
#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    auth: Option<String>,
}

#[derive(Deserialize)]
struct DockerConfigJson {
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
}

/// The pull secret a secret of a pull type is; `None` for any other type (not a pull secret).
pub fn pull_secret(
    namespace: &str,
    name: &str,
    secret_type: &str,
    data: &BTreeMap<String, Vec<u8>>,
) -> Option<PullSecret> {
    let key = match secret_type {
        DOCKER_CONFIG_JSON => ".dockerconfigjson",
        DOCKER_CFG => ".dockercfg",
        _ => return None,
    };
    let mut secret = PullSecret {
        namespace: namespace.to_string(),
        name: name.to_string(),
        secret_type: secret_type.to_string(),
        registries: Vec::new(),
        unusable: None,
    };
    let bytes = match data.get(key) {
        Some(bytes) if !bytes.is_empty() => bytes,
        _ => {
            secret.unusable = Some(format!(
                "it has no non-empty `{key}` key, so the kubelet skips it"
            ));
            return Some(secret);
        }
    };
    let entries = if secret_type == DOCKER_CONFIG_JSON {
        serde_json::from_slice::<DockerConfigJson>(bytes).map(|c| c.auths)
    } else {
        serde_json::from_slice::<BTreeMap<String, Entry>>(bytes)
    };
    match entries {
        Err(_) => {
            // The parser's message could quote the secret's bytes: say only where it broke.
            secret.unusable = Some(format!(
                "its `{key}` is not the JSON the kubelet reads, so the kubelet fails every pull of the pod that names it"
            ));
        }
        Ok(entries) => {
            secret.registries = entries
                .into_iter()
                .map(|(key, entry)| credential(key, entry))
                .collect();
        }
    }
    Some(secret)
}

fn credential(key: String, entry: Entry) -> RegistryCredential {
    let (username, password) = match entry.auth.as_deref().and_then(decode_auth) {
        Some((user, password)) => (Some(user), Some(password)),
        None => (entry.username, entry.password),
    };
    let ecr_token_expires_at = match (username.as_deref(), password.as_deref()) {
        (Some("AWS"), Some(password)) => ecr_token_expiry(password),
        _ => None,
    };
    RegistryCredential {
        key,
        username,
        ecr_token_expires_at,
    }
}

/// `auth`: base64 of `user:password`.
fn decode_auth(auth: &str) -> Option<(String, String)> {
    let bytes = aws_smithy_types::base64::decode(auth.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// When an ECR authorization token expires. The password of `ecr:GetAuthorizationToken`'s
/// token is base64 of a JSON document whose `expiration` is a Unix time, 12 hours after issue
/// (not documented by AWS, but what its own credential helpers read); anything else is
/// unknown (`None`).
fn ecr_token_expiry(password: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Payload {
        expiration: i64,
    }
    let bytes = aws_smithy_types::base64::decode(password.trim()).ok()?;
    let payload: Payload = serde_json::from_slice(&bytes).ok()?;
    aws_smithy_types::DateTime::from_secs(payload.expiration)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        aws_smithy_types::base64::encode(text)
    }

    fn data(key: &str, value: &str) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([(key.to_string(), value.as_bytes().to_vec())])
    }

    const PASSWORD: &str = "s3cr3t-Password-Value";

    #[test]
    fn keeps_hosts_and_users_never_the_password() {
        let config = format!(
            r#"{{"auths":{{"ghcr.io":{{"auth":"{}"}},"https://index.docker.io/v1/":{{"username":"bob","password":"{PASSWORD}"}}}}}}"#,
            b64(&format!("alice:{PASSWORD}"))
        );
        let secret = pull_secret(
            "shop",
            "regcred",
            DOCKER_CONFIG_JSON,
            &data(".dockerconfigjson", &config),
        )
        .expect("a pull secret");
        assert_eq!(secret.unusable, None);
        let users: Vec<_> = secret
            .registries
            .iter()
            .map(|r| (r.key.as_str(), r.username.as_deref()))
            .collect();
        assert_eq!(
            users,
            [
                ("ghcr.io", Some("alice")),
                ("https://index.docker.io/v1/", Some("bob"))
            ]
        );
        let kept = serde_json::to_string(&secret).unwrap();
        assert!(!kept.contains(PASSWORD), "{kept}");
        assert!(!kept.contains(&b64(&format!("alice:{PASSWORD}"))), "{kept}");
        assert!(!format!("{secret:?}").contains(PASSWORD));
    }

    #[test]
    fn reads_an_ecr_tokens_expiry() {
        let payload = b64(
            r#"{"payload":"x","datakey":"y","version":"2","type":"DATA_KEY","expiration":1767225600}"#,
        );
        let config = format!(
            r#"{{"auths":{{"123456789012.dkr.ecr.us-east-1.amazonaws.com":{{"auth":"{}"}}}}}}"#,
            b64(&format!("AWS:{payload}"))
        );
        let secret = pull_secret(
            "shop",
            "ecr",
            DOCKER_CONFIG_JSON,
            &data(".dockerconfigjson", &config),
        )
        .unwrap();
        assert_eq!(
            secret.registries[0].ecr_token_expires_at.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert!(!serde_json::to_string(&secret).unwrap().contains(&payload));
    }

    #[test]
    fn a_token_without_expiration_is_unknown_not_expired() {
        let config = format!(
            r#"{{"auths":{{"123456789012.dkr.ecr.us-east-1.amazonaws.com":{{"username":"AWS","password":"{}"}}}}}}"#,
            b64("not json")
        );
        let secret = pull_secret(
            "shop",
            "ecr",
            DOCKER_CONFIG_JSON,
            &data(".dockerconfigjson", &config),
        )
        .unwrap();
        assert_eq!(secret.registries[0].ecr_token_expires_at, None);
    }

    #[test]
    fn other_types_are_not_pull_secrets_and_a_missing_key_is_unusable() {
        assert!(pull_secret("shop", "x", "Opaque", &data(".dockerconfigjson", "{}")).is_none());
        let wrong_key =
            pull_secret("shop", "x", DOCKER_CONFIG_JSON, &data(".dockercfg", "{}")).unwrap();
        assert!(wrong_key.unusable.unwrap().contains("`.dockerconfigjson`"));
        let broken =
            pull_secret("shop", "x", DOCKER_CFG, &data(".dockercfg", "{not json")).unwrap();
        assert!(broken.unusable.unwrap().contains("fails every pull"));
        let cfg = pull_secret(
            "shop",
            "x",
            DOCKER_CFG,
            &data(
                ".dockercfg",
                r#"{"quay.io":{"username":"u","password":"p"}}"#,
            ),
        )
        .unwrap();
        assert_eq!(cfg.registries[0].key, "quay.io");
    }
}
