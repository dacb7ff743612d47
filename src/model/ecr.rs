//! ECR: repositories and their images.

use serde::{Deserialize, Serialize};

use super::platform::Platform;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Repository {
    pub name: String,
    /// The registry (account) id that owns the repository.
    pub registry_id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The repository policy; `None` when the repository has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
    /// `None`: images were not listed (tag/digest existence unknown).
    #[serde(default)]
    pub images: Option<Vec<Image>>,
}

impl Repository {
    pub fn arn(&self) -> String {
        self.arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:ecr:{}:{}:repository/{}",
                self.region, self.registry_id, self.name
            )
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Image {
    pub digest: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The platforms the image offers, from its manifest; `None`: not read (the image's
    /// platform is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<Platform>>,
}

/// A pull-through cache rule: pulling `PREFIX/upstream/repo` from this registry creates the
/// repository (first pull) and imports the image from the upstream registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullThroughCacheRule {
    pub registry_id: String,
    pub region: String,
    pub ecr_repository_prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_registry_url: Option<String>,
}

impl PullThroughCacheRule {
    /// The upstream image a repository of this rule imports: `PREFIX/REST:REF` comes from
    /// `UPSTREAM/REST:REF` (`ROOT` rules keep the whole name). `None` without an upstream URL.
    pub fn upstream_image(&self, repository: &str, reference_suffix: &str) -> Option<String> {
        let upstream = self.upstream_registry_url.as_deref()?;
        let rest = if self.ecr_repository_prefix == "ROOT" {
            repository
        } else {
            repository
                .strip_prefix(self.ecr_repository_prefix.as_str())?
                .strip_prefix('/')?
        };
        Some(format!("{upstream}/{rest}{reference_suffix}"))
    }

    /// Whether the rule serves `repository` (`PREFIX/…`).
    pub fn serves(&self, repository: &str) -> bool {
        // `ROOT` (ECR-to-ECR rules) serves every repository of the registry.
        if self.ecr_repository_prefix == "ROOT" {
            return true;
        }
        repository
            .strip_prefix(self.ecr_repository_prefix.as_str())
            .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
    }
}
