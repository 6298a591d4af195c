//! NVIDIA GPUs through the CUDA driver API (cudarc, loaded at run time). Without libcuda the
//! backend is reported unavailable with the reason; nothing panics.

use cudarc::driver::{result, sys};

use crate::arch::ComputeCapability;
use crate::peaks::formula::{cuda_estimate, CudaChip};
use crate::peaks::{lookup, RatedPeaks};
use crate::results::{Backend, CudaProperties, DeviceRecord};

use super::BackendStatus;

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

/// Attributes that are nice to have: a failure to read one is recorded, and 0 stands in.
struct Optional {
    dev: sys::CUdevice,
    unreadable: Vec<String>,
}

impl Optional {
    fn attr(&mut self, a: sys::CUdevice_attribute) -> i32 {
        attr(self.dev, a).unwrap_or_else(|e| {
            self.unreadable.push(e);
            0
        })
    }
}

/// Reads one device's properties and rated peak. The name, compute capability and SM count are
/// required; anything else that cannot be read is listed in `unreadable`.
fn describe(index: usize, driver: &str) -> Result<DeviceRecord, String> {
    use sys::CUdevice_attribute::*;
    let dev = result::device::get(index as i32).map_err(|e| e.to_string())?;
    let name = result::device::get_name(dev).map_err(|e| e.to_string())?;
    let major = attr(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
    let minor = attr(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
    let sms = attr(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)? as u32;
    let mut opt = Optional {
        dev,
        unreadable: Vec::new(),
    };
    // CUDA 13 removed clockRate from cudaDeviceProp; the attribute still reports it (kHz).
    let clock_mhz = f64::from(opt.attr(CU_DEVICE_ATTRIBUTE_CLOCK_RATE)) / 1000.0;
    let mem_clock_mhz = f64::from(opt.attr(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE)) / 1000.0;
    let bus_bits = opt.attr(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH) as u32;
    let l2 = opt.attr(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE) as u64;
    // SAFETY: `dev` came from cuDeviceGet.
    let memory = unsafe { result::device::total_mem(dev) }.unwrap_or_else(|e| {
        opt.unreadable.push(format!("total memory: {e}"));
        0
    }) as u64;
    let pci = [
        CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID,
        CU_DEVICE_ATTRIBUTE_PCI_BUS_ID,
        CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID,
    ]
    .map(|a| attr(dev, a));
    let pci = match pci {
        [Ok(domain), Ok(bus), Ok(device)] => Some(format!("{domain:04x}:{bus:02x}:{device:02x}.0")),
        _ => None,
    };
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
            compute_capability: ComputeCapability::new(major as u32, minor as u32),
            sm_count: sms,
            sm_clock_mhz: clock_mhz,
            memory_clock_mhz: mem_clock_mhz,
            memory_bus_bits: bus_bits,
            memory_bytes: memory,
            l2_bytes: l2,
            driver_version: driver.to_string(),
            pci_bus_id: pci,
            unreadable: opt.unreadable,
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
            "'{name}' is not in the table and cc {major}.{minor} has no rate formula: its rated peak is unknown"
        )),
    }
}

/// Every CUDA device, or why there are none; a device that cannot be described is left out
/// with its reason in the returned notes, and the others are kept.
pub fn discover() -> (BackendStatus, Vec<String>) {
    if !driver_present() {
        return (
            BackendStatus::Unavailable(
                "libcuda.so not found (no NVIDIA driver on this machine)".into(),
            ),
            Vec::new(),
        );
    }
    let found = crate::panic_guard::guard("CUDA driver", || {
        result::init().map_err(|e| format!("cuInit failed: {e}"))?;
        let driver = driver_version().unwrap_or_else(|_| "unknown".into());
        let count = result::device::get_count().map_err(|e| e.to_string())?;
        Ok((0..count as usize)
            .map(|i| describe(i, &driver).map_err(|e| format!("cuda:{i} left out: {e}")))
            .collect::<Vec<_>>())
    });
    let found = match found {
        Ok(f) => f,
        Err(e) => return (BackendStatus::Unavailable(e), Vec::new()),
    };
    let (devices, failures): (Vec<_>, Vec<_>) = found.into_iter().partition(Result::is_ok);
    let devices: Vec<DeviceRecord> = devices.into_iter().filter_map(Result::ok).collect();
    let notes: Vec<String> = failures.into_iter().filter_map(Result::err).collect();
    match (devices.is_empty(), notes.first()) {
        (true, None) => (
            BackendStatus::Unavailable("the CUDA driver reports no devices".into()),
            notes,
        ),
        (true, Some(first)) => (BackendStatus::Unavailable(first.clone()), notes),
        (false, _) => (BackendStatus::Available(devices), notes),
    }
}

/// A CUDA device as discovery would describe it, for tests on machines without one.
#[cfg(test)]
pub(crate) fn fake_device(name: &str, cc: &str, sms: u32, mhz: f64) -> DeviceRecord {
    let mut p = cc
        .split('.')
        .map(|x| x.parse::<i32>().expect("cc like 9.0"));
    let (major, minor) = (p.next().unwrap_or(0), p.next().unwrap_or(0));
    let rated = rated_for(name, major, minor, sms, mhz);
    DeviceRecord {
        id: "cuda:0".into(),
        backend: Backend::Cuda,
        index: 0,
        name: name.into(),
        rated_tflops: rated.tflops.clone(),
        rated_source: rated.source.clone(),
        rated_kind: rated.kind,
        rated_matched: rated.matched.clone(),
        cpu: None,
        cuda: Some(CudaProperties {
            compute_capability: cc.parse().expect("cc like 9.0"),
            sm_count: sms,
            sm_clock_mhz: mhz,
            memory_clock_mhz: 2619.0,
            memory_bus_bits: 5120,
            memory_bytes: 80 << 30,
            l2_bytes: 50 << 20,
            driver_version: "13.0".into(),
            pci_bus_id: None,
            unreadable: Vec::new(),
        }),
        wgpu: None,
        rank: None,
        host: None,
    }
}
