//! The files a merge reads: those named, and in a named folder its `*.json` results files, but
//! never a writer's temporary (hidden, marked `.flopmeter-tmp.`), a hidden file, or anything
//! that is not a regular file (a FIFO named `r.json` would hang the read; a device would be
//! read until memory runs out). Each is loaded and checked (`results::load`, which caps its
//! size); a merged cluster file found in a folder is left out with a note. `read_one` reads one
//! file for the streaming merge and summarises it at once.

use std::path::{Path, PathBuf};

use super::summary::{summarize, Summarized};
use crate::results::cluster::CLUSTER_SCHEMA_ID;
use crate::results::{Results, ResultsError};

/// One file to merge, and whether it was found in a folder (rather than named).
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub in_folder: bool,
}

/// The files to merge, loaded, and what was left out and why.
pub struct Inputs {
    pub docs: Vec<(PathBuf, Results)>,
    pub skipped: Vec<String>,
}

/// Why a folder entry is not a results file to read, if it is not one.
fn not_a_result(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    if !name.ends_with(".json") {
        return Some(String::new());
    }
    if crate::files::is_temporary(&name) {
        return Some("a temporary of a write in progress or killed".into());
    }
    if name.starts_with('.') {
        return Some("a hidden file".into());
    }
    if !crate::files::is_regular(path) {
        return Some("not a regular file".into());
    }
    None
}

/// The `*.json` results files of one folder, sorted, with notes for those left out.
fn folder(dir: &Path, skipped: &mut Vec<String>) -> Result<Vec<Input>, String> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let path = e.path();
        match not_a_result(&path) {
            None => files.push(path),
            Some(why) if !why.is_empty() => skipped.push(format!("{}: {why}", path.display())),
            Some(_) => {}
        }
    }
    if files.is_empty() {
        return Err(format!(
            "folder {} holds no .json results files",
            dir.display()
        ));
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| Input {
            path,
            in_folder: true,
        })
        .collect())
}

/// Files named on the command line; a folder stands for its results files.
pub fn expand(named: &[PathBuf], skipped: &mut Vec<String>) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for p in named {
        if p.is_dir() {
            out.extend(folder(p, skipped)?);
        } else {
            out.push(Input {
                path: p.clone(),
                in_folder: false,
            });
        }
    }
    Ok(out)
}

/// Loads every input. A merged cluster file found in a folder (an earlier merge's output, or
/// the MPI gather's cluster.json beside the rank files) is left out with a note; named
/// explicitly, it is an error (`merge` says so).
pub fn load_inputs(paths: &[PathBuf], output: Option<&Path>) -> Result<Inputs, String> {
    let mut skipped = Vec::new();
    let mut docs = Vec::new();
    for Input { path, in_folder } in expand(paths, &mut skipped)? {
        if in_folder && output.is_some_and(|o| crate::files::same_file(o, &path)) {
            skipped.push(format!("{}: the output of this merge", path.display()));
            continue;
        }
        let r = crate::results::load(&path).map_err(|e| e.to_string())?;
        if in_folder && r.cluster.is_some() {
            skipped.push(format!("{}: already a merged cluster file", path.display()));
            continue;
        }
        docs.push((path, r));
    }
    Ok(Inputs { docs, skipped })
}

/// One input, read: a rank's summary, or why it is left out.
pub enum Read {
    Rank(Box<Summarized>),
    Skipped(String),
}

/// Why a merged file is not merged again: left out with a note in a folder, refused when named.
fn merged_already(input: &Input) -> Result<Read, String> {
    let path = input.path.display();
    if input.in_folder {
        Ok(Read::Skipped(format!(
            "{path}: already a merged cluster file"
        )))
    } else {
        Err(format!("{path} is already a merged cluster file"))
    }
}

/// Reads, checks and summarises one input (the output of this merge, found in a folder, is
/// left out).
pub fn read_one(input: &Input, output: Option<&Path>, with_samples: bool) -> Result<Read, String> {
    let path = &input.path;
    if input.in_folder && output.is_some_and(|o| crate::files::same_file(o, path)) {
        return Ok(Read::Skipped(format!(
            "{}: the output of this merge",
            path.display()
        )));
    }
    let text =
        crate::files::read_text(path, crate::results::io::MAX_BYTES).map_err(|e| e.to_string())?;
    let r = match crate::results::parse(&text, path) {
        Ok(r) => r,
        Err(ResultsError::WrongVersion { found, .. }) if found == CLUSTER_SCHEMA_ID => {
            return merged_already(input)
        }
        Err(e) => return Err(e.to_string()),
    };
    if r.cluster.is_some() {
        return merged_already(input);
    }
    let file = path.display().to_string();
    Ok(Read::Rank(Box::new(summarize(
        &file,
        text.as_bytes(),
        &r,
        with_samples,
    ))))
}
