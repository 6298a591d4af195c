//! What merges and multi-GPU benches add: stragglers (only of listed devices, at the rate their
//! runs give, below the median by what they claim), the cluster summary's aggregates,
//! all-reduce measurements (of listed devices, bandwidths that follow from bytes and time), and
//! the verdicts against published rates.

use crate::measure::stats::summarize;
use crate::units::sig;

use super::{agree, check_rate, positive, Problem};
use crate::results::best::best_verified;
use crate::results::types::{
    Aggregate, ClusterSummary, Collective, DeviceVerdict, Results, Straggler,
};

/// Fastest link a collective can report, GB/s: NVLink 5 moves 1.8 TB/s per GPU (NVIDIA
/// Blackwell datasheet); 100 TB/s is no interconnect.
const MAX_BANDWIDTH_GBS: f64 = 1e5;

fn best_rate(doc: &Results, device: &str, dtype: crate::dtype::Dtype) -> Option<f64> {
    best_verified(doc, device, dtype).map(|r| r.tflops.median)
}

fn check_straggler(i: usize, s: &Straggler, doc: &Results, threshold: f64) -> Result<(), Problem> {
    let at = format!("stragglers[{i}] ({} {})", s.device, s.dtype);
    let device = doc
        .devices
        .iter()
        .find(|d| d.id == s.device)
        .ok_or_else(|| format!("{at}: device {} is not among the file's devices", s.device))?;
    if device.host.as_deref() != Some(s.host.as_str()) || device.rank != s.rank {
        return Err(format!(
            "{at}: host {} rank {} is not where device {} ran",
            s.host,
            s.rank.map_or("none".into(), |r| r.to_string()),
            s.device
        ));
    }
    check_straggler_rate(&at, s, best_rate(doc, &s.device, s.dtype), threshold)
}

/// A straggler's rate against the device's best verified rate and the cluster median: the same
/// rule for merged results files and cluster files of summaries.
pub(crate) fn check_straggler_rate(
    at: &str,
    s: &Straggler,
    best: Option<f64>,
    threshold: f64,
) -> Result<(), Problem> {
    check_rate(at, "cluster_median_tflops", s.cluster_median_tflops)?;
    if best.is_none_or(|b| !agree(b, s.tflops, 1e-9)) {
        return Err(format!(
            "{at}: tflops {} is not the device's best verified {} rate",
            sig(s.tflops),
            s.dtype
        ));
    }
    let shortfall = 1.0 - s.tflops / s.cluster_median_tflops;
    if !agree(s.shortfall, shortfall, 1e-6) || shortfall < threshold * (1.0 - 1e-9) {
        return Err(format!(
            "{at}: shortfall {} is not 1 - tflops / median = {} at least the threshold {}",
            sig(s.shortfall),
            sig(shortfall),
            sig(threshold)
        ));
    }
    Ok(())
}

pub(crate) fn check_aggregate(at: &str, a: &Aggregate) -> Result<(), Problem> {
    for (what, v) in [
        ("median_tflops", a.median_tflops),
        ("min_tflops", a.min_tflops),
        ("max_tflops", a.max_tflops),
    ] {
        check_rate(at, what, v)?;
    }
    let n = a.count as f64;
    let ordered = a.min_tflops <= a.median_tflops && a.median_tflops <= a.max_tflops;
    let sum_ok = a.sum_tflops >= n * a.min_tflops * (1.0 - 1e-9)
        && a.sum_tflops <= n * a.max_tflops * (1.0 + 1e-9);
    if a.count == 0 || !ordered || !sum_ok {
        return Err(format!(
            "{at}: count {}, sum {}, median {}, min {}, max {} do not fit together",
            a.count,
            sig(a.sum_tflops),
            sig(a.median_tflops),
            sig(a.min_tflops),
            sig(a.max_tflops)
        ));
    }
    Ok(())
}

fn check_summary(c: &ClusterSummary, doc: &Results) -> Result<(), Problem> {
    if !(positive(c.straggler_threshold) && c.straggler_threshold <= 1.0) {
        return Err(format!(
            "cluster.straggler_threshold {} (must be a fraction in (0, 1])",
            sig(c.straggler_threshold)
        ));
    }
    if c.devices != doc.devices.len() {
        return Err(format!(
            "cluster.devices {} but the file lists {} devices",
            c.devices,
            doc.devices.len()
        ));
    }
    for a in &c.aggregates {
        check_aggregate(&format!("cluster.aggregates ({})", a.dtype), &a.cluster)?;
        for n in &a.nodes {
            let at = format!("cluster.aggregates ({} node {})", a.dtype, n.host);
            check_aggregate(&at, &n.aggregate)?;
        }
    }
    Ok(())
}

fn check_collective(i: usize, c: &Collective, doc: &Results) -> Result<(), Problem> {
    let at = format!("collectives[{i}] ({} {})", c.op, c.dtype);
    if c.op != "all_reduce" || c.devices.len() < 2 {
        return Err(format!(
            "{at}: only all_reduce across 2 or more devices is measured"
        ));
    }
    if let Some(d) = c
        .devices
        .iter()
        .find(|d| !doc.devices.iter().any(|x| &x.id == *d))
    {
        return Err(format!("{at}: device {d} is not among the file's devices"));
    }
    let samples_ok = !c.samples.is_empty() && c.samples.iter().all(|t| positive(*t));
    if !samples_ok || c.bytes == 0 || !agree(c.time_s, summarize(&c.samples).median, 1e-9) {
        return Err(format!(
            "{at}: time_s {} must be the median of a non-empty list of positive times, of a \
             positive number of bytes",
            sig(c.time_s)
        ));
    }
    let algbw = c.bytes as f64 / c.time_s / 1e9;
    let busbw = Collective::bus_bandwidth(algbw, c.devices.len());
    let follows = agree(c.algbw_gbs, algbw, 1e-6) && agree(c.busbw_gbs, busbw, 1e-6);
    if !follows || algbw > MAX_BANDWIDTH_GBS {
        return Err(format!(
            "{at}: algbw {} GB/s and busbw {} GB/s are not bytes / time = {} and {} (at most {} \
             GB/s)",
            sig(c.algbw_gbs),
            sig(c.busbw_gbs),
            sig(algbw),
            sig(busbw),
            sig(MAX_BANDWIDTH_GBS)
        ));
    }
    Ok(())
}

fn check_verdict(i: usize, v: &DeviceVerdict, doc: &Results) -> Result<(), Problem> {
    let at = format!("verdicts[{i}] ({} {})", v.device, v.dtype);
    check_rate(&at, "reference_tflops", v.reference_tflops)?;
    let best = best_rate(doc, &v.device, v.dtype);
    if best.is_none_or(|b| !agree(b, v.best_tflops, 1e-9)) {
        return Err(format!(
            "{at}: best_tflops {} is not the device's best verified {} rate",
            sig(v.best_tflops),
            v.dtype
        ));
    }
    if !agree(v.vs_reference, v.best_tflops / v.reference_tflops, 1e-6) {
        return Err(format!(
            "{at}: vs_reference {} is not best_tflops / reference_tflops",
            sig(v.vs_reference)
        ));
    }
    Ok(())
}

/// Every check of the cluster parts of a file.
pub(super) fn check(doc: &Results) -> Result<(), Problem> {
    if let Some(c) = &doc.cluster {
        check_summary(c, doc)?;
    }
    let stragglers = doc.stragglers.as_deref().unwrap_or_default();
    let threshold = doc.cluster.as_ref().map(|c| c.straggler_threshold);
    if !stragglers.is_empty() && threshold.is_none() {
        return Err("stragglers listed in a file that is not a merged cluster file".into());
    }
    for (i, s) in stragglers.iter().enumerate() {
        check_straggler(i, s, doc, threshold.unwrap_or(1.0))?;
    }
    for (i, c) in doc.collectives.iter().enumerate() {
        check_collective(i, c, doc)?;
    }
    for (i, v) in doc.verdicts.iter().enumerate() {
        check_verdict(i, v, doc)?;
    }
    Ok(())
}
