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
    /// Wall-clock limit for one rule, in milliseconds.
    pub rule_timeout_ms: Option<Located<i64>>,
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
                rule_timeout_ms: opt
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
        let text = node.scalar_text().unwrap_or_default();
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
            let Some(id) = key.scalar_text() else {
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
        Value::Str(s) => Some(ParamValue::Str(s.clone())),
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
            let name = key.scalar_text().unwrap_or_default();
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
