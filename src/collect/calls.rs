//! Making one AWS call and classifying its failure. Any failure once the SDK's retries are
//! spent — access denied, throttling, a 5xx, a reset or timed-out connection, a reply that does
//! not parse — becomes a coverage gap: the data is recorded as not collected, and the analysis
//! reports what depends on it as unknown, naming the call, its error code and request id. One
//! failed read costs the workloads that need it, never the report. Only the reads without which
//! a scope has nothing to audit (its clusters and services: [`required`]) end that scope's
//! collection; a fleet run reports that scope as unread and audits the others.

use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use tokio::sync::Semaphore;

use crate::model::{CoverageGap, GapKind};

/// Error codes AWS services use for a missing permission.
const DENIED: [&str; 5] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "UnauthorizedException",
];

/// What a call is, for gaps and messages.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub service: &'static str,
    pub operation: &'static str,
    /// The IAM action the call needs.
    pub action: &'static str,
    /// The snapshot field the call fills (`network_acls`…).
    pub collection: &'static str,
}

/// Why collection stopped.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{service} {operation} failed: {code}: {message}{}", request_id.as_ref().map_or(String::new(), |id| format!(" (request id {id})")))]
    Api {
        service: String,
        operation: String,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// An unknown cluster or service: bad input, not a runtime failure.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Config(String),
}

/// One collection (one account and region): the coverage gaps its calls leave, and the bound
/// on how many of its calls are in flight at once, so a fleet-wide run stays inside each
/// account's API rate limits.
#[derive(Debug, Clone)]
pub struct Session {
    gaps: Arc<Mutex<Vec<CoverageGap>>>,
    in_flight: Arc<Semaphore>,
}

/// Calls in flight per account and region unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

impl Default for Session {
    fn default() -> Self {
        Session::new(DEFAULT_CONCURRENCY)
    }
}

impl Session {
    /// A session allowing `concurrency` calls in flight (at least one).
    pub fn new(concurrency: usize) -> Self {
        Session {
            gaps: Arc::default(),
            in_flight: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub fn record(&self, gap: CoverageGap) {
        let mut gaps = self.gaps.lock().unwrap_or_else(|p| p.into_inner());
        if !gaps
            .iter()
            .any(|g| g.action == gap.action && g.collection == gap.collection)
        {
            gaps.push(gap);
        }
    }

    /// A session under the same bound that keeps its gaps apart (a read shared with other
    /// collections hands its gaps to each of them).
    pub fn with_own_gaps(&self) -> Session {
        Session {
            gaps: Arc::default(),
            in_flight: self.in_flight.clone(),
        }
    }

    pub fn take(&self) -> Vec<CoverageGap> {
        std::mem::take(&mut *self.gaps.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `request` once a slot is free (all its pages and retries hold the one slot).
    async fn bounded<T>(&self, request: impl Future<Output = T>) -> T {
        // The semaphore is never closed, so acquiring cannot fail; if it ever did, running
        // unbounded is better than not running.
        let _slot = self.in_flight.acquire().await.ok();
        request.await
    }
}

/// Runs `request`: `Some` on success, `None` (with a recorded gap) when it failed.
pub async fn attempt<T, E>(
    session: &Session,
    call: Call,
    request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<Option<T>, CollectError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match session.bounded(request).await {
        Ok(output) => Ok(Some(output)),
        Err(error) => {
            session.record(classify(call, &error));
            Ok(None)
        }
    }
}

/// Like [`attempt`], for a read of something that may not exist: `Some(None)` when the
/// service answers with the error code `missing` (a role, repository or policy that is not
/// there is a fact for the analysis, not a failure).
pub async fn attempt_found<T, E>(
    session: &Session,
    call: Call,
    missing: &str,
    request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<Option<Option<T>>, CollectError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match session.bounded(request).await {
        Ok(output) => Ok(Some(Some(output))),
        Err(error) if error.code() == Some(missing) => Ok(Some(None)),
        Err(error) => {
            session.record(classify(call, &error));
            Ok(None)
        }
    }
}

/// A read without which the scope has nothing to audit (its clusters, its services, a named
/// task): any failure ends the scope's collection, naming the call (and, when denied, the
/// permission to grant).
pub async fn required<T, E>(
    session: &Session,
    call: Call,
    what: &str,
    request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T, CollectError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match session.bounded(request).await {
        Ok(output) => Ok(output),
        Err(error) => {
            let gap = classify(call, &error);
            let message = match gap.kind {
                GapKind::Denied => format!(
                    "pullpath needs {} to read {what} (see docs/iam-policy.json): {}",
                    call.action, gap.message
                ),
                _ => gap.message,
            };
            Err(CollectError::Api {
                service: gap.service,
                operation: gap.operation,
                code: gap.error_code.unwrap_or_else(|| "no error code".into()),
                message,
                request_id: gap.request_id,
            })
        }
    }
}

/// Records a reply that parsed but cannot be true (a required id empty, a page that
/// contradicts its count) as a gap: the data is dropped, never used.
pub fn distrust(session: &Session, call: Call, why: impl Into<String>) {
    session.record(CoverageGap {
        service: call.service.to_string(),
        operation: call.operation.to_string(),
        action: call.action.to_string(),
        collection: call.collection.to_string(),
        message: why.into(),
        kind: GapKind::Suspicious,
        error_code: None,
        request_id: None,
    });
}

/// An error and its causes in one line ("dispatch failure: … loading credentials: …"),
/// without the debug dump the SDK's own context printer adds.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

/// The error code pullpath gives a reply it distrusts (a required read's).
pub const SUSPICIOUS_REPLY: &str = "SuspiciousReply";

/// The error code pullpath gives a successful reply whose document was cut short.
pub const INCOMPLETE_REPLY: &str = "IncompleteReply";

/// Denied when `code` says access was denied, suspicious for [`SUSPICIOUS_REPLY`]; failed
/// otherwise.
pub fn kind_of(code: &str) -> GapKind {
    if DENIED.contains(&code) {
        GapKind::Denied
    } else if code == SUSPICIOUS_REPLY || code == INCOMPLETE_REPLY {
        GapKind::Suspicious
    } else {
        GapKind::Failed
    }
}

/// The gap a failed call leaves: denied when the service says so, failed otherwise (the
/// SDK has already retried what it deems transient: throttling, 5xx, resets, timeouts).
fn classify<E>(call: Call, error: &SdkError<E, HttpResponse>) -> CoverageGap
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    // A reply cut short reads, to the SDK, as an interceptor's error: name it for what it is.
    if let Some(cut) = super::whole_reply::cut_short_in(error) {
        return CoverageGap {
            service: call.service.to_string(),
            operation: call.operation.to_string(),
            action: call.action.to_string(),
            collection: call.collection.to_string(),
            message: cut,
            kind: GapKind::Suspicious,
            error_code: Some(INCOMPLETE_REPLY.to_string()),
            request_id: error
                .raw_response()
                .and_then(|r| r.headers().get("x-amzn-requestid"))
                .map(str::to_string),
        };
    }
    let code = error.code().map(str::to_string);
    let kind = code.as_deref().map_or(GapKind::Failed, kind_of);
    CoverageGap {
        service: call.service.to_string(),
        operation: call.operation.to_string(),
        action: call.action.to_string(),
        collection: call.collection.to_string(),
        message: error
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| causes(error)),
        kind,
        error_code: code,
        // Query-protocol services (EC2) put it in the error body, the others in a header.
        request_id: error
            .meta()
            .request_id()
            .or_else(|| error.request_id())
            .map(str::to_string),
    }
}
