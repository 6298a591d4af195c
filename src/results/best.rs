//! One rule for "the best verified result": a run counts only when its verification passed (a
//! failed or skipped check never counts), and the best is the highest median TFLOP/s. Merge,
//! calibration and reports all ask here.

use crate::dtype::Dtype;

use super::types::{DeviceRecord, Results, Run, VerificationStatus};

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
