//! Rule fixtures: small workspaces that must make a rule fire (naming the expected
//! subjects) or keep it quiet. They live in `<rule folder>/fixtures/<ID>/fire*.yaml` and
//! `quiet*.yaml`, so adding a rule touches only its file and its fixtures.

use super::run::{self, RuleLimits};
use super::{Rule, RuleSet};
use crate::decode_fields;
use crate::diagnostic::Diagnostic;
use crate::graph::PolicyGraph;
use crate::load::{self, Node, ReadLimits, Sources};
use crate::model::decode::{Decode, Decoder, Fields, Located};
use crate::model::settings::{Params, RuleOverride, Settings};
use crate::model::{Model, resolve};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether a fixture must make its rule fire or keep it quiet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Fire,
    Quiet,
}

/// The head of a fixture file.
struct Head {
    expect: Vec<Vec<Located<String>>>,
    package: Option<Located<String>>,
    params: Params,
    workspace: Node<'static>,
}

impl Decode for Head {
    fn expected() -> String {
        "a fixture (`expect`, `package`, `params`, `workspace`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "the fixture", d)?;
        decode_fields!(
            Head,
            f,
            d {
                expect: list,
                package: opt,
                params: dflt,
                workspace: req
            }
        )
    }
}

/// The outcome of one fixture.
#[derive(Clone, Debug)]
pub struct FixtureResult {
    pub rule: String,
    pub file: String,
    pub kind: Kind,
    /// Expected findings (sorted subject lists) that did not appear.
    pub missing: Vec<String>,
    /// Findings that appeared but were not expected.
    pub unexpected: Vec<String>,
    /// Why the fixture could not be run at all.
    pub error: Option<String>,
    /// How long reading the fixture and running the rule on it took.
    pub took: std::time::Duration,
}

impl FixtureResult {
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.error.is_none()
    }
}

/// Everything `rules test` found.
#[derive(Default)]
pub struct TestReport {
    pub results: Vec<FixtureResult>,
    /// Rules without a fire or a quiet fixture.
    pub incomplete: Vec<(String, &'static str)>,
    /// Rule files that did not load, with the sources to render them.
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
    pub rules: usize,
    /// How long reading and compiling the rules took.
    pub load: std::time::Duration,
}

impl TestReport {
    pub fn passed(&self) -> bool {
        self.diagnostics.is_empty()
            && self.incomplete.is_empty()
            && self.results.iter().all(FixtureResult::passed)
    }
}

fn subjects_key(ids: &[String]) -> String {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    format!("[{}]", ids.join(", "))
}

/// The fire and quiet fixtures of rule `id` in a rule folder (on disk or built in).
pub fn fixture_files(folder: &Path, id: &str) -> Vec<(PathBuf, Kind)> {
    let dir = folder.join("fixtures").join(id);
    let paths: Vec<PathBuf> = if super::library::contains(&dir) {
        super::library::list(&dir)
    } else {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        entries.filter_map(|e| e.ok().map(|e| e.path())).collect()
    };
    let mut files: Vec<(PathBuf, Kind)> = paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            let kind = if name.starts_with("fire") {
                Kind::Fire
            } else if name.starts_with("quiet") {
                Kind::Quiet
            } else {
                return None;
            };
            Some((p, kind))
        })
        .collect();
    files.sort();
    files
}

/// The text of a fixture, on disk or built in.
pub fn read_fixture(path: &Path) -> Result<String, String> {
    match super::library::read(path) {
        Some(text) => Ok(text.to_owned()),
        None => load::read_text(path, &ReadLimits::default()).map_err(|e| e.to_string()),
    }
}

/// Runs one fixture against its rule.
fn run_fixture(rule: &Rule, sources: &Sources, path: &Path, kind: Kind) -> FixtureResult {
    let shown = path.to_string_lossy().replace('\\', "/");
    let mut result = FixtureResult {
        rule: rule.meta.id.clone(),
        file: shown,
        kind,
        missing: Vec::new(),
        unexpected: Vec::new(),
        error: None,
        took: std::time::Duration::ZERO,
    };
    let fail = |mut r: FixtureResult, e: String| {
        r.error = Some(e);
        r
    };
    let limits = ReadLimits::default();
    let text = match read_fixture(path) {
        Ok(text) => text,
        Err(e) => return fail(result, e.to_string()),
    };
    let node = match load::parse(&text, 0, &limits) {
        Ok(Some(node)) => node,
        Ok(None) => return fail(result, "the fixture is empty".into()),
        Err(d) => {
            return fail(
                result,
                format!(
                    "{}:{}: {}",
                    d.loc.map_or(0, |l| l.line),
                    d.loc.map_or(0, |l| l.col),
                    d.message
                ),
            );
        }
    };
    let mut d = Decoder::of(&text);
    let head = Head::decode(&node, &mut d);
    let (model, diagnostics) = match &head {
        Some(head) => {
            let (model, mut diagnostics) = Model::decode_document(&head.workspace, &text);
            diagnostics.extend(resolve::resolve(&model));
            (model, diagnostics)
        }
        None => (Model::default(), Vec::new()),
    };
    if let Some(first) = d
        .diagnostics
        .iter()
        .chain(&diagnostics)
        .find(|x| x.is_error())
    {
        let at = first
            .loc
            .map_or(String::new(), |l| format!("{}:{}: ", l.line, l.col));
        return fail(
            result,
            format!(
                "the fixture is not a valid workspace: {at}{}",
                first.message
            ),
        );
    }
    let Some(head) = head else {
        return fail(result, "the fixture has no `workspace`".into());
    };
    let graph = match PolicyGraph::build(model, head.package.as_ref().map(|p| p.value.as_str())) {
        Ok(graph) => Arc::new(graph),
        Err(e) => return fail(result, e),
    };
    let mut settings = Settings::default();
    settings.rules.0.insert(
        rule.meta.id.clone(),
        RuleOverride {
            params: head.params,
            ..Default::default()
        },
    );
    let outcome = run::evaluate(&[rule], sources, &graph, &settings, &RuleLimits::default());
    if let Some(error) = outcome.diagnostics.first() {
        let at = error
            .loc
            .map_or(String::new(), |l| format!(" at {}:{}", l.line, l.col));
        return fail(result, format!("the rule failed{at}: {}", error.message));
    }
    let found: BTreeSet<String> = outcome
        .findings
        .iter()
        .map(|f| {
            subjects_key(
                &f.subjects
                    .iter()
                    .map(|s| s.id.to_string())
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let expected: BTreeSet<String> = match kind {
        Kind::Quiet => BTreeSet::new(),
        Kind::Fire => head
            .expect
            .iter()
            .map(|ids| subjects_key(&ids.iter().map(|i| i.value.clone()).collect::<Vec<_>>()))
            .collect(),
    };
    if kind == Kind::Fire && expected.is_empty() {
        return fail(
            result,
            "a fire fixture must name its expected findings under `expect`".into(),
        );
    }
    result.missing = expected.difference(&found).cloned().collect();
    result.unexpected = found.difference(&expected).cloned().collect();
    result
}

/// Runs every fixture of every rule in `folders`.
pub fn test(folders: &[PathBuf], select: &[String]) -> TestReport {
    let started = std::time::Instant::now();
    let engine = run::engine(&RuleLimits::default());
    let set: RuleSet = super::load(folders, &engine);
    let mut report = TestReport {
        diagnostics: set.diagnostics,
        load: started.elapsed(),
        ..Default::default()
    };
    for rule in &set.rules {
        if !select.is_empty() && !crate::check::matches(rule, select) {
            continue;
        }
        report.rules += 1;
        let folder = rule.meta.path.parent().unwrap_or(Path::new("."));
        let files = fixture_files(folder, &rule.meta.id);
        for (kind, word) in [(Kind::Fire, "fire"), (Kind::Quiet, "quiet")] {
            if !files.iter().any(|(_, k)| *k == kind) {
                report.incomplete.push((rule.meta.id.clone(), word));
            }
        }
        for (path, kind) in files {
            let started = std::time::Instant::now();
            let mut result = run_fixture(rule, &set.sources, &path, kind);
            result.took = started.elapsed();
            report.results.push(result);
        }
    }
    report.sources = set.sources;
    report
}
