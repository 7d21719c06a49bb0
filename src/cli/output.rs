//! Writing results to files: atomically, and never over one of the files that were read.

use concord::check::CheckResult;
use std::path::{Path, PathBuf};

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so a
/// crash or a full disk never leaves half a report in place of the old one.
pub fn write_atomically(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let shown = path.display();
    let mut file = tempfile::NamedTempFile::new_in(&folder)
        .map_err(|e| format!("cannot write `{shown}`: {}", e.to_string().to_lowercase()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The temporary file is private; a report is as readable as any file the user writes.
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        let _ = file
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode));
    }
    file.write_all(text.as_bytes())
        .and_then(|_| file.as_file().sync_all())
        .map_err(|e| format!("cannot write `{shown}`: {}", e.to_string().to_lowercase()))?;
    file.persist(path).map_err(|e| {
        format!(
            "cannot write `{shown}`: {}",
            e.error.to_string().to_lowercase()
        )
    })?;
    Ok(())
}

/// Refuses to write over one of the files the check read.
pub fn overwrites_input(path: &std::path::Path, result: &CheckResult) -> bool {
    let Ok(target) = path.canonicalize() else {
        return false;
    };
    let inputs = result
        .workspace
        .sources
        .files()
        .iter()
        .chain(result.rules.sources.files());
    inputs
        .into_iter()
        .any(|f| f.path.canonicalize().is_ok_and(|p| p == target))
}

/// Whether two paths name the same file, which need not exist (a report not yet written).
pub fn same_file(path: &Path, other: Option<&Path>) -> bool {
    let Some(other) = other else { return false };
    let folder = |p: &Path| {
        let parent = p.parent().filter(|p| !p.as_os_str().is_empty());
        parent.unwrap_or(Path::new(".")).canonicalize().ok()
    };
    path.file_name() == other.file_name() && folder(path) == folder(other)
}
