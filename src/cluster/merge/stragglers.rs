//! Per dtype: the cluster and per-node aggregates of each GPU's best verified rate, and the
//! stragglers. A GPU is compared only with GPUs of the same chip measured with the same
//! settings (shapes, kernels, time budget): the best rate of a 4096^3 sweep is not slower than
//! that of 8192^3 because its GPU is slow. Devices that cannot be compared are said so.

use crate::dtype::Dtype;
use crate::measure::stats::quantile;
use crate::results::best::best_per_device;
use crate::results::{
    Aggregate, DeviceRecord, DtypeAggregate, NodeAggregate, Results, Settings, Straggler,
};

/// One device's best verified median TFLOP/s for one dtype, with where it ran and how.
pub struct Best<'a> {
    pub device: &'a DeviceRecord,
    pub host: &'a str,
    pub dtype: Dtype,
    pub tflops: f64,
    /// What its rate may be compared on: the chip and its file's settings.
    pub basis: Basis,
}

/// What makes two devices' best rates comparable.
#[derive(Debug, Clone, PartialEq)]
pub struct Basis {
    pub chip: String,
    pub settings: Settings,
}

impl Basis {
    /// A file's settings less what does not change a rate (the command line, the seed).
    pub fn of(device: &DeviceRecord, settings: &Settings) -> Basis {
        Basis {
            chip: device.name.clone(),
            settings: Settings {
                command: Vec::new(),
                seed: 0,
                backends: Vec::new(),
                dtypes: Vec::new(),
                ..settings.clone()
            },
        }
    }

    /// What differs between two bases, for the note that says why they are not compared.
    pub fn differences(&self, other: &Basis) -> Vec<&'static str> {
        let (a, b) = (&self.settings, &other.settings);
        [
            (self.chip != other.chip, "chips"),
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

/// Every device's best per dtype; `basis_of` gives a device's basis for a dtype (from the file
/// that measured it).
pub fn bests<'a>(
    merged: &'a Results,
    basis_of: impl Fn(&DeviceRecord, Dtype) -> Basis,
) -> Vec<Best<'a>> {
    best_per_device(merged)
        .into_iter()
        .map(|b| Best {
            device: b.device,
            host: b.device.host.as_deref().unwrap_or_default(),
            dtype: b.dtype,
            tflops: b.run.tflops.median,
            basis: basis_of(b.device, b.dtype),
        })
        .collect()
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

/// One dtype's cluster and per-node aggregates (over every device).
pub fn aggregate_dtype(of: &[&Best], dtype: Dtype, hosts: &[String]) -> DtypeAggregate {
    let all: Vec<f64> = of.iter().map(|b| b.tflops).collect();
    let nodes = hosts
        .iter()
        .filter_map(|h| {
            let v: Vec<f64> = of
                .iter()
                .filter(|b| b.host == h)
                .map(|b| b.tflops)
                .collect();
            (!v.is_empty()).then(|| NodeAggregate {
                host: h.clone(),
                aggregate: aggregate(&v),
            })
        })
        .collect();
    DtypeAggregate {
        dtype,
        cluster: aggregate(&all),
        nodes,
    }
}

/// The devices of one dtype in groups of one basis each, in order of first appearance.
pub fn groups<'a, 'b>(of: &[&'b Best<'a>]) -> Vec<Vec<&'b Best<'a>>> {
    let mut groups: Vec<Vec<&Best>> = Vec::new();
    for b in of {
        match groups.iter_mut().find(|g| g[0].basis == b.basis) {
            Some(g) => g.push(b),
            None => groups.push(vec![b]),
        }
    }
    groups
}

/// The stragglers of one group: at least `threshold` below the group's median.
pub fn stragglers(group: &[&Best], threshold: f64) -> Vec<Straggler> {
    let rates: Vec<f64> = group.iter().map(|b| b.tflops).collect();
    let median = aggregate(&rates).median_tflops;
    group
        .iter()
        .filter_map(|b| {
            let shortfall = 1.0 - b.tflops / median;
            (shortfall >= threshold).then(|| Straggler {
                host: b.host.to_string(),
                rank: b.device.rank,
                device: b.device.id.clone(),
                device_name: b.device.name.clone(),
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
pub fn not_compared(dtype: Dtype, groups: &[Vec<&Best>]) -> Option<String> {
    if groups.len() < 2 {
        return None;
    }
    let mut why: Vec<&str> = groups[1..]
        .iter()
        .flat_map(|g| groups[0][0].basis.differences(&g[0].basis))
        .collect();
    why.sort_unstable();
    why.dedup();
    let each: Vec<String> = groups
        .iter()
        .map(|g| {
            let first = &g[0].device.id;
            let more = if g.len() > 1 { ", ..." } else { "" };
            format!("{} x {} ({first}{more})", g.len(), g[0].basis.chip)
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
