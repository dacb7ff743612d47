//! A local evaluator for the IAM policy language: enough of it to decide, offline, whether a
//! role may make the calls an image pull needs. Explicit deny wins; `*`/`?` wildcards;
//! `NotAction`/`NotResource`/`NotPrincipal`; a deciding statement with a `Condition` makes the
//! answer unknown rather than allowed, because conditions depend on the request.

mod document;
mod evaluate;

pub use document::{parse_statements, Principal, Statement, StatementEffect};
pub use evaluate::{evaluate, Caller, Decision, NamedPolicy, Request};
