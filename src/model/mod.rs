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

    /// Adds the entities of `other` after this model's own. A list this model does not have
    /// yet is taken over whole; the others grow by reallocation, which the system allocator
    /// does for large lists by remapping pages rather than copying them, so the merged
    /// lists never sit in memory beside a full copy of the files' lists.
    pub fn merge(&mut self, other: Model) {
        fn append<T>(list: &mut Vec<T>, more: Vec<T>) {
            if list.is_empty() {
                *list = more;
            } else {
                list.extend(more);
            }
        }
        append(&mut self.agencies, other.agencies);
        append(&mut self.objectives, other.objectives);
        append(&mut self.instruments, other.instruments);
        append(&mut self.interactions, other.interactions);
        append(&mut self.mechanisms, other.mechanisms);
        append(&mut self.envelopes, other.envelopes);
        append(&mut self.indicators, other.indicators);
        append(&mut self.claims, other.claims);
        append(&mut self.packages, other.packages);
        append(&mut self.waivers, other.waivers);
        append(&mut self.broken_ids, other.broken_ids);
    }

    /// Gives back the room that growing the lists left over, once every file is merged.
    pub fn shrink_to_fit(&mut self) {
        self.agencies.shrink_to_fit();
        self.objectives.shrink_to_fit();
        self.instruments.shrink_to_fit();
        self.interactions.shrink_to_fit();
        self.mechanisms.shrink_to_fit();
        self.envelopes.shrink_to_fit();
        self.indicators.shrink_to_fit();
        self.claims.shrink_to_fit();
        self.packages.shrink_to_fit();
        self.waivers.shrink_to_fit();
    }

    /// Decodes one file's document, parsed from `text`, reporting every problem in it.
    pub fn decode_document(node: &Node, text: &str) -> (Model, Vec<Diagnostic>) {
        let mut d = Decoder::of(text);
        let mut model = Model::default();
        let Value::Map(entries) = &node.value else {
            d.wrong_type(
                node,
                "a mapping of top-level keys (`agencies:`, `instruments:` …)",
            );
            return (model, d.finish());
        };
        for (key, value) in entries {
            let name = d.text_of(key).unwrap_or_default();
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
        (model, d.finish())
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
    // Room only for the items that can be entities: a list of nulls or numbers, a few
    // bytes each in the file, must not reserve a whole entity for each.
    let mappings = items
        .iter()
        .filter(|i| matches!(i.value, Value::Map(_)))
        .count();
    let mut decoded = Vec::with_capacity(mappings);
    for item in items {
        match T::decode(item, d) {
            Some(value) => decoded.push(value),
            None => broken.extend(d.declared_id(item).map(|id| (kind, id))),
        }
    }
    decoded
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::load::{ReadLimits, parse};

    /// The model of one YAML text, which must decode without a diagnostic.
    pub(crate) fn decoded(text: &str) -> Model {
        let node = parse(text, 0, &ReadLimits::default()).unwrap().unwrap();
        let (model, diagnostics) = Model::decode_document(&node, text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        model
    }

    /// Where text is expected, a plain scalar that YAML would read as a boolean or a number
    /// keeps its spelling: an agency named `NO` is not named `false`, an id `y` is not
    /// `true`, and `1.10` is not `1.1`. Where a boolean is expected, `yes` is still true.
    #[test]
    fn text_fields_keep_plain_scalars_as_written() {
        let names = |text: &str| -> Vec<(String, String)> {
            decoded(text)
                .agencies
                .iter()
                .map(|a| (a.id.value.to_string(), a.name.value.to_string()))
                .collect()
        };
        let pair = |id: &str, name: &str| (id.to_owned(), name.to_owned());
        let text = "agencies:\n\
                    \x20 - { id: y, name: NO, kind: ministry, level: central }\n\
                    \x20 - id: on\n    name: 1.10\n    kind: ministry\n    level: central\n\
                    \x20 - { name_zh: 财政部, id: n, name: 007, kind: ministry, level: central }\n\
                    \x20 - { id: '2024', name: \"true\", kind: ministry, level: central }\n";
        let expected = vec![
            pair("y", "NO"),
            pair("on", "1.10"),
            pair("n", "007"),
            pair("2024", "true"),
        ];
        assert_eq!(names(text), expected);
        // The same with a byte-order mark and CRLF line ends.
        assert_eq!(
            names(&format!("\u{feff}{}", text.replace('\n', "\r\n"))),
            expected
        );
        let model = decoded(
            "agencies:\n  - { id: A, name: A, kind: ministry, level: central }\n\
             objectives:\n  - { id: O, name: O, domain: industrial_upgrade }\n\
             instruments:\n  - { id: x, name: Off, kind: fiscal_subsidy, owner: A, capex: yes, note: 3.50, targets: [{ objective: O, effect: 2 }] }\n",
        );
        let x = &model.instruments[0];
        assert_eq!(x.name.value, "Off");
        assert_eq!(x.capex.as_ref().map(|c| c.value), Some(true));
        assert_eq!(x.note.as_ref().map(|n| n.value.as_str()), Some("3.50"));
    }

    /// An entity that fails to decode is remembered by its id as written, so that the
    /// references to it are not reported again as dangling.
    #[test]
    fn a_broken_entity_is_remembered_by_its_id_as_written() {
        let text = "agencies:\n  - { id: y, name: Y, kind: ministri, level: central }\n";
        let node = parse(text, 0, &ReadLimits::default()).unwrap().unwrap();
        let (model, diagnostics) = Model::decode_document(&node, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(model.broken_ids, [("agencies", "y".to_owned())]);
    }

    #[test]
    fn merged_files_keep_their_order_and_no_spare_room() {
        let agency = |id: &str| {
            format!("agencies:\n  - {{ id: {id}, name: {id}, kind: ministry, level: central }}\n")
        };
        let mut model = Model::default();
        for id in ["MOF", "PBOC", "NDRC"] {
            model.merge(decoded(&agency(id)));
        }
        model.shrink_to_fit();
        let ids: Vec<&str> = model.agencies.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["MOF", "PBOC", "NDRC"]);
        assert_eq!(model.agencies.capacity(), 3);
    }

    /// A national workspace holds hundreds of thousands of instruments and their targets,
    /// most leaving out most fields: the fields they leave out must stay boxed. (A scope's
    /// first sector, region and beneficiary are inline, which saves an allocation each.)
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn instruments_and_their_targets_stay_small() {
        assert!(std::mem::size_of::<Instrument>() <= 680);
        assert!(std::mem::size_of::<Effect>() <= 88);
    }

    /// A list of nulls is a few bytes an item in the file: it must not reserve an entity
    /// for each (3 million of them asked for 2.4 GB and ended at the memory limit).
    #[test]
    fn items_that_cannot_be_entities_take_no_room() {
        let text = "instruments: [~, ~, 3]\n";
        let node = parse(text, 0, &ReadLimits::default()).unwrap().unwrap();
        let (model, diagnostics) = Model::decode_document(&node, text);
        assert_eq!(diagnostics.len(), 3);
        assert_eq!(model.instruments.capacity(), 0);
    }

    #[test]
    fn past_the_kept_problems_a_file_counts_the_rest_in_one() {
        let nulls = vec!["~"; Decoder::KEPT + 5].join(", ");
        let text = format!("instruments: [{nulls}]\n");
        let node = parse(&text, 0, &ReadLimits::default()).unwrap().unwrap();
        let (_, diagnostics) = Model::decode_document(&node, &text);
        assert_eq!(diagnostics.len(), Decoder::KEPT + 1);
        let last = diagnostics.last().unwrap();
        assert_eq!(last.code, "unlisted-problems");
        assert!(last.is_error());
        assert_eq!(last.message, "this file has 5 more errors, not listed here");
        let first_unlisted = 15 + 3 * Decoder::KEPT as u32;
        assert_eq!(last.loc.map(|l| (l.line, l.col)), Some((1, first_unlisted)));
    }
}
