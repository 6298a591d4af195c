//! Reports of sustain files (`flopmeter sustain`, and their merges), as one model rendered to
//! a terminal, Markdown, HTML and CSV like a bench's report: the verdict of every device (a
//! table), what failed, why rates dropped and which device is the outlier (lines), the rate,
//! clock, power and temperature of every device against time (`charts`, on the HTML page), and
//! every window as a CSV row (`csv`).

pub mod charts;
pub mod csv;
pub mod page;

use std::path::{Path, PathBuf};

use super::tables::Block;
use crate::output::table::{Column, Table};
use crate::output::{percent, tflops};
use crate::results::sustain::{DeviceSeries, DropCause, SustainResults};

/// One sustain file and the short name tables use for it.
pub struct SustainSource {
    pub path: PathBuf,
    /// The file stem (the full path when two files share one).
    pub label: String,
    pub doc: SustainResults,
}

impl SustainSource {
    pub fn new(path: &Path, doc: SustainResults) -> SustainSource {
        let label = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        SustainSource {
            path: path.to_path_buf(),
            label,
            doc,
        }
    }
}

/// "power cap", "thermal", ...: a drop's cause in a cell.
pub fn cause_name(c: DropCause) -> &'static str {
    match c {
        DropCause::PowerCap => "power cap",
        DropCause::Thermal => "thermal",
        DropCause::Clocks => "clocks",
        DropCause::Unexplained => "unexplained",
        DropCause::NoTelemetry => "no telemetry",
    }
}

/// "PASS", "FAIL", ", outlier" after either.
fn result(s: &DeviceSeries) -> String {
    let verdict = if s.verdict.passed { "PASS" } else { "FAIL" };
    match s.verdict.outlier {
        Some(_) => format!("{verdict}, outlier"),
        None => verdict.into(),
    }
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

/// Every device's verdict: what it ran, burst and sustained rate, the drop and its cause,
/// utilization and the published reference, the results compared, pass or fail.
pub fn verdicts_table(sources: &[SustainSource]) -> Table {
    let multi = sources.len() > 1;
    let mut columns = Vec::new();
    if multi {
        columns.push(Column::text("file").cut(6));
    }
    columns.extend([
        Column::text("device").cut(14),
        Column::text("kernel"),
        Column::text("dtype"),
        Column::text("shape").drop(3),
        Column::num("burst TFLOP/s")
            .short("burst")
            .means("the rate of the first window"),
        Column::num("sustained TFLOP/s")
            .short("sustained")
            .means("the median rate of the last half of the windows"),
        Column::num("sustained/burst")
            .short("ratio")
            .means("sustained over burst"),
        Column::text("drop cause")
            .short("cause")
            .drop(2)
            .means("what telemetry says made the rate drop (5% or more)"),
        Column::num("utilization")
            .short("util.")
            .drop(4)
            .means("sustained over the rated dense peak"),
        Column::num("vs reference")
            .short("vs ref.")
            .drop(5)
            .means("sustained over the published measurement of the chip"),
        Column::num("results checked")
            .short("checked")
            .drop(1)
            .means("results compared bit for bit with the first of their inputs"),
        Column::text("result").means("PASS or FAIL; outlier: below its peers' median"),
    ]);
    let mut t = Table::new(columns).titled("Sustained rate and checks per device");
    for src in sources {
        for s in &src.doc.series {
            let v = &s.verdict;
            let mut row = if multi {
                vec![src.label.clone()]
            } else {
                vec![]
            };
            row.extend([
                s.device.clone(),
                s.kernel.clone(),
                s.dtype.to_string(),
                s.shape().to_string(),
                opt(v.burst_tflops, tflops),
                opt(v.sustained_tflops, tflops),
                opt(v.ratio, percent),
                v.cause.map_or("-", cause_name).into(),
                opt(v.utilization, percent),
                opt(v.vs_reference, percent),
                s.checks.results_compared.to_string(),
                result(s),
            ]);
            t.row(row);
        }
    }
    let names: Vec<String> = sources
        .iter()
        .flat_map(|src| {
            src.doc
                .devices
                .iter()
                .filter(|d| src.doc.series.iter().any(|s| s.device == d.id))
                .map(|d| format!("{} {}", d.id, d.name))
        })
        .collect();
    t.note(format!("Devices: {}.", names.join("; ")));
    t
}

/// "cuda:0, window 12 (12.3 s, iteration 4512): ..." for the first failures of a device.
fn failure_lines(s: &DeviceSeries, lead: &str) -> Vec<String> {
    const SHOWN: usize = 3;
    let mut out: Vec<String> = s
        .failures
        .iter()
        .take(SHOWN)
        .map(|f| {
            let at = match f.window {
                Some(w) => format!("window {w} ({} s, iteration {})", sig1(f.t_s), f.iteration),
                None => "before the first window".into(),
            };
            format!("{lead}{}, {at}: {}", s.device, f.message)
        })
        .collect();
    if s.failures.len() > SHOWN {
        out.push(format!(
            "{lead}{}: {} more failure(s) in the file",
            s.device,
            s.failures.len() - SHOWN
        ));
    }
    out
}

fn sig1(v: f64) -> String {
    format!("{v:.1}")
}

/// What an operator reads first: failed devices and why, their failures, the causes of drops,
/// the outliers, runs stopped early.
pub fn findings(sources: &[SustainSource]) -> Vec<String> {
    let multi = sources.len() > 1;
    let mut out = Vec::new();
    for src in sources {
        let lead = if multi {
            format!("{}: ", src.label)
        } else {
            String::new()
        };
        if src.doc.interrupted {
            out.push(format!(
                "{lead}stopped early (or still running): the series end where it stopped"
            ));
        }
        for s in &src.doc.series {
            let v = &s.verdict;
            if !v.passed {
                out.push(format!(
                    "{lead}{} FAILED: {}",
                    s.device,
                    v.reasons.join("; ")
                ));
            }
            out.extend(failure_lines(s, &lead));
            if let (Some(r), Some(why)) = (v.ratio, &v.cause_detail) {
                out.push(format!(
                    "{lead}{} dropped to {} of its burst rate: {why}",
                    s.device,
                    percent(r)
                ));
            }
            if let Some(o) = &v.outlier {
                out.push(format!(
                    "{lead}{} is the outlier: {} below the median {} TFLOP/s of the {} devices \
                     run alike",
                    s.device,
                    percent(o.shortfall),
                    tflops(o.median_tflops),
                    o.compared_with
                ));
            }
        }
        if let Some(c) = &src.doc.cluster {
            if !c.missing_ranks.is_empty() {
                let ranks: Vec<String> = c.missing_ranks.iter().map(u32::to_string).collect();
                out.push(format!(
                    "{lead}missing ranks, with no file at all (killed before their first \
                     save?): {}",
                    ranks.join(", ")
                ));
            }
            out.extend(c.not_compared.iter().map(|n| format!("{lead}{n}")));
        }
    }
    out
}

/// Everything a report of sustain files shows, in order.
pub fn blocks(sources: &[SustainSource]) -> Vec<Block> {
    let mut b = vec![Block::Table(verdicts_table(sources))];
    let lines = findings(sources);
    if !lines.is_empty() {
        b.push(Block::Lines {
            title: "Findings".into(),
            lines,
        });
    }
    b
}
