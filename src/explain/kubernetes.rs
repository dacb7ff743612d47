//! Kubernetes image-pull messages: telling them from ECS's, and what they mean to someone who
//! runs pods rather than tasks.
//!
//! The causes are the container runtime's wordings and go through the same rules as ECS's
//! (`rules.rs`); what differs is who pulls (the node's kubelet and runtime, with the node's
//! IAM role or the pod's pull secrets), so the meaning, the next check and the suspects.
//!
//! Sources of the Kubernetes wordings matched here:
//! - `Failed to pull image "X": …` (event `Failed`), `Back-off pulling image "X"` (event
//!   `BackOff`), `Container image "X" is not present with pull policy of Never`, `Failed to
//!   apply default image tag "X": …`, `image pull failed for X because the registry is
//!   unavailable`: kubelet pkg/kubelet/images/image_manager.go.
//! - The waiting reasons `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull`,
//!   `InvalidImageName`, `RegistryUnavailable`, `ImageInspectError`: kubelet
//!   pkg/kubelet/images/types.go; the event `Error: ErrImagePull` is
//!   pkg/kubelet/kuberuntime/kuberuntime_container.go (`startContainer`).
//! - `Unable to retrieve some image pull secrets (…); attempting to pull the image may not
//!   succeed.` (event `FailedToRetrieveImagePullSecret`) and the older log line `Unable to
//!   retrieve pull secret NS/NAME for NS/POD …`: kubelet pkg/kubelet/kubelet_pods.go.
//! - `rpc error: code = … desc = …`: the CRI call's gRPC status; `failed to pull and unpack
//!   image`, `failed to get sandbox image`: containerd's CRI plugin.

use std::sync::LazyLock;

use regex::Regex;

use super::category::{call_name, Category, DeniedBy};
use super::suspects::is_ecr;
use crate::workload::Target;

static KUBERNETES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"Failed to pull image "|Back-off pulling image|\bErrImagePull\b|\bImagePullBackOff\b|\bErrImageNeverPull\b|\bInvalidImageName\b|\bRegistryUnavailable\b|\bImageInspectError\b|is not present with pull policy of Never|Failed to apply default image tag|because the registry is unavailable|Unable to retrieve (?:some image pull secrets|pull secret)|FailedToRetrieveImagePullSecret|failed to pull and unpack image|rpc error: code = |Failed to create pod sandbox|failed to get sandbox image|\bkubelet\b"#,
    )
    .expect("a valid built-in pattern")
});

/// The message is the kubelet's (an event, a container's waiting message, a kubelet log
/// line) or its runtime's through the CRI. ECS's own wordings never match: its agent says
/// "failed to resolve ref", never containerd's CRI "failed to pull and unpack image".
pub fn is_kubernetes(message: &str) -> bool {
    KUBERNETES.is_match(message)
}

/// One line: what the message means, for a pod.
pub fn meaning(
    category: Category,
    target: Option<Target>,
    private_ip: Option<bool>,
    denied_by: Option<DeniedBy>,
    message: &str,
) -> String {
    let call = call_name(target);
    match category {
        Category::NetworkTimeout => match private_ip {
            Some(false) => format!(
                "The node could not connect to {call}: the name resolved to a public IP, so the \
                 pull took the internet path (no VPC endpoint was used) and that path is \
                 blocked."
            ),
            Some(true) => format!(
                "The node could not connect to {call} at a private IP: the name resolved inside \
                 the VPC (a VPC endpoint or private route), and something on that path drops the \
                 traffic."
            ),
            None => format!("The node could not reach {call} over the network."),
        },
        Category::PermissionDenied => {
            let by = match denied_by {
                Some(DeniedBy::IdentityBasedPolicy) => " by the role's own policies",
                Some(DeniedBy::ResourceBasedPolicy) => " by the repository policy",
                Some(DeniedBy::VpcEndpointPolicy) => " by a VPC endpoint policy",
                Some(DeniedBy::ServiceControlPolicy) => " by a service control policy",
                Some(DeniedBy::PermissionsBoundary) => " by a permissions boundary",
                Some(DeniedBy::SessionPolicy) => " by a session policy",
                None => "",
            };
            if is_ecr(target) && denied_by.is_none() {
                format!(
                    "The network path worked, but {call} refused the pull (403): the node's IAM \
                     role may not pull from the repository, a repository or VPC endpoint policy \
                     denies it, or the ECR token in a pull secret has expired."
                )
            } else {
                format!("The network path worked, but {call} refused the pull{by}.")
            }
        }
        Category::RegistryAuthFailed if is_ecr(target) => {
            "ECR rejected the credentials the node presented (none, wrong or expired): they come \
             from the node's IAM role through the kubelet's ECR credential provider, or from a \
             pull secret holding an ECR token (valid 12 hours)."
                .into()
        }
        Category::RegistryAuthFailed => {
            "The registry rejected the credentials the kubelet sent (none, wrong or expired): \
             they come from the pod's imagePullSecrets and its service account's."
                .into()
        }
        Category::SecretNotFound => {
            "A pull secret the pod names (in imagePullSecrets, or through its service account) \
             cannot be read in the pod's namespace, so the kubelet pulls without it."
                .into()
        }
        Category::Unknown => match note(message) {
            Some(note) => note.meaning.into(),
            None => super::category::meaning(category, target, private_ip, denied_by),
        },
        _ => super::category::meaning(category, target, private_ip, denied_by),
    }
}

/// One line: the next thing to check, for a pod.
pub fn next_check(
    category: Category,
    target: Option<Target>,
    private_ip: Option<bool>,
    message: &str,
) -> String {
    let call = call_name(target);
    match category {
        Category::NetworkTimeout => match private_ip {
            Some(false) => format!(
                "If a VPC endpoint for {call} exists, check its private DNS and the VPC's \
                 enableDnsSupport/enableDnsHostnames; otherwise check the node subnet's route to \
                 a NAT gateway (or a public IP with an internet gateway). On Fargate the pod's \
                 own subnet and security groups carry the pull."
            ),
            Some(true) => format!(
                "Check that the endpoint's security group allows TCP 443 from the nodes, the \
                 nodes' security groups allow egress to it, and both subnets' network ACLs allow \
                 the request and the return traffic for {call}."
            ),
            None => format!(
                "Check the node subnet's route, gateways, endpoints, security groups and ACLs on \
                 the path to {call} (on Fargate, the pod's subnet); the pull is the node's, not \
                 the pod network's."
            ),
        },
        Category::PermissionDenied if target == Some(Target::Registry) => format!(
            "Check the pull secret's credentials for {call}: the account must be allowed to \
             pull this repository."
        ),
        Category::PermissionDenied => {
            "Check the node's IAM role (the node group's instance role, or the Fargate pod \
             execution role) for ecr:BatchGetImage and ecr:GetDownloadUrlForLayer \
             (AmazonEC2ContainerRegistryReadOnly), the repository policy for another account's \
             repository, any VPC endpoint policy on the path (for layers, the S3 gateway \
             endpoint's), and the age of an ECR token in a pull secret."
                .into()
        }
        Category::RegistryAuthFailed if is_ecr(target) => {
            "Check the node role allows ecr:GetAuthorizationToken and the kubelet's ECR \
             credential provider is set up (Kubernetes 1.27+ needs the external \
             ecr-credential-provider); a pull secret with an ECR token must be refreshed every \
             12 hours."
                .into()
        }
        Category::RegistryAuthFailed => {
            "Check the pod's imagePullSecrets (and its service account's): each must exist in the \
             pod's namespace, be of type kubernetes.io/dockerconfigjson, and hold valid \
             credentials for this exact registry host."
                .into()
        }
        Category::ImageNotFound => {
            "Check the pod's image reference against the registry's tags (for ECR: aws ecr \
             describe-images); a private repository may also answer so to a pull without \
             valid credentials."
                .into()
        }
        Category::RateLimited => {
            "Authenticate the pulls (an imagePullSecret for the registry) or mirror the image to \
             ECR (a pull-through cache rule)."
                .into()
        }
        Category::SecretNotFound => {
            "Check the secret with kubectl get secret NAME -n NAMESPACE: create it in the pod's \
             namespace (secrets are not shared across namespaces) or correct the name in \
             imagePullSecrets or the service account."
                .into()
        }
        Category::Unknown => match note(message) {
            Some(note) => note.next_check.into(),
            None => super::category::next_check(category, target, private_ip),
        },
        _ => super::category::next_check(category, target, private_ip),
    }
}

struct Note {
    pattern: Regex,
    meaning: &'static str,
    next_check: &'static str,
}

/// Kubernetes messages pullpath recognises but whose cause is none of the categories: what
/// they mean. First match wins (a back-off quoting a platform mismatch is the mismatch).
static NOTES: LazyLock<Vec<Note>> = LazyLock::new(|| {
    [
        (
            r"no match for platform in manifest|no matching manifest for \S+ in the manifest list",
            "The image has no variant for the node's OS and architecture (an arm64-only image \
             on amd64 nodes, or the reverse).",
            "Publish a multi-architecture image, or schedule the pod on nodes of the image's \
             architecture (nodeSelector kubernetes.io/arch).",
        ),
        (
            r"exec format error",
            "The pull worked, but a program the container (or its runtime shim) starts is built \
             for another architecture than the node's.",
            "Compare the image's platforms (crane manifest, docker manifest inspect) and what its \
             binaries are built for with the node's kubernetes.io/arch label; publish a \
             multi-architecture image or schedule the pod on matching nodes.",
        ),
        (
            r"x509|certificate signed by unknown authority",
            "The node does not trust the registry's TLS certificate (a private CA, or a proxy \
             that intercepts TLS).",
            "Add the CA to the nodes' trust store or to the runtime's registry configuration \
             (containerd certs.d/hosts.toml).",
        ),
        (
            r"is not present with pull policy of Never|\bErrImageNeverPull\b",
            "The image is not on the node and the container's imagePullPolicy is Never, so the \
             kubelet does not pull it.",
            "Set imagePullPolicy to IfNotPresent (or Always), or preload the image on every \
             node the pod can run on.",
        ),
        (
            r"Failed to apply default image tag|couldn.t parse image reference|\bInvalidImageName\b",
            "The container's image reference cannot be parsed, so no pull was attempted.",
            "Correct the image field of the pod spec (a lowercase repository, one tag or \
             digest, no scheme).",
        ),
        (
            r"\bErrImagePull\b|\bImagePullBackOff\b|Back-off pulling image|\bImageInspectError\b|Failed to inspect image",
            "A pull failed (ErrImagePull) and the kubelet waits before retrying \
             (ImagePullBackOff); this message does not say why.",
            "Read the pod's `Failed` event (kubectl describe pod, or kubectl get events \
             --field-selector involvedObject.name=POD): its 'Failed to pull image' message \
             names the cause; explain that message.",
        ),
    ]
    .into_iter()
    .map(|(pattern, meaning, next_check)| Note {
        pattern: Regex::new(pattern).expect("a valid built-in pattern"),
        meaning,
        next_check,
    })
    .collect()
});

fn note(message: &str) -> Option<&'static Note> {
    NOTES.iter().find(|note| note.pattern.is_match(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_wordings_are_told_from_ecs_ones() {
        for text in [
            "Back-off pulling image \"nginx:1.25\"",
            "Error: ErrImagePull",
            "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
            "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:9\": failed to resolve reference \"docker.io/library/nginx:9\": docker.io/library/nginx:9: not found",
        ] {
            assert!(is_kubernetes(text), "{text}");
        }
        for text in [
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1\": dial tcp 52.46.144.120:443: i/o timeout",
            "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed",
        ] {
            assert!(!is_kubernetes(text), "{text}");
        }
    }

    #[test]
    fn a_back_off_quoting_a_platform_mismatch_is_the_mismatch() {
        let text = "Back-off pulling image \"acme/api:2\": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/acme/api:2\": no match for platform in manifest: not found";
        assert!(next_check(Category::Unknown, None, None, text).contains("kubernetes.io/arch"));
    }
}
