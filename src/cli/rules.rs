//! `concord rules list|doc|test|api`: what rules exist, what one says, whether their
//! fixtures pass, and the script API they can use.

use super::{Outcome, exit};
use concord::render::diagnostics::{self, Style};
use concord::rules::fixtures::{self, Kind};
use concord::rules::run::{self, RuleLimits};
use concord::rules::{self, Rule, RuleSet};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the rules: id, name, category, severity, summary.
    List {
        /// Extra rule folders (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Show one rule's documentation, or write every rule's page and an index.
    Doc {
        /// The rule id, e.g. `GAP001`.
        #[arg(required_unless_present = "write")]
        id: Option<String>,
        /// Extra rule folders (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Write `<ID>.md` for every rule and a `README.md` index into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "id")]
        write: Option<PathBuf>,
    },
    /// Run the rules' fixtures: each must fire as expected or stay quiet.
    Test {
        /// Rule folders (default: the standard library).
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Only these rule ids.
        #[arg(long, value_delimiter = ',')]
        select: Vec<String>,
        /// Print how long loading the rules and running each rule's fixtures took, on stderr.
        #[arg(long)]
        timings: bool,
    },
    /// Print the script API reference (Markdown).
    Api,
    /// Create a rule file and its two fixtures, ready for `concord rules test`.
    New {
        /// The rule id: capital letters then digits, e.g. `L002`.
        id: String,
        /// The rule name: lowercase words joined by hyphens, e.g. `budget-over-cap`.
        name: String,
        /// The family of findings it reports (default: the `--from` rule's).
        #[arg(long, value_enum, required_unless_present = "from")]
        category: Option<CategoryArg>,
        /// The severity of its findings (default: the `--from` rule's, else medium).
        #[arg(long, value_enum)]
        severity: Option<SeverityArg>,
        /// Start from a copy of this rule of the standard library, with its fixtures.
        #[arg(long, value_name = "ID")]
        from: Option<String>,
        /// The rule folder to write into.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum CategoryArg {
    Gap,
    Overlap,
    Conflict,
    Coordination,
    Evidence,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
}

impl CategoryArg {
    fn category(self) -> concord::findings::Category {
        use concord::findings::Category;
        match self {
            CategoryArg::Gap => Category::Gap,
            CategoryArg::Overlap => Category::Overlap,
            CategoryArg::Conflict => Category::Conflict,
            CategoryArg::Coordination => Category::Coordination,
            CategoryArg::Evidence => Category::Evidence,
        }
    }
}

impl SeverityArg {
    fn severity(self) -> concord::model::Severity {
        use concord::model::Severity;
        match self {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
        }
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

fn folders(extra: Vec<PathBuf>) -> Result<Vec<PathBuf>, Outcome> {
    let mut folders = Vec::new();
    match rules::standard_folder() {
        Some(folder) => folders.push(folder),
        None if extra.is_empty() => {
            return Err(Outcome {
                stderr: "error: cannot find the standard rule library; set `CONCORD_RULES` or pass `--rules DIR`\n".into(),
                code: exit::BAD_INPUT,
                ..Default::default()
            });
        }
        None => {}
    }
    folders.extend(extra);
    Ok(folders)
}

fn load(extra: Vec<PathBuf>) -> Result<RuleSet, Outcome> {
    let engine = run::engine(&RuleLimits::default());
    let mut set = rules::load(&folders(extra)?, &engine);
    set.rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(set)
}

pub fn run(command: Command, style: Style) -> Outcome {
    let result = match command {
        Command::List { rules, format } => load(rules).map(|set| list(&set, format, style)),
        Command::Doc { id, rules, write } => load(rules).map(|set| match (id, write) {
            (_, Some(dir)) => write_docs(&set, &dir, style),
            (Some(id), None) => doc(&set, &id),
            (None, None) => unreachable_usage(),
        }),
        Command::Test {
            dirs,
            select,
            timings,
        } => {
            let dirs = if dirs.is_empty() {
                folders(Vec::new())
            } else {
                Ok(dirs)
            };
            dirs.map(|dirs| test(&dirs, &select, timings, style))
        }
        Command::New {
            id,
            name,
            category,
            severity,
            from,
            dir,
        } => Ok(super::rules_new::run(super::rules_new::NewRule {
            id,
            name,
            category: category.map(CategoryArg::category),
            severity: severity.map(SeverityArg::severity),
            from,
            dir,
        })),
        Command::Api => Ok(Outcome {
            stdout: rules::api::markdown(),
            ..Default::default()
        }),
    };
    result.unwrap_or_else(|outcome| outcome)
}

fn load_errors(set: &RuleSet, style: Style) -> Option<Outcome> {
    (!set.diagnostics.is_empty()).then(|| Outcome {
        stdout: diagnostics::human(&set.diagnostics, &set.sources, style),
        code: exit::BAD_INPUT,
        ..Default::default()
    })
}

fn list(set: &RuleSet, format: ListFormat, style: Style) -> Outcome {
    if let Some(outcome) = load_errors(set, style) {
        return outcome;
    }
    let stdout = match format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = set
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.meta.id,
                        "name": r.meta.name,
                        "category": r.meta.category,
                        "severity": r.meta.severity.as_str(),
                        "summary": r.meta.summary,
                        "file": r.meta.file,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
            text.push('\n');
            text
        }
        ListFormat::Table => {
            let width = set
                .rules
                .iter()
                .map(|r| r.meta.name.len())
                .max()
                .unwrap_or(4)
                .max(4);
            let mut out = format!(
                "{:<7} {:<width$} {:<12} {:<8} summary\n",
                "id", "name", "category", "severity"
            );
            for r in &set.rules {
                out.push_str(&format!(
                    "{:<7} {:<width$} {:<12} {:<8} {}\n",
                    r.meta.id,
                    r.meta.name,
                    r.meta.category.as_str(),
                    r.meta.severity.as_str(),
                    r.meta.summary
                ));
            }
            out.push_str(&format!("{} rules\n", set.rules.len()));
            out
        }
    };
    Outcome {
        stdout,
        ..Default::default()
    }
}

/// A rule's documentation as Markdown: the header, its parameters, and its file.
pub fn rule_doc(rule: &Rule) -> String {
    rules::docs::page(&rule.meta, &rule.meta.file)
}

/// Clap requires an id or `--write`; this answers if that ever changes.
fn unreachable_usage() -> Outcome {
    Outcome {
        stderr: "error: name a rule, or pass `--write DIR`\n".into(),
        code: exit::BAD_INPUT,
        ..Default::default()
    }
}

fn write_docs(set: &RuleSet, dir: &std::path::Path, style: Style) -> Outcome {
    if let Some(outcome) = load_errors(set, style) {
        return outcome;
    }
    let pages = rules::docs::pages(&set.rules);
    let written = std::fs::create_dir_all(dir).and_then(|_| {
        pages
            .iter()
            .try_for_each(|(name, text)| std::fs::write(dir.join(name), text))
    });
    match written {
        Ok(()) => Outcome {
            stdout: format!("wrote {} pages to {}\n", pages.len(), dir.display()),
            ..Default::default()
        },
        Err(e) => Outcome {
            stderr: format!(
                "error: cannot write `{}`: {}\n",
                dir.display(),
                e.to_string().to_lowercase()
            ),
            code: exit::BAD_INPUT,
            ..Default::default()
        },
    }
}

fn doc(set: &RuleSet, id: &str) -> Outcome {
    match set
        .rules
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(id))
    {
        Some(rule) => Outcome {
            stdout: rule_doc(rule),
            ..Default::default()
        },
        None => {
            let ids: Vec<&str> = set.rules.iter().map(|r| r.meta.id.as_str()).collect();
            let hint = concord::diagnostic::did_you_mean(id, ids.iter().copied())
                .map_or(String::new(), |h| format!("\n  = help: {h}"));
            Outcome {
                stderr: format!("error: no rule `{id}`{hint}\n"),
                code: exit::BAD_INPUT,
                ..Default::default()
            }
        }
    }
}

/// Time per phase and per rule (its fixtures together), slowest rule first.
fn test_timings(report: &fixtures::TestReport) -> String {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mut by_rule: std::collections::BTreeMap<&str, (std::time::Duration, usize)> =
        Default::default();
    for r in &report.results {
        let entry = by_rule.entry(r.rule.as_str()).or_default();
        entry.0 += r.took;
        entry.1 += 1;
    }
    let fixtures: std::time::Duration = report.results.iter().map(|r| r.took).sum();
    let mut out = String::from("phase      time\n");
    out.push_str(&format!("{:<10} {:>8.2} ms\n", "load", ms(report.load)));
    out.push_str(&format!("{:<10} {:>8.2} ms\n", "fixtures", ms(fixtures)));
    let mut rows: Vec<_> = by_rule.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    out.push_str("rule       time        fixtures\n");
    for (rule, (took, n)) in rows {
        out.push_str(&format!("{rule:<10} {:>8.2} ms {n:>4}\n", ms(took)));
    }
    out
}

fn test(dirs: &[PathBuf], select: &[String], timings: bool, style: Style) -> Outcome {
    let report = fixtures::test(dirs, select);
    let mut out = String::new();
    if !report.diagnostics.is_empty() {
        out.push_str(&diagnostics::human(
            &report.diagnostics,
            &report.sources,
            style,
        ));
    }
    for r in &report.results {
        let kind = if r.kind == Kind::Fire {
            "fire "
        } else {
            "quiet"
        };
        if r.passed() {
            out.push_str(&format!("ok    {} {kind} {}\n", r.rule, r.file));
            continue;
        }
        out.push_str(&format!("FAIL  {} {kind} {}\n", r.rule, r.file));
        if let Some(error) = &r.error {
            out.push_str(&format!("      {error}\n"));
        }
        for m in &r.missing {
            out.push_str(&format!("      expected but not found: {m}\n"));
        }
        for u in &r.unexpected {
            out.push_str(&format!("      found but not expected: {u}\n"));
        }
    }
    for (rule, kind) in &report.incomplete {
        out.push_str(&format!(
            "FAIL  {rule} has no {kind} fixture (fixtures/{rule}/{kind}*.yaml)\n"
        ));
    }
    let failed = report.results.iter().filter(|r| !r.passed()).count() + report.incomplete.len();
    let passed = report.results.iter().filter(|r| r.passed()).count();
    out.push_str(&format!(
        "{} rules: {passed} passed, {failed} failed\n",
        report.rules
    ));
    let code = if !report.diagnostics.is_empty() {
        exit::BAD_INPUT
    } else if report.passed() {
        exit::OK
    } else {
        exit::FINDINGS
    };
    Outcome {
        stdout: out,
        stderr: if timings {
            test_timings(&report)
        } else {
            String::new()
        },
        code,
    }
}
