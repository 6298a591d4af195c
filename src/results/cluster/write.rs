//! Writing a cluster file as the merge goes: the head, then each rank on a line of its own as it
//! is merged (checked first, as the loader would), then the settings and what the cluster makes
//! of its ranks. The document is one JSON object whatever its size; nothing of it is kept in
//! memory, and until `finish` commits it nothing is in place (a failed merge leaves no file).

use std::path::Path;

use serde::Serialize;

use super::{ClusterPart, RankRecord, CLUSTER_SCHEMA_ID};
use crate::files::{AtomicFile, FileError};
use crate::results::types::{Settings, Straggler, Tool};
use crate::results::ResultsError;

#[derive(Serialize)]
struct Head<'a> {
    schema: &'a str,
    tool: &'a Tool,
    created_at: &'a str,
    with_samples: bool,
}

#[derive(Serialize)]
struct Tail<'a> {
    settings: &'a [Settings],
    cluster: &'a ClusterPart,
    stragglers: &'a [Straggler],
    notes: &'a [String],
}

/// A cluster file being written.
pub struct ClusterWriter {
    file: AtomicFile,
    path: std::path::PathBuf,
    ranks: usize,
    with_samples: bool,
}

/// The object's fields without its braces, to splice into the document.
fn fields(v: &impl Serialize) -> String {
    let s = serde_json::to_string(v).expect("cluster file parts always serialize");
    s[1..s.len() - 1].to_string()
}

impl ClusterWriter {
    /// Starts the file (a temporary beside `path` until `finish`).
    pub fn create(path: &Path, with_samples: bool) -> Result<ClusterWriter, FileError> {
        let mut file = AtomicFile::create(path)?;
        let head = Head {
            schema: CLUSTER_SCHEMA_ID,
            tool: &crate::results::env::tool(),
            created_at: &crate::results::env::now_rfc3339(),
            with_samples,
        };
        file.write(format!("{{{},\n\"ranks\": [", fields(&head)).as_bytes())?;
        Ok(ClusterWriter {
            file,
            path: path.to_path_buf(),
            ranks: 0,
            with_samples,
        })
    }

    /// Adds one rank, on a line of its own, once it passes the loader's checks (`settings`: how
    /// many settings the file will list).
    pub fn rank(&mut self, r: &RankRecord, settings: usize) -> Result<(), ResultsError> {
        super::check_rank(self.ranks, r, settings, self.with_samples).map_err(|detail| {
            ResultsError::BadValue {
                path: self.path.clone(),
                detail,
            }
        })?;
        let sep = if self.ranks == 0 { "\n" } else { ",\n" };
        let line = serde_json::to_string(r).expect("a rank record always serializes");
        self.file.write(sep.as_bytes())?;
        self.file.write(line.as_bytes())?;
        self.ranks += 1;
        Ok(())
    }

    /// Ends the document; the file is not in place until the returned file is committed (after
    /// the caller has read it back).
    pub fn finish(
        mut self,
        settings: &[Settings],
        cluster: &ClusterPart,
        stragglers: &[Straggler],
        notes: &[String],
    ) -> Result<AtomicFile, FileError> {
        let tail = Tail {
            settings,
            cluster,
            stragglers,
            notes,
        };
        self.file
            .write(format!("\n],\n{}\n}}\n", fields(&tail)).as_bytes())?;
        Ok(self.file)
    }
}
