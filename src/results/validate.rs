//! The values of a results file, checked on loading as well as its types: a file that parses is
//! not yet a measurement (a hand edit, a bug, or a hostile input can hold negative rates, a
//! rated peak of 0, runs of a device that is not there). Each problem names its entry.

use std::collections::BTreeSet;

use super::types::{DeviceRecord, Results, Run};

/// No single device delivers an exaFLOP/s: a rate above this is not a measurement.
pub const MAX_TFLOPS: f64 = 1e6;
/// Nor below a kiloFLOP/s (subnormal or zero rates would make every chart's log axis endless).
pub const MIN_TFLOPS: f64 = 1e-9;
/// Largest dimension a results file may hold (a bench accepts 2^17; products stay far from
/// overflowing).
pub const MAX_DIM: usize = 1 << 24;
/// Utilization above this (1000%) is not a timing error any more but a forged or broken file.
pub const MAX_UTILIZATION: f64 = 10.0;

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

fn rate(v: f64) -> bool {
    v.is_finite() && (MIN_TFLOPS..=MAX_TFLOPS).contains(&v)
}

fn check_device(i: usize, d: &DeviceRecord, ids: &mut BTreeSet<String>) -> Result<(), String> {
    let at = format!("devices[{i}] ({})", d.id);
    if !ids.insert(d.id.clone()) {
        return Err(format!("{at}: the device id appears twice"));
    }
    if let Some((dtype, v)) = d.rated_tflops.iter().find(|(_, v)| !rate(**v)) {
        return Err(format!(
            "{at}: rated {dtype} peak {v} TFLOP/s (must be from {MIN_TFLOPS} to {MAX_TFLOPS})"
        ));
    }
    Ok(())
}

fn check_run(i: usize, r: &Run, devices: &[DeviceRecord]) -> Result<(), String> {
    let at = format!(
        "runs[{i}] ({} {} {} {}x{}x{})",
        r.device, r.kernel, r.dtype, r.m, r.n, r.k
    );
    let device = devices
        .iter()
        .find(|d| d.id == r.device)
        .ok_or_else(|| format!("{at}: device {} is not among the file's devices", r.device))?;
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
            "{at}: flop {} is not 2 m n k x batch = {flop}",
            r.flop
        ));
    }
    if r.samples.is_empty() || r.samples.iter().any(|s| !positive(*s)) {
        return Err(format!(
            "{at}: samples must be a non-empty list of positive times"
        ));
    }
    for (what, v) in [("median", r.tflops.median), ("max", r.tflops.max)] {
        if !rate(v) {
            return Err(format!(
                "{at}: tflops.{what} {v} (must be from {MIN_TFLOPS} to {MAX_TFLOPS})"
            ));
        }
    }
    if let Some(u) = r.utilization.rated {
        if !positive(u) || u > MAX_UTILIZATION {
            return Err(format!(
                "{at}: utilization.rated {u} (must be positive and at most {MAX_UTILIZATION})"
            ));
        }
        // It must be what the rate and the device's peak say (loosely: files round).
        if let Some(peak) = device.rated_tflops.get(&r.dtype) {
            let implied = r.tflops.median / peak;
            if (u / implied - 1.0).abs() > 0.05 {
                return Err(format!(
                    "{at}: utilization.rated {u} is not tflops.median / rated peak = {implied:.4}"
                ));
            }
        }
    }
    Ok(())
}

/// The first problem found, or Ok.
pub fn validate(doc: &Results) -> Result<(), String> {
    let mut ids = BTreeSet::new();
    for (i, d) in doc.devices.iter().enumerate() {
        check_device(i, d, &mut ids)?;
    }
    let mut seen = BTreeSet::new();
    for (i, r) in doc.runs.iter().enumerate() {
        check_run(i, r, &doc.devices)?;
        let key = (
            r.device.clone(),
            r.kernel.clone(),
            r.dtype,
            r.m,
            r.n,
            r.k,
            r.batch,
        );
        if !seen.insert(key) {
            return Err(format!(
                "runs[{i}] ({} {} {} {}x{}x{}): the same run appears twice",
                r.device, r.kernel, r.dtype, r.m, r.n, r.k
            ));
        }
    }
    Ok(())
}
