//! The read-only script API: entity handles with getters named after the YAML fields,
//! registered iterators over each kind, and set-level questions answered in Rust. The
//! graph of the rule being run is found in a per-thread context, so one engine and one
//! compiled AST per rule serve every workspace and every fixture.

use crate::findings::{Finding, Subject};
use crate::graph::PolicyGraph;
use crate::model::settings::{ParamValue, Params};
use crate::model::{self, Id, Located, Severity, Text};
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// What one rule evaluation sees and produces.
pub struct Context {
    pub graph: Arc<PolicyGraph>,
    pub meta: super::RuleMeta,
    pub severity: Severity,
    pub params: Params,
    pub findings: Vec<Finding>,
    /// Wall-clock end, used only where the processor time of a thread cannot be read.
    pub deadline: Instant,
    /// The thread's processor time when the rule started, and how much it may use: a
    /// rule's time limit counts the work it does, not time spent waiting for a core while
    /// other rules run, so the verdict does not depend on how busy the machine is.
    pub cpu_start: Option<cpu_time::ThreadTime>,
    pub cpu_budget: std::time::Duration,
    pub max_findings: usize,
    /// Findings dropped past `max_findings`.
    pub cut: usize,
    /// Operations counted by Concord itself: Rhai restarts its own count inside callbacks
    /// such as a sort's comparer, so a script could otherwise stay under its limit for ever.
    pub ticks: u64,
    /// Why the rule was stopped. Once set, every later operation stops too, so a script
    /// cannot carry on where Rhai swallows the error (a sort's comparer does).
    pub stopped: Option<&'static str>,
    /// The thread's own allocation count when the rule started (see `memory::thread_bytes`).
    pub heap_start: i64,
    /// Memory the rule's values may hold, in bytes.
    pub max_heap: u64,
    /// The help texts given so far, each held once however many findings give it.
    pub helps: std::collections::HashSet<Arc<str>>,
}

impl Context {
    /// `help`, shared with the findings that gave the same text before.
    fn shared_help(&mut self, help: String) -> Arc<str> {
        if let Some(same) = self.helps.get(help.as_str()) {
            return same.clone();
        }
        let help: Arc<str> = help.into();
        self.helps.insert(help.clone());
        help
    }

    /// Bytes the rule holds beyond what its thread held when it started.
    pub fn holds(&self) -> i64 {
        crate::memory::thread_bytes() - self.heap_start
    }
}

/// Room left for the running rule's values, in bytes; unbounded outside a rule.
pub fn memory_room() -> u64 {
    CONTEXT.with(|c| match c.borrow().as_ref() {
        Some(c) => c.max_heap.saturating_sub(c.holds().max(0) as u64),
        None => u64::MAX,
    })
}

/// Stops the running rule for holding too much memory; the error to return.
pub fn out_of_room() -> Box<rhai::EvalAltResult> {
    CONTEXT.with(|c| {
        if let Some(c) = c.borrow_mut().as_mut() {
            c.stopped = Some("rule-memory");
        }
    });
    rhai::EvalAltResult::ErrorTerminated("rule-memory".into(), rhai::Position::NONE).into()
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Installs `context` for the evaluation that follows on this thread.
pub fn enter(context: Context) {
    CONTEXT.with(|c| *c.borrow_mut() = Some(context));
}

/// Removes and returns this thread's context.
pub fn leave() -> Option<Context> {
    CONTEXT.with(|c| c.borrow_mut().take())
}

fn out_of_time(c: &Context) -> bool {
    match c.cpu_start.as_ref().map(cpu_time::ThreadTime::try_elapsed) {
        Some(Ok(used)) => used > c.cpu_budget,
        _ => Instant::now() > c.deadline,
    }
}

/// Counts one operation of this thread's rule and says whether it must stop: past its
/// wall-clock limit (`"time"`), its operations (`"operations"`) or the process's memory
/// limit (`"memory"`). The clock is read every 1024 operations; the heap count at every
/// one (without the counting allocator, the resident size every 65536).
pub fn progress(max_operations: u64, max_memory: u64) -> Option<&'static str> {
    CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut()?;
        if c.stopped.is_some() {
            return c.stopped;
        }
        c.ticks += 1;
        let reason = if max_operations > 0 && c.ticks > max_operations {
            Some("operations")
        } else if c.ticks % 1024 == 0 && out_of_time(c) {
            Some("time")
        } else if over_memory(c.ticks, max_memory) {
            Some("memory")
        } else if c.holds() > c.max_heap as i64 {
            Some("rule-memory")
        } else {
            None
        };
        c.stopped = reason;
        reason
    })
}

fn over_memory(ticks: u64, max_memory: u64) -> bool {
    match crate::memory::heap_bytes() {
        0 => ticks.is_multiple_of(1 << 16) && resident_bytes().is_some_and(|b| b > max_memory),
        heap => heap > max_memory,
    }
}

fn with<R>(f: impl FnOnce(&mut Context) -> R) -> Fallible<R> {
    CONTEXT.with(|c| match c.borrow_mut().as_mut() {
        Some(context) => Ok(f(context)),
        None => Err("no workspace is loaded for this rule".into()),
    })
}

fn graph() -> Fallible<Arc<PolicyGraph>> {
    with(|c| c.graph.clone())
}

fn text(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

/// Optional fields come plain or boxed (see `Instrument`); `Borrow` takes either.
fn opt_text<L: Borrow<Located<Text>>>(s: &Option<L>) -> Dynamic {
    s.as_ref()
        .map_or(Dynamic::UNIT, |s| text(&s.borrow().value))
}

fn opt_word<T: std::fmt::Display>(s: &Option<Located<T>>) -> Dynamic {
    s.as_ref()
        .map_or(Dynamic::UNIT, |s| text(&s.value.to_string()))
}

fn ids(list: &[Id]) -> Dynamic {
    Dynamic::from_array(list.iter().map(|i| text(i)).collect())
}

fn texts(list: &[Located<Text>]) -> Dynamic {
    Dynamic::from_array(list.iter().map(|i| text(i)).collect())
}

fn opt_f64<L: Borrow<Located<f64>>>(x: &Option<L>) -> Dynamic {
    x.as_ref()
        .map_or(Dynamic::UNIT, |x| Dynamic::from_float(x.borrow().value))
}

fn opt_bool<L: Borrow<Located<bool>>>(x: &Option<L>) -> Dynamic {
    x.as_ref()
        .map_or(Dynamic::UNIT, |x| Dynamic::from_bool(x.borrow().value))
}

fn date(d: &chrono::NaiveDate) -> Dynamic {
    text(&d.format("%Y-%m-%d").to_string())
}

fn map(entries: impl IntoIterator<Item = (&'static str, Dynamic)>) -> Dynamic {
    let m: Map = entries.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Dynamic::from_map(m)
}

/// Declares a handle type for one kind of entity, its list type with a registered
/// iterator, and the global function that returns the list.
macro_rules! handle {
    ($handle:ident, $list:ident, $iter:ident, $field:ident, $entity:ty) => {
        #[derive(Clone)]
        pub struct $handle {
            pub g: Arc<PolicyGraph>,
            pub i: u32,
        }

        impl $handle {
            pub fn get(&self) -> &$entity {
                &self.g.model.$field[self.i as usize]
            }
        }

        #[derive(Clone)]
        pub struct $list {
            g: Arc<PolicyGraph>,
        }

        pub struct $iter {
            g: Arc<PolicyGraph>,
            next: u32,
        }

        impl Iterator for $iter {
            type Item = $handle;
            fn next(&mut self) -> Option<$handle> {
                if (self.next as usize) < self.g.model.$field.len() {
                    self.next += 1;
                    Some($handle {
                        g: self.g.clone(),
                        i: self.next - 1,
                    })
                } else {
                    None
                }
            }
        }

        impl IntoIterator for $list {
            type Item = $handle;
            type IntoIter = $iter;
            fn into_iter(self) -> $iter {
                $iter { g: self.g, next: 0 }
            }
        }

        impl $list {
            fn new() -> Fallible<Self> {
                Ok($list { g: graph()? })
            }
        }
    };
}

handle!(AgencyRef, AgencyList, AgencyIter, agencies, model::Agency);
handle!(
    ObjectiveRef,
    ObjectiveList,
    ObjectiveIter,
    objectives,
    model::Objective
);
handle!(
    InstrumentRef,
    InstrumentList,
    InstrumentIter,
    instruments,
    model::Instrument
);
handle!(
    MechanismRef,
    MechanismList,
    MechanismIter,
    mechanisms,
    model::Mechanism
);
handle!(
    EnvelopeRef,
    EnvelopeList,
    EnvelopeIter,
    envelopes,
    model::Envelope
);
handle!(
    IndicatorRef,
    IndicatorList,
    IndicatorIter,
    indicators,
    model::Indicator
);
handle!(ClaimRef, ClaimList, ClaimIter, claims, model::Claim);
handle!(
    PackageRef,
    PackageList,
    PackageIter,
    packages,
    model::Package
);
handle!(
    InteractionRef,
    InteractionList,
    InteractionIter,
    interactions,
    model::Interaction
);

/// One effect of an instrument on an objective.
#[derive(Clone)]
pub struct EffectRef {
    g: Arc<PolicyGraph>,
    instrument: u32,
    index: usize,
}

impl EffectRef {
    fn get(&self) -> &model::Effect {
        &self.g.model.instruments[self.instrument as usize].targets[self.index]
    }
}

/// Two instruments that overlap (see [`PolicyGraph::overlapping_pairs`]).
#[derive(Clone)]
pub struct PairRef {
    g: Arc<PolicyGraph>,
    pair: crate::graph::Pair,
}

/// The pairs of `overlapping_pairs`, handed out one at a time: a national workspace has
/// millions, which would not fit in a script array (and need not be copied into one).
#[derive(Clone)]
pub struct PairList {
    g: Arc<PolicyGraph>,
    /// Already filtered on the host.
    pairs: Arc<Vec<crate::graph::Pair>>,
}

pub struct PairIter {
    list: PairList,
    next: usize,
}

impl Iterator for PairIter {
    type Item = PairRef;
    fn next(&mut self) -> Option<PairRef> {
        let pair = self.list.pairs.get(self.next)?;
        self.next += 1;
        Some(PairRef {
            g: self.list.g.clone(),
            pair: pair.clone(),
        })
    }
}

impl IntoIterator for PairList {
    type Item = PairRef;
    type IntoIter = PairIter;
    fn into_iter(self) -> PairIter {
        PairIter {
            list: self,
            next: 0,
        }
    }
}

fn pair_list(min: i64, filter: crate::graph::PairFilter) -> Fallible<PairList> {
    let g = graph()?;
    // The pairs are found once for all rules; the rule that waits for them is not charged
    // for that time.
    let started = Instant::now();
    let pairs = g.shared_pairs(min.clamp(0, 3) as i8, &filter);
    let waited = started.elapsed();
    with(|c| c.deadline += waited)?;
    Ok(PairList { g, pairs })
}

/// For each objective in scope, the two sides of the expansionary-against-contractionary
/// overlapping pairs acting on it (both with |effect| ≥ `min`): the pair question of
/// CON007 answered in one pass on the host. Each side lists `[id, effect]` by id, with the
/// lead owners of the side; `owners` holds every owner and co-owner, `members` every id.
/// With `listed`, each side lists its first `listed` rows only, and `n_up` and `n_down`
/// count them all: a rule that shows a few need not have the host build a row for each of
/// the 110,740 instruments of a national workspace's opposed pairs.
fn opposed_sides(min: i64, listed: Option<i64>) -> Fallible<Map> {
    use std::collections::{BTreeMap, BTreeSet};
    let list = pair_list(
        min,
        crate::graph::PairFilter {
            opposed: true,
            ..Default::default()
        },
    )?;
    let g = list.g.clone();
    let min = min.clamp(0, 3) as i8;
    // objective → (instrument, is expansionary, effect), one row per pair and objective:
    // gathered as numbers and sorted once per objective, since a national workspace has
    // hundreds of thousands of opposed pairs and ordering them by id text as they come
    // cost more than finding them.
    let mut sides: BTreeMap<u32, Vec<(u32, bool, i8)>> = BTreeMap::new();
    for pair in list.pairs.iter() {
        let expansionary = g.model.instruments[pair.a as usize]
            .stance
            .as_ref()
            .is_some_and(|s| s.value.as_str() == "expansionary");
        let (up, down) = if expansionary {
            (pair.a, pair.b)
        } else {
            (pair.b, pair.a)
        };
        for &o in &pair.objectives {
            if !g.objective_in_scope[o as usize] {
                continue;
            }
            // The first target on the objective, found by position rather than by id.
            let effect = |i: u32| g.target_vector(i).iter().find(|t| t.0 == o).map(|t| t.1);
            let (Some(eu), Some(ed)) = (effect(up), effect(down)) else {
                continue;
            };
            if eu.abs() < min || ed.abs() < min {
                continue;
            }
            let side = sides.entry(o).or_default();
            side.push((up, true, eu));
            side.push((down, false, ed));
        }
    }
    let id = |i: u32| g.model.instruments[i as usize].id.value.as_str();
    let mut out = Map::new();
    for (o, mut members) in sides {
        // An instrument's row is the same in every pair it is part of.
        members.sort_unstable();
        members.dedup_by_key(|m| m.0);
        members.sort_unstable_by(|x, y| id(x.0).cmp(id(y.0)));
        let (mut up, mut down) = (Array::new(), Array::new());
        let (mut n_up, mut n_down) = (0_i64, 0_i64);
        let (mut up_owners, mut down_owners, mut owners) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let room = |n: i64| listed.is_none_or(|most| n < most);
        let row = |i: u32, effect: i8| {
            Dynamic::from_array(vec![text(id(i)), Dynamic::from_int(effect as i64)])
        };
        for &(i, expansionary, effect) in &members {
            let inst = &g.model.instruments[i as usize];
            if expansionary {
                if room(n_up) {
                    up.push(row(i, effect));
                }
                n_up += 1;
                up_owners.insert(inst.owner.value.as_str());
            } else {
                if room(n_down) {
                    down.push(row(i, effect));
                }
                n_down += 1;
                down_owners.insert(inst.owner.value.as_str());
            }
            owners.insert(inst.owner.value.as_str());
            owners.extend(inst.co_owners.iter().map(|c| c.value.as_str()));
        }
        let texts = |set: BTreeSet<&str>| -> Dynamic {
            Dynamic::from_array(set.into_iter().map(text).collect())
        };
        let mut side = Map::new();
        side.insert("up".into(), Dynamic::from_array(up));
        side.insert("down".into(), Dynamic::from_array(down));
        if listed.is_some() {
            side.insert("n_up".into(), Dynamic::from_int(n_up));
            side.insert("n_down".into(), Dynamic::from_int(n_down));
        }
        side.insert("up_owners".into(), texts(up_owners));
        side.insert("down_owners".into(), texts(down_owners));
        side.insert("owners".into(), texts(owners));
        side.insert(
            "members".into(),
            Dynamic::from_array(members.iter().map(|m| text(id(m.0))).collect()),
        );
        let objective = g.model.objectives[o as usize].id.value.as_str().into();
        out.insert(objective, Dynamic::from_map(side));
    }
    Ok(out)
}

/// The connected components of the graph whose edges are `pairs` (`[[a, b], ...]`, ids
/// or handles). Each component lists its ids in order of first appearance, and components
/// come in the order their first ids appear: a script that groups look-alike pairs into
/// clusters gets them without building a union-find of its own over maps.
fn components(pairs: Array) -> Fallible<Array> {
    use crate::graph::questions::find;
    use std::collections::HashMap;
    let mut position: HashMap<String, u32> = HashMap::new();
    let mut ids: Vec<ImmutableString> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    for (n, item) in pairs.iter().enumerate() {
        let shape = || {
            format!(
                "`components` takes an array of pairs such as [[a, b], [b, c]]; item {n} is {}",
                describe_pair(item)
            )
        };
        let ends = item.read_lock::<Array>().ok_or_else(shape)?;
        if ends.len() != 2 || ends.iter().any(Dynamic::is_array) {
            return Err(shape().into());
        }
        let mut roots = [0u32; 2];
        for (k, end) in ends.iter().enumerate() {
            let id = id_list(end)?.remove(0);
            let next = ids.len() as u32;
            let at = *position.entry(id).or_insert_with_key(|id| {
                ids.push(id.as_str().into());
                parent.push(next);
                next
            });
            roots[k] = find(&mut parent, at);
        }
        // The root is the member seen first, so it leads its component.
        let (low, high) = (roots[0].min(roots[1]), roots[0].max(roots[1]));
        parent[high as usize] = low;
    }
    if (ids.len() as u64).saturating_mul(2 * std::mem::size_of::<Dynamic>() as u64) > memory_room()
    {
        return Err(out_of_room());
    }
    let mut slot = vec![u32::MAX; ids.len()];
    let mut out: Vec<Array> = Vec::new();
    for i in 0..ids.len() as u32 {
        let root = find(&mut parent, i) as usize;
        if slot[root] == u32::MAX {
            slot[root] = out.len() as u32;
            out.push(Array::new());
        }
        out[slot[root] as usize].push(Dynamic::from(ids[i as usize].clone()));
    }
    Ok(out.into_iter().map(Dynamic::from_array).collect())
}

/// What a script passed where a pair was expected, for the error of `components`.
fn describe_pair(item: &Dynamic) -> String {
    match item.read_lock::<Array>() {
        Some(a) => format!("an array of {} items", a.len()),
        None => match item.type_name() {
            "()" => "()".into(),
            "i64" => "an int".into(),
            "f64" => "a float".into(),
            name => {
                let name = name.rsplit("::").next().unwrap_or(name);
                let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
                format!("{} {name}", if vowel { "an" } else { "a" })
            }
        },
    }
}

/// The options map of `overlapping_pairs(min, #{...})`.
fn pair_filter(options: &Map) -> Fallible<crate::graph::PairFilter> {
    const KEYS: [&str; 5] = ["min_cosine", "unlinked", "connected", "opposed", "unjoined"];
    let mut filter = crate::graph::PairFilter::default();
    for (key, value) in options {
        let flag = || {
            value
                .as_bool()
                .map_err(|_| format!("option `{key}` of `overlapping_pairs` is true or false"))
        };
        match key.as_str() {
            "min_cosine" => {
                let min = value
                    .as_float()
                    .or_else(|_| value.as_int().map(|i| i as f64))
                    .map_err(|_| {
                        "option `min_cosine` of `overlapping_pairs` is a number".to_owned()
                    })?;
                filter.min_cosine = Some(min);
            }
            "unlinked" => filter.unlinked = flag()?,
            "connected" => filter.connected = flag()?,
            "opposed" => filter.opposed = flag()?,
            "unjoined" => filter.unjoined = flag()?,
            other => {
                let hint = crate::diagnostic::did_you_mean(other, KEYS.iter().copied())
                    .map_or(String::new(), |h| format!("; {h}"));
                return Err(format!(
                    "`overlapping_pairs` has no option `{other}` (options: {}){hint}",
                    KEYS.join(", ")
                )
                .into());
            }
        }
    }
    Ok(filter)
}

fn instrument_handle(g: &Arc<PolicyGraph>, i: u32) -> Dynamic {
    Dynamic::from(InstrumentRef { g: g.clone(), i })
}

fn objective_handle(g: &Arc<PolicyGraph>, i: u32) -> Dynamic {
    Dynamic::from(ObjectiveRef { g: g.clone(), i })
}

/// One documented entry of the API, for `docs/rule-api.md`.
pub struct ApiDoc {
    pub signature: &'static str,
    pub returns: &'static str,
    pub meaning: &'static str,
}

macro_rules! doc {
    ($sig:literal, $ret:literal, $meaning:literal) => {
        ApiDoc {
            signature: $sig,
            returns: $ret,
            meaning: $meaning,
        }
    };
}

/// Every global function of the API.
pub const FUNCTIONS: &[ApiDoc] = &[
    doc!(
        "agencies()",
        "iterable of Agency",
        "every agency of the workspace"
    ),
    doc!(
        "objectives()",
        "iterable of Objective",
        "every objective (use `o.in_scope` for the package under review)"
    ),
    doc!(
        "instruments()",
        "iterable of Instrument",
        "every instrument (use `i.in_scope` for the package under review)"
    ),
    doc!(
        "mechanisms()",
        "iterable of Mechanism",
        "every coordination mechanism"
    ),
    doc!(
        "envelopes()",
        "iterable of Envelope",
        "every funding envelope"
    ),
    doc!(
        "indicators()",
        "iterable of Indicator",
        "every indicator series"
    ),
    doc!("claims()", "iterable of Claim", "every claim"),
    doc!("packages()", "iterable of Package", "every package"),
    doc!(
        "interactions()",
        "iterable of Interaction",
        "every declared interaction"
    ),
    doc!("agency(id)", "Agency or ()", "the agency with this id"),
    doc!(
        "objective(id)",
        "Objective or ()",
        "the objective with this id"
    ),
    doc!(
        "instrument(id)",
        "Instrument or ()",
        "the instrument with this id"
    ),
    doc!(
        "indicator(id)",
        "Indicator or ()",
        "the indicator with this id"
    ),
    doc!(
        "envelope(id)",
        "Envelope or ()",
        "the envelope with this id"
    ),
    doc!(
        "reviewed_package()",
        "Package or ()",
        "the package under review (`--package`), if any (`package` is a reserved word in Rhai)"
    ),
    doc!(
        "acting_on(objective, min_effect)",
        "array of Effect",
        "in-scope instruments' effects on an objective with effect ≥ min_effect"
    ),
    doc!(
        "acting_on(objective, min_effect, max_effect)",
        "array of Effect",
        "in-scope instruments' effects on an objective within min..=max"
    ),
    doc!(
        "count_acting_on(objective, min_effect)",
        "int",
        "how many effects `acting_on(objective, min_effect)` returns, without building them"
    ),
    doc!(
        "count_acting_on(objective, min_effect, max_effect)",
        "int",
        "how many effects `acting_on(objective, min_effect, max_effect)` returns, without building them"
    ),
    doc!(
        "overlapping_pairs(min_abs_effect)",
        "iterable of Pair",
        "in-scope instrument pairs sharing an in-scope objective (|effect| ≥ min), overlapping in time and scope; found by index, never by comparing all pairs"
    ),
    doc!(
        "overlapping_pairs(min_abs_effect, min_cosine)",
        "iterable of Pair",
        "the same, keeping only pairs whose target vectors have a cosine similarity of at least min_cosine (filtered in Rust)"
    ),
    doc!(
        "agency_overlaps(min_abs_effect)",
        "map",
        "objective id → array of [x, y, instrument of x, instrument of y]: agencies x < y of one government whose overlapping instruments act on the objective (|effect| ≥ min), not designed together, not co-owning an instrument on it, and joined by no mechanism covering it; first instruments found, in order"
    ),
    doc!(
        "opposed_sides(min_abs_effect)",
        "map",
        "objective id → #{up, down, up_owners, down_owners, owners, members}: the two sides of the expansionary-against-contractionary overlapping pairs on an objective in scope (|effect| ≥ min); `up` and `down` list [id, effect] by id, the owner lists are sorted ids"
    ),
    doc!(
        "opposed_sides(min_abs_effect, listed)",
        "map",
        "the same, with `up` and `down` holding their first `listed` rows only and `n_up`, `n_down` counting them all: for a rule that shows a few of a side that may run to thousands"
    ),
    doc!(
        "overlapping_pairs(min_abs_effect, options)",
        "iterable of Pair",
        "the same, filtered in Rust by a map of options: `min_cosine` (number); `unlinked` (lead owners differ, share no owner, no mechanism joins them, neither names the other); `connected` (they share an owner or a mechanism joins the lead owners); `opposed` (expansionary against contractionary, neither requiring nor coordinated with the other); `unjoined` (two agencies of one government, one on each side, joined by no mechanism covering a shared objective)"
    ),
    doc!(
        "tinbergen(objectives, min_effect)",
        "map",
        "maximum matching of objectives (array of ids or handles) to distinct instrument groups with effect ≥ min_effect: `#{size, needed, unmatched}`"
    ),
    doc!(
        "mundell()",
        "array of maps",
        "one-to-one assignment of in-scope instruments that declare a primary objective, maximising Σ ln E: `#{instrument, objective}`"
    ),
    doc!(
        "path(from_id, to_id)",
        "array of ids or ()",
        "the shortest chain of relations between two entities"
    ),
    doc!(
        "joined(agency_a, agency_b)",
        "bool",
        "whether a mechanism joins the two agencies (ids)"
    ),
    doc!(
        "joined(agency_a, agency_b, objective_id)",
        "bool",
        "whether a mechanism covering the objective joins the two agencies"
    ),
    doc!(
        "components(pairs)",
        "array of arrays of ids",
        "connected components of the graph whose edges are the pairs (`[[a, b], …]`, ids or handles): each component lists its ids in order of first appearance, and components come in the order their first ids appear"
    ),
    doc!(
        "join(array, separator)",
        "string",
        "the items as text, separated, e.g. for messages"
    ),
    doc!(
        "param(name, default)",
        "the parameter's value",
        "a rule parameter from `concord.yaml` (`rules.<ID>.params`), or `default`"
    ),
    doc!(
        "report(subjects, message)",
        "()",
        "emit a finding about one id or an array of ids; the first is the primary subject"
    ),
    doc!(
        "report(subjects, message, options)",
        "()",
        "as above, with `#{severity: \"high\", help: \"…\", path: [ids]}`"
    ),
    doc!(
        "room()",
        "int",
        "how many more findings this rule may report before its cap (`limits.findings_per_rule`); past the cap `report` only counts, so a rule with thousands of findings can report the rest with an empty message and not build text no one will see"
    ),
];

/// The properties and methods of each handle type.
pub const PROPERTIES: &[(&str, &[ApiDoc])] = &[
    (
        "Agency",
        &[
            doc!(
                "id, name, name_zh, kind, level, region, note",
                "string or ()",
                "the YAML fields"
            ),
            doc!(
                "instruments",
                "array of Instrument",
                "instruments it owns or co-owns"
            ),
        ],
    ),
    (
        "Objective",
        &[
            doc!(
                "id, name, name_zh, domain, parent, indicator, direction, note",
                "string or ()",
                "the YAML fields"
            ),
            doc!("tags", "array of strings", "the YAML field"),
            doc!(
                "target",
                "map or ()",
                "`#{value, year, baseline}`; `baseline` is `#{year, value}` or ()"
            ),
            doc!(
                "in_scope",
                "bool",
                "whether the objective is in the package under review (or no package is)"
            ),
            doc!(
                "is_leaf()",
                "bool",
                "whether no objective names it as parent"
            ),
            doc!("children", "array of ids", "objectives whose parent it is"),
            doc!("descendants", "array of ids", "every objective below it"),
            doc!("has_tag(tag)", "bool", "whether `tags` holds `tag`"),
        ],
    ),
    (
        "Instrument",
        &[
            doc!(
                "id, name, name_zh, kind, owner, stance, infra_type, executor, continues, replaces, primary_objective, source, note",
                "string or ()",
                "the YAML fields"
            ),
            doc!(
                "co_owners, requires, coordinated_with",
                "array of ids",
                "the YAML fields"
            ),
            doc!("upgrade_category", "int or ()", "the YAML field"),
            doc!(
                "central_share, new_infra_share",
                "float or ()",
                "the YAML fields"
            ),
            doc!(
                "capex, capacity_replacement",
                "bool or ()",
                "the YAML fields"
            ),
            doc!("targets", "array of Effect", "its effects"),
            doc!("budget", "map or ()", "`#{amount, currency, envelope}`"),
            doc!(
                "horizon",
                "map or ()",
                "`#{start, end, renewal}`; dates as `YYYY-MM-DD` strings, which compare in date order"
            ),
            doc!(
                "scope",
                "map or ()",
                "`#{sectors, regions, beneficiaries, income_targeting}`"
            ),
            doc!("support", "map or ()", "`#{unit, rate, cap}`"),
            doc!("allocation", "map or ()", "`#{basis, weights}`"),
            doc!("eligibility", "map or ()", "`#{local_only, ownership}`"),
            doc!("owners", "array of ids", "owner then co-owners"),
            doc!(
                "sectors, regions, beneficiaries",
                "array of strings",
                "the scope's lists, empty when absent"
            ),
            doc!("start, end", "string or ()", "the horizon's dates"),
            doc!(
                "months",
                "int or ()",
                "length of the horizon in whole months, () when open-ended"
            ),
            doc!(
                "in_scope",
                "bool",
                "whether the instrument is in the package under review (or no package is)"
            ),
            doc!(
                "effect_on(objective_id)",
                "int or ()",
                "its effect on an objective"
            ),
            doc!(
                "domain",
                "string or ()",
                "the domain of its primary objective, else of its strongest positive target"
            ),
        ],
    ),
    (
        "Effect",
        &[
            doc!(
                "objective, confidence, note",
                "string or ()",
                "the YAML fields"
            ),
            doc!("effect, lag_months", "int or ()", "the YAML fields"),
            doc!(
                "instrument",
                "Instrument",
                "the instrument that has this effect"
            ),
        ],
    ),
    (
        "Pair",
        &[
            doc!(
                "a, b",
                "Instrument",
                "the two instruments (a's id sorts first by declaration order)"
            ),
            doc!("objectives", "array of ids", "objectives both act on"),
            doc!(
                "cosine",
                "float",
                "cosine similarity of their target vectors"
            ),
        ],
    ),
    (
        "Mechanism",
        &[doc!(
            "id, name, kind, note; members, covers",
            "string / array of ids",
            "the YAML fields"
        )],
    ),
    (
        "Envelope",
        &[
            doc!(
                "id, name, currency, parent, note",
                "string or ()",
                "the YAML fields"
            ),
            doc!("total", "float", "the YAML field"),
            doc!(
                "instruments",
                "array of Instrument",
                "instruments whose budget draws on it"
            ),
        ],
    ),
    (
        "Indicator",
        &[
            doc!(
                "id, name, name_zh, unit, source, note; identity",
                "string or () / array of ids",
                "the YAML fields"
            ),
            doc!("years", "array of ints", "years with a value, ascending"),
            doc!("value(year)", "float or ()", "the value in a year"),
            doc!(
                "identity_sum(year)",
                "float or ()",
                "the sum of the identity's parts in a year; () when a part lacks the year or there is no identity"
            ),
        ],
    ),
    (
        "Claim",
        &[
            doc!(
                "id, text, indicator, predicate, source, note",
                "string or ()",
                "the YAML fields"
            ),
            doc!("from, to", "int", "the year range"),
            doc!(
                "failures",
                "array of ints",
                "years in range where the predicate is false"
            ),
            doc!("missing", "array of ints", "years in range with no value"),
        ],
    ),
    (
        "Package",
        &[doc!(
            "id, name, issued, doc_no, lead, note; instruments, objectives",
            "string or () / array of ids",
            "the YAML fields"
        )],
    ),
    (
        "Interaction",
        &[
            doc!("from, to, why", "string or ()", "the YAML fields"),
            doc!("score", "int", "the YAML field"),
        ],
    ),
];

fn months_between(start: chrono::NaiveDate, end: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    let months =
        (end.year() - start.year()) as i64 * 12 + end.month() as i64 - start.month() as i64;
    if end.day() + 1 >= start.day() {
        months + 1
    } else {
        months
    }
}

fn register_lists(engine: &mut Engine) {
    macro_rules! list {
        ($name:literal, $list:ident, $handle:ident, $field:ident) => {
            engine.register_type_with_name::<$list>(concat!($name, "List"));
            engine.register_type_with_name::<$handle>($name);
            engine.register_iterator::<$list>();
            engine.register_fn("len", |l: &mut $list| l.g.model.$field.len() as i64);
            engine.register_fn("to_string", |h: &mut $handle| h.get().id_text());
        };
    }
    list!("Agency", AgencyList, AgencyRef, agencies);
    list!("Objective", ObjectiveList, ObjectiveRef, objectives);
    list!("Instrument", InstrumentList, InstrumentRef, instruments);
    list!("Mechanism", MechanismList, MechanismRef, mechanisms);
    list!("Envelope", EnvelopeList, EnvelopeRef, envelopes);
    list!("Indicator", IndicatorList, IndicatorRef, indicators);
    list!("Claim", ClaimList, ClaimRef, claims);
    list!("Package", PackageList, PackageRef, packages);
    engine.register_type_with_name::<InteractionList>("InteractionList");
    engine.register_type_with_name::<InteractionRef>("Interaction");
    engine.register_iterator::<InteractionList>();
    engine.register_type_with_name::<EffectRef>("Effect");
    engine.register_type_with_name::<PairRef>("Pair");
    engine.register_fn("agencies", AgencyList::new);
    engine.register_fn("objectives", ObjectiveList::new);
    engine.register_fn("instruments", InstrumentList::new);
    engine.register_fn("mechanisms", MechanismList::new);
    engine.register_fn("envelopes", EnvelopeList::new);
    engine.register_fn("indicators", IndicatorList::new);
    engine.register_fn("claims", ClaimList::new);
    engine.register_fn("packages", PackageList::new);
    engine.register_fn("interactions", InteractionList::new);
}

/// Entities that can print themselves as their id.
trait IdText {
    fn id_text(&self) -> ImmutableString;
}

macro_rules! id_text {
    ($($t:ty),*) => {$(
        impl IdText for $t {
            fn id_text(&self) -> ImmutableString { self.id.value.as_str().into() }
        }
    )*};
}
id_text!(
    model::Agency,
    model::Objective,
    model::Instrument,
    model::Mechanism,
    model::Envelope,
    model::Indicator,
    model::Claim,
    model::Package
);

fn lookup(kind: &str, id: &str) -> Fallible<Dynamic> {
    let g = graph()?;
    let found = match kind {
        "agency" => g
            .agency_ix
            .get(id)
            .map(|&i| Dynamic::from(AgencyRef { g: g.clone(), i })),
        "objective" => g.objective_ix.get(id).map(|&i| objective_handle(&g, i)),
        "instrument" => g.instrument_ix.get(id).map(|&i| instrument_handle(&g, i)),
        "indicator" => g
            .indicator_ix
            .get(id)
            .map(|&i| Dynamic::from(IndicatorRef { g: g.clone(), i })),
        _ => g
            .envelope_ix
            .get(id)
            .map(|&i| Dynamic::from(EnvelopeRef { g: g.clone(), i })),
    };
    Ok(found.unwrap_or(Dynamic::UNIT))
}

fn register_lookups(engine: &mut Engine) {
    engine.register_fn("agency", |id: &str| lookup("agency", id));
    engine.register_fn("objective", |id: &str| lookup("objective", id));
    engine.register_fn("instrument", |id: &str| lookup("instrument", id));
    engine.register_fn("indicator", |id: &str| lookup("indicator", id));
    engine.register_fn("envelope", |id: &str| lookup("envelope", id));
    engine.register_fn("reviewed_package", || -> Fallible<Dynamic> {
        let g = graph()?;
        Ok(g.package.map_or(Dynamic::UNIT, |i| {
            Dynamic::from(PackageRef { g: g.clone(), i })
        }))
    });
}

fn register_agency(engine: &mut Engine) {
    engine.register_get("id", |a: &mut AgencyRef| text(&a.get().id));
    engine.register_get("name", |a: &mut AgencyRef| text(&a.get().name));
    engine.register_get("name_zh", |a: &mut AgencyRef| opt_text(&a.get().name_zh));
    engine.register_get("kind", |a: &mut AgencyRef| text(a.get().kind.as_str()));
    engine.register_get("level", |a: &mut AgencyRef| text(a.get().level.as_str()));
    engine.register_get("region", |a: &mut AgencyRef| opt_text(&a.get().region));
    engine.register_get("note", |a: &mut AgencyRef| opt_text(&a.get().note));
    engine.register_get("instruments", |a: &mut AgencyRef| {
        Dynamic::from_array(
            a.g.by_owner[a.i as usize]
                .iter()
                .map(|&i| instrument_handle(&a.g, i))
                .collect(),
        )
    });
}

fn register_objective(engine: &mut Engine) {
    engine.register_get("id", |o: &mut ObjectiveRef| text(&o.get().id));
    engine.register_get("name", |o: &mut ObjectiveRef| text(&o.get().name));
    engine.register_get("name_zh", |o: &mut ObjectiveRef| opt_text(&o.get().name_zh));
    engine.register_get("domain", |o: &mut ObjectiveRef| {
        text(o.get().domain.as_str())
    });
    engine.register_get("parent", |o: &mut ObjectiveRef| opt_text(&o.get().parent));
    engine.register_get("indicator", |o: &mut ObjectiveRef| {
        opt_text(&o.get().indicator)
    });
    engine.register_get("direction", |o: &mut ObjectiveRef| {
        opt_word(&o.get().direction)
    });
    engine.register_get("note", |o: &mut ObjectiveRef| opt_text(&o.get().note));
    engine.register_get("tags", |o: &mut ObjectiveRef| texts(&o.get().tags));
    engine.register_get("target", |o: &mut ObjectiveRef| match &o.get().target {
        None => Dynamic::UNIT,
        Some(t) => map([
            ("value", Dynamic::from_float(t.value.value)),
            ("year", Dynamic::from_int(t.year.value)),
            (
                "baseline",
                t.baseline.as_ref().map_or(Dynamic::UNIT, |b| {
                    map([
                        ("year", Dynamic::from_int(b.year.value)),
                        ("value", Dynamic::from_float(b.value.value)),
                    ])
                }),
            ),
        ]),
    });
    engine.register_get("in_scope", |o: &mut ObjectiveRef| {
        o.g.objective_in_scope[o.i as usize]
    });
    engine.register_fn("is_leaf", |o: &mut ObjectiveRef| o.g.is_leaf(o.i));
    engine.register_fn("has_tag", |o: &mut ObjectiveRef, tag: &str| {
        o.get().tags.iter().any(|t| t.value == tag)
    });
    engine.register_get("children", |o: &mut ObjectiveRef| {
        Dynamic::from_array(
            o.g.children[o.i as usize]
                .iter()
                .map(|&c| text(&o.g.model.objectives[c as usize].id))
                .collect(),
        )
    });
    engine.register_get("descendants", |o: &mut ObjectiveRef| {
        Dynamic::from_array(
            o.g.descendants(o.i)
                .iter()
                .map(|&c| text(&o.g.model.objectives[c as usize].id))
                .collect(),
        )
    });
}

fn instrument_domain(inst: &InstrumentRef) -> Dynamic {
    let g = &inst.g;
    let model = inst.get();
    let objective = model
        .primary_objective
        .as_ref()
        .map(|p| p.value.as_str())
        .or_else(|| {
            model
                .targets
                .iter()
                .max_by_key(|t| t.effect.value.0)
                .filter(|t| t.effect.value.0 > 0)
                .map(|t| t.objective.value.as_str())
        });
    objective
        .and_then(|o| g.objective_ix.get(o))
        .map_or(Dynamic::UNIT, |&o| {
            text(g.model.objectives[o as usize].domain.as_str())
        })
}

fn register_instrument(engine: &mut Engine) {
    engine.register_get("id", |i: &mut InstrumentRef| text(&i.get().id));
    engine.register_get("name", |i: &mut InstrumentRef| text(&i.get().name));
    engine.register_get("name_zh", |i: &mut InstrumentRef| {
        opt_text(&i.get().name_zh)
    });
    engine.register_get("kind", |i: &mut InstrumentRef| text(i.get().kind.as_str()));
    engine.register_get("owner", |i: &mut InstrumentRef| text(&i.get().owner));
    engine.register_get("co_owners", |i: &mut InstrumentRef| ids(&i.get().co_owners));
    engine.register_get("stance", |i: &mut InstrumentRef| opt_word(&i.get().stance));
    engine.register_get("infra_type", |i: &mut InstrumentRef| {
        opt_word(&i.get().infra_type)
    });
    engine.register_get("executor", |i: &mut InstrumentRef| {
        opt_word(&i.get().executor)
    });
    engine.register_get("continues", |i: &mut InstrumentRef| {
        opt_text(&i.get().continues)
    });
    engine.register_get("replaces", |i: &mut InstrumentRef| {
        opt_text(&i.get().replaces)
    });
    engine.register_get("primary_objective", |i: &mut InstrumentRef| {
        opt_text(&i.get().primary_objective)
    });
    engine.register_get("source", |i: &mut InstrumentRef| opt_text(&i.get().source));
    engine.register_get("note", |i: &mut InstrumentRef| opt_text(&i.get().note));
    engine.register_get("requires", |i: &mut InstrumentRef| ids(&i.get().requires));
    engine.register_get("coordinated_with", |i: &mut InstrumentRef| {
        ids(&i.get().coordinated_with)
    });
    engine.register_get("upgrade_category", |i: &mut InstrumentRef| {
        i.get()
            .upgrade_category
            .as_ref()
            .map_or(Dynamic::UNIT, |c| Dynamic::from_int(c.value.0 as i64))
    });
    engine.register_get("central_share", |i: &mut InstrumentRef| {
        opt_f64(&i.get().central_share)
    });
    engine.register_get("new_infra_share", |i: &mut InstrumentRef| {
        opt_f64(&i.get().new_infra_share)
    });
    engine.register_get("capex", |i: &mut InstrumentRef| opt_bool(&i.get().capex));
    engine.register_get("capacity_replacement", |i: &mut InstrumentRef| {
        opt_bool(&i.get().capacity_replacement)
    });
    engine.register_get("targets", |i: &mut InstrumentRef| {
        let n = i.get().targets.len();
        Dynamic::from_array(
            (0..n)
                .map(|index| {
                    Dynamic::from(EffectRef {
                        g: i.g.clone(),
                        instrument: i.i,
                        index,
                    })
                })
                .collect(),
        )
    });
    engine.register_get("budget", |i: &mut InstrumentRef| match &i.get().budget {
        None => Dynamic::UNIT,
        Some(b) => map([
            ("amount", Dynamic::from_float(b.amount.value)),
            ("currency", text(b.currency.as_str())),
            ("envelope", opt_text(&b.envelope)),
        ]),
    });
    engine.register_get("horizon", |i: &mut InstrumentRef| match &i.get().horizon {
        None => Dynamic::UNIT,
        Some(h) => map([
            ("start", date(&h.start)),
            ("end", h.end.as_ref().map_or(Dynamic::UNIT, |e| date(e))),
            ("renewal", opt_bool(&h.renewal)),
        ]),
    });
    engine.register_get("scope", |i: &mut InstrumentRef| match &i.get().scope {
        None => Dynamic::UNIT,
        Some(s) => map([
            ("sectors", texts(&s.sectors)),
            ("regions", texts(&s.regions)),
            (
                "beneficiaries",
                Dynamic::from_array(s.beneficiaries.0.iter().map(|b| text(b.as_str())).collect()),
            ),
            ("income_targeting", opt_word(&s.income_targeting)),
        ]),
    });
    engine.register_get("support", |i: &mut InstrumentRef| match &i.get().support {
        None => Dynamic::UNIT,
        Some(s) => map([
            ("unit", text(&s.unit)),
            ("rate", Dynamic::from_float(s.rate.value)),
            ("cap", opt_f64(&s.cap)),
        ]),
    });
    engine.register_get("allocation", |i: &mut InstrumentRef| {
        match &i.get().allocation {
            None => Dynamic::UNIT,
            Some(a) => map([
                ("basis", text(a.basis.as_str())),
                ("weights", texts(&a.weights)),
            ]),
        }
    });
    engine.register_get("eligibility", |i: &mut InstrumentRef| {
        match &i.get().eligibility {
            None => Dynamic::UNIT,
            Some(e) => map([
                ("local_only", opt_bool(&e.local_only)),
                ("ownership", opt_word(&e.ownership)),
            ]),
        }
    });
    engine.register_get("owners", |i: &mut InstrumentRef| {
        let inst = i.get();
        Dynamic::from_array(
            std::iter::once(&inst.owner)
                .chain(&inst.co_owners)
                .map(|a| text(a))
                .collect(),
        )
    });
    engine.register_get("sectors", |i: &mut InstrumentRef| {
        i.get()
            .scope
            .as_ref()
            .map_or(Dynamic::from_array(vec![]), |s| texts(&s.sectors))
    });
    engine.register_get("regions", |i: &mut InstrumentRef| {
        i.get()
            .scope
            .as_ref()
            .map_or(Dynamic::from_array(vec![]), |s| texts(&s.regions))
    });
    engine.register_get("beneficiaries", |i: &mut InstrumentRef| {
        Dynamic::from_array(
            i.get()
                .scope
                .iter()
                .flat_map(|s| s.beneficiaries.0.iter())
                .map(|b| text(b.as_str()))
                .collect(),
        )
    });
    engine.register_get("start", |i: &mut InstrumentRef| {
        i.get()
            .horizon
            .as_ref()
            .map_or(Dynamic::UNIT, |h| date(&h.start))
    });
    engine.register_get("end", |i: &mut InstrumentRef| {
        i.get()
            .horizon
            .as_ref()
            .and_then(|h| h.end.as_ref())
            .map_or(Dynamic::UNIT, |e| date(e))
    });
    engine.register_get("months", |i: &mut InstrumentRef| match &i.get().horizon {
        Some(h) => h.end.as_ref().map_or(Dynamic::UNIT, |e| {
            Dynamic::from_int(months_between(h.start.value, e.value))
        }),
        None => Dynamic::UNIT,
    });
    engine.register_get("in_scope", |i: &mut InstrumentRef| {
        i.g.instrument_in_scope[i.i as usize]
    });
    engine.register_get("domain", |i: &mut InstrumentRef| instrument_domain(i));
    engine.register_fn("effect_on", |i: &mut InstrumentRef, objective: &str| {
        i.get()
            .targets
            .iter()
            .find(|t| t.objective.value == objective)
            .map_or(Dynamic::UNIT, |t| {
                Dynamic::from_int(t.effect.value.0 as i64)
            })
    });
}

fn register_small_types(engine: &mut Engine) {
    engine.register_get("objective", |e: &mut EffectRef| text(&e.get().objective));
    engine.register_get("effect", |e: &mut EffectRef| e.get().effect.value.0 as i64);
    engine.register_get("confidence", |e: &mut EffectRef| {
        opt_word(&e.get().confidence)
    });
    engine.register_get("lag_months", |e: &mut EffectRef| {
        e.get()
            .lag_months
            .as_ref()
            .map_or(Dynamic::UNIT, |l| Dynamic::from_int(l.value))
    });
    engine.register_get("note", |e: &mut EffectRef| opt_text(&e.get().note));
    engine.register_get("instrument", |e: &mut EffectRef| {
        instrument_handle(&e.g, e.instrument)
    });

    engine.register_get("a", |p: &mut PairRef| instrument_handle(&p.g, p.pair.a));
    engine.register_get("b", |p: &mut PairRef| instrument_handle(&p.g, p.pair.b));
    engine.register_get("objectives", |p: &mut PairRef| {
        Dynamic::from_array(
            p.pair
                .objectives
                .iter()
                .map(|&o| text(&p.g.model.objectives[o as usize].id))
                .collect(),
        )
    });
    engine.register_get("cosine", |p: &mut PairRef| p.g.cosine(p.pair.a, p.pair.b));

    engine.register_get("id", |m: &mut MechanismRef| text(&m.get().id));
    engine.register_get("name", |m: &mut MechanismRef| text(&m.get().name));
    engine.register_get("kind", |m: &mut MechanismRef| text(m.get().kind.as_str()));
    engine.register_get("members", |m: &mut MechanismRef| ids(&m.get().members));
    engine.register_get("covers", |m: &mut MechanismRef| ids(&m.get().covers));
    engine.register_get("note", |m: &mut MechanismRef| opt_text(&m.get().note));

    engine.register_get("id", |e: &mut EnvelopeRef| text(&e.get().id));
    engine.register_get("name", |e: &mut EnvelopeRef| text(&e.get().name));
    engine.register_get("total", |e: &mut EnvelopeRef| e.get().total.value);
    engine.register_get("currency", |e: &mut EnvelopeRef| {
        text(e.get().currency.as_str())
    });
    engine.register_get("parent", |e: &mut EnvelopeRef| opt_text(&e.get().parent));
    engine.register_get("note", |e: &mut EnvelopeRef| opt_text(&e.get().note));
    engine.register_get("instruments", |e: &mut EnvelopeRef| {
        Dynamic::from_array(
            e.g.by_envelope[e.i as usize]
                .iter()
                .map(|&i| instrument_handle(&e.g, i))
                .collect(),
        )
    });

    engine.register_get("id", |x: &mut IndicatorRef| text(&x.get().id));
    engine.register_get("name", |x: &mut IndicatorRef| text(&x.get().name));
    engine.register_get("name_zh", |x: &mut IndicatorRef| opt_text(&x.get().name_zh));
    engine.register_get("unit", |x: &mut IndicatorRef| text(x.get().unit.as_str()));
    engine.register_get("source", |x: &mut IndicatorRef| opt_text(&x.get().source));
    engine.register_get("note", |x: &mut IndicatorRef| opt_text(&x.get().note));
    engine.register_get("identity", |x: &mut IndicatorRef| ids(&x.get().identity));
    engine.register_get("years", |x: &mut IndicatorRef| {
        Dynamic::from_array(
            x.get()
                .series
                .0
                .iter()
                .map(|p| Dynamic::from_int(p.year.value))
                .collect(),
        )
    });
    engine.register_fn("identity_sum", |x: &mut IndicatorRef, year: i64| {
        let mut sum = 0.0;
        for part in &x.get().identity {
            let Some(&p) = x.g.indicator_ix.get(&part.value) else {
                return Dynamic::UNIT;
            };
            match x.g.model.indicators[p as usize]
                .series
                .0
                .iter()
                .find(|pt| pt.year.value == year)
            {
                Some(point) => sum += point.value.value,
                None => return Dynamic::UNIT,
            }
        }
        if x.get().identity.is_empty() {
            Dynamic::UNIT
        } else {
            Dynamic::from_float(sum)
        }
    });
    engine.register_fn("value", |x: &mut IndicatorRef, year: i64| {
        x.get()
            .series
            .0
            .iter()
            .find(|p| p.year.value == year)
            .map_or(Dynamic::UNIT, |p| Dynamic::from_float(p.value.value))
    });

    engine.register_get("id", |c: &mut ClaimRef| text(&c.get().id));
    engine.register_get("text", |c: &mut ClaimRef| text(&c.get().text));
    engine.register_get("indicator", |c: &mut ClaimRef| text(&c.get().indicator));
    engine.register_get("predicate", |c: &mut ClaimRef| text(&c.get().predicate));
    engine.register_get("source", |c: &mut ClaimRef| opt_text(&c.get().source));
    engine.register_get("note", |c: &mut ClaimRef| opt_text(&c.get().note));
    engine.register_get("from", |c: &mut ClaimRef| c.get().years.from.value);
    engine.register_get("to", |c: &mut ClaimRef| c.get().years.to.value);
    engine.register_get("failures", |c: &mut ClaimRef| claim_years(c, false));
    engine.register_get("missing", |c: &mut ClaimRef| claim_years(c, true));

    engine.register_get("id", |p: &mut PackageRef| text(&p.get().id));
    engine.register_get("name", |p: &mut PackageRef| text(&p.get().name));
    engine.register_get("issued", |p: &mut PackageRef| {
        p.get().issued.as_ref().map_or(Dynamic::UNIT, |d| date(d))
    });
    engine.register_get("doc_no", |p: &mut PackageRef| opt_text(&p.get().doc_no));
    engine.register_get("lead", |p: &mut PackageRef| opt_text(&p.get().lead));
    engine.register_get("note", |p: &mut PackageRef| opt_text(&p.get().note));
    engine.register_get("instruments", |p: &mut PackageRef| {
        ids(&p.get().instruments)
    });
    engine.register_get("objectives", |p: &mut PackageRef| ids(&p.get().objectives));

    engine.register_get("from", |x: &mut InteractionRef| text(&x.get().from));
    engine.register_get("to", |x: &mut InteractionRef| text(&x.get().to));
    engine.register_get("score", |x: &mut InteractionRef| {
        x.get().score.value.0 as i64
    });
    engine.register_get("why", |x: &mut InteractionRef| opt_text(&x.get().why));
}

/// Years of a claim's range where the predicate fails (or, with `missing`, has no value).
fn claim_years(c: &ClaimRef, missing: bool) -> Fallible<Array> {
    let claim = c.get();
    let Some(&ind) = c.g.indicator_ix.get(&claim.indicator.value) else {
        return Ok(Array::new());
    };
    let series = c.g.model.indicators[ind as usize].series.points();
    let verdict = crate::claims::verdict(
        &claim.predicate,
        claim.years.from.value,
        claim.years.to.value,
        &series,
    )
    .map_err(|e| format!("the predicate of claim `{}` {e}", claim.id.value))?;
    let years = if missing {
        verdict.missing
    } else {
        verdict.failures
    };
    Ok(years.into_iter().map(Dynamic::from_int).collect())
}

fn id_list(value: &Dynamic) -> Fallible<Vec<String>> {
    if let Some(s) = value.clone().try_cast::<ImmutableString>() {
        return Ok(vec![s.to_string()]);
    }
    if let Some(array) = value.clone().try_cast::<Array>() {
        return array
            .iter()
            .map(|v| {
                id_list(v)?.into_iter().next().ok_or_else(|| {
                    "expected an id or an array of ids, found an empty array inside the array"
                        .into()
                })
            })
            .collect();
    }
    // A handle of any kind stands for its id.
    macro_rules! id_of_handle {
        ($($kind:ty),*) => {$(
            if let Some(handle) = value.clone().try_cast::<$kind>() {
                return Ok(vec![handle.get().id.value.to_string()]);
            }
        )*};
    }
    id_of_handle!(
        ObjectiveRef,
        InstrumentRef,
        AgencyRef,
        IndicatorRef,
        ClaimRef,
        EnvelopeRef,
        MechanismRef,
        PackageRef
    );
    Err(format!(
        "expected an id or an array of ids, found {}",
        value.type_name()
    )
    .into())
}

fn in_scope_of(index: &std::collections::HashMap<Text, Vec<u32>>, key: &str) -> Fallible<Array> {
    let g = graph()?;
    Ok(index
        .get(key)
        .map(|list| {
            list.iter()
                .filter(|&&i| g.instrument_in_scope[i as usize])
                .map(|&i| instrument_handle(&g, i))
                .collect()
        })
        .unwrap_or_default())
}

fn register_questions(engine: &mut Engine) {
    engine.register_fn("in_sector", |sector: &str| -> Fallible<Array> {
        let g = graph()?;
        in_scope_of(&g.by_sector, sector)
    });
    engine.register_fn("in_region", |region: &str| -> Fallible<Array> {
        let g = graph()?;
        in_scope_of(&g.by_region, region)
    });
    /// The instruments acting on `o` within `min..=max`, each with the position of its
    /// first target on `o` (found by position rather than by id).
    fn effect_positions(
        g: &PolicyGraph,
        o: &str,
        min: i64,
        max: i64,
    ) -> Fallible<Vec<(u32, usize)>> {
        let Some(&oi) = g.objective_ix.get(o) else {
            return Err(format!("unknown objective `{o}`").into());
        };
        let (min, max) = (min.clamp(-3, 3) as i8, max.clamp(-3, 3) as i8);
        Ok(g.acting_on(oi, min, max)
            .into_iter()
            .filter_map(|(i, _)| Some((i, g.target_vector(i).iter().position(|t| t.0 == oi)?)))
            .collect())
    }
    fn effects(o: &str, min: i64, max: i64) -> Fallible<Array> {
        let g = graph()?;
        Ok(effect_positions(&g, o, min, max)?
            .into_iter()
            .map(|(instrument, index)| {
                Dynamic::from(EffectRef {
                    g: g.clone(),
                    instrument,
                    index,
                })
            })
            .collect())
    }
    fn count_effects(o: &str, min: i64, max: i64) -> Fallible<i64> {
        Ok(effect_positions(&*graph()?, o, min, max)?.len() as i64)
    }
    fn one_id(value: &Dynamic) -> Fallible<String> {
        match id_list(value)?.as_slice() {
            [one] if !value.is_array() => Ok(one.clone()),
            _ => Err("expected one objective (an id or a handle), not an array".into()),
        }
    }
    engine.register_fn("acting_on", |o: Dynamic, min: i64| -> Fallible<Array> {
        effects(&one_id(&o)?, min, 3)
    });
    engine.register_fn(
        "acting_on",
        |o: Dynamic, min: i64, max: i64| -> Fallible<Array> { effects(&one_id(&o)?, min, max) },
    );
    engine.register_fn("count_acting_on", |o: Dynamic, min: i64| -> Fallible<i64> {
        count_effects(&one_id(&o)?, min, 3)
    });
    engine.register_fn(
        "count_acting_on",
        |o: Dynamic, min: i64, max: i64| -> Fallible<i64> { count_effects(&one_id(&o)?, min, max) },
    );
    engine.register_type_with_name::<PairList>("PairList");
    engine.register_iterator::<PairList>();
    engine.register_fn("len", |l: &mut PairList| l.pairs.len() as i64);
    engine.register_fn("overlapping_pairs", |min: i64| {
        pair_list(min, Default::default())
    });
    engine.register_fn("overlapping_pairs", |min: i64, min_cosine: f64| {
        let filter = crate::graph::PairFilter {
            min_cosine: Some(min_cosine),
            ..Default::default()
        };
        pair_list(min, filter)
    });
    engine.register_fn("overlapping_pairs", |min: i64, options: Map| {
        pair_list(min, pair_filter(&options)?)
    });
    engine.register_fn("opposed_sides", |min: i64| opposed_sides(min, None));
    engine.register_fn("opposed_sides", |min: i64, listed: i64| {
        opposed_sides(min, Some(listed.max(0)))
    });
    engine.register_fn("components", components);
    engine.register_fn("agency_overlaps", |min: i64| -> Fallible<Map> {
        let g = graph()?;
        Ok(g.agency_overlaps(min.clamp(0, 3) as i8)
            .into_iter()
            .map(|(o, rows)| {
                let rows: Array = rows
                    .into_iter()
                    .map(|(x, y, ix, iy)| {
                        Dynamic::from_array(vec![text(&x), text(&y), text(&ix), text(&iy)])
                    })
                    .collect();
                let id = g.model.objectives[o as usize].id.value.as_str().into();
                (id, Dynamic::from_array(rows))
            })
            .collect())
    });
    engine.register_fn(
        "tinbergen",
        |objectives: Array, min: i64| -> Fallible<Map> {
            let g = graph()?;
            let mut indices = Vec::new();
            for o in &objectives {
                for id in id_list(o)? {
                    let &i = g
                        .objective_ix
                        .get(id.as_str())
                        .ok_or_else(|| format!("unknown objective `{id}`"))?;
                    indices.push(i);
                }
            }
            let matching = g.tinbergen(&indices, min.clamp(-3, 3) as i8);
            let mut out = Map::new();
            out.insert("size".into(), Dynamic::from_int(matching.size as i64));
            out.insert("needed".into(), Dynamic::from_int(indices.len() as i64));
            out.insert(
                "unmatched".into(),
                Dynamic::from_array(
                    matching
                        .unmatched
                        .iter()
                        .map(|&o| text(&g.model.objectives[o as usize].id))
                        .collect(),
                ),
            );
            Ok(out)
        },
    );
    engine.register_fn("mundell", || -> Fallible<Array> {
        let g = graph()?;
        Ok(g.mundell()
            .into_iter()
            .map(|a| {
                map([
                    (
                        "instrument",
                        text(&g.model.instruments[a.instrument as usize].id),
                    ),
                    (
                        "objective",
                        text(&g.model.objectives[a.objective as usize].id),
                    ),
                ])
            })
            .collect())
    });
    engine.register_fn("path", |from: &str, to: &str| -> Fallible<Dynamic> {
        let g = graph()?;
        let (Some(a), Some(b)) = (g.entity(from), g.entity(to)) else {
            return Ok(Dynamic::UNIT);
        };
        Ok(g.path(a, b, 8).map_or(Dynamic::UNIT, |chain| {
            Dynamic::from_array(chain.into_iter().map(|e| text(g.id_of(e))).collect())
        }))
    });
    fn joined(a: &str, b: &str, objective: Option<&str>) -> Fallible<bool> {
        let g = graph()?;
        let agency = |id: &str| {
            g.agency_ix
                .get(id)
                .copied()
                .ok_or_else(|| format!("unknown agency `{id}`"))
        };
        let o = match objective {
            Some(o) => Some(
                *g.objective_ix
                    .get(o)
                    .ok_or_else(|| format!("unknown objective `{o}`"))?,
            ),
            None => None,
        };
        Ok(g.joined_on(agency(a)?, agency(b)?, o))
    }
    engine.register_fn("joined", |a: &str, b: &str| joined(a, b, None));
    engine.register_fn("joined", |a: &str, b: &str, o: &str| joined(a, b, Some(o)));
}

fn param_dynamic(value: &ParamValue) -> Dynamic {
    match value {
        ParamValue::Bool(b) => Dynamic::from_bool(*b),
        ParamValue::Int(i) => Dynamic::from_int(*i),
        ParamValue::Float(f) => Dynamic::from_float(*f),
        ParamValue::Str(s) => text(s),
        ParamValue::List(items) => Dynamic::from_array(items.iter().map(param_dynamic).collect()),
    }
}

fn report(subjects: Dynamic, message: &str, options: Option<Map>) -> Fallible<()> {
    let ids = id_list(&subjects)?;
    if ids.is_empty() {
        return Err("report needs at least one subject".into());
    }
    let mut severity = None;
    let mut help = None;
    let mut path = Vec::new();
    for (key, value) in options.unwrap_or_default() {
        match key.as_str() {
            "severity" => {
                let word = value.to_string();
                severity = Some(Severity::parse(&word).ok_or_else(|| {
                    format!(
                        "unknown severity `{word}` in report options; use `low`, `medium` or `high`"
                    )
                })?);
            }
            "help" => help = Some(value.to_string()),
            "path" => path = id_list(&value)?,
            other => {
                return Err(format!(
                    "unknown report option `{other}`; options are `severity`, `help` and `path`"
                )
                .into());
            }
        }
    }
    with(|c| -> Fallible<()> {
        let mut entities = Vec::with_capacity(ids.len());
        for id in &ids {
            let entity = c
                .graph
                .entity(id)
                .ok_or_else(|| format!("report names unknown subject `{id}`"))?;
            entities.push(entity);
        }
        // Past the cap a finding is only counted: a rule that reports tens of thousands
        // does not pay for locating subjects it will not show.
        if c.findings.len() >= c.max_findings {
            c.cut += 1;
            return Ok(());
        }
        let located = ids
            .into_iter()
            .zip(entities)
            .map(|(id, entity)| Subject {
                id: Text::new(&id),
                loc: Some(c.graph.loc_of(entity)),
            })
            .collect();
        let help = help.map(|h| c.shared_help(h));
        c.findings.push(Finding {
            rule: Text::new(&c.meta.id),
            name: Text::new(&c.meta.name),
            category: c.meta.category,
            severity: severity.unwrap_or(c.severity),
            message: message.to_owned(),
            subjects: located,
            path,
            help,
        });
        Ok(())
    })?
}

fn register_helpers(engine: &mut Engine) {
    engine.register_fn("join", |items: Array, separator: &str| {
        items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(separator)
    });
}

fn register_reporting(engine: &mut Engine) {
    engine.register_fn("room", || -> Fallible<i64> {
        with(|c| c.max_findings.saturating_sub(c.findings.len()) as i64)
    });
    engine.register_fn("report", |subjects: Dynamic, message: &str| {
        report(subjects, message, None)
    });
    engine.register_fn(
        "report",
        |subjects: Dynamic, message: &str, options: Map| report(subjects, message, Some(options)),
    );
    engine.register_fn(
        "param",
        |name: &str, default: Dynamic| -> Fallible<Dynamic> {
            with(|c| {
                c.params
                    .0
                    .get(name)
                    .map_or(default, |v| param_dynamic(&v.value))
            })
        },
    );
}

/// Registers the whole API on `engine`.
pub fn register(engine: &mut Engine) {
    register_lists(engine);
    register_lookups(engine);
    register_agency(engine);
    register_objective(engine);
    register_instrument(engine);
    register_small_types(engine);
    register_questions(engine);
    register_reporting(engine);
    register_helpers(engine);
}

/// `docs/rule-api.md`, from the tables above.
pub fn markdown() -> String {
    let mut out = String::from(
        "# The rule script API\n\n<!-- generated by `concord rules api`; a test fails when it is stale -->\n\n\
         Rules are [Rhai](https://rhai.rs) scripts. The API is read-only: scripts read the workspace \
         through the functions and properties below and emit findings with `report`. Reading a property \
         that does not exist is an error; a YAML field that is absent reads as `()`. Set-level questions \
         (overlapping pairs, matchings, assignments, paths) are answered in Rust from indexes built once, \
         so a rule never needs to compare all pairs in script.\n\n## Functions\n\n\
         | function | returns | meaning |\n|---|---|---|\n",
    );
    for f in FUNCTIONS {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.signature, f.returns, f.meaning
        ));
    }
    for (ty, docs) in PROPERTIES {
        out.push_str(&format!(
            "\n## {ty}\n\n| property or method | type | meaning |\n|---|---|---|\n"
        ));
        for d in *docs {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                d.signature, d.returns, d.meaning
            ));
        }
    }
    out.push_str(
        "\n## Limits\n\nScripts cannot import modules, call `eval` or `curry`, or touch files, the \
         environment or the network. Each rule runs under limits on operations, call depth, expression \
         depth, the memory its values hold (`limits.rule_memory_mib`, 512 MiB by default) and processor \
         time (`rule_timeout_ms` in `concord.yaml`, 5 s by default); a rule that breaks one is reported \
         with its file, line and column, and the other rules still run. See `docs/limits.md`.\n",
    );
    out
}

/// The process's resident memory in bytes, where the system tells it.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Array {
        list.iter()
            .map(|(a, b)| Dynamic::from_array(vec![text(a), text(b)]))
            .collect()
    }

    fn ids(components: &Array) -> Vec<Vec<String>> {
        components
            .iter()
            .map(|c| {
                c.read_lock::<Array>()
                    .unwrap()
                    .iter()
                    .map(|id| id.to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn components_keep_the_order_of_first_appearance() {
        // x-y and c-d start apart; b-x then joins the first pair to the cluster of a.
        let found = components(pairs(&[
            ("c", "d"),
            ("a", "b"),
            ("x", "y"),
            ("b", "x"),
            ("e", "c"),
            ("a", "a"),
        ]))
        .unwrap();
        assert_eq!(
            ids(&found),
            vec![vec!["c", "d", "e"], vec!["a", "b", "x", "y"]]
        );
        assert!(components(Array::new()).unwrap().is_empty());
    }

    #[test]
    fn an_empty_array_inside_ids_is_an_error_not_a_panic() {
        let nested = Dynamic::from_array(vec![Dynamic::from_array(Array::new())]);
        let error = id_list(&nested).unwrap_err().to_string();
        assert!(
            error.contains("found an empty array inside the array"),
            "{error}"
        );
        let ids = Dynamic::from_array(vec![text("a"), Dynamic::from_array(vec![text("b")])]);
        assert_eq!(id_list(&ids).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn components_reject_what_is_not_a_pair() {
        let mut bad = pairs(&[("a", "b")]);
        bad.push(Dynamic::from_array(vec![text("a")]));
        let error = components(bad).unwrap_err().to_string();
        assert!(
            error.contains("`components` takes an array of pairs")
                && error.contains("item 1 is an array of 1 items"),
            "{error}"
        );
        let error = components(vec![Dynamic::from_int(3)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("item 0 is an int"), "{error}");
    }
}
