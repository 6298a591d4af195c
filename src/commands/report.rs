//! `flopmeter report FILE... [--markdown FILE] [--html FILE] [--csv FILE] [--json]`; `-` for
//! stdout.

use serde::Serialize;

use crate::cli::ReportArgs;
use crate::error::{AppError, AppResult};
use crate::output::{is_stdout, print_json, print_text, stdout_width, write_output};
use crate::report::cluster::{ClusterSource, ClusterView};
use crate::report::html::{charts, markdown_page, page};
use crate::report::summary::{comparisons, rows, verdicts, Comparison, FileVerdict, Row, Source};
use crate::report::tables::{
    collectives_table, comparison_table, energy_table, kernels_table, model_blocks, results_table,
    stragglers_table, terminal, verdicts_table, warnings, Block,
};
use crate::results::{self, Document};

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
    /// Cluster files (`merge`'s output): distributions, slowest devices, stragglers, problems.
    clusters: &'a [ClusterView],
}

/// The files of a report: results files and cluster files.
struct Inputs {
    sources: Vec<Source>,
    clusters: Vec<ClusterSource>,
}

/// The files, loaded and labelled (two files with one stem get their full path).
fn load_inputs(args: &ReportArgs) -> AppResult<Inputs> {
    let mut sources = Vec::new();
    let mut clusters = Vec::new();
    for path in &args.files {
        match results::load_any(path)? {
            Document::Cluster(file) => clusters.push(ClusterSource {
                path: path.clone(),
                label: Source::label_of(path),
                file: *file,
            }),
            Document::Results(r) if r.runs.is_empty() => {
                return Err(AppError::usage(format!(
                    "{} holds no results",
                    path.display()
                )))
            }
            Document::Results(r) => sources.push(Source::new(path, *r)),
        }
    }
    let labels: Vec<String> = sources
        .iter()
        .map(|s| s.label.clone())
        .chain(clusters.iter().map(|c| c.label.clone()))
        .collect();
    let once = |l: &String| labels.iter().filter(|x| *x == l).count() == 1;
    for s in sources.iter_mut().filter(|s| !once(&s.label)) {
        s.label = s.path.display().to_string();
    }
    for c in clusters.iter_mut().filter(|c| !once(&c.label)) {
        c.label = c.path.display().to_string();
    }
    Ok(Inputs { sources, clusters })
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

/// The blocks of the cluster files, each under its name where there are several inputs.
fn cluster_blocks(views: &[ClusterView], several: bool) -> Vec<Block> {
    let mut out = Vec::new();
    for v in views {
        if several {
            out.push(Block::Lines {
                title: format!("Cluster file {} (merged {})", v.file, v.created_at),
                lines: Vec::new(),
            });
        }
        out.extend(crate::report::cluster_tables::blocks(v));
    }
    out
}

/// The CSV: a row per run of results files, or per rank and job of cluster files.
fn csv(inputs: &Inputs) -> AppResult<String> {
    let text = match (inputs.sources.is_empty(), inputs.clusters.is_empty()) {
        (false, false) => {
            return Err(AppError::usage(
                "--csv takes results files or cluster files, not both (their rows differ)",
            ))
        }
        (true, _) => crate::report::csv::jobs(&inputs.clusters),
        (false, _) => crate::report::csv::runs(&inputs.sources),
    };
    text.map_err(|e| AppError::failed(format!("cannot write CSV: {e}")))
}

pub fn run(args: &ReportArgs, json: bool) -> AppResult<()> {
    // Check outputs before reading anything, so a typo costs nothing.
    check_outputs(args, json)?;
    if let Some(files) = sustain::load(args)? {
        return sustain::run(args, json, &files);
    }
    let inputs = load_inputs(args)?;
    let sources = &inputs.sources;
    let files: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    let rows = rows(sources);
    let comps = comparisons(&rows, &files);
    let verdicts = verdicts(sources);
    let cluster_wide = cluster_wide(sources, &verdicts);
    let views: Vec<ClusterView> = inputs
        .clusters
        .iter()
        .map(|c| ClusterView::of(&c.label, &c.file, args.worst))
        .collect();
    let mut blocks = if sources.is_empty() {
        Vec::new()
    } else {
        blocks(sources, &rows, &comps, &verdicts, &cluster_wide)
    };
    blocks.extend(cluster_blocks(&views, args.files.len() > 1));
    if let Some(path) = &args.markdown {
        write_output(path, &markdown_page(sources, &blocks))?;
    }
    if let Some(path) = &args.html {
        write_output(path, &page(sources, &blocks, &html_charts(&inputs, &rows)))?;
    }
    if let Some(path) = &args.csv {
        write_output(path, &csv(&inputs)?)?;
    }
    if json {
        return print_json(&ReportJson {
            files: &files,
            rows: &rows,
            comparisons: &comps,
            verdicts: &verdicts,
            cluster_wide: &cluster_wide,
            clusters: &views,
        });
    }
    print_report(args, &blocks)
}

/// The charts of the HTML page: the results files' and each cluster file's.
fn html_charts(inputs: &Inputs, rows: &[Row]) -> Vec<(String, String)> {
    let mut out = if inputs.sources.is_empty() {
        Vec::new()
    } else {
        charts(&inputs.sources, rows)
    };
    for c in &inputs.clusters {
        out.extend(crate::report::cluster_charts::charts(&c.label, &c.file));
    }
    out
}

/// The tables on stdout and where each output went (on stderr when stdout carries one).
fn print_report(args: &ReportArgs, blocks: &[Block]) -> AppResult<()> {
    let outputs = [
        ("Markdown", &args.markdown),
        ("HTML", &args.html),
        ("CSV", &args.csv),
    ];
    if outputs
        .iter()
        .any(|(_, p)| p.as_deref().is_some_and(is_stdout))
    {
        // stdout carries that output; where the others went is said on stderr.
        for (what, p) in outputs {
            if let Some(p) = p.as_deref().filter(|p| !is_stdout(p)) {
                crate::say!("{what} written to {}", p.display());
            }
        }
        return Ok(());
    }
    let width = stdout_width();
    let mut text = String::new();
    for b in blocks {
        text += &terminal(b, width);
        text.push('\n');
    }
    for (what, p) in outputs {
        if let Some(p) = p {
            text += &format!("{what} written to {}\n", p.display());
        }
    }
    print_text(&text)
}
