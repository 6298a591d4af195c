//! Axes people can read: linear unless the values span more than 10x, bounds on round numbers,
//! at least 4 ticks written as plain numbers (0.1, 0.2, 0.5 ... 1000, 2000; 1e-5 and 1e7 only
//! far from 1), and a mapping from values to pixels.

/// How values are laid along an axis, between two bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear { lo: f64, hi: f64 },
    Log { lo: f64, hi: f64 },
}

/// An axis: its scale and where its ticks go.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub scale: Scale,
    pub ticks: Vec<f64>,
}

/// Ratio beyond which a log axis is used.
pub const LOG_ABOVE: f64 = 10.0;
/// Fewest ticks an axis shows.
pub const MIN_TICKS: usize = 4;
/// Most decades a log axis spans (plotted ranges stay finite whatever the data).
const MAX_DECADES: f64 = 40.0;

/// Round steps between ticks, per decade; whole units (years) skip 2.5.
const STEPS: &[f64] = &[1.0, 2.0, 2.5, 5.0];
const WHOLE_STEPS: &[f64] = &[1.0, 2.0, 5.0];
/// Most ticks a linear axis shows (a step half as large would give more than this).
const MAX_TICKS: f64 = 8.0;

fn finite_positive(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect()
}

impl Axis {
    /// An axis for positive values: log when they span more than 10x, else linear from zero
    /// (`from_zero`) or from a round number below the smallest.
    pub fn for_values(values: &[f64], from_zero: bool) -> Axis {
        let v = finite_positive(values);
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        if v.is_empty() {
            return Axis::linear(0.0, 1.0);
        }
        if hi / lo > LOG_ABOVE {
            Axis::log(lo, hi)
        } else if from_zero {
            Axis::linear(0.0, hi)
        } else {
            Axis::linear(lo, hi)
        }
    }

    /// A linear axis over at least [lo, hi], widened to round bounds, with 4 to 8 ticks.
    pub fn linear(lo: f64, hi: f64) -> Axis {
        Axis::linear_in(lo, hi, STEPS)
    }

    /// A linear axis of years: whole-year ticks.
    pub fn years(lo: f64, hi: f64) -> Axis {
        Axis::linear_in(lo, hi, WHOLE_STEPS)
    }

    fn linear_in(lo: f64, hi: f64, steps: &[f64]) -> Axis {
        let (mut lo, mut hi) = (lo.min(hi), lo.max(hi));
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo <= hi.abs().max(lo.abs()) * 1e-9 {
            // One value: a window around it.
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.2 };
            (lo, hi) = (lo - pad, hi + pad);
            if lo < 0.0 && hi > 0.0 && (lo + pad) >= 0.0 {
                lo = 0.0;
            }
        }
        let step = linear_step(hi - lo, steps).max(if steps == WHOLE_STEPS { 1.0 } else { 0.0 });
        let start = (lo / step).floor();
        let end = (hi / step).ceil();
        let ticks: Vec<f64> = (0..=((end - start) as usize))
            .map(|i| tidy((start + i as f64) * step))
            .collect();
        Axis {
            scale: Scale::Linear {
                lo: ticks[0],
                hi: *ticks.last().expect("at least one tick"),
            },
            ticks,
        }
    }

    /// A log axis over at least [lo, hi] (positive), widened to ticks: 1-2-5 within a few
    /// decades, powers of ten (every 2nd, 3rd ...) over many.
    pub fn log(lo: f64, hi: f64) -> Axis {
        let ok = |v: f64| (1e-300..=1e300).contains(&v);
        let (lo, hi) = match (ok(lo), ok(hi)) {
            (true, true) => (lo.min(hi), lo.max(hi)),
            (true, false) => (lo, lo),
            (false, true) => (hi, hi),
            (false, false) => (1.0, 1.0),
        };
        let (mut a, mut b) = (lo.log10(), hi.log10());
        if b - a > MAX_DECADES {
            a = b - MAX_DECADES;
        }
        if b - a < 1e-9 {
            (a, b) = (a - 0.5, b + 0.5);
        }
        let decades = b - a;
        let mantissas: &[f64] = if decades <= 1.5 {
            &[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0]
        } else if decades <= 3.5 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let every = ((decades / 10.0).ceil() as i32).max(1);
        let (d0, d1) = (a.floor() as i32 - every, b.ceil() as i32 + every);
        let mut all = Vec::new();
        // Powers of ten on multiples of `every`, so 1 is a tick whenever it is in range.
        for d in (d0..=d1).filter(|d| d.rem_euclid(every) == 0) {
            for m in mantissas {
                all.push(tidy(m * 10f64.powi(d)));
            }
        }
        // The ticks just outside [lo, hi] become the bounds (lo raised to the decades kept).
        let lo = lo.max(10f64.powf(a));
        let first = all
            .iter()
            .rposition(|t| *t <= lo * (1.0 + 1e-9))
            .unwrap_or(0);
        let last = all
            .iter()
            .position(|t| *t >= hi * (1.0 - 1e-9))
            .unwrap_or(all.len() - 1);
        let mut ticks = all[first..=last].to_vec();
        if ticks.len() < MIN_TICKS {
            // Widen by whole ticks on both sides.
            let lo_i = first.saturating_sub(MIN_TICKS);
            let hi_i = (last + MIN_TICKS).min(all.len() - 1);
            ticks = all[lo_i..=hi_i].to_vec();
        }
        Axis {
            scale: Scale::Log {
                lo: ticks[0],
                hi: *ticks.last().expect("at least one tick"),
            },
            ticks,
        }
    }

    /// Where `v` falls between the bounds: 0 at the low end, 1 at the high end.
    pub fn fraction(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear { lo, hi } => (v - lo) / (hi - lo),
            Scale::Log { lo, hi } => {
                (v.max(f64::MIN_POSITIVE).log10() - lo.log10()) / (hi.log10() - lo.log10())
            }
        }
    }

    pub fn is_log(&self) -> bool {
        matches!(self.scale, Scale::Log { .. })
    }

    pub fn bounds(&self) -> (f64, f64) {
        match self.scale {
            Scale::Linear { lo, hi } | Scale::Log { lo, hi } => (lo, hi),
        }
    }
}

/// The smallest round step giving at most 8 ticks over `span` (so at least 4: the next
/// smaller step, at most twice as fine, gave more than 8).
fn linear_step(span: f64, steps: &[f64]) -> f64 {
    let span = if span > 0.0 && span.is_finite() {
        span
    } else {
        1.0
    };
    let decade = 10f64.powf((span / MIN_TICKS as f64).log10().floor() - 1.0);
    let mut step = decade;
    'outer: for scale in [1.0, 10.0, 100.0] {
        for s in steps {
            step = s * decade * scale;
            if (span / step).ceil() + 1.0 <= MAX_TICKS {
                break 'outer;
            }
        }
    }
    step
}

/// `v` without the float noise of a computed tick (0.30000000000000004 -> 0.3).
fn tidy(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 12 - v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    (v * scale).round() / scale
}

/// A tick as people write it: 0.25, 1500, 0.001; 1e-5 and 2e7 far from 1.
pub fn label(v: f64) -> String {
    let v = tidy(v);
    if v == 0.0 {
        return "0".into();
    }
    if (1e-4..1e6).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A tick of a fraction axis as a percentage: 0%, 25%, 100%.
pub fn percent_label(v: f64) -> String {
    format!("{}%", label(v * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(a: &Axis) -> Vec<String> {
        a.ticks.iter().map(|t| label(*t)).collect()
    }

    #[test]
    fn narrow_ranges_are_linear_with_plain_ticks() {
        // 256 and 512: one octave, drawn linear.
        let a = Axis::for_values(&[256.0, 512.0], false);
        assert!(!a.is_log());
        assert!(a.ticks.len() >= MIN_TICKS, "{:?}", labels(&a));
        assert_eq!(
            labels(&a),
            ["250", "300", "350", "400", "450", "500", "550"]
        );
        // A 1.2x range of rates: linear from zero.
        let r = Axis::for_values(&[0.40, 0.48], true);
        assert_eq!(labels(&r), ["0", "0.1", "0.2", "0.3", "0.4", "0.5"]);
    }

    #[test]
    fn wide_ranges_are_log_with_1_2_5_ticks() {
        let a = Axis::for_values(&[0.0015, 0.47], true);
        assert!(a.is_log());
        let l = labels(&a);
        assert_eq!(l.first().unwrap(), "0.001");
        assert_eq!(l.last().unwrap(), "0.5");
        assert!(
            l.contains(&"0.002".into()) && l.contains(&"0.05".into()),
            "{l:?}"
        );
        let many = Axis::for_values(&[1e-5, 1e7], false);
        let l = labels(&many);
        assert!(l.len() >= MIN_TICKS && l.len() <= 14, "{l:?}");
        // 12 decades: every other power of ten, 1 among them.
        assert_eq!(
            l,
            ["1e-6", "0.0001", "0.01", "1", "100", "10000", "1e6", "1e8"]
        );
        // Far below 1e-12 too (the 1950s in pfs-days).
        let deep = Axis::log(8e-15, 5.4e6);
        let (lo, hi) = deep.bounds();
        assert!(lo <= 8e-15 && hi >= 5.4e6, "{lo} {hi}");
    }

    #[test]
    fn every_axis_has_four_ticks_and_covers_its_values() {
        for (lo, hi) in [
            (1.0, 1.0),
            (0.0, 0.0),
            (3.0, 3.3),
            (1e-9, 1e-9),
            (2012.0, 2025.5),
            (0.5, 1.15),
            (11.0, 130.0),
            (989.0, 995.0),
        ] {
            for axis in [
                Axis::linear(lo, hi),
                Axis::log(lo.max(1e-12), hi.max(1e-12)),
            ] {
                let (a, b) = axis.bounds();
                assert!(axis.ticks.len() >= MIN_TICKS, "{lo} {hi}: {:?}", axis.ticks);
                assert!(a <= lo.max(1e-12) + 1e-12 && b >= hi, "{lo} {hi}: {a} {b}");
                assert!(axis.fraction(a).abs() < 1e-9 && (axis.fraction(b) - 1.0).abs() < 1e-9);
            }
        }
        // Years: whole numbers.
        let y = Axis::years(2011.5, 2026.0);
        assert!(
            labels(&y).iter().all(|l| !l.contains('.')),
            "{:?}",
            labels(&y)
        );
    }

    #[test]
    fn hostile_values_still_give_a_finite_bounded_axis() {
        for (lo, hi) in [
            (0.0, 1.0),
            (5e-324, 1.0),
            (1.0, f64::INFINITY),
            (f64::NAN, f64::NAN),
            (-1.0, 5.0),
            (1e-300, 1e300),
            (3.0, 2.0),
        ] {
            let a = Axis::log(lo, hi);
            let (x, y) = a.bounds();
            assert!(
                x.is_finite() && y.is_finite() && x > 0.0 && x < y,
                "{lo} {hi}: {x} {y}"
            );
            assert!(
                (MIN_TICKS..=30).contains(&a.ticks.len()),
                "{lo} {hi}: {:?}",
                a.ticks
            );
            let l = Axis::linear(lo, hi);
            assert!(
                l.ticks.len() >= MIN_TICKS && l.ticks.len() <= 9,
                "{lo} {hi}: {:?}",
                l.ticks
            );
        }
    }

    #[test]
    fn labels_are_plain() {
        assert_eq!(label(0.1 + 0.2), "0.3");
        assert_eq!(label(2500.0), "2500");
        assert_eq!(label(1e-5), "1e-5");
        assert_eq!(label(2e7), "2e7");
        assert_eq!(percent_label(0.25), "25%");
    }
}
