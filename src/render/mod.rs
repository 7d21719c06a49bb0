//! Turning results into text for people and machines. Renderers build strings, and the
//! largest reports can also be written to a writer as they are built; the CLI decides
//! where they go.

pub mod diagnostics;
pub mod findings;
pub mod graph;
pub mod machine;

use serde::{Serialize, Serializer};

/// Serialises each item as it is written, so that a report of many findings is never
/// held twice in memory.
pub(crate) struct Each<I>(std::cell::Cell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Each<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => serializer.collect_seq(items),
            None => serializer.collect_seq(std::iter::empty::<T>()),
        }
    }
}

pub(crate) fn each<I: Iterator>(items: I) -> Each<I> {
    Each(std::cell::Cell::new(Some(items)))
}

/// What a writing renderer writes, as a string; empty if it fails.
fn written(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::with_capacity(1 << 16);
    if write(&mut out).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}
