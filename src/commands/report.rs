//! `flopmeter report FILE... [--markdown FILE] [--html FILE] [--json]`.

use serde::Serialize;

use crate::cli::ReportArgs;
use crate::error::{AppError, AppResult};
use crate::output::print_json;
use crate::report::html::{charts, page};
use crate::report::summary::{comparisons, rows, Comparison, Row, Source};
use crate::report::tables::{
    collectives_table, comparison_table, kernels_table, markdown, results_table, stragglers_table,
    terminal,
};
use crate::results::{self, write_text_atomic};

/// `report --json`: the files, one row per device, dtype and kernel, and the comparisons across
/// files.
#[derive(Debug, Serialize)]
struct ReportJson<'a> {
    files: &'a [String],
    rows: &'a [Row],
    comparisons: &'a [Comparison],
}

pub fn run(args: &ReportArgs, json: bool) -> AppResult<()> {
    // Check outputs before reading anything, so a typo costs nothing.
    for out in [&args.markdown, &args.html].into_iter().flatten() {
        results::check_writable(out)?;
    }
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
    // Two files with one stem would be indistinguishable in tables: add their parent folder.
    let labels: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    for (i, s) in sources.iter_mut().enumerate() {
        if labels.iter().filter(|l| **l == labels[i]).count() > 1 {
            s.label = s.path.display().to_string();
        }
    }
    let files: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    let rows = rows(&sources);
    let comps = comparisons(&rows, &files);
    let mut tables = vec![results_table(&rows), kernels_table(&rows)];
    if !comps.is_empty() {
        tables.push(comparison_table(&comps, &files));
    }
    tables.extend(stragglers_table(&sources));
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
