//! Concord: a policy-coordination rules engine. Workspaces of agencies, objectives and
//! instruments are read from YAML, checked, and questioned by rules; this crate exposes
//! each stage as a library so the CLI stays thin.

pub mod check;
pub mod claims;
pub mod diagnostic;
pub mod diff;
pub mod findings;
pub mod generate;
pub mod graph;
pub mod load;
pub mod memory;
pub mod model;
pub mod render;
pub mod report;
pub mod review;
pub mod rules;
pub mod scaffold;
pub mod schema;
pub mod workspace;

pub use diagnostic::Diagnostic;
pub use workspace::{Workspace, load as load_workspace};
