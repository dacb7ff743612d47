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
use serde_json::Value;

use crate::model::{PullSecret, RegistryCredential};

pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
pub const DOCKER_CFG: &str = "kubernetes.io/dockercfg";

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
    match entries(bytes, secret_type == DOCKER_CONFIG_JSON) {
        Err(()) => {
            // The parser's message could quote the secret's bytes: say only what broke.
            secret.unusable = Some(format!(
                "its `{key}` is not the JSON the kubelet reads, so the kubelet fails every pull of the pod that names it"
            ));
        }
        Ok(registries) => secret.registries = registries,
    }
    Some(secret)
}

/// The entries of a pull secret's JSON as Go's `encoding/json` reads them into the kubelet's
/// `DockerConfigJSON` / `DockerConfig` (Kubernetes `pkg/credentialprovider/config.go`): `null`
/// anywhere is the zero value; an object's field names match case-insensitively; a field of
/// the wrong type, or an `auth` that `decodeDockerConfigFieldAuth` refuses, is an error — and
/// an error fails every pull of the pod (`MakeDockerKeyring`).
fn entries(bytes: &[u8], wrapped: bool) -> Result<Vec<RegistryCredential>, ()> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ())?;
    let auths = if wrapped {
        match value {
            Value::Null => return Ok(Vec::new()),
            Value::Object(config) => field(&config, "auths").cloned().unwrap_or(Value::Null),
            _ => return Err(()),
        }
    } else {
        value
    };
    let auths = match auths {
        Value::Null => return Ok(Vec::new()),
        Value::Object(auths) => auths,
        _ => return Err(()),
    };
    let mut out = Vec::new();
    for (key, entry) in auths {
        let entry = match entry {
            Value::Null => serde_json::Map::new(),
            Value::Object(entry) => entry,
            _ => return Err(()),
        };
        let text = |name: &str| -> Result<Option<String>, ()> {
            match field(&entry, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(()),
            }
        };
        let (mut username, mut password) = (text("username")?, text("password")?);
        text("email")?;
        if let Some(auth) = text("auth")?.filter(|a| !a.is_empty()) {
            let (user, secret) = decode_auth(&auth).ok_or(())?;
            (username, password) = (Some(user), Some(secret));
        }
        let ecr_token_expires_at = match (username.as_deref(), password.as_deref()) {
            (Some("AWS"), Some(password)) => ecr_token_expiry(password),
            _ => None,
        };
        // The kubelet hands the runtime this entry's username and password alone
        // (`pkg/credentialprovider/keyring.go`); containerd's `ParseAuth` pulls anonymously
        // when the username is empty ("an empty auth config is valid for anonymous registry"),
        // a password or token beside it notwithstanding.
        let empty = username.as_deref().unwrap_or_default().is_empty();
        out.push(RegistryCredential {
            key: without_userinfo(&key),
            username: username.filter(|u| !u.is_empty()),
            ecr_token_expires_at,
            empty,
        });
    }
    // Go's map iteration has no order; the keyring sorts keys anyway.
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// An object's field as Go's `encoding/json` finds it: the exact name first, else one that
/// matches it case-insensitively.
fn field<'v>(object: &'v serde_json::Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The key as the kubelet's `url.Parse` sees it (`keyring.go` `Add`), without the userinfo
/// (`https://user:password@host` is `host`) or a query or fragment: what it keeps is never a
/// credential, and never stored.
fn without_userinfo(key: &str) -> String {
    let (scheme, rest) = match key.find("://") {
        Some(i) => (&key[..i + 3], &key[i + 3..]),
        None => ("", key),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}{host}{path}")
}

/// `decodeDockerConfigFieldAuth`: padded base64 when the value ends in `=`, unpadded
/// otherwise (Go's `StdEncoding` / `RawStdEncoding`, no other leniency), then `user:password`.
fn decode_auth(auth: &str) -> Option<(String, String)> {
    let padded = auth.trim().ends_with('=');
    let valid = auth
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || (padded && b == b'='));
    if !valid || (!padded && auth.len() % 4 == 1) || (padded && !auth.len().is_multiple_of(4)) {
        return None;
    }
    let mut text = auth.to_string();
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    let bytes = aws_smithy_types::base64::decode(&text).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
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
    fn an_entry_without_a_username_is_empty() {
        let config = r#"{"auths":{"a.io":{},"b.io":{"username":"","password":""},"c.io":{"username":"robot","password":"x"},"d.io":{"password":"token-only"},"e.io":{"auth":"OnRva2Vu"}}}"#;
        let secret = pull_secret(
            "shop",
            "s",
            DOCKER_CONFIG_JSON,
            &data(".dockerconfigjson", config),
        )
        .unwrap();
        let empty: Vec<(&str, bool)> = secret
            .registries
            .iter()
            .map(|r| (r.key.as_str(), r.empty))
            .collect();
        assert_eq!(
            empty,
            [
                ("a.io", true),
                ("b.io", true),
                ("c.io", false),
                ("d.io", true),
                ("e.io", true)
            ]
        );
    }

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

#[cfg(test)]
mod go_reading {
    use super::*;

    fn read(config: &str) -> PullSecret {
        let data = BTreeMap::from([(".dockerconfigjson".to_string(), config.as_bytes().to_vec())]);
        pull_secret("shop", "s", DOCKER_CONFIG_JSON, &data).unwrap()
    }

    fn fatal(config: &str) -> bool {
        read(config).unusable.is_some()
    }

    /// What Go's `encoding/json` and `decodeDockerConfigFieldAuth` refuse fails every pull.
    #[test]
    fn what_the_kubelet_cannot_read_fails_every_pull() {
        assert!(fatal(
            r#"{"auths":{"registry.acme.io":{"auth":"not*base64!"}}}"#
        ));
        assert!(
            fatal(r#"{"auths":{"registry.acme.io":{"auth":"bm9jb2xvbg=="}}}"#),
            "no colon"
        );
        assert!(fatal(r#"{"auths":{"registry.acme.io":{"email":5}}}"#));
        assert!(
            fatal(r#"{"auths":{"registry.acme.io":{"AUTH":"!!bad!!"}}}"#),
            "case-insensitive"
        );
        assert!(fatal(r#"{"auths":[]}"#));
        assert!(
            fatal(r#"{"auths":{"registry.acme.io":{"auth":" dTpw "}}}"#),
            "no trimming"
        );
        // Unpadded and padded base64 both read, as Go reads them.
        assert!(!fatal(r#"{"auths":{"registry.acme.io":{"auth":"dTpw"}}}"#));
        assert!(!fatal(
            r#"{"auths":{"registry.acme.io":{"auth":"dTpwdw=="}}}"#
        ));
        assert!(!fatal(
            r#"{"auths":{"registry.acme.io":{"auth":"dTpwdw"}}}"#
        ));
        // null is the zero value.
        assert!(!fatal("null") && read("null").registries.is_empty());
        assert!(!fatal(r#"{"auths":null}"#));
        assert!(!fatal(r#"{"auths":{"registry.acme.io":null}}"#));
    }

    #[test]
    fn a_keys_userinfo_query_and_fragment_are_never_kept() {
        let secret = read(
            r#"{"auths":{"https://robot:S3cretPassw0rd@registry.acme.com/v2/?x=1":{"username":"u"},"registry?.acme.io":{"username":"u"}}}"#,
        );
        let keys: Vec<&str> = secret.registries.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["https://registry.acme.com/v2/", "registry"]);
        assert!(!format!("{secret:?}").contains("S3cret"));
    }
}
