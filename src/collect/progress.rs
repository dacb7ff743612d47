//! Progress on stderr while collecting: a bar over the collection's stages, drawn only when
//! stderr is a terminal (silent when piped or redirected).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `stages` steps, on a terminal only.
    pub fn new(stages: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(stages);
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:20}] {pos}/{len} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(Some(bar))
    }

    pub fn hidden() -> Self {
        Progress(None)
    }

    /// Sets the number of stages, once it is known.
    pub fn set_length(&self, stages: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(stages);
        }
    }

    /// Starts the next stage.
    pub fn stage(&self, message: impl Into<String>) {
        if let Some(bar) = &self.0 {
            if bar.position() > 0 || !bar.message().is_empty() {
                bar.inc(1);
            }
            bar.set_message(message.into());
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
