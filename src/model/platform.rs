//! Image platforms: which operating systems and CPU architectures an image offers, read from
//! its manifest (an image index lists one manifest per platform; a single-platform image names
//! its platform in its config), and images of registries other than ECR.

use serde::{Deserialize, Serialize};

/// One platform an image offers (OCI image index `manifests[].platform`, or the image config's
/// `os`/`architecture`/`variant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// `linux`, `windows`… (`unknown` marks attestation manifests, which are no platform).
    pub os: String,
    /// `amd64`, `arm64`, `arm`, `386`…
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// An image of a registry other than ECR, as `--inspect-registries` read its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryImage {
    /// The image as the task definition names it.
    pub image: String,
    /// `None`: the manifest could not be read (`error` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<Platform>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
