//! `pullpath completions SHELL` and `pullpath man`: generated from the clap definitions by
//! clap's own generators, so they list exactly the arguments `pullpath` accepts.

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs, ManArgs};
use super::{write_output, ExitCode, Failure};

pub fn completions(args: &CompletionsArgs) -> Result<ExitCode, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "pullpath", &mut script);
    write_stdout(&script, "the completion script")
}

pub fn man(args: &ManArgs) -> Result<ExitCode, Failure> {
    let command = Cli::command();
    match &args.dir {
        None => {
            // As `generate_to` builds it: no `help` subcommand, whose page is never written.
            let mut command = command.disable_help_subcommand(true);
            command.build();
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| Failure::runtime(format!("cannot render the man page: {e}")))?;
            write_stdout(&page, "the man page")
        }
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Failure::bad_input(format!(
                    "--dir: {} is not a directory",
                    crate::report::terminal_text::message(&dir.display().to_string())
                )));
            }
            clap_mangen::generate_to(command, dir)
                .map_err(|e| Failure::runtime(format!("cannot write the man pages: {e}")))?;
            Ok(ExitCode::Pass)
        }
    }
}

/// Generated text to standard output (a closed pipe is the reader's choice, as for reports).
fn write_stdout(bytes: &[u8], what: &str) -> Result<ExitCode, Failure> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Failure::runtime(format!("{what} is not UTF-8: {e}")))?;
    write_output(None, text)?;
    Ok(ExitCode::Pass)
}

#[cfg(test)]
mod tests {
    use super::super::args::VERSION;
    use crate::report::SCHEMA_VERSION;

    #[test]
    fn the_version_names_the_report_schema_it_writes() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(
            VERSION.ends_with(&format!("(report schema version {SCHEMA_VERSION})")),
            "{VERSION}"
        );
    }

    #[test]
    fn the_definitions_are_consistent() {
        // clap's own check of the definitions the generators read (conflicts, ids, groups).
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
