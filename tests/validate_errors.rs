//! Every error class of the validator, each made by a one-line change to the normative
//! example: the right code, at the right line and column, with a useful hint, and exit 2.

mod common;

use common::{run_in, with_line_changed};

struct Case {
    name: &'static str,
    old: &'static str,
    new: &'static str,
    code: &'static str,
    /// Text that starts the offending value on the changed line.
    value: &'static str,
    /// Text the hint must contain.
    hint: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "yaml_syntax",
        old: "    name: Ministry of Finance",
        new: "    name: Ministry: of Finance",
        code: "yaml-syntax",
        value: ": of",
        hint: "indentation",
    },
    Case {
        name: "unknown_key",
        old: "    name_zh: 财政部",
        new: "    name_zn: 财政部",
        code: "unknown-key",
        value: "name_zn",
        hint: "did you mean `name_zh`?",
    },
    Case {
        name: "unknown_top_level_key",
        old: "envelopes:",
        new: "envelope:",
        code: "unknown-key",
        value: "envelope",
        hint: "did you mean `envelopes`?",
    },
    Case {
        name: "wrong_type",
        old: "    total: 300.0",
        new: "    total: [300.0]",
        code: "wrong-type",
        value: "[300.0]",
        hint: "",
    },
    Case {
        name: "unknown_enum_value",
        old: "    kind: central_bank",
        new: "    kind: centralbank",
        code: "unknown-value",
        value: "centralbank",
        hint: "did you mean `central_bank`?",
    },
    Case {
        name: "missing_field",
        old: "    name: Shared list of eligible equipment projects",
        new: "",
        code: "missing-field",
        value: "",
        hint: "add `name:`",
    },
    Case {
        name: "duplicate_id",
        old: "  - id: MOHRSS",
        new: "  - id: MIIT",
        code: "duplicate-id",
        value: "MIIT",
        hint: "unique",
    },
    Case {
        name: "unknown_owner",
        old: "    owner: JS",
        new: "    owner: JSS",
        code: "unknown-reference",
        value: "JSS",
        hint: "did you mean `JS`?",
    },
    Case {
        name: "unknown_co_owner",
        old: "    co_owners: [MIIT]",
        new: "    co_owners: [MIT]",
        code: "unknown-reference",
        value: "MIT",
        hint: "did you mean `MIIT`?",
    },
    Case {
        name: "unknown_target_objective",
        old: "      - { objective: IU.equipment, effect: 2 }",
        new: "      - { objective: IU.equipmnt, effect: 2 }",
        code: "unknown-reference",
        value: "IU.equipmnt",
        hint: "did you mean `IU.equipment`?",
    },
    Case {
        name: "unknown_parent",
        old: "    parent: IU",
        new: "    parent: UI",
        code: "unknown-reference",
        value: "UI",
        hint: "did you mean `IU`?",
    },
    Case {
        name: "unknown_indicator",
        old: "    indicator: final_consumption_rate",
        new: "    indicator: final_consumption",
        code: "unknown-reference",
        value: "final_consumption",
        hint: "",
    },
    Case {
        name: "unknown_envelope",
        old: "    budget: { amount: 150.0, currency: CNY_bn, envelope: special-bonds-2024 }",
        new: "    budget: { amount: 150.0, currency: CNY_bn, envelope: special-bonds-2025 }",
        code: "unknown-reference",
        value: "special-bonds-2025",
        hint: "did you mean `special-bonds-2024`?",
    },
    Case {
        name: "unknown_requires",
        old: "    requires: [equipment-relending]",
        new: "    requires: [equipment-lending]",
        code: "unknown-reference",
        value: "equipment-lending",
        hint: "did you mean `equipment-relending`?",
    },
    Case {
        name: "unknown_continues",
        old: "    requires: [equipment-relending]",
        new: "    continues: equipment-relendng",
        code: "unknown-reference",
        value: "equipment-relendng",
        hint: "did you mean `equipment-relending`?",
    },
    Case {
        name: "unknown_replaces",
        old: "    requires: [equipment-relending]",
        new: "    replaces: tradein-subsidi",
        code: "unknown-reference",
        value: "tradein-subsidi",
        hint: "did you mean `tradein-subsidy`?",
    },
    Case {
        name: "unknown_primary_objective",
        old: "    primary_objective: IU.equipment",
        new: "    primary_objective: IU.equip",
        code: "unknown-reference",
        value: "IU.equip",
        hint: "",
    },
    Case {
        name: "unknown_interaction_end",
        old: "  - { from: IU.equipment, to: DD.consumption, score: -1, why: shares of GDP compete }",
        new: "  - { from: IU.equipment, to: DD.consumptoin, score: -1, why: shares of GDP compete }",
        code: "unknown-reference",
        value: "DD.consumptoin",
        hint: "did you mean `DD.consumption`?",
    },
    Case {
        name: "unknown_mechanism_member",
        old: "    members: [PBOC, MIIT]",
        new: "    members: [PBOC, MITI]",
        code: "unknown-reference",
        value: "MITI",
        hint: "did you mean `MIIT`?",
    },
    Case {
        name: "unknown_mechanism_cover",
        old: "    covers: [IU.equipment]",
        new: "    covers: [IU.equipments]",
        code: "unknown-reference",
        value: "IU.equipments",
        hint: "did you mean `IU.equipment`?",
    },
    Case {
        name: "unknown_package_member",
        old: "    instruments: [tradein-subsidy, equipment-relending, js-interest-subsidy]",
        new: "    instruments: [tradein-subsidy, equipment-relending, js-interest-subsidies]",
        code: "unknown-reference",
        value: "js-interest-subsidies",
        hint: "did you mean `js-interest-subsidy`?",
    },
    Case {
        name: "unknown_identity_part",
        old: "    identity: [final_consumption_rate, capital_formation_rate]",
        new: "    identity: [final_consumption_rate, capital_formation]",
        code: "unknown-reference",
        value: "capital_formation",
        hint: "",
    },
    Case {
        name: "unknown_waiver_subject",
        old: "    subjects: [MOF, PBOC]",
        new: "    subjects: [MOF, PBOCC]",
        code: "unknown-reference",
        value: "PBOCC",
        hint: "did you mean `PBOC`?",
    },
    Case {
        name: "effect_out_of_range",
        old: "      - { objective: IU.equipment, effect: 1 }",
        new: "      - { objective: IU.equipment, effect: 4 }",
        code: "out-of-range",
        value: "4",
        hint: "+3 indivisible",
    },
    Case {
        name: "score_out_of_range",
        old: "  - { from: IU.equipment, to: DD.consumption, score: -1, why: shares of GDP compete }",
        new: "  - { from: IU.equipment, to: DD.consumption, score: -5, why: shares of GDP compete }",
        code: "out-of-range",
        value: "-5",
        hint: "-3 cancelling",
    },
    Case {
        name: "horizon_end_before_start",
        old: "    horizon: { start: 2024-04-24, end: 2024-12-31, renewal: false }",
        new: "    horizon: { start: 2024-04-24, end: 2024-01-31, renewal: false }",
        code: "ends-before-start",
        value: "2024-01-31",
        hint: "",
    },
    Case {
        name: "parent_cycle",
        old: "    parent: IU",
        new: "    parent: IU.equipment",
        code: "parent-cycle",
        value: "IU.equipment",
        hint: "tree",
    },
    Case {
        name: "bad_predicate",
        old: "    predicate: \"value > 50.0\"",
        new: "    predicate: \"value >> \"",
        code: "bad-predicate",
        value: "\"value",
        hint: "Rhai expression",
    },
    Case {
        name: "bad_date",
        old: "    issued: 2024-03-07",
        new: "    issued: 2024-02-30",
        code: "bad-date",
        value: "2024-02-30",
        hint: "YYYY-MM-DD",
    },
];

#[test]
fn each_error_class_is_located_and_hinted() {
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let text = with_line_changed(case.old, case.new);
        std::fs::write(dir.path().join("workspace.yaml"), &text).unwrap();

        let json = run_in(
            dir.path(),
            &["validate", "workspace.yaml", "--format", "json"],
        );
        assert_eq!(json.code, 2, "{}: {}", case.name, json.stdout);
        let report = json.json();
        let diagnostics = report["diagnostics"].as_array().unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let expected_at = (!case.value.is_empty()).then(|| {
            let line = lines.iter().rposition(|l| *l == case.new).unwrap();
            (
                line as u64 + 1,
                lines[line].find(case.value).unwrap() as u64 + 1,
            )
        });
        let found = diagnostics
            .iter()
            .find(|d| {
                d["code"] == case.code
                    && expected_at
                        .is_none_or(|(line, column)| d["line"] == line && d["column"] == column)
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: no `{}` at {expected_at:?} in {diagnostics:#?}",
                    case.name, case.code
                )
            });
        assert_eq!(found["file"], "workspace.yaml", "{}", case.name);
        assert_eq!(found["severity"], "error", "{}", case.name);
        let message = found["message"].as_str().unwrap();
        assert!(!message.ends_with('.'), "{}: {message}", case.name);
        assert!(
            message.starts_with(|c: char| !c.is_uppercase()),
            "{}: {message}",
            case.name
        );
        let hint = found["hint"].as_str().unwrap_or("");
        assert!(hint.contains(case.hint), "{}: hint `{hint}`", case.name);

        let human = run_in(dir.path(), &["validate", "workspace.yaml"]);
        assert_eq!(human.code, 2);
        insta::assert_snapshot!(case.name, human.transcript());
    }
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = with_line_changed("    kind: central_bank", "    kind: centralbank")
        .replace("    owner: JS\n", "    owner: JSS\n")
        .replace("effect: 1 }", "effect: 9 }");
    std::fs::write(dir.path().join("workspace.yaml"), text).unwrap();
    let run = run_in(dir.path(), &["validate", ".", "--format", "json"]);
    let codes: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    assert!(codes.contains(&"unknown-value".into()), "{codes:?}");
    assert!(codes.contains(&"unknown-reference".into()), "{codes:?}");
    assert!(codes.contains(&"out-of-range".into()), "{codes:?}");
}
