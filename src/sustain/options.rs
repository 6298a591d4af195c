//! What a sustained run is asked to do, typed: built once by the command layer from the
//! command line. Nothing here parses text or names a flag.

/// How long, how the series is cut, how often results are checked, and what fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SustainOptions {
    /// Seconds every device runs.
    pub duration_s: f64,
    /// Length of one window of the series, seconds.
    pub window_s: f64,
    /// Every operand set's C is compared bit for bit with its first result after this many
    /// iterations; None: as often as keeps the checks to about `CHECK_SHARE` of the time.
    pub check_every: Option<u64>,
    /// Seconds between checks against the f64 reference.
    pub reference_every_s: f64,
    /// The largest fraction the sustained rate may fall below the burst rate and pass.
    pub max_drop: f64,
    /// A device this fraction or more below the median of its peers is an outlier.
    pub outlier_threshold: f64,
    /// Seed of the random normal inputs.
    pub seed: u64,
}

impl SustainOptions {
    /// The defaults of `flopmeter sustain` (its flags show these). Five minutes: long enough
    /// for a GPU to reach its thermal and power equilibrium (boost clocks fall within the first
    /// minute under a power cap); a 10% drop fails, more than the spread of a healthy device.
    pub const DEFAULT: SustainOptions = SustainOptions {
        duration_s: 300.0,
        window_s: 1.0,
        check_every: None,
        reference_every_s: 10.0,
        max_drop: 0.10,
        outlier_threshold: crate::cluster::merge::DEFAULT_STRAGGLER_THRESHOLD,
        seed: 42,
    };

    /// The share of a device's time its bit-for-bit checks may take when `check_every` is not
    /// given: each check reads every operand set's C (on the GPU for CUDA, where it costs a few
    /// hundred microseconds; on the host elsewhere), so a small problem is checked less often.
    pub const CHECK_SHARE: f64 = 0.05;

    /// Most windows one series holds (a day of 1 s windows): a longer run takes longer windows.
    pub const MAX_WINDOWS: f64 = 100_000.0;
}

impl Default for SustainOptions {
    fn default() -> Self {
        SustainOptions::DEFAULT
    }
}
