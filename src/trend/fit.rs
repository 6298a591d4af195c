//! Ordinary least squares of log2(compute) against date: the doubling time with a 95%
//! confidence interval (Student's t on the slope), and the growth over the window.
//! A fit needs `MIN_RUNS` runs on at least two dates: with two, the interval is undefined.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// Doublings per year (slope of log2 pfs-days against years).
    pub slope_per_year: f64,
    pub intercept: f64,
    pub doubling_months: f64,
    /// 95% interval of the doubling time, months (upper is infinite if growth is not certain).
    pub doubling_months_ci: [f64; 2],
    /// Compute growth factor per year (2 ^ slope).
    pub growth_per_year: f64,
    /// Compute growth factor from the first to the last point of the fit.
    pub growth_factor: f64,
    pub points: usize,
    pub r_squared: f64,
}

/// The fewest runs a fit is made from.
pub const MIN_RUNS: usize = 3;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("not enough runs to fit ({runs}; a fit needs {MIN_RUNS})")]
    TooFew { runs: usize },
    #[error("not enough runs to fit (all {runs} on one date)")]
    OneDate { runs: usize },
}

/// Fits log2(y) = a + b x over at least `MIN_RUNS` points on two or more dates.
pub fn fit(xs: &[f64], ys: &[f64]) -> Result<Fit, FitError> {
    let n = xs.len();
    if n < MIN_RUNS {
        return Err(FitError::TooFew { runs: n });
    }
    let ly: Vec<f64> = ys.iter().map(|y| y.log2()).collect();
    let mx = xs.iter().sum::<f64>() / n as f64;
    let my = ly.iter().sum::<f64>() / n as f64;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx == 0.0 {
        return Err(FitError::OneDate { runs: n });
    }
    let sxy: f64 = xs.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let b = sxy / sxx;
    let a = my - b * mx;
    let sse: f64 = xs
        .iter()
        .zip(&ly)
        .map(|(x, y)| (y - a - b * x).powi(2))
        .sum();
    let sst: f64 = ly.iter().map(|y| (y - my).powi(2)).sum();
    let se = (sse / (n - 2) as f64 / sxx).sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 2) as f64)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(f64::INFINITY);
    let (lo, hi) = (b - t * se, b + t * se);
    let months = |slope: f64| {
        if slope > 0.0 {
            12.0 / slope
        } else {
            f64::INFINITY
        }
    };
    let span = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        - xs.iter().cloned().fold(f64::INFINITY, f64::min);
    Ok(Fit {
        slope_per_year: b,
        intercept: a,
        doubling_months: months(b),
        doubling_months_ci: [months(hi), months(lo)],
        growth_per_year: 2f64.powf(b),
        growth_factor: 2f64.powf(b * span),
        points: n,
        r_squared: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_exponential_growth_is_recovered() {
        // Doubling every 6 months: log2 grows by 2 a year.
        let xs: Vec<f64> = (0..10).map(|i| 2012.0 + i as f64 * 0.5).collect();
        let ys: Vec<f64> = xs
            .iter()
            .map(|x| 2f64.powf(2.0 * (x - 2012.0)) * 0.01)
            .collect();
        let f = fit(&xs, &ys).unwrap();
        assert!((f.doubling_months - 6.0).abs() < 1e-9, "{f:?}");
        assert!((f.growth_factor - 2f64.powf(9.0)).abs() < 1e-6);
        assert!((f.r_squared - 1.0).abs() < 1e-12);
    }

    #[test]
    fn noisy_data_gets_an_interval_around_the_estimate() {
        let xs: Vec<f64> = (0..12).map(|i| 2012.0 + i as f64 * 0.5).collect();
        let ys: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| 2f64.powf(3.0 * (x - 2012.0) + if i % 2 == 0 { 1.0 } else { -1.0 }))
            .collect();
        let f = fit(&xs, &ys).unwrap();
        let [lo, hi] = f.doubling_months_ci;
        assert!(lo < f.doubling_months && f.doubling_months < hi, "{f:?}");
    }

    #[test]
    fn too_few_points_is_an_error() {
        assert_eq!(
            fit(&[2012.0, 2013.0], &[1.0, 2.0]).unwrap_err(),
            FitError::TooFew { runs: 2 }
        );
        let e = fit(&[2012.0; 3], &[1.0, 2.0, 3.0]).unwrap_err();
        assert_eq!(e, FitError::OneDate { runs: 3 });
        assert!(e.to_string().starts_with("not enough runs to fit"));
    }
}
