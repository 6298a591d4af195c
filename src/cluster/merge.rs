//! Merging per-rank (or per-node) results into one cluster file: per-GPU results, per-node and
//! cluster aggregates per dtype, and the stragglers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::dtype::Dtype;
use crate::measure::stats::quantile;
use crate::results::best::{best_per_device, is_verified};
use crate::results::{
    Aggregate, ClusterSummary, DeadRank, DeviceRecord, DtypeAggregate, NodeAggregate, Results,
    Straggler, VerificationStatus, SCHEMA_ID,
};

/// Files named on the command line; a folder stands for the *.json files in it. Each comes
/// with whether it was found in a folder.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, String> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("cannot read folder {}: {e}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!(
                    "folder {} holds no .json results files",
                    p.display()
                ));
            }
            out.extend(files.into_iter().map(|f| (f, true)));
        } else {
            out.push((p.clone(), false));
        }
    }
    Ok(out)
}

/// The files to merge, loaded. A merged cluster file found in a folder (an earlier merge's
/// output, or the MPI gather's cluster.json beside the rank files) is left out with a note;
/// named explicitly, it is an error.
pub struct Inputs {
    pub docs: Vec<(PathBuf, Results)>,
    pub skipped: Vec<String>,
}

pub fn load_inputs(paths: &[PathBuf], output: Option<&Path>) -> Result<Inputs, String> {
    let mut docs = Vec::new();
    let mut skipped = Vec::new();
    for (p, in_folder) in expand(paths)? {
        if output.is_some_and(|o| crate::files::same_file(o, &p)) && in_folder {
            skipped.push(format!("{}: the output of this merge", p.display()));
            continue;
        }
        let r = crate::results::load(&p).map_err(|e| e.to_string())?;
        if in_folder && r.cluster.is_some() {
            skipped.push(format!("{}: already a merged cluster file", p.display()));
            continue;
        }
        docs.push((p, r));
    }
    Ok(Inputs { docs, skipped })
}

/// A file that brought no verified result, and why.
fn dead_rank(path: &Path, r: &Results) -> Option<DeadRank> {
    let failed = r
        .runs
        .iter()
        .filter(|x| x.verification.status == VerificationStatus::Failed)
        .count();
    if r.runs.iter().any(is_verified) {
        return None;
    }
    let reason = match (r.runs.len(), failed, r.interrupted) {
        (0, _, true) => "interrupted before its first result".to_string(),
        (0, _, false) => "no result at all".to_string(),
        (n, f, _) if f == n => format!("every result ({n}) failed verification"),
        (n, f, _) => format!("none of its {n} results was verified ({f} failed)"),
    };
    Some(DeadRank {
        file: path.display().to_string(),
        host: r.host.hostname.clone(),
        rank: r.host.rank,
        runs: r.runs.len(),
        failed_verification: failed,
        reason,
    })
}

fn aggregate(values: &[f64]) -> Aggregate {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Aggregate {
        count: v.len(),
        sum_tflops: v.iter().sum(),
        median_tflops: quantile(&v, 0.5),
        min_tflops: v.first().copied().unwrap_or(f64::NAN),
        max_tflops: v.last().copied().unwrap_or(f64::NAN),
    }
}

/// The straggler threshold `merge` and the MPI gather use unless told otherwise.
pub const DEFAULT_STRAGGLER_THRESHOLD: f64 = 0.05;

/// One device's best verified median TFLOP/s for one dtype, with where it ran.
struct Best<'a> {
    device: &'a DeviceRecord,
    host: &'a str,
    dtype: Dtype,
    tflops: f64,
}

fn bests(merged: &Results) -> Vec<Best<'_>> {
    best_per_device(merged)
        .into_iter()
        .map(|b| Best {
            device: b.device,
            host: b.device.host.as_deref().unwrap_or_default(),
            dtype: b.dtype,
            tflops: b.run.tflops.median,
        })
        .collect()
}

/// An empty cluster document carrying the first file's host and settings.
fn empty_like(first: &Results) -> Results {
    Results {
        schema: SCHEMA_ID.into(),
        tool: crate::results::env::tool(),
        created_at: crate::results::env::now_rfc3339(),
        host: first.host.clone(),
        settings: first.settings.clone(),
        devices: Vec::new(),
        runs: Vec::new(),
        interrupted: false,
        notes: Vec::new(),
        collectives: Vec::new(),
        cluster: None,
        model: None,
        verdicts: Vec::new(),
        stragglers: None,
    }
}

/// Adds one file's devices and runs, their ids prefixed with host (and rank).
fn add_file(
    merged: &mut Results,
    seen: &mut BTreeSet<String>,
    path: &Path,
    r: &Results,
) -> Result<(), String> {
    if r.cluster.is_some() {
        return Err(format!(
            "{} is already a merged cluster file",
            path.display()
        ));
    }
    let mut own = BTreeSet::new();
    let host = r.host.hostname.clone();
    let rank = r.host.rank;
    let prefix = match rank {
        Some(k) => format!("{host}/rank{k}"),
        None => host.clone(),
    };
    for d in &r.devices {
        let id = format!("{prefix}/{}", d.id);
        if !own.insert(id.clone()) {
            return Err(format!(
                "{}: device {} appears twice in this file",
                path.display(),
                d.id
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(format!(
                "{}: device {id} is already in another file (the same rank merged twice?)",
                path.display()
            ));
        }
        let mut d = d.clone();
        d.id = id;
        d.host = Some(host.clone());
        d.rank = rank;
        merged.devices.push(d);
    }
    for run in &r.runs {
        let mut run = run.clone();
        run.device = format!("{prefix}/{}", run.device);
        run.host = Some(host.clone());
        run.rank = rank;
        merged.runs.push(run);
    }
    merged.interrupted |= r.interrupted;
    merged
        .notes
        .extend(r.notes.iter().map(|n| format!("{prefix}: {n}")));
    merged.collectives.extend(r.collectives.iter().cloned());
    Ok(())
}

/// One dtype's cluster and per-node aggregates, and its stragglers.
fn aggregate_dtype(
    of: &[&Best],
    dtype: Dtype,
    hosts: &[String],
    threshold: f64,
) -> (DtypeAggregate, Vec<Straggler>) {
    let all: Vec<f64> = of.iter().map(|b| b.tflops).collect();
    let cluster = aggregate(&all);
    let nodes = hosts
        .iter()
        .filter_map(|h| {
            let v: Vec<f64> = of
                .iter()
                .filter(|b| b.host == h)
                .map(|b| b.tflops)
                .collect();
            (!v.is_empty()).then(|| NodeAggregate {
                host: h.clone(),
                aggregate: aggregate(&v),
            })
        })
        .collect();
    let stragglers = of
        .iter()
        .filter_map(|b| {
            let shortfall = 1.0 - b.tflops / cluster.median_tflops;
            (shortfall >= threshold).then(|| Straggler {
                host: b.host.to_string(),
                rank: b.device.rank,
                device: b.device.id.clone(),
                device_name: b.device.name.clone(),
                dtype,
                tflops: b.tflops,
                cluster_median_tflops: cluster.median_tflops,
                shortfall,
            })
        })
        .collect();
    (
        DtypeAggregate {
            dtype,
            cluster,
            nodes,
        },
        stragglers,
    )
}

/// Merges the documents (already loaded, with their paths) into one cluster document.
pub fn merge(inputs: Vec<(PathBuf, Results)>, threshold: f64) -> Result<Results, String> {
    let Some((_, first)) = inputs.first() else {
        return Err("nothing to merge: give results files or a folder of them".into());
    };
    let mut merged = empty_like(first);
    let mut seen = BTreeSet::new();
    for (path, r) in &inputs {
        add_file(&mut merged, &mut seen, path, r)?;
    }
    let mut hosts: Vec<String> = merged
        .devices
        .iter()
        .filter_map(|d| d.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    let best = bests(&merged);
    let mut dtypes: Vec<Dtype> = best.iter().map(|b| b.dtype).collect();
    dtypes.sort();
    dtypes.dedup();
    let mut aggregates = Vec::new();
    let mut stragglers = Vec::new();
    for dtype in dtypes {
        let of: Vec<&Best> = best.iter().filter(|b| b.dtype == dtype).collect();
        let (agg, slow) = aggregate_dtype(&of, dtype, &hosts, threshold);
        aggregates.push(agg);
        stragglers.extend(slow);
    }
    let ranks: BTreeSet<Option<u32>> = inputs.iter().map(|(_, r)| r.host.rank).collect();
    let dead_ranks: Vec<DeadRank> = inputs.iter().filter_map(|(p, r)| dead_rank(p, r)).collect();
    let summary = ClusterSummary {
        files: inputs
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect(),
        hosts,
        ranks: ranks.len(),
        devices: merged.devices.len(),
        straggler_threshold: threshold,
        aggregates,
        dead_ranks,
    };
    merged.cluster = Some(summary);
    merged.stragglers = Some(stragglers);
    merged.verdicts = crate::reference::verdicts(&merged);
    let problems = crate::reference::cluster_wide_problems(&merged, &merged.verdicts);
    merged.notes.extend(problems);
    Ok(merged)
}

/// Where a rank writes its file in the shared folder.
pub fn rank_file(dir: &Path, rank: u32, host: &str) -> PathBuf {
    dir.join(format!("rank-{rank:05}-{}.json", file_safe(host)))
}

/// A host name as a file-name part (one rule for every file name flopmeter makes).
pub use crate::files::file_safe;
