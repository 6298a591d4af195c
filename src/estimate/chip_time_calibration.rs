//! How far the chip-time fit misses runs it has not seen, measured where it can be: the sets of
//! data/priors/chip_time.csv were gathered one after another, each under a rule written before
//! anyone looked, so each later set predicted by the fit to the sets before it is a test on
//! unseen runs. Those tests missed more than the fit's own residual says, and not the same way
//! from set to set: the early sets' runs did less of the peak than the runs already in hand,
//! the later ones mostly more. The calibration takes the conformal quantile (Vovk et al. 2005;
//! Lei et al. 2018) of those rolling-origin errors about a center: the center is the shift, and
//! the quantile the half-width of the interval of a new run. The sets are not exchangeable, so
//! both follow the record as it comes, walking through the sets in order:
//! - the level, as adaptive conformal inference does under distribution shift (Gibbs and
//!   Candes, NeurIPS 2021): each run the interval of the sets before missed raises it, each it
//!   held lowers it, by a step of 0.01 against the 10% target (read at a fixed 90%, the
//!   intervals held 104 of the later sets' 125 runs);
//! - the center, as quantile tracking does (Angelopoulos, Candes and Tibshirani, NeurIPS 2023):
//!   each error above it raises it and each below lowers it by 0.03 in ln units (centered
//!   instead on the median of all the errors before, the medians of sets 6-13 sat below the
//!   runs' 6ND in seven of eight).
//!
//! The steps are choices (the level's made after the eleventh set was seen, the center's after
//! the thirteenth; the fourteenth, gathered after both, held 13 of 13 at a median of 1.116),
//! and the fit used is then refitted on all the runs, so this is conformal in spirit, without a
//! coverage guarantee.

use super::chip_time_fit::{EvidenceRun, Fit};
use crate::measure::stats::median_of;

/// The out-of-sample errors of the fit, summed up: a new run's ln utilization is predicted as
/// the fit's mean less `shift`, within +- `half_width` at the level the earlier sets' record
/// calls for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// The center of (predicted - actual) ln utilization over the later sets' runs, tracked
    /// through them in order (`Center`).
    pub shift: f64,
    /// The conformal quantile of |error - shift| at `level`.
    pub half_width: f64,
    /// The conformal level, 0.9 adapted to how each set's interval held the next set's runs.
    pub level: f64,
    /// How many out-of-sample predictions these come from (0: no later set, no calibration).
    pub predictions: usize,
    /// Of the runs predicted by a calibration from the sets before them, how many its interval
    /// held, and of how many.
    pub held: usize,
    pub tested: usize,
}

/// The share of runs a 90% interval may miss, and the step by which each miss or hold moves the
/// level (Gibbs and Candes's gamma; theirs was 0.005 for thousands of points, ours are ~100).
const TARGET_MISS: f64 = 0.1;
const STEP: f64 = 0.01;

/// Where the interval of a set is centered: the median of all the errors before it, or a median
/// tracked run by run, each error above it raising it and each below lowering it by a step in
/// ln units (quantile tracking, Angelopoulos, Candes and Tibshirani, "Conformal PID Control for
/// Time Series Prediction", NeurIPS 2023), so that it follows where the later sets lie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Center {
    /// The rule until 434af98, kept for the comparison the README reports (its tests walk it).
    #[cfg_attr(not(test), allow(dead_code))]
    Median,
    Tracked(f64),
}

/// The center the calibration uses: tracked, 0.03 in ln units per run (about 3% of the
/// prediction; a choice, made after the thirteenth set was seen).
const CENTER: Center = Center::Tracked(0.03);

/// The median of errors the walk holds (never none: every set predicted has runs).
fn median(errors: &[f64]) -> f64 {
    median_of(errors.iter().copied()).unwrap_or(f64::NAN)
}

/// -1, 0 or 1: an error on the center moves it neither way.
fn sign(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x.signum()
    }
}

impl Calibration {
    /// No calibration: the fit as it is.
    pub const NONE: Calibration = Calibration {
        shift: 0.0,
        half_width: 0.0,
        level: 1.0 - TARGET_MISS,
        predictions: 0,
        held: 0,
        tested: 0,
    };

    /// The calibration of the fit (with or without the parameter count) on its errors.
    pub fn of(runs: &[EvidenceRun], with_params: bool) -> Calibration {
        Self::adapted(&Self::errors_by_set(runs, with_params), STEP, CENTER)
    }

    /// The errors of each set after the first, predicted by the fit (with or without the
    /// parameter count) to the sets before it, set by set in order.
    pub fn errors_by_set(runs: &[EvidenceRun], with_params: bool) -> Vec<Vec<f64>> {
        let mut sets: Vec<u32> = runs.iter().map(|r| r.set).collect();
        sets.sort_unstable();
        sets.dedup();
        // A fit needs more runs than coefficients (the intercept and the covariates) to have a
        // residual: later sets are predicted once the earlier ones hold that many.
        let coefficients = 1 + runs.first().map_or(0, |r| r.covariates(with_params).len());
        sets.iter()
            .filter_map(|&set| {
                let earlier: Vec<EvidenceRun> =
                    runs.iter().filter(|r| r.set < set).cloned().collect();
                (earlier.len() > coefficients).then_some((set, earlier))
            })
            .map(|(set, earlier)| {
                let fit = Fit::new(&earlier, with_params);
                runs.iter()
                    .filter(|r| r.set == set)
                    .map(|r| {
                        let (x, _) = fit.clamp(&r.covariates(with_params));
                        fit.predict(&x).mean - r.ln_utilization
                    })
                    .collect()
            })
            .collect()
    }

    /// The center each set after the first is checked against, in order, and the center after
    /// the last: the median of all the errors before, or the median tracked run by run from the
    /// first set's.
    pub fn centers(errors_by_set: &[Vec<f64>], center: Center) -> (Vec<f64>, f64) {
        let Some((first, later)) = errors_by_set.split_first() else {
            return (Vec::new(), f64::NAN);
        };
        let mut seen = first.clone();
        let mut tracked = median(first);
        let now = |seen: &[f64], tracked: f64| match center {
            Center::Median => median(seen),
            Center::Tracked(_) => tracked,
        };
        let mut before = Vec::new();
        for errors in later {
            before.push(now(&seen, tracked));
            if let Center::Tracked(eta) = center {
                for e in errors {
                    tracked += eta * sign(e - tracked);
                }
            }
            seen.extend(errors);
        }
        (before, now(&seen, tracked))
    }

    /// The errors of each set in order: each set after the first is checked against the
    /// calibration of the sets before it, about its center (`centers`) at the level reached so
    /// far, which each miss raises and each hold lowers by `step` (0: the level stays 0.9); the
    /// calibration of all the errors about the last center at the final level.
    pub fn adapted(errors_by_set: &[Vec<f64>], step: f64, center: Center) -> Calibration {
        let Some((first, later)) = errors_by_set.split_first() else {
            return Self::NONE;
        };
        let (before, last) = Self::centers(errors_by_set, center);
        let mut miss_rate = TARGET_MISS;
        let mut seen: Vec<f64> = first.clone();
        let (mut held, mut tested) = (0, 0);
        for (errors, at) in later.iter().zip(before) {
            let half = Self::about(&seen, at, 1.0 - miss_rate).half_width;
            for e in errors {
                let missed = (e - at).abs() > half;
                held += usize::from(!missed);
                tested += 1;
                miss_rate += step * (TARGET_MISS - f64::from(u8::from(missed)));
            }
            seen.extend(errors);
        }
        Calibration {
            held,
            tested,
            ..Self::about(&seen, last, 1.0 - miss_rate)
        }
    }

    /// The median of the errors and the conformal quantile about it at `level`.
    #[cfg(test)]
    fn at_level(errors: Vec<f64>, level: f64) -> Calibration {
        let center = median(&errors);
        Self::about(&errors, center, level)
    }

    /// The conformal quantile about `center` at `level` (clamped to 0.5-1): the
    /// ceil(level (n + 1))-th smallest distance, the largest where n is too small for that rank.
    fn about(errors: &[f64], center: f64, level: f64) -> Calibration {
        if errors.is_empty() {
            return Self::NONE;
        }
        let level = level.clamp(0.5, 1.0);
        let n = errors.len();
        let mut distances: Vec<f64> = errors.iter().map(|e| (e - center).abs()).collect();
        distances.sort_by(f64::total_cmp);
        // Less a hair: the level is a sum of steps, whose rounding may put level x (n + 1) a
        // hair above the whole number it is.
        let rank = ((level * (n + 1) as f64 - 1e-9).ceil() as usize).clamp(1, n);
        Calibration {
            shift: center,
            half_width: distances[rank - 1],
            level,
            predictions: n,
            held: 0,
            tested: 0,
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
        let c = Calibration::at_level((0..20).map(f64::from).collect(), 0.9);
        assert_eq!((c.shift, c.half_width, c.predictions), (9.5, 9.5, 20));
        // Nineteen errors 0..=18 around 9: rank ceil(0.9 x 20) = 18 of 19 is 9.
        let c = Calibration::at_level((0..19).map(f64::from).collect(), 0.9);
        assert_eq!((c.shift, c.half_width), (9.0, 9.0));
        // Nine errors: rank ceil(9) = 9, the largest distance.
        let c = Calibration::at_level(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 20.0], 0.9);
        assert_eq!((c.shift, c.half_width), (4.0, 16.0));
        assert_eq!(Calibration::at_level(vec![], 0.9), Calibration::NONE);
        // A level a hair above 0.9, as a sum of steps may leave it: still rank 18 of 19 (9), not
        // rank 19 (the outlier's 91).
        let mut errors: Vec<f64> = (0..18).map(f64::from).collect();
        errors.push(100.0);
        let c = Calibration::at_level(errors, 0.9 + 1e-12);
        assert_eq!((c.shift, c.half_width), (9.0, 9.0));
    }

    #[test]
    fn each_later_miss_raises_the_level_and_each_hold_lowers_it() {
        // Twenty errors 0..19, then a set of two far outside (both missed: the level rises
        // 0.01 x 0.9 each), then a set of ten at the median (all held: it falls 0.01 x 0.1 each).
        let first: Vec<f64> = (0..20).map(f64::from).collect();
        let c = Calibration::adapted(&[first.clone(), vec![100.0, -100.0]], STEP, Center::Median);
        assert_eq!((c.held, c.tested, c.predictions), (0, 2, 22));
        assert!((c.level - 0.918).abs() < 1e-12, "{c:?}");
        let c = Calibration::adapted(
            &[first, vec![100.0, -100.0], vec![9.5; 10]],
            STEP,
            Center::Median,
        );
        assert_eq!((c.held, c.tested), (10, 12));
        assert!((c.level - 0.908).abs() < 1e-12, "{c:?}");
        // One set alone tests nothing: the level stays 0.9.
        let c = Calibration::adapted(&[vec![1.0, 2.0, 3.0]], STEP, CENTER);
        assert_eq!((c.level, c.tested), (0.9, 0));
    }

    #[test]
    fn a_tracked_center_follows_later_sets_a_step_per_run() {
        // Ten errors at 0, then ten at 1: the tracked center starts at 0 and rises 0.03 for each
        // of the ten; the median of all twenty would sit at 0.5.
        let sets = [vec![0.0; 10], vec![1.0; 10]];
        let c = Calibration::adapted(&sets, 0.0, Center::Tracked(0.03));
        assert!((c.shift - 0.3).abs() < 1e-12, "{c:?}");
        // Its half-width is about that center: distances 0.3 (ten) and 0.7 (ten).
        assert!((c.half_width - 0.7).abs() < 1e-12, "{c:?}");
        assert_eq!(Calibration::adapted(&sets, 0.0, Center::Median).shift, 0.5);
        // An error on the center moves it neither way.
        let c = Calibration::adapted(&[vec![0.0; 3], vec![0.0; 5]], 0.0, CENTER);
        assert_eq!(c.shift, 0.0);
    }
}
