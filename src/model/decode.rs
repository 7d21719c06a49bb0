//! Turning located YAML trees into typed model values while collecting every problem at
//! once: a bad field is reported and skipped, and decoding carries on with the rest.

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::{Loc, Node, Value};
use chrono::NaiveDate;

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Located<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Located { value, loc }
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// Collects diagnostics while decoding.
#[derive(Default)]
pub struct Decoder<'t> {
    pub diagnostics: Vec<Diagnostic>,
    /// Problems past [`Decoder::KEPT`]: how many errors and warnings, and where the first was.
    unlisted: (usize, usize, Option<Loc>),
    /// The text of the file being decoded, to read a plain scalar as it was written.
    text: &'t str,
    /// Where each line of `text` starts, built when first needed.
    lines: Vec<u32>,
}

impl<'t> Decoder<'t> {
    /// A decoder for the document parsed from `text`.
    pub fn of(text: &'t str) -> Self {
        Decoder {
            text,
            ..Decoder::default()
        }
    }

    /// A scalar as text, as it was written: a plain scalar that YAML reads as a boolean or
    /// a number keeps its spelling, so that where text is expected (a name, an id, a key, a
    /// word from a list) `NO` stays `NO` rather than `false`, `y` stays `y`, and `1.10`
    /// stays `1.10`. Without the file's text, or when the place does not hold the scalar (an
    /// alias, a tag), it is written out from its value. `None` for a list or mapping.
    pub fn text_of(&mut self, node: &Node) -> Option<String> {
        match node.value {
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                self.spelled(node).or_else(|| node.scalar_text())
            }
            _ => node.scalar_text(),
        }
    }

    /// The `id` an entity's mapping declares, as written, if it declares one.
    pub fn declared_id(&mut self, node: &Node) -> Option<String> {
        let Value::Map(entries) = &node.value else {
            return None;
        };
        let (_, id) = entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == "id"))?;
        self.text_of(id)
    }

    fn spelled(&mut self, node: &Node) -> Option<String> {
        if self.text.is_empty() {
            return None;
        }
        if self.lines.is_empty() {
            self.lines = crate::load::line_starts(self.text);
        }
        let start = crate::load::offset_in(self.text, &self.lines, node.loc.line, node.loc.col)?;
        let written = self.text.get(start..start + usize::from(node.loc.len))?;
        let plain = !written.is_empty()
            && !written.starts_with(['\'', '"', '!', '&', '*', '|', '>', '[', '{'])
            && !written.contains(['\n', '\r', '#', ','])
            && !written.contains(": ")
            && written.trim() == written;
        plain.then(|| written.to_owned())
    }

    /// Problems one file keeps in full; past them they are only counted. A few megabytes
    /// of broken items (a flow list of three million nulls) otherwise held a gigabyte and a
    /// half of messages, where the first ten thousand already say what is wrong.
    pub const KEPT: usize = 10_000;

    pub fn report(&mut self, diagnostic: Diagnostic) {
        if self.diagnostics.len() < Self::KEPT {
            self.diagnostics.push(diagnostic);
            return;
        }
        let (errors, warnings, first) = &mut self.unlisted;
        if diagnostic.is_error() {
            *errors += 1;
        } else {
            *warnings += 1;
        }
        first.get_or_insert(diagnostic.loc.unwrap_or_default());
    }

    /// The diagnostics, with one more that counts those past [`Decoder::KEPT`].
    pub fn finish(mut self) -> Vec<Diagnostic> {
        let (errors, warnings, first) = self.unlisted;
        if errors + warnings > 0 {
            let counted = |n: usize, what: &str| {
                (n > 0).then(|| format!("{n} more {what}{}", if n == 1 { "" } else { "s" }))
            };
            let parts: Vec<String> = [counted(errors, "error"), counted(warnings, "warning")]
                .into_iter()
                .flatten()
                .collect();
            let message = format!("this file has {}, not listed here", parts.join(" and "));
            let summary = if errors > 0 {
                Diagnostic::error("unlisted-problems", message)
            } else {
                Diagnostic::warning("unlisted-problems", message)
            };
            self.diagnostics.push(
                summary
                    .at(first.unwrap_or_default())
                    .label("the first of them")
                    .hint(format!(
                        "fix the first {} problems and run again: so many are usually one mistake repeated",
                        Self::KEPT
                    )),
            );
        }
        self.diagnostics
    }

    pub fn wrong_type(&mut self, node: &Node, expected: &str) {
        self.report(
            Diagnostic::error(
                "wrong-type",
                format!("expected {expected}, found {}", node.value.describe()),
            )
            .at(node.loc)
            .label(format!("expected {expected}")),
        );
    }
}

/// A type that can be read from a located YAML node.
pub trait Decode: Sized {
    /// How the expected value reads in a message: "a string", "an ISO date".
    fn expected() -> String;
    /// Decodes `node`, reporting problems to `d`; `None` when the value is unusable.
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self>;
}

impl<T: Decode> Decode for Located<T> {
    fn expected() -> String {
        T::expected()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        T::decode(node, d).map(|v| Located::new(v, node.loc))
    }
}

/// A value kept apart from the entity that holds it: for fields most entities leave out, so
/// that each absent one takes the room of a pointer rather than of the value.
impl<T: Decode> Decode for Box<T> {
    fn expected() -> String {
        T::expected()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        T::decode(node, d).map(Box::new)
    }
}

/// Any YAML value, kept as it is for a later stage to decode.
impl Decode for Node<'static> {
    fn expected() -> String {
        "a YAML value".into()
    }
    fn decode(node: &Node, _: &mut Decoder) -> Option<Self> {
        Some(node.clone().into_owned())
    }
}

impl Decode for String {
    fn expected() -> String {
        "a string".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(s.as_ref().to_owned()),
            // Plain scalars such as `2024` or `true` are meant as text where text is expected.
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => d.text_of(node),
            _ => {
                d.wrong_type(node, &Self::expected());
                None
            }
        }
    }
}

impl Decode for compact_str::CompactString {
    fn expected() -> String {
        String::expected()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(compact_str::CompactString::from(s.as_ref())),
            _ => String::decode(node, d).map(Into::into),
        }
    }
}

impl Decode for f64 {
    fn expected() -> String {
        "a number".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match node.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            _ => {
                d.wrong_type(node, &Self::expected());
                None
            }
        }
    }
}

impl Decode for i64 {
    fn expected() -> String {
        "an integer".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match node.value {
            Value::Int(i) => Some(i),
            _ => {
                d.wrong_type(node, &Self::expected());
                None
            }
        }
    }
}

impl Decode for bool {
    fn expected() -> String {
        "`true` or `false`".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                d.wrong_type(node, &Self::expected());
                None
            }
        }
    }
}

impl Decode for NaiveDate {
    fn expected() -> String {
        "an ISO date (`YYYY-MM-DD`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let Value::Str(text) = &node.value else {
            d.wrong_type(node, &Self::expected());
            return None;
        };
        let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 10);
        if parsed.is_none() {
            d.report(
                Diagnostic::error("bad-date", format!("`{text}` is not a valid date"))
                    .at(node.loc)
                    .label("expected `YYYY-MM-DD`")
                    .hint("write dates as ISO `YYYY-MM-DD`, e.g. `2024-03-07`"),
            );
        }
        parsed
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn expected() -> String {
        format!("a list of {}", strip_article(&T::expected()))
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        // Sized up front: collecting would start at room for four, and most lists of a
        // national workspace (sectors, regions, targets) hold one or two.
        decode_items(node, d, Self::expected, Vec::with_capacity)
    }
}

/// A list that most entities fill with one item (a scope's sectors, regions and
/// beneficiaries), kept inline up to one: a national workspace has hundreds of thousands
/// of such lists, and an allocation each.
pub type Few<T> = smallvec::SmallVec<[T; 1]>;

impl<T: Decode> Decode for Few<T> {
    fn expected() -> String {
        Vec::<T>::expected()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        decode_items(node, d, Self::expected, Few::with_capacity)
    }
}

/// A YAML list (or null, for none) decoded item by item into the list `make` sizes for
/// it; items that fail are reported and left out.
fn decode_items<T: Decode, L: Extend<T>>(
    node: &Node,
    d: &mut Decoder,
    expected: fn() -> String,
    make: fn(usize) -> L,
) -> Option<L> {
    match &node.value {
        Value::Seq(items) => {
            let mut list = make(items.len());
            list.extend(items.iter().filter_map(|i| T::decode(i, d)));
            Some(list)
        }
        Value::Null => Some(make(0)),
        _ => {
            d.wrong_type(node, &expected());
            None
        }
    }
}

fn strip_article(s: &str) -> &str {
    s.strip_prefix("an ")
        .or_else(|| s.strip_prefix("a "))
        .unwrap_or(s)
}

/// A list that may also be written as a single value (`beneficiaries: households`).
#[derive(Clone, Debug, PartialEq)]
pub struct OneOrMany<T>(pub Few<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Few::new())
    }
}

impl<T: Decode> Decode for OneOrMany<T> {
    fn expected() -> String {
        format!("{} or a list of them", T::expected())
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match &node.value {
            Value::Seq(_) | Value::Null => Few::<T>::decode(node, d).map(OneOrMany),
            _ => T::decode(node, d).map(|v| OneOrMany(smallvec::smallvec![v])),
        }
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for OneOrMany<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<T>();
        schemars::json_schema!({
            "anyOf": [one, { "type": "array", "items": one }]
        })
    }
}

/// Decodes the named fields of a struct from a [`Fields`] reader. Every field is read
/// before any is judged missing, so unknown keys and all bad values are reported together;
/// `req` fields make the whole value `None` when absent or invalid.
#[macro_export]
#[doc(hidden)]
macro_rules! decode_fields {
    ($ty:ident, $f:ident, $d:ident { $($field:ident : $how:ident),* $(,)? } $(, $extra:ident : $e:expr)*) => {{
        $( let $field = $f.$how(stringify!($field), $d); )*
        $f.finish($d);
        $crate::model::decode::assemble(|| Some($ty { $($field: $crate::decode_fields!(@take $how $field),)* $($extra: $e,)* }))
    }};
    (@take req $x:ident) => { $x? };
    (@take $other:ident $x:ident) => { $x };
}

/// Runs the struct assembly of [`decode_fields!`], where `?` turns a missing required
/// field into `None`.
#[doc(hidden)]
pub fn assemble<T>(build: impl FnOnce() -> Option<T>) -> Option<T> {
    build()
}

/// Reads the fields of one mapping. Every field asked for becomes a known key; keys left
/// over at [`Fields::finish`] are reported as unknown, with the closest known key.
pub struct Fields<'n> {
    node: &'n Node<'n>,
    entries: &'n [(Node<'n>, Node<'n>)],
    // Kept inline: a national workspace opens hundreds of thousands of mappings, and these
    // lists took several allocations each.
    used: smallvec::SmallVec<[bool; 32]>,
    known: smallvec::SmallVec<[&'static str; 32]>,
    what: What,
}

/// What a mapping describes, for messages: a fixed phrase (`scope`), or an entity named
/// by its own `id` field (instrument `tradein`), spelled out only when a message needs it.
#[derive(Clone, Copy)]
pub enum What {
    Phrase(&'static str),
    Entity(&'static str),
}

impl From<&'static str> for What {
    fn from(phrase: &'static str) -> Self {
        What::Phrase(phrase)
    }
}

impl<'n> Fields<'n> {
    /// Starts reading `node` as a mapping; `None` (reported) if it is not one.
    pub fn of(node: &'n Node, what: impl Into<What>, d: &mut Decoder) -> Option<Self> {
        let what = what.into();
        match &node.value {
            Value::Map(entries) => Some(Fields {
                node,
                entries,
                used: smallvec::smallvec![false; entries.len()],
                known: smallvec::SmallVec::new(),
                what,
            }),
            _ => {
                let what = describe(what, node, d);
                d.wrong_type(node, &format!("a mapping for {what}"));
                None
            }
        }
    }

    /// What the mapping describes, e.g. "instrument `tradein`".
    fn what(&self, d: &mut Decoder) -> String {
        describe(self.what, self.node, d)
    }

    /// The raw value under `key`, marking the key as known and used.
    pub fn raw(&mut self, key: &'static str) -> Option<&'n Node<'n>> {
        self.known.push(key);
        let index = self
            .entries
            .iter()
            .position(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))?;
        self.used[index] = true;
        Some(&self.entries[index].1)
    }

    /// An optional field; an explicit `null` counts as absent.
    pub fn opt<T: Decode>(&mut self, key: &'static str, d: &mut Decoder) -> Option<T> {
        match self.raw(key) {
            Some(node) if node.value != Value::Null => T::decode(node, d),
            _ => None,
        }
    }

    /// A list field that may be left out (an empty list then).
    pub fn list<L: Decode + Default>(&mut self, key: &'static str, d: &mut Decoder) -> L {
        self.opt::<L>(key, d).unwrap_or_default()
    }

    /// An optional field with a default (an empty list) when left out.
    pub fn dflt<T: Decode + Default>(&mut self, key: &'static str, d: &mut Decoder) -> T {
        self.opt(key, d).unwrap_or_default()
    }

    /// A required field; its absence is reported at the mapping.
    pub fn req<T: Decode>(&mut self, key: &'static str, d: &mut Decoder) -> Option<T> {
        match self.raw(key) {
            Some(node) if node.value != Value::Null => T::decode(node, d),
            Some(node) => {
                let what = self.what(d);
                d.report(
                    Diagnostic::error("missing-field", format!("field `{key}` of {what} is empty"))
                        .at(node.loc)
                        .label(format!("expected {}", T::expected()))
                        .hint(format!("`{key}` is required")),
                );
                None
            }
            None => {
                let what = self.what(d);
                d.report(
                    Diagnostic::error(
                        "missing-field",
                        format!("{what} is missing the required field `{key}`"),
                    )
                    .at(self.first_key_loc())
                    .label(format!("`{key}` is missing here"))
                    .hint(format!("add `{key}:` with {}", T::expected())),
                );
                None
            }
        }
    }

    fn first_key_loc(&self) -> Loc {
        self.entries.first().map_or(self.node.loc, |(k, _)| k.loc)
    }

    /// Reports keys that no field asked for.
    pub fn finish(self, d: &mut Decoder) {
        for ((key, _), used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let name = d.text_of(key).unwrap_or_else(|| "?".into());
            let what = self.what(d);
            let mut known = self.known.clone();
            known.sort_unstable();
            known.dedup();
            let hint = did_you_mean(&name, known.iter().copied())
                .unwrap_or_else(|| format!("the keys of {what} are: {}", backticked(&known)));
            d.report(
                Diagnostic::error("unknown-key", format!("unknown key `{name}` in {what}"))
                    .at(key.loc)
                    .label("not a field here")
                    .hint(hint),
            );
        }
    }
}

/// `what` in words; an entity is named by the `id` its mapping declares, if there is one.
fn describe(what: What, node: &Node, d: &mut Decoder) -> String {
    match what {
        What::Phrase(phrase) => phrase.to_owned(),
        What::Entity(kind) => match d.declared_id(node) {
            Some(id) => format!("{kind} `{id}`"),
            None => format!("this {kind}"),
        },
    }
}

/// `a`, `b`, `c` — for lists of allowed values in hints.
pub fn backticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ReadLimits, parse};

    fn node(text: &str) -> Node<'_> {
        parse(text, 0, &ReadLimits::default()).unwrap().unwrap()
    }

    #[test]
    fn unknown_keys_get_the_closest_known_key() {
        let n = node("id: MOF\nnmae: Finance\n");
        let mut d = Decoder::default();
        let mut f = Fields::of(&n, "agency `MOF`", &mut d).unwrap();
        let _: Option<String> = f.req("id", &mut d);
        let _: Option<String> = f.req("name", &mut d);
        f.finish(&mut d);
        let codes: Vec<_> = d.diagnostics.iter().map(|x| x.code).collect();
        assert_eq!(codes, ["missing-field", "unknown-key"]);
        assert_eq!(
            d.diagnostics[1].hint.as_deref(),
            Some("did you mean `name`?")
        );
        assert_eq!(d.diagnostics[1].loc.unwrap().line, 2);
    }

    /// An entity is named by its id in messages, which is looked up only when one is
    /// written; without an id it is "this" entity.
    #[test]
    fn messages_name_an_entity_by_its_id_or_call_it_this_one() {
        let messages = |text: &str| {
            let n = node(text);
            let mut d = Decoder::of(text);
            let mut f = Fields::of(&n, What::Entity("instrument"), &mut d).unwrap();
            let _: Option<String> = f.req("name", &mut d);
            f.finish(&mut d);
            d.diagnostics
                .into_iter()
                .map(|x| x.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            messages("owner: MOF\nid: tradein\n"),
            [
                "instrument `tradein` is missing the required field `name`",
                "unknown key `owner` in instrument `tradein`",
                "unknown key `id` in instrument `tradein`",
            ]
        );
        assert_eq!(
            messages("owner: MOF\n"),
            [
                "this instrument is missing the required field `name`",
                "unknown key `owner` in this instrument",
            ]
        );
        // An id or a key that YAML would read as a boolean is named as it was written.
        assert_eq!(
            messages("id: y\non: MOF\n"),
            [
                "instrument `y` is missing the required field `name`",
                "unknown key `id` in instrument `y`",
                "unknown key `on` in instrument `y`",
            ]
        );
    }

    #[test]
    fn wrong_types_name_what_was_found() {
        let n = node("amount: [1]\n");
        let mut d = Decoder::default();
        let mut f = Fields::of(&n, "budget", &mut d).unwrap();
        assert_eq!(f.req::<f64>("amount", &mut d), None);
        assert_eq!(d.diagnostics[0].message, "expected a number, found a list");
    }

    #[test]
    fn dates_must_be_iso() {
        let n = node("a: 2024-02-30\nb: 2024-02-29\n");
        let mut d = Decoder::default();
        let mut f = Fields::of(&n, "horizon", &mut d).unwrap();
        assert_eq!(f.req::<NaiveDate>("a", &mut d), None);
        assert!(f.req::<NaiveDate>("b", &mut d).is_some());
        assert_eq!(d.diagnostics[0].code, "bad-date");
    }

    #[test]
    fn one_or_many_accepts_a_single_value() {
        let n = node("a: households\nb: [firms, banks]\n");
        let mut d = Decoder::default();
        let mut f = Fields::of(&n, "scope", &mut d).unwrap();
        let one = f.req::<OneOrMany<String>>("a", &mut d).unwrap().0;
        assert_eq!(one.as_slice(), ["households"]);
        assert!(!one.spilled(), "one item is kept inline");
        let two = f.req::<OneOrMany<String>>("b", &mut d).unwrap().0;
        assert_eq!(two.as_slice(), ["firms", "banks"]);
        assert_eq!(two.capacity(), 2);
    }

    #[test]
    fn short_text_is_kept_inline_and_long_text_whole() {
        let long = "a name longer than the twenty-four bytes kept inline";
        let text = format!("id: GOV.xinjiang.finance\nyear: 2024\nname: {long}\n");
        let n = node(&text);
        let mut d = Decoder::default();
        let mut f = Fields::of(&n, "agency", &mut d).unwrap();
        let id: compact_str::CompactString = f.req("id", &mut d).unwrap();
        assert_eq!(id, "GOV.xinjiang.finance");
        assert!(!id.is_heap_allocated());
        let year: compact_str::CompactString = f.req("year", &mut d).unwrap();
        assert_eq!(year, "2024");
        let name: compact_str::CompactString = f.req("name", &mut d).unwrap();
        assert_eq!(name, long);
        assert!(d.diagnostics.is_empty());
    }

    #[test]
    fn lists_take_the_room_of_their_items_only() {
        let n = node("one: [steel]\ntwo: [steel, autos]\n");
        let mut d = Decoder::default();
        let mut f = Fields::of(&n, "scope", &mut d).unwrap();
        let one: Vec<String> = f.req("one", &mut d).unwrap();
        let two: Vec<String> = f.req("two", &mut d).unwrap();
        assert_eq!((one.len(), one.capacity()), (1, 1));
        assert_eq!((two.len(), two.capacity()), (2, 2));
    }
}
