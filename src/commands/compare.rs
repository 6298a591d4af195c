//! `flopmeter compare BASELINE CANDIDATE [--threshold F] [--confidence F] [--markdown FILE]
//! [--csv FILE] [--json]`: job by job, the candidate's speed over the baseline's with its
//! interval and a verdict; exit 1 when a job is slower beyond the threshold with confidence.

use std::path::PathBuf;

use crate::cli::CompareArgs;
use crate::compare::{compare, Comparison, JobComparison, Options, Verdict};
use crate::error::{AppError, AppResult};
use crate::output::table::{Column, Table};
use crate::output::{
    is_stdout, percent, print_json, print_text, stdout_width, tflops, write_output,
};

/// The results files of one side (a file, a folder of them, or a cluster file: its rank files).
fn load(path: &PathBuf) -> AppResult<Vec<(String, crate::results::Results)>> {
    if crate::files::is_regular(path) {
        if let crate::results::Document::Cluster(c) = crate::results::load_any(path)? {
            return crate::cluster::rank_files::load_rank_files(path, &c).map_err(AppError::usage);
        }
    }
    let inputs = crate::cluster::merge::load_inputs(std::slice::from_ref(path), None)
        .map_err(AppError::usage)?;
    for s in &inputs.skipped {
        crate::say!("note: skipped {}", crate::output::clean::line(s));
    }
    if inputs.docs.iter().all(|(_, d)| d.runs.is_empty()) {
        return Err(AppError::usage(format!(
            "{} holds no results",
            path.display()
        )));
    }
    Ok(inputs
        .docs
        .into_iter()
        .map(|(p, d)| (p.display().to_string(), d))
        .collect())
}

/// "+4.1" / "-9.9" / "0.0": a ratio as a change in percent.
fn points(ratio: f64) -> String {
    let p = (ratio - 1.0) * 100.0;
    if p.abs() < 0.05 {
        "0.0".into()
    } else {
        format!("{}{p:.1}", if p > 0.0 { "+" } else { "" })
    }
}

/// "+4.1%": a ratio as a change.
fn change(ratio: f64) -> String {
    format!("{}%", points(ratio))
}

fn verdict(j: &JobComparison) -> String {
    match (j.regression, j.verdict) {
        (true, _) => "SLOWER".into(),
        (false, Verdict::Slower) => "slower".into(),
        (false, Verdict::Faster) => "faster".into(),
        (false, Verdict::Same) => "same".into(),
    }
}

fn columns(c: &Comparison, hosts: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if hosts {
        columns.push(Column::text("host").cut(10));
    }
    columns.extend([
        Column::text("device").cut(14),
        Column::text("kernel"),
        Column::text("dtype"),
        Column::text("shape"),
        Column::num("baseline TFLOP/s")
            .short("base")
            .drop(2)
            .means("median TFLOP/s of the baseline"),
        Column::num("candidate TFLOP/s")
            .short("cand.")
            .drop(1)
            .means("median TFLOP/s of the candidate"),
        Column::num("change")
            .means("candidate speed over baseline speed, minus 1 (Hodges-Lehmann estimate)"),
        Column::num(&format!(
            "{}% interval",
            percent(c.confidence).trim_end_matches(".0%")
        ))
        .short("interval")
        .means("the interval of the change in percent, from the samples of both runs"),
        Column::text("verdict"),
    ]);
    columns
}

/// A median with the unsettled mark where its run did not settle.
fn rate(s: &crate::compare::Side) -> String {
    let mark = if s.settled {
        ""
    } else {
        crate::report::noise::UNSETTLED_MARK
    };
    format!("{}{mark}", tflops(s.median_tflops))
}

/// The jobs as a table: both rates, the change and its interval, the verdict.
pub fn table(c: &Comparison) -> Table {
    let hosts = c.jobs.iter().any(|j| j.host.is_some());
    let mut t = Table::new(columns(c, hosts));
    for j in &c.jobs {
        let mut cells = Vec::new();
        if hosts {
            cells.push(j.host.clone().unwrap_or_default());
        }
        cells.extend([
            j.device.clone(),
            j.kernel.clone(),
            j.dtype.to_string(),
            j.problem().to_string(),
            rate(&j.baseline),
            rate(&j.candidate),
            change(j.ratio),
            format!("{}..{}", points(j.interval[0]), points(j.interval[1])),
            verdict(j),
        ]);
        t.row(cells);
    }
    if c.jobs
        .iter()
        .any(|j| !j.baseline.settled || !j.candidate.settled)
    {
        t.note(crate::report::noise::UNSETTLED_NOTE);
    }
    t.note(format!(
        "same: the interval reaches within 1% of 0 (the noise of two runs of one machine); slower, faster: it lies wholly below -1%, above +1%; SLOWER: wholly below -{} (--threshold), a regression.",
        percent(c.threshold)
    ));
    t
}

/// The text: the table, jobs on one side only, notes, and the summary line.
fn text(c: &Comparison, width: Option<usize>) -> String {
    let mut s = format!(
        "Baseline: {}\nCandidate: {}\n",
        c.baseline.join(", "),
        c.candidate.join(", ")
    );
    s += &table(c).terminal(width);
    for (what, list) in [
        ("Only in the baseline", &c.only_in_baseline),
        ("Only in the candidate", &c.only_in_candidate),
    ] {
        if !list.is_empty() {
            s += &crate::output::table::wrap(
                &format!("{what} ({}): {}", list.len(), list.join(", ")),
                width,
            );
        }
    }
    for n in &c.notes {
        s += &crate::output::table::wrap(&format!("note: {n}"), width);
    }
    s += &summary(c);
    s.push('\n');
    s
}

fn summary(c: &Comparison) -> String {
    let count = |v: Verdict| c.jobs.iter().filter(|j| j.verdict == v).count();
    format!(
        "{} jobs compared: {} faster, {} slower ({} beyond {}), {} the same within noise.",
        c.jobs.len(),
        count(Verdict::Faster),
        count(Verdict::Slower),
        c.regressions,
        percent(c.threshold),
        count(Verdict::Same)
    )
}

fn markdown(c: &Comparison) -> String {
    let mut t = table(c);
    t.title = Some("flopmeter compare".into());
    t.notes.push(format!(
        "Baseline: {}. Candidate: {}.",
        c.baseline.join(", "),
        c.candidate.join(", ")
    ));
    t.notes.extend(c.notes.iter().map(|n| format!("note: {n}")));
    t.notes.push(summary(c));
    t.markdown()
}

/// Every job as a CSV row, full precision.
fn csv_text(c: &Comparison) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "host",
        "device",
        "kernel",
        "dtype",
        "m",
        "n",
        "k",
        "batch",
        "baseline_tflops",
        "candidate_tflops",
        "ratio",
        "ratio_low",
        "ratio_high",
        "verdict",
        "regression",
    ])?;
    for j in &c.jobs {
        let verdict = serde_json::to_value(j.verdict)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let record = [
            j.host.clone().unwrap_or_default(),
            j.device.clone(),
            j.kernel.clone(),
            j.dtype.to_string(),
            j.m.to_string(),
            j.n.to_string(),
            j.k.to_string(),
            j.batch.to_string(),
            j.baseline.median_tflops.to_string(),
            j.candidate.median_tflops.to_string(),
            j.ratio.to_string(),
            j.interval[0].to_string(),
            j.interval[1].to_string(),
            verdict,
            j.regression.to_string(),
        ];
        w.write_record(
            record
                .iter()
                .map(|c| crate::output::clean::line(c).into_owned()),
        )?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Outputs are writable files or `-`, at most one thing on stdout; how many go there.
fn check_outputs(args: &CompareArgs, json: bool) -> AppResult<usize> {
    let inputs = [args.baseline.as_path(), args.candidate.as_path()];
    for (flag, out) in [("--markdown", &args.markdown), ("--csv", &args.csv)] {
        if let Some(out) = out.as_deref().filter(|p| !is_stdout(p)) {
            crate::files::check_output(out, &inputs)
                .map_err(|e| AppError::usage(format!("{flag}: {e}")))?;
        }
    }
    let to_stdout = [&args.markdown, &args.csv]
        .iter()
        .filter(|p| p.as_deref().is_some_and(is_stdout))
        .count();
    if to_stdout + usize::from(json) > 1 {
        return Err(AppError::usage(
            "--markdown -, --csv - and --json all write to stdout: choose one",
        ));
    }
    Ok(to_stdout)
}

/// Exit 1 naming every job slower beyond the threshold.
fn verdict_status(c: &Comparison) -> AppResult<()> {
    if c.regressions == 0 {
        return Ok(());
    }
    const NAMED: usize = 5;
    let slow: Vec<String> = c
        .jobs
        .iter()
        .filter(|j| j.regression)
        .map(|j| format!("{} ({})", j.name(), change(j.ratio)))
        .collect();
    let more = match slow.len().saturating_sub(NAMED) {
        0 => String::new(),
        n => format!(" and {n} more (see the table)"),
    };
    Err(AppError::failed(format!(
        "{} job(s) slower than the baseline by more than {} with {}% confidence: {}{more}",
        slow.len(),
        percent(c.threshold),
        crate::output::numbers::short(c.confidence * 100.0),
        slow[..slow.len().min(NAMED)].join(", ")
    )))
}

pub fn run(args: &CompareArgs, json: bool) -> AppResult<()> {
    let to_stdout = check_outputs(args, json)?;
    let options = Options {
        threshold: args.threshold,
        confidence: args.confidence,
    };
    let c = compare(&load(&args.baseline)?, &load(&args.candidate)?, options);
    if c.jobs.is_empty() {
        return Err(AppError::usage(format!(
            "no job of {} was measured in {} (same device, kernel, dtype and shape; same hosts when several)",
            args.candidate.display(),
            args.baseline.display()
        )));
    }
    if let Some(p) = &args.markdown {
        write_output(p, &markdown(&c))?;
    }
    if let Some(p) = &args.csv {
        let text = csv_text(&c).map_err(|e| AppError::failed(format!("cannot write CSV: {e}")))?;
        write_output(p, &text)?;
    }
    if json {
        print_json(&c)?;
    } else if to_stdout == 0 {
        print_text(&text(&c, stdout_width()))?;
    }
    verdict_status(&c)
}
