//! How much to trust one measured rate: the 95% interval of its median from the samples kept,
//! and whether it settled (the warm-up reached a stable rate, and sampling stopped because the
//! interval was narrow enough rather than because --max-time was spent). Shown beside every
//! median, so a 28% that could as well be 48% is seen as such.

use serde::Serialize;

use crate::measure::stats::median_rel_spread;
use crate::results::{Run, StopReason};

/// The mark beside a rate that did not settle, and what it means.
pub const UNSETTLED_MARK: &str = "*";
pub const UNSETTLED_NOTE: &str = "* not settled: the rate was still changing at the end of the warm-up, or the 95% interval did not narrow to --target-spread before --max-time; measure again, longer, before trusting it.";

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Noise {
    /// Half-width of the ~95% interval of the median over the median (1.57 IQR / sqrt(n)),
    /// infinite with fewer than 2 samples.
    pub ci95: f64,
    pub warmup_stable: bool,
    /// Sampling stopped because `ci95` reached the target.
    pub converged: bool,
}

impl Noise {
    pub fn of(run: &Run) -> Noise {
        Noise {
            ci95: median_rel_spread(&run.samples),
            warmup_stable: run.warmup.stable,
            converged: run.stop_reason == StopReason::Converged,
        }
    }

    pub fn settled(&self) -> bool {
        self.warmup_stable && self.converged
    }

    /// "±0.41%", with the unsettled mark where it did not settle; "-" with too few samples.
    pub fn cell(&self) -> String {
        let mark = if self.settled() { "" } else { UNSETTLED_MARK };
        if self.ci95.is_finite() {
            format!("±{}{mark}", crate::output::percent(self.ci95))
        } else {
            format!("-{mark}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_settling_come_from_the_run() {
        let doc = crate::report::fixtures::dev_vm();
        let settled = Noise::of(&doc.runs[0]);
        assert!(settled.settled() && settled.ci95 > 0.0 && settled.ci95 < 0.05);
        assert!(settled.cell().starts_with('±') && !settled.cell().ends_with('*'));
        // wgpu:0 naive f32 512: the warm-up never settled.
        let unsettled = Noise::of(&doc.runs[1]);
        assert!(!unsettled.settled() && unsettled.cell().ends_with('*'));
        let mut run = doc.runs[0].clone();
        run.stop_reason = StopReason::TimeBudget;
        assert!(Noise::of(&run).cell().ends_with('*'));
        run.samples.truncate(1);
        assert_eq!(Noise::of(&run).cell(), "-*");
    }
}
