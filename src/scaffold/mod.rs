//! Scaffolding: the starter workspace of `concord init` and the rule skeleton of
//! `concord rules new`. Files are only ever created, never overwritten.

use crate::findings::Category;
use crate::model::Severity;
use std::path::{Path, PathBuf};

/// The starter workspace: path inside the new folder, and text.
pub const WORKSPACE: &[(&str, &str)] = &[
    ("README.md", include_str!("README.md")),
    ("concord.yaml", include_str!("concord.yaml")),
    ("agencies.yaml", include_str!("agencies.yaml")),
    ("objectives.yaml", include_str!("objectives.yaml")),
    ("instruments.yaml", include_str!("instruments.yaml")),
    ("packages.yaml", include_str!("packages.yaml")),
    (
        "rules/L001-instrument-without-source.rhai",
        include_str!("rules/L001-instrument-without-source.rhai"),
    ),
    (
        "rules/fixtures/L001/fire.yaml",
        include_str!("rules/fixtures/L001/fire.yaml"),
    ),
    (
        "rules/fixtures/L001/quiet.yaml",
        include_str!("rules/fixtures/L001/quiet.yaml"),
    ),
];

const RULE: &str = include_str!("new-rule.rhai");
const RULE_FIRE: &str = include_str!("new-rule-fire.yaml");
const RULE_QUIET: &str = include_str!("new-rule-quiet.yaml");

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created(PathBuf),
    /// It existed already and was left as it was.
    Kept(PathBuf),
}

/// Creates each file below `dir` unless it exists; folders are made as needed.
pub fn write(dir: &Path, files: &[(String, String)]) -> std::io::Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for (relative, text) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // `create_new` fails on an existing file, so nothing is ever overwritten, even by
        // a file that appears between a check and the write.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, text.as_bytes())?;
                outcomes.push(Outcome::Created(path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                outcomes.push(Outcome::Kept(path));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(outcomes)
}

/// The starter workspace as owned pairs, for [`write`].
pub fn workspace() -> Vec<(String, String)> {
    WORKSPACE
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

/// Why a rule id or name cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NameError {
    #[error("rule id `{0}` is not letters followed by digits (such as `L002` or `MOF010`)")]
    Id(String),
    #[error("rule name `{0}` is not lowercase words joined by hyphens (such as `budget-over-cap`)")]
    Name(String),
}

/// Checks an id (`L002`) and a name (`budget-over-cap`).
pub fn check_names(id: &str, name: &str) -> Result<(), NameError> {
    let letters = id.chars().take_while(char::is_ascii_uppercase).count();
    let digits = &id[letters..];
    if letters == 0
        || letters > 8
        || digits.is_empty()
        || digits.len() > 6
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(NameError::Id(id.to_owned()));
    }
    let words_ok = !name.is_empty()
        && name.len() <= 64
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !words_ok {
        return Err(NameError::Name(name.to_owned()));
    }
    Ok(())
}

/// A new rule and its two fixtures, wired so that `concord rules test` passes at once.
pub fn rule(id: &str, name: &str, category: Category, severity: Severity) -> Vec<(String, String)> {
    let fill = |text: &str| {
        text.replace("{ID}", id)
            .replace("{NAME}", name)
            .replace("{CATEGORY}", category.as_str())
            .replace("{SEVERITY}", severity.as_str())
    };
    vec![
        (format!("{id}-{name}.rhai"), fill(RULE)),
        (format!("fixtures/{id}/fire.yaml"), fill(RULE_FIRE)),
        (format!("fixtures/{id}/quiet.yaml"), fill(RULE_QUIET)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_checked() {
        assert_eq!(check_names("L002", "budget-over-cap"), Ok(()));
        assert!(check_names("l002", "x").is_err());
        assert!(check_names("L", "x").is_err());
        assert!(check_names("L02a", "x").is_err());
        assert!(check_names("L002", "Budget").is_err());
        assert!(check_names("L002", "a--b").is_err());
        assert!(check_names("L002", "../etc").is_err());
    }

    #[test]
    fn nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("concord.yaml"), "fail_on: low\n").unwrap();
        let outcomes = write(dir.path(), &workspace()).unwrap();
        assert!(outcomes.contains(&Outcome::Kept(dir.path().join("concord.yaml"))));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("concord.yaml")).unwrap(),
            "fail_on: low\n"
        );
        assert!(dir.path().join("rules/fixtures/L001/fire.yaml").is_file());
        let again = write(dir.path(), &workspace()).unwrap();
        assert!(again.iter().all(|o| matches!(o, Outcome::Kept(_))));
    }
}
