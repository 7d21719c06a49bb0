//! Machine formats of `check`: SARIF, JUnit and GitHub annotations, several in one run,
//! written atomically, never over an input, with user text escaped in each.

mod common;

use common::{root, run_in};

fn hostile_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = "objectives:\n  - id: DD.income\n    name: \"<script>alert(1)</script> | a, b: c\\n::error::injected\"\n    domain: domestic_demand\n";
    std::fs::write(dir.path().join("ws.yaml"), text).unwrap();
    dir
}

#[test]
fn one_run_writes_several_formats_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let policies = root().join("policies");
    let policies = policies.to_str().unwrap();
    let run = run_in(
        dir.path(),
        &[
            "check",
            policies,
            "--format",
            "sarif=r.sarif",
            "--format",
            "junit=r.xml",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let findings = json["findings"].as_array().unwrap().len();

    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let sarif_run = &sarif["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 26);
    assert!(
        rules
            .iter()
            .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()))
    );
    let results = sarif_run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with(".yaml")
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() > 0);
    }

    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit output parses as XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    assert_eq!(
        suites
            .attribute("failures")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        findings
    );
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, findings);
}

/// JSON and SARIF on stdout are written as they are built, and to a file through a
/// string: both ways must give the same bytes.
#[test]
fn reports_streamed_to_stdout_equal_those_written_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let policies = root().join("policies");
    let policies = policies.to_str().unwrap();
    for format in ["json", "sarif"] {
        let streamed = run_in(dir.path(), &["check", policies, "--format", format]);
        assert_eq!(streamed.code, 1, "{}", streamed.stderr);
        let to_file = format!("{format}=report.{format}");
        let written = run_in(dir.path(), &["check", policies, "--format", &to_file]);
        assert_eq!(written.code, 1, "{}", written.stderr);
        let file = std::fs::read_to_string(dir.path().join(format!("report.{format}"))).unwrap();
        assert!(file.len() > 10_000, "{format}: {} bytes", file.len());
        assert_eq!(streamed.stdout, file, "{format}");
    }
}

#[test]
fn github_annotations_are_one_line_each_and_located() {
    let run = run_in(&root(), &["check", "policies", "--format", "github"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let json = run_in(&root(), &["check", "policies", "--format", "json"]).json();
    assert_eq!(lines.len(), json["findings"].as_array().unwrap().len());
    for line in lines {
        assert!(
            ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|p| line.starts_with(p)),
            "{line}"
        );
        assert!(
            line.contains("file=policies/") && line.contains(",line="),
            "{line}"
        );
    }
}

#[test]
fn user_text_is_escaped_in_every_machine_format() {
    let dir = hostile_workspace();
    let github = run_in(
        dir.path(),
        &[
            "check", "ws.yaml", "--select", "GAP001", "--format", "github",
        ],
    );
    assert_eq!(github.stdout.lines().count(), 1, "{}", github.stdout);
    assert!(
        github.stdout.contains("%0A::error::injected"),
        "{}",
        github.stdout
    );

    let junit = run_in(
        dir.path(),
        &[
            "check", "ws.yaml", "--select", "GAP001", "--format", "junit",
        ],
    );
    let doc = roxmltree::Document::parse(&junit.stdout).expect("escaped XML parses");
    assert!(!junit.stdout.contains("<script>"));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("<script>alert(1)</script>")
    );

    let sarif = run_in(
        dir.path(),
        &[
            "check", "ws.yaml", "--select", "GAP001", "--format", "sarif",
        ],
    );
    let value: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let text = value["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("<script>alert(1)</script>"),
        "JSON carries the text intact: {text}"
    );
}

#[test]
fn a_report_never_overwrites_an_input_and_bad_formats_are_usage_errors() {
    let dir = hostile_workspace();
    let before = std::fs::read_to_string(dir.path().join("ws.yaml")).unwrap();
    let run = run_in(
        dir.path(),
        &["check", "ws.yaml", "--format", "json=ws.yaml"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("refusing to write the report over"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ws.yaml")).unwrap(),
        before
    );

    let run = run_in(dir.path(), &["check", "ws.yaml", "--format", "sarf"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `sarif`?"),
        "{}",
        run.stderr
    );
    let run = run_in(
        dir.path(),
        &["check", "ws.yaml", "--format", "json", "--format", "text"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("only one format can go to stdout"),
        "{}",
        run.stderr
    );
}

#[test]
fn output_replaces_an_existing_report_whole() {
    let dir = hostile_workspace();
    std::fs::write(
        dir.path().join("report.json"),
        "old contents that are much longer than nothing",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--format",
            "json",
            "--output",
            "report.json",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let written = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&written).expect("the whole new report");
    assert_eq!(value["version"], 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");
}

/// The official SARIF 2.1.0 schema (OASIS), kept in the fixtures so the test runs offline.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json"))
        .expect("the SARIF schema is in tests/fixtures");
    // The published schema writes the `language` patterns with a stray `]`, which
    // ECMAScript tolerates and Rust's regex engine refuses; Concord never emits `language`,
    // so the patterns are only made parseable here, with the same meaning.
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2);
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    jsonschema::draft7::new(&schema).expect("the SARIF schema compiles")
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    let policies = root().join("policies");
    let run = run_in(
        &root(),
        &["check", policies.to_str().unwrap(), "--format", "sarif"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif = run.json();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The validator does reject a broken log, so the check above can fail.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    broken["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert_eq!(validator.iter_errors(&broken).count(), 2);

    let dir = hostile_workspace();
    let run = run_in(dir.path(), &["check", "ws.yaml", "--format", "sarif"]);
    assert!(validator.is_valid(&run.json()), "{}", run.stdout);
}
