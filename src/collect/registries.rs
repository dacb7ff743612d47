//! `--inspect-registries`: the platforms of images outside ECR, read anonymously from their
//! registries with the Docker Registry HTTP API V2 (distribution/distribution
//! `docs/content/spec/api.md`): `GET /v2/NAME/manifests/REF` with every manifest type in
//! `Accept`, the index's platforms, or the config blob's (`GET /v2/NAME/blobs/DIGEST`, which
//! may redirect to a CDN). A registry that answers 401 with `WWW-Authenticate: Bearer
//! realm=…,service=…,scope=…` hands out anonymous pull tokens for public images ("the client
//! will need to make a GET request to the URL … using the service and scope values",
//! `docs/content/spec/auth/token.md`); one that asks for Basic credentials needs the task's
//! `repositoryCredentials`, which pullpath never reads: the image stays unknown.
//!
//! Loopback registries (`127.0.0.0/8`, `localhost`) are spoken to over plain HTTP, as Docker
//! does ("Docker … treats 127.0.0.0/8 as an insecure registry"); all others over HTTPS.

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::Value;

use super::manifests::{
    fetch_limited, parse_config, parse_manifest, read_limited, Manifest, ACCEPTED_MEDIA_TYPES,
};
use crate::model::{OtherImage, Platform, RegistryImage};

/// Fills `snapshot.registry_images` with the platforms of every non-ECR image its task
/// definitions name.
pub async fn inspect_snapshot(http: &reqwest::Client, snapshot: &mut crate::model::Snapshot) {
    use crate::model::ImageRef;
    let mut images: Vec<OtherImage> = Vec::new();
    // The images of ECS task definitions and of Kubernetes pods alike.
    let kube_images = snapshot
        .kube_clusters
        .iter()
        .flatten()
        .flat_map(|c| c.workloads.iter().flatten())
        .flat_map(|w| w.containers.iter().map(|c| c.image.as_str()));
    let all: Vec<String> = snapshot
        .task_definitions
        .iter()
        .flatten()
        .flat_map(|t| t.container_definitions.iter().map(|c| c.image.as_str()))
        .chain(kube_images)
        .map(str::to_string)
        .collect();
    for image in &all {
        match ImageRef::parse(image) {
            ImageRef::Other(other) => images.push(other),
            // An image a pull-through cache imports on first pull: its upstream's manifest.
            ImageRef::Ecr(ecr) => {
                let upstream = snapshot
                    .ecr_pull_through_cache_rules
                    .iter()
                    .flatten()
                    .find(|r| {
                        r.registry_id == ecr.account
                            && r.region == ecr.region
                            && r.serves(&ecr.repository)
                    })
                    .and_then(|r| r.upstream_image(&ecr.repository, &ecr.reference.as_suffix()));
                if let Some(ImageRef::Other(other)) = upstream.as_deref().map(ImageRef::parse) {
                    images.push(other);
                }
            }
        }
    }
    snapshot.registry_images = Some(inspect(http, &images).await);
}

/// Reads each image's platforms; an image that cannot be read keeps why.
pub async fn inspect(http: &reqwest::Client, images: &[OtherImage]) -> Vec<RegistryImage> {
    let mut out: Vec<RegistryImage> = Vec::new();
    for image in images {
        if out.iter().any(|i| i.image == image.image) {
            continue;
        }
        let read = platforms(http, image).await;
        out.push(RegistryImage {
            image: image.image.clone(),
            platforms: read.as_ref().ok().cloned(),
            error: read.err(),
        });
    }
    out
}

fn base_url(host: &str) -> String {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let loopback = name == "localhost"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    format!("{}://{host}", if loopback { "http" } else { "https" })
}

async fn platforms(http: &reqwest::Client, image: &OtherImage) -> Result<Vec<Platform>, String> {
    let (repository, reference) = image.repository_and_reference();
    let base = base_url(&image.host);
    let manifest_url = format!("{base}/v2/{repository}/manifests/{}", reference.as_path());
    let accept = ACCEPTED_MEDIA_TYPES.join(", ");
    let mut token: Option<String> = None;
    let mut body = None;
    for _ in 0..2 {
        let mut request = http.get(&manifest_url).header(ACCEPT, &accept);
        if let Some(token) = &token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{}: {e}", image.host))?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED && token.is_none() {
            token = Some(anonymous_token(http, response.headers(), &base).await?);
            continue;
        }
        if !response.status().is_success() {
            return Err(format!(
                "the registry answered HTTP {} for the manifest",
                response.status()
            ));
        }
        body = Some(read_limited(response).await?);
        break;
    }
    let body = body.ok_or("the registry refused the anonymous token")?;
    let text = std::str::from_utf8(&body).map_err(|_| "the manifest is not UTF-8".to_string())?;
    match parse_manifest(text)? {
        Manifest::Index(platforms) => Ok(platforms),
        Manifest::Named(platform) => Ok(vec![platform]),
        Manifest::Config { digest } => {
            let mut request = http.get(format!("{base}/v2/{repository}/blobs/{digest}"));
            if let Some(token) = &token {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            let config = fetch_limited(request)
                .await
                .map_err(|e| format!("the image config: {e}"))?;
            Ok(vec![parse_config(&config)?])
        }
    }
}

/// An anonymous pull token from the realm a `Bearer` challenge names. The realm must be
/// HTTPS (plain HTTP only on loopback, for a loopback registry): a registry cannot send
/// pullpath to an arbitrary URL.
async fn anonymous_token(
    http: &reqwest::Client,
    headers: &HeaderMap,
    registry_base: &str,
) -> Result<String, String> {
    let challenge = headers
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .ok_or("the registry asks for authentication without saying how")?;
    let params = bearer_challenge(challenge).ok_or_else(|| {
        "the registry asks for credentials (not an anonymous token): the image is private, and pullpath never reads the task's repositoryCredentials".to_string()
    })?;
    let realm = params
        .iter()
        .find(|(k, _)| k == "realm")
        .map(|(_, v)| v.clone())
        .ok_or("the registry's Bearer challenge names no realm")?;
    check_realm(&realm, registry_base)?;
    let query: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k == "service" || k == "scope")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = fetch_limited(http.get(&realm).query(&query))
        .await
        .map_err(|e| format!("no anonymous token from {realm}: {e}"))?;
    let value: Value = serde_json::from_slice(&body).map_err(|_| "the token answer is not JSON")?;
    value
        .get("token")
        .or_else(|| value.get("access_token"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "the token answer has no token".into())
}

fn check_realm(realm: &str, registry_base: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(realm).map_err(|_| "the token realm is not a URL".to_string())?;
    let loopback = |host: Option<&str>| {
        host.is_some_and(|h| {
            h == "localhost"
                || h.parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback(url.host_str()) && registry_base.starts_with("http://") => Ok(()),
        _ => Err(format!(
            "the token realm `{realm}` is not HTTPS: not followed"
        )),
    }
}

/// The parameters of a `Bearer realm="…",service="…",scope="…"` challenge; `None` for any
/// other scheme (Basic).
pub fn bearer_challenge(header: &str) -> Option<Vec<(String, String)>> {
    let rest = header.trim();
    let (scheme, params) = rest.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    let mut out = Vec::new();
    let mut remaining = params.trim();
    while !remaining.is_empty() {
        let (key, after) = remaining.split_once('=')?;
        let after = after.trim_start();
        let (value, rest) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key.trim().to_ascii_lowercase(), value.to_string()));
        remaining = rest.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_parsed_and_basic_is_not_anonymous() {
        let params = bearer_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        )
        .expect("bearer");
        assert_eq!(
            params,
            [
                (
                    "realm".to_string(),
                    "https://auth.docker.io/token".to_string()
                ),
                ("service".to_string(), "registry.docker.io".to_string()),
                (
                    "scope".to_string(),
                    "repository:library/nginx:pull".to_string()
                ),
            ]
        );
        assert!(bearer_challenge(r#"Basic realm="Registry Realm""#).is_none());
        assert!(bearer_challenge("Bearer").is_none());
    }

    #[test]
    fn token_realms_must_be_https() {
        assert!(check_realm(
            "https://auth.docker.io/token",
            "https://registry-1.docker.io"
        )
        .is_ok());
        assert!(check_realm("http://169.254.169.254/latest", "https://evil.example").is_err());
        assert!(check_realm("http://127.0.0.1:5001/token", "http://127.0.0.1:5000").is_ok());
        assert!(check_realm("http://127.0.0.1:5001/token", "https://ghcr.io").is_err());
        assert!(check_realm("file:///etc/passwd", "https://ghcr.io").is_err());
    }

    #[test]
    fn loopback_registries_are_plain_http() {
        assert_eq!(base_url("127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(base_url("localhost:5000"), "http://localhost:5000");
        assert_eq!(base_url("ghcr.io"), "https://ghcr.io");
        assert_eq!(
            base_url("harbor.acme.internal:8443"),
            "https://harbor.acme.internal:8443"
        );
    }
}
