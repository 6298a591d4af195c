//! The cluster file, version 1 (`flopmeter.cluster/v1`): what `merge` and the MPI gather write
//! for a cluster run. Per rank file: its path and content hash (its samples stay there unless
//! `merge --with-samples` copies them), its devices, and per job a summary (median, quartiles and
//! fastest rate, verification, telemetry, verdict); then the cluster's aggregates, the
//! distribution of each job across the devices, the stragglers, and the ranks that are dead or
//! missing. It is written as the merge goes (`write`: the ranks one per line), so its size and
//! the merge's memory follow the number of (rank, job) summaries, not the samples. Field names
//! are a contract with users' scripts, as in the results file.

mod distribution;
mod io;
mod validate;
mod write;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dtype::Dtype;
use crate::peaks::PeakKind;

use super::types::{
    Backend, Collective, DeadRank, DtypeAggregate, RankInfo, Settings, Straggler, Tool, Verdict,
    VerificationStatus,
};

pub use distribution::{distributions, Distributions, DISTRIBUTION_BINS};
pub use io::{is_cluster_file, load, parse, MAX_BYTES};
pub use validate::{check_rank, validate};
pub use write::ClusterWriter;

pub const CLUSTER_SCHEMA_ID: &str = "flopmeter.cluster/v1";

/// A cluster run: every rank file summarised, and what the cluster makes of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterFile {
    /// Always "flopmeter.cluster/v1" for this version.
    pub schema: String,
    pub tool: Tool,
    /// RFC 3339 time of the merge.
    pub created_at: String,
    /// Every job carries its samples (`times_s`): `merge --with-samples`.
    #[serde(default)]
    pub with_samples: bool,
    /// One record per rank file (per results file merged), in the order merged.
    pub ranks: Vec<RankRecord>,
    /// The distinct settings of the rank files, less what does not change a rate (command line,
    /// seed, backends and dtypes asked for); `ranks[].settings` is an index into this list. GPUs
    /// are compared as stragglers only with GPUs of the same chip and settings.
    pub settings: Vec<Settings>,
    pub cluster: ClusterPart,
    /// The GPUs at least `cluster.straggler_threshold` below the median of the GPUs they are
    /// compared with (the same chip and settings), per dtype.
    pub stragglers: Vec<Straggler>,
    /// Why some groups were not compared, problems common to the whole cluster.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// What the cluster makes of its ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterPart {
    /// Rank files merged (the length of `ranks`).
    pub files: usize,
    pub hosts: Vec<String>,
    /// Distinct ranks (files without a launcher count as one rank each machine).
    pub ranks: usize,
    /// Distinct devices.
    pub devices: usize,
    /// A device is a straggler when its best TFLOP/s for a dtype is this fraction or more below
    /// the median of the devices it is compared with.
    pub straggler_threshold: f64,
    /// Per dtype: sum, median, min and max of each device's best verified rate, for the cluster
    /// and per node.
    pub aggregates: Vec<DtypeAggregate>,
    /// Per job (chip, kernel, dtype, shape): how its verified median rates spread across the
    /// devices. Recomputed from `ranks` on loading.
    pub distributions: Vec<JobDistribution>,
    /// Rank files with no verified result, and ranks whose results of one dtype all failed
    /// (with that `dtype`).
    #[serde(default)]
    pub dead_ranks: Vec<DeadRank>,
    /// Ranks of a launched job's world with no file at all: killed before their first save.
    #[serde(default)]
    pub missing_ranks: Vec<u32>,
    /// Rank files of runs stopped early (or still running): what they hold is merged.
    #[serde(default)]
    pub interrupted: Vec<String>,
    /// Why some devices were not compared with each other as stragglers, one sentence per dtype.
    #[serde(default)]
    pub not_compared: Vec<String>,
}

/// One rank file, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankRecord {
    /// The rank file as merge was given it (the MPI gather: the path the rank wrote it to).
    pub file: String,
    /// SHA-256 of the file's bytes, hex: the samples are there, and this says it is the same file.
    pub sha256: String,
    /// The file's size, bytes.
    pub bytes: u64,
    pub host: String,
    /// Cluster rank, when it ran under a launcher.
    pub rank: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<RankInfo>,
    /// When the rank's bench started (RFC 3339).
    pub created_at: String,
    /// The rank's bench stopped early (or was still running).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Index into the file's `settings`.
    pub settings: usize,
    /// Device ids are prefixed with the host and rank: `node1/rank3/cuda:0`.
    pub devices: Vec<DeviceSummary>,
    pub jobs: Vec<JobSummary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collectives: Vec<Collective>,
}

/// A device of a rank: what identifies it and its rated peaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceSummary {
    pub id: String,
    pub name: String,
    pub backend: Backend,
    /// Dense TFLOP/s per dtype.
    pub rated_tflops: BTreeMap<Dtype, f64>,
    pub rated_kind: PeakKind,
    /// The rated-peak table's key that matched, if any (the chip a reference rate is for).
    pub rated_matched: Option<String>,
    /// The CUDA driver version or the wgpu driver, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
}

/// One job (device, kernel, dtype, shape) of a rank, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobSummary {
    pub device: String,
    pub kernel: String,
    pub dtype: Dtype,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// Products per timed call (1 for a plain GEMM).
    pub batch: usize,
    /// Timed samples in the rank file.
    pub samples: usize,
    /// TFLOP/s at the median time: the number to quote.
    pub median_tflops: f64,
    /// TFLOP/s at the slower quartile of times, and at the faster one.
    pub p25_tflops: f64,
    pub p75_tflops: f64,
    /// TFLOP/s of the fastest sample.
    pub max_tflops: f64,
    pub verification: VerificationStatus,
    /// The warm-up settled and sampling converged.
    pub settled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<TelemetrySummary>,
    /// On the device's best verified job of each dtype, where its chip has a published
    /// reference rate (data/reference_rates.csv): the median against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_reference: Option<f64>,
    /// Device time of every timed iteration, seconds: only with `merge --with-samples`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times_s: Option<Vec<f64>>,
}

/// What the telemetry sampled during a job, without its samples.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct TelemetrySummary {
    pub sm_clock_mhz: Option<f64>,
    pub power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub temperature_c_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle_reasons: Vec<String>,
}

/// How one job's verified median rates spread across the devices that ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobDistribution {
    pub device_name: String,
    pub kernel: String,
    pub dtype: Dtype,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub batch: usize,
    /// Devices with a verified result of this job.
    pub count: usize,
    /// Results of this job that failed verification or were not checked.
    pub unverified: usize,
    pub min_tflops: f64,
    pub p1_tflops: f64,
    pub p5_tflops: f64,
    pub median_tflops: f64,
    pub p95_tflops: f64,
    pub max_tflops: f64,
    pub histogram: Histogram,
}

/// Devices per bin of equal width from `lo_tflops`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Histogram {
    pub lo_tflops: f64,
    pub bin_tflops: f64,
    pub counts: Vec<usize>,
}

impl JobDistribution {
    pub fn problem(&self) -> crate::shape::Problem {
        crate::shape::Problem::of(self.m, self.n, self.k, self.batch)
    }
}

impl JobSummary {
    /// "cublas bf16 8192x8192x8192" (with "8x(...)" for a batch).
    pub fn job(&self) -> String {
        format!("{} {} {}", self.kernel, self.dtype, self.problem())
    }

    pub fn problem(&self) -> crate::shape::Problem {
        crate::shape::Problem::of(self.m, self.n, self.k, self.batch)
    }

    pub fn is_verified(&self) -> bool {
        self.verification == VerificationStatus::Passed
    }
}

impl ClusterFile {
    /// Every device of every rank, with its rank record.
    pub fn devices(&self) -> impl Iterator<Item = (&RankRecord, &DeviceSummary)> {
        self.ranks
            .iter()
            .flat_map(|r| r.devices.iter().map(move |d| (r, d)))
    }

    /// Each device's best verified job per dtype (`results::best`'s rule: verified, the highest
    /// median), in the order the devices appear.
    pub fn best_jobs(&self) -> Vec<(&RankRecord, &DeviceSummary, &JobSummary)> {
        let mut out: Vec<(&RankRecord, &DeviceSummary, &JobSummary)> = Vec::new();
        let mut at: std::collections::HashMap<(&str, Dtype), usize> = Default::default();
        for r in &self.ranks {
            for j in r.jobs.iter().filter(|j| j.is_verified()) {
                let Some(d) = r.devices.iter().find(|d| d.id == j.device) else {
                    continue;
                };
                match at.get(&(j.device.as_str(), j.dtype)) {
                    Some(i) if out[*i].2.median_tflops >= j.median_tflops => {}
                    Some(i) => out[*i] = (r, d, j),
                    None => {
                        at.insert((j.device.as_str(), j.dtype), out.len());
                        out.push((r, d, j));
                    }
                }
            }
        }
        out
    }

    /// Every job of every rank, with its rank record.
    pub fn jobs(&self) -> impl Iterator<Item = (&RankRecord, &JobSummary)> {
        self.ranks
            .iter()
            .flat_map(|r| r.jobs.iter().map(move |j| (r, j)))
    }
}
