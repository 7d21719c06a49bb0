//! `concord validate`: load a workspace and report every problem, or its contents.

use super::{Outcome, exit};
use concord::load::ReadLimits;
use concord::render::diagnostics::{self, Style};
use concord::workspace::{self, Workspace};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Workspace files or folders (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: Args, style: Style) -> Outcome {
    let paths = super::paths_or_here(args.paths);
    let ws = super::FreedAside::new(workspace::load(&paths, &ReadLimits::default()));
    let code = if ws.has_errors() {
        exit::BAD_INPUT
    } else {
        exit::OK
    };
    let stdout = match args.format {
        Format::Human => human(&ws, style),
        Format::Json => json(&ws),
    };
    Outcome {
        stdout,
        stderr: String::new(),
        code,
    }
}

fn human(ws: &Workspace, style: Style) -> String {
    let mut out = diagnostics::human(&ws.diagnostics, &ws.sources, style);
    if ws.has_errors() {
        out.push_str(&format!(
            "invalid workspace: {}\n",
            diagnostics::summary(&ws.diagnostics)
        ));
        return out;
    }
    let counts: Vec<String> = ws
        .model
        .counts()
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let files = ws.files.len();
    out.push_str(&format!(
        "valid: {files} file{} with {}\n",
        if files == 1 { "" } else { "s" },
        counts.join(", ")
    ));
    if !ws.diagnostics.is_empty() {
        out.push_str(&format!("{}\n", diagnostics::summary(&ws.diagnostics)));
    }
    out
}

fn json(ws: &Workspace) -> String {
    let counts: serde_json::Map<String, serde_json::Value> = ws
        .model
        .counts()
        .iter()
        .map(|(kind, n)| (kind.to_string(), (*n).into()))
        .collect();
    let report = serde_json::json!({
        "files": ws.files,
        "counts": counts,
        "diagnostics": ws
            .diagnostics
            .iter()
            .map(|d| diagnostics::json(d, &ws.sources))
            .collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
