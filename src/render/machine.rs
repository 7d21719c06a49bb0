//! Findings for review pipelines: SARIF 2.1.0 (code-scanning tools), JUnit XML (test
//! dashboards) and GitHub workflow annotations. Every user-written string is escaped for
//! the format it lands in.

use crate::check::CheckResult;
use crate::findings::Finding;
use crate::load::Sources;
use crate::model::Severity;
use crate::rules::Rule;
use serde::Serialize;
use std::fmt::Write;

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

#[derive(Serialize)]
struct SarifLocation<'a> {
    #[serde(rename = "physicalLocation")]
    physical: SarifPhysical<'a>,
    message: SarifText,
}

#[derive(Serialize)]
struct SarifPhysical<'a> {
    #[serde(rename = "artifactLocation")]
    artifact: SarifArtifact<'a>,
    region: SarifRegion,
}

#[derive(Serialize)]
struct SarifArtifact<'a> {
    uri: &'a str,
}

#[derive(Serialize)]
struct SarifRegion {
    #[serde(rename = "startLine")]
    start_line: u32,
    #[serde(rename = "startColumn")]
    start_column: u32,
}

#[derive(Serialize)]
struct SarifText {
    text: String,
}

fn location<'a>(f: &'a Finding, sources: &'a Sources, index: usize) -> Option<SarifLocation<'a>> {
    let subject = f.subjects.get(index)?;
    let loc = subject.loc?;
    Some(SarifLocation {
        physical: SarifPhysical {
            artifact: SarifArtifact {
                uri: sources.name(loc.file),
            },
            region: SarifRegion {
                start_line: loc.line,
                start_column: loc.col,
            },
        },
        message: SarifText {
            text: format!("`{}`", subject.id),
        },
    })
}

#[derive(Serialize)]
struct SarifReport<'a, R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [SarifRun<'a, R>; 1],
}

#[derive(Serialize)]
struct SarifRun<'a, R> {
    tool: SarifTool<'a>,
    results: R,
}

#[derive(Serialize)]
struct SarifTool<'a> {
    driver: SarifDriver<'a>,
}

#[derive(Serialize)]
struct SarifDriver<'a> {
    name: &'static str,
    version: &'static str,
    #[serde(rename = "informationUri")]
    information_uri: &'static str,
    rules: Vec<SarifRule<'a>>,
}

#[derive(Serialize)]
struct SarifRule<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "shortDescription")]
    short_description: SarifText,
    #[serde(rename = "fullDescription")]
    full_description: SarifText,
    help: SarifHelp,
    #[serde(rename = "defaultConfiguration")]
    default_configuration: SarifLevel,
    properties: SarifRuleProperties,
}

#[derive(Serialize)]
struct SarifHelp {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct SarifLevel {
    level: &'static str,
}

#[derive(Serialize)]
struct SarifRuleProperties {
    category: &'static str,
    tags: [&'static str; 1],
}

#[derive(Serialize)]
struct SarifResult<'a> {
    #[serde(rename = "ruleId")]
    rule_id: &'a str,
    level: &'static str,
    message: SarifText,
    locations: Vec<SarifLocation<'a>>,
    #[serde(rename = "partialFingerprints")]
    fingerprints: SarifFingerprints,
    properties: SarifResultProperties<'a>,
    #[serde(rename = "ruleIndex", skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(rename = "relatedLocations", skip_serializing_if = "Vec::is_empty")]
    related: Vec<SarifLocation<'a>>,
}

#[derive(Serialize)]
struct SarifFingerprints {
    #[serde(rename = "concordFindingKey/v1")]
    key: String,
}

#[derive(Serialize)]
struct SarifResultProperties<'a> {
    category: &'static str,
    severity: &'static str,
    subjects: Vec<&'a str>,
}

fn sarif_rule<'a>(rule: &'a Rule) -> SarifRule<'a> {
    let m = &rule.meta;
    SarifRule {
        id: &m.id,
        name: &m.name,
        short_description: SarifText {
            text: m.summary.clone(),
        },
        full_description: SarifText {
            text: m.why.clone(),
        },
        help: SarifHelp {
            text: format!("{}\n\nWhy: {}\n\nSource: {}", m.summary, m.why, m.source),
            markdown: format!("**{}**\n\n{}\n\n*Source:* {}", m.summary, m.why, m.source),
        },
        default_configuration: SarifLevel {
            level: sarif_level(m.severity),
        },
        properties: SarifRuleProperties {
            category: m.category.as_str(),
            tags: [m.category.as_str()],
        },
    }
}

fn sarif_result<'a>(f: &'a Finding, sources: &'a Sources, rules: &[&Rule]) -> SarifResult<'a> {
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    SarifResult {
        rule_id: &f.rule,
        level: sarif_level(f.severity),
        message: SarifText { text },
        locations: location(f, sources, 0).into_iter().collect(),
        fingerprints: SarifFingerprints { key: f.key() },
        properties: SarifResultProperties {
            category: f.category.as_str(),
            severity: f.severity.as_str(),
            subjects: f.subjects.iter().map(|s| s.id.as_str()).collect(),
        },
        rule_index: rules.iter().position(|r| r.meta.id == f.rule),
        related: (1..f.subjects.len())
            .filter_map(|i| location(f, sources, i))
            .collect(),
    }
}

/// SARIF 2.1.0: one run, the rules with their documentation, results located in the YAML.
pub fn sarif(result: &CheckResult, rules: &[&Rule]) -> String {
    super::written(|out| write_sarif(result, rules, out))
}

/// Writes the SARIF report to `out`, each result as it is built: a national workspace's
/// report is about 100 MB, and built whole as a JSON tree first it took ten times that.
pub fn write_sarif(
    result: &CheckResult,
    rules: &[&Rule],
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let sources = &result.workspace.sources;
    let report = SarifReport {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "concord",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://concord.invalid/",
                    rules: rules.iter().map(|r| sarif_rule(r)).collect(),
                },
            },
            results: super::each(
                result
                    .findings
                    .iter()
                    .map(|f| sarif_result(f, sources, rules)),
            ),
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
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
