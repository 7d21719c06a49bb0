//! `concord check`: validate the workspace, run the rules, report findings, and exit by
//! the failure threshold.

use super::output::{overwrites_input, stream_to_stdout, write_atomically};
use super::{Outcome, exit};
use concord::check::{self, CheckOptions, CheckResult};
use concord::model::Severity;
use concord::model::settings::FailOn;
use concord::render::diagnostics::{self, Style};
use concord::render::{findings, machine};
use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Workspace files or folders (default: the current folder).
    #[arg(value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    /// Review one package: its instruments, and its objectives with their descendants.
    #[arg(long, value_name = "ID")]
    pub(super) package: Option<String>,
    /// Another folder of rule files, after the standard library (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub(super) rules: Vec<PathBuf>,
    /// Leave out the standard library: run only the rules of `--rules` folders and `concord.yaml`.
    #[arg(long)]
    pub(super) no_standard_rules: bool,
    /// Run only these rules: ids, id prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub(super) select: Vec<String>,
    /// Skip these rules: ids, id prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub(super) ignore: Vec<String>,
    /// Lowest severity that makes the exit code 1 (default: `concord.yaml`'s, else `high`).
    #[arg(long, value_enum)]
    pub(super) fail_on: Option<FailOnArg>,
    /// Output format: `text`, `json`, `sarif`, `junit` or `github`; `FORMAT=FILE` writes that
    /// format to a file (repeatable, so one run can feed several tools).
    #[arg(long = "format", value_name = "FORMAT[=FILE]")]
    pub(super) formats: Vec<String>,
    /// Write the output to FILE instead of stdout (with one `--format` without a file).
    #[arg(long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Judge waivers' expiry dates against this date instead of today (`YYYY-MM-DD`).
    #[arg(long, value_name = "DATE")]
    pub(super) today: Option<chrono::NaiveDate>,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub(super) baseline: Option<PathBuf>,
    /// Record today's findings in a baseline file.
    #[arg(long, value_name = "FILE")]
    pub(super) write_baseline: Option<PathBuf>,
    /// Print how long each rule and phase took, on stderr.
    #[arg(long)]
    pub(super) timings: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
}

const FORMATS: [(&str, Format); 5] = [
    ("text", Format::Text),
    ("json", Format::Json),
    ("sarif", Format::Sarif),
    ("junit", Format::Junit),
    ("github", Format::Github),
];

/// The requested outputs: each format with its file, or stdout.
fn outputs(
    formats: &[String],
    output: Option<PathBuf>,
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let mut out = Vec::new();
    for spec in formats {
        let (name, file) = match spec.split_once('=') {
            Some((name, file)) => (name, Some(PathBuf::from(file))),
            None => (spec.as_str(), None),
        };
        let Some(&(_, format)) = FORMATS.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = FORMATS.iter().map(|f| f.0).collect();
            let hint = concord::diagnostic::did_you_mean(name, names.iter().copied())
                .map_or(String::new(), |h| format!("; {h}"));
            return Err(format!(
                "unknown format `{name}` (formats: {}){hint}",
                names.join(", ")
            ));
        };
        out.push((format, file));
    }
    if out.is_empty() {
        out.push((Format::Text, None));
    }
    if let Some(file) = output {
        let unfiled: Vec<usize> = (0..out.len()).filter(|&i| out[i].1.is_none()).collect();
        match unfiled.as_slice() {
            [only] => out[*only].1 = Some(file),
            _ => return Err("`--output` needs exactly one `--format` without `=FILE`".into()),
        }
    }
    if out.iter().filter(|o| o.1.is_none()).count() > 1 {
        return Err(
            "only one format can go to stdout; give the others a file with `FORMAT=FILE`".into(),
        );
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(super) enum FailOnArg {
    Low,
    Medium,
    High,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> Self {
        match arg {
            FailOnArg::Low => FailOn::At(Severity::Low),
            FailOnArg::Medium => FailOn::At(Severity::Medium),
            FailOnArg::High => FailOn::At(Severity::High),
            FailOnArg::Never => FailOn::Never,
        }
    }
}

pub fn run(args: Args, style: Style) -> Outcome {
    let usage = |message: String| Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    };
    let outputs = match outputs(&args.formats, args.output) {
        Ok(outputs) => outputs,
        Err(message) => return usage(message),
    };
    let options = CheckOptions {
        paths: super::paths_or_here(args.paths),
        package: args.package.clone(),
        rule_folders: args.rules,
        no_standard_rules: args.no_standard_rules,
        select: args.select,
        ignore: args.ignore,
        limits: Default::default(),
        today: args.today,
        baseline: None,
        progress: super::progress::on_terminal(),
    };
    let mut options = options;
    if let Some(path) = &args.baseline {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                return usage(format!(
                    "cannot read baseline `{}`: {}",
                    path.display(),
                    e.to_string().to_lowercase()
                ));
            }
        };
        match concord::review::read_baseline(&text) {
            Ok(keys) => options.baseline = Some(keys),
            Err(message) => return usage(format!("`{}`: {message}", path.display())),
        }
    }
    let mut checked = check::check(&options);
    // Rendering reads only the findings and the sources: the graph and its model, most of
    // the memory a national workspace holds, are freed while the output is written.
    drop(super::FreedAside::new(checked.graph.take()));
    let result = super::FreedAside::new(checked);
    options.progress.tell(check::Progress::Finished);
    let fail_on = args
        .fail_on
        .map(FailOn::from)
        .or(result.workspace.settings.fail_on.as_ref().map(|f| f.value))
        .unwrap_or(FailOn::At(Severity::High));
    let code = exit_code(&result, fail_on);
    let rules = result.selected_rules(&options);
    let mut stdout = String::new();
    let mut stderr = String::new();
    let rendering = std::time::Instant::now();
    for (format, file) in outputs {
        if matches!(format, Format::Json | Format::Sarif) && file.is_none() {
            stream_to_stdout(|out| match format {
                Format::Sarif => machine::write_sarif(&result, &rules, out),
                _ => findings::write_json(&result, args.package.as_deref(), out),
            });
            continue;
        }
        let rendered = match format {
            Format::Json => findings::json(&result, args.package.as_deref()),
            Format::Text => text(&result, if file.is_some() { Style::Plain } else { style }),
            Format::Sarif => machine::sarif(&result, &rules),
            Format::Junit => machine::junit(&result, &rules),
            Format::Github => machine::github(&result),
        };
        match file {
            None => stdout = rendered,
            Some(path) if overwrites_input(&path, &result) => {
                return usage(format!(
                    "refusing to write the report over `{}`, which is one of the inputs",
                    path.display()
                ));
            }
            Some(path) => {
                if let Err(message) = write_atomically(&path, &rendered) {
                    stderr.push_str(&format!("error: {message}\n"));
                    return Outcome {
                        stdout,
                        stderr,
                        code: exit::BAD_INPUT,
                    };
                }
            }
        }
    }
    if args.timings {
        stderr = timings(&result, rendering.elapsed()) + stderr.as_str();
    }
    if let Some(path) = &args.write_baseline {
        if result.failed() {
            stderr
                .push_str("error: the baseline was not written because the check is incomplete\n");
            return Outcome {
                stdout,
                stderr,
                code,
            };
        }
        let mut all = result.findings.clone();
        all.extend(result.baselined.iter().cloned());
        concord::findings::sort(&mut all);
        if overwrites_input(path, &result) {
            return usage(format!(
                "refusing to write the baseline over `{}`, which is one of the inputs",
                path.display()
            ));
        }
        if let Err(message) = write_atomically(path, &concord::review::baseline_json(&all)) {
            stderr.push_str(&format!("error: {message}\n"));
            return Outcome {
                stdout,
                stderr,
                code: exit::BAD_INPUT,
            };
        }
    }
    Outcome {
        stdout,
        stderr,
        code,
    }
}

fn exit_code(result: &CheckResult, fail_on: FailOn) -> u8 {
    if result.failed() {
        return exit::BAD_INPUT;
    }
    let reached = match fail_on {
        FailOn::Never => false,
        FailOn::At(threshold) => result.findings.iter().any(|f| f.severity >= threshold),
    };
    if reached { exit::FINDINGS } else { exit::OK }
}

fn text(result: &CheckResult, style: Style) -> String {
    if result.workspace.has_errors() {
        return super::invalid_workspace(&result.workspace, style);
    }
    let mut out = findings::text(result, style);
    if !result.rule_diagnostics.is_empty() {
        out.push('\n');
        out.push_str(&diagnostics::human(
            &result.rule_diagnostics,
            &result.rules.sources,
            style,
        ));
        let failed = result
            .rule_diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        out.push_str(&format!(
            "{failed} rule error{}: the check is incomplete\n",
            if failed == 1 { "" } else { "s" }
        ));
    }
    out
}

fn timings(result: &CheckResult, render: std::time::Duration) -> String {
    let mut out = String::from("phase      time\n");
    let render = ("render", render);
    for (phase, took) in result.phases.iter().chain(std::iter::once(&render)) {
        out.push_str(&format!(
            "{phase:<10} {:>8.2} ms\n",
            took.as_secs_f64() * 1000.0
        ));
    }
    let mut rules = result.timings.clone();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.push_str("rule       time\n");
    for (rule, took) in rules {
        out.push_str(&format!(
            "{rule:<10} {:>8.2} ms\n",
            took.as_secs_f64() * 1000.0
        ));
    }
    out
}
