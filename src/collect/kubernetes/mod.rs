//! Reading a Kubernetes cluster into the snapshot: live through the API server (`kube`), or
//! offline from `kubectl get -o json` output and manifests. Read-only: list calls only, and
//! secrets' values never leave this module (`pull_secret`).

mod eks_token;
mod files;
mod live;
mod objects;
mod pull_secret;

pub use files::{read_files, read_manifest, ApplyNamespace, Manifest};
pub use live::{context_namespace, read_cluster, KubeSource, KUBE_READS};
