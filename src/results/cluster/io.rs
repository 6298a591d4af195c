//! Loading a cluster file: the same checks as a results file (a regular file of bounded size,
//! the schema version, every field typed and every value in range), then what the file derives
//! from its ranks (the distributions) recomputed.

use std::path::Path;

use serde::Deserialize;

use super::{ClusterFile, CLUSTER_SCHEMA_ID};
use crate::results::ResultsError;

/// The largest cluster file read: 100,000 ranks of 28 jobs at about 400 bytes a job is about
/// 1.1 GB; twice that leaves room for notes and telemetry.
pub const MAX_BYTES: u64 = 2 << 30;

/// Only the schema field of a document, whatever else it holds.
#[derive(Deserialize)]
struct Head {
    schema: Option<String>,
}

/// Whether `text` is a cluster file (its schema says so), without reading it into types.
pub fn is_cluster_file(text: &str) -> bool {
    serde_json::from_str::<Head>(text)
        .ok()
        .and_then(|h| h.schema)
        .is_some_and(|s| s == CLUSTER_SCHEMA_ID)
}

/// Reads and checks a cluster file.
pub fn load(path: &Path) -> Result<ClusterFile, ResultsError> {
    let text = crate::files::read_text(path, MAX_BYTES)?;
    parse(&text, path)
}

/// Checks a cluster document read from `path` (used for messages only).
pub fn parse(text: &str, path: &Path) -> Result<ClusterFile, ResultsError> {
    let path = path.to_path_buf();
    if text.trim().is_empty() {
        return Err(ResultsError::Empty { path });
    }
    let head: Head = serde_json::from_str(text).map_err(|e| ResultsError::NotJson {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    match head.schema {
        None => return Err(ResultsError::NoSchema { path }),
        Some(s) if s != CLUSTER_SCHEMA_ID => {
            return Err(ResultsError::WrongVersion { path, found: s })
        }
        Some(_) => {}
    }
    let mut doc: ClusterFile = serde_json::from_str(text).map_err(|e| ResultsError::BadField {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    super::validate(&doc).map_err(|detail| ResultsError::BadValue { path, detail })?;
    doc.cluster.distributions = super::distributions(&doc);
    Ok(doc)
}
