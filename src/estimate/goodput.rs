//! Goodput of an estimate: the share of the published chip-time that did the training's useful
//! work, the rest going to restarts after failures, lost steps, checkpointing, evaluation and
//! idle allocation. A number given, the literature prior (`data/priors/goodput.csv`), or 1 where
//! the utilization is a share of wall-clock time and counts it already.

use rand::rngs::StdRng;
use serde::Serialize;

use super::dist::Dist;
use super::priors::{goodput_prior, Evidence};

/// Which prior of a factor (goodput, the chip-time factor) was used and whether anybody chose it.
#[derive(Debug, Clone, Serialize)]
pub struct FactorPrior {
    pub name: String,
    pub evidence: Evidence,
    /// True when nobody chose it.
    pub default: bool,
}

/// A distribution of goodput and where it came from.
#[derive(Debug, Clone)]
pub struct Goodput {
    pub dist: Dist,
    pub source: String,
    pub prior: Option<FactorPrior>,
}

impl Goodput {
    /// A number given outright, or 1 where goodput is inside the utilization; `source` says why.
    pub fn fixed(value: f64, source: String) -> Self {
        Goodput {
            dist: Dist::Fixed { value },
            source,
            prior: None,
        }
    }

    /// The literature prior; `by_default` when nobody chose it.
    pub fn from_prior(by_default: bool) -> Self {
        let p = goodput_prior();
        Goodput {
            dist: p.dist.clone(),
            source: p.said(by_default),
            prior: Some(FactorPrior {
                name: p.name.clone(),
                evidence: p.evidence,
                default: by_default,
            }),
        }
    }

    pub fn is_fixed(&self) -> bool {
        self.dist.is_fixed()
    }

    pub fn sample(&self, rng: &mut StdRng) -> f64 {
        self.dist.sample(rng)
    }

    pub fn median(&self) -> f64 {
        self.dist.median()
    }
}
