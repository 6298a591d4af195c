//! The report's tables as plain data, rendered by the terminal, Markdown and HTML writers.

use super::summary::{Comparison, FileVerdict, Row};
use crate::output::{percent, tflops};

pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    /// Right-align the column (numbers).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

/// Per device and dtype (and kernel): best and median TFLOP/s, rated, utilization, verified.
pub fn results_table(rows: &[Row]) -> Table {
    Table {
        title: "Results per device, dtype and kernel".into(),
        headers: [
            "file",
            "device",
            "kernel",
            "dtype",
            "best TFLOP/s",
            "at shape",
            "median TFLOP/s",
            "rated",
            "utilization",
            "verified",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![
            false, false, false, false, true, false, true, true, true, false,
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.file.clone(),
                    format!("{} ({})", r.device, r.device_name),
                    r.kernel.clone(),
                    r.dtype.to_string(),
                    if r.best_tflops.is_finite() {
                        tflops(r.best_tflops)
                    } else {
                        "-".into()
                    },
                    r.best_shape.clone(),
                    if r.median_tflops.is_finite() {
                        tflops(r.median_tflops)
                    } else {
                        "-".into()
                    },
                    opt(r.rated_tflops, tflops),
                    opt(r.best_utilization, percent),
                    if r.failed > 0 {
                        format!("{}/{} ({} FAILED)", r.verified, r.results, r.failed)
                    } else {
                        format!("{}/{}", r.verified, r.results)
                    },
                ]
            })
            .collect(),
    }
}

/// Kernels side by side: one row per file, device and dtype; one column per kernel.
pub fn kernels_table(rows: &[Row]) -> Table {
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
    let mut headers = vec!["file".to_string(), "device".into(), "dtype".into()];
    headers.extend(kernels.iter().map(|k| format!("{k} best TFLOP/s")));
    let mut numeric = vec![false; 3];
    numeric.extend(kernels.iter().map(|_| true));
    Table {
        title: "Kernels side by side".into(),
        headers,
        numeric,
        rows: keys
            .iter()
            .map(|(f, d, dt)| {
                let mut cells = vec![f.clone(), d.clone(), dt.clone()];
                cells.extend(kernels.iter().map(|k| {
                    rows.iter()
                        .find(|r| {
                            &r.file == f
                                && &r.device == d
                                && &r.dtype.to_string() == dt
                                && &r.kernel == k
                        })
                        .filter(|r| r.best_tflops.is_finite())
                        .map(|r| tflops(r.best_tflops))
                        .unwrap_or_else(|| "-".into())
                }));
                cells
            })
            .collect(),
    }
}

/// Across files: best TFLOP/s per file and the ratio to the first file.
pub fn comparison_table(comps: &[Comparison], files: &[String]) -> Table {
    let mut headers = vec!["device".to_string(), "dtype".into(), "kernel".into()];
    headers.extend(files.iter().map(|f| format!("{f} (ratio)")));
    let mut numeric = vec![false; 3];
    numeric.extend(files.iter().map(|_| true));
    Table {
        title: format!(
            "Comparison with {}",
            files.first().cloned().unwrap_or_default()
        ),
        headers,
        numeric,
        rows: comps
            .iter()
            .map(|c| {
                let mut cells = vec![c.device_name.clone(), c.dtype.to_string(), c.kernel.clone()];
                cells.extend(files.iter().map(|f| {
                    c.files
                        .iter()
                        .find(|(name, _, _)| name == f)
                        .map(|(_, v, ratio)| format!("{} ({ratio:.2}x)", tflops(*v)))
                        .unwrap_or_else(|| "-".into())
                }));
                cells
            })
            .collect(),
    }
}

/// Each GPU's best rate per dtype against the published measurement of its chip.
pub fn verdicts_table(verdicts: &[FileVerdict]) -> Option<Table> {
    (!verdicts.is_empty()).then(|| Table {
        title: "Against published measurements of the same chip (data/reference_rates.csv)".into(),
        headers: [
            "file",
            "device",
            "dtype",
            "TFLOP/s (reference)",
            "verdict",
            "power / cap",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, true, false, true],
        rows: verdicts
            .iter()
            .map(|f| {
                let v = &f.verdict;
                vec![
                    f.file.clone(),
                    v.device.clone(),
                    v.dtype.to_string(),
                    format!("{} ({})", tflops(v.best_tflops), tflops(v.reference_tflops)),
                    crate::reference::describe(v.vs_reference, v.verdict),
                    match (v.power_w, v.power_limit_w) {
                        (Some(p), Some(c)) => format!("{p:.0} / {c:.0} W"),
                        (Some(p), None) => format!("{p:.0} W"),
                        _ => "-".into(),
                    },
                ]
            })
            .collect(),
    })
}

/// Power and energy efficiency of each best run, where the board's power was sampled.
pub fn energy_table(rows: &[Row]) -> Option<Table> {
    let with: Vec<&Row> = rows.iter().filter(|r| r.power_w.is_some()).collect();
    (!with.is_empty()).then(|| Table {
        title: "Energy (NVML board power during the best run)".into(),
        headers: [
            "file",
            "device",
            "kernel",
            "dtype",
            "best TFLOP/s",
            "power W",
            "GFLOP/J",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, false, true, true, true],
        rows: with
            .iter()
            .map(|r| {
                vec![
                    r.file.clone(),
                    r.device.clone(),
                    r.kernel.clone(),
                    r.dtype.to_string(),
                    tflops(r.best_tflops),
                    opt(r.power_w, |p| format!("{p:.0}")),
                    opt(r.gflop_per_joule, |g| format!("{g:.1}")),
                ]
            })
            .collect(),
    })
}

/// Stragglers of merged cluster files.
pub fn stragglers_table(sources: &[super::summary::Source]) -> Option<Table> {
    let rows: Vec<Vec<String>> = sources
        .iter()
        .filter_map(|s| s.results.stragglers.as_ref().map(|g| (s, g)))
        .flat_map(|(s, list)| {
            list.iter().map(move |g| {
                vec![
                    s.label.clone(),
                    g.host.clone(),
                    g.device.clone(),
                    g.dtype.to_string(),
                    tflops(g.tflops),
                    tflops(g.cluster_median_tflops),
                    percent(g.shortfall),
                ]
            })
        })
        .collect();
    let any_cluster = sources.iter().any(|s| s.results.cluster.is_some());
    any_cluster.then(|| Table {
        title: "Stragglers (below the cluster median by the merge threshold or more)".into(),
        headers: [
            "file",
            "host",
            "device",
            "dtype",
            "TFLOP/s",
            "cluster median",
            "shortfall",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, false, true, true, true],
        rows,
    })
}

/// NCCL all-reduce results.
pub fn collectives_table(sources: &[super::summary::Source]) -> Option<Table> {
    let rows: Vec<Vec<String>> = sources
        .iter()
        .flat_map(|s| {
            s.results.collectives.iter().map(move |c| {
                vec![
                    s.label.clone(),
                    c.op.clone(),
                    c.devices.len().to_string(),
                    crate::output::bytes(c.bytes),
                    format!("{:.3} ms", c.time_s * 1e3),
                    format!("{:.1}", c.algbw_gbs),
                    format!("{:.1}", c.busbw_gbs),
                ]
            })
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: "Collectives (NCCL)".into(),
        headers: [
            "file",
            "op",
            "GPUs",
            "size",
            "time",
            "algbw GB/s",
            "busbw GB/s",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, true, true, true, true, true],
        rows,
    })
}

pub fn markdown(t: &Table) -> String {
    let mut s = format!("### {}\n\n", t.title);
    s.push_str(&format!("| {} |\n", t.headers.join(" | ")));
    s.push_str(&format!(
        "|{}|\n",
        t.numeric
            .iter()
            .map(|n| if *n { "---:" } else { ":---" })
            .collect::<Vec<_>>()
            .join("|")
    ));
    for r in &t.rows {
        s.push_str(&format!(
            "| {} |\n",
            r.iter()
                .map(|c| c.replace('|', "\\|"))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    s.push('\n');
    s
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn html(t: &Table) -> String {
    let mut s = format!("<h2>{}</h2>\n<table>\n<thead><tr>", escape(&t.title));
    for h in &t.headers {
        s.push_str(&format!("<th>{}</th>", escape(h)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        s.push_str("<tr>");
        for (c, numeric) in r.iter().zip(&t.numeric) {
            let class = if *numeric { " class=\"num\"" } else { "" };
            let fail = if c.contains("FAILED") {
                " class=\"fail\""
            } else {
                ""
            };
            s.push_str(&format!(
                "<td{}>{}</td>",
                if fail.is_empty() { class } else { fail },
                escape(c)
            ));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

pub fn terminal(t: &Table) -> String {
    let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
    let mut table = crate::output::table(&headers);
    for r in &t.rows {
        table.add_row(r.clone());
    }
    format!("{}\n{table}\n", t.title)
}
