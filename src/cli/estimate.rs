//! `flopmeter estimate ops|hardware|time` arguments, parsed into typed values by clap. Each
//! subcommand lists only the flags it takes; the groups of flags are shared.

use std::path::PathBuf;

use clap::Subcommand;

use crate::dtype::Dtype;
use crate::estimate::calibrate::ClusterStat;
use crate::estimate::priors::{utilization_prior, Prior};

use super::values::{count, dtype, fraction, positive, whole};

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
    pub chip: ChipArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub gpu_hours: GpuHoursArgs,
    #[command(flatten)]
    pub utilization: UtilizationArgs,
    #[command(flatten)]
    pub spend: SpendArgs,
    #[command(flatten)]
    pub draws: DrawArgs,
}

/// `estimate hardware`: chips x time x peak x utilization, and with operation inputs too, both
/// methods side by side.
#[derive(Debug, Clone, clap::Args)]
pub struct HardwareArgs {
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
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub draws: DrawArgs,
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
    /// Accelerator as papers or drivers name it ("V100", "A100 80 GB", "TPU v3 cores", "H800").
    #[arg(long, value_name = "NAME", help_heading = "Hardware")]
    pub gpu: Option<String>,
    /// Dense peak of one chip, TFLOP/s (overrides the table's value for --gpu).
    #[arg(long, value_name = "P", value_parser = positive, allow_hyphen_values = true, help_heading = "Hardware")]
    pub peak_tflops: Option<f64>,
    /// Precision of the peak [default: the chip's fastest dense float of 16 bits or more].
    #[arg(long, value_name = "DTYPE", value_parser = dtype, help_heading = "Hardware")]
    pub dtype: Option<Dtype>,
    /// Fraction of wall-clock time doing useful work [default: 1].
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
    /// A literature prior: observed-mfu (default), ai-and-compute-gpu, ai-and-compute-cpu,
    /// epoch-llm, epoch-other, epoch-profiling.
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
    #[arg(long, default_value = "20000", value_parser = count, help_heading = "Uncertainty")]
    pub draws: usize,
    /// Seed of the Monte Carlo draws.
    #[arg(long, default_value_t = 1, help_heading = "Uncertainty")]
    pub seed: u64,
}

/// A utilization prior of `data/priors.csv` by name.
fn prior(s: &str) -> Result<&'static Prior, String> {
    utilization_prior(s).map_err(|e| e.to_string())
}
