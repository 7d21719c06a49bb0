//! Waivers (active, expired, stale) and baselines, end to end through the CLI.

mod common;

use common::run_in;

const ORPHANS: &str =
    "objectives:\n  - { id: DD.income, name: Household income, domain: domestic_demand }\n";

fn workspace(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ws.yaml"), format!("{ORPHANS}{extra}")).unwrap();
    dir
}

const WAIVER: &str = "waivers:\n  - rule: GAP001\n    subjects: [DD.income]\n    reason: income support is in the next package\n    owner: analyst@example.org\n    expires: 2030-06-30\n";

#[test]
fn an_active_waiver_silences_its_finding_and_lists_it_apart() {
    let dir = workspace(WAIVER);
    let run = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--today",
            "2026-01-01",
        ],
    );
    assert_eq!(
        run.code, 0,
        "the only high finding is waived: {}",
        run.stdout
    );
    insta::assert_snapshot!(run.transcript());
    let json = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--today",
            "2026-01-01",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(json["counts"]["total"], 0);
    assert_eq!(json["waived"][0]["key"], "GAP001:DD.income");
    assert_eq!(json["waived"][0]["expires"], "2030-06-30");
}

#[test]
fn an_expired_waiver_brings_the_finding_back_and_is_a_finding_itself() {
    let dir = workspace(WAIVER);
    let json = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--today",
            "2030-07-01",
            "--format",
            "json",
        ],
    )
    .json();
    let keys: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["GAP001:DD.income", "WAI001:DD.income"]);
    assert_eq!(json["findings"][1]["category"], "review");
}

#[test]
fn a_waiver_that_matches_nothing_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let text = "objectives:\n  - { id: DD, name: Demand, domain: domestic_demand }\n  - { id: DD.income, name: Income, domain: domestic_demand, parent: DD }\nwaivers:\n  - { rule: GAP001, subjects: [DD], reason: the parent was once a leaf }\n";
    std::fs::write(dir.path().join("ws.yaml"), text).unwrap();
    let json = run_in(
        dir.path(),
        &["check", "ws.yaml", "--select", "GAP001", "--format", "json"],
    )
    .json();
    let keys: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["GAP001:DD.income", "WAI002:DD"]);
    // Not judged stale when its rule did not run.
    let json = run_in(
        dir.path(),
        &["check", "ws.yaml", "--select", "EVD001", "--format", "json"],
    )
    .json();
    assert_eq!(json["counts"]["total"], 0, "{json}");
}

#[test]
fn a_baseline_reports_only_what_is_new() {
    let dir = workspace("");
    let write = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert_eq!(write.code, 1);
    let baseline = std::fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    assert!(baseline.contains("\"GAP001:DD.income\""), "{baseline}");

    let again = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert_eq!(again.json()["baselined"], 1);

    std::fs::write(
        dir.path().join("ws.yaml"),
        format!("{ORPHANS}  - {{ id: DD.jobs, name: Employment, domain: domestic_demand }}\n"),
    )
    .unwrap();
    let new = run_in(
        dir.path(),
        &[
            "check",
            "ws.yaml",
            "--select",
            "GAP001",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(new.code, 1);
    let keys: Vec<String> = new.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["GAP001:DD.jobs"]);

    std::fs::write(dir.path().join("broken.json"), "{ nope").unwrap();
    let broken = run_in(
        dir.path(),
        &["check", "ws.yaml", "--baseline", "broken.json"],
    );
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.contains("not valid JSON"),
        "{}",
        broken.stderr
    );
}
