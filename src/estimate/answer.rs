//! The arithmetic of an estimate: a typed request in, a typed result out. Uncertain utilization
//! and goodput are propagated by Monte Carlo; a quantity that overflows is an error, never a NaN
//! printed.

use super::chip::Chip;
use super::chip_time::ChipTimeFactor;
use super::dist::{propagate, Interval};
use super::energy::facility_kwh;
use super::goodput::Goodput;
use super::model::{
    chips_needed, hardware_flop, ops_flop, pfs_days, seconds_needed, Hardware, Workload,
    SECONDS_PER_DAY,
};
use super::notes;
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
    let spread = |p| spread(req, p);
    Ok(match &req.question {
        Question::Ops { work, hardware } => {
            let ops = ops_part(work)?;
            let hardware = hardware
                .as_ref()
                .map(|run| hardware_part(run, &spread(&run.platform)))
                .transpose()?;
            let ratio = hardware.as_ref().map(|h| ratio(h, ops.flops));
            let notes = run_notes(hardware.as_ref(), ratio.as_ref());
            Estimate::Ops(OpsEstimate {
                ops,
                hardware,
                ratio,
                notes,
            })
        }
        Question::Hardware { run, work } => {
            let hardware = hardware_part(run, &spread(&run.platform))?;
            let ops = work.as_ref().map(ops_part).transpose()?;
            let ratio = ops.as_ref().map(|o| ratio(&hardware, o.flops));
            let notes = run_notes(Some(&hardware), ratio.as_ref());
            Estimate::Hardware(HardwareEstimate {
                hardware,
                ops,
                ratio,
                notes,
            })
        }
        Question::Time {
            compute,
            platform,
            solve,
        } => Estimate::Time(time(compute, platform, *solve, &spread(platform))?),
    })
}

fn spread<'a>(req: &Request, p: &'a Platform) -> Spread<'a> {
    Spread {
        u: &p.utilization,
        g: &p.goodput,
        s: p.chip_time_factor.as_ref(),
        draws: req.draws,
        seed: req.seed,
    }
}

/// The notes of a hardware run's inputs, and of the MFU both methods imply.
fn run_notes(hardware: Option<&HardwarePart>, ratio: Option<&Ratio>) -> Vec<String> {
    let mut out = hardware.map(|h| h.input_notes.clone()).unwrap_or_default();
    out.extend(ratio.and_then(|r| notes::implied_mfu(r.implied_mfu)));
    out
}

fn finite(quantity: &'static str, x: f64) -> Result<f64, EstimateError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(EstimateError::NonFinite { quantity })
    }
}

/// A quantity that depends on utilization and goodput: its value where both are fixed, or its
/// Monte Carlo median and interval (each draw samples utilization, then goodput, then the
/// chip-time factor where there is one, which multiplies utilization).
#[derive(Clone, Copy)]
struct Spread<'a> {
    u: &'a Utilization,
    g: &'a Goodput,
    s: Option<&'a ChipTimeFactor>,
    draws: usize,
    seed: u64,
}

impl Spread<'_> {
    /// The same without the chip-time factor: for pure training time, which the factor (a
    /// share of published chip-time) does not describe.
    fn in_job(self) -> Self {
        Spread { s: None, ..self }
    }

    fn of(
        &self,
        quantity: &'static str,
        f: impl Fn(f64, f64) -> f64,
    ) -> Result<(f64, Option<Interval>), EstimateError> {
        if self.u.is_fixed() && self.g.is_fixed() && self.s.is_none() {
            return Ok((finite(quantity, f(self.u.median(), self.g.median()))?, None));
        }
        let i = propagate(self.draws, self.seed, |r| {
            let u = self.u.sample(r);
            let g = self.g.sample(r);
            let s = self.s.map_or(1.0, |s| s.sample(r));
            // A draw may not do more than the peak over the chip-time: u x s x g is at most 1.
            f((u * s * g).min(1.0) / g, g)
        });
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
        model: work.model,
    }
}

/// One chip of the platform at goodput `g`: the rate every inverse divides by.
fn one_chip(p: &Platform, g: f64) -> Hardware {
    Hardware {
        peak_tflops: p.chip.peak_tflops,
        count: 1.0,
        goodput: g,
    }
}

fn hardware_part(run: &HardwareRun, spread: &Spread<'_>) -> Result<HardwarePart, EstimateError> {
    let p = &run.platform;
    let (count, seconds) = match run.time {
        ChipTime::Fleet { count, seconds } => (count, seconds),
        ChipTime::ChipHours { hours, .. } => (1.0, hours * 3600.0),
    };
    let (flops, interval_flops) = spread.of("FLOP count", |u, g| {
        let fleet = Hardware {
            count,
            ..one_chip(p, g)
        };
        hardware_flop(&fleet, seconds, u)
    })?;
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
        utilization: utilization_report(&p.utilization),
        goodput: goodput_report(&p.goodput),
        chip_time_factor: p.chip_time_factor.as_ref().map(chip_time_report),
        spend: spend_report(&p.spend, gpu_hours, None)?,
        interval,
        interval_pfs_days: interval,
        interval_flops,
        input_notes: notes::for_run(&p.chip, &run.time),
    })
}

fn ratio(h: &HardwarePart, ops_flop: f64) -> Ratio {
    let implied_utilization = ops_flop / (h.gpu_hours * 3600.0 * h.chip.peak_tflops * 1e12);
    Ratio {
        ratio_hardware_over_ops: h.flops / ops_flop,
        ratio_interval: h.interval_flops.map(|i| i.map(|f| f / ops_flop)),
        implied_utilization,
        implied_mfu: implied_utilization / h.goodput.median,
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
    training_days: Option<f64>,
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
    let days_on = |count: f64, u: f64, g: f64| {
        let fleet = Hardware {
            count,
            ..one_chip(p, g)
        };
        seconds_needed(flop, &fleet, u) / SECONDS_PER_DAY
    };
    Ok(match solve {
        Solve::Days { count } => {
            let (days, i) = spread.of("number of days", |u, g| days_on(count, u, g))?;
            let (training_days, _) = spread
                .in_job()
                .of("number of days", |u, _| days_on(count, u, 1.0))?;
            Solution {
                count: Some(count),
                count_exact: None,
                days: Some(days),
                training_days: Some(training_days),
                interval: i,
                interval_days: i,
                interval_chips: None,
            }
        }
        Solve::Chips { seconds } => {
            let (chips, i) = spread.of("number of chips", |u, g| {
                chips_needed(flop, &one_chip(p, g), seconds, u)
            })?;
            Solution {
                // Whole chips, at least one: 1e-320 chips (an underflow of a tiny job) is one chip.
                count: Some(chips.ceil().max(1.0)),
                count_exact: Some(chips),
                days: Some(seconds / SECONDS_PER_DAY),
                training_days: None,
                interval: i,
                interval_days: None,
                interval_chips: i,
            }
        }
        Solve::ChipHours => Solution {
            count: None,
            count_exact: None,
            days: None,
            training_days: None,
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
    let hours = |u: f64, g: f64| seconds_needed(flops, &one_chip(p, g), u) / 3600.0;
    let (gpu_hours, interval_gpu_hours) = spread.of("number of GPU-hours", hours)?;
    let (training_gpu_hours, _) = spread
        .in_job()
        .of("number of GPU-hours", |u, _| hours(u, 1.0))?;
    let s = solve(flops, p, how, spread)?;
    let solved_for = match how {
        Solve::Days { .. } => Solved::Days,
        Solve::Chips { .. } => Solved::Count,
        Solve::ChipHours => Solved::GpuHours,
    };
    let notes = match how {
        Solve::Days { count } => notes::count(count).into_iter().collect(),
        _ => Vec::new(),
    };
    Ok(TimeEstimate {
        flops,
        pfs_days: pfs_days(flops),
        inputs,
        chip: chip_report(&p.chip),
        utilization: utilization_report(&p.utilization),
        goodput: goodput_report(&p.goodput),
        chip_time_factor: p.chip_time_factor.as_ref().map(chip_time_report),
        solved_for,
        count: s.count,
        count_exact: s.count_exact,
        days: s.days,
        gpu_hours,
        training_gpu_hours,
        training_days: s.training_days,
        spend: spend_report(&p.spend, gpu_hours, interval_gpu_hours)?,
        interval: if solved_for == Solved::GpuHours {
            interval_gpu_hours
        } else {
            s.interval
        },
        interval_days: s.interval_days,
        interval_chips: s.interval_chips,
        interval_gpu_hours,
        notes,
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
        hours_unit: c.hours_unit(),
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

fn goodput_report(g: &Goodput) -> FactorReport {
    FactorReport {
        median: g.median(),
        distribution: g.dist.clone(),
        source: g.source.clone(),
        prior: g.prior.clone(),
    }
}

fn chip_time_report(s: &ChipTimeFactor) -> FactorReport {
    FactorReport {
        median: s.median(),
        distribution: s.dist.clone(),
        source: s.source.clone(),
        prior: Some(s.prior.clone()),
    }
}

/// Cost and energy of `gpu_hours` (and of its interval, where it has one): the chips alone and
/// the facility's.
fn spend_report(
    s: &Spend,
    gpu_hours: f64,
    interval: Option<Interval>,
) -> Result<SpendReport, EstimateError> {
    let cost = s
        .price_per_hour
        .map(|p| finite("cost", gpu_hours * p))
        .transpose()?;
    let watts = s.power.as_ref().map(|p| p.watts);
    let host = s.host.as_ref().ok();
    let chip_kwh = |h: f64| watts.map(|w| h * w / 1000.0);
    let facility = |h: f64| watts.map(|w| facility_kwh(h, w, host, s.pue));
    let energy_kwh = chip_kwh(gpu_hours)
        .map(|e| finite("energy", e))
        .transpose()?;
    let facility_energy_kwh = facility(gpu_hours)
        .map(|e| finite("energy", e))
        .transpose()?;
    let scaled = |f: &dyn Fn(f64) -> Option<f64>| {
        interval.and_then(|i| {
            let (a, b, c) = (f(i.p5)?, f(i.p50)?, f(i.p95)?);
            Some(Interval {
                p5: a,
                p50: b,
                p95: c,
            })
        })
    };
    Ok(SpendReport {
        price_per_hour: s.price_per_hour,
        cost,
        interval_cost: scaled(&|h| s.price_per_hour.map(|p| h * p)),
        watts,
        watts_source: s.power.as_ref().map(|p| p.source.clone()),
        energy_kwh,
        interval_energy_kwh: scaled(&chip_kwh),
        pue: s.pue,
        pue_source: s.pue_source.clone(),
        host_watts_per_node: host.map(|h| h.watts_per_node),
        chips_per_node: host.map(|h| h.chips_per_node),
        host_source: match &s.host {
            Ok(h) => h.source.clone(),
            Err(why) => why.clone(),
        },
        facility_energy_kwh,
        interval_facility_energy_kwh: scaled(&facility),
    })
}
