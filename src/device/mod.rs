//! Device discovery per backend.

pub mod cpu;
pub mod cpu_clock;
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
}

impl Inventory {
    /// Probes every backend. `measure_cpu_clock` times the CPU clock (about 0.1 s).
    pub fn discover(measure_cpu_clock: bool) -> Inventory {
        let host = cpu::discover(measure_cpu_clock);
        let (cuda, notes) = cuda::discover();
        Inventory {
            cuda,
            wgpu: wgpu::discover(&host),
            cpu: BackendStatus::Available(vec![host]),
            notes,
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
