//! A `--model` bench as people read it, in `bench` and in every report: the FLOP-weighted rate
//! first (the step's headline, the ceiling of that model's training MFU on this GPU), then each
//! GEMM of the step with its share of the FLOP, its best verified rate and its utilization.

use crate::output::numbers::sig;
use crate::output::table::{Column, Table};
use crate::output::{percent, tflops};
use crate::results::best::fastest;
use crate::results::{ModelRecord, Results, WeightedFigure};
use crate::shape::{Problem, Shape};

/// "Model gpt2-small (sequence 1024, 1024 tokens per step, tp 1, ep 1): 8.749e11 GEMM FLOP per
/// step on one device".
pub fn title(m: &ModelRecord) -> String {
    format!(
        "Model {} (sequence {}, {} tokens per step, tp {}, ep {}): {:.3e} GEMM FLOP per step on \
         one device",
        m.name, m.config.seq, m.split.tokens_per_step, m.split.tp, m.split.ep, m.step_flop
    )
}

/// "Parameters: 1.244e8 total, 1.244e8 active per token (...)", where the record has them.
pub fn params_line(m: &ModelRecord) -> Option<String> {
    m.params.as_ref().map(|p| {
        format!(
            "Parameters: {} total, {} active per token (with the output layer, without the {} of \
             the input embedding)",
            sig(p.total),
            sig(p.active),
            sig(p.input_embedding)
        )
    })
}

/// "FLOP-weighted: cpu:0 f32 0.1922 TFLOP/s = 84.1% of the rated peak", one per device and dtype.
pub fn weighted_line(w: &WeightedFigure) -> String {
    match (w.weighted_tflops, w.weighted_utilization) {
        (Some(tf), Some(u)) => format!(
            "FLOP-weighted: {} {} {} TFLOP/s = {} of the rated peak",
            w.device,
            w.dtype,
            tflops(tf),
            percent(u)
        ),
        (Some(tf), None) => format!(
            "FLOP-weighted: {} {} {} TFLOP/s",
            w.device,
            w.dtype,
            tflops(tf)
        ),
        (None, _) => format!(
            "FLOP-weighted: {} {}: not computed, no verified rate for {}",
            w.device,
            w.dtype,
            w.missing.join(", ")
        ),
    }
}

/// The headline lines: the title, each weighted figure, the parameters, and what the figure
/// leaves out (files written before every GEMM was benched).
pub fn headline(m: &ModelRecord) -> Vec<String> {
    let mut lines = vec![title(m)];
    lines.extend(m.weighted.iter().map(weighted_line));
    lines.extend(params_line(m));
    if m.unmeasured_share > 0.0 {
        lines.push(format!(
            "Not measured: the attention products ({} of the step's GEMM FLOP, batched per head); the weighted figure covers the other {}.",
            percent(m.unmeasured_share),
            percent(1.0 - m.unmeasured_share)
        ));
    }
    lines
}

/// Each GEMM of the step on the first device and dtype: share of the FLOP, best rate,
/// utilization.
pub fn gemm_table(r: &Results, m: &ModelRecord) -> Table {
    let first = m.weighted.first();
    let peak = first.and_then(|w| {
        r.devices
            .iter()
            .find(|d| d.id == w.device)
            .and_then(|d| d.rated_tflops.get(&w.dtype).copied())
    });
    let mut t = Table::new(vec![
        Column::text("GEMM"),
        Column::text("pass"),
        Column::text("shape"),
        Column::num("calls").drop(2),
        Column::num("FLOP share")
            .short("share")
            .means("the GEMM's part of the step's GEMM FLOP"),
        Column::num("best TFLOP/s")
            .short("TFLOP/s")
            .means("its best verified median rate (any kernel)"),
        Column::num("utilization")
            .short("util.")
            .drop(1)
            .means("that rate over the rated dense peak"),
    ])
    .titled(match first {
        Some(w) => format!("GEMMs of one training step on {} {}", w.device, w.dtype),
        None => "GEMMs of one training step".to_string(),
    });
    for g in &m.gemms {
        let problem = Problem {
            shape: Shape {
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
        let calls = g.calls.to_string();
        let (rate, util) = match (g.measured, best) {
            (false, _) => ("not measured".to_string(), "-".to_string()),
            (true, Some(b)) => (
                tflops(b.tflops.median),
                match peak.map(|p| b.tflops.median / p) {
                    Some(u) if u > 1.0 => format!("{} (!)", percent(u)),
                    Some(u) => percent(u),
                    None => "-".into(),
                },
            ),
            (true, None) => ("-".into(), "-".into()),
        };
        t.row(vec![
            g.role.to_string(),
            g.pass.to_string(),
            problem.to_string(),
            calls,
            percent(g.flop_share),
            rate,
            util,
        ]);
    }
    t
}

/// Each part of the step (projection, attention, experts, logits) on the first device and
/// dtype: its share of the FLOP, its weighted rate and its share of the time.
pub fn breakdown_table(m: &ModelRecord) -> Option<Table> {
    let w = m.weighted.first().filter(|w| !w.parts.is_empty())?;
    let mut t = Table::new(vec![
        Column::text("part"),
        Column::num("FLOP share").short("share"),
        Column::num("TFLOP/s"),
        Column::num("time share").short("time"),
    ])
    .titled(format!("Breakdown ({} {})", w.device, w.dtype));
    for p in &w.parts {
        t.row(vec![
            p.part.to_string(),
            percent(p.flop_share),
            p.tflops.map(tflops).unwrap_or_else(|| "-".into()),
            p.time_share.map(percent).unwrap_or_else(|| "-".into()),
        ]);
    }
    if w.weighted_tflops.is_some() {
        t.note("The weighted figure covers 100% of the step's GEMM FLOP.");
    }
    Some(t)
}
