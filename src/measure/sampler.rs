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
    let start = Instant::now();
    let mut warm_times = Vec::new();
    let mut stable = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        warm_times.extend(timed.run()?);
        let elapsed = start.elapsed().as_secs_f64();
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
    let warmup = Warmup {
        seconds: start.elapsed().as_secs_f64(),
        iterations: warm_times.len(),
        stable,
    };

    let start = Instant::now();
    let mut samples = Vec::new();
    let stop_reason = loop {
        if stop.load(Ordering::Relaxed) {
            break StopReason::Interrupted;
        }
        samples.extend(timed.run()?);
        let elapsed = start.elapsed().as_secs_f64();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake device: each call returns the next time of a script, and takes no real time.
    struct Scripted {
        times: Box<dyn FnMut(usize) -> f64>,
        calls: usize,
        sleep_s: f64,
    }

    impl Timed for Scripted {
        fn run(&mut self) -> Result<Vec<f64>, String> {
            self.calls += 1;
            std::thread::sleep(std::time::Duration::from_secs_f64(self.sleep_s));
            Ok(vec![(self.times)(self.calls)])
        }
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
    fn steady_timings_converge() {
        let mut t = Scripted {
            times: Box::new(|i| 1e-3 * (1.0 + 0.001 * (i % 3) as f64)),
            calls: 0,
            sleep_s: 0.001,
        };
        let s = sample(&mut t, &budget(), &AtomicBool::new(false)).unwrap();
        assert_eq!(s.stop_reason, StopReason::Converged);
        assert!(s.samples.len() >= 10);
        assert!(s.warmup.stable);
    }

    #[test]
    fn noisy_timings_run_out_of_budget() {
        let mut t = Scripted {
            // Alternates between 1 and 2 ms: the median never settles to 1%.
            times: Box::new(|i| if i % 2 == 0 { 1e-3 } else { 2e-3 }),
            calls: 0,
            sleep_s: 0.001,
        };
        let b = Budget {
            max_time_s: 0.05,
            ..budget()
        };
        let s = sample(&mut t, &b, &AtomicBool::new(false)).unwrap();
        assert_eq!(s.stop_reason, StopReason::TimeBudget);
    }

    #[test]
    fn warmup_waits_for_a_settled_rate() {
        // Cold start: the first 40 iterations are slow, then the rate settles.
        let mut t = Scripted {
            times: Box::new(|i| {
                if i < 40 {
                    5e-3 / (i as f64).sqrt()
                } else {
                    1e-3
                }
            }),
            calls: 0,
            sleep_s: 0.0005,
        };
        let s = sample(&mut t, &budget(), &AtomicBool::new(false)).unwrap();
        assert!(s.warmup.iterations >= 40, "{:?}", s.warmup);
        assert!(s.samples.iter().all(|&x| x == 1e-3));
    }

    #[test]
    fn a_stop_request_ends_sampling_with_what_was_measured() {
        let stop = AtomicBool::new(true);
        let mut t = Scripted {
            times: Box::new(|_| 1e-3),
            calls: 0,
            sleep_s: 0.0,
        };
        let s = sample(&mut t, &budget(), &stop).unwrap();
        assert_eq!(s.stop_reason, StopReason::Interrupted);
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
