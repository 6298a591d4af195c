//! What a bench is asked to do, typed: built once by the command layer from the command line,
//! then read by the planner. Nothing here parses text or names a flag.

use crate::dtype::Dtype;
use crate::measure::Budget;
use crate::results::{Backend, Shape};

pub use crate::results::Sweep;

/// Which devices run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSelection {
    /// Every device of the selected backends, one after the other.
    Every,
    /// Every GPU of the node at the same time, as training loads them.
    All,
    /// These device ids (as `flopmeter devices` shows them), one after the other.
    Ids(Vec<String>),
}

/// Which problem sizes run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sizes {
    /// These shapes, in this order, each once.
    Shapes(Vec<Shape>),
    /// A built-in list that depends on the kind of device.
    Sweep(Sweep),
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// None: every available backend (unavailable ones are noted and skipped).
    pub backends: Option<Vec<Backend>>,
    pub devices: DeviceSelection,
    /// None: every dtype each device supports.
    pub dtypes: Option<Vec<Dtype>>,
    /// None: every kernel of the selected backends.
    pub kernels: Option<Vec<String>>,
    pub sizes: Sizes,
    pub budget: Budget,
    pub seed: u64,
    /// Replaces the table's rated peak (one device and one dtype only).
    pub rated_tflops: Option<f64>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            backends: None,
            devices: DeviceSelection::Every,
            dtypes: None,
            kernels: None,
            sizes: Sizes::Sweep(Sweep::Quick),
            budget: Budget::DEFAULT,
            seed: 42,
            rated_tflops: None,
        }
    }
}

/// Keeps the first of each repeated item, in order (`--size 64,64` measures once).
pub fn unique<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Sizes of a sweep for a class of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceClass {
    /// A real GPU.
    Gpu,
    /// The host CPU.
    Cpu,
    /// A GPU API implemented on the CPU (lavapipe, WARP): slow, so small sizes.
    SoftwareGpu,
}

pub fn sweep_sizes(sweep: Sweep, class: DeviceClass) -> Vec<Shape> {
    let sizes: &[usize] = match (sweep, class) {
        (Sweep::Quick, DeviceClass::Gpu) => &[2048, 4096, 8192],
        (Sweep::Quick, DeviceClass::Cpu) => &[512, 1024, 2048],
        (Sweep::Quick, DeviceClass::SoftwareGpu) => &[256, 512],
        (Sweep::Full, DeviceClass::Gpu) => &[512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384],
        (Sweep::Full, DeviceClass::Cpu) => &[256, 512, 768, 1024, 1536, 2048, 3072, 4096],
        (Sweep::Full, DeviceClass::SoftwareGpu) => &[128, 256, 384, 512, 768, 1024],
    };
    sizes.iter().map(|&n| Shape::cube(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_measured_once_in_order() {
        assert_eq!(unique(vec![64, 128, 64, 32, 128]), vec![64, 128, 32]);
    }

    #[test]
    fn sweeps_per_device_class() {
        assert_eq!(sweep_sizes(Sweep::Quick, DeviceClass::Gpu).len(), 3);
        assert_eq!(
            sweep_sizes(Sweep::Quick, DeviceClass::Cpu)[0],
            Shape::cube(512)
        );
        assert!(sweep_sizes(Sweep::Full, DeviceClass::SoftwareGpu).len() > 3);
    }
}
