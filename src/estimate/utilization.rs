//! Utilization of an estimate: a fixed number, a literature prior (a distribution), or a
//! calibration (the measured matmul ceiling times an end-to-end factor), with where it came from.

use rand::rngs::StdRng;
use serde::Serialize;

use super::calibrate::Calibration;
use super::chip::Chip;
use super::dist::Dist;
use super::priors::{calibration_factor, Prior};

/// Which prior was used, what its figures divide by and how they were obtained.
#[derive(Debug, Clone, Serialize)]
pub struct PriorUse {
    pub name: String,
    /// The dtype of the peak the prior's MFU figures are against.
    pub peak_dtype: String,
    /// measured, back-computed, assumed or mixed (data/priors.csv).
    pub evidence: String,
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
        }
    }

    /// A literature prior for `chip`; `by_default` when nobody chose it.
    pub fn from_prior(prior: &Prior, chip: &Chip, by_default: bool) -> Self {
        let _ = chip;
        Utilization {
            dist: prior.dist.clone(),
            factor: None,
            dtype_scale: None,
            source: format!(
                "prior '{}'{}: {} ({})",
                prior.name,
                if by_default { " (default)" } else { "" },
                prior.dist.describe(),
                prior.source
            ),
            prior: Some(PriorUse {
                name: prior.name.clone(),
                peak_dtype: String::new(),
                evidence: String::new(),
            }),
            calibration: None,
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
