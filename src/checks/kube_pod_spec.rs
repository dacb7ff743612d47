//! What a pod's own spec decides before any pull: an image reference the kubelet cannot
//! parse, and an image it is told never to pull. Both are about one container and need
//! neither the network nor credentials.

use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{image_reference_error, KubeWorkload};

/// The findings of `pod`'s containers (`label`: `namespace/Kind/name`), each with its
/// severity: `Some(true)` blocks, `Some(false)` leaves the pull unknown.
pub fn pod_spec_findings(label: &str, pod: &KubeWorkload) -> Vec<(Option<bool>, Blocker)> {
    let mut findings = Vec::new();
    for container in &pod.containers {
        let (name, image) = (&container.name, &container.image);
        if let Some(why) = image_reference_error(image) {
            // `pkg/kubelet/images/image_manager.go` `EnsureImageExists`: the reference is
            // parsed first; a failure is `ErrInvalidImageName`, the container never starts.
            findings.push((
                Some(true),
                Blocker::new(
                    Code::InvalidImageName,
                    format!("{}/{}", pod.namespace, pod.name),
                    format!("{label}: container `{name}` names image `{image}`, which is not a valid image reference ({why}), so the kubelet refuses to pull it (InvalidImageName)"),
                    format!("Correct the image of container `{name}` to REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], lowercase."),
                ),
            ));
            continue;
        }
        if container.pull_policy.as_deref() == Some("Never") {
            // `shouldPullImage` is false for `Never`: the container starts only where the
            // node already holds the image, else `ErrImageNeverPull` (same file).
            findings.push((
                Some(false),
                Blocker::new(
                    Code::ImagePullPolicyNever,
                    format!("{}/{}", pod.namespace, pod.name),
                    format!("{label}: container `{name}` has imagePullPolicy Never, so the kubelet never pulls `{image}`: it starts only on nodes that already hold the image (ErrImageNeverPull elsewhere), which configuration cannot show"),
                    format!("Set imagePullPolicy of container `{name}` to IfNotPresent (or Always), or make sure every node the pods may run on has the image preloaded."),
                ),
            ));
        }
    }
    findings
}
