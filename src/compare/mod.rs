//! Two sets of results, job by job, with a verdict: for every job measured on both sides (same
//! host where several hosts are compared, device, kernel, dtype, shape and batch), the ratio of the
//! candidate's speed to the baseline's with its interval from the samples the files keep, and
//! "faster" or "slower" when the whole interval lies beyond 1% either way, else "same within
//! noise"; a job is a regression when the whole interval lies more than the threshold below 1.
//! These are criterion's rules ("performance has regressed" when the confidence interval of the
//! change lies beyond the noise threshold, 1% by default: two runs of the same code differ by
//! that much, significantly, from noise alone; criterion.rs `analysis/compare.rs`, user guide
//! "Command-Line Options: --noise-threshold").
//!
//! The interval covers the noise of the samples within each run; run-to-run changes (clocks,
//! temperature, neighbours) are what the threshold is for.

pub mod stats;

use serde::Serialize;

use crate::dtype::Dtype;
use crate::results::{best::is_verified, Results, Run, StopReason};
use crate::shape::Problem;

/// How a comparison decides.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A job slower by more than this fraction, with confidence, is a regression.
    pub threshold: f64,
    /// Coverage of the interval.
    pub confidence: f64,
}

pub const DEFAULT_THRESHOLD: f64 = 0.05;
/// Changes whose interval reaches within 1% of equality are "the same within noise".
pub const NOISE_BAND: f64 = 0.01;
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

pub const METHOD: &str = "Hodges-Lehmann estimate of the ratio of speeds (median of all pairwise ratios of baseline to candidate sample times) with the distribution-free Moses interval from the Mann-Whitney statistic (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., section 4.3)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval above 1 + `NOISE_BAND`.
    Faster,
    /// The whole interval below 1 - `NOISE_BAND`.
    Slower,
    /// The interval reaches into 1 +- `NOISE_BAND`: no difference beyond the noise.
    Same,
}

/// One side of a job.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub file: String,
    pub device_name: String,
    pub median_tflops: f64,
    pub samples: usize,
    /// The warm-up settled and sampling converged.
    pub settled: bool,
}

/// One job measured on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct JobComparison {
    /// Set when several hosts are compared.
    pub host: Option<String>,
    pub device: String,
    pub kernel: String,
    pub dtype: Dtype,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// Products of m x n x k per call: 1 for a plain GEMM (a batched job of the same shape is
    /// another job).
    pub batch: usize,
    pub baseline: Side,
    pub candidate: Side,
    /// Candidate speed over baseline speed (above 1: faster), Hodges-Lehmann estimate.
    pub ratio: f64,
    pub interval: [f64; 2],
    pub verdict: Verdict,
    /// Slower beyond the threshold with confidence: the whole interval below 1 - threshold.
    pub regression: bool,
}

impl JobComparison {
    /// "cpu:0 faer f32 512x512x512" ("... 8x(512x512x64)" for a batch of 8), with the host
    /// first where hosts are compared.
    pub fn name(&self) -> String {
        self.key().name()
    }

    /// The job's problem: its shape and batch.
    pub fn problem(&self) -> Problem {
        Problem::of(self.m, self.n, self.k, self.batch)
    }

    fn key(&self) -> Key {
        Key {
            host: self.host.clone(),
            device: self.device.clone(),
            kernel: self.kernel.clone(),
            dtype: self.dtype,
            problem: self.problem(),
        }
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub baseline: Vec<String>,
    pub candidate: Vec<String>,
    pub threshold: f64,
    pub confidence: f64,
    pub method: &'static str,
    pub jobs: Vec<JobComparison>,
    /// Jobs measured (and verified) on one side only.
    pub only_in_baseline: Vec<String>,
    pub only_in_candidate: Vec<String>,
    pub regressions: usize,
    /// Interrupted files, devices of different names compared, jobs found twice.
    pub notes: Vec<String>,
}

/// What a side is made of: the files (path shown, results).
pub type Set = [(String, Results)];

/// A job's identity: host (or none), device, kernel, dtype, shape and batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    host: Option<String>,
    device: String,
    kernel: String,
    dtype: Dtype,
    problem: Problem,
}

impl Key {
    fn name(&self) -> String {
        let host = self
            .host
            .as_deref()
            .map(|h| format!("{h} "))
            .unwrap_or_default();
        format!(
            "{host}{} {} {} {}",
            self.device, self.kernel, self.dtype, self.problem
        )
    }
}

struct Job<'a> {
    file: &'a str,
    doc: &'a Results,
    run: &'a Run,
}

fn hosts(set: &Set) -> Vec<String> {
    let mut h: Vec<String> = set
        .iter()
        .flat_map(|(_, d)| {
            d.runs
                .iter()
                .map(|r| r.host.clone().unwrap_or_else(|| d.host.hostname.clone()))
        })
        .collect();
    h.sort();
    h.dedup();
    h
}

/// Every verified run of a side by its key (the first where a key repeats, noted).
fn jobs<'a>(
    set: &'a Set,
    by_host: bool,
    side: &str,
    notes: &mut Vec<String>,
) -> Vec<(Key, Job<'a>)> {
    let mut out: Vec<(Key, Job)> = Vec::new();
    let mut seen: std::collections::HashSet<Key> = std::collections::HashSet::new();
    for (file, doc) in set {
        for run in doc.runs.iter().filter(|r| is_verified(r)) {
            let host = by_host.then(|| {
                run.host
                    .clone()
                    .unwrap_or_else(|| doc.host.hostname.clone())
            });
            let key = Key {
                host,
                device: device_id(doc, run),
                kernel: run.kernel.clone(),
                dtype: run.dtype,
                problem: run.problem(),
            };
            if !seen.insert(key.clone()) {
                notes.push(format!(
                    "{side}: {} appears more than once; the first is compared",
                    key.name()
                ));
                continue;
            }
            out.push((key, Job { file, doc, run }));
        }
    }
    out
}

/// The run's device; a rank's as the cluster file names it (`host/rankN/cuda:0`), since the
/// ranks of one host may each have measured a device of the same id.
fn device_id(doc: &Results, run: &Run) -> String {
    match doc.host.rank {
        Some(_) => format!(
            "{}/{}",
            crate::cluster::merge::summary::prefix(doc),
            run.device
        ),
        None => run.device.clone(),
    }
}

fn side(j: &Job) -> Side {
    Side {
        file: j.file.to_string(),
        device_name: j
            .doc
            .devices
            .iter()
            .find(|d| d.id == j.run.device)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        median_tflops: j.run.tflops.median,
        samples: j.run.samples.len(),
        settled: j.run.warmup.stable && j.run.stop_reason == StopReason::Converged,
    }
}

/// One job: the ratio of speeds from the log sample times, and its verdict.
fn compare_job(key: Key, base: &Job, cand: &Job, o: Options) -> Option<JobComparison> {
    let log = |r: &Run| r.samples.iter().map(|t| t.ln()).collect::<Vec<f64>>();
    // ln(t_base) - ln(t_cand) = ln(speed_cand / speed_base), as the flop is the same.
    let s = stats::shift(&log(base.run), &log(cand.run), o.confidence)?;
    let (ratio, lo, hi) = (s.estimate.exp(), s.lo.exp(), s.hi.exp());
    let verdict = if lo > 1.0 + NOISE_BAND {
        Verdict::Faster
    } else if hi < 1.0 - NOISE_BAND {
        Verdict::Slower
    } else {
        Verdict::Same
    };
    let shape = key.problem.shape;
    Some(JobComparison {
        host: key.host,
        device: key.device,
        kernel: key.kernel,
        dtype: key.dtype,
        m: shape.m,
        n: shape.n,
        k: shape.k,
        batch: key.problem.batch,
        baseline: side(base),
        candidate: side(cand),
        ratio,
        interval: [lo, hi],
        verdict,
        regression: hi < 1.0 - o.threshold,
    })
}

/// Compares every job of `candidate` with the same job of `baseline`.
pub fn compare(baseline: &Set, candidate: &Set, o: Options) -> Comparison {
    let mut notes = Vec::new();
    for (which, set) in [("baseline", baseline), ("candidate", candidate)] {
        for (file, _) in set.iter().filter(|(_, d)| d.interrupted) {
            notes.push(format!(
                "{which} {file} is interrupted: its results are partial"
            ));
        }
    }
    let by_host = hosts(baseline).len() > 1 || hosts(candidate).len() > 1;
    let base = jobs(baseline, by_host, "baseline", &mut notes);
    let cand = jobs(candidate, by_host, "candidate", &mut notes);
    let base_at: std::collections::HashMap<&Key, &Job> = base.iter().map(|(k, j)| (k, j)).collect();
    let cand_keys: std::collections::HashSet<&Key> = cand.iter().map(|(k, _)| k).collect();
    let mut out = Vec::new();
    let mut only_in_candidate = Vec::new();
    for (key, c) in &cand {
        let Some(b) = base_at.get(key) else {
            only_in_candidate.push(key.name());
            continue;
        };
        match compare_job(key.clone(), b, c, o) {
            Some(j) => {
                if j.baseline.device_name != j.candidate.device_name {
                    notes.push(format!(
                        "{}: the baseline is a {} and the candidate a {}",
                        j.name(),
                        j.baseline.device_name,
                        j.candidate.device_name
                    ));
                }
                out.push(j);
            }
            None => notes.push(format!("{}: no samples to compare", key.name())),
        }
    }
    let only_in_baseline = base
        .iter()
        .filter(|(k, _)| !cand_keys.contains(k))
        .map(|(k, _)| k.name())
        .collect();
    Comparison {
        baseline: baseline.iter().map(|(f, _)| f.clone()).collect(),
        candidate: candidate.iter().map(|(f, _)| f.clone()).collect(),
        threshold: o.threshold,
        confidence: o.confidence,
        method: METHOD,
        regressions: out.iter().filter(|j| j.regression).count(),
        jobs: out,
        only_in_baseline,
        only_in_candidate,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::VerificationStatus;

    fn opts() -> Options {
        Options {
            threshold: DEFAULT_THRESHOLD,
            confidence: DEFAULT_CONFIDENCE,
        }
    }

    /// The dev VM's file against itself with one job's times scaled.
    type Sides = (Vec<(String, Results)>, Vec<(String, Results)>);

    fn with_scaled(job: usize, factor: f64) -> Sides {
        let base = crate::report::fixtures::dev_vm();
        let mut cand = base.clone();
        for t in &mut cand.runs[job].samples {
            *t *= factor;
        }
        (
            vec![("base.json".into(), base)],
            vec![("cand.json".into(), cand)],
        )
    }

    #[test]
    fn identical_files_are_the_same_everywhere() {
        let (b, c) = with_scaled(0, 1.0);
        let r = compare(&b, &c, opts());
        assert_eq!(r.jobs.len(), 14);
        assert!(r
            .jobs
            .iter()
            .all(|j| j.verdict == Verdict::Same && (j.ratio - 1.0).abs() < 1e-12));
        assert_eq!(r.regressions, 0);
        assert!(r.only_in_baseline.is_empty() && r.only_in_candidate.is_empty());
    }

    #[test]
    fn a_slower_job_is_named_and_only_it() {
        // cpu:0 faer f32 512^3 (476 samples) takes 1/0.9 the time: 10% slower.
        let (b, c) = with_scaled(8, 1.0 / 0.9);
        let r = compare(&b, &c, opts());
        let slow: Vec<&JobComparison> = r.jobs.iter().filter(|j| j.regression).collect();
        assert_eq!(slow.len(), 1);
        assert_eq!(slow[0].name(), "cpu:0 faer f32 512x512x512");
        assert!((slow[0].ratio - 0.9).abs() < 1e-9 && slow[0].verdict == Verdict::Slower);
        assert!(slow[0].interval[0] < 0.9 && slow[0].interval[1] > 0.9);
        // 3% slower: slower, but within the 5% threshold.
        let (b, c) = with_scaled(8, 1.0 / 0.97);
        let r = compare(&b, &c, opts());
        assert_eq!(r.regressions, 0);
        assert_eq!(r.jobs[8].verdict, Verdict::Slower);
        // 0.5% slower: within the noise band.
        let (b, c) = with_scaled(8, 1.0 / 0.995);
        assert_eq!(compare(&b, &c, opts()).jobs[8].verdict, Verdict::Same);
    }

    #[test]
    fn unmatched_and_failed_jobs_are_listed_apart() {
        let (b, mut c) = with_scaled(0, 1.0);
        c[0].1.runs[3].verification.status = VerificationStatus::Failed;
        c[0].1.runs[4].m = 4096;
        c[0].1.interrupted = true;
        let r = compare(&b, &c, opts());
        assert_eq!(r.jobs.len(), 12);
        assert_eq!(r.only_in_baseline.len(), 2);
        assert_eq!(
            r.only_in_candidate,
            vec!["wgpu:0 tiled f32 4096x256x256".to_string()]
        );
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("cand.json is interrupted")));
    }

    #[test]
    fn a_batched_job_and_a_plain_one_of_the_same_shape_are_two_jobs() {
        // A copy of cpu:0 faer f32 512^3 as a batch of 8, 10% slower on the candidate side:
        // it is compared with its own baseline, not noted as a repeat of the plain job.
        let (mut b, mut c) = with_scaled(0, 1.0);
        for (side, factor) in [(&mut b, 1.0), (&mut c, 1.0 / 0.9)] {
            let mut batched = side[0].1.runs[8].clone();
            batched.batch = 8;
            for t in &mut batched.samples {
                *t *= 8.0 * factor;
            }
            side[0].1.runs.push(batched);
        }
        let r = compare(&b, &c, opts());
        assert_eq!(r.jobs.len(), 15);
        assert!(
            r.notes.iter().all(|n| !n.contains("more than once")),
            "{:?}",
            r.notes
        );
        let slow: Vec<&JobComparison> = r.jobs.iter().filter(|j| j.regression).collect();
        assert_eq!(slow.len(), 1);
        assert_eq!(slow[0].name(), "cpu:0 faer f32 8x(512x512x512)");
        assert_eq!(slow[0].batch, 8);
    }
}
