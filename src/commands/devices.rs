//! `flopmeter devices`: every backend, its devices and their rated peaks.

use std::fmt::Write;

use serde::Serialize;

use crate::cli::DevicesArgs;
use crate::device::{BackendStatus, Inventory};
use crate::error::AppResult;
use crate::output::{bytes, print_json, tflops};
use crate::results::{Backend, DeviceRecord, Library};

pub fn run(args: &DevicesArgs, json: bool) -> AppResult<()> {
    let backends = if args.backend.is_empty() {
        Backend::ALL.to_vec()
    } else {
        args.backend.clone()
    };
    // The clock rates the CPU and the software wgpu adapters, which are rated from it.
    let time_clock = !args.no_clock_probe
        && (backends.contains(&Backend::Cpu) || backends.contains(&Backend::Wgpu));
    let inv = Inventory::discover_only(&backends, time_clock);
    let libraries = if backends.contains(&Backend::Cuda) {
        crate::device::cuda_libs::probe_all()
    } else {
        Vec::new()
    };
    if json {
        return print_json(&DevicesReport::new(&inv, &libraries));
    }
    // Names and driver strings come from drivers: printed through output's escaping.
    let mut out = String::new();
    for b in Backend::ALL.into_iter().filter(|b| backends.contains(b)) {
        match inv.status(b) {
            BackendStatus::Unavailable(why) => {
                let _ = writeln!(out, "{b}: unavailable ({why})");
            }
            BackendStatus::Available(devs) => {
                let _ = writeln!(
                    out,
                    "{b}: {} device{}",
                    devs.len(),
                    if devs.len() == 1 { "" } else { "s" }
                );
                for d in devs {
                    print_device(&mut out, d);
                }
                if b == Backend::Cuda {
                    print_libraries(&mut out, &libraries);
                }
            }
        }
        let _ = writeln!(out);
    }
    for n in &inv.notes {
        let _ = writeln!(out, "note: {n}");
    }
    crate::output::print_text(&out)
}

/// cuBLAS, cuBLASLt, NVRTC, NCCL: version and the file loaded, or why not.
fn print_libraries(out: &mut String, libraries: &[Library]) {
    let _ = writeln!(out, "  libraries:");
    for l in libraries {
        match (&l.version, &l.detail) {
            (Some(v), _) => {
                let _ = writeln!(
                    out,
                    "    {:<9} {v}  {}",
                    l.name,
                    l.path.as_deref().unwrap_or("(path unknown)")
                );
            }
            (None, Some(why)) => {
                let _ = writeln!(out, "    {:<9} unavailable: {why}", l.name);
            }
            (None, None) => {
                let _ = writeln!(out, "    {:<9} unavailable", l.name);
            }
        }
    }
}

/// One backend in `devices --json`: its devices, or why it has none.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum BackendReport<'a> {
    Available { devices: &'a [DeviceRecord] },
    Unavailable { reason: &'a str },
}

impl<'a> From<&'a BackendStatus> for BackendReport<'a> {
    fn from(s: &'a BackendStatus) -> Self {
        match s {
            BackendStatus::Available(devices) => BackendReport::Available { devices },
            BackendStatus::Unavailable(reason) => BackendReport::Unavailable { reason },
        }
    }
}

/// `devices --json`: `{"schema": ..., "cuda": {"status": "unavailable", "reason": ...},
/// "wgpu": {"status": "available", "devices": [...]}, "cpu": ..., "cuda_libraries": [...]}`.
#[derive(Debug, Serialize)]
pub struct DevicesReport<'a> {
    pub schema: &'static str,
    pub cuda: BackendReport<'a>,
    pub wgpu: BackendReport<'a>,
    pub cpu: BackendReport<'a>,
    /// Devices left out of an available backend, with the reason.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub notes: &'a [String],
    /// cuBLAS, cuBLASLt, NVRTC, NCCL: version and the file loaded, or why not.
    pub cuda_libraries: &'a [Library],
}

impl<'a> DevicesReport<'a> {
    pub fn new(inv: &'a Inventory, libraries: &'a [Library]) -> Self {
        DevicesReport {
            schema: "flopmeter.devices/v1",
            cuda: (&inv.cuda).into(),
            wgpu: (&inv.wgpu).into(),
            cpu: (&inv.cpu).into(),
            notes: &inv.notes,
            cuda_libraries: libraries,
        }
    }
}

fn rated_line(d: &DeviceRecord) -> String {
    if d.rated_tflops.is_empty() {
        return format!(
            "rated: unknown ({}; `bench --rated-tflops` sets one)",
            d.rated_source
        );
    }
    let peaks: Vec<String> = d
        .rated_tflops
        .iter()
        .map(|(dt, v)| format!("{dt} {}", tflops(*v)))
        .collect();
    format!(
        "rated TFLOP/s: {}\n          source: {}",
        peaks.join(", "),
        d.rated_source
    )
}

fn print_device(out: &mut String, d: &DeviceRecord) {
    let _ = writeln!(out, "  {:<8}{}", d.id, d.name);
    if let Some(c) = &d.cuda {
        let _ = writeln!(
            out,
            "          cc {}, {} SMs @ {:.0} MHz, {} memory ({}-bit @ {:.0} MHz), L2 {}, driver {}",
            c.compute_capability,
            c.sm_count,
            c.sm_clock_mhz,
            bytes(c.memory_bytes),
            c.memory_bus_bits,
            c.memory_clock_mhz,
            bytes(c.l2_bytes),
            c.driver_version
        );
    }
    if let Some(w) = &d.wgpu {
        let _ = writeln!(
            out,
            "          {} {} {:04x}:{:04x}, driver {} {}",
            w.api, w.device_type, w.vendor_id, w.device_id, w.driver, w.driver_info
        );
        let _ = writeln!(
            out,
            "          max buffer {}, storage binding {}, workgroup storage {}, invocations {}",
            bytes(w.max_buffer_size),
            bytes(w.max_storage_buffer_binding_size),
            bytes(u64::from(w.max_compute_workgroup_storage_size)),
            w.max_compute_invocations_per_workgroup
        );
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(
            out,
            "          timestamp queries {}, shader-f16 {}, f64 {}, subgroups {}",
            yes(w.timestamp_query),
            yes(w.shader_f16),
            yes(w.shader_f64),
            yes(w.subgroups)
        );
    }
    if let Some(c) = &d.cpu {
        print_cpu(out, c);
    }
    let _ = writeln!(out, "          {}", rated_line(d));
}

/// A CPU's cores, clocks, SIMD and units, how its peak was probed, and its BLAS libraries.
/// A CPU's cores, clocks, SIMD and matrix units, probe and BLAS libraries.
fn print_cpu(out: &mut String, c: &crate::results::CpuProperties) {
    let clock = match (c.measured_clock_mhz, &c.probe) {
        (Some(m), Some(p)) => format!(
            "vector clock {:.0} MHz, scalar {m:.0} MHz all-core ({} MHz reported)",
            p.vector_clock_mhz, c.reported_clock_mhz
        ),
        (Some(m), None) => format!(
            "{m:.0} MHz measured all-core ({} MHz reported)",
            c.reported_clock_mhz
        ),
        (None, _) => format!("{} MHz reported", c.reported_clock_mhz),
    };
    let _ = writeln!(
        out,
        "          {} physical / {} logical cores, {clock}",
        c.physical_cores, c.logical_cores
    );
    let _ = writeln!(
        out,
        "          SIMD: {} ({}-bit FMA x {} {}), memory {}{}",
        c.simd.join(" "),
        c.vector_bits,
        c.fma_units,
        if c.probe.is_some() {
            "per cycle, probed"
        } else {
            "assumed"
        },
        bytes(c.memory_bytes),
        c.llc_bytes
            .map(|b| format!(", last-level cache {}", bytes(b)))
            .unwrap_or_default()
    );
    if !c.units.is_empty() || !c.units_disabled.is_empty() {
        let off = if c.units_disabled.is_empty() {
            String::new()
        } else {
            format!("; not enabled by the OS: {}", c.units_disabled.join(" "))
        };
        let _ = writeln!(out, "          units (CPUID): {}{off}", c.units.join(" "));
    }
    if let Some(p) = &c.probe {
        let rates: Vec<String> = p
            .instructions
            .iter()
            .map(|i| format!("{} {:.2}/cycle", i.instruction, i.measured_per_cycle))
            .collect();
        let kept = p
            .cached_in
            .as_deref()
            .map(|f| format!(" (kept for this boot in {f})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "          probed {}: {}{kept}",
            p.probed_at,
            rates.join(", ")
        );
    }
    if !c.libraries.is_empty() {
        let _ = writeln!(out, "          libraries:");
    }
    for l in &c.libraries {
        match (&l.version, &l.detail) {
            (Some(v), _) => {
                let _ = writeln!(
                    out,
                    "            {:<9}{v}{}  {}  ({})",
                    l.name,
                    l.code_path
                        .as_deref()
                        .map(|p| format!(", {p}"))
                        .unwrap_or_default(),
                    l.path.as_deref().unwrap_or("(path unknown)"),
                    l.dtypes
                        .iter()
                        .map(|d| d.name())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            (None, why) => {
                let _ = writeln!(
                    out,
                    "            {:<9}unavailable: {}",
                    l.name,
                    why.as_deref().unwrap_or("unknown reason")
                );
            }
        }
    }
}
