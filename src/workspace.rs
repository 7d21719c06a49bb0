//! A workspace run end to end up to the checked model: find the files, read and parse
//! them, decode each, merge, and resolve references. Every problem is collected.

use crate::diagnostic::Diagnostic;
use crate::load::{self, ReadLimits, Sources};
use crate::model::decode::{Decode, Decoder};
use crate::model::{Model, Settings, resolve};
use std::path::PathBuf;

/// Everything read for one run, valid or not.
#[derive(Debug, Default)]
pub struct Workspace {
    pub sources: Sources,
    pub model: Model,
    pub settings: Settings,
    /// The entity files read, in order.
    pub files: Vec<String>,
    /// The folder that holds `concord.yaml`, against which its paths are resolved.
    pub root: Option<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads and checks the workspace made of `paths` (files or folders).
pub fn load(paths: &[PathBuf], limits: &ReadLimits) -> Workspace {
    let mut ws = Workspace::default();
    let found = match load::discover(paths) {
        Ok(found) => found,
        Err(errors) => {
            ws.diagnostics = errors.iter().map(|e| e.to_diagnostic()).collect();
            return ws;
        }
    };
    for path in &found.settings {
        ws.root = path.parent().map(|p| p.to_path_buf());
        if let Some(node) = read_node(&mut ws, path, limits) {
            let mut d = Decoder::default();
            if let Some(settings) = Settings::decode(&node, &mut d) {
                ws.settings = settings;
            }
            ws.diagnostics.extend(d.diagnostics);
        }
    }
    let limits = &with_settings(limits, &ws.settings);
    crate::memory::set_ceiling(memory_ceiling(&ws.settings));
    if let Some(error) = too_many(found.documents.len() + ws.sources.files().len()) {
        ws.diagnostics.push(error);
        return ws;
    }
    if let Some(error) = too_large(&found.documents, limits) {
        ws.diagnostics.push(error);
        return ws;
    }
    // Files are read, parsed and decoded in parallel (each parse tree is dropped once its
    // file is decoded), then merged in order, so the result does not depend on timing.
    let first = ws.sources.files().len();
    for path in &found.documents {
        ws.sources.add(path.to_path_buf(), String::new());
    }
    let documents: Vec<Document> = {
        use rayon::prelude::*;
        found
            .documents
            .par_iter()
            .enumerate()
            .map(|(n, path)| read_document(path, file_id(first + n), limits))
            .collect()
    };
    let mut unreadable = 0;
    for (n, document) in documents.into_iter().enumerate() {
        let file = file_id(first + n);
        ws.sources.set_text(file, document.text);
        match document.content {
            Content::Model(model, diagnostics) => {
                ws.model.merge(*model);
                ws.diagnostics.extend(diagnostics);
            }
            Content::Empty => {
                let name = ws.sources.name(file).to_owned();
                ws.diagnostics.push(
                    Diagnostic::warning("empty-file", format!("`{name}` holds no entities"))
                        .path(name)
                        .hint("add entities under a top-level key such as `instruments:`, or delete the file"),
                );
            }
            Content::Failed(diagnostic) => {
                ws.diagnostics.push(*diagnostic);
                unreadable += 1;
            }
        }
        ws.files.push(ws.sources.name(file).to_owned());
    }
    ws.model.shrink_to_fit();
    let entities: usize = ws.model.counts().iter().map(|(_, n)| n).sum();
    if entities > limits.max_entities {
        ws.diagnostics.push(
            Diagnostic::error(
                "too-many-entities",
                format!(
                    "the workspace declares {entities} entities, above the limit of {}",
                    limits.max_entities
                ),
            )
            .hint("check a subset of the workspace, or raise `limits.entities` in `concord.yaml`"),
        );
        sort_diagnostics(&mut ws.diagnostics);
        return ws;
    }
    let mut resolved = resolve::resolve(&ws.model);
    // The entities of a file that could not be read are missing, so every reference to
    // them would be reported too, burying the one real mistake under false ones.
    let before = resolved.len();
    if unreadable > 0 {
        resolved.retain(|d| d.code != "unknown-reference");
    }
    let dropped = before - resolved.len();
    ws.diagnostics.extend(resolved);
    sort_diagnostics(&mut ws.diagnostics);
    if dropped > 0 {
        ws.diagnostics.push(
            Diagnostic::warning(
                "references-unchecked",
                "references were not checked, because a file could not be read",
            )
            .hint("fix the error above and run again"),
        );
    }
    ws
}

/// An error if the workspace has more files than a location can tell apart.
fn too_many(files: usize) -> Option<Diagnostic> {
    (files > load::MAX_FILES).then(|| {
        Diagnostic::error(
            "too-many-files",
            format!(
                "the workspace has {files} files, above the limit of {}",
                load::MAX_FILES
            ),
        )
        .hint("merge small files into larger ones, or check a subset of the workspace")
    })
}

/// A file's index, known to fit once [`too_many`] has passed.
fn file_id(n: usize) -> load::FileId {
    load::FileId::try_from(n).unwrap_or(load::FileId::MAX)
}

/// An error if the workspace's files together pass `limits.workspace_mib`; sizes are
/// read from the file system before any file is.
fn too_large(documents: &[PathBuf], limits: &ReadLimits) -> Option<Diagnostic> {
    let sizes: Vec<(u64, &PathBuf)> = documents
        .iter()
        .map(|p| (std::fs::metadata(p).map_or(0, |m| m.len()), p))
        .collect();
    let total: u64 = sizes.iter().map(|(n, _)| n).sum();
    if total <= limits.max_workspace_bytes {
        return None;
    }
    let largest = sizes.iter().max_by_key(|(n, _)| *n)?;
    Some(
        Diagnostic::error(
            "workspace-too-large",
            format!(
                "the workspace's {} files hold {total} bytes, above the limit of {} MiB",
                documents.len(),
                limits.max_workspace_bytes >> 20
            ),
        )
        .hint(format!(
            "the largest is `{}` ({} bytes); check part of the workspace, or raise `limits.workspace_mib` in `concord.yaml`",
            load::display_path(largest.1),
            largest.0
        )),
    )
}

/// The heap the whole run may hold, as `limits.memory_mib` sets it.
pub fn memory_ceiling(settings: &crate::model::settings::Settings) -> u64 {
    use crate::model::settings::Limits;
    settings
        .limits
        .as_ref()
        .and_then(|l| Limits::get(&l.memory_mib))
        .map_or(crate::memory::DEFAULT_CEILING as u64, |mib| mib << 20)
}

/// The read limits, as `concord.yaml`'s `limits` sets them.
fn with_settings(limits: &ReadLimits, settings: &crate::model::settings::Settings) -> ReadLimits {
    use crate::model::settings::Limits;
    let mut out = limits.clone();
    if let Some(l) = &settings.limits {
        if let Some(mib) = Limits::get(&l.file_mib) {
            out.max_file_bytes = mib << 20;
        }
        if let Some(mib) = Limits::get(&l.workspace_mib) {
            out.max_workspace_bytes = mib << 20;
        }
        if let Some(n) = Limits::get(&l.entities) {
            out.max_entities = n as usize;
        }
        if let Some(kib) = Limits::get(&l.yaml_text_kib) {
            out.max_text_bytes = (kib << 10) as usize;
        }
        if let Some(depth) = Limits::get(&l.yaml_depth) {
            out.max_depth = depth as usize;
        }
        if let Some(nodes) = Limits::get(&l.yaml_nodes) {
            out.max_nodes = nodes as usize;
        }
        if let Some(aliases) = Limits::get(&l.yaml_aliases) {
            out.max_aliases = aliases as usize;
        }
    }
    out
}

/// What reading one workspace file gave.
enum Content {
    Model(Box<Model>, Vec<Diagnostic>),
    Empty,
    Failed(Box<Diagnostic>),
}

struct Document {
    text: load::Held,
    content: Content,
}

/// Reads, parses and decodes one workspace file already registered as `file`.
fn read_document(path: &std::path::Path, file: load::FileId, limits: &ReadLimits) -> Document {
    let _doing = crate::memory::doing(&format!("reading `{}`", path.display()));
    let text = match load::read_text(path, limits) {
        Ok(text) => text,
        Err(e) => {
            return Document {
                text: load::Held::Text(String::new()),
                content: Content::Failed(Box::new(e.to_diagnostic())),
            };
        }
    };
    let content = match load::parse(&text, file, limits) {
        Ok(Some(node)) => {
            let (model, diagnostics) = Model::decode_document(&node, &text);
            Content::Model(Box::new(model), diagnostics)
        }
        Ok(None) => Content::Empty,
        Err(diagnostic) => Content::Failed(diagnostic),
    };
    // The text is let go here, in parallel, rather than after the merge: every file's
    // text would otherwise be held at once beside the model.
    Document {
        text: load::Held::release(text),
        content,
    }
}

/// Reads and parses one file, registering it in the sources whatever happens.
fn read_node(
    ws: &mut Workspace,
    path: &std::path::Path,
    limits: &ReadLimits,
) -> Option<load::Node<'static>> {
    let text = match load::read_text(path, limits) {
        Ok(text) => text,
        Err(e) => {
            ws.sources.add(path.to_path_buf(), String::new());
            ws.diagnostics.push(e.to_diagnostic());
            return None;
        }
    };
    // The file is registered first so the parse can name it; the text moves in afterwards,
    // so a large file is never copied.
    let file = ws.sources.add(path.to_path_buf(), String::new());
    let parsed = load::parse(&text, file, limits).map(|node| node.map(load::Node::into_owned));
    ws.sources.set_text(file, load::Held::Text(text));
    match parsed {
        Ok(Some(node)) => Some(node),
        Ok(None) => {
            let name = ws.sources.name(file).to_owned();
            ws.diagnostics.push(
                Diagnostic::warning("empty-file", format!("`{name}` holds no entities"))
                    .path(name)
                    .hint("add entities under a top-level key such as `instruments:`, or delete the file"),
            );
            None
        }
        Err(diagnostic) => {
            ws.diagnostics.push(*diagnostic);
            None
        }
    }
}

/// Diagnostics in file, line and column order, so output is the same on every run.
fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.loc.map(|l| (l.file, l.line, l.col)), d.path.clone());
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_files_than_a_location_can_name_are_refused_before_reading() {
        assert!(too_many(load::MAX_FILES).is_none());
        let refused = too_many(load::MAX_FILES + 1).expect("one file too many");
        assert_eq!(refused.code, "too-many-files");
        assert!(
            refused.message.contains("65537 files"),
            "{}",
            refused.message
        );
        assert_eq!(file_id(load::MAX_FILES - 1), load::FileId::MAX);
    }
}
