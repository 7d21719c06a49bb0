//! Each phase of `check` at several sizes of generated workspace: reading the files,
//! parsing them with serde-saphyr alone and pulling the events of the parser underneath
//! (the two floors a check is measured against), loading
//! (read, parse, decode, resolve), building the graph, the host's pair questions, each
//! standard rule on its own, every rule together, rendering JSON, and the whole check.
//!
//! Sizes come from `CONCORD_BENCH_SIZES` (instruments, comma-separated; default
//! `1000,10000`), e.g. `CONCORD_BENCH_SIZES=100000 cargo bench --bench phases`.

use concord::check::{CheckOptions, check};
use concord::generate::{Spec, workspace};
use concord::graph::{PairFilter, PolicyGraph};
use concord::load::ReadLimits;
use concord::rules::run::{self, RuleLimits};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn sizes() -> Vec<usize> {
    std::env::var("CONCORD_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

// Memory is counted as in the `concord` binary, so that the rules' memory checks work the
// same way here.
#[global_allocator]
static HEAP: concord::memory::Counting = concord::memory::Counting;

/// Room for everything a benchmark keeps alive at once (the workspace, clones of it, a
/// check's result), which is far more than one run needs.
const BENCH_MEMORY_MIB: u64 = 16 << 10;

fn generated(instruments: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for file in workspace(&Spec::new(instruments, 1)) {
        std::fs::write(dir.path().join(file.name), file.text).expect("the file is written");
    }
    let settings = dir.path().join("concord.yaml");
    let mut text = std::fs::read_to_string(&settings).unwrap_or_default();
    if !text.contains("limits:") {
        text.push_str(&format!("limits:\n  memory_mib: {BENCH_MEMORY_MIB}\n"));
    }
    std::fs::write(settings, text).expect("the settings are written");
    dir
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the folder is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

fn read_all(files: &[PathBuf]) -> Vec<String> {
    files
        .par_iter()
        .map(|p| std::fs::read_to_string(p).expect("the file is readable"))
        .collect()
}

/// Reading and parsing with the YAML reader into nothing: what any tool built on the same
/// reader must spend.
fn parse_only(files: &[PathBuf]) -> usize {
    files
        .par_iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("the file is readable");
            serde_saphyr::from_str::<serde::de::IgnoredAny>(&text).map_or(0, |_| text.len())
        })
        .sum()
}

/// Reading and pulling every event from the YAML parser under serde-saphyr, building
/// nothing: the least any reader of these files can spend.
fn parse_events(files: &[PathBuf]) -> usize {
    files
        .par_iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("the file is readable");
            let mut parser = granit_parser::Parser::new_from_str(&text);
            let mut events = 0;
            while let Some(Ok(_)) = parser.next_event() {
                events += 1;
            }
            events
        })
        .sum()
}

fn phases(c: &mut Criterion, size: usize) {
    let dir = generated(size);
    let files = yaml_files(dir.path());
    let paths = vec![dir.path().to_path_buf()];
    let options = CheckOptions {
        paths: paths.clone(),
        ..Default::default()
    };
    let mut group = c.benchmark_group(format!("{size}-instruments"));
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(3));
    group.bench_function("read", |b| b.iter(|| read_all(&files)));
    group.bench_function("parse", |b| b.iter(|| parse_only(&files)));
    group.bench_function("parse-events", |b| b.iter(|| parse_events(&files)));
    group.bench_function("load", |b| {
        b.iter(|| concord::workspace::load(&paths, &ReadLimits::default()))
    });
    let ws = concord::workspace::load(&paths, &ReadLimits::default());
    group.bench_function("resolve", |b| {
        b.iter(|| concord::model::resolve::resolve(&ws.model))
    });
    group.bench_function("graph", |b| {
        b.iter(|| PolicyGraph::build(ws.model.clone(), None))
    });
    let limits = RuleLimits {
        max_memory_bytes: BENCH_MEMORY_MIB << 20,
        ..RuleLimits::default()
    };
    let folder = concord::rules::standard_folder().expect("the standard library is found");
    let set = concord::rules::load(&[folder], &run::engine(&limits));
    let rules: Vec<&concord::rules::Rule> = set.rules.iter().collect();
    // A fresh graph for each iteration, built outside the timing, so that answers cached
    // by the first rule to ask (the pairs) are paid for every time.
    let fresh = || Arc::new(PolicyGraph::build(ws.model.clone(), None).expect("the graph builds"));
    group.bench_function("rules", |b| {
        b.iter_batched(
            fresh,
            |graph| run::evaluate(&rules, &set.sources, &graph, &ws.settings, &limits),
            BatchSize::PerIteration,
        )
    });
    // The host's pair questions as the standard rules ask them, each on a fresh graph so
    // that nothing is cached between iterations.
    for (name, filter) in pair_questions() {
        group.bench_function(BenchmarkId::new("pairs", name), |b| {
            b.iter_batched(
                fresh,
                |graph| graph.pairs_where(1, &filter).len(),
                BatchSize::PerIteration,
            )
        });
    }
    for rule in &rules {
        group.bench_with_input(BenchmarkId::new("rule", &rule.meta.id), rule, |b, rule| {
            b.iter_batched(
                fresh,
                |graph| run::evaluate(&[rule], &set.sources, &graph, &ws.settings, &limits),
                BatchSize::PerIteration,
            )
        });
    }
    let result = check(&options);
    assert!(
        result.rule_diagnostics.is_empty() && !result.workspace.has_errors(),
        "the check must run every rule to its end: {:?}",
        result.rule_diagnostics.first().map(|d| &d.message)
    );
    group.bench_function("render-json", |b| {
        b.iter(|| concord::render::findings::json(&result, None))
    });
    group.bench_function("check", |b| b.iter(|| check(&options)));
    group.finish();
}

/// The filtered pair questions of OVL001, OVL003, CON007 and CRD001.
fn pair_questions() -> [(&'static str, PairFilter); 4] {
    let similar = Some(0.9);
    [
        (
            "unlinked-similar",
            PairFilter {
                min_cosine: similar,
                unlinked: true,
                ..Default::default()
            },
        ),
        (
            "connected-similar",
            PairFilter {
                min_cosine: similar,
                connected: true,
                ..Default::default()
            },
        ),
        (
            "opposed",
            PairFilter {
                opposed: true,
                ..Default::default()
            },
        ),
        (
            "unjoined",
            PairFilter {
                unjoined: true,
                ..Default::default()
            },
        ),
    ]
}

fn benches(c: &mut Criterion) {
    for size in sizes() {
        phases(c, size);
    }
}

criterion_group!(phase_benches, benches);
criterion_main!(phase_benches);
