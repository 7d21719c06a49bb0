//! Findings for review pipelines: SARIF 2.1.0 (code-scanning tools), JUnit XML (test
//! dashboards) and GitHub workflow annotations. Every user-written string is escaped for
//! the format it lands in.

use crate::check::CheckResult;
use crate::findings::Finding;
use crate::load::Sources;
use crate::model::Severity;
use crate::rules::Rule;
use std::fmt::Write;

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn location(f: &Finding, sources: &Sources, index: usize) -> Option<serde_json::Value> {
    let subject = f.subjects.get(index)?;
    let loc = subject.loc?;
    Some(serde_json::json!({
        "physicalLocation": {
            "artifactLocation": { "uri": sources.name(loc.file) },
            "region": { "startLine": loc.line, "startColumn": loc.col }
        },
        "message": { "text": format!("`{}`", subject.id) }
    }))
}

/// SARIF 2.1.0: one run, the rules with their documentation, results located in the YAML.
pub fn sarif(result: &CheckResult, rules: &[&Rule]) -> String {
    let descriptors: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let m = &r.meta;
            serde_json::json!({
                "id": m.id,
                "name": m.name,
                "shortDescription": { "text": m.summary },
                "fullDescription": { "text": m.why },
                "help": {
                    "text": format!("{}\n\nWhy: {}\n\nSource: {}", m.summary, m.why, m.source),
                    "markdown": format!("**{}**\n\n{}\n\n*Source:* {}", m.summary, m.why, m.source),
                },
                "defaultConfiguration": { "level": sarif_level(m.severity) },
                "properties": { "category": m.category.as_str(), "tags": [m.category.as_str()] }
            })
        })
        .collect();
    let sources = &result.workspace.sources;
    let results: Vec<serde_json::Value> = result
        .findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(help) = &f.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let related: Vec<serde_json::Value> =
                (1..f.subjects.len()).filter_map(|i| location(f, sources, i)).collect();
            let mut value = serde_json::json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": { "text": text },
                "locations": location(f, sources, 0).into_iter().collect::<Vec<_>>(),
                "partialFingerprints": { "concordFindingKey/v1": f.key() },
                "properties": { "category": f.category.as_str(), "severity": f.severity.as_str(), "subjects": f.subjects.iter().map(|s| s.id.as_str()).collect::<Vec<_>>() }
            });
            if let Some(index) = rules.iter().position(|r| r.meta.id == f.rule) {
                value["ruleIndex"] = index.into();
            }
            if !related.is_empty() {
                value["relatedLocations"] = related.into();
            }
            value
        })
        .collect();
    let report = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "concord",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://concord.invalid/",
                "rules": descriptors
            } },
            "results": results
        }]
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// XML text and attribute escaping; control characters XML cannot carry are dropped.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            // Not characters in XML 1.0 either; shown as the replacement character.
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a test suite per rule; each finding a failed test case, a quiet rule one
/// passing case.
pub fn junit(result: &CheckResult, rules: &[&Rule]) -> String {
    let sources = &result.workspace.sources;
    let failures = result.findings.len();
    let tests: usize = rules
        .iter()
        .map(|r| {
            result
                .findings
                .iter()
                .filter(|f| f.rule == r.meta.id)
                .count()
                .max(1)
        })
        .sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"concord\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    for rule in rules {
        let found: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| f.rule == rule.meta.id)
            .collect();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{}\">",
            xml_escape(&rule.meta.id),
            xml_escape(&rule.meta.name),
            found.len().max(1),
            found.len()
        );
        if found.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"concord.{}\" name=\"no findings\"/>",
                xml_escape(&rule.meta.id)
            );
        }
        for f in found {
            let at = f
                .subjects
                .first()
                .and_then(|s| s.loc)
                .map_or(String::new(), |l| {
                    format!("{}:{}:{}", sources.name(l.file), l.line, l.col)
                });
            let _ = writeln!(
                out,
                "    <testcase classname=\"concord.{}\" name=\"{}\" file=\"{}\">",
                xml_escape(&f.rule),
                xml_escape(&f.key()),
                xml_escape(at.split(':').next().unwrap_or(""))
            );
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}{}</failure>",
                f.severity.as_str(),
                xml_escape(&f.message),
                xml_escape(&at),
                xml_escape(
                    &f.help
                        .as_ref()
                        .map_or(String::new(), |h| format!("\nhelp: {h}"))
                )
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// GitHub's escaping for an annotation's message.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping for an annotation's properties, where `:` and `,` are separators.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one annotation per finding.
pub fn github(result: &CheckResult) -> String {
    let sources = &result.workspace.sources;
    let mut out = String::new();
    for f in &result.findings {
        let command = match f.severity {
            Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        let location = f
            .subjects
            .first()
            .and_then(|s| s.loc)
            .map_or(String::new(), |l| {
                format!(
                    "file={},line={},col={},",
                    github_property(sources.name(l.file)),
                    l.line,
                    l.col
                )
            });
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{command} {location}title={}::{}",
            github_property(&format!("{} {}", f.rule, f.name)),
            github_data(&message)
        );
    }
    out
}

/// Text inside a Markdown table cell: pipes escaped, line breaks and HTML tags neutralised.
pub fn markdown_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_separators_and_newlines_are_escaped() {
        assert_eq!(github_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(github_data("line one\nline::two"), "line one%0Aline::two");
    }

    #[test]
    fn xml_special_characters_are_escaped() {
        assert_eq!(
            xml_escape("<script>\"&'\u{1}"),
            "&lt;script&gt;&quot;&amp;&apos;"
        );
    }
}
