//! Uncertain quantities: a fixed value, a uniform range, an empirical distribution given by
//! quantiles, or a log-normal factor; and Monte Carlo propagation into percentiles.

use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dist {
    Fixed {
        value: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    /// Piecewise-linear CDF through equally spaced quantiles (min, ..., max).
    Quantiles {
        values: Vec<f64>,
    },
    /// median x exp(sigma x Z), Z standard normal: a factor whose logarithm is normal.
    #[serde(rename = "lognormal")]
    LogNormal {
        median: f64,
        sigma: f64,
    },
}

impl Dist {
    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed { .. })
    }

    /// Value at cumulative probability `p` in [0, 1].
    pub fn inverse_cdf(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match self {
            Dist::Fixed { value } => *value,
            Dist::Uniform { low, high } => low + (high - low) * p,
            Dist::Quantiles { values } => {
                let steps = (values.len() - 1) as f64;
                let pos = p * steps;
                let i = (pos.floor() as usize).min(values.len() - 2);
                values[i] + (values[i + 1] - values[i]) * (pos - i as f64)
            }
            Dist::LogNormal { median, sigma } => {
                let z = Normal::standard().inverse_cdf(p);
                median * (sigma * z).exp()
            }
        }
    }

    pub fn median(&self) -> f64 {
        self.inverse_cdf(0.5)
    }

    /// One draw. A log-normal draws its normal directly, so no draw is 0 or infinite.
    pub fn sample(&self, rng: &mut StdRng) -> f64 {
        match self {
            Dist::LogNormal { median, sigma } => {
                let z: f64 = rng.sample(StandardNormal);
                median * (sigma * z).exp()
            }
            _ => self.inverse_cdf(rng.random::<f64>()),
        }
    }

    /// Mean and variance of ln X, X drawn from this distribution (midpoint rule over the
    /// cumulative probability: deterministic, and exact to about 1e-9 for the priors here).
    pub fn log_moments(&self) -> (f64, f64) {
        const STEPS: usize = 100_000;
        let logs: Vec<f64> = (0..STEPS)
            .map(|k| self.inverse_cdf((k as f64 + 0.5) / STEPS as f64).ln())
            .collect();
        let mean = logs.iter().sum::<f64>() / STEPS as f64;
        let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / STEPS as f64;
        (mean, var)
    }

    /// Short human description.
    pub fn describe(&self) -> String {
        match self {
            Dist::Fixed { value } => format!("{value}"),
            Dist::Uniform { low, high } => format!("uniform {low}..{high}"),
            Dist::Quantiles { values } => format!(
                "median {} (quantiles {})",
                self.median(),
                values
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" / ")
            ),
            Dist::LogNormal { median, sigma } => {
                format!("log-normal median {median}, sigma {sigma} of its logarithm")
            }
        }
    }
}

/// The 5th, 50th and 95th percentiles of a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Interval {
    pub fn map(self, f: impl Fn(f64) -> f64) -> Interval {
        let (a, b, c) = (f(self.p5), f(self.p50), f(self.p95));
        // A decreasing map (time from utilization) swaps the tails.
        let (lo, hi) = if a <= c { (a, c) } else { (c, a) };
        Interval {
            p5: lo,
            p50: b,
            p95: hi,
        }
    }
}

/// Monte Carlo: draws the inputs `draws` times through `f` and returns the percentiles.
pub fn propagate(draws: usize, seed: u64, mut f: impl FnMut(&mut StdRng) -> f64) -> Interval {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut xs: Vec<f64> = (0..draws.max(1)).map(|_| f(&mut rng)).collect();
    xs.sort_by(f64::total_cmp);
    let q = |p: f64| crate::measure::stats::quantile(&xs, p);
    Interval {
        p5: q(0.05),
        p50: q(0.5),
        p95: q(0.95),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_distribution_hits_its_quantiles() {
        let d = Dist::Quantiles {
            values: vec![0.17, 0.30, 0.38, 0.50, 0.60],
        };
        assert_eq!(d.inverse_cdf(0.0), 0.17);
        assert_eq!(d.inverse_cdf(0.25), 0.30);
        assert_eq!(d.median(), 0.38);
        assert_eq!(d.inverse_cdf(0.75), 0.50);
        assert_eq!(d.inverse_cdf(1.0), 0.60);
        // By hand: p5 = 0.17 + 0.2 x (0.30 - 0.17) = 0.196, p95 = 0.50 + 0.8 x 0.10 = 0.58.
        let i = propagate(20_000, 1, |r| d.sample(r));
        assert!((i.p5 - 0.196).abs() < 0.003, "{i:?}");
        assert!((i.p50 - 0.38).abs() < 0.003, "{i:?}");
        assert!((i.p95 - 0.58).abs() < 0.003, "{i:?}");
    }

    #[test]
    fn a_log_normal_factor_has_its_median_and_its_normal_percentiles() {
        let d = Dist::LogNormal {
            median: 1.0,
            sigma: 0.2,
        };
        assert_eq!(d.median(), 1.0);
        assert_eq!(d.inverse_cdf(0.0), 0.0);
        assert_eq!(d.inverse_cdf(1.0), f64::INFINITY);
        // The 95th percentile of a standard normal is 1.6449: exp(0.2 x 1.6449) = 1.3895.
        assert!((d.inverse_cdf(0.95) - 1.3895).abs() < 1e-4);
        let i = propagate(40_000, 1, |r| d.sample(r));
        assert!((i.p5 - 1.0 / 1.3895).abs() < 0.01, "{i:?}");
        assert!((i.p50 - 1.0).abs() < 0.01, "{i:?}");
        assert!((i.p95 - 1.3895).abs() < 0.01, "{i:?}");
    }

    #[test]
    fn fixed_values_have_no_spread() {
        let d = Dist::Fixed { value: 0.33 };
        let i = propagate(100, 1, |r| d.sample(r));
        assert_eq!((i.p5, i.p50, i.p95), (0.33, 0.33, 0.33));
    }

    #[test]
    fn decreasing_maps_keep_the_interval_ordered() {
        let i = Interval {
            p5: 0.2,
            p50: 0.4,
            p95: 0.6,
        }
        .map(|u| 1.0 / u);
        // The ends swap: 1 / 0.6 becomes the low end, 1 / 0.2 the high one.
        assert_eq!((i.p5, i.p50, i.p95), (1.0 / 0.6, 1.0 / 0.4, 1.0 / 0.2));
    }
}
