//! Which pull-secret credentials the kubelet offers for an image, in the order it tries them.
//!
//! A transcription of Kubernetes `pkg/credentialprovider/keyring.go` (`BasicDockerKeyring.Add`
//! and `Lookup`, `URLsMatch`, `isDefaultRegistryMatch`) and of the image normalisation the
//! kubelet applies first (`pkg/util/parsers.ParseImageName`, docker `ParseNormalizedNamed`):
//! - a key's scheme is dropped, and a `/v1/` or `/v2/` path prefix counts as none;
//! - a key matches an image when the port is the same, the host has as many dot-separated
//!   labels and each label matches as a glob (`*.example.com`), and the key's path is a
//!   string prefix of the image's path;
//! - keys are tried most specific first (reverse-sorted); every matching key's credentials are
//!   returned, secrets in the order the pod lists them;
//! - with no match, a Docker Hub image (`nginx`, `docker.io/…`, `index.docker.io/…`) takes the
//!   credentials of the key `index.docker.io` (Docker's own `https://index.docker.io/v1/`).

use wildmatch::WildMatch;

use crate::model::{PullSecret, RegistryCredential};

const DEFAULT_REGISTRY_KEY: &str = "index.docker.io";

/// The repository the kubelet looks credentials up for: `nginx:1.27` → `docker.io/library/nginx`.
pub fn repository_to_pull(image: &str) -> String {
    // Drop a digest, then a tag (a `:` after the last `/`).
    let name = image.split('@').next().unwrap_or(image);
    let name = match name.rfind(':') {
        Some(colon) if !name[colon..].contains('/') => &name[..colon],
        _ => name,
    };
    let (first, rest) = match name.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (name, None),
    };
    let is_domain = |s: &str| s.contains('.') || s.contains(':') || s == "localhost";
    match rest {
        Some(rest) if is_domain(first) => {
            let domain = if first == "index.docker.io" {
                "docker.io"
            } else {
                first
            };
            if domain == "docker.io" && !rest.contains('/') {
                format!("docker.io/library/{rest}")
            } else {
                format!("{domain}/{rest}")
            }
        }
        Some(_) => format!("docker.io/{name}"),
        None => format!("docker.io/library/{name}"),
    }
}

/// A key as `BasicDockerKeyring.Add` files it: no scheme, `/v1/` and `/v2/` dropped.
fn key_of(raw: &str) -> String {
    let raw = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .unwrap_or(raw);
    let (host, path) = match raw.find('/') {
        Some(i) => (&raw[..i], &raw[i..]),
        None => (raw, ""),
    };
    let path = if path.starts_with("/v2/") || path.starts_with("/v1/") {
        &path[3..]
    } else {
        path
    };
    if path.is_empty() || path == "/" {
        host.to_string()
    } else {
        format!("{host}{path}")
    }
}

/// (host labels, port, path) of a schemeless URL.
fn split(url: &str) -> (Vec<&str>, &str, &str) {
    let (authority, path) = match url.find('/') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port),
        _ => (authority, ""),
    };
    (host.split('.').collect(), port, path)
}

/// `URLsMatch`: whether the key `glob` covers the image repository `target`.
pub fn urls_match(glob: &str, target: &str) -> bool {
    let (glob_labels, glob_port, glob_path) = split(glob);
    let (target_labels, target_port, target_path) = split(target);
    glob_port == target_port
        && glob_labels.len() == target_labels.len()
        && target_path.starts_with(glob_path)
        && glob_labels
            .iter()
            .zip(&target_labels)
            .all(|(g, t)| WildMatch::new(g).matches(t))
}

fn is_default_registry_match(repository: &str) -> bool {
    let mut parts = repository.splitn(2, '/');
    let first = parts.next().unwrap_or_default();
    match parts.next() {
        _ if first.is_empty() => false,
        None => true,
        Some(_) if first == "docker.io" || first == "index.docker.io" => true,
        Some(_) => !first.contains('.') && !first.contains(':'),
    }
}

/// The credentials the kubelet tries for `image`, in order, each with its secret.
pub fn lookup<'s>(
    secrets: &[&'s PullSecret],
    image: &str,
) -> Vec<(&'s PullSecret, &'s RegistryCredential)> {
    let repository = repository_to_pull(image);
    // A map, not a scan: a service account may list many secrets of many keys.
    let mut by_key: std::collections::BTreeMap<
        String,
        Vec<(&'s PullSecret, &'s RegistryCredential)>,
    > = std::collections::BTreeMap::new();
    for secret in secrets {
        for credential in &secret.registries {
            by_key
                .entry(key_of(&credential.key))
                .or_default()
                .push((secret, credential));
        }
    }
    // Most specific first: the index reverse-sorted.
    let keys: Vec<(String, Vec<(&'s PullSecret, &'s RegistryCredential)>)> =
        by_key.into_iter().rev().collect();
    // An empty entry is tried and pulls anonymously (containerd `ParseAuth`): it holds no
    // credential for the image, so it is not one here.
    let found: Vec<_> = keys
        .iter()
        .filter(|(key, _)| urls_match(key, &repository))
        .flat_map(|(_, creds)| creds.iter().copied())
        .filter(|(_, credential)| !credential.empty)
        .collect();
    if !found.is_empty() || !is_default_registry_match(&repository) {
        return found;
    }
    keys.into_iter()
        .find(|(key, _)| key == DEFAULT_REGISTRY_KEY)
        .map(|(_, creds)| creds)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, credential)| !credential.empty)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_normalise_as_the_kubelet_does() {
        for (image, repository) in [
            ("nginx", "docker.io/library/nginx"),
            ("nginx:1.27", "docker.io/library/nginx"),
            ("bitnami/redis:7", "docker.io/bitnami/redis"),
            ("docker.io/nginx", "docker.io/library/nginx"),
            ("index.docker.io/team/app", "docker.io/team/app"),
            ("ghcr.io/acme/api@sha256:abc", "ghcr.io/acme/api"),
            ("registry.local:5000/app:v1", "registry.local:5000/app"),
            ("localhost/app", "localhost/app"),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/web",
            ),
        ] {
            assert_eq!(repository_to_pull(image), repository, "{image}");
        }
    }

    #[test]
    fn keys_match_as_in_keyring_go() {
        // Scheme and /v1/ or /v2/ dropped.
        assert_eq!(key_of("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(key_of("http://quay.io/v2/team"), "quay.io/team");
        // Port must be the same.
        assert!(!urls_match("registry.local", "registry.local:5000/app"));
        assert!(urls_match("registry.local:5000", "registry.local:5000/app"));
        // The key's path is a prefix of the image's.
        assert!(urls_match("quay.io/team", "quay.io/team/app"));
        assert!(!urls_match("quay.io/other", "quay.io/team/app"));
        // Host labels are globs, label for label.
        assert!(urls_match(
            "*.dkr.ecr.*.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web"
        ));
        assert!(!urls_match(
            "*.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web"
        ));
        // Docker Hub is index.docker.io only through the default-registry rule.
        assert!(!urls_match("index.docker.io", "docker.io/library/nginx"));
    }

    fn secret(name: &str, keys: &[&str]) -> PullSecret {
        PullSecret {
            namespace: "shop".into(),
            name: name.into(),
            secret_type: "kubernetes.io/dockerconfigjson".into(),
            registries: keys
                .iter()
                .map(|k| RegistryCredential {
                    key: (*k).into(),
                    username: Some("u".into()),
                    ..RegistryCredential::default()
                })
                .collect(),
            unusable: None,
        }
    }

    #[test]
    fn an_entry_without_username_or_password_is_no_credential() {
        let mut empty = secret("helm-default", &["quay.io", "https://index.docker.io/v1/"]);
        empty.registries.iter_mut().for_each(|r| {
            r.username = None;
            r.empty = true;
        });
        assert!(lookup(&[&empty], "quay.io/team/app:1").is_empty());
        assert!(lookup(&[&empty], "nginx").is_empty());
    }

    #[test]
    fn lookup_orders_specific_keys_first_and_knows_docker_hub() {
        let a = secret("a", &["quay.io"]);
        let b = secret("b", &["quay.io/team", "https://index.docker.io/v1/"]);
        let found: Vec<&str> = lookup(&[&a, &b], "quay.io/team/app:1")
            .iter()
            .map(|(s, _)| s.name.as_str())
            .collect();
        assert_eq!(found, ["b", "a"]);
        let hub: Vec<&str> = lookup(&[&a, &b], "nginx")
            .iter()
            .map(|(s, _)| s.name.as_str())
            .collect();
        assert_eq!(hub, ["b"]);
        assert!(lookup(&[&a], "ghcr.io/acme/api").is_empty());
    }
}
