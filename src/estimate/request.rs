//! Turns the estimate flags into checked, typed inputs, with a one-line error for every bad or
//! conflicting value.

use serde::Serialize;

use crate::cli::EstimateArgs;
use crate::dtype::Dtype;
use crate::peaks::{lookup, ChipRow};

use super::calibrate::{calibrate, Calibration};
use super::dist::Dist;
use super::model::{Attention, Hardware, Passes, Workload, PFS_DAY_FLOP, SECONDS_PER_DAY};
use super::priors::{calibration_factor, utilization_prior, DEFAULT_PRIOR};

fn number(flag: &str, text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "invalid --{flag} '{text}': expected a positive finite number"
        )),
    }
}

fn opt(flag: &str, v: &Option<String>) -> Result<Option<f64>, String> {
    v.as_deref().map(|t| number(flag, t)).transpose()
}

fn fraction(flag: &str, text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!(
            "invalid --{flag} '{text}': expected a number in (0, 1]"
        )),
    }
}

fn whole(flag: &str, text: &str) -> Result<f64, String> {
    let v = number(flag, text)?;
    if v.fract() != 0.0 {
        return Err(format!(
            "invalid --{flag} '{text}': expected a whole number"
        ));
    }
    Ok(v)
}

/// The chip of a hardware estimate.
#[derive(Debug, Clone, Serialize)]
pub struct Chip {
    /// The table key, or "custom" for --peak-tflops alone.
    pub name: String,
    pub dtype: Option<Dtype>,
    pub peak_tflops: f64,
    pub peak_source: String,
    #[serde(skip)]
    pub row: Option<&'static ChipRow>,
}

/// Utilization: a distribution and where it came from; with calibration, the measured ceiling
/// and the end-to-end factor are both kept.
#[derive(Debug, Clone, Serialize)]
pub struct Utilization {
    pub dist: Dist,
    /// Multiplies `dist` (calibration's MFU / matmul-utilization factor).
    pub factor: Option<Dist>,
    pub source: String,
    pub calibration: Option<Calibration>,
}

impl Utilization {
    pub fn is_fixed(&self) -> bool {
        self.dist.is_fixed() && self.factor.as_ref().is_none_or(Dist::is_fixed)
    }

    pub fn sample(&self, rng: &mut rand::rngs::StdRng) -> f64 {
        let f = self.factor.as_ref().map(|f| f.sample(rng)).unwrap_or(1.0);
        self.dist.sample(rng) * f
    }

    pub fn median(&self) -> f64 {
        self.dist.median() * self.factor.as_ref().map(Dist::median).unwrap_or(1.0)
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub workload: Option<Workload>,
    pub passes: Passes,
    pub chip: Option<Chip>,
    pub count: Option<f64>,
    pub seconds: Option<f64>,
    pub goodput: f64,
    pub utilization: Option<Utilization>,
    pub target_flop: Option<f64>,
    pub draws: usize,
    pub seed: u64,
}

impl Request {
    pub fn hardware(&self) -> Option<Hardware> {
        let chip = self.chip.as_ref()?;
        Some(Hardware {
            peak_tflops: chip.peak_tflops,
            count: self.count.unwrap_or(1.0),
            goodput: self.goodput,
        })
    }

    /// Chip, count and time: everything method 2 needs besides utilization.
    pub fn has_hardware_time(&self) -> bool {
        self.chip.is_some() && self.count.is_some() && self.seconds.is_some()
    }
}

fn workload(a: &EstimateArgs) -> Result<Option<Workload>, String> {
    let macs = opt("macs-per-example", &a.macs_per_example)?;
    let flops = opt("flops-per-example", &a.flops_per_example)?;
    let examples = opt("examples", &a.examples)?;
    let epochs = opt("epochs", &a.epochs)?;
    let params = opt("params", &a.params)?;
    let tokens = opt("tokens", &a.tokens)?;
    let attn = [
        ("layers", &a.layers),
        ("heads", &a.heads),
        ("head-dim", &a.head_dim),
        ("seq-len", &a.seq_len),
    ];
    let attn_given: Vec<&str> = attn
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| *n)
        .collect();
    let per_example = macs.is_some() || flops.is_some() || examples.is_some() || epochs.is_some();
    let transformer = params.is_some() || tokens.is_some() || !attn_given.is_empty();
    if per_example && transformer {
        return Err(
            "give either per-example inputs (--macs-per-example/--flops-per-example, --examples) \
             or transformer inputs (--params, --tokens), not both"
                .into(),
        );
    }
    if per_example {
        let forward = match (macs, flops) {
            (Some(_), Some(_)) => {
                return Err("give --macs-per-example or --flops-per-example, not both".into())
            }
            (Some(m), None) => 2.0 * m,
            (None, Some(f)) => f,
            (None, None) => return Err("missing --macs-per-example or --flops-per-example".into()),
        };
        let examples = examples.ok_or("missing --examples (training examples per epoch)")?;
        return Ok(Some(Workload::PerExample {
            forward_flop: forward,
            examples,
            epochs: epochs.unwrap_or(1.0),
        }));
    }
    if transformer {
        let params = params.ok_or("missing --params (transformer parameters N)")?;
        let tokens = tokens.ok_or("missing --tokens (training tokens D)")?;
        let attention = match attn_given.len() {
            0 => None,
            4 => Some(Attention {
                layers: whole("layers", a.layers.as_deref().unwrap_or_default())?,
                heads: whole("heads", a.heads.as_deref().unwrap_or_default())?,
                head_dim: whole("head-dim", a.head_dim.as_deref().unwrap_or_default())?,
                seq_len: whole("seq-len", a.seq_len.as_deref().unwrap_or_default())?,
            }),
            _ => {
                return Err(format!(
                    "the attention term needs all of --layers --heads --head-dim --seq-len (got only --{})",
                    attn_given.join(", --")
                ))
            }
        };
        return Ok(Some(Workload::Transformer {
            params,
            tokens,
            attention,
        }));
    }
    Ok(None)
}

fn chip(a: &EstimateArgs) -> Result<Option<Chip>, String> {
    let peak = opt("peak-tflops", &a.peak_tflops)?;
    let dtype = a
        .dtype
        .as_deref()
        .map(|d| d.parse::<Dtype>().map_err(|e| format!("--dtype: {e}")))
        .transpose()?;
    let row = match &a.gpu {
        Some(name) => Some(lookup(name).map_err(|e| format!("--gpu: {e}"))?.row),
        None => None,
    };
    match (row, peak) {
        (None, None) => Ok(None),
        (None, Some(p)) => Ok(Some(Chip {
            name: "custom".into(),
            dtype,
            peak_tflops: p,
            peak_source: "--peak-tflops (given by the user)".into(),
            row: None,
        })),
        (Some(row), peak) => {
            let dtype = match dtype {
                Some(d) => d,
                None => row.default_training_dtype().ok_or_else(|| {
                    format!(
                        "'{}' has no dense float rate in the table: pass --dtype or --peak-tflops",
                        row.key
                    )
                })?,
            };
            let (value, source) = match (peak, row.board_peak(dtype)) {
                (Some(p), _) => (p, "--peak-tflops (given by the user, overrides the table)".to_string()),
                (None, Some(v)) => (
                    v,
                    format!("table: {} {dtype} dense peak; {}", row.key, row.source),
                ),
                (None, None) => {
                    return Err(format!(
                        "'{}' has no dense {dtype} rate in the table (it has: {}): pass another --dtype or --peak-tflops",
                        row.key,
                        row.board_peaks().iter().map(|(d, _)| d.name()).collect::<Vec<_>>().join(", ")
                    ))
                }
            };
            Ok(Some(Chip {
                name: row.key.clone(),
                dtype: Some(dtype),
                peak_tflops: value,
                peak_source: source,
                row: Some(row),
            }))
        }
    }
}

fn utilization(a: &EstimateArgs, chip: Option<&Chip>) -> Result<Option<Utilization>, String> {
    let given = [
        a.utilization.is_some(),
        a.prior.is_some(),
        a.calibrate.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given > 1 {
        return Err("give only one of --utilization, --prior and --calibrate".into());
    }
    if (a.device.is_some() || a.allow_other_device || a.cluster_stat.is_some())
        && a.calibrate.is_none()
    {
        return Err("--device, --allow-other-device and --cluster-stat go with --calibrate".into());
    }
    if let Some(u) = &a.utilization {
        return Ok(Some(Utilization {
            dist: Dist::Fixed {
                value: fraction("utilization", u)?,
            },
            factor: None,
            source: "--utilization (given by the user)".into(),
            calibration: None,
        }));
    }
    if let Some(path) = &a.calibrate {
        let dtype = chip.and_then(|c| c.dtype).ok_or_else(|| {
            "--calibrate needs the dtype: pass --gpu (its default dtype is used) or --dtype"
                .to_string()
        })?;
        let cal = calibrate(
            path,
            dtype,
            chip.and_then(|c| c.row),
            a.device.as_deref(),
            a.allow_other_device,
            match &a.cluster_stat {
                Some(s) => s.parse()?,
                None => super::calibrate::ClusterStat::Slowest,
            },
        )?;
        let factor = calibration_factor();
        return Ok(Some(Utilization {
            dist: Dist::Fixed {
                value: cal.matmul_utilization,
            },
            factor: Some(factor.dist.clone()),
            source: format!(
                "calibrated: best verified {} matmul utilization {:.1}% on {} ({}, {}{}) x end-to-end factor {} ({})",
                dtype,
                cal.matmul_utilization * 100.0,
                cal.device,
                cal.device_name,
                cal.best_result,
                if cal.devices_considered > 1 {
                    format!(
                        "; the {} of {} devices",
                        match cal.cluster_stat {
                            super::calibrate::ClusterStat::Slowest => "slowest",
                            super::calibrate::ClusterStat::Median => "median",
                        },
                        cal.devices_considered
                    )
                } else {
                    String::new()
                },
                factor.dist.describe(),
                factor.source
            ),
            calibration: Some(cal),
        }));
    }
    let name = a.prior.as_deref().unwrap_or(DEFAULT_PRIOR);
    let prior = utilization_prior(name)?;
    Ok(Some(Utilization {
        dist: prior.dist.clone(),
        factor: None,
        source: format!(
            "prior '{}'{}: {} ({})",
            prior.name,
            if a.prior.is_none() { " (default)" } else { "" },
            prior.dist.describe(),
            prior.source
        ),
        calibration: None,
    }))
}

/// Checks and types every flag. `which` is the subcommand: ops, hardware or time.
pub fn parse(a: &EstimateArgs, which: &str) -> Result<Request, String> {
    let workload = workload(a)?;
    let passes = Passes {
        backward_factor: match &a.backward_factor {
            Some(b) => number("backward-factor", b)?,
            None => 2.0,
        },
        recompute: a.recompute,
    };
    let chip = chip(a)?;
    let count = a.count.as_deref().map(|c| whole("count", c)).transpose()?;
    let seconds = match (opt("days", &a.days)?, opt("hours", &a.hours)?) {
        (Some(_), Some(_)) => return Err("give --days or --hours, not both".into()),
        (Some(d), None) => Some(d * SECONDS_PER_DAY),
        (None, Some(h)) => Some(h * 3600.0),
        (None, None) => None,
    };
    let goodput = match &a.goodput {
        Some(g) => fraction("goodput", g)?,
        None => 1.0,
    };
    let target_flop = match (opt("flops", &a.flops)?, opt("pfs-days", &a.pfs_days)?) {
        (Some(_), Some(_)) => return Err("give --flops or --pfs-days, not both".into()),
        (Some(f), None) => Some(f),
        (None, Some(p)) => Some(p * PFS_DAY_FLOP),
        (None, None) => None,
    };
    if a.draws == 0 {
        return Err("invalid --draws 0: expected at least 1".into());
    }
    let hardware_given = chip.is_some() || count.is_some() || seconds.is_some();
    match which {
        "ops" => {
            if workload.is_none() {
                return Err("estimate ops needs --macs-per-example or --flops-per-example with --examples, or --params with --tokens".into());
            }
            if target_flop.is_some() {
                return Err("--flops and --pfs-days are inputs of `estimate time`".into());
            }
        }
        "hardware" => {
            if target_flop.is_some() {
                return Err("--flops and --pfs-days are inputs of `estimate time`".into());
            }
            if chip.is_none() {
                return Err("estimate hardware needs --gpu NAME or --peak-tflops P".into());
            }
            if count.is_none() {
                return Err("estimate hardware needs --count (number of chips)".into());
            }
            if seconds.is_none() {
                return Err("estimate hardware needs --days or --hours".into());
            }
        }
        "time" => {
            if workload.is_some() && target_flop.is_some() {
                return Err(
                    "give the compute once: --flops/--pfs-days or the operation inputs".into(),
                );
            }
            if workload.is_none() && target_flop.is_none() {
                return Err(
                    "estimate time needs --flops F or --pfs-days P (or the operation inputs)"
                        .into(),
                );
            }
            if chip.is_none() {
                return Err("estimate time needs --gpu NAME or --peak-tflops P".into());
            }
            match (count, seconds) {
                (Some(_), Some(_)) => {
                    return Err(
                        "give --count (to get days) or --days/--hours (to get chips), not both"
                            .into(),
                    )
                }
                (None, None) => {
                    return Err(
                        "estimate time needs --count (gives days) or --days (gives chips needed)"
                            .into(),
                    )
                }
                _ => {}
            }
        }
        _ => unreachable!("clap defines the subcommands"),
    }
    let needs_utilization =
        which != "ops" || (chip.is_some() && count.is_some() && seconds.is_some());
    let utilization = if needs_utilization {
        utilization(a, chip.as_ref())?
    } else {
        if hardware_given {
            return Err("for both methods, `estimate ops` also needs --gpu (or --peak-tflops), --count and --days (or --hours)".into());
        }
        if a.utilization.is_some()
            || a.prior.is_some()
            || a.calibrate.is_some()
            || a.goodput.is_some()
        {
            return Err(
                "utilization and goodput apply to hardware time: add --gpu, --count and --days"
                    .into(),
            );
        }
        None
    };
    Ok(Request {
        workload,
        passes,
        chip,
        count,
        seconds,
        goodput,
        utilization,
        target_flop,
        draws: a.draws,
        seed: a.seed,
    })
}
