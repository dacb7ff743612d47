//! Reads shared between the collections of one run. IAM is global: the regions of one account
//! name the same execution roles and managed policies, so a fleet run reads each of them once
//! per account, not once per region.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::calls::{CollectError, Session};
use crate::model::{CoverageGap, ManagedPolicy, Organization, Role};

/// A value read once, with the coverage gaps its read left.
type Cell<T> = Arc<OnceCell<(T, Vec<CoverageGap>)>>;

/// One read per key; later askers get the value and the coverage gaps the read left.
pub struct Memo<T> {
    cells: Mutex<HashMap<String, Cell<T>>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            cells: Mutex::default(),
        }
    }
}

impl<T: Clone> Memo<T> {
    /// The value for `key`, read with `read` the first time. A read that fails is not kept,
    /// so the next asker tries again.
    pub async fn get_or_read<F, Fut>(
        &self,
        key: String,
        session: &Session,
        read: F,
    ) -> Result<T, CollectError>
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = Result<T, CollectError>>,
    {
        let cell = self
            .cells
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone();
        let (value, gaps) = cell
            .get_or_try_init(|| async {
                let own = session.with_own_gaps();
                let value = read(own.clone()).await?;
                Ok::<_, CollectError>((value, own.take()))
            })
            .await?;
        // Every collection that depends on the read names the permission it lacked.
        for gap in gaps {
            session.record(gap.clone());
        }
        Ok(value.clone())
    }
}

/// IAM reads of one run, keyed by the caller's account and the ARN.
#[derive(Default)]
pub struct IamMemo {
    /// `None`: denied; `Some(None)`: the role does not exist.
    pub roles: Memo<Option<Option<Role>>>,
    /// `None`: denied or without a document.
    pub policies: Memo<Option<ManagedPolicy>>,
    /// Each account's organization, read once per account; `None`: not read.
    pub organizations: Memo<Option<Organization>>,
}

impl std::fmt::Debug for IamMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IamMemo")
    }
}
