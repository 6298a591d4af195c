//! Utilization calibrated from a results file: the best verified matmul utilization measured on
//! the chip (a ceiling on training MFU), times an end-to-end factor with a spread. The best
//! verified result is `results::best`'s one rule.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dtype::Dtype;
use crate::peaks::{lookup, ChipRow};
use crate::results::best::{best_verified, is_verified};
use crate::results::cluster::ClusterFile;
use crate::results::{self, Document, Results, ResultsError, Run};

#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub file: PathBuf,
    pub device: String,
    pub device_name: String,
    pub dtype: Dtype,
    /// Best verified median utilization of a matmul on that device (against its rated peak),
    /// recomputed from the measured TFLOP/s and the rated peak in the file; or, for a file of
    /// `bench --model`, the FLOP-weighted utilization of the model's GEMMs.
    pub matmul_utilization: f64,
    /// Which result gave it: "tiled f32 4096x4096x4096", or the model's weighted GEMMs.
    pub best_result: String,
    /// "best matmul" or "model GEMMs (FLOP-weighted)".
    pub basis: String,
    /// The utilization is above 100% of the rated peak: a timing or peak error in the file.
    pub above_peak: bool,
    /// The device's rated peak in the file, TFLOP/s.
    pub rated_tflops: Option<f64>,
    /// Median board power sampled (NVML) during that result, watts; None without telemetry.
    pub power_w: Option<f64>,
    /// Devices in the file with results of this dtype.
    pub devices_considered: usize,
    /// Which of them stands for the file: the slowest or the median.
    pub cluster_stat: ClusterStat,
}

/// Which GPU of a file with several stands for the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterStat {
    /// Synchronous data-parallel training runs at the pace of its slowest GPU.
    Slowest,
    Median,
}

impl ClusterStat {
    pub fn name(self) -> &'static str {
        match self {
            ClusterStat::Slowest => "slowest",
            ClusterStat::Median => "median",
        }
    }
}

impl std::str::FromStr for ClusterStat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "slowest" | "min" => Ok(ClusterStat::Slowest),
            "median" => Ok(ClusterStat::Median),
            _ => Err("expected slowest or median".into()),
        }
    }
}

/// Why a results file cannot calibrate the estimate. The command layer says which flag helps.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error(transparent)]
    Load(#[from] ResultsError),
    #[error("{} has no verified {dtype} result with a rated peak (it has: {})", .file.display(), list_or_none(.have))]
    NoResult {
        file: PathBuf,
        dtype: Dtype,
        have: Vec<String>,
    },
    #[error("{} has no verified {dtype} result for device '{device}'", .file.display())]
    NoDevice {
        file: PathBuf,
        dtype: Dtype,
        device: String,
    },
    /// The file's device is another chip than the estimate's.
    #[error("{} was measured on {} but the estimate is for '{chip}'", .file.display(), .others.join(", "))]
    OtherChip {
        file: PathBuf,
        others: Vec<String>,
        chip: String,
    },
    /// Several different devices and nothing says which one.
    #[error("{} holds {dtype} results of different devices ({})", .file.display(), .devices.join(", "))]
    SeveralDevices {
        file: PathBuf,
        dtype: Dtype,
        devices: Vec<String>,
    },
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// What to calibrate from: the file, and which of its devices may stand for the chip.
#[derive(Debug, Clone)]
pub struct CalibrationSpec<'a> {
    pub path: &'a Path,
    pub dtype: Dtype,
    /// The chip the estimate is for; the file's device must be that chip unless `allow_other`.
    pub chip: Option<&'a ChipRow>,
    /// One device id of the file.
    pub device: Option<&'a str>,
    pub allow_other: bool,
    pub stat: ClusterStat,
}

/// A device's figure for the dtype: its model's weighted GEMMs where the file has them, else its
/// best verified result; utilization recomputed from TFLOP/s and the rated peak.
struct Candidate {
    id: String,
    name: String,
    rated_matched: Option<String>,
    rated_tflops: f64,
    utilization: f64,
    what: String,
    basis: &'static str,
    power_w: Option<f64>,
}

fn same_chip(c: &Candidate, chip: &ChipRow) -> bool {
    c.rated_matched.as_deref() == Some(chip.key.as_str())
        || lookup(&c.name)
            .map(|m| m.row.key == chip.key)
            .unwrap_or(false)
}

/// The model's FLOP-weighted rate of a device, with what it covers.
fn weighted(r: &Results, device: &str, dtype: Dtype) -> Option<(f64, String)> {
    let m = r.model.as_ref()?;
    let w = m
        .weighted
        .iter()
        .find(|w| w.device == device && w.dtype == dtype)?;
    Some((
        w.weighted_tflops?,
        format!(
            "the FLOP-weighted GEMMs of {} ({:.1}% of the step's GEMM FLOP measured)",
            m.name,
            (1.0 - m.unmeasured_share) * 100.0
        ),
    ))
}

/// Each device's figure for `dtype` (the file's `utilization` fields are not trusted: the
/// rate over the rated peak is recomputed).
fn candidates(r: &Results, dtype: Dtype) -> Vec<Candidate> {
    r.devices
        .iter()
        .filter_map(|device| {
            let run: &Run = best_verified(r, &device.id, dtype)?;
            let peak = device.rated_tflops.get(&dtype).copied()?;
            let (tflops, what, basis) = match weighted(r, &device.id, dtype) {
                Some((w, what)) => (w, what, "model GEMMs (FLOP-weighted)"),
                None => (
                    run.tflops.median,
                    format!("{} {} {}", run.kernel, run.dtype, run.problem()),
                    "best matmul",
                ),
            };
            Some(Candidate {
                id: device.id.clone(),
                name: device.name.clone(),
                rated_matched: device.rated_matched.clone(),
                rated_tflops: peak,
                utilization: tflops / peak,
                what,
                basis,
                power_w: run.telemetry.as_ref().and_then(|t| t.power_w_median),
            })
        })
        .collect()
}

/// Each device's best verified job for `dtype` in a cluster file (`merge`'s output).
fn cluster_candidates(c: &ClusterFile, dtype: Dtype) -> Vec<Candidate> {
    c.best_jobs()
        .into_iter()
        .filter(|(_, _, j)| j.dtype == dtype)
        .filter_map(|(_, d, j)| {
            let peak = d.rated_tflops.get(&dtype).copied()?;
            Some(Candidate {
                id: d.id.clone(),
                name: d.name.clone(),
                rated_matched: d.rated_matched.clone(),
                rated_tflops: peak,
                utilization: j.median_tflops / peak,
                what: j.job(),
                basis: "best matmul",
                power_w: j.telemetry.as_ref().and_then(|t| t.power_w),
            })
        })
        .collect()
}

/// The dtypes with a verified result, each once, by name.
fn distinct_names(verified: impl Iterator<Item = Dtype>) -> Vec<String> {
    let mut have: Vec<String> = verified.map(|d| d.name().to_string()).collect();
    have.sort_unstable();
    have.dedup();
    have
}

fn cluster_verified_dtypes(c: &ClusterFile) -> Vec<String> {
    distinct_names(
        c.jobs()
            .filter(|(_, j)| j.is_verified())
            .map(|(_, j)| j.dtype),
    )
}

fn verified_dtypes(r: &Results) -> Vec<String> {
    distinct_names(
        r.runs
            .iter()
            .filter(|run| is_verified(run))
            .map(|run| run.dtype),
    )
}

/// Keeps the devices that may stand for the estimate's chip, or says why none may.
fn admissible(
    spec: &CalibrationSpec<'_>,
    mut found: Vec<Candidate>,
) -> Result<Vec<Candidate>, CalibrateError> {
    let file = spec.path.to_path_buf();
    if let Some(id) = spec.device {
        found.retain(|c| c.id == id);
        if found.is_empty() {
            return Err(CalibrateError::NoDevice {
                file,
                dtype: spec.dtype,
                device: id.to_string(),
            });
        }
    }
    match spec.chip {
        Some(chip) if !spec.allow_other => {
            let others: Vec<String> = found
                .iter()
                .filter(|c| !same_chip(c, chip))
                .map(|c| format!("{} '{}'", c.id, c.name))
                .collect();
            if !others.is_empty() {
                return Err(CalibrateError::OtherChip {
                    file,
                    others,
                    chip: chip.key.clone(),
                });
            }
        }
        Some(_) => {}
        None => {
            let mut names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            if names.len() > 1 && spec.device.is_none() {
                return Err(CalibrateError::SeveralDevices {
                    file,
                    dtype: spec.dtype,
                    devices: found.iter().map(|c| c.id.clone()).collect(),
                });
            }
        }
    }
    Ok(found)
}

/// Reads the results file (or cluster file) and finds the calibration: among the admissible
/// devices, the slowest (synchronous training runs at the pace of its slowest chip) or the
/// median one.
pub fn calibrate(spec: &CalibrationSpec<'_>) -> Result<Calibration, CalibrateError> {
    let (found, have) = match results::load_any(spec.path)? {
        Document::Results(r) => (candidates(&r, spec.dtype), verified_dtypes(&r)),
        Document::Cluster(c) => (
            cluster_candidates(&c, spec.dtype),
            cluster_verified_dtypes(&c),
        ),
    };
    if found.is_empty() {
        return Err(CalibrateError::NoResult {
            file: spec.path.to_path_buf(),
            dtype: spec.dtype,
            have,
        });
    }
    let mut found = admissible(spec, found)?;
    let considered = found.len();
    found.sort_by(|a, b| a.utilization.total_cmp(&b.utilization));
    let pick = match spec.stat {
        ClusterStat::Slowest => 0,
        ClusterStat::Median => (found.len() - 1) / 2,
    };
    let c = found.swap_remove(pick);
    Ok(Calibration {
        file: spec.path.to_path_buf(),
        device: c.id,
        device_name: c.name,
        dtype: spec.dtype,
        matmul_utilization: c.utilization,
        best_result: c.what,
        basis: c.basis.into(),
        above_peak: c.utilization > 1.0,
        rated_tflops: Some(c.rated_tflops),
        power_w: c.power_w,
        devices_considered: considered,
        cluster_stat: spec.stat,
    })
}
