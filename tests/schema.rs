//! The JSON Schema and the format reference: both committed, both fresh, and the schema
//! accepts what the loader accepts.

mod common;

use common::{root, run_in};
use concord::load::{Node, ReadLimits, Value, parse};

/// Compares a generated document with its committed copy; `UPDATE_DOCS=1` rewrites it.
fn assert_fresh(relative: &str, generated: &str) {
    let path = root().join(relative);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "`{relative}` is stale: run `UPDATE_DOCS=1 cargo test --test schema` and commit it"
    );
}

#[test]
fn the_committed_schema_is_fresh() {
    let run = run_in(&root(), &["schema"]);
    assert_eq!(run.code, 0);
    assert_fresh("docs/concord.schema.json", &run.stdout);
}

#[test]
fn the_format_reference_is_fresh() {
    let run = run_in(&root(), &["schema", "--format", "markdown"]);
    assert_eq!(run.code, 0);
    assert_fresh("docs/schema.md", &run.stdout);
}

#[test]
fn the_format_reference_documents_every_key_and_value() {
    let reference = concord::schema::markdown();
    for kind in concord::model::KINDS {
        assert!(reference.contains(&format!("## `{kind}`")), "{kind}");
    }
    for (_, value, _) in concord::model::InstrumentKind::ALL {
        assert!(reference.contains(&format!("| `{value}` |")), "{value}");
    }
    for field in [
        "upgrade_category",
        "infra_type",
        "primary_objective",
        "income_targeting",
    ] {
        assert!(reference.contains(&format!("| `{field}` |")), "{field}");
    }
}

/// YAML as an editor's schema checker sees it: keys are strings, dates are strings.
fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::Str(s) => s.as_ref().into(),
        Value::Seq(items) => items.iter().map(to_json).collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.scalar_text().unwrap_or_default(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn workspace_validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&concord::schema::workspace_schema()).expect("the schema compiles")
}

fn yaml_as_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    to_json(&parse(&text, 0, &ReadLimits::default()).unwrap().unwrap())
}

#[test]
fn the_schema_accepts_the_normative_example_and_the_reference_workspace() {
    let validator = workspace_validator();
    let mut files = vec![root().join("tests/fixtures/format/workspace.yaml")];
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("concord.yaml") {
            files.push(path);
        }
    }
    assert!(files.len() > 3);
    for file in files {
        let instance = yaml_as_json(&file);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let validator = workspace_validator();
    for bad in [
        "agencies:\n  - { id: MOF, nmae: Finance, kind: ministry, level: central }\n",
        "agencies:\n  - { id: MOF, name: Finance, kind: ministery, level: central }\n",
        "instruments:\n  - { id: a, name: A, kind: tax_cut, owner: MOF, targets: [{ objective: X, effect: 4 }] }\n",
        "agencie: []\n",
    ] {
        let instance = to_json(&parse(bad, 0, &ReadLimits::default()).unwrap().unwrap());
        assert!(!validator.is_valid(&instance), "accepted: {bad}");
    }
}

#[test]
fn the_settings_schema_describes_concord_yaml() {
    let schema = concord::schema::settings_schema();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let good = to_json(
        &parse(
            "fail_on: medium\nrules:\n  CRD004: { severity: low, params: { months: 18 } }\n",
            0,
            &ReadLimits::default(),
        )
        .unwrap()
        .unwrap(),
    );
    assert!(validator.is_valid(&good));
    let bad = to_json(
        &parse("fail_on: sometimes\n", 0, &ReadLimits::default())
            .unwrap()
            .unwrap(),
    );
    assert!(!validator.is_valid(&bad));
}
