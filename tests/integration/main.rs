//! Integration tests: the real `pullpath` binary on fixture snapshots.

mod bad_input;
mod diagnose;
mod emulator;
mod fleet;
mod live;
mod live_diagnose;
mod live_fleet;
mod messages;
mod output;
mod scenarios;
mod schema;
mod support;
