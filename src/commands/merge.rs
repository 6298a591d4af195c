//! `flopmeter merge FILE... --out FILE [--threshold 0.05] [--json]`.

use crate::cli::MergeArgs;
use crate::cluster::merge::{load_inputs, merge};
use crate::error::{AppError, AppResult};
use crate::output::{percent, print_json, table, tflops};
use crate::results::{write_atomic, ClusterSummary, Results};

pub fn run(args: &MergeArgs, json: bool) -> AppResult<()> {
    let inputs = load_inputs(&args.files, Some(&args.out)).map_err(AppError::usage)?;
    let named: Vec<&std::path::Path> = inputs.docs.iter().map(|(p, _)| p.as_path()).collect();
    crate::files::check_output(&args.out, &named).map_err(|e| AppError::usage(e.to_string()))?;
    for s in &inputs.skipped {
        eprintln!("note: skipped {s}");
    }
    let merged = merge(inputs.docs, args.threshold).map_err(AppError::usage)?;
    write_atomic(&args.out, &merged)?;
    let c = merged
        .cluster
        .as_ref()
        .expect("merge sets the cluster summary");
    if json {
        print_json(&merged)?;
    } else {
        print_text(&merged, c, args);
    }
    match c.dead_ranks.len() {
        0 => Ok(()),
        _ if args.allow_dead_ranks => Ok(()),
        n => Err(AppError::failed(format!(
            "{n} rank(s) brought no verified result (listed above and in {}); \
             --allow-dead-ranks accepts that",
            args.out.display()
        ))),
    }
}

/// Dead ranks first (what an operator must see), then aggregates, stragglers and verdicts.
fn print_text(merged: &Results, c: &ClusterSummary, args: &MergeArgs) {
    let threshold = args.threshold;
    if !c.dead_ranks.is_empty() {
        let mut t = table(&["file", "host", "rank", "runs", "why"]);
        for d in &c.dead_ranks {
            t.add_row(vec![
                d.file.clone(),
                d.host.clone(),
                d.rank.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
                d.runs.to_string(),
                d.reason.clone(),
            ]);
        }
        println!(
            "Dead or failed ranks ({} of {}): no verified result, left out of the aggregates:\n{t}",
            c.dead_ranks.len(),
            c.files.len()
        );
    }
    println!(
        "{} devices on {} host(s), {} rank(s), from {} file(s)",
        c.devices,
        c.hosts.len(),
        c.ranks,
        c.files.len()
    );
    let mut t = table(&[
        "dtype",
        "scope",
        "devices",
        "sum TFLOP/s",
        "median",
        "min",
        "max",
    ]);
    for a in &c.aggregates {
        let row = |scope: String, g: &crate::results::Aggregate| {
            vec![
                a.dtype.to_string(),
                scope,
                g.count.to_string(),
                tflops(g.sum_tflops),
                tflops(g.median_tflops),
                tflops(g.min_tflops),
                tflops(g.max_tflops),
            ]
        };
        t.add_row(row("cluster".into(), &a.cluster));
        for n in &a.nodes {
            t.add_row(row(format!("node {}", n.host), &n.aggregate));
        }
    }
    println!("{t}");
    let stragglers = merged.stragglers.as_deref().unwrap_or_default();
    if stragglers.is_empty() {
        println!(
            "No stragglers: every device is within {} of the cluster median.",
            percent(threshold)
        );
    } else {
        let mut s = table(&[
            "host",
            "device",
            "dtype",
            "TFLOP/s",
            "cluster median",
            "shortfall",
        ]);
        for g in stragglers {
            s.add_row(vec![
                g.host.clone(),
                g.device.clone(),
                g.dtype.to_string(),
                tflops(g.tflops),
                tflops(g.cluster_median_tflops),
                percent(g.shortfall),
            ]);
        }
        println!(
            "Stragglers (at least {} below the cluster median):\n{s}",
            percent(threshold)
        );
    }
    for v in &merged.verdicts {
        if v.verdict != crate::results::Verdict::AsExpected {
            println!("{} {}: {}", v.device, v.dtype, crate::reference::explain(v));
        }
    }
    for problem in crate::reference::cluster_wide_problems(merged, &merged.verdicts) {
        println!("Cluster-wide: {problem}");
    }
    println!("cluster file written to {}", args.out.display());
}
