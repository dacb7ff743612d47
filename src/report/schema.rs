//! JSON Schemas generated from the report's own types (schemars), so the published schema
//! cannot drift from what pullpath writes: `docs/report.schema.json` (`--format json`) and
//! `docs/report-line.schema.json` (one line of `--format ndjson`), kept in step by a test.

use super::fleet_v1::LineV1;
use super::v1::ReportV1;

/// The schema of the `--format json` report, as pretty JSON with a final newline.
pub fn report_schema() -> String {
    pretty(generator().into_root_schema_for::<ReportV1>())
}

/// The schema of one `--format ndjson` line.
pub fn line_schema() -> String {
    pretty(generator().into_root_schema_for::<LineV1>())
}

/// The schema of the `what-if --format json` report.
pub fn what_if_schema() -> String {
    pretty(generator().into_root_schema_for::<super::what_if::WhatIfV1>())
}

/// Draft 2020-12, describing what pullpath writes: every field it always writes is required,
/// `null` included.
fn generator() -> schemars::SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
}

fn pretty(schema: schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
