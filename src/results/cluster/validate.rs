//! The values of a cluster file, checked on loading (and each rank before it is written): every
//! rate in range and in order, every job of a device its rank lists, one record per rank,
//! settings that exist, stragglers that are devices of the file at their best verified rate and
//! below the median by what they claim, aggregates that fit together.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::dtype::Dtype;
use crate::units::sig;

use super::{ClusterFile, JobSummary, RankRecord, TelemetrySummary};
use crate::results::types::Straggler;
use crate::results::validate::{
    check_aggregate, check_rate, check_straggler_rate, positive, rate, Problem, MAX_DIM,
    MAX_POWER_W,
};

fn check_sha(at: &str, sha: &str) -> Result<(), Problem> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{at}: sha256 {sha:?} is not 64 hex digits"));
    }
    Ok(())
}

fn check_telemetry(at: &str, t: &TelemetrySummary) -> Result<(), Problem> {
    let watts =
        |v: Option<f64>| v.is_none_or(|w| w.is_finite() && (0.0..=MAX_POWER_W).contains(&w));
    let clock = |v: Option<f64>| v.is_none_or(|c| c.is_finite() && (0.0..=10_000.0).contains(&c));
    let celsius = |v: Option<f64>| v.is_none_or(|c| c.is_finite() && (-60.0..=200.0).contains(&c));
    if !watts(t.power_w) || !watts(t.power_limit_w) || !clock(t.sm_clock_mhz) {
        return Err(format!(
            "{at}: telemetry power or clock out of range (power 0..{} W, clocks 0..10000 MHz)",
            sig(MAX_POWER_W)
        ));
    }
    if !celsius(t.temperature_c_max) {
        return Err(format!(
            "{at}: telemetry temperature out of range (-60..200 C)"
        ));
    }
    Ok(())
}

fn check_shape(at: &str, j: &JobSummary) -> Result<(), Problem> {
    let dims = [j.m, j.n, j.k, j.batch];
    if dims.iter().any(|d| *d == 0 || *d > MAX_DIM) {
        return Err(format!(
            "{at}: m, n, k and batch must be from 1 to {MAX_DIM}"
        ));
    }
    Ok(())
}

fn check_job(at: &str, j: &JobSummary, with_samples: bool) -> Result<(), Problem> {
    check_shape(at, j)?;
    for (what, v) in [
        ("median_tflops", j.median_tflops),
        ("p25_tflops", j.p25_tflops),
        ("p75_tflops", j.p75_tflops),
        ("max_tflops", j.max_tflops),
    ] {
        check_rate(at, what, v)?;
    }
    let ordered = j.p25_tflops <= j.p75_tflops * (1.0 + 1e-9)
        && j.max_tflops >= j.median_tflops * (1.0 - 1e-9);
    if !ordered || j.samples == 0 {
        return Err(format!(
            "{at}: p25 {} p75 {} median {} max {} TFLOP/s of {} samples are not in order",
            sig(j.p25_tflops),
            sig(j.p75_tflops),
            sig(j.median_tflops),
            sig(j.max_tflops),
            j.samples
        ));
    }
    if j.vs_reference.is_some_and(|v| !positive(v))
        || j.vs_reference.is_some() != j.verdict.is_some()
    {
        return Err(format!(
            "{at}: a verdict needs a positive vs_reference, and only one"
        ));
    }
    match &j.times_s {
        Some(t) if t.len() != j.samples || t.iter().any(|x| !positive(*x)) => Err(format!(
            "{at}: times_s must be {} positive times (samples)",
            j.samples
        )),
        None if with_samples => Err(format!(
            "{at}: the file says with_samples but this job has no times_s"
        )),
        _ => j
            .telemetry
            .as_ref()
            .map_or(Ok(()), |t| check_telemetry(at, t)),
    }
}

/// One rank record: its hash, devices, jobs and launcher place; `settings` is the length of the
/// file's settings list.
pub fn check_rank(
    i: usize,
    r: &RankRecord,
    settings: usize,
    with_samples: bool,
) -> Result<(), Problem> {
    let at = format!("ranks[{i}] ({})", r.file);
    check_sha(&at, &r.sha256)?;
    if r.settings >= settings {
        return Err(format!(
            "{at}: settings {} is not among the file's {settings}",
            r.settings
        ));
    }
    if let Some(l) = &r.launcher {
        if l.world_size == 0 || l.rank >= l.world_size || r.rank != Some(l.rank) {
            return Err(format!(
                "{at}: rank {} of a world of {} is not its place in it",
                l.rank, l.world_size
            ));
        }
    }
    let mut ids = BTreeSet::new();
    for d in &r.devices {
        if !ids.insert(d.id.as_str()) {
            return Err(format!("{at}: device {} appears twice", d.id));
        }
        if let Some((dtype, v)) = d.rated_tflops.iter().find(|(_, v)| !rate(**v)) {
            return Err(format!(
                "{at}: device {} rated {dtype} peak {} TFLOP/s",
                d.id,
                sig(*v)
            ));
        }
    }
    for (k, j) in r.jobs.iter().enumerate() {
        let at = format!("{at} jobs[{k}] ({} {})", j.device, j.job());
        if !ids.contains(j.device.as_str()) {
            return Err(format!(
                "{at}: device {} is not among the rank's devices",
                j.device
            ));
        }
        check_job(&at, j, with_samples)?;
    }
    Ok(())
}

/// Each device's best verified median per dtype, with its host and rank.
type Bests<'a> = HashMap<(&'a str, Dtype), (f64, &'a str, Option<u32>)>;

fn bests(doc: &ClusterFile) -> Bests<'_> {
    let mut out: Bests = HashMap::new();
    for (r, j) in doc.jobs().filter(|(_, j)| j.is_verified()) {
        let e = out.entry((j.device.as_str(), j.dtype)).or_insert((
            j.median_tflops,
            r.host.as_str(),
            r.rank,
        ));
        e.0 = e.0.max(j.median_tflops);
    }
    out
}

fn check_straggler(i: usize, s: &Straggler, bests: &Bests, threshold: f64) -> Result<(), Problem> {
    let at = format!("stragglers[{i}] ({} {})", s.device, s.dtype);
    let known = bests.keys().any(|(d, _)| *d == s.device);
    let Some((best, host, rank)) = bests.get(&(s.device.as_str(), s.dtype)) else {
        return Err(if known {
            format!(
                "{at}: device {} has no verified {} result",
                s.device, s.dtype
            )
        } else {
            format!("{at}: device {} is not among the file's devices", s.device)
        });
    };
    if *host != s.host || *rank != s.rank {
        return Err(format!(
            "{at}: host {} is not where device {} ran",
            s.host, s.device
        ));
    }
    check_straggler_rate(&at, s, Some(*best), threshold)
}

/// One record per rank number (a rank merged twice is a forged or broken file).
fn check_ranks_once(doc: &ClusterFile) -> Result<(), Problem> {
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for r in &doc.ranks {
        if let Some(k) = r.rank {
            if let Some(first) = seen.insert(k, &r.file) {
                return Err(format!("ranks: rank {k} is both {first} and {}", r.file));
            }
        }
    }
    for m in &doc.cluster.missing_ranks {
        if seen.contains_key(m) {
            return Err(format!("cluster.missing_ranks: rank {m} has a file"));
        }
    }
    Ok(())
}

fn check_summary(doc: &ClusterFile) -> Result<(), Problem> {
    let c = &doc.cluster;
    if !(positive(c.straggler_threshold) && c.straggler_threshold <= 1.0) {
        return Err(format!(
            "cluster.straggler_threshold {} (must be a fraction in (0, 1])",
            sig(c.straggler_threshold)
        ));
    }
    let devices: BTreeSet<&str> = doc.devices().map(|(_, d)| d.id.as_str()).collect();
    if c.files != doc.ranks.len() || c.devices != devices.len() {
        return Err(format!(
            "cluster.files {} and cluster.devices {} but the file has {} ranks and {} devices",
            c.files,
            c.devices,
            doc.ranks.len(),
            devices.len()
        ));
    }
    for a in &c.aggregates {
        check_aggregate(&format!("cluster.aggregates ({})", a.dtype), &a.cluster)?;
        for n in &a.nodes {
            check_aggregate(
                &format!("cluster.aggregates ({} node {})", a.dtype, n.host),
                &n.aggregate,
            )?;
        }
    }
    Ok(())
}

/// The first problem found, or Ok.
pub fn validate(doc: &ClusterFile) -> Result<(), Problem> {
    for (i, r) in doc.ranks.iter().enumerate() {
        check_rank(i, r, doc.settings.len(), doc.with_samples)?;
    }
    check_ranks_once(doc)?;
    check_summary(doc)?;
    let bests = bests(doc);
    for (i, s) in doc.stragglers.iter().enumerate() {
        check_straggler(i, s, &bests, doc.cluster.straggler_threshold)?;
    }
    Ok(())
}
