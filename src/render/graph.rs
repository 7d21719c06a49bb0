//! The policy graph as DOT (Graphviz), Mermaid or JSON, whole or as the neighbourhood of
//! one node, so that a person can see who owns what and what acts on what.

use crate::graph::{Entity, PolicyGraph, Relation};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write;

/// Which part of the graph to draw.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Draw only the package under review (the graph's package) and what touches it.
    pub package_only: bool,
    /// Draw only the nodes within `depth` steps of this id.
    pub focus: Option<String>,
    pub depth: usize,
}

/// The nodes and edges chosen for drawing, in a fixed order.
pub struct View {
    pub nodes: Vec<NodeIndex>,
    pub edges: Vec<(NodeIndex, NodeIndex, Relation)>,
}

fn in_package(g: &PolicyGraph, entity: Entity) -> bool {
    match entity {
        Entity::Objective(o) => g.objective_in_scope[o as usize],
        Entity::Instrument(i) => g.instrument_in_scope[i as usize],
        Entity::Package(p) => g.package == Some(p),
        _ => true,
    }
}

/// Picks the nodes and edges to draw; an unknown focus id is an error with a suggestion.
pub fn select(g: &PolicyGraph, selection: &Selection) -> Result<View, String> {
    let mut keep: BTreeSet<NodeIndex> = g.graph.node_indices().collect();
    if selection.package_only && g.package.is_some() {
        keep.retain(|&n| in_package(g, g.graph[n]));
    }
    if let Some(focus) = &selection.focus {
        let entity = g.entity(focus).ok_or_else(|| {
            let ids: Vec<&str> = g
                .graph
                .node_indices()
                .map(|n| g.id_of(g.graph[n]))
                .collect();
            match crate::diagnostic::did_you_mean(focus, ids.iter().copied()) {
                Some(hint) => format!("no entity `{focus}` to focus on; {hint}"),
                None => format!("no entity `{focus}` to focus on"),
            }
        })?;
        let start = g
            .node(entity)
            .ok_or_else(|| format!("`{focus}` is not in the graph"))?;
        let mut near = BTreeSet::from([start]);
        let mut queue = VecDeque::from([(start, 0)]);
        while let Some((at, depth)) = queue.pop_front() {
            if depth == selection.depth {
                continue;
            }
            let out = g
                .graph
                .edges_directed(at, Direction::Outgoing)
                .map(|e| e.target());
            let inc = g
                .graph
                .edges_directed(at, Direction::Incoming)
                .map(|e| e.source());
            for next in out.chain(inc) {
                if keep.contains(&next) && near.insert(next) {
                    queue.push_back((next, depth + 1));
                }
            }
        }
        keep = near;
    }
    let mut nodes: Vec<NodeIndex> = keep.iter().copied().collect();
    nodes.sort_by_key(|&n| g.graph[n]);
    let mut edges: Vec<(NodeIndex, NodeIndex, Relation)> = (&g.graph)
        .edge_references()
        .filter(|e| keep.contains(&e.source()) && keep.contains(&e.target()))
        .map(|e| (e.source(), e.target(), *e.weight()))
        .collect();
    edges.sort_by_key(|(a, b, r)| (g.graph[*a], g.graph[*b], r.name()));
    Ok(View { nodes, edges })
}

fn label(g: &PolicyGraph, entity: Entity) -> String {
    format!("{}\n{}", g.id_of(entity), g.name_of(entity))
}

fn edge_label(relation: Relation) -> String {
    match relation {
        Relation::Targets(e) | Relation::Interacts(e) => format!("{} {e:+}", relation.name()),
        other => other.name().to_owned(),
    }
}

fn negative(relation: Relation) -> bool {
    matches!(relation, Relation::Targets(e) | Relation::Interacts(e) if e < 0)
}

/// A DOT string literal: quotes, backslashes and line breaks escaped.
fn dot_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Graphviz DOT.
pub fn dot(g: &PolicyGraph, view: &View) -> String {
    let mut out = String::from(
        "digraph concord {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for &n in &view.nodes {
        let entity = g.graph[n];
        let shape = match entity {
            Entity::Agency(_) => "box, style=rounded",
            Entity::Objective(_) => "ellipse",
            Entity::Instrument(_) => "box",
            Entity::Mechanism(_) => "hexagon",
            Entity::Envelope(_) => "folder",
            Entity::Indicator(_) => "note",
            Entity::Package(_) => "tab",
            Entity::Claim(_) => "plain",
        };
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}, class={}];",
            dot_quote(g.id_of(entity)),
            dot_quote(&label(g, entity)),
            entity.kind()
        );
    }
    for (a, b, relation) in &view.edges {
        let colour = if negative(*relation) {
            ", color=\"#c0392b\", fontcolor=\"#c0392b\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{colour}];",
            dot_quote(g.id_of(g.graph[*a])),
            dot_quote(g.id_of(g.graph[*b])),
            dot_quote(&edge_label(*relation))
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid flowchart: node ids are positional (`n0`, `n1` …) because Mermaid ids cannot
/// carry dots or dashes safely; labels are quoted with `#quot;` for quotes.
pub fn mermaid(g: &PolicyGraph, view: &View) -> String {
    let escape = |t: &str| {
        t.replace('"', "#quot;")
            .replace('<', "#lt;")
            .replace('>', "#gt;")
            .replace('\n', "<br/>")
    };
    // Where each node stands in the view, looked up for both ends of every edge: found by
    // scanning the view instead, the 100k graph took 12 s more to draw.
    let mut positions = vec![0; g.graph.node_count()];
    for (i, n) in view.nodes.iter().enumerate().rev() {
        positions[n.index()] = i;
    }
    let position = |n: &NodeIndex| positions.get(n.index()).copied().unwrap_or(0);
    let mut out = String::from("flowchart LR\n");
    for (i, &n) in view.nodes.iter().enumerate() {
        let entity = g.graph[n];
        let text = escape(&label(g, entity));
        let shaped = match entity {
            Entity::Objective(_) => format!("n{i}([\"{text}\"])"),
            Entity::Agency(_) => format!("n{i}(\"{text}\")"),
            Entity::Mechanism(_) => format!("n{i}{{{{\"{text}\"}}}}"),
            _ => format!("n{i}[\"{text}\"]"),
        };
        let _ = writeln!(out, "  {shaped}");
    }
    for (a, b, relation) in &view.edges {
        let arrow = if negative(*relation) { "-.->" } else { "-->" };
        let _ = writeln!(
            out,
            "  n{} {arrow}|\"{}\"| n{}",
            position(a),
            escape(&edge_label(*relation)),
            position(b)
        );
    }
    out
}

#[derive(serde::Serialize)]
struct JsonGraph<N, E> {
    nodes: N,
    edges: E,
}

#[derive(serde::Serialize)]
struct JsonNode<'a> {
    id: &'a str,
    kind: &'static str,
    name: &'a str,
}

#[derive(serde::Serialize)]
struct JsonEdge<'a> {
    from: &'a str,
    to: &'a str,
    relation: &'static str,
    value: Option<i8>,
}

/// JSON: `{nodes: [{id, kind, name}], edges: [{from, to, relation, value}]}`. Written from
/// typed records as it goes: built first as a JSON tree, a national workspace's graph took
/// a gigabyte.
pub fn json(g: &PolicyGraph, view: &View) -> String {
    let nodes = view.nodes.iter().map(|&n| {
        let entity = g.graph[n];
        JsonNode {
            id: g.id_of(entity),
            kind: entity.kind(),
            name: g.name_of(entity),
        }
    });
    let edges = view.edges.iter().map(|(a, b, relation)| JsonEdge {
        from: g.id_of(g.graph[*a]),
        to: g.id_of(g.graph[*b]),
        relation: relation.name(),
        value: match relation {
            Relation::Targets(e) | Relation::Interacts(e) => Some(*e),
            _ => None,
        },
    });
    let graph = JsonGraph {
        nodes: super::each(nodes),
        edges: super::each(edges),
    };
    let mut text = serde_json::to_string_pretty(&graph).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mermaid names nodes by their place in the view, which is sorted by kind rather than
    /// in the graph's order: each edge must name the places of its own two ends.
    #[test]
    fn mermaid_edges_join_the_nodes_they_relate() {
        let model = crate::model::tests::decoded(
            "agencies:\n  - { id: A, name: Agency, kind: ministry, level: central }\n\
             objectives:\n  - { id: O1, name: First, domain: industrial_upgrade }\n\
             \x20 - { id: O2, name: Second, domain: domestic_demand }\n\
             instruments:\n\
             \x20 - { id: ix, name: X, kind: fiscal_subsidy, owner: A, targets: [{ objective: O2, effect: 2 }] }\n\
             \x20 - { id: iy, name: Y, kind: fiscal_subsidy, owner: A, targets: [{ objective: O1, effect: -1 }] }\n",
        );
        let g = PolicyGraph::build(model, None).unwrap();
        let view = select(&g, &Selection::default()).unwrap();
        let drawn = mermaid(&g, &view);
        let mut ids = std::collections::HashMap::new();
        for line in drawn.lines().skip(1) {
            let line = line.trim();
            if !line.contains("->") {
                let (node, rest) =
                    line.split_at(line.find(|c: char| !c.is_alphanumeric()).unwrap());
                let id = rest
                    .trim_start_matches(['(', '[', '{', '"'])
                    .split("<br/>")
                    .next()
                    .unwrap();
                ids.insert(node.to_owned(), id.to_owned());
            }
        }
        let mut edges: Vec<String> = drawn
            .lines()
            .filter(|l| l.contains("->"))
            .map(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let (from, to) = (words[0], words[words.len() - 1]);
                let label = l.split('"').nth(1).unwrap();
                format!("{} {label} {}", ids[from], ids[to])
            })
            .collect();
        edges.sort();
        assert!(
            edges.contains(&"ix targets +2 O2".to_owned()),
            "{edges:?}\n{drawn}"
        );
        assert!(
            edges.contains(&"iy targets -1 O1".to_owned()),
            "{edges:?}\n{drawn}"
        );
        assert!(
            edges.contains(&"A owns ix".to_owned()),
            "{edges:?}\n{drawn}"
        );
    }
}
