//! The sustain report as one self-contained HTML page (inline CSS and SVG, nothing fetched, no
//! script; the bench report's style and blocks) and as Markdown: per file its date, host and
//! devices, the settings of the run, then the tables, the findings and the charts.

use super::{charts, SustainSource};
use crate::output::clean;
use crate::report::html::{block_html, device_line, escape, page_start, source_meta};
use crate::report::tables::{markdown, Block};
use crate::results::sustain::SustainResults;

/// What the header says of one file, and its devices.
fn header_lines(d: &SustainResults) -> (String, Vec<String>) {
    let s = &d.settings;
    let meta = format!(
        "{} on {} ({}, {}), {} s in windows of {} s, results compared bit for bit with their \
         first {}, the f64 reference every {} s, flopmeter {}{}",
        d.created_at,
        d.host.hostname,
        d.host.cpu,
        d.host.os,
        s.duration_s,
        s.window_s,
        s.check_every.map_or(
            "as often as takes about 5% of each device's time".into(),
            |n| format!("after every {n} iterations")
        ),
        s.reference_every_s,
        d.tool.version,
        d.tool
            .git_commit
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default()
    );
    let devices = d
        .devices
        .iter()
        .filter(|x| d.series.iter().any(|s| s.device == x.id))
        .map(device_line)
        .collect();
    (meta, devices)
}

/// The HTML page.
pub fn page(sources: &[SustainSource], blocks: &[Block]) -> String {
    let mut s = page_start("flopmeter sustain report");
    for src in sources {
        let (meta, devices) = header_lines(&src.doc);
        s += &source_meta(&src.label, &meta, &devices);
    }
    s += "<p class=\"meta\">Each device ran its kernel back to back; each point of a chart is one window (hover for its value); red triangles mark where a failure was found.</p>\n";
    for b in blocks {
        s += &block_html(b);
    }
    for (title, svg) in charts::charts(sources) {
        s += &format!(
            "<h2>{}</h2>\n<div class=\"chart\">{}</div>\n",
            escape(&title),
            svg
        );
    }
    for m in charts::missing(sources) {
        s += &format!("<p class=\"notes\">{}</p>\n", escape(&m));
    }
    s += "</body>\n</html>\n";
    s
}

/// The Markdown report: the page's header, then every block.
pub fn markdown_page(sources: &[SustainSource], blocks: &[Block]) -> String {
    let esc = |t: &str| clean::line(t).replace('<', "&lt;").replace('>', "&gt;");
    let mut s = String::from("## flopmeter sustain report\n\n");
    for src in sources {
        let (meta, devices) = header_lines(&src.doc);
        s += &format!("- **{}**: {}\n", esc(&src.label), esc(&meta));
        for d in devices {
            s += &format!("  - {}\n", esc(&d));
        }
    }
    s += "\n";
    for b in blocks {
        s += &markdown(b);
    }
    s
}
