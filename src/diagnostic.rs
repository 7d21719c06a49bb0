//! Diagnostics: the one shape in which every stage tells the analyst what is wrong, where,
//! and how to fix it. Stages produce them; only the renderers turn them into text.

use crate::load::Loc;
use serde::Serialize;

/// How serious a diagnostic is. Errors make a workspace invalid (exit 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
}

/// A secondary place that helps explain a diagnostic (the first definition of a duplicate id).
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

/// One located problem with a message, an optional label under the snippet and a hint.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub level: Level,
    pub code: &'static str,
    pub message: String,
    /// The offending value; `None` only when no file is involved (an empty folder).
    pub loc: Option<Loc>,
    /// A path to name when there is no location (a folder, an unreadable file).
    pub path: Option<String>,
    pub label: Option<String>,
    pub hint: Option<String>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            loc: None,
            path: None,
            label: None,
            hint: None,
            related: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, loc: Loc) -> Self {
        self.loc = Some(loc);
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint.or(self.hint);
        self
    }

    pub fn related(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.related.push(Related {
            loc,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// The house style starts messages lowercase; other libraries' messages are adapted.
pub fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The closest candidate to `wanted`, if one is close enough to be a likely typo: at most
/// one edit in three characters (case ignored), ties broken by the longer common prefix.
///
/// A workspace of 100,000 instruments with hundreds of dangling references asks this of
/// every id for each of them, so two cheap bounds come before the edit distance: the
/// difference in length, and the characters one string has that the other lacks (the
/// distance of their character counts, which no edit changes by more than one).
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_lower = wanted.to_lowercase();
    let wanted_len = wanted_lower.chars().count();
    let budget = (wanted_len / 3).max(1);
    let mut counts = CharCounts::of(&wanted_lower);
    let mut best: Option<(usize, f64, &str)> = None;
    for candidate in candidates {
        let lowered;
        let candidate_lower =
            if candidate.is_ascii() && !candidate.bytes().any(|b| b.is_ascii_uppercase()) {
                candidate
            } else {
                lowered = candidate.to_lowercase();
                lowered.as_str()
            };
        let len = if candidate_lower.is_ascii() {
            candidate_lower.len()
        } else {
            candidate_lower.chars().count()
        };
        // Only a candidate as close as the best so far can still win.
        let within = best.map_or(budget, |(d, _, _)| d);
        if len.abs_diff(wanted_len) > within
            || counts.distance(candidate_lower, wanted_len, len) > within
        {
            continue;
        }
        let Some(distance) = edits_within(&wanted_lower, candidate_lower, within) else {
            continue;
        };
        let similarity = strsim::jaro_winkler(&wanted_lower, candidate_lower);
        let better = match best {
            None => true,
            Some((d, s, _)) => distance < d || (distance == d && similarity > s),
        };
        if better {
            best = Some((distance, similarity, candidate));
        }
    }
    best.map(|(_, _, c)| c)
}

/// The optimal-string-alignment distance between two texts (insertions, deletions,
/// substitutions and transpositions of neighbours), if it is at most `within`. ASCII text,
/// which ids nearly always are, is compared byte by byte, allocating nothing, and given up
/// as soon as two rows in a row exceed `within`.
fn edits_within(a: &str, b: &str, within: usize) -> Option<usize> {
    if !(a.is_ascii() && b.is_ascii()) {
        let distance = strsim::osa_distance(a, b);
        return (distance <= within).then_some(distance);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let width = b.len() + 1;
    let mut rows: smallvec::SmallVec<[usize; 3 * 48]> = smallvec::smallvec![0; 3 * width];
    let (mut before, mut last, mut this) = (0, width, 2 * width);
    for j in 0..width {
        rows[last + j] = j;
    }
    let mut last_min = 0;
    for i in 1..=a.len() {
        rows[this] = i;
        let mut this_min = i;
        for j in 1..width {
            let substitution = rows[last + j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut cell = substitution
                .min(rows[last + j] + 1)
                .min(rows[this + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cell = cell.min(rows[before + j - 2] + 1);
            }
            rows[this + j] = cell;
            this_min = this_min.min(cell);
        }
        // A cell is at least the smaller of the row above and one more than the row
        // before it, so two rows past `within` mean every later row is too.
        if this_min > within && last_min > within {
            return None;
        }
        last_min = this_min;
        (before, last, this) = (last, this, before);
    }
    let distance = rows[last + width - 1];
    (distance <= within).then_some(distance)
}

/// How often each character occurs in a string, folded into 128 buckets; characters that
/// share a bucket only make the distance smaller, so it stays a lower bound.
struct CharCounts([i32; 128]);

impl CharCounts {
    fn bucket(c: char) -> usize {
        c as usize % 128
    }

    fn of(text: &str) -> CharCounts {
        let mut counts = [0; 128];
        for c in text.chars() {
            counts[Self::bucket(c)] += 1;
        }
        CharCounts(counts)
    }

    /// The larger of what each string has that the other lacks: at most the number of
    /// edits (insertions, deletions, substitutions, transpositions) between them.
    fn distance(&mut self, other: &str, len: usize, other_len: usize) -> usize {
        let shared = if other.is_ascii() {
            self.take(other.bytes().map(usize::from))
        } else {
            self.take(other.chars().map(Self::bucket))
        };
        (len - shared).max(other_len - shared)
    }

    /// How many of `buckets` these counts hold, leaving the counts as they were.
    fn take(&mut self, buckets: impl Iterator<Item = usize> + Clone) -> usize {
        let mut shared = 0;
        for b in buckets.clone() {
            let n = &mut self.0[b % 128];
            shared += usize::from(*n > 0);
            *n -= 1;
        }
        for b in buckets {
            self.0[b % 128] += 1;
        }
        shared
    }
}

/// `did you mean `x`?` for the closest candidate, if any.
pub fn did_you_mean<'a, I>(wanted: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_close_name() {
        assert_eq!(closest("MIT", ["MOF", "MIIT", "PBOC"]), Some("MIIT"));
        assert_eq!(closest("nmae", ["id", "name", "kind"]), Some("name"));
        assert_eq!(closest("MFO", ["MOF", "MIIT", "PBOC"]), Some("MOF"));
        assert_eq!(closest("pboc", ["MOF", "PBOC"]), Some("PBOC"));
    }

    /// The cheap bounds must never hide a candidate the edit distance would accept.
    #[test]
    fn the_bounds_keep_every_candidate_within_the_budget() {
        let ids = [
            "inst-10012",
            "inst-30012",
            "inst-01012",
            "inst-1012",
            "inst-100123",
            "INST-10012",
            "inst-10021",
            "tsni-10012",
            "inst_10012",
            "instrument-10012",
            "政策-10012",
            "政策-10021",
            "ab",
            "ba",
            "a",
            "",
        ];
        for wanted in ids {
            let wanted_lower = wanted.to_lowercase();
            let budget = (wanted_lower.chars().count() / 3).max(1);
            let mut counts = CharCounts::of(&wanted_lower);
            for candidate in ids {
                let candidate_lower = candidate.to_lowercase();
                let distance = strsim::osa_distance(&wanted_lower, &candidate_lower);
                let bound = counts.distance(
                    &candidate_lower,
                    wanted_lower.chars().count(),
                    candidate_lower.chars().count(),
                );
                assert!(
                    bound <= distance,
                    "{wanted} → {candidate}: {bound} > {distance}"
                );
                if distance <= budget {
                    assert!(
                        closest(wanted, [candidate]).is_some(),
                        "{wanted} → {candidate}"
                    );
                }
            }
        }
        assert_eq!(
            closest("inst-1O012", ["inst-30012", "inst-10012"]),
            Some("inst-10012")
        );
        assert_eq!(closest("政策-10O21", ["政策-10021"]), Some("政策-10021"));
    }

    /// The bounded search picks what comparing every candidate in full picks.
    #[test]
    fn the_bounded_search_agrees_with_a_full_one() {
        fn full<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
            let wanted = wanted.to_lowercase();
            let budget = (wanted.chars().count() / 3).max(1);
            let mut best: Option<(usize, f64, &str)> = None;
            for &c in candidates {
                let lower = c.to_lowercase();
                let d = strsim::osa_distance(&wanted, &lower);
                let s = strsim::jaro_winkler(&wanted, &lower);
                if d <= budget && best.is_none_or(|(bd, bs, _)| d < bd || (d == bd && s > bs)) {
                    best = Some((d, s, c));
                }
            }
            best.map(|(_, _, c)| c)
        }
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let ids: Vec<String> = (0..3000)
            .map(|_| match next() % 3 {
                0 => format!("inst-{}", next() % 100_000),
                1 => format!("Obj-{}-{}", next() % 40, next() % 12),
                _ => format!("政策{}", next() % 500),
            })
            .collect();
        let candidates: Vec<&str> = ids.iter().map(String::as_str).collect();
        for k in 0..300 {
            let mut wanted = ids[next() % ids.len()].clone();
            if k % 2 == 0 {
                wanted.push(char::from(b'0' + (next() % 10) as u8));
            }
            assert_eq!(
                closest(&wanted, candidates.iter().copied()),
                full(&wanted, &candidates),
                "{wanted}"
            );
        }
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(closest("zzzz", ["MOF", "MIIT", "PBOC"]), None);
        assert_eq!(did_you_mean("x", std::iter::empty()), None);
    }
}
