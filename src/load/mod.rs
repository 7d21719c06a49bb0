//! Reading a workspace from disk: finding its YAML files, reading them within bounds, and
//! parsing each into a located tree. Nothing here knows what the keys mean.

mod events;
mod yaml;

pub use yaml::{Loc, Node, Value, loc_len};

/// A file's index in its [`Sources`], as a [`Loc`] keeps it.
pub type FileId = u16;

/// Most files one [`Sources`] can tell apart: a workspace or rule folder with more is
/// refused before any is read.
pub const MAX_FILES: usize = FileId::MAX as usize + 1;

use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use thiserror::Error;

/// The file name that holds workspace settings rather than entities.
pub const SETTINGS_FILE: &str = "concord.yaml";

/// Bounds that keep a hostile file from exhausting the machine.
#[derive(Clone, Debug)]
pub struct ReadLimits {
    /// Largest single file read, in bytes.
    pub max_file_bytes: u64,
    /// All files of the workspace together, in bytes.
    pub max_workspace_bytes: u64,
    /// Most entities of all kinds.
    pub max_entities: usize,
    /// Longest string or key in a file, in bytes.
    pub max_text_bytes: usize,
    /// Deepest nesting of YAML collections.
    pub max_depth: usize,
    /// Most YAML nodes in one file.
    pub max_nodes: usize,
    /// Most alias (`*name`) uses in one file.
    pub max_aliases: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_bytes: 256 * 1024 * 1024,
            max_workspace_bytes: 1 << 30,
            max_entities: 5_000_000,
            max_text_bytes: 1 << 20,
            max_depth: 64,
            max_nodes: 50_000_000,
            max_aliases: 10_000,
        }
    }
}

/// One file read from disk. Settings, rule and template files keep their text; a
/// workspace file lets go of its text once it is decoded, since at national scale the
/// text is a large share of the memory, and reads it again only if an error or finding
/// quotes it. A file changed on disk since it was read is not quoted.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as the user should see it.
    pub name: String,
    text: OnceLock<String>,
    /// Length and hash of a text let go, to know the same text when it is read again.
    released: Option<(usize, u64)>,
    /// Where each line starts, in bytes, built when a snippet first needs it.
    lines: OnceLock<Vec<u32>>,
}

impl SourceFile {
    /// The file's text; empty if it was let go and is no longer on disk as it was.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| self.read_again())
    }

    /// The byte offset of `line` and `col` (1-based, `col` in characters) in the text, as
    /// the parser counts them: CR, LF and CRLF each end a line, and a byte-order mark
    /// takes no column. `None` past the end of the text.
    pub fn offset_of(&self, line: u32, col: u32) -> Option<usize> {
        let lines = self.lines.get_or_init(|| line_starts(self.text()));
        offset_in(self.text(), lines, line, col)
    }

    /// The byte offset where `line` (1-based) starts; `None` past the last line.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        let lines = self.lines.get_or_init(|| line_starts(self.text()));
        let start = *lines.get((line as usize).checked_sub(1)?)?;
        Some(start as usize)
    }

    fn read_again(&self) -> String {
        let Some((len, hash)) = self.released else {
            return String::new();
        };
        // A file grown since is not read at all: it may have grown without bound.
        let same_size = std::fs::metadata(&self.path).is_ok_and(|m| m.len() == len as u64);
        if !same_size {
            return String::new();
        }
        match std::fs::read_to_string(&self.path) {
            Ok(text) if text.len() == len && fingerprint(&text) == hash => text,
            _ => String::new(),
        }
    }
}

/// The byte offset of `line` and `col` (1-based, `col` in characters) in `text`, whose
/// lines start at `lines` (from [`line_starts`]), counted as the parser counts them.
pub fn offset_in(text: &str, lines: &[u32], line: u32, col: u32) -> Option<usize> {
    let start = *lines.get((line as usize).checked_sub(1)?)? as usize;
    let mut offset = start;
    let mut left = col.saturating_sub(1);
    for c in text.get(start..)?.chars() {
        if left == 0 || c == '\n' || c == '\r' {
            break;
        }
        if c != '\u{feff}' {
            left -= 1;
        }
        offset += c.len_utf8();
    }
    Some(offset)
}

/// The byte offset where each line of `text` starts, the first at 0: CR, LF and CRLF each
/// end a line.
pub fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if ends_line {
            starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    starts
}

fn fingerprint(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    text.hash(&mut hasher);
    hasher.finish()
}

/// A file's text, or what is left of it once let go.
#[derive(Debug)]
pub enum Held {
    Text(String),
    Released { len: usize, hash: u64 },
}

impl Held {
    /// Lets go of `text`, keeping what recognises it when it is read again.
    pub fn release(text: String) -> Held {
        Held::Released {
            len: text.len(),
            hash: fingerprint(&text),
        }
    }
}

/// Every file read in this run; a [`Loc`] points into it by index.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Registers a file. Callers refuse more than [`MAX_FILES`] files first; past that the
    /// index would stop at the last one.
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        let name = display_path(&path);
        self.files.push(SourceFile {
            path,
            name,
            text: OnceLock::from(text),
            released: None,
            lines: OnceLock::new(),
        });
        FileId::try_from(self.files.len() - 1).unwrap_or(FileId::MAX)
    }

    pub fn set_text(&mut self, file: FileId, held: Held) {
        if let Some(f) = self.files.get_mut(file as usize) {
            f.lines = OnceLock::new();
            match held {
                Held::Text(text) => {
                    f.text = OnceLock::from(text);
                    f.released = None;
                }
                Held::Released { len, hash } => {
                    f.text = OnceLock::new();
                    f.released = Some((len, hash));
                }
            }
        }
    }

    pub fn get(&self, file: FileId) -> Option<&SourceFile> {
        self.files.get(file as usize)
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn name(&self, file: FileId) -> &str {
        self.get(file).map_or("<unknown>", |f| f.name.as_str())
    }
}

/// Paths print relative (to the current folder, where they lie below it) and with forward
/// slashes, so output is the same on every machine.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path);
    let shown = shown.strip_prefix("./").unwrap_or(shown);
    if shown.as_os_str().is_empty() {
        return ".".into();
    }
    shown.to_string_lossy().replace('\\', "/")
}

/// What can go wrong before a file's YAML is even parsed.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("cannot read `{path}`: {reason}")]
    Io { path: String, reason: String },
    #[error("path `{path}` does not exist")]
    Missing { path: String },
    #[error("no YAML files (`*.yaml`, `*.yml`) found in `{path}`")]
    NoYaml { path: String },
    #[error("`{path}` is not a YAML file")]
    NotYaml { path: String },
    #[error("`{path}` is {size} bytes, above the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("`{path}` is not valid UTF-8 (byte {offset} is the first bad one)")]
    NotUtf8 { path: String, offset: usize },
}

impl ReadError {
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Io { .. } => "io",
            ReadError::Missing { .. } => "missing-path",
            ReadError::NoYaml { .. } => "no-yaml",
            ReadError::NotYaml { .. } => "not-yaml",
            ReadError::TooLarge { .. } => "file-too-large",
            ReadError::NotUtf8 { .. } => "invalid-utf8",
        }
    }

    fn hint(&self) -> Option<&'static str> {
        match self {
            ReadError::NoYaml { .. } => {
                Some("point concord at a folder that holds the workspace's `.yaml` files")
            }
            ReadError::NotYaml { .. } => Some("workspace files end in `.yaml` or `.yml`"),
            ReadError::TooLarge { .. } => Some(
                "split the workspace into several files, or raise `limits.file_mib` in `concord.yaml`",
            ),
            ReadError::NotUtf8 { .. } => Some("save the file as UTF-8"),
            _ => None,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let path = match self {
            ReadError::Io { path, .. }
            | ReadError::Missing { path }
            | ReadError::NoYaml { path }
            | ReadError::NotYaml { path }
            | ReadError::TooLarge { path, .. }
            | ReadError::NotUtf8 { path, .. } => path.clone(),
        };
        let diagnostic = Diagnostic::error(self.code(), self.to_string()).path(path);
        match self.hint() {
            Some(hint) => diagnostic.hint(hint),
            None => diagnostic,
        }
    }
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

/// The workspace files named by `paths`: files as given, folders searched recursively in
/// sorted order, skipping hidden folders and rule folders (a folder holding `*.rhai`
/// files, whose YAML files are rule fixtures, not workspace data). Settings files are
/// returned apart.
#[derive(Debug, Default)]
pub struct Discovered {
    pub documents: Vec<PathBuf>,
    pub settings: Vec<PathBuf>,
}

pub fn discover(paths: &[PathBuf]) -> Result<Discovered, Vec<ReadError>> {
    let mut found = Discovered::default();
    let mut errors = Vec::new();
    for path in paths {
        let shown = display_path(path);
        if path.is_dir() {
            let before = found.documents.len() + found.settings.len();
            if let Some(settings) = Some(path.join(SETTINGS_FILE)).filter(|p| p.is_file()) {
                found.settings.push(settings);
            }
            if let Err(e) = walk(path, true, &mut found.documents) {
                errors.push(e);
            } else if found.documents.len() + found.settings.len() == before {
                errors.push(ReadError::NoYaml { path: shown });
            }
        } else if path.is_file() {
            if !is_yaml(path) {
                errors.push(ReadError::NotYaml { path: shown });
            } else if path.file_name().is_some_and(|n| n == SETTINGS_FILE) {
                found.settings.push(path.clone());
            } else {
                found.documents.push(path.clone());
            }
        } else {
            errors.push(ReadError::Missing { path: shown });
        }
    }
    if errors.is_empty() {
        found.documents.dedup();
        Ok(found)
    } else {
        Err(errors)
    }
}

/// Whether a folder holds rule scripts, and so rule fixtures rather than workspace files.
fn is_rule_folder(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "rhai"))
    })
}

fn walk(dir: &Path, root: bool, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let io = |e: std::io::Error| ReadError::Io {
        path: display_path(dir),
        reason: e.to_string(),
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if entry.is_dir() {
            if !is_rule_folder(&entry) {
                walk(&entry, false, out)?;
            }
        } else if is_yaml(&entry)
            && !(root && entry.file_name().is_some_and(|n| n == SETTINGS_FILE))
        {
            out.push(entry);
        }
    }
    Ok(())
}

/// Reads a file as UTF-8 text within the size limit.
pub fn read_text(path: &Path, limits: &ReadLimits) -> Result<String, ReadError> {
    let shown = display_path(path);
    let io = |e: std::io::Error| ReadError::Io {
        path: shown.clone(),
        reason: e.to_string().to_lowercase(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes {
        return Err(ReadError::TooLarge {
            path: shown,
            size,
            limit: limits.max_file_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        path: shown,
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Parses one file's text into a located tree. `None` for a file with no content. Plain
/// YAML is read straight from the parser's events; anything else, and every error, goes
/// through serde-saphyr ([`parse_by_reference`]), with the same result.
pub fn parse<'a>(
    text: &'a str,
    file: FileId,
    limits: &ReadLimits,
) -> Result<Option<Node<'a>>, Box<Diagnostic>> {
    if text.trim().is_empty() || only_comments(text) {
        return Ok(None);
    }
    match events::build(text, file, limits) {
        Some(node) => checked_text(node, limits).map(Some),
        None => parse_by_reference(text, file, limits),
    }
}

/// Parses through serde-saphyr alone: the reference that [`parse`] must agree with on
/// every input.
pub fn parse_by_reference<'a>(
    text: &'a str,
    file: FileId,
    limits: &ReadLimits,
) -> Result<Option<Node<'a>>, Box<Diagnostic>> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_events = limits.max_nodes.saturating_mul(2);
    budget.max_aliases = limits.max_aliases;
    budget.max_total_scalar_bytes = limits.max_file_bytes as usize;
    budget.max_reader_input_bytes = Some(limits.max_file_bytes as usize);
    let options = serde_saphyr::options! {
        budget: Some(budget),
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    if text.trim().is_empty() || only_comments(text) {
        return Ok(None);
    }
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(mut node) => {
            set_file(&mut node, file);
            checked_text(node, limits).map(Some)
        }
        Err(e) => Err(Box::new(syntax_diagnostic(&e, file, limits))),
    }
}

/// The tree, or an error at its first string or key longer than the limit.
fn checked_text<'a>(node: Node<'a>, limits: &ReadLimits) -> Result<Node<'a>, Box<Diagnostic>> {
    match longest_text_over(&node, limits.max_text_bytes) {
        Some((loc, len)) => Err(Box::new(text_too_long(loc, len, limits))),
        None => Ok(node),
    }
}

fn only_comments(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "---" || l == "...")
}

fn set_file(node: &mut Node, file: FileId) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        node.loc.file = file;
        match &mut node.value {
            Value::Seq(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    stack.push(k);
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
}

/// The first string or key longer than `max` bytes, with its length.
fn longest_text_over(node: &Node, max: usize) -> Option<(Loc, usize)> {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Str(s) if s.len() > max => return Some((node.loc, s.len())),
            Value::Seq(items) => stack.extend(items.iter().rev()),
            Value::Map(entries) => {
                for (k, v) in entries.iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            _ => {}
        }
    }
    None
}

fn text_too_long(loc: Loc, len: usize, limits: &ReadLimits) -> Diagnostic {
    let mut at = loc;
    at.len = at.len.min(1);
    Diagnostic::error(
        "text-too-long",
        format!(
            "this text is {len} bytes long, above the limit of {} KiB",
            limits.max_text_bytes >> 10
        ),
    )
    .at(at)
    .label("too long")
    .hint("keep long documents outside the workspace and link to them, or raise `limits.yaml_text_kib` in `concord.yaml`")
}

fn syntax_diagnostic(error: &serde_saphyr::Error, file: FileId, limits: &ReadLimits) -> Diagnostic {
    use serde_saphyr::MessageFormatter;
    let inner = error.without_snippet();
    let raw = serde_saphyr::UserMessageFormatter.format_message(inner);
    let cleaned = clean_parser_message(&raw);
    let (code, hint) = classify_parser_message(&cleaned);
    let message = if code == "too-deep" {
        format!(
            "nesting goes deeper than the limit of {} levels",
            limits.max_depth
        )
    } else {
        describe_breach(&cleaned).unwrap_or(cleaned)
    };
    let loc = inner
        .location()
        .map(|l| loc_at(file, l.line() as u32, l.column() as u32))
        .unwrap_or_else(|| loc_at(file, 1, 1));
    Diagnostic::error(code, message).at(loc).maybe_hint(hint)
}

/// Parser messages arrive capitalised, sometimes with a position prefix and a full stop;
/// the house style is lowercase and bare.
fn clean_parser_message(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or("invalid YAML").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let without_position = match first.find(": ") {
        Some(i) if first[..i].starts_with("line ") => &first[i + 2..],
        _ => first,
    };
    let trimmed = without_position.trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(c) if !trimmed.starts_with("YAML") => c.to_lowercase().chain(chars).collect(),
        _ => trimmed.to_owned(),
    }
}

/// Budget breaches arrive as `… breached: Name { field: 123 }`; say which limit in words.
fn describe_breach(message: &str) -> Option<String> {
    let (_, detail) = message.split_once("breached: ")?;
    let inside = detail.split_once('{')?.1.trim_end_matches('}').trim();
    let (field, value) = inside.split_once(':')?;
    Some(format!(
        "the file goes past the reader's limit on `{}` (reached {})",
        field.trim(),
        value.trim().split(',').next().unwrap_or("").trim()
    ))
}

fn classify_parser_message(message: &str) -> (&'static str, Option<String>) {
    if message.contains("recursion limit") || message.contains("depth") {
        (
            "too-deep",
            Some("a workspace file never needs deep nesting; flatten the structure, or raise `limits.yaml_depth` in `concord.yaml`".into()),
        )
    } else if message.contains("breached") || message.contains("alias") {
        let setting = if message.contains("nodes") || message.contains("events") {
            "`limits.yaml_nodes` in `concord.yaml` sets the node budget"
        } else {
            "`limits.yaml_aliases` in `concord.yaml` sets the alias budget"
        };
        (
            "yaml-limit",
            Some(format!(
                "the file expands far beyond its size (an alias bomb?) or is too large; remove repeated aliases or split the file ({setting})"
            )),
        )
    } else if message.contains("duplicate") {
        (
            "duplicate-key",
            Some("each key may appear once in a mapping".into()),
        )
    } else {
        (
            "yaml-syntax",
            Some("check the indentation, colons and brackets near this point".into()),
        )
    }
}

/// A location for a line and column, one byte long.
pub fn loc_at(file: FileId, line: u32, col: u32) -> Loc {
    Loc {
        file,
        line: line.max(1),
        col: col.max(1),
        len: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node<'_> {
        parse(text, 0, &ReadLimits::default()).unwrap().unwrap()
    }

    #[test]
    fn a_released_text_is_read_again_only_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        let text = "agencies:\n  - id: MOF\n".to_owned();
        std::fs::write(&path, &text).unwrap();
        let mut sources = Sources::default();
        let same = sources.add(path.clone(), String::new());
        sources.set_text(same, Held::release(text.clone()));
        let edited = sources.add(path.clone(), String::new());
        sources.set_text(edited, Held::release(text.clone()));
        let kept = sources.add(path.clone(), "kept: true\n".to_owned());
        assert_eq!(sources.get(same).unwrap().text(), text);
        std::fs::write(&path, "agencies:\n  - id: MOFX\n").unwrap();
        assert_eq!(sources.get(edited).unwrap().text(), "");
        // Once read again, a text stays what was read.
        assert_eq!(sources.get(same).unwrap().text(), text);
        assert_eq!(sources.get(kept).unwrap().text(), "kept: true\n");
    }

    #[test]
    fn keeps_line_and_column_of_values() {
        let node = parse_ok("a:\n  - id: MOF\n");
        let Value::Map(entries) = &node.value else {
            panic!("not a map")
        };
        let Value::Seq(items) = &entries[0].1.value else {
            panic!("not a seq")
        };
        let Value::Map(fields) = &items[0].value else {
            panic!("not a map")
        };
        assert_eq!((fields[0].1.loc.line, fields[0].1.loc.col), (2, 9));
        assert_eq!(fields[0].1.loc.len, 3);
    }

    #[test]
    fn empty_and_comment_only_files_have_no_document() {
        assert_eq!(parse("", 0, &ReadLimits::default()), Ok(None));
        assert_eq!(
            parse("# nothing\n---\n", 0, &ReadLimits::default()),
            Ok(None)
        );
    }

    #[test]
    fn syntax_errors_are_located_and_lowercase() {
        let err = parse("a: [1, 2\n", 0, &ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, "yaml-syntax");
        assert!(
            err.message.chars().next().unwrap().is_lowercase(),
            "{}",
            err.message
        );
        assert!(!err.message.ends_with('.'));
        assert!(err.loc.is_some());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&text, 0, &ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, "too-deep");
    }

    #[test]
    fn limit_breaches_are_named_in_words() {
        let message = "YAML document too large: limits breached: Nodes { nodes: 250001 }";
        assert_eq!(
            describe_breach(message).as_deref(),
            Some("the file goes past the reader's limit on `nodes` (reached 250001)")
        );
        assert_eq!(describe_breach("unclosed bracket"), None);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse("a: 1\na: 2\n", 0, &ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, "duplicate-key");
    }

    #[test]
    fn offsets_count_bytes_of_chinese_text() {
        let mut sources = Sources::default();
        let file = sources.add("a.yaml".into(), "id: 财政部 x\nid: x\n".into());
        let file = sources.get(file).unwrap();
        assert_eq!(file.offset_of(2, 5), Some("id: 财政部 x\n".len() + 4));
        assert_eq!(file.offset_of(1, 9), Some("id: 财政部 ".len()));
        assert_eq!(file.offset_of(1, 99), Some("id: 财政部 x".len()));
        assert_eq!(file.offset_of(4, 1), None);
    }
}
