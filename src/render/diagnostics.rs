//! Diagnostics as a linter prints them (severity, code, message, `file:line:col`, the
//! line with a caret under the value, a hint) and as JSON for tools.

use crate::diagnostic::{Diagnostic, Level};
use crate::load::{Loc, SourceFile, Sources};
use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};
use serde::Serialize;

/// Whether to colour the output (a terminal) or keep it plain (files, pipes, tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Color,
}

/// Bytes of a line kept after the value it points at: more than a terminal shows, so the
/// drawing is the same, while drawing does not walk the rest of a line that may run for
/// megabytes (a whole file written as one flow list).
const AFTER: usize = 1024;

/// The line of `loc` in `file`, as (line number, text, span of the value within the text);
/// `None` when the text is gone (a file edited or removed since it was read).
pub fn excerpt(file: &SourceFile, loc: &Loc) -> Option<(usize, String, std::ops::Range<usize>)> {
    let text = file.text();
    if text.is_empty() {
        return None;
    }
    let start = file.line_start(loc.line)?;
    let offset = file.offset_of(loc.line, loc.col)?;
    let mut limit = offset
        .saturating_add((loc.len as usize).saturating_add(AFTER))
        .min(text.len());
    while !text.is_char_boundary(limit) {
        limit += 1;
    }
    let end = text[offset..limit]
        .find(['\n', '\r'])
        .map_or(limit, |i| offset + i);
    let line_text = &text[start..end];
    let from = offset - start;
    let mut to = (from + (loc.len as usize).max(1)).min(line_text.len());
    while to < line_text.len() && !line_text.is_char_boundary(to) {
        to += 1;
    }
    if to <= from {
        to = (from + 1).min(line_text.len());
    }
    Some((loc.line as usize, line_text.to_owned(), from..to))
}

/// Renders diagnostics for a person, one block each, then a one-line summary.
/// User text made safe for a terminal: control characters other than line breaks and tabs
/// (an escape sequence in an id could clear the screen or retitle the window) are shown
/// escaped, as `\u{1b}`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub fn human(diagnostics: &[Diagnostic], sources: &Sources, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    }
    .decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for diagnostic in diagnostics.iter().take(DRAWN) {
        out.push_str(&render_one(diagnostic, sources, &renderer));
        out.push_str("\n\n");
    }
    if diagnostics.len() > DRAWN {
        out.push_str(&format!(
            "... and {} more not drawn here (`check` and `validate` list them with `--format json`)\n\n",
            diagnostics.len() - DRAWN
        ));
    }
    out
}

/// Diagnostics drawn in full by [`human`]; the rest are counted. Past a few hundred no one
/// reads them one by one, and a file of a hundred thousand broken entries took minutes to
/// draw, since each drawing walks its whole source line.
pub const DRAWN: usize = 200;

fn render_one(d: &Diagnostic, sources: &Sources, renderer: &Renderer) -> String {
    let level = match d.level {
        Level::Error => SnippetLevel::ERROR,
        Level::Warning => SnippetLevel::WARNING,
    };
    let mut excerpts = Vec::new();
    let message = printable(&d.message);
    let mut group = Group::with_title(level.primary_title(message.as_ref()).id(d.code));
    if let Some(loc) = d.loc
        && let Some(file) = sources.get(loc.file)
        && let Some((line, text, span)) = excerpt(file, &loc)
    {
        let label = d.label.as_deref().map(|l| printable(l).into_owned());
        excerpts.push((file.name.clone(), line, text, span, label));
    }
    for related in &d.related {
        if let Some(file) = sources.get(related.loc.file)
            && let Some((line, text, span)) = excerpt(file, &related.loc)
        {
            excerpts.push((
                file.name.clone(),
                line,
                text,
                span,
                Some(printable(&related.message).into_owned()),
            ));
        }
    }
    for (i, (name, line, text, span, label)) in excerpts.iter().enumerate() {
        let kind = if i == 0 {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let mut annotation = kind.span(span.clone());
        if let Some(label) = label {
            annotation = annotation.label(label.as_str());
        }
        group = group.element(
            Snippet::source(text.as_str())
                .line_start(*line)
                .path(name.as_str())
                .annotation(annotation),
        );
    }
    if excerpts.is_empty()
        && let Some(path) = &d.path
    {
        group = group.element(SnippetLevel::NOTE.message(format!("in `{path}`")));
    }
    if let Some(hint) = &d.hint {
        group = group.element(SnippetLevel::HELP.message(printable(hint).into_owned()));
    }
    renderer.render(&[group])
}

/// `2 errors, 1 warning` — the closing line of a human report.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// One diagnostic as JSON tools read it: 1-based line and column.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: Level,
    pub code: &'a str,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub hint: Option<&'a str>,
}

pub fn json<'a>(d: &'a Diagnostic, sources: &'a Sources) -> JsonDiagnostic<'a> {
    let file = match d.loc {
        Some(loc) => Some(sources.name(loc.file)),
        None => d.path.as_deref(),
    };
    JsonDiagnostic {
        severity: d.level,
        code: d.code,
        message: &d.message,
        file,
        line: d.loc.map(|l| l.line),
        column: d.loc.map(|l| l.col),
        hint: d.hint.as_deref(),
    }
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn control_characters_are_shown_escaped_and_text_is_kept() {
        assert_eq!(printable("DD\u{1b}[2J\u{7}x"), "DD\\u{1b}[2J\\u{7}x");
        assert_eq!(printable("a\n\tb 中文"), "a\n\tb 中文");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;
    use crate::load::loc_at;

    #[test]
    fn a_long_line_is_cut_after_the_value_and_a_short_one_kept_whole() {
        let text = format!("instruments: [{}]\nnext: line\n", "~,".repeat(50_000));
        let mut sources = Sources::default();
        let long = sources.add("long.yaml".into(), text);
        let loc = loc_at(long, 1, 15);
        let (line, shown, span) = excerpt(sources.get(long).unwrap(), &loc).unwrap();
        assert_eq!(line, 1);
        assert_eq!(shown.len(), 14 + 1 + AFTER);
        assert_eq!(&shown[span], "~");
        let short = sources.add("short.yaml".into(), "a: 1\nb: [x, y]\n".into());
        let loc = Loc {
            len: 6,
            ..loc_at(short, 2, 4)
        };
        let (_, shown, span) = excerpt(sources.get(short).unwrap(), &loc).unwrap();
        assert_eq!((shown.as_str(), &shown[span]), ("b: [x, y]", "[x, y]"));
    }

    /// Lines end as the parser ends them (CR, LF or CRLF), columns count characters, and a
    /// byte-order mark takes no column.
    #[test]
    fn a_snippet_finds_its_line_and_column_as_the_parser_counts_them() {
        let mut sources = Sources::default();
        let file = sources.add("a.yaml".into(), "\u{feff}a: 1\rb: é x\r\nc: 2\n".into());
        let at = |line, col, len| {
            let loc = Loc {
                len,
                ..loc_at(file, line, col)
            };
            let (_, shown, span) = excerpt(sources.get(file).unwrap(), &loc).unwrap();
            (shown[span.clone()].to_owned(), shown)
        };
        assert_eq!(at(1, 4, 1), ("1".to_owned(), "\u{feff}a: 1".to_owned()));
        assert_eq!(at(2, 4, 2), ("é".to_owned(), "b: é x".to_owned()));
        assert_eq!(at(2, 6, 1), ("x".to_owned(), "b: é x".to_owned()));
        assert_eq!(at(3, 4, 1), ("2".to_owned(), "c: 2".to_owned()));
        let past = loc_at(file, 9, 1);
        assert_eq!(excerpt(sources.get(file).unwrap(), &past), None);
        let gone = sources.add("gone.yaml".into(), String::new());
        let loc = loc_at(gone, 1, 1);
        assert_eq!(excerpt(sources.get(gone).unwrap(), &loc), None);
    }

    #[test]
    fn past_the_drawn_diagnostics_the_rest_are_counted() {
        let many: Vec<Diagnostic> = (0..DRAWN + 3)
            .map(|n| Diagnostic::error("wrong-type", format!("problem {n}")))
            .collect();
        let out = human(&many, &Sources::default(), Style::Plain);
        assert!(out.contains(&format!("problem {}", DRAWN - 1)));
        assert!(!out.contains(&format!("problem {DRAWN}")));
        assert!(out.contains("... and 3 more not drawn here"), "{out}");
    }
}
