//! The CUDA libraries flopmeter loads at run time (cuBLAS, cuBLASLt, NVRTC, NCCL): whether each
//! loads, its version, and the file the dynamic loader really chose. A machine with two CUDA
//! installs (a toolkit and pip's wheels beside PyTorch) can otherwise mix them unnoticed.

use cudarc::{cublas, cublaslt, nccl, nvrtc};

use crate::results::Library;

/// What a kernel needs beyond the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CudaLib {
    Cublas,
    CublasLt,
    Nvrtc,
    Nccl,
}

impl CudaLib {
    pub const ALL: [CudaLib; 4] = [
        CudaLib::Cublas,
        CudaLib::CublasLt,
        CudaLib::Nvrtc,
        CudaLib::Nccl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CudaLib::Cublas => "cuBLAS",
            CudaLib::CublasLt => "cuBLASLt",
            CudaLib::Nvrtc => "NVRTC",
            CudaLib::Nccl => "NCCL",
        }
    }

    /// The file name the loader looks for, without its version suffix.
    pub fn soname(self) -> &'static str {
        match self {
            CudaLib::Cublas => "libcublas.so",
            CudaLib::CublasLt => "libcublasLt.so",
            CudaLib::Nvrtc => "libnvrtc.so",
            CudaLib::Nccl => "libnccl.so",
        }
    }

    /// True when the library can be loaded.
    pub fn present(self) -> bool {
        // SAFETY: each call only tries to dlopen the library under its usual names.
        unsafe {
            match self {
                CudaLib::Cublas => cublas::sys::is_culib_present(),
                CudaLib::CublasLt => cublaslt::sys::is_culib_present(),
                CudaLib::Nvrtc => nvrtc::sys::is_culib_present(),
                CudaLib::Nccl => nccl::sys::is_culib_present(),
            }
        }
    }

    /// The library's own version; loads it (and keeps it loaded) to ask.
    fn version(self) -> Result<String, String> {
        crate::panic_guard::guard(self.name(), || match self {
            CudaLib::Cublas => {
                use cublas::sys::{cublasGetProperty, libraryPropertyType as P};
                let mut v = [0i32; 3];
                for (slot, p) in
                    v.iter_mut()
                        .zip([P::MAJOR_VERSION, P::MINOR_VERSION, P::PATCH_LEVEL])
                {
                    // SAFETY: writes one int.
                    unsafe { cublasGetProperty(p, slot) }
                        .result()
                        .map_err(|e| e.to_string())?;
                }
                Ok(format!("{}.{}.{}", v[0], v[1], v[2]))
            }
            CudaLib::CublasLt => {
                // SAFETY: takes no arguments. 130100 means 13.1.0.
                let v = unsafe { cublaslt::sys::cublasLtGetVersion() };
                Ok(format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100))
            }
            CudaLib::Nvrtc => {
                let (mut major, mut minor) = (0i32, 0i32);
                // SAFETY: writes two ints.
                unsafe { nvrtc::sys::nvrtcVersion(&mut major, &mut minor) }
                    .result()
                    .map_err(|e| e.to_string())?;
                Ok(format!("{major}.{minor}"))
            }
            CudaLib::Nccl => {
                let mut v = 0i32;
                // SAFETY: writes one int.
                unsafe { nccl::sys::ncclGetVersion(&mut v) }
                    .result()
                    .map_err(|e| format!("{e:?}"))?;
                // 22703 means 2.27.3 (NCCL_VERSION_CODE since 2.9).
                Ok(format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100))
            }
        })
    }

    /// Load, version and path, or why it cannot be loaded.
    pub fn probe(self) -> Library {
        let (loaded, version, detail) = if !self.present() {
            (
                false,
                None,
                Some(format!(
                    "{}* not found on the loader's path (LD_LIBRARY_PATH)",
                    self.soname()
                )),
            )
        } else {
            match self.version() {
                Ok(v) => (true, Some(v), None),
                Err(e) => (false, None, Some(e)),
            }
        };
        Library {
            name: self.name().into(),
            loaded,
            version,
            path: loaded_path(self.soname()),
            detail,
        }
    }
}

/// Every CUDA library, probed.
pub fn probe_all() -> Vec<Library> {
    CudaLib::ALL.iter().map(|l| l.probe()).collect()
}

/// Which CUDA libraries cannot be loaded here, and why: found once with the devices, and
/// given to the planner, so planning is the same function of its inputs on any machine
/// (tests inject the set they need).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LibrarySet {
    missing: Vec<(CudaLib, String)>,
}

impl LibrarySet {
    /// The libraries of this machine.
    pub fn probe() -> LibrarySet {
        let missing = CudaLib::ALL
            .into_iter()
            .filter(|l| !l.present())
            .map(|l| (l, l.probe().detail.unwrap_or_default()))
            .collect();
        LibrarySet { missing }
    }

    /// Every library present (also the set of a run that probes no CUDA device).
    pub fn all_present() -> LibrarySet {
        LibrarySet::default()
    }

    /// Every library present but these, each with the reason it is missing.
    pub fn without(missing: &[(CudaLib, &str)]) -> LibrarySet {
        LibrarySet {
            missing: missing.iter().map(|(l, w)| (*l, w.to_string())).collect(),
        }
    }

    /// Why the library is missing, or None when it loads.
    pub fn missing(&self, lib: CudaLib) -> Option<&str> {
        self.missing
            .iter()
            .find(|(l, _)| *l == lib)
            .map(|(_, why)| why.as_str())
    }
}

/// The file mapped into this process for `soname` (e.g. "libcublas.so" matches
/// ".../libcublas.so.13.1.0.3" but not "libcublasLt.so.13"), from /proc/self/maps.
pub fn loaded_path(soname: &str) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    find_mapped(&maps, soname)
}

fn find_mapped(maps: &str, soname: &str) -> Option<String> {
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|path| {
            let file = path.rsplit('/').next().unwrap_or(path);
            file == soname || file.starts_with(&format!("{soname}."))
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_mapped_file_of_a_library_and_not_its_namesakes() {
        let maps = "\
7f00-7f01 r--p 00000000 08:01 1 /opt/venv/nvidia/cu13/lib/libcublasLt.so.13
7f01-7f02 r-xp 00000000 08:01 2 /usr/local/cuda-13.0/lib64/libcublas.so.13.0.2.14
7f02-7f03 rw-p 00000000 00:00 0 
7f03-7f04 r--p 00000000 08:01 3 /usr/lib/x86_64-linux-gnu/libnccl.so.2";
        assert_eq!(
            find_mapped(maps, "libcublas.so").as_deref(),
            Some("/usr/local/cuda-13.0/lib64/libcublas.so.13.0.2.14")
        );
        assert_eq!(
            find_mapped(maps, "libcublasLt.so").as_deref(),
            Some("/opt/venv/nvidia/cu13/lib/libcublasLt.so.13")
        );
        assert_eq!(
            find_mapped(maps, "libnccl.so").as_deref(),
            Some("/usr/lib/x86_64-linux-gnu/libnccl.so.2")
        );
        assert_eq!(find_mapped(maps, "libnvrtc.so"), None);
    }

    #[test]
    fn a_missing_library_is_a_reason_not_a_crash() {
        // No CUDA libraries on the test machines' default path except perhaps NVRTC.
        for lib in CudaLib::ALL {
            let l = lib.probe();
            assert_eq!(l.loaded, l.version.is_some(), "{l:?}");
            assert_eq!(l.loaded, l.detail.is_none(), "{l:?}");
        }
    }
}
