//! Compiles the standard rule library (`rules/*.rhai` and their fixtures) into the binary,
//! so that `concord` copied alone to another machine still has its rules. The list of
//! files is discovered here, never kept by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rhai" || e == "yaml" || e == "yml")
        {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    walk(&rules, &mut files);
    files.sort();
    let mut code =
        String::from("/// Files of the standard library: path below `rules/`, and text.\n");
    code.push_str("pub static FILES: &[(&str, &str)] = &[\n");
    for file in files {
        let relative = file.strip_prefix(&rules).expect("below rules/");
        let name: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let _ = writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            name.join("/"),
            file.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("standard_rules.rs"), code).expect("OUT_DIR is writable");
}
