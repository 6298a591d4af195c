//! The values of a results file, checked on loading as well as its types: a file that parses is
//! not yet a measurement (a hand edit, a bug, or a hostile input can hold negative rates, a
//! rated peak of 0, runs of a device that is not there). Every number the tool reads is checked
//! against its range and against the others it must agree with; each problem names its entry.
//! `run` checks a run (rate, utilization, verification, power), `model` a model bench's
//! weights, `cluster` what merges and multi-GPU benches add (stragglers, aggregates,
//! collectives, verdicts).

mod cluster;
mod model;
mod run;

pub(crate) use cluster::{check_aggregate, check_straggler_rate};

use std::collections::BTreeSet;

use crate::units::sig;

use super::types::{DeviceRecord, Host, Results};

/// No single device delivers an exaFLOP/s: a rate above this is not a measurement.
pub const MAX_TFLOPS: f64 = 1e6;
/// Nor below a kiloFLOP/s (subnormal or zero rates would make every chart's log axis endless).
pub const MIN_TFLOPS: f64 = 1e-9;
/// Largest dimension a results file may hold (a bench accepts 2^17; products stay far from
/// overflowing).
pub const MAX_DIM: usize = 1 << 24;
/// Utilization above this (1000%) is not a timing error any more but a forged or broken file
/// (or a wrong rated peak: `bench` refuses to save one, see `check_utilization`).
pub const MAX_UTILIZATION: f64 = 10.0;
/// No accelerator board draws 5 kW: the most power-hungry today is rated for 1.4 kW (AMD
/// Instinct MI355X, https://www.theregister.com/2025/06/12/amd_mi355x/). Power above this, or
/// above twice the cap the driver enforced, is not a reading.
pub const MAX_POWER_W: f64 = 5000.0;

/// A problem of one entry: "runs[3] (cuda:0 cublas bf16 8192x8192x8192): tflops.max ...".
pub(crate) type Problem = String;

pub(crate) fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// A rate (or a rated peak) a results file may hold.
pub(crate) fn rate(v: f64) -> bool {
    v.is_finite() && (MIN_TFLOPS..=MAX_TFLOPS).contains(&v)
}

/// Whether `a` and `b` agree to a relative `tolerance` (files store full precision; a
/// tolerance covers rounding in other writers).
pub(crate) fn agree(a: f64, b: f64, tolerance: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= tolerance * a.abs().max(b.abs())
}

/// "`what` `v` TFLOP/s (must be from 1e-9 to 1e6)" unless `v` is a rate.
pub(crate) fn check_rate(at: &str, what: &str, v: f64) -> Result<(), Problem> {
    if rate(v) {
        return Ok(());
    }
    Err(format!(
        "{at}: {what} {} (must be from {} to {} TFLOP/s)",
        sig(v),
        sig(MIN_TFLOPS),
        sig(MAX_TFLOPS)
    ))
}

fn check_device(i: usize, d: &DeviceRecord, ids: &mut BTreeSet<String>) -> Result<(), Problem> {
    let at = format!("devices[{i}] ({})", d.id);
    if !ids.insert(d.id.clone()) {
        return Err(format!("{at}: the device id appears twice"));
    }
    if let Some((dtype, v)) = d.rated_tflops.iter().find(|(_, v)| !rate(**v)) {
        return Err(format!(
            "{at}: rated {dtype} peak {} TFLOP/s (must be from {} to {})",
            sig(*v),
            sig(MIN_TFLOPS),
            sig(MAX_TFLOPS)
        ));
    }
    Ok(())
}

/// A launcher's place: rank and local rank within the world.
fn check_host(h: &Host) -> Result<(), Problem> {
    let Some(l) = &h.launcher else {
        return Ok(());
    };
    if l.world_size == 0 || l.rank >= l.world_size || l.local_rank >= l.world_size {
        return Err(format!(
            "host.launcher: rank {} (local rank {}) of a world of {} is not a place in it",
            l.rank, l.local_rank, l.world_size
        ));
    }
    if h.rank.is_some_and(|r| r != l.rank) {
        return Err(format!(
            "host.rank {} is not host.launcher.rank {}",
            h.rank.unwrap_or_default(),
            l.rank
        ));
    }
    Ok(())
}

/// The first problem found, or Ok.
pub fn validate(doc: &Results) -> Result<(), Problem> {
    check_host(&doc.host)?;
    let mut ids = BTreeSet::new();
    for (i, d) in doc.devices.iter().enumerate() {
        check_device(i, d, &mut ids)?;
    }
    let mut seen = BTreeSet::new();
    for (i, r) in doc.runs.iter().enumerate() {
        run::check(i, r, &doc.devices)?;
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
            return Err(format!("{}: the same run appears twice", run::entry(i, r)));
        }
    }
    if let Some(m) = &doc.model {
        model::check(m, doc)?;
    }
    cluster::check(doc)
}

/// Replaces the values a file states but the tool derives (each run's utilization and its
/// above-100% flag) by their recomputation, so no reader depends on the file's word for them.
pub fn recompute(doc: &mut Results) {
    let devices = &doc.devices;
    for r in &mut doc.runs {
        run::recompute(r, devices);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_problems_have_four_significant_figures() {
        let e = check_rate("runs[0]", "tflops.median", 1e308).unwrap_err();
        assert_eq!(
            e,
            "runs[0]: tflops.median 1.000e308 (must be from 1.000e-9 to 1.000e6 TFLOP/s)"
        );
        assert!(agree(1.0, 1.0 + 1e-12, 1e-9) && !agree(1.0, 1.1, 0.05));
        assert!(!agree(f64::NAN, f64::NAN, 1.0));
    }
}
