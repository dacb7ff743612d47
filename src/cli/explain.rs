//! `pullpath explain`: classify one message, offline.

use std::io::Read;

use super::args::{ExplainArgs, Format};
use super::{table_style, to_json, write_output, ExitCode, Failure};
use crate::explain::{classify, Category};
use crate::report::{render_explanation, ExplanationV1};

pub fn run(args: ExplainArgs) -> Result<ExitCode, Failure> {
    let message = if args.message.is_empty() || args.message == ["-"] {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
            Failure::bad_input(format!("cannot read the message from standard input: {e}"))
        })?;
        // A pasted message may carry stray bytes; what is readable still classifies.
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        args.message.join(" ")
    };
    let message = message.trim();
    if message.is_empty() {
        return Err(Failure::bad_input(
            "no message: pass it as an argument or on standard input",
        ));
    }
    let classification = classify(message);
    let rendered = match args.format {
        Format::Json => to_json(&ExplanationV1::new(message, &classification), "explanation")?,
        Format::Table => {
            let (colour, width) = table_style(true);
            render_explanation(&classification, colour, width)
        }
    };
    write_output(None, &rendered)?;
    Ok(if classification.category == Category::Unknown {
        ExitCode::Unknown
    } else {
        ExitCode::Pass
    })
}
