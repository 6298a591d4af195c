//! Summary statistics of timing samples.

use crate::results::Stats;

/// Linear-interpolated quantile of sorted data (q in [0, 1]).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// The median of `values`; None when there are none.
pub fn median_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(quantile(&v, 0.5))
}

pub fn summarize(samples: &[f64]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return Stats::default();
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let stdev = if n > 1 {
        (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Stats {
        count: n,
        median: quantile(&sorted, 0.5),
        mean,
        min: sorted[0],
        max: sorted[n - 1],
        p25: quantile(&sorted, 0.25),
        p75: quantile(&sorted, 0.75),
        stdev,
    }
}

/// Relative half-width of the ~95% confidence interval of the median, from the interquartile
/// range (McGill et al.'s notch: 1.57 IQR / sqrt(n)). Robust to the outliers GPU timings have.
pub fn median_rel_spread(samples: &[f64]) -> f64 {
    if samples.len() < 2 {
        return f64::INFINITY;
    }
    let s = summarize(samples);
    if s.median <= 0.0 {
        return f64::INFINITY;
    }
    1.57 * (s.p75 - s.p25) / (samples.len() as f64).sqrt() / s.median
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_data() {
        let s = summarize(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(s.count, 5);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 5.0);
        assert_eq!(s.p25, 2.0);
        assert_eq!(s.p75, 4.0);
        assert!((s.stdev - 2.5f64.sqrt()).abs() < 1e-12);
        let even = summarize(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(even.median, 2.5);
        assert_eq!(even.p25, 1.75);
    }

    #[test]
    fn empty_and_single_samples() {
        assert_eq!(summarize(&[]).count, 0);
        let one = summarize(&[2.0]);
        assert_eq!((one.median, one.stdev, one.p25), (2.0, 0.0, 2.0));
        assert!(median_rel_spread(&[1.0]).is_infinite());
    }

    #[test]
    fn spread_shrinks_with_more_samples_and_ignores_outliers() {
        let base: Vec<f64> = (0..20).map(|i| 1.0 + 0.01 * (i % 5) as f64).collect();
        let more: Vec<f64> = base.iter().cycle().take(80).copied().collect();
        assert!(median_rel_spread(&more) < median_rel_spread(&base));
        let mut outlier = more.clone();
        outlier[0] = 100.0;
        assert!(median_rel_spread(&outlier) < 2.0 * median_rel_spread(&more));
    }
}
