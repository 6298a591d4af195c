//! The text rendering of an estimate: the same `Estimate` that `--json` serializes, for people.
//! Results carry 4 significant figures; inputs are echoed as given.

use std::fmt::Write;

use crate::estimate::dist::{Dist, Interval};
use crate::estimate::priors::Evidence;
use crate::estimate::result::*;
use crate::output::numbers::{short, sig};

/// The estimate as lines of text.
pub(super) fn render(e: &Estimate) -> String {
    let mut out = Text::default();
    match e {
        Estimate::Ops(o) => {
            ops_part(&mut out, &o.ops);
            if let Some(h) = &o.hardware {
                hardware_part(&mut out, h);
            }
            ratio(&mut out, o.ratio.as_ref());
            notes(&mut out, &o.notes);
        }
        Estimate::Hardware(h) => {
            hardware_part(&mut out, &h.hardware);
            if let Some(o) = &h.ops {
                ops_part(&mut out, o);
            }
            ratio(&mut out, h.ratio.as_ref());
            notes(&mut out, &h.notes);
        }
        Estimate::Time(t) => {
            time(&mut out, t);
            notes(&mut out, &t.notes);
        }
    }
    out.0
}

#[derive(Default)]
struct Text(String);

impl Text {
    fn line(&mut self, s: impl AsRef<str>) {
        let _ = writeln!(self.0, "{}", s.as_ref());
    }
}

fn compute(flops: f64, pfs_days: f64) -> String {
    format!("{} FLOP = {} pfs-days", sig(flops), sig(pfs_days))
}

fn interval(i: &Interval, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    format!(
        "{} .. {}{unit} (median {})",
        sig(i.p5),
        sig(i.p95),
        sig(i.p50)
    )
}

fn ops_part(out: &mut Text, o: &OpsPart) {
    out.line(format!(
        "Training compute (operations): {}",
        compute(o.flops, o.pfs_days)
    ));
    ops_inputs(out, &o.inputs);
}

fn ops_inputs(out: &mut Text, i: &OpsInputs) {
    match &i.workload {
        WorkloadInputs::PerExample {
            forward_flop_per_example,
            examples,
            epochs,
        } => out.line(format!(
            "  forward FLOP per example {} x {} examples x {} epochs",
            short(*forward_flop_per_example),
            short(*examples),
            short(*epochs)
        )),
        WorkloadInputs::Transformer {
            params,
            tokens,
            attention,
        } => out.line(format!(
            "  {} parameters x {} tokens (6ND{}){}",
            short(*params),
            short(*tokens),
            if attention.is_some() {
                " + 12 L H Q T per token"
            } else {
                ""
            },
            match (i.model, attention) {
                (Some(m), Some(a)) => format!(
                    "; {m}'s active parameters, L {} H {} Q {} T {}",
                    short(a.layers),
                    short(a.heads),
                    short(a.head_dim),
                    short(a.seq_len)
                ),
                _ => String::new(),
            }
        )),
    }
    out.line(format!(
        "  passes: x{} (forward + {} x backward{}); 1 MAC = 2 FLOP",
        short(i.passes_multiplier),
        short(i.backward_factor),
        if i.recompute { " + recompute" } else { "" }
    ));
}

fn hardware_part(out: &mut Text, h: &HardwarePart) {
    out.line(format!(
        "Training compute (hardware time): {}",
        compute(h.flops, h.pfs_days)
    ));
    if let Some(i) = &h.interval_pfs_days {
        out.line(format!("  90% interval: {}", interval(i, "pfs-days")));
    }
    chip(out, &h.chip, h.count);
    let unit = h.chip.hours_unit;
    let time = match h.days {
        Some(days) => format!("{} days = {} {unit}", short(days), sig(h.gpu_hours)),
        None => format!("{} {unit}", short(h.gpu_hours)),
    };
    out.line(format!("  time: {time}"));
    utilization(out, &h.utilization);
    goodput(out, &h.goodput);
    chip_time_factor(out, h.chip_time_factor.as_ref());
    spend(out, &h.spend, unit);
}

fn ratio(out: &mut Text, r: Option<&Ratio>) {
    if let Some(r) = r {
        let spread = r
            .ratio_interval
            .map(|i| format!("; 90% interval {} .. {}", sig(i.p5), sig(i.p95)))
            .unwrap_or_default();
        out.line(format!(
            "Ratio hardware / operations: {}{spread}",
            sig(r.ratio_hardware_over_ops)
        ));
        out.line(format!(
            "  implied by the operations: {} utilization of the chip-time given, MFU {} at the \
             goodput's median",
            sig(r.implied_utilization),
            sig(r.implied_mfu)
        ));
    }
}

fn notes(out: &mut Text, notes: &[String]) {
    for n in notes {
        out.line(format!("note: {n}"));
    }
}

fn goodput(out: &mut Text, g: &FactorReport) {
    let source = match &g.prior {
        Some(p) => format!(
            "{}, share of the chip-time that trained",
            prior_words(&p.name, p.default, p.evidence, &g.distribution)
        ),
        None => g.source.clone(),
    };
    out.line(format!("  goodput: {} median; {source}", short(g.median)));
}

/// What published chip-time holds beyond both priors, where it applies: the factor and the fit
/// it comes from.
fn chip_time_factor(out: &mut Text, s: Option<&FactorReport>) {
    if let Some(s) = s {
        out.line(format!(
            "  chip-time factor: x{} median ({}); {}",
            short(s.median),
            describe(&s.distribution),
            s.source
        ));
    }
}

/// A prior as the text names it: its literature source is long (--json has it), so the text
/// says which prior, whether it is the default, its evidence and its distribution.
fn prior_words(name: &str, default: bool, evidence: Evidence, d: &Dist) -> String {
    format!(
        "prior '{name}' ({}{} evidence): {}",
        if default { "default; " } else { "" },
        evidence.name(),
        describe(d)
    )
}

fn chip(out: &mut Text, c: &ChipReport, count: Option<f64>) {
    let dtype = c.dtype.map(|d| format!(" {d}")).unwrap_or_default();
    let chips = match count {
        Some(n) => format!("chips: {} x", short(n)),
        None => "chip:".to_string(),
    };
    out.line(format!(
        "  {chips} {} at {} TFLOP/s dense{dtype} ({})",
        c.chip,
        short(c.peak_tflops),
        c.peak_source
    ));
    if let Some(note) = &c.chip_note {
        out.line(format!("  note: {note}"));
    }
}

fn utilization(out: &mut Text, u: &UtilizationReport) {
    let source = match &u.prior {
        Some(p) => format!(
            "{}, {} MFU against the {} peak{}",
            prior_words(&p.name, p.default, p.evidence, &u.distribution),
            p.basis.name(),
            p.peak_dtype,
            p.dtype_note
                .as_ref()
                .map(|n| format!(", {n}"))
                .unwrap_or_default()
        ),
        None => u.source.clone(),
    };
    out.line(format!(
        "  utilization: {} median; {source}",
        short(u.median)
    ));
    if let Some(c) = &u.calibration {
        out.line(format!(
            "  calibration: {} measured {}% of rated on {} ({}): a ceiling on training MFU",
            c.file.display(),
            sig(c.matmul_utilization * 100.0),
            c.device,
            c.best_result
        ));
    }
}

fn describe(d: &Dist) -> String {
    match d {
        Dist::Fixed { value } => short(*value),
        Dist::Uniform { low, high } => format!("uniform {} .. {}", short(*low), short(*high)),
        Dist::Quantiles { values } => format!(
            "quantiles {}",
            values
                .iter()
                .map(|v| short(*v))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        Dist::LogNormal { median, sigma } => {
            format!(
                "log-normal, median {}, sigma {}",
                short(*median),
                short(*sigma)
            )
        }
    }
}

fn spend(out: &mut Text, s: &SpendReport, unit: &str) {
    if let (Some(cost), Some(price)) = (s.cost, s.price_per_hour) {
        let spread = s
            .interval_cost
            .map(|i| format!("; 90% interval {}", interval(&i, "")))
            .unwrap_or_default();
        out.line(format!(
            "  cost: {} at {} per {}{spread}",
            sig(cost),
            short(price),
            unit.trim_end_matches('s')
        ));
    }
    if let (Some(kwh), Some(watts)) = (s.energy_kwh, s.watts) {
        let spread = s
            .interval_energy_kwh
            .map(|i| format!("; 90% interval {}", interval(&i, "kWh")))
            .unwrap_or_default();
        out.line(format!(
            "  energy: {} kWh for the chips alone at {} W each{spread} ({})",
            sig(kwh),
            short(watts),
            s.watts_source.as_deref().unwrap_or("")
        ));
    }
    if let Some(kwh) = s.facility_energy_kwh {
        // The sources are long: --json has them; the text says which kind each is.
        let first = |src: &str| {
            src.split([':', '('])
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let hosts = match (s.host_watts_per_node, s.chips_per_node) {
            (Some(w), Some(n)) => format!(
                "hosts {} W per {} chips ({})",
                short(w),
                short(n),
                first(&s.host_source)
            ),
            _ => format!("no hosts ({})", first(&s.host_source)),
        };
        out.line(format!(
            "  facility energy: {} kWh with {hosts}, at PUE {} ({})",
            sig(kwh),
            short(s.pue),
            first(&s.pue_source)
        ));
    }
}

fn time(out: &mut Text, t: &TimeEstimate) {
    out.line(format!(
        "Compute to train: {}",
        compute(t.flops, t.pfs_days)
    ));
    if let Some(i) = &t.inputs {
        ops_inputs(out, i);
    }
    let (count, days) = (t.count.unwrap_or(0.0), t.days.unwrap_or(0.0));
    let hours = t.chip.hours_unit;
    match t.solved_for {
        Solved::Days => out.line(format!(
            "Wall-clock time: {} days on {} x {} ({} {hours})",
            sig(days),
            short(count),
            t.chip.chip,
            sig(t.gpu_hours)
        )),
        Solved::Count => out.line(format!(
            "Chips needed: {} x {} for {} days (exactly {}; {} {hours})",
            short(count),
            t.chip.chip,
            short(days),
            sig(t.count_exact.unwrap_or(count)),
            sig(t.gpu_hours)
        )),
        Solved::GpuHours => out.line(format!(
            "{} needed: {} on {} (= {} {}-days)",
            capitalized(hours),
            sig(t.gpu_hours),
            t.chip.chip,
            sig(t.gpu_hours / 24.0),
            hours.trim_end_matches("-hours")
        )),
    }
    let unit = match t.solved_for {
        Solved::Days => "days",
        Solved::Count => "chips",
        Solved::GpuHours => hours,
    };
    if let Some(i) = &t.interval {
        out.line(format!("  90% interval: {}", interval(i, unit)));
    }
    let training_days = t
        .training_days
        .map(|d| format!("{} days, ", sig(d)))
        .unwrap_or_default();
    let includes = if t.chip_time_factor.is_some() {
        "goodput and the chip-time factor"
    } else {
        "goodput"
    };
    out.line(format!(
        "  training alone (goodput 1): {training_days}{} {hours}; the time above includes {includes}",
        sig(t.training_gpu_hours)
    ));
    chip(out, &t.chip, t.count);
    utilization(out, &t.utilization);
    goodput(out, &t.goodput);
    chip_time_factor(out, t.chip_time_factor.as_ref());
    spend(out, &t.spend, hours);
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
