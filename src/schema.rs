//! The workspace format described for machines (a draft-07 JSON Schema that YAML editors
//! use to complete and check files) and for people (`docs/schema.md`). Both come from the
//! model types, so they cannot drift from what the loader accepts.

use crate::model::{self, Model, Settings};
use schemars::generate::SchemaSettings;
use serde_json::Value;
use std::fmt::Write;

/// The JSON Schema of a workspace file.
pub fn workspace_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Model>().to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "$id".into(),
            Value::String("https://concord.invalid/schema/workspace.json".into()),
        );
    }
    schema
}

/// The JSON Schema of `concord.yaml`.
pub fn settings_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    generator.into_root_schema_for::<Settings>().to_value()
}

/// A short example of each kind, in the exact shapes the loader accepts.
pub const EXAMPLES: [(&str, &str); 10] = [
    (
        "agencies",
        "agencies:\n  - id: MOF\n    name: Ministry of Finance\n    name_zh: 财政部\n    kind: ministry\n    level: central\n  - id: JS\n    name: Jiangsu Provincial Government\n    kind: local_government\n    level: provincial\n    region: jiangsu\n",
    ),
    (
        "objectives",
        "objectives:\n  - id: DD\n    name: Expand domestic demand\n    domain: domestic_demand\n  - id: DD.consumption\n    name: Raise the final consumption rate\n    domain: domestic_demand\n    parent: DD\n    indicator: final_consumption_rate\n    direction: up\n    target: { value: 58.0, year: 2030, baseline: { year: 2021, value: 54.5 } }\n    tags: [consumption]\n",
    ),
    (
        "instruments",
        "instruments:\n  - id: tradein-subsidy\n    name: Consumer durables trade-in subsidy\n    kind: fiscal_subsidy\n    owner: MOF\n    co_owners: [MOFCOM]\n    stance: expansionary\n    targets:\n      - { objective: DD.consumption, effect: 2, confidence: medium, lag_months: 3 }\n    budget: { amount: 150.0, currency: CNY_bn, envelope: special-bonds-2024 }\n    horizon: { start: 2024-04-24, end: 2024-12-31, renewal: false }\n    scope:\n      sectors: [autos, home_appliances]\n      regions: [national]\n      beneficiaries: households\n      income_targeting: none\n    primary_objective: DD.consumption\n    source: paper 4.1\n",
    ),
    (
        "interactions",
        "interactions:\n  - { from: IU.equipment, to: DD.consumption, score: -1, why: shares of GDP compete }\n",
    ),
    (
        "mechanisms",
        "mechanisms:\n  - id: equipment-project-list\n    name: Shared list of eligible equipment projects\n    kind: shared_list\n    members: [PBOC, MIIT]\n    covers: [IU.equipment]\n",
    ),
    (
        "envelopes",
        "envelopes:\n  - id: special-bonds-2024\n    name: Ultra-long special treasury bonds, trade-in share\n    total: 300.0\n    currency: CNY_bn\n",
    ),
    (
        "indicators",
        "indicators:\n  - id: domestic_demand_share\n    name: Share of domestic demand\n    unit: percent_of_gdp\n    source: China Statistical Yearbook 2022\n    identity: [final_consumption_rate, capital_formation_rate]\n    series: { 2020: 97.6, 2021: 97.5 }\n",
    ),
    (
        "claims",
        "claims:\n  - id: consumption-above-half\n    text: the final consumption rate stayed above 50% in every year\n    indicator: final_consumption_rate\n    years: { from: 2019, to: 2021 }\n    predicate: \"value > 50.0\"\n    source: paper 2.1.2\n",
    ),
    (
        "packages",
        "packages:\n  - id: renewal-2024\n    name: Equipment renewal and trade-in package\n    issued: 2024-03-07\n    doc_no: Guofa [2024] No. 7\n    lead: MOF\n    instruments: [tradein-subsidy]\n    objectives: [DD.consumption]\n",
    ),
    (
        "waivers",
        "waivers:\n  - rule: CRD001\n    subjects: [MOF, PBOC]\n    reason: fiscal and monetary sides meet in the State Council executive meeting\n    owner: analyst@example.org\n    expires: 2026-12-31\n",
    ),
];

/// The vocabularies, each with its values and their meanings.
fn vocabularies() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    fn rows<T: Copy>(all: &[(T, &'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        all.iter().map(|(_, text, doc)| (*text, *doc)).collect()
    }
    vec![
        ("AgencyKind", rows(model::AgencyKind::ALL)),
        ("Level", rows(model::Level::ALL)),
        ("Domain", rows(model::Domain::ALL)),
        ("Direction", rows(model::Direction::ALL)),
        ("InstrumentKind", rows(model::InstrumentKind::ALL)),
        ("Stance", rows(model::Stance::ALL)),
        ("Confidence", rows(model::Confidence::ALL)),
        ("Currency", rows(model::Currency::ALL)),
        ("Beneficiary", rows(model::Beneficiary::ALL)),
        ("IncomeTargeting", rows(model::IncomeTargeting::ALL)),
        ("InfraType", rows(model::InfraType::ALL)),
        ("MechanismKind", rows(model::MechanismKind::ALL)),
        ("AllocationBasis", rows(model::AllocationBasis::ALL)),
        ("Executor", rows(model::Executor::ALL)),
        ("Ownership", rows(model::Ownership::ALL)),
        ("Unit", rows(model::Unit::ALL)),
        ("Severity", rows(model::Severity::ALL)),
    ]
}

fn definition_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// How a property's type reads in the reference: `string`, [`Stance`](#stance), `list of …`.
fn type_text(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = definition_name(reference);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some([single]) = schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return type_text(single);
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let parts: Vec<String> = any
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            .map(type_text)
            .collect();
        return parts.join(" or ");
    }
    if schema.get("format").and_then(Value::as_str) == Some("date") {
        return "date (`YYYY-MM-DD`)".into();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        return format!("one of {}", values.join(", "));
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "list of {}",
                schema.get("items").map_or("any".into(), type_text)
            )
        }
        Some(Value::String(t)) if t == "integer" => {
            match (schema.get("minimum"), schema.get("maximum")) {
                (Some(lo), Some(hi)) => format!("integer {lo}..{hi}"),
                _ => "integer".into(),
            }
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".into(),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Writes one object definition as a table of its fields.
fn fields_table(out: &mut String, definition: &Value) {
    let required: Vec<&str> = definition
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "| field | type | required | meaning |\n|---|---|---|---|"
    );
    if let Some(properties) = definition.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let description = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let _ = writeln!(
                out,
                "| `{name}` | {} | {} | {} |",
                cell(&type_text(property)),
                if required.contains(&name.as_str()) {
                    "yes"
                } else {
                    ""
                },
                cell(description),
            );
        }
    }
    out.push('\n');
}

/// The format reference, `docs/schema.md`.
pub fn markdown() -> String {
    let schema = workspace_schema();
    let definitions = schema.get("definitions").cloned().unwrap_or(Value::Null);
    let mut out = String::new();
    out.push_str("# The workspace format\n\n");
    out.push_str(
        "<!-- generated by `concord schema --format markdown`; a test fails when it is stale -->\n\n",
    );
    out.push_str(
        "A workspace is a folder of YAML files. Every `*.yaml` and `*.yml` file under it is read in \
         sorted order and merged; ids are unique across all files of their kind. Each file is a \
         mapping with any of the top-level keys below, each holding a list. Field names and enum \
         values are snake_case, dates are ISO `YYYY-MM-DD`, text is UTF-8 (Chinese names are \
         welcome in `name_zh`). Text is kept as written, quoted or not: an unquoted `NO`, `y` or \
         `1.10` in a text field stays `NO`, `y` and `1.10`, while `yes`, `no`, `on` and `off` are \
         booleans where a boolean is expected. An unknown key or value is an error that names the \
         closest known one.\n\n\
         Editors that read JSON Schema (draft-07) can complete and check these files: \
         `concord schema > concord.schema.json`, then point the YAML extension at it, for example \
         with `# yaml-language-server: $schema=concord.schema.json` at the top of a file.\n\n",
    );
    out.push_str("| key | holds |\n|---|---|\n");
    let top = schema.get("properties").and_then(Value::as_object);
    for kind in model::KINDS {
        let description = top
            .and_then(|t| t.get(kind))
            .and_then(|p| p.get("description"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let _ = writeln!(out, "| [`{kind}`](#{kind}) | {} |", cell(description));
    }
    out.push('\n');

    let mut documented: Vec<String> = Vec::new();
    for (kind, example) in EXAMPLES {
        let item_ref = top
            .and_then(|t| t.get(kind))
            .and_then(|p| p.get("items"))
            .and_then(|i| i.get("$ref"))
            .and_then(Value::as_str)
            .map(definition_name)
            .unwrap_or_default()
            .to_owned();
        let _ = writeln!(out, "## `{kind}`\n");
        if let Some(definition) = definitions.get(&item_ref) {
            if let Some(description) = definition.get("description").and_then(Value::as_str) {
                let _ = writeln!(out, "{description}\n");
            }
            fields_table(&mut out, definition);
            documented.push(item_ref.clone());
        }
        let _ = writeln!(out, "```yaml\n{example}```\n");
    }

    out.push_str("## Nested values\n\n");
    if let Some(all) = definitions.as_object() {
        for (name, definition) in all {
            let is_object = definition.get("properties").is_some();
            if !is_object || documented.contains(name) {
                continue;
            }
            let _ = writeln!(out, "### {name}\n");
            if let Some(description) = definition.get("description").and_then(Value::as_str) {
                let _ = writeln!(out, "{description}\n");
            }
            fields_table(&mut out, definition);
        }
    }
    out.push_str("### Series\n\nA mapping from four-digit year to value, e.g. `series: { 2020: 54.7, 2021: 54.5 }`; values are numbers in the indicator's unit.\n\n");
    out.push_str("### Score\n\nAn integer on the seven-point scale of Nilsson, Griggs & Visbeck (2016): `3` indivisible, `2` reinforcing, `1` enabling, `0` consistent, `-1` constraining, `-2` counteracting, `-3` cancelling. Values outside -3..3 are errors.\n\n");
    out.push_str("### UpgradeCategory\n\nThe paper's three categories of industrial-upgrade support (section 4.2): `1` government-led strategic support for chokepoint technologies, `2` lagging, transition and new-technology industries, `3` market incubation of emerging industries.\n\n");

    out.push_str("## Vocabularies\n\nUnits are named by the vocabularies `Unit` (indicators) and `Currency` (budgets, envelopes); amounts in different currencies are never added together.\n\n");
    for (name, values) in vocabularies() {
        let _ = writeln!(out, "### {name}\n\n| value | meaning |\n|---|---|");
        for (value, meaning) in values {
            let _ = writeln!(out, "| `{value}` | {} |", cell(meaning));
        }
        out.push('\n');
    }

    out.push_str("## Settings: `concord.yaml`\n\nAn optional `concord.yaml` at the workspace root holds settings, never entities.\n\n");
    let settings = settings_schema();
    fields_table(&mut out, &settings);
    if let Some(definition) = settings
        .get("definitions")
        .and_then(|d| d.get("RuleOverride"))
    {
        out.push_str("### RuleOverride\n\n");
        fields_table(&mut out, definition);
    }
    out.push_str("```yaml\nrule_folders: [local-rules]\nfail_on: medium\nrule_timeout_ms: 5000\nrules:\n  CRD004:\n    severity: low\n    params: { min_months: 18 }\n  GAP006:\n    enabled: false\n```\n");
    out
}
