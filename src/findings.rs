//! Findings: what a rule reports, with a stable identity (rule id + sorted subject ids) so
//! that baselines, waivers and diffs match findings across runs and edits.

use crate::load::Loc;
use crate::model::{Severity, Text};
use serde::Serialize;

/// The five families of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Gap,
    Overlap,
    Conflict,
    Coordination,
    Evidence,
    /// Findings about the review itself: waivers that expired or match nothing.
    Review,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Gap,
        Category::Overlap,
        Category::Conflict,
        Category::Coordination,
        Category::Evidence,
        Category::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Gap => "gap",
            Category::Overlap => "overlap",
            Category::Conflict => "conflict",
            Category::Coordination => "coordination",
            Category::Evidence => "evidence",
            Category::Review => "review",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A subject of a finding with where it is declared.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub id: Text,
    pub loc: Option<Loc>,
}

/// One problem a rule found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    // Ids and rule names are short and repeat across thousands of findings: kept inline,
    // they take no allocation each.
    pub rule: Text,
    pub name: Text,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    /// The entities the finding is about; the first is the primary one.
    pub subjects: Vec<Subject>,
    /// A chain of ids that explains the finding (instrument → objective → objective).
    pub path: Vec<String>,
    /// Shared among the findings of a rule that give the same help: CON001 and CON002
    /// give 20,000 findings at 100k with 38 texts between them.
    pub help: Option<std::sync::Arc<str>>,
}

impl Finding {
    /// Stable identity: `RULE:id1,id2` with subject ids sorted.
    pub fn key(&self) -> String {
        let mut ids: Vec<&str> = self.subjects.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        format!("{}:{}", self.rule, ids.join(","))
    }
}

/// Findings in a fixed order: severity (high first), rule, key, then message; findings
/// alike in all four keep the order they came in.
pub fn sort(findings: &mut [Finding]) {
    // Each finding's key is built once: building it inside the comparison sorted and
    // joined the subject ids twice per comparison, 0.2 s for 27,770 findings. The
    // findings are then moved into place, cycle by cycle, without a second list.
    let keys: Vec<String> = findings.iter().map(Finding::key).collect();
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&findings[i], &findings[j]);
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| keys[i].cmp(&keys[j]))
            .then_with(|| a.message.cmp(&b.message))
    });
    // Position `k` is to hold the finding now at `order[k]`; a position whose finding is in
    // place is marked by pointing at itself.
    for start in 0..order.len() {
        let mut current = start;
        while order[current] != current {
            let next = order[current];
            order[current] = current;
            if next == start {
                break;
            }
            findings.swap(current, next);
            current = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: Severity, subjects: &[&str]) -> Finding {
        Finding {
            rule: rule.into(),
            name: "n".into(),
            category: Category::Gap,
            severity,
            message: "m".into(),
            subjects: subjects
                .iter()
                .map(|s| Subject {
                    id: Text::new(s),
                    loc: None,
                })
                .collect(),
            path: vec![],
            help: None,
        }
    }

    #[test]
    fn keys_ignore_subject_order() {
        let a = finding("CON001", Severity::High, &["b", "a"]);
        let b = finding("CON001", Severity::High, &["a", "b"]);
        assert_eq!(a.key(), "CON001:a,b");
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn findings_sort_by_severity_rule_key_and_message_and_keep_ties_in_order() {
        let tagged = |rule, severity, subjects: &[&str], message: &str, help: &str| {
            let mut f = finding(rule, severity, subjects);
            f.message = message.into();
            f.help = Some(help.into());
            f
        };
        let mut list = vec![
            tagged("GAP001", Severity::Low, &["a"], "m", "1"),
            tagged("CON001", Severity::Low, &["b"], "m", "2"),
            tagged("CON001", Severity::Low, &["a", "c"], "z", "3"),
            tagged("CON001", Severity::Low, &["c", "a"], "y", "4"),
            tagged("CON001", Severity::Low, &["b"], "m", "5"),
            tagged("GAP001", Severity::High, &["z"], "m", "6"),
        ];
        sort(&mut list);
        let order: Vec<&str> = list.iter().filter_map(|f| f.help.as_deref()).collect();
        assert_eq!(order, ["6", "4", "3", "2", "5", "1"]);
    }

    #[test]
    fn a_long_shuffle_sorts_into_place() {
        let mut list: Vec<Finding> = (0..500)
            .map(|n| {
                finding(
                    "GAP001",
                    Severity::Low,
                    &[&format!("x{:03}", (n * 307) % 500)],
                )
            })
            .collect();
        sort(&mut list);
        let ids: Vec<String> = list.iter().map(|f| f.subjects[0].id.to_string()).collect();
        let expected: Vec<String> = (0..500).map(|n| format!("x{n:03}")).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn high_severity_sorts_first() {
        let mut list = vec![
            finding("GAP006", Severity::Low, &["x"]),
            finding("GAP001", Severity::High, &["y"]),
        ];
        sort(&mut list);
        assert_eq!(list[0].rule, "GAP001");
    }
}
