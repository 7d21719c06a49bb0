//! Synthetic workspaces in the normative format, for benchmarks and scale tests: central
//! agencies and provincial governments, an objective tree of a few hundred nodes, and N
//! instruments with one to four targets, split over many files. Seeded, so reproducible.

use std::fmt::Write;

const CENTRAL: [(&str, &str, &str); 10] = [
    ("MOF", "Ministry of Finance", "ministry"),
    ("PBOC", "People's Bank of China", "central_bank"),
    ("MOFCOM", "Ministry of Commerce", "ministry"),
    (
        "MIIT",
        "Ministry of Industry and Information Technology",
        "ministry",
    ),
    (
        "NDRC",
        "National Development and Reform Commission",
        "commission",
    ),
    (
        "MOHRSS",
        "Ministry of Human Resources and Social Security",
        "ministry",
    ),
    ("MOST", "Ministry of Science and Technology", "ministry"),
    (
        "SAMR",
        "State Administration for Market Regulation",
        "regulator",
    ),
    ("MEE", "Ministry of Ecology and Environment", "ministry"),
    (
        "NFRA",
        "National Financial Regulatory Administration",
        "regulator",
    ),
];

const PROVINCES: [&str; 31] = [
    "beijing",
    "tianjin",
    "hebei",
    "shanxi",
    "inner_mongolia",
    "liaoning",
    "jilin",
    "heilongjiang",
    "shanghai",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "guangxi",
    "hainan",
    "chongqing",
    "sichuan",
    "guizhou",
    "yunnan",
    "tibet",
    "shaanxi",
    "gansu",
    "qinghai",
    "ningxia",
    "xinjiang",
];

const SECTORS: [&str; 16] = [
    "autos",
    "home_appliances",
    "equipment_manufacturing",
    "semiconductors",
    "new_energy_vehicles",
    "steel",
    "cement",
    "producer_services",
    "logistics",
    "software_and_it",
    "retail",
    "e_commerce",
    "health_care",
    "education",
    "construction",
    "agriculture",
];

const KINDS: [&str; 12] = [
    "tax_cut",
    "fiscal_subsidy",
    "interest_subsidy",
    "consumption_voucher",
    "relending",
    "special_bond",
    "public_investment",
    "guidance_fund",
    "employment_program",
    "social_insurance",
    "regulation",
    "pilot_program",
];

/// One file of a generated workspace.
pub struct GeneratedFile {
    pub name: String,
    pub text: String,
}

/// How large a workspace to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub instruments: usize,
    pub seed: u64,
    /// Leaf objectives under each of the two family roots' sub-goals.
    pub objectives: usize,
    pub instruments_per_file: usize,
}

impl Spec {
    pub fn new(instruments: usize, seed: u64) -> Self {
        Spec {
            instruments,
            seed,
            objectives: 300,
            instruments_per_file: 5_000,
        }
    }
}

/// Generates the files of a workspace.
pub fn workspace(spec: &Spec) -> Vec<GeneratedFile> {
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let mut files = vec![agencies(), objectives(spec), coordination(&mut rng, spec)];
    let leaves = leaf_ids(spec);
    let agencies: Vec<String> = CENTRAL
        .iter()
        .map(|a| a.0.to_owned())
        .chain(PROVINCES.iter().map(|p| format!("GOV.{p}")))
        .collect();
    let mut start = 0;
    let mut part = 0;
    while start < spec.instruments {
        let end = (start + spec.instruments_per_file).min(spec.instruments);
        let mut text = String::from("instruments:\n");
        for i in start..end {
            instrument(&mut text, &mut rng, i, &agencies, &leaves);
        }
        part += 1;
        files.push(GeneratedFile {
            name: format!("instruments-{part:03}.yaml"),
            text,
        });
        start = end;
    }
    files.push(packages(&mut rng, spec, &leaves));
    files.extend(settings(spec));
    files
}

/// Instruments a workspace may hold before the default limits (time per rule, memory)
/// are too tight for the standard rules.
const DEFAULT_SCALE: usize = 100_000;

/// A `concord.yaml` that raises the limits in step with the size, for workspaces larger
/// than the defaults are made for; none below that.
fn settings(spec: &Spec) -> Option<GeneratedFile> {
    let steps = spec.instruments.div_ceil(DEFAULT_SCALE);
    (steps > 1).then(|| GeneratedFile {
        name: "concord.yaml".into(),
        text: format!(
            "# {} generated instruments: the default limits suit up to {DEFAULT_SCALE}, so they\n\
             # are raised {steps}-fold here.\n\
             rule_timeout_ms: {}\n\
             limits:\n  memory_mib: {}\n  rule_memory_mib: {}\n",
            spec.instruments,
            5_000 * steps,
            2_048 * steps,
            512 * steps
        ),
    })
}

fn agencies() -> GeneratedFile {
    let mut text = String::from("agencies:\n");
    for (id, name, kind) in CENTRAL {
        let _ = writeln!(
            text,
            "  - {{ id: {id}, name: {name}, kind: {kind}, level: central }}"
        );
    }
    for p in PROVINCES {
        let _ = writeln!(
            text,
            "  - {{ id: GOV.{p}, name: {p} provincial government, kind: local_government, level: provincial, region: {p} }}"
        );
    }
    GeneratedFile {
        name: "agencies.yaml".into(),
        text,
    }
}

/// Two roots, ten sub-goals each, and the leaves spread evenly under them.
fn leaf_ids(spec: &Spec) -> Vec<String> {
    (0..spec.objectives)
        .map(|i| {
            format!(
                "{}.g{}.o{}",
                if i % 2 == 0 { "DD" } else { "IU" },
                i / 2 % 10,
                i
            )
        })
        .collect()
}

fn objectives(spec: &Spec) -> GeneratedFile {
    let mut text = String::from("objectives:\n");
    for (root, domain) in [("DD", "domestic_demand"), ("IU", "industrial_upgrade")] {
        let _ = writeln!(
            text,
            "  - {{ id: {root}, name: {root} family, domain: {domain} }}"
        );
        for g in 0..10 {
            let _ = writeln!(
                text,
                "  - {{ id: {root}.g{g}, name: {root} goal {g}, domain: {domain}, parent: {root} }}"
            );
        }
    }
    for leaf in leaf_ids(spec) {
        let (root, rest) = leaf.split_once('.').unwrap_or(("DD", ""));
        let goal = rest.split('.').next().unwrap_or("g0");
        let domain = if root == "DD" {
            "domestic_demand"
        } else {
            "industrial_upgrade"
        };
        let _ = writeln!(
            text,
            "  - {{ id: {leaf}, name: objective {leaf}, domain: {domain}, parent: {root}.{goal} }}"
        );
    }
    GeneratedFile {
        name: "objectives.yaml".into(),
        text,
    }
}

fn coordination(rng: &mut fastrand::Rng, spec: &Spec) -> GeneratedFile {
    let mut text = String::from("mechanisms:\n");
    for m in 0..20 {
        let a = CENTRAL[rng.usize(..CENTRAL.len())].0;
        let b = CENTRAL[rng.usize(..CENTRAL.len())].0;
        let _ = writeln!(
            text,
            "  - {{ id: mech-{m}, name: joint conference {m}, kind: joint_conference, members: [{a}, {b}] }}"
        );
    }
    text.push_str("envelopes:\n");
    for e in 0..10 {
        let total = 1_000.0 + spec.instruments as f64 * 2.0;
        let _ = writeln!(
            text,
            "  - {{ id: env-{e}, name: funding pool {e}, total: {total:.1}, currency: CNY_bn }}"
        );
    }
    GeneratedFile {
        name: "coordination.yaml".into(),
        text,
    }
}

fn instrument(
    text: &mut String,
    rng: &mut fastrand::Rng,
    i: usize,
    agencies: &[String],
    leaves: &[String],
) {
    let owner = &agencies[rng.usize(..agencies.len())];
    let kind = KINDS[rng.usize(..KINDS.len())];
    let stance = if rng.u8(..20) == 0 {
        "contractionary"
    } else {
        "expansionary"
    };
    let _ = write!(
        text,
        "  - id: inst-{i}\n    name: generated instrument {i}\n    kind: {kind}\n    owner: {owner}\n    stance: {stance}\n    targets:\n"
    );
    let mut chosen: Vec<usize> = Vec::new();
    for _ in 0..rng.usize(1..=4) {
        let leaf = rng.usize(..leaves.len());
        if chosen.contains(&leaf) {
            continue;
        }
        chosen.push(leaf);
        let effect = [-2, -1, 1, 1, 2, 2, 2, 3][rng.usize(..8)];
        let _ = writeln!(
            text,
            "      - {{ objective: {}, effect: {effect} }}",
            leaves[leaf]
        );
    }
    let year = 2018 + rng.i32(0..8);
    let month = rng.u32(1..=12);
    let length = rng.i32(1..5);
    let _ = writeln!(
        text,
        "    horizon: {{ start: {year}-{month:02}-01, end: {}-{month:02}-28, renewal: {} }}",
        year + length,
        rng.bool()
    );
    let region = if owner.starts_with("GOV.") {
        owner.trim_start_matches("GOV.").to_owned()
    } else {
        "national".to_owned()
    };
    let sector = SECTORS[rng.usize(..SECTORS.len())];
    let _ = writeln!(
        text,
        "    scope: {{ sectors: [{sector}], regions: [{region}], beneficiaries: [firms] }}"
    );
    if rng.bool() {
        let _ = writeln!(
            text,
            "    budget: {{ amount: {:.1}, currency: CNY_bn, envelope: env-{} }}",
            rng.f64() * 10.0,
            rng.usize(..10)
        );
    }
}

fn packages(rng: &mut fastrand::Rng, spec: &Spec, leaves: &[String]) -> GeneratedFile {
    let mut text = String::from(
        "packages:\n  - id: national-package\n    name: generated national package\n    instruments: [",
    );
    let members: Vec<String> = (0..spec.instruments.min(2_000))
        .map(|_| format!("inst-{}", rng.usize(..spec.instruments.max(1))))
        .collect();
    let mut members = members;
    members.sort();
    members.dedup();
    text.push_str(&members.join(", "));
    text.push_str("]\n    objectives: [");
    text.push_str(
        &leaves
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    );
    text.push_str("]\n");
    GeneratedFile {
        name: "packages.yaml".into(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_workspace() {
        let a = workspace(&Spec::new(50, 7));
        let b = workspace(&Spec::new(50, 7));
        assert_eq!(
            a.iter().map(|f| &f.text).collect::<Vec<_>>(),
            b.iter().map(|f| &f.text).collect::<Vec<_>>()
        );
        let c = workspace(&Spec::new(50, 8));
        assert_ne!(a.last().map(|f| &f.text), c.last().map(|f| &f.text));
    }

    #[test]
    fn large_workspaces_come_with_limits_raised_in_step() {
        assert!(settings(&Spec::new(100_000, 1)).is_none());
        let file = settings(&Spec::new(250_000, 1)).expect("settings for 250k");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(&file.name), &file.text).unwrap();
        std::fs::write(dir.path().join("a.yaml"), "agencies: []\n").unwrap();
        let ws = crate::workspace::load(&[dir.path().to_path_buf()], &Default::default());
        assert!(!ws.has_errors(), "{:?}", ws.diagnostics);
        let limits = ws.settings.limits.as_ref().expect("limits");
        let get = |v: &Option<crate::model::Located<i64>>| v.as_ref().map(|v| v.value);
        assert_eq!(get(&limits.memory_mib), Some(6_144));
        assert_eq!(get(&limits.rule_memory_mib), Some(1_536));
        assert_eq!(
            ws.settings.rule_timeout_ms.as_ref().map(|v| v.value),
            Some(15_000)
        );
    }
}
