//! Reading and writing sustain files, with the checks and errors of results files (`results::io`):
//! a regular file of bounded size, JSON, the right schema, every field and value checked, the
//! file named in every error; written atomically, and only what a reader would accept.
//! `is_sustain` tells a sustain file from the others by its schema.

use std::path::Path;

use crate::files::FileError;
use crate::results::io::{ResultsError, MAX_BYTES};
use crate::results::SCHEMA_ID;

use super::{SustainResults, SUSTAIN_SCHEMA_ID};

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

/// True when the file is a sustain file (its schema says so); the file is read, not checked.
pub fn is_sustain(path: &Path) -> Result<bool, ResultsError> {
    /// Only the schema is kept; the rest is skipped as it is parsed.
    #[derive(serde::Deserialize)]
    struct Head {
        schema: Option<String>,
    }
    let text = crate::files::read_text(path, MAX_BYTES)?;
    Ok(serde_json::from_str::<Head>(&text)
        .ok()
        .and_then(|h| h.schema)
        .is_some_and(|s| s == SUSTAIN_SCHEMA_ID))
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
