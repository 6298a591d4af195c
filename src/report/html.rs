//! A self-contained HTML report (inline CSS and SVG, nothing fetched, no script) and the
//! Markdown report, with the same header: per file its date, host, devices with drivers, and
//! the flopmeter that measured it.

use super::charts::{BarChart, SizeChart};
use super::summary::{Row, Source};
use super::tables::Block;
use crate::charts::{to_svg_string, SIZE};
use crate::output::clean;
use crate::output::table::{Align, Table};
use crate::results::{DeviceRecord, Results};

pub(crate) const CSS: &str = "
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 0.3rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.fail { color: #b00; font-weight: bold; }
.chart svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.meta, .notes { color: #555; font-size: 0.85rem; }
.warning { color: #b00; font-weight: bold; }
";

pub fn escape(s: &str) -> String {
    clean::line(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "cuda:0 NVIDIA H100 80GB HBM3 (driver 13.0, sm_90)": a device and its driver.
pub fn device_line(d: &DeviceRecord) -> String {
    let driver = if let Some(c) = &d.cuda {
        format!(
            " (CUDA driver {}, compute capability {})",
            c.driver_version, c.compute_capability
        )
    } else if let Some(w) = &d.wgpu {
        format!(" ({} {}, {})", w.api, w.driver, w.driver_info)
    } else {
        String::new()
    };
    format!("{} {}{driver}", d.id, d.name)
}

/// What the header says of one file.
pub fn header_lines(r: &Results) -> (String, Vec<String>) {
    let meta = format!(
        "{} on {} ({}, {}), {} results, flopmeter {}{}",
        r.created_at,
        r.host.hostname,
        r.host.cpu,
        r.host.os,
        r.runs.len(),
        r.tool.version,
        r.tool
            .git_commit
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default()
    );
    (meta, r.devices.iter().map(device_line).collect())
}

/// Charts of the report: TFLOP/s against size (all files at once), utilization, per-GPU bars
/// where a file holds several GPUs of one kind, and a model's GEMMs.
pub fn charts(sources: &[Source], rows: &[Row]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(svg) = to_svg_string(&SizeChart { sources }, SIZE) {
        out.push(("TFLOP/s against problem size".to_string(), svg));
    }
    for s in sources {
        if let Some(chart) = BarChart::model(&s.results) {
            if let Ok(svg) = to_svg_string(&chart, (SIZE.0, chart.height())) {
                out.push((format!("{}: {}", s.label, chart.title), svg));
            }
        }
    }
    let util = BarChart::utilization(rows);
    if !util.bars.is_empty() {
        if let Ok(svg) = to_svg_string(&util, (SIZE.0, util.height())) {
            out.push(("Utilization against the rated peak".into(), svg));
        }
    }
    for s in sources {
        out.extend(per_gpu_charts(s, rows));
    }
    out
}

/// Several GPUs of one name in one file (a node or a cluster): TFLOP/s per GPU.
fn per_gpu_charts(s: &Source, rows: &[Row]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for r in rows.iter().filter(|r| r.file == s.label) {
        let k = (r.device_name.clone(), r.kernel.clone(), r.dtype.to_string());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (name, kernel, dtype) in keys {
        let group: Vec<Row> = rows
            .iter()
            .filter(|r| {
                r.file == s.label
                    && r.device_name == name
                    && r.kernel == kernel
                    && r.dtype.to_string() == dtype
            })
            .cloned()
            .collect();
        if group.len() < 2 {
            continue;
        }
        let title = format!("TFLOP/s per device: {name} {kernel} {dtype} ({})", s.label);
        let bars = BarChart::per_gpu(&group, s, title.clone());
        if let Ok(svg) = to_svg_string(&bars, (SIZE.0, bars.height())) {
            out.push((title, svg));
        }
    }
    out
}

fn table_html(t: &Table) -> String {
    let mut s = String::new();
    if let Some(title) = &t.title {
        s += &format!("<h2>{}</h2>\n", escape(title));
    }
    s += "<table>\n<thead><tr>";
    for c in &t.columns {
        match &c.meaning {
            Some(m) => s += &format!("<th title=\"{}\">{}</th>", escape(m), escape(&c.header)),
            None => s += &format!("<th>{}</th>", escape(&c.header)),
        }
    }
    s += "</tr></thead>\n<tbody>\n";
    for r in &t.rows {
        s += "<tr>";
        for (cell, c) in r.iter().zip(&t.columns) {
            let class = if cell.contains("FAILED") {
                " class=\"fail\""
            } else if c.align == Align::Right {
                " class=\"num\""
            } else {
                ""
            };
            s += &format!("<td{class}>{}</td>", escape(cell));
        }
        s += "</tr>\n";
    }
    s += "</tbody>\n</table>\n";
    let meanings: Vec<String> = t
        .columns
        .iter()
        .filter_map(|c| {
            Some(format!(
                "<b>{}</b>: {}",
                escape(&c.header),
                escape(c.meaning.as_ref()?)
            ))
        })
        .collect();
    if !meanings.is_empty() {
        s += &format!("<p class=\"notes\">{}.</p>\n", meanings.join("; "));
    }
    for n in &t.notes {
        s += &format!("<p class=\"notes\">{}</p>\n", escape(n));
    }
    s
}

pub(crate) fn block_html(b: &Block) -> String {
    match b {
        Block::Table(t) => table_html(t),
        Block::Lines { title, lines } => {
            let class = if title == "Warning" {
                " class=\"warning\""
            } else {
                ""
            };
            let mut s = format!("<h2>{}</h2>\n<ul{class}>\n", escape(title));
            for l in lines {
                s += &format!("<li>{}</li>\n", escape(l));
            }
            s + "</ul>\n"
        }
    }
}

/// The page's head, its style and its heading: `title` in both places.
pub(crate) fn page_start(title: &str) -> String {
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    s += &format!("<title>{}</title>\n<style>", escape(title));
    s += CSS;
    s += &format!("</style>\n</head>\n<body>\n<h1>{}</h1>\n", escape(title));
    s
}

/// One input file's paragraph: its label, what ran where, and one line per device.
pub(crate) fn source_meta(label: &str, meta: &str, devices: &[String]) -> String {
    let mut s = format!(
        "<p class=\"meta\"><b>{}</b>: {}",
        escape(label),
        escape(meta)
    );
    for d in devices {
        s += &format!("<br>\n{}", escape(d));
    }
    s + "</p>\n"
}

pub fn page(sources: &[Source], blocks: &[Block], charts: &[(String, String)]) -> String {
    let mut s = page_start("flopmeter report");
    for src in sources {
        let (meta, devices) = header_lines(&src.results);
        s += &source_meta(&src.label, &meta, &devices);
    }
    s += "<p class=\"meta\">Only results that passed verification count. Each table says what its columns hold; hover over a point of a chart for its value.</p>\n";
    for b in blocks {
        s += &block_html(b);
    }
    for (title, svg) in charts {
        s += &format!(
            "<h2>{}</h2>\n<div class=\"chart\">{}</div>\n",
            escape(title),
            svg
        );
    }
    s += "</body>\n</html>\n";
    s
}

/// The Markdown report: the header of the HTML page, then every block.
pub fn markdown_page(sources: &[Source], blocks: &[Block]) -> String {
    let esc = |t: &str| clean::line(t).replace('<', "&lt;").replace('>', "&gt;");
    let mut s = String::from("## flopmeter report\n\n");
    for src in sources {
        let (meta, devices) = header_lines(&src.results);
        s += &format!("- **{}**: {}\n", esc(&src.label), esc(&meta));
        for d in devices {
            s += &format!("  - {}\n", esc(&d));
        }
    }
    s += "\nOnly results that passed verification count.\n\n";
    for b in blocks {
        s += &super::tables::markdown(b);
    }
    s
}
