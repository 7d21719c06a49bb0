//! Claim predicates: small Rhai expressions over `value` and `year` that a claim says hold
//! in every year of its range. Compiled in a bare engine with tight limits.

use crate::diagnostic::lowercase_first;
use rhai::{Engine, Scope};

fn engine() -> Engine {
    let mut engine = Engine::new_raw();
    engine.set_max_operations(10_000);
    engine.set_max_expr_depths(32, 32);
    engine.set_max_string_size(1_000);
    engine.set_strict_variables(true);
    rhai::packages::Package::register_into_engine(
        &rhai::packages::ArithmeticPackage::new(),
        &mut engine,
    );
    rhai::packages::Package::register_into_engine(
        &rhai::packages::LogicPackage::new(),
        &mut engine,
    );
    engine
}

fn scope(year: i64, value: f64) -> Scope<'static> {
    let mut scope = Scope::new();
    scope.push_constant("year", year);
    scope.push_constant("value", value);
    scope
}

/// Checks that `predicate` is an expression over `value` and `year` only.
pub fn compile_predicate(predicate: &str) -> Result<(), String> {
    let engine = engine();
    engine
        .compile_expression_with_scope(&scope(0, 0.0), predicate)
        .map(|_| ())
        .map_err(|e| lowercase_first(&e.to_string()))
}

/// Whether `predicate` holds for one year's value.
pub fn holds(predicate: &str, year: i64, value: f64) -> Result<bool, String> {
    let engine = engine();
    engine
        .eval_expression_with_scope::<bool>(&mut scope(year, value), predicate)
        .map_err(|e| lowercase_first(&e.to_string()))
}

/// What the data say about a claim: the years of its range where the predicate fails, and
/// the years with no value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    pub failures: Vec<i64>,
    pub missing: Vec<i64>,
}

impl Verdict {
    /// `supported`, `contradicted` (some year fails) or `untested` (no year has a value).
    pub fn word(&self, years: usize) -> &'static str {
        if !self.failures.is_empty() {
            "contradicted"
        } else if self.missing.len() >= years {
            "untested"
        } else {
            "supported"
        }
    }
}

/// Judges `predicate` in every year of `from..=to` against `series` (year, value) points.
/// Ranges are capped at ten thousand years, so a typo cannot make this loop for long.
pub fn verdict(
    predicate: &str,
    from: i64,
    to: i64,
    series: &[(i64, f64)],
) -> Result<Verdict, String> {
    let mut verdict = Verdict::default();
    for year in from..=to.min(from.saturating_add(10_000)) {
        match series.iter().find(|(y, _)| *y == year) {
            None => verdict.missing.push(year),
            Some(&(_, value)) => {
                if !holds(predicate, year, value).map_err(|e| format!("fails in {year}: {e}"))? {
                    verdict.failures.push(year);
                }
            }
        }
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_see_value_and_year() {
        assert_eq!(holds("value > 50.0", 2010, 49.3), Ok(false));
        assert_eq!(holds("year < 2012 || value >= 42.0", 2012, 46.2), Ok(true));
    }

    #[test]
    fn a_verdict_lists_failing_and_missing_years() {
        let series = [(2010, 40.0), (2011, 55.0), (2013, 60.0)];
        let v = verdict("value > 50.0", 2010, 2013, &series).unwrap();
        assert_eq!(v.failures, vec![2010]);
        assert_eq!(v.missing, vec![2012]);
        assert_eq!(v.word(4), "contradicted");
        let v = verdict("value > 50.0", 2011, 2013, &series).unwrap();
        assert_eq!(v.word(3), "supported");
        let v = verdict("value > 50.0", 1990, 1991, &series).unwrap();
        assert_eq!(v.word(2), "untested");
    }

    #[test]
    fn broken_or_unknown_names_do_not_compile() {
        assert!(compile_predicate("value >").is_err());
        assert!(compile_predicate("valeu > 3.0").is_err());
        assert!(compile_predicate("value > 50.0 && year >= 2005").is_ok());
    }
}
