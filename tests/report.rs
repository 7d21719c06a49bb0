//! `concord report`: the Markdown and HTML reports of the reference workspace, custom
//! templates (restyling, mistakes, runaway loops), and user text kept inert.

mod common;

use common::{root, run_in};

const TODAY: &str = "2026-11-28";

fn policies() -> String {
    root().join("policies").to_string_lossy().into_owned()
}

/// A workspace whose every free-text field carries markup and table breakers.
fn hostile_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let evil = "<script>alert(1)</script> | `tick` [link](javascript:x)\\n# heading";
    let text = format!(
        r#"agencies:
  - {{ id: MOF, name: "{evil}", kind: ministry, level: central }}
objectives:
  - {{ id: DD.income, name: "{evil}", domain: domestic_demand }}
  - {{ id: DD.jobs, name: "{evil}", domain: domestic_demand }}
instruments:
  - id: tax-cut
    name: "{evil}"
    kind: tax_cut
    owner: MOF
    targets: [{{ objective: DD.income, effect: 2 }}]
indicators:
  - {{ id: rate, name: "{evil}", unit: percent, series: {{ 2020: 1.0, 2021: 2.0 }} }}
claims:
  - {{ id: c1, text: "{evil}", indicator: rate, years: {{ from: 2020, to: 2021 }}, predicate: "value > 1.5" }}
"#
    );
    std::fs::write(dir.path().join("ws.yaml"), text).unwrap();
    dir
}

#[test]
fn the_markdown_report_of_the_reference_workspace() {
    let run = run_in(
        &root(),
        &[
            "report", "policies", "--format", "markdown", "--today", TODAY,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for section in [
        "## Summary",
        "## Objectives, instruments and agencies",
        "```mermaid",
        "## Findings",
        "## Coverage: objectives × agencies",
        "## Cross-impact: instruments × objectives",
        "## Indicators",
        "## Claims",
    ] {
        assert!(run.stdout.contains(section), "missing {section}");
    }
    // Every table row has as many cells as its header.
    let mut columns = None;
    for line in run.stdout.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        let expected = *columns.get_or_insert(cells);
        assert_eq!(cells, expected, "ragged table row: {line}");
    }
    insta::assert_snapshot!("report_markdown_policies", run.stdout);
}

#[test]
fn the_html_report_of_the_reference_workspace_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let run = run_in(
        &root(),
        &[
            "report",
            "policies",
            "--output",
            out.to_str().unwrap(),
            "--today",
            TODAY,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!("wrote {} (49 findings)\n", out.display())
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // Nothing is fetched: no URL other than the SVG namespace, no external resources.
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(at, _)| &html[at..(at + 40).min(html.len())])
        .filter(|u| !u.starts_with("http://www.w3.org/2000/svg") && !u.starts_with("http-equiv"))
        .collect();
    assert!(urls.is_empty(), "{urls:?}");
    for needle in [" src=", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "{needle}");
    }
    // 91 instruments, 33 objectives and the 22 agencies that own or co-own one.
    assert_eq!(html.matches("<g class=\"node ").count(), 146);
    assert_eq!(html.matches("<polyline class=\"series\"").count(), 7);
    assert_eq!(html.matches("<tr data-severity=").count(), 49);
    insta::assert_snapshot!("report_html_policies", html);
}

#[test]
fn a_package_report_covers_only_the_package() {
    let run = run_in(
        &root(),
        &[
            "report",
            &policies(),
            "--package",
            "renewal-tradein-2024",
            "--format",
            "md",
            "--today",
            TODAY,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("package renewal-tradein-2024"));
    assert!(run.stdout.contains("durables-trade-in-2024"));
    assert!(!run.stdout.contains("| special-bonds-traditional-infra |"));
}

#[test]
fn a_script_tag_in_any_name_is_inert_in_every_format() {
    let dir = hostile_workspace();
    let html = run_in(dir.path(), &["report", "ws.yaml", "--today", TODAY]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert_eq!(
        html.stdout.matches("<script").count(),
        1,
        "only Concord's own"
    );
    assert!(
        html.stdout
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
    );
    assert!(!html.stdout.contains("<a "));

    let md = run_in(
        dir.path(),
        &[
            "report", "ws.yaml", "--format", "markdown", "--today", TODAY,
        ],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(!md.stdout.contains("<script"));
    assert!(
        !md.stdout.contains(" [link]("),
        "brackets are escaped, so no link"
    );
    assert!(
        md.stdout
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| ")
    );
    assert!(!md.stdout.lines().any(|l| l.starts_with("# heading")));

    let mermaid = run_in(dir.path(), &["graph", "ws.yaml", "--format", "mermaid"]);
    assert!(!mermaid.stdout.contains("<script"), "{}", mermaid.stdout);
    let dot = run_in(dir.path(), &["graph", "ws.yaml", "--format", "dot"]);
    assert!(
        dot.stdout.contains("<script>"),
        "DOT labels are quoted strings"
    );
    assert!(!dot.stdout.contains("\"<script"), "{}", dot.stdout);
}

#[test]
fn a_custom_template_restyles_the_report_without_recompiling() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("house.html"),
        r#"{% extends "concord/report.html" %}
{% block style %}{{ super() }} body { background: #fffbe6; } {% endblock %}
{% block header %}<h1 class="house">Ministry memo: {{ title }}</h1>{% endblock %}"#,
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[
            "report",
            &policies(),
            "--template",
            "house.html",
            "--today",
            TODAY,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("<h1 class=\"house\">Ministry memo: Coordination report</h1>")
    );
    assert!(run.stdout.contains("background: #fffbe6"));
    assert!(
        run.stdout.contains("<table id=\"findings\">"),
        "other blocks stay"
    );

    std::fs::write(
        dir.path().join("memo.md"),
        "# {{ title }}\n{% for f in findings %}- {{ f.rule }}: {{ f.message }}\n{% endfor %}",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[
            "report",
            &policies(),
            "--template",
            "memo.md",
            "--format",
            "markdown",
            "--today",
            TODAY,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("- ")).count(),
        49
    );
    assert!(
        run.stdout.contains("DD.social\\_security"),
        "escaped for Markdown"
    );
}

#[test]
fn a_template_mistake_is_located_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.html"),
        "<h1>{{ title }}</h1>\n<p>{{ sumary.findings }} findings</p>\n",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[
            "report",
            &policies(),
            "--template",
            "t.html",
            "--today",
            TODAY,
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!("report_template_typo", run.transcript());

    std::fs::write(dir.path().join("t.html"), "{{ summary.findigs }}\n").unwrap();
    let run = run_in(dir.path(), &["report", &policies(), "--template", "t.html"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `findings`?"),
        "{}",
        run.stderr
    );

    std::fs::write(dir.path().join("t.html"), "{% for x in findings %}\n").unwrap();
    let run = run_in(dir.path(), &["report", &policies(), "--template", "t.html"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("t.html:"), "{}", run.stderr);
    assert!(run.stderr.contains("syntax error"), "{}", run.stderr);
}

/// The page is written as it is rendered, yet a template that fails after writing rows
/// leaves neither half a page on stdout nor half a file in place of the old report.
#[test]
fn a_report_that_fails_part_way_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.html"),
        "{% for f in findings %}<p>{{ f.rule }}: {{ f.message }}</p>\n{% endfor %}{{ findings[0].nothing.here }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("out.html"), "the old report\n").unwrap();
    let args = [
        "report",
        &policies(),
        "--template",
        "t.html",
        "--today",
        TODAY,
    ];
    let run = run_in(dir.path(), &args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("t.html:2:27"), "{}", run.stderr);

    let run = run_in(dir.path(), &[&args[..], &["-o", "out.html"]].concat());
    assert_eq!(run.code, 2, "{}", run.stderr);
    let old = std::fs::read_to_string(dir.path().join("out.html")).unwrap();
    assert_eq!(old, "the old report\n");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["out.html", "t.html"]);
}

#[test]
fn a_runaway_template_runs_out_of_fuel() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loop.html"),
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ i * j }}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &["report", &policies(), "--template", "loop.html"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("out of fuel"), "{}", run.stderr);
    assert!(
        run.stderr.contains("template instructions"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_report_never_replaces_an_input_or_its_template() {
    let dir = hostile_workspace();
    std::fs::write(dir.path().join("t.md"), "{{ title }}\n").unwrap();
    for target in ["ws.yaml", "t.md"] {
        let before = std::fs::read_to_string(dir.path().join(target)).unwrap();
        let run = run_in(
            dir.path(),
            &["report", "ws.yaml", "--template", "t.md", "-o", target],
        );
        assert_eq!(run.code, 2, "{target}");
        assert!(run.stderr.contains("refusing to write"), "{}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(target)).unwrap(),
            before
        );
    }
    let run = run_in(
        dir.path(),
        &["report", "ws.yaml", "--template", "missing.html"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.html"), "{}", run.stderr);
}

#[test]
fn every_field_a_template_sees_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/report-templates.md")).unwrap();
    let run = run_in(&root(), &["report", "policies", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    fn keys(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.insert(k.clone());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = std::collections::BTreeSet::new();
    keys(&run.json(), &mut all);
    let missing: Vec<&String> = all
        .iter()
        .filter(|k| {
            !doc.contains(&format!("`{k}`"))
                && !doc.contains(&format!("{k}: ["))
                && !doc.contains(&format!("{k},"))
                && !doc.contains(&format!("{k}}}"))
                && !doc.contains(&format!("{{{k}"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented report fields: {missing:?}"
    );
}
