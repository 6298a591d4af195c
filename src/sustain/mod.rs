//! The `sustain` workflow: does each device hold its rate for minutes, and compute right all
//! the while? Every selected device runs its fastest verified kernel and dtype (`choose`: a
//! brief bench through bench's own runner) at a shape that fills it, back to back, all devices
//! at once (`run`, one thread per device, `device` the loop of one), for a duration. The
//! iterations and the telemetry fall into fixed windows (`series`); every operand set's C is
//! compared bit for bit with its first result and, periodically, against the f64 reference
//! (`checks`); at the end each device gets a verdict: burst and sustained rate, why it dropped,
//! against the published reference, pass or fail, and the outlier among its peers
//! (`verdict`). `merge` combines the files of every rank of a cluster run. The measurement
//! engine is bench's: `gemm::Gemm` (timed as `measure::Timed`), `telemetry::Sampler`, the
//! results layer's file checks.

pub mod checks;
pub mod choose;
pub mod device;
pub mod merge;
pub mod options;
pub mod run;
pub mod series;
pub mod verdict;

pub use options::SustainOptions;

use crate::gemm::Gemm;
use crate::results::DeviceRecord;

/// Wraps each device's prepared GEMM before it runs: the identity in flopmeter; a test-only
/// kernel wrapper in the test suite (`main_with_plant`), which plants a slowdown or a wrong
/// result where the checks must catch it. Nothing a user types or sets reaches it.
pub type Plant = dyn Fn(&DeviceRecord, Box<dyn Gemm>) -> Box<dyn Gemm> + Send + Sync;
