//! Compiling the CUDA C kernels with NVRTC, loaded at run time (no CUDA toolkit at build time,
//! no GPU needed to compile).

use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions, Ptx};

use crate::gemm::kernels::CudaKernel;

/// True when libnvrtc can be loaded.
pub fn nvrtc_present() -> bool {
    // SAFETY: only tries to dlopen the library.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// "sm_90" for (9, 0).
pub fn arch_name(major: i32, minor: i32) -> String {
    format!("sm_{major}{minor}")
}

/// Parses "sm_80,sm_90" (or "80,90").
pub fn parse_archs(s: &str) -> Result<Vec<(i32, i32)>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            let digits = a.trim_start_matches("sm_").trim_start_matches("compute_");
            match (digits.len(), digits.parse::<i32>()) {
                (2..=3, Ok(v)) if v >= 50 => Ok((v / 10, v % 10)),
                _ => Err(format!(
                    "invalid --arch '{a}': expected names such as sm_80,sm_90"
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            if v.is_empty() {
                Err(format!(
                    "invalid --arch '{s}': expected names such as sm_80,sm_90"
                ))
            } else {
                Ok(v)
            }
        })
}

/// Compiles one kernel for one architecture into PTX. Errors carry NVRTC's log.
pub fn compile(kernel: &CudaKernel, arch: (i32, i32)) -> Result<Ptx, String> {
    if !nvrtc_present() {
        return Err("libnvrtc.so not found (install the CUDA toolkit or PyPI's nvidia-cuda-nvrtc and put its lib folder on LD_LIBRARY_PATH)".into());
    }
    let opts = CompileOptions {
        options: vec![
            format!("--gpu-architecture={}", arch_name(arch.0, arch.1)),
            "-std=c++17".into(),
        ],
        name: Some(kernel.file.to_string()),
        ..Default::default()
    };
    crate::device::cuda::guard("NVRTC", || {
        compile_ptx_with_opts(kernel.source, opts).map_err(|e| format!("{}: {e}", kernel.file))
    })
}
