//! Places the nodes of the report's graph with a layered (Sugiyama) layout from the
//! `rust-sugiyama` crate, turned to run left to right so the drawing reads
//! agency → instrument → objective → parent objective, and long labels stay readable.

use rust_sugiyama::configure::Config;

/// Gap between columns (layers) and between boxes of one column, in pixels.
const COLUMN_GAP: f64 = 70.0;
const ROW_GAP: f64 = 8.0;
/// Gap between disconnected parts of the graph, stacked top to bottom.
const PART_GAP: f64 = 24.0;

/// Where each node goes (its top-left corner), and the size of the whole drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub corners: Vec<(f64, f64)>,
    pub width: f64,
    pub height: f64,
}

/// Lays out nodes of the given (width, height) joined by directed `edges` (indexes into
/// `sizes`). Deterministic: the same graph always gets the same picture.
pub fn place(sizes: &[(f64, f64)], edges: &[(u32, u32)]) -> Placement {
    let mut corners = vec![(0.0, 0.0); sizes.len()];
    if sizes.is_empty() {
        return Placement {
            corners,
            width: 0.0,
            height: 0.0,
        };
    }
    // The library stacks layers along its y axis; ours run along x, so each box is given
    // to it turned by a quarter, and its answer is turned back.
    let vertices: Vec<(u32, (f64, f64))> = sizes
        .iter()
        .enumerate()
        .map(|(i, &(w, h))| (i as u32, (h + ROW_GAP, w + COLUMN_GAP)))
        .collect();
    let config = Config {
        vertex_spacing: ROW_GAP,
        ..Config::default()
    };
    let mut parts = rust_sugiyama::from_vertices_and_edges(&vertices, edges, &config);
    parts.sort_by_key(|(nodes, _, _)| nodes.iter().map(|n| n.0).min().unwrap_or(usize::MAX));
    let (mut width, mut top) = (0.0f64, 0.0f64);
    for (nodes, _, _) in &parts {
        let centre = |&(id, (along, across)): &(usize, (f64, f64))| {
            let (w, h) = sizes[id];
            (across - w / 2.0, along - h / 2.0)
        };
        let boxes: Vec<(usize, (f64, f64))> = nodes.iter().map(|n| (n.0, centre(n))).collect();
        let min_x = boxes.iter().map(|b| b.1.0).fold(f64::INFINITY, f64::min);
        let min_y = boxes.iter().map(|b| b.1.1).fold(f64::INFINITY, f64::min);
        let mut bottom = top;
        for &(id, (x, y)) in &boxes {
            let corner = (x - min_x, y - min_y + top);
            corners[id] = corner;
            width = width.max(corner.0 + sizes[id].0);
            bottom = bottom.max(corner.1 + sizes[id].1);
        }
        top = bottom + PART_GAP;
    }
    Placement {
        corners,
        width,
        height: (top - PART_GAP).max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(a: (f64, f64), sa: (f64, f64), b: (f64, f64), sb: (f64, f64)) -> bool {
        a.0 < b.0 + sb.0 && b.0 < a.0 + sa.0 && a.1 < b.1 + sb.1 && b.1 < a.1 + sa.1
    }

    #[test]
    fn a_chain_runs_left_to_right_without_overlaps() {
        let sizes = [(80.0, 20.0), (120.0, 20.0), (100.0, 20.0), (100.0, 20.0)];
        let placed = place(&sizes, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        let x = |i: usize| placed.corners[i].0;
        assert!(x(0) < x(1) && x(1) < x(3) && x(2) < x(3), "{placed:?}");
        for i in 0..sizes.len() {
            for j in i + 1..sizes.len() {
                let (a, b) = (placed.corners[i], placed.corners[j]);
                assert!(!overlap(a, sizes[i], b, sizes[j]), "{i} and {j} overlap");
            }
        }
        assert!(placed.width >= x(3) + 100.0);
    }

    #[test]
    fn the_same_graph_gets_the_same_picture_and_parts_stack() {
        let sizes = vec![(50.0, 20.0); 6];
        let edges = [(0, 1), (1, 2), (3, 4)];
        let first = place(&sizes, &edges);
        assert_eq!(first, place(&sizes, &edges));
        let lone = first.corners[5];
        assert!(lone.1 > first.corners[0].1 && lone.1 > first.corners[3].1);
        assert!(place(&[], &[]).corners.is_empty());
    }
}
