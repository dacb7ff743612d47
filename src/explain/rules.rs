//! The wordings that decide a message's category, most specific first, and the phrases that
//! tell which call of the pull sequence it is about.
//!
//! Patterns match fragments, not whole messages: the ECS agent's wording changed across
//! versions (docker, containerd, the 2024 "The task cannot pull …" texts) and Fargate cuts long
//! reasons, so a rule must still fire on the part that survives.
//!
//! Kubernetes messages go through the same rules. The kubelet wraps the container runtime's
//! error (`Failed to pull image "X": rpc error: code = … desc = …`, kubelet
//! pkg/kubelet/images/image_manager.go), so the cause is the runtime's wording: containerd's
//! CRI plugin and resolver, CRI-O's containers/image, or the Docker daemon behind dockershim
//! (Kubernetes ≤ 1.23) — the same wordings ECS shows. What is Kubernetes' own (the waiting
//! reasons, the pull-secret warning) has rules of its own below, each naming its source.
//!
//! Classification is linear in the message: a rule's last match is found with `find_iter`,
//! which rescans from each match onwards as long as an alternative that began before the next
//! match is still alive. An alternative that can run to the end of the line (`[^\n]*`) next to
//! others that match often made a 64 KB message take seconds (quadratic in the line). Such an
//! alternative is a pattern of its own ([`Rule::or`]): alone, its greedy run is its own match.

use std::sync::LazyLock;

use regex::Regex;

use super::category::Category;
use super::facts::Facts;
use crate::workload::Target;

pub struct Rule {
    pub category: Category,
    /// The wordings, one regex each: the rule's match is the one that ends last.
    pub patterns: Vec<Regex>,
    /// The rule does not apply when this also matches (the regex crate has no look-around).
    pub unless: Option<Regex>,
    /// Categories the same wording can also mean (shown, never presented as the answer).
    pub alternatives: &'static [Category],
}

impl Rule {
    pub fn find<'m>(&self, message: &'m str) -> Option<regex::Match<'m>> {
        if self.unless.as_ref().is_some_and(|u| u.is_match(message)) {
            return None;
        }
        // Go wraps errors outermost first: the root cause is the last match.
        self.patterns
            .iter()
            .filter_map(|pattern| pattern.find_iter(message).last())
            // The match that ends last; of two ending together, the longer.
            .max_by_key(|found| (found.end(), std::cmp::Reverse(found.start())))
    }

    fn unless(mut self, pattern: &str) -> Self {
        self.unless = Some(insensitive(pattern));
        self
    }

    /// Another wording, searched on its own (see the module's note on linear time).
    fn or(mut self, pattern: &str) -> Self {
        self.patterns.push(insensitive(pattern));
        self
    }
}

fn insensitive(pattern: &str) -> Regex {
    Regex::new(&format!("(?i){pattern}")).expect("a valid built-in pattern")
}

fn rule(category: Category, pattern: &str, alternatives: &'static [Category]) -> Rule {
    Rule {
        category,
        patterns: vec![insensitive(pattern)],
        unless: None,
        alternatives,
    }
}

/// First match wins. Order matters where wordings overlap: a permission error can mention
/// retries, a log-group message can be a connection problem, a "not found" can be the local
/// content store's.
pub static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    use Category::*;
    vec![
        rule(
            DiskFull,
            r"no space left on device|not enough space on the disk",
            &[],
        ),
        // Stops that are not image-pull failures at all: say unknown, whatever words follow.
        rule(
            Unknown,
            r"OutOfMemoryError|Essential container in task exited|health checks?|network interface provisioning|Scaling activity initiated|Task stopped by user|spot interruption|content digest sha256:[0-9a-f]+: not found|failed to extract layer|EFS|mount\.nfs|efs-utils|Request timed out\)|x509|certificate signed by unknown authority|proxyconnect",
            &[],
        ),
        // The image has no manifest for the node's platform. Its "not found" is the platform's,
        // not the image's: containerd's CRI plugin wraps `errdefs.ErrNotFound` as "no match for
        // platform in manifest: not found" (containerd images/image.go, `Manifest`); the
        // Docker daemon says "no matching manifest for linux/amd64 in the manifest list
        // entries" (moby distribution/pull_v2.go). "exec format error" is the same mismatch
        // found when the container starts (runc; not a pull failure). No category fits: the
        // configuration pullpath reads cannot show an image's platforms.
        rule(
            Unknown,
            r"no match for platform in manifest|no matching manifest for \S+ in the manifest list|exec format error",
            &[],
        ),
        // Kubernetes: no pull was attempted. `ErrImageNeverPull` — "Container image \"X\" is
        // not present with pull policy of Never"; `InvalidImageName` — "Failed to apply default
        // image tag \"X\": couldn't parse image reference \"X\": …" (kubelet
        // pkg/kubelet/images/image_manager.go, `EnsureImageExists`; reasons in
        // pkg/kubelet/images/types.go).
        rule(
            ImageNeverPulled,
            r"is not present with pull policy of Never|\bErrImageNeverPull\b",
            &[],
        ),
        rule(
            InvalidImageName,
            r"Failed to apply default image tag|couldn.t parse image reference|\bInvalidImageName\b",
            &[],
        ),
        // Container start failures, except the awslogs driver's calls, which are part of the
        // start sequence pullpath checks.
        rule(
            Unknown,
            r"CannotStartContainerError|CannotCreateContainerError",
            &[],
        )
        .unless(r"logging driver|log stream|log group"),
        rule(
            RoleAssumeFailed,
            r"unable to assume (?:the )?role|not authorized to perform:? sts:AssumeRole",
            &[],
        ),
        rule(
            RateLimited,
            r"toomanyrequests|too many requests|\b429\b|pull rate limit|rate exceeded|ThrottlingException|throttl",
            &[],
        ),
        rule(
            NetworkTimeout,
            r"connection issue between the task and",
            &[],
        ),
        rule(
            LogGroupMissing,
            r"log group does not exist|log group \S+ does not exist|log group not found",
            &[],
        ),
        rule(
            SecretNotFound,
            r"can.t find the specified secret|invalid ssm parameters?|ParameterNotFound|ResourceNotFoundException: Secrets Manager|ResourceNotFoundException: The task can.t retrieve the secret|whether the secret exists|secret \S+ (?:was )?not found|did not contain json key",
            &[],
        )
        // Kubernetes: a pod's imagePullSecrets name a secret the kubelet cannot read. Event
        // `FailedToRetrieveImagePullSecret`: "Unable to retrieve some image pull secrets (a,
        // b); attempting to pull the image may not succeed." (kubelet
        // pkg/kubelet/kubelet_pods.go, `getPullSecretsForPod`, newer kubelets; documented by
        // kubernetes/website#41897, 2023); in Kubernetes 1.20 a log line only: "Unable to
        // retrieve pull secret NS/NAME for NS/POD due to …  The image pull may not succeed."
        // (same function).
        .or(r"Unable to retrieve (?:some image pull secrets|pull secret)|FailedToRetrieveImagePullSecret"),
        // Docker Hub answers a private or missing repository alike.
        // containerd says the same ("pull access denied, repository does not exist or may
        // require authorization: server message: insufficient_scope: authorization failed",
        // containerd remotes/docker/resolver.go). When the refusal itself says which
        // credentials failed (none sent, an expired ECR token), it is not ambiguous.
        rule(
            ImageNotFound,
            r"repository does not exist or may require|does not exist or no pull access",
            &[RegistryAuthFailed, PermissionDenied],
        )
        .unless(r"not authorized to perform|no basic auth credentials|authorization token has expired"),
        // ECR's "denied: Your authorization token has expired. Reauthenticate and try again."
        // is a 403 from the registry: a token a pull secret holds (12 hours) or a stale
        // credential-provider cache.
        rule(
            RegistryAuthFailed,
            r"\b401\b|unauthorized|no basic auth credentials|incorrect username or password|HTTP Basic: Access denied|authentication required|authorization token has expired",
            &[],
        )
        .or(r"(?:oauth|anonymous) token: unexpected status[^\n]*\b40[13]\b"),
        rule(
            PermissionDenied,
            r"not authorized to perform|AccessDenied|access denied|\b403\b|forbidden|requested access to the resource is denied|has the permissions|does not have permission|no pull access",
            &[],
        ),
        rule(
            ImageNotFound,
            r"manifest unknown|name unknown|image not found|repository \S+ not found|does not exist in the registry|manifest for \S+ not found|tag \S+ not found|image \S+ doesn.t exist|image doesn.t exist|\bnot found\s*(?:\.{3}|…)?$|: not found\b|API error \(404\)",
            &[],
        ),
        rule(
            NetworkTimeout,
            r"i/o timeout|i/o t\S*(?:\.{3}|…)$|dial tcp|context deadline exceeded|Client\.Timeout|request canceled while waiting for connection|TLS handshake timeout|connection refused|connection reset|no such host|network is unreachable|no route to host|(?:connection|connect|dial) timed out|failed to do request: (?:Head|Get|Post|Put)\b|send request failed|exceeded maximum number of attempts|RequestCanceled|RequestError",
            &[],
        )
        // Kubernetes `RegistryUnavailable`: "image pull failed for X because the registry is
        // unavailable." (kubelet pkg/kubelet/images/image_manager.go; newer kubelets append
        // the runtime's cause). CRI-O returns it for a registry it cannot reach (server/
        // image_pull.go wraps a refused connection, in newer versions DNS failures and
        // timeouts too); a cause with a wording of its own decides first.
        .or(r"because the registry is unavailable|\bRegistryUnavailable\b"),
        // Kubernetes waiting reasons that only say a pull failed: `ErrImagePull`,
        // `ImagePullBackOff` ("Back-off pulling image \"X\""), `ImageInspectError` (kubelet
        // pkg/kubelet/images/types.go, image_manager.go). Last, so that a cause quoted with
        // them ("Back-off pulling image \"X\": ErrImagePull: …", newer kubelets' `pullImage`)
        // decides.
        rule(
            Unknown,
            r"\bErrImagePull\b|\bImagePullBackOff\b|Back-off pulling image|\bImageInspectError\b|Failed to inspect image",
            &[],
        ),
    ]
});

/// Phrases that name the stage of the pull sequence that failed, checked before the host: the
/// agent's own words are the surest sign ("unable to retrieve ecr registry auth").
static STAGES: LazyLock<Vec<(Regex, Target)>> = LazyLock::new(|| {
    [
        (
            r"ecr registry auth|registry auth from Amazon ECR|GetAuthorizationToken|api\.ecr\.|CannotPullECRContainerError",
            Target::EcrApi,
        ),
        (
            r"from asm|secrets ?manager|secretsmanager|specified secret",
            Target::Secretsmanager,
        ),
        (r"from ssm|ssm parameter|\bssm:|ParameterNotFound", Target::Ssm),
        (
            r"logger|log stream|log group|cloudwatch|\blogs:",
            Target::Logs,
        ),
    ]
    .into_iter()
    .map(|(pattern, target)| {
        (
            Regex::new(&format!("(?i){pattern}")).expect("a valid built-in pattern"),
            target,
        )
    })
    .collect()
});

/// The message without the names users choose: ARNs (`arn:aws:secretsmanager:…` in a
/// registry error), URL paths and image references (a repository `prefs-api`, a tag `429`)
/// would otherwise match the wordings that decide a category or a stage.
pub fn masked(message: &str) -> String {
    let message = ARN.replace_all(message, "ARN");
    let message = URL_PATH.replace_all(&message, "$1/PATH");
    IMAGE_REFERENCE
        .replace_all(&message, "${1}IMAGE")
        .into_owned()
}

static URL_PATH: LazyLock<Regex> =
    LazyLock::new(|| insensitive(r#"(https?://[a-z0-9.-]+(?::\d+)?)/[^\s"'`]*"#));
static IMAGE_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    insensitive(
        r#"(^|[\s'"])[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?/[a-z0-9._/-]+(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?"#,
    )
});

static ARN: LazyLock<Regex> = LazyLock::new(|| insensitive(r#"arn:aws[a-z-]*:[^\s'"]+"#));

static LAYER_FETCH: LazyLock<Regex> = LazyLock::new(|| {
    insensitive(
        r"httpRead(?:er)?Seeker|/blobs/sha256|starport-layer-bucket|GetDownloadUrlForLayer|error pulling image configuration|<Code>AccessDenied</Code>",
    )
});

/// The call a message is about, or `None` when it does not say. `words` is the message
/// `masked`; layer fetches and Docker Hub references are read from the message itself.
pub fn target_of(message: &str, words: &str, category: Category, facts: &Facts) -> Option<Target> {
    if matches!(category, Category::RoleAssumeFailed | Category::DiskFull) {
        return None;
    }
    if let Some((_, target)) = STAGES.iter().find(|(p, _)| p.is_match(words)) {
        return Some(*target);
    }
    // ECR serves layers from S3 through a redirect on the registry host, so a layer fetch
    // named with the registry host is an S3 call. Other registries have their own CDNs.
    let layer = LAYER_FETCH.is_match(message)
        || facts
            .url_path
            .as_deref()
            .is_some_and(|p| p.contains("/blobs/"));
    if let Some(host) = &facts.host {
        return Some(target_of_host(host, layer));
    }
    if layer {
        return Some(Target::S3Layers);
    }
    if let Some(action) = &facts.action {
        return target_of_action(action);
    }
    // "pull access denied for some/image": a reference without a registry host is Docker Hub.
    if DOCKER_HUB_REFERENCE.is_match(message) {
        return Some(Target::Registry);
    }
    None
}

static DOCKER_HUB_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| insensitive(r"pull access denied for [a-z0-9_-]+(?:/[a-z0-9_.-]+)?[,:\s]"));

fn target_of_host(host: &str, blob: bool) -> Target {
    if host.starts_with("api.ecr.") {
        Target::EcrApi
    } else if host.contains(".dkr.ecr.") {
        if blob {
            Target::S3Layers
        } else {
            Target::EcrDkr
        }
    } else if host.ends_with(".amazonaws.com") && (host.contains(".s3.") || host.starts_with("s3."))
    {
        Target::S3Layers
    } else if host.starts_with("secretsmanager.") {
        Target::Secretsmanager
    } else if host.starts_with("ssm.") {
        Target::Ssm
    } else if host.starts_with("logs.") {
        Target::Logs
    } else {
        Target::Registry
    }
}

fn target_of_action(action: &str) -> Option<Target> {
    let (service, name) = action.split_once(':')?;
    Some(match (service.to_lowercase().as_str(), name) {
        ("ecr", "GetAuthorizationToken") => Target::EcrApi,
        ("ecr", _) => Target::EcrDkr,
        ("secretsmanager", _) | ("kms", _) => Target::Secretsmanager,
        ("ssm", _) => Target::Ssm,
        ("logs", _) => Target::Logs,
        ("s3", _) => Target::S3Layers,
        _ => return None,
    })
}
