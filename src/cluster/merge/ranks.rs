//! Which ranks of a job are there, and which brought nothing: each rank file records its place
//! in the job (launcher, rank, world size, job id). A rank of the world with no file (killed
//! before its first save: the common case), a file with no verified result, and a file whose
//! results of one dtype all failed are dead for the merge; two files claiming one rank are an
//! error, and say whether they come from different jobs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::dtype::Dtype;
use crate::results::best::is_verified;
use crate::results::{DeadRank, Results, VerificationStatus};

/// A launcher's job: its id where it has one (SLURM_JOB_ID), else the launcher's name.
fn job_of(r: &Results) -> Option<(String, u32)> {
    let l = r.host.launcher.as_ref()?;
    let job = l.job_id.clone().unwrap_or_else(|| l.launcher.to_string());
    Some((job, l.world_size))
}

/// Refuses two files claiming one rank: from different jobs, or the same rank twice.
pub fn check_claims(inputs: &[(PathBuf, Results)]) -> Result<(), String> {
    let mut claimed: BTreeMap<u32, (&Path, Option<String>)> = BTreeMap::new();
    for (path, r) in inputs {
        let Some(rank) = r.host.rank else { continue };
        let job = job_of(r).map(|(j, _)| j);
        if let Some((first, first_job)) = claimed.get(&rank) {
            let why = match (first_job, &job) {
                (Some(a), Some(b)) if a != b => {
                    format!("both claim rank {rank}, of different jobs ({a} and {b})")
                }
                _ => format!(
                    "both are rank {rank}: device ids of this rank are already in another file \
                     (the same rank merged twice?)"
                ),
            };
            return Err(format!("{} and {}: {why}", first.display(), path.display()));
        }
        claimed.insert(rank, (path.as_path(), job));
    }
    Ok(())
}

/// Each job's ranks with no file: the world size each file records, less the ranks present.
/// Files of one job that disagree on its world size are an error.
pub fn missing(inputs: &[(PathBuf, Results)]) -> Result<Vec<u32>, String> {
    let mut worlds: BTreeMap<String, (u32, &Path, BTreeSet<u32>)> = BTreeMap::new();
    for (path, r) in inputs {
        let (Some((job, size)), Some(rank)) = (job_of(r), r.host.rank) else {
            continue;
        };
        let entry = worlds
            .entry(job.clone())
            .or_insert_with(|| (size, path.as_path(), BTreeSet::new()));
        if entry.0 != size {
            return Err(format!(
                "{} and {} are ranks of job {job} but record world sizes {} and {size}",
                entry.1.display(),
                path.display(),
                entry.0
            ));
        }
        entry.2.insert(rank);
    }
    Ok(worlds
        .values()
        .flat_map(|(size, _, present)| (0..*size).filter(|r| !present.contains(r)))
        .collect())
}

fn dead(path: &Path, r: &Results, dtype: Option<Dtype>, runs: usize, failed: usize) -> DeadRank {
    let reason = match (dtype, runs, failed, r.interrupted) {
        (None, 0, _, true) => "interrupted before its first result".to_string(),
        (None, 0, _, false) => "no result at all".to_string(),
        (None, n, f, _) if f == n => format!("every result ({n}) failed verification"),
        (None, n, f, _) => format!("none of its {n} results was verified ({f} failed)"),
        (Some(d), n, f, _) if f == n => format!("every {d} result ({n}) failed verification"),
        (Some(d), n, f, _) => format!("none of its {n} {d} results was verified ({f} failed)"),
    };
    DeadRank {
        file: path.display().to_string(),
        host: r.host.hostname.clone(),
        rank: r.host.rank,
        dtype,
        runs,
        failed_verification: failed,
        reason,
    }
}

fn failed(runs: &[&crate::results::Run]) -> usize {
    runs.iter()
        .filter(|x| x.verification.status == VerificationStatus::Failed)
        .count()
}

/// A file that brought no verified result; or, for a file that did, each dtype it measured
/// without a verified result (a failed rank for that dtype, not silently left out of it).
pub fn dead_ranks(path: &Path, r: &Results) -> Vec<DeadRank> {
    let all: Vec<_> = r.runs.iter().collect();
    if !all.iter().any(|x| is_verified(x)) {
        return vec![dead(path, r, None, all.len(), failed(&all))];
    }
    let dtypes: BTreeSet<Dtype> = r.runs.iter().map(|x| x.dtype).collect();
    dtypes
        .into_iter()
        .filter_map(|d| {
            let of: Vec<_> = r.runs.iter().filter(|x| x.dtype == d).collect();
            (!of.iter().any(|x| is_verified(x)))
                .then(|| dead(path, r, Some(d), of.len(), failed(&of)))
        })
        .collect()
}
