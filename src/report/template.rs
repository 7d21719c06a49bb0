//! Report templates: the built-in HTML and Markdown ones, or an analyst's own file loaded
//! at run time, rendered by minijinja. Every value is escaped for the output format unless
//! a template says otherwise, and a fuel budget stops a template that would run away.

use super::Report;
use crate::diagnostic::{Diagnostic, closest};
use crate::load::{Sources, loc_at};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior, Value};
use std::collections::BTreeSet;

/// The built-in templates; a custom template can `{% extends %}` them by these names.
pub const HTML_NAME: &str = "concord/report.html";
pub const MARKDOWN_NAME: &str = "concord/report.md";
const HTML: &str = include_str!("templates/report.html");
const MARKDOWN: &str = include_str!("templates/report.md");

/// Template instructions a render may spend: far more than the built-in reports need for
/// a national workspace, few enough that a runaway loop ends in seconds.
pub const FUEL: u64 = 50_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

/// An analyst's template: a file of `sources`, which keeps its text for error snippets.
pub struct Custom<'a> {
    pub file: crate::load::FileId,
    pub sources: &'a Sources,
}

/// Escapes text for Markdown: table pipes, code and link brackets, HTML, and line breaks
/// (a newline would end a table row).
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '`' | '[' | ']' | '*' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes a label for Mermaid inside a Markdown code block.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text with `back-ticked` spans, as rule messages are written: the spans become code, the
/// rest is escaped. Unpaired back-ticks are escaped like any other character.
fn code_spans(state: &State, text: String) -> Value {
    let markdown = matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "markdown");
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        let escaped = if markdown {
            markdown_escape(&text)
        } else {
            html_escape(&text)
        };
        return Value::from_safe_string(escaped);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        match (i % 2 == 1, markdown) {
            (false, true) => out.push_str(&markdown_escape(part)),
            (false, false) => out.push_str(&html_escape(part)),
            // Inside a code span Markdown shows text as it is; only a pipe (which would
            // end a table cell) and line breaks need care.
            (true, true) => {
                out.push('`');
                out.push_str(&part.replace('|', "\\|").replace(['\n', '\r'], " "));
                out.push('`');
            }
            (true, false) => {
                out.push_str("<code>");
                out.push_str(&html_escape(part));
                out.push_str("</code>");
            }
        }
    }
    Value::from_safe_string(out)
}

fn html_escape(text: &str) -> String {
    minijinja::HtmlEscape(text).to_string()
}

fn formatter(out: &mut minijinja::Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "markdown") {
        if value.is_safe() || value.is_none() || value.is_undefined() {
            return minijinja::escape_formatter(out, state, value);
        }
        return out
            .write_str(&markdown_escape(&value.to_string()))
            .map_err(Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // minijinja names the undefined part of an expression only in debug mode, which is on
    // by default in debug builds alone: without it the released binary would say less,
    // and guess the wrong field, than the test builds do.
    env.set_debug(true);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".md") {
            AutoEscape::Custom("markdown".into())
        } else {
            AutoEscape::Html
        }
    });
    env.set_formatter(formatter);
    env.add_filter("mermaid", |text: String| {
        Value::from_safe_string(mermaid_escape(&text))
    });
    env.add_filter("code", code_spans);
    env.add_filter("md", |text: String| {
        Value::from_safe_string(markdown_escape(&text))
    });
    // The built-ins always parse; a failure here is a bug that the tests catch.
    let _ = env.add_template(HTML_NAME, HTML);
    let _ = env.add_template(MARKDOWN_NAME, MARKDOWN);
    env
}

/// The name a custom template is registered under: its escaping follows the format asked
/// for, not the file's extension.
fn custom_name(format: Format) -> &'static str {
    match format {
        Format::Html => "custom.html",
        Format::Markdown => "custom.md",
    }
}

/// Why a report could not be written.
#[derive(Debug)]
pub enum Failure {
    /// The template failed: a located diagnostic.
    Template(Box<Diagnostic>),
    /// The output could not be written.
    Write(std::io::Error),
}

/// Renders the report with the built-in template of `format`, or with `custom`, into a
/// string.
pub fn render(
    report: &Report,
    format: Format,
    custom: Option<Custom>,
) -> Result<String, Box<Diagnostic>> {
    let mut out = Vec::new();
    match render_to(report, format, custom, &mut out) {
        Ok(()) => Ok(String::from_utf8(out).unwrap_or_default()),
        Err(Failure::Template(d)) => Err(d),
        Err(Failure::Write(e)) => Err(Box::new(Diagnostic::error(
            "template",
            format!("cannot render the report: {e}"),
        ))),
    }
}

/// Renders the report with the built-in template of `format`, or with `custom`, writing it
/// to `out` as it goes: a national workspace's page runs to tens of megabytes, which held
/// whole would add to the run's peak.
pub fn render_to(
    report: &Report,
    format: Format,
    custom: Option<Custom>,
    out: &mut dyn std::io::Write,
) -> Result<(), Failure> {
    let mut env = environment();
    let name = match (&custom, format) {
        (Some(c), _) => {
            let text = c.sources.get(c.file).map_or("", |f| f.text());
            if let Err(e) = env.add_template_owned(custom_name(format), text.to_owned()) {
                return Err(Failure::Template(Box::new(diagnostic(
                    &e,
                    report,
                    custom.as_ref(),
                ))));
            }
            custom_name(format)
        }
        (None, Format::Html) => HTML_NAME,
        (None, Format::Markdown) => MARKDOWN_NAME,
    };
    let context = Value::from(minijinja::value::Serde(report));
    let label = match &custom {
        Some(c) => format!("rendering the template `{}`", c.sources.name(c.file)),
        None => "rendering the built-in report template".to_owned(),
    };
    let _doing = crate::memory::doing(&label);
    let rendered = env
        .get_template(name)
        .and_then(|t| t.render_captured_to(context, &mut *out).map(drop));
    match rendered {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::WriteFailure => Err(Failure::Write(written_error(&e))),
        Err(e) => Err(Failure::Template(Box::new(diagnostic(
            &e,
            report,
            custom.as_ref(),
        )))),
    }
}

/// The I/O error behind minijinja's failure to write.
fn written_error(e: &Error) -> std::io::Error {
    use std::error::Error as _;
    match e.source().and_then(|s| s.downcast_ref::<std::io::Error>()) {
        Some(io) => std::io::Error::new(io.kind(), io.to_string()),
        None => std::io::Error::other(e.to_string()),
    }
}

/// Every field name in the report, for `did you mean` on a misspelt one.
fn field_names(report: &Report) -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, names: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    names.insert(k.clone());
                    walk(v, names);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items.iter().take(3) {
                    walk(item, names);
                }
            }
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    if let Ok(value) = serde_json::to_value(report) {
        walk(&value, &mut names);
    }
    names
}

/// The last identifier in a template expression: `f.severty` → `severty`.
fn last_name(expression: &str) -> Option<&str> {
    expression
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|s| !s.is_empty() && !s.chars().all(|c| c.is_ascii_digit()))
}

fn diagnostic(e: &Error, report: &Report, custom: Option<&Custom>) -> Diagnostic {
    let detail = e
        .detail()
        .map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
    let mut d = Diagnostic::error("template", format!("cannot render the report: {detail}"));
    let source = custom.and_then(|c| c.sources.get(c.file).map(|f| (c.file, f)));
    let in_custom = e.name().is_some_and(|n| n.starts_with("custom."));
    if let (Some((file, f)), true) = (source, in_custom) {
        if let Some(range) = e.range() {
            let before = f.text().get(..range.start).unwrap_or("");
            let line = before.matches('\n').count() as u32 + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            let mut loc = loc_at(file, line, col);
            loc.len = crate::load::loc_len(range.end.saturating_sub(range.start));
            d = d.at(loc);
            if e.kind() == ErrorKind::UndefinedError {
                let names = field_names(report);
                // minijinja names the undefined part when it can (`sumary` in
                // `sumary.findings`); otherwise the last name of the expression is the guess.
                let named = e.detail().and_then(|d| d.split('`').nth(1));
                let wanted = named
                    .or_else(|| f.text().get(range.clone()))
                    .and_then(last_name)
                    .unwrap_or("");
                if let Some(near) = closest(wanted, names.iter().map(String::as_str)) {
                    d = d.hint(format!("did you mean `{near}`?"));
                }
            }
        } else if let Some(line) = e.line() {
            d = d.at(loc_at(file, line as u32, 1));
        }
    }
    if e.kind() == ErrorKind::OutOfFuel {
        d = d.hint(format!(
            "a report may spend {FUEL} template instructions; look for a loop that runs away"
        ));
    }
    if d.hint.is_none() && e.kind() == ErrorKind::UndefinedError {
        d = d.hint("the fields a template can use are listed in `docs/report-templates.md`");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_names_are_explained_in_every_build() {
        let env = environment();
        assert!(env.debug());
        let e = env
            .render_str("{{ sumary.findings }}", minijinja::context! {})
            .unwrap_err();
        assert!(
            e.detail().is_some_and(|d| d.contains("`sumary`")),
            "{:?}",
            e.detail()
        );
    }

    #[test]
    fn markdown_escaping_keeps_tables_and_html_inert() {
        assert_eq!(
            markdown_escape("a|b <script>alert(1)</script>\n[x](y)"),
            "a\\|b &lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](y)"
        );
        let env = environment();
        let html = env.render_str(
            "{{ m | code }}",
            minijinja::context! { m => "a `<b>` & `c|d` x`" },
        );
        assert_eq!(html.unwrap(), "a `&lt;b&gt;` &amp; `c|d` x`");
        let html = env.render_str(
            "{{ m | code }}",
            minijinja::context! { m => "a `<b>` & `c|d`" },
        );
        assert_eq!(
            html.unwrap(),
            "a <code>&lt;b&gt;</code> &amp; <code>c|d</code>"
        );
        let md = env
            .template_from_named_str("t.md", "{{ m | code }}")
            .and_then(|t| t.render(minijinja::context! { m => "a `<b>` & `c|d`\n|" }));
        assert_eq!(md.unwrap(), "a `<b>` &amp; `c\\|d` \\|");
        assert_eq!(mermaid_escape("\"<b>\"\n`"), "#quot;#lt;b#gt;#quot; #96;");
    }

    #[test]
    fn the_last_name_of_an_expression_is_found() {
        assert_eq!(last_name("f.severty"), Some("severty"));
        assert_eq!(last_name("summary.by_agency[0]"), Some("by_agency"));
        assert_eq!(last_name("findigs"), Some("findigs"));
    }
}
