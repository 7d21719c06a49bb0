//! `concord rules new ID NAME`: a rule file and its two fixtures, either the skeleton
//! (whose fixtures pass at once) or, with `--from`, a copy of a standard rule to edit.

use super::{Outcome, exit};
use concord::findings::Category;
use concord::model::Severity;
use concord::rules::run::{self, RuleLimits};
use concord::rules::{self, Rule, RuleSet, fixtures};
use std::path::{Path, PathBuf};

/// What `rules new` was asked for.
pub struct NewRule {
    pub id: String,
    pub name: String,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    pub from: Option<String>,
    pub dir: PathBuf,
}

fn fail(message: String) -> Outcome {
    Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    }
}

/// The header line `//! field: value` replaced, or the text unchanged.
fn set_header(text: &str, field: &str, value: &str) -> String {
    let prefix = format!("//! {field}:");
    text.lines()
        .map(|line| {
            if line.starts_with(&prefix) {
                format!("{prefix} {value}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A copy of a standard rule under a new id and name, with its fixtures.
fn copy_of(rule: &Rule, set: &RuleSet, new: &NewRule) -> Result<Vec<(String, String)>, String> {
    let text = set
        .sources
        .get(rule.source)
        .map(|f| f.text().to_owned())
        .ok_or("the rule's text is missing")?;
    let mut text = set_header(&text, "id", &new.id);
    text = set_header(&text, "name", &new.name);
    if let Some(category) = new.category {
        text = set_header(&text, "category", category.as_str());
    }
    if let Some(severity) = new.severity {
        text = set_header(&text, "severity", severity.as_str());
    }
    let mut files = vec![(format!("{}-{}.rhai", new.id, new.name), text)];
    let folder = rule.meta.path.parent().unwrap_or(Path::new("."));
    for (path, _) in fixtures::fixture_files(folder, &rule.meta.id) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let text = fixtures::read_fixture(&path)?;
        if let Some(name) = name {
            files.push((format!("fixtures/{}/{name}", new.id), text));
        }
    }
    Ok(files)
}

pub fn run(new: NewRule) -> Outcome {
    let (id, name) = (new.id.as_str(), new.name.as_str());
    if let Err(e) = concord::scaffold::check_names(id, name) {
        return fail(e.to_string());
    }
    // An id already used in that folder would be a duplicate rule at the next run.
    let prefix = format!("{id}-");
    let existing = rules::discover(&new.dir).ok().and_then(|files| {
        files.into_iter().find(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
    });
    if let Some(existing) = existing {
        return fail(format!(
            "rule `{id}` already exists in `{}`; pick another id",
            existing.display()
        ));
    }
    let engine = run::engine(&RuleLimits::default());
    let standard = rules::load(
        &rules::standard_folder().into_iter().collect::<Vec<_>>(),
        &engine,
    );
    if standard.rules.iter().any(|r| r.meta.id == id) {
        return fail(format!(
            "`{id}` is a rule of the standard library; pick an id of your own, such as `L{}`",
            &id[id.len().saturating_sub(3)..]
        ));
    }
    let files = match &new.from {
        Some(from) => {
            let Some(rule) = standard
                .rules
                .iter()
                .find(|r| r.meta.id.eq_ignore_ascii_case(from))
            else {
                let ids: Vec<&str> = standard.rules.iter().map(|r| r.meta.id.as_str()).collect();
                let hint = concord::diagnostic::did_you_mean(from, ids.iter().copied())
                    .map_or(String::new(), |h| format!("; {h}"));
                return fail(format!("no standard rule `{from}`{hint}"));
            };
            match copy_of(rule, &standard, &new) {
                Ok(files) => files,
                Err(message) => return fail(message),
            }
        }
        None => concord::scaffold::rule(
            id,
            name,
            new.category.unwrap_or(Category::Gap),
            new.severity.unwrap_or(Severity::Medium),
        ),
    };
    match concord::scaffold::write(&new.dir, &files) {
        Ok(outcomes) => {
            let (mut stdout, _) = super::init::summary(&outcomes);
            if let Some(from) = &new.from {
                stdout.push_str(&format!(
                    "\nto use it instead of {from}, switch {from} off in `concord.yaml`:\n  rules:\n    {from}:\n      enabled: false\n"
                ));
            }
            stdout.push_str(&format!(
                "\nnext: `concord rules test {} --select {id}`, then edit the rule and its fixtures\n",
                new.dir.display()
            ));
            Outcome {
                stdout,
                ..Default::default()
            }
        }
        Err(e) => fail(format!(
            "cannot write in `{}`: {}",
            new.dir.display(),
            e.to_string().to_lowercase()
        )),
    }
}
