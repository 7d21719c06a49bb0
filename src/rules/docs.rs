//! Rule documentation in Markdown, read from each rule's header: the page `concord rules
//! doc ID` prints, and the pages of `docs/rules/` with their index, so the documentation
//! of a rule is written once, in the rule file.

use super::{Rule, RuleMeta};
use std::fmt::Write;

/// One rule's page. `file` is how the rule file is named on the page.
pub fn page(meta: &RuleMeta, file: &str) -> String {
    let mut out = format!(
        "# {} {}\n\n{}\n\n| | |\n|---|---|\n| category | {} |\n| default severity | {} |\n| source | {} |\n| file | `{}` |\n\n## Why it matters\n\n{}\n",
        meta.id,
        meta.name,
        meta.summary,
        meta.category.as_str(),
        meta.severity.as_str(),
        meta.source,
        file,
        meta.why
    );
    if !meta.params.is_empty() {
        let _ = write!(
            out,
            "\n## Parameters\n\nSet them in `concord.yaml` under `rules.{}.params`.\n\n| name | default | meaning |\n|---|---|---|\n",
            meta.id
        );
        for p in &meta.params {
            let _ = writeln!(out, "| `{}` | `{}` | {} |", p.name, p.default, p.meaning);
        }
    }
    out
}

/// The pages of `docs/rules/`: `<ID>.md` for each rule and a `README.md` index, in id
/// order. Files are named as they lie in the standard library, `rules/<ID>-<name>.rhai`.
pub fn pages(rules: &[Rule]) -> Vec<(String, String)> {
    let mut sorted: Vec<&Rule> = rules.iter().collect();
    sorted.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    let mut index = String::from(
        "# The standard rules\n\nGenerated from the rule headers by `concord rules doc --write docs/rules`; edit the\nrule files, not these pages. `concord rules doc ID` prints the same page.\n\n| id | name | category | severity | summary |\n|---|---|---|---|---|\n",
    );
    let mut out = Vec::new();
    for rule in sorted {
        let m = &rule.meta;
        let file = rule.meta.path.file_name().map_or_else(
            || m.file.clone(),
            |n| format!("rules/{}", n.to_string_lossy()),
        );
        out.push((format!("{}.md", m.id), page(m, &file)));
        let _ = writeln!(
            index,
            "| [{id}]({id}.md) | {} | {} | {} | {} |",
            m.name,
            m.category.as_str(),
            m.severity.as_str(),
            m.summary.replace('|', "\\|"),
            id = m.id
        );
    }
    out.push(("README.md".to_owned(), index));
    out
}
