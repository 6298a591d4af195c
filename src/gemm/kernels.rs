//! The kernel catalog: which kernels each backend has, and the WGSL sources.

use crate::arch::ComputeCapability;
use crate::dtype::Dtype;
use crate::results::{Backend, DeviceRecord};

/// One WGSL kernel as shipped in kernels/wgsl/.
pub struct WgslKernel {
    pub name: &'static str,
    pub source: &'static str,
    /// Output elements per workgroup along (columns, rows).
    pub tile: (u32, u32),
    /// True if it reads A and B as vec4 (rows padded to 4 elements).
    pub vec4: bool,
    pub description: &'static str,
}

pub const WGSL_KERNELS: &[WgslKernel] = &[
    WgslKernel {
        name: "naive",
        source: include_str!("../../kernels/wgsl/naive.wgsl"),
        tile: (16, 16),
        vec4: false,
        description: "one invocation per output element",
    },
    WgslKernel {
        name: "tiled",
        source: include_str!("../../kernels/wgsl/tiled.wgsl"),
        tile: (128, 128),
        vec4: true,
        description:
            "128x128 workgroup tiles in shared memory, 8x8 register micro-tiles, vec4 loads",
    },
];

/// One CUDA C kernel as shipped in kernels/cuda/, compiled at run time by NVRTC.
pub struct CudaKernel {
    pub name: &'static str,
    /// The `extern "C"` function in the source.
    pub function: &'static str,
    pub file: &'static str,
    pub source: &'static str,
    pub dtype: Dtype,
    /// Output elements per block along (columns, rows), and threads per block (x, y).
    pub tile: (u32, u32),
    pub block: (u32, u32),
    /// Shapes must be multiples of (M, N, K) padding; the host pads with zeros.
    pub pad: (usize, usize, usize),
    /// Oldest compute capability it runs on.
    pub min_cc: ComputeCapability,
    pub description: &'static str,
}

pub const CUDA_KERNELS: &[CudaKernel] = &[
    CudaKernel {
        name: "naive",
        function: "naive_f32",
        file: "kernels/cuda/naive_f32.cu",
        source: include_str!("../../kernels/cuda/naive_f32.cu"),
        dtype: Dtype::F32,
        tile: (16, 16),
        block: (16, 16),
        pad: (1, 1, 1),
        min_cc: ComputeCapability::new(5, 0),
        description: "one thread per output element, f32 FMA",
    },
    CudaKernel {
        name: "tiled",
        function: "tiled_f32",
        file: "kernels/cuda/tiled_f32.cu",
        source: include_str!("../../kernels/cuda/tiled_f32.cu"),
        dtype: Dtype::F32,
        tile: (128, 128),
        block: (16, 16),
        pad: (1, 1, 1),
        min_cc: ComputeCapability::new(5, 0),
        description: "128x128 shared-memory tiles, 8x8 register micro-tiles, f32 FMA",
    },
    CudaKernel {
        name: "mma",
        function: "mma_bf16",
        file: "kernels/cuda/mma_bf16.cu",
        source: include_str!("../../kernels/cuda/mma_bf16.cu"),
        dtype: Dtype::Bf16,
        tile: (64, 64),
        block: (128, 1),
        pad: (64, 64, 32),
        min_cc: ComputeCapability::new(8, 0),
        description: "tensor cores via mma.sync.m16n8k16 bf16 (f32 accumulate), 64x64 block tiles",
    },
];

/// Not a GEMM: the digest of a result C on the GPU, for `sustain`'s bit-for-bit checks
/// (src/gemm/fingerprint.rs computes the same on the host). Compiled like the GEMM kernels
/// (and by `kernels --check`); its dtype, tile and padding are unused.
pub const FINGERPRINT_KERNEL: CudaKernel = CudaKernel {
    name: "fingerprint",
    function: "fingerprint_bytes",
    file: "kernels/cuda/fingerprint.cu",
    source: include_str!("../../kernels/cuda/fingerprint.cu"),
    dtype: Dtype::F32,
    tile: (1, 1),
    block: (256, 1),
    pad: (1, 1, 1),
    min_cc: ComputeCapability::new(5, 0),
    description: "digest of a result C: an order-free sum of mixed 32-bit words",
};

pub fn cuda_kernel(name: &str) -> Option<&'static CudaKernel> {
    CUDA_KERNELS.iter().find(|k| k.name == name)
}

pub fn wgsl_kernel(name: &str) -> Option<&'static WgslKernel> {
    WGSL_KERNELS.iter().find(|k| k.name == name)
}

/// The shader text for an input dtype: f32 as written, f16 with `enable f16`.
pub fn wgsl_source(kernel: &WgslKernel, dtype: Dtype) -> Option<String> {
    match dtype {
        Dtype::F32 => Some(kernel.source.to_string()),
        Dtype::F16 => Some(format!(
            "enable f16;\n{}",
            kernel
                .source
                .replace("alias Elem = f32;", "alias Elem = f16;")
        )),
        _ => None,
    }
}

/// CPU kernels and the dtypes each can compute: faer always; the others through a BLAS library
/// loaded at run time (device::cpu_libs), where the library has the function and the CPU the
/// unit (`dtypes_on` tells for one device).
pub const CPU_KERNELS: &[(&str, &[Dtype])] = &[
    ("faer", &[Dtype::F32, Dtype::F64]),
    ("openblas", &[Dtype::Bf16, Dtype::F32, Dtype::F64]),
    (
        "mkl",
        &[Dtype::Bf16, Dtype::F16, Dtype::F32, Dtype::F64, Dtype::Int8],
    ),
    ("blis", &[Dtype::F32, Dtype::F64]),
    ("onednn", &[Dtype::Bf16, Dtype::F32, Dtype::Int8]),
];

/// Why a CPU kernel cannot run on this device (its library did not load), or None.
pub fn cpu_kernel_missing(d: &DeviceRecord, kernel: &str) -> Option<String> {
    if kernel == "faer" {
        return None;
    }
    let lib = d
        .cpu
        .as_ref()?
        .libraries
        .iter()
        .find(|l| l.kernel == kernel);
    match lib {
        Some(l) if l.loaded => None,
        Some(l) => Some(format!(
            "{} not loaded ({})",
            l.name,
            l.detail.as_deref().unwrap_or("unknown reason")
        )),
        None => Some("its library was not looked for".into()),
    }
}

/// Why a loaded CPU library is left out unless named: BLIS on its generic (unoptimised)
/// sub-configuration, which it picks for a CPU it does not know, runs far below the machine.
pub fn cpu_kernel_untuned(d: &DeviceRecord, kernel: &str) -> Option<String> {
    let l = d
        .cpu
        .as_ref()?
        .libraries
        .iter()
        .find(|l| l.kernel == kernel && l.loaded)?;
    (l.code_path.as_deref() == Some("generic")).then(|| {
        format!(
            "{} {} runs its generic reference kernels on this CPU",
            l.name,
            l.version.as_deref().unwrap_or("")
        )
    })
}

/// Dtypes a kernel computes on one device: for a CPU library, what the loaded library has and
/// the CPU's units support.
pub fn dtypes_on(d: &DeviceRecord, kernel: &str) -> Vec<Dtype> {
    if d.backend == Backend::Cpu && kernel != "faer" {
        return d
            .cpu
            .as_ref()
            .and_then(|c| c.libraries.iter().find(|l| l.kernel == kernel && l.loaded))
            .map(|l| l.dtypes.clone())
            .unwrap_or_default();
    }
    dtypes_of(d.backend, kernel)
}

/// Kernel names per backend, in the order they are run.
pub fn kernel_names(backend: Backend) -> Vec<&'static str> {
    match backend {
        Backend::Cpu => CPU_KERNELS.iter().map(|(k, _)| *k).collect(),
        Backend::Wgpu => WGSL_KERNELS.iter().map(|k| k.name).collect(),
        Backend::Cuda => {
            let mut v = vec!["cublas", "cublaslt"];
            v.extend(CUDA_KERNELS.iter().map(|k| k.name));
            v
        }
    }
}

/// The run-time library a CUDA kernel needs beyond the driver.
pub fn cuda_library_of(kernel: &str) -> crate::device::cuda_libs::CudaLib {
    use crate::device::cuda_libs::CudaLib;
    match kernel {
        "cublas" => CudaLib::Cublas,
        "cublaslt" => CudaLib::CublasLt,
        _ => CudaLib::Nvrtc,
    }
}

/// Every kernel name of every backend, each once.
pub fn all_kernel_names() -> Vec<&'static str> {
    let mut all: Vec<&str> = Backend::ALL.iter().flat_map(|b| kernel_names(*b)).collect();
    let mut seen = Vec::new();
    all.retain(|k| {
        let new = !seen.contains(k);
        seen.push(*k);
        new
    });
    all
}

/// Dtypes one kernel of a backend computes (before asking the device).
pub fn dtypes_of(backend: Backend, kernel: &str) -> Vec<Dtype> {
    match (backend, kernel) {
        (Backend::Cuda, "cublas") => {
            vec![Dtype::F64, Dtype::F32, Dtype::Tf32, Dtype::Bf16, Dtype::F16]
        }
        (Backend::Cuda, "cublaslt") => vec![
            Dtype::F64,
            Dtype::F32,
            Dtype::Tf32,
            Dtype::Bf16,
            Dtype::F16,
            Dtype::Fp8,
        ],
        (Backend::Cuda, k) => cuda_kernel(k).map(|k| vec![k.dtype]).unwrap_or_default(),
        (Backend::Cpu, k) => CPU_KERNELS
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, d)| d.to_vec())
            .unwrap_or_default(),
        (b, _) => kernel_dtypes(b).to_vec(),
    }
}

/// Dtypes a kernel of a backend can compute (before asking the device).
pub fn kernel_dtypes(backend: Backend) -> &'static [Dtype] {
    match backend {
        Backend::Cpu => &[Dtype::Bf16, Dtype::F16, Dtype::F32, Dtype::F64, Dtype::Int8],
        Backend::Wgpu => &[Dtype::F32, Dtype::F16],
        Backend::Cuda => &[
            Dtype::F64,
            Dtype::F32,
            Dtype::Tf32,
            Dtype::Bf16,
            Dtype::F16,
            Dtype::Fp8,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wgsl_kernel_validates_with_naga_for_each_dtype() {
        for k in WGSL_KERNELS {
            for d in [Dtype::F32, Dtype::F16] {
                let src = wgsl_source(k, d).unwrap();
                let module = naga::front::wgsl::parse_str(&src)
                    .unwrap_or_else(|e| panic!("{} {d}: {}", k.name, e.emit_to_string(&src)));
                naga::valid::Validator::new(
                    naga::valid::ValidationFlags::all(),
                    naga::valid::Capabilities::all(),
                )
                .validate(&module)
                .unwrap_or_else(|e| panic!("{} {d}: {e:?}", k.name));
            }
        }
    }
}
