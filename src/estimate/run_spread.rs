//! The spread between runs: how far published runs scatter around peak x chip-time x MFU x
//! goodput beyond what the MFU and goodput priors allow. A third factor of median 1
//! (`data/priors.csv`, row `run-spread`), applied where both factors come from the priors it was
//! estimated with; a number the user gives is taken as known, and so is left without it.

use rand::rngs::StdRng;

use super::dist::Dist;
use super::goodput::{FactorPrior, Goodput};
use super::priors::{run_spread_prior, DEFAULT_PRIOR};
use super::utilization::Utilization;

/// The factor and where it came from.
#[derive(Debug, Clone)]
pub struct RunSpread {
    pub dist: Dist,
    pub source: String,
    pub prior: FactorPrior,
}

impl RunSpread {
    /// The spread for an estimate whose utilization is `u` and goodput `g`: present when `u` is
    /// the `reported-mfu` prior and `g` the goodput prior, the pair it was estimated for.
    pub fn for_factors(u: &Utilization, g: &Goodput) -> Option<RunSpread> {
        let from_priors =
            u.prior.as_ref().is_some_and(|p| p.name == DEFAULT_PRIOR) && g.prior.is_some();
        from_priors.then(|| {
            let p = run_spread_prior();
            RunSpread {
                dist: p.dist.clone(),
                source: p.said(true),
                prior: FactorPrior {
                    name: p.name.clone(),
                    evidence: p.evidence,
                    default: true,
                },
            }
        })
    }

    pub fn sample(&self, rng: &mut StdRng) -> f64 {
        self.dist.sample(rng)
    }

    pub fn median(&self) -> f64 {
        self.dist.median()
    }
}
