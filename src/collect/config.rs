//! Loading AWS configuration once: the standard credential and region chain (environment,
//! shared config and credentials files, SSO, assume-role profiles, container and instance
//! metadata), with pullpath's overrides, retries and timeouts, and the read-only guard.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::calls::DEFAULT_CONCURRENCY;
use super::guard::{CallLog, ReadOnlyGuard};
use super::memo::IamMemo;
use super::whole_reply::WholeReply;

/// How to reach AWS, from the command line.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Overrides every service endpoint (also read from `AWS_ENDPOINT_URL` by the SDK).
    pub endpoint_url: Option<String>,
    pub retry_mode: RetryMode,
    pub max_attempts: u32,
    /// Per-call timeout (all attempts of one operation).
    pub call_timeout: Duration,
    /// Calls in flight at once per account and region.
    pub concurrency: usize,
}

/// How throttled calls are retried. Adaptive is the default: on throttling it also slows the
/// client down (a token bucket), which keeps a fleet-wide run inside the account's limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetryMode {
    Standard,
    #[default]
    Adaptive,
}

/// The session name CloudTrail shows for pullpath's assumed-role calls.
const SESSION_NAME: &str = "pullpath-audit";

/// Everything one collection needs: the configuration (credentials, region, endpoint,
/// retries), the call log its guard fills, and what it shares with the run's other
/// collections.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub guard: ReadOnlyGuard,
    /// IAM reads shared by every collection of the run.
    pub iam: Arc<IamMemo>,
    /// Calls in flight at once for this account and region.
    pub concurrency: usize,
    /// The retry partition of this account and region (`None`: the SDK's default).
    pub retry_partition: Option<String>,
    /// Plain HTTPS for what is not an AWS API: an image config behind a presigned URL, and
    /// the manifests `--inspect-registries` reads from other registries.
    pub http: reqwest::Client,
}

/// A client of `$sdk` from the configuration: the read-only guard on it, in `$region` if
/// given, and with the scope's own retry partition (the SDK otherwise shares one adaptive rate
/// limiter and retry budget among every client of a service and region, so one throttled
/// account would slow down, and spend the retries of, every other account in that region).
macro_rules! client {
    ($aws:expr, $sdk:ident, $region:expr) => {{
        let mut config = $sdk::config::Builder::from(&$aws.config)
            .interceptor($aws.guard.clone())
            .interceptor(WholeReply);
        let region: Option<&str> = $region;
        if let Some(region) = region {
            config = config.region(Region::new(region.to_string()));
        }
        if let Some(partition) = &$aws.retry_partition {
            config =
                config.retry_partition($sdk::config::retry::RetryPartition::new(partition.clone()));
        }
        $sdk::Client::from_conf(config.build())
    }};
}

impl Aws {
    pub async fn load(options: &AwsOptions) -> Self {
        let retry = match options.retry_mode {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        }
        .with_max_attempts(options.max_attempts.max(1));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(options.call_timeout)
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        Aws {
            config: loader.load().await,
            guard: ReadOnlyGuard {
                log: CallLog::default(),
            },
            iam: Arc::default(),
            concurrency: if options.concurrency == 0 {
                DEFAULT_CONCURRENCY
            } else {
                options.concurrency
            },
            retry_partition: None,
            http: http_client(options.call_timeout),
        }
    }

    /// The same configuration with the credentials of `role_arn`, assumed from these
    /// credentials (the SDK's provider calls `sts:AssumeRole` on first use and refreshes the
    /// credentials before they expire; every region of the account shares them).
    pub async fn assume(&self, role_arn: &str, external_id: Option<&str>) -> Aws {
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .configure(&self.config)
            .session_name(SESSION_NAME);
        if let Some(id) = external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        let config = self
            .config
            .to_builder()
            .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                provider,
            ))
            .build();
        Aws {
            config,
            guard: self.guard.clone(),
            iam: self.iam.clone(),
            concurrency: self.concurrency,
            retry_partition: self.retry_partition.clone(),
            http: self.http.clone(),
        }
    }

    /// The same configuration with its own call log.
    pub fn with_own_log(&self) -> Aws {
        Aws {
            guard: ReadOnlyGuard {
                log: CallLog::default(),
            },
            ..self.clone()
        }
    }

    /// The same account in `region`, with its own call log (calls are counted per account
    /// and region) and its own retry partition, named after `account`.
    pub fn in_region(&self, account: &str, region: &str) -> Aws {
        Aws {
            config: self
                .config
                .to_builder()
                .region(Region::new(region.to_string()))
                .build(),
            guard: ReadOnlyGuard {
                log: CallLog::default(),
            },
            iam: self.iam.clone(),
            concurrency: self.concurrency,
            retry_partition: Some(format!("pullpath-{account}-{region}")),
            http: self.http.clone(),
        }
    }

    pub fn region(&self) -> Option<String> {
        self.config.region().map(|r| r.to_string())
    }

    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        client!(self, aws_sdk_ec2, None)
    }

    /// EC2 in `region`, counted in this configuration's call log.
    pub fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        client!(self, aws_sdk_ec2, Some(region))
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        client!(self, aws_sdk_ecs, None)
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        client!(self, aws_sdk_sts, None)
    }

    pub fn eks(&self) -> aws_sdk_eks::Client {
        client!(self, aws_sdk_eks, None)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        client!(self, aws_sdk_iam, None)
    }

    /// ECR in `region` (an image may live in another region than the cluster).
    pub fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        client!(self, aws_sdk_ecr, Some(region))
    }

    /// Systems Manager in `region` (a parameter is described in its own region).
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        client!(self, aws_sdk_ssm, Some(region))
    }

    /// Organizations (global; the SDK resolves its endpoint from any region).
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        client!(self, aws_sdk_organizations, None)
    }

    /// Secrets Manager in `region` (a secret is read in its own region).
    pub fn secretsmanager(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        client!(self, aws_sdk_secretsmanager, Some(region))
    }
}

/// The HTTPS client for downloads outside the AWS APIs, with the same per-call timeout.
pub fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("pullpath/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}
