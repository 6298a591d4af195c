//! The answer of an estimate as one typed, serializable value: `--json` is its serialization and
//! the text output a rendering of it. Keys are documented on the fields and in README. Intervals
//! are present only where an input is uncertain; every other key is always present (null where
//! the quantity does not apply).

use serde::Serialize;

use crate::dtype::Dtype;

use super::calibrate::Calibration;
use super::dist::{Dist, Interval};
use super::goodput::FactorPrior;
use super::utilization::PriorUse;

/// The result of `estimate ops`, `hardware` or `time`; `command` says which.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Estimate {
    Ops(OpsEstimate),
    Hardware(HardwareEstimate),
    Time(TimeEstimate),
}

/// `estimate ops`: method 1 at the top level; method 2 under `hardware` when given.
#[derive(Debug, Clone, Serialize)]
pub struct OpsEstimate {
    #[serde(flatten)]
    pub ops: OpsPart,
    /// Method 2 on the same run, when its inputs were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware: Option<HardwarePart>,
    #[serde(flatten)]
    pub ratio: Option<Ratio>,
    /// Plausibility notes (not errors): things to check.
    pub notes: Vec<String>,
}

/// `estimate hardware`: method 2 at the top level; method 1 under `ops` when given.
#[derive(Debug, Clone, Serialize)]
pub struct HardwareEstimate {
    #[serde(flatten)]
    pub hardware: HardwarePart,
    /// Method 1 on the same run, when its inputs were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops: Option<OpsPart>,
    #[serde(flatten)]
    pub ratio: Option<Ratio>,
    /// Plausibility notes (not errors): things to check.
    pub notes: Vec<String>,
}

/// Method 1: counted operations.
#[derive(Debug, Clone, Serialize)]
pub struct OpsPart {
    /// Always "operations".
    pub method: &'static str,
    pub flops: f64,
    pub pfs_days: f64,
    pub inputs: OpsInputs,
}

/// The operation inputs as understood.
#[derive(Debug, Clone, Serialize)]
pub struct OpsInputs {
    #[serde(flatten)]
    pub workload: WorkloadInputs,
    pub backward_factor: f64,
    pub recompute: bool,
    /// Forward passes per step: 1 + backward factor (+ 1 with recompute).
    pub passes_multiplier: f64,
    pub convention: &'static str,
    /// The preset (data/models.csv) whose active parameters and attention dimensions were
    /// used, or null.
    pub model: Option<&'static str>,
}

/// `kind` says which inputs method 1 had.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkloadInputs {
    PerExample {
        forward_flop_per_example: f64,
        examples: f64,
        epochs: f64,
    },
    Transformer {
        params: f64,
        tokens: f64,
        attention: Option<AttentionInputs>,
    },
}

/// PaLM's attention term.
#[derive(Debug, Clone, Serialize)]
pub struct AttentionInputs {
    pub layers: f64,
    pub heads: f64,
    pub head_dim: f64,
    pub seq_len: f64,
    /// 12 L H Q T, forward and backward.
    pub flop_per_token: f64,
}

/// Method 2: chips x peak x time x utilization (MFU while the job runs) x goodput (x the spread
/// between runs, median 1, where the priors give both).
#[derive(Debug, Clone, Serialize)]
pub struct HardwarePart {
    /// Always "hardware".
    pub method: &'static str,
    /// Median where utilization is uncertain.
    pub flops: f64,
    pub pfs_days: f64,
    #[serde(flatten)]
    pub chip: ChipReport,
    /// Chips (null when only chip-hours were given).
    pub count: Option<f64>,
    /// Wall-clock days (null when only chip-hours were given).
    pub days: Option<f64>,
    /// Chip-hours: count x days x 24, or as given.
    pub gpu_hours: f64,
    pub utilization: UtilizationReport,
    pub goodput: FactorReport,
    /// What the published chip-time of runs holds beyond the MFU and goodput priors (fitted to
    /// runs that publish chip-time); null where it does not apply.
    pub chip_time_factor: Option<FactorReport>,
    #[serde(flatten)]
    pub spend: SpendReport,
    /// The headline's interval: pfs-days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_pfs_days: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_flops: Option<Interval>,
    /// Notes on this run's inputs; the estimate's `notes` holds them with the rest.
    #[serde(skip)]
    pub input_notes: Vec<String>,
}

/// The two methods compared, when both were given.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// Hardware FLOP / operations FLOP.
    pub ratio_hardware_over_ops: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_interval: Option<Interval>,
    /// Operations FLOP over peak x chip-time: the utilization of the published time.
    pub implied_utilization: f64,
    /// implied_utilization / the goodput's median: the MFU the two methods imply.
    pub implied_mfu: f64,
}

/// `estimate time`: what it takes to do `flops`.
#[derive(Debug, Clone, Serialize)]
pub struct TimeEstimate {
    pub flops: f64,
    pub pfs_days: f64,
    /// The operation inputs, when the compute was given by them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<OpsInputs>,
    #[serde(flatten)]
    pub chip: ChipReport,
    pub utilization: UtilizationReport,
    pub goodput: FactorReport,
    /// What the published chip-time of runs holds beyond the MFU and goodput priors (fitted to
    /// runs that publish chip-time); null where it does not apply.
    pub chip_time_factor: Option<FactorReport>,
    /// days, count or gpu_hours: the quantity answered.
    pub solved_for: Solved,
    /// Chips: given, or needed rounded up.
    pub count: Option<f64>,
    /// Chips needed before rounding up.
    pub count_exact: Option<f64>,
    /// Wall-clock days: given, or needed.
    pub days: Option<f64>,
    /// Chip-hours needed, goodput included: the wall-clock chip-hours to expect (count_exact x
    /// days x 24 where chips were solved for).
    pub gpu_hours: f64,
    /// Chip-hours of training alone (goodput 1).
    pub training_gpu_hours: f64,
    /// Days of training alone on `count` chips, when solving for days.
    pub training_days: Option<f64>,
    #[serde(flatten)]
    pub spend: SpendReport,
    /// The headline's interval: of `solved_for`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_days: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_chips: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_gpu_hours: Option<Interval>,
    /// Plausibility notes (not errors): things to check.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Solved {
    Days,
    Count,
    GpuHours,
}

/// The chip and the peak used.
#[derive(Debug, Clone, Serialize)]
pub struct ChipReport {
    /// Table key, or "custom".
    pub chip: String,
    /// What `count` and `gpu_hours` count: "chip" (a GPU, a board, a TPU chip) or "core" (a
    /// TPU core row such as "TPU v3 cores").
    pub count_unit: &'static str,
    /// How the chip-time reads: "GPU-hours", "chip-hours" (TPU, Trainium, Gaudi, Ascend) or
    /// "core-hours".
    pub hours_unit: &'static str,
    pub dtype: Option<Dtype>,
    pub peak_tflops: f64,
    pub peak_source: String,
    /// How a name with packaging words or a count was read ("DGX A100").
    pub chip_note: Option<String>,
}

/// Utilization with its distribution and source.
#[derive(Debug, Clone, Serialize)]
pub struct UtilizationReport {
    pub median: f64,
    pub distribution: Dist,
    pub factor: Option<Dist>,
    /// Converts a prior onto the estimate's dtype (16-bit peak / this peak); null when none.
    pub dtype_scale: Option<f64>,
    pub source: String,
    pub prior: Option<PriorUse>,
    pub calibration: Option<Calibration>,
}

/// Goodput, or the spread between runs, with its distribution and source, as utilization has
/// them.
#[derive(Debug, Clone, Serialize)]
pub struct FactorReport {
    pub median: f64,
    pub distribution: Dist,
    pub source: String,
    pub prior: Option<FactorPrior>,
}

/// Cost and energy of the chip-hours.
#[derive(Debug, Clone, Serialize)]
pub struct SpendReport {
    /// Price of one chip-hour as given.
    pub price_per_hour: Option<f64>,
    /// gpu_hours x price_per_hour, in the price's currency.
    pub cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_cost: Option<Interval>,
    /// Power of one chip used for the energy.
    pub watts: Option<f64>,
    pub watts_source: Option<String>,
    /// gpu_hours x watts / 1000: the chips alone (no host, network or cooling).
    pub energy_kwh: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_energy_kwh: Option<Interval>,
    /// Power usage effectiveness of the facility, and where it came from.
    pub pue: f64,
    pub pue_source: String,
    /// Power of one node's hosts (CPUs, memory, NICs, switches, fans), and the chips per node;
    /// null where hosts are not counted (`host_source` says why).
    pub host_watts_per_node: Option<f64>,
    pub chips_per_node: Option<f64>,
    pub host_source: String,
    /// (chips' kWh + hosts' kWh) x pue: the facility's energy; null when no chip power is known.
    pub facility_energy_kwh: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_facility_energy_kwh: Option<Interval>,
}
