//! The kernel catalog: which kernels each backend has, and the WGSL sources.

use crate::dtype::Dtype;
use crate::results::Backend;

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

/// Kernel names per backend, in the order they are run.
pub fn kernel_names(backend: Backend) -> Vec<&'static str> {
    match backend {
        Backend::Cpu => vec!["faer"],
        Backend::Wgpu => WGSL_KERNELS.iter().map(|k| k.name).collect(),
        Backend::Cuda => vec![],
    }
}

/// Dtypes a kernel of a backend can compute (before asking the device).
pub fn kernel_dtypes(backend: Backend) -> &'static [Dtype] {
    match backend {
        Backend::Cpu => &[Dtype::F32, Dtype::F64],
        Backend::Wgpu => &[Dtype::F32, Dtype::F16],
        Backend::Cuda => &[],
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
