//! A local evaluator for the IAM policy language: enough of it to decide, offline, whether a
//! role may make the calls an image pull needs. Explicit deny wins; `*`/`?` wildcards;
//! `NotAction`/`NotResource`/`NotPrincipal`; conditions and policy variables decided against
//! a request context built from the call's path (through which endpoint or NAT gateway, as
//! which role). What the context does not tell leaves the answer unknown, naming the key.

mod condition;
mod context;
mod document;
mod evaluate;
mod glob;
pub mod keys;
mod truth;
mod variables;

pub use context::{Context, KeyValue, Partial};
pub use document::{parse_statements, Policy, Principal, Statement, StatementEffect};
pub use evaluate::{evaluate, Caller, Decision, Request};
pub use truth::Truth;
