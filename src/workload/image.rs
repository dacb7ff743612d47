//! Parsing container image references: which registry host, and for ECR which account,
//! region, repository and tag or digest.

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

fn parse_ecr(image: &str, host: Option<&str>, remainder: &str) -> Option<EcrImage> {
    let host = host?;
    let labels: Vec<&str> = host.split('.').collect();
    // ACCOUNT . dkr . ecr|ecr-fips . REGION . amazonaws . com[.cn]
    if labels.len() < 6
        || labels[1] != "dkr"
        || !labels[2].starts_with("ecr")
        || labels[4] != "amazonaws"
        || labels[0].len() != 12
        || !labels[0].bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (repository, reference) = split_reference(remainder);
    Some(EcrImage {
        image: image.to_string(),
        account: labels[0].to_string(),
        region: labels[3].to_string(),
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
}
