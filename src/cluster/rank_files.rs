//! The rank files a cluster file summarises, read back for their samples (`compare`): each is
//! found where the merge read it, or failing that beside the cluster file (a folder moved or
//! copied with it), and must be the same file (its SHA-256).

use std::path::{Path, PathBuf};

use crate::cluster::merge::summary::sha256_hex;
use crate::results::cluster::{ClusterFile, RankRecord};
use crate::results::Results;

/// Where a rank file is now: as recorded, then relative to the cluster file's folder, then by
/// its name in that folder and in the folders below it one level.
fn locate(cluster: &Path, r: &RankRecord) -> Option<PathBuf> {
    let recorded = PathBuf::from(&r.file);
    let folder = cluster.parent().unwrap_or(Path::new("."));
    let name = recorded.file_name()?;
    let mut tries = vec![recorded.clone()];
    if recorded.is_relative() {
        tries.push(folder.join(&recorded));
    }
    tries.push(folder.join(name));
    if let Some(parent) = recorded.parent().and_then(|p| p.file_name()) {
        tries.push(folder.join(parent).join(name));
    }
    tries.into_iter().find(|p| crate::files::is_regular(p))
}

/// Every rank file of `file` (read from `path`), loaded and checked against its hash.
pub fn load_rank_files(path: &Path, file: &ClusterFile) -> Result<Vec<(String, Results)>, String> {
    let mut out = Vec::new();
    for r in &file.ranks {
        let at = locate(path, r).ok_or_else(|| {
            format!(
                "{}: rank file {} is not there any more (nor beside the cluster file): its \
                 samples cannot be read",
                path.display(),
                r.file
            )
        })?;
        let text = crate::files::read_text(&at, crate::results::io::MAX_BYTES)
            .map_err(|e| e.to_string())?;
        if sha256_hex(text.as_bytes()) != r.sha256 {
            return Err(format!(
                "{} is not the file {} merged (its SHA-256 differs): it changed since",
                at.display(),
                path.display()
            ));
        }
        let doc = crate::results::parse(&text, &at).map_err(|e| e.to_string())?;
        out.push((at.display().to_string(), doc));
    }
    Ok(out)
}
