//! The located tree built straight from the YAML parser's events, for the plain YAML that
//! workspace files are written in. Going through serde costs two and a half times what the
//! parser itself does, and a national workspace is tens of megabytes, so the common case
//! skips it. Anything outside that plain subset (anchors, aliases, tags, merge keys,
//! non-string keys, several documents, a number or word whose reading is not certain) and
//! every error is declined, and the caller reads the file again through serde-saphyr, which
//! decides what the file means and words every error. The two paths must agree on every
//! file the fast one accepts; the tests below and in `tests/fuzz.rs` hold them to that.

use super::ReadLimits;
use super::yaml::{Loc, Node, Value};
use granit_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;

/// The tree of `text`, or `None` when the file is not plain enough to be read here.
pub(super) fn build<'a>(
    text: &'a str,
    file: super::FileId,
    limits: &ReadLimits,
) -> Option<Node<'a>> {
    let mut parser = Parser::new_from_str_with_options(text, parser_options(limits));
    let mut tree = Builder {
        file,
        stack: Vec::new(),
        root: None,
        // Declining early is always safe, so the budgets are kept with room to spare: the
        // reference reader counts in its own way.
        nodes_left: limits.max_nodes / 2,
        max_depth: limits.max_depth.saturating_sub(1),
    };
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.ok()?;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_, version) => {
                documents += 1;
                if documents > 1 || version.is_some() {
                    return None;
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let value = match style {
                    ScalarStyle::Plain => plain(text)?,
                    _ => Value::Str(text),
                };
                let loc = tree.loc(&span);
                tree.add(Node { value, loc })?;
            }
            Event::SequenceStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let loc = tree.loc(&span);
                tree.open(Frame::Seq(Vec::new(), loc))?;
            }
            Event::MappingStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let loc = tree.loc(&span);
                tree.open(Frame::Map(Vec::new(), None, loc))?;
            }
            Event::SequenceEnd | Event::MappingEnd => tree.close()?,
            _ => return None,
        }
    }
    if tree.stack.is_empty() {
        tree.root
    } else {
        None
    }
}

/// The parser set up as serde-saphyr sets it up for the same limits, so that both paths
/// accept the same files.
fn parser_options(limits: &ReadLimits) -> granit_parser::Options {
    let budget = serde_saphyr::Budget::default();
    let mut options = granit_parser::Options::default();
    options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    options.flow_nesting_limit = budget.flow_nesting_limit;
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(limits.max_depth.saturating_add(1));
    options.emit_comments = false;
    options
}

/// An open collection: its items so far, a key waiting for its value, and where it began.
enum Frame<'a> {
    Seq(Vec<Node<'a>>, Loc),
    Map(Vec<(Node<'a>, Node<'a>)>, Option<Node<'a>>, Loc),
}

struct Builder<'a> {
    file: super::FileId,
    stack: Vec<Frame<'a>>,
    root: Option<Node<'a>>,
    nodes_left: usize,
    max_depth: usize,
}

impl<'a> Builder<'a> {
    /// Where an event stands, computed as serde-saphyr computes it.
    fn loc(&self, span: &Span) -> Loc {
        let clamp = |n: usize| n.min(u32::MAX as usize) as u32;
        let len = match (span.start.byte_offset(), span.end.byte_offset()) {
            (Some(start), Some(end)) => end.saturating_sub(start),
            _ => 0,
        };
        Loc {
            file: self.file,
            line: clamp(span.start.line()),
            col: clamp(span.start.col().saturating_add(1)),
            len: super::yaml::loc_len(len),
        }
    }

    fn count(&mut self) -> Option<()> {
        self.nodes_left = self.nodes_left.checked_sub(1)?;
        Some(())
    }

    fn open(&mut self, frame: Frame<'a>) -> Option<()> {
        self.count()?;
        // A collection used as a key is not plain YAML.
        if let Some(Frame::Map(_, None, _)) = self.stack.last() {
            return None;
        }
        if self.stack.len() >= self.max_depth {
            return None;
        }
        self.stack.push(frame);
        Some(())
    }

    fn close(&mut self) -> Option<()> {
        let node = match self.stack.pop()? {
            Frame::Seq(items, loc) => Node {
                value: Value::Seq(items),
                loc,
            },
            Frame::Map(entries, None, loc) => {
                if has_duplicate_key(&entries) {
                    return None;
                }
                Node {
                    value: Value::Map(entries),
                    loc,
                }
            }
            Frame::Map(_, Some(_), _) => return None,
        };
        self.place(node)
    }

    fn add(&mut self, node: Node<'a>) -> Option<()> {
        self.count()?;
        self.place(node)
    }

    fn place(&mut self, node: Node<'a>) -> Option<()> {
        match self.stack.last_mut() {
            None if self.root.is_none() => self.root = Some(node),
            None => return None,
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, key, _)) => match key.take() {
                Some(key) => entries.push((key, node)),
                // Only text keys are plain; `<<` is a merge key, which has a meaning.
                None => match &node.value {
                    Value::Str(text) if text.as_ref() != "<<" => *key = Some(node),
                    _ => return None,
                },
            },
        }
        Some(())
    }
}

/// Whether two keys of a mapping have the same text. Keys are all text here, so text is
/// what makes them the same.
fn has_duplicate_key(entries: &[(Node, Node)]) -> bool {
    fn text<'n>(node: &'n Node) -> &'n str {
        match &node.value {
            Value::Str(s) => s.as_ref(),
            _ => "",
        }
    }
    if entries.len() <= 16 {
        return entries
            .iter()
            .enumerate()
            .any(|(n, (a, _))| entries[..n].iter().any(|(b, _)| text(a) == text(b)));
    }
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| text(k)).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// How a plain scalar reads: as its own text, or as another value.
enum Reading {
    Text,
    Other(Value<'static>),
}

/// The value of a plain scalar, read as serde-saphyr reads it, or `None` when its reading
/// is not certain here: the reference reader then decides.
fn plain(text: Cow<'_, str>) -> Option<Value<'_>> {
    let reading = match text.as_bytes().first() {
        None => Reading::Other(Value::Null),
        Some(_) if text == "~" => Reading::Other(Value::Null),
        Some(first) if first.is_ascii_alphabetic() => word(&text)?,
        Some(first) if first.is_ascii_digit() || *first == b'-' => number(&text)?,
        // Text that opens with any other character is never a number, boolean or null,
        // except for these, which have meanings of their own.
        Some(b'+' | b'.' | b'~' | b'<' | b'=' | b'!' | b'&' | b'*') => return None,
        Some(_) => Reading::Text,
    };
    Some(match reading {
        Reading::Text => Value::Str(text),
        Reading::Other(value) => value,
    })
}

/// Plain text opening with a letter: a YAML 1.1 boolean, null, or text.
fn word(text: &str) -> Option<Reading> {
    if text.len() > 8 {
        return Some(Reading::Text);
    }
    let is = |w: &str| text.eq_ignore_ascii_case(w);
    if is("true") || is("yes") || is("y") || is("on") {
        return Some(Reading::Other(Value::Bool(true)));
    }
    if is("false") || is("no") || is("n") || is("off") {
        return Some(Reading::Other(Value::Bool(false)));
    }
    if matches!(text, "null" | "Null" | "NULL") {
        return Some(Reading::Other(Value::Null));
    }
    if is("null") || is("nan") || is("inf") || is("infinity") {
        return None;
    }
    Some(Reading::Text)
}

/// Plain text opening with a digit or minus: a decimal integer, a decimal fraction, a date
/// (which stays text), or declined.
fn number(text: &str) -> Option<Reading> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let no_leading_zero = |s: &str| s == "0" || !s.starts_with('0');
    if digits(unsigned) && unsigned.len() <= 18 && no_leading_zero(unsigned) {
        if text.starts_with('-') && unsigned == "0" {
            return None;
        }
        return text.parse().ok().map(|n| Reading::Other(Value::Int(n)));
    }
    if let Some((whole, fraction)) = unsigned.split_once('.')
        && digits(whole)
        && digits(fraction)
        && no_leading_zero(whole)
        && text.len() <= 24
    {
        return text.parse().ok().map(|x| Reading::Other(Value::Float(x)));
    }
    let b = text.as_bytes();
    let is_date = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    is_date.then_some(Reading::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree serde-saphyr reads, with the file set as the fast path sets it.
    fn reference(text: &str) -> Option<Node<'_>> {
        super::super::parse_by_reference(text, 3, &ReadLimits::default())
            .ok()
            .flatten()
    }

    fn agree(text: &str) {
        let fast = build(text, 3, &ReadLimits::default());
        if let Some(fast) = fast {
            assert_eq!(
                Some(fast),
                reference(text),
                "the two readers differ on {text:?}"
            );
        }
    }

    #[test]
    fn plain_workspace_yaml_is_read_here_and_matches_the_reference() {
        let text = "instruments:\n  - id: inst-0\n    name: \"a \\\"quoted\\\" name\"\n    targets:\n      - { objective: IU.g6.o33, effect: -2 }\n    horizon: { start: 2018-05-01, end: 2021-05-28, renewal: false }\n    scope: { sectors: [steel], regions: [shanghai] }\n    budget: { amount: 0.5, currency: CNY_bn }\n    note: |\n      two\n      lines\n    name_zh: 财政部\n    empty:\n    nothing: ~\n";
        assert!(build(text, 3, &ReadLimits::default()).is_some());
        agree(text);
    }

    #[test]
    fn scalars_read_as_the_reference_reads_them() {
        let words = [
            "0",
            "7",
            "-3",
            "12345678901234567",
            "0.5",
            "-2.25",
            "10.0",
            "2024-01-31",
            "2024-1-31",
            "007",
            "-0",
            "1e3",
            "0x1F",
            "1_000",
            "+5",
            ".5",
            ".inf",
            "-.inf",
            ".nan",
            "nan",
            "NaN",
            "inf",
            "Infinity",
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "N",
            "true",
            "False",
            "TRUE",
            "null",
            "Null",
            "NULL",
            "nULL",
            "~",
            "abc",
            "a1",
            "e5",
            "中文",
            "_x",
            "/path",
            "(a)",
            "1.2.3",
            "2024-01-31T10:00:00",
            "-",
            "--x",
            "99999999999999999999",
            "1.",
            "0.",
            "12:30",
            "1,000",
            "0o17",
            "0b101",
        ];
        for w in [
            "0",
            "-3",
            "0.5",
            "2024-01-31",
            "yes",
            "abc",
            "中文",
            "null",
            "~",
            "_x",
        ] {
            let text = format!("k: {w}\n");
            assert!(
                build(&text, 3, &ReadLimits::default()).is_some(),
                "{text:?}"
            );
        }
        for w in words {
            agree(&format!("k: {w}\n"));
            agree(&format!("- {w}\n"));
            agree(&format!("k: '{w}'\n"));
        }
    }

    #[test]
    fn what_is_not_plain_is_declined() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "<<: {a: 1}\n",
            "? [a, b]\n: 1\n",
            "1: a\n",
            "a: 1\na: 2\n",
            "a: 1\n---\nb: 2\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: [1, 2\n",
            "a: .inf\n",
        ] {
            assert_eq!(build(text, 0, &ReadLimits::default()), None, "{text:?}");
        }
    }

    #[test]
    fn budgets_decline_before_the_reference_would_refuse() {
        let limits = ReadLimits {
            max_nodes: 10,
            ..ReadLimits::default()
        };
        assert_eq!(build("[1, 2, 3, 4, 5, 6]\n", 0, &limits), None);
        let limits = ReadLimits {
            max_depth: 3,
            ..ReadLimits::default()
        };
        assert_eq!(build("a: {b: {c: 1}}\n", 0, &limits), None);
        assert!(build("a: 1\n", 0, &limits).is_some());
    }

    #[test]
    fn locations_match_the_reference_in_every_shape() {
        for text in [
            "a:\n  - id: MOF\n    name: 财政部\n",
            "a: [1, {b: c}]\n",
            "- - x\n  - y\n- z\n",
            "k: |\n  text\n  more\nm: >-\n  folded\n",
            "\"quoted key\": 'single'\n",
            "# comment\na: 1 # trailing\n",
            "---\na: b\n...\n",
            "a:\n\nb:\n  c: d\n",
        ] {
            assert!(build(text, 3, &ReadLimits::default()).is_some(), "{text:?}");
            agree(text);
        }
    }
}
