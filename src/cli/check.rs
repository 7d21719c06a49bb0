//! `concord check`: validate the workspace, run the rules, report findings, and exit by
//! the failure threshold.

use super::{Outcome, exit};
use concord::check::{self, CheckOptions, CheckResult};
use concord::model::Severity;
use concord::model::settings::FailOn;
use concord::render::diagnostics::{self, Style};
use concord::render::findings;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Workspace files or folders (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Review one package: its instruments, and its objectives with their descendants.
    #[arg(long, value_name = "ID")]
    package: Option<String>,
    /// Another folder of rule files, after the standard library (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Leave out the standard library: run only the rules of `--rules` folders and `concord.yaml`.
    #[arg(long)]
    no_standard_rules: bool,
    /// Run only these rules: ids, id prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Skip these rules: ids, id prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Lowest severity that makes the exit code 1 (default: `concord.yaml`'s, else `high`).
    #[arg(long, value_enum)]
    fail_on: Option<FailOnArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print how long each rule and phase took, on stderr.
    #[arg(long)]
    timings: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FailOnArg {
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
    let options = CheckOptions {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths
        },
        package: args.package.clone(),
        rule_folders: args.rules,
        no_standard_rules: args.no_standard_rules,
        select: args.select,
        ignore: args.ignore,
        limits: Default::default(),
    };
    let result = check::check(&options);
    let fail_on = args
        .fail_on
        .map(FailOn::from)
        .or(result.workspace.settings.fail_on.as_ref().map(|f| f.value))
        .unwrap_or(FailOn::At(Severity::High));
    let code = exit_code(&result, fail_on);
    let stdout = match args.format {
        Format::Json => findings::json(&result, args.package.as_deref()),
        Format::Text => text(&result, style),
    };
    let stderr = if args.timings {
        timings(&result)
    } else {
        String::new()
    };
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
        let mut out = diagnostics::human(
            &result.workspace.diagnostics,
            &result.workspace.sources,
            style,
        );
        out.push_str(&format!(
            "invalid workspace: {}\n",
            diagnostics::summary(&result.workspace.diagnostics)
        ));
        return out;
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

fn timings(result: &CheckResult) -> String {
    let mut out = String::from("phase      time\n");
    for (phase, took) in &result.phases {
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
