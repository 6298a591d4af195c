//! Synthetic rank files for tests and the merge benchmark (`benches/merge_scale.rs`): N ranks of
//! a Slurm job made from one real results file, each with the chosen number of jobs and samples
//! per job, every rank a little faster or slower than the next (within 1%), and planted
//! stragglers (15% slow), dead ranks (every result failed verification) and missing ranks (no
//! file at all).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use flopmeter::measure::stats::summarize;
use flopmeter::results::{Launcher, RankInfo, Results, Run, VerificationStatus};

/// What to make.
#[derive(Debug, Clone)]
pub struct Synth {
    /// The job's world size: ranks 0..ranks, less the missing ones, get a file.
    pub ranks: u32,
    /// Jobs per rank: the template's runs of its first device, in order, repeated with a larger
    /// k (64 more each time round) where more are asked for than it has.
    pub jobs: usize,
    /// Samples per job.
    pub samples: usize,
    /// Ranks per node (hosts are `node00000`, `node00001`, ...).
    pub per_node: u32,
    /// Ranks measured 15% slow.
    pub stragglers: Vec<u32>,
    /// Ranks whose every result failed verification.
    pub dead: Vec<u32>,
    /// Ranks that wrote no file.
    pub missing: Vec<u32>,
    pub job_id: String,
}

/// How much slower the planted stragglers are.
pub const STRAGGLER_SPEED: f64 = 0.85;

/// A number in [0, 1) from `x` (SplitMix64), so every rank's jitter is the same on every run.
fn unit(x: u64) -> f64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// The template's first device and its runs, as many as asked for.
fn jobs_of(template: &Results, n: usize) -> Vec<Run> {
    let device = &template.devices[0].id;
    let runs: Vec<&Run> = template
        .runs
        .iter()
        .filter(|r| &r.device == device && r.verification.status == VerificationStatus::Passed)
        .collect();
    assert!(
        !runs.is_empty(),
        "the template has no verified run of {device}"
    );
    (0..n)
        .map(|i| {
            let mut r = runs[i % runs.len()].clone();
            r.k += 64 * (i / runs.len());
            r.flop = r.problem().flop();
            r
        })
        .collect()
}

/// One job's samples: the template's times, cycled to `n` with a jitter of +-2%, over `speed`.
fn resample(run: &mut Run, n: usize, speed: f64, seed: u64) {
    // The time of one call at the template's median rate (k may have grown).
    let base = run.flop / (run.tflops.median * 1e12);
    let samples: Vec<f64> = (0..n)
        .map(|i| base * (0.98 + 0.04 * unit(seed ^ ((i as u64) << 32))) / speed)
        .collect();
    let stats = summarize(&samples);
    run.samples = samples;
    run.time_s = stats;
    run.tflops.median = run.flop / stats.median / 1e12;
    run.tflops.max = run.flop / stats.min / 1e12;
    run.utilization.rated = None;
    run.utilization.at_sampled_clock = None;
    run.telemetry = None;
    run.energy = None;
}

/// The results file of one rank.
pub fn rank(template: &Results, s: &Synth, rank: u32) -> Results {
    let mut r = template.clone();
    r.devices.truncate(1);
    r.host.hostname = format!("node{:05}", rank / s.per_node);
    r.host.rank = Some(rank);
    r.host.launcher = Some(RankInfo {
        launcher: Launcher::Slurm,
        rank,
        world_size: s.ranks,
        local_rank: rank % s.per_node,
        job_id: Some(s.job_id.clone()),
    });
    r.interrupted = false;
    r.notes.clear();
    r.verdicts.clear();
    r.model = None;
    r.collectives.clear();
    let speed = if s.stragglers.contains(&rank) {
        STRAGGLER_SPEED
    } else {
        0.995 + 0.01 * unit(u64::from(rank))
    };
    r.runs = jobs_of(template, s.jobs);
    for (i, run) in r.runs.iter_mut().enumerate() {
        resample(run, s.samples, speed, (u64::from(rank) << 20) + i as u64);
        if s.dead.contains(&rank) {
            run.verification.status = VerificationStatus::Failed;
        }
    }
    r
}

/// Writes every rank's file (`rank-NNNNN-HOST.json`, as ranks name them) into `dir`.
pub fn write_ranks(template: &Results, s: &Synth, dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    (0..s.ranks)
        .filter(|r| !s.missing.contains(r))
        .map(|k| {
            let r = rank(template, s, k);
            let path = dir.join(format!("rank-{k:05}-{}.json", r.host.hostname));
            flopmeter::results::write_atomic(&path, &r).unwrap();
            path
        })
        .collect()
}
