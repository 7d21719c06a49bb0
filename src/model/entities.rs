//! The entities of a workspace, field for field as the YAML spells them. Doc comments here
//! become the descriptions of the JSON Schema and of `docs/schema.md`.

use super::decode::{Decode, Decoder, Few, Fields, Located, OneOrMany, What};
use super::enums::*;
use crate::decode_fields;
use crate::load::{Loc, Node, Value};
use chrono::NaiveDate;
use schemars::JsonSchema;
use std::borrow::Cow;

/// An entity id: letters, digits and `.`, `-`, `_`, unique within its kind.
pub type Id = Located<Text>;

/// Text of the model. Most ids and names are short enough to be kept inline, without an
/// allocation of their own: a national workspace has millions of them.
pub type Text = compact_str::CompactString;

/// Decodes the common head of an entity: its mapping and its id, for messages.
fn open<'n>(node: &'n Node, kind: &'static str, d: &mut Decoder) -> Option<Fields<'n>> {
    Fields::of(node, What::Entity(kind), d)
}

/// A body that owns instruments: a ministry, the central bank, a province.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Agency {
    /// Short unique id, e.g. `MOF`.
    pub id: Id,
    /// English name.
    pub name: Located<Text>,
    /// Chinese name.
    pub name_zh: Option<Located<Text>>,
    /// What sort of body it is.
    pub kind: Located<AgencyKind>,
    /// Tier of government.
    pub level: Located<Level>,
    /// Region of a local government (a free-form id such as `jiangsu`); required below central level.
    pub region: Option<Located<Text>>,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Agency {
    fn expected() -> String {
        "an agency".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "agency", d)?;
        decode_fields!(Agency, f, d { id: req, name: req, name_zh: opt, kind: req, level: req, region: opt, note: opt }, at: node.loc)
    }
}

/// What the policy mix pursues. Objectives form a tree through `parent`.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Objective {
    /// Unique id; dotted ids such as `DD.consumption` read well but carry no meaning.
    pub id: Id,
    /// Name in English.
    pub name: Located<Text>,
    /// Name in Chinese.
    pub name_zh: Option<Located<Text>>,
    /// Policy family.
    pub domain: Located<Domain>,
    /// Id of the parent objective.
    pub parent: Option<Id>,
    /// Id of the indicator that measures progress.
    pub indicator: Option<Id>,
    /// Which way the indicator should move.
    pub direction: Option<Located<Direction>>,
    /// The value to reach and when.
    pub target: Option<Target>,
    /// Free-form tags that rules can read, e.g. `chokepoint`, `overcapacity`.
    #[serde(default)]
    pub tags: Vec<Located<Text>>,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Objective {
    fn expected() -> String {
        "an objective".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "objective", d)?;
        decode_fields!(Objective, f, d { id: req, name: req, name_zh: opt, domain: req, parent: opt, indicator: opt, direction: opt, target: opt, tags: list, note: opt }, at: node.loc)
    }
}

/// A quantified target for an objective's indicator.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Target {
    /// Value the indicator should reach, in the indicator's unit.
    pub value: Located<f64>,
    /// Year by which it should be reached.
    pub year: Located<i64>,
    /// Where the indicator stood when the target was set.
    pub baseline: Option<Baseline>,
}

impl Decode for Target {
    fn expected() -> String {
        "a target mapping (`value`, `year`, `baseline`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "target", d)?;
        decode_fields!(
            Target,
            f,
            d {
                value: req,
                year: req,
                baseline: opt
            }
        )
    }
}

/// The starting point of a target.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Baseline {
    pub year: Located<i64>,
    pub value: Located<f64>,
}

impl Decode for Baseline {
    fn expected() -> String {
        "a baseline mapping (`year`, `value`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "baseline", d)?;
        decode_fields!(
            Baseline,
            f,
            d {
                year: req,
                value: req
            }
        )
    }
}

/// A concrete policy lever owned by an agency.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Instrument {
    // Fields that most instruments leave out are boxed: an absent one then takes the room
    // of a pointer, and a national workspace has hundreds of thousands of instruments.
    /// Unique id within its kind.
    pub id: Id,
    /// Name in English.
    pub name: Located<Text>,
    /// Name in Chinese.
    pub name_zh: Option<Box<Located<Text>>>,
    /// The lever it pulls.
    pub kind: Located<InstrumentKind>,
    /// Id of the agency that owns it.
    pub owner: Id,
    /// Ids of agencies that share ownership.
    #[serde(default)]
    pub co_owners: Vec<Id>,
    /// Macro stance.
    pub stance: Option<Located<Stance>>,
    /// The objectives it acts on, with the size and sign of the effect.
    pub targets: Vec<Effect>,
    /// Money it commits.
    pub budget: Option<Budget>,
    /// When it is in force.
    pub horizon: Option<Horizon>,
    /// Whom and where it reaches.
    pub scope: Option<Scope>,
    /// Paper 4.2 category of industrial-upgrade support.
    pub upgrade_category: Option<Located<UpgradeCategory>>,
    /// Traditional or new-type infrastructure.
    pub infra_type: Option<Located<InfraType>>,
    /// Ids of instruments it cannot work without.
    #[serde(default)]
    pub requires: Vec<Id>,
    /// Id of an earlier instrument this one prolongs.
    pub continues: Option<Box<Id>>,
    /// Id of an earlier instrument this one supersedes.
    pub replaces: Option<Box<Id>>,
    /// Id of the objective it is mainly assigned to; must be one of its targets.
    pub primary_objective: Option<Box<Id>>,
    /// Ids of instruments it is explicitly coordinated with (a joint design or notice).
    #[serde(default)]
    pub coordinated_with: Vec<Id>,
    /// What one unit of support is, and how much of it this instrument gives.
    pub support: Option<Box<Support>>,
    /// How the money is divided among regions.
    pub allocation: Option<Box<Allocation>>,
    /// Who carries the instrument out: `central`, `local` or `joint`.
    pub executor: Option<Located<Executor>>,
    /// Share of the cost borne by the central government, 0 to 1.
    pub central_share: Option<Box<Located<f64>>>,
    /// Who may benefit, where eligibility is restricted.
    pub eligibility: Option<Box<Eligibility>>,
    /// Whether it finances capital expenditure that adds production capacity.
    pub capex: Option<Box<Located<bool>>>,
    /// Whether support is conditional on retiring at least as much old capacity.
    pub capacity_replacement: Option<Box<Located<bool>>>,
    /// Share of the budget that goes to new-type infrastructure, 0 to 1, for mixed programmes.
    pub new_infra_share: Option<Box<Located<f64>>>,
    /// Where the instrument is documented (a paper section, a document number).
    pub source: Option<Box<Located<Text>>>,
    /// Free text for the reader.
    pub note: Option<Box<Located<Text>>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Instrument {
    fn expected() -> String {
        "an instrument".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "instrument", d)?;
        decode_fields!(Instrument, f, d { id: req, name: req, name_zh: opt, kind: req, owner: req, co_owners: list, stance: opt, targets: req, budget: opt, horizon: opt, scope: opt, upgrade_category: opt, infra_type: opt, requires: list, continues: opt, replaces: opt, primary_objective: opt, coordinated_with: list, support: opt, allocation: opt, executor: opt, central_share: opt, eligibility: opt, capex: opt, capacity_replacement: opt, new_infra_share: opt, source: opt, note: opt }, at: node.loc)
    }
}

/// A unit of support (one equipment loan, one vehicle) and how much is given per unit.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Support {
    /// Free-form id of the supported unit, e.g. `equipment_loan`; instruments naming the
    /// same unit stack on it.
    pub unit: Located<Text>,
    /// Support per unit, e.g. percentage points of interest or percent of the price.
    pub rate: Located<f64>,
    /// Most combined support per unit that the rules allow, in the same terms as `rate`.
    pub cap: Option<Located<f64>>,
}

impl Decode for Support {
    fn expected() -> String {
        "a support mapping (`unit`, `rate`, `cap`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "support", d)?;
        decode_fields!(
            Support,
            f,
            d {
                unit: req,
                rate: req,
                cap: opt
            }
        )
    }
}

/// How an instrument's money is divided among regions.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Allocation {
    /// What the division follows.
    pub basis: Located<AllocationBasis>,
    /// Regions given extra weight, e.g. `central`, `western`, `rural`, `northeast`.
    #[serde(default)]
    pub weights: Vec<Located<Text>>,
}

impl Decode for Allocation {
    fn expected() -> String {
        "an allocation mapping (`basis`, `weights`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "allocation", d)?;
        decode_fields!(
            Allocation,
            f,
            d {
                basis: req,
                weights: list
            }
        )
    }
}

/// Restrictions on who may benefit.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Eligibility {
    /// Only producers or sellers registered in the granting locality qualify.
    pub local_only: Option<Located<bool>>,
    /// Only firms of this ownership qualify.
    pub ownership: Option<Located<Ownership>>,
}

impl Decode for Eligibility {
    fn expected() -> String {
        "an eligibility mapping (`local_only`, `ownership`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "eligibility", d)?;
        decode_fields!(
            Eligibility,
            f,
            d {
                local_only: opt,
                ownership: opt
            }
        )
    }
}

/// One effect of an instrument on an objective.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Effect {
    /// Id of the objective acted on.
    pub objective: Id,
    /// Size and sign of the effect on the seven-point scale.
    pub effect: Located<Score>,
    /// How sure the analyst is.
    pub confidence: Option<Located<Confidence>>,
    /// Months before the effect shows.
    pub lag_months: Option<Box<Located<i64>>>,
    /// Free text for the reader.
    pub note: Option<Box<Located<Text>>>,
}

impl Decode for Effect {
    fn expected() -> String {
        "a target mapping (`objective`, `effect`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "target", d)?;
        decode_fields!(
            Effect,
            f,
            d {
                objective: req,
                effect: req,
                confidence: opt,
                lag_months: opt,
                note: opt
            }
        )
    }
}

/// Money an instrument commits.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Budget {
    /// Amount, zero or more, in `currency`.
    pub amount: Located<f64>,
    pub currency: Located<Currency>,
    /// Id of the funding envelope it draws on.
    pub envelope: Option<Id>,
}

impl Decode for Budget {
    fn expected() -> String {
        "a budget mapping (`amount`, `currency`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "budget", d)?;
        decode_fields!(
            Budget,
            f,
            d {
                amount: req,
                currency: req,
                envelope: opt
            }
        )
    }
}

/// When an instrument is in force.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Horizon {
    /// First day in force.
    pub start: Located<NaiveDate>,
    /// Last day in force; open-ended when absent.
    pub end: Option<Located<NaiveDate>>,
    /// Whether renewal on expiry is planned.
    pub renewal: Option<Located<bool>>,
}

impl Decode for Horizon {
    fn expected() -> String {
        "a horizon mapping (`start`, `end`, `renewal`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "horizon", d)?;
        decode_fields!(
            Horizon,
            f,
            d {
                start: req,
                end: opt,
                renewal: opt
            }
        )
    }
}

/// Whom and where an instrument reaches.
#[derive(Clone, Debug, PartialEq, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Scope {
    /// Free-form sector ids, e.g. `autos`, `producer_services`.
    #[serde(default)]
    pub sectors: Few<Located<Text>>,
    /// Free-form region ids, e.g. `national`, `western`, `jiangsu`.
    #[serde(default)]
    pub regions: Few<Located<Text>>,
    /// One beneficiary group or a list of them.
    #[serde(default)]
    pub beneficiaries: OneOrMany<Located<Beneficiary>>,
    /// Income groups aimed at, for household instruments.
    pub income_targeting: Option<Located<IncomeTargeting>>,
}

impl Decode for Scope {
    fn expected() -> String {
        "a scope mapping (`sectors`, `regions`, `beneficiaries`, `income_targeting`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "scope", d)?;
        decode_fields!(
            Scope,
            f,
            d {
                sectors: list,
                regions: list,
                beneficiaries: dflt,
                income_targeting: opt
            }
        )
    }
}

/// A declared effect of one objective (or instrument) on another.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Interaction {
    /// Id of the objective or instrument that acts.
    pub from: Id,
    /// Id of the objective or instrument acted on.
    pub to: Id,
    /// Size and sign of the interaction.
    pub score: Located<Score>,
    /// Why the interaction holds.
    pub why: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Interaction {
    fn expected() -> String {
        "an interaction".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "interaction", d)?;
        decode_fields!(Interaction, f, d { from: req, to: req, score: req, why: opt }, at: node.loc)
    }
}

/// A coordination channel that joins agencies.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Mechanism {
    /// Unique id within its kind.
    pub id: Id,
    /// Name in English.
    pub name: Located<Text>,
    pub kind: Located<MechanismKind>,
    /// Ids of the agencies it joins.
    pub members: Vec<Id>,
    /// Ids of the objectives it coordinates; all objectives when empty.
    #[serde(default)]
    pub covers: Vec<Id>,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Mechanism {
    fn expected() -> String {
        "a mechanism".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "mechanism", d)?;
        decode_fields!(Mechanism, f, d { id: req, name: req, kind: req, members: req, covers: list, note: opt }, at: node.loc)
    }
}

/// A funding pool that instruments draw on.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Envelope {
    /// Unique id within its kind.
    pub id: Id,
    /// Name in English.
    pub name: Located<Text>,
    /// Size of the pool, zero or more, in `currency`.
    pub total: Located<f64>,
    pub currency: Located<Currency>,
    /// Id of a larger envelope this one is carved from.
    pub parent: Option<Id>,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Envelope {
    fn expected() -> String {
        "an envelope".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "envelope", d)?;
        decode_fields!(Envelope, f, d { id: req, name: req, total: req, currency: req, parent: opt, note: opt }, at: node.loc)
    }
}

/// One year's value of a series.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub year: Located<i64>,
    pub value: Located<f64>,
}

/// A yearly series, written as a mapping from year to value.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Series(pub Vec<Point>);

impl Series {
    /// The points as plain (year, value) pairs, in year order.
    pub fn points(&self) -> Vec<(i64, f64)> {
        self.0
            .iter()
            .map(|p| (p.year.value, p.value.value))
            .collect()
    }
}

impl Decode for Series {
    fn expected() -> String {
        "a mapping from year to value (`{ 2020: 54.7 }`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let Value::Map(entries) = &node.value else {
            d.wrong_type(node, &Self::expected());
            return None;
        };
        let mut points: Vec<Point> = entries
            .iter()
            .filter_map(|(k, v)| {
                let year = match k.value {
                    Value::Int(y) if (1000..=9999).contains(&y) => Some(Located::new(y, k.loc)),
                    _ => {
                        d.wrong_type(k, "a four-digit year");
                        None
                    }
                };
                let value = f64::decode(v, d).map(|x| Located::new(x, v.loc));
                Some(Point {
                    year: year?,
                    value: value?,
                })
            })
            .collect();
        points.sort_by_key(|p| p.year.value);
        Some(Series(points))
    }
}

impl JsonSchema for Series {
    fn schema_name() -> Cow<'static, str> {
        "Series".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "Values by year: keys are four-digit years, values numbers in the indicator's unit",
            "patternProperties": { "^[0-9]{4}$": { "type": "number" } },
            "additionalProperties": false,
        })
    }
}

/// A measured series, such as a column of the paper's Table 1.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Indicator {
    /// Unique id within its kind.
    pub id: Id,
    /// Name in English.
    pub name: Located<Text>,
    /// Name in Chinese.
    pub name_zh: Option<Located<Text>>,
    pub unit: Located<Unit>,
    /// Where the figures come from.
    pub source: Option<Located<Text>>,
    /// Ids of indicators this one is the sum of, year by year.
    #[serde(default)]
    pub identity: Vec<Id>,
    /// The values by year.
    pub series: Series,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Indicator {
    fn expected() -> String {
        "an indicator".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "indicator", d)?;
        decode_fields!(Indicator, f, d { id: req, name: req, name_zh: opt, unit: req, source: opt, identity: list, series: req, note: opt }, at: node.loc)
    }
}

/// An inclusive range of years.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Years {
    pub from: Located<i64>,
    pub to: Located<i64>,
}

impl Decode for Years {
    fn expected() -> String {
        "a year range (`from`, `to`)".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "years", d)?;
        decode_fields!(Years, f, d { from: req, to: req })
    }
}

/// A quantitative statement checked against an indicator's series.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Claim {
    /// Unique id within its kind.
    pub id: Id,
    /// The statement in words.
    pub text: Located<Text>,
    /// Id of the indicator it speaks about.
    pub indicator: Id,
    /// The years it speaks about.
    pub years: Years,
    /// A Rhai expression over `value` and `year` that must hold in every year of the range.
    pub predicate: Located<Text>,
    /// Who made the statement, and where.
    pub source: Option<Located<Text>>,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Claim {
    fn expected() -> String {
        "a claim".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "claim", d)?;
        decode_fields!(Claim, f, d { id: req, text: req, indicator: req, years: req, predicate: req, source: opt, note: opt }, at: node.loc)
    }
}

/// A named set of instruments and objectives under review.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Package {
    /// Unique id within its kind.
    pub id: Id,
    /// Name in English.
    pub name: Located<Text>,
    /// Date of issue.
    pub issued: Option<Located<NaiveDate>>,
    /// Document number.
    pub doc_no: Option<Located<Text>>,
    /// Id of the lead agency.
    pub lead: Option<Id>,
    /// Ids of its instruments.
    pub instruments: Vec<Id>,
    /// Ids of the objectives it pursues.
    pub objectives: Vec<Id>,
    /// Free text for the reader.
    pub note: Option<Located<Text>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Package {
    fn expected() -> String {
        "a package".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = open(node, "package", d)?;
        decode_fields!(Package, f, d { id: req, name: req, issued: opt, doc_no: opt, lead: opt, instruments: req, objectives: req, note: opt }, at: node.loc)
    }
}

/// An accepted finding: silences it, with a reason, until it expires.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Waiver {
    /// Id of the rule whose finding is accepted, e.g. `CRD001`.
    pub rule: Located<Text>,
    /// Ids of the finding's subjects (one id or a list).
    pub subjects: OneOrMany<Id>,
    /// Why the finding is accepted.
    pub reason: Located<Text>,
    /// Who accepted it.
    pub owner: Option<Located<Text>>,
    /// Last day the waiver holds.
    pub expires: Option<Located<NaiveDate>>,
    #[schemars(skip)]
    pub at: Loc,
}

impl Decode for Waiver {
    fn expected() -> String {
        "a waiver".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let mut f = Fields::of(node, "waiver", d)?;
        decode_fields!(Waiver, f, d { rule: req, subjects: req, reason: req, owner: opt, expires: opt }, at: node.loc)
    }
}
