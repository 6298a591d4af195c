//! Every chosen device at once, one thread each, as training loads a node: each prepares its
//! GEMM (bench's device openers), starts its telemetry (NVML on a GPU, the CPU clock on the CPU
//! and on a software adapter) and runs its prelude; then all start their series together (a
//! barrier, and the caller's own, an MPI barrier across ranks, in between). The calling thread
//! watches: it tells the progress of every window that closes and every failure found, and
//! hands the series so far to a checkpoint every few seconds, so a killed run keeps them.

use std::sync::atomic::AtomicBool;
use std::sync::{Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::bench::runner::Devices;
use crate::results::sustain::{Checks, DeviceSeries, Failure, Window};
use crate::results::{Backend, DeviceRecord, Timer};
use crate::telemetry::Sampler;

use super::checks::{self, When};
use super::choose::Choice;
use super::device::{lock, prelude, series, Live, Ready};
use super::series::add_telemetry;
use super::verdict::{mark_outliers, verdict, Inputs};
use super::{Plant, SustainOptions};

/// Least time between two checkpoints.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(5);
/// How often the watching thread looks.
const TICK: Duration = Duration::from_millis(100);

/// Who hears about the run as it goes (called from the watching thread only).
pub trait Progress: Sync {
    /// A window of a device closed: its rate and telemetry, and the checks so far.
    fn window(&self, device: &str, w: &Window, checks: &Checks);
    /// A failure was found on a device.
    fn failure(&self, device: &str, f: &Failure);
    /// The run is over (or stopped).
    fn done(&self);
}

/// What the command hooks into the run.
pub struct Hooks<'a> {
    /// Runs once every device is ready, before the series start (an MPI barrier).
    pub before_start: &'a (dyn Fn() + Sync),
    /// Called every `CHECKPOINT_INTERVAL` with the series so far.
    pub checkpoint: &'a mut dyn FnMut(&[DeviceSeries]),
    pub progress: &'a dyn Progress,
    /// The test suite's kernel wrapper; None in flopmeter.
    pub plant: Option<&'a Plant>,
}

/// What a device's GEMM turned out to be once prepared.
struct Prepared {
    compute_type: String,
    timer: Timer,
    operand_sets: usize,
}

/// One device's place in the run.
struct Slot<'a> {
    choice: &'a Choice,
    live: Mutex<Live>,
    prepared: OnceLock<Prepared>,
    sampler: Mutex<Option<Sampler>>,
    /// When its series ended, seconds since the start.
    ended_s: OnceLock<f64>,
    /// Windows and failures told to the progress so far.
    told: Mutex<(usize, usize)>,
}

/// The telemetry a device can have: NVML for a CUDA GPU (and an NVIDIA adapter under wgpu,
/// found by its PCI bus id), the CPU's clock for the CPU and a software adapter; none else.
fn telemetry_for(d: &DeviceRecord) -> Option<Sampler> {
    let nvml =
        |pci: Option<&str>, ordinal| Sampler::start(pci, ordinal, Duration::from_millis(100));
    let cpu = || Sampler::start_cpu_clock(Duration::from_millis(250));
    match d.backend {
        Backend::Cuda => nvml(
            d.cuda.as_ref().and_then(|c| c.pci_bus_id.as_deref()),
            d.index,
        )
        .ok(),
        Backend::Cpu => cpu().ok(),
        Backend::Wgpu => {
            let w = d.wgpu.as_ref()?;
            if w.device_type == "cpu" {
                return cpu().ok();
            }
            const NVIDIA: u32 = 0x10de;
            if w.vendor_id != NVIDIA {
                return None;
            }
            let pci = crate::device::wgpu::adapters()
                .get(d.index)
                .map(|a| a.get_info().device_pci_bus_id)
                .filter(|p| !p.is_empty())?;
            nvml(Some(&pci), usize::MAX).ok()
        }
    }
}

/// A device thread's work before the series: the GEMM prepared (and planted, in tests), its
/// telemetry started, its prelude run.
fn ready(
    slot: &Slot,
    devices: &mut Devices,
    (seed, opts_check_every): (u64, Option<u64>),
    plant: Option<&Plant>,
) -> Result<(Box<dyn crate::gemm::Gemm>, Ready), String> {
    let c = slot.choice;
    if let Some(why) = &c.failed {
        return Err(why.clone());
    }
    let p = devices
        .prepare(&c.device, &c.job, seed)
        .map_err(|e| e.to_string())?;
    let _ = slot.prepared.set(Prepared {
        compute_type: p.compute_type,
        timer: p.timer,
        operand_sets: p.operand_sets,
    });
    let mut gemm = match plant {
        Some(wrap) => wrap(&c.device, p.gemm),
        None => p.gemm,
    };
    *lock(&slot.sampler) = telemetry_for(&c.device);
    let ready = prelude(gemm.as_mut(), p.operand_sets, opts_check_every, &slot.live)?;
    Ok((gemm, ready))
}

/// What every device thread shares.
struct Shared<'a> {
    opts: &'a SustainOptions,
    stop: &'a AtomicBool,
    barrier: Barrier,
    start: OnceLock<Instant>,
    before_start: &'a (dyn Fn() + Sync),
    plant: Option<&'a Plant>,
}

/// One device's thread: ready, the common start, the series (a panic inside a library is a
/// device failure, not a lost run).
fn device_thread(slot: &Slot, shared: &Shared, leader: bool) {
    let mut devices = Devices::default();
    let ready = crate::panic_guard::guard("panicked", || {
        let opts = shared.opts;
        ready(
            slot,
            &mut devices,
            (opts.seed, opts.check_every),
            shared.plant,
        )
    });
    shared.barrier.wait();
    if leader {
        (shared.before_start)();
        let _ = shared.start.set(Instant::now());
    }
    shared.barrier.wait();
    let start = *shared.start.get().expect("the leader set the start");
    let clock = || start.elapsed().as_secs_f64();
    match ready {
        Ok((mut gemm, ready)) => {
            let run = crate::panic_guard::guard("panicked", || {
                series(
                    gemm.as_mut(),
                    &ready,
                    shared.opts,
                    shared.stop,
                    &slot.live,
                    &clock,
                );
                Ok(())
            });
            if let Err(e) = run {
                let mut l = lock(&slot.live);
                let at = When {
                    window: None,
                    t_s: clock(),
                    iteration: l.checks.iterations,
                };
                l.failures.push(checks::device(e.clone(), at));
                l.stopped = Some(e);
            }
        }
        Err(e) => {
            let mut l = lock(&slot.live);
            let at = When {
                window: None,
                t_s: 0.0,
                iteration: 0,
            };
            l.failures.push(checks::device(e.clone(), at));
            l.stopped = Some(e);
        }
    }
    let _ = slot.ended_s.set(clock().min(shared.opts.duration_s));
    lock(&slot.live).done = true;
}

/// The series of one device as it stands at `now_s` (or where it ended).
fn snapshot(
    slot: &Slot,
    now_s: f64,
    start: Option<Instant>,
    opts: &SustainOptions,
) -> DeviceSeries {
    let c = slot.choice;
    let (mut windows, checks, failures, stopped) = {
        let l = lock(&slot.live);
        let until = slot.ended_s.get().copied().unwrap_or(now_s);
        (
            l.recorder.windows_until(until),
            l.checks.clone(),
            l.failures.clone(),
            l.stopped.clone(),
        )
    };
    let sampler = lock(&slot.sampler);
    if let (Some(s), Some(start)) = (sampler.as_ref(), start) {
        let offset = -(start.saturating_duration_since(s.started()).as_secs_f64());
        add_telemetry(&mut windows, &s.snapshot(), offset, s.power_limit_w());
    }
    let prepared = slot.prepared.get();
    let mut series = DeviceSeries {
        device: c.device.id.clone(),
        kernel: c.job.kernel.clone(),
        dtype: c.job.dtype,
        compute_type: prepared.map(|p| p.compute_type.clone()).unwrap_or_default(),
        m: c.job.shape.m,
        n: c.job.shape.n,
        k: c.job.shape.k,
        flop: c.job.shape.flop(),
        timer: prepared.map_or(Timer::HostMonotonic, |p| p.timer),
        operand_sets: prepared.map_or(1, |p| p.operand_sets),
        candidates: c.candidates.clone(),
        telemetry: sampler.as_ref().map(|s| s.source().to_string()),
        windows,
        checks,
        failures,
        verdict: Default::default(),
        stopped,
        rank: None,
        host: None,
    };
    series.verdict = verdict(Inputs {
        device: &c.device,
        series: &series,
        max_drop: opts.max_drop,
    });
    series
}

/// Every device's series as they stand, the outliers among them marked.
fn snapshot_all(
    slots: &[Slot],
    start: Option<Instant>,
    opts: &SustainOptions,
) -> Vec<DeviceSeries> {
    let now = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
    let mut all: Vec<DeviceSeries> = slots
        .iter()
        .map(|s| snapshot(s, now, start, opts))
        .collect();
    let devices: Vec<DeviceRecord> = slots.iter().map(|s| s.choice.device.clone()).collect();
    mark_outliers(&mut all, &devices, opts.outlier_threshold, &|_| {
        String::new()
    });
    all
}

/// Tells the progress of the windows closed and the failures found since it was last told.
/// The device thread takes `live` between timed iterations, so what is copied under it is only
/// what is new: nothing on most ticks, one window's worth when a window closes.
fn tell(slot: &Slot, start: Instant, progress: &dyn Progress) {
    let now = start.elapsed().as_secs_f64();
    let mut told = lock(&slot.told);
    let (closed, windows, checks, failures) = {
        let l = lock(&slot.live);
        let until = slot.ended_s.get().copied();
        let closed = until.map_or_else(|| l.recorder.closed(now), |_| usize::MAX);
        let failures = l.failures[told.1.min(l.failures.len())..].to_vec();
        if closed <= told.0 && failures.is_empty() {
            return;
        }
        let windows = l.recorder.windows_until(until.unwrap_or(now));
        (
            closed.min(windows.len()),
            windows,
            l.checks.clone(),
            failures,
        )
    };
    let id = &slot.choice.device.id;
    for f in &failures {
        progress.failure(id, f);
    }
    told.1 += failures.len();
    if closed <= told.0 {
        return;
    }
    let mut fresh = windows[told.0..closed].to_vec();
    if let Some(s) = lock(&slot.sampler).as_ref() {
        let offset = -(start.saturating_duration_since(s.started()).as_secs_f64());
        add_telemetry(&mut fresh, &s.snapshot(), offset, s.power_limit_w());
    }
    for w in &fresh {
        progress.window(id, w, &checks);
    }
    told.0 = closed;
}

/// Runs every choice at once; returns each device's series, the outliers marked.
pub fn execute(
    choices: &[Choice],
    opts: &SustainOptions,
    stop: &AtomicBool,
    hooks: Hooks,
) -> Vec<DeviceSeries> {
    let Hooks {
        before_start,
        checkpoint,
        progress,
        plant,
    } = hooks;
    let slots: Vec<Slot> = choices
        .iter()
        .map(|choice| Slot {
            choice,
            live: Mutex::new(Live::new(opts.window_s, choice.job.shape.flop())),
            prepared: OnceLock::new(),
            sampler: Mutex::new(None),
            ended_s: OnceLock::new(),
            told: Mutex::new((0, 0)),
        })
        .collect();
    let shared = Shared {
        opts,
        stop,
        barrier: Barrier::new(slots.len()),
        start: OnceLock::new(),
        before_start,
        plant,
    };
    std::thread::scope(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let shared = &shared;
            s.spawn(move || device_thread(slot, shared, i == 0));
        }
        watch(&slots, &shared, checkpoint, progress);
    });
    let series = snapshot_all(&slots, shared.start.get().copied(), opts);
    for slot in &slots {
        if let Some(s) = lock(&slot.sampler).take() {
            s.finish();
        }
    }
    progress.done();
    series
}

/// The watching thread: progress every tick, a checkpoint every interval, until every device
/// is done.
fn watch(
    slots: &[Slot],
    shared: &Shared,
    checkpoint: &mut dyn FnMut(&[DeviceSeries]),
    progress: &dyn Progress,
) {
    let mut last = Instant::now();
    loop {
        std::thread::sleep(TICK);
        let done = slots.iter().all(|s| lock(&s.live).done);
        let Some(start) = shared.start.get().copied() else {
            continue;
        };
        for slot in slots {
            tell(slot, start, progress);
        }
        if done {
            return;
        }
        if last.elapsed() >= CHECKPOINT_INTERVAL {
            checkpoint(&snapshot_all(slots, Some(start), shared.opts));
            last = Instant::now();
        }
    }
}
