//! Rendering audit results: versioned JSON (the contract for dashboards) or a terminal table.

mod table;
mod v1;

pub use table::{render_table, Colour, Width, DEFAULT_WIDTH, MIN_WIDTH};
pub use v1::{ReportV1, SCHEMA_VERSION};
