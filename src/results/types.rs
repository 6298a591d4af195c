//! The results document, version 1. Field names are a contract with users' scripts: add fields,
//! never rename or remove them without a new schema version.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dtype::Dtype;
use crate::peaks::{PeakKind, RatedPeaks};
pub use crate::shape::Shape;

pub const SCHEMA_ID: &str = "flopmeter.results/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Results {
    /// Always "flopmeter.results/v1" for this version.
    pub schema: String,
    pub tool: Tool,
    /// RFC 3339 time the run started.
    pub created_at: String,
    pub host: Host,
    pub settings: Settings,
    pub devices: Vec<DeviceRecord>,
    pub runs: Vec<Run>,
    /// True when the run was stopped early (a signal) or has not finished: the file is saved
    /// as jobs finish (at most every 2 s) and says true until the last one is done. What is here
    /// was measured.
    #[serde(default)]
    pub interrupted: bool,
    /// Warnings and remarks made during the run.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Collective-communication measurements (NCCL all-reduce) beside the GEMMs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collectives: Vec<Collective>,
    /// Present in files made by `flopmeter merge`: aggregates per dtype, per node and cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterSummary>,
    /// `bench --model`: the model, its GEMMs and their FLOP-weighted rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRecord>,
    /// Each GPU's best verified rate per dtype against the published reference for its chip
    /// (data/reference_rates.csv), where one exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<DeviceVerdict>,
    /// Merged files: the devices at least `cluster.straggler_threshold` below the cluster
    /// median for a dtype (empty when none is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stragglers: Option<Vec<Straggler>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Collective {
    /// "all_reduce".
    pub op: String,
    /// Element type and reduction, e.g. "f32 sum".
    pub dtype: String,
    pub devices: Vec<String>,
    pub bytes: u64,
    /// Median time of one collective, seconds.
    pub time_s: f64,
    /// bytes / time.
    pub algbw_gbs: f64,
    /// algbw x 2 (n - 1) / n, as nccl-tests reports it.
    pub busbw_gbs: f64,
    pub samples: Vec<f64>,
}

impl Collective {
    /// nccl-tests' bus bandwidth of an all-reduce: algbw x 2 (n - 1) / n.
    pub fn bus_bandwidth(algbw: f64, gpus: usize) -> f64 {
        algbw * 2.0 * (gpus as f64 - 1.0) / gpus as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterSummary {
    /// Results files merged.
    pub files: Vec<String>,
    pub hosts: Vec<String>,
    pub ranks: usize,
    pub devices: usize,
    /// A device is a straggler when its best TFLOP/s for a dtype is this fraction or more below
    /// the cluster median.
    pub straggler_threshold: f64,
    pub aggregates: Vec<DtypeAggregate>,
    /// Ranks (files) that brought no verified result: dead, interrupted or all failed; and
    /// ranks whose results of one dtype all failed (with that `dtype`).
    #[serde(default)]
    pub dead_ranks: Vec<DeadRank>,
    /// Ranks of a launched job's world (its files record the world size) with no file at all:
    /// killed before their first save.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_ranks: Vec<u32>,
    /// Files of runs stopped early (or still running): what they hold is merged, but they did
    /// not finish.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interrupted: Vec<String>,
    /// Why some devices were not compared with each other as stragglers (other chips, other
    /// shapes, kernels or time budgets), one sentence per dtype.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<String>,
}

/// A rank whose file holds no verified result (or none of one dtype), and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeadRank {
    pub file: String,
    pub host: String,
    pub rank: Option<u32>,
    /// The dtype whose results all failed, for a rank with verified results of other dtypes;
    /// absent when the whole rank brought nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<Dtype>,
    pub runs: usize,
    pub failed_verification: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Aggregate {
    /// Devices counted.
    pub count: usize,
    pub sum_tflops: f64,
    pub median_tflops: f64,
    pub min_tflops: f64,
    pub max_tflops: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NodeAggregate {
    pub host: String,
    #[serde(flatten)]
    pub aggregate: Aggregate,
}

/// Of each device's best verified median TFLOP/s for one dtype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DtypeAggregate {
    pub dtype: Dtype,
    pub cluster: Aggregate,
    pub nodes: Vec<NodeAggregate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Straggler {
    pub host: String,
    pub rank: Option<u32>,
    /// Device id in the merged file.
    pub device: String,
    pub device_name: String,
    pub dtype: Dtype,
    pub tflops: f64,
    pub cluster_median_tflops: f64,
    /// Fraction below the cluster median (0.08 = 8% slower). The median is that of the devices
    /// it is compared with: the same chip measured with the same settings.
    pub shortfall: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub git_commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Host {
    pub hostname: String,
    pub os: String,
    pub kernel: Option<String>,
    pub cpu: String,
    pub physical_cores: Option<u32>,
    pub logical_cores: u32,
    pub memory_bytes: u64,
    /// Cluster rank when run under a launcher (Slurm, MPI, torchrun).
    #[serde(default)]
    pub rank: Option<u32>,
    /// The launcher and this process's place in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<RankInfo>,
    /// Run-time libraries of the GPU backends (cuBLAS, cuBLASLt, NVRTC, NCCL): version and the
    /// file the loader chose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<Library>,
}

/// Which launcher started this process, and its place in the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RankInfo {
    pub launcher: Launcher,
    pub rank: u32,
    pub world_size: u32,
    /// Rank within the node: which GPU this rank measures.
    pub local_rank: u32,
    /// The launcher's job id, where it has one (SLURM_JOB_ID).
    pub job_id: Option<String>,
}

/// The launchers whose environment flopmeter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Launcher {
    /// Open MPI's mpirun (OMPI_COMM_WORLD_*).
    #[serde(rename = "openmpi")]
    OpenMpi,
    /// MPICH, Intel MPI and other PMI launchers (PMI_RANK, PMI_SIZE).
    #[serde(rename = "pmi")]
    Pmi,
    /// PyTorch's torchrun (RANK, WORLD_SIZE, LOCAL_RANK).
    #[serde(rename = "torchrun")]
    Torchrun,
    /// Slurm's srun (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID).
    #[serde(rename = "slurm")]
    Slurm,
}

impl Launcher {
    /// Launched by an MPI implementation, so an MPI barrier and gather are available.
    pub fn is_mpi(self) -> bool {
        matches!(self, Launcher::OpenMpi | Launcher::Pmi)
    }
}

impl std::fmt::Display for Launcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Launcher::OpenMpi => "openmpi",
            Launcher::Pmi => "pmi",
            Launcher::Torchrun => "torchrun",
            Launcher::Slurm => "slurm",
        })
    }
}

/// The transformer whose GEMMs a bench measured (`bench --model`), and the FLOP-weighted rate
/// of those GEMMs: the ceiling for that model's training MFU on this GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelRecord {
    /// The preset's name (data/models.csv), or "custom".
    pub name: String,
    /// Where the preset's dimensions come from.
    pub source: Option<String>,
    pub config: crate::model::ModelConfig,
    pub split: crate::model::shapes::Split,
    /// FLOP of one training step's GEMMs on one GPU: forward, dgrad and wgrad.
    pub step_flop: f64,
    /// Every GEMM of the step with its share of `step_flop`.
    pub gemms: Vec<ModelGemm>,
    /// Share of `step_flop` not benched, and why (0 since every GEMM of the step is benched,
    /// attention's and the experts' batched ones included; kept for older files).
    pub unmeasured_share: f64,
    pub unmeasured_note: String,
    /// How the step's FLOP are counted (attention's products, the experts), with the sources.
    #[serde(default)]
    pub counting: String,
    /// Parameters of the whole model, and those one token's forward pass multiplies.
    #[serde(default)]
    pub params: Option<crate::model::params::Params>,
    /// The step's FLOP by part: projections, attention's products, the experts, the logits.
    #[serde(default)]
    pub breakdown: Vec<PartShare>,
    /// The first device and dtype's figure (the usual one-GPU run); all are in `weighted`.
    pub weighted_tflops: Option<f64>,
    pub weighted_utilization: Option<f64>,
    pub weighted: Vec<WeightedFigure>,
}

/// One GEMM of a model's training step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelGemm {
    pub role: crate::model::shapes::Role,
    pub pass: crate::model::shapes::Pass,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// Independent products per call (sequences x local heads for attention, else 1).
    pub batch: usize,
    /// Calls per step.
    pub calls: usize,
    /// Share of the step's GEMM FLOP.
    pub flop_share: f64,
    /// Benched (every GEMM is now; files from before attention was benched say false for it).
    pub measured: bool,
}

/// One part of the step and its share of the step's FLOP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PartShare {
    pub part: crate::model::shapes::Part,
    pub flop: f64,
    pub flop_share: f64,
}

/// One part of the step on one device: its FLOP-weighted rate and its share of the step's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PartFigure {
    pub part: crate::model::shapes::Part,
    pub flop_share: f64,
    /// None when one of its GEMMs has no verified rate.
    pub tflops: Option<f64>,
    /// Share of the step's GEMM time spent in this part.
    pub time_share: Option<f64>,
}

/// The step's measured GEMMs on one device in one dtype: total FLOP over the time each shape
/// takes at its best verified rate (any kernel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightedFigure {
    pub device: String,
    pub dtype: Dtype,
    /// None when a shape has no verified rate (see `missing`).
    pub weighted_tflops: Option<f64>,
    /// `weighted_tflops` over the rated peak.
    pub weighted_utilization: Option<f64>,
    /// The rate of the slowest shape's share and of the fastest, TFLOP/s.
    pub slowest_tflops: Option<f64>,
    pub fastest_tflops: Option<f64>,
    /// Shapes ("MxNxK", "Bx(MxNxK)" when batched) without a verified rate on this device and
    /// dtype.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The same figure for each part of the step (projection, attention, experts, logits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartFigure>,
}

/// A library loaded at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Library {
    /// "cuBLAS", "cuBLASLt", "NVRTC", "NCCL".
    pub name: String,
    pub loaded: bool,
    pub version: Option<String>,
    /// The file mapped into the process (from /proc/self/maps), where it could be read.
    pub path: Option<String>,
    /// Why it is not loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Settings {
    /// The command line as typed.
    pub command: Vec<String>,
    pub backends: Vec<String>,
    pub dtypes: Vec<Dtype>,
    pub kernels: Vec<String>,
    pub shapes: Vec<Shape>,
    pub sweep: Option<Sweep>,
    pub warmup_s: f64,
    pub min_time_s: f64,
    pub max_time_s: f64,
    /// Sampling stops once the relative spread of the median falls below this.
    pub target_rel_spread: f64,
    /// Seed of the random normal inputs.
    pub seed: u64,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Cpu,
    Wgpu,
    Cuda,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Cuda, Backend::Wgpu, Backend::Cpu];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cuda" => Ok(Backend::Cuda),
            "wgpu" | "vulkan" => Ok(Backend::Wgpu),
            "cpu" => Ok(Backend::Cpu),
            _ => Err("expected cuda, wgpu or cpu".into()),
        }
    }
}

/// A bench's built-in list of sizes, per kind of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sweep {
    /// Three sizes.
    Quick,
    /// Six to nine sizes.
    Full,
}

impl std::str::FromStr for Sweep {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quick" => Ok(Sweep::Quick),
            "full" => Ok(Sweep::Full),
            _ => Err("expected quick or full".into()),
        }
    }
}

/// How a run's samples were timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Timer {
    /// A CUDA event pair around every iteration.
    CudaEvents,
    /// wgpu timestamp queries around every compute pass, times the timestamp period.
    WgpuTimestamps,
    /// The host's monotonic clock around every iteration (CPU backend).
    HostMonotonic,
    /// An adapter without timestamp queries: the host clock around a batch of dispatches,
    /// divided by the batch (each sample is a batch mean).
    HostBatchMean,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceRecord {
    /// "cuda:0", "wgpu:1", "cpu:0".
    pub id: String,
    pub backend: Backend,
    pub index: usize,
    pub name: String,
    /// Dense TFLOP/s per dtype for this device.
    pub rated_tflops: std::collections::BTreeMap<Dtype, f64>,
    pub rated_source: String,
    /// table, estimated, user or unknown.
    pub rated_kind: PeakKind,
    /// The table key that matched, if any.
    pub rated_matched: Option<String>,
    pub cpu: Option<CpuProperties>,
    pub cuda: Option<CudaProperties>,
    pub wgpu: Option<WgpuProperties>,
    /// Cluster rank that measured it (merged files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Host that measured it (merged files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl DeviceRecord {
    /// The rated peaks as one value.
    pub fn rated(&self) -> RatedPeaks {
        RatedPeaks {
            tflops: self.rated_tflops.clone(),
            kind: self.rated_kind,
            source: self.rated_source.clone(),
            matched: self.rated_matched.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CpuProperties {
    pub model: String,
    pub vendor: String,
    pub physical_cores: u32,
    pub logical_cores: u32,
    /// Clock the OS reports, MHz.
    pub reported_clock_mhz: u64,
    /// All-core clock timed with a dependent-add chain, MHz (None where it cannot be timed).
    pub measured_clock_mhz: Option<f64>,
    /// SIMD extensions found at run time (avx2, fma, avx512f, neon, ...).
    pub simd: Vec<String>,
    /// Width of one vector FMA as executed, bits.
    pub vector_bits: u32,
    /// FMA pipes per core assumed by the peak formula.
    pub fma_units: u32,
    pub memory_bytes: u64,
    /// Last-level cache, bytes, where the OS tells it.
    pub llc_bytes: Option<u64>,
    /// Matrix and low-precision units found from CPUID and enabled by the OS ("AMX-BF16",
    /// "AVX512-BF16", "AVX512-VNNI", ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// Units the CPU has but the OS does not enable (no tile state in XCR0, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units_disabled: Vec<String>,
    /// The vector clock and instruction rates the rated peak is computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<CpuProbe>,
    /// BLAS libraries looked for at run time, each a CPU kernel beside faer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<CpuLibrary>,
}

/// How a CPU's rated peak was probed: the clock its vector units run at under an all-core FMA
/// load, and the issue rate of each vector instruction timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CpuProbe {
    /// Clock of the vector units under the all-core FMA loop, MHz.
    pub vector_clock_mhz: f64,
    /// Clock of a dependent scalar add chain on every core, MHz.
    pub scalar_clock_mhz: f64,
    pub instructions: Vec<InstructionRate>,
    /// How the clock and the rates were obtained, in a sentence.
    pub method: String,
    /// When it was probed (RFC 3339).
    pub probed_at: String,
    /// The file the probe was read from (kept per boot), when it was not probed by this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_in: Option<String>,
}

/// One vector instruction timed at its throughput on every core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstructionRate {
    /// As the manuals write it: "vfmadd231ps zmm", "vdpbf16ps zmm".
    pub instruction: String,
    pub dtype: Dtype,
    /// FLOP (int8: operations) per instruction.
    pub flop_per_instruction: f64,
    /// Instructions per cycle per core as timed: against the scalar clock for the FMA that sets
    /// the vector clock, against the vector clock for the others.
    pub measured_per_cycle: f64,
    /// The rate the peak uses: the measured one rounded to a power of two.
    pub per_cycle: f64,
    /// The loop's all-core throughput, TFLOP/s (TOPS for int8): the ceiling it measured.
    pub ceiling_tflops: f64,
}

/// A BLAS library looked for at run time: loaded (version, file, the code path it chose) or why
/// not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CpuLibrary {
    /// The kernel it runs as: "openblas", "mkl", "blis", "onednn".
    pub kernel: String,
    /// "OpenBLAS", "MKL", "BLIS", "oneDNN".
    pub name: String,
    pub loaded: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The file loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The code path the library says it chose for this CPU ("Haswell", "avx512_core_bf16").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_path: Option<String>,
    /// The dtypes its functions compute here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dtypes: Vec<Dtype>,
    /// Why it is not loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CudaProperties {
    pub compute_capability: crate::arch::ComputeCapability,
    pub sm_count: u32,
    /// Boost clock from cuDeviceGetAttribute(CLOCK_RATE), MHz.
    pub sm_clock_mhz: f64,
    pub memory_clock_mhz: f64,
    pub memory_bus_bits: u32,
    pub memory_bytes: u64,
    pub l2_bytes: u64,
    /// e.g. "13.0".
    pub driver_version: String,
    pub pci_bus_id: Option<String>,
    /// Attributes the driver would not report (0 stands in for them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WgpuProperties {
    /// vulkan, metal, dx12, gl.
    pub api: String,
    pub vendor_id: u32,
    pub device_id: u32,
    /// discrete_gpu, integrated_gpu, virtual_gpu, cpu, other.
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub timestamp_query: bool,
    pub shader_f16: bool,
    pub shader_f64: bool,
    pub subgroups: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Run {
    /// Device id, as in `devices`.
    pub device: String,
    pub backend: Backend,
    pub kernel: String,
    pub dtype: Dtype,
    /// The exact math: e.g. "CUBLAS_COMPUTE_32F (pedantic, no TF32)", "faer f32 FMA".
    pub compute_type: String,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// Independent products of this shape per timed call (a strided-batched GEMM); 1 for a
    /// plain GEMM. Files written before batches existed read as 1.
    #[serde(default = "one")]
    pub batch: usize,
    /// 2 B m n k (2mnk for a plain GEMM).
    pub flop: f64,
    /// Device time of every timed iteration, seconds.
    pub samples: Vec<f64>,
    pub time_s: Stats,
    pub tflops: Tflops,
    pub utilization: Utilization,
    pub verification: Verification,
    pub telemetry: Option<Telemetry>,
    /// Power and energy efficiency, where the board's power was sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<Energy>,
    /// How the samples were timed.
    pub timer: Timer,
    pub warmup: Warmup,
    /// Why sampling ended.
    pub stop_reason: StopReason,
    /// Operand sets rotated through to defeat caches.
    pub operand_sets: usize,
    pub seed: u64,
    /// Extra facts about the kernel (algorithm chosen, tile sizes).
    #[serde(default)]
    pub details: std::collections::BTreeMap<String, String>,
    /// Cluster rank that measured it (merged files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Host that measured it (merged files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

fn one() -> usize {
    1
}

impl Run {
    /// The shape and batch this run measured.
    pub fn problem(&self) -> crate::shape::Problem {
        crate::shape::Problem::of(self.m, self.n, self.k, self.batch)
    }

    /// TFLOP/s of one call taking `time_s` seconds (the rate at a quantile of the times).
    pub fn tflops_at(&self, time_s: f64) -> f64 {
        self.flop / time_s / 1e12
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Stats {
    pub count: usize,
    pub median: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub p25: f64,
    pub p75: f64,
    pub stdev: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tflops {
    /// From the median time: the number to quote.
    pub median: f64,
    /// From the fastest sample.
    pub max: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Utilization {
    /// Median TFLOP/s over the rated dense peak for this dtype (None if no peak is known).
    pub rated: Option<f64>,
    /// Over the peak recomputed at the SM clock sampled during the run (None without telemetry).
    pub at_sampled_clock: Option<f64>,
    /// True when utilization exceeds 100%: a timing or peak error.
    #[serde(default)]
    pub above_peak: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VerificationStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verification {
    pub status: VerificationStatus,
    /// Largest |got - ref| / (|A||B| scale) over the checked elements.
    pub max_rel_error: Option<f64>,
    pub tolerance: Option<f64>,
    /// Output elements compared with an f64 reference.
    pub checked: usize,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The relative spread of the median fell below the target.
    Converged,
    /// The time budget (--max-time) was spent first.
    TimeBudget,
    /// The user pressed Ctrl-C.
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Warmup {
    pub seconds: f64,
    pub iterations: usize,
    /// True if the rate settled before the warm-up budget ran out.
    pub stable: bool,
}

/// What a run cost in power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Energy {
    /// Median board power during the run, watts.
    pub power_w: f64,
    /// Median TFLOP/s x 1000 / power: GFLOP per joule.
    pub gflop_per_joule: f64,
    /// The power cap enforced during the run, watts, where the driver said.
    pub power_limit_w: Option<f64>,
}

impl Energy {
    /// From the median TFLOP/s and the telemetry, when it holds a positive power reading.
    pub fn of(tflops: f64, telemetry: Option<&Telemetry>) -> Option<Energy> {
        let t = telemetry?;
        let power_w = t.power_w_median.filter(|p| *p > 0.0)?;
        Some(Energy {
            power_w,
            gflop_per_joule: tflops * 1000.0 / power_w,
            power_limit_w: t.power_limit_w,
        })
    }
}

/// How a GPU's best measured rate compares with the published reference for its chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within the tolerance of the reference (5%).
    AsExpected,
    /// Below the reference by more than the tolerance.
    Below,
    /// Above the reference by more than the tolerance: news, or a timing or peak error.
    Above,
}

/// One device's best verified rate for one dtype against the reference rate of its chip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceVerdict {
    pub device: String,
    pub device_name: String,
    pub dtype: Dtype,
    /// The best verified median TFLOP/s, and which run gave it ("kernel MxNxK").
    pub best_tflops: f64,
    pub best_run: String,
    /// The published measured rate it is compared with, and who measured it where.
    pub reference_tflops: f64,
    pub reference_source: String,
    /// best / reference.
    pub vs_reference: f64,
    pub verdict: Verdict,
    /// Median board power of the best run and the enforced cap, watts, where sampled.
    #[serde(default)]
    pub power_w: Option<f64>,
    #[serde(default)]
    pub power_limit_w: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Telemetry {
    /// What sampled it: "nvml", "procfs".
    pub source: String,
    pub samples: Vec<TelemetrySample>,
    pub sm_clock_mhz_median: Option<f64>,
    pub power_w_median: Option<f64>,
    /// The power cap the driver enforced during the run (NVML), watts.
    #[serde(default)]
    pub power_limit_w: Option<f64>,
    pub temperature_c_max: Option<f64>,
    /// Every throttle reason seen during the run.
    pub throttle_reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct TelemetrySample {
    /// Seconds since the run started.
    pub t_s: f64,
    pub sm_clock_mhz: Option<f64>,
    pub memory_clock_mhz: Option<f64>,
    pub power_w: Option<f64>,
    pub temperature_c: Option<f64>,
    pub throttle_reasons: Vec<String>,
}
