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
use crate::results::{
    Backend, DeviceRecord, Run, StopReason, Tflops, Utilization, VerificationStatus,
};

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
    adapters: Option<Vec<wgpu::Adapter>>,
}

const LLC_FALLBACK: u64 = 64 << 20;

impl Devices {
    fn prepare(&mut self, d: &DeviceRecord, job: &Job, seed: u64) -> Result<Prepared, GemmError> {
        let llc = llc_bytes().unwrap_or(LLC_FALLBACK);
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

/// Runs every job of the plan in order.
pub fn execute(plan: &Plan, budget: &Budget, seed: u64, stop: &AtomicBool) -> Outcome {
    let mut devices = Devices::default();
    let mut runs = Vec::new();
    let mut notes = Vec::new();
    let mut errors = 0;
    let bar = progress(plan.jobs.len());
    for job in &plan.jobs {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let d = &plan.devices[job.device];
        bar.set_message(format!(
            "{} {} {} {}",
            d.id, job.kernel, job.dtype, job.shape
        ));
        let result = devices
            .prepare(d, job, seed)
            .map_err(|e| e.to_string())
            .and_then(|p| measure(p, d, job, budget, seed, stop));
        match result {
            Ok(run) => {
                if run.verification.status == VerificationStatus::Failed {
                    bar.println(format!(
                        "FAILED verification: {} {} {} {}: {}",
                        d.id,
                        job.kernel,
                        job.dtype,
                        job.shape,
                        run.verification.message.clone().unwrap_or_default()
                    ));
                }
                if run.utilization.above_peak {
                    let msg = format!(
                        "{} {} {} {}: utilization above 100% of the rated peak: a timing or peak error",
                        d.id, job.kernel, job.dtype, job.shape
                    );
                    bar.println(format!("warning: {msg}"));
                    notes.push(msg);
                }
                let interrupted = run.stop_reason == StopReason::Interrupted;
                // A run cut short before its first sample has nothing to report.
                if !run.samples.is_empty() {
                    runs.push(run);
                }
                if interrupted {
                    break;
                }
            }
            Err(e) => {
                let msg = format!("{} {} {} {}: {e}", d.id, job.kernel, job.dtype, job.shape);
                bar.println(format!("error: {msg}"));
                notes.push(msg);
                errors += 1;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Outcome {
        runs,
        notes,
        errors,
        interrupted: stop.load(Ordering::Relaxed),
    }
}
