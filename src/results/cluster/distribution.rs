//! Per job (chip, kernel, dtype, shape): how the verified median rates of the devices that ran it
//! spread: count, min, p1, p5, median, p95, max and a histogram. One rule for the merge that
//! writes it and the loader that recomputes it (a reader never depends on the file's word).

use std::collections::HashMap;

use crate::dtype::Dtype;
use crate::measure::stats::quantile;

use super::{ClusterFile, Histogram, JobDistribution, RankRecord};

/// Bins of each job's histogram.
pub const DISTRIBUTION_BINS: usize = 20;

type Key = (String, String, Dtype, usize, usize, usize, usize);

/// The rates of one job, verified and not.
#[derive(Default)]
struct Rates {
    verified: Vec<f64>,
    unverified: usize,
}

fn histogram(sorted: &[f64]) -> Histogram {
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    if hi <= lo {
        return Histogram {
            lo_tflops: lo,
            bin_tflops: 0.0,
            counts: vec![sorted.len()],
        };
    }
    let bin = (hi - lo) / DISTRIBUTION_BINS as f64;
    let mut counts = vec![0; DISTRIBUTION_BINS];
    for v in sorted {
        let i = (((v - lo) / bin) as usize).min(DISTRIBUTION_BINS - 1);
        counts[i] += 1;
    }
    Histogram {
        lo_tflops: lo,
        bin_tflops: bin,
        counts,
    }
}

fn distribution(key: Key, mut rates: Rates) -> Option<JobDistribution> {
    let v = &mut rates.verified;
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let (device_name, kernel, dtype, m, n, k, batch) = key;
    Some(JobDistribution {
        device_name,
        kernel,
        dtype,
        m,
        n,
        k,
        batch,
        count: v.len(),
        unverified: rates.unverified,
        min_tflops: v[0],
        p1_tflops: quantile(v, 0.01),
        p5_tflops: quantile(v, 0.05),
        median_tflops: quantile(v, 0.5),
        p95_tflops: quantile(v, 0.95),
        max_tflops: v[v.len() - 1],
        histogram: histogram(v),
    })
}

/// Jobs' rates gathered one rank at a time (the merge keeps one number per (rank, job)).
#[derive(Default)]
pub struct Distributions {
    order: Vec<Key>,
    by: HashMap<Key, Rates>,
}

impl Distributions {
    /// Adds the jobs of one rank.
    pub fn add(&mut self, r: &RankRecord) {
        for j in &r.jobs {
            let name = r
                .devices
                .iter()
                .find(|d| d.id == j.device)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            let key = (name, j.kernel.clone(), j.dtype, j.m, j.n, j.k, j.batch);
            let rates = match self.by.get_mut(&key) {
                Some(r) => r,
                None => {
                    self.order.push(key.clone());
                    self.by.entry(key).or_default()
                }
            };
            if j.is_verified() {
                rates.verified.push(j.median_tflops);
            } else {
                rates.unverified += 1;
            }
        }
    }

    /// Every job's distribution, in the order jobs first appeared; jobs no device verified are
    /// left out (their ranks are dead for that dtype).
    pub fn finish(mut self) -> Vec<JobDistribution> {
        self.order
            .into_iter()
            .filter_map(|k| {
                let rates = self.by.remove(&k)?;
                distribution(k, rates)
            })
            .collect()
    }
}

/// Every job's distribution in a cluster file.
pub fn distributions(file: &ClusterFile) -> Vec<JobDistribution> {
    let mut d = Distributions::default();
    for r in &file.ranks {
        d.add(r);
    }
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_bins_of_a_hundred_devices() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = distribution(
            ("H100".into(), "cublas".into(), Dtype::Bf16, 8, 8, 8, 1),
            Rates {
                verified: std::mem::take(&mut v),
                unverified: 2,
            },
        )
        .unwrap();
        assert_eq!((d.count, d.unverified), (100, 2));
        assert_eq!(
            (d.min_tflops, d.max_tflops, d.median_tflops),
            (1.0, 100.0, 50.5)
        );
        assert!((d.p1_tflops - 1.99).abs() < 1e-9 && (d.p5_tflops - 5.95).abs() < 1e-9);
        assert!((d.p95_tflops - 95.05).abs() < 1e-9);
        assert_eq!(d.histogram.counts.len(), DISTRIBUTION_BINS);
        assert_eq!(d.histogram.counts.iter().sum::<usize>(), 100);
        // 1..=100 in 20 bins of 4.95: the last bin holds 96..=100.
        assert_eq!(d.histogram.counts[19], 5);
        let one = histogram(&[3.0, 3.0]);
        assert_eq!((one.counts, one.bin_tflops), (vec![2], 0.0));
    }
}
