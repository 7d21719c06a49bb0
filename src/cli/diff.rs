//! `concord diff`: what a proposed change does to coordination — findings that are new,
//! resolved and persisting, and the objectives whose coverage changes.

use super::{Outcome, exit};
use concord::check::{self, CheckOptions, CheckResult};
use concord::diff::{self, Coverage, Diff};
use concord::findings::Finding;
use concord::load::Sources;
use concord::model::Severity;
use concord::render::diagnostics::{self, Style};
use concord::render::findings::findings_json;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base workspace (file or folder).
    base: PathBuf,
    /// The proposed workspace; omit it to compare two packages of the base.
    proposal: Option<PathBuf>,
    /// Packages to compare: one for both sides, or two (base then proposal).
    #[arg(long, value_name = "ID")]
    package: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Lowest severity of a new finding that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    fail_on: FailOn,
    /// Judge waivers' expiry dates against this date instead of today.
    #[arg(long, value_name = "DATE")]
    today: Option<chrono::NaiveDate>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FailOn {
    Low,
    Medium,
    High,
    Never,
}

pub fn run(args: Args, style: Style) -> Outcome {
    let usage = |message: &str| Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    };
    let (base_package, proposal_package) = match (args.package.as_slice(), &args.proposal) {
        ([], _) => (None, None),
        ([one], _) => (Some(one.clone()), Some(one.clone())),
        ([a, b], _) => (Some(a.clone()), Some(b.clone())),
        _ => return usage("give `--package` once (both sides) or twice (base, then proposal)"),
    };
    if args.proposal.is_none() && args.package.len() != 2 {
        return usage(
            "compare two workspaces (`concord diff BASE PROPOSAL`) or two packages of one (`--package A --package B`)",
        );
    }
    let side = |path: &PathBuf, package: Option<String>| {
        check::check(&CheckOptions {
            paths: vec![path.clone()],
            package,
            today: args.today,
            ..Default::default()
        })
    };
    // One side at a time: each check's graph is freed once its findings and coverage are
    // taken, before the other side is checked.
    let mut base = side(&args.base, base_package);
    if base.failed() {
        return failed(&base, style);
    }
    let base_side = diff::Side::take(&mut base);
    drop(super::FreedAside::new(base.graph.take()));
    let mut proposal = side(
        args.proposal.as_ref().unwrap_or(&args.base),
        proposal_package,
    );
    if proposal.failed() {
        return failed(&proposal, style);
    }
    let proposal_side = diff::Side::take(&mut proposal);
    drop(super::FreedAside::new(proposal.graph.take()));
    let diff = diff::compare(base_side, proposal_side);
    let threshold = match args.fail_on {
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Never => None,
    };
    let code = match threshold {
        Some(t) if diff.new.iter().any(|f| f.severity >= t) => exit::FINDINGS,
        _ => exit::OK,
    };
    let stdout = match args.format {
        Format::Text => text(&diff),
        Format::Markdown => markdown(&diff),
        Format::Json => {
            // At 100k the comparison lists every finding of both sides.
            let sources = (&base.workspace.sources, &proposal.workspace.sources);
            super::output::stream_to_stdout(|out| write_json(&diff, sources, out));
            String::new()
        }
    };
    Outcome {
        stdout,
        code,
        ..Default::default()
    }
}

fn failed(result: &CheckResult, style: Style) -> Outcome {
    let mut stdout = diagnostics::human(
        &result.workspace.diagnostics,
        &result.workspace.sources,
        style,
    );
    stdout.push_str(&diagnostics::human(
        &result.rule_diagnostics,
        &result.rules.sources,
        style,
    ));
    stdout.push_str("the comparison is incomplete: one side could not be checked\n");
    Outcome {
        stdout,
        code: exit::BAD_INPUT,
        ..Default::default()
    }
}

fn line(f: &Finding) -> String {
    format!(
        "{} {} {}: {}",
        f.severity.as_str(),
        f.rule,
        f.key(),
        f.message
    )
}

fn coverage_text(c: Option<Coverage>) -> String {
    c.map_or("not in scope".into(), |c| {
        format!(
            "{} advancing, {} against, effect sum {:+}",
            c.instruments, c.against, c.effect_sum
        )
    })
}

fn text(diff: &Diff) -> String {
    let mut out = String::new();
    for (title, list) in [("new", &diff.new), ("resolved", &diff.resolved)] {
        out.push_str(&format!("{} {title}:\n", list.len()));
        for f in list {
            out.push_str(&format!("  {}\n", line(f)));
        }
    }
    out.push_str(&format!("{} persisting:\n", diff.persisting.len()));
    for f in &diff.persisting {
        out.push_str(&format!("  {} {}\n", f.severity.as_str(), f.key()));
    }
    out.push_str(&format!(
        "{} objective(s) with changed coverage:\n",
        diff.coverage.len()
    ));
    for c in &diff.coverage {
        out.push_str(&format!(
            "  {}: {} → {}\n",
            c.objective,
            coverage_text(c.base),
            coverage_text(c.proposal)
        ));
    }
    out
}

fn cell(text: &str) -> String {
    concord::render::machine::markdown_cell(text)
}

fn markdown(diff: &Diff) -> String {
    let mut out = String::from("# Coordination diff\n\n");
    out.push_str(&format!(
        "| new | resolved | persisting | objectives with changed coverage |\n|---|---|---|---|\n| {} | {} | {} | {} |\n",
        diff.new.len(),
        diff.resolved.len(),
        diff.persisting.len(),
        diff.coverage.len()
    ));
    for (title, list) in [
        ("New findings", &diff.new),
        ("Resolved findings", &diff.resolved),
        ("Persisting findings", &diff.persisting),
    ] {
        out.push_str(&format!("\n## {title}\n\n"));
        if list.is_empty() {
            out.push_str("None.\n");
            continue;
        }
        out.push_str("| severity | rule | key | message |\n|---|---|---|---|\n");
        for f in list {
            out.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                f.severity.as_str(),
                f.rule,
                cell(&f.key()),
                cell(&f.message)
            ));
        }
    }
    out.push_str("\n## Coverage\n\n");
    if diff.coverage.is_empty() {
        out.push_str("No objective's coverage changed.\n");
    } else {
        out.push_str("| objective | base | proposal |\n|---|---|---|\n");
        for c in &diff.coverage {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                cell(&c.objective),
                coverage_text(c.base),
                coverage_text(c.proposal)
            ));
        }
    }
    out
}

#[derive(Serialize)]
struct JsonSide {
    advancing: usize,
    against: usize,
    effect_sum: i64,
}

impl JsonSide {
    fn of(c: Option<Coverage>) -> Option<JsonSide> {
        c.map(|c| JsonSide {
            advancing: c.instruments,
            against: c.against,
            effect_sum: c.effect_sum,
        })
    }
}

#[derive(Serialize)]
struct JsonChange<'a> {
    objective: &'a str,
    base: Option<JsonSide>,
    proposal: Option<JsonSide>,
}

#[derive(Serialize)]
struct JsonDiff<'a, N, R, P> {
    version: u32,
    new: N,
    resolved: R,
    persisting: P,
    coverage: Vec<JsonChange<'a>>,
}

/// The comparison as JSON; resolved findings are located in the base's files, the others in
/// the proposal's.
fn write_json(
    diff: &Diff,
    (base, proposal): (&Sources, &Sources),
    out: &mut impl Write,
) -> std::io::Result<()> {
    let coverage = diff
        .coverage
        .iter()
        .map(|c| JsonChange {
            objective: &c.objective,
            base: JsonSide::of(c.base),
            proposal: JsonSide::of(c.proposal),
        })
        .collect();
    let report = JsonDiff {
        version: 1,
        new: findings_json(&diff.new, proposal),
        resolved: findings_json(&diff.resolved, base),
        persisting: findings_json(&diff.persisting, proposal),
        coverage,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}
