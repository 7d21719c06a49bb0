//! The review workflow around findings: waivers in the workspace that accept a finding
//! until a date, and baselines that record today's findings so that later runs report only
//! what is new. Both match on a finding's key, never on file positions.

use crate::findings::{Category, Finding, Subject};
use crate::model::{Model, Severity, Waiver};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// A finding accepted by a waiver, with the waiver's reason.
#[derive(Clone, Debug)]
pub struct Waived {
    pub finding: Finding,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<NaiveDate>,
}

fn waiver_key(w: &Waiver) -> String {
    let mut ids: Vec<&str> = w.subjects.0.iter().map(|s| s.value.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    format!("{}:{}", w.rule.value, ids.join(","))
}

fn waiver_finding(
    w: &Waiver,
    rule: &str,
    name: &str,
    severity: Severity,
    message: String,
    help: &str,
) -> Finding {
    Finding {
        rule: rule.into(),
        name: name.into(),
        category: Category::Review,
        severity,
        message,
        subjects: w
            .subjects
            .0
            .iter()
            .map(|s| Subject {
                id: s.value.clone(),
                loc: Some(w.rule.loc),
            })
            .collect(),
        path: Vec::new(),
        help: Some(help.into()),
    }
}

/// Moves findings matched by an active waiver out of `findings`, and adds a finding for
/// each waiver that has expired (WAI001) or matches nothing (WAI002). `ran` holds the ids of
/// the rules that ran, so a waiver for a rule left out of this run is not called stale;
/// `known` every rule loaded, so a waiver naming no rule at all is.
pub fn apply_waivers(
    findings: &mut Vec<Finding>,
    model: &Model,
    today: NaiveDate,
    ran: &BTreeSet<String>,
    known: &BTreeSet<String>,
) -> Vec<Waived> {
    let mut waived = Vec::new();
    let mut extra = Vec::new();
    let mut by_key: BTreeMap<String, &Waiver> = BTreeMap::new();
    for w in &model.waivers {
        by_key.insert(waiver_key(w), w);
    }
    let keys: BTreeSet<String> = findings.iter().map(Finding::key).collect();
    for (key, w) in &by_key {
        let expired = w.expires.as_ref().is_some_and(|e| e.value < today);
        if expired {
            let date = w
                .expires
                .as_ref()
                .map(|e| e.value.to_string())
                .unwrap_or_default();
            extra.push(waiver_finding(
                w,
                "WAI001",
                "expired-waiver",
                Severity::Medium,
                format!("the waiver for `{key}` expired on `{date}`"),
                "renew the waiver with a new `expires` date and a current reason, or remove it and address the finding",
            ));
        } else if !keys.contains(key)
            && (ran.contains(w.rule.value.as_str()) || !known.contains(w.rule.value.as_str()))
        {
            extra.push(waiver_finding(
                w,
                "WAI002",
                "stale-waiver",
                Severity::Low,
                format!("the waiver for `{key}` matches no finding"),
                "the finding it accepted is gone: remove the waiver, or correct its `rule` and `subjects` to the finding's key",
            ));
        }
    }
    findings.retain(|f| {
        let key = f.key();
        match by_key.get(&key) {
            Some(w) if w.expires.as_ref().is_none_or(|e| e.value >= today) => {
                waived.push(Waived {
                    finding: f.clone(),
                    reason: w.reason.value.to_string(),
                    owner: w.owner.as_ref().map(|o| o.value.to_string()),
                    expires: w.expires.as_ref().map(|e| e.value),
                });
                false
            }
            _ => true,
        }
    });
    findings.extend(extra);
    crate::findings::sort(findings);
    waived
}

/// The contents of a baseline file: the keys of the findings it accepts.
pub fn baseline_json(findings: &[Finding]) -> String {
    let entries: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| serde_json::json!({ "key": f.key(), "rule": f.rule, "message": f.message }))
        .collect();
    let mut text =
        serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "findings": entries }))
            .unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a baseline file's keys.
pub fn read_baseline(text: &str) -> Result<BTreeSet<String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the baseline is not valid JSON: {e}"))?;
    let entries = value
        .get("findings")
        .and_then(|f| f.as_array())
        .ok_or("the baseline has no `findings` list")?;
    entries
        .iter()
        .map(|e| {
            e.get("key")
                .and_then(|k| k.as_str())
                .map(str::to_owned)
                .ok_or("a baseline entry has no `key`".to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_round_trip() {
        let finding = Finding {
            rule: "GAP001".into(),
            name: "orphan-objective".into(),
            category: Category::Gap,
            severity: Severity::High,
            message: "m".into(),
            subjects: vec![Subject {
                id: "DD".into(),
                loc: None,
            }],
            path: vec![],
            help: None,
        };
        let keys = read_baseline(&baseline_json(&[finding])).unwrap();
        assert!(keys.contains("GAP001:DD"));
        assert!(read_baseline("{}").is_err());
        assert!(read_baseline("not json").is_err());
    }
}
