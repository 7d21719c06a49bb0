//! A claim predicate: compiled as `concord validate` does, then evaluated for one year
//! and value as the claim checks do. Any panic or hang is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first 16 bytes choose the year and the value; the rest is the predicate.
    if data.len() < 16 {
        return;
    }
    let (numbers, rest) = data.split_at(16);
    let Ok(predicate) = std::str::from_utf8(rest) else {
        return;
    };
    let year = i64::from_le_bytes(numbers[..8].try_into().unwrap());
    let value = f64::from_le_bytes(numbers[8..].try_into().unwrap());
    if concord::claims::compile_predicate(predicate).is_ok() {
        let _ = concord::claims::holds(predicate, year, value);
        let _ = concord::claims::verdict(predicate, year, year.saturating_add(3), &[(year, value)]);
    }
});
