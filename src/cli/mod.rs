//! The command line: argument parsing and exit codes. Each subcommand lives in its own
//! file and returns an [`Outcome`]; only this layer writes to the terminal.

mod check;
mod diff;
mod explain;
mod generate;
mod graph;
mod init;
mod output;
mod progress;
mod report;
mod rules;
mod rules_new;
mod schema;
mod validate;
mod watch;

use clap::{Parser, Subcommand, ValueEnum};
use concord::render::diagnostics::Style;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Concord checks policy packages for overlaps, gaps and conflicts.
#[derive(Debug, Parser)]
#[command(name = "concord", version, about, long_about = None)]
struct Cli {
    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a starter workspace, with comments that teach the format and an example rule.
    Init(init::Args),
    /// Read a workspace and report every problem in it, located.
    Validate(validate::Args),
    /// Run the rules over a workspace and report overlaps, gaps and conflicts.
    Check(check::Args),
    /// Compare two workspaces, or two packages: new, resolved and persisting findings.
    Diff(diff::Args),
    /// Explain a finding (by key) or a rule (by id).
    Explain(explain::Args),
    /// List, document and test rules.
    #[command(subcommand)]
    Rules(rules::Command),
    /// Re-run `check` (or rewrite a report) whenever a workspace file, rule or template changes.
    Watch(watch::Args),
    /// Write a coordination report (HTML or Markdown) for a meeting or a pull request.
    Report(report::Args),
    /// Draw the policy graph as DOT, Mermaid or JSON.
    Graph(graph::Args),
    /// Write a synthetic workspace of a given size (for benchmarks).
    Gen(generate::Args),
    /// Print the JSON Schema of the workspace format (or its reference as Markdown).
    Schema(schema::Args),
}

/// What a subcommand produced: text for stdout and stderr, and how the process ends.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

/// Exit codes shared by every subcommand.
pub mod exit {
    /// Nothing reached the failure threshold.
    pub const OK: u8 = 0;
    /// Findings reached the failure threshold.
    pub const FINDINGS: u8 = 1;
    /// Bad input, a bad rule or bad usage.
    pub const BAD_INPUT: u8 = 2;
}

/// The paths given, or the current folder when none were.
pub fn paths_or_here(paths: Vec<std::path::PathBuf>) -> Vec<std::path::PathBuf> {
    if paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        paths
    }
}

/// The report of a workspace that did not validate: every diagnostic, then the summary.
pub fn invalid_workspace(ws: &concord::Workspace, style: Style) -> String {
    use concord::render::diagnostics;
    let mut out = diagnostics::human(&ws.diagnostics, &ws.sources, style);
    out.push_str(&format!(
        "invalid workspace: {}\n",
        diagnostics::summary(&ws.diagnostics)
    ));
    out
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            });
        }
    };
    let style = match cli.color {
        Color::Always => Style::Color,
        Color::Never => Style::Plain,
        Color::Auto
            if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() =>
        {
            Style::Color
        }
        Color::Auto => Style::Plain,
    };
    let outcome = match cli.command {
        Command::Init(args) => init::run(args),
        Command::Validate(args) => validate::run(args, style),
        Command::Schema(args) => schema::run(args),
        Command::Check(args) => check::run(args, style),
        Command::Gen(args) => generate::run(args),
        Command::Diff(args) => diff::run(args, style),
        Command::Explain(args) => explain::run(args, style),
        Command::Graph(args) => graph::run(args, style),
        Command::Report(args) => report::run(args, style),
        Command::Watch(args) => watch::run(args, style),
        Command::Rules(command) => rules::run(command, style),
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    // A closed pipe (`concord … | head`) is not an error worth a panic.
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    let _ = stderr.write_all(outcome.stderr.as_bytes());
    ExitCode::from(outcome.code)
}

/// A command's large result, freed on another thread once the command is done with it:
/// a national workspace is hundreds of megabytes in millions of allocations, and freeing
/// them one by one held the output back by a quarter of a second. The process may end
/// before that thread does, which only saves it the work.
pub(crate) struct FreedAside<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> FreedAside<T> {
    pub(crate) fn new(value: T) -> Self {
        FreedAside(Some(value))
    }
}

impl<T: Send + 'static> std::ops::Deref for FreedAside<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
            .as_ref()
            .expect("a value is held until the guard is dropped")
    }
}

impl<T: Send + 'static> Drop for FreedAside<T> {
    fn drop(&mut self) {
        if let Some(value) = self.0.take() {
            // Without a thread to spare, the value is freed here, as usual.
            let _ = std::thread::Builder::new()
                .name("free".into())
                .spawn(move || drop(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Clap checks its definitions only when a subcommand is parsed; this checks them all.
    #[test]
    fn every_subcommand_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_value_freed_aside_is_freed() {
        let value = std::sync::Arc::new(());
        let guard = super::FreedAside::new(value.clone());
        assert_eq!(std::sync::Arc::strong_count(&*guard), 2);
        drop(guard);
        let start = std::time::Instant::now();
        while std::sync::Arc::strong_count(&value) > 1 {
            assert!(start.elapsed().as_secs() < 60, "the value was never freed");
            std::thread::yield_now();
        }
    }
}
