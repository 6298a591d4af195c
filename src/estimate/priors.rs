//! Literature priors for utilization and goodput, from `data/priors.csv`; the rows each prior is
//! computed from are in `data/priors/` and a test recomputes every prior from them. (What the
//! published chip-time of runs holds beyond them is fitted from its own runs: `chip_time.rs`.)

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::dtype::Dtype;

use super::dist::Dist;

#[derive(Debug, Clone, Deserialize)]
struct PriorRow {
    name: String,
    kind: String,
    values: String,
    applies_to: AppliesTo,
    peak_dtype: Option<Dtype>,
    evidence: Evidence,
    basis: Option<Basis>,
    source: String,
}

/// What a prior is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    Gpu,
    Cpu,
    Any,
    /// The end-to-end factor of a calibration (training MFU / matmul utilization).
    Calibration,
    /// The share of published chip-time that does useful training.
    Goodput,
}

/// How the figures behind a prior were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// Measured by whoever reports them (the authors of the run, a profiling study).
    Measured,
    /// Derived by a third party from other reported figures (GPU-hours and 6ND, a rate over a
    /// peak).
    BackComputed,
    /// A rule of thumb.
    Assumed,
    /// Some measured, some back-computed.
    Mixed,
}

impl Evidence {
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Measured => "measured",
            Evidence::BackComputed => "back-computed",
            Evidence::Assumed => "assumed",
            Evidence::Mixed => "mixed",
        }
    }
}

/// What time a utilization prior's figures are a share of, which says whether goodput is in
/// them already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// MFU while the job runs: goodput multiplies it.
    InJob,
    /// Utilization over the published wall-clock time: goodput is inside it.
    WallClock,
    /// Some of each (Epoch's column): goodput multiplies it, and the estimate leans low.
    Mixed,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::InJob => "in-job",
            Basis::WallClock => "wall-clock",
            Basis::Mixed => "mixed",
        }
    }
}

/// A utilization prior.
#[derive(Debug, Clone)]
pub struct Prior {
    pub name: String,
    pub dist: Dist,
    pub applies_to: AppliesTo,
    /// The dtype of the peak its MFU figures divide by: bf16 means runs at 16 bits or wider,
    /// against the dense peak of their own precision (f16 on chips without bf16, f32 before
    /// tensor units).
    pub peak_dtype: Dtype,
    pub evidence: Evidence,
    pub basis: Basis,
    pub source: String,
}

/// A prior of a factor beside utilization: goodput (the share of published chip-time that
/// trained) or the spread between runs that the MFU and goodput priors leave out (median 1).
#[derive(Debug, Clone)]
pub struct FactorPriorDef {
    pub name: String,
    pub dist: Dist,
    pub evidence: Evidence,
    pub source: String,
}

impl FactorPriorDef {
    /// Where a factor's value came from, as its `source` says it; `by_default` when nobody
    /// chose the prior.
    pub fn said(&self, by_default: bool) -> String {
        format!(
            "prior '{}'{}: {} ({}; {})",
            self.name,
            if by_default { " (default)" } else { "" },
            self.dist.describe(),
            self.evidence.name(),
            self.source
        )
    }
}

/// The prior used when the user gives no utilization.
pub const DEFAULT_PRIOR: &str = "reported-mfu";
/// The end-to-end factor applied to a calibrated matmul utilization.
pub const CALIBRATION_FACTOR: &str = "mfu-over-mamf";

fn dist(row: &PriorRow) -> Dist {
    let values: Vec<f64> = row
        .values
        .split(';')
        .map(|v| v.trim().parse().expect("numeric prior"))
        .collect();
    match row.kind.as_str() {
        "fixed" => Dist::Fixed { value: values[0] },
        "uniform" => Dist::Uniform {
            low: values[0],
            high: values[1],
        },
        "quantiles" => Dist::Quantiles { values },
        "lognormal" => Dist::LogNormal {
            median: values[0],
            sigma: values[1],
        },
        other => panic!("bundled data/priors.csv: unknown kind {other}"),
    }
}

/// The bundled rows: utilization priors and the goodput prior.
struct Bundled {
    utilization: Vec<Prior>,
    goodput: FactorPriorDef,
}

/// The one row that applies to `what`, which is not a utilization prior.
fn factor(rows: &[PriorRow], what: AppliesTo) -> FactorPriorDef {
    let r = rows
        .iter()
        .find(|r| r.applies_to == what)
        .unwrap_or_else(|| panic!("bundled data/priors.csv has a {what:?} row"));
    FactorPriorDef {
        name: r.name.clone(),
        dist: dist(r),
        evidence: r.evidence,
        source: r.source.clone(),
    }
}

fn load() -> Bundled {
    let rows: Vec<PriorRow> =
        csv::Reader::from_reader(include_str!("../../data/priors.csv").as_bytes())
            .deserialize()
            .map(|r| r.expect("bundled data/priors.csv parses"))
            .collect();
    let goodput = factor(&rows, AppliesTo::Goodput);
    let utilization = rows
        .iter()
        .filter(|r| r.applies_to != AppliesTo::Goodput)
        .map(|r| Prior {
            name: r.name.clone(),
            dist: dist(r),
            applies_to: r.applies_to,
            peak_dtype: r
                .peak_dtype
                .expect("a utilization prior names its peak dtype"),
            evidence: r.evidence,
            basis: r.basis.expect("a utilization prior names its basis"),
            source: r.source.clone(),
        })
        .collect();
    Bundled {
        utilization,
        goodput,
    }
}

static BUNDLED: LazyLock<Bundled> = LazyLock::new(load);

pub fn all() -> &'static [Prior] {
    &BUNDLED.utilization
}

/// The goodput prior.
pub fn goodput_prior() -> &'static FactorPriorDef {
    &BUNDLED.goodput
}

/// A name that is not a utilization prior of the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected one of {}", .known.join(", "))]
pub struct UnknownPrior {
    pub name: String,
    pub known: Vec<String>,
}

fn utilization_priors() -> impl Iterator<Item = &'static Prior> {
    all()
        .iter()
        .filter(|p| p.applies_to != AppliesTo::Calibration)
}

/// A utilization prior by name (not the calibration factor).
pub fn utilization_prior(name: &str) -> Result<&'static Prior, UnknownPrior> {
    utilization_priors()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| UnknownPrior {
            name: name.to_string(),
            known: utilization_priors().map(|p| p.name.clone()).collect(),
        })
}

pub fn calibration_factor() -> &'static Prior {
    all()
        .iter()
        .find(|p| p.name == CALIBRATION_FACTOR)
        .expect("bundled calibration factor")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_priors_parse_and_lie_in_0_1() {
        assert!(all().len() >= 7);
        for p in all() {
            let (lo, hi) = (p.dist.inverse_cdf(0.0), p.dist.inverse_cdf(1.0));
            assert!(0.0 < lo && lo <= hi && hi <= 1.0, "{}", p.name);
            assert!(!p.source.is_empty());
        }
        let g = goodput_prior();
        assert_eq!(g.name, "goodput");
        assert!(g.dist.inverse_cdf(0.0) > 0.0 && g.dist.inverse_cdf(1.0) <= 1.0);
        assert_eq!(
            utilization_prior("ai-and-compute-gpu")
                .unwrap()
                .dist
                .median(),
            0.33
        );
        assert_eq!(
            utilization_prior(DEFAULT_PRIOR).unwrap().dist.median(),
            0.41
        );
        assert!(utilization_prior("mfu-over-mamf").is_err());
        assert!(utilization_prior("goodput").is_err());
        // Each says what its figures divide by, how they were obtained and what time they are a
        // share of.
        let default = utilization_prior(DEFAULT_PRIOR).unwrap();
        assert_eq!(default.peak_dtype, Dtype::Bf16);
        assert_eq!(default.basis, Basis::InJob);
        let observed = utilization_prior("observed-mfu").unwrap();
        assert_eq!(
            (observed.evidence, observed.basis),
            (Evidence::Mixed, Basis::Mixed)
        );
        let aic = utilization_prior("ai-and-compute-gpu").unwrap();
        assert_eq!(
            (aic.evidence, aic.basis),
            (Evidence::Assumed, Basis::WallClock)
        );
        assert_eq!(calibration_factor().applies_to, AppliesTo::Calibration);
        assert!(utilization_prior("optimistic")
            .unwrap_err()
            .to_string()
            .contains("reported-mfu"));
    }
}
