//! Command-line definitions (clap derive). Parsing only: the work lives in `commands`.

use clap::{Parser, Subcommand};

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
    /// Render results files as tables, Markdown or a self-contained HTML page with charts, and
    /// compare them.
    Report(ReportArgs),
    /// Compile every kernel without a GPU: CUDA C through NVRTC, WGSL through naga.
    Kernels(KernelsArgs),
    /// Combine per-GPU / per-node results of a cluster run into one file, with aggregates and
    /// stragglers.
    Merge(MergeArgs),
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
        default_value = "0.05",
        allow_hyphen_values = true
    )]
    pub threshold: String,
}

#[derive(Debug, clap::Args)]
pub struct KernelsArgs {
    /// Compile every kernel and report the result (the only action for now).
    #[arg(long)]
    pub check: bool,
    /// CUDA architectures to compile for.
    #[arg(long, value_name = "LIST", default_value = "sm_80,sm_90")]
    pub arch: String,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Results files written by `flopmeter bench` (or `merge`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    /// Write Markdown tables (paste into a GitHub issue).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<std::path::PathBuf>,
    /// Write a self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TrendArgs {
    /// First year of the window (inclusive).
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Last year of the window (inclusive).
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Your own run: NAME=PFS_DAYS@YYYY-MM-DD (repeatable).
    #[arg(long, value_name = "NAME=PFS_DAYS@DATE")]
    pub add: Vec<String>,
    /// Also write the chart: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
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
    #[arg(long)]
    pub dtype: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Backends to run, comma-separated: cuda, wgpu, cpu (default: every available one).
    #[arg(long, value_name = "LIST")]
    pub backend: Option<String>,
    /// Devices to run, comma-separated ids as `flopmeter devices` shows them (cuda:0, wgpu:0,
    /// cpu:0), or `all`: every GPU of the node at the same time, as training loads them.
    #[arg(long, value_name = "LIST")]
    pub device: Option<String>,
    /// Dtypes, comma-separated: f64 f32 tf32 bf16 f16 fp8 int8 (default: all the device has).
    #[arg(long, value_name = "LIST")]
    pub dtype: Option<String>,
    /// Kernels, comma-separated (cpu: faer; wgpu: naive, tiled). Default: all.
    #[arg(long, value_name = "LIST")]
    pub kernel: Option<String>,
    /// Square sizes N (M = N = K), comma-separated.
    #[arg(long, value_name = "N[,N...]", allow_hyphen_values = true)]
    pub size: Option<String>,
    /// Shapes MxNxK, comma-separated.
    #[arg(long, value_name = "MxNxK[,...]", allow_hyphen_values = true)]
    pub shape: Option<String>,
    /// Size sweep when no --size/--shape is given: quick (3 sizes) or full.
    #[arg(long, value_name = "quick|full")]
    pub sweep: Option<String>,
    /// Minimum warm-up per result, seconds; it goes on (up to 3x) until the rate is stable.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "0.3",
        allow_hyphen_values = true
    )]
    pub warmup: String,
    /// Sample at least this long per result, seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "0.3",
        allow_hyphen_values = true
    )]
    pub min_time: String,
    /// Sample at most this long per result, seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "2",
        allow_hyphen_values = true
    )]
    pub max_time: String,
    /// Stop sampling once the median is known to this relative precision (95% interval).
    #[arg(
        long,
        value_name = "FRACTION",
        default_value = "0.01",
        allow_hyphen_values = true
    )]
    pub target_spread: String,
    /// Seed of the random normal inputs.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Rated dense peak to use instead of the table's, TFLOP/s (needs exactly one device and
    /// one dtype).
    #[arg(long, value_name = "TFLOPS", allow_hyphen_values = true)]
    pub rated_tflops: Option<String>,
    /// Results file (default: results/bench-HOST-TIME.json).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Under a launcher (Slurm, MPI, torchrun): the shared folder where each rank writes
    /// rank-NNNNN-HOST.json [default under Slurm: results/cluster-slurm-JOBID].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum EstimateCommand {
    /// Method 1: count operations (MACs or FLOP per example x examples x epochs, or 6ND).
    Ops(Box<EstimateArgs>),
    /// Method 2: chips x peak x time x utilization.
    Hardware(Box<EstimateArgs>),
    /// The inverse: wall-clock days for N chips, or chips needed for D days.
    Time(Box<EstimateArgs>),
}

/// Inputs of both methods and the inverse; each subcommand says which it needs. Numbers accept
/// scientific notation (1.2e6).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EstimateArgs {
    /// Forward-pass multiply-adds per example (1 MAC = 2 FLOP).
    #[arg(
        long,
        value_name = "X",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub macs_per_example: Option<String>,
    /// Forward-pass FLOP per example.
    #[arg(
        long,
        value_name = "X",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub flops_per_example: Option<String>,
    /// Training examples per epoch.
    #[arg(
        long,
        value_name = "N",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub examples: Option<String>,
    /// Epochs [default: 1].
    #[arg(
        long,
        value_name = "E",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub epochs: Option<String>,
    /// Backward pass cost relative to the forward pass [default: 2, so x3 in all].
    #[arg(
        long,
        value_name = "B",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub backward_factor: Option<String>,
    /// Full activation recomputation: count one more forward pass (hardware FLOPs).
    #[arg(long, help_heading = "Operations")]
    pub recompute: bool,
    /// Transformer parameters N (6ND).
    #[arg(
        long,
        value_name = "N",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub params: Option<String>,
    /// Training tokens D (6ND).
    #[arg(
        long,
        value_name = "D",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub tokens: Option<String>,
    /// Layers L, for the attention term 12 L H Q T per token (with --heads --head-dim --seq-len).
    #[arg(
        long,
        value_name = "L",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub layers: Option<String>,
    /// Attention heads H.
    #[arg(
        long,
        value_name = "H",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub heads: Option<String>,
    /// Head dimension Q.
    #[arg(
        long,
        value_name = "Q",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub head_dim: Option<String>,
    /// Sequence length T.
    #[arg(
        long,
        value_name = "T",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub seq_len: Option<String>,

    /// Accelerator as papers or drivers name it ("V100", "NVIDIA H100 80GB HBM3", "K80").
    #[arg(long, value_name = "NAME", help_heading = "Hardware")]
    pub gpu: Option<String>,
    /// Dense peak of one chip, TFLOP/s (overrides the table's value for --gpu).
    #[arg(
        long,
        value_name = "P",
        allow_hyphen_values = true,
        help_heading = "Hardware"
    )]
    pub peak_tflops: Option<String>,
    /// Number of chips.
    #[arg(
        long,
        value_name = "N",
        allow_hyphen_values = true,
        help_heading = "Hardware"
    )]
    pub count: Option<String>,
    /// Training time in days.
    #[arg(
        long,
        value_name = "D",
        allow_hyphen_values = true,
        help_heading = "Hardware"
    )]
    pub days: Option<String>,
    /// Training time in hours.
    #[arg(
        long,
        value_name = "H",
        allow_hyphen_values = true,
        help_heading = "Hardware"
    )]
    pub hours: Option<String>,
    /// Precision of the peak [default: the chip's fastest dense float of 16 bits or more].
    #[arg(long, value_name = "DTYPE", help_heading = "Hardware")]
    pub dtype: Option<String>,
    /// Fraction of wall-clock time doing useful work [default: 1].
    #[arg(
        long,
        value_name = "G",
        allow_hyphen_values = true,
        help_heading = "Hardware"
    )]
    pub goodput: Option<String>,

    /// Utilization as a number in (0, 1].
    #[arg(
        long,
        value_name = "U",
        allow_hyphen_values = true,
        help_heading = "Utilization (one of)"
    )]
    pub utilization: Option<String>,
    /// A literature prior: observed-mfu (default), ai-and-compute-gpu, ai-and-compute-cpu,
    /// epoch-llm, epoch-other, epoch-profiling.
    #[arg(long, value_name = "NAME", help_heading = "Utilization (one of)")]
    pub prior: Option<String>,
    /// A flopmeter results file: the measured matmul utilization x an end-to-end factor.
    #[arg(long, value_name = "FILE", help_heading = "Utilization (one of)")]
    pub calibrate: Option<std::path::PathBuf>,
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
    pub cluster_stat: Option<String>,

    /// Total training compute, FLOP.
    #[arg(
        long,
        value_name = "F",
        allow_hyphen_values = true,
        help_heading = "Inverse"
    )]
    pub flops: Option<String>,
    /// Total training compute, pfs-days.
    #[arg(
        long,
        value_name = "P",
        allow_hyphen_values = true,
        help_heading = "Inverse"
    )]
    pub pfs_days: Option<String>,

    /// Monte Carlo draws for uncertain inputs.
    #[arg(long, default_value_t = 20_000, help_heading = "Uncertainty")]
    pub draws: usize,
    /// Seed of the Monte Carlo draws.
    #[arg(long, default_value_t = 1, help_heading = "Uncertainty")]
    pub seed: u64,
}
