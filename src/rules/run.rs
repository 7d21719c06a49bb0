//! Running rules: one engine with the API and the sandbox limits, each rule evaluated on
//! its own thread with its own context, and failures turned into located diagnostics.

use super::api::{self, Context};
use super::{Rule, RuleMeta};
use crate::diagnostic::lowercase_first;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::findings::Finding;
use crate::graph::PolicyGraph;
use crate::load::{Loc, Sources, loc_at};
use crate::model::Severity;
use crate::model::settings::{Params, Settings};
use rayon::prelude::*;
use rhai::{Engine, EvalAltResult, ParseError, Position};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds on one rule's evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleLimits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    /// Memory one rule's values may hold (`limits.rule_memory_mib`), in bytes.
    pub max_rule_bytes: u64,
    /// Concord's memory ceiling (`limits.memory_mib`): a running rule is stopped once the
    /// heap passes three quarters of it.
    pub max_memory_bytes: u64,
    pub timeout: Duration,
    pub max_findings: usize,
}

impl Default for RuleLimits {
    fn default() -> Self {
        RuleLimits {
            max_operations: 2_000_000_000,
            max_call_levels: 48,
            max_expr_depth: 64,
            // Counted over a whole value: a host answer about a national workspace holds
            // megabytes of ids.
            max_rule_bytes: 512 << 20,
            max_memory_bytes: 2 << 30,
            timeout: Duration::from_secs(5),
            max_findings: 10_000,
        }
    }
}

/// The engine every rule runs in: the API, strict variables, no `eval`, no modules, no
/// output, and limits on everything that can grow.
pub fn engine(limits: &RuleLimits) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth);
    // Rhai's own size limits are left off: with any of them set, Rhai re-measures a whole
    // value after each operation that may change it, so a rule that gathers n items pays
    // O(n²). Instead, the memory a rule's thread holds is counted at every allocation and
    // checked at every operation (`limits.rule_memory_mib`), and the few functions that
    // allocate by a number they are given check the room left before they do.
    register_sized(&mut engine);
    // No string interning: Rhai interns each text a `let` binds, and once its small table
    // is full every new text costs a scan of the whole table. Reading each instrument's id
    // into a variable took 2.8 µs per instrument with it and 0.8 µs without.
    engine.set_max_strings_interned(0);
    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");
    engine.disable_symbol("curry");
    // Rhai's `sleep` would hold a rule past its time limit (and panics on huge values);
    // rules have no reason to wait.
    engine.register_fn("sleep", |_: i64| -> Result<(), Box<EvalAltResult>> {
        Err("`sleep` is not available to rules".into())
    });
    engine.register_fn("sleep", |_: f64| -> Result<(), Box<EvalAltResult>> {
        Err("`sleep` is not available to rules".into())
    });
    // Rhai reports a JSON mistake at its line and column in the JSON text, which would be
    // shown as a place in the rule file; this error takes the position of the call.
    engine.register_fn(
        "parse_json",
        |ctx: rhai::NativeCallContext, json: &str| -> Result<rhai::Dynamic, Box<EvalAltResult>> {
            ctx.engine()
                .parse_json(json, true)
                .map(rhai::Dynamic::from)
                .map_err(|e| json_error(&e).into())
        },
    );
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    // A rule stops at three quarters of the ceiling, leaving room for the operation that
    // crossed it and for the other rules; the ceiling itself ends the process.
    let (max_operations, max_memory) = (limits.max_operations, limits.max_memory_bytes / 4 * 3);
    engine.on_progress(move |_| api::progress(max_operations, max_memory).map(Into::into));
    api::register(&mut engine);
    engine
}

fn json_error(error: &EvalAltResult) -> String {
    match error {
        EvalAltResult::ErrorParsing(kind, pos) => format!(
            "`parse_json` cannot read its text: {} at line {}, column {} of the text",
            lowercase_first(&kind.to_string()),
            pos.line().unwrap_or(1),
            pos.position().unwrap_or(1)
        ),
        other => format!("`parse_json` cannot read its text: {other}"),
    }
}

/// Runs `f` with this thread's own engine for `limits`, built on first use. Rules running
/// side by side must not share an engine: an engine that interns strings takes a lock on
/// its interner at every property access, and two threads sharing it ran no faster than
/// one; each thread keeping its own engine keeps that true whatever the engine's settings.
fn on_own_engine<R>(limits: &RuleLimits, f: impl FnOnce(&Engine) -> R) -> R {
    thread_local! {
        static OWN: std::cell::RefCell<Option<(RuleLimits, std::rc::Rc<Engine>)>> =
            const { std::cell::RefCell::new(None) };
    }
    let own = OWN.with(|own| {
        let mut own = own.borrow_mut();
        match own.as_ref() {
            Some((built_for, engine)) if built_for == limits => engine.clone(),
            _ => {
                let engine = std::rc::Rc::new(engine(limits));
                *own = Some((limits.clone(), engine.clone()));
                engine
            }
        }
    });
    f(&own)
}

/// `pad` and `blob`, which allocate as much as a number they are given, checked against
/// the rule's room before they allocate; the rest of Rhai grows values by at most their
/// own size per operation, which the check at every operation bounds.
fn register_sized(engine: &mut Engine) {
    use rhai::{Array, Blob, Dynamic, ImmutableString};
    type Sized<T> = Result<T, Box<EvalAltResult>>;
    fn fits(items: i64, each: usize) -> Sized<usize> {
        let items = usize::try_from(items).unwrap_or(0);
        let bytes = (items as u128) * (each as u128);
        if bytes > api::memory_room() as u128 {
            Err(api::out_of_room())
        } else {
            Ok(items)
        }
    }
    engine.register_fn(
        "pad",
        |a: &mut Array, len: i64, item: Dynamic| -> Sized<()> {
            let len = fits(len, std::mem::size_of::<Dynamic>())?;
            if len > a.len() {
                a.resize(len, item);
            }
            Ok(())
        },
    );
    let pad_text = |s: &mut ImmutableString, len: i64, fill: &str| -> Sized<()> {
        let have = s.chars().count();
        let len = fits(len, fill.len().max(1))?;
        if len > have && !fill.is_empty() {
            let mut out = s.to_string();
            out.extend(fill.chars().cycle().take(len - have));
            *s = out.into();
        }
        Ok(())
    };
    engine.register_fn("pad", move |s: &mut ImmutableString, len: i64, c: char| {
        pad_text(s, len, c.encode_utf8(&mut [0; 4]))
    });
    engine.register_fn(
        "pad",
        move |s: &mut ImmutableString, len: i64, fill: &str| pad_text(s, len, fill),
    );
    engine.register_fn("pad", |b: &mut Blob, len: i64, value: i64| -> Sized<()> {
        let len = fits(len, 1)?;
        if len > b.len() {
            b.resize(len, (value & 0xff) as u8);
        }
        Ok(())
    });
    engine.register_fn("blob", |len: i64| -> Sized<Blob> {
        Ok(vec![0; fits(len, 1)?])
    });
    engine.register_fn("blob", |len: i64, value: i64| -> Sized<Blob> {
        Ok(vec![(value & 0xff) as u8; fits(len, 1)?])
    });
}

/// What running a rule set produced.
#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// Rule id → findings dropped past the per-rule cap.
    pub cut: Vec<(String, usize)>,
    /// Rule id → time taken.
    pub timings: Vec<(String, Duration)>,
}

/// How the user tuned one rule.
fn tuning(meta: &RuleMeta, settings: &Settings) -> (bool, Severity, Params) {
    match settings.rules.0.get(&meta.id) {
        Some(o) => (
            o.enabled.as_ref().is_none_or(|e| e.value),
            o.severity.as_ref().map_or(meta.severity, |s| s.value),
            o.params.clone(),
        ),
        None => (true, meta.severity, Params::default()),
    }
}

/// One rule's id, time taken, and findings with the count cut past the cap, or its error.
type RuleRun = (String, Duration, Result<(Vec<Finding>, usize), Diagnostic>);

/// Evaluates `rules` over `graph` in parallel. Findings come back sorted.
pub fn evaluate(
    rules: &[&Rule],
    sources: &Sources,
    graph: &Arc<PolicyGraph>,
    settings: &Settings,
    limits: &RuleLimits,
) -> Outcome {
    evaluate_with_progress(rules, sources, graph, settings, limits, &|_| {})
}

/// [`evaluate`], calling `progress` with the number of rules finished after each one.
pub fn evaluate_with_progress(
    rules: &[&Rule],
    sources: &Sources,
    graph: &Arc<PolicyGraph>,
    settings: &Settings,
    limits: &RuleLimits,
    progress: &(dyn Fn(usize) + Sync),
) -> Outcome {
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let run_all = || -> Vec<RuleRun> {
        rules
        .par_iter()
        // One rule per task, so an idle thread can take any rule not yet started: rules
        // differ a hundredfold in cost, and halves fixed in advance left one thread idle for
        // a second at 100k while the other ran the rest of its half.
        .with_max_len(1)
        .filter_map(|rule| {
            let (enabled, severity, params) = tuning(&rule.meta, settings);
            if !enabled {
                progress(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                return None;
            }
            let started = Instant::now();
            let _doing = crate::memory::doing(&format!("running rule `{}`", rule.meta.id));
            api::enter(Context {
                graph: graph.clone(),
                meta: rule.meta.clone(),
                severity,
                params,
                findings: Vec::new(),
                deadline: started + limits.timeout,
                cpu_start: cpu_time::ThreadTime::try_now().ok(),
                cpu_budget: limits.timeout,
                max_findings: limits.max_findings,
                cut: 0,
                ticks: 0,
                stopped: None,
                heap_start: crate::memory::thread_bytes(),
                max_heap: limits.max_rule_bytes,
                helps: Default::default(),
            });
            let result = on_own_engine(limits, |engine| engine.run_ast(&rule.ast));
            let context = api::leave();
            let elapsed = started.elapsed();
            // A limit reached inside a callback whose errors Rhai swallows (a sort's
            // comparer) lets the script end "normally"; it was stopped all the same.
            let stopped = context.as_ref().and_then(|c| c.stopped);
            let outcome = match (result, stopped) {
                (Ok(()), None) => Ok(context.map(|c| (c.findings, c.cut)).unwrap_or_default()),
                (Ok(()), Some(reason)) => {
                    let text = sources.get(rule.source).map_or("", |f| f.text());
                    let at = hiding_call(text).unwrap_or(rhai::Position::NONE);
                    let error = EvalAltResult::ErrorTerminated(reason.into(), at);
                    Err(runtime_error(&error, rule, sources, limits).hint(
                        "the limit was reached inside a callback, such as a sort's comparer, that hides errors; look for recursion or loops there",
                    ))
                }
                (Err(e), _) => Err(runtime_error(&e, rule, sources, limits)),
            };
            progress(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            Some((rule.meta.id.clone(), elapsed, outcome))
        })
        .collect()
    };
    // Rules run on threads with deep stacks: Rhai clones and drops nested values (arrays
    // in arrays, chains of closures) recursively, and a script can nest them deeply
    // within its limits. The stack is reserved, not committed, until it is used.
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(1 << 30)
            .thread_name(|i| format!("concord-rule-{i}"))
            .build()
            .ok()
    });
    let results = match pool {
        Some(pool) => pool.install(run_all),
        None => run_all(),
    };
    let mut outcome = Outcome::default();
    for (id, elapsed, result) in results {
        outcome.timings.push((id.clone(), elapsed));
        match result {
            Ok((findings, cut)) => {
                outcome.findings.extend(findings);
                if cut > 0 {
                    outcome.cut.push((id, cut));
                }
            }
            Err(diagnostic) => outcome.diagnostics.push(diagnostic),
        }
    }
    crate::findings::sort(&mut outcome.findings);
    outcome
}

/// Where a rule calls a function that hides its callback's errors (`sort` or `dedup` with
/// a comparer): a limit reached inside one lets the script end normally, so the stop has no
/// position of its own, and this call is the likeliest place.
fn hiding_call(text: &str) -> Option<Position> {
    text.lines().enumerate().find_map(|(n, line)| {
        let code = line.split("//").next().unwrap_or("");
        ["sort(", "dedup("].iter().find_map(|name| {
            code.match_indices(name)
                .find(|(i, _)| {
                    code[..*i].ends_with('.') && !code[i + name.len()..].starts_with(')')
                })
                .map(|(i, _)| {
                    let start = code[..i - 1]
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .map_or(0, |j| j + 1);
                    Position::new(n as u16 + 1, code[..start].chars().count() as u16 + 1)
                })
        })
    })
}

fn position_loc(pos: Position, file: crate::load::FileId) -> Loc {
    let line = pos.line().unwrap_or(1) as u32;
    let col = pos.position().unwrap_or(1) as u32;
    loc_at(file, line, col)
}

/// A compile error of a rule file, located in it.
pub fn parse_error(error: &ParseError, file: crate::load::FileId, text: &str) -> Diagnostic {
    let message = lowercase_first(&error.err_type().to_string());
    Diagnostic::error(
        "rule-compile",
        format!("the rule does not compile: {message}"),
    )
    .at(position_loc(error.position(), file))
    .label("here")
    .maybe_hint(
        depth_hint(error)
            .or_else(|| withheld_hint(error.position(), text))
            .or_else(|| property_hint(&message))
            .or_else(|| variable_hint(&message)),
    )
}

fn depth_hint(error: &ParseError) -> Option<String> {
    matches!(error.err_type(), rhai::ParseErrorType::ExprTooDeep).then(|| {
        "split the expression with `let` bindings, or raise `limits.rule_expression_depth` in `concord.yaml`".into()
    })
}

/// Why a word of Rhai that rules may not use is missing, when the error points at it.
fn withheld_hint(pos: Position, text: &str) -> Option<String> {
    let line = text.lines().nth(pos.line()?.checked_sub(1)?)?;
    let rest = line.get(pos.position()?.checked_sub(1)?..)?;
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    match word.as_str() {
        "curry" => Some(
            "`curry` is not available to rules: it copies its arguments outside the size limits; capture values in a closure instead, as in `|x| f.call(x, y)`".into(),
        ),
        "eval" => Some("`eval` is not available to rules: a rule's code is the code in its file".into()),
        _ => None,
    }
}

/// The innermost error and its position: a failure inside a function is reported where
/// it happened, not only where the function was called.
fn innermost(error: &EvalAltResult) -> (&EvalAltResult, Position, Vec<String>) {
    let mut calls = Vec::new();
    let mut at = error;
    loop {
        match at {
            EvalAltResult::ErrorInFunctionCall(name, _, inner, pos) => {
                calls.push(format!(
                    "in `{name}` called at line {}",
                    pos.line().unwrap_or(0)
                ));
                at = inner;
            }
            _ => return (at, at.position(), calls),
        }
    }
}

fn runtime_error(
    error: &EvalAltResult,
    rule: &Rule,
    sources: &Sources,
    limits: &RuleLimits,
) -> Diagnostic {
    let text = sources.get(rule.source).map(|f| f.text()).unwrap_or("");
    let (inner, position, calls) = innermost(error);
    let (explained, hint) = explain(inner);
    let (code, message) = match inner {
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == "operations" => (
            "rule-limit",
            format!(
                "rule `{}` ran past its limit of {} operations",
                rule.meta.id, limits.max_operations
            ),
        ),
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == "rule-memory" => (
            "rule-limit",
            format!(
                "rule `{}` holds more than {} MiB of values",
                rule.meta.id,
                limits.max_rule_bytes >> 20
            ),
        ),
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == "memory" => (
            "rule-limit",
            format!(
                "rule `{}` stopped: Concord's memory passed {} MiB, three quarters of its limit of {} MiB",
                rule.meta.id,
                (limits.max_memory_bytes / 4 * 3) >> 20,
                limits.max_memory_bytes >> 20
            ),
        ),
        EvalAltResult::ErrorTerminated(..) => (
            "rule-timeout",
            format!(
                "rule `{}` ran past its time limit of {} ms",
                rule.meta.id,
                limits.timeout.as_millis()
            ),
        ),
        EvalAltResult::ErrorTooManyOperations(..) => (
            "rule-limit",
            format!(
                "rule `{}` ran past its limit of {} operations",
                rule.meta.id, limits.max_operations
            ),
        ),
        EvalAltResult::ErrorStackOverflow(..) => (
            "rule-limit",
            format!(
                "rule `{}` nested calls deeper than {} levels",
                rule.meta.id, limits.max_call_levels
            ),
        ),
        EvalAltResult::ErrorDataTooLarge(what, ..) => (
            "rule-limit",
            format!(
                "rule `{}` built a value too large: {}",
                rule.meta.id,
                what.to_lowercase()
            ),
        ),
        other => (
            "rule-error",
            format!(
                "rule `{}` failed: {}",
                rule.meta.id,
                lowercase_first(&explained.clone().unwrap_or_else(|| describe(other)))
            ),
        ),
    };
    let at = position_loc(position, rule.source);
    let mut diagnostic = match inner
        .is_system_exception()
        .then(|| inside_function(text, at))
        .flatten()
    {
        Some((inner_loc, name)) => Diagnostic::error(code, message)
            .at(inner_loc)
            .label(format!("the limit was reached inside `{name}`"))
            .related(at, format!("`{name}` called here")),
        None => Diagnostic::error(code, message).at(at).label("failed here"),
    }
    .maybe_hint(hint);
    if !calls.is_empty() && diagnostic.hint.is_none() {
        diagnostic = diagnostic.hint(calls.join(", "));
    }
    if diagnostic.hint.is_none()
        && let Some(setting) = setting_for(inner)
    {
        diagnostic = diagnostic.hint(format!(
            "if the rule needs more, raise `{setting}` in `concord.yaml`"
        ));
    }
    diagnostic
}

/// Rhai reports a limit reached inside a script function at the outermost call. This
/// finds the function called at `at` in the source, and the place inside it where it calls
/// itself (the usual way to run out of call depth), or else its definition.
fn inside_function(text: &str, at: Loc) -> Option<(Loc, String)> {
    let line = text.lines().nth(at.line.checked_sub(1)? as usize)?;
    let from: String = line
        .chars()
        .skip(at.col.saturating_sub(1) as usize)
        .collect();
    let name: String = from
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || !from[name.len()..].trim_start().starts_with('(') {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let definition = lines.iter().position(|l| {
        let l = l.trim_start();
        l.strip_prefix("fn ")
            .or_else(|| l.strip_prefix("private fn "))
            .is_some_and(|rest| {
                rest.trim_start()
                    .strip_prefix(name.as_str())
                    .is_some_and(|r| r.trim_start().starts_with('('))
            })
    })?;
    let call = format!("{name}(");
    let inner = lines
        .iter()
        .enumerate()
        .skip(definition + 1)
        .take_while(|(_, l)| !l.trim_start().starts_with("fn "))
        .find_map(|(n, l)| l.find(&call).map(|c| (n, c)));
    let (n, c) = inner.unwrap_or((
        definition,
        lines[definition].find(name.as_str()).unwrap_or(0),
    ));
    // `c` counts bytes; a column counts characters.
    let col = lines[n].get(..c).map_or(0, |before| before.chars().count());
    let mut loc = loc_at(at.file, n as u32 + 1, col as u32 + 1);
    loc.len = crate::load::loc_len(name.len());
    Some((loc, name))
}

/// The error's own words, without Rhai's trailing position.
fn describe(error: &EvalAltResult) -> String {
    let text = error.to_string();
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_owned(),
        _ => text,
    }
}

/// Names of the API, for did-you-mean on unknown functions and properties.
fn api_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = api::FUNCTIONS
        .iter()
        .map(|f| f.signature.split('(').next().unwrap_or(f.signature))
        .collect();
    for (_, docs) in api::PROPERTIES {
        for d in *docs {
            names.extend(
                d.signature
                    .split([',', ';'])
                    .map(|p| p.trim().split('(').next().unwrap_or("").trim()),
            );
        }
    }
    names.retain(|n| !n.is_empty());
    names.sort_unstable();
    names.dedup();
    names
}

/// Rhai's type names as a rule writer knows them.
fn plain_type(name: &str) -> String {
    let name = name.trim();
    if name.contains("ImmutableString") || name == "&str" || name == "String" || name == "string" {
        return "string".into();
    }
    match name {
        "i64" | "i32" | "INT" => "int".into(),
        "f64" | "f32" | "FLOAT" => "float".into(),
        "Array" | "array" => "array".into(),
        "Map" | "map" => "map".into(),
        "()" => "() (nothing)".into(),
        other => other.rsplit("::").next().unwrap_or(other).to_owned(),
    }
}

/// `name (T1, T2 | T3)` from Rhai's "function not found" into the name and plain types.
fn split_signature(signature: &str) -> (String, Vec<String>) {
    let (name, args) = signature.split_once('(').unwrap_or((signature, ""));
    let args = args.trim_end().trim_end_matches(')');
    let mut types = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in args.chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                types.push(plain_type(&current));
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        types.push(plain_type(&current));
    }
    (name.trim().to_owned(), types)
}

/// The documented forms of an API function or method named `name`.
fn forms_of(name: &str) -> Vec<String> {
    let mut forms: Vec<String> = api::FUNCTIONS
        .iter()
        .filter(|f| f.signature.split('(').next() == Some(name))
        .map(|f| format!("`{}`", f.signature))
        .collect();
    for (ty, docs) in api::PROPERTIES {
        for d in *docs {
            if d.signature.split('(').next() == Some(name) && d.signature.contains('(') {
                forms.push(format!("`{ty}.{}`", d.signature));
            }
        }
    }
    forms
}

/// What a handle type offers: its property and method names.
fn members_of(ty: &str) -> Option<String> {
    let (_, docs) = api::PROPERTIES.iter().find(|(t, _)| *t == ty)?;
    let names: Vec<String> = docs
        .iter()
        .flat_map(|d| d.signature.split(", "))
        .map(|n| format!("`{}`", n.trim()))
        .collect();
    Some(names.join(", "))
}

/// A rule writer's reading of a Rhai error: clearer words where Rhai's are cryptic, and a
/// hint that names what exists (the closest function or property, what a type offers,
/// which types met).
fn explain(error: &EvalAltResult) -> (Option<String>, Option<String>) {
    let words = describe(error);
    match error {
        EvalAltResult::ErrorFunctionNotFound(signature, _) => {
            let (name, types) = split_signature(signature);
            let is_operator =
                !name.is_empty() && !name.chars().any(|c| c.is_alphanumeric() || c == '_');
            if is_operator {
                let sides = types.join(" and ");
                return (
                    Some(format!("`{name}` cannot combine {sides}")),
                    Some(match types.as_slice() {
                        [a, b] if a != b => format!(
                            "convert one side first, e.g. `to_string(x)`, `parse_int(s)`, `to_float(n)`; `{name}` met {a} and {b}"
                        ),
                        _ => format!("`{name}` is not defined for {sides}"),
                    }),
                );
            }
            let given = format!("({})", types.join(", "));
            let forms = forms_of(&name);
            if !forms.is_empty() {
                return (
                    Some(format!("`{name}` was called with {given}")),
                    Some(format!("it takes {}", forms.join(" or "))),
                );
            }
            let names = api_names();
            let hint = did_you_mean(&name, names.iter().copied()).unwrap_or_else(|| {
                "`concord rules api` lists the functions and properties rules can use".into()
            });
            (
                Some(format!("no function `{name}` takes {given}")),
                Some(hint),
            )
        }
        EvalAltResult::ErrorMismatchDataType(expected, actual, _) => {
            let (expected, actual) = (plain_type(expected), plain_type(actual));
            let hint = if expected == "bool" {
                "a condition must be true or false: compare the value, e.g. `x != ()` or `x == \"…\"`".to_owned()
            } else {
                format!(
                    "convert the {actual} to a {expected} first, or check which value reaches this point"
                )
            };
            (
                Some(format!("a {actual} was given where a {expected} is needed")),
                Some(hint),
            )
        }
        _ => match unknown_property(&words) {
            Some((name, Some(ty))) => (
                Some(format!("{} {ty} has no property `{name}`", article(ty))),
                property_hint(&words),
            ),
            _ => (
                None,
                property_hint(&words).or_else(|| variable_hint(&words)),
            ),
        },
    }
}

/// The `concord.yaml` setting that governs the limit an error reports, if any.
fn setting_for(error: &EvalAltResult) -> Option<&'static str> {
    match error {
        EvalAltResult::ErrorTerminated(token, _) => match token.to_string().as_str() {
            "operations" => Some("limits.rule_operations"),
            "memory" => Some("limits.memory_mib"),
            "rule-memory" => Some("limits.rule_memory_mib"),
            _ => Some("rule_timeout_ms"),
        },
        EvalAltResult::ErrorTooManyOperations(..) => Some("limits.rule_operations"),
        EvalAltResult::ErrorStackOverflow(..) => Some("limits.rule_call_depth"),
        EvalAltResult::ErrorDataTooLarge(..) => Some("limits.rule_memory_mib"),
        _ => None,
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The property and the type of Rhai's "unknown property 'x' - … for type 'T'".
fn unknown_property(message: &str) -> Option<(&str, Option<&str>)> {
    if !message.to_lowercase().contains("property") {
        return None;
    }
    let quoted: Vec<&str> = message.split('\'').collect();
    let name = quoted.get(1)?;
    let ty = quoted.get(3).map(|t| t.rsplit("::").next().unwrap_or(t));
    Some((name, ty))
}

/// For "unknown property 'x' - a getter is not registered for type 'T'": the closest
/// property of `T`, and everything `T` has.
fn property_hint(message: &str) -> Option<String> {
    let (name, ty) = unknown_property(message)?;
    let members = ty.and_then(|t| members_of(t).map(|m| (t, m)));
    let names = api_names();
    let near = did_you_mean(name, names.iter().copied());
    match (near, members) {
        (Some(near), Some((ty, members))) => {
            Some(format!("{near} {} {ty} has {members}", article(ty)))
        }
        (None, Some((ty, members))) => Some(format!("{} {ty} has {members}", article(ty))),
        (Some(near), None) => Some(near),
        (None, None) => Some("`concord rules api` lists the properties of each type".into()),
    }
}

fn variable_hint(message: &str) -> Option<String> {
    if !message.to_lowercase().contains("variable not found") {
        return None;
    }
    let name = message.split(": ").nth(1)?.trim();
    Some(format!("declare `{name}` with `let` before using it"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recursive_call_is_located_by_characters_not_bytes() {
        let text = "fn deep(n) {\n    let 标 = 1; deep(n + 1)\n}\ndeep(0);\n";
        let at = loc_at(0, 4, 1);
        let (loc, name) = inside_function(text, at).unwrap();
        assert_eq!(name, "deep");
        assert_eq!((loc.line, loc.col), (2, 16));
    }

    #[test]
    fn rules_run_without_string_interning() {
        // Interning made every `let` of a new text scan Rhai's table once it was full,
        // which took a quarter of the standard library's time on a national workspace.
        assert_eq!(engine(&RuleLimits::default()).max_strings_interned(), 0);
    }
}
