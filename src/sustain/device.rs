//! One device's sustained run, on its own thread. Before the series (`prelude`): every operand
//! set is computed twice and its first result kept, one result is checked against the f64
//! reference. Then (`series`) the GEMM runs back to back until the duration is spent or a stop
//! is asked for, each call's iterations recorded into their windows; after every
//! `check_every` iterations every set's C is compared with its first result, and every
//! `reference_every_s` seconds one result is checked against the f64 reference (and both once
//! more at the end). What it has so far lives in `Live`, which the run's main thread reads for
//! progress and checkpoints.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::gemm::Gemm;
use crate::results::sustain::{Checks, Failure, FailureKind};

use super::checks::{self, FirstResults, When};
use super::series::Recorder;
use super::SustainOptions;

/// Most failures kept per device (each check of a device that keeps failing finds one; the
/// count of all is `checks.mismatches`).
pub const MAX_FAILURES: usize = 50;

/// What one device has done so far.
#[derive(Debug, Clone)]
pub struct Live {
    pub recorder: Recorder,
    pub checks: Checks,
    pub failures: Vec<Failure>,
    /// Why the series ended before the duration, if it did.
    pub stopped: Option<String>,
    /// True once the device's thread is done.
    pub done: bool,
}

impl Live {
    pub fn new(window_s: f64, flop: f64) -> Live {
        Live {
            recorder: Recorder::new(window_s, flop),
            checks: Checks::default(),
            failures: Vec::new(),
            stopped: None,
            done: false,
        }
    }

    fn fail(&mut self, f: Failure) {
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(f);
        }
    }
}

/// A lock that a panicked holder did not spoil (what it guards is plain data).
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs the GEMM until it has done at least `iterations` more; their device times.
fn run_at_least(gemm: &mut dyn Gemm, iterations: usize) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    while times.len() < iterations {
        times.extend(gemm.run()?);
    }
    Ok(times)
}

/// What the prelude settled: each set's first result (None when bit-for-bit checks are off),
/// and after how many iterations they are checked.
pub struct Ready {
    pub first: Option<FirstResults>,
    pub check_every: u64,
}

/// Iterations between two bit-for-bit checks that keep them to `CHECK_SHARE` of the time, from
/// what one check and one iteration take.
pub fn auto_check_every(check_s: f64, iteration_s: f64) -> u64 {
    let every = check_s / (SustainOptions::CHECK_SHARE * iteration_s.max(1e-9));
    every.ceil().clamp(1.0, 1e6) as u64
}

/// Before the series: every set computed and its first result kept; every set computed again
/// and compared (a kernel that differs from itself is not deterministic: no bit-for-bit checks
/// then, and a failure), which also times a check; one f64 reference check.
pub fn prelude(
    gemm: &mut dyn Gemm,
    sets: usize,
    check_every: Option<u64>,
    live: &Mutex<Live>,
) -> Result<Ready, String> {
    let before = When {
        window: None,
        t_s: 0.0,
        iteration: 0,
    };
    let mut times = run_at_least(gemm, sets)?;
    let first = FirstResults::take(gemm)?;
    times.extend(run_at_least(gemm, sets)?);
    let timer = std::time::Instant::now();
    let again = first.compare(gemm)?;
    let check_s = timer.elapsed().as_secs_f64();
    let iteration_s = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let every = check_every.unwrap_or_else(|| auto_check_every(check_s, iteration_s));
    let verification = gemm.verify()?;
    let mut l = lock(live);
    l.checks.check_every = every;
    for m in &again {
        l.fail(checks::corruption(m, before, FailureKind::NotDeterministic));
    }
    l.checks.reference += 1;
    note_reference(&mut l.checks, &verification);
    if let Some(f) = checks::reference(&verification, before) {
        l.fail(f);
    }
    Ok(Ready {
        first: again.is_empty().then_some(first),
        check_every: every,
    })
}

fn note_reference(c: &mut Checks, v: &crate::results::Verification) {
    if let Some(e) = v.max_rel_error {
        c.reference_max_rel_error = Some(c.reference_max_rel_error.map_or(e, |m| m.max(e)));
    }
    c.reference_tolerance = v.tolerance.or(c.reference_tolerance);
}

/// The window a time falls in, as the recorder counts (start, end].
fn window_of(t_s: f64, window_s: f64) -> Option<usize> {
    Some(((t_s / window_s).ceil() as usize).saturating_sub(1))
}

/// The checks of one moment: every set's C against its first (when `first`), and with
/// `reference` one result against the f64 reference.
fn check(
    gemm: &mut dyn Gemm,
    first: Option<&FirstResults>,
    reference: bool,
    when: When,
    live: &Mutex<Live>,
) -> Result<(), String> {
    let mismatches = match first {
        Some(f) => Some((f.compare(gemm)?, f.sets())),
        None => None,
    };
    let verification = if reference {
        Some(gemm.verify()?)
    } else {
        None
    };
    let mut l = lock(live);
    if let Some((found, sets)) = mismatches {
        l.checks.bitwise += 1;
        l.checks.results_compared += sets as u64;
        if !found.is_empty() {
            l.checks.mismatches += 1;
        }
        for m in &found {
            l.fail(checks::corruption(m, when, FailureKind::Corruption));
        }
    }
    if let Some(v) = verification {
        l.checks.reference += 1;
        note_reference(&mut l.checks, &v);
        if let Some(f) = checks::reference(&v, when) {
            l.fail(f);
        }
    }
    Ok(())
}

/// The series: back to back until `opts.duration_s` on `clock` (seconds since the series
/// started) or a stop; the checks as they fall due, and once more at the end.
pub fn series(
    gemm: &mut dyn Gemm,
    ready: &Ready,
    opts: &SustainOptions,
    stop: &AtomicBool,
    live: &Mutex<Live>,
    clock: &dyn Fn() -> f64,
) {
    let first = ready.first.as_ref();
    let mut next_check = ready.check_every;
    let mut next_reference = opts.reference_every_s;
    let mut iterations = 0u64;
    let when = |t_s: f64, iteration: u64| When {
        window: window_of(t_s, opts.window_s),
        t_s,
        iteration,
    };
    let outcome = (|| {
        while !stop.load(Ordering::Relaxed) && clock() < opts.duration_s {
            let times = gemm.run()?;
            // An iteration ending past the duration counts in the last window.
            let now = clock().min(opts.duration_s);
            iterations += times.len() as u64;
            {
                let mut l = lock(live);
                l.recorder.record(now, &times);
                l.checks.iterations = iterations;
            }
            let bitwise = iterations >= next_check;
            let reference = now >= next_reference;
            if bitwise || reference {
                check(
                    gemm,
                    first.filter(|_| bitwise),
                    reference,
                    when(now, iterations),
                    live,
                )?;
            }
            if bitwise {
                next_check = iterations + ready.check_every;
            }
            if reference {
                next_reference = now + opts.reference_every_s;
            }
        }
        // The last results are checked too, whenever the series ended.
        let end = clock().min(opts.duration_s).max(1e-9);
        check(gemm, first, true, when(end, iterations), live)
    })();
    let mut l = lock(live);
    if let Err(e) = outcome {
        let t = clock().min(opts.duration_s);
        l.fail(checks::device(e.clone(), when(t.max(1e-9), iterations)));
        l.stopped = Some(e);
    } else if stop.load(Ordering::Relaxed) {
        l.stopped = Some("stopped by a signal".into());
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;
    use crate::gemm::{Fingerprint, ResultC};
    use crate::measure::Timed;
    use crate::results::{Verification, VerificationStatus};

    /// A fake device: 1/8 s per iteration on a test clock (1/4 s from `slow_after_s` on), two
    /// operand sets whose C is one number each; from iteration `flip_at` on (counting the
    /// prelude's), set 1's C has a bit flipped.
    struct Fake {
        now: Rc<Cell<f64>>,
        iterations: u64,
        flip_at: u64,
        slow_after_s: f64,
    }

    impl Timed for Fake {
        fn run(&mut self) -> Result<Vec<f64>, String> {
            self.iterations += 1;
            let t = if self.now.get() >= self.slow_after_s {
                0.25
            } else {
                0.125
            };
            self.now.set(self.now.get() + t);
            Ok(vec![t])
        }
    }

    impl Gemm for Fake {
        fn verify(&mut self) -> Result<Verification, String> {
            Ok(Verification {
                status: VerificationStatus::Passed,
                max_rel_error: Some(1e-7),
                tolerance: Some(1e-5),
                checked: 260,
                message: None,
            })
        }
        fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String> {
            (0..2)
                .map(|s| self.result(s).map(|c| c.fingerprint()))
                .collect()
        }
        fn result(&mut self, set: usize) -> Result<ResultC, String> {
            let mut c = ResultC::f32(1, 1, [1.5 + set as f32]);
            if set == 1 && self.iterations >= self.flip_at {
                c.bytes[0] ^= 1;
            }
            Ok(c)
        }
    }

    fn run(flip_at: u64, slow_after_s: f64) -> Live {
        let now = Rc::new(Cell::new(0.0));
        let mut fake = Fake {
            now: now.clone(),
            iterations: 0,
            flip_at,
            slow_after_s,
        };
        let live = Mutex::new(Live::new(1.0, 1e12));
        let ready = prelude(&mut fake, 2, Some(5), &live).unwrap();
        // The series starts at 0 on its own clock.
        let start = now.get();
        let opts = SustainOptions {
            duration_s: 4.0,
            window_s: 1.0,
            reference_every_s: 2.0,
            ..SustainOptions::DEFAULT
        };
        let clock = || now.get() - start;
        series(
            &mut fake,
            &ready,
            &opts,
            &AtomicBool::new(false),
            &live,
            &clock,
        );
        live.into_inner().unwrap()
    }

    #[test]
    fn a_healthy_device_fills_its_windows_and_passes_every_check() {
        let l = run(u64::MAX, f64::INFINITY);
        let w = l.recorder.windows_until(4.0);
        assert_eq!(w.len(), 4);
        assert!(w.iter().all(|w| w.iterations == 8 && w.tflops == Some(8.0)));
        assert_eq!(l.checks.iterations, 32);
        // After iterations 5, 10, ..., 30 and once at the end.
        assert_eq!(l.checks.bitwise, 7);
        assert_eq!(l.checks.results_compared, 14);
        // Before the series, at 2 s, 4 s, and at the end.
        assert_eq!(l.checks.reference, 4);
        assert!(l.failures.is_empty(), "{:?}", l.failures);
        assert_eq!(l.stopped, None);
    }

    #[test]
    fn a_flipped_bit_is_a_corruption_in_the_window_it_was_found() {
        // The prelude runs 4 iterations; the flip comes at the 24th of all, the 20th timed
        // one, which ends window 2 (2.5 s); the check after it finds it there.
        let l = run(24, f64::INFINITY);
        let f = &l.failures[0];
        assert_eq!(f.kind, FailureKind::Corruption);
        assert_eq!((f.window, f.iteration, f.set), (Some(2), 20, Some(1)));
        assert_eq!(
            (f.elements_differing, f.elements, f.bits),
            (Some(1), Some(1), Some(1))
        );
        assert!(
            f.message.contains("C[0, 0] changed from 2.500"),
            "{}",
            f.message
        );
        // Every later check finds it again: after 25 and 30, and at the end.
        assert_eq!(l.checks.mismatches, 4);
        assert_eq!(l.failures.len(), 4);
    }

    #[test]
    fn a_kernel_that_differs_from_itself_turns_bitwise_checks_off() {
        // The flip lands between the first and the second pass of the prelude.
        let l = run(3, f64::INFINITY);
        assert_eq!(l.failures.len(), 1);
        assert_eq!(l.failures[0].kind, FailureKind::NotDeterministic);
        assert_eq!(l.failures[0].window, None);
        assert_eq!(l.checks.bitwise, 0);
    }

    #[test]
    fn checks_are_spaced_to_take_a_twentieth_of_the_time() {
        // A 10 ms check beside 0.7 ms iterations: after every 286; beside 100 ms ones, each.
        assert_eq!(auto_check_every(0.010, 0.0007), 286);
        assert_eq!(auto_check_every(0.010, 0.1), 2);
        assert_eq!(auto_check_every(1e-6, 0.1), 1);
    }

    #[test]
    fn a_slowdown_shows_in_the_windows() {
        // Slow from 2.5 s on the fake's clock: 2 s into the series (the prelude took 0.5 s).
        let l = run(u64::MAX, 2.5);
        let w = l.recorder.windows_until(4.0);
        let rates: Vec<f64> = w.iter().filter_map(|w| w.tflops).collect();
        assert_eq!(rates, vec![8.0, 8.0, 4.0, 4.0]);
    }
}
