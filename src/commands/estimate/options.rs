//! From the typed flags of `estimate` to the library's typed request: which flags go together,
//! the defaults, and which flag to name when the library says what is wrong. The library never
//! sees a flag; every message that names one is written here.

use crate::cli::{
    ChipArgs, FleetArgs, GpuHoursArgs, HardwareArgs, OpsArgs, RunArgs, SpendArgs, TargetArgs,
    TimeArgs, UtilizationArgs, WorkArgs,
};
use crate::error::{AppError, AppResult};
use crate::estimate::calibrate::{calibrate, CalibrateError, CalibrationSpec, ClusterStat};
use crate::estimate::chip::{Chip, ChipError};
use crate::estimate::chip_time::ChipTimeFactor;
use crate::estimate::energy::{
    default_host, HostPower, ASSUMED_CHIPS_PER_NODE, DEFAULT_PUE, DEFAULT_PUE_SOURCE,
};
use crate::estimate::goodput::Goodput;
use crate::estimate::model::{Attention, Passes, Workload, PFS_DAY_FLOP, SECONDS_PER_DAY};
use crate::estimate::priors::{utilization_prior, Basis, DEFAULT_PRIOR};
use crate::estimate::request::{
    ChipTime, Compute, HardwareRun, Platform, Power, Question, Request, Solve, Spend, Work,
};
use crate::estimate::utilization::Utilization;
use crate::output::numbers::short;
use crate::peaks::slice::SliceUnit;
use crate::peaks::LookupError;

fn usage(msg: &str) -> AppError {
    AppError::usage(msg)
}

/// `estimate ops`.
pub(super) fn ops(a: &OpsArgs) -> AppResult<Request> {
    let work = work(&a.work)?.ok_or_else(|| {
        usage(
            "estimate ops needs --macs-per-example or --flops-per-example with --examples, or \
             --params with --tokens",
        )
    })?;
    let r = &a.run;
    let hardware_given = r.chip.gpu.is_some()
        || r.chip.peak_tflops.is_some()
        || fleet_given(&r.fleet)
        || r.gpu_hours.gpu_hours.is_some();
    let hardware = if hardware_given {
        let run = hardware_run(r, Some(&work)).map_err(|e| match e {
            Missing::Chip | Missing::Time(_) => usage(
                "for both methods, `estimate ops` also needs --gpu (or --peak-tflops) and \
                     --count with --days (or --hours), or --gpu-hours",
            ),
            Missing::Other(e) => e,
        })?;
        Some(run)
    } else {
        no_hardware_flags(&r.chip, &r.utilization, &r.spend)?;
        None
    };
    Ok(Request {
        question: Question::Ops { work, hardware },
        draws: a.draws.draws,
        seed: a.draws.seed,
    })
}

/// `estimate hardware`.
pub(super) fn hardware(a: &HardwareArgs) -> AppResult<Request> {
    let work = work(&a.work)?;
    let run = hardware_run(&a.run, work.as_ref()).map_err(|e| match e {
        Missing::Chip => usage("estimate hardware needs --gpu NAME or --peak-tflops P"),
        Missing::Time(what) => usage(what),
        Missing::Other(e) => e,
    })?;
    Ok(Request {
        question: Question::Hardware { run, work },
        draws: a.draws.draws,
        seed: a.draws.seed,
    })
}

/// `estimate time`.
pub(super) fn time(a: &TimeArgs) -> AppResult<Request> {
    let compute = match (target_flop(&a.target)?, work(&a.work)?) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "give the compute once: --flops/--pfs-days or the operation inputs",
            ))
        }
        (Some(f), None) => Compute::Flop(f),
        (None, Some(w)) => Compute::Work(w),
        (None, None) => {
            return Err(usage(
                "estimate time needs --flops F or --pfs-days P (or the operation inputs)",
            ))
        }
    };
    let work = match &compute {
        Compute::Work(w) => Some(*w),
        Compute::Flop(_) => None,
    };
    let chip =
        chip(&a.chip)?.ok_or_else(|| usage("estimate time needs --gpu NAME or --peak-tflops P"))?;
    let count = slice_count(&chip, a.fleet.count)?;
    if let (Some(s), true) = (
        &chip.slice,
        a.fleet.count.is_none() && seconds(&a.fleet)?.is_some(),
    ) {
        return Err(AppError::usage(format!(
            "--gpu '{}' is a slice of {} chips: with --days/--hours, estimate time solves for \
             the chips needed; name the chip instead (--gpu 'TPU {}') or drop --days/--hours",
            s.name,
            s.chips,
            chip.name
                .trim_start_matches("Google TPU ")
                .trim_end_matches(" (chip)")
        )));
    }
    let solve = match (count, seconds(&a.fleet)?) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "give --count (to get days) or --days/--hours (to get chips), not both \
                 (or neither, to get GPU-hours)",
            ))
        }
        (Some(count), None) => Solve::Days { count },
        (None, Some(seconds)) => Solve::Chips { seconds },
        (None, None) => Solve::ChipHours,
    };
    Ok(Request {
        question: Question::Time {
            compute,
            platform: platform(chip, &a.chip, &a.utilization, &a.spend, work.as_ref())?,
            solve,
        },
        draws: a.draws.draws,
        seed: a.draws.seed,
    })
}

/// What a hardware run lacks, so each command can say what it needs in its own words.
enum Missing {
    Chip,
    Time(&'static str),
    Other(AppError),
}

impl From<AppError> for Missing {
    fn from(e: AppError) -> Self {
        Missing::Other(e)
    }
}

fn hardware_run(r: &RunArgs, work: Option<&Work>) -> Result<HardwareRun, Missing> {
    let chip = chip(&r.chip)?.ok_or(Missing::Chip)?;
    let fleet = FleetArgs {
        count: slice_count(&chip, r.fleet.count)?,
        ..r.fleet.clone()
    };
    let time = chip_time(&fleet, &r.gpu_hours)?;
    Ok(HardwareRun {
        platform: platform(chip, &r.chip, &r.utilization, &r.spend, work)?,
        time,
    })
}

/// The count: as given, or the slice's when --gpu was a TPU slice name; a given count that
/// disagrees with the slice is an error.
fn slice_count(chip: &Chip, given: Option<f64>) -> AppResult<Option<f64>> {
    let Some(slice) = &chip.slice else {
        return Ok(given);
    };
    let chips = f64::from(slice.chips);
    match given {
        Some(n) if n != chips => Err(AppError::usage(format!(
            "--count {} disagrees with --gpu '{}', which is {} chips ({}): give the slice's \
             count or drop --count",
            short(n),
            slice.name,
            slice.chips,
            match slice.unit {
                SliceUnit::TensorCores => format!("{} TensorCores, 2 per chip", slice.number),
                SliceUnit::Chips => "its number counts chips".to_string(),
            }
        ))),
        _ => Ok(Some(chips)),
    }
}

fn fleet_given(f: &FleetArgs) -> bool {
    f.count.is_some() || f.days.is_some() || f.hours.is_some()
}

fn seconds(f: &FleetArgs) -> AppResult<Option<f64>> {
    match (f.days, f.hours) {
        (Some(_), Some(_)) => Err(usage("give --days or --hours, not both")),
        (Some(d), None) => Ok(Some(d * SECONDS_PER_DAY)),
        (None, Some(h)) => Ok(Some(h * 3600.0)),
        (None, None) => Ok(None),
    }
}

fn chip_time(f: &FleetArgs, g: &GpuHoursArgs) -> Result<ChipTime, Missing> {
    let seconds = seconds(f)?;
    match (g.gpu_hours, f.count, seconds) {
        (Some(_), _, Some(_)) => Err(usage(
            "give --gpu-hours or --days/--hours, not both (--count may go with --gpu-hours)",
        )
        .into()),
        (Some(hours), count, None) => Ok(ChipTime::ChipHours { hours, count }),
        (None, Some(count), Some(seconds)) => Ok(ChipTime::Fleet { count, seconds }),
        (None, None, _) => Err(Missing::Time(
            "estimate hardware needs --count (number of chips) with --days or --hours, or \
             --gpu-hours",
        )),
        (None, Some(_), None) => Err(Missing::Time(
            "estimate hardware needs --days or --hours (or --gpu-hours instead of --count)",
        )),
    }
}

fn target_flop(t: &TargetArgs) -> AppResult<Option<f64>> {
    match (t.flops, t.pfs_days) {
        (Some(_), Some(_)) => Err(usage("give --flops or --pfs-days, not both")),
        (Some(f), None) => Ok(Some(f)),
        (None, Some(p)) => Ok(Some(p * PFS_DAY_FLOP)),
        (None, None) => Ok(None),
    }
}

/// Method 1's inputs, or None when none were given.
fn work(w: &WorkArgs) -> AppResult<Option<Work>> {
    let per_example = w.macs_per_example.is_some()
        || w.flops_per_example.is_some()
        || w.examples.is_some()
        || w.epochs.is_some();
    let attention_given = [w.layers, w.heads, w.head_dim, w.seq_len]
        .iter()
        .any(Option::is_some);
    let transformer =
        w.params.is_some() || w.tokens.is_some() || attention_given || w.model.is_some();
    let workload = match (per_example, transformer) {
        (true, true) => {
            return Err(usage(
                "give either per-example inputs (--macs-per-example/--flops-per-example, \
                 --examples) or transformer inputs (--params, --tokens), not both",
            ))
        }
        (true, false) => per_example_workload(w)?,
        (false, true) if w.model.is_some() => preset_workload(w)?,
        (false, true) => transformer_workload(w)?,
        (false, false) => {
            if w.backward_factor.is_some() || w.recompute {
                return Err(usage(
                    "--backward-factor and --recompute apply to the operation inputs \
                     (--macs-per-example ... or --params with --tokens)",
                ));
            }
            return Ok(None);
        }
    };
    Ok(Some(Work {
        workload,
        passes: Passes {
            backward_factor: w.backward_factor.unwrap_or(2.0),
            recompute: w.recompute,
        },
        model: match &w.model {
            Some(name) => Some(preset(name)?.name.as_str()),
            None => None,
        },
    }))
}

fn preset(name: &str) -> AppResult<&'static crate::model::Preset> {
    crate::model::preset(name).map_err(|e| AppError::usage(format!("--model: {e}")))
}

/// `--model NAME --tokens D [--seq-len T]`: N is the preset's active parameters (what a token's
/// forward pass multiplies: the output layer and a mixture's top-k experts, not the input
/// embedding), and the attention term has its layers and query heads; with latent attention
/// the head dimension is the mean of the query/key and value heads', which counts the same.
fn preset_workload(w: &WorkArgs) -> AppResult<Workload> {
    let c = &preset(w.model.as_deref().unwrap_or_default())?.config;
    let tokens = w
        .tokens
        .ok_or_else(|| usage("missing --tokens (training tokens D)"))?;
    let (dqk, dv) = c.attention_dims();
    Ok(Workload::Transformer {
        params: crate::model::params::count(c).active,
        tokens,
        attention: Some(Attention {
            layers: c.layers as f64,
            heads: c.heads as f64,
            head_dim: (dqk + dv) as f64 / 2.0,
            seq_len: w.seq_len.unwrap_or(c.seq as f64),
        }),
    })
}

fn per_example_workload(w: &WorkArgs) -> AppResult<Workload> {
    let forward_flop = match (w.macs_per_example, w.flops_per_example) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "give --macs-per-example or --flops-per-example, not both",
            ))
        }
        (Some(m), None) => 2.0 * m,
        (None, Some(f)) => f,
        (None, None) => return Err(usage("missing --macs-per-example or --flops-per-example")),
    };
    Ok(Workload::PerExample {
        forward_flop,
        examples: w
            .examples
            .ok_or_else(|| usage("missing --examples (training examples per epoch)"))?,
        epochs: w.epochs.unwrap_or(1.0),
    })
}

fn transformer_workload(w: &WorkArgs) -> AppResult<Workload> {
    let params = w
        .params
        .ok_or_else(|| usage("missing --params (transformer parameters N)"))?;
    let tokens = w
        .tokens
        .ok_or_else(|| usage("missing --tokens (training tokens D)"))?;
    let attention = match (w.layers, w.heads, w.head_dim, w.seq_len) {
        (None, None, None, None) => None,
        (Some(layers), Some(heads), Some(head_dim), Some(seq_len)) => Some(Attention {
            layers,
            heads,
            head_dim,
            seq_len,
        }),
        _ => {
            let given: Vec<&str> = [
                ("--layers", w.layers),
                ("--heads", w.heads),
                ("--head-dim", w.head_dim),
                ("--seq-len", w.seq_len),
            ]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| *n)
            .collect();
            return Err(AppError::usage(format!(
                "the attention term needs all of --layers --heads --head-dim --seq-len (got only \
                 {})",
                given.join(", ")
            )));
        }
    };
    Ok(Workload::Transformer {
        params,
        tokens,
        attention,
    })
}

/// The chip from --gpu and --peak-tflops, or None when neither was given.
fn chip(c: &ChipArgs) -> AppResult<Option<Chip>> {
    Ok(match (&c.gpu, c.peak_tflops) {
        (None, None) => None,
        (None, Some(p)) => Some(Chip::custom(
            p,
            c.dtype,
            "--peak-tflops (given by the user)".into(),
        )),
        (Some(name), peak) => {
            let chip = Chip::from_table(name, c.dtype).map_err(chip_error)?;
            Some(match peak {
                Some(p) => chip.with_peak(
                    p,
                    "--peak-tflops (given by the user, overrides the table)".into(),
                ),
                None => chip,
            })
        }
    })
}

fn chip_error(e: ChipError) -> AppError {
    AppError::usage(match e {
        ChipError::Lookup(LookupError::Unknown { .. }) => {
            format!("--gpu: {e}; or pass --peak-tflops")
        }
        ChipError::Lookup(_) => format!("--gpu: {e}"),
        ChipError::NoPeaks { .. } => format!("--gpu: {e}; or pass --peak-tflops"),
        ChipError::NoDefaultDtype { .. } => format!("--gpu: {e}: pass --dtype or --peak-tflops"),
        ChipError::NoRate { .. } => format!("{e}: pass another --dtype or --peak-tflops"),
    })
}

/// The active parameters of a transformer workload: the chip-time factor moves with them.
fn params_of(work: Option<&Work>) -> Option<f64> {
    match work?.workload {
        Workload::Transformer { params, .. } => Some(params),
        Workload::PerExample { .. } => None,
    }
}

/// Utilization, goodput, the chip-time factor (fitted on the model's parameters where the
/// `work` gives them), and the price and power of the chip.
fn platform(
    chip: Chip,
    c: &ChipArgs,
    u: &UtilizationArgs,
    s: &SpendArgs,
    work: Option<&Work>,
) -> AppResult<Platform> {
    let utilization = utilization(u, &chip)?;
    let spend = spend(s, &chip, &utilization);
    let goodput = goodput(c.goodput, &utilization);
    let chip_time_factor =
        ChipTimeFactor::for_factors(&utilization, &goodput, &chip, params_of(work));
    Ok(Platform {
        chip,
        chip_time_factor,
        goodput,
        utilization,
        spend,
    })
}

/// --goodput as given; else 1 where the utilization is a share of wall-clock time (goodput is
/// inside it); else the goodput prior.
fn goodput(given: Option<f64>, u: &Utilization) -> Goodput {
    match (given, u.basis, &u.prior) {
        (Some(g), _, _) => Goodput::fixed(g, "--goodput (given by the user)".into()),
        (None, Some(Basis::WallClock), Some(p)) => Goodput::fixed(
            1.0,
            format!(
                "1: prior '{}' is a utilization over wall-clock time, goodput is inside it \
                 (--goodput sets one)",
                p.name
            ),
        ),
        _ => Goodput::from_prior(true),
    }
}

fn utilization(u: &UtilizationArgs, chip: &Chip) -> AppResult<Utilization> {
    let given = [
        u.utilization.is_some(),
        u.prior.is_some(),
        u.calibrate.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(usage(
            "give only one of --utilization, --prior and --calibrate",
        ));
    }
    if (u.device.is_some() || u.allow_other_device || u.cluster_stat.is_some())
        && u.calibrate.is_none()
    {
        return Err(usage(
            "--device, --allow-other-device and --cluster-stat go with --calibrate",
        ));
    }
    if let Some(value) = u.utilization {
        return Ok(Utilization::fixed(
            value,
            "--utilization (given by the user)".into(),
        ));
    }
    if let Some(path) = &u.calibrate {
        let dtype = chip.dtype.ok_or_else(|| {
            usage("--calibrate needs the dtype: pass --gpu (its default dtype is used) or --dtype")
        })?;
        let spec = CalibrationSpec {
            path,
            dtype,
            chip: chip.row,
            device: u.device.as_deref(),
            allow_other: u.allow_other_device,
            stat: u.cluster_stat.unwrap_or(ClusterStat::Slowest),
        };
        let cal = calibrate(&spec).map_err(calibrate_error)?;
        if cal.above_peak {
            crate::say!(
                "warning: {} measured {:.1}% of the rated peak on {} ({}): above 100% is a timing \
                 or peak error in that file; the estimate uses it as given",
                cal.file.display(),
                cal.matmul_utilization * 100.0,
                cal.device,
                cal.best_result
            );
        }
        if cal.basis != "best matmul" {
            crate::say!(
                "note: {} holds a model bench: calibrating on {}",
                cal.file.display(),
                cal.best_result
            );
        }
        return Ok(Utilization::calibrated(cal));
    }
    let prior = match u.prior {
        Some(p) => p,
        None => utilization_prior(DEFAULT_PRIOR).expect("the default prior is bundled"),
    };
    Ok(Utilization::from_prior(prior, chip, u.prior.is_none()))
}

fn calibrate_error(e: CalibrateError) -> AppError {
    match e {
        CalibrateError::Load(e) => e.into(),
        CalibrateError::OtherChip { .. } => AppError::usage(format!(
            "--calibrate: {e}: pass --allow-other-device to use it anyway"
        )),
        CalibrateError::SeveralDevices { .. } => {
            AppError::usage(format!("--calibrate: {e}: choose one with --device"))
        }
        CalibrateError::NoDevice { .. } => AppError::usage(format!("--device: {e}")),
        CalibrateError::NoResult { .. } => AppError::usage(format!("--calibrate: {e}")),
    }
}

/// Price and power: --watts, else the power measured during the calibration, else the table's
/// board power.
fn spend(s: &SpendArgs, chip: &Chip, u: &Utilization) -> Spend {
    let measured = u.calibration.as_ref().and_then(|c| {
        c.power_w.map(|w| Power {
            watts: w,
            source: format!(
                "measured: median NVML board power during {} on {} in {} (a GEMM's draw, not a \
                 whole training step's)",
                c.best_result,
                c.device,
                c.file.display()
            ),
        })
    });
    let table = || {
        chip.table_watts().map(|w| Power {
            watts: w,
            source: format!(
                "table: {} board power (TDP), the most the board is rated to draw",
                chip.name
            ),
        })
    };
    let power = match s.watts {
        Some(w) => Some(Power {
            watts: w,
            source: "--watts (given by the user)".into(),
        }),
        None => measured.or_else(table),
    };
    let (pue, pue_source) = match s.pue {
        Some(p) => (p, "--pue (given by the user)".to_string()),
        None => (DEFAULT_PUE, DEFAULT_PUE_SOURCE.to_string()),
    };
    Spend {
        price_per_hour: s.price_per_hour,
        power,
        pue,
        pue_source,
        host: host(s, chip),
    }
}

/// The hosts of the chips' nodes: --host-watts (with --chips-per-node, else the chip's DGX's,
/// else 8), else the chip's DGX maximum less its GPUs, else not counted.
fn host(s: &SpendArgs, chip: &Chip) -> Result<HostPower, String> {
    let dgx = chip.row.and_then(default_host);
    match (s.host_watts, s.chips_per_node) {
        (Some(w), n) => {
            let (chips, how) = match (n, &dgx) {
                (Some(n), _) => (n, "--chips-per-node"),
                (None, Some(d)) => (d.chips_per_node, "the chip's usual node"),
                (None, None) => (ASSUMED_CHIPS_PER_NODE, "assumed"),
            };
            Ok(HostPower {
                watts_per_node: w,
                chips_per_node: chips,
                source: format!("--host-watts (given by the user) per {chips} chips ({how})"),
            })
        }
        (None, n) => match dgx {
            Some(d) => Ok(HostPower {
                chips_per_node: n.unwrap_or(d.chips_per_node),
                ..d
            }),
            None => Err("hosts not counted: no usual node of this chip is known \
                         (--host-watts adds them)"
                .to_string()),
        },
    }
}

/// Without hardware time there is nothing for these flags to act on.
fn no_hardware_flags(c: &ChipArgs, u: &UtilizationArgs, s: &SpendArgs) -> AppResult<()> {
    let given = u.utilization.is_some()
        || u.prior.is_some()
        || u.calibrate.is_some()
        || c.goodput.is_some()
        || c.dtype.is_some()
        || s.price_per_hour.is_some()
        || s.watts.is_some()
        || s.pue.is_some()
        || s.host_watts.is_some()
        || s.chips_per_node.is_some();
    if given {
        return Err(usage(
            "utilization, goodput, dtype, price, watts and energy options apply to hardware \
             time: add --gpu, --count and --days (or --gpu-hours)",
        ));
    }
    Ok(())
}

/// The numbers given, as "--params 1e300, --tokens 1e300", for an error about all of them.
pub(super) fn numbers_given(
    w: &WorkArgs,
    c: &ChipArgs,
    f: &FleetArgs,
    g: Option<&GpuHoursArgs>,
    t: Option<&TargetArgs>,
    s: &SpendArgs,
) -> String {
    let mut all = vec![
        ("--macs-per-example", w.macs_per_example),
        ("--flops-per-example", w.flops_per_example),
        ("--examples", w.examples),
        ("--epochs", w.epochs),
        ("--backward-factor", w.backward_factor),
        ("--params", w.params),
        ("--tokens", w.tokens),
        ("--layers", w.layers),
        ("--heads", w.heads),
        ("--head-dim", w.head_dim),
        ("--seq-len", w.seq_len),
        ("--peak-tflops", c.peak_tflops),
        ("--price-per-hour", s.price_per_hour),
        ("--watts", s.watts),
        ("--pue", s.pue),
        ("--host-watts", s.host_watts),
        ("--chips-per-node", s.chips_per_node),
    ];
    all.extend([
        ("--count", f.count),
        ("--days", f.days),
        ("--hours", f.hours),
    ]);
    if let Some(g) = g {
        all.push(("--gpu-hours", g.gpu_hours));
    }
    if let Some(t) = t {
        all.extend([("--flops", t.flops), ("--pfs-days", t.pfs_days)]);
    }
    all.iter()
        .filter_map(|(flag, v)| v.map(|v| format!("{flag} {}", short(v))))
        .collect::<Vec<_>>()
        .join(", ")
}
