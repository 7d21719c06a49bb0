//! A progress bar on stderr for long checks: shown only when stderr is a terminal, so
//! nothing is ever drawn into a pipe, a file or a machine-readable output.

use concord::check::{Progress, ProgressFn};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// A progress reporter: a bar on an interactive stderr, nothing otherwise.
pub fn on_terminal() -> ProgressFn {
    if !std::io::stderr().is_terminal() || std::env::var_os("CONCORD_NO_PROGRESS").is_some() {
        return ProgressFn::default();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
    let spinner = ProgressStyle::with_template("{spinner} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let counter =
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} rules {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(spinner.clone());
    bar.enable_steady_tick(Duration::from_millis(120));
    ProgressFn(Some(Arc::new(move |progress| match progress {
        Progress::Loading => bar.set_message("reading the workspace"),
        Progress::Building => bar.set_message("building the graph"),
        Progress::Rules { done, total } => {
            if bar.length() != Some(total as u64) {
                bar.set_message("running rules");
                bar.set_length(total as u64);
                bar.set_style(counter.clone());
            }
            bar.set_position(done as u64);
        }
        Progress::Finished => bar.finish_and_clear(),
    })))
}
