//! Utilization calibrated from a results file: the best verified matmul utilization measured on
//! the chip (a ceiling on training MFU), times an end-to-end factor with a spread.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dtype::Dtype;
use crate::peaks::{lookup, ChipRow};
use crate::results::{self, DeviceRecord, Results, VerificationStatus};

#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub file: PathBuf,
    pub device: String,
    pub device_name: String,
    pub dtype: Dtype,
    /// Best verified median utilization of a matmul on that device (against its rated peak).
    pub matmul_utilization: f64,
    /// Which result gave it: "tiled f32 4096x4096x4096".
    pub best_result: String,
    /// The device's rated peak in the file, TFLOP/s.
    pub rated_tflops: Option<f64>,
    /// Devices in the file with results of this dtype.
    pub devices_considered: usize,
    /// Which of them stands for the file: the slowest or the median.
    pub cluster_stat: ClusterStat,
}

fn same_chip(d: &DeviceRecord, gpu: &ChipRow) -> bool {
    d.rated_matched.as_deref() == Some(gpu.key.as_str())
        || lookup(&d.name)
            .map(|m| m.row.key == gpu.key)
            .unwrap_or(false)
}

/// Best verified utilization of `dtype` on each device of the file.
fn best_per_device(r: &Results, dtype: Dtype) -> Vec<(&DeviceRecord, f64, String)> {
    r.devices
        .iter()
        .filter_map(|d| {
            r.runs
                .iter()
                .filter(|run| {
                    run.device == d.id
                        && run.dtype == dtype
                        && run.verification.status == VerificationStatus::Passed
                })
                .filter_map(|run| {
                    run.utilization.rated.map(|u| {
                        (
                            u,
                            format!("{} {} {}x{}x{}", run.kernel, run.dtype, run.m, run.n, run.k),
                        )
                    })
                })
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(u, what)| (d, u, what))
        })
        .collect()
}

/// Which GPU of a file with several stands for the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterStat {
    /// Synchronous data-parallel training runs at the pace of its slowest GPU.
    Slowest,
    Median,
}

impl std::str::FromStr for ClusterStat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "slowest" | "min" => Ok(ClusterStat::Slowest),
            "median" => Ok(ClusterStat::Median),
            _ => Err(format!(
                "invalid --cluster-stat '{s}': expected slowest or median"
            )),
        }
    }
}

/// Reads `path` and finds the calibration for `dtype`. `gpu` is the chip the estimate is for:
/// the file's device must be the same chip unless `allow_other_device`. `device` picks one
/// device id in the file; otherwise the slowest device with results is used (synchronous
/// training runs at the pace of its slowest chip).
pub fn calibrate(
    path: &Path,
    dtype: Dtype,
    gpu: Option<&ChipRow>,
    device: Option<&str>,
    allow_other_device: bool,
    stat: ClusterStat,
) -> Result<Calibration, String> {
    let r = results::load(path).map_err(|e| e.to_string())?;
    let mut candidates = best_per_device(&r, dtype);
    if candidates.is_empty() {
        let mut have: Vec<&str> = r
            .runs
            .iter()
            .filter(|run| run.verification.status == VerificationStatus::Passed)
            .map(|run| run.dtype.name())
            .collect();
        have.sort_unstable();
        have.dedup();
        return Err(format!(
            "{} has no verified {dtype} result with a rated peak (it has: {})",
            path.display(),
            if have.is_empty() {
                "none".to_string()
            } else {
                have.join(", ")
            }
        ));
    }
    if let Some(id) = device {
        candidates.retain(|(d, _, _)| d.id == id);
        if candidates.is_empty() {
            return Err(format!(
                "{} has no verified {dtype} result for device '{id}'",
                path.display()
            ));
        }
    }
    if let Some(chip) = gpu {
        if !allow_other_device {
            let others: Vec<String> = candidates
                .iter()
                .filter(|(d, _, _)| !same_chip(d, chip))
                .map(|(d, _, _)| format!("{} '{}'", d.id, d.name))
                .collect();
            if !others.is_empty() {
                return Err(format!(
                    "{} was measured on {} but --gpu is '{}': pass --allow-other-device to use it anyway",
                    path.display(),
                    others.join(", "),
                    chip.key
                ));
            }
        }
    } else {
        let mut names: Vec<&str> = candidates.iter().map(|(d, _, _)| d.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() > 1 && device.is_none() {
            return Err(format!(
                "{} holds {dtype} results of different devices ({}): choose one with --device",
                path.display(),
                candidates
                    .iter()
                    .map(|(d, _, _)| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let considered = candidates.len();
    candidates.sort_by(|a, b| a.1.total_cmp(&b.1));
    let pick = match stat {
        ClusterStat::Slowest => 0,
        ClusterStat::Median => (candidates.len() - 1) / 2,
    };
    let (d, u, what) = candidates.swap_remove(pick);
    Ok(Calibration {
        file: path.to_path_buf(),
        device: d.id.clone(),
        device_name: d.name.clone(),
        dtype,
        matmul_utilization: u,
        best_result: what,
        rated_tflops: d.rated_tflops.get(&dtype).copied(),
        devices_considered: considered,
        cluster_stat: stat,
    })
}
