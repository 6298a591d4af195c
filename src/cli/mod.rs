//! Command-line definitions (clap derive): what was typed, parsed into typed values by the
//! parsers in `values`. Only this module and `commands` name clap; the work lives in `commands`.

mod bench;
pub mod estimate;
mod trend;
pub mod values;

pub use bench::BenchArgs;
pub use estimate::EstimateCommand;
pub use trend::TrendArgs;

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
        allow_hyphen_values = true,
        value_parser = values::fraction,
        default_value_t = crate::cluster::merge::DEFAULT_STRAGGLER_THRESHOLD
    )]
    pub threshold: f64,
    /// Exit 0 even when some ranks brought no verified result (they are listed either way).
    #[arg(long)]
    pub allow_dead_ranks: bool,
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
    /// Write Markdown tables (paste into a GitHub issue).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<std::path::PathBuf>,
    /// Write a self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
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
