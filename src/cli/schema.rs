//! `concord schema`: the format as a JSON Schema for editors, or as its Markdown reference.

use super::{Outcome, exit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `json` for the JSON Schema (draft-07), `markdown` for the format reference.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Describe `concord.yaml` instead of the workspace files.
    #[arg(long)]
    settings: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Json,
    Markdown,
}

pub fn run(args: Args) -> Outcome {
    let stdout = match (args.format, args.settings) {
        (Format::Markdown, _) => concord::schema::markdown(),
        (Format::Json, settings) => {
            let schema = if settings {
                concord::schema::settings_schema()
            } else {
                concord::schema::workspace_schema()
            };
            let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    Outcome {
        stdout,
        stderr: String::new(),
        code: exit::OK,
    }
}
