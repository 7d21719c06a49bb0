//! `concord graph`: draw the policy graph, whole, for one package, or around one node.

use super::{Outcome, exit};
use concord::graph::PolicyGraph;
use concord::load::ReadLimits;
use concord::render::diagnostics::Style;
use concord::render::graph::{self, Selection};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Workspace files or folders (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,
    /// Draw only this package and what touches it.
    #[arg(long, value_name = "ID")]
    package: Option<String>,
    /// Draw only the neighbourhood of this node (any id).
    #[arg(long, value_name = "NODE")]
    focus: Option<String>,
    /// How many steps from `--focus` to draw.
    #[arg(long, default_value_t = 1, value_name = "N")]
    depth: usize,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Dot,
    Mermaid,
    Json,
}

pub fn run(args: Args, style: Style) -> Outcome {
    let paths = super::paths_or_here(args.paths);
    let ws = concord::workspace::load(&paths, &ReadLimits::default());
    if ws.has_errors() {
        let stdout = super::invalid_workspace(&ws, style);
        return Outcome {
            stdout,
            code: exit::BAD_INPUT,
            ..Default::default()
        };
    }
    let fail = |message: String| Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    };
    let g = match PolicyGraph::build(ws.model, args.package.as_deref()) {
        Ok(g) => g,
        Err(message) => return fail(message),
    };
    let selection = Selection {
        package_only: args.package.is_some(),
        focus: args.focus,
        depth: args.depth,
    };
    let view = match graph::select(&g, &selection) {
        Ok(view) => view,
        Err(message) => return fail(message),
    };
    let stdout = match args.format {
        Format::Dot => graph::dot(&g, &view),
        Format::Mermaid => graph::mermaid(&g, &view),
        Format::Json => graph::json(&g, &view),
    };
    Outcome {
        stdout,
        ..Default::default()
    }
}
