//! Compiling the CUDA C kernels with NVRTC, loaded at run time (no CUDA toolkit at build time,
//! no GPU needed to compile).

use std::ffi::CString;

use cudarc::nvrtc::{compile_ptx_with_opts, result, sys, CompileOptions, Ptx};

use crate::arch::ComputeCapability;
use crate::gemm::kernels::CudaKernel;

/// True when libnvrtc can be loaded.
pub fn nvrtc_present() -> bool {
    // SAFETY: only tries to dlopen the library.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// The real architectures this NVRTC compiles for (nvrtcGetSupportedArchs), oldest first; None
/// when NVRTC cannot be loaded or does not say.
pub fn supported_archs() -> Option<Vec<ComputeCapability>> {
    if !nvrtc_present() {
        return None;
    }
    crate::panic_guard::guard("NVRTC", || {
        let mut n: std::ffi::c_int = 0;
        // SAFETY: NVRTC writes one int through the pointer, which lives here.
        unsafe { sys::nvrtcGetNumSupportedArchs(&mut n) }
            .result()
            .map_err(|e| format!("{e:?}"))?;
        let mut archs = vec![0 as std::ffi::c_int; n.max(0) as usize];
        // SAFETY: NVRTC writes `n` ints into `archs`, which holds `n`.
        unsafe { sys::nvrtcGetSupportedArchs(archs.as_mut_ptr()) }
            .result()
            .map_err(|e| format!("{e:?}"))?;
        let mut out: Vec<ComputeCapability> = archs
            .into_iter()
            .filter(|a| *a > 0)
            .map(|a| ComputeCapability::new(a as u32 / 10, a as u32 % 10))
            .collect();
        out.sort();
        Ok(out)
    })
    .ok()
    .filter(|v| !v.is_empty())
}

/// What the driver is given: machine code for the device's exact architecture (CUBIN), which
/// any driver of the same major version accepts, or PTX for it to compile. PTX from an NVRTC
/// newer than the driver is refused (CUDA_ERROR_UNSUPPORTED_PTX_VERSION), so CUBIN comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Cubin,
    Ptx,
}

impl Target {
    /// NVRTC's architecture option: `sm_90` makes CUBIN, `compute_90` PTX.
    fn option(self, arch: ComputeCapability) -> String {
        match self {
            Target::Cubin => format!("--gpu-architecture={}", arch.sm()),
            Target::Ptx => format!("--gpu-architecture={}", arch.compute()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Cubin => "CUBIN",
            Target::Ptx => "PTX",
        })
    }
}

/// A compiled kernel: CUBIN bytes or PTX text.
#[derive(Debug, Clone)]
pub struct Image {
    pub target: Target,
    pub bytes: Vec<u8>,
}

impl Image {
    /// The PTX text (empty for CUBIN).
    pub fn ptx_text(&self) -> String {
        match self.target {
            Target::Ptx => String::from_utf8_lossy(&self.bytes).into_owned(),
            Target::Cubin => String::new(),
        }
    }

    /// What cudarc's module loader takes.
    pub fn into_module_image(self) -> Ptx {
        match self.target {
            Target::Cubin => Ptx::from_binary(self.bytes),
            Target::Ptx => Ptx::from_src(String::from_utf8_lossy(&self.bytes).into_owned()),
        }
    }
}

/// Compiles one kernel for one architecture. Errors carry NVRTC's log.
pub fn compile(
    kernel: &CudaKernel,
    arch: ComputeCapability,
    target: Target,
) -> Result<Image, String> {
    if !nvrtc_present() {
        return Err("libnvrtc.so not found (install the CUDA toolkit or PyPI's nvidia-cuda-nvrtc and put its lib folder on LD_LIBRARY_PATH)".into());
    }
    crate::panic_guard::guard("NVRTC", || match target {
        Target::Ptx => {
            let opts = CompileOptions {
                options: vec![target.option(arch), "-std=c++17".into()],
                name: Some(kernel.file.to_string()),
                ..Default::default()
            };
            compile_ptx_with_opts(kernel.source, opts)
                .map(|ptx| Image {
                    target,
                    bytes: ptx.to_src().into_bytes(),
                })
                .map_err(|e| format!("{}: {e}", kernel.file))
        }
        Target::Cubin => {
            compile_cubin(kernel, &target.option(arch)).map(|bytes| Image { target, bytes })
        }
    })
}

/// An NVRTC program, destroyed when dropped.
struct Program(sys::nvrtcProgram);

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: created by create_program and destroyed only here.
        let _ = unsafe { result::destroy_program(self.0) };
    }
}

/// CUBIN through NVRTC's C API (cudarc's safe layer returns PTX only).
fn compile_cubin(kernel: &CudaKernel, arch_option: &str) -> Result<Vec<u8>, String> {
    let at = |e: String| format!("{}: {e}", kernel.file);
    let src = CString::new(kernel.source).map_err(|e| at(e.to_string()))?;
    let name = CString::new(kernel.file).map_err(|e| at(e.to_string()))?;
    let prog = Program(result::create_program(&src, Some(&name)).map_err(|e| at(e.to_string()))?);
    let options = [arch_option.to_string(), "-std=c++17".to_string()];
    // SAFETY: `prog` is live; `src` and `name` outlive it.
    if let Err(e) = unsafe { result::compile_program(prog.0, &options) } {
        // SAFETY: as above.
        let log = unsafe { result::get_program_log(prog.0) }
            .map(|l| {
                let bytes: Vec<u8> = l.iter().map(|c| *c as u8).take_while(|b| *b != 0).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            })
            .unwrap_or_default();
        return Err(at(format!("{e:?}: {}", log.trim())));
    }
    let mut size = 0usize;
    // SAFETY: `prog` compiled; NVRTC writes the size, then that many bytes into `cubin`.
    unsafe { sys::nvrtcGetCUBINSize(prog.0, &mut size) }
        .result()
        .map_err(|e| at(format!("nvrtcGetCUBINSize: {e:?}")))?;
    let mut cubin = vec![0u8; size];
    // SAFETY: as above; `cubin` holds `size` bytes.
    unsafe { sys::nvrtcGetCUBIN(prog.0, cubin.as_mut_ptr().cast()) }
        .result()
        .map_err(|e| at(format!("nvrtcGetCUBIN: {e:?}")))?;
    if cubin.is_empty() {
        return Err(at("NVRTC made no CUBIN".into()));
    }
    Ok(cubin)
}
