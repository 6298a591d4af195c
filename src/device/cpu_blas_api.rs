//! The functions flopmeter calls in a loaded BLAS library, resolved by name: CBLAS GEMMs (with
//! the prefixes and ILP64 suffixes numpy's OpenBLAS uses), MKL's and OpenBLAS's low-precision
//! GEMMs, oneDNN's row-major GEMMs, and each library's version, code path and thread count.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::Path;

use libloading::Library;

use crate::dtype::Dtype;

use super::cpu_libs::{BlasFamily, LoadedBlas};

/// CBLAS constants (cblas.h): row-major layout, no transpose, a fixed C offset.
pub const ROW_MAJOR: c_int = 101;
pub const NO_TRANS: c_int = 111;
pub const FIX_OFFSET: c_int = 173;

/// C := alpha A B + beta C with CBLAS argument order; `I` is the index type (i32 LP64, i64
/// ILP64), `E` the input element, `S` the scalar and output type.
pub type Cgemm<I, E, S> =
    unsafe extern "C" fn(c_int, c_int, c_int, I, I, I, S, *const E, I, *const E, I, S, *mut S, I);

/// MKL's cblas_gemm_s8u8s32: int8 A and B with offsets, int32 C.
pub type MklInt8 = unsafe extern "C" fn(
    c_int,
    c_int,
    c_int,
    c_int,
    i32,
    i32,
    i32,
    f32,
    *const c_void,
    i32,
    i8,
    *const c_void,
    i32,
    i8,
    f32,
    *mut i32,
    i32,
    *const i32,
);

/// oneDNN's row-major GEMMs (dnnl.h): 'N'/'T' transposes, 64-bit sizes, a status back.
pub type DnnlGemm<E> = unsafe extern "C" fn(
    c_char,
    c_char,
    i64,
    i64,
    i64,
    f32,
    *const E,
    i64,
    *const E,
    i64,
    f32,
    *mut f32,
    i64,
) -> c_int;

/// oneDNN's dnnl_gemm_u8s8s32: u8 A, s8 B, offsets, int32 C.
pub type DnnlInt8 = unsafe extern "C" fn(
    c_char,
    c_char,
    c_char,
    i64,
    i64,
    i64,
    f32,
    *const u8,
    i64,
    u8,
    *const i8,
    i64,
    i8,
    f32,
    *mut i32,
    i64,
    *const i32,
) -> c_int;

/// The GEMMs of one library, each present or not.
#[derive(Clone, Copy)]
pub enum BlasApi {
    Lp64(CblasFns<i32>),
    Ilp64(CblasFns<i64>),
    OneDnn {
        sgemm: DnnlGemm<f32>,
        bf16: Option<DnnlGemm<u16>>,
        int8: Option<DnnlInt8>,
    },
}

/// CBLAS GEMMs; the low-precision ones only where the library has them (MKL, OpenBLAS sbgemm).
#[derive(Clone, Copy)]
pub struct CblasFns<I> {
    pub sgemm: Cgemm<I, f32, f32>,
    pub dgemm: Cgemm<I, f64, f64>,
    pub bf16: Option<Cgemm<I, u16, f32>>,
    pub f16: Option<Cgemm<I, u16, f32>>,
    pub int8: Option<MklInt8>,
}

impl BlasApi {
    /// The dtypes the library computes.
    pub fn dtypes(&self) -> Vec<Dtype> {
        let (f64_, bf16, f16, int8) = match self {
            BlasApi::Lp64(c) => (true, c.bf16.is_some(), c.f16.is_some(), c.int8.is_some()),
            BlasApi::Ilp64(c) => (true, c.bf16.is_some(), c.f16.is_some(), false),
            BlasApi::OneDnn { bf16, int8, .. } => (false, bf16.is_some(), false, int8.is_some()),
        };
        let mut v = Vec::new();
        for (d, has) in [
            (Dtype::Bf16, bf16),
            (Dtype::F16, f16),
            (Dtype::F32, true),
            (Dtype::F64, f64_),
            (Dtype::Int8, int8),
        ] {
            if has {
                v.push(d);
            }
        }
        v
    }
}

/// A library opened, with its symbols looked up under one naming convention.
struct Opened {
    lib: &'static Library,
    prefix: &'static str,
    suffix: &'static str,
}

impl Opened {
    /// The function `name` (with the library's prefix and suffix), if present.
    fn get<T: Copy>(&self, name: &str) -> Option<T> {
        let full = format!("{}{name}{}", self.prefix, self.suffix);
        // SAFETY: the caller names `T` as the C prototype of `name` documented by the library.
        unsafe { self.lib.get::<T>(full.as_bytes()).ok().map(|s| *s) }
    }

    /// A C string returned by a function without arguments.
    fn string(&self, name: &str) -> Option<String> {
        let f: unsafe extern "C" fn() -> *const c_char = self.get(name)?;
        // SAFETY: the function takes no arguments and returns a static C string or null.
        let p = unsafe { f() };
        // SAFETY: non-null, NUL-terminated, owned by the library for its lifetime.
        (!p.is_null()).then(|| {
            unsafe { CStr::from_ptr(p) }
                .to_string_lossy()
                .trim()
                .to_string()
        })
    }
}

/// Opens a library file and keeps it loaded for the rest of the process (its functions are
/// called through raw pointers).
fn open(file: &Path) -> Result<&'static Library, String> {
    // SAFETY: loading runs the library's initialisers; these are the vendors' BLAS libraries
    // the user installed, meant to be loaded into any process.
    let lib =
        unsafe { Library::new(file.as_os_str()) }.map_err(|e| {
            match std::error::Error::source(&e) {
                Some(why) => why.to_string(),
                None => e.to_string(),
            }
        })?;
    Ok(Box::leak(Box::new(lib)))
}

/// Loads `file` as a library of `family`, sets its thread count and reads its version.
pub fn load_api(family: BlasFamily, file: &Path, threads: usize) -> Result<LoadedBlas, String> {
    let lib = open(file)?;
    let (api, version, code_path) = match family {
        BlasFamily::OpenBlas => openblas(lib, threads)?,
        BlasFamily::Mkl => mkl(lib, threads)?,
        BlasFamily::Blis => blis(lib, threads)?,
        BlasFamily::OneDnn => onednn(lib)?,
    };
    let path = file_of(&api).unwrap_or_else(|| file.display().to_string());
    Ok(LoadedBlas {
        family,
        path,
        version,
        code_path,
        api,
    })
}

/// The file the dynamic loader mapped for the library of `api` (the name it was asked for may be
/// a bare soname or a symlink), from dladdr on its sgemm.
fn file_of(api: &BlasApi) -> Option<String> {
    let f: *const c_void = match api {
        BlasApi::Lp64(c) => c.sgemm as *const c_void,
        BlasApi::Ilp64(c) => c.sgemm as *const c_void,
        BlasApi::OneDnn { sgemm, .. } => *sgemm as *const c_void,
    };
    // SAFETY: Dl_info is plain old data (pointers), valid when zeroed.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: `f` is a function of a loaded library; dladdr only fills `info`.
    let found = unsafe { libc::dladdr(f, &mut info) } != 0 && !info.dli_fname.is_null();
    // SAFETY: dli_fname is the loader's NUL-terminated name of the mapped object.
    let name = found.then(|| {
        unsafe { CStr::from_ptr(info.dli_fname) }
            .to_string_lossy()
            .to_string()
    })?;
    Some(std::fs::canonicalize(&name).map_or(name, |p| p.display().to_string()))
}

type Found = (BlasApi, String, Option<String>);

/// CBLAS functions under a naming convention; None where cblas_sgemm is not there.
fn cblas<I: Copy>(o: &Opened) -> Option<CblasFns<I>> {
    Some(CblasFns {
        sgemm: o.get("cblas_sgemm")?,
        dgemm: o.get("cblas_dgemm")?,
        bf16: None,
        f16: None,
        int8: None,
    })
}

/// OpenBLAS under its plain names, scipy-openblas's "scipy_" prefix, and the "64_" suffix of
/// its ILP64 builds (numpy's wheels).
fn openblas(lib: &'static Library, threads: usize) -> Result<Found, String> {
    for (prefix, suffix) in [("", ""), ("scipy_", ""), ("scipy_", "64_"), ("", "64_")] {
        let o = Opened {
            lib,
            prefix,
            suffix,
        };
        let ilp64 = suffix == "64_";
        let api = if ilp64 {
            cblas::<i64>(&o).map(|mut c| {
                c.bf16 = o.get("cblas_sbgemm");
                BlasApi::Ilp64(c)
            })
        } else {
            cblas::<i32>(&o).map(|mut c| {
                c.bf16 = o.get("cblas_sbgemm");
                BlasApi::Lp64(c)
            })
        };
        let Some(api) = api else { continue };
        if let Some(set) = o.get::<unsafe extern "C" fn(c_int)>("openblas_set_num_threads") {
            // SAFETY: takes the thread count.
            unsafe { set(threads as c_int) };
        }
        let config = o
            .string("openblas_get_config")
            .unwrap_or_else(|| "OpenBLAS".into());
        let version = config
            .split_whitespace()
            .nth(1)
            .unwrap_or("unknown")
            .to_string();
        let core = o.string("openblas_get_corename");
        let ints = if ilp64 { ", ILP64" } else { "" };
        return Ok((api, format!("{version}{ints}"), core));
    }
    Err("no cblas_sgemm in it (not an OpenBLAS build flopmeter knows)".into())
}

/// MKL through its single dynamic library, mkl_rt (LP64 interface, its default).
fn mkl(lib: &'static Library, threads: usize) -> Result<Found, String> {
    let o = Opened {
        lib,
        prefix: "",
        suffix: "",
    };
    let mut c = cblas::<i32>(&o).ok_or("no cblas_sgemm in it")?;
    c.bf16 = o.get("cblas_gemm_bf16bf16f32");
    c.f16 = o.get("cblas_gemm_f16f16f32");
    c.int8 = o.get("cblas_gemm_s8u8s32");
    if let Some(set) = o.get::<unsafe extern "C" fn(c_int)>("MKL_Set_Num_Threads") {
        // SAFETY: takes the thread count.
        unsafe { set(threads as c_int) };
    }
    let mut buf = [0u8; 256];
    let version = match o.get::<unsafe extern "C" fn(*mut c_char, c_int)>("MKL_Get_Version_String")
    {
        Some(f) => {
            // SAFETY: MKL writes at most `len` bytes, NUL-terminated.
            unsafe { f(buf.as_mut_ptr().cast(), buf.len() as c_int) };
            let s = CStr::from_bytes_until_nul(&buf).map(|c| c.to_string_lossy().to_string());
            // "Intel(R) oneAPI Math Kernel Library Version 2026.2-Product Build ..."
            s.ok()
                .and_then(|s| {
                    s.split("Version ")
                        .nth(1)
                        .map(|v| v.split('-').next().unwrap_or(v).trim().to_string())
                })
                .unwrap_or_else(|| "unknown".into())
        }
        None => "unknown".into(),
    };
    let branch = o
        .get::<unsafe extern "C" fn() -> c_int>("mkl_cbwr_get_auto_branch")
        // SAFETY: takes no arguments.
        .and_then(|f| mkl_branch_name(unsafe { f() }));
    Ok((BlasApi::Lp64(c), version, branch))
}

/// MKL's code path (mkl_cbwr.h, MKL_CBWR_* branch values); None for "auto" (not yet chosen).
fn mkl_branch_name(v: c_int) -> Option<String> {
    Some(match v {
        2 => return None,
        3 => "compatible".into(),
        4 => "SSE2".into(),
        6 => "SSSE3".into(),
        7 => "SSE4.1".into(),
        8 => "SSE4.2".into(),
        9 => "AVX".into(),
        10 => "AVX2".into(),
        12 => "AVX-512".into(),
        14 => "AVX-512 E1 (VNNI/BF16)".into(),
        other => format!("branch {other}"),
    })
}

/// BLIS: its CBLAS layer, version string and the sub-configuration it chose.
fn blis(lib: &'static Library, threads: usize) -> Result<Found, String> {
    let o = Opened {
        lib,
        prefix: "",
        suffix: "",
    };
    let c = cblas::<i32>(&o).ok_or("no cblas_sgemm in it (BLIS built without CBLAS)")?;
    if let Some(set) = o.get::<unsafe extern "C" fn(i64)>("bli_thread_set_num_threads") {
        // SAFETY: takes the thread count (dim_t, 64-bit in BLIS's default builds).
        unsafe { set(threads as i64) };
    }
    let version = o
        .string("bli_info_get_version_str")
        .unwrap_or_else(|| "unknown".into());
    let arch = match (
        o.get::<unsafe extern "C" fn() -> c_int>("bli_arch_query_id"),
        o.get::<unsafe extern "C" fn(c_int) -> *const c_char>("bli_arch_string"),
    ) {
        (Some(id), Some(name)) => {
            // SAFETY: both take plain integers; bli_arch_string returns a static C string.
            let p = unsafe { name(id()) };
            // SAFETY: non-null, NUL-terminated, static in the library.
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().to_string())
        }
        _ => None,
    };
    Ok((BlasApi::Lp64(c), version, arch))
}

/// oneDNN's row-major GEMMs, its version and the instruction set it dispatches to.
fn onednn(lib: &'static Library) -> Result<Found, String> {
    #[repr(C)]
    struct Version {
        major: c_int,
        minor: c_int,
        patch: c_int,
        hash: *const c_char,
        cpu_runtime: u32,
        gpu_runtime: u32,
    }
    let o = Opened {
        lib,
        prefix: "",
        suffix: "",
    };
    let sgemm = o.get("dnnl_sgemm").ok_or("no dnnl_sgemm in it")?;
    let version = match o.get::<unsafe extern "C" fn() -> *const Version>("dnnl_version") {
        // SAFETY: returns a pointer to a static struct (dnnl.h).
        Some(f) => match unsafe { f().as_ref() } {
            Some(v) => format!("{}.{}.{}", v.major, v.minor, v.patch),
            None => "unknown".into(),
        },
        None => "unknown".into(),
    };
    let isa = o
        .get::<unsafe extern "C" fn() -> c_int>("dnnl_get_effective_cpu_isa")
        // SAFETY: takes no arguments.
        .map(|f| dnnl_isa_name(unsafe { f() }));
    let api = BlasApi::OneDnn {
        sgemm,
        bf16: o.get("dnnl_gemm_bf16bf16f32"),
        int8: o.get("dnnl_gemm_u8s8s32"),
    };
    Ok((api, version, isa))
}

/// oneDNN's dnnl_cpu_isa_t values (dnnl_types.h; AMX was 0x3e7 in 2.x, 0xfef in 3.x).
fn dnnl_isa_name(v: c_int) -> String {
    match v {
        0x7 => "avx2".into(),
        0xf => "avx2_vnni".into(),
        0x27 => "avx512_core".into(),
        0x67 => "avx512_core_vnni".into(),
        0xe7 => "avx512_core_bf16".into(),
        0x1ef => "avx512_core_fp16".into(),
        0x3e7 | 0xfef => "avx512_core_amx".into(),
        0x1fef => "avx512_core_amx_fp16".into(),
        other => format!("isa {other:#x}"),
    }
}
