//! `flopmeter report` of sustain files: the verdicts and findings as text, Markdown, HTML with
//! the charts against time, CSV of every window, or JSON.

use serde::Serialize;

use super::print_report;
use crate::cli::ReportArgs;
use crate::error::{AppError, AppResult};
use crate::output::{print_json, write_output};
use crate::report::sustain::{blocks, charts, csv, findings, page, SustainSource};
use crate::results::sustain::{io, SustainVerdict};

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
    print_report(args, &blocks)
}

/// The files when they are sustain files (None: a bench's or a cluster's, for the report of
/// those), loaded and labelled (two files with one stem get their full path). Sustain files
/// are reported alone.
pub fn load(args: &ReportArgs) -> AppResult<Option<Vec<SustainSource>>> {
    let mut kinds = Vec::new();
    for path in &args.files {
        kinds.push((path, io::is_sustain(path)?));
    }
    if !kinds.iter().any(|(_, s)| *s) {
        return Ok(None);
    }
    if let Some((other, _)) = kinds.iter().find(|(_, s)| !*s) {
        return Err(AppError::usage(format!(
            "{} is not a sustained run's file: report sustain files apart from bench results",
            other.display()
        )));
    }
    let mut sources = Vec::new();
    for path in &args.files {
        let doc = io::load(path)?;
        if doc.series.is_empty() {
            return Err(AppError::usage(format!(
                "{} holds no series (its run was stopped before any device started)",
                path.display()
            )));
        }
        sources.push(SustainSource::new(path, doc));
    }
    let labels: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    for s in &mut sources {
        if labels.iter().filter(|l| **l == s.label).count() > 1 {
            s.label = s.path.display().to_string();
        }
    }
    Ok(Some(sources))
}
