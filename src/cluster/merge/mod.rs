//! Merging per-rank (or per-node) results into one cluster file, one rank at a time, in small
//! steps another kind of rank file can plug into: read and summarise a file (`inputs`,
//! `summary`), check which ranks claim what (`ranks`) and which devices and jobs it adds
//! (`combine`), write its record, and keep only each device's best rate per dtype; at the end,
//! the missing and dead ranks, the aggregates and the stragglers among comparable GPUs
//! (`stragglers`). Memory follows the number of (rank, job) summaries, never the samples, and
//! the cluster file is written as the ranks come (`results::cluster::ClusterWriter`).

mod combine;
mod inputs;
mod ranks;
pub mod stragglers;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::dtype::Dtype;
use crate::files::AtomicFile;
use crate::results::cluster::{ClusterFile, ClusterPart, ClusterWriter, Distributions, RankRecord};
use crate::results::{DeadRank, Settings, Verdict};

pub use inputs::{expand, load_inputs, Input};
use stragglers::{Basis, Best, Context, DeviceEntry};
pub use summary::Summarized;

/// The straggler threshold `merge` and the MPI gather use unless told otherwise.
pub const DEFAULT_STRAGGLER_THRESHOLD: f64 = 0.05;

/// Rank files read at once (in parallel) before their records are written in order.
const CHUNK: usize = 64;

/// How to merge.
#[derive(Debug, Clone, Copy)]
pub struct MergeOptions {
    pub threshold: f64,
    /// Copy every job's samples into the cluster file.
    pub with_samples: bool,
}

/// Per dtype: devices with a verdict, how many are below their reference, and the range of
/// their ratios to it (for the cluster-wide problem).
#[derive(Clone, Copy)]
struct Tally {
    devices: usize,
    below: usize,
    lowest: f64,
    highest: f64,
}

/// A merge under way: what it has written, and what it keeps per device.
pub struct Merger {
    writer: ClusterWriter,
    threshold: f64,
    ranks: ranks::Ranks,
    seen: combine::Seen,
    settings: Vec<Settings>,
    hosts: Vec<String>,
    host_index: HashMap<String, usize>,
    devices: Vec<DeviceEntry>,
    device_index: HashMap<String, usize>,
    bests: Vec<Best>,
    best_index: HashMap<(usize, Dtype), usize>,
    distributions: Distributions,
    dead: Vec<DeadRank>,
    interrupted: Vec<String>,
    rank_numbers: BTreeSet<Option<u32>>,
    files: usize,
}

/// The index of `v` in `list`, added if new.
fn intern<T: Clone + Eq + std::hash::Hash>(
    list: &mut Vec<T>,
    index: &mut HashMap<T, usize>,
    v: &T,
) -> usize {
    if let Some(i) = index.get(v) {
        return *i;
    }
    list.push(v.clone());
    index.insert(v.clone(), list.len() - 1);
    list.len() - 1
}

impl Merger {
    /// Starts the cluster file at `out`.
    pub fn create(out: &Path, o: MergeOptions) -> Result<Merger, String> {
        Ok(Merger {
            writer: ClusterWriter::create(out, o.with_samples).map_err(|e| e.to_string())?,
            threshold: o.threshold,
            ranks: ranks::Ranks::default(),
            seen: combine::Seen::default(),
            settings: Vec::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
            devices: Vec::new(),
            device_index: HashMap::new(),
            bests: Vec::new(),
            best_index: HashMap::new(),
            distributions: Distributions::default(),
            dead: Vec::new(),
            interrupted: Vec::new(),
            rank_numbers: BTreeSet::new(),
            files: 0,
        })
    }

    /// The settings' index in the file's list (the same settings once).
    fn settings_index(&mut self, s: &Settings) -> usize {
        match self.settings.iter().position(|x| x == s) {
            Some(i) => i,
            None => {
                self.settings.push(s.clone());
                self.settings.len() - 1
            }
        }
    }

    /// Each device of the rank in the device table (a machine's device seen in an earlier
    /// file is the same entry).
    fn add_devices(&mut self, r: &RankRecord) {
        let host = intern(&mut self.hosts, &mut self.host_index, &r.host);
        for d in &r.devices {
            if self.device_index.contains_key(&d.id) {
                continue;
            }
            self.device_index.insert(d.id.clone(), self.devices.len());
            self.devices.push(DeviceEntry {
                id: d.id.clone(),
                name: d.name.clone(),
                host,
                rank: r.rank,
            });
        }
    }

    /// Keeps each device's best verified rate per dtype, on the basis of the first file that
    /// measured it in that dtype, and that job's verdict against the reference.
    fn add_rates(&mut self, r: &RankRecord) {
        for j in &r.jobs {
            let device = self.device_index[&j.device];
            let at = *self.best_index.entry((device, j.dtype)).or_insert_with(|| {
                self.bests.push(Best {
                    device,
                    dtype: j.dtype,
                    tflops: f64::NAN,
                    basis: Basis {
                        device,
                        settings: r.settings,
                    },
                    verdict: None,
                });
                self.bests.len() - 1
            });
            let b = &mut self.bests[at];
            if j.is_verified() && (b.tflops.is_nan() || j.median_tflops > b.tflops) {
                b.tflops = j.median_tflops;
                b.verdict = j.verdict.zip(j.vs_reference);
            }
        }
    }

    /// Adds one rank: its claims checked, its record written, its rates kept.
    pub fn add(&mut self, s: Summarized) -> Result<(), String> {
        let Summarized {
            mut record,
            settings,
        } = s;
        self.ranks.claim(&record)?;
        self.seen.add(&record)?;
        record.settings = self.settings_index(&settings);
        self.writer
            .rank(&record, self.settings.len())
            .map_err(|e| e.to_string())?;
        self.add_devices(&record);
        self.add_rates(&record);
        self.distributions.add(&record);
        self.dead.extend(ranks::dead_ranks(&record));
        if record.interrupted {
            self.interrupted.push(record.file.clone());
        }
        self.rank_numbers.insert(record.rank);
        self.files += 1;
        Ok(())
    }

    /// The cluster-wide problem of each dtype whose GPUs are all below their reference while
    /// none is a straggler.
    fn cluster_wide(&self, stragglers: &[crate::results::Straggler]) -> Vec<String> {
        // One verdict per device and dtype, its best job's, as `report` counts them.
        let mut tallies: BTreeMap<Dtype, Tally> = BTreeMap::new();
        for b in &self.bests {
            let Some((v, ratio)) = b.verdict else {
                continue;
            };
            let t = tallies.entry(b.dtype).or_insert(Tally {
                devices: 0,
                below: 0,
                lowest: f64::INFINITY,
                highest: 0.0,
            });
            t.devices += 1;
            t.below += usize::from(v == Verdict::Below);
            t.lowest = t.lowest.min(ratio);
            t.highest = t.highest.max(ratio);
        }
        tallies
            .iter()
            .filter_map(|(dtype, t)| {
                let none = !stragglers.iter().any(|s| s.dtype == *dtype);
                crate::reference::cluster_wide_line(
                    *dtype,
                    t.devices,
                    t.below == t.devices && none,
                    (t.lowest, t.highest),
                )
            })
            .collect()
    }

    /// Ends the file: missing ranks, aggregates, stragglers; reads it back as `report` would
    /// (every check of the loader) before it is put in place by committing the returned file.
    pub fn finish(self, out: &Path) -> Result<(ClusterFile, AtomicFile), String> {
        if self.files == 0 {
            return Err("nothing to merge: give results files or a folder of them".into());
        }
        let missing_ranks = self.ranks.missing();
        let bests: Vec<Best> = self
            .bests
            .iter()
            .filter(|b| b.tflops.is_finite())
            .copied()
            .collect();
        let cx = Context {
            devices: &self.devices,
            hosts: &self.hosts,
            settings: &self.settings,
        };
        let per = stragglers::per_dtype(&bests, self.threshold, &cx);
        let mut notes = per.not_compared.clone();
        notes.extend(self.cluster_wide(&per.stragglers));
        let mut hosts = self.hosts.clone();
        hosts.sort();
        let cluster = ClusterPart {
            files: self.files,
            hosts,
            ranks: self.rank_numbers.len(),
            devices: self.seen.devices(),
            straggler_threshold: self.threshold,
            aggregates: per.aggregates,
            distributions: self.distributions.finish(),
            dead_ranks: self.dead,
            missing_ranks,
            interrupted: self.interrupted,
            not_compared: per.not_compared,
        };
        let mut file = self
            .writer
            .finish(&self.settings, &cluster, &per.stragglers, &notes)
            .map_err(|e| e.to_string())?;
        let written = file.temporary().map_err(|e| e.to_string())?;
        let text = crate::files::read_text(written, crate::results::cluster::MAX_BYTES)
            .map_err(|e| e.to_string())?;
        let doc = crate::results::cluster::parse(&text, out).map_err(|e| e.to_string())?;
        Ok((doc, file))
    }
}

/// Merges the files and folders named into `out`, reading a chunk of files at a time in
/// parallel and adding them in order; `skipped` gets a note for each file left out.
pub fn merge_files(
    inputs: &[Input],
    out: &Path,
    o: MergeOptions,
    skipped: &mut Vec<String>,
) -> Result<(ClusterFile, AtomicFile), String> {
    let mut merger = Merger::create(out, o)?;
    for chunk in inputs.chunks(CHUNK) {
        let read: Vec<Result<inputs::Read, String>> = chunk
            .par_iter()
            .map(|i| inputs::read_one(i, Some(out), o.with_samples))
            .collect();
        for r in read {
            match r? {
                inputs::Read::Rank(s) => merger.add(*s)?,
                inputs::Read::Skipped(why) => skipped.push(why),
            }
        }
    }
    merger.finish(out)
}

/// Where a rank writes its file in the shared folder.
pub fn rank_file(dir: &Path, rank: u32, host: &str) -> PathBuf {
    dir.join(format!("rank-{rank:05}-{}.json", file_safe(host)))
}

/// A host name as a file-name part (one rule for every file name flopmeter makes).
pub use crate::files::file_safe;

#[cfg(test)]
mod tests {
    use super::*;

    /// The dev VM's results as rank `k` of a Slurm job of `world` ranks on `host`.
    fn rank(k: u32, world: u32, host: &str) -> crate::results::Results {
        let mut r = crate::report::fixtures::dev_vm();
        r.host.hostname = host.into();
        r.host.rank = Some(k);
        r.host.launcher = Some(crate::results::RankInfo {
            launcher: crate::results::Launcher::Slurm,
            rank: k,
            world_size: world,
            local_rank: k % 2,
            job_id: Some("9".into()),
        });
        r
    }

    #[test]
    fn what_is_streamed_reads_back_as_merged() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c.json");
        let o = MergeOptions {
            threshold: DEFAULT_STRAGGLER_THRESHOLD,
            with_samples: true,
        };
        let mut m = Merger::create(&out, o).unwrap();
        let mut fed = Vec::new();
        for k in [0, 1, 3] {
            let r = rank(k, 4, if k < 2 { "a" } else { "b" });
            let s = summary::summarize(&format!("r{k}.json"), b"bytes", &r, true);
            fed.push(s.record.clone());
            m.add(s).unwrap();
        }
        // Nothing is in place before the end.
        assert!(!out.exists());
        let (doc, file) = m.finish(&out).unwrap();
        file.commit().unwrap();
        // (serde_json reads some floats one unit in the last place off: compare like for like.)
        let fed: Vec<RankRecord> =
            serde_json::from_str(&serde_json::to_string(&fed).unwrap()).unwrap();
        assert_eq!(doc.ranks, fed);
        assert_eq!(doc.settings.len(), 1);
        assert_eq!(doc.cluster.missing_ranks, [2]);
        assert_eq!(doc.cluster.hosts, ["a", "b"]);
        assert_eq!(doc.cluster.devices, 6);
        // Every job kept its samples, and the file on disk is the document read back.
        assert!(doc.jobs().all(|(_, j)| j.times_s.is_some()));
        assert_eq!(crate::results::cluster::load(&out).unwrap(), doc);
        // The same rank twice is refused, naming both files.
        let lean = MergeOptions {
            with_samples: false,
            ..o
        };
        let mut m = Merger::create(&dir.path().join("d.json"), lean).unwrap();
        let r = rank(0, 4, "a");
        m.add(summary::summarize("x.json", b"1", &r, false))
            .unwrap();
        let e = m
            .add(summary::summarize("y.json", b"2", &r, false))
            .unwrap_err();
        assert!(e.contains("x.json and y.json: both are rank 0"), "{e}");
    }
}
