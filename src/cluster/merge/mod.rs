//! Merging per-rank (or per-node) results into one cluster file, in small steps a streaming
//! merge can reuse: read the inputs (`inputs`), check which ranks claim what and which are
//! missing or dead (`ranks`), add each file (`combine`), then aggregate per dtype and find the
//! stragglers among comparable GPUs (`stragglers`).

mod combine;
mod inputs;
mod ranks;
mod stragglers;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::dtype::Dtype;
use crate::results::{ClusterSummary, DeadRank, Results, Settings, SCHEMA_ID};

pub use inputs::{expand, load_inputs};
use stragglers::{Basis, Best};

/// The straggler threshold `merge` and the MPI gather use unless told otherwise.
pub const DEFAULT_STRAGGLER_THRESHOLD: f64 = 0.05;

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

/// The settings each merged device was measured with, per dtype (the first file that measured
/// it in that dtype).
fn settings_by_device(inputs: &[(PathBuf, Results)]) -> BTreeMap<(String, Dtype), &Settings> {
    let mut out = BTreeMap::new();
    for (_, r) in inputs {
        let prefix = combine::prefix(r);
        for run in &r.runs {
            out.entry((format!("{prefix}/{}", run.device), run.dtype))
                .or_insert(&r.settings);
        }
    }
    out
}

/// Per dtype: aggregates over every device, stragglers within each group of comparable ones,
/// and a sentence for each dtype whose groups are not compared.
struct PerDtype {
    aggregates: Vec<crate::results::DtypeAggregate>,
    stragglers: Vec<crate::results::Straggler>,
    not_compared: Vec<String>,
}

fn per_dtype(best: &[Best], hosts: &[String], threshold: f64) -> PerDtype {
    let dtypes: BTreeSet<Dtype> = best.iter().map(|b| b.dtype).collect();
    let mut out = PerDtype {
        aggregates: Vec::new(),
        stragglers: Vec::new(),
        not_compared: Vec::new(),
    };
    for dtype in dtypes {
        let of: Vec<&Best> = best.iter().filter(|b| b.dtype == dtype).collect();
        out.aggregates
            .push(stragglers::aggregate_dtype(&of, dtype, hosts));
        let groups = stragglers::groups(&of);
        for g in &groups {
            out.stragglers.extend(stragglers::stragglers(g, threshold));
        }
        out.not_compared
            .extend(stragglers::not_compared(dtype, &groups));
    }
    out
}

/// Merges the documents (already loaded, with their paths) into one cluster document.
pub fn merge(inputs: Vec<(PathBuf, Results)>, threshold: f64) -> Result<Results, String> {
    let Some((_, first)) = inputs.first() else {
        return Err("nothing to merge: give results files or a folder of them".into());
    };
    ranks::check_claims(&inputs)?;
    let missing_ranks = ranks::missing(&inputs)?;
    let mut merged = empty_like(first);
    let mut seen = combine::Seen::default();
    for (path, r) in &inputs {
        combine::add_file(&mut merged, &mut seen, path, r)?;
    }
    crate::results::validate::recompute(&mut merged);
    let hosts: Vec<String> = merged
        .devices
        .iter()
        .filter_map(|d| d.host.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let settings = settings_by_device(&inputs);
    let best = stragglers::bests(&merged, |d, dtype| {
        Basis::of(
            d,
            settings
                .get(&(d.id.clone(), dtype))
                .copied()
                .unwrap_or(&first.settings),
        )
    });
    let per = per_dtype(&best, &hosts, threshold);
    drop(best);
    let dead_ranks: Vec<DeadRank> = inputs
        .iter()
        .flat_map(|(p, r)| ranks::dead_ranks(p, r))
        .collect();
    let summary = ClusterSummary {
        files: inputs
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect(),
        hosts,
        ranks: inputs
            .iter()
            .map(|(_, r)| r.host.rank)
            .collect::<BTreeSet<_>>()
            .len(),
        devices: merged.devices.len(),
        straggler_threshold: threshold,
        aggregates: per.aggregates,
        dead_ranks,
        missing_ranks,
        interrupted: inputs
            .iter()
            .filter(|(_, r)| r.interrupted)
            .map(|(p, _)| p.display().to_string())
            .collect(),
        not_compared: per.not_compared,
    };
    merged.notes.extend(summary.not_compared.iter().cloned());
    merged.cluster = Some(summary);
    merged.stragglers = Some(per.stragglers);
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
