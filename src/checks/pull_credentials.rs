//! The credentials a pod's images are pulled with, as the kubelet chooses them, and what is
//! wrong with them.
//!
//! Rules (each from Kubernetes' source, 1.20 and later unchanged in these respects):
//! - **Which secrets.** The pod's `imagePullSecrets` when it names any; otherwise, at
//!   admission, its service account's are copied into it — never merged
//!   (`plugin/pkg/admission/serviceaccount/admission.go`: "if len(pod.Spec.ImagePullSecrets)
//!   == 0"). The service account is `spec.serviceAccountName`, or `default`; admission refuses
//!   a pod whose service account does not exist ("error looking up service account").
//! - **Where.** The kubelet reads each secret from the pod's namespace only
//!   (`pkg/kubelet/kubelet_pods.go` `getPullSecretsForPod`: `secretManager.GetSecret(pod.
//!   Namespace, …)`); one it cannot read is skipped with a warning event.
//! - **Which types.** Only `kubernetes.io/dockerconfigjson` / `kubernetes.io/dockercfg` with
//!   their key (`collect::kubernetes::pull_secret`).
//! - **Which credentials.** `kube_keyring::lookup`; the node's own credential provider comes
//!   after the secrets (`UnionDockerKeyring{secrets, default}`), and on EKS it answers only
//!   for ECR hosts (the node role; on Fargate the pod execution role).
//! - **Trying them.** With credentials found, each is tried in order until a pull succeeds,
//!   and an anonymous pull is never tried; with none, the pull is anonymous
//!   (`pkg/kubelet/kuberuntime/kuberuntime_image.go` `PullImage`).

use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{KubeCluster, KubeWorkload, PullSecret, RegistryCredential};
use crate::workload::{ImageRef, KubeUnit};

use super::kube_keyring::lookup;

/// How long an ECR authorization token is valid (`ecr:GetAuthorizationToken`: "valid for 12
/// hours").
const ECR_TOKEN_LIFETIME_SECONDS: i64 = 12 * 3600;

/// A Go duration (`time.ParseDuration`: `1h30m`, `90s`, `0`) in whole seconds; `None` when
/// it is not one.
fn go_duration_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    if text.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&i| i > 0)?;
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Some(total as i64)
}

/// How long before an ECR token's expiry pullpath warns: a token refreshed by a job every
/// few hours is normal; one that expires within the hour pulls now and fails soon.
pub const EXPIRY_WARNING_SECONDS: i64 = 3600;

/// Whether the node's own credentials (node role, or Fargate pod execution role) can pull the
/// workload's ECR images, from the path and permission audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeCredentials {
    Pull,
    CannotPull,
    Unknown,
}

/// What pull-credential problems a unit has. `severity`: `Some(true)` blocks, `Some(false)`
/// unknown, `None` information only (the pull succeeds regardless).
#[derive(Debug, Default)]
pub struct CredentialFindings {
    pub findings: Vec<(Option<bool>, Blocker)>,
    /// A secret holds an unexpired ECR token for an image: its principal may pull where the
    /// node role cannot (the node role's permission findings are then unknown, not failures).
    pub ecr_token_may_pull: bool,
}

/// Why a secret the pod names cannot be used, as a blocker (blocking by default).
fn unusable_secret(
    cluster: &KubeCluster,
    pod: &KubeWorkload,
    name: &str,
    via: &str,
    label: &str,
) -> Option<Blocker> {
    let ns = &pod.namespace;
    let resource = format!("secret {ns}/{name}");
    let secrets = cluster.pull_secrets.as_deref().unwrap_or_default();
    let names = cluster.secret_names.as_deref().unwrap_or_default();
    if let Some(secret) = secrets
        .iter()
        .find(|s| &s.namespace == ns && s.name == name)
    {
        let why = secret.unusable.as_ref()?;
        return Some(Blocker::new(
            Code::PullSecretWrongType,
            resource,
            format!("{label} names pull secret `{name}`{via}, but {why}"),
            format!("Recreate it with its registry credentials: kubectl -n {ns} create secret docker-registry {name} --docker-server=REGISTRY --docker-username=USER --docker-password=PASSWORD"),
        ));
    }
    if names.iter().any(|s| &s.namespace == ns && s.name == name) {
        return Some(Blocker::new(
            Code::PullSecretWrongType,
            resource,
            format!("{label} names pull secret `{name}`{via}, but it is not of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg (an Opaque secret, say), so the kubelet skips it without an error"),
            format!("Recreate it as a registry secret: kubectl -n {ns} delete secret {name} && kubectl -n {ns} create secret docker-registry {name} --docker-server=REGISTRY --docker-username=USER --docker-password=PASSWORD"),
        ));
    }
    let elsewhere: Vec<&str> = names
        .iter()
        .filter(|s| s.name == name && &s.namespace != ns)
        .map(|s| s.namespace.as_str())
        .collect();
    if !elsewhere.is_empty() {
        return Some(Blocker::new(
            Code::PullSecretOtherNamespace,
            resource,
            format!("{label} names pull secret `{name}`{via}, which exists only in namespace(s) {}; the kubelet reads pull secrets from the pod's own namespace `{ns}`", elsewhere.join(", ")),
            format!("Copy the secret into namespace {ns} (kubectl -n {} get secret {name} -o yaml | sed 's/namespace: .*/namespace: {ns}/' | kubectl apply -f -), or manage it there with your secrets operator.", elsewhere[0]),
        ));
    }
    Some(Blocker::new(
        Code::PullSecretMissing,
        resource,
        format!("{label} names pull secret `{name}`{via}, which does not exist in namespace `{ns}`: the kubelet skips it (event FailedToRetrieveImagePullSecret)"),
        format!("Create it: kubectl -n {ns} create secret docker-registry {name} --docker-server=REGISTRY --docker-username=USER --docker-password=PASSWORD"),
    ))
}

/// The pull credential findings of a unit. `node`: whether the node's own credentials can
/// pull its ECR images; `now`: the audit's clock (seconds), for ECR token expiry.
pub fn credential_findings(
    unit: &KubeUnit<'_>,
    node: NodeCredentials,
    now: Option<i64>,
) -> CredentialFindings {
    let mut out = CredentialFindings::default();
    let cluster = unit.cluster;
    let pod = unit.workload;
    let label = unit.label();
    let ns = &pod.namespace;
    let account = pod.service_account_name.as_deref().unwrap_or("default");
    // The secrets' names, and where they come from.
    let (names, via): (Vec<String>, String) = if !pod.image_pull_secrets.is_empty() || pod.admitted
    {
        (pod.image_pull_secrets.clone(), String::new())
    } else {
        match &cluster.service_accounts {
            None => {
                out.findings.push((Some(false), Blocker::new(
                    Code::NotCollected,
                    format!("serviceaccount {ns}/{account}"),
                    format!("{label} names no pull secret, so its pods get those of service account `{account}`, but service accounts were not read{}", gaps(cluster, "serviceaccounts")),
                    "Read service accounts (list serviceaccounts), or give the files `kubectl get serviceaccounts -A -o json`.",
                )));
                return out;
            }
            Some(accounts) => match accounts
                .iter()
                .find(|a| &a.namespace == ns && a.name == account)
            {
                Some(sa) => (
                    sa.image_pull_secrets.clone(),
                    format!(" (from service account `{account}`)"),
                ),
                None => {
                    let unset = if pod.service_account_name.is_none() {
                        " (spec.serviceAccountName is unset, so the pods run as `default`)"
                    } else {
                        ""
                    };
                    let elsewhere: Vec<&str> = accounts
                        .iter()
                        .filter(|a| a.name == account)
                        .map(|a| a.namespace.as_str())
                        .collect();
                    let also = if elsewhere.is_empty() {
                        String::new()
                    } else {
                        format!(" (it exists in namespace(s) {})", elsewhere.join(", "))
                    };
                    // No pod is created: nothing is pulled, so nothing else is wrong yet.
                    out.findings.push((Some(true), Blocker::new(
                        Code::ServiceAccountMissing,
                        format!("serviceaccount {ns}/{account}"),
                        format!("{label} runs as service account `{account}`{unset}, which does not exist in namespace `{ns}`{also}: the API server refuses to create its pods (error looking up service account)"),
                        format!("Create it (kubectl -n {ns} create serviceaccount {account}), or set spec.template.spec.serviceAccountName to the account that holds the pull secrets."),
                    )));
                    return out;
                }
            },
        }
    };
    // Secrets hint that the pod's author knew the registry needs credentials.
    let hint_named_but_none =
        pod.image_pull_secrets.is_empty() && pod.service_account_name.is_none();
    let secrets_read = cluster.pull_secrets.is_some() && cluster.secret_names.is_some();
    let mut usable: Vec<&PullSecret> = Vec::new();
    let mut broken: Vec<Blocker> = Vec::new();
    if !names.is_empty() && !secrets_read {
        out.findings.push((Some(false), Blocker::new(
            Code::NotCollected,
            format!("secret {ns}/{}", names[0]),
            format!("{label} pulls with pull secret(s) {}{via}, but secrets were not read{}", names.join(", "), gaps(cluster, "secrets")),
            "Read secrets (list secrets), or give the files `kubectl get secrets -A -o json` (pullpath keeps only hosts, users and ECR token expiry).",
        )));
        return out;
    }
    // ExternalSecrets that write the secrets (External Secrets Operator).
    let writers = |name: &String| -> Vec<&crate::model::ExternalSecret> {
        cluster
            .external_secrets
            .iter()
            .flatten()
            .filter(|e| &e.namespace == ns && &e.target == name)
            .collect()
    };
    let mut ecr_refresh: Vec<Blocker> = Vec::new();
    // An entry with no name: the kubelet looks up nothing for it.
    for name in names.iter().filter(|n| !n.is_empty()) {
        if let Some(writer) = writers(name).into_iter().find(|e| {
            !matches!(
                e.template_type.as_deref(),
                Some("kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg")
            )
        }) {
            let set = writer.template_type.as_deref().map_or(
                "no spec.target.template.type, so the operator writes an Opaque secret".to_string(),
                |t| format!("spec.target.template.type `{t}`"),
            );
            broken.push(Blocker::new(
                Code::PullSecretWrongType,
                format!("externalsecret {ns}/{}", writer.name),
                format!("{label} names pull secret `{name}`{via}, which ExternalSecret `{}` writes with {set}: the kubelet skips a secret that is not of type kubernetes.io/dockerconfigjson", writer.name),
                format!("Set spec.target.template.type: kubernetes.io/dockerconfigjson on ExternalSecret {ns}/{} (with the data under the key .dockerconfigjson).", writer.name),
            ));
            continue;
        }
        for writer in writers(name).into_iter().filter(|e| e.ecr_token_generator) {
            let interval = writer.refresh_interval.as_deref().unwrap_or("1h");
            let too_slow = match go_duration_seconds(interval) {
                Some(0) => Some("never refreshes it (refreshInterval 0)".to_string()),
                Some(s) if s > ECR_TOKEN_LIFETIME_SECONDS => {
                    Some(format!("refreshes it every {interval}"))
                }
                Some(_) => None,
                None => Some(format!(
                    "refreshes it every `{interval}`, which is not a duration"
                )),
            };
            if let Some(how) = too_slow {
                ecr_refresh.push(Blocker::new(
                    Code::PullSecretEcrTokenExpiring,
                    format!("externalsecret {ns}/{}", writer.name),
                    format!("{label}: ExternalSecret `{}` writes pull secret `{name}` from an ECRAuthorizationToken generator but {how}, and ECR tokens last 12 hours: the secret holds an expired token for part of every cycle", writer.name),
                    format!("Set spec.refreshInterval below 12h (for example 6h) on ExternalSecret {ns}/{}.", writer.name),
                ));
            }
        }
        let found = cluster
            .pull_secrets
            .iter()
            .flatten()
            .find(|s| &s.namespace == ns && &s.name == name && s.unusable.is_none());
        match found {
            Some(secret) => usable.push(secret),
            None => broken.extend(unusable_secret(cluster, pod, name, &via, &label)),
        }
    }
    // A used secret whose JSON the kubelet cannot read fails every pull of the pod.
    let fatal = broken
        .iter()
        .any(|b| b.message.contains("fails every pull"));
    let mut blocking_broken = fatal;
    for container in &pod.containers {
        let image = &container.image;
        let tried = lookup(&usable, image);
        let ecr = matches!(ImageRef::parse(image), ImageRef::Ecr(_));
        let token_state = |c: &RegistryCredential| token_state(c, now);
        if ecr {
            let expired: Vec<_> = tried
                .iter()
                .filter(|(_, c)| token_state(c) == Token::Expired)
                .collect();
            let expiring: Vec<_> = tried
                .iter()
                .filter(|(_, c)| token_state(c) == Token::Expiring)
                .collect();
            let may_pull = tried.iter().any(|(_, c)| {
                matches!(
                    token_state(c),
                    Token::Valid | Token::Expiring | Token::Unknown
                )
            });
            if may_pull {
                out.ecr_token_may_pull = true;
            }
            let node_pulls = node == NodeCredentials::Pull;
            for (secret, credential) in expired {
                let severity = if node_pulls {
                    None
                } else if may_pull {
                    Some(false)
                } else {
                    Some(node == NodeCredentials::CannotPull)
                };
                out.findings.push((
                    severity,
                    expired_token(
                        &label,
                        secret,
                        credential,
                        container.name.as_str(),
                        node_pulls,
                    ),
                ));
            }
            for (secret, credential) in expiring {
                let severity = if node_pulls { None } else { Some(false) };
                out.findings.push((
                    severity,
                    expiring_token(&label, secret, credential, container.name.as_str()),
                ));
            }
            // Broken secrets matter for ECR only if the node cannot pull either.
            if !broken.is_empty() && !node_pulls && !may_pull {
                blocking_broken = blocking_broken || node == NodeCredentials::CannotPull;
            }
            continue;
        }
        let ImageRef::Other(other) = ImageRef::parse(image) else {
            continue;
        };
        if !tried.is_empty() {
            continue; // credentials for the host: their password cannot be checked here
        }
        // Anonymous: fine for a public image on a public registry.
        if other.public_registry {
            continue;
        }
        if !broken.is_empty() {
            blocking_broken = true;
        } else if !usable.is_empty() {
            let keys: Vec<String> = usable
                .iter()
                .flat_map(|s| {
                    s.registries
                        .iter()
                        .map(move |r| format!("{}:{}", s.name, r.key))
                })
                .collect();
            out.findings.push((Some(true), Blocker::new(
                Code::PullSecretHostMismatch,
                format!("secret {ns}/{}", usable[0].name),
                format!("{label}: container `{}` pulls `{image}` from {}, but no pull secret{via} has credentials for that host (they have {}), so the kubelet pulls it without credentials (expect 401 Unauthorized / no basic auth credentials)", container.name, other.host, keys.join(", ")),
                format!("Add an entry for {} to the secret (kubectl -n {ns} create secret docker-registry … --docker-server={}), or name a secret that has one in imagePullSecrets.", other.host, other.host),
            )));
        } else {
            let how = if hint_named_but_none {
                " (the pod names no pull secret and runs as `default`, whose service account has none)".to_string()
            } else {
                String::new()
            };
            let holders = accounts_with_credentials(cluster, ns, image);
            let (how, fix) = match holders.first() {
                None => (how, format!("Create a registry secret (kubectl -n {ns} create secret docker-registry regcred --docker-server={} …) and name it in imagePullSecrets of the pod template or of its service account `{account}`.", other.host)),
                Some(holder) => (
                    format!("{how}; service account(s) {} in the namespace hold pull secrets for that host", holders.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")),
                    set_service_account(pod, holder),
                ),
            };
            // No pull secret of the pod holds credentials for the host: it has none at all.
            out.findings.push((Some(true), Blocker::new(
                Code::PullSecretHostMismatch,
                &other.host,
                format!("{label}: container `{}` pulls `{image}` from private registry {} without a pull secret{how} (expect 401 Unauthorized / no basic auth credentials)", container.name, other.host),
                fix,
            )));
        }
    }
    let severity = if blocking_broken { Some(true) } else { None };
    out.findings
        .extend(broken.into_iter().map(|b| (severity, b)));
    // A token that lapses between refreshes matters when nothing else pulls ECR images.
    let refresh_severity = if node == NodeCredentials::Pull {
        None
    } else {
        Some(false)
    };
    out.findings
        .extend(ecr_refresh.into_iter().map(|b| (refresh_severity, b)));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    NotEcr,
    Unknown,
    Valid,
    Expiring,
    Expired,
}

fn token_state(credential: &RegistryCredential, now: Option<i64>) -> Token {
    if credential.username.as_deref() != Some("AWS") {
        return Token::NotEcr;
    }
    let expires = credential
        .ecr_token_expires_at
        .as_deref()
        .and_then(|t| {
            aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        })
        .map(|t| t.secs());
    match (expires, now) {
        (Some(at), Some(now)) if at <= now => Token::Expired,
        (Some(at), Some(now)) if at - now <= EXPIRY_WARNING_SECONDS => Token::Expiring,
        (Some(_), Some(_)) => Token::Valid,
        _ => Token::Unknown,
    }
}

fn expired_token(
    label: &str,
    secret: &PullSecret,
    credential: &RegistryCredential,
    container: &str,
    node_pulls: bool,
) -> Blocker {
    let at = credential.ecr_token_expires_at.as_deref().unwrap_or("?");
    let then = if node_pulls {
        "; the kubelet tries it first, it fails, and the node's own credentials then pull the image"
    } else {
        "; the node's own credentials cannot pull the image either"
    };
    Blocker::new(
        Code::PullSecretEcrTokenExpired,
        format!("secret {}/{}", secret.namespace, secret.name),
        format!("{label}: container `{container}`'s pull secret `{}` holds an ECR authorization token for {} that expired at {at} (ECR tokens last 12 hours){then}", secret.name, credential.key),
        format!("Refresh it on a schedule shorter than 12 hours (a CronJob or External Secrets' ECRAuthorizationToken generator), or drop the secret and let the node role pull (attach AmazonEC2ContainerRegistryPullOnly to it): kubectl -n {} delete secret {}", secret.namespace, secret.name),
    )
}

fn expiring_token(
    label: &str,
    secret: &PullSecret,
    credential: &RegistryCredential,
    container: &str,
) -> Blocker {
    let at = credential.ecr_token_expires_at.as_deref().unwrap_or("?");
    Blocker::new(
        Code::PullSecretEcrTokenExpiring,
        format!("secret {}/{}", secret.namespace, secret.name),
        format!("{label}: container `{container}`'s pull secret `{}` holds an ECR authorization token for {} that expires at {at}, within the hour; pulls after that fail unless it is refreshed", secret.name, credential.key),
        "Refresh the token on a schedule well inside 12 hours, or let the node role pull (AmazonEC2ContainerRegistryPullOnly).",
    )
}

/// The service accounts of `namespace` (as `name`) whose pull secrets have credentials for
/// `image`: the account a pod probably meant to run as.
fn accounts_with_credentials(cluster: &KubeCluster, namespace: &str, image: &str) -> Vec<String> {
    let secrets = cluster.pull_secrets.as_deref().unwrap_or_default();
    cluster
        .service_accounts
        .iter()
        .flatten()
        .filter(|a| a.namespace == namespace)
        .filter(|a| {
            let usable: Vec<&PullSecret> = a
                .image_pull_secrets
                .iter()
                .filter_map(|n| {
                    secrets
                        .iter()
                        .find(|s| s.namespace == namespace && &s.name == n && s.unusable.is_none())
                })
                .collect();
            !lookup(&usable, image).is_empty()
        })
        .map(|a| a.name.clone())
        .collect()
}

/// How to make `pod`'s pods run as service account `account`.
fn set_service_account(pod: &KubeWorkload, account: &str) -> String {
    let ns = &pod.namespace;
    let (kind, path) = match pod.kind.as_str() {
        "Pod" => {
            return format!("Set spec.serviceAccountName: {account} in the pod's manifest and recreate the pod (a pod's service account cannot be changed in place).");
        }
        "CronJob" => (
            "cronjob",
            r#"{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"serviceAccountName":"ACCOUNT"}}}}}}"#,
        ),
        other => (
            other,
            r#"{"spec":{"template":{"spec":{"serviceAccountName":"ACCOUNT"}}}}"#,
        ),
    };
    format!(
        "Run the pods as `{account}`: set serviceAccountName in the pod template (kubectl -n {ns} patch {} {} -p '{}').",
        kind.to_ascii_lowercase(),
        pod.name,
        path.replace("ACCOUNT", account)
    )
}

/// " (list secrets was forbidden…)" for the cluster's gaps on `resource`.
fn gaps(cluster: &KubeCluster, resource: &str) -> String {
    let why: Vec<String> = cluster
        .coverage_gaps
        .iter()
        .filter(|g| g.collection == resource)
        .map(|g| g.describe())
        .collect();
    if why.is_empty() {
        String::new()
    } else {
        format!(" (the collector {})", why.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration_seconds;

    #[test]
    fn go_durations_read_as_go_reads_them() {
        assert_eq!(go_duration_seconds("1h"), Some(3600));
        assert_eq!(go_duration_seconds("1h30m"), Some(5400));
        assert_eq!(go_duration_seconds("24h"), Some(86400));
        assert_eq!(go_duration_seconds("0"), Some(0));
        assert_eq!(go_duration_seconds("90s"), Some(90));
        assert_eq!(go_duration_seconds("1.5h"), Some(5400));
        assert_eq!(go_duration_seconds("1d"), None);
        assert_eq!(go_duration_seconds("h"), None);
        assert_eq!(go_duration_seconds(""), None);
    }
}
