//! Merging per-rank (or per-node) results into one cluster file: per-GPU results, per-node and
//! cluster aggregates per dtype, and the stragglers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::dtype::Dtype;
use crate::measure::stats::quantile;
use crate::results::{
    Aggregate, ClusterSummary, DtypeAggregate, NodeAggregate, Results, Straggler,
    VerificationStatus, SCHEMA_ID,
};

/// Files named on the command line; a folder stands for the *.json files in it.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
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
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
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

/// (device id in the merged file, host, rank, name, dtype, best verified median TFLOP/s)
type Best = (String, String, Option<u32>, String, Dtype, f64);

fn best_per_device(merged: &Results) -> Vec<Best> {
    let mut out = Vec::new();
    for d in &merged.devices {
        let mut dtypes: Vec<Dtype> = merged
            .runs
            .iter()
            .filter(|r| r.device == d.id)
            .map(|r| r.dtype)
            .collect();
        dtypes.sort();
        dtypes.dedup();
        for dt in dtypes {
            let best = merged
                .runs
                .iter()
                .filter(|r| {
                    r.device == d.id
                        && r.dtype == dt
                        && r.verification.status == VerificationStatus::Passed
                })
                .map(|r| r.tflops.median)
                .fold(f64::NAN, f64::max);
            if best.is_finite() {
                out.push((
                    d.id.clone(),
                    d.host.clone().unwrap_or_default(),
                    d.rank,
                    d.name.clone(),
                    dt,
                    best,
                ));
            }
        }
    }
    out
}

/// Merges the documents (already loaded, with their paths) into one cluster document.
pub fn merge(inputs: Vec<(PathBuf, Results)>, threshold: f64) -> Result<Results, String> {
    let Some((_, first)) = inputs.first() else {
        return Err("nothing to merge: give results files or a folder of them".into());
    };
    let mut merged = Results {
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
        stragglers: None,
    };
    let mut seen = BTreeSet::new();
    for (path, r) in &inputs {
        if r.cluster.is_some() {
            return Err(format!(
                "{} is already a merged cluster file",
                path.display()
            ));
        }
        let host = r.host.hostname.clone();
        let rank = r.host.rank;
        let prefix = match rank {
            Some(k) => format!("{host}/rank{k}"),
            None => host.clone(),
        };
        for d in &r.devices {
            let id = format!("{prefix}/{}", d.id);
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
    }
    let best = best_per_device(&merged);
    let mut dtypes: Vec<Dtype> = best.iter().map(|b| b.4).collect();
    dtypes.sort();
    dtypes.dedup();
    let mut hosts: Vec<String> = merged
        .devices
        .iter()
        .filter_map(|d| d.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    let mut aggregates = Vec::new();
    let mut stragglers = Vec::new();
    for dt in dtypes {
        let of: Vec<&Best> = best.iter().filter(|b| b.4 == dt).collect();
        let all: Vec<f64> = of.iter().map(|b| b.5).collect();
        let cluster = aggregate(&all);
        let nodes = hosts
            .iter()
            .filter_map(|h| {
                let v: Vec<f64> = of.iter().filter(|b| &b.1 == h).map(|b| b.5).collect();
                (!v.is_empty()).then(|| NodeAggregate {
                    host: h.clone(),
                    aggregate: aggregate(&v),
                })
            })
            .collect();
        for b in &of {
            let shortfall = 1.0 - b.5 / cluster.median_tflops;
            if shortfall >= threshold {
                stragglers.push(Straggler {
                    host: b.1.clone(),
                    rank: b.2,
                    device: b.0.clone(),
                    device_name: b.3.clone(),
                    dtype: dt,
                    tflops: b.5,
                    cluster_median_tflops: cluster.median_tflops,
                    shortfall,
                });
            }
        }
        aggregates.push(DtypeAggregate {
            dtype: dt,
            cluster,
            nodes,
        });
    }
    let ranks: BTreeSet<Option<u32>> = inputs.iter().map(|(_, r)| r.host.rank).collect();
    merged.cluster = Some(ClusterSummary {
        files: inputs
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect(),
        hosts,
        ranks: ranks.len(),
        devices: merged.devices.len(),
        straggler_threshold: threshold,
        aggregates,
    });
    merged.stragglers = Some(stragglers);
    Ok(merged)
}

/// Loads and merges files; errors name the file.
pub fn merge_files(paths: &[PathBuf], threshold: f64) -> Result<Results, String> {
    let files = expand(paths)?;
    let loaded = files
        .iter()
        .map(|p| {
            crate::results::load(p)
                .map(|r| (p.clone(), r))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    merge(loaded, threshold)
}

/// Where a rank writes its file in the shared folder.
pub fn rank_file(dir: &Path, rank: u32, host: &str) -> PathBuf {
    dir.join(format!("rank-{rank:05}-{}.json", file_safe(host)))
}

/// A host name as a file-name part: letters, digits and '-' kept, anything else '_'.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
