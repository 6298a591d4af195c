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

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Backends to run, comma-separated: cuda, wgpu, cpu (default: every available one).
    #[arg(long, value_name = "LIST")]
    pub backend: Option<String>,
    /// Devices to run, comma-separated ids as `flopmeter devices` shows them (cuda:0, wgpu:0,
    /// cpu:0).
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
}
