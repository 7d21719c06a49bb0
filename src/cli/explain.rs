//! `concord explain`: why a finding fired — the chain of relations between its subjects,
//! where each is declared, and the rule's reasoning — or a rule's documentation.

use super::{Outcome, exit};
use concord::check::{self, CheckOptions};
use concord::render::diagnostics::Style;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A finding key (`CON001:DD.employment,backward-capacity-exit`) or a rule id (`CON001`).
    target: String,
    /// Workspace files or folders (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The package the finding was reported for.
    #[arg(long, value_name = "ID")]
    package: Option<String>,
    /// Judge waivers' expiry dates against this date instead of today.
    #[arg(long, value_name = "DATE")]
    today: Option<chrono::NaiveDate>,
}

pub fn run(args: Args, style: Style) -> Outcome {
    let fail = |message: String| Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    };
    let Some((rule_id, _)) = args.target.split_once(':') else {
        return super::rules::run(
            super::rules::Command::Doc {
                id: Some(args.target),
                rules: Vec::new(),
                write: None,
            },
            style,
        );
    };
    let paths = super::paths_or_here(args.paths);
    let options = CheckOptions {
        paths,
        package: args.package,
        select: vec![rule_id.to_owned()],
        today: args.today,
        ..Default::default()
    };
    let result = check::check(&options);
    if result.failed() {
        return fail("the workspace could not be checked; run `concord check` to see why".into());
    }
    let found = result
        .findings
        .iter()
        .chain(result.waived.iter().map(|w| &w.finding))
        .find(|f| f.key() == args.target);
    let Some(finding) = found else {
        let keys: Vec<String> = result.findings.iter().map(|f| f.key()).collect();
        let hint = concord::diagnostic::did_you_mean(&args.target, keys.iter().map(String::as_str))
            .unwrap_or_else(|| format!("rule `{rule_id}` reports {} finding(s) here; `concord check --select {rule_id}` lists them", keys.len()));
        return fail(format!(
            "no finding `{}` in this workspace; {hint}",
            args.target
        ));
    };
    let mut out = String::new();
    let renderer = annotate_snippets::Renderer::plain()
        .decor_style(annotate_snippets::renderer::DecorStyle::Ascii);
    out.push_str(&concord::render::findings::finding_text(
        finding,
        &result.workspace.sources,
        &renderer,
    ));
    out.push_str("\n\n");
    if let Some(g) = &result.graph {
        let ids: Vec<&str> = finding.subjects.iter().map(|s| s.id.as_str()).collect();
        out.push_str("relations between the subjects:\n");
        let mut any = false;
        for pair in ids.windows(2) {
            let (Some(a), Some(b)) = (g.entity(pair[0]), g.entity(pair[1])) else {
                continue;
            };
            if let Some(chain) = g.path(a, b, 6) {
                any = true;
                let names: Vec<&str> = chain.iter().map(|e| g.id_of(*e)).collect();
                out.push_str(&format!("  {}\n", names.join(" — ")));
            }
        }
        if !any {
            out.push_str(
                "  (the subjects are not linked in the graph; the rule judged their fields)\n",
            );
        }
    }
    out.push_str("declared at:\n");
    for subject in &finding.subjects {
        if let Some(loc) = subject.loc {
            out.push_str(&format!(
                "  {:<28} {}:{}:{}\n",
                subject.id,
                result.workspace.sources.name(loc.file),
                loc.line,
                loc.col
            ));
        }
    }
    if let Some(rule) = result
        .rules
        .rules
        .iter()
        .find(|r| r.meta.id == finding.rule)
    {
        out.push_str(&format!(
            "\nwhy {} {} matters: {}\nsource: {}\nrule file: {}\n",
            rule.meta.id, rule.meta.name, rule.meta.why, rule.meta.source, rule.meta.file
        ));
    }
    Outcome {
        stdout: out,
        ..Default::default()
    }
}
