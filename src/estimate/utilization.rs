//! Utilization of an estimate: a fixed number, a literature prior (a distribution), or a
//! calibration (the measured matmul ceiling times an end-to-end factor), with where it came from.

use rand::rngs::StdRng;
use serde::Serialize;

use super::calibrate::Calibration;
use super::chip::Chip;
use super::dist::Dist;
use super::priors::{calibration_factor, Basis, Evidence, Prior};
use crate::dtype::Dtype;

/// Which prior was used, what its figures divide by and how they were obtained.
#[derive(Debug, Clone, Serialize)]
pub struct PriorUse {
    pub name: String,
    /// The dtype of the peak the prior's MFU figures are against.
    pub peak_dtype: Dtype,
    /// measured, back-computed, assumed or mixed (data/priors.csv).
    pub evidence: Evidence,
    /// in-job (goodput multiplies it), wall-clock (goodput is inside it) or mixed.
    pub basis: Basis,
    /// True when nobody chose it.
    pub default: bool,
    /// How the prior was moved onto the estimate's dtype peak, or why it could not be; None
    /// when it applies as it is.
    pub dtype_note: Option<String>,
}

/// A prior moved from its peak's dtype onto the estimate's.
struct Conversion {
    scale: f64,
    said: String,
}

/// The scale from the prior's peak to the chip's peak in the estimate's dtype, where that peak
/// is faster; None where the prior applies as it is.
fn dtype_conversion(prior: &Prior, chip: &Chip) -> Option<Conversion> {
    let dtype = chip.dtype?;
    let row = chip.row?;
    let basis = if row.board_peak(prior.peak_dtype).is_some() {
        prior.peak_dtype
    } else {
        row.default_training_dtype()?
    };
    let (from, to) = (row.board_peak(basis)?, row.board_peak(dtype)?);
    (to > from).then(|| Conversion {
        scale: from / to,
        said: format!(
            "x{:.3} onto the {dtype} peak ({basis} {from} / {dtype} {to} on {})",
            from / to,
            row.key
        ),
    })
}

/// A distribution and where it came from; with calibration, the measured ceiling and the
/// end-to-end factor are both kept.
#[derive(Debug, Clone)]
pub struct Utilization {
    pub dist: Dist,
    /// Multiplies `dist` (calibration's MFU / matmul-utilization factor).
    pub factor: Option<Dist>,
    /// Multiplies `dist` to move a prior onto the estimate's dtype (16-bit peak / fp8 peak).
    pub dtype_scale: Option<f64>,
    pub source: String,
    pub prior: Option<PriorUse>,
    pub calibration: Option<Calibration>,
    /// What time it is a share of, where known (None: a number given outright).
    pub basis: Option<Basis>,
}

impl Utilization {
    /// A number given outright; `source` says by whom.
    pub fn fixed(value: f64, source: String) -> Self {
        Utilization {
            dist: Dist::Fixed { value },
            factor: None,
            dtype_scale: None,
            source,
            prior: None,
            calibration: None,
            basis: None,
        }
    }

    /// A literature prior for `chip`; `by_default` when nobody chose it. A prior whose figures
    /// are against a 16-bit peak is scaled onto a faster dtype's peak (fp8, int8): such runs do
    /// only the large GEMMs in 8 bits, so their MFU against the 8-bit peak is lower by about
    /// the ratio of the peaks (data/priors.csv, priors sources).
    pub fn from_prior(prior: &Prior, chip: &Chip, by_default: bool) -> Self {
        let conversion = dtype_conversion(prior, chip);
        let dtype_scale = conversion.as_ref().map(|c| c.scale);
        let dtype_note = match (conversion, chip.row, chip.dtype) {
            (Some(c), _, _) => Some(c.said),
            (None, None, Some(d @ (Dtype::Fp8 | Dtype::Int8))) => Some(format!(
                "applied as it is to a custom {d} peak: there is no 16-bit peak to convert by"
            )),
            _ => None,
        };
        Utilization {
            dist: prior.dist.clone(),
            factor: None,
            dtype_scale,
            source: format!(
                "prior '{}'{}: {}, {} MFU against the {} peak{} ({}; {})",
                prior.name,
                if by_default { " (default)" } else { "" },
                prior.dist.describe(),
                prior.basis.name(),
                prior.peak_dtype,
                dtype_note
                    .as_ref()
                    .map(|n| format!(", {n}"))
                    .unwrap_or_default(),
                prior.evidence.name(),
                prior.source
            ),
            prior: Some(PriorUse {
                name: prior.name.clone(),
                peak_dtype: prior.peak_dtype,
                evidence: prior.evidence,
                basis: prior.basis,
                default: by_default,
                dtype_note,
            }),
            calibration: None,
            basis: Some(prior.basis),
        }
    }

    /// The measured matmul ceiling of a results file times the end-to-end factor.
    pub fn calibrated(cal: Calibration) -> Self {
        let factor = calibration_factor();
        let of_several = if cal.devices_considered > 1 {
            format!(
                "; the {} of {} devices",
                cal.cluster_stat.name(),
                cal.devices_considered
            )
        } else {
            String::new()
        };
        Utilization {
            dist: Dist::Fixed {
                value: cal.matmul_utilization,
            },
            factor: Some(factor.dist.clone()),
            dtype_scale: None,
            source: format!(
                "calibrated: best verified {} matmul utilization {:.1}% on {} ({}, {}{of_several}) \
                 x end-to-end factor {} ({})",
                cal.dtype,
                cal.matmul_utilization * 100.0,
                cal.device,
                cal.device_name,
                cal.best_result,
                factor.dist.describe(),
                factor.source
            ),
            prior: None,
            calibration: Some(cal),
            basis: Some(Basis::InJob),
        }
    }

    pub fn is_fixed(&self) -> bool {
        self.dist.is_fixed() && self.factor.as_ref().is_none_or(Dist::is_fixed)
    }

    pub fn sample(&self, rng: &mut StdRng) -> f64 {
        let f = self.factor.as_ref().map(|f| f.sample(rng)).unwrap_or(1.0);
        self.dist.sample(rng) * f * self.dtype_scale.unwrap_or(1.0)
    }

    pub fn median(&self) -> f64 {
        self.dist.median()
            * self.factor.as_ref().map(Dist::median).unwrap_or(1.0)
            * self.dtype_scale.unwrap_or(1.0)
    }
}
