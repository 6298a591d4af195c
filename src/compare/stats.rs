//! The shift between two samples with a distribution-free interval: the Hodges-Lehmann
//! estimate (the median of all pairwise differences x_i - y_j) and the Moses interval around
//! it from the Mann-Whitney (Wilcoxon rank-sum) distribution, by its normal approximation.
//! Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods*, 3rd ed. (2014), section
//! 4.3; the method of R's `wilcox.test(x, y, conf.int = TRUE)`. Applied to log times it gives
//! the ratio of speeds and its interval without assuming a distribution of the samples.
//!
//! The n*m differences are never formed: the k-th smallest is found by bisection on its
//! value, counting the differences below a value in O(n + m) on the sorted samples.

use statrs::distribution::{ContinuousCDF, Normal};

/// The estimated shift x - y and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Pairwise differences of two sorted samples, counted without forming them.
struct Differences<'a> {
    x: &'a [f64],
    y: &'a [f64],
}

impl Differences<'_> {
    fn total(&self) -> u64 {
        self.x.len() as u64 * self.y.len() as u64
    }

    /// How many x_i - y_j are at most `t`: for each x_i, the y_j >= x_i - t.
    fn count_at_most(&self, t: f64) -> u64 {
        let m = self.y.len();
        let mut j = 0;
        let mut count = 0u64;
        for xi in self.x {
            // y is sorted and x_i - t grows with i: the first y_j >= x_i - t only moves right.
            while j < m && self.y[j] < xi - t {
                j += 1;
            }
            count += (m - j) as u64;
        }
        count
    }

    /// The k-th smallest difference, 1-based.
    fn kth(&self, k: u64) -> f64 {
        let (x, y) = (self.x, self.y);
        let mut lo = x[0] - y[y.len() - 1];
        let mut hi = x[x.len() - 1] - y[0];
        if self.count_at_most(lo) >= k {
            return lo;
        }
        // Invariant: count(lo) < k <= count(hi).
        for _ in 0..200 {
            let mid = lo + (hi - lo) / 2.0;
            if mid <= lo || mid >= hi {
                break;
            }
            if self.count_at_most(mid) >= k {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

/// The Hodges-Lehmann shift of `x` over `y` and its `confidence` interval; None when either
/// sample is empty or not finite.
pub fn shift(x: &[f64], y: &[f64], confidence: f64) -> Option<Shift> {
    let sorted = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s
    };
    if x.is_empty() || y.is_empty() || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let (x, y) = (sorted(x), sorted(y));
    let d = Differences { x: &x, y: &y };
    let total = d.total();
    let estimate = if total % 2 == 1 {
        d.kth(total.div_ceil(2))
    } else {
        (d.kth(total / 2) + d.kth(total / 2 + 1)) / 2.0
    };
    let (n, m) = (x.len() as f64, y.len() as f64);
    let z = Normal::standard().inverse_cdf(0.5 + confidence.clamp(0.5, 0.999_999) / 2.0);
    let sigma = (n * m * (n + m + 1.0) / 12.0).sqrt();
    // The interval runs from the k-th to the (total + 1 - k)-th difference; with very few
    // samples k reaches 1 and the interval is every difference (a higher confidence).
    let k = ((total as f64 / 2.0 - z * sigma).floor() as u64).clamp(1, total.div_ceil(2));
    Some(Shift {
        estimate,
        lo: d.kth(k),
        hi: d.kth(total + 1 - k),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pairwise difference, sorted: the definition the fast path must agree with.
    fn brute(x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut d: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        d.sort_by(f64::total_cmp);
        d
    }

    #[test]
    fn order_statistics_match_the_definition() {
        let x = [3.1, 0.2, 5.5, 2.0, 2.0, 7.25];
        let y = [1.0, 4.5, 0.3, 2.0];
        let all = brute(&x, &y);
        let (xs, ys) = {
            let mut a = x.to_vec();
            let mut b = y.to_vec();
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            (a, b)
        };
        let d = Differences { x: &xs, y: &ys };
        for k in 1..=all.len() as u64 {
            let got = d.kth(k);
            assert!(
                (got - all[k as usize - 1]).abs() < 1e-12,
                "k {k}: {got} vs {}",
                all[k as usize - 1]
            );
        }
    }

    /// Hollander & Wolfe's depression scores as two samples of 9: the 81 differences, sorted
    /// by hand (python3: sorted(a - b for a in x for b in y)), have their 41st at 0.56; with
    /// sigma = sqrt(81 * 19 / 12) = 11.32 the 95% interval runs from the 18th (-0.37) to the
    /// 64th (1.183).
    #[test]
    // 3.14 is a depression score, not pi.
    #[allow(clippy::approx_constant)]
    fn the_estimate_is_the_median_of_the_differences() {
        let x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
        let y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
        let s = shift(&x, &y, 0.95).unwrap();
        assert!((s.estimate - 0.56).abs() < 1e-9, "{s:?}");
        assert!(
            (s.lo + 0.37).abs() < 1e-9 && (s.hi - 1.183).abs() < 1e-9,
            "{s:?}"
        );
        let all = brute(&x, &y);
        assert!((s.estimate - all[40]).abs() < 1e-12);
    }

    #[test]
    fn a_planted_shift_is_found_inside_its_interval() {
        let x: Vec<f64> = (0..400)
            .map(|i| 10.0 + ((i * 37) % 101) as f64 / 100.0)
            .collect();
        let y: Vec<f64> = x.iter().map(|v| v - 0.5).collect();
        let s = shift(&x, &y, 0.95).unwrap();
        assert!((s.estimate - 0.5).abs() < 1e-9, "{s:?}");
        assert!(s.lo <= 0.5 && s.hi >= 0.5 && s.hi - s.lo < 0.2, "{s:?}");
        let same = shift(&x, &x, 0.95).unwrap();
        assert!(same.lo < 0.0 && same.hi > 0.0 && same.estimate.abs() < 1e-9);
        assert!(shift(&[], &x, 0.95).is_none() && shift(&[f64::NAN], &x, 0.95).is_none());
        let tiny = shift(&[1.0, 2.0], &[1.5], 0.95).unwrap();
        assert!(
            (tiny.lo + 0.5).abs() < 1e-12 && (tiny.hi - 0.5).abs() < 1e-12,
            "{tiny:?}"
        );
    }
}
