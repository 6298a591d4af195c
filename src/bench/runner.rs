//! Runs the jobs of a plan: prepare, warm up and sample, verify, summarize, telling a
//! `Progress` (drawn by the command: a bar, a line per job, or nothing) as jobs start and end.
//! Ctrl-C stops after the current sample and keeps what was measured.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::device::cpu::llc_bytes;
use crate::gemm::cuda::runner::CudaDevice;
use crate::gemm::wgpu::WgpuContext;
use crate::gemm::{cpu, wgpu as wgpu_gemm, GemmError, Prepared};
use crate::measure::stats::summarize;
use crate::measure::{sample, Budget};
use crate::results::{Backend, DeviceRecord, Run, Tflops, Utilization, VerificationStatus};

use super::plan::{Job, Plan};

/// What the run produced.
pub struct Outcome {
    pub runs: Vec<Run>,
    pub notes: Vec<String>,
    /// Jobs that could not be measured (device errors).
    pub errors: usize,
    pub interrupted: bool,
}

/// Opened devices, kept for the whole bench (and a sustained run's device thread).
#[derive(Default)]
pub(crate) struct Devices {
    wgpu: HashMap<usize, Result<WgpuContext, String>>,
    cuda: HashMap<usize, Result<CudaDevice, String>>,
    /// The host's last-level cache, read from sysfs once.
    llc: Option<u64>,
    adapters: Option<Vec<wgpu::Adapter>>,
}

const LLC_FALLBACK: u64 = 64 << 20;

impl Devices {
    pub(crate) fn prepare(
        &mut self,
        d: &DeviceRecord,
        job: &Job,
        seed: u64,
    ) -> Result<Prepared, GemmError> {
        let llc = *self
            .llc
            .get_or_insert_with(|| llc_bytes().unwrap_or(LLC_FALLBACK));
        match d.backend {
            Backend::Cpu => cpu::prepare_kernel(
                &job.kernel,
                job.dtype,
                job.problem(),
                seed,
                llc,
                cpu::Memory::now(),
            ),
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
                wgpu_gemm::prepare(ctx, &job.kernel, job.dtype, job.problem(), seed)
            }
            Backend::Cuda => {
                let props = d
                    .cuda
                    .as_ref()
                    .ok_or_else(|| GemmError::Device("no CUDA properties".into()))?;
                let dev = self.cuda.entry(d.index).or_insert_with(|| {
                    CudaDevice::open(d.index, props.compute_capability, props.l2_bytes)
                        .map_err(|e| e.to_string())
                });
                let dev = dev.as_ref().map_err(|e| GemmError::Device(e.clone()))?;
                crate::gemm::cuda::runner::prepare(dev, &job.kernel, job.dtype, job.problem(), seed)
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
    let flop = job.problem().flop();
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
        .filter(|mhz| *mhz > 0.0)
        .zip(crate::device::rated_clock::reference_clock_mhz(
            d, job.dtype,
        ))
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
        batch: job.batch,
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
        energy: crate::results::Energy::of(tflops.median, telemetry.as_ref()),
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

/// A job that has just finished, as progress reports it.
pub struct Finished<'a> {
    /// Jobs finished so far, this one included, and jobs in the plan.
    pub done: usize,
    pub total: usize,
    pub run: &'a Run,
    /// The best verified median TFLOP/s on this device and dtype so far, this job included.
    pub best: Option<f64>,
}

/// Who hears about the bench as it goes. The runner calls it from one thread at a time for
/// `finished`, `failed` and `say`, and from every device's thread for `starting`.
pub trait Progress: Sync {
    /// A job is starting ("cpu:0 faer f32 512x512x512", or "all devices: ..." when concurrent).
    fn starting(&self, what: &str);
    fn finished(&self, job: Finished);
    /// A job that could not be measured (the message names it).
    fn failed(&self, done: usize, total: usize, message: &str);
    /// A warning or a failed verification, printed whatever the progress style.
    fn say(&self, line: &str);
    /// The last job is done (or the run stopped).
    fn done(&self);
}

/// What one job produced.
enum JobResult {
    Measured(Box<Run>),
    /// Stopped before its first sample.
    Nothing,
    Failed(String),
}

/// "cuda:0 cublas bf16 8192x8192x8192": a job as progress and errors name it.
fn what(d: &DeviceRecord, job: &Job) -> String {
    format!("{} {} {} {}", d.id, job.kernel, job.dtype, job.problem())
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
        Err(e) => JobResult::Failed(format!("{}: {e}", what(d, job))),
    }
}

/// The best verified median TFLOP/s among `runs` on `run`'s device and dtype.
fn best_so_far(runs: &[Run], run: &Run) -> Option<f64> {
    crate::results::best::fastest(
        runs.iter()
            .filter(|r| r.device == run.device && r.dtype == run.dtype),
    )
    .map(|r| r.tflops.median)
}

/// Collects one job's result into the outcome and tells the progress.
fn record(result: JobResult, out: &mut Outcome, progress: &dyn Progress, total: usize) {
    let done = out.runs.len() + out.errors + 1;
    match result {
        JobResult::Measured(run) => {
            let what = format!(
                "{} {} {} {}",
                run.device,
                run.kernel,
                run.dtype,
                run.problem()
            );
            if run.verification.status == VerificationStatus::Failed {
                progress.say(&format!(
                    "FAILED verification: {what}: {}",
                    run.verification.message.clone().unwrap_or_default()
                ));
            }
            if run.utilization.above_peak {
                let msg = format!(
                    "{what}: utilization above 100% of the rated peak: a timing or peak error"
                );
                progress.say(&format!("warning: {msg}"));
                out.notes.push(msg);
            }
            out.runs.push(*run);
            let run = out.runs.last().expect("just pushed");
            progress.finished(Finished {
                done,
                total,
                run,
                best: best_so_far(&out.runs, run),
            });
        }
        JobResult::Nothing => {}
        JobResult::Failed(msg) => {
            progress.failed(done, total, &msg);
            out.notes.push(msg);
            out.errors += 1;
        }
    }
}

/// Runs one job; a panic inside it (a library bug) fails that job, not the bench.
fn run_job_guarded(
    run: JobFn,
    devices: &mut Devices,
    d: &DeviceRecord,
    job: &Job,
    budget: &Budget,
    seed: u64,
    stop: &AtomicBool,
) -> JobResult {
    crate::panic_guard::guard("panicked", || Ok(run(devices, d, job, budget, seed, stop)))
        .unwrap_or_else(|e| JobResult::Failed(format!("{}: {e}", what(d, job))))
}

/// Called after each job with everything measured so far (the bench writes its results file
/// there, so a killed run keeps what it finished).
pub type Checkpoint<'a> = &'a mut dyn FnMut(&Outcome);

/// Runs every job of the plan: one after the other, or with `plan.concurrent` every device's
/// k-th job at the same time (one thread per device, a barrier between jobs), as training
/// loads the GPUs of a node. `before_job` runs before each job (an MPI barrier across ranks).
pub fn execute(
    plan: &Plan,
    budget: &Budget,
    seed: u64,
    stop: &AtomicBool,
    hooks: Hooks,
) -> Outcome {
    execute_with(run_job, plan, budget, seed, stop, hooks)
}

/// What the bench command hooks into the run: an MPI barrier before each job, a save of the
/// results after each, and the progress shown.
pub struct Hooks<'a> {
    pub before_job: &'a (dyn Fn() + Sync),
    pub checkpoint: Checkpoint<'a>,
    pub progress: &'a dyn Progress,
}

/// What measures one job (tests substitute a failing one).
type JobFn = fn(&mut Devices, &DeviceRecord, &Job, &Budget, u64, &AtomicBool) -> JobResult;

fn execute_with(
    run: JobFn,
    plan: &Plan,
    budget: &Budget,
    seed: u64,
    stop: &AtomicBool,
    hooks: Hooks,
) -> Outcome {
    let Hooks {
        before_job,
        checkpoint,
        progress,
    } = hooks;
    let mut out = Outcome {
        runs: Vec::new(),
        notes: Vec::new(),
        errors: 0,
        interrupted: false,
    };
    let ctx = Context {
        run,
        plan,
        budget,
        seed,
        stop,
        before_job,
        progress,
    };
    if plan.concurrent && plan.devices.len() > 1 {
        run_concurrent(&ctx, &mut out, checkpoint);
    } else {
        run_sequential(&ctx, &mut out, checkpoint);
    }
    progress.done();
    out.interrupted = stop.load(Ordering::Relaxed);
    out
}

/// What every job of one bench shares.
struct Context<'a> {
    run: JobFn,
    plan: &'a Plan,
    budget: &'a Budget,
    seed: u64,
    stop: &'a AtomicBool,
    before_job: &'a (dyn Fn() + Sync),
    progress: &'a dyn Progress,
}

impl Context<'_> {
    fn run(&self, devices: &mut Devices, d: &DeviceRecord, job: &Job) -> JobResult {
        run_job_guarded(self.run, devices, d, job, self.budget, self.seed, self.stop)
    }
}

fn run_sequential(ctx: &Context, out: &mut Outcome, checkpoint: Checkpoint) {
    let mut devices = Devices::default();
    for job in &ctx.plan.jobs {
        if ctx.stop.load(Ordering::Relaxed) {
            break;
        }
        let d = &ctx.plan.devices[job.device];
        ctx.progress.starting(&what(d, job));
        (ctx.before_job)();
        let result = ctx.run(&mut devices, d, job);
        record(result, out, ctx.progress, ctx.plan.jobs.len());
        checkpoint(out);
    }
}

/// One thread per device; results come back over a channel as they finish, so each is
/// recorded (and checkpointed) at once. Every thread waits for a go before its first job: when
/// one cannot be started (a thread or address-space limit), none runs, and that is an error
/// instead of the others waiting for it at the barrier forever.
fn run_concurrent(ctx: &Context, out: &mut Outcome, checkpoint: Checkpoint) {
    let Context {
        plan,
        stop,
        before_job,
        progress,
        ..
    } = *ctx;
    let per_device: Vec<Vec<&Job>> = (0..plan.devices.len())
        .map(|i| plan.jobs.iter().filter(|j| j.device == i).collect())
        .collect();
    let rounds = per_device.iter().map(Vec::len).max().unwrap_or(0);
    let barrier = std::sync::Barrier::new(plan.devices.len());
    let (tx, rx) = std::sync::mpsc::channel::<JobResult>();
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        let mut gos = Vec::new();
        let mut failed = None;
        for (i, jobs) in per_device.iter().enumerate() {
            let (barrier, d, tx) = (&barrier, &plan.devices[i], tx.clone());
            let (go, wait) = std::sync::mpsc::channel::<bool>();
            let worker = move || {
                if !wait.recv().unwrap_or(false) {
                    return;
                }
                let mut devices = Devices::default();
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
                    if i == 0 {
                        progress.starting(&format!(
                            "all devices: {} {} {}",
                            job.kernel,
                            job.dtype,
                            job.problem()
                        ));
                    }
                    let _ = tx.send(ctx.run(&mut devices, d, job));
                }
            };
            match std::thread::Builder::new().spawn_scoped(s, worker) {
                Ok(h) => {
                    handles.push((h, d));
                    gos.push(go);
                }
                Err(e) => {
                    failed = Some(format!("cannot start a thread for {}: {e}", d.id));
                    break;
                }
            }
        }
        drop(tx);
        let all_started = failed.is_none();
        for go in gos {
            let _ = go.send(all_started);
        }
        if let Some(msg) = failed {
            progress.say(&format!("error: {msg}; no job ran"));
            out.notes.push(msg);
            out.errors += plan.jobs.len();
        }
        for result in rx {
            record(result, out, progress, plan.jobs.len());
            checkpoint(out);
        }
        for (h, d) in handles {
            if let Err(p) = h.join() {
                let msg = format!(
                    "{}: its thread panicked ({}); its remaining jobs did not run",
                    d.id,
                    crate::panic_guard::panic_message(p.as_ref())
                );
                progress.say(&format!("error: {msg}"));
                out.notes.push(msg);
                out.errors += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::Dtype;
    use crate::results::Shape;

    fn cpu_plan(sizes: &[usize]) -> Plan {
        Plan {
            devices: vec![crate::device::cpu::discover(false)],
            jobs: sizes
                .iter()
                .map(|n| Job {
                    device: 0,
                    kernel: "faer".into(),
                    dtype: Dtype::F32,
                    shape: Shape::cube(*n),
                    batch: 1,
                })
                .collect(),
            notes: Vec::new(),
            dtypes: vec![Dtype::F32],
            kernels: vec!["faer".into()],
            shapes: sizes.iter().map(|n| Shape::cube(*n)).collect(),
            sweep: None,
            concurrent: false,
        }
    }

    /// Progress that remembers what it was told.
    #[derive(Default)]
    struct Heard(std::sync::Mutex<Vec<String>>);

    impl Progress for Heard {
        fn starting(&self, _: &str) {}
        fn finished(&self, j: Finished) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}/{} {} {:?}", j.done, j.total, j.run.m, j.best));
        }
        fn failed(&self, done: usize, total: usize, message: &str) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{done}/{total} failed {message}"));
        }
        fn say(&self, line: &str) {
            self.0.lock().unwrap().push(line.into());
        }
        fn done(&self) {
            self.0.lock().unwrap().push("done".into());
        }
    }

    fn hooks<'a>(checkpoint: Checkpoint<'a>, progress: &'a Heard) -> Hooks<'a> {
        Hooks {
            before_job: &|| {},
            checkpoint,
            progress,
        }
    }

    fn quick() -> Budget {
        Budget {
            warmup_s: 0.0,
            min_time_s: 0.0,
            max_time_s: 0.02,
            target_rel_spread: 0.5,
            min_samples: 3,
        }
    }

    #[test]
    fn every_finished_job_is_checkpointed_with_all_runs_so_far() {
        let plan = cpu_plan(&[32, 48, 64]);
        let mut seen = Vec::new();
        let heard = Heard::default();
        let out = execute(
            &plan,
            &quick(),
            1,
            &AtomicBool::new(false),
            hooks(&mut |o: &Outcome| seen.push(o.runs.len()), &heard),
        );
        assert_eq!(seen, vec![1, 2, 3]);
        assert_eq!(out.runs.len(), 3);
        assert!(!out.interrupted);
        // One report per job, numbered, with the best so far on the device and dtype.
        let heard = heard.0.into_inner().unwrap();
        assert_eq!(heard.len(), 4, "{heard:?}");
        for (i, line) in heard[..3].iter().enumerate() {
            assert!(line.starts_with(&format!("{}/3 ", i + 1)), "{line}");
        }
        let best = out.runs.iter().map(|r| r.tflops.median).fold(0.0, f64::max);
        assert!(heard[2].ends_with(&format!("Some({best:?})")), "{heard:?}");
        assert_eq!(heard[3], "done");
    }

    /// Measures device 0's jobs and panics on every other device's.
    fn panics_off_device_0(
        devices: &mut Devices,
        d: &DeviceRecord,
        job: &Job,
        budget: &Budget,
        seed: u64,
        stop: &AtomicBool,
    ) -> JobResult {
        if d.id != "cpu:0" {
            panic!("driver bug on {}", d.id);
        }
        run_job(devices, d, job, budget, seed, stop)
    }

    #[test]
    fn a_panicking_device_thread_is_counted_and_the_others_finish() {
        let mut plan = cpu_plan(&[32, 48]);
        let mut other = plan.devices[0].clone();
        other.id = "cpu:1".into();
        plan.devices.push(other);
        let second: Vec<Job> = plan
            .jobs
            .iter()
            .map(|j| Job {
                device: 1,
                ..j.clone()
            })
            .collect();
        plan.jobs.extend(second);
        plan.concurrent = true;
        let mut checkpoints = 0;
        let heard = Heard::default();
        let out = execute_with(
            panics_off_device_0,
            &plan,
            &quick(),
            1,
            &AtomicBool::new(false),
            hooks(&mut |_: &Outcome| checkpoints += 1, &heard),
        );
        assert_eq!(out.runs.len(), 2, "{:?}", out.notes);
        assert!(out.runs.iter().all(|r| r.device == "cpu:0"));
        assert_eq!(out.errors, 2);
        assert!(out
            .notes
            .iter()
            .all(|n| n.starts_with("cpu:1 faer f32") && n.contains("panicked: driver bug")));
        assert_eq!(checkpoints, 4);
        let heard = heard.0.into_inner().unwrap();
        assert_eq!(
            heard.iter().filter(|l| l.contains(" failed cpu:1")).count(),
            2,
            "{heard:?}"
        );
    }

    #[test]
    fn a_stopped_run_checkpoints_nothing_more_and_says_so() {
        let plan = cpu_plan(&[32, 48]);
        let stop = AtomicBool::new(true);
        let mut calls = 0;
        let heard = Heard::default();
        let out = execute(
            &plan,
            &quick(),
            1,
            &stop,
            hooks(&mut |_: &Outcome| calls += 1, &heard),
        );
        assert_eq!((calls, out.runs.len()), (0, 0));
        assert!(out.interrupted);
    }
}
