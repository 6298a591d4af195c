//! Adding one file's devices, runs, notes and collectives to the merged document, their ids
//! prefixed with host (and rank): `node1/rank3/cuda:0`. Files of one machine without a
//! launcher (f32 one day, f64 the next) make one machine's record: a device seen before is the
//! same device, and only a run measured twice (same device, kernel, dtype and shape) is an
//! error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::dtype::Dtype;
use crate::results::{DeviceRecord, Results, Run};

/// What has been merged so far, by id.
#[derive(Default)]
pub struct Seen {
    /// Merged device id -> (its index in `devices`, the file it came from first).
    devices: BTreeMap<String, (usize, String)>,
    /// (device, kernel, dtype, m, n, k) of every merged run.
    runs: BTreeSet<(String, String, Dtype, usize, usize, usize)>,
}

/// `host/rankN`, or `host` for a file without a rank.
pub(super) fn prefix(r: &Results) -> String {
    match r.host.rank {
        Some(k) => format!("{}/rank{k}", r.host.hostname),
        None => r.host.hostname.clone(),
    }
}

/// The rated peaks of a device seen again: a dtype it had none for is added; a dtype measured
/// first in this file takes this file's peak (the one its runs were measured against).
fn combine_peaks(into: &mut DeviceRecord, d: &DeviceRecord, measured: &BTreeSet<Dtype>) {
    for (dtype, peak) in &d.rated_tflops {
        if !into.rated_tflops.contains_key(dtype) || measured.contains(dtype) {
            into.rated_tflops.insert(*dtype, *peak);
        }
    }
}

/// A device merged before seen again: the same device of one machine without a launcher (its
/// peaks combined), else the same rank twice.
fn seen_again(
    merged: &mut Results,
    at: usize,
    first: &str,
    d: &DeviceRecord,
    path: &Path,
    r: &Results,
) -> Result<(), String> {
    let into = &merged.devices[at];
    let same = (into.backend, into.index, &into.name) == (d.backend, d.index, &d.name);
    if r.host.rank.is_some() || !same {
        return Err(format!(
            "{}: device {} is already in another file ({first}): the same rank merged twice?",
            path.display(),
            d.id
        ));
    }
    let before: BTreeSet<Dtype> = merged
        .runs
        .iter()
        .filter(|x| x.device == d.id)
        .map(|x| x.dtype)
        .collect();
    let prefix = prefix(r);
    let new: BTreeSet<Dtype> = r
        .runs
        .iter()
        .filter(|x| format!("{prefix}/{}", x.device) == d.id && !before.contains(&x.dtype))
        .map(|x| x.dtype)
        .collect();
    combine_peaks(&mut merged.devices[at], d, &new);
    Ok(())
}

/// Adds the file's devices, their ids prefixed.
fn add_devices(
    merged: &mut Results,
    seen: &mut Seen,
    path: &Path,
    r: &Results,
) -> Result<(), String> {
    let prefix = prefix(r);
    let mut own = BTreeSet::new();
    for d in &r.devices {
        let mut d = d.clone();
        d.id = format!("{prefix}/{}", d.id);
        if !own.insert(d.id.clone()) {
            return Err(format!(
                "{}: device {} appears twice in this file",
                path.display(),
                d.id
            ));
        }
        d.host = Some(r.host.hostname.clone());
        d.rank = r.host.rank;
        match seen.devices.get(&d.id) {
            Some((at, first)) => seen_again(merged, *at, first, &d, path, r)?,
            None => {
                let first = (merged.devices.len(), path.display().to_string());
                seen.devices.insert(d.id.clone(), first);
                merged.devices.push(d);
            }
        }
    }
    Ok(())
}

/// Adds the file's runs; a run measured in an earlier file too is an error.
fn add_runs(merged: &mut Results, seen: &mut Seen, path: &Path, r: &Results) -> Result<(), String> {
    let prefix = prefix(r);
    for run in &r.runs {
        let mut run: Run = run.clone();
        run.device = format!("{prefix}/{}", run.device);
        run.host = Some(r.host.hostname.clone());
        run.rank = r.host.rank;
        let key = (
            run.device.clone(),
            run.kernel.clone(),
            run.dtype,
            run.m,
            run.n,
            run.k,
        );
        if !seen.runs.insert(key) {
            return Err(format!(
                "{}: {} {} {} {}x{}x{} was measured in another file too: the same results \
                 merged twice?",
                path.display(),
                run.device,
                run.kernel,
                run.dtype,
                run.m,
                run.n,
                run.k
            ));
        }
        merged.runs.push(run);
    }
    Ok(())
}

/// Adds one file to the merged document.
pub fn add_file(
    merged: &mut Results,
    seen: &mut Seen,
    path: &Path,
    r: &Results,
) -> Result<(), String> {
    if r.cluster.is_some() {
        return Err(format!(
            "{} is already a merged cluster file",
            path.display()
        ));
    }
    add_devices(merged, seen, path, r)?;
    add_runs(merged, seen, path, r)?;
    let prefix = prefix(r);
    merged.interrupted |= r.interrupted;
    merged
        .notes
        .extend(r.notes.iter().map(|n| format!("{prefix}: {n}")));
    merged.collectives.extend(r.collectives.iter().map(|c| {
        let mut c = c.clone();
        c.devices = c.devices.iter().map(|d| format!("{prefix}/{d}")).collect();
        c
    }));
    Ok(())
}
