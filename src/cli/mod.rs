//! The command line: arguments are parsed by clap (raw), checked into an [`AuditRequest`]
//! (validated), run, and mapped to a documented exit code.

mod accounts;
mod args;
mod audit;
mod changes;
mod clock;
mod completions;
mod coverage;
mod diagnose;
mod exit;
mod explain;
mod kube;
mod kube_diagnose;
mod kube_predeploy;
mod live;
mod mcp;
mod plans;
mod predeploy;
mod registries;
mod save;
mod schema;
mod suppressions;
mod what_if;

pub use exit::ExitCode;
pub use suppressions::parse_suppressions;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;

use crate::checks::{WorkloadResult, WorkloadStatus};
use crate::report::{Colour, Width, DEFAULT_WIDTH, MIN_WIDTH};
use args::{Cli, Command};

/// An error that ends the run, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    pub message: String,
}

impl Failure {
    fn bad_input(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::BadInput,
            message: message.into(),
        }
    }
    fn runtime(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::RuntimeError,
            message: message.into(),
        }
    }
}

/// Runs pullpath with `args` (including the program name); returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::Pass as i32
                }
                _ => ExitCode::BadInput as i32,
            };
        }
    };
    match execute(cli) {
        Ok(code) => code as i32,
        Err(failure) => {
            // Messages quote files and AWS replies: every line escaped, none forged.
            let lines: Vec<_> = failure
                .message
                .split('\n')
                .map(crate::report::terminal_text::message)
                .collect();
            eprintln!("pullpath: error: {}", lines.join("\n"));
            failure.code as i32
        }
    }
}

fn execute(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Audit(args) => audit::run(*args),
        Command::Explain(args) => explain::run(args),
        Command::Diagnose(args) => diagnose::run(args),
        Command::Collect(args) => save::run(args),
        Command::Schema(args) => schema::run(args),
        Command::WhatIf(args) => what_if::run(*args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
        Command::Mcp => mcp::run(),
    }
}

/// Colour and width for a table going to stdout (`to_stdout`) or a file.
fn table_style(to_stdout: bool) -> (Colour, Width) {
    let terminal = to_stdout && std::io::stdout().is_terminal();
    let colour = choose_colour(terminal, std::env::var_os("NO_COLOR"));
    // On a terminal comfy-table measures the window itself; `COLUMNS` overrides it.
    let width = match (terminal, columns_from_env()) {
        (_, Some(columns)) => Width::Columns(columns),
        (true, None) => Width::Terminal,
        (false, None) => Width::Columns(DEFAULT_WIDTH),
    };
    (colour, width)
}

/// Pretty JSON with a final newline.
fn to_json(value: &impl serde::Serialize, what: &str) -> Result<String, Failure> {
    let mut text = crate::report::json_text::pretty(value)
        .map_err(|e| Failure::runtime(format!("cannot encode the {what}: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to a non-empty value
/// (<https://no-color.org>).
fn choose_colour(terminal: bool, no_color: Option<OsString>) -> Colour {
    if terminal && no_color.is_none_or(|v| v.is_empty()) {
        Colour::Always
    } else {
        Colour::Never
    }
}

/// A width the user asked for with `COLUMNS` (ignored when too narrow for a table).
fn columns_from_env() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|columns| *columns >= MIN_WIDTH)
}

fn write_output(path: Option<PathBuf>, text: &str) -> Result<(), Failure> {
    match path {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Failure::runtime(format!("cannot write the report: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}

fn exit_code_of(results: &[WorkloadResult]) -> ExitCode {
    let worst = results
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(WorkloadStatus::Pass);
    match worst {
        WorkloadStatus::Pass => ExitCode::Pass,
        WorkloadStatus::Fail => ExitCode::Fail,
        WorkloadStatus::Unknown => ExitCode::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert_eq!(choose_colour(true, None), Colour::Always);
        assert_eq!(choose_colour(true, Some("".into())), Colour::Always);
        assert_eq!(choose_colour(true, Some("1".into())), Colour::Never);
        assert_eq!(choose_colour(false, None), Colour::Never);
    }
}
