//! How far the chip-time fit misses runs it has not seen, measured where it can be: the sets of
//! data/priors/chip_time.csv were gathered one after another, each under a rule written before
//! anyone looked, so each later set predicted by the fit to the sets before it is a test on
//! unseen runs. Those tests missed more, and more often high, than the fit's own residual says
//! (new runs mostly did less of the peak than the runs already in hand). The calibration takes
//! the conformal quantile (Vovk et al. 2005; Lei et al. 2018) of those rolling-origin errors:
//! the median error is the shift, and the 90% conformal quantile of the errors about it the
//! half-width of the interval of a new run. The fit used is then refitted on all the runs, so
//! this is conformal in spirit, without split conformal's coverage guarantee; and the sets are
//! not exchangeable (each round's sources differ), which the held-out rounds show.

use super::chip_time_fit::{EvidenceRun, Fit};
use crate::measure::stats::quantile;

/// The out-of-sample errors of the fit, summed up: a new run's ln utilization is predicted as
/// the fit's mean less `shift`, within +- `half_width` nine times in ten.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Median of (predicted - actual) ln utilization over the later sets' runs.
    pub shift: f64,
    /// The conformal 90% quantile of |error - shift|.
    pub half_width: f64,
    /// How many out-of-sample predictions these come from (0: no later set, no calibration).
    pub predictions: usize,
}

impl Calibration {
    /// No calibration: the fit as it is.
    pub const NONE: Calibration = Calibration {
        shift: 0.0,
        half_width: 0.0,
        predictions: 0,
    };

    /// The errors of each set after the first, predicted by the fit (with or without the
    /// parameter count) to the sets before it.
    pub fn of(runs: &[EvidenceRun], with_params: bool) -> Calibration {
        let mut sets: Vec<u32> = runs.iter().map(|r| r.set).collect();
        sets.sort_unstable();
        sets.dedup();
        // A fit needs more runs than coefficients (the intercept and the covariates) to have a
        // residual: later sets are predicted once the earlier ones hold that many.
        let coefficients = 1 + runs.first().map_or(0, |r| r.covariates(with_params).len());
        let errors: Vec<f64> = sets
            .iter()
            .filter_map(|&set| {
                let earlier: Vec<EvidenceRun> =
                    runs.iter().filter(|r| r.set < set).cloned().collect();
                (earlier.len() > coefficients).then_some((set, earlier))
            })
            .flat_map(|(set, earlier)| {
                let fit = Fit::new(&earlier, with_params);
                runs.iter().filter(move |r| r.set == set).map(move |r| {
                    let (x, _) = fit.clamp(&r.covariates(with_params));
                    fit.predict(&x).mean - r.ln_utilization
                })
            })
            .collect();
        Self::from_errors(errors)
    }

    /// The median of the errors and the conformal 90% quantile about it: the
    /// ceil(0.9 (n + 1))-th smallest distance, the largest where n is too small for that rank.
    pub fn from_errors(mut errors: Vec<f64>) -> Calibration {
        if errors.is_empty() {
            return Self::NONE;
        }
        errors.sort_by(f64::total_cmp);
        let n = errors.len();
        let shift = quantile(&errors, 0.5);
        let mut distances: Vec<f64> = errors.iter().map(|e| (e - shift).abs()).collect();
        distances.sort_by(f64::total_cmp);
        let rank = (9 * (n + 1)).div_ceil(10).min(n);
        Calibration {
            shift,
            half_width: distances[rank - 1],
            predictions: n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(set: u32, ln_params: f64, ln_utilization: f64) -> EvidenceRun {
        EvidenceRun {
            run: String::new(),
            set,
            ln_params,
            ln_peak: 6.0 + ln_params / 10.0,
            ln_utilization,
        }
    }

    #[test]
    fn a_later_set_lower_than_the_first_shows_as_the_shift() {
        // Set 1 lies on u = -1 + 0.1 ln N (ln peak varies apart from ln N); set 2 lies 0.5 below
        // it, so each of its runs is predicted 0.5 too high.
        let mut runs: Vec<EvidenceRun> = (0..8)
            .map(|i| {
                let n = 19.0 + i as f64;
                let p = if i % 2 == 0 { 6.0 } else { 7.0 };
                EvidenceRun {
                    ln_peak: p,
                    ..run(1, n, -1.0 + 0.1 * n)
                }
            })
            .collect();
        runs.extend((0..5).map(|i| {
            let n = 20.0 + i as f64;
            EvidenceRun {
                ln_peak: 6.5,
                ..run(2, n, -1.5 + 0.1 * n)
            }
        }));
        let c = Calibration::of(&runs, true);
        assert_eq!(c.predictions, 5);
        assert!((c.shift - 0.5).abs() < 1e-9, "{c:?}");
        assert!(c.half_width < 1e-9, "{c:?}");
    }

    #[test]
    fn one_set_has_nothing_to_calibrate_with() {
        let runs: Vec<EvidenceRun> = (0..6).map(|i| run(1, 20.0 + i as f64, -1.0)).collect();
        assert_eq!(Calibration::of(&runs, true), Calibration::NONE);
        // A first set too small to fit (3 runs, 3 coefficients) predicts nothing either.
        let mut runs: Vec<EvidenceRun> = (0..3).map(|i| run(1, 20.0 + i as f64, -1.0)).collect();
        runs.extend((0..4).map(|i| run(2, 20.0 + i as f64, -1.0)));
        assert_eq!(Calibration::of(&runs, true), Calibration::NONE);
    }

    #[test]
    fn the_half_width_is_the_conformal_rank_of_the_distances() {
        // Errors 0..=19 around median 9.5: distances 0.5 (twice) .. 9.5 (twice); rank
        // ceil(0.9 x 21) = 19 of 20 is 9.5.
        let c = Calibration::from_errors((0..20).map(f64::from).collect());
        assert_eq!((c.shift, c.half_width, c.predictions), (9.5, 9.5, 20));
        // Nine errors: rank ceil(9) = 9, the largest distance.
        let c = Calibration::from_errors(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 20.0]);
        assert_eq!((c.shift, c.half_width), (4.0, 16.0));
        assert_eq!(Calibration::from_errors(vec![]), Calibration::NONE);
    }
}
