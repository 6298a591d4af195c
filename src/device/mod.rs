//! Device discovery per backend.

pub mod cpu;
pub mod cpu_blas_api;
pub mod cpu_clock;
pub mod cpu_libs;
pub mod cpu_probe;
pub mod cpu_units;
pub mod cpu_vector;
pub mod cuda;
pub mod cuda_libs;
pub mod rated_clock;
pub mod wgpu;

use serde::Serialize;

use crate::results::{Backend, DeviceRecord};

/// A backend's devices, or the reason it has none.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "lowercase")]
pub enum BackendStatus {
    Available(Vec<DeviceRecord>),
    Unavailable(String),
}

impl BackendStatus {
    pub fn devices(&self) -> &[DeviceRecord] {
        match self {
            BackendStatus::Available(d) => d,
            BackendStatus::Unavailable(_) => &[],
        }
    }
}

/// Everything found on this machine.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub cuda: BackendStatus,
    pub wgpu: BackendStatus,
    pub cpu: BackendStatus,
    /// Devices left out of an available backend, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The host CPU, described whether or not the CPU backend was probed (results need it).
    #[serde(skip)]
    pub host: DeviceRecord,
    /// The CUDA libraries that do not load (probed with the CUDA devices).
    #[serde(skip)]
    pub cuda_libs: cuda_libs::LibrarySet,
}

/// Why a backend that was not asked for has no devices.
pub const NOT_PROBED: &str = "not probed (not selected)";

impl Inventory {
    /// Probes every backend. `measure_cpu_clock` times the CPU clock (about 0.1 s).
    pub fn discover(measure_cpu_clock: bool) -> Inventory {
        Inventory::discover_only(&Backend::ALL, measure_cpu_clock)
    }

    /// Probes only the backends given; the others are unavailable, "not probed". A CUDA-only
    /// run never initialises Vulkan, so a driver that fails there cannot stop it. The host CPU
    /// is always described (results need it), its clock timed only when `measure_cpu_clock`.
    pub fn discover_only(backends: &[Backend], measure_cpu_clock: bool) -> Inventory {
        let skipped = || BackendStatus::Unavailable(NOT_PROBED.into());
        let host = cpu::discover(measure_cpu_clock);
        let (cuda, notes, cuda_libs) = if backends.contains(&Backend::Cuda) {
            let (cuda, notes) = cuda::discover();
            (cuda, notes, cuda_libs::LibrarySet::probe())
        } else {
            (skipped(), Vec::new(), cuda_libs::LibrarySet::all_present())
        };
        let wgpu = if backends.contains(&Backend::Wgpu) {
            wgpu::discover(&host)
        } else {
            skipped()
        };
        let cpu = if backends.contains(&Backend::Cpu) {
            BackendStatus::Available(vec![cpu::with_libraries(host.clone())])
        } else {
            skipped()
        };
        Inventory {
            cuda,
            wgpu,
            cpu,
            notes,
            host,
            cuda_libs,
        }
    }

    pub fn status(&self, b: Backend) -> &BackendStatus {
        match b {
            Backend::Cuda => &self.cuda,
            Backend::Wgpu => &self.wgpu,
            Backend::Cpu => &self.cpu,
        }
    }

    pub fn all_devices(&self) -> impl Iterator<Item = &DeviceRecord> {
        Backend::ALL
            .into_iter()
            .flat_map(move |b| self.status(b).devices().iter())
    }
}
