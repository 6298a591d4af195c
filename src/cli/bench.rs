//! `flopmeter bench` arguments.

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
