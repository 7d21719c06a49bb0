//! The typed model of a workspace: the entities of every file merged into one set,
//! checked field by field ([`decode`]) and across references ([`resolve`]).

pub mod decode;
pub mod entities;
pub mod enums;
pub mod resolve;
pub mod settings;

pub use decode::{Located, OneOrMany};
pub use entities::*;
pub use enums::*;
pub use settings::Settings;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::{Node, Value};
use decode::{Decode, Decoder, backticked};
use schemars::JsonSchema;

/// One workspace file, or all of them merged: every top-level key of the format.
#[derive(Clone, Debug, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, title = "Concord workspace file")]
pub struct Model {
    /// Bodies that own instruments.
    #[serde(default)]
    pub agencies: Vec<Agency>,
    /// What the policy mix pursues, as a tree.
    #[serde(default)]
    pub objectives: Vec<Objective>,
    /// Concrete levers and the objectives they act on.
    #[serde(default)]
    pub instruments: Vec<Instrument>,
    /// Declared effects of one objective or instrument on another.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
    /// Coordination channels between agencies.
    #[serde(default)]
    pub mechanisms: Vec<Mechanism>,
    /// Funding pools.
    #[serde(default)]
    pub envelopes: Vec<Envelope>,
    /// Measured series.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Quantitative statements to check against the series.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// Named sets of instruments and objectives under review.
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Accepted findings.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// Ids of entities that were declared but could not be decoded, by kind: references to
    /// them are not reported again as unknown.
    #[schemars(skip)]
    pub broken_ids: Vec<(&'static str, String)>,
}

/// The top-level keys, in the order the format documents them.
pub const KINDS: [&str; 10] = [
    "agencies",
    "objectives",
    "instruments",
    "interactions",
    "mechanisms",
    "envelopes",
    "indicators",
    "claims",
    "packages",
    "waivers",
];

impl Model {
    /// How many entities of each kind, in [`KINDS`] order.
    pub fn counts(&self) -> [(&'static str, usize); 10] {
        [
            ("agencies", self.agencies.len()),
            ("objectives", self.objectives.len()),
            ("instruments", self.instruments.len()),
            ("interactions", self.interactions.len()),
            ("mechanisms", self.mechanisms.len()),
            ("envelopes", self.envelopes.len()),
            ("indicators", self.indicators.len()),
            ("claims", self.claims.len()),
            ("packages", self.packages.len()),
            ("waivers", self.waivers.len()),
        ]
    }

    /// Makes room for the entities of `parts`, so that merging them copies each entity
    /// once instead of at every doubling of the lists.
    pub fn reserve_for<'a>(&mut self, parts: impl Iterator<Item = &'a Model> + Clone) {
        fn total<'a, T: 'a>(
            parts: impl Iterator<Item = &'a Model>,
            list: impl Fn(&'a Model) -> &'a Vec<T>,
        ) -> usize {
            parts.map(|m| list(m).len()).sum()
        }
        self.agencies.reserve(total(parts.clone(), |m| &m.agencies));
        self.objectives
            .reserve(total(parts.clone(), |m| &m.objectives));
        self.instruments
            .reserve(total(parts.clone(), |m| &m.instruments));
        self.interactions
            .reserve(total(parts.clone(), |m| &m.interactions));
        self.mechanisms
            .reserve(total(parts.clone(), |m| &m.mechanisms));
        self.envelopes
            .reserve(total(parts.clone(), |m| &m.envelopes));
        self.indicators
            .reserve(total(parts.clone(), |m| &m.indicators));
        self.claims.reserve(total(parts.clone(), |m| &m.claims));
        self.packages.reserve(total(parts.clone(), |m| &m.packages));
        self.waivers.reserve(total(parts, |m| &m.waivers));
    }

    /// Adds the entities of `other` after this model's own.
    pub fn merge(&mut self, other: Model) {
        self.agencies.extend(other.agencies);
        self.objectives.extend(other.objectives);
        self.instruments.extend(other.instruments);
        self.interactions.extend(other.interactions);
        self.mechanisms.extend(other.mechanisms);
        self.envelopes.extend(other.envelopes);
        self.indicators.extend(other.indicators);
        self.claims.extend(other.claims);
        self.packages.extend(other.packages);
        self.waivers.extend(other.waivers);
        self.broken_ids.extend(other.broken_ids);
    }

    /// Decodes one file's document, reporting every problem in it.
    pub fn decode_document(node: &Node) -> (Model, Vec<Diagnostic>) {
        let mut d = Decoder::default();
        let mut model = Model::default();
        let Value::Map(entries) = &node.value else {
            d.wrong_type(
                node,
                "a mapping of top-level keys (`agencies:`, `instruments:` …)",
            );
            return (model, d.diagnostics);
        };
        for (key, value) in entries {
            let name = key.scalar_text().unwrap_or_default();
            match name.as_str() {
                "agencies" => {
                    model.agencies = list(value, "agencies", &mut model.broken_ids, &mut d)
                }
                "objectives" => {
                    model.objectives = list(value, "objectives", &mut model.broken_ids, &mut d)
                }
                "instruments" => {
                    model.instruments = list(value, "instruments", &mut model.broken_ids, &mut d)
                }
                "interactions" => {
                    model.interactions = list(value, "interactions", &mut model.broken_ids, &mut d)
                }
                "mechanisms" => {
                    model.mechanisms = list(value, "mechanisms", &mut model.broken_ids, &mut d)
                }
                "envelopes" => {
                    model.envelopes = list(value, "envelopes", &mut model.broken_ids, &mut d)
                }
                "indicators" => {
                    model.indicators = list(value, "indicators", &mut model.broken_ids, &mut d)
                }
                "claims" => model.claims = list(value, "claims", &mut model.broken_ids, &mut d),
                "packages" => {
                    model.packages = list(value, "packages", &mut model.broken_ids, &mut d)
                }
                "waivers" => model.waivers = list(value, "waivers", &mut model.broken_ids, &mut d),
                _ => d.report(unknown_top_level(&name, key)),
            }
        }
        (model, d.diagnostics)
    }
}

/// Decodes a top-level list item by item, remembering the ids of items that fail.
fn list<T: Decode>(
    node: &Node,
    kind: &'static str,
    broken: &mut Vec<(&'static str, String)>,
    d: &mut Decoder,
) -> Vec<T> {
    let items = match &node.value {
        Value::Seq(items) => items,
        Value::Null => return Vec::new(),
        _ => {
            d.wrong_type(node, &format!("a list of {kind}"));
            return Vec::new();
        }
    };
    let mut decoded = Vec::with_capacity(items.len());
    for item in items {
        match T::decode(item, d) {
            Some(value) => decoded.push(value),
            None => broken.extend(declared_id(item).map(|id| (kind, id))),
        }
    }
    decoded
}

fn declared_id(node: &Node) -> Option<String> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == "id"))
        .and_then(|(_, v)| v.scalar_text())
}

fn unknown_top_level(name: &str, key: &Node) -> Diagnostic {
    let hint = did_you_mean(name, KINDS).unwrap_or_else(|| {
        format!(
            "a workspace file holds only these keys: {}",
            backticked(&KINDS)
        )
    });
    Diagnostic::error("unknown-key", format!("unknown top-level key `{name}`"))
        .at(key.loc)
        .label("not a kind of entity")
        .hint(hint)
}
