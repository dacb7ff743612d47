//! Deriving, from a task definition, every call the task must make before its containers
//! start, in the order the task makes them: registry auth, manifest, layers, secrets, logs
//! (the pull sequence, in the README's "What it checks").

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::model::{
    port_of, value_source, EcrImage, ImageRef, OtherImage, TaskDefinition, ValueStore,
};

/// The kind of call, which fixes the service endpoint it can use.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    EcrApi,
    EcrDkr,
    S3Layers,
    Secretsmanager,
    Ssm,
    Logs,
    Registry,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::EcrApi => "ecr-api",
            Target::EcrDkr => "ecr-dkr",
            Target::S3Layers => "s3-layers",
            Target::Secretsmanager => "secretsmanager",
            Target::Ssm => "ssm",
            Target::Logs => "logs",
            Target::Registry => "registry",
        }
    }

    /// The VPC endpoint service suffix (`com.amazonaws.REGION.<suffix>`) that can carry it.
    pub fn endpoint_suffix(self) -> Option<&'static str> {
        match self {
            Target::EcrApi => Some("ecr.api"),
            Target::EcrDkr => Some("ecr.dkr"),
            Target::S3Layers => Some("s3"),
            Target::Secretsmanager => Some("secretsmanager"),
            Target::Ssm => Some("ssm"),
            Target::Logs => Some("logs"),
            Target::Registry => None,
        }
    }
}

/// An IAM action on a resource ARN, and which call carries it to AWS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Permission {
    pub action: String,
    pub resource: String,
    /// Whose path the request takes: its conditions (`aws:SourceVpce`, `aws:SourceIp`…) follow
    /// from it.
    #[serde(skip)]
    pub carrier: Carrier,
}

/// Which call a permission is exercised by.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Carrier {
    /// The requirement's own call.
    #[default]
    Own,
    /// Another call: the layer URL (`ecr:GetDownloadUrlForLayer`) is asked of the registry
    /// host, not of S3.
    Call { target: Target, host: String },
    /// A service calling on the role's behalf with its credentials (forward access
    /// sessions): Secrets Manager or Systems Manager decrypting with KMS. The value is the
    /// service principal.
    OnBehalf(String),
}

impl Permission {
    pub fn new(action: &str, resource: impl Into<String>) -> Self {
        Permission {
            action: action.to_string(),
            resource: resource.into(),
            carrier: Carrier::Own,
        }
    }

    pub fn carried_by(mut self, carrier: Carrier) -> Self {
        self.carrier = carrier;
        self
    }
}

/// One call the task must make: where to, and with which permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub target: Target,
    pub host: String,
    /// The TCP port the call connects to: 443, or the port a registry's `host:port` names.
    pub port: u16,
    /// A private route declared for the host (`--registry-route HOST=CIDR`): the host resolves
    /// into this CIDR, which the call is routed and filtered to instead of the internet.
    pub route: Option<Ipv4Net>,
    /// The AWS region of the service called (the registry's region for ECR).
    pub region: String,
    /// What the execution role must be allowed to do.
    pub permissions: Vec<Permission>,
    /// What a VPC endpoint policy on the path must allow (differs from `permissions` only for
    /// layers, which are S3 `GetObject` calls on ECR's bucket).
    pub endpoint_permissions: Vec<Permission>,
    /// ECR images whose manifest (`ecr-dkr`) or layers (`s3-layers`) this call fetches.
    pub ecr_images: Vec<EcrImage>,
    /// Non-ECR images pulled through this call, with whether credentials are configured.
    pub other_images: Vec<(OtherImage, bool)>,
    /// Containers that need the call, for messages.
    pub needed_by: Vec<String>,
}

impl Requirement {
    pub fn uses_execution_role(&self) -> bool {
        !self.permissions.is_empty()
    }
}

/// The S3 bucket ECR serves image layers from.
pub fn layer_bucket(region: &str) -> String {
    format!("prod-{region}-starport-layer-bucket")
}

/// Derives the requirements of `task_definition` for a task in `account`/`region`.
pub fn derive_requirements(
    task_definition: &TaskDefinition,
    account: &str,
    region: &str,
) -> Vec<Requirement> {
    let mut builder = Builder::default();
    for container in &task_definition.container_definitions {
        let who = container.name.as_str();
        match ImageRef::parse(&container.image) {
            ImageRef::Ecr(image) => builder.ecr(who, image),
            ImageRef::Other(image) => {
                let has_credentials = container.repository_credentials.is_some();
                // One call per host (registry, token service, layer CDN), so the report says
                // which one is blocked; the image (and its credentials) belong to the registry.
                let hosts: Vec<String> = image.hosts().into_iter().map(str::to_string).collect();
                for host in hosts.iter().skip(1) {
                    builder.entry(Target::Registry, host, region, who);
                }
                let r = builder.entry(Target::Registry, &hosts[0], region, who);
                r.other_images.push((image, has_credentials));
            }
        }
        // Its registry credentials, then its secrets.
        for value_from in container.values_read(account, region) {
            builder.secret(who, &value_from, account, region);
        }
        if let Some(log) = &container.log_configuration {
            if log.log_driver == "awslogs" {
                builder.logs(who, &log.options, account, region);
            }
        }
    }
    builder.finish()
}

#[derive(Default)]
struct Builder {
    by_key: BTreeMap<(Target, String), Requirement>,
}

impl Builder {
    fn entry(&mut self, target: Target, host: &str, region: &str, who: &str) -> &mut Requirement {
        let requirement = self
            .by_key
            .entry((target, host.to_string()))
            .or_insert_with(|| Requirement {
                target,
                host: host.to_string(),
                port: port_of(host),
                route: None,
                region: region.to_string(),
                permissions: Vec::new(),
                endpoint_permissions: Vec::new(),
                ecr_images: Vec::new(),
                other_images: Vec::new(),
                needed_by: Vec::new(),
            });
        if !requirement.needed_by.iter().any(|n| n == who) {
            requirement.needed_by.push(who.to_string());
        }
        requirement
    }

    fn allow(&mut self, target: Target, host: &str, permission: Permission, endpoint: bool) {
        let requirement = self
            .by_key
            .get_mut(&(target, host.to_string()))
            .expect("entry created first");
        if !requirement.permissions.contains(&permission) {
            requirement.permissions.push(permission.clone());
        }
        if endpoint && !requirement.endpoint_permissions.contains(&permission) {
            requirement.endpoint_permissions.push(permission);
        }
    }

    fn ecr(&mut self, who: &str, image: EcrImage) {
        let region = image.region.clone();
        let repository = image.repository_arn();

        let api = format!("api.ecr.{region}.amazonaws.com");
        self.entry(Target::EcrApi, &api, &region, who);
        self.allow(
            Target::EcrApi,
            &api,
            Permission::new("ecr:GetAuthorizationToken", "*"),
            true,
        );

        let dkr = image.host.clone();
        let manifest = self.entry(Target::EcrDkr, &dkr, &region, who);
        if !manifest.ecr_images.contains(&image) {
            manifest.ecr_images.push(image.clone());
        }
        self.allow(
            Target::EcrDkr,
            &dkr,
            Permission::new("ecr:BatchGetImage", repository.clone()),
            true,
        );
        // The layer URL is requested from the registry host too, so an `ecr.dkr` endpoint
        // policy must allow it; the role's permission is checked with the layers below.
        let layer_url = Permission::new("ecr:GetDownloadUrlForLayer", repository.clone());
        let manifest = self
            .by_key
            .get_mut(&(Target::EcrDkr, dkr.clone()))
            .expect("entry created above");
        if !manifest.endpoint_permissions.contains(&layer_url) {
            manifest.endpoint_permissions.push(layer_url);
        }

        let bucket = layer_bucket(&region);
        let s3 = format!("{bucket}.s3.{region}.amazonaws.com");
        let layers = self.entry(Target::S3Layers, &s3, &region, who);
        if !layers.ecr_images.contains(&image) {
            layers.ecr_images.push(image.clone());
        }
        // The layer URL is issued by ECR (GetDownloadUrlForLayer, checked against the role)
        // and fetched from S3 (GetObject, checked against any S3 endpoint policy on the path).
        self.allow(
            Target::S3Layers,
            &s3,
            Permission::new("ecr:GetDownloadUrlForLayer", repository).carried_by(Carrier::Call {
                target: Target::EcrDkr,
                host: dkr,
            }),
            false,
        );
        let requirement = self
            .by_key
            .get_mut(&(Target::S3Layers, s3))
            .expect("entry created above");
        let object = Permission::new("s3:GetObject", format!("arn:aws:s3:::{bucket}/*"));
        if !requirement.endpoint_permissions.contains(&object) {
            requirement.endpoint_permissions.push(object);
        }
    }

    /// A `valueFrom` / `credentialsParameter`: a Secrets Manager ARN, an SSM parameter ARN, or
    /// an SSM parameter name in the task's region.
    fn secret(&mut self, who: &str, value_from: &str, account: &str, region: &str) {
        let source = value_source(value_from, account, region);
        let (target, host, action) = match source.store {
            ValueStore::SecretsManager => (
                Target::Secretsmanager,
                format!("secretsmanager.{}.amazonaws.com", source.region),
                "secretsmanager:GetSecretValue",
            ),
            ValueStore::Ssm => (
                Target::Ssm,
                format!("ssm.{}.amazonaws.com", source.region),
                "ssm:GetParameters",
            ),
        };
        self.entry(target, &host, &source.region, who);
        self.allow(target, &host, Permission::new(action, source.arn), true);
    }

    fn logs(&mut self, who: &str, options: &BTreeMap<String, String>, account: &str, region: &str) {
        let log_region = options
            .get("awslogs-region")
            .cloned()
            .unwrap_or_else(|| region.to_string());
        let group = options
            .get("awslogs-group")
            .cloned()
            .unwrap_or_else(|| "*".to_string());
        let host = format!("logs.{log_region}.amazonaws.com");
        let group_arn = format!("arn:aws:logs:{log_region}:{account}:log-group:{group}");
        self.entry(Target::Logs, &host, &log_region, who);
        self.allow(
            Target::Logs,
            &host,
            Permission::new("logs:CreateLogStream", format!("{group_arn}:*")),
            true,
        );
        self.allow(
            Target::Logs,
            &host,
            Permission::new("logs:PutLogEvents", format!("{group_arn}:log-stream:*")),
            true,
        );
        if options.get("awslogs-create-group").map(String::as_str) == Some("true") {
            self.allow(
                Target::Logs,
                &host,
                Permission::new("logs:CreateLogGroup", format!("{group_arn}:*")),
                true,
            );
        }
    }

    fn finish(self) -> Vec<Requirement> {
        self.by_key.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerDefinition, LogConfiguration, RepositoryCredentials, Secret};

    fn task(containers: Vec<ContainerDefinition>) -> TaskDefinition {
        TaskDefinition {
            arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1".into(),
            family: None,
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: vec!["FARGATE".into()],
            execution_role_arn: None,
            task_role_arn: None,
            container_definitions: containers,
            runtime_platform: None,
            execution_role_principal: None,
        }
    }

    fn container(image: &str) -> ContainerDefinition {
        ContainerDefinition {
            name: "app".into(),
            image: image.into(),
            repository_credentials: None,
            secrets: vec![],
            log_configuration: None,
        }
    }

    #[test]
    fn ecr_image_needs_auth_manifest_and_layers() {
        let t = task(vec![container(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
        )]);
        let r = derive_requirements(&t, "123456789012", "us-east-1");
        let targets: Vec<_> = r.iter().map(|r| (r.target, r.host.as_str())).collect();
        assert_eq!(
            targets,
            vec![
                (Target::EcrApi, "api.ecr.us-east-1.amazonaws.com"),
                (
                    Target::EcrDkr,
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com"
                ),
                (
                    Target::S3Layers,
                    "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"
                ),
            ]
        );
        assert_eq!(r[2].endpoint_permissions[0].action, "s3:GetObject");
    }

    #[test]
    fn secrets_logs_and_credentials() {
        let mut c = container("ghcr.io/acme/web:1");
        c.repository_credentials = Some(RepositoryCredentials {
            credentials_parameter: "arn:aws:secretsmanager:us-east-1:123456789012:secret:ghcr-AbC"
                .into(),
        });
        c.secrets = vec![
            Secret {
                name: "A".into(),
                value_from:
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-XyZ:password::".into(),
            },
            Secret {
                name: "B".into(),
                value_from: "/prod/web/token".into(),
            },
        ];
        c.log_configuration = Some(LogConfiguration {
            log_driver: "awslogs".into(),
            options: [
                ("awslogs-group".to_string(), "/ecs/web".to_string()),
                ("awslogs-create-group".to_string(), "true".to_string()),
            ]
            .into(),
        });
        let r = derive_requirements(&task(vec![c]), "123456789012", "us-east-1");
        let sm = r
            .iter()
            .find(|r| r.target == Target::Secretsmanager)
            .unwrap();
        assert_eq!(
            sm.permissions[1].resource,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-XyZ"
        );
        let ssm = r.iter().find(|r| r.target == Target::Ssm).unwrap();
        assert_eq!(
            ssm.permissions[0].resource,
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/web/token"
        );
        let logs = r.iter().find(|r| r.target == Target::Logs).unwrap();
        assert_eq!(logs.permissions.len(), 3);
        let registries: Vec<_> = r.iter().filter(|r| r.target == Target::Registry).collect();
        assert_eq!(
            registries
                .iter()
                .map(|r| r.host.as_str())
                .collect::<Vec<_>>(),
            ["ghcr.io", "pkg-containers.githubusercontent.com"]
        );
        assert!(registries[0].other_images[0].1);
        // The image is checked once, on the registry host; the blob host only carries layers.
        assert!(registries[1].other_images.is_empty());
        assert_eq!(registries[1].needed_by, ["app"]);
    }

    #[test]
    fn docker_hub_needs_three_hosts_and_a_private_port_is_kept() {
        let mut c = container("nginx:1.27");
        c.name = "web".into();
        let mut private = container("harbor.acme.internal:8443/team/api:2");
        private.repository_credentials = Some(RepositoryCredentials {
            credentials_parameter: "harbor-pull".into(),
        });
        let r = derive_requirements(&task(vec![c, private]), "123456789012", "us-east-1");
        let hosts: Vec<(&str, u16)> = r
            .iter()
            .filter(|r| r.target == Target::Registry)
            .map(|r| (r.host.as_str(), r.port))
            .collect();
        assert_eq!(
            hosts,
            [
                ("auth.docker.io", 443),
                ("harbor.acme.internal:8443", 8443),
                ("production.cloudflare.docker.com", 443),
                ("registry-1.docker.io", 443),
            ]
        );
        // A credentialsParameter given by name is a Secrets Manager secret of the task's region.
        let sm = r
            .iter()
            .find(|r| r.target == Target::Secretsmanager)
            .unwrap();
        assert_eq!(
            sm.permissions[0].resource,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:harbor-pull"
        );
    }
}
