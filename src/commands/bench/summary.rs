//! The end-of-run text: every run with its spread, the maximum achievable rate of a sweep, a
//! model's weighted rate and GEMMs, the verdicts against published measurements, the notes.

use crate::output::table::{Column, Table};
use crate::output::{percent, tflops};
use crate::report::model;
use crate::report::noise::{Noise, UNSETTLED_NOTE};
use crate::results::best::best_per_device;
use crate::results::{Results, VerificationStatus};

/// What "(!)" beside a utilization means.
pub const ABOVE_PEAK_NOTE: &str =
    "(!) above 100% of the rated peak: a timing or peak error (check the clocks and the peak).";

/// Every run: device, kernel, dtype, shape, median TFLOP/s and its interval, peak, utilization.
pub fn runs_table(r: &Results) -> Table {
    let mut t = Table::new(vec![
        Column::text("device"),
        Column::text("kernel"),
        Column::text("dtype"),
        Column::text("shape"),
        Column::num("median TFLOP/s").short("TFLOP/s"),
        Column::num("±95%"),
        Column::num("rated").short("peak").drop(2),
        Column::num("utilization").short("util."),
        Column::text("verified").drop(1),
    ]);
    for run in &r.runs {
        let rated = r
            .devices
            .iter()
            .find(|d| d.id == run.device)
            .and_then(|d| d.rated_tflops.get(&run.dtype).copied());
        let failed = run.verification.status == VerificationStatus::Failed;
        t.row(vec![
            run.device.clone(),
            run.kernel.clone(),
            run.dtype.to_string(),
            run.problem().to_string(),
            if failed {
                format!("({}, not counted)", tflops(run.tflops.median))
            } else {
                tflops(run.tflops.median)
            },
            Noise::of(run).cell(),
            rated.map(tflops).unwrap_or_else(|| "unknown".into()),
            match (failed, run.utilization.rated) {
                (true, _) | (false, None) => "-".into(),
                (false, Some(u)) if run.utilization.above_peak => format!("{} (!)", percent(u)),
                (false, Some(u)) => percent(u),
            },
            match run.verification.status {
                VerificationStatus::Passed => "yes",
                VerificationStatus::Failed => "FAILED",
                VerificationStatus::Skipped => "skipped",
            }
            .into(),
        ]);
    }
    let names: Vec<String> = r
        .devices
        .iter()
        .filter(|d| r.runs.iter().any(|x| x.device == d.id))
        .map(|d| format!("{} {}", d.id, d.name))
        .collect();
    t.note(format!("Devices: {}.", names.join("; ")));
    t.note("±95%: the 95% interval of the median, from the samples.");
    if r.runs.iter().any(|x| !Noise::of(x).settled()) {
        t.note(UNSETTLED_NOTE);
    }
    if r.runs.iter().any(|x| x.utilization.above_peak) {
        t.note(ABOVE_PEAK_NOTE);
    }
    t
}

/// For each device and dtype measured at several shapes: the best one, mamf-finder's "maximum
/// achievable" rate.
pub fn best_shapes(r: &Results) -> String {
    let mut s = String::new();
    for b in best_per_device(r) {
        let mut shapes: Vec<(usize, usize, usize, usize)> = r
            .runs
            .iter()
            .filter(|x| x.device == b.device.id && x.dtype == b.dtype)
            .map(|x| (x.m, x.n, x.k, x.batch))
            .collect();
        shapes.sort_unstable();
        shapes.dedup();
        if shapes.len() > 1 {
            s += &format!(
                "Maximum achievable: {} {} {} TFLOP/s at {} ({}, best of {} shapes)\n",
                b.device.id,
                b.dtype,
                tflops(b.run.tflops.median),
                b.run.problem(),
                b.run.kernel,
                shapes.len()
            );
        }
    }
    s
}

/// The whole end-of-run text for a terminal `width` wide (None: do not fit).
pub fn text(doc: &Results, width: Option<usize>) -> String {
    let mut s = runs_table(doc).terminal(width);
    s += &best_shapes(doc);
    if let Some(m) = &doc.model {
        let lines = model::headline(m);
        s += &lines[0];
        s.push('\n');
        s += &model::gemm_table(doc, m).terminal(width);
        for l in &lines[1..] {
            s += &crate::output::table::wrap(l, width);
        }
        if let Some(t) = model::breakdown_table(m) {
            s += &t.terminal(width);
        }
    }
    if !doc.verdicts.is_empty() {
        s += "Against published measurements of the same chip (data/reference_rates.csv):\n";
        for v in &doc.verdicts {
            s += &format!(
                "  {} {}: {}\n",
                v.device,
                v.dtype,
                crate::reference::explain(v)
            );
        }
    }
    if !doc.notes.is_empty() {
        s += "Notes:\n";
        for n in &doc.notes {
            s += &format!("  - {n}\n");
        }
    }
    if doc.interrupted {
        s += "Interrupted: the results of the finished samples are kept.\n";
    }
    s
}
