//! Runs the jobs of a plan: prepare, warm up and sample, verify, summarize. Progress on stderr;
//! Ctrl-C stops after the current sample and keeps what was measured.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::device::cpu::llc_bytes;
use crate::gemm::cuda::runner::CudaDevice;
use crate::gemm::wgpu::WgpuContext;
use crate::gemm::{cpu, wgpu as wgpu_gemm, GemmError, Prepared};
use crate::measure::stats::summarize;
use crate::measure::{sample, Budget};
use crate::results::{Backend, DeviceRecord, Run, Tflops, Utilization, VerificationStatus};

use super::plan::{free_memory, Job, Plan};

/// What the run produced.
pub struct Outcome {
    pub runs: Vec<Run>,
    pub notes: Vec<String>,
    /// Jobs that could not be measured (device errors).
    pub errors: usize,
    pub interrupted: bool,
}

/// Opened devices, kept for the whole bench.
#[derive(Default)]
struct Devices {
    wgpu: HashMap<usize, Result<WgpuContext, String>>,
    cuda: HashMap<usize, Result<CudaDevice, String>>,
    /// The host's last-level cache, read from sysfs once.
    llc: Option<u64>,
    adapters: Option<Vec<wgpu::Adapter>>,
}

const LLC_FALLBACK: u64 = 64 << 20;

impl Devices {
    fn prepare(&mut self, d: &DeviceRecord, job: &Job, seed: u64) -> Result<Prepared, GemmError> {
        let llc = *self
            .llc
            .get_or_insert_with(|| llc_bytes().unwrap_or(LLC_FALLBACK));
        match d.backend {
            Backend::Cpu => cpu::prepare(job.dtype, job.shape, seed, llc, free_memory()),
            Backend::Wgpu => {
                let adapters = self
                    .adapters
                    .get_or_insert_with(crate::device::wgpu::adapters);
                let ctx = self.wgpu.entry(d.index).or_insert_with(|| {
                    adapters
                        .get(d.index)
                        .ok_or_else(|| format!("adapter {} disappeared", d.id))
                        .and_then(|a| WgpuContext::open(a, llc).map_err(|e| e.to_string()))
                });
                let ctx = ctx.as_ref().map_err(|e| GemmError::Device(e.clone()))?;
                wgpu_gemm::prepare(ctx, &job.kernel, job.dtype, job.shape, seed)
            }
            Backend::Cuda => {
                let props = d
                    .cuda
                    .as_ref()
                    .ok_or_else(|| GemmError::Device("no CUDA properties".into()))?;
                let dev = self.cuda.entry(d.index).or_insert_with(|| {
                    CudaDevice::open(
                        d.index,
                        super::plan::cuda_cc(&props.compute_capability),
                        props.l2_bytes,
                    )
                    .map_err(|e| e.to_string())
                });
                let dev = dev.as_ref().map_err(|e| GemmError::Device(e.clone()))?;
                crate::gemm::cuda::runner::prepare(dev, &job.kernel, job.dtype, job.shape, seed)
            }
        }
    }
}

/// Measures one job into a Run.
fn measure(
    prepared: Prepared,
    d: &DeviceRecord,
    job: &Job,
    budget: &Budget,
    seed: u64,
    stop: &AtomicBool,
) -> Result<Run, String> {
    let Prepared {
        mut gemm,
        operand_sets,
        timer,
        compute_type,
        details,
    } = prepared;
    // NVML telemetry for CUDA devices, sampled while the GEMM runs.
    let sampler = d.cuda.as_ref().and_then(|c| {
        crate::telemetry::Sampler::start(
            c.pci_bus_id.as_deref(),
            d.index,
            std::time::Duration::from_millis(100),
        )
        .ok()
    });
    let sampling = sample(gemm.as_mut(), budget, stop);
    let telemetry = sampler.map(|s| s.finish());
    let sampling = sampling?;
    let verification = gemm.verify()?;
    let time_s = summarize(&sampling.samples);
    let flop = job.shape.flop();
    let tflops = Tflops {
        median: flop / time_s.median / 1e12,
        max: flop / time_s.min / 1e12,
    };
    let rated = d
        .rated_tflops
        .get(&job.dtype)
        .map(|peak| tflops.median / peak);
    // Against the peak at the SM clock actually sampled: tells throttling from inefficiency.
    let at_sampled_clock = telemetry
        .as_ref()
        .and_then(|t| t.sm_clock_mhz_median)
        .zip(crate::peaks::reference_clock_mhz(d, job.dtype))
        .zip(d.rated_tflops.get(&job.dtype))
        .map(|((sampled, reference), peak)| tflops.median / (peak * sampled / reference));
    Ok(Run {
        device: d.id.clone(),
        backend: d.backend,
        kernel: job.kernel.clone(),
        dtype: job.dtype,
        compute_type,
        m: job.shape.m,
        n: job.shape.n,
        k: job.shape.k,
        flop,
        samples: sampling.samples,
        time_s,
        tflops,
        utilization: Utilization {
            rated,
            at_sampled_clock,
            above_peak: rated.is_some_and(|u| u > 1.0),
        },
        verification,
        telemetry,
        timer,
        warmup: sampling.warmup,
        stop_reason: sampling.stop_reason,
        operand_sets,
        seed,
        details,
        rank: None,
        host: None,
    })
}

fn progress(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// What one job produced.
enum JobResult {
    Measured(Box<Run>),
    /// Stopped before its first sample.
    Nothing,
    Failed(String),
}

fn run_job(
    devices: &mut Devices,
    d: &DeviceRecord,
    job: &Job,
    budget: &Budget,
    seed: u64,
    stop: &AtomicBool,
) -> JobResult {
    let result = devices
        .prepare(d, job, seed)
        .map_err(|e| e.to_string())
        .and_then(|p| measure(p, d, job, budget, seed, stop));
    match result {
        Ok(run) if run.samples.is_empty() => JobResult::Nothing,
        Ok(run) => JobResult::Measured(Box::new(run)),
        Err(e) => JobResult::Failed(format!(
            "{} {} {} {}: {e}",
            d.id, job.kernel, job.dtype, job.shape
        )),
    }
}

/// Collects one job's result into the outcome, printing above the progress bar.
fn record(result: JobResult, out: &mut Outcome, bar: &ProgressBar) {
    match result {
        JobResult::Measured(run) => {
            let what = format!(
                "{} {} {} {}x{}x{}",
                run.device, run.kernel, run.dtype, run.m, run.n, run.k
            );
            if run.verification.status == VerificationStatus::Failed {
                bar.println(format!(
                    "FAILED verification: {what}: {}",
                    run.verification.message.clone().unwrap_or_default()
                ));
            }
            if run.utilization.above_peak {
                let msg = format!(
                    "{what}: utilization above 100% of the rated peak: a timing or peak error"
                );
                bar.println(format!("warning: {msg}"));
                out.notes.push(msg);
            }
            out.runs.push(*run);
        }
        JobResult::Nothing => {}
        JobResult::Failed(msg) => {
            bar.println(format!("error: {msg}"));
            out.notes.push(msg);
            out.errors += 1;
        }
    }
}

/// Runs every job of the plan: one after the other, or with `plan.concurrent` every device's
/// k-th job at the same time (one thread per device, a barrier between jobs), as training
/// loads the GPUs of a node. `before_job` runs before each job (an MPI barrier across ranks).
pub fn execute(
    plan: &Plan,
    budget: &Budget,
    seed: u64,
    stop: &AtomicBool,
    before_job: &(dyn Fn() + Sync),
) -> Outcome {
    let bar = progress(plan.jobs.len());
    let mut out = Outcome {
        runs: Vec::new(),
        notes: Vec::new(),
        errors: 0,
        interrupted: false,
    };
    if plan.concurrent && plan.devices.len() > 1 {
        let per_device: Vec<Vec<&Job>> = (0..plan.devices.len())
            .map(|i| plan.jobs.iter().filter(|j| j.device == i).collect())
            .collect();
        let rounds = per_device.iter().map(Vec::len).max().unwrap_or(0);
        let barrier = std::sync::Barrier::new(plan.devices.len());
        let results: Vec<Vec<JobResult>> = std::thread::scope(|s| {
            let handles: Vec<_> = per_device
                .iter()
                .enumerate()
                .map(|(i, jobs)| {
                    let (barrier, bar, d) = (&barrier, &bar, &plan.devices[i]);
                    s.spawn(move || {
                        let mut devices = Devices::default();
                        let mut results = Vec::new();
                        for round in 0..rounds {
                            barrier.wait();
                            if i == 0 {
                                before_job();
                            }
                            barrier.wait();
                            let Some(job) = jobs.get(round) else { continue };
                            if stop.load(Ordering::Relaxed) {
                                continue;
                            }
                            bar.set_message(format!(
                                "all devices: {} {} {}",
                                job.kernel, job.dtype, job.shape
                            ));
                            results.push(run_job(&mut devices, d, job, budget, seed, stop));
                            bar.inc(1);
                        }
                        results
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for r in results.into_iter().flatten() {
            record(r, &mut out, &bar);
        }
    } else {
        let mut devices = Devices::default();
        for job in &plan.jobs {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let d = &plan.devices[job.device];
            bar.set_message(format!(
                "{} {} {} {}",
                d.id, job.kernel, job.dtype, job.shape
            ));
            before_job();
            record(
                run_job(&mut devices, d, job, budget, seed, stop),
                &mut out,
                &bar,
            );
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    out.interrupted = stop.load(Ordering::Relaxed);
    out
}
