//! The standard rule library as compiled into the binary (see `build.rs`), read through
//! the same paths as a folder on disk: `<built-in>/GAP001-….rhai`,
//! `<built-in>/fixtures/GAP001/fire.yaml`. It is used when no library folder is installed,
//! so the binary alone is enough to check a workspace.

use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/standard_rules.rs"));
}

/// The pseudo-folder that names the built-in library.
pub const ROOT: &str = "<built-in>";

/// Whether `path` lies in the built-in library.
pub fn contains(path: &Path) -> bool {
    path.starts_with(ROOT)
}

fn relative(path: &Path) -> Option<String> {
    let rest = path.strip_prefix(ROOT).ok()?;
    let parts: Vec<&str> = rest.iter().filter_map(|p| p.to_str()).collect();
    Some(parts.join("/"))
}

/// The text of a built-in file.
pub fn read(path: &Path) -> Option<&'static str> {
    let wanted = relative(path)?;
    embedded::FILES
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, text)| *text)
}

/// The built-in files directly inside `dir`, sorted.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let Some(prefix) = relative(dir) else {
        return Vec::new();
    };
    let prefix = if prefix.is_empty() {
        prefix
    } else {
        format!("{prefix}/")
    };
    let mut files: Vec<PathBuf> = embedded::FILES
        .iter()
        .filter_map(|(name, _)| name.strip_prefix(prefix.as_str()))
        .filter(|rest| !rest.contains('/'))
        .map(|rest| dir.join(rest))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_library_holds_the_rules_and_their_fixtures() {
        let rules = list(Path::new(ROOT));
        assert!(
            rules
                .iter()
                .any(|p| p.ends_with("GAP001-orphan-objective.rhai")),
            "{rules:?}"
        );
        assert!(
            rules
                .iter()
                .all(|p| p.extension().is_some_and(|e| e == "rhai"))
        );
        let fixtures = list(&Path::new(ROOT).join("fixtures").join("GAP001"));
        assert!(fixtures.iter().any(|p| p.ends_with("fire.yaml")));
        assert!(read(&fixtures[0]).is_some_and(|t| t.contains("workspace")));
        assert!(read(Path::new("rules/GAP001-orphan-objective.rhai")).is_none());
        assert!(contains(&Path::new(ROOT).join("x")) && !contains(Path::new("rules")));
    }
}
