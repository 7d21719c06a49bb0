//! Bytes → one workspace file: parse, decode, resolve, and render the diagnostics, as
//! `concord validate` does. Any panic, hang or runaway allocation is a finding.

#![no_main]

use concord::load::{self, ReadLimits, Sources};
use concord::model::{Model, resolve};
use concord::render::diagnostics::{self, Style};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The loader refuses non-UTF-8 files before parsing; only text goes further.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = ReadLimits::default();
    let mut sources = Sources::default();
    let file = sources.add("fuzz.yaml".into(), text.to_owned());
    let mut found = Vec::new();
    match load::parse(text, file, &limits) {
        Ok(Some(node)) => {
            let (model, decoded) = Model::decode_document(&node);
            found.extend(decoded);
            found.extend(resolve::resolve(&model));
        }
        Ok(None) => {}
        Err(diagnostic) => found.push(*diagnostic),
    }
    for d in &found {
        if d.is_error() {
            assert!(
                d.loc.is_some() || d.path.is_some(),
                "unlocated error: {d:?}"
            );
        }
    }
    let _ = diagnostics::human(&found, &sources, Style::Plain);
});
