//! Which ranks of a job are there, and which brought nothing: each rank file records its place
//! in the job (launcher, rank, world size, job id). A rank of the world with no file (killed
//! before its first save: the common case), a file with no verified result, and a file whose
//! results of one dtype all failed are dead for the merge; two files claiming one rank are an
//! error, and say whether they come from different jobs. Checked one rank at a time, keeping
//! only the rank numbers.

use std::collections::{BTreeMap, BTreeSet};

use crate::dtype::Dtype;
use crate::results::cluster::{JobSummary, RankRecord};
use crate::results::{DeadRank, VerificationStatus};

/// A launcher's job: its id where it has one (SLURM_JOB_ID), else the launcher's name.
fn job_of(r: &RankRecord) -> Option<(String, u32)> {
    let l = r.launcher.as_ref()?;
    let job = l.job_id.clone().unwrap_or_else(|| l.launcher.to_string());
    Some((job, l.world_size))
}

struct World {
    size: u32,
    first: String,
    present: BTreeSet<u32>,
}

/// The ranks claimed so far, and each job's world.
#[derive(Default)]
pub struct Ranks {
    claimed: BTreeMap<u32, (String, Option<String>)>,
    worlds: BTreeMap<String, World>,
}

impl Ranks {
    /// Refuses a rank claimed before (from another job, or the same rank twice), and a world
    /// size other than the one its job's first file recorded.
    pub fn claim(&mut self, r: &RankRecord) -> Result<(), String> {
        let Some(rank) = r.rank else { return Ok(()) };
        let job = job_of(r);
        if let Some((first, first_job)) = self.claimed.get(&rank) {
            let why = match (first_job, &job) {
                (Some(a), Some((b, _))) if a != b => {
                    format!("both claim rank {rank}, of different jobs ({a} and {b})")
                }
                _ => format!(
                    "both are rank {rank}: device ids of this rank are already in another file \
                     (the same rank merged twice?)"
                ),
            };
            return Err(format!("{first} and {}: {why}", r.file));
        }
        if let Some((id, size)) = &job {
            let w = self.worlds.entry(id.clone()).or_insert_with(|| World {
                size: *size,
                first: r.file.clone(),
                present: BTreeSet::new(),
            });
            if w.size != *size {
                return Err(format!(
                    "{} and {} are ranks of job {id} but record world sizes {} and {size}",
                    w.first, r.file, w.size
                ));
            }
            w.present.insert(rank);
        }
        self.claimed
            .insert(rank, (r.file.clone(), job.map(|(j, _)| j)));
        Ok(())
    }

    /// Each job's ranks with no file: the world size its files record, less the ranks present.
    pub fn missing(&self) -> Vec<u32> {
        self.worlds
            .values()
            .flat_map(|w| (0..w.size).filter(|r| !w.present.contains(r)))
            .collect()
    }
}

fn dead(r: &RankRecord, dtype: Option<Dtype>, runs: usize, failed: usize) -> DeadRank {
    let reason = match (dtype, runs, failed, r.interrupted) {
        (None, 0, _, true) => "interrupted before its first result".to_string(),
        (None, 0, _, false) => "no result at all".to_string(),
        (None, n, f, _) if f == n => format!("every result ({n}) failed verification"),
        (None, n, f, _) => format!("none of its {n} results was verified ({f} failed)"),
        (Some(d), n, f, _) if f == n => format!("every {d} result ({n}) failed verification"),
        (Some(d), n, f, _) => format!("none of its {n} {d} results was verified ({f} failed)"),
    };
    DeadRank {
        file: r.file.clone(),
        host: r.host.clone(),
        rank: r.rank,
        dtype,
        runs,
        failed_verification: failed,
        reason,
    }
}

fn failed(jobs: &[&JobSummary]) -> usize {
    jobs.iter()
        .filter(|j| j.verification == VerificationStatus::Failed)
        .count()
}

/// A rank that brought no verified result; or, for one that did, each dtype it measured without
/// a verified result (a failed rank for that dtype, not silently left out of it).
pub fn dead_ranks(r: &RankRecord) -> Vec<DeadRank> {
    let all: Vec<&JobSummary> = r.jobs.iter().collect();
    if !all.iter().any(|j| j.is_verified()) {
        return vec![dead(r, None, all.len(), failed(&all))];
    }
    let dtypes: BTreeSet<Dtype> = r.jobs.iter().map(|j| j.dtype).collect();
    dtypes
        .into_iter()
        .filter_map(|d| {
            let of: Vec<&JobSummary> = r.jobs.iter().filter(|j| j.dtype == d).collect();
            (!of.iter().any(|j| j.is_verified())).then(|| dead(r, Some(d), of.len(), failed(&of)))
        })
        .collect()
}
