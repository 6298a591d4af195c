//! What an estimate is asked: typed, checked inputs built once by the command layer. Each
//! question holds exactly what it needs, so the arithmetic never meets a missing value.

use super::chip::Chip;
use super::chip_time::ChipTimeFactor;
use super::energy::HostPower;
use super::goodput::Goodput;
use super::model::{Passes, Workload, SECONDS_PER_DAY};
use super::utilization::Utilization;

/// The question and the Monte Carlo settings for uncertain inputs.
#[derive(Debug, Clone)]
pub struct Request {
    pub question: Question,
    pub draws: usize,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub enum Question {
    /// Method 1, counting operations; with hardware time too, method 2 beside it.
    Ops {
        work: Work,
        hardware: Option<HardwareRun>,
    },
    /// Method 2, hardware time; with operation inputs too, method 1 beside it.
    Hardware {
        run: HardwareRun,
        work: Option<Work>,
    },
    /// The inverse: what it takes to do a given compute.
    Time {
        compute: Compute,
        platform: Platform,
        solve: Solve,
    },
}

/// The operations of a training run and how many passes a step costs.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    pub workload: Workload,
    pub passes: Passes,
    /// The data/models.csv preset the transformer inputs came from, if one did.
    pub model: Option<&'static str>,
}

/// The compute an inverse problem starts from.
#[derive(Debug, Clone, Copy)]
pub enum Compute {
    Flop(f64),
    Work(Work),
}

/// The chip, its utilization while the job runs, how much of the published chip-time does
/// useful work (goodput), what published chip-time holds beyond both, and what its time costs.
#[derive(Debug, Clone)]
pub struct Platform {
    pub chip: Chip,
    pub goodput: Goodput,
    pub utilization: Utilization,
    /// Where utilization and goodput both come from their priors (`ChipTimeFactor::for_factors`).
    pub chip_time_factor: Option<ChipTimeFactor>,
    pub spend: Spend,
}

/// Method 2's inputs: a platform and how much chip time it ran for.
#[derive(Debug, Clone)]
pub struct HardwareRun {
    pub platform: Platform,
    pub time: ChipTime,
}

/// How long the chips ran.
#[derive(Debug, Clone, Copy)]
pub enum ChipTime {
    /// `count` chips for `seconds` of wall-clock time.
    Fleet { count: f64, seconds: f64 },
    /// Chip-hours as papers report them, and the chip count where it is known.
    ChipHours { hours: f64, count: Option<f64> },
}

impl ChipTime {
    pub fn chip_hours(&self) -> f64 {
        match *self {
            ChipTime::Fleet { count, seconds } => count * seconds / 3600.0,
            ChipTime::ChipHours { hours, .. } => hours,
        }
    }

    pub fn count(&self) -> Option<f64> {
        match *self {
            ChipTime::Fleet { count, .. } => Some(count),
            ChipTime::ChipHours { count, .. } => count,
        }
    }

    /// Wall-clock days, where the chip count is known.
    pub fn days(&self) -> Option<f64> {
        match *self {
            ChipTime::Fleet { seconds, .. } => Some(seconds / SECONDS_PER_DAY),
            ChipTime::ChipHours { hours, count } => count.map(|c| hours / c / 24.0),
        }
    }
}

/// What the inverse solves for.
#[derive(Debug, Clone, Copy)]
pub enum Solve {
    /// Wall-clock days on `count` chips.
    Days { count: f64 },
    /// Chips needed to finish in `seconds`.
    Chips { seconds: f64 },
    /// Chip-hours, whatever the count.
    ChipHours,
}

/// Price and power of one chip, for cost and energy, and what the facility adds.
#[derive(Debug, Clone)]
pub struct Spend {
    /// Price of one chip-hour, in the user's currency.
    pub price_per_hour: Option<f64>,
    pub power: Option<Power>,
    /// The data centre's power usage effectiveness (facility power / IT power), >= 1.
    pub pue: f64,
    pub pue_source: String,
    /// The hosts of the chips' nodes; None where not counted, with why.
    pub host: Result<HostPower, String>,
}

/// Power of one chip and where the figure came from.
#[derive(Debug, Clone)]
pub struct Power {
    pub watts: f64,
    pub source: String,
}
