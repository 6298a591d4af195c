//! The host CPU: model, cores, SIMD, matrix units, clock (reported and measured), memory, the
//! BLAS libraries it has, and its peak.

use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

use crate::dtype::Dtype;
use crate::peaks::cpu::low_precision_rates;
use crate::peaks::formula::{cpu_estimate, ClockSource, CpuCore};
use crate::peaks::RatedPeaks;
use crate::results::{Backend, CpuProbe, CpuProperties, DeviceRecord};

use super::cpu_clock::measure_all_core_mhz;

/// SIMD extensions present at run time, widest first where it matters.
fn simd_features() -> Vec<String> {
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($f:tt),*) => {$(
                if std::arch::is_x86_feature_detected!($f) { found.push($f.to_string()); }
            )*};
        }
        probe!(
            "sse4.2",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512bf16",
            "avx512fp16",
            "avx512vnni",
            "avxvnni"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! probe {
            ($($f:tt),*) => {$(
                if std::arch::is_aarch64_feature_detected!($f) { found.push($f.to_string()); }
            )*};
        }
        probe!("neon", "fp16", "bf16", "i8mm", "sve", "sve2");
    }
    found
}

/// x86 family number from CPUID leaf 1, to tell how wide the FMA datapath really is.
#[cfg(target_arch = "x86_64")]
fn x86_family() -> u32 {
    let r = std::arch::x86_64::__cpuid(1);
    let base = (r.eax >> 8) & 0xf;
    let ext = (r.eax >> 20) & 0xff;
    if base == 0xf {
        base + ext
    } else {
        base
    }
}

/// Width of one vector FMA as executed, and the FMA pipes per core assumed.
fn vector_width(simd: &[String], vendor: &str) -> (u32, u32) {
    let has = |f: &str| simd.iter().any(|s| s == f);
    if has("avx512f") {
        #[cfg(target_arch = "x86_64")]
        {
            // Zen 4 (family 0x19) runs AVX-512 as two 256-bit halves.
            if vendor.contains("AMD") && x86_family() == 0x19 {
                return (256, 2);
            }
        }
        let _ = vendor;
        return (512, 2);
    }
    if has("avx2") && has("fma") {
        return (256, 2);
    }
    if has("neon") {
        // Most Arm server and Apple cores have 4 128-bit FMA pipes; Neoverse N1 has 2.
        return (128, 4);
    }
    (128, 1)
}

/// Last-level cache size in bytes, from sysfs where it exists.
pub fn llc_bytes() -> Option<u64> {
    let dir = std::path::Path::new("/sys/devices/system/cpu/cpu0/cache");
    let mut best: Option<(u32, u64)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let read = |f: &str| std::fs::read_to_string(entry.path().join(f)).ok();
        let (Some(level), Some(size)) = (read("level"), read("size")) else {
            continue;
        };
        let level: u32 = level.trim().parse().ok()?;
        let size = size.trim();
        let bytes = if let Some(k) = size.strip_suffix('K') {
            k.parse::<u64>().ok()? * 1024
        } else if let Some(m) = size.strip_suffix('M') {
            m.parse::<u64>().ok()? * 1024 * 1024
        } else {
            size.parse().ok()?
        };
        if best.is_none_or(|(l, _)| level > l) {
            best = Some((level, bytes));
        }
    }
    best.map(|(_, b)| b)
}

/// What the FMA width, count and clock of the peak come from.
struct VectorRates {
    vector_bits: u32,
    fma_units: u32,
    clock_mhz: f64,
    clock_source: ClockSource,
    /// The scalar add-chain clock, where timed.
    measured_mhz: Option<f64>,
}

/// From the probe: the widest FMA timed and its issue rate per cycle at the vector clock.
fn rates_from_probe(p: &CpuProbe) -> Option<VectorRates> {
    let fma = p.instructions.iter().find(|i| i.dtype == Dtype::F32)?;
    let width = if fma.instruction.ends_with("zmm") {
        512
    } else {
        256
    };
    // A half-rate unit (0.5 per cycle) counts as one of half the width.
    let (vector_bits, fma_units) = if fma.per_cycle >= 1.0 {
        (width, fma.per_cycle as u32)
    } else {
        ((f64::from(width) * fma.per_cycle) as u32, 1)
    };
    Some(VectorRates {
        vector_bits,
        fma_units,
        clock_mhz: p.vector_clock_mhz,
        clock_source: ClockSource::Vector,
        measured_mhz: Some(p.scalar_clock_mhz),
    })
}

/// Without a probe: the width and units this ISA usually has, at the scalar or reported clock.
fn rates_assumed(
    simd: &[String],
    vendor: &str,
    physical: u32,
    reported_mhz: u64,
    measure: bool,
) -> VectorRates {
    let (vector_bits, fma_units) = vector_width(simd, vendor);
    let measured = if measure {
        measure_all_core_mhz(physical as usize)
    } else {
        None
    };
    let (clock_mhz, clock_source) = match measured {
        Some(m) => (m, ClockSource::Measured),
        None => (reported_mhz as f64, ClockSource::Reported),
    };
    VectorRates {
        vector_bits,
        fma_units,
        clock_mhz,
        clock_source,
        measured_mhz: measured,
    }
}

/// Discovers the host CPU as device cpu:0. `measure_clock` probes the vector clock and
/// instruction rates (about a second, kept per boot) or, where that cannot run, times the
/// scalar clock (~0.1 s).
pub fn discover(measure_clock: bool) -> DeviceRecord {
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing().with_frequency())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok();
    let cpus = sys.as_ref().map(|s| s.cpus()).unwrap_or(&[]);
    let logical = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let physical = System::physical_core_count()
        .ok()
        .map(|n| n as u32)
        .unwrap_or(logical);
    let model = cpus
        .first()
        .map(|c| c.brand().trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let vendor = cpus
        .first()
        .map(|c| c.vendor_id().to_string())
        .unwrap_or_default();
    let reported_mhz = cpus.iter().map(|c| c.frequency()).max().unwrap_or(0);
    let memory = sys.as_ref().map(|s| s.total_memory()).unwrap_or(0);
    let simd = simd_features();
    let units = super::cpu_units::detect();
    let unit_names: Vec<String> = units.usable.iter().map(|u| u.name().to_string()).collect();
    let probe = if measure_clock {
        super::cpu_probe::probe(&model, physical)
    } else {
        None
    };
    let v = probe
        .as_ref()
        .and_then(rates_from_probe)
        .unwrap_or_else(|| rates_assumed(&simd, &vendor, physical, reported_mhz, measure_clock));
    let instructions = probe
        .as_ref()
        .map(|p| p.instructions.as_slice())
        .unwrap_or(&[]);
    let rated = if v.clock_mhz > 0.0 {
        RatedPeaks::estimated(cpu_estimate(&CpuCore {
            physical_cores: physical,
            vector_bits: v.vector_bits,
            fma_units: v.fma_units,
            clock_ghz: v.clock_mhz / 1000.0,
            clock_source: v.clock_source,
            low_precision: low_precision_rates(instructions, &unit_names),
        }))
    } else {
        RatedPeaks::unknown("CPU clock unknown: the rated peak cannot be estimated")
    };
    DeviceRecord {
        id: "cpu:0".into(),
        backend: Backend::Cpu,
        index: 0,
        name: model.clone(),
        rated_tflops: rated.tflops.clone(),
        rated_source: rated.source.clone(),
        rated_kind: rated.kind,
        rated_matched: None,
        cpu: Some(CpuProperties {
            model,
            vendor,
            physical_cores: physical,
            logical_cores: logical,
            reported_clock_mhz: reported_mhz,
            measured_clock_mhz: v.measured_mhz,
            simd,
            vector_bits: v.vector_bits,
            fma_units: v.fma_units,
            memory_bytes: memory,
            llc_bytes: llc_bytes(),
            units: unit_names,
            units_disabled: units
                .disabled_by_os
                .iter()
                .map(|u| u.name().to_string())
                .collect(),
            probe,
            libraries: Vec::new(),
        }),
        cuda: None,
        wgpu: None,
        rank: None,
        host: None,
    }
}

/// The unit a low-precision dtype needs on a CPU; elsewhere a library converts to f32, and the
/// number would measure the conversion.
fn unit_for(dtype: Dtype) -> &'static [&'static str] {
    match dtype {
        Dtype::Bf16 => &["AVX512-BF16", "AMX-BF16"],
        Dtype::F16 => &["AVX512-FP16", "AMX-FP16"],
        Dtype::Int8 => &["AVX512-VNNI", "AVX-VNNI", "AMX-INT8"],
        _ => &[],
    }
}

/// The host CPU with the BLAS libraries found at run time, each with the dtypes it computes
/// on this CPU's units.
pub fn with_libraries(mut d: DeviceRecord) -> DeviceRecord {
    if let Some(c) = d.cpu.as_mut() {
        let mut libs = super::cpu_libs::records();
        for l in &mut libs {
            l.dtypes.retain(|dt| {
                let need = unit_for(*dt);
                need.is_empty() || need.iter().any(|u| c.units.iter().any(|have| have == u))
            });
        }
        c.libraries = libs;
    }
    d
}
