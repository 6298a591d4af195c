//! One run's values: its shape and FLOP, its timing samples and statistics, its rate against
//! its own maximum and the device's peak (utilization recomputed, always), its verification
//! (a "passed" must be backed by an error within the tolerance on checked elements), and its
//! power (within 0..2x the cap the driver enforced).

use crate::units::sig;

use super::{agree, check_rate, positive, Problem, MAX_DIM, MAX_POWER_W, MAX_UTILIZATION};
use crate::results::types::{
    DeviceRecord, Energy, Run, Stats, Telemetry, Verification, VerificationStatus,
};

/// How a run is named in problems: "runs[3] (cuda:0 cublas bf16 8192x8192x8192)".
pub(super) fn entry(i: usize, r: &Run) -> String {
    format!(
        "runs[{i}] ({} {} {} {})",
        r.device,
        r.kernel,
        r.dtype,
        r.problem()
    )
}

fn check_shape(at: &str, r: &Run) -> Result<(), Problem> {
    if r.m == 0 || r.n == 0 || r.k == 0 {
        return Err(format!("{at}: a dimension is 0"));
    }
    if r.m.max(r.n).max(r.k) > MAX_DIM {
        return Err(format!(
            "{at}: a dimension above {MAX_DIM} was not measured"
        ));
    }
    if r.batch == 0 || r.batch > MAX_DIM {
        return Err(format!(
            "{at}: batch {} (must be from 1 to {MAX_DIM})",
            r.batch
        ));
    }
    let flop = r.problem().flop();
    if !positive(r.flop) || (r.flop - flop).abs() > 1e-9 * flop {
        return Err(format!(
            "{at}: flop {} is not 2 m n k x batch = {}",
            sig(r.flop),
            sig(flop)
        ));
    }
    Ok(())
}

/// Samples are positive times; the statistics are in order (min <= p25 <= median <= p75 <=
/// max) and positive.
fn check_times(at: &str, samples: &[f64], s: &Stats) -> Result<(), Problem> {
    if samples.is_empty() || samples.iter().any(|t| !positive(*t)) {
        return Err(format!(
            "{at}: samples must be a non-empty list of positive times"
        ));
    }
    let order = [s.min, s.p25, s.median, s.p75, s.max];
    if order.iter().any(|t| !positive(*t)) || order.windows(2).any(|w| w[0] > w[1]) {
        return Err(format!(
            "{at}: time_s min {} p25 {} median {} p75 {} max {} are not positive times in order",
            sig(s.min),
            sig(s.p25),
            sig(s.median),
            sig(s.p75),
            sig(s.max)
        ));
    }
    Ok(())
}

/// The median rate and the rate of the fastest sample, which cannot be below it.
fn check_rates(at: &str, r: &Run) -> Result<(), Problem> {
    check_rate(at, "tflops.median", r.tflops.median)?;
    check_rate(at, "tflops.max", r.tflops.max)?;
    if r.tflops.max < r.tflops.median * (1.0 - 1e-9) {
        return Err(format!(
            "{at}: tflops.max {} is below tflops.median {} (the fastest sample cannot be slower \
             than the median)",
            sig(r.tflops.max),
            sig(r.tflops.median)
        ));
    }
    Ok(())
}

/// Utilization is the median rate over the device's rated peak, recomputed whether or not the
/// file states it: at most 10x and equal to what the file states (loosely: files round); none
/// without a peak. (`recompute` then stores the exact figure and its above-100% flag.)
fn check_utilization(at: &str, r: &Run, device: &DeviceRecord) -> Result<(), Problem> {
    let u = &r.utilization;
    let Some(peak) = device.rated_tflops.get(&r.dtype) else {
        return match u.rated {
            Some(v) => Err(format!(
                "{at}: utilization.rated {} but {} has no rated {} peak",
                sig(v),
                device.id,
                r.dtype
            )),
            None => Ok(()),
        };
    };
    let implied = r.tflops.median / peak;
    if implied > MAX_UTILIZATION {
        return Err(format!(
            "{at}: tflops.median {} is {} times the rated {} peak {} (a utilization above {} \
             is a wrong peak or a broken file)",
            sig(r.tflops.median),
            sig(implied),
            r.dtype,
            sig(*peak),
            sig(MAX_UTILIZATION)
        ));
    }
    if let Some(v) = u.rated {
        if !agree(v, implied, 0.05) {
            return Err(format!(
                "{at}: utilization.rated {} is not tflops.median / rated peak = {}",
                sig(v),
                sig(implied)
            ));
        }
    }
    // Against the peak at the sampled clock: a GPU sampled near its idle clock (a tenth of its
    // boost) can read up to 10x its rated utilization, itself at most 10x.
    let most_at_clock = 10.0 * MAX_UTILIZATION;
    if let Some(v) = u.at_sampled_clock {
        if !positive(v) || v > most_at_clock {
            return Err(format!(
                "{at}: utilization.at_sampled_clock {} (must be positive and at most {})",
                sig(v),
                sig(most_at_clock)
            ));
        }
    }
    Ok(())
}

/// The utilization of a run, from its median rate and the device's peak: what `recompute`
/// stores in place of the file's.
pub(super) fn recompute(r: &mut crate::results::types::Run, devices: &[DeviceRecord]) {
    let peak = devices
        .iter()
        .find(|d| d.id == r.device)
        .and_then(|d| d.rated_tflops.get(&r.dtype));
    let rated = peak.map(|p| r.tflops.median / p);
    r.utilization.rated = rated;
    r.utilization.above_peak = rated.is_some_and(|u| u > 1.0);
}

/// A "passed" counts, so it must be what the error and the tolerance say, on checked elements.
/// (A "failed" or "skipped" never counts, whatever its numbers.)
fn check_verification(at: &str, v: &Verification) -> Result<(), Problem> {
    if v.status != VerificationStatus::Passed {
        return Ok(());
    }
    if v.checked == 0 {
        return Err(format!(
            "{at}: verification.status passed with 0 elements checked"
        ));
    }
    match (v.max_rel_error, v.tolerance) {
        (Some(e), Some(t)) if e.is_finite() && e >= 0.0 && positive(t) && t < 1.0 => {
            if e > t {
                return Err(format!(
                    "{at}: verification.status passed but max_rel_error {} is above the \
                     tolerance {} ({}x)",
                    sig(e),
                    sig(t),
                    sig(e / t)
                ));
            }
            Ok(())
        }
        (e, t) => Err(format!(
            "{at}: verification.status passed needs a max_rel_error and a tolerance in [0, 1) \
             (has {} and {})",
            e.map(sig).unwrap_or_else(|| "none".into()),
            t.map(sig).unwrap_or_else(|| "none".into())
        )),
    }
}

/// A power reading in watts: from 0 to twice the enforced cap (or to MAX_POWER_W without one).
fn check_power(at: &str, what: &str, w: Option<f64>, cap: Option<f64>) -> Result<(), Problem> {
    let Some(w) = w else { return Ok(()) };
    let most = cap.map_or(MAX_POWER_W, |c| 2.0 * c);
    if !(w.is_finite() && (0.0..=most).contains(&w)) {
        let why = match cap {
            Some(c) => format!("twice the power cap of {} W", sig(c)),
            None => "the most any board draws".into(),
        };
        return Err(format!(
            "{at}: {what} {} W (must be from 0 to {} W, {why})",
            sig(w),
            sig(most)
        ));
    }
    Ok(())
}

/// Telemetry: power within 0..2x the cap, clocks and temperatures that a chip can have.
fn check_telemetry(at: &str, t: &Telemetry) -> Result<(), Problem> {
    let cap = t.power_limit_w;
    if let Some(c) = cap {
        if !positive(c) || c > MAX_POWER_W {
            return Err(format!(
                "{at}: telemetry.power_limit_w {} (must be above 0 and at most {} W)",
                sig(c),
                sig(MAX_POWER_W)
            ));
        }
    }
    check_power(at, "telemetry.power_w_median", t.power_w_median, cap)?;
    let clock = |v: Option<f64>| v.is_none_or(|c| c.is_finite() && (0.0..=10_000.0).contains(&c));
    let celsius = |v: Option<f64>| v.is_none_or(|c| c.is_finite() && (-60.0..=200.0).contains(&c));
    if !clock(t.sm_clock_mhz_median) || !celsius(t.temperature_c_max) {
        return Err(format!(
            "{at}: telemetry clock or temperature out of range (clocks 0..10000 MHz, \
             temperatures -60..200 C)"
        ));
    }
    for (j, s) in t.samples.iter().enumerate() {
        let here = format!("{at}: telemetry.samples[{j}]");
        check_power(&here, "power_w", s.power_w, cap)?;
        let sane = s.t_s.is_finite()
            && s.t_s >= 0.0
            && clock(s.sm_clock_mhz)
            && clock(s.memory_clock_mhz)
            && celsius(s.temperature_c);
        if !sane {
            return Err(format!("{here}: time, clock or temperature out of range"));
        }
    }
    Ok(())
}

/// Energy is the telemetry's median power and the median rate over it.
fn check_energy(at: &str, r: &Run, e: &Energy) -> Result<(), Problem> {
    let t = r.telemetry.as_ref();
    let power = t.and_then(|t| t.power_w_median);
    if power.is_none_or(|p| !agree(p, e.power_w, 1e-6)) || !positive(e.power_w) {
        return Err(format!(
            "{at}: energy.power_w {} W is not the telemetry's median power",
            sig(e.power_w)
        ));
    }
    let expected = r.tflops.median * 1000.0 / e.power_w;
    if !agree(e.gflop_per_joule, expected, 1e-6) {
        return Err(format!(
            "{at}: energy.gflop_per_joule {} is not tflops.median x 1000 / power = {}",
            sig(e.gflop_per_joule),
            sig(expected)
        ));
    }
    if e.power_limit_w != t.and_then(|t| t.power_limit_w) {
        return Err(format!(
            "{at}: energy.power_limit_w is not the telemetry's power cap"
        ));
    }
    Ok(())
}

/// Every check of run `i`.
pub(super) fn check(i: usize, r: &Run, devices: &[DeviceRecord]) -> Result<(), Problem> {
    let at = entry(i, r);
    let device = devices
        .iter()
        .find(|d| d.id == r.device)
        .ok_or_else(|| format!("{at}: device {} is not among the file's devices", r.device))?;
    if device.backend != r.backend {
        return Err(format!(
            "{at}: backend {} but device {} is {}",
            r.backend, device.id, device.backend
        ));
    }
    check_shape(&at, r)?;
    check_times(&at, &r.samples, &r.time_s)?;
    check_rates(&at, r)?;
    check_utilization(&at, r, device)?;
    check_verification(&at, &r.verification)?;
    if let Some(t) = &r.telemetry {
        check_telemetry(&at, t)?;
    }
    if let Some(e) = &r.energy {
        check_energy(&at, r, e)?;
    }
    Ok(())
}
