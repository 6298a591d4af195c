//! `flopmeter merge` of sustain files (every rank's `sustain --out-dir` file): one merged
//! sustain file, the outliers across the cluster, and exit 1 for failed devices, missing ranks
//! (unless allowed) and outliers (with `--fail-on-straggler`).

use std::path::PathBuf;

use crate::cli::MergeArgs;
use crate::cluster::merge::Input;
use crate::error::{AppError, AppResult};
use crate::output::{print_json, print_text, stdout_width};
use crate::report::sustain::{blocks, SustainSource};
use crate::report::tables::terminal;
use crate::results::sustain::{io, SustainResults};

/// The sustain files to merge, loaded, when the first input is one (None: a bench merge); a
/// merged file found in a folder, or this merge's own output, is left out with a note.
pub fn inputs(
    args: &MergeArgs,
    files: &[Input],
    skipped: &mut Vec<String>,
) -> AppResult<Option<Vec<(PathBuf, SustainResults)>>> {
    let Some(first) = files.first() else {
        return Ok(None);
    };
    if !io::is_sustain(&first.path)? {
        return Ok(None);
    }
    let mut docs = Vec::new();
    for f in files {
        if f.in_folder && crate::files::same_file(&args.out, &f.path) {
            skipped.push(format!("{}: the output of this merge", f.path.display()));
            continue;
        }
        let doc = io::load(&f.path)?;
        if f.in_folder && doc.cluster.is_some() {
            skipped.push(format!("{}: already a merged file", f.path.display()));
            continue;
        }
        docs.push((f.path.clone(), doc));
    }
    for s in skipped.iter() {
        crate::say!("note: skipped {}", crate::output::clean::line(s));
    }
    Ok(Some(docs))
}

pub fn run(args: &MergeArgs, json: bool, inputs: Vec<(PathBuf, SustainResults)>) -> AppResult<()> {
    let named: Vec<&std::path::Path> = inputs.iter().map(|(p, _)| p.as_path()).collect();
    crate::files::check_output(&args.out, &named).map_err(|e| AppError::usage(e.to_string()))?;
    let merged = crate::sustain::merge::merge(inputs, args.threshold).map_err(AppError::usage)?;
    io::write_atomic(&args.out, &merged)?;
    if json {
        print_json(&merged)?;
    } else {
        print_text(&text(&merged, args, stdout_width()))?;
    }
    verdict(&merged, args)
}

/// What was merged, every device's verdict and the findings (missing ranks among them).
fn text(merged: &SustainResults, args: &MergeArgs, width: Option<usize>) -> String {
    let c = merged.cluster.as_ref().expect("merge sets the cluster");
    let mut s = String::new();
    s += &format!(
        "{} devices on {} host(s), {} rank(s), from {} file(s)\n",
        c.devices,
        c.hosts.len(),
        c.ranks,
        c.files.len()
    );
    let sources = [SustainSource {
        path: args.out.clone(),
        label: String::new(),
        doc: merged.clone(),
    }];
    for b in blocks(&sources) {
        s += &terminal(&b, width);
    }
    if c.outliers.is_empty() {
        s += &format!(
            "No outliers: every device is within {} of the median of the devices run alike.\n",
            crate::output::percent(c.outlier_threshold)
        );
    }
    s += &format!("cluster file written to {}\n", args.out.display());
    s
}

/// Exit 1 for failed devices, missing ranks (unless allowed), outliers when asked.
fn verdict(merged: &SustainResults, args: &MergeArgs) -> AppResult<()> {
    let c = merged.cluster.as_ref().expect("merge sets the cluster");
    if !c.failed.is_empty() {
        return Err(AppError::failed(format!(
            "{} device(s) failed: {}",
            c.failed.len(),
            c.failed.join(", ")
        )));
    }
    if !c.missing_ranks.is_empty() && !args.allow_dead_ranks {
        return Err(AppError::failed(format!(
            "{} rank(s) brought no file (listed above and in {}); --allow-dead-ranks accepts that",
            c.missing_ranks.len(),
            args.out.display()
        )));
    }
    if args.fail_on_straggler && !c.outliers.is_empty() {
        return Err(AppError::failed(format!(
            "{} outlier(s): {}",
            c.outliers.len(),
            c.outliers.join(", ")
        )));
    }
    Ok(())
}
