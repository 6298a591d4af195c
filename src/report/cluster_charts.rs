//! Charts of a cluster file: each job's histogram of device rates (stragglers' bins in red),
//! and, for a cluster of up to `PER_DEVICE_CAP` devices, each device's best rate per chip and
//! dtype against the median and the straggler threshold.

use std::collections::BTreeMap;

use super::charts::{Bar, BarChart};
use crate::charts::{color, to_svg_string, Rgb, SIZE};
use crate::dtype::Dtype;
use crate::output::tflops;
use crate::results::cluster::{ClusterFile, JobDistribution};

/// The most devices drawn one bar each; past it only the histograms are drawn.
pub const PER_DEVICE_CAP: usize = 64;
/// The most histograms a page draws (the table lists every job).
pub const HISTOGRAM_CAP: usize = 24;

/// One job's histogram: a bar per bin, its count of devices; bins holding a device below the
/// straggler threshold in red.
fn histogram(d: &JobDistribution, threshold: f64) -> BarChart {
    let h = &d.histogram;
    let cut = d.median_tflops * (1.0 - threshold);
    let bars = h
        .counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let lo = h.lo_tflops + h.bin_tflops * i as f64;
            let hi = lo + h.bin_tflops;
            let slow = *n > 0 && lo < cut;
            Bar {
                label: if h.bin_tflops > 0.0 {
                    format!("{} to {} TFLOP/s", tflops(lo), tflops(hi))
                } else {
                    format!("{} TFLOP/s", tflops(lo))
                },
                value: *n as f64,
                color: if slow { Rgb::RED } else { color(0) },
                note: slow.then(|| "below the straggler threshold".to_string()),
            }
        })
        .collect();
    let problem = d.problem();
    BarChart::counts(
        format!(
            "{} {} {} {}: {} devices",
            d.device_name, d.kernel, d.dtype, problem, d.count
        ),
        "devices".into(),
        bars,
    )
}

/// Each device's best rate for one chip and dtype, with the stragglers in red.
fn per_device(c: &ClusterFile) -> Vec<BarChart> {
    let mut groups: BTreeMap<(String, Dtype), Vec<Bar>> = BTreeMap::new();
    let mut values: BTreeMap<(String, Dtype), Vec<f64>> = BTreeMap::new();
    for (_, d, j) in c.best_jobs() {
        let s = c
            .stragglers
            .iter()
            .find(|s| s.device == d.id && s.dtype == j.dtype);
        let key = (d.name.clone(), j.dtype);
        values.entry(key.clone()).or_default().push(j.median_tflops);
        groups.entry(key).or_default().push(Bar {
            label: d.id.clone(),
            value: j.median_tflops,
            color: if s.is_some() { Rgb::RED } else { color(0) },
            note: s.map(|g| {
                format!(
                    "straggler: {} below the median",
                    crate::output::percent(g.shortfall)
                )
            }),
        });
    }
    groups
        .into_iter()
        .filter(|(_, bars)| bars.len() >= 2)
        .map(|((name, dtype), bars)| {
            let mut v = values.remove(&(name.clone(), dtype)).unwrap_or_default();
            v.sort_by(f64::total_cmp);
            let median = crate::measure::stats::quantile(&v, 0.5);
            BarChart::against_median(
                format!("TFLOP/s per device: {name} {dtype}"),
                bars,
                median,
                Some(c.cluster.straggler_threshold),
            )
        })
        .collect()
}

/// The charts of one cluster file, titled, as SVG.
pub fn charts(label: &str, c: &ClusterFile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut all: Vec<BarChart> = c
        .cluster
        .distributions
        .iter()
        .take(HISTOGRAM_CAP)
        .map(|d| histogram(d, c.cluster.straggler_threshold))
        .collect();
    if c.cluster.devices <= PER_DEVICE_CAP {
        all.extend(per_device(c));
    }
    for chart in all {
        if let Ok(svg) = to_svg_string(&chart, (SIZE.0, chart.height())) {
            out.push((format!("{label}: {}", chart.title), svg));
        }
    }
    out
}
