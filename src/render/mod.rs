//! Turning results into text for people and machines. Renderers build strings; the CLI
//! decides where they go.

pub mod diagnostics;
pub mod findings;
pub mod graph;
pub mod machine;
