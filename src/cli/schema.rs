//! `pullpath schema`: the JSON Schema of the report, or of one NDJSON line.

use super::args::{SchemaArgs, SchemaKind};
use super::{write_output, ExitCode, Failure};
use crate::report::{line_schema, report_schema, what_if_schema};

pub fn run(args: SchemaArgs) -> Result<ExitCode, Failure> {
    let schema = match args.kind {
        SchemaKind::Report => report_schema(),
        SchemaKind::Ndjson => line_schema(),
        SchemaKind::WhatIf => what_if_schema(),
    };
    write_output(None, &schema)?;
    Ok(ExitCode::Pass)
}
