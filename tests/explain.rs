//! `concord explain`: a finding's chain of relations, declarations and reasoning; a rule's
//! documentation; a near-miss key gets a suggestion.

mod common;

use common::{root, run_in};

#[test]
fn a_finding_is_explained_by_its_path_declarations_and_rule() {
    let key = "CON003:DD.income.low_middle,backward-capacity-exit";
    let run = run_in(&root(), &["explain", key, "policies"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("backward-capacity-exit — DD.employment — DD.income.low_middle"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("policies/instruments-industrial-upgrade.yaml:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("why CON003 second-order-conflict matters:"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_rule_is_explained_by_its_documentation() {
    let run = run_in(&root(), &["explain", "CRD005"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("# CRD005 cost-share-undeclared"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unknown_key_suggests_the_closest_finding() {
    let run = run_in(
        &root(),
        &[
            "explain",
            "CON003:DD.income.low_middle,backward-capacity-exits",
            "policies",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("did you mean `CON003:DD.income.low_middle,backward-capacity-exit`?"),
        "{}",
        run.stderr
    );
}
