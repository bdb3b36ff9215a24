//! Progress of a long operation as bars on stderr — only when both stdout and stderr are
//! a terminal, so a cron job's log holds the summary, not bar redraws.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One bar per stage of the operation.
pub struct Bars {
    bar: Mutex<ProgressBar>,
    visible: bool,
}

impl Bars {
    pub fn new() -> Self {
        Self {
            bar: Mutex::new(ProgressBar::hidden()),
            visible: std::io::stdout().is_terminal() && std::io::stderr().is_terminal(),
        }
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bar) = self.bar.lock() {
            f(&bar);
        }
    }
}

impl ecstat_pipeline::progress::Progress for Bars {
    fn start(&self, stage: &str, len: u64) {
        let bar = ProgressBar::new(len);
        if self.visible {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix:>10} [{bar:30}] {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_prefix(stage.to_string());
        if let Ok(mut current) = self.bar.lock() {
            *current = bar;
        }
    }

    fn message(&self, message: &str) {
        self.with(|bar| bar.set_message(message.to_string()));
    }

    fn step(&self) {
        self.with(|bar| bar.inc(1));
    }

    fn finish(&self) {
        self.with(ProgressBar::finish_and_clear);
    }

    fn note(&self, line: &str) {
        self.with(|bar| bar.suspend(|| eprintln!("{line}")));
    }
}
