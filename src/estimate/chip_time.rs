//! The chip-time factor: what the published chip-time of runs holds beyond the in-job MFU and
//! goodput priors. Runs that publish an in-job rate are tuned runs that chose to say how fast
//! they were; the chip-time of runs that publish only that time does less of the peak, less the
//! smaller the model and the faster the chip (`chip_time_fit.rs`), and unseen runs less again
//! and more widely than the fit's residual says (`chip_time_calibration.rs`). The factor is the
//! log-normal that makes MFU x goodput x factor the calibrated prediction for the run: its
//! median the predicted utilization over the priors' geometric means, its variance the
//! prediction's less the priors' (floored at 0, as DerSimonian & Laird 1986 estimate the
//! variance between studies). It applies where both factors come from their priors; a number
//! the user gives is taken as known.

use std::sync::LazyLock;

use rand::rngs::StdRng;

use super::chip::Chip;
use super::chip_time_fit::{fits, package_peak, Fit, Prediction};
use super::dist::Dist;
use super::goodput::{FactorPrior, Goodput};
use super::priors::{goodput_prior, utilization_prior, Evidence, DEFAULT_PRIOR};
use super::utilization::Utilization;

pub const NAME: &str = "chip-time";

/// The factor and where it came from (its source says what the fit predicts for the run).
#[derive(Debug, Clone)]
pub struct ChipTimeFactor {
    pub dist: Dist,
    pub source: String,
    pub prior: FactorPrior,
}

/// Mean and variance of ln(MFU x goodput) under the default priors: ln MFU and ln goodput are
/// drawn independently, so means and variances add.
fn prior_log_moments() -> (f64, f64) {
    static MOMENTS: LazyLock<(f64, f64)> = LazyLock::new(|| {
        let mfu = utilization_prior(DEFAULT_PRIOR)
            .expect("the default prior is bundled")
            .dist
            .log_moments();
        let goodput = goodput_prior().dist.log_moments();
        (mfu.0 + goodput.0, mfu.1 + goodput.1)
    });
    *MOMENTS
}

impl ChipTimeFactor {
    /// The factor for an estimate whose utilization is `u` and goodput `g`: present when `u` is
    /// the `reported-mfu` prior and `g` the goodput prior, the pair it completes. `params` (the
    /// active parameters, where given) moves it.
    pub fn for_factors(
        u: &Utilization,
        g: &Goodput,
        chip: &Chip,
        params: Option<f64>,
    ) -> Option<ChipTimeFactor> {
        let from_priors =
            u.prior.as_ref().is_some_and(|p| p.name == DEFAULT_PRIOR) && g.prior.is_some();
        let peak = chip.row.and_then(package_peak).unwrap_or(chip.peak_tflops);
        let whole = chip.row.and_then(|r| r.part_of.as_deref());
        from_priors.then(|| Self::predicted(params.filter(|n| *n > 0.0), peak, whole))
    }

    /// `whole`: the chip or board a part row (a TPU core, a GCD) belongs to, whose peak is used.
    fn predicted(params: Option<f64>, peak_tflops: f64, whole: Option<&str>) -> ChipTimeFactor {
        let (with, without) = fits();
        let (fit, covariates) = match params {
            Some(n) => (with, vec![n.ln(), peak_tflops.ln()]),
            None => (without, vec![peak_tflops.ln()]),
        };
        let (dist, p, outside) = factor(fit, &covariates);
        ChipTimeFactor {
            dist,
            source: said(
                fit,
                params,
                (peak_tflops, whole),
                p,
                outside,
                prior_log_moments().0,
            ),
            prior: FactorPrior {
                name: NAME.into(),
                evidence: Evidence::BackComputed,
                default: true,
            },
        }
    }

    pub fn sample(&self, rng: &mut StdRng) -> f64 {
        self.dist.sample(rng)
    }

    pub fn median(&self) -> f64 {
        self.dist.median()
    }
}

/// The factor of a run with these covariates (ln params where known, ln peak) under `fit`: the
/// log-normal that turns MFU x goodput of the priors into the fit's prediction; with the
/// prediction, and whether a covariate lay outside the fit's runs.
pub(super) fn factor(fit: &Fit, covariates: &[f64]) -> (Dist, Prediction, bool) {
    let (x, outside) = fit.clamp(covariates);
    let p = fit.predict(&x);
    let (prior_mean, prior_var) = prior_log_moments();
    let dist = Dist::LogNormal {
        median: (p.mean - prior_mean).exp(),
        sigma: (p.sd.powi(2) - prior_var).max(0.0).sqrt(),
    };
    (dist, p, outside)
}

/// The factor's source: the fit, what it predicts for this run, and how it meets the priors.
fn said(
    fit: &Fit,
    params: Option<f64>,
    (peak, whole): (f64, Option<&str>),
    p: Prediction,
    outside: bool,
    prior_mean: f64,
) -> String {
    let (on, size) = match params {
        Some(n) => ("ln parameters and ln peak", format!("{n:.3e} parameters")),
        None => (
            "ln peak alone (no parameter count given)",
            "a model".to_string(),
        ),
    };
    let (lo, hi) = p.interval90();
    // No run does more than the peak: the interval stops there (so do the estimate's draws).
    let hi = if hi < 1.0 {
        format!("{hi:.3}")
    } else {
        "1, the peak".to_string()
    };
    let range = if outside {
        ", outside the runs' range (the nearest end is used)"
    } else {
        ""
    };
    let whole = whole.map_or(String::new(), |w| format!(", the whole {w}'s"));
    format!(
        "fitted to the {} runs of data/priors/chip_time.csv that publish chip-time and no \
         in-job rate: ln(6ND / (chip-time x 16-bit peak)) on {on}{}; for {size} on a chip of \
         {peak} TFLOP/s (16-bit{whole}){range} it predicts {:.3} of the peak over the published \
         chip-time (90%: {lo:.3} to {hi}), against {:.3} for MFU x goodput of the priors",
        fit.runs,
        calibrated(fit),
        p.mean.exp(),
        prior_mean.exp(),
    )
}

/// How the fit was calibrated, for its source ("" where it was not).
fn calibrated(fit: &Fit) -> String {
    let c = fit.calibration;
    if c.predictions == 0 {
        return String::new();
    }
    // shift = predicted - actual: below 0, later runs did more than the fit predicts.
    format!(
        ", calibrated on {} predictions of each later set of runs by the sets before it (their \
         errors' center, tracked run by run: later runs did {:.2}x {} of the peak than the fit \
         predicts; the 90% interval is {:.2}x either way of that, the errors' conformal quantile \
         at {:.3}, the level adapted to how each set's interval held the next set's runs; or the \
         fit's own interval where wider)",
        c.predictions,
        c.shift.abs().exp(),
        if c.shift < 0.0 { "more" } else { "less" },
        c.half_width.exp(),
        c.level,
    )
}
