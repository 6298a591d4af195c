//! A model bench's record: each GEMM's share of the step's FLOP is its FLOP over the step's,
//! the shares sum to 1, the unmeasured share is that of the GEMMs not benched, and each
//! weighted figure is what the file's own runs give (`best::weighted_rate`), since the
//! estimator calibrates on it.

use crate::units::sig;

use super::{agree, check_rate, positive, Problem, MAX_DIM};
use crate::results::best::weighted_rate;
use crate::results::types::{ModelRecord, Results, Shape, WeightedFigure};

/// Shares and sums agree to this (they are sums of a few hundred doubles).
const SHARE_TOLERANCE: f64 = 1e-6;

fn check_gemms(m: &ModelRecord) -> Result<(), Problem> {
    if !positive(m.step_flop) || m.gemms.is_empty() {
        return Err(format!(
            "model: step_flop {} with {} GEMMs (must be positive, with GEMMs)",
            sig(m.step_flop),
            m.gemms.len()
        ));
    }
    let mut total = 0.0;
    for (i, g) in m.gemms.iter().enumerate() {
        let at = format!(
            "model.gemms[{i}] ({} {} {}x{}x{})",
            g.role, g.pass, g.m, g.n, g.k
        );
        let dims_ok = [g.m, g.n, g.k].iter().all(|d| (1..=MAX_DIM).contains(d));
        if !dims_ok || g.batch == 0 || g.calls == 0 {
            return Err(format!(
                "{at}: dimensions, batch and calls must be whole numbers from 1 (dimensions at \
                 most {MAX_DIM})"
            ));
        }
        let flop = Shape {
            m: g.m,
            n: g.n,
            k: g.k,
        }
        .flop()
            * g.batch as f64
            * g.calls as f64;
        let share = flop / m.step_flop;
        if !agree(g.flop_share, share, SHARE_TOLERANCE) {
            return Err(format!(
                "{at}: flop_share {} is not its FLOP over step_flop = {}",
                sig(g.flop_share),
                sig(share)
            ));
        }
        // Every GEMM of a step is benched; files written before attention's batched products
        // were benched left those (and only those) unmeasured.
        if !g.measured && !g.role.is_attention() {
            return Err(format!(
                "{at}: measured is false but only attention's products were ever left unbenched"
            ));
        }
        total += g.flop_share;
    }
    if !agree(total, 1.0, SHARE_TOLERANCE) {
        return Err(format!(
            "model: the GEMMs' flop_share sum to {}, not 1",
            sig(total)
        ));
    }
    Ok(())
}

fn check_unmeasured(m: &ModelRecord) -> Result<(), Problem> {
    let unmeasured: f64 = m
        .gemms
        .iter()
        .filter(|g| !g.measured)
        .map(|g| g.flop_share)
        .sum();
    let in_range = (0.0..=1.0).contains(&m.unmeasured_share);
    if !in_range || (m.unmeasured_share - unmeasured).abs() > SHARE_TOLERANCE {
        return Err(format!(
            "model: unmeasured_share {} is not the share of the GEMMs not benched ({})",
            sig(m.unmeasured_share),
            sig(unmeasured)
        ));
    }
    Ok(())
}

/// Whether two optional figures agree (both absent, or both present and equal to `tolerance`).
fn same(a: Option<f64>, b: Option<f64>, tolerance: f64) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => agree(x, y, tolerance),
        _ => false,
    }
}

fn show(v: Option<f64>) -> String {
    v.map(sig).unwrap_or_else(|| "none".into())
}

/// One device's figure against its recomputation from the runs.
fn check_figure(
    i: usize,
    w: &WeightedFigure,
    m: &ModelRecord,
    doc: &Results,
) -> Result<(), Problem> {
    let at = format!("model.weighted[{i}] ({} {})", w.device, w.dtype);
    let device = doc
        .devices
        .iter()
        .find(|d| d.id == w.device)
        .ok_or_else(|| format!("{at}: device {} is not among the file's devices", w.device))?;
    let measured = m.gemms.iter().filter(|g| g.measured).map(|g| {
        (
            crate::shape::Problem::of(g.m, g.n, g.k, g.batch),
            g.flop_share,
        )
    });
    let expected = weighted_rate(doc, &w.device, w.dtype, measured);
    if let Some(v) = w.weighted_tflops {
        check_rate(&at, "weighted_tflops", v)?;
    }
    if !same(w.weighted_tflops, expected.tflops, 1e-6) {
        return Err(format!(
            "{at}: weighted_tflops {} is not what the file's runs give ({})",
            show(w.weighted_tflops),
            show(expected.tflops)
        ));
    }
    let peak = device.rated_tflops.get(&w.dtype).copied();
    let utilization = expected.tflops.zip(peak).map(|(t, p)| t / p);
    let extremes = same(w.slowest_tflops, expected.slowest, 1e-9)
        && same(w.fastest_tflops, expected.fastest, 1e-9);
    if !same(w.weighted_utilization, utilization, 1e-6) || !extremes {
        return Err(format!(
            "{at}: weighted_utilization {}, slowest and fastest rates are not what the runs \
             and the rated peak give (utilization {})",
            show(w.weighted_utilization),
            show(utilization)
        ));
    }
    Ok(())
}

/// Every check of a model bench's record.
pub(super) fn check(m: &ModelRecord, doc: &Results) -> Result<(), Problem> {
    check_gemms(m)?;
    check_unmeasured(m)?;
    for (i, w) in m.weighted.iter().enumerate() {
        check_figure(i, w, m, doc)?;
    }
    let first = m.weighted.first();
    let headline = same(
        m.weighted_tflops,
        first.and_then(|w| w.weighted_tflops),
        1e-12,
    ) && same(
        m.weighted_utilization,
        first.and_then(|w| w.weighted_utilization),
        1e-12,
    );
    if !headline {
        return Err(format!(
            "model: weighted_tflops {} and weighted_utilization {} are not those of \
             model.weighted[0]",
            show(m.weighted_tflops),
            show(m.weighted_utilization)
        ));
    }
    Ok(())
}
