//! The report's content as blocks (tables and lines of text), rendered alike by the terminal,
//! Markdown and HTML writers. Each column says what it holds; long names go under the table.

use super::noise::UNSETTLED_NOTE;
use super::summary::{Comparison, FileVerdict, Row, Source};
use crate::output::table::{Column, Table};
use crate::output::{percent, tflops};

/// A piece of a report.
pub enum Block {
    Table(Table),
    /// A heading and lines of text (warnings, a model's headline, problems).
    Lines {
        title: String,
        lines: Vec<String>,
    },
}

/// What "(!)" beside a utilization means.
pub const ABOVE_PEAK_NOTE: &str =
    "(!) above 100% of the rated peak: a timing or peak error (check the clocks and the peak).";

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

fn finite(v: f64) -> String {
    if v.is_finite() {
        tflops(v)
    } else {
        "-".into()
    }
}

/// The first columns of a table: the file (only when there are several) and more.
fn leading(multi_file: bool, rest: Vec<Column>) -> Vec<Column> {
    let mut c = Vec::new();
    if multi_file {
        c.push(Column::text("file").cut(6));
    }
    c.extend(rest);
    c
}

fn lead_cells(multi_file: bool, file: &str, rest: Vec<String>) -> Vec<String> {
    let mut c = Vec::new();
    if multi_file {
        c.push(file.to_string());
    }
    c.extend(rest);
    c
}

/// "Devices: cpu:0 AMD EPYC; wgpu:0 llvmpipe (...)": the names the tables leave out.
fn device_names(rows: &[Row], multi_file: bool) -> String {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        let n = if multi_file {
            format!("{} {} {}", r.file, r.device, r.device_name)
        } else {
            format!("{} {}", r.device, r.device_name)
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    format!("Devices: {}.", names.join("; "))
}

/// "78.2%", "101.3% (!)" above the peak, "-" without a peak.
fn utilization(r: &Row) -> String {
    match r.best_utilization {
        Some(u) if r.best_above_peak => format!("{} (!)", percent(u)),
        Some(u) => percent(u),
        None => "-".into(),
    }
}

/// The columns of the results table, each saying what it holds.
fn results_columns() -> Vec<Column> {
    vec![
        Column::text("device").cut(14),
        Column::text("kernel"),
        Column::text("dtype"),
        Column::num("best TFLOP/s")
            .short("best")
            .means("the median TFLOP/s of the fastest verified shape"),
        Column::num("±95%")
            .drop(1)
            .means("the 95% interval of that median, from its samples"),
        Column::text("at shape")
            .short("shape")
            .means("the fastest shape, MxNxK"),
        Column::num("median TFLOP/s")
            .short("median")
            .drop(3)
            .means("the median over the verified shapes of each shape's median"),
        Column::num("rated peak")
            .short("peak")
            .drop(4)
            .means("the device's dense peak for the dtype, TFLOP/s"),
        Column::num("best utilization")
            .short("util.")
            .means("best TFLOP/s over the rated peak"),
        Column::text("verified")
            .drop(2)
            .means("results that passed verification, of all results"),
    ]
}

/// Per device, dtype and kernel: best and median TFLOP/s, spread, peak, utilization, verified.
pub fn results_table(rows: &[Row], multi_file: bool) -> Table {
    let mut t = Table::new(leading(multi_file, results_columns()))
        .titled("Results per device, dtype and kernel");
    for r in rows {
        t.row(lead_cells(
            multi_file,
            &r.file,
            vec![
                r.device.clone(),
                r.kernel.clone(),
                r.dtype.to_string(),
                finite(r.best_tflops),
                r.best_noise.map(|n| n.cell()).unwrap_or_else(|| "-".into()),
                r.best_shape.clone(),
                finite(r.median_tflops),
                opt(r.rated_tflops, tflops),
                utilization(r),
                if r.failed > 0 {
                    format!("{}/{} ({} FAILED)", r.verified, r.results, r.failed)
                } else {
                    format!("{}/{}", r.verified, r.results)
                },
            ],
        ));
    }
    t.note(device_names(rows, multi_file));
    if rows
        .iter()
        .any(|r| r.best_noise.is_some_and(|n| !n.settled()))
    {
        t.note(UNSETTLED_NOTE);
    }
    if rows.iter().any(|r| r.best_above_peak) {
        t.note(ABOVE_PEAK_NOTE);
    }
    t
}

/// Kernels side by side: one row per file, device and dtype; one column per kernel.
pub fn kernels_table(rows: &[Row], multi_file: bool) -> Table {
    let mut kernels: Vec<String> = Vec::new();
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for r in rows {
        if !kernels.contains(&r.kernel) {
            kernels.push(r.kernel.clone());
        }
        let k = (r.file.clone(), r.device.clone(), r.dtype.to_string());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut columns = leading(
        multi_file,
        vec![Column::text("device").cut(14), Column::text("dtype")],
    );
    columns.extend(kernels.iter().map(|k| {
        Column::num(&format!("{k} best TFLOP/s"))
            .short(k)
            .means(&format!("{k}'s best verified median TFLOP/s"))
    }));
    let mut t = Table::new(columns).titled("Kernels side by side (best TFLOP/s)");
    for (f, d, dt) in &keys {
        let mut cells = lead_cells(multi_file, f, vec![d.clone(), dt.clone()]);
        cells.extend(kernels.iter().map(|k| {
            rows.iter()
                .find(|r| {
                    &r.file == f && &r.device == d && &r.dtype.to_string() == dt && &r.kernel == k
                })
                .map(|r| finite(r.best_tflops))
                .unwrap_or_else(|| "-".into())
        }));
        t.row(cells);
    }
    t
}

/// Across files: each file's best TFLOP/s and its ratio to the first file's, a row per file.
pub fn comparison_table(comps: &[Comparison], files: &[String]) -> Table {
    let first = files.first().cloned().unwrap_or_default();
    let mut t = Table::new(vec![
        Column::text("device").cut(12),
        Column::text("dtype"),
        Column::text("kernel"),
        Column::text("file").cut(12),
        Column::num("best TFLOP/s").short("best"),
        Column::num("ratio").means(&format!("best TFLOP/s over {first}'s")),
    ])
    .titled(format!(
        "Best TFLOP/s across files, with the ratio to {first}"
    ));
    for c in comps {
        for (file, v, ratio) in &c.files {
            t.row(vec![
                c.device_name.clone(),
                c.dtype.to_string(),
                c.kernel.clone(),
                file.clone(),
                tflops(*v),
                format!("{ratio:.3}x"),
            ]);
        }
    }
    t.note("One run each: `flopmeter compare BASELINE CANDIDATE` says whether a difference is beyond the noise of the samples.");
    t
}

/// Each GPU's best rate per dtype against the published measurement of its chip.
pub fn verdicts_table(verdicts: &[FileVerdict], multi_file: bool) -> Option<Table> {
    if verdicts.is_empty() {
        return None;
    }
    let mut t = Table::new(leading(
        multi_file,
        vec![
            Column::text("device").cut(14),
            Column::text("dtype"),
            Column::num("TFLOP/s (reference)")
                .short("TFLOP/s (ref.)")
                .means("the best verified median, and the published measurement in brackets"),
            Column::text("verdict"),
            Column::num("power / cap")
                .drop(1)
                .means("median board power of the best run, and the enforced power cap"),
        ],
    ))
    .titled("Against published measurements of the same chip (data/reference_rates.csv)");
    for f in verdicts {
        let v = &f.verdict;
        t.row(lead_cells(
            multi_file,
            &f.file,
            vec![
                v.device.clone(),
                v.dtype.to_string(),
                format!("{} ({})", tflops(v.best_tflops), tflops(v.reference_tflops)),
                crate::reference::describe(v.vs_reference, v.verdict),
                match (v.power_w, v.power_limit_w) {
                    (Some(p), Some(c)) => format!("{p:.0} / {c:.0} W"),
                    (Some(p), None) => format!("{p:.0} W"),
                    _ => "-".into(),
                },
            ],
        ));
    }
    Some(t)
}

/// Power and energy efficiency of each best run, where the board's power was sampled.
pub fn energy_table(rows: &[Row], multi_file: bool) -> Option<Table> {
    let with: Vec<&Row> = rows.iter().filter(|r| r.power_w.is_some()).collect();
    if with.is_empty() {
        return None;
    }
    let mut t = Table::new(leading(
        multi_file,
        vec![
            Column::text("device").cut(14),
            Column::text("kernel"),
            Column::text("dtype"),
            Column::num("best TFLOP/s").short("TFLOP/s"),
            Column::num("power W").means("median board power during the best run"),
            Column::num("GFLOP/J").means("TFLOP/s x 1000 / power"),
        ],
    ))
    .titled("Energy (NVML board power during the best run)");
    for r in with {
        t.row(lead_cells(
            multi_file,
            &r.file,
            vec![
                r.device.clone(),
                r.kernel.clone(),
                r.dtype.to_string(),
                tflops(r.best_tflops),
                opt(r.power_w, |p| format!("{p:.0}")),
                opt(r.gflop_per_joule, tflops),
            ],
        ));
    }
    Some(t)
}

/// Stragglers of merged cluster files.
pub fn stragglers_table(sources: &[Source]) -> Option<Table> {
    if !sources.iter().any(|s| s.results.cluster.is_some()) {
        return None;
    }
    let multi_file = sources.len() > 1;
    let mut t = Table::new(leading(
        multi_file,
        vec![
            Column::text("device")
                .cut(14)
                .means("host (and rank) / device, as the merged file names it"),
            Column::text("dtype"),
            Column::num("TFLOP/s").means("the GPU's best verified median"),
            Column::num("cluster median").short("median").drop(1),
            Column::num("shortfall").means("below the cluster median"),
        ],
    ))
    .titled("Stragglers (below the cluster median by the merge threshold or more)");
    for s in sources {
        for g in s.results.stragglers.iter().flatten() {
            t.row(lead_cells(
                multi_file,
                &s.label,
                vec![
                    g.device.clone(),
                    g.dtype.to_string(),
                    tflops(g.tflops),
                    tflops(g.cluster_median_tflops),
                    percent(g.shortfall),
                ],
            ));
        }
    }
    if t.rows.is_empty() {
        t.note("None: every GPU is within the threshold of its cluster's median.");
    }
    Some(t)
}

/// NCCL all-reduce results.
pub fn collectives_table(sources: &[Source]) -> Option<Table> {
    let multi_file = sources.len() > 1;
    let mut t = Table::new(leading(
        multi_file,
        vec![
            Column::text("op"),
            Column::num("GPUs"),
            Column::num("size"),
            Column::num("time"),
            Column::num("algbw GB/s").short("algbw"),
            Column::num("busbw GB/s")
                .short("busbw")
                .means("algbw x 2 (n - 1) / n, as nccl-tests reports it"),
        ],
    ))
    .titled("Collectives (NCCL)");
    for s in sources {
        for c in &s.results.collectives {
            t.row(lead_cells(
                multi_file,
                &s.label,
                vec![
                    c.op.clone(),
                    c.devices.len().to_string(),
                    crate::output::bytes(c.bytes),
                    format!("{} ms", tflops(c.time_s * 1e3)),
                    tflops(c.algbw_gbs),
                    tflops(c.busbw_gbs),
                ],
            ));
        }
    }
    (!t.rows.is_empty()).then_some(t)
}

/// A model bench's headline and GEMMs, for each file that has one.
pub fn model_blocks(sources: &[Source]) -> Vec<Block> {
    let mut out = Vec::new();
    for s in sources {
        let Some(m) = &s.results.model else { continue };
        let lines = super::model::headline(m);
        out.push(Block::Lines {
            title: format!("{}: {}", s.label, lines[0]),
            lines: lines[1..].to_vec(),
        });
        out.push(Block::Table(super::model::gemm_table(&s.results, m)));
    }
    out
}

/// Warnings every reader must see first: interrupted files.
pub fn warnings(sources: &[Source]) -> Option<Block> {
    let lines: Vec<String> = sources
        .iter()
        .filter(|s| s.results.interrupted)
        .map(|s| {
            format!(
                "{} is interrupted: the bench stopped (or was still running) before its last job; its {} results are partial.",
                s.label,
                s.results.runs.len()
            )
        })
        .collect();
    (!lines.is_empty()).then(|| Block::Lines {
        title: "Warning".into(),
        lines,
    })
}

/// A block for a terminal `width` wide.
pub fn terminal(b: &Block, width: Option<usize>) -> String {
    match b {
        Block::Table(t) => t.terminal(width),
        Block::Lines { title, lines } => {
            let mut s = crate::output::table::wrap(title, width);
            for l in lines {
                s += &crate::output::table::wrap(&format!("  {l}"), width);
            }
            s
        }
    }
}

/// A block as Markdown.
pub fn markdown(b: &Block) -> String {
    match b {
        Block::Table(t) => t.markdown(),
        Block::Lines { title, lines } => {
            let esc = |s: &str| {
                crate::output::clean::line(s)
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            };
            let mut s = format!("### {}\n\n", esc(title));
            for l in lines {
                s += &format!("- {}\n", esc(l));
            }
            s.push('\n');
            s
        }
    }
}
