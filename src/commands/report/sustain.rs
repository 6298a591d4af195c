//! `flopmeter report` of sustain files: the verdicts and findings as text, Markdown, HTML with
//! the charts against time, CSV of every window, or JSON.

use serde::Serialize;

use super::print_with_outputs;
use crate::cli::ReportArgs;
use crate::error::{AppError, AppResult};
use crate::output::{print_json, stdout_width, write_output};
use crate::report::sustain::{blocks, charts, csv, findings, page, SustainSource};
use crate::report::tables::terminal;
use crate::results::sustain::SustainVerdict;

/// One device's verdict in `report --json`.
#[derive(Debug, Serialize)]
struct DeviceJson<'a> {
    file: &'a str,
    device: &'a str,
    kernel: &'a str,
    dtype: crate::dtype::Dtype,
    m: usize,
    n: usize,
    k: usize,
    windows: usize,
    results_checked: u64,
    verdict: &'a SustainVerdict,
}

/// `report --json` of sustain files.
#[derive(Debug, Serialize)]
struct SustainReportJson<'a> {
    files: Vec<&'a str>,
    devices: Vec<DeviceJson<'a>>,
    findings: Vec<String>,
    /// Telemetry some devices lack.
    missing: Vec<String>,
}

fn json_of(sources: &[SustainSource]) -> SustainReportJson<'_> {
    SustainReportJson {
        files: sources.iter().map(|s| s.label.as_str()).collect(),
        devices: sources
            .iter()
            .flat_map(|src| {
                src.doc.series.iter().map(move |s| DeviceJson {
                    file: &src.label,
                    device: &s.device,
                    kernel: &s.kernel,
                    dtype: s.dtype,
                    m: s.m,
                    n: s.n,
                    k: s.k,
                    windows: s.windows.len(),
                    results_checked: s.checks.results_compared,
                    verdict: &s.verdict,
                })
            })
            .collect(),
        findings: findings(sources),
        missing: charts::missing(sources),
    }
}

pub fn run(args: &ReportArgs, json: bool, sources: &[SustainSource]) -> AppResult<()> {
    let blocks = blocks(sources);
    if let Some(path) = &args.markdown {
        write_output(path, &page::markdown_page(sources, &blocks))?;
    }
    if let Some(path) = &args.html {
        write_output(path, &page::page(sources, &blocks))?;
    }
    if let Some(path) = &args.csv {
        let text = csv::windows(sources)
            .map_err(|e| AppError::failed(format!("cannot write CSV: {e}")))?;
        write_output(path, &text)?;
    }
    if json {
        return print_json(&json_of(sources));
    }
    let width = stdout_width();
    let mut text = String::new();
    for b in &blocks {
        text += &terminal(b, width);
        text.push('\n');
    }
    print_with_outputs(args, text)
}
