//! What each device sustains: its fastest verified kernel and dtype at the shape that fills it.
//! The candidates come from bench's planner (the kernels and dtypes each device has, those
//! asked for, and the sizes that fit it); each device keeps its largest problem (the top of a
//! bench's quick sweep for its kind, GPU, CPU or software adapter, unless sizes were given).
//! Where a device has several candidates, they are benched briefly by bench's own runner and
//! the fastest verified one is chosen; a device none of whose candidates verifies fails.

use std::sync::atomic::AtomicBool;

use crate::bench::plan::{Job, Plan};
use crate::bench::runner::{self, Hooks};
use crate::measure::Budget;
use crate::results::best::fastest;
use crate::results::sustain::Candidate;
use crate::results::DeviceRecord;

/// The budget of a candidate's brief bench: enough for a verified median, not a sweep.
pub const PROBE: Budget = Budget {
    warmup_s: 0.3,
    min_time_s: 0.3,
    max_time_s: 1.0,
    target_rel_spread: 0.02,
    min_samples: 5,
};

/// One device's choice.
#[derive(Debug, Clone)]
pub struct Choice {
    pub device: DeviceRecord,
    /// What it runs (its `device` index is into the plan's devices).
    pub job: Job,
    /// The candidates benched, when there were several.
    pub candidates: Vec<Candidate>,
    /// Why nothing could be chosen (no candidate verified, or none could be measured).
    pub failed: Option<String>,
}

/// Each device's jobs at its largest problem (by FLOP), in the plan's order.
fn filling(plan: &Plan, device: usize) -> Vec<Job> {
    let jobs: Vec<&Job> = plan.jobs.iter().filter(|j| j.device == device).collect();
    let most = jobs.iter().map(|j| j.problem().flop()).fold(0.0, f64::max);
    jobs.into_iter()
        .filter(|j| j.problem().flop() == most)
        .cloned()
        .collect()
}

/// The plan of the devices that have several candidates, renumbered.
fn probe_plan(plan: &Plan, per_device: &[Vec<Job>]) -> Plan {
    let mut devices = Vec::new();
    let mut jobs = Vec::new();
    for (i, candidates) in per_device.iter().enumerate() {
        if candidates.len() < 2 {
            continue;
        }
        let at = devices.len();
        devices.push(plan.devices[i].clone());
        jobs.extend(candidates.iter().map(|j| Job {
            device: at,
            ..j.clone()
        }));
    }
    Plan {
        devices,
        jobs,
        concurrent: true,
        ..plan.clone()
    }
}

/// How the brief bench of the candidates reports: a barrier before each job (MPI), and the
/// progress of `total` jobs.
pub struct Probe<'a> {
    pub before_job: &'a (dyn Fn() + Sync),
    pub progress: &'a dyn Fn(usize) -> Box<dyn runner::Progress>,
}

/// Chooses for every device of `plan`: its only candidate, or the fastest verified one of a
/// brief bench of them all (run on every such device at once, with bench's progress).
pub fn choose(plan: &Plan, seed: u64, stop: &AtomicBool, probe: Probe) -> Vec<Choice> {
    let per_device: Vec<Vec<Job>> = (0..plan.devices.len()).map(|i| filling(plan, i)).collect();
    let bench = probe_plan(plan, &per_device);
    let runs = if bench.jobs.is_empty() {
        Vec::new()
    } else {
        let progress = (probe.progress)(bench.jobs.len());
        let mut checkpoint = |_: &runner::Outcome| {};
        let hooks = Hooks {
            before_job: probe.before_job,
            checkpoint: &mut checkpoint,
            progress: progress.as_ref(),
        };
        runner::execute(&bench, &PROBE, seed, stop, hooks).runs
    };
    per_device
        .into_iter()
        .enumerate()
        .filter_map(|(i, candidates)| decide(&plan.devices[i], candidates, &runs))
        .collect()
}

/// One device's choice from its candidates and the runs of their brief bench.
fn decide(d: &DeviceRecord, candidates: Vec<Job>, runs: &[crate::results::Run]) -> Option<Choice> {
    let first = candidates.first()?.clone();
    if candidates.len() == 1 {
        return Some(Choice {
            device: d.clone(),
            job: first,
            candidates: Vec::new(),
            failed: None,
        });
    }
    let mine: Vec<&crate::results::Run> = runs.iter().filter(|r| r.device == d.id).collect();
    let benched: Vec<Candidate> = mine
        .iter()
        .map(|r| Candidate {
            kernel: r.kernel.clone(),
            dtype: r.dtype,
            tflops: r.tflops.median,
            verified: crate::results::best::is_verified(r),
        })
        .collect();
    let job = fastest(mine.iter().copied())
        .and_then(|b| {
            candidates
                .iter()
                .find(|j| j.kernel == b.kernel && j.dtype == b.dtype)
        })
        .cloned();
    Some(Choice {
        device: d.clone(),
        failed: job.is_none().then(|| {
            format!(
                "none of its {} candidates could be measured and verified at {}",
                candidates.len(),
                first.problem()
            )
        }),
        job: job.unwrap_or(first),
        candidates: benched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::Dtype;
    use crate::results::Shape;

    fn job(device: usize, kernel: &str, dtype: Dtype, n: usize) -> Job {
        Job {
            device,
            kernel: kernel.into(),
            dtype,
            shape: Shape::cube(n),
            batch: 1,
        }
    }

    #[test]
    fn each_device_keeps_its_largest_problem() {
        let cpu = crate::device::cpu::discover(false);
        let plan = Plan {
            devices: vec![cpu.clone(), cpu],
            jobs: vec![
                job(0, "faer", Dtype::F32, 512),
                job(0, "faer", Dtype::F32, 2048),
                job(0, "faer", Dtype::F64, 2048),
                job(1, "faer", Dtype::F32, 256),
            ],
            notes: Vec::new(),
            dtypes: vec![Dtype::F32, Dtype::F64],
            kernels: vec!["faer".into()],
            shapes: Vec::new(),
            sweep: None,
            concurrent: false,
        };
        let kept: Vec<(String, Dtype, usize)> = filling(&plan, 0)
            .into_iter()
            .map(|j| (j.kernel, j.dtype, j.shape.m))
            .collect();
        assert_eq!(
            kept,
            vec![
                ("faer".into(), Dtype::F32, 2048),
                ("faer".into(), Dtype::F64, 2048)
            ]
        );
        // Only the device with several candidates is benched.
        let per = vec![filling(&plan, 0), filling(&plan, 1)];
        let probe = probe_plan(&plan, &per);
        assert_eq!((probe.devices.len(), probe.jobs.len()), (1, 2));
        assert!(probe.jobs.iter().all(|j| j.device == 0));
    }
}
