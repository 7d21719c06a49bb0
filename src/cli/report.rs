//! `concord report`: check a workspace and write the coordination report as one
//! self-contained HTML file or as Markdown, with the built-in template or the analyst's.

use super::output::{overwrites_input, same_file, write_atomically};
use super::{Outcome, exit};
use concord::check::{self, CheckOptions};
use concord::load::{ReadLimits, Sources};
use concord::render::diagnostics::{self, Style};
use concord::report::{self, template};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Workspace files or folders (default: the current folder).
    #[arg(value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    /// Report on one package: its instruments, and its objectives with their descendants.
    #[arg(long, value_name = "ID")]
    pub(super) package: Option<String>,
    /// `html`, `markdown`, or `json` for the data a template sees (default: from the output
    /// file's extension, else `html`).
    #[arg(long, value_enum)]
    pub(super) format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// A template to use instead of the built-in one (minijinja syntax; it may extend
    /// `concord/report.html` or `concord/report.md` and replace their blocks).
    #[arg(long, value_name = "FILE")]
    pub(super) template: Option<PathBuf>,
    /// Another folder of rule files, after the standard library (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub(super) rules: Vec<PathBuf>,
    /// Leave out the standard library.
    #[arg(long)]
    pub(super) no_standard_rules: bool,
    /// Run only these rules: ids, id prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub(super) select: Vec<String>,
    /// Skip these rules: ids, id prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub(super) ignore: Vec<String>,
    /// The date the report speaks for, and waivers are judged against (`YYYY-MM-DD`).
    #[arg(long, value_name = "DATE")]
    pub(super) today: Option<chrono::NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, clap::ValueEnum)]
pub(super) enum Format {
    Html,
    #[value(alias = "md")]
    Markdown,
    Json,
}

fn format_of(args: &Args) -> Option<template::Format> {
    let by_extension = args
        .output
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match (args.format, by_extension.as_deref()) {
        (Some(Format::Json), _) | (None, Some("json")) => None,
        (Some(Format::Markdown), _) | (None, Some("md" | "markdown")) => {
            Some(template::Format::Markdown)
        }
        _ => Some(template::Format::Html),
    }
}

fn fail(stderr: String) -> Outcome {
    Outcome {
        stderr,
        code: exit::BAD_INPUT,
        ..Default::default()
    }
}

/// Reads the custom template, if any, into its own source list for error snippets.
fn read_template(path: Option<&Path>) -> Result<Option<(Sources, concord::load::FileId)>, String> {
    let Some(path) = path else { return Ok(None) };
    let text = concord::load::read_text(path, &ReadLimits::default())
        .map_err(|e| format!("error: {}\n", e.to_diagnostic().message))?;
    let mut sources = Sources::default();
    let file = sources.add(path.to_path_buf(), text);
    Ok(Some((sources, file)))
}

pub fn run(args: Args, style: Style) -> Outcome {
    let format = format_of(&args);
    let custom = match read_template(args.template.as_deref()) {
        Ok(custom) => custom,
        Err(message) => return fail(message),
    };
    let options = CheckOptions {
        paths: super::paths_or_here(args.paths),
        package: args.package,
        rule_folders: args.rules,
        no_standard_rules: args.no_standard_rules,
        select: args.select,
        ignore: args.ignore,
        today: args.today,
        progress: super::progress::on_terminal(),
        ..Default::default()
    };
    let result = check::check(&options);
    options.progress.tell(check::Progress::Finished);
    if result.workspace.has_errors() {
        return fail(super::invalid_workspace(&result.workspace, style));
    }
    if result.failed() {
        let mut stderr = diagnostics::human(&result.rule_diagnostics, &result.rules.sources, style);
        stderr.push_str("error: the report was not written because the check is incomplete\n");
        return fail(stderr);
    }
    let date = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let Some(data) = report::build(&result, date) else {
        return fail("error: the workspace has no graph to report on\n".into());
    };
    let custom_template = custom.as_ref().map(|(sources, file)| template::Custom {
        file: *file,
        sources,
    });
    let rendered = match format {
        Some(format) => template::render(&data, format, custom_template),
        None => Ok(serde_json::to_string_pretty(&data).unwrap_or_default() + "\n"),
    };
    let text = match rendered {
        Ok(text) => text,
        Err(d) => {
            let sources = custom.map(|c| c.0).unwrap_or_default();
            return fail(diagnostics::human(&[*d], &sources, style));
        }
    };
    match args.output {
        None => Outcome {
            stdout: text,
            ..Default::default()
        },
        Some(path)
            if overwrites_input(&path, &result) || same_file(&path, args.template.as_deref()) =>
        {
            fail(format!(
                "error: refusing to write the report over `{}`, which is one of the inputs\n",
                path.display()
            ))
        }
        Some(path) => match write_atomically(&path, &text) {
            Ok(()) => Outcome {
                stderr: format!(
                    "wrote {} ({} finding{})\n",
                    path.display(),
                    data.summary.findings,
                    if data.summary.findings == 1 { "" } else { "s" }
                ),
                ..Default::default()
            },
            Err(message) => fail(format!("error: {message}\n")),
        },
    }
}
