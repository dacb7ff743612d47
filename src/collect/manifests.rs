//! The platforms an image offers, from its manifest. An image index (OCI) or manifest list
//! (Docker) lists one manifest per platform (`manifests[].platform`: `os`, `architecture`,
//! `variant`); a single-platform manifest names its platform only in its config blob
//! (`architecture`, `os`, `variant`), one small download; a schema 1 manifest names its
//! `architecture` itself. Sources: OCI image-spec `image-index.md` and `config.md`; Docker
//! "Image Manifest V2, Schema 2" (distribution/distribution `docs/content/spec/manifest-v2-2.md`).
//!
//! For ECR, the manifest is `ecr:BatchGetImage` with every manifest media type accepted (as
//! AWS's own containerd resolver asks, `awslabs/amazon-ecr-containerd-resolver` `ecr/base.go`),
//! so an index comes back as an index; the config blob is fetched from the presigned URL
//! `ecr:GetDownloadUrlForLayer` returns. Nothing is pulled but the manifest and that config.

use aws_sdk_ecr::types::ImageIdentifier;
use serde_json::Value;

use super::calls::{attempt, Call, CollectError, Session};
use crate::model::Platform;

/// Every manifest type a pull may meet: image index and manifest list first.
pub const ACCEPTED_MEDIA_TYPES: [&str; 5] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// A manifest or config bigger than this is refused: real ones are a few kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// What a manifest says of platforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An index: these platforms (attestation entries, `unknown/unknown`, left out).
    Index(Vec<Platform>),
    /// A single-platform manifest: the platform is in the config blob with this digest.
    Config { digest: String },
    /// A schema 1 manifest, which names its platform.
    Named(Platform),
}

/// Reads a manifest's JSON text.
pub fn parse_manifest(text: &str) -> Result<Manifest, String> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the manifest is larger than {MAX_DOCUMENT_BYTES} bytes"
        ));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    if let Some(entries) = value.get("manifests").and_then(Value::as_array) {
        let mut platforms = Vec::new();
        for entry in entries {
            // An entry without a platform may serve any (containerd keeps such entries): the
            // index then does not tell what it offers.
            let Some(platform) = entry.get("platform") else {
                return Err(
                    "an index entry names no platform, so the platforms offered are not known"
                        .into(),
                );
            };
            let platform = platform_of(platform)
                .ok_or("an index entry's platform has no `os` or `architecture`")?;
            // BuildKit's attestation manifests are `unknown/unknown`: no platform.
            if platform.os != "unknown" && !platforms.contains(&platform) {
                platforms.push(platform);
            }
        }
        return Ok(Manifest::Index(platforms));
    }
    if let Some(digest) = value
        .get("config")
        .and_then(|c| c.get("digest"))
        .and_then(Value::as_str)
    {
        return Ok(Manifest::Config {
            digest: digest.to_string(),
        });
    }
    if value.get("schemaVersion").and_then(Value::as_i64) == Some(1) {
        if let Some(architecture) = value.get("architecture").and_then(Value::as_str) {
            return Ok(Manifest::Named(Platform {
                os: "linux".into(),
                architecture: architecture.to_string(),
                variant: None,
            }));
        }
    }
    Err("the manifest is neither an index nor an image manifest".into())
}

/// Reads an image config blob's platform.
pub fn parse_config(bytes: &[u8]) -> Result<Platform, String> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the image config is larger than {MAX_DOCUMENT_BYTES} bytes"
        ));
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the image config is not JSON: {e}"))?;
    platform_of(&value).ok_or_else(|| "the image config names no `os` or `architecture`".into())
}

fn platform_of(value: &Value) -> Option<Platform> {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(Platform {
        os: text("os")?,
        architecture: text("architecture")?,
        variant: text("variant"),
    })
}

/// Sends `request` and reads a successful answer's body, refusing one over
/// [`MAX_DOCUMENT_BYTES`].
pub async fn fetch_limited(request: reqwest::RequestBuilder) -> Result<Vec<u8>, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    read_limited(response).await
}

/// A response's body, refusing one over [`MAX_DOCUMENT_BYTES`].
pub async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the body is larger than {MAX_DOCUMENT_BYTES} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

const BATCH_GET_IMAGE: Call = Call {
    service: "ecr",
    operation: "BatchGetImage",
    action: "ecr:BatchGetImage",
    collection: "ecr_image_manifests",
};

const GET_DOWNLOAD_URL: Call = Call {
    service: "ecr",
    operation: "GetDownloadUrlForLayer",
    action: "ecr:GetDownloadUrlForLayer",
    collection: "ecr_image_manifests",
};

/// The platforms of the ECR image `digest` of `registry`/`repository`: `Ok(None)` when they
/// could not be read (a denied call is a coverage gap; anything else leaves them unknown too,
/// never guessed).
pub async fn ecr_platforms(
    client: &aws_sdk_ecr::Client,
    http: &reqwest::Client,
    session: &Session,
    registry: &str,
    repository: &str,
    digest: &str,
) -> Result<Option<Vec<Platform>>, CollectError> {
    let mut request = client
        .batch_get_image()
        .registry_id(registry)
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_digest(digest).build());
    for media_type in ACCEPTED_MEDIA_TYPES {
        request = request.accepted_media_types(media_type);
    }
    let Some(output) = optional(attempt(session, BATCH_GET_IMAGE, request.send()).await)? else {
        return Ok(None);
    };
    let Some(text) = output.images().first().and_then(|i| i.image_manifest()) else {
        return Ok(None); // a failure entry (image gone since DescribeImages)
    };
    match parse_manifest(text) {
        Ok(Manifest::Index(platforms)) => Ok(Some(platforms)),
        Ok(Manifest::Named(platform)) => Ok(Some(vec![platform])),
        Ok(Manifest::Config { digest: config }) => {
            let request = client
                .get_download_url_for_layer()
                .registry_id(registry)
                .repository_name(repository)
                .layer_digest(&config)
                .send();
            let Some(output) = optional(attempt(session, GET_DOWNLOAD_URL, request).await)? else {
                return Ok(None);
            };
            let Some(url) = output.download_url() else {
                return Ok(None);
            };
            match fetch_limited(http.get(url)).await {
                Ok(body) => Ok(parse_config(&body).ok().map(|p| vec![p])),
                Err(_) => Ok(None),
            }
        }
        Err(_) => Ok(None),
    }
}

/// An optional read: a failure other than a denial leaves it unread instead of ending the
/// collection (the emulator, for one, does not serve `GetDownloadUrlForLayer`).
fn optional<T>(result: Result<Option<T>, CollectError>) -> Result<Option<T>, CollectError> {
    match result {
        Err(CollectError::Api { .. }) => Ok(None),
        other => other,
    }
}

#[cfg(test)]
pub(super) mod tests;
