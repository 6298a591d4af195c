//! Times the CPU clock with a chain of dependent integer adds (one cycle each on every modern
//! core), run on all cores at once. In a VM /proc/cpuinfo often shows the base clock while the
//! cores boost well above it; a peak computed from that clock would be too low.

use std::time::Instant;

/// Adds per timed chain; long enough that timer overhead is negligible (~tens of ms).
const CHAIN_ITERATIONS: u64 = 2_000_000;
const ADDS_PER_ITERATION: u64 = 64;

/// CPU time this thread has run, seconds: unlike wall time it does not count the time another
/// process held the core.
#[cfg(unix)]
pub(crate) fn thread_cpu_seconds() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}

#[cfg(not(unix))]
pub(crate) fn thread_cpu_seconds() -> Option<f64> {
    None
}

/// Runs the dependent-add chain once and returns cycles per second, or None where this
/// architecture has no timed chain.
fn chain_hz() -> Option<f64> {
    let wall = Instant::now();
    let cpu0 = thread_cpu_seconds();
    let ok = dependent_adds(CHAIN_ITERATIONS);
    let secs = match (cpu0, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => wall.elapsed().as_secs_f64(),
    };
    ok.then(|| (CHAIN_ITERATIONS * ADDS_PER_ITERATION) as f64 / secs)
}

#[cfg(target_arch = "x86_64")]
fn dependent_adds(iterations: u64) -> bool {
    // Register-register adds cannot be folded away by the renamer, unlike add-immediate.
    // SAFETY: the asm touches only the registers it declares; no memory, no stack.
    unsafe {
        std::arch::asm!(
            "2:",
            ".rept 64",
            "add {acc}, {one}",
            ".endr",
            "dec {n}",
            "jnz 2b",
            acc = inout(reg) 0u64 => _,
            one = in(reg) 1u64,
            n = inout(reg) iterations => _,
            options(nomem, nostack),
        );
    }
    true
}

#[cfg(target_arch = "aarch64")]
fn dependent_adds(iterations: u64) -> bool {
    // SAFETY: the asm touches only the registers it declares; no memory, no stack.
    unsafe {
        std::arch::asm!(
            "2:",
            ".rept 64",
            "add {acc}, {acc}, {one}",
            ".endr",
            "subs {n}, {n}, #1",
            "b.ne 2b",
            acc = inout(reg) 0u64 => _,
            one = in(reg) 1u64,
            n = inout(reg) iterations => _,
            options(nomem, nostack),
        );
    }
    true
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn dependent_adds(_iterations: u64) -> bool {
    false
}

/// Iterations of a chain that times the clock while other work runs (~3 ms at 4 GHz): short
/// enough to take every quarter second beside a GEMM, long enough to be read in thread CPU time.
const SHORT_CHAIN_ITERATIONS: u64 = 200_000;

/// The clock of the core this thread runs on, MHz, from a short chain timed in the thread's own
/// CPU time (so time the core spent on other threads does not count); None where the chain
/// cannot run or the thread has no CPU-time clock.
pub fn thread_clock_mhz() -> Option<f64> {
    let cpu0 = thread_cpu_seconds()?;
    if !dependent_adds(SHORT_CHAIN_ITERATIONS) {
        return None;
    }
    let secs = thread_cpu_seconds()? - cpu0;
    (secs > 0.0).then(|| (SHORT_CHAIN_ITERATIONS * ADDS_PER_ITERATION) as f64 / secs / 1e6)
}

/// A per-thread rate with every core busy: `cores` threads run `rate` at the same time, best of
/// `tries` to skip scheduling hiccups; the slowest thread of the best try is returned.
pub(crate) fn all_core_rate<F>(cores: usize, tries: usize, rate: F) -> Option<f64>
where
    F: Fn() -> Option<f64> + Sync,
{
    let cores = cores.max(1);
    let mut best: Option<f64> = None;
    for _ in 0..tries.max(1) {
        let rates: Vec<Option<f64>> = std::thread::scope(|s| {
            // A core whose thread cannot start (a thread or address-space limit) has no rate,
            // so the clock is not measured: the OS's is used.
            let handles: Vec<_> = (0..cores)
                .map(|_| std::thread::Builder::new().spawn_scoped(s, &rate))
                .collect();
            handles
                .into_iter()
                .map(|h| h.ok().and_then(|h| h.join().ok().flatten()))
                .collect()
        });
        let slowest = rates
            .into_iter()
            .collect::<Option<Vec<f64>>>()?
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        best = Some(best.map_or(slowest, |b: f64| b.max(slowest)));
    }
    best
}

/// All-core clock in MHz: every core runs the chain at the same time (the clock a
/// multi-threaded GEMM sees), best of a few tries; the slowest core of the best try is reported.
pub fn measure_all_core_mhz(cores: usize) -> Option<f64> {
    all_core_rate(cores, 3, chain_hz).map(|hz| hz / 1e6)
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(unix, any(target_arch = "x86_64", target_arch = "aarch64")))]
    fn measured_clock_is_plausible() {
        // The probe needs thread CPU time, which Linux always has: no result is a failure.
        let mhz = super::measure_all_core_mhz(1).expect("the clock probe gave no result");
        // Any CPU this runs on is between 200 MHz and 7 GHz; a broken chain would be off by
        // orders of magnitude.
        assert!((200.0..7000.0).contains(&mhz), "{mhz} MHz");
        let short = super::thread_clock_mhz().expect("the short chain gave no result");
        assert!((200.0..7000.0).contains(&short), "{short} MHz");
    }
}
