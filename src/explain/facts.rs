//! The facts a message states outright: the host and IP it failed on, the IAM action and role,
//! the secret, the retry count. Each is taken only from a wording that names it; nothing is
//! inferred.

use std::net::Ipv4Addr;
use std::sync::LazyLock;

use ipnet::Ipv4Net;
use regex::Regex;
use serde::Serialize;

use super::category::DeniedBy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IpScope {
    Private,
    Public,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub host: Option<String>,
    /// The path of the URL the host came from (`/v2/web/blobs/sha256:…`), to tell layers from
    /// manifests on the registry host.
    pub url_path: Option<String>,
    pub ip: Option<Ipv4Addr>,
    pub dns_server: Option<String>,
    pub action: Option<String>,
    pub role_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub denied_by: Option<DeniedBy>,
    pub retries: Option<u32>,
    pub truncated: bool,
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

static URL: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"https?://([A-Za-z0-9][A-Za-z0-9.-]*)(?::\d+)?(/[^\s"'`]*)?"#));
/// A registry host at the start of an image reference (`HOST/repo`) without a scheme.
static REFERENCE_HOST: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?i)(?:^|[\s'"])([a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?)/[a-z0-9]"#));
/// containerd 1.4–1.5 names the registry host it tried without a URL: "pulling from host H
/// failed with status code [manifests TAG]: 401 Unauthorized" (containerd
/// remotes/docker/resolver.go, `dockerResolver.Resolve`).
static PULLING_FROM_HOST: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"pulling from host ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9](?::\d+)?) failed with")
});
static LOOKUP: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"lookup ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])(?: on (\d{1,3}(?:\.\d{1,3}){3}):\d+)?")
});
static DIAL: LazyLock<Regex> = LazyLock::new(|| regex(r"dial tcp (\d{1,3}(?:\.\d{1,3}){3}):\d+"));
static ACTION: LazyLock<Regex> =
    LazyLock::new(|| regex(r"not authorized to perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)"));
static IAM_ROLE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"arn:(aws[a-z-]*):iam::(\d{12}):role/([\w+=,.@/-]*[\w+=,@/-])"));
static ASSUMED_ROLE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/"));
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"arn:aws[a-z-]*:(?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@!-]*[\w/+=@!-]|ssm:[a-z0-9-]+:\d{12}:parameter/[\w/.-]*[\w/-])",
    )
});
static RETRIES: LazyLock<Regex> = LazyLock::new(|| regex(r"retried (\d+) time"));

/// Links to documentation in a message are advice, not the host that failed.
const DOCUMENTATION_HOSTS: [&str; 5] = [
    "www.docker.com",
    "docs.docker.com",
    "docs.aws.amazon.com",
    "aws.amazon.com",
    "repost.aws",
];

pub fn extract(message: &str) -> Facts {
    let mut facts = Facts::default();
    if let Some(url) = URL
        .captures_iter(message)
        .filter(|c| !DOCUMENTATION_HOSTS.contains(&&c[1]))
        .last()
    {
        // "https://api.ecr...." : the host was cut by truncation, so it is not known.
        if !url[1].ends_with('.') {
            facts.host = Some(url[1].to_lowercase());
        }
        facts.url_path = url.get(2).map(|p| p.as_str().to_string());
    }
    if let Some(lookup) = LOOKUP.captures(message) {
        if facts.host.is_none() {
            facts.host = Some(lookup[1].to_lowercase());
        }
        facts.dns_server = lookup.get(2).map(|s| s.as_str().to_string());
    }
    if facts.host.is_none() {
        facts.host = PULLING_FROM_HOST
            .captures(message)
            .map(|c| c[1].to_lowercase());
    }
    if facts.host.is_none() {
        facts.host = REFERENCE_HOST
            .captures(message)
            .map(|c| c[1].to_lowercase());
    }
    facts.ip = DIAL
        .captures_iter(message)
        .last()
        .and_then(|c| c[1].parse().ok());
    facts.action = ACTION.captures(message).map(|c| c[1].to_string());
    facts.role_arn = IAM_ROLE
        .captures(message)
        .map(|c| format!("arn:{}:iam::{}:role/{}", &c[1], &c[2], &c[3]))
        .or_else(|| {
            ASSUMED_ROLE
                .captures(message)
                .map(|c| format!("arn:{}:iam::{}:role/{}", &c[1], &c[2], &c[3]))
        });
    facts.secret_arn = SECRET.find(message).map(|m| m.as_str().to_string());
    facts.denied_by = denied_by(message);
    facts.retries = RETRIES.captures(message).and_then(|c| c[1].parse().ok());
    let end = message.trim_end();
    facts.truncated = end.ends_with("...") || end.ends_with('…');
    facts
}

/// Private (RFC 1918 and the shared 100.64.0.0/10 range VPCs may use) or public.
pub fn scope_of(ip: Ipv4Addr) -> IpScope {
    let shared: Ipv4Net = "100.64.0.0/10".parse().expect("a valid network");
    if ip.is_private() || shared.contains(&ip) {
        IpScope::Private
    } else {
        IpScope::Public
    }
}

fn denied_by(message: &str) -> Option<DeniedBy> {
    let lower = message.to_lowercase();
    if !(lower.contains("because no ") || lower.contains("explicit deny in")) {
        return None;
    }
    [
        ("vpc endpoint policy", DeniedBy::VpcEndpointPolicy),
        ("service control policy", DeniedBy::ServiceControlPolicy),
        ("permissions boundary", DeniedBy::PermissionsBoundary),
        ("session policy", DeniedBy::SessionPolicy),
        ("resource-based policy", DeniedBy::ResourceBasedPolicy),
        ("identity-based policy", DeniedBy::IdentityBasedPolicy),
    ]
    .into_iter()
    .find(|(phrase, _)| lower.contains(phrase))
    .map(|(_, by)| by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failing_host_is_the_last_url_not_a_documentation_link() {
        let facts = extract("failed to resolve ref a.example.com/x:1: Head \"https://b.example.com/v2/x/manifests/1\": 429 see https://www.docker.com/increase-rate-limit");
        assert_eq!(facts.host.as_deref(), Some("b.example.com"));
        assert_eq!(facts.url_path.as_deref(), Some("/v2/x/manifests/1"));
    }

    #[test]
    fn assumed_role_becomes_the_role_arn() {
        let facts = extract("User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/8f3a is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action");
        assert_eq!(
            facts.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
        );
        assert_eq!(facts.action.as_deref(), Some("ecr:GetAuthorizationToken"));
        assert_eq!(facts.denied_by, Some(DeniedBy::IdentityBasedPolicy));
    }

    #[test]
    fn containerd_names_the_host_it_pulled_from() {
        let facts = extract("failed to resolve reference \"docker.io/library/nginx:latest\": pulling from host registry-1.docker.io failed with status code [manifests latest]: 401 Unauthorized");
        assert_eq!(facts.host.as_deref(), Some("registry-1.docker.io"));
    }

    #[test]
    fn scopes() {
        assert_eq!(scope_of("10.0.1.5".parse().unwrap()), IpScope::Private);
        assert_eq!(scope_of("100.70.0.1".parse().unwrap()), IpScope::Private);
        assert_eq!(scope_of("52.46.144.120".parse().unwrap()), IpScope::Public);
    }

    #[test]
    fn dns_lookup_names_the_host_and_resolver_not_an_ip() {
        let facts = extract(
            "dial tcp: lookup api.ecr.us-east-1.amazonaws.com on 10.0.0.2:53: no such host",
        );
        assert_eq!(
            facts.host.as_deref(),
            Some("api.ecr.us-east-1.amazonaws.com")
        );
        assert_eq!(facts.dns_server.as_deref(), Some("10.0.0.2"));
        assert_eq!(facts.ip, None);
    }
}
