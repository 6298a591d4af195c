//! `flopmeter merge FILE... --out FILE [--threshold 0.05] [--json]`.

use crate::cli::MergeArgs;
use crate::cluster::merge::merge_files;
use crate::error::{AppError, AppResult};
use crate::output::{percent, print_json, table, tflops};
use crate::results::{self, write_atomic};

pub fn run(args: &MergeArgs, json: bool) -> AppResult<()> {
    let threshold = args.threshold;
    results::check_writable(&args.out)?;
    let merged = merge_files(&args.files, threshold).map_err(AppError::usage)?;
    write_atomic(&args.out, &merged)?;
    if json {
        return print_json(&merged);
    }
    let c = merged
        .cluster
        .as_ref()
        .expect("merge sets the cluster summary");
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
    for problem in crate::reference::cluster_wide_problems(&merged, &merged.verdicts) {
        println!("Cluster-wide: {problem}");
    }
    println!("cluster file written to {}", args.out.display());
    Ok(())
}
