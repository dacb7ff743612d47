//! `--inspect-registries`: before the audit, the manifests of images outside ECR are read
//! anonymously from their registries (the only reads pullpath makes outside the AWS APIs),
//! so their platforms can be checked. Without it those platforms are unknown.

use std::time::Duration;

use super::live::runtime;
use super::Failure;
use crate::collect::{http_client, inspect_snapshot};
use crate::model::Snapshot;
use crate::report::terminal_text;

/// Reads the platforms of `snapshot`'s non-ECR images into it, when `inspect` is set.
pub fn inspect_registries(snapshot: &mut Snapshot, inspect: bool) -> Result<(), Failure> {
    if !inspect {
        return Ok(());
    }
    let http = http_client(Duration::from_secs(30));
    runtime()?.block_on(inspect_snapshot(&http, snapshot));
    for image in snapshot.registry_images.iter().flatten() {
        if let Some(error) = &image.error {
            // Names and errors come from the account and the network: escaped, never raw.
            eprintln!(
                "pullpath: could not read the manifest of {}: {}",
                terminal_text::name(&image.image),
                terminal_text::message(error)
            );
        }
    }
    Ok(())
}
