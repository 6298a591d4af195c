//! One rank's results file reduced to what the cluster needs: per device its chip and rated
//! peaks, per job its median, quartile and fastest rates, verification, telemetry and verdict,
//! and the file's path and content hash, where its samples stay (unless asked for). Both the
//! merge of rank files and the MPI gather (each rank sends this, not its samples) use it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::results::cluster::{DeviceSummary, JobSummary, RankRecord, TelemetrySummary};
use crate::results::{DeviceRecord, Results, Run, Settings, StopReason, Telemetry};

/// A rank's record and the settings it was measured with (the merge lists each settings once
/// and points the record at it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summarized {
    pub record: RankRecord,
    pub settings: Settings,
}

/// `host/rankN`, or `host` for a file without a rank.
pub fn prefix(r: &Results) -> String {
    match r.host.rank {
        Some(k) => format!("{}/rank{k}", r.host.hostname),
        None => r.host.hostname.clone(),
    }
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn device(prefix: &str, d: &DeviceRecord) -> DeviceSummary {
    DeviceSummary {
        id: format!("{prefix}/{}", d.id),
        name: d.name.clone(),
        backend: d.backend,
        rated_tflops: d.rated_tflops.clone(),
        rated_kind: d.rated_kind,
        rated_matched: d.rated_matched.clone(),
        driver: d
            .cuda
            .as_ref()
            .map(|c| format!("CUDA {}", c.driver_version))
            .or_else(|| {
                d.wgpu
                    .as_ref()
                    .map(|w| format!("{} {}", w.driver, w.driver_info))
            }),
    }
}

fn telemetry(t: &Telemetry) -> TelemetrySummary {
    TelemetrySummary {
        sm_clock_mhz: t.sm_clock_mhz_median,
        power_w: t.power_w_median,
        power_limit_w: t.power_limit_w,
        temperature_c_max: t.temperature_c_max,
        throttle_reasons: t.throttle_reasons.clone(),
    }
}

fn job(prefix: &str, run: &Run, with_samples: bool) -> JobSummary {
    JobSummary {
        device: format!("{prefix}/{}", run.device),
        kernel: run.kernel.clone(),
        dtype: run.dtype,
        m: run.m,
        n: run.n,
        k: run.k,
        batch: run.batch,
        samples: run.samples.len(),
        median_tflops: run.tflops.median,
        // The slower quartile of times is the lower quartile of rates.
        p25_tflops: run.tflops_at(run.time_s.p75),
        p75_tflops: run.tflops_at(run.time_s.p25),
        max_tflops: run.tflops.max,
        verification: run.verification.status,
        settled: run.warmup.stable && run.stop_reason == StopReason::Converged,
        telemetry: run.telemetry.as_ref().map(telemetry),
        verdict: None,
        vs_reference: None,
        times_s: with_samples.then(|| run.samples.clone()),
    }
}

/// Marks each device's best verified job of each dtype with its verdict against the published
/// reference of its chip, where there is one.
fn mark_verdicts(r: &Results, jobs: &mut [JobSummary]) {
    for b in crate::results::best::best_per_device(r) {
        let chip = b.device.rated_matched.as_deref();
        let Some(reference) = chip.and_then(|c| crate::reference::reference(c, b.dtype)) else {
            continue;
        };
        // Jobs are the runs in order: the best run's place is its job's.
        let Some(at) = r.runs.iter().position(|x| std::ptr::eq(x, b.run)) else {
            continue;
        };
        let (ratio, verdict) = crate::reference::judge(b.run.tflops.median, reference.tflops);
        jobs[at].verdict = Some(verdict);
        jobs[at].vs_reference = Some(ratio);
    }
}

/// The record of one rank file: `file` as the merge names it, `bytes` its content.
pub fn summarize(file: &str, bytes: &[u8], r: &Results, with_samples: bool) -> Summarized {
    let prefix = prefix(r);
    let mut jobs: Vec<JobSummary> = r
        .runs
        .iter()
        .map(|x| job(&prefix, x, with_samples))
        .collect();
    mark_verdicts(r, &mut jobs);
    Summarized {
        record: RankRecord {
            file: file.to_string(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
            host: r.host.hostname.clone(),
            rank: r.host.rank,
            launcher: r.host.launcher.clone(),
            created_at: r.created_at.clone(),
            interrupted: r.interrupted,
            settings: 0,
            devices: r.devices.iter().map(|d| device(&prefix, d)).collect(),
            jobs,
            notes: r.notes.clone(),
            collectives: r
                .collectives
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c.devices = c.devices.iter().map(|d| format!("{prefix}/{d}")).collect();
                    c
                })
                .collect(),
        },
        settings: crate::cluster::merge::stragglers::comparable(&r.settings),
    }
}
