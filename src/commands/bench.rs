//! `flopmeter bench`: measure, verify, summarize, and write a results file.

mod save;
mod summary;

use std::path::PathBuf;

use crate::bench::options::{
    unique, BenchOptions, DeviceSelection, ModelBench, Ranges, Sizes, Sweep,
};
use crate::bench::plan::PlanError;
use crate::bench::{plan, runner};
use crate::cli::BenchArgs;
use crate::cluster::launcher::RankInfo;
use crate::device::Inventory;
use crate::error::{AppError, AppResult};
use crate::measure::Budget;
use crate::model::shapes::{step_gemms, Split};
use crate::output::print_json;
use crate::peaks::RatedPeaks;
use crate::results::{
    self, env, Backend, Collective, Host, Results, Settings, Shape, VerificationStatus, SCHEMA_ID,
};

/// `results/KIND-HOST-TIME.json`: where a bench (or a sustained run) writes by default.
pub(super) fn default_out(kind: &str, created: &str, host: &str) -> PathBuf {
    let stamp: String = created
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    let host = crate::cluster::merge::file_safe(host);
    PathBuf::from("results").join(format!("{kind}-{host}-{stamp}.json"))
}

/// The typed options of a bench from what was typed; the rules that tie flags together are
/// checked here, where the flags are known.
fn options(args: &BenchArgs) -> AppResult<BenchOptions> {
    if args.max_time <= 0.0 {
        return Err(AppError::usage(format!(
            "invalid --max-time '{}': expected seconds above 0",
            args.max_time
        )));
    }
    if args.max_time < args.min_time {
        return Err(AppError::usage(format!(
            "--max-time {} is below --min-time {}",
            args.max_time, args.min_time
        )));
    }
    Ok(BenchOptions {
        backends: nonempty(&args.backend),
        devices: args.device.clone().unwrap_or(DeviceSelection::Every),
        dtypes: nonempty(&args.dtype),
        kernels: nonempty(&args.kernel),
        sizes: sizes(args)?,
        batch: args.batch.unwrap_or(1),
        budget: Budget {
            warmup_s: args.warmup,
            min_time_s: args.min_time,
            max_time_s: args.max_time,
            target_rel_spread: args.target_spread,
            min_samples: Budget::DEFAULT.min_samples,
        },
        seed: args.seed,
        rated_tflops: args.rated_tflops,
    })
}

/// The problem sizes: ranges, a model's GEMMs, sizes and shapes, or a sweep.
fn sizes(args: &BenchArgs) -> AppResult<Sizes> {
    if let (Some(m), Some(n), Some(k)) = (&args.m, &args.n, &args.k) {
        let ranges = Ranges {
            m: unique(m.0.clone()),
            n: unique(n.0.clone()),
            k: unique(k.0.clone()),
        };
        let count = ranges.m.len() * ranges.n.len() * ranges.k.len();
        if count > Ranges::MAX_SHAPES {
            return Err(AppError::usage(format!(
                "--m/--n/--k make {count} shapes; at most {} run in one bench",
                Ranges::MAX_SHAPES
            )));
        }
        return Ok(Sizes::Ranges(ranges));
    }
    if let Some(model) = model_bench(args)? {
        return Ok(Sizes::Model(model));
    }
    if args.tokens_per_step.is_some() || args.tp != 1 || args.ep != 1 || args.seq_len.is_some() {
        return Err(AppError::usage(
            "--tokens-per-step, --tp, --ep and --seq-len go with --model or --model-config",
        ));
    }
    let shapes: Vec<Shape> = args
        .size
        .iter()
        .map(|n| Shape::cube(*n))
        .chain(args.shape.iter().copied())
        .collect();
    Ok(if shapes.is_empty() {
        Sizes::Sweep(args.sweep.unwrap_or(Sweep::Quick))
    } else {
        Sizes::Shapes(shapes)
    })
}

/// `--model NAME` or `--model-config ...` at `--seq-len`, split by `--tp`, `--ep` and
/// `--tokens-per-step`.
fn model_bench(args: &BenchArgs) -> AppResult<Option<ModelBench>> {
    let (name, source, mut config) = match (&args.model, &args.model_config) {
        (None, None) => return Ok(None),
        (Some(name), _) => {
            let p =
                crate::model::preset(name).map_err(|e| AppError::usage(format!("--model: {e}")))?;
            (p.name.clone(), Some(p.source.clone()), p.config.clone())
        }
        (None, Some(config)) => ("custom".to_string(), None, config.clone()),
    };
    if let Some(seq) = args.seq_len {
        config.seq = seq;
    }
    let split = Split {
        tokens_per_step: args.tokens_per_step.unwrap_or(config.seq),
        tp: args.tp,
        ep: args.ep,
    };
    let gemms = step_gemms(&config, split)
        .map_err(|e| AppError::usage(format!("--tp/--ep/--tokens-per-step: {e}")))?;
    Ok(Some(ModelBench {
        name,
        source,
        config,
        split,
        gemms,
    }))
}

/// None for a flag not given (clap gives an empty list).
pub(super) fn nonempty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// A planning error with the flag to change.
pub(super) fn plan_error(e: PlanError) -> AppError {
    let flag = match &e {
        PlanError::BackendUnavailable { .. } => "--backend",
        PlanError::NoGpuForAll => "--device all",
        PlanError::UnknownDevice { .. } | PlanError::DeviceNotOnBackend { .. } => "--device",
        PlanError::KernelNotOnBackend { .. } | PlanError::LibraryUnavailable { .. } => "--kernel",
        PlanError::Unsupported { .. } => "--dtype",
        PlanError::DoesNotFit { .. } => "--size/--shape",
        PlanError::NothingToRun { .. } => return AppError::usage(e.to_string()),
    };
    AppError::usage(format!("{flag}: {e}"))
}

/// Where the run happens and where its results go.
struct Setting {
    inv: Inventory,
    host: Host,
    launcher: Option<RankInfo>,
    out: PathBuf,
}

/// The devices of `backends` (and only those) and the machine they are in. The CPU clock is
/// timed when the CPU, or a software wgpu adapter rated from it, may be measured.
pub(crate) fn probe_host(backends: &[Backend]) -> (Inventory, Host) {
    let time_clock = backends.contains(&Backend::Cpu) || backends.contains(&Backend::Wgpu);
    let inv = Inventory::discover_only(backends, time_clock);
    let cpu = inv.host.cpu.as_ref();
    let host = env::host(
        cpu.map(|c| c.model.as_str()).unwrap_or("unknown"),
        cpu.map(|c| c.physical_cores),
        cpu.map(|c| c.memory_bytes).unwrap_or(0),
    );
    (inv, host)
}

/// The launcher, the machine, and the results file; under a launcher each rank measures the
/// GPU of its local rank (the CPU where there is none) unless devices were named.
fn setting(args: &BenchArgs, opts: &mut BenchOptions, created_at: &str) -> AppResult<Setting> {
    let launcher = crate::cluster::launcher::detect().map_err(AppError::usage)?;
    // Only the backends asked for are probed: a CUDA run never initialises Vulkan.
    let backends = opts.backends.clone().unwrap_or(Backend::ALL.to_vec());
    let (inv, mut host) = probe_host(&backends);
    let out = match &launcher {
        Some(r) => {
            host.rank = Some(r.rank);
            host.launcher = Some(r.clone());
            if opts.devices == DeviceSelection::Every {
                let gpus = inv.cuda.devices().len();
                opts.devices = DeviceSelection::Ids(vec![if gpus > 0 {
                    format!("cuda:{}", r.local_rank as usize % gpus)
                } else {
                    "cpu:0".to_string()
                }]);
            }
            rank_out(
                "cluster",
                args.out.as_ref(),
                args.out_dir.as_ref(),
                r,
                &host.hostname,
            )?
        }
        None => {
            if args.out_dir.is_some() {
                return Err(AppError::usage(
                    "--out-dir is for runs under a launcher (Slurm, MPI, torchrun); use --out",
                ));
            }
            args.out
                .clone()
                .unwrap_or_else(|| default_out("bench", created_at, &host.hostname))
        }
    };
    Ok(Setting {
        inv,
        host,
        launcher,
        out,
    })
}

/// Applies `--rated-tflops` to the one device and dtype of the run.
fn override_rated(plan: &mut plan::Plan, tflops: Option<f64>) -> AppResult<()> {
    let Some(tflops) = tflops else { return Ok(()) };
    if plan.devices.len() != 1 || plan.dtypes.len() != 1 {
        return Err(AppError::usage(format!(
            "--rated-tflops {tflops} needs exactly one device and one dtype (this run has {} devices and {} dtypes): add --device and --dtype",
            plan.devices.len(),
            plan.dtypes.len()
        )));
    }
    let d = &mut plan.devices[0];
    let rated = d.rated().with_user_value(plan.dtypes[0], tflops);
    apply_rated(d, rated);
    Ok(())
}

/// A rated peak no results file may hold (0 from an unreadable clock, or a formula gone wrong)
/// is no peak: it is dropped with a note, so the run's results can be saved and read.
pub(super) fn drop_impossible_peaks(plan: &mut plan::Plan) -> Vec<String> {
    let mut notes = Vec::new();
    for d in &mut plan.devices {
        let bad: Vec<_> = d
            .rated_tflops
            .iter()
            .filter(|(_, v)| !crate::results::validate::rate(**v))
            .map(|(dtype, v)| (*dtype, *v))
            .collect();
        for (dtype, v) in bad {
            d.rated_tflops.remove(&dtype);
            notes.push(format!(
                "{}: a rated {dtype} peak of {} TFLOP/s ({}) is not a peak: ignored",
                d.id,
                crate::units::sig(v),
                d.rated_source
            ));
        }
    }
    notes
}

/// A note for each device and dtype measured without a rated peak (no utilization for them).
fn unrated_notes(plan: &plan::Plan) -> Vec<String> {
    let mut notes = Vec::new();
    for (i, d) in plan.devices.iter().enumerate() {
        let mut dtypes: Vec<_> = plan
            .jobs
            .iter()
            .filter(|j| j.device == i && !d.rated_tflops.contains_key(&j.dtype))
            .map(|j| j.dtype.name())
            .collect();
        dtypes.dedup();
        if !dtypes.is_empty() {
            notes.push(format!(
                "{} has no rated {} peak ({}): utilization is not computed; \
                 --rated-tflops gives one",
                d.id,
                dtypes.join("/"),
                d.rated_source
            ));
        }
    }
    notes
}

/// Least time between two saves of the partial results (what a killed run can lose).
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// The results document before any run: everything but the measurements.
fn skeleton(
    plan: &plan::Plan,
    budget: &Budget,
    seed: u64,
    host: Host,
    created_at: String,
) -> Results {
    let mut backends: Vec<String> = plan.devices.iter().map(|d| d.backend.to_string()).collect();
    backends.dedup();
    Results {
        schema: SCHEMA_ID.into(),
        tool: env::tool(),
        created_at,
        host,
        settings: Settings {
            command: std::env::args().collect(),
            backends,
            dtypes: plan.dtypes.clone(),
            kernels: plan.kernels.clone(),
            shapes: plan.shapes.clone(),
            sweep: plan.sweep,
            warmup_s: budget.warmup_s,
            min_time_s: budget.min_time_s,
            max_time_s: budget.max_time_s,
            target_rel_spread: budget.target_rel_spread,
            seed,
        },
        devices: plan.devices.clone(),
        runs: Vec::new(),
        // Until the last job is done the file on disk says it is incomplete.
        interrupted: true,
        notes: plan.notes.clone(),
        collectives: Vec::new(),
        cluster: None,
        model: None,
        verdicts: Vec::new(),
        stragglers: None,
    }
}

/// With every GPU of the node loaded, the all-reduce bandwidth between them too.
fn collectives(plan: &plan::Plan, notes: &mut Vec<String>) -> Vec<Collective> {
    let cuda_ordinals: Vec<usize> = plan
        .devices
        .iter()
        .filter(|d| d.cuda.is_some())
        .map(|d| d.index)
        .collect();
    if !plan.concurrent || cuda_ordinals.len() < 2 {
        return Vec::new();
    }
    match crate::cluster::nccl::all_reduce(&cuda_ordinals, 256 << 20, 20) {
        Ok(c) => {
            crate::say!(
                "NCCL all-reduce of 256 MiB across {} GPUs: bus bandwidth {:.1} GB/s",
                c.devices.len(),
                c.busbw_gbs
            );
            vec![c]
        }
        Err(e) => {
            notes.push(format!("NCCL all-reduce skipped: {e}"));
            Vec::new()
        }
    }
}

pub fn run(args: &BenchArgs, json: bool) -> AppResult<()> {
    let mut opts = options(args)?;
    let created_at = env::now_rfc3339();
    let Setting {
        inv,
        host,
        launcher,
        out,
    } = setting(args, &mut opts, &created_at)?;
    let mut plan = plan::build(&inv, &opts).map_err(plan_error)?;
    override_rated(&mut plan, opts.rated_tflops)?;
    let impossible = drop_impossible_peaks(&mut plan);
    plan.notes.extend(impossible);
    let unrated = unrated_notes(&plan);
    plan.notes.extend(unrated);
    let budget = opts.budget;
    crate::files::check_output(&out, &[]).map_err(|e| AppError::usage(e.to_string()))?;
    for n in &plan.notes {
        crate::say!("note: {}", crate::output::clean::line(n));
    }
    let interrupt = crate::signals::install();
    let sync = crate::cluster::sync::RankSync::new(launcher.as_ref());
    let mut doc = skeleton(&plan, &budget, opts.seed, host, created_at);
    let mut saved_partial = false;
    let outcome = {
        let mut warned = false;
        let mut last_saved: Option<std::time::Instant> = None;
        let mut checkpoint = |o: &runner::Outcome| {
            // Every job's result is kept, but a sweep of thousands of small shapes must not
            // rewrite an ever larger file thousands of times: at most one save per interval.
            if last_saved.is_some_and(|t| t.elapsed() < CHECKPOINT_INTERVAL) {
                return;
            }
            last_saved = Some(std::time::Instant::now());
            let mut partial = doc.clone();
            partial.runs = o.runs.clone();
            partial.notes.extend(o.notes.iter().cloned());
            match results::write_atomic(&out, &partial) {
                Ok(()) => saved_partial = true,
                Err(e) if !std::mem::replace(&mut warned, true) => {
                    crate::say!("warning: cannot save partial results: {e}");
                }
                Err(_) => {}
            }
        };
        let style = crate::output::progress::Style::for_stderr(args.quiet);
        let progress = crate::output::progress::start(style, plan.jobs.len());
        runner::execute(
            &plan,
            &budget,
            opts.seed,
            interrupt.flag(),
            runner::Hooks {
                before_job: &|| sync.barrier(),
                checkpoint: &mut checkpoint,
                progress: progress.as_ref(),
            },
        )
    };
    doc.notes.extend(outcome.notes.iter().cloned());
    if !interrupt.requested() {
        doc.collectives = collectives(&plan, &mut doc.notes);
    }
    if plan.devices.iter().any(|d| d.backend == Backend::Cuda) {
        doc.host.libraries = crate::device::cuda_libs::probe_all();
    }
    doc.runs = outcome.runs;
    doc.interrupted = outcome.interrupted;
    doc.verdicts = crate::reference::verdicts(&doc);
    if let Sizes::Model(model) = &opts.sizes {
        doc.model = Some(crate::bench::weighted::record(model, &doc));
    }
    let saved = save::save(&out, &doc, opts.rated_tflops, saved_partial)?;
    if let Some(cluster_file) = sync.gather(&doc, &saved.path).map_err(AppError::failed)? {
        crate::say!("cluster file written to {}", cluster_file.display());
    }
    show(&doc, &saved.path, json)?;
    if let Some(e) = saved.instead_of {
        return Err(e);
    }
    exit_status(&doc, outcome.errors, &out, interrupt)
}

/// The table (or the JSON), the notes, and where the file is.
fn show(doc: &Results, out: &std::path::Path, json: bool) -> AppResult<()> {
    if json {
        print_json(doc)?;
        crate::say!("results written to {}", out.display());
        return Ok(());
    }
    if doc.host.rank.is_some_and(|r| r > 0) {
        // Under a launcher only rank 0 prints the table; the others say where their file is.
        crate::say!("results written to {}", out.display());
        return Ok(());
    }
    let mut text = summary::text(doc, crate::output::stdout_width());
    text += &format!("results written to {}\n", out.display());
    crate::output::print_text(&text)
}

/// 128 + signal after an interruption; 1 when a job failed or a result failed verification.
fn exit_status(
    doc: &Results,
    errors: usize,
    out: &std::path::Path,
    interrupt: &crate::signals::Interrupt,
) -> AppResult<()> {
    let failed = doc
        .runs
        .iter()
        .filter(|r| r.verification.status == VerificationStatus::Failed)
        .count();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if let Some(code) = interrupt.exit_code() {
        return Err(AppError::Interrupted {
            code,
            message: format!(
                "interrupted: {} finished result{} kept in {}",
                doc.runs.len(),
                plural(doc.runs.len()),
                out.display()
            ),
        });
    }
    match (failed, errors) {
        (0, 0) if doc.runs.is_empty() => Err(AppError::failed("no result was measured")),
        (0, 0) => Ok(()),
        (0, e) if doc.runs.is_empty() => Err(AppError::failed(format!(
            "every job failed ({e}); see the errors above and {}",
            out.display()
        ))),
        (0, e) => Err(AppError::failed(format!(
            "{e} job{} could not be measured; the others are in {}",
            plural(e),
            out.display()
        ))),
        (f, _) => Err(AppError::failed(format!(
            "{f} result{} failed verification and {} not counted; see {}",
            plural(f),
            if f == 1 { "is" } else { "are" },
            out.display()
        ))),
    }
}

/// The file a rank writes: `--out-dir DIR/rank-NNNNN-HOST.json`, or `--out` for a single rank;
/// under Slurm without either, `results/KIND-slurm-JOBID/` (KIND "cluster" for a bench).
pub(super) fn rank_out(
    kind: &str,
    out: Option<&PathBuf>,
    out_dir: Option<&PathBuf>,
    r: &crate::cluster::launcher::RankInfo,
    hostname: &str,
) -> AppResult<PathBuf> {
    if out.is_some() && r.world_size > 1 {
        return Err(AppError::usage(format!(
            "--out would be written by all {} ranks: give --out-dir DIR, a folder every rank can write",
            r.world_size
        )));
    }
    if let Some(out) = out {
        return Ok(out.clone());
    }
    let dir = match (out_dir, &r.job_id) {
        (Some(d), _) => d.clone(),
        // The job id comes from the environment: keep it to a file name ("../" stays inside).
        (None, Some(job)) => PathBuf::from("results").join(format!(
            "{kind}-slurm-{}",
            crate::cluster::merge::file_safe(job)
        )),
        (None, None) => {
            return Err(AppError::usage(format!(
            "running as rank {} of {} under {}: give --out-dir DIR, a folder every rank can write",
            r.rank, r.world_size, r.launcher
        )))
        }
    };
    Ok(crate::cluster::merge::rank_file(&dir, r.rank, hostname))
}

fn apply_rated(d: &mut crate::results::DeviceRecord, rated: RatedPeaks) {
    d.rated_tflops = rated.tflops;
    d.rated_source = rated.source;
    d.rated_kind = rated.kind;
    d.rated_matched = rated.matched;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_no_file_may_hold_is_dropped_with_a_note() {
        let mut cpu = crate::device::cpu::discover(false);
        cpu.rated_tflops.insert(crate::dtype::Dtype::F32, 0.0);
        cpu.rated_tflops.insert(crate::dtype::Dtype::F64, 0.2);
        let mut plan = plan::Plan {
            devices: vec![cpu],
            jobs: Vec::new(),
            notes: Vec::new(),
            dtypes: Vec::new(),
            kernels: Vec::new(),
            shapes: Vec::new(),
            sweep: None,
            concurrent: false,
        };
        let notes = drop_impossible_peaks(&mut plan);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("a rated f32 peak of 0 TFLOP/s"),
            "{notes:?}"
        );
        let kept: Vec<_> = plan.devices[0].rated_tflops.keys().copied().collect();
        assert_eq!(kept, vec![crate::dtype::Dtype::F64]);
    }
}
