//! `flopmeter bench`: measure, verify, summarize, and write a results file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::bench::options::{parse_budget, parse_rated};
use crate::bench::{plan, runner, summary};
use crate::cli::BenchArgs;
use crate::device::Inventory;
use crate::error::{AppError, AppResult};
use crate::output::print_json;
use crate::peaks::RatedPeaks;
use crate::results::{self, env, Results, Settings, VerificationStatus, SCHEMA_ID};

/// Set by Ctrl-C: the bench stops after the current sample and keeps what it measured.
static STOP: AtomicBool = AtomicBool::new(false);

fn install_ctrl_c() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                // Second Ctrl-C: the user really wants out.
                std::process::exit(130);
            }
            eprintln!("\nstopping after the current sample (Ctrl-C again to abort)...");
        });
    });
}

fn default_out(created: &str, host: &str) -> PathBuf {
    let stamp: String = created
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    let host = crate::cluster::merge::file_safe(host);
    PathBuf::from("results").join(format!("bench-{host}-{stamp}.json"))
}

pub fn run(args: &BenchArgs, json: bool) -> AppResult<()> {
    let budget = parse_budget(
        &args.warmup,
        &args.min_time,
        &args.max_time,
        &args.target_spread,
    )?;
    let rated_override = args.rated_tflops.as_deref().map(parse_rated).transpose()?;
    let created_at = env::now_rfc3339();
    let launcher = crate::cluster::launcher::detect().map_err(AppError::usage)?;
    let inv = Inventory::discover(true);
    let cpu = inv.cpu.devices().first().and_then(|d| d.cpu.clone());
    let host = env::host(
        cpu.as_ref().map(|c| c.model.as_str()).unwrap_or("unknown"),
        cpu.as_ref().map(|c| c.physical_cores),
        cpu.as_ref().map(|c| c.memory_bytes).unwrap_or(0),
    );
    let mut host = host;
    let mut args = args.clone();
    let out = match &launcher {
        Some(r) => {
            host.rank = Some(r.rank);
            host.launcher = Some(r.clone());
            // Each rank measures the GPU of its local rank (the CPU where there is none).
            if args.device.is_none() {
                let gpus = inv.cuda.devices().len();
                args.device = Some(if gpus > 0 {
                    format!("cuda:{}", r.local_rank as usize % gpus)
                } else {
                    "cpu:0".to_string()
                });
            }
            rank_out(&args, r, &host.hostname)?
        }
        None => {
            if args.out_dir.is_some() {
                return Err(AppError::usage(
                    "--out-dir is for runs under a launcher (Slurm, MPI, torchrun); use --out",
                ));
            }
            args.out
                .clone()
                .unwrap_or_else(|| default_out(&created_at, &host.hostname))
        }
    };
    results::check_writable(&out)?;
    let args = &args;

    let mut plan = plan::build(&inv, args)?;
    if let Some(tflops) = rated_override {
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
    }
    for n in &plan.notes {
        eprintln!("note: {n}");
    }
    install_ctrl_c();
    let sync = crate::cluster::sync::RankSync::new(launcher.as_ref());
    let outcome = runner::execute(&plan, &budget, args.seed, &STOP, &|| sync.barrier());

    let mut notes = plan.notes.clone();
    notes.extend(outcome.notes.iter().cloned());
    // With every GPU of the node loaded, measure the all-reduce bandwidth between them too.
    let mut collectives = Vec::new();
    let cuda_ordinals: Vec<usize> = plan
        .devices
        .iter()
        .filter(|d| d.cuda.is_some())
        .map(|d| d.index)
        .collect();
    if plan.concurrent && cuda_ordinals.len() >= 2 && !STOP.load(Ordering::Relaxed) {
        match crate::gemm::cuda::nccl::all_reduce(&cuda_ordinals, 256 << 20, 20) {
            Ok(c) => {
                eprintln!(
                    "NCCL all-reduce of 256 MiB across {} GPUs: bus bandwidth {:.1} GB/s",
                    c.devices.len(),
                    c.busbw_gbs
                );
                collectives.push(c);
            }
            Err(e) => notes.push(format!("NCCL all-reduce skipped: {e}")),
        }
    }
    let doc = Results {
        schema: SCHEMA_ID.into(),
        tool: env::tool(),
        created_at,
        host,
        settings: Settings {
            command: std::env::args().collect(),
            backends: {
                let mut b: Vec<String> =
                    plan.devices.iter().map(|d| d.backend.to_string()).collect();
                b.dedup();
                b
            },
            dtypes: plan.dtypes.clone(),
            kernels: plan.kernels.clone(),
            shapes: plan.shapes.clone(),
            sweep: plan.sweep.clone(),
            warmup_s: budget.warmup_s,
            min_time_s: budget.min_time_s,
            max_time_s: budget.max_time_s,
            target_rel_spread: budget.target_rel_spread,
            seed: args.seed,
        },
        devices: plan.devices.clone(),
        runs: outcome.runs,
        interrupted: outcome.interrupted,
        notes,
        collectives,
        cluster: None,
        stragglers: None,
    };
    results::write_atomic(&out, &doc)?;
    if let Some(cluster_file) = sync.gather(&doc, &out).map_err(AppError::failed)? {
        eprintln!("cluster file written to {}", cluster_file.display());
    }
    if json {
        print_json(&doc)?;
        eprintln!("results written to {}", out.display());
    } else if doc.host.rank.is_some_and(|r| r > 0) {
        // Under a launcher only rank 0 prints the table; the others say where their file is.
    } else {
        summary::print_table(&doc);
        if doc.interrupted {
            println!("Interrupted: the results of the finished samples are kept.");
        }
        println!("results written to {}", out.display());
    }
    let failed = doc
        .runs
        .iter()
        .filter(|r| r.verification.status == VerificationStatus::Failed)
        .count();
    let errors = outcome.errors;
    match (failed, errors) {
        (0, 0) if doc.runs.is_empty() => Err(AppError::failed("no result was measured")),
        (0, 0) => Ok(()),
        (0, _) if doc.runs.is_empty() => Err(AppError::failed(format!(
            "every run failed; see the errors above and {}",
            out.display()
        ))),
        (0, _) => Ok(()),
        (f, _) => Err(AppError::failed(format!(
            "{f} result{} failed verification and {} not counted; see {}",
            if f == 1 { "" } else { "s" },
            if f == 1 { "is" } else { "are" },
            out.display()
        ))),
    }
}

/// The file a rank writes: `--out-dir DIR/rank-NNNNN-HOST.json`, or `--out` for a single rank.
fn rank_out(
    args: &BenchArgs,
    r: &crate::cluster::launcher::RankInfo,
    hostname: &str,
) -> AppResult<PathBuf> {
    if args.out.is_some() && r.world_size > 1 {
        return Err(AppError::usage(format!(
            "--out would be written by all {} ranks: give --out-dir DIR, a folder every rank can write",
            r.world_size
        )));
    }
    if let Some(out) = &args.out {
        return Ok(out.clone());
    }
    let dir = match (&args.out_dir, &r.job_id) {
        (Some(d), _) => d.clone(),
        (None, Some(job)) => PathBuf::from("results").join(format!("cluster-slurm-{job}")),
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
