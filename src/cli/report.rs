//! `concord report`: check a workspace and write the coordination report as one
//! self-contained HTML file or as Markdown, with the built-in template or the analyst's.

use super::output::{
    Unwritten, cannot_write, overwrites_input, same_file, write_atomically_with, write_stdout_whole,
};
use super::{Outcome, exit};
use concord::check::{self, CheckOptions};
use concord::diagnostic::Diagnostic;
use concord::load::{ReadLimits, Sources};
use concord::render::diagnostics::{self, Style};
use concord::report::{self, template};
use std::io::Write;
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
    let over_an_input =
        |path: &Path| overwrites_input(path, &result) || same_file(path, args.template.as_deref());
    if let Some(path) = args.output.as_deref().filter(|p| over_an_input(p)) {
        return fail(format!(
            "error: refusing to write the report over `{}`, which is one of the inputs\n",
            path.display()
        ));
    }
    // The page reads only the report's data: the graph and the findings, most of the
    // memory a national workspace holds, are freed while it is written.
    drop(super::FreedAside::new(result));
    write(&data, format, custom, args.output.as_deref(), style)
}

/// Renders the report in `format` (JSON when `None`) to `output` or stdout, whole or not at
/// all.
fn write(
    data: &report::Report,
    format: Option<template::Format>,
    custom: Option<(Sources, concord::load::FileId)>,
    output: Option<&Path>,
    style: Style,
) -> Outcome {
    let custom_template = custom.as_ref().map(|(sources, file)| template::Custom {
        file: *file,
        sources,
    });
    let fill = |out: &mut dyn Write| -> Result<(), Unwritten<Box<Diagnostic>>> {
        match format {
            Some(format) => {
                template::render_to(data, format, custom_template, out).map_err(|e| match e {
                    template::Failure::Template(d) => Unwritten::Content(d),
                    template::Failure::Write(e) => Unwritten::Io(e),
                })
            }
            None => serde_json::to_writer_pretty(&mut *out, data)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(Unwritten::Io),
        }
    };
    let written = match output {
        None => write_stdout_whole(fill),
        Some(path) => write_atomically_with(path, fill),
    };
    match (written, output) {
        (Ok(()), None) => Outcome::default(),
        (Ok(()), Some(path)) => {
            let n = data.summary.findings;
            Outcome {
                stderr: format!(
                    "wrote {} ({n} finding{})\n",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                ),
                ..Default::default()
            }
        }
        (Err(Unwritten::Content(d)), _) => {
            let sources = custom.map(|c| c.0).unwrap_or_default();
            fail(diagnostics::human(&[*d], &sources, style))
        }
        (Err(Unwritten::Io(e)), Some(path)) => fail(format!("error: {}\n", cannot_write(path, &e))),
        (Err(Unwritten::Io(e)), None) => fail(format!(
            "error: cannot write the report: {}\n",
            e.to_string().to_lowercase()
        )),
    }
}
