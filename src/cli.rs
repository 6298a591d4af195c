//! The command line (clap derive): what was typed, parsed into typed values by the parsers in
//! `values`. Only this file and `commands` name clap; the work lives in `commands`.

pub mod values;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::bench::options::{DeviceSelection, DimValues, Sweep};
use crate::dtype::Dtype;
use crate::estimate::calibrate::ClusterStat;
use crate::estimate::priors::{utilization_prior, Prior};
use crate::measure::Budget;
use crate::model::ModelConfig;
use crate::results::{Backend, Shape};
use values::{dtype, fraction, positive, whole};

#[derive(Debug, Parser)]
#[command(
    name = "flopmeter",
    version,
    about = "Measure what your matrix units really deliver, and turn it into training-compute estimates",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// Machine-readable JSON on stdout instead of human text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every device found (CUDA, wgpu, CPU) with its properties and rated peaks.
    Devices(DevicesArgs),
    /// Look up the rated dense peak of a chip by name as drivers or papers write it.
    Peaks(PeaksArgs),
    /// Run GEMMs and report achieved TFLOP/s and utilization against the rated peak.
    Bench(Box<BenchArgs>),
    /// Training compute in pfs-days from operation counts or hardware time, and the inverse.
    #[command(subcommand)]
    Estimate(EstimateCommand),
    /// Place landmark training runs and your own estimates on the AI-and-Compute chart, and fit
    /// the doubling time.
    Trend(TrendArgs),
    /// Render results files as tables, Markdown, CSV or a self-contained HTML page with charts.
    Report(ReportArgs),
    /// Compare a candidate's results with a baseline's, job by job, with intervals from the
    /// samples and a verdict; exit 1 when a job is slower beyond --threshold.
    Compare(CompareArgs),
    /// Compile every kernel without a GPU: CUDA C through NVRTC, WGSL through naga.
    Kernels(KernelsArgs),
    /// Combine per-GPU / per-node results of a cluster run into one file, with aggregates and
    /// stragglers.
    Merge(MergeArgs),
    /// Run each device's fastest verified GEMM back to back for minutes, every device at once:
    /// the rate, clocks, power and temperature in windows, every result checked; exit 1 when a
    /// result is wrong or the rate drops too far.
    Sustain(Box<SustainArgs>),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Results files, or folders of them (as written by ranks with --out-dir).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    /// The cluster results file to write.
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
    /// A GPU this fraction or more below the cluster median for a dtype is a straggler.
    #[arg(
        long,
        value_name = "FRACTION",
        allow_hyphen_values = true,
        value_parser = values::fraction,
        default_value_t = crate::cluster::merge::DEFAULT_STRAGGLER_THRESHOLD
    )]
    pub threshold: f64,
    /// Exit 0 even when some ranks brought no verified result or no file (they are listed
    /// either way).
    #[arg(long)]
    pub allow_dead_ranks: bool,
    /// Exit 1 naming the stragglers when there are any (for cluster acceptance scripts).
    #[arg(long)]
    pub fail_on_straggler: bool,
    /// Copy every job's samples into the cluster file (by default they stay in the rank files,
    /// which the cluster file names with their SHA-256).
    #[arg(long)]
    pub with_samples: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The baseline: a results file, or a folder of them (a cluster run's rank files).
    #[arg(value_name = "BASELINE")]
    pub baseline: std::path::PathBuf,
    /// The candidate: a results file or a folder.
    #[arg(value_name = "CANDIDATE")]
    pub candidate: std::path::PathBuf,
    /// A job slower than the baseline by more than this fraction, with confidence, fails the
    /// comparison (exit 1).
    #[arg(
        long,
        value_name = "FRACTION",
        allow_hyphen_values = true,
        value_parser = values::fraction,
        default_value_t = crate::compare::DEFAULT_THRESHOLD
    )]
    pub threshold: f64,
    /// Coverage of the interval of each ratio.
    #[arg(
        long,
        value_name = "FRACTION",
        allow_hyphen_values = true,
        value_parser = values::confidence,
        default_value_t = crate::compare::DEFAULT_CONFIDENCE
    )]
    pub confidence: f64,
    /// Write the comparison as Markdown (`-` for stdout, e.g. into $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<std::path::PathBuf>,
    /// Write the comparison as CSV (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct KernelsArgs {
    /// Compile every kernel and report the result (the only action for now).
    #[arg(long)]
    pub check: bool,
    /// CUDA architectures to compile for.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "sm_80,sm_90",
        value_parser = values::compute_capability
    )]
    pub arch: Vec<crate::arch::ComputeCapability>,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Results files written by `flopmeter bench` (or `merge`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    /// Write Markdown tables (paste into a GitHub issue; `-` for stdout, e.g. into
    /// $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<std::path::PathBuf>,
    /// Write a self-contained HTML page with charts (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
    /// Write every run as a CSV row (`-` for stdout); for cluster files, every rank's jobs.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<std::path::PathBuf>,
    /// Cluster files: how many of the slowest devices of each dtype to list (1 to 50).
    #[arg(long, value_name = "N", default_value_t = crate::report::cluster::DEFAULT_WORST,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=50))]
    pub worst: usize,
}

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Backends to probe, comma-separated: cuda, wgpu, cpu [default: all]. The others are not
    /// initialised at all (a CUDA-only probe never loads Vulkan).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::backend)]
    pub backend: Vec<Backend>,
    /// Do not time the CPU clock (use the clock the OS reports).
    #[arg(long)]
    pub no_clock_probe: bool,
}

#[derive(Debug, clap::Args)]
pub struct PeaksArgs {
    /// Device name, e.g. "NVIDIA H100 80GB HBM3", "Tesla V100-SXM2-16GB", "K80". Omit to list
    /// the whole table.
    pub name: Option<String>,
    /// One dtype: f64 f32 tf32 bf16 f16 fp8 int8 (or an alias: fp32, bfloat16, half, e4m3, ...).
    #[arg(long, value_parser = values::dtype)]
    pub dtype: Option<crate::dtype::Dtype>,
}

// --- bench ---------------------------------------------------------------------------------

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Backends to run, comma-separated: cuda, wgpu, cpu [default: every available one].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::backend)]
    pub backend: Vec<Backend>,
    /// Devices to run, comma-separated ids as `flopmeter devices` shows them (cuda:0, wgpu:0,
    /// cpu:0), or `all`: every GPU of the node at the same time, as training loads them.
    #[arg(long, value_name = "LIST", value_parser = values::device_selection)]
    pub device: Option<DeviceSelection>,
    /// Dtypes, comma-separated: f64 f32 tf32 bf16 f16 fp8 int8 [default: all the device has].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::dtype)]
    pub dtype: Vec<Dtype>,
    /// Kernels, comma-separated (cpu: faer, and openblas, mkl, blis, onednn where they load;
    /// wgpu: naive, tiled; cuda: cublas, cublaslt, naive, tiled, mma) [default: all].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::kernel)]
    pub kernel: Vec<String>,
    /// Square sizes N (M = N = K), comma-separated.
    #[arg(
        long,
        value_name = "N[,N...]",
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_parser = values::dim
    )]
    pub size: Vec<usize>,
    /// Shapes MxNxK, comma-separated.
    #[arg(
        long,
        value_name = "MxNxK[,...]",
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_parser = values::shape
    )]
    pub shape: Vec<Shape>,
    /// M values: N, or START:STOP:STEP (stop included); with --n and --k every combination runs,
    /// as mamf-finder's ranges.
    #[arg(long, value_name = "N|START:STOP:STEP", value_parser = values::dim_values,
          allow_hyphen_values = true, requires_all = ["n", "k"], conflicts_with_all = ["size", "shape"])]
    pub m: Option<DimValues>,
    /// N values (see --m).
    #[arg(long, value_name = "N|START:STOP:STEP", value_parser = values::dim_values,
          allow_hyphen_values = true, requires_all = ["m", "k"])]
    pub n: Option<DimValues>,
    /// K values (see --m).
    #[arg(long, value_name = "N|START:STOP:STEP", value_parser = values::dim_values,
          allow_hyphen_values = true, requires_all = ["m", "n"])]
    pub k: Option<DimValues>,
    /// Size sweep when no sizes are given: quick (3 sizes) or full [default: quick].
    #[arg(
        long,
        value_name = "quick|full",
        value_parser = values::sweep,
        conflicts_with_all = ["size", "shape", "m", "model", "model_config"]
    )]
    pub sweep: Option<Sweep>,
    /// Bench the GEMMs of a transformer's training step: a preset of data/models.csv
    /// (gpt2-small, gpt3-175b, llama2-7b, llama2-70b, llama3-8b, llama3-70b, llama3-405b,
    /// mixtral-8x7b, deepseek-v3, olmoe-1b-7b, llama4-scout).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["size", "shape", "m", "model_config"])]
    pub model: Option<String>,
    /// A model of your own: hidden=..,ffn=..,heads=..,layers=..,vocab=..,seq=..
    /// [,kv_heads=..][,gated=true][,tied=true]; a mixture of experts: experts=..,top_k=..,
    /// expert_ffn=..[,shared_experts=..][,dense_layers=..].
    #[arg(long, value_name = "KEY=VALUE,...", value_parser = values::model_config,
          conflicts_with_all = ["size", "shape", "m"])]
    pub model_config: Option<ModelConfig>,
    /// With a model: tokens of the micro-batch on one GPU [default: one sequence].
    #[arg(long, value_name = "T", value_parser = values::tokens, allow_hyphen_values = true)]
    pub tokens_per_step: Option<usize>,
    /// With a model: tensor-parallel degree (splits QKV, MLP and the vocabulary as Megatron).
    #[arg(long, value_name = "N", value_parser = values::count, allow_hyphen_values = true, default_value_t = 1)]
    pub tp: usize,
    /// With a mixture-of-experts model: expert-parallel degree (the GPUs a layer's experts are
    /// spread over).
    #[arg(long, value_name = "N", value_parser = values::count, default_value_t = 1)]
    pub ep: usize,
    /// With a model: sequence length, the size of attention's products [default: the model's].
    #[arg(long, value_name = "S", value_parser = values::dim, allow_hyphen_values = true)]
    pub seq_len: Option<usize>,
    /// Products per call of every shape: one strided-batched GEMM of B products, counted as
    /// 2 B m n k FLOP [default: 1].
    #[arg(long, value_name = "B", value_parser = values::batch, allow_hyphen_values = true,
          conflicts_with_all = ["model", "model_config"])]
    pub batch: Option<usize>,
    /// Minimum warm-up per result, seconds; it goes on (up to 3x) until the rate is stable.
    #[arg(
        long,
        value_name = "SECONDS",
        allow_hyphen_values = true,
        value_parser = values::seconds,
        default_value_t = Budget::DEFAULT.warmup_s
    )]
    pub warmup: f64,
    /// Sample at least this long per result, seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        allow_hyphen_values = true,
        value_parser = values::seconds,
        default_value_t = Budget::DEFAULT.min_time_s
    )]
    pub min_time: f64,
    /// Sample at most this long per result, seconds (above 0, at least --min-time).
    #[arg(
        long,
        value_name = "SECONDS",
        allow_hyphen_values = true,
        value_parser = values::seconds,
        default_value_t = Budget::DEFAULT.max_time_s
    )]
    pub max_time: f64,
    /// Stop sampling once the median is known to this relative precision (95% interval).
    #[arg(
        long,
        value_name = "FRACTION",
        allow_hyphen_values = true,
        value_parser = values::fraction,
        default_value_t = Budget::DEFAULT.target_rel_spread
    )]
    pub target_spread: f64,
    /// Seed of the random normal inputs.
    #[arg(long, default_value_t = 42, allow_hyphen_values = true)]
    pub seed: u64,
    /// Rated dense peak to use instead of the table's, TFLOP/s (needs exactly one device and
    /// one dtype).
    #[arg(
        long,
        value_name = "TFLOPS",
        allow_hyphen_values = true,
        value_parser = values::rated_tflops
    )]
    pub rated_tflops: Option<f64>,
    /// Results file [default: results/bench-HOST-TIME.json].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Under a launcher (Slurm, MPI, torchrun): the shared folder where each rank writes
    /// rank-NNNNN-HOST.json [default under Slurm: results/cluster-slurm-JOBID].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// No progress on stderr (a bar in a terminal, a line per finished job otherwise); warnings
    /// and errors are still printed.
    #[arg(long)]
    pub quiet: bool,
}

// --- sustain -------------------------------------------------------------------------------

#[derive(Debug, Clone, clap::Args)]
pub struct SustainArgs {
    /// Backends to run, comma-separated: cuda, wgpu, cpu [default: every GPU of the node, or
    /// the CPU when there is none].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::backend)]
    pub backend: Vec<Backend>,
    /// Devices to run, comma-separated ids as `flopmeter devices` shows them, or `all` (every
    /// GPU of the node); all of them run at the same time.
    #[arg(long, value_name = "LIST", value_parser = values::device_selection)]
    pub device: Option<DeviceSelection>,
    /// Dtypes to choose from [default: all the device has; the fastest verified one runs].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::dtype)]
    pub dtype: Vec<Dtype>,
    /// Kernels to choose from [default: all; the fastest verified one runs].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = values::kernel)]
    pub kernel: Vec<String>,
    /// Square size N (M = N = K) [default: one that fills the device: the largest of a quick
    /// bench sweep for its kind, 8192 on a GPU, 2048 on a CPU, 512 on a software adapter].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = values::dim,
          conflicts_with = "shape")]
    pub size: Option<usize>,
    /// The shape MxNxK instead of a square size.
    #[arg(long, value_name = "MxNxK", allow_hyphen_values = true, value_parser = values::shape)]
    pub shape: Option<Shape>,
    /// How long every device runs: seconds, or with a unit (90s, 5m, 2h), up to 7 days;
    /// Ctrl-C or SIGTERM stops it early and keeps the series.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = values::duration,
          default_value = "5m")]
    pub duration: f64,
    /// Length of one window of the series, seconds (from 0.05).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = values::window,
          default_value_t = crate::sustain::SustainOptions::DEFAULT.window_s)]
    pub window: f64,
    /// Compare every operand set's result bit for bit with its first after this many iterations
    /// [default: each device's own, so that the checks take about 5% of its time].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = values::count)]
    pub check_every: Option<usize>,
    /// Check a result against the f64 reference every this many seconds.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = values::window,
          default_value_t = crate::sustain::SustainOptions::DEFAULT.reference_every_s)]
    pub reference_every: f64,
    /// Fail a device whose sustained rate (the median of the last half of the windows) is this
    /// fraction or more below its burst rate (the first window).
    #[arg(long, value_name = "FRACTION", allow_hyphen_values = true, value_parser = values::fraction,
          default_value_t = crate::sustain::SustainOptions::DEFAULT.max_drop)]
    pub max_drop: f64,
    /// A device this fraction or more below the median sustained rate of its peers (the same
    /// chip, kernel, dtype and shape) is the outlier.
    #[arg(long, value_name = "FRACTION", allow_hyphen_values = true, value_parser = values::fraction,
          default_value_t = crate::sustain::SustainOptions::DEFAULT.outlier_threshold)]
    pub outlier_threshold: f64,
    /// Seed of the random normal inputs.
    #[arg(long, default_value_t = 42, allow_hyphen_values = true)]
    pub seed: u64,
    /// Results file [default: results/sustain-HOST-TIME.json].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Under a launcher (Slurm, MPI, torchrun): the shared folder where each rank writes
    /// rank-NNNNN-HOST.json [default under Slurm: results/sustain-slurm-JOBID].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// No progress on stderr (failures, warnings and errors are still printed).
    #[arg(long)]
    pub quiet: bool,
}

// --- estimate ------------------------------------------------------------------------------

#[derive(Debug, Subcommand)]
pub enum EstimateCommand {
    /// Method 1: count operations (MACs or FLOP per example x examples x epochs, or 6ND).
    Ops(Box<OpsArgs>),
    /// Method 2: chips x peak x time x utilization.
    Hardware(Box<HardwareArgs>),
    /// The inverse: wall-clock days for N chips, chips needed for D days, or GPU-hours.
    Time(Box<TimeArgs>),
}

/// `estimate ops`: the operation count, and with hardware time too, both methods side by side.
#[derive(Debug, Clone, clap::Args)]
pub struct OpsArgs {
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub draws: DrawArgs,
}

/// `estimate hardware`: chips x time x peak x utilization, and with operation inputs too, both
/// methods side by side.
#[derive(Debug, Clone, clap::Args)]
pub struct HardwareArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub draws: DrawArgs,
}

/// A hardware run's flags, shared by `estimate ops` and `estimate hardware`: the chip, its time
/// (fleet x wall-clock, or chip-hours), the utilization and goodput, and the spend.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub chip: ChipArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub gpu_hours: GpuHoursArgs,
    #[command(flatten)]
    pub utilization: UtilizationArgs,
    #[command(flatten)]
    pub spend: SpendArgs,
}

/// `estimate time`: the compute to do, and the chips or the time you have.
#[derive(Debug, Clone, clap::Args)]
pub struct TimeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub chip: ChipArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub utilization: UtilizationArgs,
    #[command(flatten)]
    pub spend: SpendArgs,
    #[command(flatten)]
    pub draws: DrawArgs,
}

/// Method 1's inputs. Numbers accept scientific notation (1.2e6).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkArgs {
    /// Forward-pass multiply-adds per example (1 MAC = 2 FLOP).
    #[arg(long, value_name = "X", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub macs_per_example: Option<f64>,
    /// Forward-pass FLOP per example.
    #[arg(long, value_name = "X", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub flops_per_example: Option<f64>,
    /// Training examples per epoch.
    #[arg(long, value_name = "N", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub examples: Option<f64>,
    /// Epochs [default: 1].
    #[arg(long, value_name = "E", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub epochs: Option<f64>,
    /// Backward pass cost relative to the forward pass [default: 2, so x3 in all].
    #[arg(long, value_name = "B", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub backward_factor: Option<f64>,
    /// Full activation recomputation: count one more forward pass (hardware FLOPs).
    #[arg(long, help_heading = "Operations")]
    pub recompute: bool,
    /// Transformer parameters N (6ND; the active parameters of a mixture of experts).
    #[arg(long, value_name = "N", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub params: Option<f64>,
    /// Training tokens D (6ND).
    #[arg(long, value_name = "D", value_parser = positive, allow_hyphen_values = true, help_heading = "Operations")]
    pub tokens: Option<f64>,
    /// A transformer preset of data/models.csv instead of --params and the attention flags: its
    /// active parameters (a mixture of experts: the routed top-k) and its layers, heads, head
    /// dimension and sequence length (--seq-len overrides it).
    #[arg(long, value_name = "NAME", help_heading = "Operations",
          conflicts_with_all = ["params", "layers", "heads", "head_dim"])]
    pub model: Option<String>,
    /// Layers L, for the attention term 12 L H Q T per token (with --heads --head-dim --seq-len).
    #[arg(long, value_name = "L", value_parser = whole, allow_hyphen_values = true, help_heading = "Operations")]
    pub layers: Option<f64>,
    /// Attention heads H.
    #[arg(long, value_name = "H", value_parser = whole, allow_hyphen_values = true, help_heading = "Operations")]
    pub heads: Option<f64>,
    /// Head dimension Q.
    #[arg(long, value_name = "Q", value_parser = whole, allow_hyphen_values = true, help_heading = "Operations")]
    pub head_dim: Option<f64>,
    /// Sequence length T.
    #[arg(long, value_name = "T", value_parser = whole, allow_hyphen_values = true, help_heading = "Operations")]
    pub seq_len: Option<f64>,
}

/// The chip and how well it is used.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ChipArgs {
    /// Accelerator as papers or drivers name it ("V100", "A100 80 GB", "TPU v3 cores", "H800"),
    /// or a TPU slice ("v5p-1024", which also gives the count).
    #[arg(long, value_name = "NAME", help_heading = "Hardware")]
    pub gpu: Option<String>,
    /// Dense peak of one chip, TFLOP/s (overrides the table's value for --gpu).
    #[arg(long, value_name = "P", value_parser = positive, allow_hyphen_values = true, help_heading = "Hardware")]
    pub peak_tflops: Option<f64>,
    /// Precision of the peak [default: the chip's fastest dense float of 16 bits or more].
    #[arg(long, value_name = "DTYPE", value_parser = dtype, help_heading = "Hardware")]
    pub dtype: Option<Dtype>,
    /// Share of the chip-time doing useful training [default: the goodput prior, or 1 with a
    /// wall-clock utilization prior]; 1 means the time given is pure training time.
    #[arg(long, value_name = "G", value_parser = fraction, allow_hyphen_values = true, help_heading = "Hardware")]
    pub goodput: Option<f64>,
}

/// How many chips for how long.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FleetArgs {
    /// Number of chips (in the unit of --gpu: TPU v3 cores for "TPU v3 cores").
    #[arg(long, value_name = "N", value_parser = whole, allow_hyphen_values = true, help_heading = "Hardware")]
    pub count: Option<f64>,
    /// Training time in days.
    #[arg(long, value_name = "D", value_parser = positive, allow_hyphen_values = true, help_heading = "Hardware")]
    pub days: Option<f64>,
    /// Training time in hours.
    #[arg(long, value_name = "H", value_parser = positive, allow_hyphen_values = true, help_heading = "Hardware")]
    pub hours: Option<f64>,
}

/// Chip-hours, as Llama, BLOOM and DeepSeek report them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GpuHoursArgs {
    /// Chip-hours of the run (GPU-hours, TPU chip-hours), instead of --count with --days/--hours.
    #[arg(long, value_name = "H", value_parser = positive, allow_hyphen_values = true, help_heading = "Hardware")]
    pub gpu_hours: Option<f64>,
}

/// One of a number, a literature prior or a results file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UtilizationArgs {
    /// Utilization as a number in (0, 1].
    #[arg(long, value_name = "U", value_parser = fraction, allow_hyphen_values = true, help_heading = "Utilization (one of)")]
    pub utilization: Option<f64>,
    /// A literature prior: reported-mfu (default), observed-mfu, ai-and-compute-gpu,
    /// ai-and-compute-cpu, epoch-llm, epoch-other, epoch-profiling.
    #[arg(long, value_name = "NAME", value_parser = prior, help_heading = "Utilization (one of)")]
    pub prior: Option<&'static Prior>,
    /// A flopmeter results file: the measured matmul utilization x an end-to-end factor.
    #[arg(long, value_name = "FILE", help_heading = "Utilization (one of)")]
    pub calibrate: Option<PathBuf>,
    /// With --calibrate: the device id in the file to use [default: the slowest].
    #[arg(long, value_name = "ID", help_heading = "Utilization (one of)")]
    pub device: Option<String>,
    /// With --calibrate: accept a file measured on another chip than --gpu.
    #[arg(long, help_heading = "Utilization (one of)")]
    pub allow_other_device: bool,
    /// With --calibrate on a file of several GPUs: use the slowest (synchronous training runs
    /// at its pace) or the median GPU.
    #[arg(
        long,
        value_name = "slowest|median",
        help_heading = "Utilization (one of)"
    )]
    pub cluster_stat: Option<ClusterStat>,
}

/// What the chip-hours cost in money and energy.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SpendArgs {
    /// Price of one chip-hour, in any currency: gives the cost.
    #[arg(long, value_name = "P", value_parser = positive, allow_hyphen_values = true, help_heading = "Cost and energy")]
    pub price_per_hour: Option<f64>,
    /// Power of one chip, watts [default: measured with --calibrate, else the table's board
    /// power]: gives the energy.
    #[arg(long, value_name = "W", value_parser = positive, allow_hyphen_values = true, help_heading = "Cost and energy")]
    pub watts: Option<f64>,
    /// Power usage effectiveness of the data centre, for the facility's energy [default: 1.2].
    #[arg(long, value_name = "P", value_parser = values::at_least_one, allow_hyphen_values = true, help_heading = "Cost and energy")]
    pub pue: Option<f64>,
    /// Power of one node's hosts (CPUs, memory, NICs, switches, fans), watts [default: the
    /// chip's DGX maximum less its GPUs, else not counted].
    #[arg(long, value_name = "W", value_parser = values::non_negative, allow_hyphen_values = true, help_heading = "Cost and energy")]
    pub host_watts: Option<f64>,
    /// Chips per node sharing that host power [default: the DGX's, else 8].
    #[arg(long, value_name = "N", value_parser = whole, allow_hyphen_values = true, help_heading = "Cost and energy")]
    pub chips_per_node: Option<f64>,
}

/// The compute an inverse problem starts from.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Total training compute, FLOP.
    #[arg(long, value_name = "F", value_parser = positive, allow_hyphen_values = true, help_heading = "Compute to do")]
    pub flops: Option<f64>,
    /// Total training compute, pfs-days.
    #[arg(long, value_name = "P", value_parser = positive, allow_hyphen_values = true, help_heading = "Compute to do")]
    pub pfs_days: Option<f64>,
}

/// Monte Carlo settings for uncertain inputs.
#[derive(Debug, Clone, clap::Args)]
pub struct DrawArgs {
    /// Monte Carlo draws for uncertain inputs.
    #[arg(long, default_value = "20000", value_parser = values::draws, allow_hyphen_values = true, help_heading = "Uncertainty")]
    pub draws: usize,
    /// Seed of the Monte Carlo draws.
    #[arg(
        long,
        default_value_t = 1,
        allow_hyphen_values = true,
        help_heading = "Uncertainty"
    )]
    pub seed: u64,
}

/// A utilization prior of `data/priors.csv` by name.
fn prior(s: &str) -> Result<&'static Prior, String> {
    utilization_prior(s).map_err(|e| e.to_string())
}

// --- trend ---------------------------------------------------------------------------------

#[derive(Debug, clap::Args)]
pub struct TrendArgs {
    /// First year of the window (inclusive; default: 2012). 1950 shows AI and Compute's pre-2012
    /// points too.
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Last year of the window (inclusive; default: to now).
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Your own run: NAME=PFS_DAYS@YYYY-MM-DD (repeatable), drawn in red, never fitted.
    #[arg(long, value_name = "NAME=PFS_DAYS@DATE", allow_hyphen_values = true)]
    pub add: Vec<String>,
    /// Also write the chart: FILE.svg or FILE.png (`-`: SVG on stdout).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
    /// The chart's size in pixels, WIDTHxHEIGHT (text stays 13 px or more whatever the size).
    #[arg(long, value_name = "WxH", value_parser = values::plot_size, default_value = "960x560")]
    pub plot_size: (u32, u32),
    /// Also print how each run's compute was obtained and where from, and the published figures'
    /// sources.
    #[arg(long)]
    pub verbose: bool,
}
