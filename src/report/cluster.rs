//! A cluster file for people, at any size: how each job's rate spreads across the devices, the
//! slowest devices, every straggler, and the dead and missing ranks grouped by node. No table
//! has a row per device beyond `ROW_CAP` rows: what is left over is counted, or named by node on
//! a line, and the cluster file and `--json` hold everything. `merge` prints the same.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dtype::Dtype;
use crate::results::cluster::{ClusterFile, JobDistribution};
use crate::results::{Aggregate, DeadRank, DeviceVerdict, Straggler, Verdict};

/// The most rows a table of devices, ranks or nodes shows (and lines a list shows).
pub const ROW_CAP: usize = 50;
/// The slowest devices shown per dtype unless asked otherwise (`report --worst N`).
pub const DEFAULT_WORST: usize = 10;

/// A cluster file as loaded, with its label.
pub struct ClusterSource {
    pub path: std::path::PathBuf,
    pub label: String,
    pub file: ClusterFile,
}

/// One dtype over the whole cluster.
#[derive(Debug, Clone, Serialize)]
pub struct DtypeLine {
    pub dtype: Dtype,
    #[serde(flatten)]
    pub cluster: Aggregate,
    pub nodes: usize,
    /// The node with the lowest median, and that median.
    pub slowest_node: Option<(String, f64)>,
}

/// One of the slowest devices of a dtype.
#[derive(Debug, Clone, Serialize)]
pub struct SlowDevice {
    pub device: String,
    pub host: String,
    pub rank: Option<u32>,
    pub dtype: Dtype,
    pub tflops: f64,
    /// Below the dtype's cluster median by this fraction (negative: above it).
    pub below_median: f64,
    pub straggler: bool,
}

/// A node's dead and missing ranks.
#[derive(Debug, Clone, Serialize)]
pub struct NodeProblems {
    /// The host, or "ranks A-B" for a block of ranks none of which wrote a file.
    pub node: String,
    /// The node was inferred from the ranks around the missing ones (ranks are laid out in
    /// blocks of one node each).
    pub inferred: bool,
    pub missing: Vec<u32>,
    pub dead: Vec<DeadRank>,
}

/// How many devices' best rates are as expected, below or above their reference, per dtype.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerdictCount {
    pub dtype: Option<Dtype>,
    pub as_expected: usize,
    pub below: usize,
    pub above: usize,
}

/// What the report shows of a cluster file (and `report --json` carries).
#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    pub file: String,
    pub created_at: String,
    pub files: usize,
    pub hosts: usize,
    pub ranks: usize,
    pub devices: usize,
    pub straggler_threshold: f64,
    pub distributions: Vec<JobDistribution>,
    pub dtypes: Vec<DtypeLine>,
    pub slowest: Vec<SlowDevice>,
    pub stragglers: Vec<Straggler>,
    pub missing_ranks: Vec<u32>,
    pub dead_ranks: usize,
    pub by_node: Vec<NodeProblems>,
    pub interrupted: Vec<String>,
    pub not_compared: Vec<String>,
    pub verdict_counts: Vec<VerdictCount>,
    /// The devices below or above their reference (recomputed with this flopmeter's data).
    pub verdicts_off: Vec<DeviceVerdict>,
    pub cluster_wide: Vec<String>,
}

fn dtype_lines(c: &ClusterFile) -> Vec<DtypeLine> {
    c.cluster
        .aggregates
        .iter()
        .map(|a| DtypeLine {
            dtype: a.dtype,
            cluster: a.cluster.clone(),
            nodes: a.nodes.len(),
            slowest_node: a
                .nodes
                .iter()
                .min_by(|x, y| {
                    x.aggregate
                        .median_tflops
                        .total_cmp(&y.aggregate.median_tflops)
                })
                .map(|n| (n.host.clone(), n.aggregate.median_tflops)),
        })
        .collect()
}

/// The `worst` slowest devices of each dtype, by their best verified rate.
fn slowest(c: &ClusterFile, worst: usize) -> Vec<SlowDevice> {
    let mut by: BTreeMap<Dtype, Vec<SlowDevice>> = BTreeMap::new();
    for (r, d, j) in c.best_jobs() {
        let median = c
            .cluster
            .aggregates
            .iter()
            .find(|a| a.dtype == j.dtype)
            .map_or(f64::NAN, |a| a.cluster.median_tflops);
        by.entry(j.dtype).or_default().push(SlowDevice {
            device: d.id.clone(),
            host: r.host.clone(),
            rank: r.rank,
            dtype: j.dtype,
            tflops: j.median_tflops,
            below_median: 1.0 - j.median_tflops / median,
            straggler: c
                .stragglers
                .iter()
                .any(|s| s.device == d.id && s.dtype == j.dtype),
        });
    }
    by.into_values()
        .flat_map(|mut v| {
            v.sort_by(|a, b| a.tflops.total_cmp(&b.tflops));
            v.truncate(worst);
            v
        })
        .collect()
}

/// Ranks per node where every node's ranks are one block (`rank / per_node` is the node), as
/// Slurm's block distribution and mpirun's default place them; None where the files show
/// otherwise (or say nothing).
fn block_layout(c: &ClusterFile) -> Option<(u32, BTreeMap<u32, String>)> {
    let per_node = c
        .ranks
        .iter()
        .filter_map(|r| r.launcher.as_ref().map(|l| l.local_rank + 1))
        .max()?;
    let mut hosts: BTreeMap<u32, String> = BTreeMap::new();
    for r in &c.ranks {
        let Some(rank) = r.rank else { continue };
        let host = hosts
            .entry(rank / per_node)
            .or_insert_with(|| r.host.clone());
        if *host != r.host {
            return None;
        }
    }
    Some((per_node, hosts))
}

/// The node a missing rank was on, inferred from the block its rank falls in.
fn node_of_missing(rank: u32, layout: &Option<(u32, BTreeMap<u32, String>)>) -> (String, bool) {
    match layout {
        Some((per_node, hosts)) => {
            let block = rank / per_node;
            match hosts.get(&block) {
                Some(h) => (h.clone(), true),
                None => (
                    format!(
                        "ranks {}-{} (no file from any)",
                        block * per_node,
                        block * per_node + per_node - 1
                    ),
                    true,
                ),
            }
        }
        None => ("node unknown".into(), false),
    }
}

/// Dead and missing ranks, grouped by node (in node order).
fn by_node(c: &ClusterFile) -> Vec<NodeProblems> {
    let layout = block_layout(c);
    let mut nodes: BTreeMap<String, NodeProblems> = BTreeMap::new();
    fn entry(
        nodes: &mut BTreeMap<String, NodeProblems>,
        node: String,
        inferred: bool,
    ) -> &mut NodeProblems {
        nodes.entry(node.clone()).or_insert(NodeProblems {
            node,
            inferred,
            missing: Vec::new(),
            dead: Vec::new(),
        })
    }
    for m in &c.cluster.missing_ranks {
        let (node, inferred) = node_of_missing(*m, &layout);
        entry(&mut nodes, node, inferred).missing.push(*m);
    }
    for d in &c.cluster.dead_ranks {
        entry(&mut nodes, d.host.clone(), false)
            .dead
            .push(d.clone());
    }
    nodes.into_values().collect()
}

fn verdict_counts(verdicts: &[DeviceVerdict]) -> Vec<VerdictCount> {
    let mut by: BTreeMap<Dtype, VerdictCount> = BTreeMap::new();
    for v in verdicts {
        let c = by.entry(v.dtype).or_insert(VerdictCount {
            dtype: Some(v.dtype),
            ..VerdictCount::default()
        });
        match v.verdict {
            Verdict::AsExpected => c.as_expected += 1,
            Verdict::Below => c.below += 1,
            Verdict::Above => c.above += 1,
        }
    }
    by.into_values().collect()
}

impl ClusterView {
    /// The view of a loaded cluster file, with the `worst` slowest devices of each dtype.
    pub fn of(file: &str, c: &ClusterFile, worst: usize) -> ClusterView {
        let verdicts = crate::reference::cluster_verdicts(c);
        let mut stragglers = c.stragglers.clone();
        stragglers.sort_by(|a, b| b.shortfall.total_cmp(&a.shortfall));
        ClusterView {
            file: file.to_string(),
            created_at: c.created_at.clone(),
            files: c.cluster.files,
            hosts: c.cluster.hosts.len(),
            ranks: c.cluster.ranks,
            devices: c.cluster.devices,
            straggler_threshold: c.cluster.straggler_threshold,
            distributions: c.cluster.distributions.clone(),
            dtypes: dtype_lines(c),
            slowest: slowest(c, worst),
            stragglers,
            missing_ranks: c.cluster.missing_ranks.clone(),
            dead_ranks: c.cluster.dead_ranks.len(),
            by_node: by_node(c),
            interrupted: c.cluster.interrupted.clone(),
            not_compared: c.cluster.not_compared.clone(),
            verdict_counts: verdict_counts(&verdicts),
            cluster_wide: crate::reference::cluster_wide_of(&c.stragglers, &verdicts),
            verdicts_off: verdicts
                .into_iter()
                .filter(|v| v.verdict != Verdict::AsExpected)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::cluster::{ClusterPart, RankRecord};
    use crate::results::{Launcher, RankInfo};

    fn record(rank: u32, host: &str) -> RankRecord {
        RankRecord {
            file: format!("rank-{rank}.json"),
            sha256: "0".repeat(64),
            bytes: 1,
            host: host.into(),
            rank: Some(rank),
            launcher: Some(RankInfo {
                launcher: Launcher::Slurm,
                rank,
                world_size: 24,
                local_rank: rank % 8,
                job_id: None,
            }),
            created_at: String::new(),
            interrupted: false,
            settings: 0,
            devices: Vec::new(),
            jobs: Vec::new(),
            notes: Vec::new(),
            collectives: Vec::new(),
        }
    }

    fn file(ranks: Vec<RankRecord>, missing: Vec<u32>) -> ClusterFile {
        ClusterFile {
            schema: crate::results::cluster::CLUSTER_SCHEMA_ID.into(),
            tool: crate::results::env::tool(),
            created_at: String::new(),
            with_samples: false,
            ranks,
            settings: Vec::new(),
            cluster: ClusterPart {
                files: 0,
                hosts: Vec::new(),
                ranks: 0,
                devices: 0,
                straggler_threshold: 0.05,
                aggregates: Vec::new(),
                distributions: Vec::new(),
                dead_ranks: Vec::new(),
                missing_ranks: missing,
                interrupted: Vec::new(),
                not_compared: Vec::new(),
            },
            stragglers: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn missing_ranks_are_placed_on_the_node_of_their_block() {
        // 8 ranks per node: n0 has 0-7 less 3, n2 has 16-23; 8-15 wrote nothing.
        let ranks: Vec<RankRecord> = (0..24)
            .filter(|r| *r != 3 && !(8..16).contains(r))
            .map(|r| record(r, if r < 8 { "n0" } else { "n2" }))
            .collect();
        let c = file(ranks.clone(), [3].into_iter().chain(8..16).collect());
        let nodes = by_node(&c);
        let names: Vec<(&str, &[u32])> = nodes
            .iter()
            .map(|n| (n.node.as_str(), n.missing.as_slice()))
            .collect();
        assert_eq!(
            names,
            [
                ("n0", &[3][..]),
                (
                    "ranks 8-15 (no file from any)",
                    &[8, 9, 10, 11, 12, 13, 14, 15][..]
                )
            ]
        );
        // Ranks placed round-robin (rank 1 on another host than rank 0): no guess.
        let mut mixed = ranks;
        mixed[1].host = "n9".into();
        let c = file(mixed, vec![3]);
        assert_eq!(by_node(&c)[0].node, "node unknown");
    }
}
