//! `flopmeter report FILE... [--markdown FILE] [--html FILE] [--csv FILE] [--json]`; `-` for
//! stdout.

use serde::Serialize;

use crate::cli::ReportArgs;
use crate::error::{AppError, AppResult};
use crate::output::{is_stdout, print_json, print_text, stdout_width, write_output};
use crate::report::html::{charts, markdown_page, page};
use crate::report::summary::{comparisons, rows, verdicts, Comparison, FileVerdict, Row, Source};
use crate::report::sustain::SustainSource;
use crate::report::tables::{
    collectives_table, comparison_table, energy_table, kernels_table, model_blocks, results_table,
    stragglers_table, terminal, verdicts_table, warnings, Block,
};
use crate::results;
use crate::results::sustain::io::AnyResults;

mod sustain;

/// `report --json`: the files, one row per device, dtype and kernel, the comparisons across
/// files, the verdicts against published measurements and any cluster-wide problem.
#[derive(Debug, Serialize)]
struct ReportJson<'a> {
    files: &'a [String],
    rows: &'a [Row],
    comparisons: &'a [Comparison],
    /// Each GPU's best rate per dtype against the published reference of its chip.
    verdicts: &'a [FileVerdict],
    /// Problems common to every GPU of a merged cluster file.
    cluster_wide: &'a [String],
}

/// The files, loaded: a bench's results, or sustain files (one kind per report).
enum Loaded {
    Bench(Vec<Source>),
    Sustain(Vec<SustainSource>),
}

/// Two files with one stem get their full path as label.
fn relabel(labels: Vec<String>, paths: &[&std::path::Path]) -> Vec<String> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if labels.iter().filter(|x| *x == l).count() > 1 {
                paths[i].display().to_string()
            } else {
                l.clone()
            }
        })
        .collect()
}

/// The files, loaded and labelled.
fn load_sources(args: &ReportArgs) -> AppResult<Loaded> {
    let (mut bench, mut sustain) = (Vec::new(), Vec::new());
    for path in &args.files {
        match results::sustain::io::load_any(path)? {
            AnyResults::Bench(r) if r.runs.is_empty() => {
                return Err(AppError::usage(format!(
                    "{} holds no results",
                    path.display()
                )))
            }
            AnyResults::Bench(r) => bench.push(Source::new(path, *r)),
            AnyResults::Sustain(d) if d.series.is_empty() => {
                return Err(AppError::usage(format!(
                    "{} holds no series (its run was stopped before any device started)",
                    path.display()
                )))
            }
            AnyResults::Sustain(d) => sustain.push(SustainSource::new(path, *d)),
        }
    }
    if let (Some(b), Some(s)) = (bench.first(), sustain.first()) {
        return Err(AppError::usage(format!(
            "{} holds a bench's results and {} a sustained run's: report one kind at a time",
            b.path.display(),
            s.path.display()
        )));
    }
    if !sustain.is_empty() {
        let paths: Vec<&std::path::Path> = sustain.iter().map(|s| s.path.as_path()).collect();
        let labels = relabel(sustain.iter().map(|s| s.label.clone()).collect(), &paths);
        for (s, l) in sustain.iter_mut().zip(labels) {
            s.label = l;
        }
        return Ok(Loaded::Sustain(sustain));
    }
    let paths: Vec<&std::path::Path> = bench.iter().map(|s| s.path.as_path()).collect();
    let labels = relabel(bench.iter().map(|s| s.label.clone()).collect(), &paths);
    for (s, l) in bench.iter_mut().zip(labels) {
        s.label = l;
    }
    Ok(Loaded::Bench(bench))
}

/// For merged cluster files: dtypes where every GPU is below its reference and none is a
/// straggler against the median.
fn cluster_wide(sources: &[Source], verdicts: &[FileVerdict]) -> Vec<String> {
    sources
        .iter()
        .flat_map(|s| {
            let of: Vec<_> = verdicts
                .iter()
                .filter(|f| f.file == s.label)
                .map(|f| f.verdict.clone())
                .collect();
            crate::reference::cluster_wide_problems(&s.results, &of)
                .into_iter()
                .map(|line| format!("{}: {line}", s.label))
        })
        .collect()
}

/// The outputs asked for, checked before anything is read: each a writable file or `-`
/// (stdout, for at most one of them and not with --json), none an input, no two the same.
fn check_outputs(args: &ReportArgs, json: bool) -> AppResult<()> {
    let inputs: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("--markdown", &args.markdown),
        ("--html", &args.html),
        ("--csv", &args.csv),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
    .collect();
    let to_stdout: Vec<&str> = outputs
        .iter()
        .filter(|(_, p)| is_stdout(p))
        .map(|(f, _)| *f)
        .collect();
    if to_stdout.len() > 1 || (json && !to_stdout.is_empty()) {
        let mut flags = to_stdout.clone();
        if json {
            flags.push("--json");
        }
        return Err(AppError::usage(format!(
            "{} all write to stdout: give files to all but one",
            flags.join(" and ")
        )));
    }
    let files: Vec<&std::path::Path> = outputs
        .iter()
        .map(|(_, p)| *p)
        .filter(|p| !is_stdout(p))
        .collect();
    for out in &files {
        crate::files::check_output(out, &inputs).map_err(|e| AppError::usage(e.to_string()))?;
    }
    // However spelled (`r.md`, `./r.md`, a link to it): one file is one output.
    crate::files::check_distinct(&files).map_err(|e| AppError::usage(e.to_string()))
}

/// Everything the report shows, in order: warnings, model headlines, then the tables.
fn blocks(
    sources: &[Source],
    rows: &[Row],
    comps: &[Comparison],
    verdicts: &[FileVerdict],
    cluster_wide: &[String],
) -> Vec<Block> {
    let files: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    let multi = files.len() > 1;
    let mut b: Vec<Block> = warnings(sources).into_iter().collect();
    b.extend(model_blocks(sources));
    b.push(Block::Table(results_table(rows, multi)));
    let mut kernels: Vec<&str> = rows.iter().map(|r| r.kernel.as_str()).collect();
    kernels.sort_unstable();
    kernels.dedup();
    if kernels.len() > 1 {
        b.push(Block::Table(kernels_table(rows, multi)));
    }
    if !comps.is_empty() {
        b.push(Block::Table(comparison_table(comps, &files)));
    }
    b.extend(verdicts_table(verdicts, multi).map(Block::Table));
    b.extend(energy_table(rows, multi).map(Block::Table));
    b.extend(stragglers_table(sources).map(Block::Table));
    if !cluster_wide.is_empty() {
        b.push(Block::Lines {
            title: "Cluster-wide problems".into(),
            lines: cluster_wide.to_vec(),
        });
    }
    b.extend(collectives_table(sources).map(Block::Table));
    b
}

pub fn run(args: &ReportArgs, json: bool) -> AppResult<()> {
    // Check outputs before reading anything, so a typo costs nothing.
    check_outputs(args, json)?;
    let sources = match load_sources(args)? {
        Loaded::Sustain(s) => return sustain::run(args, json, &s),
        Loaded::Bench(s) => s,
    };
    let files: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    let rows = rows(&sources);
    let comps = comparisons(&rows, &files);
    let verdicts = verdicts(&sources);
    let cluster_wide = cluster_wide(&sources, &verdicts);
    let blocks = blocks(&sources, &rows, &comps, &verdicts, &cluster_wide);
    if let Some(path) = &args.markdown {
        write_output(path, &markdown_page(&sources, &blocks))?;
    }
    if let Some(path) = &args.html {
        let charts = charts(&sources, &rows);
        write_output(path, &page(&sources, &blocks, &charts))?;
    }
    if let Some(path) = &args.csv {
        let text = crate::report::csv::runs(&sources)
            .map_err(|e| AppError::failed(format!("cannot write CSV: {e}")))?;
        write_output(path, &text)?;
    }
    if json {
        return print_json(&ReportJson {
            files: &files,
            rows: &rows,
            comparisons: &comps,
            verdicts: &verdicts,
            cluster_wide: &cluster_wide,
        });
    }
    let width = stdout_width();
    let mut text = String::new();
    for b in &blocks {
        text += &terminal(b, width);
        text.push('\n');
    }
    print_with_outputs(args, text)
}

/// The report's text on stdout with where each output went; when stdout carries an output
/// itself (`-`), only where the others went, on stderr.
fn print_with_outputs(args: &ReportArgs, mut text: String) -> AppResult<()> {
    let outputs = [
        ("Markdown", &args.markdown),
        ("HTML", &args.html),
        ("CSV", &args.csv),
    ];
    if outputs
        .iter()
        .any(|(_, p)| p.as_deref().is_some_and(is_stdout))
    {
        for (what, p) in outputs {
            if let Some(p) = p.as_deref().filter(|p| !is_stdout(p)) {
                crate::say!("{what} written to {}", p.display());
            }
        }
        return Ok(());
    }
    for (what, p) in outputs {
        if let Some(p) = p {
            text += &format!("{what} written to {}\n", p.display());
        }
    }
    print_text(&text)
}
