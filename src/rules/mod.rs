//! Rules as files: discovery of `<ID>-<name>.rhai` files, their `//!` headers, compilation
//! once per run, and evaluation (see [`run`]). Nothing here lists rules by hand.

pub mod api;
pub mod docs;
pub mod fixtures;
pub mod library;
pub mod run;

use crate::diagnostic::Diagnostic;
use crate::findings::Category;
use crate::load::{Loc, Sources};
use crate::model::Severity;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A parameter a rule declares in its header: `//! param: name = default; meaning`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDoc {
    pub name: String,
    pub default: String,
    pub meaning: String,
}

/// What a rule's header says about it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    pub summary: String,
    pub why: String,
    pub source: String,
    pub params: Vec<ParamDoc>,
    /// The rule file, as shown to users.
    pub file: String,
    pub path: PathBuf,
}

/// A compiled rule.
pub struct Rule {
    pub meta: RuleMeta,
    pub ast: rhai::AST,
    /// Index of the rule file in the run's sources, for located errors.
    pub source: crate::load::FileId,
}

/// Why a rule file could not be used.
#[derive(Debug, Error, PartialEq)]
pub enum RuleError {
    #[error("rule header is missing `{field}`")]
    MissingHeader { field: &'static str },
    #[error("unknown {field} `{value}` in the rule header")]
    BadHeader { field: &'static str, value: String },
    #[error("rule file `{file}` is named for `{file_id}` but its header says `{id}`")]
    IdMismatch {
        file: String,
        file_id: String,
        id: String,
    },
    #[error("rule `{id}` is defined twice")]
    Duplicate { id: String },
    #[error("the rule does not compile: {reason}")]
    Compile { reason: String },
    #[error("cannot read rule folder `{path}`: {reason}")]
    Folder { path: String, reason: String },
}

impl RuleError {
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::MissingHeader { .. }
            | RuleError::BadHeader { .. }
            | RuleError::IdMismatch { .. } => "rule-header",
            RuleError::Duplicate { .. } => "duplicate-rule",
            RuleError::Compile { .. } => "rule-compile",
            RuleError::Folder { .. } => "io",
        }
    }
}

const HEADER_FIELDS: [&str; 7] = [
    "id", "name", "category", "severity", "summary", "why", "source",
];

/// Reads the `//!` header of a rule file; each problem is located on its line.
pub fn parse_header(
    text: &str,
    file: crate::load::FileId,
    shown: &str,
    path: &Path,
) -> Result<RuleMeta, Vec<Diagnostic>> {
    let mut fields: Vec<(&str, String, Loc)> = Vec::new();
    let mut params = Vec::new();
    let mut errors = Vec::new();
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let Some(rest) = line.strip_prefix("//!") else {
            if line.trim().is_empty() && fields.is_empty() {
                continue;
            }
            break;
        };
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim().to_owned();
        let loc = Loc {
            file,
            line: n as u32 + 1,
            col: (line.len() - rest.trim_start().len()) as u32 + 1,
            len: crate::load::loc_len(rest.trim().len()),
        };
        if key == "param" {
            let (head, meaning) = value.split_once(';').unwrap_or((&value, ""));
            let (name, default) = head.split_once('=').unwrap_or((head, ""));
            params.push(ParamDoc {
                name: name.trim().to_owned(),
                default: default.trim().to_owned(),
                meaning: meaning.trim().to_owned(),
            });
        } else if let Some(field) = HEADER_FIELDS.iter().find(|f| **f == key) {
            fields.push((field, value, loc));
        } else {
            let hint = crate::diagnostic::did_you_mean(
                key,
                HEADER_FIELDS.iter().copied().chain(["param"]),
            )
            .unwrap_or_else(|| format!("header fields: {}, param", HEADER_FIELDS.join(", ")));
            errors.push(
                Diagnostic::error("rule-header", format!("unknown rule header field `{key}`"))
                    .at(loc)
                    .label("not a header field")
                    .hint(hint),
            );
        }
    }
    let get = |field: &str| fields.iter().find(|f| f.0 == field);
    let file_loc = Loc {
        file,
        line: 1,
        col: 1,
        len: 1,
    };
    for field in HEADER_FIELDS {
        if get(field).is_none_or(|f| f.1.is_empty()) {
            errors.push(
                Diagnostic::error(
                    "rule-header",
                    RuleError::MissingHeader { field }.to_string(),
                )
                .at(get(field).map_or(file_loc, |f| f.2))
                .hint(format!(
                    "add a line `//! {field}: …` at the top of the rule file"
                )),
            );
        }
    }
    let category = get("category").and_then(|(_, v, loc)| {
        Category::parse(v).or_else(|| {
            let allowed: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            errors.push(bad_header("category", v, *loc, &allowed));
            None
        })
    });
    let severity = get("severity").and_then(|(_, v, loc)| {
        Severity::parse(v).or_else(|| {
            errors.push(bad_header("severity", v, *loc, &["low", "medium", "high"]));
            None
        })
    });
    let id = get("id").map(|f| f.1.clone()).unwrap_or_default();
    let file_id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.split('-').next())
        .unwrap_or_default()
        .to_owned();
    if !id.is_empty() && id != file_id {
        errors.push(
            Diagnostic::error(
                "rule-header",
                RuleError::IdMismatch {
                    file: shown.to_owned(),
                    file_id: file_id.clone(),
                    id: id.clone(),
                }
                .to_string(),
            )
            .at(get("id").map_or(file_loc, |f| f.2))
            .hint(format!(
                "name the file `{id}-<name>.rhai`, or change the header's id"
            )),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let text_of = |field: &str| get(field).map(|f| f.1.clone()).unwrap_or_default();
    Ok(RuleMeta {
        id,
        name: text_of("name"),
        category: category.unwrap_or(Category::Gap),
        severity: severity.unwrap_or(Severity::Medium),
        summary: text_of("summary"),
        why: text_of("why"),
        source: text_of("source"),
        params,
        file: shown.to_owned(),
        path: path.to_path_buf(),
    })
}

fn bad_header(field: &'static str, value: &str, loc: Loc, allowed: &[&str]) -> Diagnostic {
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = match crate::diagnostic::did_you_mean(value, allowed.iter().copied()) {
        Some(s) => format!("{s} allowed values: {list}"),
        None => format!("allowed values: {list}"),
    };
    Diagnostic::error(
        "rule-header",
        RuleError::BadHeader {
            field,
            value: value.to_owned(),
        }
        .to_string(),
    )
    .at(loc)
    .hint(hint)
}

/// The rule files of a folder, sorted: `*.rhai` directly inside it.
pub fn discover(folder: &Path) -> Result<Vec<PathBuf>, RuleError> {
    if library::contains(folder) {
        return Ok(library::list(folder));
    }
    let entries = std::fs::read_dir(folder).map_err(|e| RuleError::Folder {
        path: folder.to_string_lossy().into_owned(),
        reason: e.to_string().to_lowercase(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rhai") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The standard library's folder: `CONCORD_RULES` if set; else an installed library
/// (`share/concord/rules` beside the binary's `bin/`); else the `rules/` folder of the
/// Concord source tree the binary sits in (so a rule edited there runs without a rebuild);
/// else the copy compiled into the binary. The current folder and the binary's own folder
/// are not searched, so a workspace's `rules/` is never taken for the standard library.
pub fn standard_folder() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CONCORD_RULES") {
        return Some(PathBuf::from(dir));
    }
    let has_rules = |dir: &Path| dir.is_dir() && discover(dir).is_ok_and(|f| !f.is_empty());
    if let Ok(exe) = std::env::current_exe() {
        let installed = exe
            .parent()
            .and_then(Path::parent)
            .map(|prefix| prefix.join("share/concord/rules"));
        if let Some(dir) = installed.filter(|d| has_rules(d)) {
            return Some(dir);
        }
        let source_tree = exe.ancestors().skip(1).take(4).find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|t| t.contains("name = \"concord\""))
                && has_rules(&dir.join("rules"))
        });
        if let Some(dir) = source_tree {
            return Some(dir.join("rules"));
        }
    }
    Some(PathBuf::from(library::ROOT))
}

/// Every rule compiled, plus the diagnostics of those that could not be.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub sources: Sources,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and compiles the rules of `folders`, in order; a later rule with an id already
/// seen is an error, not a silent override.
pub fn load(folders: &[PathBuf], engine: &rhai::Engine) -> RuleSet {
    let mut set = RuleSet {
        rules: Vec::new(),
        sources: Sources::default(),
        diagnostics: Vec::new(),
    };
    for folder in folders {
        let files = match discover(folder) {
            Ok(files) => files,
            Err(e) => {
                set.diagnostics.push(
                    Diagnostic::error(e.code(), e.to_string())
                        .path(folder.to_string_lossy().into_owned()),
                );
                continue;
            }
        };
        if set.sources.files().len() + files.len() > crate::load::MAX_FILES {
            set.diagnostics.push(
                Diagnostic::error(
                    "too-many-files",
                    format!(
                        "the rule folders hold more than {} rule files",
                        crate::load::MAX_FILES
                    ),
                )
                .path(folder.to_string_lossy().into_owned())
                .hint("point `rules` at fewer folders"),
            );
            break;
        }
        for path in files {
            let read = match library::read(&path) {
                Some(text) => Ok(text.to_owned()),
                None => std::fs::read_to_string(&path),
            };
            let text = match read {
                Ok(text) => text,
                Err(e) => {
                    let shown = path.to_string_lossy().into_owned();
                    set.diagnostics.push(
                        Diagnostic::error(
                            "io",
                            format!("cannot read `{shown}`: {}", e.to_string().to_lowercase()),
                        )
                        .path(shown),
                    );
                    continue;
                }
            };
            let file = set.sources.add(path.clone(), text);
            let shown = set.sources.name(file).to_owned();
            let text = &set
                .sources
                .get(file)
                .map(|f| f.text().to_owned())
                .unwrap_or_default();
            let meta = match parse_header(text, file, &shown, &path) {
                Ok(meta) => meta,
                Err(errors) => {
                    set.diagnostics.extend(errors);
                    continue;
                }
            };
            if set.rules.iter().any(|r| r.meta.id == meta.id) {
                set.diagnostics.push(
                    Diagnostic::error(
                        "duplicate-rule",
                        RuleError::Duplicate {
                            id: meta.id.clone(),
                        }
                        .to_string(),
                    )
                    .at(Loc {
                        file,
                        line: 1,
                        col: 1,
                        len: 1,
                    })
                    .hint("rule ids are unique across all rule folders; rename or remove one"),
                );
                continue;
            }
            let compiled = engine
                .compile(text)
                .or_else(|error| match escaped_backticks(text) {
                    Some(rewritten) => engine.compile(rewritten).map_err(|_| error),
                    None => Err(error),
                });
            match compiled {
                Ok(ast) => set.rules.push(Rule {
                    meta,
                    ast,
                    source: file,
                }),
                Err(e) => set.diagnostics.push(run::parse_error(&e, file, text)),
            }
        }
    }
    set
}

/// Rhai writes a back-tick inside a back-tick string as two back-ticks; rule writers (and
/// the format's own example rule) often write `\``. When a rule does not compile as
/// written, this spelling is rewritten to Rhai's. Both are two characters long, so every
/// position in error messages stays true. `None` when there is nothing to rewrite.
pub fn escaped_backticks(text: &str) -> Option<String> {
    #[derive(PartialEq)]
    enum State {
        Code,
        Quoted,
        Template,
        LineComment,
        BlockComment,
    }
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut states = vec![State::Code];
    // Brace depth inside each `${ … }` opened from a template.
    let mut braces: Vec<usize> = Vec::new();
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        let (c, next) = (bytes[i], bytes.get(i + 1).copied());
        match states.last() {
            Some(State::Code) => match (c, next) {
                (b'/', Some(b'/')) => states.push(State::LineComment),
                (b'/', Some(b'*')) => states.push(State::BlockComment),
                (b'"', _) => states.push(State::Quoted),
                (b'`', _) => states.push(State::Template),
                (b'{', _) => {
                    if let Some(depth) = braces.last_mut() {
                        *depth += 1;
                    }
                }
                (b'}', _) => match braces.last_mut() {
                    Some(0) => {
                        braces.pop();
                        states.pop();
                    }
                    Some(depth) => *depth -= 1,
                    None => {}
                },
                _ => {}
            },
            Some(State::Quoted) => match c {
                b'\\' => i += 1,
                b'"' => {
                    states.pop();
                }
                _ => {}
            },
            Some(State::Template) => match (c, next) {
                (b'\\', Some(b'`')) => {
                    out[i] = b'`';
                    changed = true;
                    i += 1;
                }
                (b'`', Some(b'`')) => i += 1,
                (b'`', _) => {
                    states.pop();
                }
                (b'$', Some(b'{')) => {
                    states.push(State::Code);
                    braces.push(0);
                    i += 1;
                }
                _ => {}
            },
            Some(State::LineComment) => {
                if c == b'\n' {
                    states.pop();
                }
            }
            Some(State::BlockComment) => {
                if c == b'*' && next == Some(b'/') {
                    states.pop();
                    i += 1;
                }
            }
            None => break,
        }
        i += 1;
    }
    changed.then(|| String::from_utf8(out).ok()).flatten()
}

#[cfg(test)]
mod tests {
    #[test]
    fn backslash_backticks_become_rhai_doubled_backticks() {
        let source = "// a `comment`\nlet s = `objective \\`${o.id}\\` has \"\\`\"`;";
        let rewritten = escaped_backticks(source).unwrap();
        assert_eq!(
            rewritten,
            "// a `comment`\nlet s = `objective ``${o.id}`` has \"``\"`;"
        );
        assert_eq!(rewritten.len(), source.len());
        assert_eq!(escaped_backticks("let s = `plain`;"), None);
    }

    use super::*;

    const HEADER: &str = "//! id: X900\n//! name: objective-without-indicator\n//! category: evidence\n//! severity: low\n//! summary: s\n//! why: w\n//! source: src\n//! param: min = 3; the least\n\nlet x = 1;\n";

    #[test]
    fn headers_are_read() {
        let meta = parse_header(HEADER, 0, "X900-a.rhai", Path::new("rules/X900-a.rhai")).unwrap();
        assert_eq!(meta.id, "X900");
        assert_eq!(meta.category, Category::Evidence);
        assert_eq!(meta.severity, Severity::Low);
        assert_eq!(
            meta.params[0],
            ParamDoc {
                name: "min".into(),
                default: "3".into(),
                meaning: "the least".into()
            }
        );
    }

    #[test]
    fn header_problems_are_located() {
        let text = HEADER
            .replace("severity: low", "severity: loww")
            .replace("//! why: w\n", "");
        let errors = parse_header(&text, 0, "X900-a.rhai", Path::new("X900-a.rhai")).unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages.contains(&"rule header is missing `why`"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"unknown severity `loww` in the rule header"),
            "{messages:?}"
        );
        let severity = errors.iter().find(|e| e.message.contains("loww")).unwrap();
        assert_eq!(severity.loc.unwrap().line, 4);
    }

    #[test]
    fn the_file_name_must_carry_the_id() {
        let errors = parse_header(HEADER, 0, "X901-a.rhai", Path::new("X901-a.rhai")).unwrap_err();
        assert_eq!(errors[0].code, "rule-header");
    }
}
