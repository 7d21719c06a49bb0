//! `check` as a library call: load and validate the workspace, build the graph, load the
//! rules, run them, and hand back everything a renderer needs.

use crate::diagnostic::Diagnostic;
use crate::findings::{Category, Finding};
use crate::graph::PolicyGraph;
use crate::load::ReadLimits;
use crate::rules::run::{self, RuleLimits};
use crate::rules::{self, Rule, RuleSet};
use crate::workspace::{self, Workspace};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to check and how.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub package: Option<String>,
    /// Extra rule folders (`--rules`), after the standard library and `concord.yaml`'s.
    pub rule_folders: Vec<PathBuf>,
    /// Leave out the standard library.
    pub no_standard_rules: bool,
    /// Rule ids or categories to run; all when empty.
    pub select: Vec<String>,
    /// Rule ids or categories to skip.
    pub ignore: Vec<String>,
    pub limits: RuleLimits,
    /// The date waivers are judged against (default: today).
    pub today: Option<chrono::NaiveDate>,
    /// Keys of findings accepted by a baseline; they are not reported.
    pub baseline: Option<std::collections::BTreeSet<String>>,
    /// Told where the check has got to, for a progress display.
    pub progress: ProgressFn,
}

/// Where a check has got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    Loading,
    Building,
    Rules { done: usize, total: usize },
    Finished,
}

/// A receiver of [`Progress`] reports; none by default.
#[derive(Clone, Default)]
pub struct ProgressFn(pub Option<Arc<dyn Fn(Progress) + Send + Sync>>);

impl ProgressFn {
    /// Passes one report on, if anyone listens.
    pub fn tell(&self, progress: Progress) {
        if let Some(f) = &self.0 {
            f(progress);
        }
    }
}

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressFn(..)"
        } else {
            "ProgressFn(none)"
        })
    }
}

/// Everything a check produced.
pub struct CheckResult {
    pub workspace: Workspace,
    pub rules: RuleSet,
    pub graph: Option<Arc<PolicyGraph>>,
    pub findings: Vec<Finding>,
    /// Problems with rules or options (exit 2), located in rule files where possible.
    pub rule_diagnostics: Vec<Diagnostic>,
    pub cut: Vec<(String, usize)>,
    /// Findings accepted by an active waiver, listed apart.
    pub waived: Vec<crate::review::Waived>,
    /// Findings a baseline kept out of the report.
    pub baselined: Vec<Finding>,
    pub timings: Vec<(String, Duration)>,
    pub phases: Vec<(&'static str, Duration)>,
}

impl CheckResult {
    /// Whether the run failed as a run (bad input or a broken rule), apart from findings.
    pub fn failed(&self) -> bool {
        self.workspace.has_errors() || self.rule_diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The rules that ran (after selection), in id order.
    pub fn selected_rules(&self, options: &CheckOptions) -> Vec<&Rule> {
        select(&self.rules.rules, options)
    }
}

/// Whether a rule is named by one of `patterns`: its id, an id prefix, or its category.
pub fn matches(rule: &Rule, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        p.eq_ignore_ascii_case(&rule.meta.id)
            || Category::parse(&p.to_lowercase()) == Some(rule.meta.category)
            || (p.len() < rule.meta.id.len() && rule.meta.id.starts_with(p.as_str()))
    })
}

fn select<'a>(rules: &'a [Rule], options: &CheckOptions) -> Vec<&'a Rule> {
    let mut selected: Vec<&Rule> = rules
        .iter()
        .filter(|r| options.select.is_empty() || matches(r, &options.select))
        .filter(|r| !matches(r, &options.ignore))
        .collect();
    selected.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    selected
}

/// The rule folders of a run, in order.
pub fn rule_folders(
    workspace: &Workspace,
    options: &CheckOptions,
) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let mut folders = Vec::new();
    if !options.no_standard_rules {
        match rules::standard_folder() {
            Some(folder) => folders.push(folder),
            None => {
                return Err(Box::new(Diagnostic::error("no-rules", "cannot find the standard rule library")
                    .hint("run from the Concord folder, set `CONCORD_RULES` to the `rules` folder, or pass `--rules DIR`")));
            }
        }
    }
    let root = workspace.root.clone().unwrap_or_default();
    folders.extend(
        workspace
            .settings
            .rule_folders
            .iter()
            .map(|f| root.join(&f.value)),
    );
    folders.extend(options.rule_folders.iter().cloned());
    Ok(folders)
}

/// Checks the workspace of `options.paths` with the selected rules.
pub fn check(options: &CheckOptions) -> CheckResult {
    let mut phases = Vec::new();
    let started = Instant::now();
    options.progress.tell(Progress::Loading);
    let mut workspace = workspace::load(&options.paths, &ReadLimits::default());
    phases.push(("load", started.elapsed()));
    let mut limits = options.limits.clone();
    if let Some(ms) = &workspace.settings.rule_timeout_ms {
        limits.timeout = Duration::from_millis(ms.value.max(1) as u64);
    }
    if let Some(l) = &workspace.settings.limits {
        use crate::model::settings::Limits;
        let set = |value: &Option<crate::model::Located<i64>>, to: &mut u64| {
            if let Some(v) = Limits::get(value) {
                *to = v;
            }
        };
        set(&l.rule_operations, &mut limits.max_operations);
        let mut expression_depth = limits.max_expr_depth as u64;
        set(&l.rule_expression_depth, &mut expression_depth);
        limits.max_expr_depth = expression_depth as usize;
        let mut call_depth = limits.max_call_levels as u64;
        set(&l.rule_call_depth, &mut call_depth);
        limits.max_call_levels = call_depth as usize;
        if let Some(mib) = Limits::get(&l.rule_memory_mib) {
            limits.max_rule_bytes = mib << 20;
        }
        if let Some(mib) = Limits::get(&l.memory_mib) {
            limits.max_memory_bytes = mib << 20;
        }
        if let Some(n) = Limits::get(&l.findings_per_rule) {
            limits.max_findings = n as usize;
        }
    }
    let engine = run::engine(&limits);
    let empty = |workspace, rule_diagnostics| CheckResult {
        workspace,
        rules: RuleSet {
            rules: Vec::new(),
            sources: Default::default(),
            diagnostics: Vec::new(),
        },
        graph: None,
        findings: Vec::new(),
        rule_diagnostics,
        cut: Vec::new(),
        waived: Vec::new(),
        baselined: Vec::new(),
        timings: Vec::new(),
        phases: Vec::new(),
    };
    if workspace.has_errors() {
        return empty(workspace, Vec::new());
    }
    let folders = match rule_folders(&workspace, options) {
        Ok(folders) => folders,
        Err(d) => return empty(workspace, vec![*d]),
    };
    let started = Instant::now();
    let rule_set = rules::load(&folders, &engine);
    phases.push(("compile", started.elapsed()));
    let started = Instant::now();
    options.progress.tell(Progress::Building);
    // The graph takes the model over rather than a copy of it: a national workspace's
    // model is hundreds of megabytes. It is read back from `graph.model` from here on.
    let model = std::mem::take(&mut workspace.model);
    let graph = match PolicyGraph::build(model, options.package.as_deref()) {
        Ok(graph) => Arc::new(graph),
        Err(message) => {
            let mut result = empty(
                workspace,
                vec![Diagnostic::error("unknown-package", message)],
            );
            result.rules = rule_set;
            return result;
        }
    };
    phases.push(("graph", started.elapsed()));
    let started = Instant::now();
    let selected = select(&rule_set.rules, options);
    let total = selected.len();
    options.progress.tell(Progress::Rules { done: 0, total });
    let report = |done| options.progress.tell(Progress::Rules { done, total });
    let outcome = run::evaluate_with_progress(
        &selected,
        &rule_set.sources,
        &graph,
        &workspace.settings,
        &limits,
        &report,
    );
    options.progress.tell(Progress::Finished);
    phases.push(("rules", started.elapsed()));
    let mut rule_diagnostics = rule_set.diagnostics.clone();
    rule_diagnostics.extend(outcome.diagnostics);
    for pattern in options.select.iter().chain(&options.ignore) {
        if !rule_set
            .rules
            .iter()
            .any(|r| matches(r, std::slice::from_ref(pattern)))
        {
            let ids: Vec<&str> = rule_set.rules.iter().map(|r| r.meta.id.as_str()).collect();
            let categories = Category::ALL.map(|c| c.as_str());
            let hint =
                crate::diagnostic::did_you_mean(pattern, ids.iter().copied().chain(categories))
                    .unwrap_or_else(|| {
                        "select by rule id (`GAP001`), id prefix (`GAP`) or category (`gap`)".into()
                    });
            rule_diagnostics.push(
                Diagnostic::error(
                    "unknown-rule",
                    format!("no rule or category matches `{pattern}`"),
                )
                .hint(hint),
            );
        }
    }
    let mut findings = outcome.findings;
    let ran: std::collections::BTreeSet<String> =
        selected.iter().map(|r| r.meta.id.clone()).collect();
    let known: std::collections::BTreeSet<String> =
        rule_set.rules.iter().map(|r| r.meta.id.clone()).collect();
    let today = options
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let waived = crate::review::apply_waivers(&mut findings, &graph.model, today, &ran, &known);
    let (baselined, findings): (Vec<Finding>, Vec<Finding>) = match &options.baseline {
        Some(baseline) => findings
            .into_iter()
            .partition(|f| baseline.contains(&f.key())),
        None => (Vec::new(), findings),
    };
    CheckResult {
        workspace,
        rules: rule_set,
        graph: Some(graph),
        findings,
        rule_diagnostics,
        waived,
        baselined,
        cut: outcome.cut,
        timings: outcome.timings,
        phases,
    }
}
