//! A cluster view as blocks (tables and lines), for the terminal, Markdown and HTML alike. Every
//! table of devices, ranks or nodes stops at `ROW_CAP` rows and says how many more there are and
//! where they are.

use std::collections::BTreeMap;

use super::cluster::{ClusterView, NodeProblems, ROW_CAP};
use super::tables::Block;
use crate::output::table::{Column, Table};
use crate::output::{percent, tflops};

/// `3, 5-7, 12`: ranks in runs, for a line a person reads; past `ROW_CAP` runs, "and N more".
pub fn ranges(ranks: &[u32]) -> String {
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
    if parts.len() > ROW_CAP {
        let more = parts.len() - ROW_CAP;
        parts.truncate(ROW_CAP);
        parts.push(format!("and {more} more runs of ranks"));
    }
    parts.join(", ")
}

/// "N more (the cluster file and --json list every one)": what a capped table leaves out.
fn more_note(t: &mut Table, left: usize, what: &str) {
    if left > 0 {
        t.note(format!(
            "{left} more {what} not shown (at most {ROW_CAP} rows; the cluster file and --json \
             list every one)."
        ));
    }
}

fn overview(v: &ClusterView) -> Block {
    Block::Lines {
        title: format!(
            "{} devices on {} host(s), {} rank(s), from {} file(s)",
            v.devices, v.hosts, v.ranks, v.files
        ),
        lines: Vec::new(),
    }
}

/// "every result (1) failed verification (2 ranks); no result at all": a node's reasons.
fn reasons(p: &NodeProblems) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &p.dead {
        *counts.entry(d.reason.as_str()).or_default() += 1;
    }
    let mut why: Vec<String> = counts
        .into_iter()
        .map(|(r, n)| {
            if n > 1 {
                format!("{r} ({n} ranks)")
            } else {
                r.to_string()
            }
        })
        .collect();
    if !p.missing.is_empty() {
        why.push("no file at all".into());
    }
    why.join("; ")
}

/// Missing ranks in one line, then dead and missing ranks by node.
fn problems(v: &ClusterView) -> Vec<Block> {
    let mut out = Vec::new();
    if !v.missing_ranks.is_empty() {
        out.push(Block::Lines {
            title: format!(
                "Missing ranks ({}): {}: no file at all (killed before their first save?)",
                v.missing_ranks.len(),
                ranges(&v.missing_ranks)
            ),
            lines: Vec::new(),
        });
    }
    if v.by_node.is_empty() {
        return out;
    }
    let mut t = Table::new(vec![
        Column::text("node")
            .cut(16)
            .means("the host; for missing ranks, the host of the other ranks of their block"),
        Column::text("missing").cut(12).means("ranks with no file"),
        Column::text("dead")
            .cut(12)
            .means("ranks with no verified result (of a dtype)"),
        Column::text("why").cut(24),
    ])
    .titled(format!(
        "Dead or failed ranks ({} of {}) and missing ranks ({}), by node: left out of the \
         aggregates",
        v.dead_ranks,
        v.files,
        v.missing_ranks.len()
    ));
    for p in v.by_node.iter().take(ROW_CAP) {
        let mut dead: Vec<u32> = p.dead.iter().filter_map(|d| d.rank).collect();
        dead.dedup();
        let unranked = p.dead.iter().filter(|d| d.rank.is_none()).count();
        let dead_cell = match (dead.is_empty(), unranked) {
            (true, 0) => "-".to_string(),
            (true, n) => format!("{n} file(s)"),
            (false, _) => ranges(&dead),
        };
        t.row(vec![
            p.node.clone(),
            if p.missing.is_empty() {
                "-".into()
            } else {
                ranges(&p.missing)
            },
            dead_cell,
            reasons(p),
        ]);
    }
    more_note(&mut t, v.by_node.len().saturating_sub(ROW_CAP), "nodes");
    out.push(Block::Table(t));
    out
}

/// Interrupted files and groups not compared, each on a line (capped).
fn remarks(v: &ClusterView) -> Vec<Block> {
    let mut lines: Vec<String> = v
        .interrupted
        .iter()
        .take(ROW_CAP)
        .map(|f| format!("Interrupted: {f} stopped early; what it measured is merged"))
        .collect();
    if v.interrupted.len() > ROW_CAP {
        lines.push(format!(
            "Interrupted: {} more files (cluster.interrupted lists every one)",
            v.interrupted.len() - ROW_CAP
        ));
    }
    lines.extend(v.not_compared.iter().map(|n| format!("Not compared: {n}")));
    lines
        .into_iter()
        .map(|title| Block::Lines {
            title,
            lines: Vec::new(),
        })
        .collect()
}

/// Each job's rate across the devices: count, min, p1, p5, median, p95, max.
fn distributions(v: &ClusterView) -> Block {
    let mut t = Table::new(vec![
        Column::text("chip").cut(14).drop(3),
        Column::text("kernel"),
        Column::text("dtype"),
        Column::text("shape"),
        Column::num("GPUs").means("devices with a verified result of the job"),
        Column::num("min"),
        Column::num("p1").drop(2),
        Column::num("p5").drop(1),
        Column::num("median"),
        Column::num("p95").drop(1),
        Column::num("max"),
        Column::num("unverified")
            .short("unv.")
            .drop(4)
            .means("results that failed verification or were not checked"),
    ])
    .titled("Each job across the devices (verified median TFLOP/s)");
    for d in &v.distributions {
        let problem = d.problem();
        t.row(vec![
            d.device_name.clone(),
            d.kernel.clone(),
            d.dtype.to_string(),
            problem.to_string(),
            d.count.to_string(),
            tflops(d.min_tflops),
            tflops(d.p1_tflops),
            tflops(d.p5_tflops),
            tflops(d.median_tflops),
            tflops(d.p95_tflops),
            tflops(d.max_tflops),
            d.unverified.to_string(),
        ]);
    }
    Block::Table(t)
}

/// Per dtype: the sum, median, min and max of each GPU's best rate, and the slowest node.
fn dtypes(v: &ClusterView) -> Block {
    let mut t = Table::new(vec![
        Column::text("dtype"),
        Column::num("devices").short("GPUs"),
        Column::num("sum TFLOP/s").short("sum"),
        Column::num("median"),
        Column::num("min"),
        Column::num("max").drop(1),
        Column::num("nodes").drop(2),
        Column::text("slowest node (median)")
            .short("slowest node")
            .cut(16)
            .drop(3),
    ])
    .titled("Each GPU's best TFLOP/s, per dtype");
    for d in &v.dtypes {
        t.row(vec![
            d.dtype.to_string(),
            d.cluster.count.to_string(),
            tflops(d.cluster.sum_tflops),
            tflops(d.cluster.median_tflops),
            tflops(d.cluster.min_tflops),
            tflops(d.cluster.max_tflops),
            d.nodes.to_string(),
            d.slowest_node
                .as_ref()
                .map(|(h, m)| format!("{h} ({})", tflops(*m)))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    t.note("Per node: cluster.aggregates[].nodes in the cluster file, or --json.");
    Block::Table(t)
}

fn slowest(v: &ClusterView) -> Option<Block> {
    if v.slowest.is_empty() || v.devices < 2 {
        return None;
    }
    let mut t = Table::new(vec![
        Column::text("device").cut(16),
        Column::text("dtype"),
        Column::num("TFLOP/s").means("the GPU's best verified median"),
        Column::num("below median")
            .short("below")
            .means("below the dtype's cluster median"),
        Column::text("straggler").drop(1),
    ])
    .titled("The slowest GPUs per dtype");
    for s in v.slowest.iter().take(ROW_CAP) {
        t.row(vec![
            s.device.clone(),
            s.dtype.to_string(),
            tflops(s.tflops),
            percent(s.below_median),
            if s.straggler {
                "yes".into()
            } else {
                "-".into()
            },
        ]);
    }
    Some(Block::Table(t))
}

/// Every straggler: a row each up to the cap, then a line per node naming the rest.
fn stragglers(v: &ClusterView) -> Vec<Block> {
    let threshold = percent(v.straggler_threshold);
    if v.stragglers.is_empty() {
        return vec![Block::Lines {
            title: format!(
                "No stragglers: every device is within {threshold} of the median of the devices \
                 it is compared with."
            ),
            lines: Vec::new(),
        }];
    }
    let mut t = Table::new(vec![
        Column::text("host").cut(12).drop(2),
        Column::text("device").cut(16),
        Column::text("dtype"),
        Column::num("TFLOP/s"),
        Column::num("cluster median").short("median").drop(1),
        Column::num("shortfall").short("short"),
    ])
    .titled(format!(
        "Stragglers ({}, at least {threshold} below the cluster median):",
        v.stragglers.len()
    ));
    for g in v.stragglers.iter().take(ROW_CAP) {
        t.row(vec![
            g.host.clone(),
            g.device.clone(),
            g.dtype.to_string(),
            tflops(g.tflops),
            tflops(g.cluster_median_tflops),
            percent(g.shortfall),
        ]);
    }
    let mut out = vec![Block::Table(t)];
    let rest = &v.stragglers[v.stragglers.len().min(ROW_CAP)..];
    if !rest.is_empty() {
        let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for g in rest {
            by.entry(g.host.as_str()).or_default().push(format!(
                "{} {} {}",
                g.device,
                g.dtype,
                percent(g.shortfall)
            ));
        }
        out.push(Block::Lines {
            title: format!("{} more stragglers, by node:", rest.len()),
            lines: by
                .into_iter()
                .map(|(h, devices)| format!("{h}: {}", devices.join(", ")))
                .collect(),
        });
    }
    out
}

/// Against the published measurements: counts per dtype, then each device off its reference.
fn verdicts(v: &ClusterView) -> Vec<Block> {
    if v.verdict_counts.is_empty() {
        return Vec::new();
    }
    let mut t = Table::new(vec![
        Column::text("dtype"),
        Column::num("as expected").short("as exp."),
        Column::num("below"),
        Column::num("above"),
    ])
    .titled("Against published measurements of the same chip (data/reference_rates.csv)");
    for c in &v.verdict_counts {
        t.row(vec![
            c.dtype.map(|d| d.to_string()).unwrap_or_default(),
            c.as_expected.to_string(),
            c.below.to_string(),
            c.above.to_string(),
        ]);
    }
    let mut out = vec![Block::Table(t)];
    let mut lines: Vec<String> = v
        .verdicts_off
        .iter()
        .take(ROW_CAP)
        .map(|x| format!("{} {}: {}", x.device, x.dtype, crate::reference::explain(x)))
        .collect();
    if v.verdicts_off.len() > ROW_CAP {
        lines.push(format!(
            "and {} more (report --json lists every one)",
            v.verdicts_off.len() - ROW_CAP
        ));
    }
    out.extend(lines.into_iter().map(|title| Block::Lines {
        title,
        lines: Vec::new(),
    }));
    out
}

/// Everything the report shows of a cluster file, problems first.
pub fn blocks(v: &ClusterView) -> Vec<Block> {
    let mut b = vec![overview(v)];
    b.extend(problems(v));
    b.extend(remarks(v));
    b.push(distributions(v));
    b.push(dtypes(v));
    b.extend(slowest(v));
    b.extend(stragglers(v));
    b.extend(verdicts(v));
    b.extend(v.cluster_wide.iter().map(|p| Block::Lines {
        title: format!("Cluster-wide: {p}"),
        lines: Vec::new(),
    }));
    b
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_of_ranks() {
        assert_eq!(super::ranges(&[3, 5, 6, 7, 12]), "3, 5-7, 12");
        assert_eq!(super::ranges(&[0]), "0");
        let every_other: Vec<u32> = (0..120).map(|r| r * 2).collect();
        let s = super::ranges(&every_other);
        assert!(s.ends_with("98, and 70 more runs of ranks"), "{s}");
    }
}
