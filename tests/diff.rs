//! `concord diff`: a proposal that adds a counteracting instrument shows a new conflict and
//! fails; a waiver silences it until it expires; two packages of one workspace compare too.

mod common;

use common::{root, run_in};
use std::path::Path;

fn copy_policies(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

const SQUEEZE: &str = "instruments:\n  - id: credit-squeeze\n    name: Tighter household credit\n    kind: credit_policy\n    owner: PBOC\n    stance: contractionary\n    targets:\n      - { objective: DD.consumption.upgrade, effect: -2 }\n    horizon: { start: 2025-01-01 }\n";

#[test]
fn a_counteracting_instrument_is_a_new_conflict_and_fails_the_diff() {
    let dir = tempfile::tempdir().unwrap();
    copy_policies(&dir.path().join("base"));
    copy_policies(&dir.path().join("proposal"));
    std::fs::write(dir.path().join("proposal/proposal.yaml"), SQUEEZE).unwrap();

    let run = run_in(
        dir.path(),
        &["diff", "base", "proposal", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let json = run.json();
    let new: Vec<&str> = json["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(
        new.contains(&"CON001:DD.consumption.upgrade,credit-squeeze"),
        "{new:?}"
    );
    assert_eq!(json["resolved"].as_array().unwrap().len(), 0);
    assert!(json["persisting"].as_array().unwrap().len() > 10);
    let change = &json["coverage"][0];
    assert_eq!(change["objective"], "DD.consumption.upgrade");
    assert_eq!(change["proposal"]["against"], 1);

    let markdown = run_in(
        dir.path(),
        &["diff", "base", "proposal", "--format", "markdown"],
    );
    assert!(
        markdown
            .stdout
            .contains("## New findings\n\n| severity | rule | key | message |"),
        "{}",
        markdown.stdout
    );

    // The reverse direction resolves what the proposal added, located in the file of the
    // side that had it (the base of this comparison), while new and persisting findings are
    // located in the proposal's files.
    let back = run_in(
        dir.path(),
        &["diff", "proposal", "base", "--format", "json"],
    )
    .json();
    let resolved = back["resolved"].as_array().unwrap();
    let squeeze = resolved
        .iter()
        .find(|f| f["key"] == "CON001:DD.consumption.upgrade,credit-squeeze")
        .expect("the squeeze's conflict is resolved");
    let files: Vec<&str> = squeeze["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"proposal/proposal.yaml"), "{files:?}");
    let persisting = &back["persisting"][0]["locations"][0]["file"];
    assert!(
        persisting.as_str().unwrap().starts_with("base/"),
        "{persisting}"
    );
}

/// Either side failing to check makes the comparison fail, whichever it is.
#[test]
fn a_side_that_cannot_be_checked_fails_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    copy_policies(&dir.path().join("good"));
    copy_policies(&dir.path().join("bad"));
    std::fs::write(
        dir.path().join("bad/broken.yaml"),
        "instruments:\n  - id: x\n    owner: nobody\n",
    )
    .unwrap();
    for args in [["diff", "bad", "good"], ["diff", "good", "bad"]] {
        let run = run_in(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(
            run.stdout
                .contains("the comparison is incomplete: one side could not be checked"),
            "{args:?}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("bad/broken.yaml"),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn a_waiver_silences_the_new_conflict_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    copy_policies(&dir.path().join("base"));
    copy_policies(&dir.path().join("proposal"));
    let waivers = "waivers:\n  - rule: CON001\n    subjects: [credit-squeeze, DD.consumption.upgrade]\n    reason: a short squeeze while house prices cool\n    owner: analyst@example.org\n    expires: 2027-06-30\n  - rule: CON003\n    subjects: [credit-squeeze, IU.high_tech_share]\n    reason: same\n    expires: 2027-06-30\n  - rule: CON007\n    subjects: [credit-squeeze, DD.consumption.upgrade, county-commerce-system]\n    reason: same\n    expires: 2027-06-30\n";
    std::fs::write(
        dir.path().join("proposal/proposal.yaml"),
        format!("{SQUEEZE}{waivers}"),
    )
    .unwrap();

    let before = run_in(
        dir.path(),
        &[
            "diff",
            "base",
            "proposal",
            "--today",
            "2027-01-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(before.code, 0, "{}", before.stdout);
    assert_eq!(
        before.json()["new"].as_array().unwrap().len(),
        0,
        "{}",
        before.stdout
    );

    let after = run_in(
        dir.path(),
        &[
            "diff",
            "base",
            "proposal",
            "--today",
            "2027-07-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(after.code, 1);
    let new: Vec<String> = after.json()["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        new.contains(&"CON001:DD.consumption.upgrade,credit-squeeze".to_owned()),
        "{new:?}"
    );
    assert!(new.iter().any(|k| k.starts_with("WAI001:")), "{new:?}");
}

#[test]
fn two_packages_of_one_workspace_compare() {
    let run = run_in(
        &root(),
        &[
            "diff",
            "policies",
            "--package",
            "renewal-tradein-2024",
            "--package",
            "dd-driven-upgrade-2023",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(" new:\n") && run.stdout.contains(" resolved:\n"),
        "{}",
        run.stdout
    );
    let usage = run_in(&root(), &["diff", "policies"]);
    assert_eq!(usage.code, 2);
    assert!(
        usage.stderr.contains("compare two workspaces"),
        "{}",
        usage.stderr
    );
}
