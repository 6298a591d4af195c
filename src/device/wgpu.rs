//! GPU adapters through wgpu on every native API (Vulkan, Metal, DX12).

use crate::peaks::{lookup, lookup_pci, RatedPeaks};
use crate::results::{Backend, DeviceRecord, WgpuProperties};

use super::BackendStatus;

/// The native APIs flopmeter measures through (GL has no timestamp queries in compute).
pub fn backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}

/// Mesa's Vulkan drivers load libwayland, which prints "error: XDG_RUNTIME_DIR is invalid or not
/// set" on headless machines where that variable is unset. Pointing it at the temporary folder
/// lets the Wayland probe fail quietly. Call once at start-up, before any thread exists.
pub fn quiet_wayland_probe() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
}

pub fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends();
    wgpu::Instance::new(desc)
}

/// All adapters, in a stable order (wgpu's enumeration order).
pub fn adapters() -> Vec<wgpu::Adapter> {
    let inst = instance();
    pollster::block_on(inst.enumerate_adapters(backends()))
}

fn device_type(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete_gpu",
        wgpu::DeviceType::IntegratedGpu => "integrated_gpu",
        wgpu::DeviceType::VirtualGpu => "virtual_gpu",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// PCI id first (exact), then the name; a software adapter (lavapipe, WARP) runs on the host
/// CPU, so it is rated against the CPU's peak.
pub fn rated_for(info: &wgpu::AdapterInfo, host_cpu: &DeviceRecord) -> RatedPeaks {
    if let Some(m) = lookup_pci(info.vendor, info.device) {
        return RatedPeaks::from_table(&m, None);
    }
    if let Ok(m) = lookup(&info.name) {
        return RatedPeaks::from_table(&m, None);
    }
    if info.device_type == wgpu::DeviceType::Cpu {
        let mut cpu = host_cpu.rated();
        // A shader uses the CPU's f32/f64 FMA units only (not its bf16 or int8 dot products), and
        // has no f16 FMA units it can use: f16 math runs at the f32 rate.
        cpu.tflops
            .retain(|d, _| matches!(d, crate::dtype::Dtype::F32 | crate::dtype::Dtype::F64));
        if let Some(f32_peak) = cpu.get(crate::dtype::Dtype::F32) {
            cpu.tflops.insert(crate::dtype::Dtype::F16, f32_peak);
        }
        cpu.source = format!(
            "software adapter running on the host CPU (f16 at the f32 rate): {}",
            cpu.source
        );
        return cpu;
    }
    RatedPeaks::unknown(format!(
        "'{}' ({:04x}:{:04x}) is not in the table: its rated peak is unknown",
        info.name, info.vendor, info.device
    ))
}

pub fn properties(adapter: &wgpu::Adapter) -> WgpuProperties {
    let info = adapter.get_info();
    let limits = adapter.limits();
    let features = adapter.features();
    WgpuProperties {
        api: info.backend.to_str().to_string(),
        vendor_id: info.vendor,
        device_id: info.device,
        device_type: device_type(info.device_type).into(),
        driver: info.driver.clone(),
        driver_info: info.driver_info.clone(),
        max_buffer_size: limits.max_buffer_size,
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
        max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        timestamp_query: features.contains(wgpu::Features::TIMESTAMP_QUERY),
        shader_f16: features.contains(wgpu::Features::SHADER_F16),
        shader_f64: features.contains(wgpu::Features::SHADER_F64),
        subgroups: features.contains(wgpu::Features::SUBGROUP),
    }
}

pub fn record(index: usize, adapter: &wgpu::Adapter, host_cpu: &DeviceRecord) -> DeviceRecord {
    let info = adapter.get_info();
    let rated = rated_for(&info, host_cpu);
    DeviceRecord {
        id: format!("wgpu:{index}"),
        backend: Backend::Wgpu,
        index,
        name: info.name.clone(),
        rated_tflops: rated.tflops.clone(),
        rated_source: rated.source.clone(),
        rated_kind: rated.kind,
        rated_matched: rated.matched.clone(),
        cpu: None,
        cuda: None,
        wgpu: Some(properties(adapter)),
        rank: None,
        host: None,
    }
}

/// Every adapter, or why there are none.
pub fn discover(host_cpu: &DeviceRecord) -> BackendStatus {
    let found = crate::panic_guard::guard("wgpu", || Ok(adapters()));
    match found {
        Ok(list) if list.is_empty() => BackendStatus::Unavailable(
            "no Vulkan, Metal or DX12 adapter found (on Linux install a Vulkan driver, e.g. \
             mesa-vulkan-drivers for the CPU one)"
                .into(),
        ),
        Ok(list) => BackendStatus::Available(
            list.iter()
                .enumerate()
                .map(|(i, a)| record(i, a, host_cpu))
                .collect(),
        ),
        Err(e) => BackendStatus::Unavailable(e),
    }
}
