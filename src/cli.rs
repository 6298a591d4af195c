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
