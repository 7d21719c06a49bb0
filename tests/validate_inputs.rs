//! Whole inputs, good and hostile: valid workspaces, folders, empty and broken files, and
//! files built to exhaust a parser. Each ends in a clear message and a documented exit code.

mod common;

use common::{normative_example, root, run_in};
use std::path::Path;

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, contents).unwrap();
}

#[test]
fn the_normative_example_is_valid() {
    let run = run_in(
        &root(),
        &[
            "validate",
            "tests/fixtures/format/workspace.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        report["files"],
        serde_json::json!(["tests/fixtures/format/workspace.yaml"])
    );
    let counts = &report["counts"];
    for (kind, n) in [
        ("agencies", 5),
        ("objectives", 4),
        ("instruments", 3),
        ("interactions", 1),
        ("mechanisms", 1),
        ("envelopes", 1),
        ("indicators", 3),
        ("claims", 1),
        ("packages", 1),
        ("waivers", 1),
    ] {
        assert_eq!(counts[kind], n, "{kind}");
    }
    assert_eq!(report["diagnostics"], serde_json::json!([]));
}

#[test]
fn the_reference_workspace_is_valid_and_complete() {
    let run = run_in(&root(), &["validate", "policies", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert!(report["counts"]["instruments"].as_u64().unwrap() >= 40);
    assert!(report["files"].as_array().unwrap().len() >= 5);
    let human = run_in(&root(), &["validate", "policies"]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.starts_with("valid: "), "{}", human.stdout);
}

#[test]
fn the_reference_workspace_names_the_six_coordinating_agencies() {
    let agencies = std::fs::read_to_string(root().join("policies/agencies.yaml")).unwrap();
    for id in ["MOF", "PBOC", "MOFCOM", "MIIT", "NDRC", "MOHRSS"] {
        assert!(agencies.contains(&format!("id: {id}\n")), "{id} missing");
    }
}

#[test]
fn files_of_a_folder_merge_and_ids_are_unique_across_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ws/a.yaml",
        "agencies:\n  - { id: MOF, name: Finance, kind: ministry, level: central }\n",
    );
    write(
        dir.path(),
        "ws/sub/b.yml",
        "agencies:\n  - { id: MOF, name: Again, kind: ministry, level: central }\n",
    );
    write(dir.path(), "ws/notes.txt", "not read");
    let run = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn a_folder_without_yaml_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty/readme.txt", "nothing here");
    let run = run_in(dir.path(), &["validate", "empty"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["validate", "nowhere"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn an_empty_file_is_a_warning_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ws/empty.yaml", "");
    write(
        dir.path(),
        "ws/agencies.yaml",
        "agencies:\n  - { id: MOF, name: Finance, kind: ministry, level: central }\n",
    );
    let run = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn an_unreadable_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ws")).unwrap();
    std::os::unix::fs::symlink("gone.yaml", dir.path().join("ws/dangling.yaml")).unwrap();
    let run = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn invalid_utf8_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.yaml", b"agencies:\n  - id: M\xffF\n");
    let run = run_in(dir.path(), &["validate", "bad.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bomb.yaml", text);
    let run = run_in(dir.path(), &["validate", "bomb.yaml", "--format", "json"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["diagnostics"][0]["code"], "yaml-limit");
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused() {
    let text = format!("agencies: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deep.yaml", text);
    let run = run_in(dir.path(), &["validate", "deep.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn a_hundred_megabyte_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "agencies:\n  - id: MOF\n    name: Ministry of Finance\n    kind: ministry\n    level: central\n    note: \"",
    );
    text.push_str(&"x".repeat(100 * 1024 * 1024));
    text.push_str("\"\n");
    write(dir.path(), "big.yaml", text);
    // One text of 100 MiB is past the default text limit, so the workspace raises it.
    write(
        dir.path(),
        "concord.yaml",
        "limits:\n  yaml_text_kib: 131072\n",
    );
    let run = run_in(dir.path(), &["validate", ".", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["counts"]["agencies"], 1);
    std::fs::remove_file(dir.path().join("concord.yaml")).unwrap();
    let run = run_in(dir.path(), &["validate", "."]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("error[text-too-long]: this text is 104857600 bytes long, above the limit of 1024 KiB\n --> big.yaml:6:11\n"),
        "{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
}

#[test]
fn the_workspace_size_and_entity_count_are_bounded_by_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("agencies:\n");
    for n in 0..30_000 {
        text.push_str(&format!(
            "  - {{ id: A{n}, name: Agency {n}, kind: ministry, level: central }}\n"
        ));
    }
    write(dir.path(), "agencies.yaml", text);
    write(dir.path(), "concord.yaml", "limits:\n  workspace_mib: 1\n");
    let run = run_in(dir.path(), &["validate", "."]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("error[workspace-too-large]: the workspace's 1 files hold ")
            && run.stdout.contains("above the limit of 1 MiB")
            && run
                .stdout
                .contains("raise `limits.workspace_mib` in `concord.yaml`"),
        "{}",
        run.stdout
    );
    write(dir.path(), "concord.yaml", "limits:\n  entities: 29999\n");
    let run = run_in(dir.path(), &["validate", "."]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.starts_with(
            "error[too-many-entities]: the workspace declares 30000 entities, above the limit of 29999\n"
        ) && run.stdout.contains("raise `limits.entities` in `concord.yaml`"),
        "{}",
        run.stdout
    );
    write(dir.path(), "concord.yaml", "limits:\n  entities: 30000\n");
    let run = run_in(dir.path(), &["validate", "."]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn reading_stops_at_the_memory_ceiling_with_a_message_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "concord.yaml", "limits:\n  memory_mib: 64\n");
    let mut text = String::from("agencies:\n");
    for n in 0..400_000 {
        text.push_str(&format!(
            "  - {{ id: A{n}, name: Agency {n}, kind: ministry, level: central }}\n"
        ));
    }
    write(dir.path(), "agencies.yaml", text);
    let run = run_in(dir.path(), &["validate", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: Concord's memory passed its limit of 64 MiB while reading `./agencies.yaml`"
        ) && run.stderr.contains("`limits.memory_mib`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("huge.yaml")).unwrap();
    file.set_len(300 * 1024 * 1024).unwrap();
    let run = run_in(dir.path(), &["validate", "huge.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn chinese_text_is_kept_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let text = normative_example().replace(
        "    name_zh: 财政部\n",
        "    name_zh: 财政部\n    简称: 财政\n",
    );
    write(dir.path(), "ws.yaml", text);
    let run = run_in(dir.path(), &["validate", "ws.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["validate", "--format", "yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'yaml'"),
        "{}",
        run.stderr
    );
    let run = run_in(dir.path(), &["frobnicate"]);
    assert_eq!(run.code, 2);
}

#[test]
fn output_is_the_same_on_every_run() {
    let first = run_in(&root(), &["validate", "policies", "--format", "json"]);
    let second = run_in(&root(), &["validate", "policies", "--format", "json"]);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn settings_in_concord_yaml_are_checked_apart_from_entities() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ws/agencies.yaml",
        "agencies:\n  - { id: MOF, name: Finance, kind: ministry, level: central }\n",
    );
    write(
        dir.path(),
        "ws/concord.yaml",
        "fail_on: medium\nrules:\n  CRD004: { severity: low, params: { months: 18 } }\n",
    );
    let good = run_in(dir.path(), &["validate", "ws", "--format", "json"]);
    assert_eq!(good.code, 0, "{}", good.stdout);
    assert_eq!(
        good.json()["files"],
        serde_json::json!(["ws/agencies.yaml"])
    );

    write(
        dir.path(),
        "ws/concord.yaml",
        "fail_on: sometimes\nrule_folder: [x]\n",
    );
    let bad = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(bad.code, 2);
    insta::assert_snapshot!(bad.transcript());
}

#[test]
fn the_current_folder_is_named_when_it_holds_no_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["validate"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("no YAML files (`*.yaml`, `*.yml`) found in `.`"),
        "{}",
        run.stdout
    );
}
