//! Bytes → the two YAML readers: the fast reader of plain YAML and serde-saphyr must give
//! the same tree, or the same error, for any text. A difference is a finding.

#![no_main]

use concord::load::{self, ReadLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = ReadLimits::default();
    assert_eq!(
        load::parse(text, 0, &limits),
        load::parse_by_reference(text, 0, &limits),
        "the readers differ on {text:?}"
    );
});
