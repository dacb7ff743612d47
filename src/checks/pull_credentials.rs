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
    let pod = Pod {
        cluster: unit.cluster,
        pod: unit.workload,
        label: unit.label(),
        account: unit
            .workload
            .service_account_name
            .as_deref()
            .unwrap_or("default"),
    };
    let (names, via) = match pod.secret_names() {
        SecretNames::Named { names, via } => (names, via),
        SecretNames::Unknown(severity, blocker) => {
            out.findings.push((severity, blocker));
            return out;
        }
    };
    if let Some(blocker) = pod.secrets_not_read(&names, &via) {
        out.findings.push((Some(false), blocker));
        return out;
    }
    let secrets = pod.named_secrets(&names, &via);
    let blocking_broken = pod.container_findings(&secrets, &via, node, now, &mut out);
    let severity = if blocking_broken { Some(true) } else { None };
    out.findings
        .extend(secrets.broken.into_iter().map(|b| (severity, b)));
    // A token that lapses between refreshes matters when nothing else pulls ECR images.
    let refresh_severity = if node == NodeCredentials::Pull {
        None
    } else {
        Some(false)
    };
    out.findings.extend(
        secrets
            .ecr_refresh
            .into_iter()
            .map(|b| (refresh_severity, b)),
    );
    out
}

/// The unit whose pull credentials are checked, with what its findings name.
struct Pod<'a> {
    cluster: &'a KubeCluster,
    pod: &'a KubeWorkload,
    label: String,
    /// The service account it runs as: `spec.serviceAccountName`, or `default`.
    account: &'a str,
}

/// The pull secrets a pod is given, or a finding when they cannot be known.
enum SecretNames {
    /// Their names, and where they come from (`via`: "" from the pod itself, or " (from
    /// service account `A`)").
    Named { names: Vec<String>, via: String },
    /// The finding (and its severity) that stands instead of every other.
    Unknown(Option<bool>, Blocker),
}

/// The secrets a unit names, sorted by what the kubelet does with them.
struct NamedSecrets<'a> {
    /// Registry secrets the kubelet reads.
    usable: Vec<&'a PullSecret>,
    /// Why each other secret named cannot be used.
    broken: Vec<Blocker>,
    /// ExternalSecrets that let an ECR token lapse between refreshes.
    ecr_refresh: Vec<Blocker>,
}

impl<'a> Pod<'a> {
    fn ns(&self) -> &'a str {
        &self.pod.namespace
    }

    /// The secrets' names, and where they come from.
    ///
    /// Admission looks the pod's service account up first and refuses the pod when it does
    /// not exist, whether or not the pod names pull secrets of its own; only then, when the
    /// pod names none, does it copy the account's (Kubernetes
    /// `plugin/pkg/admission/serviceaccount/admission.go`, `Admit`: `getServiceAccount` →
    /// "error looking up service account", then `if len(pod.Spec.ImagePullSecrets) == 0`).
    fn secret_names(&self) -> SecretNames {
        let pod = self.pod;
        let own = SecretNames::Named {
            names: pod.image_pull_secrets.clone(),
            via: String::new(),
        };
        // Admitted already: its list is final, and its account was found then.
        if pod.admitted {
            return own;
        }
        let Some(accounts) = &self.cluster.service_accounts else {
            // `default` is made in every namespace by the service-account controller
            // (`pkg/controller/serviceaccount/serviceaccounts_controller.go`); another account
            // named beside the pod's own secrets may not exist.
            if !pod.image_pull_secrets.is_empty() && self.account == "default" {
                return own;
            }
            return SecretNames::Unknown(Some(false), self.service_accounts_not_read());
        };
        let found = accounts
            .iter()
            .find(|a| a.namespace == self.ns() && a.name == self.account);
        if let Some(blocker) = found.and_then(|sa| self.not_mountable(sa)) {
            return SecretNames::Unknown(Some(true), blocker);
        }
        match found {
            Some(_) if !pod.image_pull_secrets.is_empty() => own,
            Some(sa) => SecretNames::Named {
                names: sa.image_pull_secrets.clone(),
                via: format!(" (from service account `{}`)", self.account),
            },
            // No pod is created: nothing is pulled, so nothing else is wrong yet.
            None => SecretNames::Unknown(Some(true), self.service_account_missing(accounts)),
        }
    }

    /// The refusal of a pod naming secrets its service account does not list, when the
    /// account enforces mountable secrets: admission checks the pod's own pull secrets
    /// against the account's `imagePullSecrets`, and the secrets it mounts or reads into its
    /// environment against the account's `secrets`, before it copies anything
    /// (`plugin/pkg/admission/serviceaccount/admission.go`, `limitSecretReferences`).
    fn not_mountable(&self, sa: &crate::model::ServiceAccount) -> Option<Blocker> {
        if !sa.enforce_mountable_secrets {
            return None;
        }
        let pod = self.pod;
        let (field, name) = pod
            .image_pull_secrets
            .iter()
            .find(|n| !sa.image_pull_secrets.contains(n))
            .map(|n| ("imagePullSecrets", n))
            .or_else(|| {
                pod.secret_refs
                    .iter()
                    .find(|n| !sa.mountable_secrets.contains(n))
                    .map(|n| ("secrets", n))
            })?;
        let (ns, account, label) = (self.ns(), self.account, &self.label);
        Some(Blocker::new(
            Code::PullSecretNotAllowed,
            format!("serviceaccount {ns}/{account}"),
            format!("{label} uses secret `{name}`, but its service account `{account}` enforces mountable secrets (kubernetes.io/enforce-mountable-secrets) and does not list it in `{field}`: the API server refuses to create its pods"),
            format!("Add `{name}` to {field} of service account {ns}/{account} (kubectl -n {ns} edit serviceaccount {account}), or use only the secrets it lists."),
        ))
    }

    fn service_accounts_not_read(&self) -> Blocker {
        let (ns, account, label) = (self.ns(), self.account, &self.label);
        let why = if self.pod.image_pull_secrets.is_empty() {
            format!("names no pull secret, so its pods get those of service account `{account}`")
        } else {
            format!("runs as service account `{account}`, which the API server must find before it creates a pod")
        };
        Blocker::new(
            Code::NotCollected,
            format!("serviceaccount {ns}/{account}"),
            format!("{label} {why}, but service accounts were not read{}", gaps(self.cluster, "serviceaccounts")),
            "Read service accounts (list serviceaccounts), or give the files `kubectl get serviceaccounts -A -o json`.",
        )
    }

    fn service_account_missing(&self, accounts: &[crate::model::ServiceAccount]) -> Blocker {
        let (ns, account, label) = (self.ns(), self.account, &self.label);
        let unset = if self.pod.service_account_name.is_none() {
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
        Blocker::new(
            Code::ServiceAccountMissing,
            format!("serviceaccount {ns}/{account}"),
            format!("{label} runs as service account `{account}`{unset}, which does not exist in namespace `{ns}`{also}: the API server refuses to create its pods (error looking up service account)"),
            format!("Create it (kubectl -n {ns} create serviceaccount {account}), or set spec.template.spec.serviceAccountName to the account that holds the pull secrets."),
        )
    }

    /// The finding when secrets are named but were not read.
    fn secrets_not_read(&self, names: &[String], via: &str) -> Option<Blocker> {
        let secrets_read =
            self.cluster.pull_secrets.is_some() && self.cluster.secret_names.is_some();
        if names.is_empty() || secrets_read {
            return None;
        }
        let (ns, label) = (self.ns(), &self.label);
        Some(Blocker::new(
            Code::NotCollected,
            format!("secret {ns}/{}", names[0]),
            format!("{label} pulls with pull secret(s) {}{via}, but secrets were not read{}", names.join(", "), gaps(self.cluster, "secrets")),
            "Read secrets (list secrets), or give the files `kubectl get secrets -A -o json` (pullpath keeps only hosts, users and ECR token expiry).",
        ))
    }

    /// The secrets `names` (given `via`), usable or not, and what their writers get wrong.
    fn named_secrets(&self, names: &[String], via: &str) -> NamedSecrets<'a> {
        let mut secrets = NamedSecrets {
            usable: Vec::new(),
            broken: Vec::new(),
            ecr_refresh: Vec::new(),
        };
        // An entry with no name: the kubelet looks up nothing for it.
        for name in names.iter().filter(|n| !n.is_empty()) {
            if let Some(blocker) = self.written_with_wrong_type(name, via) {
                secrets.broken.push(blocker);
                continue;
            }
            secrets.ecr_refresh.extend(self.lapsing_ecr_tokens(name));
            let found = self
                .cluster
                .pull_secrets
                .iter()
                .flatten()
                .find(|s| s.namespace == self.ns() && &s.name == name && s.unusable.is_none());
            match found {
                Some(secret) => secrets.usable.push(secret),
                None => secrets.broken.extend(unusable_secret(
                    self.cluster,
                    self.pod,
                    name,
                    via,
                    &self.label,
                )),
            }
        }
        secrets
    }

    /// The ExternalSecrets that write the secret `name` (External Secrets Operator).
    fn writers(&self, name: &str) -> impl Iterator<Item = &'a crate::model::ExternalSecret> {
        let ns = self.ns();
        let name = name.to_string();
        self.cluster
            .external_secrets
            .iter()
            .flatten()
            .filter(move |e| e.namespace == ns && e.target == name)
    }

    /// An ExternalSecret that writes `name` as a secret the kubelet skips.
    fn written_with_wrong_type(&self, name: &str, via: &str) -> Option<Blocker> {
        let writer = self.writers(name).find(|e| {
            !matches!(
                e.template_type.as_deref(),
                Some("kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg")
            )
        })?;
        let (ns, label) = (self.ns(), &self.label);
        let set = writer.template_type.as_deref().map_or(
            "no spec.target.template.type, so the operator writes an Opaque secret".to_string(),
            |t| format!("spec.target.template.type `{t}`"),
        );
        Some(Blocker::new(
            Code::PullSecretWrongType,
            format!("externalsecret {ns}/{}", writer.name),
            format!("{label} names pull secret `{name}`{via}, which ExternalSecret `{}` writes with {set}: the kubelet skips a secret that is not of type kubernetes.io/dockerconfigjson", writer.name),
            format!("Set spec.target.template.type: kubernetes.io/dockerconfigjson on ExternalSecret {ns}/{} (with the data under the key .dockerconfigjson).", writer.name),
        ))
    }

    /// The ExternalSecrets that write `name` from an ECR token but refresh it less often
    /// than the token lasts.
    fn lapsing_ecr_tokens(&self, name: &str) -> Vec<Blocker> {
        let (ns, label) = (self.ns(), &self.label);
        self.writers(name)
            .filter(|e| e.ecr_token_generator)
            .filter_map(|writer| {
                let interval = writer.refresh_interval.as_deref().unwrap_or("1h");
                let how = too_slow_refresh(interval)?;
                Some(Blocker::new(
                    Code::PullSecretEcrTokenExpiring,
                    format!("externalsecret {ns}/{}", writer.name),
                    format!("{label}: ExternalSecret `{}` writes pull secret `{name}` from an ECRAuthorizationToken generator but {how}, and ECR tokens last 12 hours: the secret holds an expired token for part of every cycle", writer.name),
                    format!("Set spec.refreshInterval below 12h (for example 6h) on ExternalSecret {ns}/{}.", writer.name),
                ))
            })
            .collect()
    }

    /// The findings of each container's image into `out`; returns whether the broken
    /// secrets block a pull.
    fn container_findings(
        &self,
        secrets: &NamedSecrets,
        via: &str,
        node: NodeCredentials,
        now: Option<i64>,
        out: &mut CredentialFindings,
    ) -> bool {
        let broken = !secrets.broken.is_empty();
        // A used secret whose JSON the kubelet cannot read fails every pull of the pod.
        let mut blocking_broken = secrets
            .broken
            .iter()
            .any(|b| b.message.contains("fails every pull"));
        for container in &self.pod.containers {
            let image = &container.image;
            let tried = lookup(&secrets.usable, image);
            match ImageRef::parse(image) {
                ImageRef::Ecr(_) => {
                    let may_pull =
                        self.token_findings(&container.name, &tried, node, now, &mut out.findings);
                    if may_pull {
                        out.ecr_token_may_pull = true;
                    }
                    // Broken secrets matter for ECR only if the node cannot pull either.
                    if broken && node != NodeCredentials::Pull && !may_pull {
                        blocking_broken = blocking_broken || node == NodeCredentials::CannotPull;
                    }
                }
                ImageRef::Other(other) => {
                    if !tried.is_empty() {
                        continue; // credentials for the host: their password cannot be checked here
                    }
                    // Anonymous: fine for a public image on a public registry.
                    if other.public_registry {
                        continue;
                    }
                    if broken {
                        blocking_broken = true;
                    } else {
                        out.findings.push((
                            Some(true),
                            self.anonymous_pull(
                                &container.name,
                                image,
                                &other.host,
                                &secrets.usable,
                                via,
                            ),
                        ));
                    }
                }
            }
        }
        blocking_broken
    }

    /// The expired and expiring ECR tokens among the credentials `tried` for `container`'s
    /// image, into `findings`; returns whether one of them may pull.
    fn token_findings(
        &self,
        container: &str,
        tried: &[(&PullSecret, &RegistryCredential)],
        node: NodeCredentials,
        now: Option<i64>,
        findings: &mut Vec<(Option<bool>, Blocker)>,
    ) -> bool {
        let token_state = |c: &RegistryCredential| token_state(c, now);
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
        let node_pulls = node == NodeCredentials::Pull;
        for (secret, credential) in expired {
            let severity = if node_pulls {
                None
            } else if may_pull {
                Some(false)
            } else {
                Some(node == NodeCredentials::CannotPull)
            };
            findings.push((
                severity,
                expired_token(&self.label, secret, credential, container, node_pulls),
            ));
        }
        for (secret, credential) in expiring {
            let severity = if node_pulls { None } else { Some(false) };
            findings.push((
                severity,
                expiring_token(&self.label, secret, credential, container),
            ));
        }
        may_pull
    }

    /// Why `container` pulls `image` from the private registry `host` without credentials.
    fn anonymous_pull(
        &self,
        container: &str,
        image: &str,
        host: &str,
        usable: &[&PullSecret],
        via: &str,
    ) -> Blocker {
        let (ns, label) = (self.ns(), &self.label);
        if !usable.is_empty() {
            let keys: Vec<String> = usable
                .iter()
                .flat_map(|s| {
                    s.registries.iter().map(move |r| {
                        let empty = if r.empty { " (empty)" } else { "" };
                        format!("{}:{}{empty}", s.name, r.key)
                    })
                })
                .collect();
            return Blocker::new(
                Code::PullSecretHostMismatch,
                format!("secret {ns}/{}", usable[0].name),
                format!("{label}: container `{container}` pulls `{image}` from {host}, but no pull secret{via} has credentials for that host (they have {}), so the kubelet pulls it without credentials (expect 401 Unauthorized / no basic auth credentials)", keys.join(", ")),
                format!("Add an entry for {host} to the secret (kubectl -n {ns} create secret docker-registry … --docker-server={host}), or name a secret that has one in imagePullSecrets."),
            );
        }
        // Secrets hint that the pod's author knew the registry needs credentials.
        let hint_named_but_none =
            self.pod.image_pull_secrets.is_empty() && self.pod.service_account_name.is_none();
        let how = if hint_named_but_none {
            " (the pod names no pull secret and runs as `default`, whose service account has none)"
                .to_string()
        } else {
            String::new()
        };
        let holders = accounts_with_credentials(self.cluster, ns, image);
        let account = self.account;
        let (how, fix) = match holders.first() {
            None => (how, format!("Create a registry secret (kubectl -n {ns} create secret docker-registry regcred --docker-server={host} …) and name it in imagePullSecrets of the pod template or of its service account `{account}`.")),
            Some(holder) => (
                format!("{how}; service account(s) {} in the namespace hold pull secrets for that host", holders.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")),
                set_service_account(self.pod, holder),
            ),
        };
        // No pull secret of the pod holds credentials for the host: it has none at all.
        Blocker::new(
            Code::PullSecretHostMismatch,
            host,
            format!("{label}: container `{container}` pulls `{image}` from private registry {host} without a pull secret{how} (expect 401 Unauthorized / no basic auth credentials)"),
            fix,
        )
    }
}

/// How an ExternalSecret refreshing an ECR token every `interval` lets it lapse; `None` when
/// it refreshes it in time.
fn too_slow_refresh(interval: &str) -> Option<String> {
    match go_duration_seconds(interval) {
        Some(0) => Some("never refreshes it (refreshInterval 0)".to_string()),
        Some(s) if s > ECR_TOKEN_LIFETIME_SECONDS => Some(format!("refreshes it every {interval}")),
        Some(_) => None,
        None => Some(format!(
            "refreshes it every `{interval}`, which is not a duration"
        )),
    }
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
