//! `flopmeter estimate ops|hardware|time` arguments.

use clap::Subcommand;

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
