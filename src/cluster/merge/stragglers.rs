//! Per dtype: the cluster and per-node aggregates of each GPU's best verified rate, and the
//! stragglers. A GPU is compared only with GPUs of the same chip measured with the same
//! settings (shapes, kernels, time budget): the best rate of a 4096^3 sweep is not slower than
//! that of 8192^3 because its GPU is slow. Devices that cannot be compared are said so. What is
//! kept per device is small (indices and one rate), so a cluster of 100,000 GPUs fits.

use crate::dtype::Dtype;
use crate::measure::stats::quantile;
use crate::results::{Aggregate, DtypeAggregate, NodeAggregate, Settings, Straggler};

/// A merged device: its id, chip, and where it ran (an index into the hosts).
pub struct DeviceEntry {
    pub id: String,
    pub name: String,
    pub host: usize,
    pub rank: Option<u32>,
}

/// What makes two devices' best rates comparable: the chip and the index of the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Basis {
    pub device: usize,
    pub settings: usize,
}

/// One device's best verified median TFLOP/s for one dtype, its basis, and that job's verdict
/// against the published reference with its ratio, where it has one.
#[derive(Debug, Clone, Copy)]
pub struct Best {
    pub device: usize,
    pub dtype: Dtype,
    pub tflops: f64,
    pub basis: Basis,
    pub verdict: Option<(crate::results::Verdict, f64)>,
}

/// What the rates are read against: the devices, hosts and settings of the merge.
pub struct Context<'a> {
    pub devices: &'a [DeviceEntry],
    pub hosts: &'a [String],
    pub settings: &'a [Settings],
}

/// A file's settings less what does not change a rate (the command line, the seed, the
/// backends and dtypes asked for).
pub fn comparable(settings: &Settings) -> Settings {
    Settings {
        command: Vec::new(),
        seed: 0,
        backends: Vec::new(),
        dtypes: Vec::new(),
        ..settings.clone()
    }
}

impl Context<'_> {
    fn chip(&self, b: &Basis) -> &str {
        &self.devices[b.device].name
    }

    fn same(&self, a: &Basis, b: &Basis) -> bool {
        a.settings == b.settings && self.chip(a) == self.chip(b)
    }

    /// What differs between two bases, for the note that says why they are not compared.
    fn differences(&self, x: &Basis, y: &Basis) -> Vec<&'static str> {
        let (a, b) = (&self.settings[x.settings], &self.settings[y.settings]);
        [
            (self.chip(x) != self.chip(y), "chips"),
            (a.shapes != b.shapes || a.sweep != b.sweep, "shapes"),
            (a.kernels != b.kernels, "kernels"),
            (
                (a.warmup_s, a.min_time_s, a.max_time_s, a.target_rel_spread)
                    != (b.warmup_s, b.min_time_s, b.max_time_s, b.target_rel_spread),
                "time budgets",
            ),
        ]
        .into_iter()
        .filter_map(|(differs, what)| differs.then_some(what))
        .collect()
    }
}

fn aggregate(values: &[f64]) -> Aggregate {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Aggregate {
        count: v.len(),
        sum_tflops: v.iter().sum(),
        median_tflops: quantile(&v, 0.5),
        min_tflops: v.first().copied().unwrap_or(f64::NAN),
        max_tflops: v.last().copied().unwrap_or(f64::NAN),
    }
}

/// One dtype's cluster and per-node aggregates (over every device), nodes by name.
pub fn aggregate_dtype(of: &[&Best], dtype: Dtype, cx: &Context) -> DtypeAggregate {
    let all: Vec<f64> = of.iter().map(|b| b.tflops).collect();
    let mut per_host: Vec<Vec<f64>> = vec![Vec::new(); cx.hosts.len()];
    for b in of {
        per_host[cx.devices[b.device].host].push(b.tflops);
    }
    let mut nodes: Vec<NodeAggregate> = per_host
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(h, v)| NodeAggregate {
            host: cx.hosts[h].clone(),
            aggregate: aggregate(v),
        })
        .collect();
    nodes.sort_by(|a, b| a.host.cmp(&b.host));
    DtypeAggregate {
        dtype,
        cluster: aggregate(&all),
        nodes,
    }
}

/// The devices of one dtype in groups of one basis each, in order of first appearance.
pub fn groups<'a, 'b>(of: &[&'b Best], cx: &Context<'a>) -> Vec<Vec<&'b Best>> {
    let mut groups: Vec<Vec<&Best>> = Vec::new();
    for b in of {
        match groups.iter_mut().find(|g| cx.same(&g[0].basis, &b.basis)) {
            Some(g) => g.push(b),
            None => groups.push(vec![b]),
        }
    }
    groups
}

/// The stragglers of one group: at least `threshold` below the group's median.
pub fn stragglers(group: &[&Best], threshold: f64, cx: &Context) -> Vec<Straggler> {
    let rates: Vec<f64> = group.iter().map(|b| b.tflops).collect();
    let median = aggregate(&rates).median_tflops;
    group
        .iter()
        .filter_map(|b| {
            let shortfall = 1.0 - b.tflops / median;
            let d = &cx.devices[b.device];
            (shortfall >= threshold).then(|| Straggler {
                host: cx.hosts[d.host].clone(),
                rank: d.rank,
                device: d.id.clone(),
                device_name: d.name.clone(),
                dtype: b.dtype,
                tflops: b.tflops,
                cluster_median_tflops: median,
                shortfall,
            })
        })
        .collect()
}

/// Why the groups of one dtype are not compared with each other: "bf16: 2 groups not compared
/// as stragglers (different shapes): 4 x NVIDIA H100 (node1/rank0/cuda:0, ...), 2 x ...".
pub fn not_compared(dtype: Dtype, groups: &[Vec<&Best>], cx: &Context) -> Option<String> {
    if groups.len() < 2 {
        return None;
    }
    let mut why: Vec<&str> = groups[1..]
        .iter()
        .flat_map(|g| cx.differences(&groups[0][0].basis, &g[0].basis))
        .collect();
    why.sort_unstable();
    why.dedup();
    let each: Vec<String> = groups
        .iter()
        .map(|g| {
            let first = &cx.devices[g[0].device].id;
            let more = if g.len() > 1 { ", ..." } else { "" };
            format!("{} x {} ({first}{more})", g.len(), cx.chip(&g[0].basis))
        })
        .collect();
    Some(format!(
        "{dtype}: {} groups of devices not compared with each other as stragglers (different \
         {}): {}",
        groups.len(),
        why.join(", "),
        each.join("; ")
    ))
}

/// Per dtype: aggregates over every device, stragglers within each group of comparable ones,
/// and a sentence for each dtype whose groups are not compared.
pub struct PerDtype {
    pub aggregates: Vec<DtypeAggregate>,
    pub stragglers: Vec<Straggler>,
    pub not_compared: Vec<String>,
}

pub fn per_dtype(best: &[Best], threshold: f64, cx: &Context) -> PerDtype {
    let mut dtypes: Vec<Dtype> = best.iter().map(|b| b.dtype).collect();
    dtypes.sort();
    dtypes.dedup();
    let mut out = PerDtype {
        aggregates: Vec::new(),
        stragglers: Vec::new(),
        not_compared: Vec::new(),
    };
    for dtype in dtypes {
        let of: Vec<&Best> = best.iter().filter(|b| b.dtype == dtype).collect();
        out.aggregates.push(aggregate_dtype(&of, dtype, cx));
        let groups = groups(&of, cx);
        for g in &groups {
            out.stragglers.extend(stragglers(g, threshold, cx));
        }
        out.not_compared.extend(not_compared(dtype, &groups, cx));
    }
    out
}
