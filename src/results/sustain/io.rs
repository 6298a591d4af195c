//! Reading and writing sustain files, with the checks and errors of results files (`results::io`):
//! a regular file of bounded size, JSON, the right schema, every field and value checked, the
//! file named in every error; written atomically, and only what a reader would accept.
//! `load_any` tells a bench's results from a sustain file by its schema.

use std::path::Path;

use crate::files::FileError;
use crate::results::io::{ResultsError, MAX_BYTES};
use crate::results::{Results, SCHEMA_ID};

use super::{SustainResults, SUSTAIN_SCHEMA_ID};

/// A file flopmeter reads: a bench's results or a sustain run's series.
#[derive(Debug)]
pub enum AnyResults {
    Bench(Box<Results>),
    Sustain(Box<SustainResults>),
}

/// The schema a document says it has, if it says one.
fn schema_of(text: &str, path: &Path) -> Result<(serde_json::Value, Option<String>), ResultsError> {
    if text.trim().is_empty() {
        return Err(ResultsError::Empty {
            path: path.to_path_buf(),
        });
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ResultsError::NotJson {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    let schema = value
        .get("schema")
        .and_then(|s| s.as_str())
        .map(str::to_string);
    Ok((value, schema))
}

/// Reads a results file or a sustain file, whichever its schema says.
pub fn load_any(path: &Path) -> Result<AnyResults, ResultsError> {
    let text = crate::files::read_text(path, MAX_BYTES)?;
    let (value, schema) = schema_of(&text, path)?;
    match schema.as_deref() {
        Some(SUSTAIN_SCHEMA_ID) => {
            from_value(value, path).map(|d| AnyResults::Sustain(Box::new(d)))
        }
        _ => crate::results::parse(&text, path).map(|d| AnyResults::Bench(Box::new(d))),
    }
}

/// Reads and checks a sustain file.
pub fn load(path: &Path) -> Result<SustainResults, ResultsError> {
    let text = crate::files::read_text(path, MAX_BYTES)?;
    parse(&text, path)
}

/// Checks a sustain document read from `path` (used for the messages only).
pub fn parse(text: &str, path: &Path) -> Result<SustainResults, ResultsError> {
    let (value, schema) = schema_of(text, path)?;
    match schema.as_deref() {
        None => Err(ResultsError::NoSchema {
            path: path.to_path_buf(),
        }),
        Some(SUSTAIN_SCHEMA_ID) => from_value(value, path),
        Some(other) => Err(ResultsError::BadValue {
            path: path.to_path_buf(),
            detail: format!(
                "schema \"{other}\" is not a sustain file's (\"{SUSTAIN_SCHEMA_ID}\"){}",
                if other == SCHEMA_ID {
                    ": it holds a bench's results"
                } else {
                    ""
                }
            ),
        }),
    }
}

fn from_value(value: serde_json::Value, path: &Path) -> Result<SustainResults, ResultsError> {
    let doc: SustainResults =
        serde_json::from_value(value).map_err(|e| ResultsError::BadField {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    super::validate::validate(&doc).map_err(|detail| ResultsError::BadValue {
        path: path.to_path_buf(),
        detail,
    })?;
    Ok(doc)
}

/// Writes `doc` to `path` atomically; what the loader would refuse is not written.
pub fn write_atomic(path: &Path, doc: &SustainResults) -> Result<(), ResultsError> {
    super::validate::validate(doc).map_err(|detail| ResultsError::BadValue {
        path: path.to_path_buf(),
        detail,
    })?;
    let json = serde_json::to_string_pretty(doc).map_err(|e| FileError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(crate::files::write_atomic(path, &(json + "\n"))?)
}
