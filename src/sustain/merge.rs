//! Merging the sustain files of every rank of a cluster run into one, as `merge` does with
//! bench files (cluster::merge): two files claiming one rank are refused, ranks of a launched
//! job with no file are named, device ids are prefixed with host and rank
//! (`node1/rank3/cuda:0`), and the outliers are found across the whole cluster, among devices
//! run alike (the same chip, kernel, dtype, shape, duration and windows), as stragglers are.
//! Kept apart from cluster::merge, which merges bench results, so each can change alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::results::sustain::{DeviceSeries, SustainCluster, SustainResults, SUSTAIN_SCHEMA_ID};
use crate::results::Host;

use super::verdict::mark_outliers;

/// `host/rankN`, or `host` for a file without a rank: bench merges name devices this way too.
fn prefix(h: &Host) -> String {
    match h.rank {
        Some(k) => format!("{}/rank{k}", h.hostname),
        None => h.hostname.clone(),
    }
}

/// A launched job's id (SLURM_JOB_ID) or its launcher's name, and its world size.
fn job_of(h: &Host) -> Option<(String, u32)> {
    let l = h.launcher.as_ref()?;
    let job = l.job_id.clone().unwrap_or_else(|| l.launcher.to_string());
    Some((job, l.world_size))
}

/// Two files of one rank are an error; the ranks of each job's world with no file.
fn ranks(inputs: &[(PathBuf, SustainResults)]) -> Result<Vec<u32>, String> {
    let mut claimed: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    let mut worlds: BTreeMap<String, (u32, BTreeSet<u32>)> = BTreeMap::new();
    for (path, doc) in inputs {
        let Some(rank) = doc.host.rank else { continue };
        if let Some(first) = claimed.insert(rank, path) {
            return Err(format!(
                "{} and {}: both are rank {rank} (the same rank merged twice, or two jobs?)",
                first.display(),
                path.display()
            ));
        }
        if let Some((job, size)) = job_of(&doc.host) {
            let w = worlds.entry(job.clone()).or_insert((size, BTreeSet::new()));
            if w.0 != size {
                return Err(format!(
                    "{}: rank {rank} of job {job} records a world of {size}, another file {}",
                    path.display(),
                    w.0
                ));
            }
            w.1.insert(rank);
        }
    }
    Ok(worlds
        .values()
        .flat_map(|(size, present)| (0..*size).filter(|r| !present.contains(r)))
        .collect())
}

/// Adds one file's devices and series, their ids prefixed.
fn add(
    merged: &mut SustainResults,
    path: &std::path::Path,
    doc: &SustainResults,
) -> Result<(), String> {
    let p = prefix(&doc.host);
    for d in &doc.devices {
        let mut d = d.clone();
        d.id = format!("{p}/{}", d.id);
        d.rank = doc.host.rank;
        d.host = Some(doc.host.hostname.clone());
        if merged.devices.iter().any(|x| x.id == d.id) {
            return Err(format!(
                "{}: device {} is already in another file (the same machine merged twice?)",
                path.display(),
                d.id
            ));
        }
        merged.devices.push(d);
    }
    for s in &doc.series {
        merged.series.push(DeviceSeries {
            device: format!("{p}/{}", s.device),
            rank: doc.host.rank,
            host: Some(doc.host.hostname.clone()),
            ..s.clone()
        });
    }
    merged
        .notes
        .extend(doc.notes.iter().map(|n| format!("{}: {n}", path.display())));
    Ok(())
}

/// What must match, beyond the device and its job, for two series to be compared.
fn basis(settings: &BTreeMap<String, String>) -> impl Fn(&DeviceSeries) -> String + '_ {
    move |s: &DeviceSeries| settings.get(&s.device).cloned().unwrap_or_default()
}

/// Merges sustain files (loaded, with their paths) into one; outliers are `threshold` or more
/// below the median of the devices they are compared with.
pub fn merge(
    inputs: Vec<(PathBuf, SustainResults)>,
    threshold: f64,
) -> Result<SustainResults, String> {
    let Some((_, first)) = inputs.first() else {
        return Err("nothing to merge: give sustain files or a folder of them".into());
    };
    let missing_ranks = ranks(&inputs)?;
    let mut merged = SustainResults {
        schema: SUSTAIN_SCHEMA_ID.into(),
        tool: crate::results::env::tool(),
        created_at: crate::results::env::now_rfc3339(),
        host: first.host.clone(),
        settings: first.settings.clone(),
        devices: Vec::new(),
        series: Vec::new(),
        interrupted: false,
        notes: Vec::new(),
        cluster: None,
    };
    let mut settings = BTreeMap::new();
    for (path, doc) in &inputs {
        add(&mut merged, path, doc)?;
        let s = &doc.settings;
        for series in &doc.series {
            settings.insert(
                format!("{}/{}", prefix(&doc.host), series.device),
                format!(", {} s in {} s windows", s.duration_s, s.window_s),
            );
        }
        // A verdict stands by its own file's threshold; the merged file allows the loosest.
        merged.settings.max_drop = merged.settings.max_drop.max(s.max_drop);
    }
    merged.settings.outlier_threshold = threshold;
    let not_compared = mark_outliers(
        &mut merged.series,
        &merged.devices,
        threshold,
        &basis(&settings),
    );
    merged.notes.extend(not_compared.iter().cloned());
    merged.cluster = Some(SustainCluster {
        files: inputs
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect(),
        hosts: inputs
            .iter()
            .map(|(_, d)| d.host.hostname.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        ranks: inputs
            .iter()
            .map(|(_, d)| d.host.rank)
            .collect::<BTreeSet<_>>()
            .len(),
        devices: merged.devices.len(),
        outlier_threshold: threshold,
        missing_ranks,
        interrupted: inputs
            .iter()
            .filter(|(_, d)| d.interrupted)
            .map(|(p, _)| p.display().to_string())
            .collect(),
        failed: merged
            .series
            .iter()
            .filter(|s| !s.verdict.passed)
            .map(|s| s.device.clone())
            .collect(),
        outliers: merged
            .series
            .iter()
            .filter(|s| s.verdict.outlier.is_some())
            .map(|s| s.device.clone())
            .collect(),
        not_compared: not_compared.into_iter().collect(),
    });
    Ok(merged)
}
