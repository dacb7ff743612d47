//! Integration tests: the real `pullpath` binary on fixture snapshots.

mod bad_input;
mod diagnose;
mod edge_cases;
mod emulator;
mod fault_proxy;
mod faults;
mod fleet;
mod hostile_cost;
mod inspect_registries;
mod kube_live;
mod kube_scenarios;
mod kube_server;
mod live;
mod live_diagnose;
mod live_fleet;
mod live_predeploy;
mod messages;
mod mutation;
mod output;
mod picture;
mod predeploy;
mod registries;
mod scenarios;
mod schema;
mod support;
mod terminal_output;
