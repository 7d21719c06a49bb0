//! `concord check` end to end: findings on the reference workspace, JSON output, exit
//! codes, user rule folders (the format's example rule runs unchanged), and hostile rules.

mod common;

use common::{root, run_in};
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn the_reference_workspace_confirms_the_identity_and_catches_contradicted_claims() {
    let run = run_in(
        &root(),
        &[
            "check",
            "policies",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["version"], 1);
    let findings = report["findings"].as_array().unwrap();
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"EVD001"),
        "the Table 1 identity holds: {rules:?}"
    );
    let contradicted: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "EVD002")
        .map(|f| f["subjects"][0].as_str().unwrap())
        .collect();
    for claim in [
        "consumption-rate-never-below-50",
        "capital-formation-2012-in-42-43",
    ] {
        assert!(
            contradicted.contains(&claim),
            "{claim} not caught: {contradicted:?}"
        );
    }
    for f in findings {
        for key in [
            "key",
            "rule",
            "name",
            "category",
            "severity",
            "message",
            "subjects",
            "locations",
            "path",
            "help",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
        let location = &f["locations"][0];
        assert!(
            location["file"].as_str().unwrap().starts_with("policies/"),
            "{f}"
        );
        assert!(location["line"].as_u64().unwrap() > 0);
    }
}

#[test]
fn json_output_is_byte_identical_across_runs() {
    let first = run_in(&root(), &["check", "policies", "--format", "json"]);
    let second = run_in(&root(), &["check", "policies", "--format", "json"]);
    assert_eq!(first.stdout, second.stdout);
    let text = run_in(&root(), &["check", "policies"]);
    let again = run_in(&root(), &["check", "policies"]);
    assert_eq!(text.stdout, again.stdout);
}

#[test]
fn exit_codes_follow_the_fail_threshold() {
    let dir = tempfile::tempdir().unwrap();
    // One orphan objective: GAP001 fires at high severity.
    std::fs::write(
        dir.path().join("ws.yaml"),
        "objectives:\n  - { id: DD.income, name: Household income, domain: domestic_demand }\n",
    )
    .unwrap();
    let high = run_in(dir.path(), &["check", "ws.yaml", "--select", "GAP001"]);
    assert_eq!(high.code, 1, "{}", high.stdout);
    insta::assert_snapshot!("orphan_objective", high.transcript());
    let never = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(never.code, 0);
    let ignored = run_in(dir.path(), &["check", "ws.yaml", "--ignore", "gap"]);
    assert!(!ignored.stdout.contains("GAP001"), "{}", ignored.stdout);
}

#[test]
fn bad_input_exits_2_before_any_rule_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ws.yaml"),
        "agencies:\n  - { id: MOF, name: F, kind: ministri, level: central }\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["check", "ws.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("unknown agency kind `ministri`"),
        "{}",
        run.stdout
    );
}

#[test]
fn unknown_packages_and_selections_are_usage_errors() {
    let run = run_in(
        &root(),
        &["check", "policies", "--package", "dd-driven-upgrade-2032"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("did you mean `dd-driven-upgrade-2023`?"),
        "{}",
        run.stdout
    );
    let run = run_in(&root(), &["check", "policies", "--select", "GAP0001"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("no rule or category matches `GAP0001`"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_format_example_rule_runs_unchanged_from_a_rules_folder() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("tests/fixtures/rules"),
        &dir.path().join("my-rules"),
    );
    std::fs::copy(
        root().join("tests/fixtures/format/workspace.yaml"),
        dir.path().join("ws.yaml"),
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[
            "check", "ws.yaml", "--rules", "my-rules", "--select", "X900",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!("example_rule", run.transcript());
}

/// A temporary folder holding the format's example workspace as `ws.yaml` and one rule
/// file in `folder/`, its header made from `id` and `name`.
fn one_rule(folder: &str, id: &str, name: &str, body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(folder)).unwrap();
    let header = format!(
        "//! id: {id}\n//! name: {name}\n//! category: coordination\n//! severity: medium\n//! summary: s\n//! why: w\n//! source: test\n\n"
    );
    std::fs::write(
        dir.path().join(folder).join(format!("{id}-{name}.rhai")),
        header + body,
    )
    .unwrap();
    std::fs::copy(
        root().join("tests/fixtures/format/workspace.yaml"),
        dir.path().join("ws.yaml"),
    )
    .unwrap();
    dir
}

/// Checks the workspace of [`one_rule`] with its rule folder `extra` alone, in this
/// process, for tests that look at the findings themselves.
fn check_in_process(dir: &Path) -> concord::check::CheckResult {
    concord::check::check(&concord::check::CheckOptions {
        paths: vec![dir.join("ws.yaml")],
        rule_folders: vec![dir.join("extra")],
        no_standard_rules: true,
        ..Default::default()
    })
}

/// Moves the workspace of [`one_rule`] into a folder `ws` of its own, next to a
/// `concord.yaml` holding `settings`.
fn with_settings(dir: &Path, settings: &str) {
    std::fs::create_dir(dir.join("ws")).unwrap();
    std::fs::rename(dir.join("ws.yaml"), dir.join("ws/ws.yaml")).unwrap();
    std::fs::write(dir.join("ws/concord.yaml"), settings).unwrap();
}

#[test]
fn a_rule_dropped_into_a_folder_runs_without_rebuilding() {
    let dir = one_rule(
        "extra",
        "X901",
        "every-agency",
        "for a in agencies() { report(a.id, `agency ${a.id} seen`); }\n",
    );
    let run = run_in(
        dir.path(),
        &[
            "check", "ws.yaml", "--rules", "extra", "--select", "X901", "--format", "json",
        ],
    );
    // Medium findings stay under the default threshold (`high`).
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["counts"]["total"], 5);
}

#[test]
fn room_tells_a_rule_how_many_findings_are_still_shown() {
    let dir = one_rule(
        "extra",
        "X902",
        "room-left",
        "for a in agencies() {\n    let left = room();\n    report(a.id, if left > 0 { `agency ${a.id} with room ${left}` } else { \"\" });\n}\n",
    );
    with_settings(dir.path(), "limits:\n  findings_per_rule: 2\n");
    let run = run_in(
        dir.path(),
        &[
            "check", "ws", "--rules", "extra", "--select", "X902", "--format", "json",
        ],
    );
    let json = run.json();
    let mut rooms: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str()?.split(" with room ").nth(1))
        .collect();
    rooms.sort();
    // Two of the five agencies are shown; the three reported past the cap are counted.
    assert_eq!(rooms, ["1", "2"], "{}", run.stdout);
    assert_eq!(json["truncated"][0]["rule"], "X902");
    assert_eq!(json["truncated"][0]["dropped"], 3);
}

#[test]
fn count_acting_on_counts_what_acting_on_returns() {
    let body = r#"let counted = 0;
let first = ();
for o in objectives() {
    if first == () { first = o.id; }
    for lo in -3..=3 {
        if count_acting_on(o.id, lo) != acting_on(o.id, lo).len() { report(o.id, `differs at ${lo}`); }
        for hi in lo..=3 {
            let n = count_acting_on(o, lo, hi);
            if n != acting_on(o, lo, hi).len() { report(o.id, `differs at ${lo}..${hi}`); }
            counted += n;
        }
    }
}
report(first, `counted ${counted}`);
"#;
    let dir = one_rule("extra", "X903", "count-acting-on", body);
    let run = run_in(
        dir.path(),
        &[
            "check", "ws.yaml", "--rules", "extra", "--select", "X903", "--format", "json",
        ],
    );
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", run.stdout);
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("counted ") && message != "counted 0",
        "{message}"
    );
}

fn hostile(rule: &str) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("hostile");
    std::fs::create_dir(&rules).unwrap();
    let source = root().join("tests/fixtures/hostile").join(rule);
    std::fs::copy(&source, rules.join(rule)).unwrap();
    std::fs::create_dir(dir.path().join("ws")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/format/workspace.yaml"),
        dir.path().join("ws/workspace.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("ws/concord.yaml"), "rule_timeout_ms: 300\n").unwrap();
    let id = &rule[..4];
    run_in(
        dir.path(),
        &[
            "check",
            "ws",
            "--rules",
            "hostile",
            "--select",
            &format!("{id},EVD002"),
        ],
    )
}

#[test]
fn a_rule_that_loops_forever_is_stopped_and_located() {
    let run = hostile("H001-endless-loop.rhai");
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("rule `H001` ran past its time limit of 300 ms"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hostile/H001-endless-loop.rhai:"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_rule_that_recurses_without_end_is_stopped_inside_its_function() {
    let run = hostile("H002-endless-recursion.rhai");
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("endless_recursion", run.transcript());
}

#[test]
fn a_failing_rule_is_located_where_it_failed_and_the_others_still_run() {
    let run = hostile("H003-runtime-error.rhai");
    assert_eq!(run.code, 2);
    // EVD002 still ran and reported on the example's claim-free data: no crash, a summary.
    assert!(run.stdout.contains("0 findings"), "{}", run.stdout);
    insta::assert_snapshot!("runtime_error", run.transcript());
}

#[test]
fn rules_cannot_eval_code() {
    let run = hostile("H004-no-escape.rhai");
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("H004-no-escape.rhai:9:"),
        "{}",
        run.stdout
    );
}

#[test]
fn rules_cannot_build_unbounded_strings() {
    let run = hostile("H005-huge-string.rhai");
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("rule `H005`"), "{}", run.stdout);
}

#[test]
fn concord_yaml_tunes_rules_disables_them_and_adds_folders() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("local-rules")).unwrap();
    std::fs::write(
        ws.join("objectives.yaml"),
        "objectives:\n  - { id: DD.income, name: Household income, domain: domestic_demand }\n",
    )
    .unwrap();
    std::fs::copy(
        root().join("tests/fixtures/rules/X900-objective-without-indicator.rhai"),
        ws.join("local-rules/X900-objective-without-indicator.rhai"),
    )
    .unwrap();
    let settings = "rule_folders: [local-rules]\nrules:\n  GAP001: { severity: low }\n";
    std::fs::write(ws.join("concord.yaml"), settings).unwrap();
    let run = run_in(
        dir.path(),
        &["check", "ws", "--select", "GAP001,X900", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let findings = run.json()["findings"].clone();
    let severity_of = |rule: &str| {
        findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["severity"].clone())
    };
    assert_eq!(severity_of("GAP001"), Some("low".into()), "{findings}");
    assert_eq!(severity_of("X900"), Some("low".into()), "{findings}");

    let settings = "rule_folders: [local-rules]\nfail_on: low\nrules:\n  X900: { enabled: false }\n  GAP001: { params: { min_effect: 1 } }\n";
    std::fs::write(ws.join("concord.yaml"), settings).unwrap();
    let run = run_in(
        dir.path(),
        &["check", "ws", "--select", "GAP001,X900", "--format", "json"],
    );
    assert_eq!(
        run.code, 1,
        "fail_on: low makes the high GAP001 finding fail: {}",
        run.stdout
    );
    let rules: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, ["GAP001"]);
}

#[test]
fn acting_on_takes_one_objective_not_an_array() {
    let dir = one_rule("r", "X902", "arrays", "acting_on([\"DD\", \"IU\"], 1);\n");
    let run = run_in(
        dir.path(),
        &["check", "ws.yaml", "--rules", "r", "--select", "X902"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("expected one objective (an id or a handle), not an array"),
        "{}",
        run.stdout
    );
}

#[test]
fn script_errors_say_what_exists_and_which_types_met() {
    let cases = [
        (
            "for i in instrumnts() { report(i.id, \"x\"); }\n",
            "no function `instrumnts` takes ()",
            "did you mean `instruments`?",
        ),
        (
            "for o in objectives() { let e = acting_on(o, \"strong\"); }\n",
            "`acting_on` was called with (Objective, string)",
            "it takes `acting_on(objective, min_effect)` or `acting_on(objective, min_effect, max_effect)`",
        ),
        (
            "for i in instruments() { let n = i.targets.len() + \"x\" * 2; }\n",
            "`*` cannot combine string and int",
            "convert one side first",
        ),
        (
            "for i in instruments() { if i.budget_amount > 1.0 { report(i.id, \"x\"); } }\n",
            "an Instrument has no property `budget_amount`",
            "an Instrument has `id`, `name`",
        ),
        (
            "for o in objectives() { if o.name { report(o.id, \"x\"); } }\n",
            "a string was given where a bool is needed",
            "a condition must be true or false",
        ),
    ];
    for (body, message, hint) in cases {
        let dir = one_rule("extra", "X902", "broken", body);
        let run = run_in(
            dir.path(),
            &["check", "ws.yaml", "--rules", "extra", "--select", "X902"],
        );
        assert_eq!(run.code, 2, "{body}");
        assert!(run.stdout.contains(message), "{body}\n{}", run.stdout);
        assert!(run.stdout.contains(hint), "{body}\n{}", run.stdout);
        assert!(
            run.stdout.contains("--> extra/X902-broken.rhai:9:"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn a_limit_reached_where_rhai_hides_errors_still_stops_the_rule() {
    // Rhai ignores a sort comparer's errors and restarts its operation count inside it, so
    // this ran for ever before Concord counted operations and made stops final itself.
    let run = hostile("H006-recursion-in-a-comparer.rhai");
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rule `H006` ran past its time limit of 300 ms")
            || run.stdout.contains("rule `H006` ran past its limit of"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("a callback, such as a sort's comparer"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("0 findings"),
        "the other rule ran: {}",
        run.stdout
    );
}

#[test]
fn a_progress_bar_is_drawn_on_a_terminal_and_never_into_a_pipe() {
    let piped = run_in(&root(), &["check", "policies", "--fail-on", "never"]);
    assert_eq!(piped.code, 0);
    assert!(piped.stderr.is_empty(), "{}", piped.stderr);
    // `script` gives the command a terminal; without it there is nothing to test here.
    if !std::path::Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tty.log");
    let command = format!(
        "{} check {} --fail-on never > {}",
        common::concord().display(),
        root().join("policies").display(),
        dir.path().join("out.txt").display()
    );
    let status = std::process::Command::new("/usr/bin/script")
        .args(["-qec", &command, log.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let drawn = std::fs::read_to_string(&log).unwrap();
    assert!(drawn.contains("rules"), "the bar was drawn: {drawn:?}");
    let out = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert!(
        out.starts_with("high["),
        "stdout holds only findings: {out:.200}"
    );
    assert!(!out.contains('\r'));
}

#[test]
fn timings_show_every_phase_and_every_rule_on_stderr() {
    let run = run_in(
        &root(),
        &[
            "check",
            "policies",
            "--timings",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json();
    let first_words: Vec<&str> = run
        .stderr
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        first_words[..7],
        [
            "phase", "load", "compile", "graph", "rules", "render", "rule"
        ]
    );
    assert_eq!(
        first_words.len(),
        7 + 26,
        "one line per rule: {}",
        run.stderr
    );
    assert!(first_words.contains(&"OVL001") && first_words.contains(&"GAP001"));
}

#[test]
fn concord_yaml_sets_the_limits_and_errors_name_the_setting() {
    let dir = one_rule(
        "extra",
        "X903",
        "busy",
        "let n = 0;\nfor i in 0..100000 { n += i; }\n",
    );
    let run = run_in(
        dir.path(),
        &["check", "ws.yaml", "--rules", "extra", "--select", "X903"],
    );
    assert_eq!(run.code, 0, "within the default limits: {}", run.stdout);

    with_settings(
        dir.path(),
        "limits:\n  rule_operations: 5000\n  yaml_depth: 8\n",
    );
    let run = run_in(
        dir.path(),
        &["check", "ws", "--rules", "extra", "--select", "X903"],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rule `X903` ran past its limit of 5000 operations"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("raise `limits.rule_operations` in `concord.yaml`"),
        "{}",
        run.stdout
    );

    std::fs::write(
        dir.path().join("ws/deep.yaml"),
        "notes: [[[[[[[[[[1]]]]]]]]]]\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("deeper than the limit of 8 levels"),
        "{}",
        run.stdout
    );

    // The YAML node budget and the depth of rule expressions have settings too.
    std::fs::remove_file(dir.path().join("ws/deep.yaml")).unwrap();
    std::fs::write(
        dir.path().join("ws/concord.yaml"),
        "limits:\n  yaml_nodes: 1000\n  rule_expression_depth: 8\n",
    )
    .unwrap();
    let many: String = (0..600)
        .map(|n| format!("  - {{ id: M{n}, name: m, kind: ministry, level: central }}\n"))
        .collect();
    std::fs::write(
        dir.path().join("ws/many.yaml"),
        format!("agencies:\n{many}"),
    )
    .unwrap();
    let run = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("error[yaml-limit]")
            && run.stdout.contains("`limits.yaml_nodes` in `concord.yaml`"),
        "{}",
        run.stdout
    );
    std::fs::remove_file(dir.path().join("ws/many.yaml")).unwrap();
    std::fs::write(
        dir.path().join("extra/X903-busy.rhai"),
        "//! id: X903\n//! name: busy\n//! category: coordination\n//! severity: medium\n//! summary: s\n//! why: w\n//! source: test\n\nlet n = ((((((((((1))))))))));\n",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &["check", "ws", "--rules", "extra", "--select", "X903"],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("error[rule-compile]")
            && run
                .stdout
                .contains("raise `limits.rule_expression_depth` in `concord.yaml`"),
        "{}",
        run.stdout
    );

    std::fs::write(
        dir.path().join("ws/concord.yaml"),
        "limits:\n  file_mib: 0\n  rule_opertions: 5\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("`limits.file_mib` is `0`, outside 1..=4096"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("did you mean `rule_operations`?"),
        "{}",
        run.stdout
    );
}

/// JSON on stdout is written as it is built; a reader that goes away early (`| head`)
/// must leave the check's exit code and no panic behind.
#[test]
fn json_to_a_closed_pipe_ends_with_the_checks_code_and_no_panic() {
    let mut child = std::process::Command::new(common::concord())
        .args(["check", "policies", "--format", "json"])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The report (about 68 KB) is larger than a pipe holds, so writing it meets the
    // closed end.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Findings of a rule that give the same help share one copy of it: CON001 and CON002 give
/// 20,000 findings at 100k with 38 help texts between them.
#[test]
fn findings_that_give_the_same_help_share_it() {
    let dir = one_rule(
        "extra",
        "R100",
        "same-help",
        "for i in instruments() { report([i.id], \"m\", #{ help: \"one text\" }); }\n\
         for i in instruments() { report([i.id], \"n\", #{ help: `own ${i.id}` }); }\n",
    );
    let result = check_in_process(dir.path());
    let helps: Vec<&std::sync::Arc<str>> = result
        .findings
        .iter()
        .filter(|f| f.message == "m")
        .filter_map(|f| f.help.as_ref())
        .collect();
    assert!(helps.len() >= 2, "{:?}", result.rule_diagnostics);
    assert!(helps.iter().all(|h| std::sync::Arc::ptr_eq(h, helps[0])));
    let own: Vec<&str> = result
        .findings
        .iter()
        .filter(|f| f.message == "n")
        .filter_map(|f| f.help.as_deref())
        .collect();
    assert_eq!(own.len(), helps.len());
    assert!(own.iter().all(|h| h.starts_with("own ")));
}

/// `opposed_sides(min, listed)` lists the first `listed` rows of each side and counts them
/// all, so a rule that shows a few does not have a row built for each instrument.
#[test]
fn opposed_sides_can_list_a_few_rows_and_count_the_rest() {
    let dir = one_rule(
        "extra",
        "R100",
        "sides",
        "let all = opposed_sides(1);\nlet few = opposed_sides(1, 1);\n\
         for o in few.keys() {\n\
           let f = few[o];\n\
           let a = all[o];\n\
           report([o], `${f.up.len()} of ${f.n_up} up, ${f.down.len()} of ${f.n_down} down, first ${f.up[0][0]}; all ${a.up.len()} up, ${a.members.len()} members, counted ${\"n_up\" in a}`);\n\
         }\n",
    );
    std::fs::write(
        dir.path().join("ws.yaml"),
        "agencies:\n  - { id: A, name: A, kind: ministry, level: central }\n\
         objectives:\n  - { id: O, name: O, domain: industrial_upgrade }\n\
         instruments:\n\
         \x20 - { id: u2, name: u2, kind: fiscal_subsidy, owner: A, stance: expansionary, targets: [{ objective: O, effect: 2 }] }\n\
         \x20 - { id: u1, name: u1, kind: fiscal_subsidy, owner: A, stance: expansionary, targets: [{ objective: O, effect: 1 }] }\n\
         \x20 - { id: d1, name: d1, kind: regulation, owner: A, stance: contractionary, targets: [{ objective: O, effect: -2 }] }\n",
    )
    .unwrap();
    let result = check_in_process(dir.path());
    let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["1 of 2 up, 1 of 1 down, first u1; all 2 up, 3 members, counted false"],
        "{:?} {:?}",
        result.workspace.diagnostics,
        result.rule_diagnostics
    );
}
