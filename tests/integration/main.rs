//! Integration tests: the real `pullpath` binary on fixture snapshots.

mod bad_input;
mod diagnose;
mod edge_cases;
mod emulator;
mod fleet;
mod inspect_registries;
mod live;
mod live_diagnose;
mod live_fleet;
mod live_predeploy;
mod messages;
mod output;
mod picture;
mod predeploy;
mod registries;
mod scenarios;
mod schema;
mod support;
