//! `flopmeter report FILE... [--markdown FILE] [--html FILE] [--json]`.

use serde::Serialize;

use crate::cli::ReportArgs;
use crate::error::{AppError, AppResult};
use crate::files::write_atomic as write_text_atomic;
use crate::output::print_json;
use crate::report::html::{charts, page};
use crate::report::summary::{comparisons, rows, verdicts, Comparison, FileVerdict, Row, Source};
use crate::report::tables::{
    collectives_table, comparison_table, energy_table, kernels_table, markdown, results_table,
    stragglers_table, terminal, verdicts_table, Table,
};
use crate::results;

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

/// The files, loaded and labelled (two files with one stem get their full path).
fn load_sources(args: &ReportArgs) -> AppResult<Vec<Source>> {
    let mut sources = Vec::new();
    for path in &args.files {
        let r = results::load(path)?;
        if r.runs.is_empty() {
            return Err(AppError::usage(format!(
                "{} holds no results",
                path.display()
            )));
        }
        sources.push(Source::new(path, r));
    }
    let labels: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    for (i, s) in sources.iter_mut().enumerate() {
        if labels.iter().filter(|l| **l == labels[i]).count() > 1 {
            s.label = s.path.display().to_string();
        }
    }
    Ok(sources)
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

pub fn run(args: &ReportArgs, json: bool) -> AppResult<()> {
    // Check outputs before reading anything, so a typo costs nothing.
    let inputs: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    for out in [&args.markdown, &args.html].into_iter().flatten() {
        crate::files::check_output(out, &inputs).map_err(|e| AppError::usage(e.to_string()))?;
    }
    let outputs: Vec<&std::path::Path> = [&args.markdown, &args.html]
        .into_iter()
        .flatten()
        .map(|p| p.as_path())
        .collect();
    crate::files::check_distinct(&outputs).map_err(|e| AppError::usage(e.to_string()))?;
    let sources = load_sources(args)?;
    let files: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    let rows = rows(&sources);
    let comps = comparisons(&rows, &files);
    let verdicts = verdicts(&sources);
    let cluster_wide = cluster_wide(&sources, &verdicts);
    let mut tables = vec![results_table(&rows), kernels_table(&rows)];
    if !comps.is_empty() {
        tables.push(comparison_table(&comps, &files));
    }
    tables.extend(verdicts_table(&verdicts));
    tables.extend(energy_table(&rows));
    tables.extend(stragglers_table(&sources));
    if !cluster_wide.is_empty() {
        tables.push(Table {
            title: "Cluster-wide problems".into(),
            headers: vec!["problem".into()],
            numeric: vec![false],
            rows: cluster_wide.iter().map(|l| vec![l.clone()]).collect(),
        });
    }
    tables.extend(collectives_table(&sources));
    if let Some(path) = &args.markdown {
        let text: String = tables.iter().map(markdown).collect();
        write_text_atomic(path, &text)?;
    }
    if let Some(path) = &args.html {
        let charts = charts(&sources, &rows);
        write_text_atomic(path, &page(&sources, &tables, &charts))?;
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
    for t in &tables {
        println!("{}", terminal(t));
    }
    for (what, p) in [("Markdown", &args.markdown), ("HTML", &args.html)] {
        if let Some(p) = p {
            println!("{what} written to {}", p.display());
        }
    }
    Ok(())
}
