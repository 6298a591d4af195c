//! One rule for "the best verified result": a run counts only when its verification passed (a
//! failed or skipped check never counts), and the best is the highest median TFLOP/s. Merge,
//! calibration and reports all ask here.

use crate::dtype::Dtype;

use super::types::{DeviceRecord, Results, Run, VerificationStatus};
use crate::shape::Problem;

/// True when the run's result was checked against the f64 reference and passed.
pub fn is_verified(run: &Run) -> bool {
    run.verification.status == VerificationStatus::Passed
}

/// The fastest verified run among `runs` (by median TFLOP/s).
pub fn fastest<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Option<&'a Run> {
    runs.into_iter()
        .filter(|r| is_verified(r))
        .max_by(|a, b| a.tflops.median.total_cmp(&b.tflops.median))
}

/// The fastest verified run of one device for one dtype, any kernel and shape.
pub fn best_verified<'a>(doc: &'a Results, device: &str, dtype: Dtype) -> Option<&'a Run> {
    fastest(
        doc.runs
            .iter()
            .filter(|r| r.device == device && r.dtype == dtype),
    )
}

/// A device's best verified run for one dtype.
#[derive(Debug, Clone, Copy)]
pub struct DeviceBest<'a> {
    pub device: &'a DeviceRecord,
    pub dtype: Dtype,
    pub run: &'a Run,
}

/// For every device and every dtype it has a verified run of, the best one; in the order of
/// the devices, then of the dtypes.
pub fn best_per_device(doc: &Results) -> Vec<DeviceBest<'_>> {
    let mut out = Vec::new();
    for device in &doc.devices {
        let mut dtypes: Vec<Dtype> = doc
            .runs
            .iter()
            .filter(|r| r.device == device.id)
            .map(|r| r.dtype)
            .collect();
        dtypes.sort();
        dtypes.dedup();
        for dtype in dtypes {
            if let Some(run) = best_verified(doc, &device.id, dtype) {
                out.push(DeviceBest { device, dtype, run });
            }
        }
    }
    out
}

/// The best verified rate of `problem` on a device in a dtype, TFLOP/s.
pub fn problem_rate(doc: &Results, device: &str, dtype: Dtype, problem: Problem) -> Option<f64> {
    fastest(
        doc.runs
            .iter()
            .filter(|r| r.device == device && r.dtype == dtype && r.problem() == problem),
    )
    .map(|r| r.tflops.median)
}

/// A model's GEMMs at their best verified rates on one device and dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedRate {
    /// The GEMMs' FLOP over the time they take, each at its rate: the harmonic mean a step
    /// really runs at. None when a shape has no verified rate.
    pub tflops: Option<f64>,
    pub slowest: Option<f64>,
    pub fastest: Option<f64>,
    /// Shapes ("MxNxK") without a verified rate, each once.
    pub missing: Vec<String>,
}

/// The FLOP-weighted rate of `gemms` (each a problem and its FLOP, or its share of them): one
/// rule for the bench that writes it and the loader that checks it.
pub fn weighted_rate(
    doc: &Results,
    device: &str,
    dtype: Dtype,
    gemms: impl IntoIterator<Item = (Problem, f64)>,
) -> WeightedRate {
    let (mut flop, mut time) = (0.0, 0.0);
    let mut rates = Vec::new();
    let mut missing = Vec::new();
    for (problem, weight) in gemms {
        match problem_rate(doc, device, dtype, problem) {
            Some(tflops) => {
                flop += weight;
                time += weight / tflops;
                rates.push(tflops);
            }
            None if !missing.contains(&problem.to_string()) => missing.push(problem.to_string()),
            None => {}
        }
    }
    WeightedRate {
        tflops: (missing.is_empty() && time > 0.0).then(|| flop / time),
        slowest: rates.iter().copied().reduce(f64::min),
        fastest: rates.iter().copied().reduce(f64::max),
        missing,
    }
}
