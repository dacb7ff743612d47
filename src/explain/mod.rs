//! Reading what ECS said: a task's `stoppedReason`, a container's `reason` or a service event,
//! classified into a category, the call of the pull sequence it is about, and the facts it
//! states (host, IP, action, role, secret, retries). Kubernetes' image-pull messages (kubelet
//! events, container waiting reasons and messages) are read the same way; their meaning and
//! suspects are the node's and the pod's pull secrets' (`kubernetes.rs`).
//!
//! The classifier works on text alone (`pullpath explain`); `diagnose` ties its result to the
//! audit of the configuration. Unrecognised text is `unknown`, never a guess.

mod category;
mod facts;
mod kubernetes;
mod rules;
mod suspects;

pub use category::{Category, DeniedBy};
pub use facts::IpScope;

use serde::Serialize;

use crate::codes::Code;
use crate::workload::Target;

/// What a message says. Serialized as the `explain` JSON and inside `diagnosis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Classification {
    pub category: Category,
    /// The call of the pull sequence the message is about.
    pub target: Option<Target>,
    /// The host the failing request went to.
    pub host: Option<String>,
    /// The destination IP of a failed connection (`dial tcp IP:PORT`).
    pub ip: Option<String>,
    pub ip_scope: Option<IpScope>,
    /// The resolver of a failed DNS lookup (`lookup HOST on IP:53`).
    pub dns_server: Option<String>,
    /// The IAM action refused (`not authorized to perform: ACTION`).
    pub action: Option<String>,
    pub role_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub denied_by: Option<DeniedBy>,
    pub retries: Option<u32>,
    /// ECS cut the message ("…" at the end): a cause may be missing.
    pub truncated: bool,
    /// The fragment of the message that decided the category.
    pub evidence: Option<String>,
    /// Other categories the same wording can mean.
    pub alternatives: Vec<Category>,
    pub meaning: String,
    pub next_check: String,
    /// Blocker codes that produce this message, most likely first; then those that produce
    /// it under one of the `alternatives`.
    pub suspects: Vec<Code>,
    /// How many of `suspects` belong to `category` itself (the rest: to the alternatives).
    #[serde(skip)]
    pub primary_suspects: usize,
    /// The message is a Kubernetes one (kubelet event, waiting reason, CRI error): its
    /// suspects are the node's and the pull secrets', not an ECS task's.
    #[serde(skip)]
    pub kubernetes: bool,
}

impl Classification {
    /// Where `code` stands among the suspects, and whether only an alternative reading of the
    /// message makes it one.
    pub fn suspect(&self, code: Code) -> Option<(usize, bool)> {
        let position = self.suspects.iter().position(|s| *s == code)?;
        Some((position, position >= self.primary_suspects))
    }
}

/// ECS messages are at most a few kilobytes; anything longer is cut before the rules run, so
/// a pasted log cannot make classification slow.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

pub fn classify(message: &str) -> Classification {
    let mut end = message.len().min(MAX_MESSAGE_BYTES);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let message = message[..end].trim();
    let facts = facts::extract(message);
    let words = rules::masked(message);
    let decided = rules::RULES
        .iter()
        .find_map(|rule| rule.find(&words).map(|found| (rule, found)));
    let (category, evidence, alternatives) = match decided {
        Some((rule, found)) => (
            rule.category,
            Some(found.as_str().to_string()),
            rule.alternatives.to_vec(),
        ),
        None => (Category::Unknown, None, Vec::new()),
    };
    let target = rules::target_of(message, &words, category, &facts);
    let ip_scope = facts.ip.map(facts::scope_of);
    let private_ip = ip_scope.map(|s| s == IpScope::Private);
    let dns_lookup_failed = facts.dns_server.is_some() || message.contains("no such host");
    let kubernetes = kubernetes::is_kubernetes(message);
    let mut suspects = suspects::suspects(
        category,
        target,
        ip_scope,
        dns_lookup_failed,
        facts.denied_by,
        kubernetes,
    );
    let primary_suspects = suspects.len();
    for alternative in &alternatives {
        for code in suspects::suspects(
            *alternative,
            target,
            ip_scope,
            dns_lookup_failed,
            None,
            kubernetes,
        ) {
            if !suspects.contains(&code) {
                suspects.push(code);
            }
        }
    }
    let (meaning, next_check) = if kubernetes {
        (
            kubernetes::meaning(category, target, private_ip, facts.denied_by, message),
            kubernetes::next_check(category, target, private_ip, message),
        )
    } else {
        (
            category::meaning(category, target, private_ip, facts.denied_by),
            category::next_check(category, target, private_ip),
        )
    };
    Classification {
        category,
        target,
        host: facts.host,
        ip: facts.ip.map(|ip| ip.to_string()),
        ip_scope,
        dns_server: facts.dns_server,
        action: facts.action,
        role_arn: facts.role_arn,
        secret_arn: facts.secret_arn,
        denied_by: facts.denied_by,
        retries: facts.retries,
        truncated: facts.truncated,
        evidence,
        alternatives,
        meaning,
        next_check,
        suspects,
        primary_suspects,
        kubernetes,
    }
}

/// What the configuration cannot show about a message of this category: the reasons a
/// message and a clean audit can both be true.
pub fn beyond_configuration(category: Category) -> &'static [&'static str] {
    match category {
        Category::NetworkTimeout => &[
            "answers of DNS servers other than the Amazon-provided resolver (Route 53 Resolver rules, on-premises forwarders)",
            "firewalls and appliances beyond the VPC (AWS Network Firewall rules, proxies, on-premises filtering behind a transit gateway or VPN)",
            "a transient outage or throttling on the AWS side",
        ],
        Category::PermissionDenied => &[
            "service control policies and permissions boundaries",
            "KMS key policies of customer-managed keys",
            "conditions that depend on the request (source VPC, IP, time)",
        ],
        Category::ImageNotFound => &[
            "an image deleted or retagged after the task stopped (lifecycle policies)",
        ],
        Category::RateLimited => &["the registry's rate limits, which depend on traffic, not configuration"],
        Category::RegistryAuthFailed => &["the content of the credentials secret (username, password, token expiry)"],
        Category::LogGroupMissing => &["CloudWatch log groups (pullpath does not list them)"],
        Category::RoleAssumeFailed => &["a role deleted and re-created with the same name (its new id is not trusted by old grants)"],
        Category::SecretNotFound => &["Secrets Manager secrets and SSM parameters (pullpath does not list them)"],
        Category::DiskFull => &["disk usage on the instance or in the task's ephemeral storage"],
        Category::ImageNeverPulled => &["which images each node already holds"],
        Category::InvalidImageName => &[],
        Category::Unknown => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_incident_is_a_public_timeout_to_the_registry_host() {
        let c = classify("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.4.2\": dial tcp 52.46.144.120:443: i/o timeout");
        assert_eq!(c.category, Category::NetworkTimeout);
        assert_eq!(c.target, Some(Target::EcrDkr));
        assert_eq!(c.ip_scope, Some(IpScope::Public));
        assert_eq!(c.retries, Some(5));
        assert_eq!(c.suspects[0], Code::EndpointPrivateDnsDisabled);
        assert!(c.suspects.contains(&Code::NoRoute));
    }

    #[test]
    fn unrecognised_text_is_unknown_with_no_suspects() {
        for text in ["", "hello", "CannotPullContainerError: context canceled"] {
            let c = classify(text);
            assert_eq!(c.category, Category::Unknown, "{text}");
            assert!(c.suspects.is_empty());
            assert_eq!(c.evidence, None);
        }
    }

    #[test]
    fn an_arn_does_not_name_the_call() {
        let c = classify("failed to resolve ref registry.example.com/app:1: 401 Unauthorized (credentials arn:aws:secretsmanager:us-east-1:123456789012:secret:pull-AbCdEf)");
        assert_eq!(c.category, Category::RegistryAuthFailed);
        assert_eq!(c.target, Some(Target::Registry));
        assert_eq!(c.suspects, [Code::RegistryAuthMissing]);
    }

    #[test]
    fn ecr_credentials_are_the_auth_token_permission() {
        let c = classify("CannotPullContainerError: Error response from daemon: Get https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1: no basic auth credentials");
        assert_eq!(c.category, Category::RegistryAuthFailed);
        assert_eq!(c.suspects[0], Code::PermissionMissing);
        assert!(!c.suspects.contains(&Code::RegistryAuthMissing));
    }

    #[test]
    fn alternatives_add_their_suspects_after_the_primary_ones() {
        let c = classify("CannotPullContainerError: Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/web, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
        assert_eq!(c.category, Category::ImageNotFound);
        assert_eq!(c.suspect(Code::ImageNotFound), Some((0, false)));
        assert!(matches!(
            c.suspect(Code::PermissionMissing),
            Some((_, true))
        ));
    }

    #[test]
    fn a_docker_hub_dns_failure_suspects_no_endpoint() {
        let c = classify("dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: no such host");
        assert_eq!(c.target, Some(Target::Registry));
        assert!(c.suspects.contains(&Code::VpcDnsDisabled));
        assert!(!c.suspects.contains(&Code::EndpointPrivateDnsDisabled));
    }

    #[test]
    fn names_users_choose_do_not_decide_the_category_or_call() {
        for (image, path) in [
            ("web:429", "web/manifests/429"),
            ("prefs-api:1", "prefs-api/manifests/1"),
            ("cloudwatch-agent:403", "cloudwatch-agent/manifests/403"),
            ("hotfix-x509-rotator:1", "hotfix-x509-rotator/manifests/1"),
        ] {
            let c = classify(&format!("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/{image}: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/{path}\": dial tcp 52.46.144.120:443: i/o timeout"));
            assert_eq!(c.category, Category::NetworkTimeout, "{image}");
            assert_eq!(c.target, Some(Target::EcrDkr), "{image}");
        }
    }

    #[test]
    fn huge_input_is_cut_not_slow() {
        let text = "i/o timeout ".repeat(1_000_000);
        assert_eq!(classify(&text).category, Category::NetworkTimeout);
    }

    #[test]
    fn a_kubelet_ecr_timeout_has_the_network_suspects_of_a_task() {
        let ecs = classify("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1\": dial tcp 52.46.144.120:443: i/o timeout");
        let kube = classify("Failed to pull image \"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1\": failed to resolve reference \"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1\": failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1\": dial tcp 52.46.144.120:443: i/o timeout");
        assert!(kube.kubernetes && !ecs.kubernetes);
        assert_eq!(kube.category, Category::NetworkTimeout);
        assert_eq!(kube.target, Some(Target::EcrDkr));
        assert_eq!(kube.suspects, ecs.suspects);
        assert!(kube.meaning.starts_with("The node could not connect"));
    }

    #[test]
    fn a_pod_is_never_suspected_of_a_task_role_or_task_credentials() {
        let task_only = [
            Code::ExecutionRoleMissing,
            Code::ExecutionRoleNotFound,
            Code::ExecutionRoleTrust,
            Code::PermissionMissing,
            Code::PermissionDenied,
            Code::RegistryAuthMissing,
        ];
        for text in [
            "Failed to pull image \"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5\": rpc error: code = Unknown desc = Error response from daemon: Get https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/eks/pause/manifests/3.5: no basic auth credentials",
            "Failed to pull image \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:2\": rpc error: code = Unknown desc = failed to pull and unpack image \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:2\": failed to resolve reference \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:2\": unexpected status from HEAD request to https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/web/manifests/2: 403 Forbidden",
            "Failed to pull image \"ghcr.io/acme/api:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"ghcr.io/acme/api:1\": failed to resolve reference \"ghcr.io/acme/api:1\": unexpected status from HEAD request to https://ghcr.io/v2/acme/api/manifests/1: 401 Unauthorized",
            "Failed to pull image \"acme/api:1\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for acme/api, repository does not exist or may require 'docker login'",
        ] {
            let c = classify(text);
            assert!(c.kubernetes, "{text}");
            assert_ne!(c.category, Category::Unknown, "{text}");
            for code in task_only {
                assert!(!c.suspects.contains(&code), "{code} for {text}");
            }
        }
    }

    #[test]
    fn a_kubelet_back_off_is_classified_by_the_error_it_quotes() {
        let bare = classify("Back-off pulling image \"nginx:1.25\"");
        assert_eq!(bare.category, Category::Unknown);
        assert!(bare.suspects.is_empty());
        assert!(bare.next_check.contains("Failed"));
        let quoting = classify("Back-off pulling image \"nginx:1.25\": ErrImagePull: rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/nginx:1.25\": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:0a1b: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.");
        assert_eq!(quoting.category, Category::RateLimited);
        assert_eq!(quoting.host.as_deref(), Some("registry-1.docker.io"));
    }

    #[test]
    fn no_credentials_sent_is_not_a_missing_repository() {
        let c = classify("Failed to pull image \"123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:1\": failed to resolve reference \"123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:1\": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials");
        assert_eq!(c.category, Category::RegistryAuthFailed);
        assert_eq!(c.target, Some(Target::EcrDkr));
        assert!(c.alternatives.is_empty());
    }

    #[test]
    fn a_missing_pull_secret_is_a_secret_not_found() {
        let c = classify("Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.");
        assert_eq!(c.category, Category::SecretNotFound);
        assert_eq!(c.target, None);
        assert!(c.meaning.contains("pull secret"));
        assert_eq!(
            c.suspects,
            [Code::PullSecretMissing, Code::PullSecretOtherNamespace]
        );
    }

    #[test]
    fn a_pod_pulling_from_ecr_suspects_the_node_role_and_ecr_tokens() {
        let no_credentials = classify("Failed to pull image \"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5\": rpc error: code = Unknown desc = Error response from daemon: Get https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/eks/pause/manifests/3.5: no basic auth credentials");
        assert_eq!(no_credentials.suspects[0], Code::NodeRolePermissionMissing);
        assert!(no_credentials
            .suspects
            .contains(&Code::PullSecretEcrTokenExpired));
        let denied = classify("Failed to pull image \"123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-west-2.amazonaws.com/app, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::123456789012:assumed-role/eks-nodes-NodeInstanceRole-1A2B/i-0abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/app because no identity-based policy allows the ecr:BatchGetImage action");
        assert_eq!(denied.category, Category::PermissionDenied);
        assert_eq!(denied.suspects[0], Code::NodeRolePermissionMissing);
        assert!(!denied.suspects.contains(&Code::PullSecretEcrTokenExpired));
    }

    #[test]
    fn a_pod_pulling_from_another_registry_suspects_its_pull_secrets() {
        let c = classify("Failed to pull image \"registry.example.net/team/app:v1\": rpc error: code = Unknown desc = failed to pull and unpack image \"registry.example.net/team/app:v1\": failed to resolve reference \"registry.example.net/team/app:v1\": pulling from host registry.example.net failed with status code [manifests v1]: 401 Unauthorized");
        assert_eq!(c.category, Category::RegistryAuthFailed);
        assert_eq!(c.suspects[0], Code::PullSecretHostMismatch);
        assert!(c.suspects.contains(&Code::PullSecretWrongType));
        assert!(!c.suspects.contains(&Code::NodeRolePermissionMissing));
        // Docker Hub's "may require authorization": not found first, then the pull secrets.
        let hub = classify("Failed to pull image \"acme/private:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/acme/private:1\": failed to resolve reference \"docker.io/acme/private:1\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed");
        assert_eq!(hub.suspect(Code::ImageNotFound), Some((0, false)));
        assert!(matches!(
            hub.suspect(Code::PullSecretHostMismatch),
            Some((_, true))
        ));
    }

    #[test]
    fn a_platform_mismatch_is_not_a_missing_image() {
        let c = classify("Failed to pull image \"acme/api:2\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/acme/api:2\": no match for platform in manifest: not found");
        assert_eq!(c.category, Category::Unknown);
        assert!(c.suspects.is_empty());
        assert!(c.next_check.contains("kubernetes.io/arch"));
    }

    #[test]
    fn a_truncated_timeout_still_classifies() {
        let c = classify("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:7: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/7\": dial tcp 3.227.250.0:443: i/o tim...");
        assert_eq!(c.category, Category::NetworkTimeout);
        assert!(c.truncated);
    }
}
