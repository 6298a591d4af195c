//! What a bench is asked to do, typed: built once by the command layer from the command line,
//! then read by the planner. Nothing here parses text or names a flag.

use crate::dtype::Dtype;
use crate::measure::Budget;
use crate::model::shapes::{bench_problems, Split, StepGemm};
use crate::model::ModelConfig;
use crate::results::{Backend, Shape};
use crate::shape::Problem;

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
#[derive(Debug, Clone, PartialEq)]
pub enum Sizes {
    /// These shapes, in this order, each once.
    Shapes(Vec<Shape>),
    /// Every combination of these M, N and K (mamf-finder's ranges).
    Ranges(Ranges),
    /// A built-in list that depends on the kind of device.
    Sweep(Sweep),
    /// The distinct GEMM shapes of one training step of a transformer.
    Model(ModelBench),
}

/// Values of M, N and K; every combination is a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranges {
    pub m: Vec<usize>,
    pub n: Vec<usize>,
    pub k: Vec<usize>,
}

impl Ranges {
    /// Most shapes one range bench runs.
    pub const MAX_SHAPES: usize = 10_000;

    pub fn shapes(&self) -> Vec<Shape> {
        let mut out = Vec::with_capacity(self.m.len() * self.n.len() * self.k.len());
        for &m in &self.m {
            for &n in &self.n {
                for &k in &self.k {
                    out.push(Shape { m, n, k });
                }
            }
        }
        out
    }
}

/// The values one dimension takes: `4096`, or `start:stop:step` (stop included when reached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimValues(pub Vec<usize>);

/// A transformer benched by its GEMMs.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelBench {
    /// The preset's name, or "custom".
    pub name: String,
    /// Where the preset's dimensions come from.
    pub source: Option<String>,
    pub config: ModelConfig,
    pub split: Split,
    /// Every GEMM of one step, attention's and the experts' batched ones included.
    pub gemms: Vec<StepGemm>,
}

impl Sizes {
    /// The problems this selection runs on a device of `class`: each shape as a batch of
    /// `batch` (a model's problems carry their own batch).
    pub fn problems(&self, class: DeviceClass, batch: usize) -> Vec<Problem> {
        let shapes = match self {
            Sizes::Shapes(v) => unique(v.clone()),
            Sizes::Ranges(r) => r.shapes(),
            Sizes::Sweep(s) => sweep_sizes(*s, class),
            Sizes::Model(m) => return bench_problems(&m.gemms),
        };
        shapes
            .into_iter()
            .map(|shape| Problem { shape, batch })
            .collect()
    }

    /// True when the sizes were given one by one (a size that does not fit is an error, not a
    /// note).
    pub fn explicit(&self) -> bool {
        matches!(self, Sizes::Shapes(_))
    }
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
    /// Independent products per call of every shape (`Sizes::Model` brings its own).
    pub batch: usize,
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
            batch: 1,
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
