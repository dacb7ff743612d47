//! Integration tests: the real `pullpath` binary on fixture snapshots.

mod bad_input;
mod output;
mod scenarios;
mod support;
