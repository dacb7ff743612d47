//! The read-only guard: an SDK interceptor on every client that refuses any operation whose
//! name does not start with `Describe`, `List` or `Get` (or is not `ecr:BatchGetImage`, which
//! reads an image's manifest), before it is serialized, signed or sent. It also
//! counts the calls, which the tests and `--verbose` statistics use.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The only operation prefixes pullpath may call.
pub const READ_ONLY_PREFIXES: [&str; 3] = ["Describe", "List", "Get"];

/// Read operations named otherwise: `BatchGetImage` returns an image's manifest (the Service
/// Authorization Reference lists `ecr:BatchGetImage` under access level Read).
pub const READ_ONLY_OPERATIONS: [&str; 1] = ["BatchGetImage"];

pub fn is_read_only(operation: &str) -> bool {
    READ_ONLY_PREFIXES.iter().any(|p| operation.starts_with(p))
        || READ_ONLY_OPERATIONS.contains(&operation)
}

/// Calls made, by "service:Operation" (e.g. `ec2:DescribeVpcs`).
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<BTreeMap<String, usize>>>);

impl CallLog {
    fn record(&self, service: &str, operation: &str) {
        let mut calls = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Service names as IAM action prefixes (`ec2:DescribeVpcs`): lower case, without the
        // spaces some SDK names have ("Secrets Manager" is `secretsmanager:`).
        let prefix: String = service
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        *calls.entry(format!("{prefix}:{operation}")).or_default() += 1;
    }

    /// Every call made so far, by "service:Operation".
    pub fn calls(&self) -> BTreeMap<String, usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn total(&self) -> usize {
        self.calls().values().sum()
    }
}

#[derive(Debug, Clone)]
pub struct ReadOnlyGuard {
    pub log: CallLog,
}

impl Intercept for ReadOnlyGuard {
    fn name(&self) -> &'static str {
        "pullpath::ReadOnlyGuard"
    }

    // The operation's metadata is in the config bag from serialization on; this hook still runs
    // before the request is built, signed or sent.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Err("pullpath refuses a call whose operation it cannot identify".into());
        };
        if !is_read_only(metadata.name()) {
            return Err(format!(
                "pullpath is read-only and refuses {}:{} (only Describe*, List*, Get* and ecr:BatchGetImage calls are allowed)",
                metadata.service(),
                metadata.name()
            )
            .into());
        }
        self.log.record(metadata.service(), metadata.name());
        Ok(())
    }
}
