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
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_lower = wanted.to_lowercase();
    let budget = (wanted_lower.chars().count() / 3).max(1);
    let mut best: Option<(usize, f64, &str)> = None;
    for candidate in candidates {
        let candidate_lower = candidate.to_lowercase();
        let distance = strsim::osa_distance(&wanted_lower, &candidate_lower);
        if distance > budget {
            continue;
        }
        let similarity = strsim::jaro_winkler(&wanted_lower, &candidate_lower);
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

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(closest("zzzz", ["MOF", "MIIT", "PBOC"]), None);
        assert_eq!(did_you_mean("x", std::iter::empty()), None);
    }
}
