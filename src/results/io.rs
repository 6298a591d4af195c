//! Writing results atomically and loading them with errors that name the file and the problem.

use std::path::{Path, PathBuf};

use crate::files::{FileError, ReadError};

use super::types::{Results, SCHEMA_ID};

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path} is empty: not a flopmeter results file")]
    Empty { path: PathBuf },
    #[error("{path} is not JSON: {detail}")]
    NotJson { path: PathBuf, detail: String },
    #[error("{path} is not a flopmeter results file (no \"schema\" field)")]
    NoSchema { path: PathBuf },
    #[error(
        "{path} has schema \"{found}\"; this flopmeter reads \"{SCHEMA_ID}\" and \"{}\"",
        super::cluster::CLUSTER_SCHEMA_ID
    )]
    WrongVersion { path: PathBuf, found: String },
    #[error(
        "{path} holds a sustained run (schema \"{found}\"): `report` and `merge` read it; this \
         command reads a bench's results (\"{SCHEMA_ID}\")"
    )]
    SustainFile { path: PathBuf, found: String },
    #[error("{path} is a flopmeter results file with a bad or missing field: {detail}")]
    BadField { path: PathBuf, detail: String },
    #[error("{path}: {detail}")]
    BadValue { path: PathBuf, detail: String },
    #[error(transparent)]
    File(#[from] FileError),
}

/// The largest results file read: a bench of 10000 shapes (the most `--m/--n/--k` make) with
/// 1000 samples each is about 220 MB.
pub const MAX_BYTES: u64 = 256 << 20;

/// A document flopmeter reads: a results file, or a cluster file made by `merge`.
#[derive(Debug)]
pub enum Document {
    Results(Box<Results>),
    Cluster(Box<super::cluster::ClusterFile>),
}

/// Reads and checks a results file or a cluster file, whichever `path` holds (each with its
/// own size cap).
pub fn load_any(path: &Path) -> Result<Document, ResultsError> {
    let text = crate::files::read_text(path, super::cluster::MAX_BYTES)?;
    if super::cluster::is_cluster_file(&text) {
        return Ok(Document::Cluster(Box::new(super::cluster::parse(
            &text, path,
        )?)));
    }
    if text.len() as u64 > MAX_BYTES {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap: MAX_BYTES,
        }
        .into());
    }
    Ok(Document::Results(Box::new(parse(&text, path)?)))
}

/// Reads and checks a results file: a regular file of at most `MAX_BYTES`.
pub fn load(path: &Path) -> Result<Results, ResultsError> {
    let text = crate::files::read_text(path, MAX_BYTES)?;
    parse(&text, path)
}

/// Checks a results document read from `path` (used for the message only).
pub fn parse(text: &str, path: &Path) -> Result<Results, ResultsError> {
    let path = path.to_path_buf();
    if text.trim().is_empty() {
        return Err(ResultsError::Empty { path });
    }
    // One pass in the common case (a merge reads thousands of files); a document that does not
    // deserialize is read again as JSON to say what is wrong with it.
    let mut doc = match serde_json::from_str::<Results>(text) {
        Ok(doc) if doc.schema == SCHEMA_ID => doc,
        Ok(doc) => return Err(wrong_schema(path, doc.schema)),
        Err(_) => return Err(diagnose(text, path)),
    };
    super::validate::validate(&doc).map_err(|detail| ResultsError::BadValue { path, detail })?;
    super::validate::recompute(&mut doc);
    Ok(doc)
}

/// A document of another schema: a sustained run's is named as such.
fn wrong_schema(path: PathBuf, found: String) -> ResultsError {
    if found == super::sustain::SUSTAIN_SCHEMA_ID {
        ResultsError::SustainFile { path, found }
    } else {
        ResultsError::WrongVersion { path, found }
    }
}

/// What is wrong with a document that does not deserialize as results.
fn diagnose(text: &str, path: PathBuf) -> ResultsError {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return ResultsError::NotJson {
                path,
                detail: e.to_string(),
            }
        }
    };
    match value.get("schema").and_then(|s| s.as_str()) {
        None => ResultsError::NoSchema { path },
        Some(s) if s != SCHEMA_ID => wrong_schema(path, s.to_string()),
        Some(_) => match serde_path_to_error(value) {
            Err(detail) => ResultsError::BadField { path, detail },
            Ok(_) => ResultsError::BadField {
                path,
                detail: "does not deserialize".into(),
            },
        },
    }
}

/// Deserializes, naming the JSON path of the first bad field.
fn serde_path_to_error(value: serde_json::Value) -> Result<Results, String> {
    serde_json::from_value::<Results>(value.clone()).map_err(|e| {
        // serde_json's message names the field ("missing field `runs`"); add where it is.
        let mut msg = e.to_string();
        if let Some(hint) = locate_missing(&value, &msg) {
            msg.push_str(&format!(" (in {hint})"));
        }
        msg
    })
}

fn locate_missing(value: &serde_json::Value, msg: &str) -> Option<String> {
    let field = msg.split('`').nth(1)?;
    if value.get(field).is_none() && msg.starts_with("missing field") {
        let top_level = ["tool", "created_at", "host", "settings", "devices", "runs"];
        if top_level.contains(&field) {
            return Some("the top-level object".to_string());
        }
    }
    None
}

/// Writes `results` to `path` atomically (crate::files): an interrupted run never leaves a torn
/// file. What the loader would refuse is not written: the same checks run first.
pub fn write_atomic(path: &Path, results: &Results) -> Result<(), ResultsError> {
    super::validate::validate(results).map_err(|detail| ResultsError::BadValue {
        path: path.to_path_buf(),
        detail,
    })?;
    let json = serde_json::to_string_pretty(results).map_err(|e| FileError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(crate::files::write_atomic(path, &(json + "\n"))?)
}
