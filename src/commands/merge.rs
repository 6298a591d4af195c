//! `flopmeter merge FILE... --out FILE [--threshold 0.05] [--json]`.

use crate::cli::MergeArgs;
use crate::cluster::merge::{load_inputs, merge};
use crate::error::{AppError, AppResult};
use crate::output::table::{Column, Table};
use crate::output::{percent, print_json, print_text, stdout_width, tflops};
use crate::results::{write_atomic, ClusterSummary, Results};

pub fn run(args: &MergeArgs, json: bool) -> AppResult<()> {
    let inputs = load_inputs(&args.files, Some(&args.out)).map_err(AppError::usage)?;
    let named: Vec<&std::path::Path> = inputs.docs.iter().map(|(p, _)| p.as_path()).collect();
    crate::files::check_output(&args.out, &named).map_err(|e| AppError::usage(e.to_string()))?;
    for s in &inputs.skipped {
        eprintln!("note: skipped {}", crate::output::clean::line(s));
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
        print_text(&text(&merged, c, args, stdout_width()))?;
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
fn text(merged: &Results, c: &ClusterSummary, args: &MergeArgs, width: Option<usize>) -> String {
    let mut s = String::new();
    if !c.dead_ranks.is_empty() {
        let mut t = Table::new(vec![
            Column::text("file").cut(16),
            Column::text("host").cut(12),
            Column::num("rank"),
            Column::num("runs").drop(1),
            Column::text("why").cut(20),
        ])
        .titled(format!(
            "Dead or failed ranks ({} of {}): no verified result, left out of the aggregates:",
            c.dead_ranks.len(),
            c.files.len()
        ));
        for d in &c.dead_ranks {
            t.row(vec![
                d.file.clone(),
                d.host.clone(),
                d.rank.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
                d.runs.to_string(),
                d.reason.clone(),
            ]);
        }
        s += &t.terminal(width);
    }
    s += &format!(
        "{} devices on {} host(s), {} rank(s), from {} file(s)\n",
        c.devices,
        c.hosts.len(),
        c.ranks,
        c.files.len()
    );
    s += &aggregates_table(c).terminal(width);
    s += &stragglers_text(merged, args.threshold, width);
    for v in &merged.verdicts {
        if v.verdict != crate::results::Verdict::AsExpected {
            s += &format!(
                "{} {}: {}\n",
                v.device,
                v.dtype,
                crate::reference::explain(v)
            );
        }
    }
    for problem in crate::reference::cluster_wide_problems(merged, &merged.verdicts) {
        s += &format!("Cluster-wide: {problem}\n");
    }
    s += &format!("cluster file written to {}\n", args.out.display());
    s
}

/// Per dtype: the sum, median, min and max of each GPU's best rate, cluster and per node.
fn aggregates_table(c: &ClusterSummary) -> Table {
    let mut t = Table::new(vec![
        Column::text("dtype"),
        Column::text("scope").cut(12),
        Column::num("devices").short("GPUs"),
        Column::num("sum TFLOP/s").short("sum"),
        Column::num("median"),
        Column::num("min"),
        Column::num("max").drop(1),
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
        t.row(row("cluster".into(), &a.cluster));
        for n in &a.nodes {
            t.row(row(format!("node {}", n.host), &n.aggregate));
        }
    }
    t
}

fn stragglers_text(merged: &Results, threshold: f64, width: Option<usize>) -> String {
    let stragglers = merged.stragglers.as_deref().unwrap_or_default();
    if stragglers.is_empty() {
        return format!(
            "No stragglers: every device is within {} of the cluster median.\n",
            percent(threshold)
        );
    }
    let mut t = Table::new(vec![
        Column::text("device").cut(14),
        Column::text("dtype"),
        Column::num("TFLOP/s"),
        Column::num("cluster median").short("median"),
        Column::num("shortfall").short("short"),
    ])
    .titled(format!(
        "Stragglers (at least {} below the cluster median):",
        percent(threshold)
    ));
    for g in stragglers {
        t.row(vec![
            g.device.clone(),
            g.dtype.to_string(),
            tflops(g.tflops),
            tflops(g.cluster_median_tflops),
            percent(g.shortfall),
        ]);
    }
    t.terminal(width)
}
