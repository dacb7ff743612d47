//! A Prefect **Kubernetes** work-pool deployment as the pod template the Prefect Kubernetes
//! worker would create: a Job whose one container `prefect-job` runs `image`, in `namespace`,
//! as `service_account_name`, with the `image_pull_secrets` a custom base job template exposes.
//!
//! The worker's default base job template (PrefectHQ/prefect @ ce79dd3,
//! src/integrations/prefect-kubernetes/prefect_kubernetes/worker.py,
//! `_get_default_job_manifest_template`, l.178, and `KubernetesWorkerVariables`, l.710): a
//! `batch/v1` Job in `{{ namespace }}` (default `default`), `serviceAccountName: {{
//! service_account_name }}` (unset: the namespace's `default`), one container `prefect-job`
//! with `image: {{ image }}` — when unset, the worker's own Prefect image
//! (`_populate_image_if_not_present`, l.600: `get_prefect_image_name()`, on Docker Hub). The
//! default template has no `imagePullSecrets`; templates that add one commonly expose it as
//! `image_pull_secrets`, read here as names or `{name: …}` items (also `imagePullSecrets`).

use serde_json::{Map, Value};

use crate::model::{KubeContainer, KubeWorkload};

/// The image the worker uses when the deployment sets none: the Prefect image of the worker's
/// own version, on Docker Hub (public). The tag does not change where or how it is pulled.
pub const PREFECT_IMAGE: &str = "docker.io/prefecthq/prefect:3-latest";

/// The Job's pod template, or why the variables cannot be one (`at`: where they are).
pub fn kubernetes_job(
    variables: &Map<String, Value>,
    deployment: &str,
    at: &str,
) -> Result<(KubeWorkload, Vec<String>), String> {
    let text = |key: &str| -> Result<Option<String>, String> {
        match variables.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(other) => Err(format!(
                "`{at}.{key}` must be text, not {}",
                super::prefect_job::shown(other)
            )),
        }
    };
    let mut warnings = Vec::new();
    let image = match text("image")? {
        Some(image) => image,
        None => {
            warnings.push(format!(
                "deployment `{deployment}` sets no image: the worker runs its own Prefect image ({PREFECT_IMAGE} audited in its place)"
            ));
            PREFECT_IMAGE.to_string()
        }
    };
    let secrets = match variables
        .get("image_pull_secrets")
        .or_else(|| variables.get("imagePullSecrets"))
    {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(name) => Ok(name.clone()),
                Value::Object(o) => match o.get("name") {
                    Some(Value::String(name)) => Ok(name.clone()),
                    _ => Err(format!("`{at}.image_pull_secrets[{i}]` has no `name`")),
                },
                other => Err(format!(
                    "`{at}.image_pull_secrets[{i}]` must be a name or {{name: …}}, not {}",
                    super::prefect_job::shown(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "`{at}.image_pull_secrets` must be a list, not {}",
                super::prefect_job::shown(other)
            ))
        }
    };
    Ok((
        KubeWorkload {
            namespace: text("namespace")?.unwrap_or_else(|| "default".into()),
            kind: "Job".into(),
            name: deployment.to_string(),
            owner: None,
            service_account_name: text("service_account_name")?,
            image_pull_secrets: secrets,
            containers: vec![KubeContainer {
                name: "prefect-job".into(),
                image,
                ..KubeContainer::default()
            }],
            ..KubeWorkload::default()
        },
        warnings,
    ))
}
