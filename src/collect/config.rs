//! Loading AWS configuration once: the standard credential and region chain (environment,
//! shared config and credentials files, SSO, assume-role profiles, container and instance
//! metadata), with pullpath's overrides, retries and timeouts, and the read-only guard.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::guard::{CallLog, ReadOnlyGuard};

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
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetryMode {
    #[default]
    Standard,
    Adaptive,
}

/// Everything a collection needs: the loaded configuration and the call log its guard fills.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub guard: ReadOnlyGuard,
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
        }
    }

    pub fn region(&self) -> Option<String> {
        self.config.region().map(|r| r.to_string())
    }

    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        let config =
            aws_sdk_ec2::config::Builder::from(&self.config).interceptor(self.guard.clone());
        aws_sdk_ec2::Client::from_conf(config.build())
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        let config =
            aws_sdk_ecs::config::Builder::from(&self.config).interceptor(self.guard.clone());
        aws_sdk_ecs::Client::from_conf(config.build())
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        let config =
            aws_sdk_iam::config::Builder::from(&self.config).interceptor(self.guard.clone());
        aws_sdk_iam::Client::from_conf(config.build())
    }

    /// ECR in `region` (an image may live in another region than the cluster).
    pub fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        let config = aws_sdk_ecr::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .interceptor(self.guard.clone());
        aws_sdk_ecr::Client::from_conf(config.build())
    }
}
