//! The end-of-run table, the maximum achievable rate of a sweep, and a model's GEMMs with the
//! breakdown of its weighted figure.

use crate::output::numbers::sig;
use crate::output::{percent, table, tflops};
use crate::results::best::{best_per_device, fastest};
use crate::results::{ModelRecord, Results, VerificationStatus};

pub fn print_table(r: &Results) {
    let mut t = table(&[
        "device",
        "kernel",
        "dtype",
        "shape",
        "median TFLOP/s",
        "rated",
        "utilization",
        "verified",
    ]);
    for run in &r.runs {
        let rated = r
            .devices
            .iter()
            .find(|d| d.id == run.device)
            .and_then(|d| d.rated_tflops.get(&run.dtype).copied());
        let verified = match run.verification.status {
            VerificationStatus::Passed => "yes".to_string(),
            VerificationStatus::Failed => "FAILED".to_string(),
            VerificationStatus::Skipped => "skipped".to_string(),
        };
        let failed = run.verification.status == VerificationStatus::Failed;
        t.add_row(vec![
            run.device.clone(),
            run.kernel.clone(),
            run.dtype.to_string(),
            run.problem().to_string(),
            if failed {
                format!("({}, not counted)", tflops(run.tflops.median))
            } else {
                tflops(run.tflops.median)
            },
            rated.map(tflops).unwrap_or_else(|| "unknown".into()),
            match (failed, run.utilization.rated) {
                (true, _) => "-".into(),
                (false, Some(u)) if run.utilization.above_peak => format!("{} (!)", percent(u)),
                (false, Some(u)) => percent(u),
                (false, None) => "-".into(),
            },
            verified,
        ]);
    }
    println!("{t}");
}

/// For each device and dtype measured at several shapes: the best one, mamf-finder's "maximum
/// achievable" rate.
pub fn print_best_shapes(r: &Results) {
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
            println!(
                "Maximum achievable: {} {} {} TFLOP/s at {} ({}, best of {} shapes)",
                b.device.id,
                b.dtype,
                tflops(b.run.tflops.median),
                b.run.problem(),
                b.run.kernel,
                shapes.len()
            );
        }
    }
}

/// A model's GEMMs with their share of the step's FLOP and best rate, then the weighted rate
/// on each device and dtype.
pub fn print_model(r: &Results, m: &ModelRecord) {
    println!(
        "Model {} (sequence {}, {} tokens per step, tp {}, ep {}): {:.3e} GEMM FLOP per step on \
         one device",
        m.name, m.config.seq, m.split.tokens_per_step, m.split.tp, m.split.ep, m.step_flop
    );
    if let Some(p) = &m.params {
        println!(
            "Parameters: {} total, {} active per token (with the output layer, without the \
             {} of the input embedding)",
            sig(p.total),
            sig(p.active),
            sig(p.input_embedding)
        );
    }
    let first = m.weighted.first();
    let mut t = table(&[
        "GEMM",
        "pass",
        "shape",
        "calls",
        "FLOP share",
        "best TFLOP/s",
    ]);
    for g in &m.gemms {
        let problem = crate::shape::Problem {
            shape: crate::shape::Shape {
                m: g.m,
                n: g.n,
                k: g.k,
            },
            batch: g.batch,
        };
        let best =
            first.filter(|_| g.measured).and_then(|w| {
                fastest(r.runs.iter().filter(|x| {
                    x.device == w.device && x.dtype == w.dtype && x.problem() == problem
                }))
            });
        t.add_row(vec![
            g.role.to_string(),
            g.pass.to_string(),
            problem.to_string(),
            g.calls.to_string(),
            percent(g.flop_share),
            match (g.measured, best) {
                (false, _) => "not measured".into(),
                (true, Some(b)) => tflops(b.tflops.median),
                (true, None) => "-".into(),
            },
        ]);
    }
    println!("{t}");
    for w in &m.weighted {
        match (w.weighted_tflops, w.weighted_utilization) {
            (Some(tf), Some(u)) => println!(
                "FLOP-weighted: {} {} {} TFLOP/s = {} of the rated peak",
                w.device,
                w.dtype,
                tflops(tf),
                percent(u)
            ),
            (Some(tf), None) => println!(
                "FLOP-weighted: {} {} {} TFLOP/s",
                w.device,
                w.dtype,
                tflops(tf)
            ),
            (None, _) => println!(
                "FLOP-weighted: {} {}: not computed, no verified rate for {}",
                w.device,
                w.dtype,
                w.missing.join(", ")
            ),
        }
    }
    print_breakdown(m);
}

/// Each part of the step (projection, attention, experts, logits): its share of the FLOP, its
/// weighted rate and its share of the time, on the first device and dtype.
fn print_breakdown(m: &ModelRecord) {
    let Some(w) = m.weighted.first().filter(|w| !w.parts.is_empty()) else {
        return;
    };
    println!("Breakdown ({} {}):", w.device, w.dtype);
    let mut t = table(&["part", "FLOP share", "TFLOP/s", "time share"]);
    for p in &w.parts {
        t.add_row(vec![
            p.part.to_string(),
            percent(p.flop_share),
            p.tflops.map(tflops).unwrap_or_else(|| "-".into()),
            p.time_share.map(percent).unwrap_or_else(|| "-".into()),
        ]);
    }
    println!("{t}");
    if w.weighted_tflops.is_some() {
        println!("The weighted figure covers 100% of the step's GEMM FLOP.");
    }
}
