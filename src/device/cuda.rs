//! NVIDIA GPUs through the CUDA driver API (cudarc, loaded at run time). Without libcuda the
//! backend is reported unavailable with the reason; nothing panics.

use cudarc::driver::{result, sys};

use crate::peaks::formula::{cuda_estimate, CudaChip};
use crate::peaks::{lookup, RatedPeaks};
use crate::results::{Backend, CudaProperties, DeviceRecord};

use super::BackendStatus;

/// Runs `f`, turning a panic inside cudarc's loader (a missing symbol in an old driver) into an
/// error instead of a crash, without printing the panic.
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    match out {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("{what}: {msg}"))
        }
    }
}

/// True when libcuda can be loaded.
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen the driver library.
    unsafe { sys::is_culib_present() }
}

fn attr(dev: sys::CUdevice, a: sys::CUdevice_attribute) -> Result<i32, String> {
    // SAFETY: `dev` came from cuDeviceGet and the attribute is a valid enum value.
    unsafe { result::device::get_attribute(dev, a) }.map_err(|e| format!("{a:?}: {e}"))
}

fn driver_version() -> Result<String, String> {
    let mut v = 0i32;
    // SAFETY: writes one int.
    unsafe { sys::cuDriverGetVersion(&mut v) }
        .result()
        .map_err(|e| e.to_string())?;
    Ok(format!("{}.{}", v / 1000, (v % 1000) / 10))
}

/// Reads one device's properties and rated peak.
fn describe(index: usize, driver: &str) -> Result<DeviceRecord, String> {
    use sys::CUdevice_attribute::*;
    let dev = result::device::get(index as i32).map_err(|e| e.to_string())?;
    let name = result::device::get_name(dev).map_err(|e| e.to_string())?;
    let major = attr(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
    let minor = attr(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
    let sms = attr(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)? as u32;
    // CUDA 13 removed clockRate from cudaDeviceProp; the attribute still reports it (kHz).
    let clock_mhz = f64::from(attr(dev, CU_DEVICE_ATTRIBUTE_CLOCK_RATE)?) / 1000.0;
    let mem_clock_mhz = f64::from(attr(dev, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE)?) / 1000.0;
    let bus_bits = attr(dev, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH)? as u32;
    let l2 = attr(dev, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)? as u64;
    // SAFETY: `dev` is valid.
    let memory = unsafe { result::device::total_mem(dev) }.map_err(|e| e.to_string())? as u64;
    let pci = (|| -> Result<String, String> {
        Ok(format!(
            "{:04x}:{:02x}:{:02x}.0",
            attr(dev, CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID)?,
            attr(dev, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID)?,
            attr(dev, CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID)?
        ))
    })()
    .ok();
    let rated = rated_for(&name, major, minor, sms, clock_mhz);
    Ok(DeviceRecord {
        id: format!("cuda:{index}"),
        backend: Backend::Cuda,
        index,
        name,
        rated_tflops: rated.tflops.clone(),
        rated_source: rated.source.clone(),
        rated_kind: rated.kind,
        rated_matched: rated.matched.clone(),
        cpu: None,
        cuda: Some(CudaProperties {
            compute_capability: format!("{major}.{minor}"),
            sm_count: sms,
            sm_clock_mhz: clock_mhz,
            memory_clock_mhz: mem_clock_mhz,
            memory_bus_bits: bus_bits,
            memory_bytes: memory,
            l2_bytes: l2,
            driver_version: driver.to_string(),
            pci_bus_id: pci,
        }),
        wgpu: None,
        rank: None,
        host: None,
    })
}

/// Table first (by name, with the device's share of a multi-device board or MIG slice), the
/// architecture formula otherwise.
pub fn rated_for(name: &str, major: i32, minor: i32, sms: u32, clock_mhz: f64) -> RatedPeaks {
    if let Ok(m) = lookup(name) {
        return RatedPeaks::from_table(&m, Some(sms));
    }
    match cuda_estimate(&CudaChip {
        name,
        cc_major: major,
        cc_minor: minor,
        sm_count: sms,
        boost_clock_mhz: clock_mhz,
    }) {
        Some(est) => RatedPeaks::estimated(est),
        None => RatedPeaks::unknown(format!(
            "'{name}' is not in the table and cc {major}.{minor} has no rate formula: pass --rated-tflops"
        )),
    }
}

/// Every CUDA device, or why there are none.
pub fn discover() -> BackendStatus {
    if !driver_present() {
        return BackendStatus::Unavailable(
            "libcuda.so not found (no NVIDIA driver on this machine)".into(),
        );
    }
    let found = guard("CUDA driver", || {
        result::init().map_err(|e| format!("cuInit failed: {e}"))?;
        let driver = driver_version().unwrap_or_else(|_| "unknown".into());
        let count = result::device::get_count().map_err(|e| e.to_string())?;
        (0..count as usize)
            .map(|i| describe(i, &driver))
            .collect::<Result<Vec<_>, _>>()
    });
    match found {
        Ok(devs) if devs.is_empty() => {
            BackendStatus::Unavailable("the CUDA driver reports no devices".into())
        }
        Ok(devs) => BackendStatus::Available(devs),
        Err(e) => BackendStatus::Unavailable(e),
    }
}
