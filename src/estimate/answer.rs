//! The arithmetic of an estimate: a typed request in, a typed result out. Uncertain utilization
//! is propagated by Monte Carlo; a quantity that overflows is an error, never a NaN printed.

use super::chip::Chip;
use super::dist::{propagate, Interval};
use super::model::{
    chips_needed, hardware_flop, ops_flop, pfs_days, seconds_needed, Hardware, Workload,
    SECONDS_PER_DAY,
};
use super::request::{
    ChipTime, Compute, HardwareRun, Platform, Question, Request, Solve, Spend, Work,
};
use super::result::*;
use super::utilization::Utilization;

/// Why an estimate has no answer. The command layer names the inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimateError {
    /// The inputs are each finite, but a result is not (1e300 x 1e300).
    #[error("the {quantity} is not a finite number (the inputs overflow)")]
    NonFinite { quantity: &'static str },
}

/// Answers the question of `req`.
pub fn answer(req: &Request) -> Result<Estimate, EstimateError> {
    let spread = |u| Spread {
        u,
        draws: req.draws,
        seed: req.seed,
    };
    Ok(match &req.question {
        Question::Ops { work, hardware } => {
            let ops = ops_part(work)?;
            let hardware = hardware
                .as_ref()
                .map(|run| hardware_part(run, &spread(&run.platform.utilization)))
                .transpose()?;
            let ratio = hardware.as_ref().map(|h| ratio(h, ops.flops));
            Estimate::Ops(OpsEstimate {
                ops,
                hardware,
                ratio,
            })
        }
        Question::Hardware { run, work } => {
            let hardware = hardware_part(run, &spread(&run.platform.utilization))?;
            let ops = work.as_ref().map(ops_part).transpose()?;
            let ratio = ops.as_ref().map(|o| ratio(&hardware, o.flops));
            Estimate::Hardware(HardwareEstimate {
                hardware,
                ops,
                ratio,
            })
        }
        Question::Time {
            compute,
            platform,
            solve,
        } => Estimate::Time(time(
            compute,
            platform,
            *solve,
            &spread(&platform.utilization),
        )?),
    })
}

fn finite(quantity: &'static str, x: f64) -> Result<f64, EstimateError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(EstimateError::NonFinite { quantity })
    }
}

/// A quantity that depends on utilization: its value at a fixed utilization, or its Monte Carlo
/// median and interval.
struct Spread<'a> {
    u: &'a Utilization,
    draws: usize,
    seed: u64,
}

impl Spread<'_> {
    fn of(
        &self,
        quantity: &'static str,
        f: impl Fn(f64) -> f64,
    ) -> Result<(f64, Option<Interval>), EstimateError> {
        if self.u.is_fixed() {
            return Ok((finite(quantity, f(self.u.median()))?, None));
        }
        let i = propagate(self.draws, self.seed, |r| f(self.u.sample(r)));
        for x in [i.p5, i.p50, i.p95] {
            finite(quantity, x)?;
        }
        Ok((i.p50, Some(i)))
    }
}

fn ops_part(work: &Work) -> Result<OpsPart, EstimateError> {
    let flops = finite("FLOP count", ops_flop(&work.workload, &work.passes))?;
    Ok(OpsPart {
        method: "operations",
        flops,
        pfs_days: pfs_days(flops),
        inputs: ops_inputs(work),
    })
}

pub(crate) fn ops_inputs(work: &Work) -> OpsInputs {
    let workload = match work.workload {
        Workload::PerExample {
            forward_flop,
            examples,
            epochs,
        } => WorkloadInputs::PerExample {
            forward_flop_per_example: forward_flop,
            examples,
            epochs,
        },
        Workload::Transformer {
            params,
            tokens,
            attention,
        } => WorkloadInputs::Transformer {
            params,
            tokens,
            attention: attention.map(|a| AttentionInputs {
                layers: a.layers,
                heads: a.heads,
                head_dim: a.head_dim,
                seq_len: a.seq_len,
                flop_per_token: 12.0 * a.layers * a.heads * a.head_dim * a.seq_len,
            }),
        },
    };
    OpsInputs {
        workload,
        backward_factor: work.passes.backward_factor,
        recompute: work.passes.recompute,
        passes_multiplier: work.passes.multiplier(),
        convention: "1 MAC = 2 FLOP; precision ignored; forward x (1 + backward factor [+ 1 with recompute])",
    }
}

/// One chip of the platform: the rate every inverse divides by.
fn one_chip(p: &Platform) -> Hardware {
    Hardware {
        peak_tflops: p.chip.peak_tflops,
        count: 1.0,
        goodput: p.goodput,
    }
}

fn hardware_part(run: &HardwareRun, spread: &Spread<'_>) -> Result<HardwarePart, EstimateError> {
    let p = &run.platform;
    let (fleet, seconds) = match run.time {
        ChipTime::Fleet { count, seconds } => (
            Hardware {
                count,
                ..one_chip(p)
            },
            seconds,
        ),
        ChipTime::ChipHours { hours, .. } => (one_chip(p), hours * 3600.0),
    };
    let (flops, interval_flops) = spread.of("FLOP count", |u| hardware_flop(&fleet, seconds, u))?;
    let gpu_hours = finite("GPU-hours", run.time.chip_hours())?;
    let interval = interval_flops.map(|i| i.map(pfs_days));
    Ok(HardwarePart {
        method: "hardware",
        flops,
        pfs_days: pfs_days(flops),
        chip: chip_report(&p.chip),
        count: run.time.count(),
        days: run.time.days(),
        gpu_hours,
        goodput: p.goodput,
        utilization: utilization_report(&p.utilization),
        spend: spend_report(&p.spend, gpu_hours, None)?,
        interval,
        interval_pfs_days: interval,
        interval_flops,
    })
}

fn ratio(h: &HardwarePart, ops_flop: f64) -> Ratio {
    Ratio {
        ratio_hardware_over_ops: h.flops / ops_flop,
        ratio_interval: h.interval_flops.map(|i| i.map(|f| f / ops_flop)),
    }
}

fn compute_flop(c: &Compute) -> Result<(f64, Option<OpsInputs>), EstimateError> {
    Ok(match c {
        Compute::Flop(f) => (finite("FLOP count", *f)?, None),
        Compute::Work(w) => (ops_part(w)?.flops, Some(ops_inputs(w))),
    })
}

/// The solved-for quantity of the inverse, with the inputs it keeps.
struct Solution {
    count: Option<f64>,
    count_exact: Option<f64>,
    days: Option<f64>,
    interval: Option<Interval>,
    interval_days: Option<Interval>,
    interval_chips: Option<Interval>,
}

fn solve(
    flop: f64,
    p: &Platform,
    solve: Solve,
    spread: &Spread<'_>,
) -> Result<Solution, EstimateError> {
    let chip = one_chip(p);
    Ok(match solve {
        Solve::Days { count } => {
            let fleet = Hardware { count, ..chip };
            let (days, i) = spread.of("number of days", |u| {
                seconds_needed(flop, &fleet, u) / SECONDS_PER_DAY
            })?;
            Solution {
                count: Some(count),
                count_exact: None,
                days: Some(days),
                interval: i,
                interval_days: i,
                interval_chips: None,
            }
        }
        Solve::Chips { seconds } => {
            let (chips, i) =
                spread.of("number of chips", |u| chips_needed(flop, &chip, seconds, u))?;
            Solution {
                // Whole chips, at least one: 1e-320 chips (an underflow of a tiny job) is one chip.
                count: Some(chips.ceil().max(1.0)),
                count_exact: Some(chips),
                days: Some(seconds / SECONDS_PER_DAY),
                interval: i,
                interval_days: None,
                interval_chips: i,
            }
        }
        Solve::ChipHours => Solution {
            count: None,
            count_exact: None,
            days: None,
            interval: None,
            interval_days: None,
            interval_chips: None,
        },
    })
}

fn time(
    compute: &Compute,
    p: &Platform,
    how: Solve,
    spread: &Spread<'_>,
) -> Result<TimeEstimate, EstimateError> {
    let (flops, inputs) = compute_flop(compute)?;
    let chip = one_chip(p);
    let (gpu_hours, interval_gpu_hours) = spread.of("number of GPU-hours", |u| {
        seconds_needed(flops, &chip, u) / 3600.0
    })?;
    let s = solve(flops, p, how, spread)?;
    let solved_for = match how {
        Solve::Days { .. } => Solved::Days,
        Solve::Chips { .. } => Solved::Count,
        Solve::ChipHours => Solved::GpuHours,
    };
    Ok(TimeEstimate {
        flops,
        pfs_days: pfs_days(flops),
        inputs,
        chip: chip_report(&p.chip),
        goodput: p.goodput,
        utilization: utilization_report(&p.utilization),
        solved_for,
        count: s.count,
        count_exact: s.count_exact,
        days: s.days,
        gpu_hours,
        spend: spend_report(&p.spend, gpu_hours, interval_gpu_hours)?,
        interval: if solved_for == Solved::GpuHours {
            interval_gpu_hours
        } else {
            s.interval
        },
        interval_days: s.interval_days,
        interval_chips: s.interval_chips,
        interval_gpu_hours,
    })
}

fn chip_report(c: &Chip) -> ChipReport {
    ChipReport {
        chip: c.name.clone(),
        count_unit: if c.row.is_some_and(|r| r.is_core_row()) {
            "core"
        } else {
            "chip"
        },
        dtype: c.dtype,
        peak_tflops: c.peak_tflops,
        peak_source: c.peak_source.clone(),
        chip_note: c.note.clone(),
    }
}

fn utilization_report(u: &Utilization) -> UtilizationReport {
    UtilizationReport {
        median: u.median(),
        distribution: u.dist.clone(),
        factor: u.factor.clone(),
        dtype_scale: u.dtype_scale,
        source: u.source.clone(),
        prior: u.prior.clone(),
        calibration: u.calibration.clone(),
    }
}

/// Cost and energy of `gpu_hours` (and of its interval, where it has one).
fn spend_report(
    s: &Spend,
    gpu_hours: f64,
    interval: Option<Interval>,
) -> Result<SpendReport, EstimateError> {
    let cost = s
        .price_per_hour
        .map(|p| finite("cost", gpu_hours * p))
        .transpose()?;
    let kwh_per_hour = s.power.as_ref().map(|p| p.watts / 1000.0);
    let energy_kwh = kwh_per_hour
        .map(|k| finite("energy", gpu_hours * k))
        .transpose()?;
    let scaled = |per_hour: Option<f64>| interval.zip(per_hour).map(|(i, k)| i.map(|h| h * k));
    Ok(SpendReport {
        price_per_hour: s.price_per_hour,
        cost,
        interval_cost: scaled(s.price_per_hour),
        watts: s.power.as_ref().map(|p| p.watts),
        watts_source: s.power.as_ref().map(|p| p.source.clone()),
        energy_kwh,
        interval_energy_kwh: scaled(kwh_per_hour),
    })
}
