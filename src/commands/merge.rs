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
        crate::say!("note: skipped {s}");
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
    verdict(&merged, c, args)
}

/// Exit 1 for dead or missing ranks (unless allowed), then for stragglers when asked.
fn verdict(merged: &Results, c: &ClusterSummary, args: &MergeArgs) -> AppResult<()> {
    let dead = c.dead_ranks.len() + c.missing_ranks.len();
    if dead > 0 && !args.allow_dead_ranks {
        return Err(AppError::failed(format!(
            "{dead} rank(s) brought no verified result or no file (listed above and in {}); \
             --allow-dead-ranks accepts that",
            args.out.display()
        )));
    }
    let stragglers = merged.stragglers.as_deref().unwrap_or_default();
    if args.fail_on_straggler && !stragglers.is_empty() {
        let named: Vec<String> = stragglers
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}% below",
                    s.device,
                    s.dtype,
                    crate::output::numbers::sig(s.shortfall * 100.0)
                )
            })
            .collect();
        return Err(AppError::failed(format!(
            "{} straggler(s): {}",
            stragglers.len(),
            named.join("; ")
        )));
    }
    Ok(())
}

/// `3, 5-7, 12`: ranks in runs, for a line a person reads.
fn ranges(ranks: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ranks.len() {
        let mut j = i;
        while j + 1 < ranks.len() && ranks[j + 1] == ranks[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            ranks[i].to_string()
        } else {
            format!("{}-{}", ranks[i], ranks[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// Missing ranks, dead ranks, interrupted files: what an operator must see first.
fn print_problems(c: &ClusterSummary) {
    if !c.missing_ranks.is_empty() {
        println!(
            "Missing ranks ({}): {}: no file at all (killed before their first save?)",
            c.missing_ranks.len(),
            ranges(&c.missing_ranks)
        );
    }
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
            "Dead or failed ranks ({} of {}): no verified result (of a dtype), left out of the aggregates:\n{t}",
            c.dead_ranks.len(),
            c.files.len()
        );
    }
    for f in &c.interrupted {
        println!("Interrupted: {f} stopped early; what it measured is merged");
    }
    for n in &c.not_compared {
        println!("Not compared: {n}");
    }
}

/// Problems first (what an operator must see), then aggregates, stragglers and verdicts.
fn print_text(merged: &Results, c: &ClusterSummary, args: &MergeArgs) {
    let threshold = args.threshold;
    print_problems(c);
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

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_of_ranks() {
        assert_eq!(super::ranges(&[3, 5, 6, 7, 12]), "3, 5-7, 12");
        assert_eq!(super::ranges(&[0]), "0");
    }
}
