//! Benchmarks of `check` on the reference workspace and on generated workspaces: the whole
//! run and its phases (read and validate, graph build, rules).

use concord::check::{CheckOptions, check};
use concord::generate::{Spec, workspace};
use concord::graph::PolicyGraph;
use concord::load::ReadLimits;
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::{Path, PathBuf};

fn generated(instruments: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for file in workspace(&Spec::new(instruments, 1)) {
        std::fs::write(dir.path().join(file.name), file.text).expect("the file is written");
    }
    dir
}

fn options(path: &Path) -> CheckOptions {
    CheckOptions {
        paths: vec![path.to_path_buf()],
        ..Default::default()
    }
}

fn bench_workspace(c: &mut Criterion, label: &str, path: &Path) {
    let mut group = c.benchmark_group(label);
    group.sample_size(10);
    group.bench_function("read+validate", |b| {
        b.iter(|| concord::workspace::load(&[path.to_path_buf()], &ReadLimits::default()))
    });
    let ws = concord::workspace::load(&[path.to_path_buf()], &ReadLimits::default());
    group.bench_function("graph", |b| {
        b.iter(|| PolicyGraph::build(ws.model.clone(), None))
    });
    group.bench_function("check", |b| b.iter(|| check(&options(path))));
    group.finish();
}

fn benches(c: &mut Criterion) {
    let policies = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    bench_workspace(c, "policies", &policies);
    let ten_thousand = generated(10_000);
    bench_workspace(c, "generated-10k", ten_thousand.path());
}

criterion_group!(check_benches, benches);
criterion_main!(check_benches);
