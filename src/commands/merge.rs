//! `flopmeter merge FILE... --out FILE [--threshold 0.05] [--json]`.

use crate::cli::MergeArgs;
use crate::cluster::merge::{load_inputs, merge};
use crate::error::{AppError, AppResult};
use crate::output::table::{Column, Table};
use crate::output::{percent, print_json, print_text, stdout_width, tflops};
use crate::results::{write_atomic, ClusterSummary, Results};

mod sustain;

pub fn run(args: &MergeArgs, json: bool) -> AppResult<()> {
    if let Some(inputs) = sustain::inputs(args)? {
        return sustain::run(args, json, inputs);
    }
    let inputs = load_inputs(&args.files, Some(&args.out)).map_err(AppError::usage)?;
    let named: Vec<&std::path::Path> = inputs.docs.iter().map(|(p, _)| p.as_path()).collect();
    crate::files::check_output(&args.out, &named).map_err(|e| AppError::usage(e.to_string()))?;
    for s in &inputs.skipped {
        crate::say!("note: skipped {}", crate::output::clean::line(s));
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
fn problems_text(c: &ClusterSummary, width: Option<usize>) -> String {
    let mut s = String::new();
    if !c.missing_ranks.is_empty() {
        s += &format!(
            "Missing ranks ({}): {}: no file at all (killed before their first save?)\n",
            c.missing_ranks.len(),
            ranges(&c.missing_ranks)
        );
    }
    if !c.dead_ranks.is_empty() {
        let mut t = Table::new(vec![
            Column::text("file").cut(16),
            Column::text("host").cut(12),
            Column::num("rank"),
            Column::num("runs").drop(1),
            Column::text("why").cut(20),
        ])
        .titled(format!(
            "Dead or failed ranks ({} of {}): no verified result (of a dtype), left out of the \
             aggregates:",
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
    for f in &c.interrupted {
        s += &format!("Interrupted: {f} stopped early; what it measured is merged\n");
    }
    for n in &c.not_compared {
        s += &format!("Not compared: {n}\n");
    }
    s
}

/// Problems first (what an operator must see), then aggregates, stragglers and verdicts.
fn text(merged: &Results, c: &ClusterSummary, args: &MergeArgs, width: Option<usize>) -> String {
    let mut s = String::new();
    s += &problems_text(c, width);
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
        Column::text("host").cut(12),
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
            g.host.clone(),
            g.device.clone(),
            g.dtype.to_string(),
            tflops(g.tflops),
            tflops(g.cluster_median_tflops),
            percent(g.shortfall),
        ]);
    }
    t.terminal(width)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_of_ranks() {
        assert_eq!(super::ranges(&[3, 5, 6, 7, 12]), "3, 5-7, 12");
        assert_eq!(super::ranges(&[0]), "0");
    }
}
