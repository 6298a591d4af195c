//! Warm-up by time until the rate is stable, then sampling until the median is known well
//! enough or the time budget is spent. Every sample is kept.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::results::{StopReason, Warmup};

use super::stats::{median_rel_spread, summarize};

/// Time budgets and the stopping rule.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Minimum warm-up, seconds; it goes on (up to 3x) until the rate settles.
    pub warmup_s: f64,
    /// Sample at least this long...
    pub min_time_s: f64,
    /// ...and at most this long.
    pub max_time_s: f64,
    /// Stop when the relative half-width of the median's confidence interval is below this.
    pub target_rel_spread: f64,
    /// Never stop with fewer samples than this (unless the time budget runs out).
    pub min_samples: usize,
}

impl Budget {
    /// The defaults of `flopmeter bench` (its --warmup, --min-time, --max-time and
    /// --target-spread show these).
    pub const DEFAULT: Budget = Budget {
        warmup_s: 0.3,
        min_time_s: 0.3,
        max_time_s: 2.0,
        target_rel_spread: 0.01,
        min_samples: 10,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// Something that can be timed: one call runs one GEMM iteration and returns its device time
/// in seconds. Implementations may run several iterations per call and return them all.
pub trait Timed {
    fn run(&mut self) -> Result<Vec<f64>, String>;
}

#[derive(Debug, Clone)]
pub struct Sampling {
    pub samples: Vec<f64>,
    pub warmup: Warmup,
    pub stop_reason: StopReason,
}

const WINDOW: usize = 5;

/// Rates of the last two windows agree within 2%.
fn settled(times: &[f64]) -> bool {
    if times.len() < 2 * WINDOW {
        return false;
    }
    let n = times.len();
    let last = summarize(&times[n - WINDOW..]).median;
    let before = summarize(&times[n - 2 * WINDOW..n - WINDOW]).median;
    (last - before).abs() <= 0.02 * before
}

/// Warms up, then samples. `stop` is set by Ctrl-C.
pub fn sample(
    timed: &mut dyn Timed,
    budget: &Budget,
    stop: &AtomicBool,
) -> Result<Sampling, String> {
    let origin = Instant::now();
    sample_with_clock(timed, budget, stop, &mut || origin.elapsed().as_secs_f64())
}

/// [`sample`] against a clock (seconds since any origin): the real one, or one a test drives,
/// so the warm-up and stopping rules are tested without sleeping.
pub fn sample_with_clock(
    timed: &mut dyn Timed,
    budget: &Budget,
    stop: &AtomicBool,
    clock: &mut dyn FnMut() -> f64,
) -> Result<Sampling, String> {
    let warmup = warm_up(timed, budget, stop, clock)?;
    let start = clock();
    let mut samples = Vec::new();
    let stop_reason = loop {
        if stop.load(Ordering::Relaxed) {
            break StopReason::Interrupted;
        }
        samples.extend(timed.run()?);
        let elapsed = clock() - start;
        if elapsed >= budget.min_time_s
            && samples.len() >= budget.min_samples
            && median_rel_spread(&samples) <= budget.target_rel_spread
        {
            break StopReason::Converged;
        }
        if elapsed >= budget.max_time_s {
            break StopReason::TimeBudget;
        }
    };
    Ok(Sampling {
        samples,
        warmup,
        stop_reason,
    })
}

/// Runs until the rate has settled (two windows agree) and the warm-up time is spent, or three
/// times that time has passed.
fn warm_up(
    timed: &mut dyn Timed,
    budget: &Budget,
    stop: &AtomicBool,
    clock: &mut dyn FnMut() -> f64,
) -> Result<Warmup, String> {
    let start = clock();
    let mut warm_times = Vec::new();
    let mut stable = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        warm_times.extend(timed.run()?);
        let elapsed = clock() - start;
        stable = settled(&warm_times);
        if elapsed >= budget.warmup_s {
            // Iterations slower than warmup_s / 10 cannot fill two windows: go on to sampling
            // rather than spend minutes warming up.
            let too_slow_to_judge = warm_times.len() < 2 * WINDOW;
            if stable || too_slow_to_judge || elapsed >= 3.0 * budget.warmup_s {
                break;
            }
        }
    }
    Ok(Warmup {
        seconds: clock() - start,
        iterations: warm_times.len(),
        stable,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    /// A fake device: each call returns the next time of a script and advances the test's
    /// clock by exactly that time, as a device with no launch overhead would.
    struct Scripted {
        times: Box<dyn FnMut(usize) -> f64>,
        calls: usize,
        now: Rc<Cell<f64>>,
    }

    impl Timed for Scripted {
        fn run(&mut self) -> Result<Vec<f64>, String> {
            self.calls += 1;
            let t = (self.times)(self.calls);
            self.now.set(self.now.get() + t);
            Ok(vec![t])
        }
    }

    fn scripted(times: impl FnMut(usize) -> f64 + 'static) -> Scripted {
        Scripted {
            times: Box::new(times),
            calls: 0,
            now: Rc::new(Cell::new(0.0)),
        }
    }

    fn run(t: &mut Scripted, budget: &Budget, stop: bool) -> Result<Sampling, String> {
        let now = t.now.clone();
        sample_with_clock(t, budget, &AtomicBool::new(stop), &mut || now.get())
    }

    fn budget() -> Budget {
        Budget {
            warmup_s: 0.02,
            min_time_s: 0.02,
            max_time_s: 0.3,
            target_rel_spread: 0.01,
            min_samples: 10,
        }
    }

    #[test]
    fn steady_timings_converge_once_min_time_and_min_samples_are_reached() {
        // 1 ms per iteration, within 0.2%: settled after two windows, converged at min_time.
        let mut t = scripted(|i| 1e-3 * (1.0 + 0.001 * (i % 3) as f64));
        let s = run(&mut t, &budget(), false).unwrap();
        assert_eq!(s.stop_reason, StopReason::Converged);
        assert!(s.warmup.stable);
        // Warm-up ends at the first iteration past 20 ms; sampling likewise 20 ms later.
        assert_eq!(s.warmup.iterations, 20);
        assert_eq!(s.samples.len(), 20);
    }

    #[test]
    fn noisy_timings_run_out_of_budget() {
        // Alternates between 1 and 2 ms: the median never settles to 1%.
        let mut t = scripted(|i| if i % 2 == 0 { 1e-3 } else { 2e-3 });
        let b = Budget {
            max_time_s: 0.05,
            ..budget()
        };
        let s = run(&mut t, &b, false).unwrap();
        assert_eq!(s.stop_reason, StopReason::TimeBudget);
        // 50 ms of 1.5 ms iterations on average, and not one more.
        let spent: f64 = s.samples.iter().sum();
        assert!((0.05..0.0525).contains(&spent), "{spent}");
    }

    #[test]
    fn warmup_waits_for_a_settled_rate() {
        // Cold start: the rate drifts from 2 ms to 1 ms over the first 40 iterations, then
        // holds. The warm-up time (30 ms) is spent after about 16 iterations; it must go on
        // until two windows of 5 agree within 2% (iteration 47), before its 90 ms cap.
        let mut t = scripted(|i| {
            if i < 40 {
                2e-3 - 2.5e-5 * i as f64
            } else {
                1e-3
            }
        });
        let b = Budget {
            warmup_s: 0.03,
            ..budget()
        };
        let s = run(&mut t, &b, false).unwrap();
        assert!(s.warmup.stable, "{:?}", s.warmup);
        assert_eq!(s.warmup.iterations, 47, "{:?}", s.warmup);
        assert!(s.samples.iter().all(|&x| x == 1e-3));
    }

    #[test]
    fn an_unsettled_warmup_gives_up_at_three_times_its_budget() {
        // Never settles (alternating 1 and 3 ms): warm-up stops after 3 x 20 ms, unstable.
        let mut t = scripted(|i| if i % 2 == 0 { 1e-3 } else { 3e-3 });
        let s = run(&mut t, &budget(), false).unwrap();
        assert!(!s.warmup.stable);
        assert!((0.06..0.063).contains(&s.warmup.seconds), "{:?}", s.warmup);
    }

    #[test]
    fn a_stop_request_ends_sampling_with_what_was_measured() {
        let mut t = scripted(|_| 1e-3);
        let s = run(&mut t, &budget(), true).unwrap();
        assert_eq!(s.stop_reason, StopReason::Interrupted);
        assert!(s.samples.is_empty());
        assert_eq!(t.calls, 0);
    }

    #[test]
    fn errors_from_the_device_propagate() {
        struct Broken;
        impl Timed for Broken {
            fn run(&mut self) -> Result<Vec<f64>, String> {
                Err("device lost".into())
            }
        }
        let e = sample(&mut Broken, &budget(), &AtomicBool::new(false)).unwrap_err();
        assert_eq!(e, "device lost");
    }
}
