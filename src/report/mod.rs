//! The coordination report: everything a meeting needs from one check — summary, graph,
//! findings, coverage and cross-impact matrices, indicator charts, claim verdicts —
//! gathered into plain data that a template (built in, or the analyst's) turns into HTML
//! or Markdown.

pub mod chart;
pub mod layout;
pub mod template;

use crate::check::CheckResult;
use crate::findings::{Category, Finding};
use crate::graph::{Entity, PolicyGraph};
use crate::model::{Severity, Text};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The most nodes the report draws; larger graphs are better read with `concord graph
/// --focus`, and a layered layout of thousands of nodes helps nobody.
pub const GRAPH_LIMIT: usize = 400;
/// The most instrument rows the cross-impact matrix lists; its sums still count every one.
pub const MATRIX_ROW_LIMIT: usize = 500;

/// An id with its name, for headers and legends.
#[derive(Clone, Debug, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Count {
    pub key: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub by_severity: Vec<Count>,
    pub by_category: Vec<Count>,
    pub by_agency: Vec<Count>,
    pub waived: usize,
    pub baselined: usize,
    pub rules: usize,
    pub agencies: usize,
    pub objectives: usize,
    pub instruments: usize,
}

// Rows keep ids, rule names and agencies inline and share help texts with the findings:
// a national workspace's report has tens of thousands of rows.
#[derive(Debug, Serialize)]
pub struct SubjectRow {
    pub id: Text,
    pub kind: &'static str,
    /// `file:line` of its declaration.
    pub place: Option<Place>,
}

/// Where an entity is declared, written `file:line`; the file's name is shared by every
/// row that points into the file.
#[derive(Debug)]
pub struct Place {
    pub file: Arc<str>,
    pub line: u32,
}

impl Serialize for Place {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}:{}", self.file, self.line))
    }
}

#[derive(Debug, Serialize)]
pub struct FindingRow {
    pub key: String,
    pub rule: Text,
    pub name: Text,
    pub category: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub help: Option<Arc<str>>,
    pub subjects: Vec<SubjectRow>,
    /// Agencies that own or co-own a subject, or are one.
    pub agencies: Vec<Text>,
    pub path: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct WaivedRow {
    pub key: String,
    pub message: String,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Filters {
    pub categories: Vec<&'static str>,
    pub severities: Vec<&'static str>,
    pub agencies: Vec<Named>,
}

#[derive(Debug, Serialize)]
pub struct DrawnNode {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// The highest severity among findings about this node.
    pub severity: Option<&'static str>,
    pub findings: usize,
}

#[derive(Debug, Serialize)]
pub struct DrawnEdge {
    /// Positions of its ends in `nodes`.
    pub from: u32,
    pub to: u32,
    /// An SVG path (`M x y C …`).
    pub path: String,
    pub relation: &'static str,
    /// The effect of a `targets` edge, −3..3.
    pub effect: Option<i8>,
}

#[derive(Debug, Serialize)]
pub struct Drawing {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<DrawnNode>,
    pub edges: Vec<DrawnEdge>,
    /// Why the graph was not drawn, when it was not.
    pub omitted: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CoverageCell {
    /// Sum of the effects of the agency's instruments on the objective.
    pub sum: i64,
    pub instruments: usize,
}

#[derive(Debug, Serialize)]
pub struct CoverageRow {
    pub objective: Named,
    pub domain: &'static str,
    pub cells: Vec<CoverageCell>,
    pub sum: i64,
    pub instruments: usize,
}

/// Objectives × agencies: who acts on what, and how strongly in sum.
#[derive(Debug, Serialize)]
pub struct Coverage {
    pub agencies: Vec<Named>,
    pub rows: Vec<CoverageRow>,
}

#[derive(Debug, Serialize)]
pub struct ImpactRow {
    pub instrument: Named,
    pub owner: String,
    /// The effect on each objective column, empty where it declares none.
    pub cells: Vec<Option<i8>>,
    /// Row sum: how strongly the instrument pushes the objectives, net.
    pub influence: i64,
}

/// Instruments × objectives, read as the SDG-interaction literature reads a cross-impact
/// matrix: row sums are influence, column sums dependence.
#[derive(Debug, Serialize)]
pub struct CrossImpact {
    pub objectives: Vec<Named>,
    pub rows: Vec<ImpactRow>,
    /// Column sums over every instrument, listed or not.
    pub dependence: Vec<i64>,
    pub total_rows: usize,
}

#[derive(Debug, Serialize)]
pub struct IndicatorChart {
    pub id: String,
    pub name: String,
    pub unit: &'static str,
    pub source: Option<String>,
    pub points: Vec<(i64, String)>,
    pub chart: Option<chart::LineChart>,
}

#[derive(Debug, Serialize)]
pub struct ClaimRow {
    pub id: String,
    pub text: String,
    pub indicator: String,
    pub from: i64,
    pub to: i64,
    pub predicate: String,
    pub source: Option<String>,
    /// `supported`, `contradicted`, `untested` or `error`.
    pub verdict: &'static str,
    pub failures: Vec<i64>,
    pub missing: Vec<i64>,
    pub error: Option<String>,
}

/// The report's findings. A template is handed them as a sequence whose rows are turned
/// into template values one at a time, as it reads them: a national workspace has tens of
/// thousands, and turned into values all at once they took more memory than the page.
/// Written as JSON, they are a plain array.
#[derive(Clone, Debug, Default)]
pub struct Rows(Arc<Vec<FindingRow>>);

impl std::ops::Deref for Rows {
    type Target = [FindingRow];
    fn deref(&self) -> &[FindingRow] {
        &self.0
    }
}

impl Serialize for Rows {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() {
            minijinja::Value::from_object(self.clone()).serialize(s)
        } else {
            self.0.serialize(s)
        }
    }
}

impl minijinja::value::Object for Rows {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        let row = self.0.get(key.as_usize()?)?;
        Some(minijinja::Value::from(minijinja::value::Serde(row)))
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.0.len())
    }
}

/// Everything the report templates see.
#[derive(Debug, Serialize)]
pub struct Report {
    pub title: String,
    pub version: &'static str,
    pub date: String,
    pub workspace: Vec<String>,
    pub package: Option<Named>,
    pub summary: Summary,
    pub findings: Rows,
    pub waived: Vec<WaivedRow>,
    pub filters: Filters,
    pub graph: Drawing,
    pub coverage: Coverage,
    pub cross_impact: CrossImpact,
    pub indicators: Vec<IndicatorChart>,
    pub claims: Vec<ClaimRow>,
}

/// Gathers the report of a finished check. `date` is the day the report speaks for.
/// A check without a graph (an invalid workspace) has nothing to report.
pub fn build(result: &CheckResult, date: chrono::NaiveDate) -> Option<Report> {
    let g = result.graph.as_deref()?;
    let files: Vec<Arc<str>> = result
        .workspace
        .sources
        .files()
        .iter()
        .map(|f| Arc::from(f.name.as_str()))
        .collect();
    let findings: Vec<FindingRow> = result.findings.iter().map(|f| row(g, &files, f)).collect();
    let package = g.package.map(|p| {
        let p = &g.model.packages[p as usize];
        Named {
            id: p.id.value.to_string(),
            name: p.name.value.to_string(),
        }
    });
    let title = match &package {
        Some(p) => format!("Coordination report: {}", p.name),
        None => "Coordination report".to_owned(),
    };
    let workspace = result
        .workspace
        .sources
        .files()
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let coverage = coverage(g);
    let filters = Filters {
        categories: Category::ALL.iter().map(|c| c.as_str()).collect(),
        severities: [Severity::High, Severity::Medium, Severity::Low]
            .iter()
            .map(|s| s.as_str())
            .collect(),
        agencies: agencies_in(&findings, g),
    };
    Some(Report {
        title,
        version: env!("CARGO_PKG_VERSION"),
        date: date.to_string(),
        workspace,
        package,
        summary: summary(result, g, &findings),
        waived: waived(result),
        graph: drawing(g, &result.findings),
        coverage,
        cross_impact: cross_impact(g),
        indicators: indicators(g),
        claims: claims(g),
        filters,
        findings: Rows(Arc::new(findings)),
    })
}

fn place(files: &[Arc<str>], loc: Option<crate::load::Loc>) -> Option<Place> {
    let loc = loc?;
    let file = files.get(loc.file as usize)?;
    Some(Place {
        file: Arc::clone(file),
        line: loc.line,
    })
}

/// The agencies a finding involves: those that are subjects, own or co-own one.
fn agencies_of(g: &PolicyGraph, f: &Finding) -> Vec<Text> {
    let mut out = BTreeSet::new();
    for s in &f.subjects {
        match g.entity(&s.id) {
            Some(Entity::Agency(_)) => {
                out.insert(Text::from(s.id.as_str()));
            }
            Some(Entity::Instrument(i)) => {
                let inst = &g.model.instruments[i as usize];
                out.insert(Text::from(inst.owner.value.as_str()));
                out.extend(inst.co_owners.iter().map(|c| Text::from(c.value.as_str())));
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

fn row(g: &PolicyGraph, files: &[Arc<str>], f: &Finding) -> FindingRow {
    FindingRow {
        key: f.key(),
        rule: f.rule.clone(),
        name: f.name.clone(),
        category: f.category.as_str(),
        severity: f.severity.as_str(),
        message: f.message.clone(),
        help: f.help.clone(),
        subjects: f
            .subjects
            .iter()
            .map(|s| SubjectRow {
                id: Text::from(s.id.as_str()),
                kind: g.entity(&s.id).map_or("entity", Entity::kind),
                place: place(files, s.loc),
            })
            .collect(),
        agencies: agencies_of(g, f),
        path: f.path.clone(),
    }
}

fn agencies_in(findings: &[FindingRow], g: &PolicyGraph) -> Vec<Named> {
    let named: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f.agencies.iter().map(Text::as_str))
        .collect();
    g.model
        .agencies
        .iter()
        .filter(|a| named.contains(a.id.value.as_str()))
        .map(|a| Named {
            id: a.id.value.to_string(),
            name: a.name.value.to_string(),
        })
        .collect()
}

fn counts<'a>(keys: impl Iterator<Item = &'a str>, order: &[&str]) -> Vec<Count> {
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for key in keys {
        *tally.entry(key).or_default() += 1;
    }
    let mut out: Vec<Count> = order
        .iter()
        .filter_map(|k| tally.remove(k).map(|count| (k, count)))
        .map(|(k, count)| Count {
            key: (*k).to_owned(),
            count,
        })
        .collect();
    let mut rest: Vec<(&str, usize)> = tally.into_iter().collect();
    rest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.extend(rest.into_iter().map(|(k, count)| Count {
        key: k.to_owned(),
        count,
    }));
    out
}

fn summary(result: &CheckResult, g: &PolicyGraph, findings: &[FindingRow]) -> Summary {
    let severities = ["high", "medium", "low"];
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    Summary {
        findings: findings.len(),
        by_severity: counts(findings.iter().map(|f| f.severity), &severities),
        by_category: counts(findings.iter().map(|f| f.category), &categories),
        by_agency: counts(
            findings
                .iter()
                .flat_map(|f| f.agencies.iter().map(Text::as_str)),
            &[],
        ),
        waived: result.waived.len(),
        baselined: result.baselined.len(),
        rules: result.timings.len(),
        agencies: g.model.agencies.len(),
        objectives: g.objective_in_scope.iter().filter(|&&s| s).count(),
        instruments: g.instrument_in_scope.iter().filter(|&&s| s).count(),
    }
}

fn waived(result: &CheckResult) -> Vec<WaivedRow> {
    result
        .waived
        .iter()
        .map(|w| WaivedRow {
            key: w.finding.key(),
            message: w.finding.message.clone(),
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.map(|d| d.to_string()),
        })
        .collect()
}

fn named(id: &crate::model::Id, name: &crate::model::Id) -> Named {
    Named {
        id: id.value.to_string(),
        name: name.value.to_string(),
    }
}

/// Instruments in scope, in declaration order.
fn instruments_in_scope(g: &PolicyGraph) -> impl Iterator<Item = u32> + '_ {
    (0..g.model.instruments.len() as u32).filter(|&i| g.instrument_in_scope[i as usize])
}

fn coverage(g: &PolicyGraph) -> Coverage {
    let mut acting: BTreeSet<u32> = BTreeSet::new();
    for i in instruments_in_scope(g) {
        acting.extend(g.owner_set(i));
    }
    let agencies: Vec<u32> = acting.into_iter().collect();
    let column: BTreeMap<u32, usize> = agencies.iter().enumerate().map(|(c, &a)| (a, c)).collect();
    let rows = (0..g.model.objectives.len() as u32)
        .filter(|&o| g.objective_in_scope[o as usize])
        .map(|o| {
            let objective = &g.model.objectives[o as usize];
            let mut cells: Vec<CoverageCell> = agencies
                .iter()
                .map(|_| CoverageCell {
                    sum: 0,
                    instruments: 0,
                })
                .collect();
            let (mut sum, mut count) = (0i64, 0usize);
            for &(i, effect) in &g.by_objective[o as usize] {
                if !g.instrument_in_scope[i as usize] {
                    continue;
                }
                sum += effect as i64;
                count += 1;
                for &a in g.owner_set(i) {
                    if let Some(&c) = column.get(&a) {
                        cells[c].sum += effect as i64;
                        cells[c].instruments += 1;
                    }
                }
            }
            CoverageRow {
                objective: named(&objective.id, &objective.name),
                domain: objective.domain.value.as_str(),
                cells,
                sum,
                instruments: count,
            }
        })
        .collect();
    Coverage {
        agencies: agencies
            .iter()
            .map(|&a| {
                let agency = &g.model.agencies[a as usize];
                named(&agency.id, &agency.name)
            })
            .collect(),
        rows,
    }
}

fn cross_impact(g: &PolicyGraph) -> CrossImpact {
    let columns: Vec<u32> = (0..g.model.objectives.len() as u32)
        .filter(|&o| {
            g.by_objective[o as usize]
                .iter()
                .any(|&(i, _)| g.instrument_in_scope[i as usize])
        })
        .collect();
    let column: BTreeMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(c, &o)| (g.model.objectives[o as usize].id.value.as_str(), c))
        .collect();
    let mut dependence = vec![0i64; columns.len()];
    let mut rows = Vec::new();
    let mut total_rows = 0;
    for i in instruments_in_scope(g) {
        let inst = &g.model.instruments[i as usize];
        let mut cells = vec![None; columns.len()];
        for t in &inst.targets {
            if let Some(&c) = column.get(t.objective.value.as_str()) {
                cells[c] = Some(t.effect.value.0);
                dependence[c] += t.effect.value.0 as i64;
            }
        }
        total_rows += 1;
        if rows.len() < MATRIX_ROW_LIMIT {
            rows.push(ImpactRow {
                instrument: named(&inst.id, &inst.name),
                owner: inst.owner.value.to_string(),
                influence: cells.iter().flatten().map(|&e| e as i64).sum(),
                cells,
            });
        }
    }
    CrossImpact {
        objectives: columns
            .iter()
            .map(|&o| {
                let objective = &g.model.objectives[o as usize];
                named(&objective.id, &objective.name)
            })
            .collect(),
        rows,
        dependence,
        total_rows,
    }
}

fn indicators(g: &PolicyGraph) -> Vec<IndicatorChart> {
    g.model
        .indicators
        .iter()
        .map(|ind| {
            let points = ind.series.points();
            IndicatorChart {
                id: ind.id.value.to_string(),
                name: ind.name.value.to_string(),
                unit: ind.unit.value.as_str(),
                source: ind.source.as_ref().map(|s| s.value.to_string()),
                chart: chart::line(&points),
                points: points.iter().map(|&(y, v)| (y, chart::number(v))).collect(),
            }
        })
        .collect()
}

fn claims(g: &PolicyGraph) -> Vec<ClaimRow> {
    g.model
        .claims
        .iter()
        .map(|claim| {
            let (from, to) = (claim.years.from.value, claim.years.to.value);
            let series = g
                .indicator_ix
                .get(&claim.indicator.value)
                .map(|&i| g.model.indicators[i as usize].series.points())
                .unwrap_or_default();
            let years = (to - from + 1).max(0) as usize;
            let (verdict, judged, error) =
                match crate::claims::verdict(&claim.predicate.value, from, to, &series) {
                    Ok(v) => (v.word(years), v, None),
                    Err(e) => ("error", Default::default(), Some(e)),
                };
            ClaimRow {
                id: claim.id.value.to_string(),
                text: claim.text.value.to_string(),
                indicator: claim.indicator.value.to_string(),
                from,
                to,
                predicate: claim.predicate.value.to_string(),
                source: claim.source.as_ref().map(|s| s.value.to_string()),
                verdict,
                failures: judged.failures,
                missing: judged.missing,
                error,
            }
        })
        .collect()
}

/// The nodes the report draws: agencies acting in scope, instruments and objectives in
/// scope, and the objectives those instruments target.
fn drawn_entities(g: &PolicyGraph) -> Vec<Entity> {
    let mut objectives: BTreeSet<u32> = (0..g.model.objectives.len() as u32)
        .filter(|&o| g.objective_in_scope[o as usize])
        .collect();
    let mut agencies = BTreeSet::new();
    let instruments: Vec<u32> = instruments_in_scope(g).collect();
    for &i in &instruments {
        let inst = &g.model.instruments[i as usize];
        agencies.extend(g.owner_set(i));
        objectives.extend(
            inst.targets
                .iter()
                .filter_map(|t| g.objective_ix.get(&t.objective.value).copied()),
        );
    }
    agencies
        .into_iter()
        .map(Entity::Agency)
        .chain(instruments.into_iter().map(Entity::Instrument))
        .chain(objectives.into_iter().map(Entity::Objective))
        .collect()
}

const NODE_HEIGHT: f64 = 22.0;

/// Box width for a label: about seven pixels a character at the report's font size.
fn label_width(label: &str) -> f64 {
    (label.chars().count() as f64 * 7.0 + 16.0).clamp(40.0, 320.0)
}

fn drawing(g: &PolicyGraph, findings: &[Finding]) -> Drawing {
    let entities = drawn_entities(g);
    if entities.len() > GRAPH_LIMIT {
        return Drawing {
            width: 0.0,
            height: 0.0,
            nodes: Vec::new(),
            edges: Vec::new(),
            omitted: Some(format!(
                "the graph has {} nodes, more than the {GRAPH_LIMIT} a drawing can show legibly; \
                 review one package with `--package`, or draw a neighbourhood with \
                 `concord graph --focus ID`",
                entities.len()
            )),
        };
    }
    let position: BTreeMap<Entity, u32> = entities
        .iter()
        .enumerate()
        .map(|(n, &e)| (e, n as u32))
        .collect();
    let mut flagged: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
    for f in findings {
        for s in &f.subjects {
            let entry = flagged.entry(s.id.as_str()).or_insert((f.severity, 0));
            entry.0 = entry.0.max(f.severity);
            entry.1 += 1;
        }
    }
    let mut edges: Vec<(u32, u32, &'static str, Option<i8>)> = Vec::new();
    for &e in &entities {
        let from = position[&e];
        match e {
            Entity::Instrument(i) => {
                let inst = &g.model.instruments[i as usize];
                for (n, owner) in std::iter::once(&inst.owner)
                    .chain(&inst.co_owners)
                    .enumerate()
                {
                    let agency = g.agency_ix.get(&owner.value).map(|&a| Entity::Agency(a));
                    if let Some(&a) = agency.as_ref().and_then(|a| position.get(a)) {
                        edges.push((a, from, if n == 0 { "owns" } else { "co_owns" }, None));
                    }
                }
                for t in &inst.targets {
                    let objective = g.objective_ix.get(&t.objective.value);
                    if let Some(&o) = objective.and_then(|&o| position.get(&Entity::Objective(o))) {
                        edges.push((from, o, "targets", Some(t.effect.value.0)));
                    }
                }
            }
            Entity::Objective(o) => {
                if let Some(&p) =
                    g.parent[o as usize].and_then(|p| position.get(&Entity::Objective(p)))
                {
                    edges.push((from, p, "child_of", None));
                }
            }
            _ => {}
        }
    }
    let ids: Vec<&str> = entities.iter().map(|&e| g.id_of(e)).collect();
    let sizes: Vec<(f64, f64)> = ids
        .iter()
        .map(|id| (label_width(id), NODE_HEIGHT))
        .collect();
    let pairs: Vec<(u32, u32)> = edges.iter().map(|e| (e.0, e.1)).collect();
    let placed = layout::place(&sizes, &pairs);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let nodes: Vec<DrawnNode> = entities
        .iter()
        .enumerate()
        .map(|(n, &e)| {
            let hit = flagged.get(ids[n]);
            DrawnNode {
                id: ids[n].to_owned(),
                name: g.name_of(e).to_owned(),
                kind: e.kind(),
                x: round(placed.corners[n].0),
                y: round(placed.corners[n].1),
                width: sizes[n].0,
                height: sizes[n].1,
                severity: hit.map(|h| h.0.as_str()),
                findings: hit.map_or(0, |h| h.1),
            }
        })
        .collect();
    let edges = edges
        .iter()
        .map(|&(from, to, relation, effect)| {
            let (a, b) = (&nodes[from as usize], &nodes[to as usize]);
            let (x1, y1) = (a.x + a.width, a.y + a.height / 2.0);
            let (x2, y2) = (b.x, b.y + b.height / 2.0);
            let bend = ((x2 - x1).abs() / 2.0).max(20.0);
            DrawnEdge {
                path: format!(
                    "M{} {} C{} {} {} {} {} {}",
                    round(x1),
                    round(y1),
                    round(x1 + bend),
                    round(y1),
                    round(x2 - bend),
                    round(y2),
                    round(x2),
                    round(y2)
                ),
                from,
                to,
                relation,
                effect,
            }
        })
        .collect();
    Drawing {
        width: round(placed.width),
        height: round(placed.height),
        nodes,
        edges,
        omitted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rule: &str, severity: &'static str, subjects: &[&str]) -> FindingRow {
        FindingRow {
            key: format!("{rule}:{}", subjects.join(",")),
            rule: rule.into(),
            name: "a-rule".into(),
            category: "overlap",
            severity,
            message: format!("{rule} about {}", subjects.join(" and ")),
            help: Some(Arc::from("shared help")),
            subjects: subjects
                .iter()
                .map(|id| SubjectRow {
                    id: (*id).into(),
                    kind: "instrument",
                    place: Some(Place {
                        file: Arc::from("instruments.yaml"),
                        line: 7,
                    }),
                })
                .collect(),
            agencies: vec!["mof".into()],
            path: Vec::new(),
        }
    }

    /// Templates see the rows one at a time, yet every way a template reads a list gives
    /// what it gives for a plain list.
    #[test]
    fn findings_read_lazily_read_as_a_plain_list() {
        let rows = Rows(Arc::new(vec![
            row("OVL001", "medium", &["a", "b"]),
            row("CON001", "high", &["c"]),
            row("GAP001", "low", &["d", "e", "f"]),
        ]));
        let lazy = minijinja::Value::from(minijinja::value::Serde(&rows));
        assert!(
            lazy.as_object().is_some(),
            "the rows are not handed out lazily"
        );
        let json = serde_json::to_value(&rows).unwrap();
        let plain = minijinja::Value::from(minijinja::value::Serde(&json));
        let template = "{{ findings | length }} {{ findings[0].rule }} {{ findings[-1].subjects[2].place }} \
            {% for f in findings %}{{ loop.index }}:{{ f.severity }}/{{ f.subjects | map(attribute='id') | join('+') }} {% endfor %}\
            {{ findings | selectattr('severity', 'equalto', 'high') | map(attribute='rule') | list }} \
            {{ findings | sort(attribute='rule') | map(attribute='rule') | join(',') }} \
            {{ findings[1:] | map(attribute='key') | join(';') }} {{ findings[0].help }} {{ 'yes' if findings else 'no' }}";
        let env = minijinja::Environment::new();
        let lazily = env
            .render_str(template, minijinja::context! { findings => lazy })
            .unwrap();
        let plainly = env
            .render_str(template, minijinja::context! { findings => plain })
            .unwrap();
        assert_eq!(lazily, plainly);
        assert!(
            lazily.starts_with("3 OVL001 instruments.yaml:7 1:medium/a+b"),
            "{lazily}"
        );
        assert!(lazily.contains("CON001,GAP001,OVL001"), "{lazily}");
    }

    #[test]
    fn findings_are_a_plain_array_in_json() {
        let rows = Rows(Arc::new(vec![row("OVL001", "medium", &["a"])]));
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(json[0]["subjects"][0]["place"], "instruments.yaml:7");
        assert_eq!(json[0]["help"], "shared help");
        assert_eq!(json.as_array().map(Vec::len), Some(1));
    }
}
