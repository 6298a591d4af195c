//! A self-contained HTML report: inline CSS and SVG charts, nothing fetched.

use super::charts::{BarChart, SizeChart};
use super::summary::{Row, Source};
use super::tables::{escape, html as table_html, Table};
use crate::charts::{to_svg_string, SIZE};

const CSS: &str = "
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.fail { color: #b00; font-weight: bold; }
.chart svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.meta { color: #555; font-size: 0.85rem; }
";

/// Charts of the report: per file TFLOP/s against size, utilization, and per-GPU bars where a
/// file holds several GPUs of one kind.
pub fn charts(sources: &[Source], rows: &[Row]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in sources {
        if let Ok(svg) = to_svg_string(&SizeChart { source: s }, SIZE) {
            out.push((format!("TFLOP/s against problem size: {}", s.label), svg));
        }
    }
    let util = BarChart::utilization(rows);
    if !util.rows.is_empty() {
        if let Ok(svg) = to_svg_string(&util, (SIZE.0, util.height())) {
            out.push(("Utilization against the rated peak".into(), svg));
        }
    }
    // Several GPUs of one name in one file (a node or a cluster): TFLOP/s per GPU.
    for s in sources {
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
            // Several devices of one kind: a node measured with --device all, or a merged cluster.
            if group.len() < 2 {
                continue;
            }
            let title = format!("TFLOP/s per device: {name} {kernel} {dtype} ({})", s.label);
            let bars = BarChart::per_gpu(&group, title.clone());
            if let Ok(svg) = to_svg_string(&bars, (SIZE.0, bars.height())) {
                out.push((title, svg));
            }
        }
    }
    out
}

pub fn page(sources: &[Source], tables: &[Table], charts: &[(String, String)]) -> String {
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<title>flopmeter report</title>\n<style>");
    s.push_str(CSS);
    s.push_str("</style>\n</head>\n<body>\n<h1>flopmeter report</h1>\n<p class=\"meta\">");
    for src in sources {
        let r = &src.results;
        s.push_str(&format!(
            "<b>{}</b>: {} on {} ({}), {} results, flopmeter {}{}<br>\n",
            escape(&src.label),
            escape(&r.created_at),
            escape(&r.host.hostname),
            escape(&r.host.cpu),
            r.runs.len(),
            escape(&r.tool.version),
            r.tool
                .git_commit
                .as_deref()
                .map(|c| format!(" ({})", escape(c)))
                .unwrap_or_default()
        ));
    }
    s.push_str("Utilization is the median TFLOP/s over the device's rated dense peak; results that failed verification are not counted.</p>\n");
    for t in tables {
        s.push_str(&table_html(t));
    }
    for (title, svg) in charts {
        s.push_str(&format!(
            "<h2>{}</h2>\n<div class=\"chart\">{}</div>\n",
            escape(title),
            svg
        ));
    }
    s.push_str("</body>\n</html>\n");
    s
}
