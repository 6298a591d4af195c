//! The CPU's vector clock and instruction rates, probed once per boot: the scalar clock from a
//! dependent add chain, then every vector instruction at its throughput on all cores. The FMA
//! issue rate (a power of two per cycle) fixes the vector clock; the probe is kept in a per-boot
//! file, so the rated peak does not wander between runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::results::{CpuProbe, InstructionRate};

use super::cpu_clock::measure_all_core_mhz;
use super::cpu_vector::{all_core_op_rate, VecOp};

/// Tries per instruction; the best is kept (interference only ever slows a try).
const TRIES: usize = 5;

/// The power of two (1/4 to 8) nearest `x` on a log scale.
fn nearest_power_of_two(x: f64) -> f64 {
    let e = x.max(1e-9).log2().round().clamp(-2.0, 3.0);
    2f64.powf(e)
}

/// The FMA issue rate per cycle from its rate against the scalar clock: the smallest power of
/// two at or above it (5% allowed for noise). A vector unit never runs faster than the scalar
/// clock, so a rate below a power of two is a slower vector clock, not fewer units.
pub fn fma_per_cycle(measured: f64) -> f64 {
    let mut p = 0.25;
    while p * 1.05 < measured && p < 8.0 {
        p *= 2.0;
    }
    p
}

/// What the timed loops gave: the scalar clock and each available instruction's rate per core.
#[derive(Debug, Clone, PartialEq)]
pub struct Timings {
    pub scalar_hz: f64,
    pub rates: Vec<(VecOp, f64)>,
    pub cores: u32,
}

/// Times the scalar clock and every vector instruction this CPU has.
pub fn time_all(cores: u32) -> Option<Timings> {
    let scalar_hz = measure_all_core_mhz(cores as usize)? * 1e6;
    let rates: Vec<(VecOp, f64)> = VecOp::ALL
        .into_iter()
        .filter_map(|op| all_core_op_rate(op, cores as usize, TRIES).map(|r| (op, r)))
        .collect();
    Some(Timings {
        scalar_hz,
        rates,
        cores,
    })
}

/// The vector clock and per-instruction rates from the timings. The widest FMA sets the clock;
/// None where no FMA could be timed (no AVX2/FMA, or not x86-64).
pub fn derive(t: &Timings, probed_at: String) -> Option<CpuProbe> {
    let (reference, ref_rate) = t
        .rates
        .iter()
        .copied()
        .find(|(op, _)| matches!(op, VecOp::Fma512 | VecOp::Fma256))?;
    let ref_measured = ref_rate / t.scalar_hz;
    let ref_per_cycle = fma_per_cycle(ref_measured);
    let vector_hz = ref_rate / ref_per_cycle;
    let instructions = t
        .rates
        .iter()
        .map(|&(op, rate)| {
            let (measured, per_cycle) = if op == reference {
                (ref_measured, ref_per_cycle)
            } else {
                let m = rate / vector_hz;
                (m, nearest_power_of_two(m))
            };
            InstructionRate {
                instruction: op.instruction().into(),
                dtype: op.dtype(),
                flop_per_instruction: op.flop_per_instruction(),
                measured_per_cycle: measured,
                per_cycle,
                ceiling_tflops: rate * op.flop_per_instruction() * f64::from(t.cores) / 1e12,
            }
        })
        .collect();
    let method = format!(
        "vector clock = all-core {} rate / {} per cycle (timed at {:.2} per cycle of the \
         {:.0} MHz scalar add-chain clock); each instruction on 24 independent accumulators, \
         {} cores at once, best of {TRIES} tries of ~30 ms thread CPU time; other rates per \
         vector-clock cycle, rounded to a power of two",
        reference.instruction(),
        ref_per_cycle,
        ref_measured,
        t.scalar_hz / 1e6,
        t.cores,
    );
    Some(CpuProbe {
        vector_clock_mhz: vector_hz / 1e6,
        scalar_clock_mhz: t.scalar_hz / 1e6,
        instructions,
        method,
        probed_at,
        cached_in: None,
    })
}

/// One per-boot cache entry: valid for the same boot, CPU, core count and flopmeter version.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached {
    boot_id: String,
    model: String,
    cores: u32,
    version: String,
    probe: CpuProbe,
}

/// Where the per-boot probe is kept: $FLOPMETER_CACHE_DIR, else $XDG_CACHE_HOME/flopmeter, else
/// ~/.cache/flopmeter.
pub fn cache_file() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("FLOPMETER_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("flopmeter")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("flopmeter")))?;
    Some(dir.join("cpu-probe.json"))
}

/// This boot's id (Linux); None elsewhere, where nothing is cached.
fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn read_cache(path: &Path, boot: &str, model: &str, cores: u32) -> Option<CpuProbe> {
    let c: Cached = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let same = c.boot_id == boot
        && c.model == model
        && c.cores == cores
        && c.version == env!("CARGO_PKG_VERSION");
    same.then(|| CpuProbe {
        cached_in: Some(path.display().to_string()),
        ..c.probe
    })
}

/// Best effort: a cache that cannot be written only costs a probe next time.
fn write_cache(path: &Path, entry: &Cached) {
    let Ok(text) = serde_json::to_string_pretty(entry) else {
        return;
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The probe for this CPU: from this boot's cache, else timed now (about a second) and kept.
/// `FLOPMETER_CPU_PROBE=fresh` times it again and replaces the kept one.
pub fn probe(model: &str, cores: u32) -> Option<CpuProbe> {
    let fresh = std::env::var("FLOPMETER_CPU_PROBE").is_ok_and(|v| v == "fresh");
    let boot = boot_id();
    let file = cache_file();
    if let (false, Some(b), Some(f)) = (fresh, &boot, &file) {
        if let Some(p) = read_cache(f, b, model, cores) {
            return Some(p);
        }
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let probe = derive(&time_all(cores)?, now)?;
    if let (Some(b), Some(f)) = (boot, file) {
        let entry = Cached {
            boot_id: b,
            model: model.into(),
            cores,
            version: env!("CARGO_PKG_VERSION").into(),
            probe: probe.clone(),
        };
        write_cache(&f, &entry);
    }
    Some(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timings(scalar_ghz: f64, rates: &[(VecOp, f64)]) -> Timings {
        Timings {
            scalar_hz: scalar_ghz * 1e9,
            rates: rates.to_vec(),
            cores: 2,
        }
    }

    #[test]
    fn an_avx512_downclock_lowers_the_vector_clock_not_the_unit_count() {
        // The Xeon: scalar chain 4.04 GHz, zmm FMAs at 2 per cycle of 3.75 GHz.
        let t = timings(4.04, &[(VecOp::Fma512, 7.5e9), (VecOp::Bf16Dot512, 3.7e9)]);
        let p = derive(&t, "now".into()).unwrap();
        assert_eq!(p.instructions[0].per_cycle, 2.0);
        assert!((p.vector_clock_mhz - 3750.0).abs() < 1e-6, "{p:?}");
        // VDPBF16PS at ~1 per vector-clock cycle.
        assert_eq!(p.instructions[1].per_cycle, 1.0);
        // Ceiling: 7.5e9 x 32 FLOP x 2 cores.
        assert!((p.instructions[0].ceiling_tflops - 0.48).abs() < 1e-9);
        assert!(p.method.contains("vfmadd231ps zmm rate / 2 per cycle"));
    }

    #[test]
    fn double_pumped_avx512_reads_as_one_zmm_fma_per_cycle() {
        // Zen 4: one 512-bit FMA per cycle (two 256-bit halves), two 256-bit FMAs per cycle.
        let t = timings(3.7, &[(VecOp::Fma512, 3.68e9), (VecOp::Fma256, 7.35e9)]);
        let p = derive(&t, "now".into()).unwrap();
        assert_eq!(p.instructions[0].per_cycle, 1.0);
        assert_eq!(p.instructions[1].per_cycle, 2.0);
        assert!((p.vector_clock_mhz - 3680.0).abs() < 1e-6);
    }

    #[test]
    fn fma_rate_rounds_up_to_a_power_of_two_within_noise() {
        assert_eq!(fma_per_cycle(1.98), 2.0);
        assert_eq!(fma_per_cycle(2.08), 2.0);
        assert_eq!(fma_per_cycle(1.5), 2.0);
        assert_eq!(fma_per_cycle(1.02), 1.0);
        assert_eq!(fma_per_cycle(2.5), 4.0);
    }

    #[test]
    fn no_fma_no_probe() {
        let t = timings(3.0, &[(VecOp::Int8Dot512, 3e9)]);
        assert!(derive(&t, "now".into()).is_none());
    }

    #[test]
    fn the_cache_is_kept_per_boot_cpu_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cpu-probe.json");
        let t = timings(4.0, &[(VecOp::Fma512, 8e9)]);
        let probe = derive(&t, "then".into()).unwrap();
        let entry = Cached {
            boot_id: "boot-a".into(),
            model: "CPU X".into(),
            cores: 2,
            version: env!("CARGO_PKG_VERSION").into(),
            probe: probe.clone(),
        };
        write_cache(&path, &entry);
        let back = read_cache(&path, "boot-a", "CPU X", 2).expect("same boot reads back");
        assert_eq!(back.vector_clock_mhz, probe.vector_clock_mhz);
        assert_eq!(back.cached_in.as_deref(), Some(path.to_str().unwrap()));
        assert!(read_cache(&path, "boot-b", "CPU X", 2).is_none());
        assert!(read_cache(&path, "boot-a", "CPU Y", 2).is_none());
        assert!(read_cache(&path, "boot-a", "CPU X", 4).is_none());
    }
}
