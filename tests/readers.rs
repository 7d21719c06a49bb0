//! The loader reads plain YAML straight from the parser's events and everything else through
//! serde-saphyr. Both must give the same tree, or the same error, for every file: here for
//! every YAML file the project ships (the reference workspace, the format example, rule
//! fixtures, hostile and fuzz fixtures) and for a generated workspace; `tests/fuzz.rs`
//! checks the same on generated text.

use concord::load::{self, ReadLimits};
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a readable folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

fn assert_agree(name: &str, text: &str) {
    // The reference reader recurses, and some fixtures nest to the depth limit: a debug
    // build needs more stack for them than a test thread has.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(scope, || {
                let limits = ReadLimits::default();
                assert_eq!(
                    load::parse(text, 7, &limits),
                    load::parse_by_reference(text, 7, &limits),
                    "the two readers differ on {name}"
                );
            })
            .expect("a thread starts")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    });
}

#[test]
fn every_shipped_yaml_file_reads_the_same_on_both_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["policies", "rules", "tests/fixtures"] {
        yaml_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "only {} YAML files found", files.len());
    for path in &files {
        // A few fuzz fixtures are not UTF-8 on purpose: the loader refuses them earlier.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        assert_agree(&path.display().to_string(), &text);
    }
}

#[test]
fn a_generated_workspace_reads_the_same_on_both_paths() {
    let files = concord::generate::workspace(&concord::generate::Spec::new(2_000, 7));
    assert!(files.len() >= 3);
    for file in &files {
        assert_agree(&file.name, &file.text);
    }
}

#[test]
fn errors_are_the_reference_readers_own() {
    let limits = ReadLimits::default();
    for text in [
        "a: [1, 2\n",
        "a: 1\na: 2\n",
        "a: &x [*x]\n",
        "a:\n  - b\n c: d\n",
    ] {
        let fast = load::parse(text, 0, &limits);
        assert!(fast.is_err(), "{text:?} was read");
        assert_eq!(fast, load::parse_by_reference(text, 0, &limits), "{text:?}");
    }
}
