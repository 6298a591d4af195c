//! The sustain document, version 1 (`flopmeter sustain`): per device, the kernel and shape it
//! ran back to back, the time series in fixed windows (rate and telemetry), the bit-for-bit and
//! f64-reference checks made throughout, the failures found, and the verdict. Field names are a
//! contract with users' scripts: add fields, never rename or remove them without a new version.
//! Its JSON Schema is `results/sustain-schema.json`, generated from these types (`schema`).

pub mod io;
pub mod validate;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dtype::Dtype;

use super::types::{DeviceRecord, Host, Timer, Tool};

pub const SUSTAIN_SCHEMA_ID: &str = "flopmeter.sustain/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SustainResults {
    /// Always "flopmeter.sustain/v1" for this version.
    pub schema: String,
    pub tool: Tool,
    /// RFC 3339 time the run started.
    pub created_at: String,
    pub host: Host,
    pub settings: SustainSettings,
    pub devices: Vec<DeviceRecord>,
    /// One per device that ran: its kernel, its windows, its checks, failures and verdict.
    pub series: Vec<DeviceSeries>,
    /// True while the run goes on (the file is saved as it runs) and after it was stopped
    /// early (a signal): what is here was measured.
    #[serde(default)]
    pub interrupted: bool,
    /// Warnings and remarks made during the run.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Present in files made by `flopmeter merge` of sustain files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<SustainCluster>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SustainSettings {
    /// The command line as typed.
    pub command: Vec<String>,
    /// How long every device was to run, seconds (`--duration`).
    pub duration_s: f64,
    /// Length of a window of the series, seconds (`--window`).
    pub window_s: f64,
    /// Every operand set's C is compared bit for bit with its first result after this many
    /// iterations (`--check-every`); none: each device's own, so that its checks take about 5%
    /// of its time (`checks.check_every` of its series).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_every: Option<u64>,
    /// Seconds between checks against the f64 reference (`--reference-every`).
    pub reference_every_s: f64,
    /// The largest fraction the sustained rate may fall below the burst rate (`--max-drop`).
    pub max_drop: f64,
    /// A device this fraction or more below the median of its peers is an outlier.
    pub outlier_threshold: f64,
    /// Seed of the random normal inputs.
    pub seed: u64,
}

/// One device's run: what it ran, its windows, its checks and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceSeries {
    /// Device id, as in `devices`.
    pub device: String,
    pub kernel: String,
    pub dtype: Dtype,
    /// The exact math, as a bench names it.
    pub compute_type: String,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// FLOP of one iteration: 2 m n k.
    pub flop: f64,
    pub timer: Timer,
    /// Operand sets rotated through (each with its own C, each checked).
    pub operand_sets: usize,
    /// The kernels and dtypes timed briefly and verified to choose the fastest (empty when
    /// only one could run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// What sampled the telemetry: "nvml" (clocks, power, temperature, throttle reasons),
    /// "cpu-clock" (the CPU's clock timed under the load); none where nothing could.
    pub telemetry: Option<String>,
    pub windows: Vec<Window>,
    pub checks: Checks,
    #[serde(default)]
    pub failures: Vec<Failure>,
    pub verdict: SustainVerdict,
    /// Why the series ended before `--duration`, if it did (a signal, a device error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Cluster rank that ran it (merged files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Host that ran it (merged files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl DeviceSeries {
    pub fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape {
            m: self.m,
            n: self.n,
            k: self.k,
        }
    }
}

/// One kernel and dtype timed to choose what a device sustains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Candidate {
    pub kernel: String,
    pub dtype: Dtype,
    /// Median TFLOP/s of the brief bench.
    pub tflops: f64,
    /// Whether its result passed the f64 reference check (only verified ones are chosen).
    pub verified: bool,
}

/// One fixed window of the series: the iterations that ended in it, and the telemetry sampled
/// during it (medians; the highest temperature; every throttle reason seen).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    /// Its place in the series, from 0.
    pub index: usize,
    /// Seconds since the series started.
    pub start_s: f64,
    pub end_s: f64,
    /// Iterations that ended in the window, and their device time, seconds.
    pub iterations: u64,
    pub device_s: f64,
    /// iterations x flop / device_s / 1e12; none when no iteration ended in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tflops: Option<f64>,
    /// The SM clock (NVML), or the CPU clock timed under the load, MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_clock_mhz: Option<f64>,
    /// Board power and the power cap the driver enforced, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_limit_w: Option<f64>,
    /// The highest temperature sampled, degrees Celsius.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle_reasons: Vec<String>,
}

/// The checks made during the run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Checks {
    /// Timed iterations run.
    pub iterations: u64,
    /// The bit-for-bit checks came after every this many iterations.
    pub check_every: u64,
    /// Times every operand set's C was compared bit for bit with its first result.
    pub bitwise: u64,
    /// Results so compared (each check compares one result per operand set).
    pub results_compared: u64,
    /// Bit-for-bit checks that found a result different from the first of its inputs.
    pub mismatches: u64,
    /// Checks against the f64 reference on sampled elements, as a bench verifies.
    pub reference: u64,
    /// The largest error the reference checks found, relative to sum |a||b|, and the tolerance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_max_rel_error: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_tolerance: Option<f64>,
}

/// What kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A result differs, bit for bit, from the first result of the same inputs.
    Corruption,
    /// A result failed the check against the f64 reference.
    Reference,
    /// The kernel's first two results of the same inputs differ: it is not deterministic here,
    /// so bit-for-bit checks cannot tell a fault.
    NotDeterministic,
    /// The device or its library failed.
    Device,
}

/// One failure, where it was found, and its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    pub kind: FailureKind,
    /// The window it was found in; none before the first window.
    pub window: Option<usize>,
    /// Seconds since the series started.
    pub t_s: f64,
    /// Timed iterations done when it was found.
    pub iteration: u64,
    /// The operand set whose result differed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<usize>,
    pub message: String,
    /// Of a bit-for-bit difference: the elements that differ, of all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements_differing: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<u64>,
    /// The largest change of one element, absolute and relative to its first value (or the
    /// reference check's error relative to sum |a||b|).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_abs_error: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rel_error: Option<f64>,
    /// Bits that differ in that element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
}

/// What telemetry says made the rate drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DropCause {
    /// The board ran at its power cap (NVML's power-cap throttle reason, or power at 95% of
    /// the cap or more).
    PowerCap,
    /// A thermal slowdown (NVML's thermal throttle reasons).
    Thermal,
    /// The clock fell as much as the rate did, with no power or thermal reason given.
    Clocks,
    /// Clocks held: not the chip's limits (other work on the host, the memory, the driver?).
    Unexplained,
    /// No telemetry to tell.
    NoTelemetry,
}

/// A device's verdict: burst and sustained rate, why it dropped, against the published
/// reference, pass or fail, and whether it is the outlier among its peers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct SustainVerdict {
    /// The rate of the first window with one (the burst).
    pub burst_tflops: Option<f64>,
    /// The median rate of the last half of the windows.
    pub sustained_tflops: Option<f64>,
    /// sustained / burst.
    pub ratio: Option<f64>,
    /// Why the rate dropped, when it dropped by 5% or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<DropCause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause_detail: Option<String>,
    /// sustained / the rated dense peak of the dtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization: Option<f64>,
    /// The published measured rate of the chip (data/reference_rates.csv), who measured it,
    /// and sustained / reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_tflops: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_reference: Option<f64>,
    pub passed: bool,
    /// Why it did not pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Set when its sustained rate is the threshold or more below its peers' median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier: Option<Outlier>,
}

/// How far an outlier is below the devices it is compared with (the same chip, kernel, dtype,
/// shape and settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Outlier {
    /// The median sustained rate of the group, and how many devices it holds.
    pub median_tflops: f64,
    pub compared_with: usize,
    /// Fraction below that median.
    pub shortfall: f64,
}

/// What a merge of sustain files adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SustainCluster {
    /// Files merged.
    pub files: Vec<String>,
    pub hosts: Vec<String>,
    pub ranks: usize,
    pub devices: usize,
    pub outlier_threshold: f64,
    /// Ranks of a launched job's world with no file at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_ranks: Vec<u32>,
    /// Files of runs stopped early.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interrupted: Vec<String>,
    /// Devices (merged ids) that failed, and devices that are outliers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outliers: Vec<String>,
    /// Why some devices were not compared with each other (other chips, kernels, shapes or
    /// settings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<String>,
}

/// The JSON Schema as committed in `results/sustain-schema.json`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(SustainResults);
    serde_json::to_string_pretty(&schema).expect("a schema always serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when the types and the committed schema drift apart. To update the file after a
    /// deliberate change: `UPDATE_SCHEMA=1 cargo test schema`.
    #[test]
    fn committed_sustain_schema_matches_the_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/sustain-schema.json");
        let generated = schema_json();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "results/sustain-schema.json is out of date with src/results/sustain/mod.rs; \
             run `UPDATE_SCHEMA=1 cargo test schema` and commit it"
        );
    }
}
