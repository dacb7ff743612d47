//! The image's platform against where its containers run. A task runs on `runtimePlatform`
//! (ECS Developer Guide, "Runtime platform": `cpuArchitecture` X86_64 | ARM64, default
//! X86_64; `operatingSystemFamily` default LINUX) on Fargate, and on its container
//! instance's architecture on EC2 (the agent pulls without naming a platform, so Docker pulls
//! for its host: amazon-ecs-agent `agent/dockerclient/dockerapi/docker_client.go`,
//! `ImagePullOptions{All: false}`). The runtime picks a manifest from an index with
//! containerd's matcher (`containerd/platforms`, `compare.go` `Only`): `linux/amd64` also
//! accepts `linux/386`; `linux/arm64` also accepts 32-bit `linux/arm` (v5 to v8); the
//! variant `v8` of arm64 is the same as none (`database.go`); an OS never matches another.
//! No match stops the pull: `CannotPullContainerError: … image Manifest does not contain
//! descriptor matching platform 'linux/arm64'` (Fargate), `no matching manifest for
//! linux/arm64/v8 in the manifest list entries` (Docker on EC2).

use super::catalog::Catalog;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{Platform, TaskDefinition};
use crate::workload::{EcrImage, Launch, OtherImage, Requirement, Target, Workload};

/// One place the containers run, with the platform their image must offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlatform {
    /// `linux` or `windows`.
    pub os: String,
    /// OCI names: `amd64`, `arm64`.
    pub architecture: String,
    /// For messages: "runtimePlatform ARM64", "instance i-0abc (arm64)".
    pub source: String,
    /// Whether the architecture comes from the task definition (the fix can change it there).
    pub from_task_definition: bool,
    /// A Kubernetes node's (its labels): the kubelet pulls, and a nodeSelector moves the pods.
    pub node: bool,
}

impl RunPlatform {
    fn name(&self) -> String {
        format!("{}/{}", self.os, self.architecture)
    }
}

/// Where the workload's containers run; `Err` when an instance's architecture is unknown.
pub fn run_platforms(
    catalog: &Catalog<'_>,
    workload: &Workload<'_>,
    task_definition: &TaskDefinition,
    instance_ids: &[String],
) -> Result<Vec<RunPlatform>, Blocker> {
    let platform = task_definition.runtime_platform.as_ref();
    let os = if task_definition.runs_windows() {
        "windows"
    } else {
        "linux"
    };
    match &workload.launch {
        Launch::Fargate { .. } => {
            let declared = platform.and_then(|p| p.cpu_architecture.as_deref());
            Ok(vec![RunPlatform {
                os: os.to_string(),
                architecture: oci_architecture(declared.unwrap_or("X86_64")),
                source: match declared {
                    Some(architecture) => format!("runtimePlatform cpuArchitecture {architecture}"),
                    None => {
                        "Fargate's default, X86_64 (the task definition sets no runtimePlatform)"
                            .to_string()
                    }
                },
                from_task_definition: true,
                node: false,
            }])
        }
        Launch::Ec2 { .. } => {
            // The instance's own OS, else the one the task definition asks for (ECS places
            // it on a matching instance); `runtimePlatform` is optional on EC2.
            let declared_os = platform
                .and_then(|p| p.operating_system_family.as_deref())
                .map(|_| os);
            let mut out: Vec<RunPlatform> = Vec::new();
            for id in instance_ids {
                // A Kubernetes node says its own platform (its labels); the instance's is the
                // same machine's, read from EC2.
                let node = workload
                    .node_platforms
                    .iter()
                    .find(|n| &n.instance_id == id);
                let run = match node {
                    Some(node) => RunPlatform {
                        os: node.os.clone(),
                        architecture: oci_architecture(&node.architecture),
                        source: format!(
                            "node {} (kubernetes.io/arch={})",
                            node.node, node.architecture
                        ),
                        from_task_definition: false,
                        node: true,
                    },
                    None => {
                        let instance = catalog.instance(id).flatten();
                        let architecture = instance.and_then(|i| i.architecture.as_deref());
                        let os = instance.and_then(|i| i.os.as_deref()).or(declared_os);
                        let (Some(architecture), Some(os)) = (architecture, os) else {
                            return Err(Blocker::new(
                                Code::NotCollected,
                                id,
                                format!("the architecture or operating system of instance {id} was not collected, so whether the image offers its platform is unknown"),
                                "Collect the instances (ec2:DescribeInstances), then audit again.",
                            ));
                        };
                        RunPlatform {
                            os: os.to_string(),
                            architecture: oci_architecture(architecture),
                            source: format!("instance {id} ({architecture})"),
                            from_task_definition: false,
                            node: false,
                        }
                    }
                };
                if !out.iter().any(|r| r.name() == run.name()) {
                    out.push(run);
                }
            }
            Ok(out)
        }
        Launch::External { .. } => Ok(Vec::new()),
    }
}

/// The OCI name of an ECS, EC2 or OCI architecture (containerd `normalizeArch`).
fn oci_architecture(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "x86_64" | "x86-64" | "amd64" | "x86_64_mac" => "amd64".into(),
        "arm64" | "aarch64" | "arm64_mac" => "arm64".into(),
        "i386" | "386" => "386".into(),
        other => other.to_string(),
    }
}

/// Whether an offered platform runs where `run` is (containerd's `Only` matcher).
fn runs_on(offered: &Platform, run: &RunPlatform) -> bool {
    if !offered.os.eq_ignore_ascii_case(&run.os) {
        return false;
    }
    let architecture = oci_architecture(&offered.architecture);
    let variant = offered.variant.as_deref().unwrap_or("");
    match run.architecture.as_str() {
        "amd64" => matches!(architecture.as_str(), "amd64" | "386"),
        "arm64" => match architecture.as_str() {
            "arm64" => matches!(variant, "" | "8" | "v8" | "v8.0") || variant.starts_with("v8."),
            "arm" => matches!(
                variant,
                "" | "v5" | "v6" | "v7" | "v8" | "5" | "6" | "7" | "8"
            ),
            _ => false,
        },
        other => architecture == other,
    }
}

/// The blocker of an image whose platforms are known: one per place it cannot run.
pub fn platform_blockers(
    image: &str,
    resource: &str,
    offered: &[Platform],
    runs: &[RunPlatform],
) -> Vec<Blocker> {
    let list = if offered.is_empty() {
        "no platform".to_string()
    } else {
        offered
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    runs.iter()
        .filter(|run| !offered.iter().any(|o| runs_on(o, run)))
        .map(|run| {
            let wanted = run.name();
            let rebuild = format!(
                "Build and push `{image}` for {wanted} too (docker buildx build --platform {},{wanted} -t {image} --push .)",
                offered.first().map_or_else(|| "linux/amd64".to_string(), |o| format!("{}/{}", o.os, o.architecture))
            );
            if run.node {
                // containerd's words when no manifest of the index matches (`images.Manifest`).
                return Blocker::new(
                    Code::ImagePlatformMismatch,
                    resource,
                    format!(
                        "image `{image}` offers {list}, but the pods run on {wanted} ({}): the kubelet's pull fails with ErrImagePull: no match for platform in manifest: not found",
                        run.source
                    ),
                    format!(
                        "{rebuild}, or schedule the pods on nodes the image runs on (nodeSelector kubernetes.io/arch: {}).",
                        offered.first().map_or("amd64", |o| o.architecture.as_str())
                    ),
                );
            }
            let alternative = if run.from_task_definition {
                match offered.iter().find(|o| o.os.eq_ignore_ascii_case(&run.os)) {
                    Some(o) => format!(", or set the task definition's runtimePlatform cpuArchitecture to {} to run where the image does", ecs_architecture(&o.architecture)),
                    None => String::new(),
                }
            } else {
                ", or run the service on instances of an architecture the image offers".to_string()
            };
            Blocker::new(
                Code::ImagePlatformMismatch,
                resource,
                format!(
                    "image `{image}` offers {list}, but the task runs on {wanted} ({}): the pull stops with CannotPullContainerError: image Manifest does not contain descriptor matching platform '{wanted}'",
                    run.source
                ),
                format!("{rebuild}{alternative}."),
            )
        })
        .collect()
}

fn ecs_architecture(oci: &str) -> &'static str {
    match oci_architecture(oci).as_str() {
        "arm64" => "ARM64",
        _ => "X86_64",
    }
}

/// An image and the platforms it offers (or why they are unknown), with the resource a
/// rebuild changes.
struct Offered<'a> {
    image: String,
    resource: String,
    platforms: Result<&'a [Platform], Blocker>,
}

/// The platform findings of one requirement: the manifest call (`ecr-dkr`) for ECR images,
/// the registry's call for the others.
pub fn requirement_platform_blockers(
    catalog: &Catalog<'_>,
    requirement: &Requirement,
    runs: &Result<Vec<RunPlatform>, Blocker>,
) -> Vec<Blocker> {
    let images: Vec<Offered<'_>> = match requirement.target {
        Target::EcrDkr => requirement
            .ecr_images
            .iter()
            .filter_map(|image| ecr_offered(catalog, image))
            .collect(),
        Target::Registry => requirement
            .other_images
            .iter()
            .map(|(image, _)| Offered {
                image: image.image.clone(),
                resource: image.host.clone(),
                platforms: registry_offered(catalog, image),
            })
            .collect(),
        _ => Vec::new(),
    };
    if images.is_empty() {
        return Vec::new();
    }
    let runs = match runs {
        Ok(runs) => runs,
        Err(blocker) => return vec![blocker.clone()],
    };
    let mut blockers = Vec::new();
    for image in images {
        match image.platforms {
            Ok(offered) => blockers.extend(platform_blockers(
                &image.image,
                &image.resource,
                offered,
                runs,
            )),
            Err(unknown) => blockers.push(unknown),
        }
    }
    blockers
}

/// The platforms an ECR image offers, with its repository (what a rebuild changes); `None`
/// when the image itself is not there (its absence is reported on its own).
fn ecr_offered<'a>(catalog: &Catalog<'a>, image: &EcrImage) -> Option<Offered<'a>> {
    let arn = image.repository_arn();
    let repository = catalog
        .repository(&image.account, &image.region, &image.repository)
        .flatten();
    let found = repository
        .and_then(|r| r.images.as_ref())
        .and_then(|images| images.iter().find(|i| image.reference.names(i)));
    let Some(found) = found else {
        // Not in ECR yet: a pull-through cache rule imports it on first pull, from an upstream
        // whose manifest is not read. Otherwise its absence is reported on its own.
        let rule = catalog
            .pull_through_rule(&image.account, &image.region, &image.repository)
            .flatten()?;
        let upstream = rule
            .upstream_registry_url
            .as_deref()
            .unwrap_or("its upstream registry");
        // `--inspect-registries` reads the upstream image's manifest.
        let upstream_image = rule.upstream_image(&image.repository, &image.reference.as_suffix());
        let read = upstream_image.as_deref().and_then(|name| {
            catalog
                .snapshot
                .registry_images
                .iter()
                .flatten()
                .find(|i| i.image == name)
        });
        if let Some(platforms) = read.and_then(|i| i.platforms.as_deref()) {
            return Some(Offered {
                image: image.image.clone(),
                resource: arn,
                platforms: Ok(platforms),
            });
        }
        return Some(Offered {
            image: image.image.clone(),
            resource: arn.clone(),
            platforms: Err(Blocker::new(
                Code::NotCollected,
                &arn,
                format!(
                    "`{}` is not in ECR yet: pull-through cache rule `{}` imports it from {upstream} on first pull, and the platforms it offers there are not read",
                    image.image, rule.ecr_repository_prefix
                ),
                format!(
                    "Audit with --inspect-registries (pullpath then reads {} anonymously), check its platforms with docker manifest inspect, or pull it once so that ECR holds it, then audit again.",
                    upstream_image.as_deref().unwrap_or("the upstream image")
                ),
            )),
        });
    };
    let offered = found.platforms.as_deref().ok_or_else(|| {
        Blocker::new(
            Code::NotCollected,
            &arn,
            format!(
                "the manifest of `{}` was not read, so whether it offers the platform the task runs on is unknown{}",
                image.image,
                catalog.snapshot.why_not_collected("ecr_image_manifests")
            ),
            "Collect the image's manifest (ecr:BatchGetImage; a single-platform image's config also needs ecr:GetDownloadUrlForLayer), then audit again.",
        )
    });
    Some(Offered {
        image: image.image.clone(),
        resource: arn,
        platforms: offered,
    })
}

/// The platforms a non-ECR image offers, as `--inspect-registries` read them.
fn registry_offered<'a>(
    catalog: &Catalog<'a>,
    image: &OtherImage,
) -> Result<&'a [Platform], Blocker> {
    let inspect = "Audit with --inspect-registries (pullpath then reads the image's manifest anonymously), or check the image's platforms with `docker manifest inspect`.";
    let Some(images) = catalog.snapshot.registry_images.as_ref() else {
        return Err(Blocker::new(
            Code::NotCollected,
            &image.host,
            format!(
                "`{}` is not in ECR and its manifest was not read, so whether it offers the platform the task runs on is unknown",
                image.image
            ),
            inspect,
        ));
    };
    match images.iter().find(|i| i.image == image.image) {
        Some(found) => found.platforms.as_deref().ok_or_else(|| {
            Blocker::new(
                Code::NotCollected,
                &image.host,
                format!(
                    "the manifest of `{}` could not be read ({}), so whether it offers the platform the task runs on is unknown",
                    image.image,
                    found.error.as_deref().unwrap_or("no reason given")
                ),
                inspect,
            )
        }),
        None => Err(Blocker::new(
            Code::NotCollected,
            &image.host,
            format!(
                "the manifest of `{}` was not read, so whether it offers the platform the task runs on is unknown",
                image.image
            ),
            inspect,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(text: &str) -> Platform {
        let parts: Vec<&str> = text.split('/').collect();
        Platform {
            os: parts[0].into(),
            architecture: parts[1].into(),
            variant: parts.get(2).map(|v| v.to_string()),
        }
    }

    fn run(os: &str, architecture: &str) -> RunPlatform {
        RunPlatform {
            os: os.into(),
            architecture: architecture.into(),
            source: "test".into(),
            from_task_definition: true,
            node: false,
        }
    }

    /// containerd/platforms `compare_test.go` `TestOnly` for linux/arm64 and linux/amd64.
    #[test]
    fn containerd_matching() {
        let arm = run("linux", "arm64");
        for ok in ["linux/arm64", "linux/arm64/v8", "linux/arm/v7", "linux/arm"] {
            assert!(runs_on(&platform(ok), &arm), "{ok}");
        }
        for no in [
            "linux/amd64",
            "linux/arm64/v9",
            "windows/arm64",
            "linux/arm/v4",
        ] {
            assert!(!runs_on(&platform(no), &arm), "{no}");
        }
        let amd = run("linux", "amd64");
        assert!(runs_on(&platform("linux/amd64"), &amd));
        assert!(runs_on(&platform("linux/386"), &amd));
        assert!(!runs_on(&platform("linux/arm64"), &amd));
        assert!(!runs_on(&platform("windows/amd64"), &amd));
    }

    #[test]
    fn an_amd64_only_image_on_arm64_is_blocked_with_both_fixes() {
        let blockers = platform_blockers(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
            "arn:aws:ecr:us-east-1:123456789012:repository/web",
            &[platform("linux/amd64")],
            &[run("linux", "arm64")],
        );
        assert_eq!(blockers.len(), 1);
        assert!(blockers[0].message.contains("linux/arm64"));
        assert!(blockers[0]
            .fix
            .contains("--platform linux/amd64,linux/arm64"));
        assert!(blockers[0].fix.contains("cpuArchitecture to X86_64"));
        let multi = platform_blockers(
            "x",
            "x",
            &[platform("linux/amd64"), platform("linux/arm64")],
            &[run("linux", "arm64"), run("linux", "amd64")],
        );
        assert!(multi.is_empty());
    }
}
