//! `flopmeter sustain`: choose what every device runs, run them all at once for the duration,
//! write the series (checkpointed as it goes), print the verdicts, exit 1 on any failure.

mod progress;
mod text;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::bench::options::{BenchOptions, DeviceSelection, Sizes, Sweep};
use crate::bench::plan::{self, Plan};
use crate::cli::SustainArgs;
use crate::cluster::launcher::RankInfo;
use crate::device::Inventory;
use crate::error::{AppError, AppResult};
use crate::output::print_json;
use crate::results::sustain::{
    io, DeviceSeries, SustainResults, SustainSettings, SUSTAIN_SCHEMA_ID,
};
use crate::results::{env, Backend, Host, Shape};
use crate::sustain::choose::{choose, Choice, Probe};
use crate::sustain::run::{execute, Hooks};
use crate::sustain::{Plant, SustainOptions};

use super::bench::{
    default_out, drop_impossible_peaks, nonempty, plan_error, probe_host, rank_out,
};

/// The typed options of a run; the rules that tie flags together are checked here.
fn options(args: &SustainArgs) -> AppResult<SustainOptions> {
    if args.window > args.duration {
        return Err(AppError::usage(format!(
            "--window {} s is longer than --duration {} s",
            args.window, args.duration
        )));
    }
    let windows = args.duration / args.window;
    if windows > SustainOptions::MAX_WINDOWS {
        return Err(AppError::usage(format!(
            "--duration {} s in --window {} s windows makes {windows:.0} windows; at most {} are \
             kept: use a longer --window",
            args.duration,
            args.window,
            SustainOptions::MAX_WINDOWS
        )));
    }
    Ok(SustainOptions {
        duration_s: args.duration,
        window_s: args.window,
        check_every: args.check_every.map(|n| n as u64),
        reference_every_s: args.reference_every,
        max_drop: args.max_drop,
        outlier_threshold: args.outlier_threshold,
        seed: args.seed,
    })
}

/// A GPU the node has (a CUDA device, or a wgpu adapter that is not software).
fn has_gpu(inv: &Inventory) -> bool {
    !inv.cuda.devices().is_empty()
        || inv
            .wgpu
            .devices()
            .iter()
            .any(|d| d.wgpu.as_ref().is_some_and(|w| w.device_type != "cpu"))
}

/// What the planner is asked: the devices (those named; every GPU of the node; the CPU where
/// there is none; under a launcher the GPU of the local rank), the kernels and dtypes to choose
/// from, and the size (given, or the quick sweep's, of which each device keeps its largest).
fn bench_options(args: &SustainArgs, inv: &Inventory, launcher: Option<&RankInfo>) -> BenchOptions {
    let mut backends = nonempty(&args.backend);
    let devices = match (&args.device, launcher) {
        (Some(d), _) => d.clone(),
        (None, Some(r)) => {
            let gpus = inv.cuda.devices().len();
            DeviceSelection::Ids(vec![if gpus > 0 {
                format!("cuda:{}", r.local_rank as usize % gpus)
            } else {
                "cpu:0".to_string()
            }])
        }
        (None, None) if backends.is_some() => DeviceSelection::Every,
        (None, None) if has_gpu(inv) => DeviceSelection::All,
        (None, None) => {
            backends = Some(vec![Backend::Cpu]);
            DeviceSelection::Every
        }
    };
    let shape = args.shape.or(args.size.map(Shape::cube));
    BenchOptions {
        backends,
        devices,
        dtypes: nonempty(&args.dtype),
        kernels: nonempty(&args.kernel),
        sizes: shape.map_or(Sizes::Sweep(Sweep::Quick), |s| Sizes::Shapes(vec![s])),
        seed: args.seed,
        ..BenchOptions::default()
    }
}

/// Where the run happens and where its file goes.
struct Setting {
    inv: Inventory,
    host: Host,
    launcher: Option<RankInfo>,
    out: PathBuf,
}

fn setting(args: &SustainArgs, created_at: &str) -> AppResult<Setting> {
    let launcher = crate::cluster::launcher::detect().map_err(AppError::usage)?;
    let backends = nonempty(&args.backend).unwrap_or(Backend::ALL.to_vec());
    let (inv, mut host) = probe_host(&backends);
    let out = match &launcher {
        Some(r) => {
            host.rank = Some(r.rank);
            host.launcher = Some(r.clone());
            rank_out(
                "sustain",
                args.out.as_ref(),
                args.out_dir.as_ref(),
                r,
                &host.hostname,
            )?
        }
        None if args.out_dir.is_some() => {
            return Err(AppError::usage(
                "--out-dir is for runs under a launcher (Slurm, MPI, torchrun); use --out",
            ))
        }
        None => args
            .out
            .clone()
            .unwrap_or_else(|| default_out("sustain", created_at, &host.hostname)),
    };
    Ok(Setting {
        inv,
        host,
        launcher,
        out,
    })
}

/// The document before any series: everything but the measurements.
fn skeleton(plan: &Plan, opts: &SustainOptions, host: Host, created_at: String) -> SustainResults {
    SustainResults {
        schema: SUSTAIN_SCHEMA_ID.into(),
        tool: env::tool(),
        created_at,
        host,
        settings: SustainSettings {
            command: std::env::args().collect(),
            duration_s: opts.duration_s,
            window_s: opts.window_s,
            check_every: opts.check_every,
            reference_every_s: opts.reference_every_s,
            max_drop: opts.max_drop,
            outlier_threshold: opts.outlier_threshold,
            seed: opts.seed,
        },
        devices: plan.devices.clone(),
        series: Vec::new(),
        // Until the run is over the file on disk says it is incomplete.
        interrupted: true,
        notes: plan.notes.clone(),
        cluster: None,
    }
}

/// The candidates benched briefly, with bench's progress (a bar or a line per job).
fn chosen(
    plan: &Plan,
    args: &SustainArgs,
    stop: &AtomicBool,
    before_job: &(dyn Fn() + Sync),
) -> Vec<Choice> {
    let style = crate::output::progress::Style::for_stderr(args.quiet);
    let progress = |total: usize| {
        if !args.quiet {
            crate::say!(
                "choosing each device's fastest verified kernel and dtype: {total} candidates"
            );
        }
        crate::output::progress::start(style, total)
    };
    choose(
        plan,
        args.seed,
        stop,
        Probe {
            before_job,
            progress: &progress,
        },
    )
}

/// Runs the series, saving the document as it goes (at most every few seconds).
fn series(
    choices: &[Choice],
    opts: &SustainOptions,
    args: &SustainArgs,
    doc: &SustainResults,
    out: &std::path::Path,
    run: (&AtomicBool, &(dyn Fn() + Sync), Option<&Plant>),
) -> Vec<DeviceSeries> {
    let (stop, before_start, plant) = run;
    let mut warned = false;
    let mut checkpoint = |series: &[DeviceSeries]| {
        let partial = SustainResults {
            series: series.to_vec(),
            ..doc.clone()
        };
        if let Err(e) = io::write_atomic(out, &partial) {
            if !std::mem::replace(&mut warned, true) {
                crate::say!("warning: cannot save the series so far: {e}");
            }
        }
    };
    let style = crate::output::progress::Style::for_stderr(args.quiet);
    let progress = progress::start(style, opts);
    execute(
        choices,
        opts,
        stop,
        Hooks {
            before_start,
            checkpoint: &mut checkpoint,
            progress: progress.as_ref(),
            plant,
        },
    )
}

pub fn run(args: &SustainArgs, json: bool, plant: Option<&Plant>) -> AppResult<()> {
    let opts = options(args)?;
    let created_at = env::now_rfc3339();
    let Setting {
        inv,
        host,
        launcher,
        out,
    } = setting(args, &created_at)?;
    let mut plan =
        plan::build(&inv, &bench_options(args, &inv, launcher.as_ref())).map_err(plan_error)?;
    let impossible = drop_impossible_peaks(&mut plan);
    plan.notes.extend(impossible);
    crate::files::check_output(&out, &[]).map_err(|e| AppError::usage(e.to_string()))?;
    for n in &plan.notes {
        crate::say!("note: {}", crate::output::clean::line(n));
    }
    let interrupt = crate::signals::install();
    let sync = crate::cluster::sync::RankSync::new(launcher.as_ref());
    let barrier = || sync.barrier();
    let choices = chosen(&plan, args, interrupt.flag(), &barrier);
    let mut doc = skeleton(&plan, &opts, host, created_at);
    doc.series = if interrupt.requested() {
        Vec::new()
    } else {
        if !args.quiet {
            crate::say!("{}", text::starting(&choices, &opts));
        }
        series(
            &choices,
            &opts,
            args,
            &doc,
            &out,
            (interrupt.flag(), &barrier, plant),
        )
    };
    doc.interrupted = interrupt.requested();
    if plan.devices.iter().any(|d| d.backend == Backend::Cuda) {
        doc.host.libraries = crate::device::cuda_libs::probe_all();
    }
    io::write_atomic(&out, &doc)?;
    show(&doc, &out, json)?;
    exit_status(&doc, &out, interrupt)
}

/// The verdicts (or the JSON), and where the file is.
fn show(doc: &SustainResults, out: &std::path::Path, json: bool) -> AppResult<()> {
    if json {
        print_json(doc)?;
    } else if doc.host.rank.is_none_or(|r| r == 0) {
        let mut s = text::summary(doc, crate::output::stdout_width());
        s += &format!("results written to {}\n", out.display());
        return crate::output::print_text(&s);
    }
    crate::say!("results written to {}", out.display());
    Ok(())
}

/// 128 + signal after an interruption; 1 when a device failed (naming each and why).
fn exit_status(
    doc: &SustainResults,
    out: &std::path::Path,
    interrupt: &crate::signals::Interrupt,
) -> AppResult<()> {
    if let Some(code) = interrupt.exit_code() {
        return Err(AppError::Interrupted {
            code,
            message: format!(
                "interrupted: the series of {} device(s) so far kept in {}",
                doc.series.len(),
                out.display()
            ),
        });
    }
    let failed: Vec<String> = doc
        .series
        .iter()
        .filter(|s| !s.verdict.passed)
        .map(|s| format!("{} ({})", s.device, s.verdict.reasons.join("; ")))
        .collect();
    match failed.len() {
        0 if doc.series.is_empty() => Err(AppError::failed("no device ran")),
        0 => Ok(()),
        n => Err(AppError::failed(format!(
            "{n} device(s) failed: {}; see {}",
            failed.join("; "),
            out.display()
        ))),
    }
}
