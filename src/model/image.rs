//! Parsing container image references: which registry host, and for ECR which account,
//! region, repository and tag or digest.

use super::{Image, Repository};

/// A parsed `image` of a container definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Ecr(EcrImage),
    Other(OtherImage),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReference {
    Tag(String),
    Digest(String),
}

impl std::fmt::Display for ImageReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageReference::Tag(t) => write!(f, "tag `{t}`"),
            ImageReference::Digest(d) => write!(f, "digest `{d}`"),
        }
    }
}

impl ImageReference {
    /// How an image name ends with it: `:TAG` or `@DIGEST`.
    pub fn as_suffix(&self) -> String {
        match self {
            ImageReference::Tag(t) => format!(":{t}"),
            ImageReference::Digest(d) => format!("@{d}"),
        }
    }

    /// The tag or digest as a registry URL names it (`/v2/NAME/manifests/REF`).
    pub fn as_path(&self) -> &str {
        match self {
            ImageReference::Tag(t) | ImageReference::Digest(t) => t,
        }
    }

    /// Whether `image`, one listed in the repository, is the one this reference names.
    pub fn names(&self, image: &Image) -> bool {
        match self {
            ImageReference::Tag(tag) => image.tags.contains(tag),
            ImageReference::Digest(digest) => &image.digest == digest,
        }
    }
}

/// An image in a private ECR registry: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    pub image: String,
    pub account: String,
    pub region: String,
    pub host: String,
    pub repository: String,
    pub reference: ImageReference,
}

impl EcrImage {
    /// Whether `repository` is the one this image lives in.
    pub fn is_in(&self, repository: &Repository) -> bool {
        repository.registry_id == self.account
            && repository.region == self.region
            && repository.name == self.repository
    }

    pub fn repository_arn(&self) -> String {
        format!(
            "arn:aws:ecr:{}:{}:repository/{}",
            self.region, self.account, self.repository
        )
    }
}

/// An image in any other registry (Docker Hub, ghcr.io, a private Artifactory…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherImage {
    pub image: String,
    /// The host the pull talks to (`registry-1.docker.io` for Docker Hub).
    pub host: String,
    /// A well-known public registry, where anonymous pulls of public images work.
    pub public_registry: bool,
}

/// Registries that serve public images without credentials.
const PUBLIC_REGISTRIES: &[&str] = &[
    "registry-1.docker.io",
    "ghcr.io",
    "quay.io",
    "public.ecr.aws",
    "gcr.io",
    "registry.k8s.io",
    "mcr.microsoft.com",
];

/// The other hosts a pull from a well-known public registry talks to: its token service and
/// the CDN its layers are served from (redirects from the registry's blob URLs). A firewall
/// or route that lets the registry host through but not these breaks the pull part-way.
///
/// Sources: Docker's allow-list for Docker Hub (`auth.docker.io` issues the pull token,
/// `production.cloudflare.docker.com` serves layers); GitHub Packages' blob host for ghcr.io;
/// Red Hat's firewall documentation for quay.io (`cdn.quay.io`, `cdn01`-`cdn03.quay.io`);
/// ECR Public serves layers through CloudFront, from the distributions AWS lists for pulling
/// EKS Anywhere / EKS Distro images from public.ecr.aws.
const REGISTRY_SIDE_HOSTS: &[(&str, &[&str])] = &[
    (
        "registry-1.docker.io",
        &["auth.docker.io", "production.cloudflare.docker.com"],
    ),
    ("ghcr.io", &["pkg-containers.githubusercontent.com"]),
    (
        "quay.io",
        &[
            "cdn.quay.io",
            "cdn01.quay.io",
            "cdn02.quay.io",
            "cdn03.quay.io",
        ],
    ),
    (
        "public.ecr.aws",
        &[
            "d2glxqk2uabbnd.cloudfront.net",
            "d5l0dvt14r5h8.cloudfront.net",
        ],
    ),
];

/// The port of a registry reached over HTTPS unless its host names one.
pub const HTTPS_PORT: u16 = 443;

impl OtherImage {
    /// The repository path and reference the registry API names (`/v2/NAME/manifests/REF`):
    /// Docker Hub's official images live under `library/` (Docker's own normalisation,
    /// `distribution/reference` `ParseNormalizedNamed`).
    pub fn repository_and_reference(&self) -> (String, ImageReference) {
        let (host, remainder) = split_host(&self.image);
        let (repository, reference) = split_reference(remainder);
        let docker_hub = matches!(host, None | Some("docker.io") | Some("index.docker.io"));
        let repository = if docker_hub && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_string()
        };
        (repository, reference)
    }

    /// Every host the pull talks to: the registry host first, then its token service and layer
    /// CDN (for the well-known registries; a private registry serves everything itself).
    pub fn hosts(&self) -> Vec<&str> {
        let mut hosts = vec![self.host.as_str()];
        if let Some((_, others)) = REGISTRY_SIDE_HOSTS.iter().find(|(h, _)| *h == self.host) {
            hosts.extend(others.iter().copied());
        }
        hosts
    }
}

/// The TCP port of `host` (`registry.acme.internal:8443`), 443 when it names none.
pub fn port_of(host: &str) -> u16 {
    host.rsplit_once(':')
        .filter(|(name, _)| !name.is_empty() && !name.ends_with(':'))
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(HTTPS_PORT)
}

impl ImageRef {
    pub fn parse(image: &str) -> ImageRef {
        let (host, remainder) = split_host(image);
        if let Some(ecr) = parse_ecr(image, host, remainder) {
            return ImageRef::Ecr(ecr);
        }
        let host = match host {
            None | Some("docker.io") | Some("index.docker.io") => "registry-1.docker.io",
            Some(h) => h,
        };
        ImageRef::Other(OtherImage {
            image: image.to_string(),
            host: host.to_string(),
            public_registry: PUBLIC_REGISTRIES.contains(&host),
        })
    }

    pub fn host(&self) -> &str {
        match self {
            ImageRef::Ecr(e) => &e.host,
            ImageRef::Other(o) => &o.host,
        }
    }
}

/// Docker's rule: the first path component is a registry host when it contains `.` or `:`,
/// or is `localhost`; otherwise the image is on Docker Hub.
fn split_host(image: &str) -> (Option<&str>, &str) {
    match image.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, image),
    }
}

/// An ECR registry host, as the ECS agent and the kubelet's ECR credential provider recognise
/// one: `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]` or an ISO partition's domain, with
/// no port (amazon-ecs-agent `agent/dockerclient/dockerapi` ECR image pattern; Kubernetes
/// `pkg/credentialprovider/aws/aws_credentials.go` `ecrPattern`). Anything else — a typo'd
/// suffix, a port, `dkr.ecrx` — gets no ECR credentials and is pulled as any other registry.
fn ecr_host() -> &'static regex::Regex {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9][a-z0-9-]*)\.(amazonaws\.com(\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$",
        )
        .expect("valid pattern")
    })
}

fn parse_ecr(image: &str, host: Option<&str>, remainder: &str) -> Option<EcrImage> {
    let host = host?;
    let captures = ecr_host().captures(host)?;
    let (repository, reference) = split_reference(remainder);
    Some(EcrImage {
        image: image.to_string(),
        account: captures[1].to_string(),
        region: captures[3].to_string(),
        host: host.to_string(),
        repository: repository.to_string(),
        reference,
    })
}

fn split_reference(remainder: &str) -> (&str, ImageReference) {
    if let Some((name, digest)) = remainder.split_once('@') {
        // `repo:tag@sha256:…` pulls by digest; the tag is informational.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let name = match name[last_slash..].rfind(':') {
            Some(colon) => &name[..last_slash + colon],
            None => name,
        };
        return (name, ImageReference::Digest(digest.to_string()));
    }
    let last_slash = remainder.rfind('/').map_or(0, |i| i + 1);
    match remainder[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (
                &remainder[..at],
                ImageReference::Tag(remainder[at + 1..].to_string()),
            )
        }
        None => (remainder, ImageReference::Tag("latest".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_api_names() {
        let name = |image: &str| match ImageRef::parse(image) {
            ImageRef::Other(other) => {
                let (repository, reference) = other.repository_and_reference();
                format!("{} {repository} {}", other.host, reference.as_path())
            }
            ImageRef::Ecr(_) => panic!("not ECR"),
        };
        assert_eq!(
            name("nginx:1.27"),
            "registry-1.docker.io library/nginx 1.27"
        );
        assert_eq!(
            name("docker.io/acme/web"),
            "registry-1.docker.io acme/web latest"
        );
        assert_eq!(
            name("ghcr.io/acme/web@sha256:abc"),
            "ghcr.io acme/web sha256:abc"
        );
        assert_eq!(
            name("127.0.0.1:5000/team/web:1"),
            "127.0.0.1:5000 team/web 1"
        );
    }

    #[test]
    fn ecr_image_with_tag() {
        let ImageRef::Ecr(e) =
            ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.4.2")
        else {
            panic!("not ECR")
        };
        assert_eq!(
            (e.account.as_str(), e.region.as_str(), e.repository.as_str()),
            ("123456789012", "eu-west-1", "team/web")
        );
        assert_eq!(e.reference, ImageReference::Tag("1.4.2".into()));
        assert_eq!(
            e.repository_arn(),
            "arn:aws:ecr:eu-west-1:123456789012:repository/team/web"
        );
    }

    #[test]
    fn ecr_image_with_digest_and_default_tag() {
        let ImageRef::Ecr(e) =
            ImageRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc")
        else {
            panic!()
        };
        assert_eq!(e.reference, ImageReference::Digest("sha256:abc".into()));
        let ImageRef::Ecr(e) = ImageRef::parse(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web:1.4.2@sha256:abc",
        ) else {
            panic!()
        };
        assert_eq!(e.repository, "team/web");
        assert_eq!(e.reference, ImageReference::Digest("sha256:abc".into()));
        let ImageRef::Ecr(e) = ImageRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/web")
        else {
            panic!()
        };
        assert_eq!(e.reference, ImageReference::Tag("latest".into()));
    }

    #[test]
    fn docker_hub_and_private_hosts() {
        assert_eq!(ImageRef::parse("nginx:1.27").host(), "registry-1.docker.io");
        assert_eq!(
            ImageRef::parse("library/nginx").host(),
            "registry-1.docker.io"
        );
        let ImageRef::Other(o) = ImageRef::parse("artifactory.acme.internal:8443/team/web:1")
        else {
            panic!()
        };
        assert_eq!(o.host, "artifactory.acme.internal:8443");
        assert!(!o.public_registry);
        let ImageRef::Other(o) = ImageRef::parse("public.ecr.aws/nginx/nginx:latest") else {
            panic!()
        };
        assert!(o.public_registry);
    }

    #[test]
    fn hosts_and_ports_of_a_pull() {
        let ImageRef::Other(hub) = ImageRef::parse("nginx:1.27") else {
            panic!()
        };
        assert_eq!(
            hub.hosts(),
            [
                "registry-1.docker.io",
                "auth.docker.io",
                "production.cloudflare.docker.com"
            ]
        );
        let ImageRef::Other(ghcr) = ImageRef::parse("ghcr.io/acme/web:1") else {
            panic!()
        };
        assert_eq!(
            ghcr.hosts(),
            ["ghcr.io", "pkg-containers.githubusercontent.com"]
        );
        let ImageRef::Other(private) = ImageRef::parse("harbor.acme.internal:8443/team/web:1")
        else {
            panic!()
        };
        assert_eq!(private.hosts(), ["harbor.acme.internal:8443"]);
        assert_eq!(port_of("harbor.acme.internal:8443"), 8443);
        assert_eq!(port_of("harbor.acme.internal"), 443);
        assert_eq!(port_of("localhost:5000"), 5000);
        assert_eq!(port_of("[fd00::1]:5000"), 5000);
        assert_eq!(port_of("[fd00::1]"), 443);
        assert_eq!(port_of("registry.acme.internal:https"), 443);
    }
}

#[cfg(test)]
mod ecr_hosts {
    use super::*;

    #[test]
    fn only_real_ecr_hosts_are_ecr() {
        for host in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
        ] {
            assert!(
                matches!(ImageRef::parse(&format!("{host}/web:1")), ImageRef::Ecr(_)),
                "{host}"
            );
        }
        for host in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.org",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io",
            "123456789012.dkr.ecrx.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
        ] {
            assert!(
                matches!(
                    ImageRef::parse(&format!("{host}/web:1")),
                    ImageRef::Other(_)
                ),
                "{host}"
            );
        }
    }
}

/// Why `image` is not a reference the kubelet and containerd accept, or `None` when it is.
///
/// The kubelet parses every image with `ParseNormalizedNamed` before pulling and fails the
/// container with `InvalidImageName` when it cannot (`pkg/kubelet/images/image_manager.go`,
/// `applyDefaultImageTag`). The grammar is distribution/reference's (`regexp.go`,
/// `normalize.go`, `reference.go`): an optional `host[:port]/` (the first component is a host
/// when it holds `.` or `:` or is `localhost`), lowercase path components joined by `.`, `_`,
/// `__` or dashes, an optional `:tag` (`[\w][\w.-]{0,127}`), an optional `@algorithm:hex` with
/// a known algorithm and its length; at most 255 characters of name; never a bare 64-hex id.
pub fn image_reference_error(image: &str) -> Option<String> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        let component = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        let host = format!(r"(?:{component}(?:\.{component})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?");
        let path = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
        regex::Regex::new(&format!(
            r"^((?:{host}/)?{path}(?:/{path})*)(?::([\w][\w.-]{{0,127}}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{{32,}}))?$"
        ))
        .expect("valid pattern")
    });
    if image.is_empty() {
        return Some("it is empty".into());
    }
    if image.len() == 64 && image.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some("a bare 64-character hexadecimal id is not a repository name".into());
    }
    // `ParseNormalizedNamed`: the path up to the tag (or digest) must be lowercase. (Newer
    // versions take an uppercase first component for a registry host, whose name then does
    // not resolve: a failed pull either way.)
    let (_, remainder) = split_host(image);
    if remainder
        .split(['@', ':'])
        .next()
        .is_some_and(|name| name.to_lowercase() != name)
    {
        return Some("the repository name must be lowercase".into());
    }
    let Some(captures) = pattern.captures(image) else {
        return Some("it does not follow the reference grammar (host/path:tag@digest)".into());
    };
    // The path (the name without its host, `library/` before an official image's) is at most
    // 255 characters (`reference.go`, `NameTotalLengthMax`, as `ParseNormalizedNamed` sees it).
    let path = match split_host(&captures[1]) {
        (Some(_), path) => path.to_string(),
        (None, path) if path.contains('/') => path.to_string(),
        (None, path) => format!("library/{path}"),
    };
    if path.len() > 255 {
        return Some("the repository path is longer than 255 characters".into());
    }
    if let (Some(algorithm), Some(hex)) = (captures.get(3), captures.get(4)) {
        let length = match algorithm.as_str() {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            other => return Some(format!("digest algorithm `{other}` is not supported")),
        };
        let hex = hex.as_str();
        if hex.len() != length || hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return Some(format!(
                "a {} digest is {length} lowercase hexadecimal characters",
                algorithm.as_str()
            ));
        }
    }
    None
}

#[cfg(test)]
mod reference_tests {
    use super::image_reference_error as error;

    #[test]
    fn references_the_kubelet_accepts() {
        let digest = "sha256:d1864540f6a8f3e1c1b4d4c8c9e9e1a2b3c4d5e6f708192a3b4c5d6e7f801234";
        for image in [
            "nginx",
            "library/nginx:1.27",
            "docker.io/library/nginx:latest",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
            "registry.acme.io:5000/team/app_name/x--y:v1.0_rc-2",
            "localhost/app",
            "[fd00::1]:5000/app:1",
            &format!("ghcr.io/acme/app:1.2@{digest}"),
            &format!("ghcr.io/acme/app@{digest}"),
            &format!("{}.example.com/{}", "h".repeat(60), "p".repeat(250)),
        ] {
            assert_eq!(error(image), None, "{image}");
        }
    }

    #[test]
    fn references_the_kubelet_refuses() {
        let digest = "d1864540f6a8f3e1c1b4d4c8c9e9e1a2b3c4d5e6f708192a3b4c5d6e7f801234";
        for image in [
            "",
            "Nginx",
            "acme/App:1",
            "ghcr.io/acme/app:1.2+build.5",
            "ghcr.io/acme/app:",
            "ghcr.io/acme/app:-x",
            &format!("ghcr.io/acme/app:{}", "t".repeat(129)),
            &"a".repeat(250),
            &format!("ghcr.io/{}", "b".repeat(256)),
            &format!("ghcr.io/acme/app@sha256:{}", &digest[..63]),
            &format!("ghcr.io/acme/app@sha256:{}", digest.to_uppercase()),
            &format!("ghcr.io/acme/app@md5:{digest}"),
            digest,
            "ghcr.io//app",
            "ghcr.io/acme/app name",
        ] {
            assert!(error(image).is_some(), "{image:?} was accepted");
        }
    }
}
