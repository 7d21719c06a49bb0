//! The closed vocabularies of the format. Each enum knows its spellings, so decoding,
//! did-you-mean hints, the JSON Schema and the format reference all come from one list.

use super::decode::{Decode, Decoder, backticked};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::{Node, Value};

/// Declares a string-valued enum with one doc line per value.
macro_rules! vocabulary {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident = $text:literal : $vdoc:literal,)+ }) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant,)+ }

        impl $name {
            /// Every value with its spelling and meaning, in declaration order.
            pub const ALL: &'static [($name, &'static str, &'static str)] =
                &[$(($name::$variant, $text, $vdoc),)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl Decode for $name {
            fn expected() -> String {
                format!("one of {}", backticked(&Self::ALL.iter().map(|v| v.1).collect::<Vec<_>>()))
            }
            fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
                decode_word(node, d, stringify!($name), Self::ALL, Self::parse)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let values: Vec<&str> = Self::ALL.iter().map(|v| v.1).collect();
                let description = concat!($($doc, "\n"),*).trim();
                schemars::json_schema!({
                    "type": "string",
                    "enum": values,
                    "description": description,
                })
            }
        }
    };
}

fn decode_word<T: Copy>(
    node: &Node,
    d: &mut Decoder,
    type_name: &str,
    all: &[(T, &'static str, &'static str)],
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let names: Vec<&str> = all.iter().map(|v| v.1).collect();
    let Some(text) = d
        .text_of(node)
        .filter(|_| !matches!(node.value, Value::Null))
    else {
        d.wrong_type(node, &format!("one of {}", backticked(&names)));
        return None;
    };
    if let Some(value) = parse(&text) {
        return Some(value);
    }
    let allowed = format!("allowed values: {}", backticked(&names));
    let hint = match did_you_mean(&text, names.iter().copied()) {
        Some(suggestion) => format!("{suggestion} {allowed}"),
        None => allowed,
    };
    d.report(
        Diagnostic::error(
            "unknown-value",
            format!("unknown {} `{text}`", words_of(type_name)),
        )
        .at(node.loc)
        .label("not an allowed value")
        .hint(hint),
    );
    None
}

/// `InstrumentKind` → "instrument kind".
fn words_of(type_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

vocabulary! {
    /// What sort of body an agency is.
    AgencyKind {
        Ministry = "ministry": "a ministry of the State Council (MOF, MOFCOM, MIIT, MOHRSS)",
        CentralBank = "central_bank": "the central bank (PBOC)",
        Regulator = "regulator": "a regulatory administration (NFRA, SAMR, CSRC)",
        Commission = "commission": "a commission (NDRC, SASAC)",
        LocalGovernment = "local_government": "a provincial, municipal or county government",
        StateCouncil = "state_council": "the State Council or its executive meeting",
        Administration = "administration": "a national administration or bureau",
        Other = "other": "any other body",
    }
}

vocabulary! {
    /// The tier of government an agency belongs to.
    Level {
        Central = "central": "central government",
        Provincial = "provincial": "a province, autonomous region or municipality under the central government",
        Municipal = "municipal": "a prefecture-level city",
        County = "county": "a county or district",
    }
}

vocabulary! {
    /// The policy family an objective belongs to.
    Domain {
        DomesticDemand = "domestic_demand": "expanding consumption and investment at home",
        IndustrialUpgrade = "industrial_upgrade": "moving industry up the value chain",
        CrossCutting = "cross_cutting": "serving both families (fair competition, regional balance)",
    }
}

vocabulary! {
    /// Which way an objective's indicator should move.
    Direction {
        Up = "up": "the objective is met when the indicator rises",
        Down = "down": "the objective is met when the indicator falls",
    }
}

vocabulary! {
    /// The lever an instrument pulls.
    InstrumentKind {
        TaxCut = "tax_cut": "a cut in a tax rate or base",
        FeeReduction = "fee_reduction": "a reduction of administrative fees or charges",
        FiscalSubsidy = "fiscal_subsidy": "a direct subsidy from the budget",
        InterestSubsidy = "interest_subsidy": "a subsidy on loan interest",
        ConsumptionVoucher = "consumption_voucher": "vouchers for consumers",
        TransferPayment = "transfer_payment": "a transfer to households or lower governments",
        Relending = "relending": "central-bank relending or rediscount quota",
        CreditPolicy = "credit_policy": "credit guidance, ratios or window guidance",
        LoanGuarantee = "loan_guarantee": "a government-backed loan guarantee",
        SpecialBond = "special_bond": "special-purpose or ultra-long special treasury bonds",
        PublicInvestment = "public_investment": "investment from the central or local budget",
        GovernmentProcurement = "government_procurement": "purchases by public bodies",
        GuidanceFund = "guidance_fund": "a government industrial guidance fund",
        EmploymentProgram = "employment_program": "job creation, training or placement",
        SocialInsurance = "social_insurance": "pensions, health, unemployment insurance",
        Regulation = "regulation": "a binding rule or market-access measure",
        Standard = "standard": "a technical, energy or environmental standard",
        Planning = "planning": "a plan, catalogue or target programme",
        Reform = "reform": "an institutional or market reform",
        PilotProgram = "pilot_program": "a pilot zone or demonstration programme",
    }
}

vocabulary! {
    /// The macro stance of an instrument.
    Stance {
        Expansionary = "expansionary": "adds to demand or credit",
        Contractionary = "contractionary": "withdraws demand or credit",
        Neutral = "neutral": "no macro stance",
    }
}

vocabulary! {
    /// How sure the analyst is of an effect.
    Confidence {
        Low = "low": "a plausible guess",
        Medium = "medium": "supported by some evidence",
        High = "high": "well established",
    }
}

vocabulary! {
    /// Funding units. Amounts in different currencies are never added together.
    Currency {
        CnyBn = "CNY_bn": "billions of yuan",
        CnyMn = "CNY_mn": "millions of yuan",
        CnyTn = "CNY_tn": "trillions of yuan",
        UsdBn = "USD_bn": "billions of US dollars",
    }
}

vocabulary! {
    /// Who an instrument's support reaches.
    Beneficiary {
        Households = "households": "households and consumers",
        Firms = "firms": "enterprises in general",
        Smes = "smes": "small and medium-sized enterprises",
        Banks = "banks": "financial institutions",
        LocalGovernments = "local_governments": "local governments",
        Workers = "workers": "workers and job seekers",
    }
}

vocabulary! {
    /// Which income groups a household instrument aims at.
    IncomeTargeting {
        None = "none": "no income targeting",
        Low = "low": "low-income households",
        Middle = "middle": "middle-income households",
        High = "high": "high-income households",
    }
}

vocabulary! {
    /// Traditional or new-type infrastructure (paper 3.2).
    InfraType {
        Traditional = "traditional": "transport, water, energy and urban networks",
        New = "new": "5G, data centres, industrial internet, charging networks",
        None = "none": "not an infrastructure instrument",
    }
}

vocabulary! {
    /// What an allocation of money among regions follows.
    AllocationBasis {
        Gdp = "gdp": "regional GDP",
        ExistingStock = "existing_stock": "the existing stock of assets or past spending",
        Population = "population": "resident population",
        Need = "need": "a measure of need (income gaps, fiscal capacity)",
        Project = "project": "approved projects",
        Competitive = "competitive": "competitive application",
        Formula = "formula": "a published formula mixing several factors",
    }
}

vocabulary! {
    /// Who carries an instrument out.
    Executor {
        Central = "central": "central agencies",
        Local = "local": "local governments",
        Joint = "joint": "central and local governments together",
    }
}

vocabulary! {
    /// An ownership restriction on eligible firms.
    Ownership {
        Any = "any": "no restriction",
        StateOwned = "state_owned": "state-owned firms only",
        Private = "private": "private firms only",
        Domestic = "domestic": "domestically owned firms only",
    }
}

vocabulary! {
    /// A coordination channel between agencies.
    MechanismKind {
        JointConference = "joint_conference": "an inter-ministerial joint conference",
        JointNotice = "joint_notice": "a jointly issued notice or document",
        SharedList = "shared_list": "a shared list of projects or firms",
        InformationPlatform = "information_platform": "a shared information platform",
    }
}

vocabulary! {
    /// The unit of an indicator series.
    Unit {
        PercentOfGdp = "percent_of_gdp": "percent of gross domestic product",
        Percent = "percent": "percent",
        PercentagePoints = "percentage_points": "percentage points",
        CnyBn = "cny_bn": "billions of yuan",
        Index = "index": "an index number",
        Count = "count": "a count",
        Ratio = "ratio": "a plain ratio",
    }
}

vocabulary! {
    /// How far a finding reaches; also the threshold for a failing exit code.
    Severity {
        Low = "low": "worth a look",
        Medium = "medium": "should be addressed",
        High = "high": "must be addressed before the package is issued",
    }
}

/// A point on the seven-point interaction scale of Nilsson et al. (2016), −3..+3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(pub i8);

impl Decode for Score {
    fn expected() -> String {
        "an integer from -3 to 3".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let number = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => {
                d.wrong_type(node, &Self::expected());
                return None;
            }
        };
        if number.fract() != 0.0 || !(-3.0..=3.0).contains(&number) {
            let written = d.text_of(node).unwrap_or_default();
            d.report(
                Diagnostic::error(
                    "out-of-range",
                    format!("score `{written}` is outside the scale -3..+3"),
                )
                .at(node.loc)
                .label("expected an integer from -3 to 3")
                .hint("+3 indivisible, +2 reinforcing, +1 enabling, 0 consistent, -1 constraining, -2 counteracting, -3 cancelling"),
            );
            return None;
        }
        Some(Score(number as i8))
    }
}

impl schemars::JsonSchema for Score {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Score".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "minimum": -3,
            "maximum": 3,
            "description": "Seven-point scale (Nilsson et al. 2016): +3 indivisible, +2 reinforcing, +1 enabling, 0 consistent, -1 constraining, -2 counteracting, -3 cancelling",
        })
    }
}

/// The paper's three categories of industrial-upgrade support (section 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpgradeCategory(pub u8);

impl Decode for UpgradeCategory {
    fn expected() -> String {
        "`1`, `2` or `3`".into()
    }
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match node.value {
            Value::Int(i @ 1..=3) => Some(UpgradeCategory(i as u8)),
            Value::Int(_) => {
                let written = d.text_of(node).unwrap_or_default();
                d.report(
                    Diagnostic::error(
                        "out-of-range",
                        format!("upgrade category `{written}` does not exist"),
                    )
                    .at(node.loc)
                    .label("expected 1, 2 or 3")
                    .hint("1 government-led strategic, 2 lagging/transition/new technology, 3 market incubation"),
                );
                None
            }
            _ => {
                d.wrong_type(node, &Self::expected());
                None
            }
        }
    }
}

impl schemars::JsonSchema for UpgradeCategory {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "UpgradeCategory".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "enum": [1, 2, 3],
            "description": "Paper 4.2: 1 government-led strategic (chokepoint) support, 2 lagging, transition and new-technology industries, 3 market incubation of emerging industries",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ReadLimits, parse};

    fn decode<T: Decode>(text: &str) -> (Option<T>, Vec<Diagnostic>) {
        let node = parse(text, 0, &ReadLimits::default()).unwrap().unwrap();
        let mut d = Decoder::default();
        (T::decode(&node, &mut d), d.diagnostics)
    }

    #[test]
    fn unknown_values_suggest_and_list_the_allowed_ones() {
        let (value, diags) = decode::<Stance>("expansionery");
        assert_eq!(value, None);
        assert_eq!(diags[0].message, "unknown stance `expansionery`");
        let hint = diags[0].hint.as_deref().unwrap();
        assert!(hint.starts_with("did you mean `expansionary`?"), "{hint}");
        assert!(hint.contains("`neutral`"), "{hint}");
    }

    #[test]
    fn scores_stay_on_the_scale() {
        assert_eq!(decode::<Score>("-3").0, Some(Score(-3)));
        let (value, diags) = decode::<Score>("4");
        assert_eq!(value, None);
        assert_eq!(diags[0].code, "out-of-range");
        assert_eq!(decode::<Score>("1.5").1[0].code, "out-of-range");
    }

    #[test]
    fn spellings_round_trip() {
        for (value, text, _) in InstrumentKind::ALL {
            assert_eq!(InstrumentKind::parse(text), Some(*value));
            assert_eq!(value.as_str(), *text);
        }
        assert_eq!(words_of("InstrumentKind"), "instrument kind");
    }
}
