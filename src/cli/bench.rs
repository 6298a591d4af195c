//! `flopmeter bench` arguments, typed by the parsers in `values`.

use std::path::PathBuf;

use crate::bench::options::{DeviceSelection, DimValues, Sweep};
use crate::dtype::Dtype;
use crate::measure::Budget;
use crate::model::ModelConfig;
use crate::results::{Backend, Shape};

use super::values;

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
    /// Kernels, comma-separated (cpu: faer; wgpu: naive, tiled; cuda: cublas, cublaslt, naive,
    /// tiled, mma) [default: all].
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
          requires_all = ["n", "k"], conflicts_with_all = ["size", "shape"])]
    pub m: Option<DimValues>,
    /// N values (see --m).
    #[arg(long, value_name = "N|START:STOP:STEP", value_parser = values::dim_values,
          requires_all = ["m", "k"])]
    pub n: Option<DimValues>,
    /// K values (see --m).
    #[arg(long, value_name = "N|START:STOP:STEP", value_parser = values::dim_values,
          requires_all = ["m", "n"])]
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
    /// (gpt2-small, gpt3-175b, llama2-7b, llama2-70b, llama3-8b, llama3-70b, llama3-405b).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["size", "shape", "m", "model_config"])]
    pub model: Option<String>,
    /// A model of your own: hidden=..,ffn=..,heads=..,layers=..,vocab=..,seq=..
    /// [,kv_heads=..][,gated=true].
    #[arg(long, value_name = "KEY=VALUE,...", value_parser = values::model_config,
          conflicts_with_all = ["size", "shape", "m"])]
    pub model_config: Option<ModelConfig>,
    /// With a model: tokens of the micro-batch on one GPU [default: one sequence].
    #[arg(long, value_name = "T", value_parser = values::count)]
    pub tokens_per_step: Option<usize>,
    /// With a model: tensor-parallel degree (splits QKV, MLP and the vocabulary as Megatron).
    #[arg(long, value_name = "N", value_parser = values::count, default_value_t = 1)]
    pub tp: usize,
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
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Rated dense peak to use instead of the table's, TFLOP/s (needs exactly one device and
    /// one dtype).
    #[arg(
        long,
        value_name = "TFLOPS",
        allow_hyphen_values = true,
        value_parser = values::positive
    )]
    pub rated_tflops: Option<f64>,
    /// Results file [default: results/bench-HOST-TIME.json].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Under a launcher (Slurm, MPI, torchrun): the shared folder where each rank writes
    /// rank-NNNNN-HOST.json [default under Slurm: results/cluster-slurm-JOBID].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}
