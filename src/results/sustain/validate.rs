//! The values of a sustain file, checked on loading as well as its types, as a results file's
//! are (`results::validate`): every window's rate is what its iterations, FLOP and device time
//! give, telemetry is what a chip can read, the verdict's rates are recomputed from the windows
//! (one rule: `burst` and `sustained` below), a "passed" has no failure and no drop beyond the
//! file's own threshold, and every entry names a device the file lists. Each problem names its
//! entry: "series[0] (cpu:0 faer f32 2048x2048x2048): windows[3]: ...".

use std::collections::BTreeSet;

use crate::results::validate::{agree, check_rate, positive, rate, Problem, MAX_DIM, MAX_POWER_W};
use crate::units::sig;

use super::{DeviceSeries, SustainResults, SustainVerdict, Window};

/// The rate of the first window that has one: the burst.
pub fn burst(windows: &[Window]) -> Option<f64> {
    windows.iter().find_map(|w| w.tflops)
}

/// The median rate of the last half of the windows that have one: the sustained rate.
pub fn sustained(windows: &[Window]) -> Option<f64> {
    let rates: Vec<f64> = windows.iter().filter_map(|w| w.tflops).collect();
    if rates.is_empty() {
        return None;
    }
    let mut last: Vec<f64> = rates[rates.len() / 2..].to_vec();
    last.sort_by(f64::total_cmp);
    Some(crate::measure::stats::quantile(&last, 0.5))
}

/// "series[0] (cpu:0 faer f32 2048x2048x2048)".
pub fn entry(i: usize, s: &DeviceSeries) -> String {
    format!(
        "series[{i}] ({} {} {} {})",
        s.device,
        s.kernel,
        s.dtype,
        s.shape()
    )
}

fn check_shape(at: &str, s: &DeviceSeries) -> Result<(), Problem> {
    let dims = [s.m, s.n, s.k];
    if dims.contains(&0) || dims.iter().any(|d| *d > MAX_DIM) {
        return Err(format!(
            "{at}: dimensions must be from 1 to {MAX_DIM} (m {} n {} k {})",
            s.m, s.n, s.k
        ));
    }
    let flop = s.shape().flop();
    if !positive(s.flop) || !agree(s.flop, flop, 1e-9) || s.operand_sets == 0 {
        return Err(format!(
            "{at}: flop {} is not 2 m n k = {}, or no operand set",
            sig(s.flop),
            sig(flop)
        ));
    }
    Ok(())
}

/// Clocks from 0 to 10 GHz, temperatures from -60 to 200 C, power from 0 to twice the cap
/// (or to the most any board draws).
fn check_telemetry(at: &str, w: &Window) -> Result<(), Problem> {
    let clock = |v: Option<f64>| v.is_none_or(|c| c.is_finite() && (0.0..=10_000.0).contains(&c));
    let celsius = |v: Option<f64>| v.is_none_or(|c| c.is_finite() && (-60.0..=200.0).contains(&c));
    if !clock(w.clock_mhz) || !clock(w.memory_clock_mhz) || !celsius(w.temperature_c) {
        return Err(format!(
            "{at}: clock or temperature out of range (clocks 0..10000 MHz, temperatures \
             -60..200 C)"
        ));
    }
    if let Some(c) = w.power_limit_w {
        if !positive(c) || c > MAX_POWER_W {
            return Err(format!(
                "{at}: power_limit_w {} (must be above 0 and at most {} W)",
                sig(c),
                sig(MAX_POWER_W)
            ));
        }
    }
    let most = w.power_limit_w.map_or(MAX_POWER_W, |c| 2.0 * c);
    if w.power_w
        .is_some_and(|p| !(p.is_finite() && (0.0..=most).contains(&p)))
    {
        return Err(format!(
            "{at}: power_w {} (must be from 0 to {} W)",
            sig(w.power_w.unwrap_or_default()),
            sig(most)
        ));
    }
    Ok(())
}

/// Window `j`: in its place, after the one before, its rate what its iterations give.
fn check_window(
    at: &str,
    j: usize,
    w: &Window,
    before: Option<&Window>,
    flop: f64,
) -> Result<(), Problem> {
    let at = format!("{at}: windows[{j}]");
    let after = before.map_or(0.0, |b| b.end_s);
    let times_ok = w.start_s.is_finite()
        && w.end_s.is_finite()
        && w.start_s >= 0.0
        && w.end_s > w.start_s
        && w.start_s >= after - 1e-9;
    if w.index != j || !times_ok {
        return Err(format!(
            "{at}: index {} from {} to {} s is not the window after {} s",
            w.index,
            sig(w.start_s),
            sig(w.end_s),
            sig(after)
        ));
    }
    if !(w.device_s.is_finite() && w.device_s >= 0.0 && w.device_s <= w.end_s * 1.01 + 1e-3) {
        return Err(format!(
            "{at}: device_s {} is not a device time within the {} s run so far",
            sig(w.device_s),
            sig(w.end_s)
        ));
    }
    match (w.iterations, w.tflops) {
        (0, None) => {}
        (n, Some(t)) if n > 0 && positive(w.device_s) => {
            check_rate(&at, "tflops", t)?;
            let implied = n as f64 * flop / w.device_s / 1e12;
            if !agree(t, implied, 1e-6) {
                return Err(format!(
                    "{at}: tflops {} is not iterations x flop / device_s = {}",
                    sig(t),
                    sig(implied)
                ));
            }
        }
        (n, _) => {
            return Err(format!(
                "{at}: {n} iterations in {} s of device time do not give its tflops",
                sig(w.device_s)
            ))
        }
    }
    check_telemetry(&at, w)
}

/// The verdict's rates are the windows' (`burst`, `sustained`), and a "passed" has no failure
/// and no drop beyond `max_drop`.
fn check_verdict(at: &str, s: &DeviceSeries, max_drop: f64) -> Result<(), Problem> {
    let v: &SustainVerdict = &s.verdict;
    let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => agree(x, y, 1e-9),
        _ => false,
    };
    let (b, st) = (burst(&s.windows), sustained(&s.windows));
    if !same(v.burst_tflops, b) || !same(v.sustained_tflops, st) {
        return Err(format!(
            "{at}: verdict burst_tflops and sustained_tflops are not the first window's rate \
             and the median of the last half ({} and {})",
            b.map(sig).unwrap_or_else(|| "none".into()),
            st.map(sig).unwrap_or_else(|| "none".into())
        ));
    }
    let ratio = b.zip(st).map(|(b, s)| s / b);
    if !same(v.ratio, ratio) {
        return Err(format!("{at}: verdict ratio is not sustained / burst"));
    }
    if v.passed && !s.failures.is_empty() {
        return Err(format!(
            "{at}: verdict passed with {} failure(s)",
            s.failures.len()
        ));
    }
    if v.passed && ratio.is_some_and(|r| r < 1.0 - max_drop) {
        return Err(format!(
            "{at}: verdict passed but the rate dropped {} (settings.max_drop {})",
            sig(1.0 - ratio.unwrap_or(1.0)),
            sig(max_drop)
        ));
    }
    Ok(())
}

fn check_series(i: usize, s: &DeviceSeries, doc: &SustainResults) -> Result<(), Problem> {
    let at = entry(i, s);
    if !doc.devices.iter().any(|d| d.id == s.device) {
        return Err(format!(
            "{at}: device {} is not among the file's devices",
            s.device
        ));
    }
    check_shape(&at, s)?;
    for (j, w) in s.windows.iter().enumerate() {
        check_window(&at, j, w, j.checked_sub(1).map(|p| &s.windows[p]), s.flop)?;
    }
    for (j, f) in s.failures.iter().enumerate() {
        if f.window.is_some_and(|w| w >= s.windows.len().max(1)) || !f.t_s.is_finite() {
            return Err(format!(
                "{at}: failures[{j}] is in window {} of {}",
                f.window.unwrap_or_default(),
                s.windows.len()
            ));
        }
    }
    check_verdict(&at, s, doc.settings.max_drop)
}

/// The settings a run can have.
fn check_settings(doc: &SustainResults) -> Result<(), Problem> {
    let s = &doc.settings;
    let fraction = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
    if !positive(s.duration_s)
        || !positive(s.window_s)
        || !positive(s.reference_every_s)
        || s.check_every == Some(0)
        || !fraction(s.max_drop)
        || !fraction(s.outlier_threshold)
    {
        return Err(
            "settings: duration_s, window_s and reference_every_s must be positive, check_every \
             at least 1 where given, max_drop and outlier_threshold fractions in (0, 1]"
                .into(),
        );
    }
    Ok(())
}

/// The first problem found, or Ok.
pub fn validate(doc: &SustainResults) -> Result<(), Problem> {
    check_settings(doc)?;
    let mut ids = BTreeSet::new();
    for (i, d) in doc.devices.iter().enumerate() {
        if !ids.insert(d.id.as_str()) {
            return Err(format!(
                "devices[{i}] ({}): the device id appears twice",
                d.id
            ));
        }
        if let Some((dtype, v)) = d.rated_tflops.iter().find(|(_, v)| !rate(**v)) {
            return Err(format!(
                "devices[{i}] ({}): rated {dtype} peak {} TFLOP/s is not a rate",
                d.id,
                sig(*v)
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, s) in doc.series.iter().enumerate() {
        if !seen.insert(s.device.as_str()) {
            return Err(format!("{}: the device has two series", entry(i, s)));
        }
        check_series(i, s, doc)?;
    }
    Ok(())
}
