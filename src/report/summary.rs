//! What a report shows, computed once from the results files: per device and dtype the best and
//! median TFLOP/s, rated peak, utilization and verification; kernels side by side; and, across
//! files, ratios.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dtype::Dtype;
use crate::measure::stats::quantile;
use crate::results::best::{fastest, is_verified};
use crate::results::{DeviceVerdict, Results, Run, VerificationStatus};

use super::noise::Noise;

/// One results file as loaded.
pub struct Source {
    pub path: PathBuf,
    /// Short name used in tables and charts: the file stem.
    pub label: String,
    pub results: Results,
}

impl Source {
    pub fn new(path: &Path, results: Results) -> Source {
        Source {
            path: path.to_path_buf(),
            label: Source::label_of(path),
            results,
        }
    }

    /// A file's short name: its stem.
    pub fn label_of(path: &Path) -> String {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// Best and median over shapes of one device, dtype and kernel (verified results only).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub file: String,
    pub device: String,
    pub device_name: String,
    pub host: String,
    pub kernel: String,
    pub dtype: Dtype,
    pub best_tflops: f64,
    pub best_shape: String,
    pub median_tflops: f64,
    pub rated_tflops: Option<f64>,
    pub best_utilization: Option<f64>,
    /// The best run's rate above its rated peak: a timing or peak error.
    pub best_above_peak: bool,
    /// How far to trust the best run's median: its 95% interval and whether it settled.
    pub best_noise: Option<Noise>,
    pub verified: usize,
    pub failed: usize,
    pub results: usize,
    /// Median board power of the best run, watts, and its GFLOP per joule, where sampled.
    pub power_w: Option<f64>,
    pub gflop_per_joule: Option<f64>,
}

/// A device's verdict against the published reference, with the file it came from.
#[derive(Debug, Clone, Serialize)]
pub struct FileVerdict {
    pub file: String,
    #[serde(flatten)]
    pub verdict: DeviceVerdict,
}

/// Every file's devices against the reference rates (recomputed with this flopmeter's data).
pub fn verdicts(sources: &[Source]) -> Vec<FileVerdict> {
    sources
        .iter()
        .flat_map(|s| {
            crate::reference::verdicts(&s.results)
                .into_iter()
                .map(|verdict| FileVerdict {
                    file: s.label.clone(),
                    verdict,
                })
        })
        .collect()
}

fn shape(r: &Run) -> String {
    format!("{}x{}x{}", r.m, r.n, r.k)
}

/// Rows of every file, in file order, then device, dtype, kernel.
pub fn rows(sources: &[Source]) -> Vec<Row> {
    let mut out = Vec::new();
    for s in sources {
        let r = &s.results;
        let mut keys: Vec<(String, Dtype, String)> = r
            .runs
            .iter()
            .map(|run| (run.device.clone(), run.dtype, run.kernel.clone()))
            .collect();
        keys.dedup();
        let mut seen = Vec::new();
        for key in keys {
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let (device, dtype, kernel) = key;
            let runs: Vec<&Run> = r
                .runs
                .iter()
                .filter(|x| x.device == device && x.dtype == dtype && x.kernel == kernel)
                .collect();
            // One rule for what counts: verification passed (crate::results::best).
            let ok: Vec<&&Run> = runs.iter().filter(|x| is_verified(x)).collect();
            let failed = runs
                .iter()
                .filter(|x| x.verification.status == VerificationStatus::Failed)
                .count();
            let verified = ok.len();
            let dev = r.devices.iter().find(|d| d.id == device);
            let rated = dev.and_then(|d| d.rated_tflops.get(&dtype).copied());
            let best = fastest(runs.iter().copied());
            let mut medians: Vec<f64> = ok.iter().map(|x| x.tflops.median).collect();
            medians.sort_by(f64::total_cmp);
            out.push(Row {
                file: s.label.clone(),
                device: device.clone(),
                device_name: dev.map(|d| d.name.clone()).unwrap_or_default(),
                host: r.host.hostname.clone(),
                kernel,
                dtype,
                best_tflops: best.map(|b| b.tflops.median).unwrap_or(f64::NAN),
                best_shape: best.map(shape).unwrap_or_default(),
                median_tflops: quantile(&medians, 0.5),
                rated_tflops: rated,
                best_utilization: match (best, rated) {
                    (Some(b), Some(p)) => Some(b.tflops.median / p),
                    _ => None,
                },
                best_above_peak: best.zip(rated).is_some_and(|(b, p)| b.tflops.median > p),
                best_noise: best.map(Noise::of),
                verified,
                failed,
                results: runs.len(),
                power_w: best.and_then(|b| b.energy.as_ref()).map(|e| e.power_w),
                gflop_per_joule: best
                    .and_then(|b| b.energy.as_ref())
                    .map(|e| e.gflop_per_joule),
            });
        }
    }
    out
}

/// A (device name, dtype, kernel) measured in several files, with ratios to the first file.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub device_name: String,
    pub dtype: Dtype,
    pub kernel: String,
    /// (file, best TFLOP/s, ratio to the first file's best).
    pub files: Vec<(String, f64, f64)>,
}

pub fn comparisons(rows: &[Row], files: &[String]) -> Vec<Comparison> {
    if files.len() < 2 {
        return Vec::new();
    }
    let mut keys: Vec<(String, Dtype, String)> = Vec::new();
    for r in rows {
        let k = (r.device_name.clone(), r.dtype, r.kernel.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .filter_map(|(name, dtype, kernel)| {
            let per_file: Vec<(String, f64)> = files
                .iter()
                .filter_map(|f| {
                    rows.iter()
                        .filter(|r| {
                            &r.file == f
                                && r.device_name == name
                                && r.dtype == dtype
                                && r.kernel == kernel
                        })
                        .map(|r| r.best_tflops)
                        .filter(|v| v.is_finite())
                        .reduce(f64::max)
                        .map(|v| (f.clone(), v))
                })
                .collect();
            if per_file.len() < 2 {
                return None;
            }
            let base = per_file[0].1;
            Some(Comparison {
                device_name: name,
                dtype,
                kernel,
                files: per_file
                    .into_iter()
                    .map(|(f, v)| (f, v, v / base))
                    .collect(),
            })
        })
        .collect()
}
