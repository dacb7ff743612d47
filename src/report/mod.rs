//! Rendering audit results: versioned JSON (the contract for dashboards), a terminal table, or
//! a picture of the pull paths (DOT, Mermaid).

mod alerts;
mod diagnosis;
mod explanation;
mod fleet_v1;
mod html;
pub(crate) mod json_text;
mod junit;
mod ocsf;
mod picture;
mod plan_table;
pub mod plan_v1;
mod sarif;
mod schema;
mod table;
pub(crate) mod terminal_text;
mod v1;
mod what_if;

pub use diagnosis::render_diagnosis;
pub use explanation::{render_explanation, ExplanationV1};
pub use fleet_v1::{LineV1, ScopeV1, SummaryV1, SuppressionV1};
pub use html::render_html;
pub use junit::render_junit;
pub use ocsf::{render_ocsf, OCSF_VERSION};
pub use picture::{render_dot, render_mermaid};
pub use sarif::{render_sarif, Judged, SARIF_SCHEMA};
pub use schema::{line_schema, report_schema, what_if_schema};
pub use table::{
    render_planned_table, render_scopes_table, render_table, render_table_with, Colour, Width,
    DEFAULT_WIDTH, MIN_WIDTH,
};
pub use v1::{DiagnosisV1, ReportV1, SCHEMA_VERSION};
pub use what_if::{
    render_what_if, AppliedChangeV1, NewFindingV1, RemovedFindingV1, VerdictChangeV1, WhatIfV1,
};
