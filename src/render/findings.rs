//! Findings as a linter prints them — severity, rule, message, the subject's declaration
//! with a caret, related places, the evidence path and help — and as versioned JSON.

use super::diagnostics::{Style, excerpt, printable};
use super::each;
use crate::check::CheckResult;
use crate::findings::{Category, Finding};
use crate::load::Sources;
use crate::model::Severity;
use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON output; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::High => Level::ERROR.with_name("high"),
        Severity::Medium => Level::WARNING.with_name("medium"),
        Severity::Low => Level::NOTE.with_name("low"),
    }
}

/// One finding as a block of text.
pub fn finding_text(f: &Finding, sources: &Sources, renderer: &Renderer) -> String {
    let id = format!("{}/{}", f.rule, f.name);
    let message = printable(&f.message);
    let mut group = Group::with_title(
        level(f.severity)
            .primary_title(message.as_ref())
            .id(id.as_str()),
    );
    let mut snippets = Vec::new();
    for (i, subject) in f.subjects.iter().enumerate() {
        let Some(loc) = subject.loc else { continue };
        let Some(file) = sources.get(loc.file) else {
            continue;
        };
        if let Some((line, text, span)) = excerpt(file, &loc) {
            let shown = printable(&subject.id);
            let label = if i == 0 {
                format!("`{shown}`")
            } else {
                format!("related: `{shown}`")
            };
            snippets.push((file.name.clone(), line, text, span, label, i == 0));
        }
    }
    for (name, line, text, span, label, primary) in &snippets {
        let kind = if *primary {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        group = group.element(
            Snippet::source(text.as_str())
                .line_start(*line)
                .path(name.as_str())
                .annotation(kind.span(span.clone()).label(label.as_str())),
        );
    }
    let path = (!f.path.is_empty()).then(|| format!("path: {}", printable(&f.path.join(" → "))));
    if let Some(path) = &path {
        group = group.element(Level::NOTE.message(path.as_str()));
    }
    if let Some(help) = &f.help {
        group = group.element(Level::HELP.message(printable(help).into_owned()));
    }
    renderer.render(&[group])
}

fn renderer(style: Style) -> Renderer {
    match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    }
    .decor_style(DecorStyle::Ascii)
}

/// Counts by severity (high first) and by category, for summaries.
pub fn counts(
    findings: &[Finding],
) -> (BTreeMap<&'static str, usize>, BTreeMap<&'static str, usize>) {
    let mut by_severity = BTreeMap::new();
    let mut by_category = BTreeMap::new();
    for s in [Severity::High, Severity::Medium, Severity::Low] {
        by_severity.insert(
            s.as_str(),
            findings.iter().filter(|f| f.severity == s).count(),
        );
    }
    for c in Category::ALL {
        by_category.insert(
            c.as_str(),
            findings.iter().filter(|f| f.category == c).count(),
        );
    }
    (by_severity, by_category)
}

/// Findings drawn together on all cores before they are joined in order: enough to keep
/// the cores busy, few enough that the drawn copies held at once stay small.
const DRAWN_AT_ONCE: usize = 512;

/// Draws each finding, followed by a blank line, in order. A national workspace has tens
/// of thousands of findings with over 100,000 snippets between them, which took one core a
/// second to draw, so they are drawn on all cores a slice at a time.
fn draw_findings(findings: &[Finding], sources: &Sources, renderer: &Renderer, out: &mut String) {
    use rayon::prelude::*;
    for slice in findings.chunks(DRAWN_AT_ONCE) {
        let drawn: Vec<String> = slice
            .par_iter()
            .map(|finding| finding_text(finding, sources, renderer))
            .collect();
        for text in drawn {
            out.push_str(&text);
            out.push_str("\n\n");
        }
    }
}

/// The human report of a check: every finding, then the counts.
pub fn text(result: &CheckResult, style: Style) -> String {
    let renderer = renderer(style);
    let mut out = String::new();
    draw_findings(
        &result.findings,
        &result.workspace.sources,
        &renderer,
        &mut out,
    );
    for (rule, dropped) in &result.cut {
        out.push_str(&format!("note: rule `{rule}` reported more findings than its limit; {dropped} more were dropped\n"));
    }
    if !result.waived.is_empty() {
        out.push_str(&format!(
            "{} waived finding{}:\n",
            result.waived.len(),
            if result.waived.len() == 1 { "" } else { "s" }
        ));
        for w in &result.waived {
            let until = w
                .expires
                .map_or("no expiry".to_owned(), |d| format!("until {d}"));
            let owner = w
                .owner
                .as_deref()
                .map_or(String::new(), |o| format!(", {o}"));
            out.push_str(&format!(
                "  {} {}: {} ({until}{owner})\n",
                w.finding.severity.as_str(),
                w.finding.key(),
                w.reason
            ));
        }
    }
    if !result.baselined.is_empty() {
        out.push_str(&format!(
            "{} finding(s) in the baseline are not shown\n",
            result.baselined.len()
        ));
    }
    let (by_severity, by_category) = counts(&result.findings);
    let n = result.findings.len();
    out.push_str(&format!(
        "{n} finding{}: {} high, {} medium, {} low\n",
        if n == 1 { "" } else { "s" },
        by_severity["high"],
        by_severity["medium"],
        by_severity["low"]
    ));
    let categories: Vec<String> = Category::ALL
        .iter()
        .map(|c| format!("{} {}", by_category[c.as_str()], c.as_str()))
        .collect();
    out.push_str(&format!("by category: {}\n", categories.join(", ")));
    out
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    id: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    key: String,
    rule: &'a str,
    name: &'a str,
    category: Category,
    severity: &'static str,
    message: &'a str,
    subjects: Vec<&'a str>,
    locations: Vec<JsonLocation<'a>>,
    path: &'a [String],
    help: Option<&'a str>,
}

/// Findings as the JSON output lists them, each described as it is written.
pub fn findings_json<'a>(findings: &'a [Finding], sources: &'a Sources) -> impl Serialize + 'a {
    each(findings.iter().map(move |f| json_finding(f, sources)))
}

fn json_finding<'a>(f: &'a Finding, sources: &'a Sources) -> JsonFinding<'a> {
    JsonFinding {
        key: f.key(),
        rule: &f.rule,
        name: &f.name,
        category: f.category,
        severity: f.severity.as_str(),
        message: &f.message,
        subjects: f.subjects.iter().map(|s| s.id.as_str()).collect(),
        locations: f
            .subjects
            .iter()
            .filter_map(|s| {
                s.loc.map(|l| JsonLocation {
                    id: &s.id,
                    file: sources.name(l.file),
                    line: l.line,
                    column: l.col,
                })
            })
            .collect(),
        path: &f.path,
        help: f.help.as_deref(),
    }
}

#[derive(Serialize)]
struct JsonWaived<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    reason: &'a str,
    owner: Option<&'a str>,
    expires: Option<String>,
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonCounts {
    total: usize,
    by_severity: BTreeMap<&'static str, usize>,
    by_category: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct JsonCut<'a> {
    rule: &'a str,
    dropped: usize,
}

#[derive(Serialize)]
struct JsonReport<'a, F, W> {
    version: u32,
    tool: JsonTool,
    package: Option<&'a str>,
    findings: F,
    counts: JsonCounts,
    waived: W,
    baselined: usize,
    truncated: Vec<JsonCut<'a>>,
    errors: Vec<super::diagnostics::JsonDiagnostic<'a>>,
}

/// The JSON report of a check (see `docs/output-json.md`).
pub fn json(result: &CheckResult, package: Option<&str>) -> String {
    super::written(|out| write_json(result, package, out))
}

/// Writes the JSON report of a check to `out` as it is built, so that a national
/// workspace's report (tens of megabytes) is never held whole in memory.
pub fn write_json(
    result: &CheckResult,
    package: Option<&str>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let (by_severity, by_category) = counts(&result.findings);
    let sources = &result.workspace.sources;
    let mut errors: Vec<_> = result
        .workspace
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| super::diagnostics::json(d, sources))
        .collect();
    errors.extend(
        result
            .rule_diagnostics
            .iter()
            .map(|d| super::diagnostics::json(d, &result.rules.sources)),
    );
    let report = JsonReport {
        version: JSON_VERSION,
        tool: JsonTool {
            name: "concord",
            version: env!("CARGO_PKG_VERSION"),
        },
        package,
        findings: each(result.findings.iter().map(|f| json_finding(f, sources))),
        counts: JsonCounts {
            total: result.findings.len(),
            by_severity,
            by_category,
        },
        waived: each(result.waived.iter().map(|w| JsonWaived {
            finding: json_finding(&w.finding, sources),
            reason: &w.reason,
            owner: w.owner.as_deref(),
            expires: w.expires.map(|d| d.to_string()),
        })),
        baselined: result.baselined.len(),
        truncated: result
            .cut
            .iter()
            .map(|(rule, dropped)| JsonCut {
                rule,
                dropped: *dropped,
            })
            .collect(),
        errors,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Subject;

    /// Findings drawn a slice at a time on several threads come out in their order, each
    /// as it is drawn alone.
    #[test]
    fn findings_drawn_in_slices_keep_their_order() {
        let findings: Vec<Finding> = (0..DRAWN_AT_ONCE * 2 + 7)
            .map(|n| Finding {
                rule: "OVL001".into(),
                name: "duplicate-instrument".into(),
                category: Category::Overlap,
                severity: Severity::Medium,
                message: format!("finding number {n}"),
                subjects: vec![Subject {
                    id: format!("inst-{n}").into(),
                    loc: None,
                }],
                path: Vec::new(),
                help: None,
            })
            .collect();
        let (sources, renderer) = (Sources::default(), renderer(Style::Plain));
        let mut drawn = String::new();
        draw_findings(&findings, &sources, &renderer, &mut drawn);
        let one_by_one: String = findings
            .iter()
            .map(|f| finding_text(f, &sources, &renderer) + "\n\n")
            .collect();
        assert_eq!(drawn, one_by_one);
        let last = format!("finding number {}", findings.len() - 1);
        assert!(
            drawn.trim_end().ends_with(&last),
            "{}",
            &drawn[drawn.len() - 200..]
        );
    }
}
