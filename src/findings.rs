//! Findings: what a rule reports, with a stable identity (rule id + sorted subject ids) so
//! that baselines, waivers and diffs match findings across runs and edits.

use crate::load::Loc;
use crate::model::Severity;
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
    pub id: String,
    pub loc: Option<Loc>,
}

/// One problem a rule found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    /// The entities the finding is about; the first is the primary one.
    pub subjects: Vec<Subject>,
    /// A chain of ids that explains the finding (instrument → objective → objective).
    pub path: Vec<String>,
    pub help: Option<String>,
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

/// Findings in a fixed order: severity (high first), rule, then key.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.key().cmp(&b.key()))
            .then_with(|| a.message.cmp(&b.message))
    });
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
                    id: s.to_string(),
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
    fn high_severity_sorts_first() {
        let mut list = vec![
            finding("GAP006", Severity::Low, &["x"]),
            finding("GAP001", Severity::High, &["y"]),
        ];
        sort(&mut list);
        assert_eq!(list[0].rule, "GAP001");
    }
}
