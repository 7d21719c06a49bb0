//! Writing results to files: atomically, and never over one of the files that were read.

use concord::check::CheckResult;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so a
/// crash or a full disk never leaves half a report in place of the old one.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let written = write_atomically_with(path, |out| {
        out.write_all(text.as_bytes())
            .map_err(Unwritten::<std::convert::Infallible>::Io)
    });
    written.map_err(|e| match e {
        Unwritten::Io(e) => cannot_write(path, &e),
        Unwritten::Content(never) => match never {},
    })
}

/// Why a file written by [`write_atomically_with`] was not written.
pub enum Unwritten<E> {
    /// Writing failed; the file, if there was one, is left as it was.
    Io(std::io::Error),
    /// The content could not be made; the file is left as it was.
    Content(E),
}

/// Writes what `fill` writes to `path`, through a buffer, a temporary file in the same
/// folder and a rename, as [`write_atomically`] does: content too large to hold whole is
/// written as it is made.
pub fn write_atomically_with<E>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), Unwritten<E>>,
) -> Result<(), Unwritten<E>> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = tempfile::NamedTempFile::new_in(&folder).map_err(Unwritten::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The temporary file is private; a report is as readable as any file the user writes.
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        let _ = file
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode));
    }
    let mut out = std::io::BufWriter::new(file);
    fill(&mut out)?;
    let file = out
        .into_inner()
        .map_err(|e| Unwritten::Io(e.into_error()))?;
    file.as_file().sync_all().map_err(Unwritten::Io)?;
    file.persist(path).map_err(|e| Unwritten::Io(e.error))?;
    Ok(())
}

/// Stdout, buffered, for [`stream_to_stdout`].
pub type Stdout = std::io::BufWriter<std::io::StdoutLock<'static>>;

/// Writes to stdout as `write` builds its output: a national workspace's report is tens of
/// megabytes, and held whole it would add to the run's peak. A closed pipe is not an error.
pub fn stream_to_stdout(write: impl FnOnce(&mut Stdout) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = write(&mut out).and_then(|()| out.flush());
}

/// Writes what `fill` writes to stdout once all of it is made, so that a failure part-way
/// leaves stdout empty, as it leaves a file untouched. A closed pipe is not an error.
pub fn write_stdout_whole<E>(
    fill: impl FnOnce(&mut dyn Write) -> Result<(), Unwritten<E>>,
) -> Result<(), Unwritten<E>> {
    let mut made = spooled(fill, SPOOLED_IN_MEMORY)?;
    let mut stdout = std::io::stdout().lock();
    match std::io::copy(&mut made, &mut stdout).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Unwritten::Io(e)),
        _ => Ok(()),
    }
}

/// What `fill` writes, held in memory up to `in_memory` bytes and in an unnamed temporary
/// file beyond, ready to be read from its start.
fn spooled<E>(
    fill: impl FnOnce(&mut dyn Write) -> Result<(), Unwritten<E>>,
    in_memory: usize,
) -> Result<tempfile::SpooledTempFile, Unwritten<E>> {
    use std::io::{Seek, SeekFrom};
    let mut spool = tempfile::spooled_tempfile(in_memory);
    let mut out = std::io::BufWriter::new(&mut spool);
    fill(&mut out)?;
    out.flush().map_err(Unwritten::Io)?;
    drop(out);
    spool.seek(SeekFrom::Start(0)).map_err(Unwritten::Io)?;
    Ok(spool)
}

/// How much of a result bound for stdout is held in memory before it moves to a file.
const SPOOLED_IN_MEMORY: usize = 8 << 20;

/// The message for a file that could not be written.
pub fn cannot_write(path: &Path, e: &std::io::Error) -> String {
    format!(
        "cannot write `{}`: {}",
        path.display(),
        e.to_string().to_lowercase()
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_result_larger_than_the_memory_spool_moves_to_a_file_whole() {
        let line = "a line of a long report\n".repeat(1000);
        let mut made = spooled(
            |out| {
                (0..100)
                    .try_for_each(|_| out.write_all(line.as_bytes()))
                    .map_err(Unwritten::<()>::Io)
            },
            1 << 10,
        )
        .ok()
        .expect("the spool is written");
        assert!(made.is_rolled(), "the content stayed in memory");
        let mut back = String::new();
        made.read_to_string(&mut back).unwrap();
        assert_eq!(back.len(), line.len() * 100);
        assert_eq!(back, line.repeat(100));
    }

    #[test]
    fn content_that_fails_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        std::fs::write(&path, "the old report").unwrap();
        let written = write_atomically_with(&path, |out| {
            out.write_all(b"half a new report").map_err(Unwritten::Io)?;
            Err(Unwritten::Content("the template failed"))
        });
        assert!(matches!(
            written,
            Err(Unwritten::Content("the template failed"))
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "the old report");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "a temporary file was left behind");
    }
}
