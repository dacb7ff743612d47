//! Reading a cluster through its API server, with the kubeconfig and context kubectl would
//! use. One paginated list call per kind and namespace, never a get per object: the cost
//! grows with the kinds read, not with the pods (docs/performance.md).
//!
//! Read-only: [`KUBE_READS`] is every request made, and the ClusterRole in
//! docs/kubernetes-rbac.yaml grants exactly those (a test keeps them in step). Secrets are
//! listed twice with a `type` field selector (only the pull types carry values here) and once
//! as metadata only (names of every other type, without values).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Node, Pod, Secret, ServiceAccount};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::de::DeserializeOwned;

use super::objects::Objects;
use super::pull_secret::{DOCKER_CFG, DOCKER_CONFIG_JSON};
use crate::model::{CoverageGap, GapKind, KubeCluster};

/// Every API request pullpath makes of a cluster: (API group, resource, verb).
pub const KUBE_READS: &[(&str, &str, &str)] = &[
    ("", "pods", "list"),
    ("", "serviceaccounts", "list"),
    ("", "secrets", "list"),
    ("", "nodes", "list"),
    ("", "events", "list"),
    ("apps", "deployments", "list"),
    ("apps", "statefulsets", "list"),
    ("apps", "daemonsets", "list"),
    ("apps", "replicasets", "list"),
    ("batch", "jobs", "list"),
    ("batch", "cronjobs", "list"),
    ("external-secrets.io", "externalsecrets", "list"),
];

/// Objects per page: the API server's own default chunk size for kubectl is 500.
const PAGE: u32 = 500;

/// Where and what to read.
#[derive(Debug, Clone, Default)]
pub struct KubeSource {
    /// `--kubeconfig`; `None`: `$KUBECONFIG` or `~/.kube/config`, as kubectl.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`; `None`: the kubeconfig's current context.
    pub context: Option<String>,
    /// `--namespace` (repeatable); empty: every namespace.
    pub namespaces: Vec<String>,
}

/// The namespace the kubeconfig's context names (`contexts[].context.namespace`), where
/// `kubectl apply` puts an object that names none; `None`: it names none (`default`).
pub fn context_namespace(source: &KubeSource) -> Result<Option<String>, String> {
    let kubeconfig = load_kubeconfig(source)?;
    let name = context_name(source, &kubeconfig)?;
    Ok(kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.namespace.clone())
        .filter(|n| !n.is_empty()))
}

/// The EKS cluster a kubeconfig context is, as `aws eks update-kubeconfig` writes it: the
/// user's `aws eks get-token --cluster-name NAME`, else a context named by the cluster's ARN
/// (`arn:aws:eks:REGION:ACCOUNT:cluster/NAME`).
fn eks_cluster_named(kubeconfig: &Kubeconfig, context: &str) -> Option<String> {
    if let Some((cluster, _)) = super::eks_token::get_token_call(kubeconfig, context) {
        return Some(cluster);
    }
    let (prefix, name) = context.split_once(":cluster/")?;
    (prefix.starts_with("arn:aws") && prefix.contains(":eks:") && !name.is_empty())
        .then(|| name.to_string())
}

fn load_kubeconfig(source: &KubeSource) -> Result<Kubeconfig, String> {
    match &source.kubeconfig {
        Some(path) => Kubeconfig::read_from(path)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display())),
        None => Kubeconfig::read().map_err(|e| format!("cannot read the kubeconfig: {e}")),
    }
}

fn context_name(source: &KubeSource, kubeconfig: &Kubeconfig) -> Result<String, String> {
    source
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| "the kubeconfig names no current context: pass --kube-context".to_string())
}

/// Reads the cluster. Connecting is the only failure that ends it; a list that fails
/// (forbidden, a kind the server does not serve) becomes a coverage gap for that kind.
/// Also returns the number of list requests made (each page one).
pub async fn read_cluster(source: &KubeSource) -> Result<(KubeCluster, usize), String> {
    let mut kubeconfig = load_kubeconfig(source)?;
    let name = context_name(source, &kubeconfig)?;
    let eks_cluster = eks_cluster_named(&kubeconfig, &name);
    // An EKS user (`aws eks get-token`): signed here, no AWS CLI needed.
    super::eks_token::sign_in_place(&mut kubeconfig, &name).await?;
    let options = KubeConfigOptions {
        context: Some(name.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| format!("kubeconfig context `{name}`: {e}"))?;
    // Two rustls providers are built in (ring, aws-lc-rs): name one, or the client panics.
    // An error only says one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    let client =
        Client::try_from(config).map_err(|e| format!("cannot connect to `{name}`: {e}"))?;

    let mut reader = Reader {
        client,
        namespaces: source.namespaces.clone(),
        objects: Objects::default(),
        gaps: Vec::new(),
        requests: AtomicUsize::new(0),
    };
    // Nodes first: a cluster that cannot be reached at all fails here, once.
    let nodes: Option<Vec<Node>> = reader.list_cluster("nodes", "").await;
    if nodes.is_none() && reader.unreachable() {
        let gap = reader.gaps.pop().map(|g| g.message).unwrap_or_default();
        return Err(format!("cannot read cluster `{name}`: {gap}"));
    }
    let pods: Option<Vec<Pod>> = reader.list("pods", "", "").await;
    let deployments: Option<Vec<Deployment>> = reader.list("deployments", "apps", "").await;
    let stateful_sets: Option<Vec<StatefulSet>> = reader.list("statefulsets", "apps", "").await;
    let daemon_sets: Option<Vec<DaemonSet>> = reader.list("daemonsets", "apps", "").await;
    let replica_sets: Option<Vec<ReplicaSet>> = reader.list("replicasets", "apps", "").await;
    let jobs: Option<Vec<Job>> = reader.list("jobs", "batch", "").await;
    let cron_jobs = reader.cron_jobs().await;
    let accounts: Option<Vec<ServiceAccount>> = reader.list("serviceaccounts", "", "").await;
    let json: Option<Vec<Secret>> = reader
        .list("secrets", "", &format!("type={DOCKER_CONFIG_JSON}"))
        .await;
    let cfg: Option<Vec<Secret>> = reader
        .list("secrets", "", &format!("type={DOCKER_CFG}"))
        .await;
    let names = reader.secret_names().await;
    let events: Option<Vec<Event>> = reader.list("events", "", "").await;
    let external_secrets = reader.external_secrets().await;

    let mut objects = std::mem::take(&mut reader.objects);
    for node in nodes.iter().flatten() {
        objects.add_node(node);
    }
    let workloads_read = pods.is_some()
        && deployments.is_some()
        && stateful_sets.is_some()
        && daemon_sets.is_some()
        && replica_sets.is_some()
        && jobs.is_some()
        && cron_jobs.is_some();
    for pod in pods.iter().flatten() {
        objects.add_pod(pod);
    }
    deployments
        .iter()
        .flatten()
        .for_each(|o| objects.add_deployment(o));
    stateful_sets
        .iter()
        .flatten()
        .for_each(|o| objects.add_stateful_set(o));
    daemon_sets
        .iter()
        .flatten()
        .for_each(|o| objects.add_daemon_set(o));
    replica_sets
        .iter()
        .flatten()
        .for_each(|o| objects.add_replica_set(o));
    jobs.iter().flatten().for_each(|o| objects.add_job(o));
    cron_jobs
        .iter()
        .flatten()
        .for_each(|o| objects.add_cron_job(o));
    accounts
        .iter()
        .flatten()
        .for_each(|o| objects.add_service_account(o));
    let secrets_read = json.is_some() && cfg.is_some() && names.is_some();
    for secret in json.iter().flatten().chain(cfg.iter().flatten()) {
        objects.add_secret(secret);
    }
    for (namespace, name) in names.iter().flatten() {
        objects.add_secret_name(namespace, name);
    }
    objects.secret_names.sort();
    objects.secret_names.dedup();
    events.iter().flatten().for_each(|o| objects.add_event(o));
    for value in external_secrets.iter().flatten() {
        objects.add_external_secret(value);
    }

    let requests = reader.requests.load(Ordering::Relaxed);
    Ok((
        KubeCluster {
            name,
            eks_cluster,
            namespaces: (!source.namespaces.is_empty()).then(|| source.namespaces.clone()),
            // Pods and every controller kind, or what is there is not all that runs.
            workloads: workloads_read.then_some(objects.workloads),
            service_accounts: accounts.is_some().then_some(objects.service_accounts),
            pull_secrets: secrets_read.then_some(objects.pull_secrets),
            secret_names: secrets_read.then_some(objects.secret_names),
            nodes: nodes.is_some().then_some(objects.nodes),
            events: events.is_some().then_some(objects.events),
            external_secrets: external_secrets
                .is_some()
                .then_some(objects.external_secrets),
            coverage_gaps: reader.gaps,
        },
        requests,
    ))
}

struct Reader {
    client: Client,
    namespaces: Vec<String>,
    objects: Objects,
    gaps: Vec<CoverageGap>,
    /// List requests made (pages included).
    requests: AtomicUsize,
}

impl Reader {
    /// Whether the only gap so far says the server could not be reached at all.
    fn unreachable(&self) -> bool {
        self.gaps
            .last()
            .is_some_and(|g| g.kind == GapKind::Failed && g.error_code.is_none())
    }

    fn gap(&mut self, resource: &str, group: &str, error: &kube::Error) {
        let (kind, code) = match error {
            kube::Error::Api(status) if status.code == 403 || status.code == 401 => {
                (GapKind::Denied, Some(status.reason.clone()))
            }
            kube::Error::Api(status) => (GapKind::Failed, Some(status.reason.clone())),
            _ => (GapKind::Failed, None),
        };
        let action = if group.is_empty() {
            format!("list {resource}")
        } else {
            format!("list {resource}.{group}")
        };
        // One gap per request kind: the secrets' three lists are one permission.
        if self
            .gaps
            .iter()
            .any(|g| g.action == action && g.collection == resource)
        {
            return;
        }
        self.gaps.push(CoverageGap {
            service: "kubernetes".into(),
            operation: format!("list {resource}"),
            action,
            collection: resource.to_string(),
            message: error.to_string().chars().take(512).collect(),
            kind,
            error_code: code.filter(|c| !c.is_empty()),
            request_id: None,
        });
    }

    /// Every object of a cluster-scoped kind.
    async fn list_cluster<K>(&mut self, resource: &str, group: &str) -> Option<Vec<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        let api: Api<K> = Api::all(self.client.clone());
        match pages(&api, "", &self.requests).await {
            Ok(items) => Some(items),
            Err(e) => {
                self.gap(resource, group, &e);
                None
            }
        }
    }

    /// Every object of a namespaced kind in the namespaces read.
    async fn list<K>(&mut self, resource: &str, group: &str, fields: &str) -> Option<Vec<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        let apis: Vec<Api<K>> = self.apis();
        let mut out = Vec::new();
        for api in &apis {
            match pages(api, fields, &self.requests).await {
                Ok(items) => out.extend(items),
                Err(e) => {
                    self.gap(resource, group, &e);
                    return None;
                }
            }
        }
        Some(out)
    }

    /// The API of a namespaced kind for each namespace read (all namespaces: one).
    fn apis<K>(&self) -> Vec<Api<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        if self.namespaces.is_empty() {
            return vec![Api::all(self.client.clone())];
        }
        self.namespaces
            .iter()
            .map(|n| Api::namespaced(self.client.clone(), n))
            .collect()
    }

    /// Every object of a kind only known at run time (a CRD's, an older API version's), in
    /// the namespaces read.
    async fn dynamic(&self, resource: &ApiResource) -> Result<Vec<DynamicObject>, kube::Error> {
        let apis: Vec<Api<DynamicObject>> = if self.namespaces.is_empty() {
            vec![Api::all_with(self.client.clone(), resource)]
        } else {
            self.namespaces
                .iter()
                .map(|n| Api::namespaced_with(self.client.clone(), n, resource))
                .collect()
        };
        let mut out = Vec::new();
        for api in &apis {
            out.extend(pages(api, "", &self.requests).await?);
        }
        Ok(out)
    }

    /// CronJobs: batch/v1 since Kubernetes 1.21, batch/v1beta1 before (the same fields
    /// pullpath reads), tried when the server does not serve batch/v1.
    async fn cron_jobs(&mut self) -> Option<Vec<CronJob>> {
        let mut out = Vec::new();
        for api in self.apis::<CronJob>() {
            match pages(&api, "", &self.requests).await {
                Ok(items) => out.extend(items),
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    return self.beta_cron_jobs().await;
                }
                Err(e) => {
                    self.gap("cronjobs", "batch", &e);
                    return None;
                }
            }
        }
        Some(out)
    }

    /// batch/v1beta1 CronJobs, read as batch/v1's. One that does not read as a CronJob makes
    /// the list untrusted (a gap), never skipped.
    async fn beta_cron_jobs(&mut self) -> Option<Vec<CronJob>> {
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("batch", "v1beta1", "CronJob"));
        let read = self.dynamic(&resource).await.and_then(|items| {
            items
                .iter()
                .map(|item| {
                    let mut value = serde_json::to_value(item).map_err(kube::Error::SerdeError)?;
                    value["apiVersion"] = "batch/v1".into();
                    value["kind"] = "CronJob".into();
                    serde_json::from_value::<CronJob>(value).map_err(kube::Error::SerdeError)
                })
                .collect::<Result<Vec<_>, _>>()
        });
        match read {
            Ok(items) => Some(items),
            Err(e) => {
                self.gap("cronjobs", "batch", &e);
                None
            }
        }
    }

    /// ExternalSecrets (external-secrets.io v1, else v1beta1), as JSON; `[]` where the CRD
    /// is not installed (the server does not serve it), `None` when the list failed.
    async fn external_secrets(&mut self) -> Option<Vec<serde_json::Value>> {
        for version in ["v1", "v1beta1"] {
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
                "external-secrets.io",
                version,
                "ExternalSecret",
            ));
            match self.dynamic(&resource).await {
                Ok(items) => {
                    return Some(
                        items
                            .iter()
                            .filter_map(|i| serde_json::to_value(i).ok())
                            .collect(),
                    )
                }
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => {
                    self.gap("externalsecrets", "external-secrets.io", &e);
                    return None;
                }
            }
        }
        Some(Vec::new())
    }

    /// (namespace, name) of every secret, read as metadata only (no values).
    async fn secret_names(&mut self) -> Option<Vec<(String, String)>> {
        let apis: Vec<Api<Secret>> = self.apis();
        let mut out = Vec::new();
        for api in &apis {
            let mut params = ListParams::default().limit(PAGE);
            loop {
                self.requests.fetch_add(1, Ordering::Relaxed);
                match api.list_metadata(&params).await {
                    Ok(page) => {
                        out.extend(page.items.iter().map(|s| {
                            (
                                s.metadata.namespace.clone().unwrap_or_default(),
                                s.metadata.name.clone().unwrap_or_default(),
                            )
                        }));
                        match next(&page.metadata.continue_) {
                            Some(token) => params = params.continue_token(&token),
                            None => break,
                        }
                    }
                    Err(e) => {
                        self.gap("secrets", "", &e);
                        return None;
                    }
                }
            }
        }
        Some(out)
    }
}

fn next(token: &Option<String>) -> Option<String> {
    token.clone().filter(|t| !t.is_empty())
}

/// All pages of a list call.
async fn pages<K>(api: &Api<K>, fields: &str, requests: &AtomicUsize) -> Result<Vec<K>, kube::Error>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut params = ListParams::default().limit(PAGE);
    if !fields.is_empty() {
        params = params.fields(fields);
    }
    let mut out = Vec::new();
    loop {
        requests.fetch_add(1, Ordering::Relaxed);
        let page: ObjectList<K> = api.list(&params).await?;
        let token = next(&page.metadata.continue_);
        out.extend(page.items);
        match token {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/kubernetes-rbac.yaml grants exactly the requests pullpath makes.
    #[test]
    fn the_documented_cluster_role_is_the_reads() {
        let text = include_str!("../../../docs/kubernetes-rbac.yaml");
        let role: serde_json::Value = serde_yaml_ng::from_str(text).expect("YAML");
        let mut granted: Vec<(String, String, String)> = Vec::new();
        for rule in role["rules"].as_array().expect("rules") {
            for group in rule["apiGroups"].as_array().unwrap() {
                for resource in rule["resources"].as_array().unwrap() {
                    for verb in rule["verbs"].as_array().unwrap() {
                        granted.push((
                            group.as_str().unwrap().into(),
                            resource.as_str().unwrap().into(),
                            verb.as_str().unwrap().into(),
                        ));
                    }
                }
            }
        }
        let mut reads: Vec<(String, String, String)> = KUBE_READS
            .iter()
            .map(|(g, r, v)| ((*g).into(), (*r).into(), (*v).into()))
            .collect();
        granted.sort();
        reads.sort();
        assert_eq!(granted, reads);
    }

    fn kubeconfig(text: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(text).expect("a kubeconfig")
    }

    #[test]
    fn the_eks_cluster_comes_from_the_get_token_user_or_an_arn_context() {
        let with_user = kubeconfig(
            "apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://x'}}]
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token, --cluster-name, shop]}
contexts: [{name: prod, context: {cluster: c, user: u}}]
",
        );
        assert_eq!(
            eks_cluster_named(&with_user, "prod").as_deref(),
            Some("shop")
        );
        let arn = "arn:aws:eks:us-east-1:123456789012:cluster/payments";
        let by_arn = kubeconfig(&format!(
            "apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: 'https://x'}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: '{arn}', context: {{cluster: c, user: u}}}}]
"
        ));
        assert_eq!(eks_cluster_named(&by_arn, arn).as_deref(), Some("payments"));
        assert_eq!(eks_cluster_named(&by_arn, "kind-kind"), None);
    }
}
