//! `concord graph`: DOT, Mermaid and JSON of the policy graph, whole or focused, with
//! user text escaped; Graphviz accepts the DOT when it is installed.

mod common;

use common::{root, run_in};

const EXAMPLE: &str = "tests/fixtures/format/workspace.yaml";

#[test]
fn a_focused_neighbourhood_in_dot() {
    let run = run_in(
        &root(),
        &["graph", EXAMPLE, "--focus", "IU.equipment", "--depth", "1"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn mermaid_and_json_describe_the_same_graph() {
    let mermaid = run_in(&root(), &["graph", EXAMPLE, "--format", "mermaid"]);
    assert_eq!(mermaid.code, 0);
    assert!(mermaid.stdout.starts_with("flowchart LR\n"));
    let json = run_in(&root(), &["graph", EXAMPLE, "--format", "json"]).json();
    let nodes = json["nodes"].as_array().unwrap();
    let edges = json["edges"].as_array().unwrap();
    assert_eq!(
        mermaid
            .stdout
            .lines()
            .filter(|l| l.contains("-->") || l.contains("-.->"))
            .count(),
        edges.len()
    );
    assert_eq!(
        nodes.len(),
        19,
        "5 agencies, 4 objectives, 3 instruments, 1 mechanism, 1 envelope, 3 indicators, 1 claim, 1 package"
    );
    let negative = edges.iter().find(|e| e["relation"] == "interacts").unwrap();
    assert_eq!(negative["value"], -1);
}

#[test]
fn a_package_view_leaves_out_what_is_not_in_it() {
    let all = run_in(&root(), &["graph", "policies", "--format", "json"]).json();
    let package = run_in(
        &root(),
        &[
            "graph",
            "policies",
            "--format",
            "json",
            "--package",
            "renewal-tradein-2024",
        ],
    )
    .json();
    let count = |v: &serde_json::Value, kind: &str| {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == kind)
            .count()
    };
    assert!(count(&package, "instrument") < count(&all, "instrument"));
    assert!(count(&package, "instrument") >= 5);
}

#[test]
fn unknown_focus_is_a_usage_error_with_a_suggestion() {
    let run = run_in(&root(), &["graph", "policies", "--focus", "MITT"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `MIIT`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn user_text_is_escaped_in_every_graph_format() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "agencies:\n  - { id: X, name: \"<script>alert(1)</script> \\\"quoted\\\" \\\\ back\", kind: other, level: central }\n";
    std::fs::write(dir.path().join("ws.yaml"), hostile).unwrap();
    let dot = run_in(dir.path(), &["graph", "ws.yaml"]);
    assert!(
        dot.stdout.contains(r#"\"quoted\" \\ back"#),
        "{}",
        dot.stdout
    );
    let mermaid = run_in(dir.path(), &["graph", "ws.yaml", "--format", "mermaid"]);
    assert!(!mermaid.stdout.contains("<script>"), "{}", mermaid.stdout);
    assert!(
        mermaid.stdout.contains("#lt;script#gt;"),
        "{}",
        mermaid.stdout
    );
    let json = run_in(dir.path(), &["graph", "ws.yaml", "--format", "json"]).json();
    assert!(
        json["nodes"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("<script>")
    );
}

#[test]
fn graphviz_accepts_the_dot_output() {
    let Ok(probe) = std::process::Command::new("dot").arg("-V").output() else {
        eprintln!("skipped: Graphviz `dot` is not installed (`.ci/run` installs it)");
        return;
    };
    assert!(probe.status.success());
    let dir = tempfile::tempdir().unwrap();
    let graph = run_in(&root(), &["graph", "policies"]);
    std::fs::write(dir.path().join("g.dot"), &graph.stdout).unwrap();
    let svg = std::process::Command::new("dot")
        .args(["-Tsvg", "g.dot", "-o", "g.svg"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
    assert!(
        std::fs::read_to_string(dir.path().join("g.svg"))
            .unwrap()
            .contains("<svg")
    );
}
