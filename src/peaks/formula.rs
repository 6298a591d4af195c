//! Peaks computed from the hardware when the table has no row: SMs x clock x FLOP/clk/SM for
//! NVIDIA GPUs, cores x SIMD lanes x FMA units x 2 x clock for CPUs (and cores x FLOP/cycle x
//! clock for their low-precision units). Always labelled estimated.

use std::collections::BTreeMap;

use crate::dtype::Dtype;

use super::table::arch_rates;

/// What a CUDA device reports about itself, enough to estimate its peak.
#[derive(Debug, Clone)]
pub struct CudaChip<'a> {
    pub name: &'a str,
    pub cc_major: i32,
    pub cc_minor: i32,
    pub sm_count: u32,
    pub boost_clock_mhz: f64,
}

/// A formula estimate: per-dtype TFLOP/s and a sentence saying how it was computed.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub tflops: BTreeMap<Dtype, f64>,
    pub how: String,
}

/// GeForce cards and the L40 run TF32 and f16/bf16-with-f32-accumulate at half rate; Ada
/// GeForce also halves fp8 with f32 accumulate.
fn half_rate_accumulate(name: &str, cc: (i32, i32)) -> Vec<Dtype> {
    let lower = name.to_lowercase();
    let tokens = super::matching::normalize(name);
    let is_l40 = tokens == ["l40"];
    if !(lower.contains("geforce") || is_l40) {
        return Vec::new();
    }
    let mut halved = vec![Dtype::Tf32, Dtype::Bf16, Dtype::F16];
    if cc == (8, 9) {
        halved.push(Dtype::Fp8);
    }
    halved
}

/// SMs x clock x FLOP/clk/SM for the device's architecture.
pub fn cuda_estimate(chip: &CudaChip) -> Option<Estimate> {
    let rates = arch_rates(chip.cc_major, chip.cc_minor)?;
    let halved = half_rate_accumulate(chip.name, (chip.cc_major, chip.cc_minor));
    let sms = f64::from(chip.sm_count);
    let clock_ghz = chip.boost_clock_mhz / 1000.0;
    let tensor_ghz = clock_ghz * rates.tensor_clock_scale;
    let mut tflops = BTreeMap::new();
    let mut put = |d: Dtype, rate: Option<f64>, ghz: f64| {
        if let Some(r) = rate {
            let factor = if halved.contains(&d) { 0.5 } else { 1.0 };
            tflops.insert(d, sms * ghz * r * factor / 1000.0);
        }
    };
    // Hopper's FP64 tensor rate is rated at the full boost clock, like the vector units.
    let f64_rate = match (rates.f64_tensor, rates.f64) {
        (Some(t), Some(v)) => Some(t.max(v)),
        (t, v) => t.or(v),
    };
    put(Dtype::F64, f64_rate, clock_ghz);
    put(Dtype::F32, rates.f32, clock_ghz);
    put(Dtype::Tf32, rates.tf32, tensor_ghz);
    put(Dtype::Bf16, rates.bf16, tensor_ghz);
    put(Dtype::F16, rates.f16, tensor_ghz);
    put(Dtype::Fp8, rates.fp8, tensor_ghz);
    put(Dtype::Int8, rates.int8, tensor_ghz);
    let mut how = format!(
        "estimated: {} SMs x {:.0} MHz x FLOP/clk/SM of {} (cc {}.{})",
        chip.sm_count, chip.boost_clock_mhz, rates.arch, chip.cc_major, chip.cc_minor
    );
    if rates.tensor_clock_scale != 1.0 {
        how.push_str(&format!(
            ", tensor math at {:.0} MHz",
            chip.boost_clock_mhz * rates.tensor_clock_scale
        ));
    }
    if !halved.is_empty() {
        how.push_str(", half-rate f32 accumulate (GeForce/L40)");
    }
    how.push_str(&format!("; rates: {}", rates.source));
    Some(Estimate { tflops, how })
}

/// Where the CPU clock used in the formula came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSource {
    /// The vector units' clock, from an FMA loop on every core at once.
    Vector,
    /// Timed with a dependent-add chain on every core at once.
    Measured,
    /// As the OS reports it (may be below the real clock in a VM).
    Reported,
}

/// What the CPU formula needs.
#[derive(Debug, Clone)]
pub struct CpuCore {
    pub physical_cores: u32,
    /// Width of one vector FMA in bits as the core executes it (a 512-bit instruction split into
    /// two 256-bit halves counts as 256).
    pub vector_bits: u32,
    pub fma_units: u32,
    pub clock_ghz: f64,
    pub clock_source: ClockSource,
    /// Low-precision units (bf16, f16, int8) and their FLOP per cycle per core.
    pub low_precision: Vec<super::cpu::UnitRate>,
}

/// cores x lanes x FMA units x 2 x clock, for f64 and f32; cores x FLOP/cycle x clock for the
/// low-precision units.
pub fn cpu_estimate(cpu: &CpuCore) -> Estimate {
    let per_lane =
        f64::from(cpu.physical_cores) * f64::from(cpu.fma_units) * 2.0 * cpu.clock_ghz / 1000.0;
    let lanes = |bits: u32| f64::from(cpu.vector_bits / bits);
    let mut tflops = BTreeMap::from([
        (Dtype::F64, per_lane * lanes(64)),
        (Dtype::F32, per_lane * lanes(32)),
    ]);
    let mut how = format!(
        "estimated: {} cores x {}-bit SIMD x {} FMA units x 2 x {:.2} GHz ({} clock)",
        cpu.physical_cores,
        cpu.vector_bits,
        cpu.fma_units,
        cpu.clock_ghz,
        match cpu.clock_source {
            ClockSource::Vector => "measured vector",
            ClockSource::Measured => "measured all-core",
            ClockSource::Reported => "OS-reported",
        }
    );
    for r in &cpu.low_precision {
        let peak = f64::from(cpu.physical_cores) * r.flop_per_cycle * cpu.clock_ghz / 1000.0;
        tflops.insert(r.dtype, peak);
        how.push_str(&format!(
            "; {}: {} FLOP/cycle/core from {}",
            r.dtype, r.flop_per_cycle, r.from
        ));
    }
    Estimate { tflops, how }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peaks::matching::lookup;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn formula_reproduces_h100_sxm_and_a100_rows() {
        let h100 = cuda_estimate(&CudaChip {
            name: "NVIDIA H100 80GB HBM3",
            cc_major: 9,
            cc_minor: 0,
            sm_count: 132,
            boost_clock_mhz: 1980.0,
        })
        .unwrap();
        assert!(
            close(h100.tflops[&Dtype::Bf16], 989.4, 0.001),
            "{:?}",
            h100.tflops
        );
        assert!(close(h100.tflops[&Dtype::F32], 66.9, 0.001));
        assert!(close(h100.tflops[&Dtype::F64], 66.9, 0.001));
        let a100 = cuda_estimate(&CudaChip {
            name: "NVIDIA A100-SXM4-80GB",
            cc_major: 8,
            cc_minor: 0,
            sm_count: 108,
            boost_clock_mhz: 1410.0,
        })
        .unwrap();
        assert!(
            close(a100.tflops[&Dtype::Bf16], 312.0, 0.001),
            "{:?}",
            a100.tflops
        );
        assert!(close(a100.tflops[&Dtype::Tf32], 156.0, 0.001));
        assert!(close(a100.tflops[&Dtype::F64], 19.5, 0.001));
    }

    #[test]
    fn formula_agrees_with_table_rows_it_should_reproduce() {
        // (name, cc, SMs, clock): the bf16 (or f32) formula must land within 1% of the table.
        let rows = [
            ("NVIDIA L40S", (8, 9), 142, 2520.0, Dtype::F32),
            ("NVIDIA GeForce RTX 4090", (8, 9), 128, 2520.0, Dtype::Bf16),
            ("NVIDIA L40", (8, 9), 142, 2490.0, Dtype::Bf16),
            ("NVIDIA A10", (8, 6), 72, 1695.0, Dtype::Bf16),
            ("NVIDIA GeForce RTX 3090", (8, 6), 82, 1695.0, Dtype::Bf16),
            ("NVIDIA B200", (10, 0), 148, 1965.0, Dtype::Bf16),
            ("Tesla V100-SXM2-16GB", (7, 0), 80, 1530.0, Dtype::F16),
        ];
        for (name, (ma, mi), sms, mhz, d) in rows {
            let est = cuda_estimate(&CudaChip {
                name,
                cc_major: ma,
                cc_minor: mi,
                sm_count: sms,
                boost_clock_mhz: mhz,
            })
            .unwrap();
            let table = lookup(name).unwrap().row.board_peak(d).unwrap();
            assert!(
                close(est.tflops[&d], table, 0.01),
                "{name} {d}: formula {} vs table {table}",
                est.tflops[&d]
            );
        }
    }

    #[test]
    fn unknown_architectures_give_no_estimate() {
        assert!(cuda_estimate(&CudaChip {
            name: "x",
            cc_major: 1,
            cc_minor: 0,
            sm_count: 1,
            boost_clock_mhz: 1.0
        })
        .is_none());
    }

    #[test]
    fn cpu_formula_counts_lanes_fma_units_and_cores() {
        let est = cpu_estimate(&CpuCore {
            physical_cores: 2,
            vector_bits: 512,
            fma_units: 2,
            clock_ghz: 3.0,
            clock_source: ClockSource::Measured,
            low_precision: Vec::new(),
        });
        // 2 cores x 16 f32 lanes x 2 FMA x 2 FLOP x 3 GHz = 384 GFLOP/s.
        assert!(close(est.tflops[&Dtype::F32], 0.384, 1e-9));
        assert!(close(est.tflops[&Dtype::F64], 0.192, 1e-9));
        assert!(est.how.contains("measured"));
        assert_eq!(est.tflops.len(), 2);
    }

    #[test]
    fn cpu_formula_adds_the_low_precision_units_at_the_same_clock() {
        let est = cpu_estimate(&CpuCore {
            physical_cores: 2,
            vector_bits: 512,
            fma_units: 2,
            clock_ghz: 3.75,
            clock_source: ClockSource::Vector,
            low_precision: vec![super::super::cpu::UnitRate {
                dtype: Dtype::Bf16,
                flop_per_cycle: 1024.0,
                from: "AMX-BF16".into(),
            }],
        });
        // The Xeon: 2 cores x 1024 FLOP x 3.75 GHz = 7.68 TFLOP/s bf16.
        assert!(close(est.tflops[&Dtype::Bf16], 7.68, 1e-9));
        assert!(close(est.tflops[&Dtype::F32], 0.48, 1e-9));
        assert!(est.how.contains("measured vector") && est.how.contains("AMX-BF16"));
    }
}
