//! Workspace settings from `concord.yaml`: where rules live, how they are tuned, and when
//! a check fails. Settings are not entities and never merge with them.

use super::decode::{Decode, Decoder, Fields, Located, backticked};
use super::enums::Severity;
use crate::decode_fields;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::{Node, Value};
use schemars::JsonSchema;
use std::collections::BTreeMap;

/// The contents of `concord.yaml`.
#[derive(Clone, Debug, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, title = "Concord settings (concord.yaml)")]
pub struct Settings {
    /// Extra folders of rule files, relative to the workspace root, searched after the
    /// standard library.
    #[serde(default)]
    pub rule_folders: Vec<Located<String>>,
    /// Per-rule overrides, keyed by rule id (e.g. `CRD004`).
    #[serde(default)]
    pub rules: RuleOverrides,
    /// Lowest severity that makes `concord check` exit 1: `low`, `medium`, `high` or `never`.
    pub fail_on: Option<Located<FailOn>>,
    /// Processor-time limit for one rule, in milliseconds (default 5000).
    pub rule_timeout_ms: Option<Located<i64>>,
    /// Bounds on reading files and running rules; each replaces its default
    /// (`docs/limits.md` lists them).
    pub limits: Option<Limits>,
}

/// Bounds that `concord.yaml` may raise or lower. Values outside the allowed range are
/// errors naming the range.
#[derive(Clone, Debug, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Limits {
    /// Largest workspace file, in MiB (default 256, at most 4096).
    pub file_mib: Option<Located<i64>>,
    /// All workspace files together, in MiB (default 1024, at most 65536).
    pub workspace_mib: Option<Located<i64>>,
    /// Entities of every kind in the workspace (default 5000000).
    pub entities: Option<Located<i64>>,
    /// Longest text (one string or key) in a workspace file, in KiB (default 1024).
    pub yaml_text_kib: Option<Located<i64>>,
    /// Deepest nesting of YAML collections (default 64, at most 256).
    pub yaml_depth: Option<Located<i64>>,
    /// YAML nodes in one file (default 50000000).
    pub yaml_nodes: Option<Located<i64>>,
    /// Alias (`*name`) uses in one file (default 10000).
    pub yaml_aliases: Option<Located<i64>>,
    /// Script operations one rule may run (default 2000000000).
    pub rule_operations: Option<Located<i64>>,
    /// Depth of nested expressions in a rule script (default 64, at most 256).
    pub rule_expression_depth: Option<Located<i64>>,
    /// Depth of nested function calls in a rule (default 48, at most 1000).
    pub rule_call_depth: Option<Located<i64>>,
    /// Memory one rule's values may hold, in MiB (default 512).
    pub rule_memory_mib: Option<Located<i64>>,
    /// Heap Concord may hold, in MiB (default 2048): a rule is stopped at three quarters
    /// of it, and an allocation past it ends the run with exit code 2.
    pub memory_mib: Option<Located<i64>>,
    /// Findings one rule may report before the rest are only counted (default 10000).
    pub findings_per_rule: Option<Located<i64>>,
}

impl Limits {
    /// Each setting with its allowed range, for range checks and messages.
    fn ranges(&self) -> [(&'static str, &Option<Located<i64>>, i64, i64); 13] {
        [
            ("file_mib", &self.file_mib, 1, 4096),
            ("workspace_mib", &self.workspace_mib, 1, 65_536),
            ("entities", &self.entities, 1, 1_000_000_000),
            ("yaml_text_kib", &self.yaml_text_kib, 1, 4 << 20),
            ("yaml_depth", &self.yaml_depth, 4, 256),
            ("yaml_nodes", &self.yaml_nodes, 1_000, 1_000_000_000),
            ("yaml_aliases", &self.yaml_aliases, 0, 10_000_000),
            ("rule_expression_depth", &self.rule_expression_depth, 8, 256),
            ("rule_operations", &self.rule_operations, 1_000, i64::MAX),
            ("rule_call_depth", &self.rule_call_depth, 4, 1_000),
            ("rule_memory_mib", &self.rule_memory_mib, 1, 1 << 20),
            ("memory_mib", &self.memory_mib, 64, 1 << 20),
            ("findings_per_rule", &self.findings_per_rule, 1, 10_000_000),
        ]
    }

    /// The value of a setting, if given and in range.
    pub fn get(value: &Option<Located<i64>>) -> Option<u64> {
        value.as_ref().map(|v| v.value.max(0) as u64)
    }
}

impl Decode for Limits {
    fn expected() -> String {
        "a mapping of limits".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "the limits", d)?;
        let limits = decode_fields!(
            Limits,
            f,
            d {
                file_mib: opt,
                workspace_mib: opt,
                entities: opt,
                yaml_text_kib: opt,
                yaml_depth: opt,
                yaml_nodes: opt,
                yaml_aliases: opt,
                rule_expression_depth: opt,
                rule_operations: opt,
                rule_call_depth: opt,
                rule_memory_mib: opt,
                memory_mib: opt,
                findings_per_rule: opt
            }
        )?;
        let mut ok = true;
        for (name, value, low, high) in limits.ranges() {
            if let Some(v) = value
                && !(low..=high).contains(&v.value)
            {
                ok = false;
                d.report(
                    Diagnostic::error(
                        "out-of-range",
                        format!("`limits.{name}` is `{}`, outside {low}..={high}", v.value),
                    )
                    .at(v.loc)
                    .label("out of range")
                    .hint(format!(
                        "set `limits.{name}` between {low} and {high}, or remove it for the default"
                    )),
                );
            }
        }
        ok.then_some(limits)
    }
}

impl Decode for Settings {
    fn expected() -> String {
        "the settings mapping".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "the settings", d)?;
        decode_fields!(
            Settings,
            f,
            d {
                rule_folders: list,
                rules: dflt,
                fail_on: opt,
                rule_timeout_ms: opt,
                limits: opt
            }
        )
    }
}

/// The threshold for a failing exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

impl Decode for FailOn {
    fn expected() -> String {
        "`low`, `medium`, `high` or `never`".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let text = d.text_of(node).unwrap_or_default();
        if text == "never" {
            return Some(FailOn::Never);
        }
        if let Some(severity) = Severity::parse(&text) {
            return Some(FailOn::At(severity));
        }
        let allowed = ["low", "medium", "high", "never"];
        let suggestion = did_you_mean(&text, allowed)
            .map(|s| format!("{s} "))
            .unwrap_or_default();
        d.report(
            Diagnostic::error("unknown-value", format!("unknown fail threshold `{text}`"))
                .at(node.loc)
                .label("not an allowed value")
                .hint(format!(
                    "{suggestion}allowed values: {}",
                    backticked(&allowed)
                )),
        );
        None
    }
}

impl JsonSchema for FailOn {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FailOn".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": ["low", "medium", "high", "never"] })
    }
}

/// Overrides keyed by rule id.
#[derive(Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct RuleOverrides(pub BTreeMap<String, RuleOverride>);

impl Decode for RuleOverrides {
    fn expected() -> String {
        "a mapping from rule id to its override".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let Value::Map(entries) = &node.value else {
            d.wrong_type(node, &Self::expected());
            return None;
        };
        let mut map = BTreeMap::new();
        for (key, value) in entries {
            let Some(id) = d.text_of(key) else {
                d.wrong_type(key, "a rule id");
                continue;
            };
            if let Some(rule) = RuleOverride::decode(value, d) {
                map.insert(id, rule);
            }
        }
        Some(RuleOverrides(map))
    }
}

/// How one rule is tuned for this workspace.
#[derive(Clone, Debug, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RuleOverride {
    /// `false` turns the rule off.
    pub enabled: Option<Located<bool>>,
    /// Replaces the rule's default severity.
    pub severity: Option<Located<Severity>>,
    /// Values for the rule's parameters, read by `param(name, default)` in the script.
    #[serde(default)]
    pub params: Params,
}

impl Decode for RuleOverride {
    fn expected() -> String {
        "a rule override (`enabled`, `severity`, `params`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "the rule override", d)?;
        decode_fields!(
            RuleOverride,
            f,
            d {
                enabled: opt,
                severity: opt,
                params: dflt
            }
        )
    }
}

/// Rule parameters: names mapped to scalars or lists of scalars.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(pub BTreeMap<String, Located<ParamValue>>);

/// A parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<ParamValue>),
}

fn param_value(node: &Node, d: &mut Decoder) -> Option<ParamValue> {
    match &node.value {
        Value::Bool(b) => Some(ParamValue::Bool(*b)),
        Value::Int(i) => Some(ParamValue::Int(*i)),
        Value::Float(f) => Some(ParamValue::Float(*f)),
        Value::Str(s) => Some(ParamValue::Str(s.as_ref().to_owned())),
        Value::Seq(items) => items
            .iter()
            .map(|i| param_value(i, d))
            .collect::<Option<Vec<_>>>()
            .map(ParamValue::List),
        _ => {
            d.report(
                Diagnostic::error(
                    "wrong-type",
                    format!(
                        "expected a scalar or a list, found {}",
                        node.value.describe()
                    ),
                )
                .at(node.loc)
                .label("parameters are numbers, strings, booleans or lists of them"),
            );
            None
        }
    }
}

impl Decode for Params {
    fn expected() -> String {
        "a mapping of parameter names to values".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let Value::Map(entries) = &node.value else {
            d.wrong_type(node, &Self::expected());
            return None;
        };
        let mut map = BTreeMap::new();
        for (key, value) in entries {
            let name = d.text_of(key).unwrap_or_default();
            if let Some(v) = param_value(value, d) {
                map.insert(name, Located::new(v, value.loc));
            }
        }
        Some(Params(map))
    }
}

impl JsonSchema for Params {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Params".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    { "type": ["number", "string", "boolean"] },
                    { "type": "array", "items": { "type": ["number", "string", "boolean"] } }
                ]
            }
        })
    }
}
