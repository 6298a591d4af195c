//! What good looks like: the best published *measured* dense GEMM rate per chip and dtype
//! (data/reference_rates.csv, each with who measured it, how and where it was published), and
//! the verdict on a measurement against it. Utilization says how far a GPU is from its
//! datasheet; this says whether it performs as the same chip does elsewhere.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::dtype::Dtype;
use crate::results::best::best_per_device;
use crate::results::cluster::ClusterFile;
use crate::results::{DeviceVerdict, Results, Straggler, Verdict};

/// Within this fraction of the reference, a GPU performs as expected.
pub const TOLERANCE: f64 = 0.05;

/// The figure to compare against, or another publication that corroborates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Corroborating,
}

/// One published measurement. `tflops` is per device as drivers show it (one GCD of an
/// MI250X, one GPU of a GB200 superchip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRate {
    /// The rated-peak table's key (data/peaks.csv).
    pub chip: String,
    pub dtype: Dtype,
    pub tflops: f64,
    pub role: Role,
    /// high, medium or low: how well the measurement is documented and how many agree.
    pub confidence: String,
    pub shape: String,
    pub software: String,
    pub date: String,
    pub measured_by: String,
    /// The board power the measurement was made at, where the source says, watts.
    pub power_w: Option<f64>,
    pub source: String,
    pub notes: String,
}

const DATA: &str = include_str!("../data/reference_rates.csv");

/// Every row of the bundled file (checked by the tests: it parses, one primary row per chip
/// and dtype, every chip in the rated-peak table).
pub fn rates() -> &'static [ReferenceRate] {
    static RATES: OnceLock<Vec<ReferenceRate>> = OnceLock::new();
    RATES.get_or_init(|| parse(DATA).expect("data/reference_rates.csv is valid (tested)"))
}

fn parse(text: &str) -> Result<Vec<ReferenceRate>, String> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| format!("reference_rates.csv row {}: {e}", i + 2)))
        .collect()
}

/// The figure a device of `chip` (a table key) is compared with for `dtype`.
pub fn reference(chip: &str, dtype: Dtype) -> Option<&'static ReferenceRate> {
    rates()
        .iter()
        .find(|r| r.chip == chip && r.dtype == dtype && r.role == Role::Primary)
}

/// Other publications for the same chip and dtype.
pub fn corroborating(chip: &str, dtype: Dtype) -> Vec<&'static ReferenceRate> {
    rates()
        .iter()
        .filter(|r| r.chip == chip && r.dtype == dtype && r.role == Role::Corroborating)
        .collect()
}

impl ReferenceRate {
    /// "ml-engineering MAMF table (Stas Bekman), 2025-01-04".
    pub fn cite(&self) -> String {
        format!("{}, {}", self.measured_by, self.date)
    }
}

/// `measured / reference` and what it means: within the tolerance either way is as expected.
pub fn judge(measured: f64, reference: f64) -> (f64, Verdict) {
    let ratio = measured / reference;
    let verdict = if ratio < 1.0 - TOLERANCE {
        Verdict::Below
    } else if ratio > 1.0 + TOLERANCE {
        Verdict::Above
    } else {
        Verdict::AsExpected
    };
    (ratio, verdict)
}

/// The one-word verdict with its size: "as expected", "below expected by 24%", "above the
/// reference by 8%".
pub fn describe(ratio: f64, verdict: Verdict) -> String {
    match verdict {
        Verdict::AsExpected => "as expected".into(),
        Verdict::Below => format!("below expected by {:.0}%", (1.0 - ratio) * 100.0),
        Verdict::Above => format!("above the reference by {:.0}%", (ratio - 1.0) * 100.0),
    }
}

/// The verdict line of one device, with the power it ran at where sampled: "below expected
/// by 24% (600.0 vs 794.5 TFLOP/s; at 550 W of a 700 W cap)".
pub fn explain(v: &DeviceVerdict) -> String {
    let mut s = format!(
        "{} ({:.1} vs {:.1} TFLOP/s",
        describe(v.vs_reference, v.verdict),
        v.best_tflops,
        v.reference_tflops
    );
    match (v.power_w, v.power_limit_w) {
        (Some(p), Some(cap)) => {
            s.push_str(&format!("; at {p:.0} W of a {cap:.0} W cap"));
            if p >= 0.95 * cap {
                s.push_str(": power-limited");
            }
        }
        (Some(p), None) => s.push_str(&format!("; at {p:.0} W")),
        _ => {}
    }
    if v.verdict == Verdict::Above {
        s.push_str("; news: check the clocks, the timing and the peak");
    }
    s.push(')');
    s
}

/// Every device of a results file with a reference for its chip: its best verified run per
/// dtype against it.
pub fn verdicts(doc: &Results) -> Vec<DeviceVerdict> {
    best_per_device(doc)
        .into_iter()
        .filter_map(|b| {
            let chip = b.device.rated_matched.as_deref()?;
            let r = reference(chip, b.dtype)?;
            let (vs_reference, verdict) = judge(b.run.tflops.median, r.tflops);
            let energy = b.run.energy.as_ref();
            Some(DeviceVerdict {
                device: b.device.id.clone(),
                device_name: b.device.name.clone(),
                dtype: b.dtype,
                best_tflops: b.run.tflops.median,
                best_run: format!("{} {}", b.run.kernel, b.run.problem()),
                reference_tflops: r.tflops,
                reference_source: format!("{}: {}", r.cite(), r.source),
                vs_reference,
                verdict,
                power_w: energy.map(|e| e.power_w),
                power_limit_w: energy.and_then(|e| e.power_limit_w),
            })
        })
        .collect()
}

/// Every device of a cluster file with a reference for its chip: its best verified job per
/// dtype against it, recomputed with this flopmeter's data.
pub fn cluster_verdicts(file: &ClusterFile) -> Vec<DeviceVerdict> {
    file.best_jobs()
        .into_iter()
        .filter_map(|(_, d, j)| {
            let r = reference(d.rated_matched.as_deref()?, j.dtype)?;
            let (vs_reference, verdict) = judge(j.median_tflops, r.tflops);
            let t = j.telemetry.as_ref();
            Some(DeviceVerdict {
                device: d.id.clone(),
                device_name: d.name.clone(),
                dtype: j.dtype,
                best_tflops: j.median_tflops,
                best_run: format!("{} {}", j.kernel, j.problem()),
                reference_tflops: r.tflops,
                reference_source: format!("{}: {}", r.cite(), r.source),
                vs_reference,
                verdict,
                power_w: t.and_then(|t| t.power_w).filter(|p| *p > 0.0),
                power_limit_w: t.and_then(|t| t.power_limit_w),
            })
        })
        .collect()
}

/// A cluster whose GPUs are all below their reference for a dtype while none is a straggler
/// against the cluster median has a problem common to all of them (power caps, clocks,
/// drivers): the median hides it. One line per such dtype.
pub fn cluster_wide_problems(doc: &Results, verdicts: &[DeviceVerdict]) -> Vec<String> {
    cluster_wide_of(doc.stragglers.as_deref().unwrap_or_default(), verdicts)
}

/// The same from the stragglers and verdicts of any cluster (a results file or a cluster file).
pub fn cluster_wide_of(stragglers: &[Straggler], verdicts: &[DeviceVerdict]) -> Vec<String> {
    let mut dtypes: Vec<Dtype> = verdicts.iter().map(|v| v.dtype).collect();
    dtypes.sort();
    dtypes.dedup();
    dtypes
        .into_iter()
        .filter_map(|dtype| {
            let of: Vec<&DeviceVerdict> = verdicts.iter().filter(|v| v.dtype == dtype).collect();
            let none = !stragglers.iter().any(|s| s.dtype == dtype);
            let all_below = of.iter().all(|v| v.verdict == Verdict::Below);
            let range = of.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
                (lo.min(v.vs_reference), hi.max(v.vs_reference))
            });
            cluster_wide_line(dtype, of.len(), all_below && none, range)
        })
        .collect()
}

/// The line for one dtype of `devices` GPUs with a verdict, when all are below their reference
/// and none is a straggler (`all_below_none_straggling`); `range` is their lowest and highest
/// ratio to the reference.
pub fn cluster_wide_line(
    dtype: Dtype,
    devices: usize,
    all_below_none_straggling: bool,
    (worst, best): (f64, f64),
) -> Option<String> {
    (devices >= 2 && all_below_none_straggling).then(|| {
        format!(
            "{dtype}: all {devices} GPUs are below their reference ({:.0}% to {:.0}% short) and \
             none is a straggler against the cluster median: a cluster-wide problem \
             (power caps, clocks, drivers), not a bad GPU",
            (1.0 - best) * 100.0,
            (1.0 - worst) * 100.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_file_is_consistent() {
        let rows = rates();
        assert!(rows.len() > 50);
        let keys: Vec<&str> = crate::peaks::chips()
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        for r in rows {
            assert!(
                keys.contains(&r.chip.as_str()),
                "{} is not a table key",
                r.chip
            );
            assert!(r.tflops > 0.0 && !r.source.is_empty(), "{r:?}");
            assert!(
                ["high", "medium", "low"].contains(&r.confidence.as_str()),
                "{r:?}"
            );
            let primaries = rows
                .iter()
                .filter(|x| x.chip == r.chip && x.dtype == r.dtype && x.role == Role::Primary)
                .count();
            assert_eq!(primaries, 1, "{} {}", r.chip, r.dtype);
        }
    }

    #[test]
    fn the_chips_the_issue_names_have_a_bf16_reference() {
        for chip in [
            "A100 SXM4 80GB",
            "A100 PCIe 80GB",
            "H100 SXM5 80GB",
            "H100 PCIe 80GB",
            "H200 SXM 141GB",
            "GH200 (Hopper GPU)",
            "L4",
            "L40S",
            "GeForce RTX 4090",
            "Instinct MI250X (board)",
            "Instinct MI300X",
            "Intel Gaudi2",
        ] {
            assert!(reference(chip, Dtype::Bf16).is_some(), "{chip}");
        }
        // mamf-finder's H100 SXM bf16 maximum achievable.
        assert_eq!(
            reference("H100 SXM5 80GB", Dtype::Bf16).unwrap().tflops,
            794.5
        );
    }

    #[test]
    fn verdict_boundaries() {
        assert_eq!(judge(95.0, 100.0).1, Verdict::AsExpected);
        assert_eq!(judge(94.9, 100.0).1, Verdict::Below);
        assert_eq!(judge(105.0, 100.0).1, Verdict::AsExpected);
        assert_eq!(judge(105.1, 100.0).1, Verdict::Above);
        assert_eq!(judge(100.0, 100.0).1, Verdict::AsExpected);
        let (r, v) = judge(600.0, 794.5);
        assert_eq!(describe(r, v), "below expected by 24%");
        let (r, v) = judge(860.0, 794.5);
        assert_eq!(describe(r, v), "above the reference by 8%");
    }
}
