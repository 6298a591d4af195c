//! CPU GEMMs through a BLAS library loaded at run time (OpenBLAS, MKL, BLIS, oneDNN): f32 and
//! f64, bf16 and f16 with f32 accumulate, int8 with int32 accumulate. Row-major operands, timed
//! with a monotonic clock, verified like every result.

use std::ffi::c_void;
use std::time::Instant;

use crate::device::cpu_blas_api::{BlasApi, CblasFns, Cgemm, FIX_OFFSET, NO_TRANS, ROW_MAJOR};
use crate::device::cpu_libs::{self, LoadedBlas};
use crate::dtype::Dtype;
use crate::measure::cache::operand_sets;
use crate::measure::inputs::{normal_f64, operand_seed};
use crate::measure::Timed;
use crate::results::{Shape, Verification};

use super::fingerprint::{Element, Fingerprint, ResultC};
use super::verify::{verify, Precision};
use super::{Gemm, GemmError, Prepared};

/// One operand as stored.
enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bf16(Vec<u16>),
    F16(Vec<u16>),
    U8(Vec<u8>),
    I8(Vec<i8>),
}

impl Data {
    /// `len` values of N(0, 1) from `seed`, stored as `kind` (int8: N(0, 32) rounded, u8 shifted
    /// by 128, both clamped to their range).
    fn random(kind: &Data, len: usize, seed: u64) -> Data {
        let v = normal_f64(len, seed);
        match kind {
            Data::F32(_) => Data::F32(v.iter().map(|x| *x as f32).collect()),
            Data::F64(_) => Data::F64(v),
            Data::Bf16(_) => Data::Bf16(
                v.iter()
                    .map(|x| half::bf16::from_f64(*x).to_bits())
                    .collect(),
            ),
            Data::F16(_) => Data::F16(
                v.iter()
                    .map(|x| half::f16::from_f64(*x).to_bits())
                    .collect(),
            ),
            Data::U8(_) => Data::U8(
                v.iter()
                    .map(|x| (128.0 + 32.0 * x).round().clamp(0.0, 255.0) as u8)
                    .collect(),
            ),
            Data::I8(_) => Data::I8(
                v.iter()
                    .map(|x| (32.0 * x).round().clamp(-127.0, 127.0) as i8)
                    .collect(),
            ),
        }
    }

    fn get(&self, i: usize) -> f64 {
        match self {
            Data::F32(v) => f64::from(v[i]),
            Data::F64(v) => v[i],
            Data::Bf16(v) => half::bf16::from_bits(v[i]).to_f64(),
            Data::F16(v) => half::f16::from_bits(v[i]).to_f64(),
            Data::U8(v) => f64::from(v[i]),
            Data::I8(v) => f64::from(v[i]),
        }
    }

    fn ptr(&self) -> *const c_void {
        match self {
            Data::F32(v) => v.as_ptr().cast(),
            Data::F64(v) => v.as_ptr().cast(),
            Data::Bf16(v) | Data::F16(v) => v.as_ptr().cast(),
            Data::U8(v) => v.as_ptr().cast(),
            Data::I8(v) => v.as_ptr().cast(),
        }
    }

    fn elem_bytes(&self) -> u64 {
        match self {
            Data::F64(_) => 8,
            Data::F32(_) => 4,
            Data::Bf16(_) | Data::F16(_) => 2,
            Data::U8(_) | Data::I8(_) => 1,
        }
    }
}

/// The output as stored.
enum Out {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
}

impl Out {
    fn get(&self, i: usize) -> f64 {
        match self {
            Out::F32(v) => f64::from(v[i]),
            Out::F64(v) => v[i],
            Out::I32(v) => f64::from(v[i]),
        }
    }

    fn ptr(&mut self) -> *mut c_void {
        match self {
            Out::F32(v) => v.as_mut_ptr().cast(),
            Out::F64(v) => v.as_mut_ptr().cast(),
            Out::I32(v) => v.as_mut_ptr().cast(),
        }
    }

    /// C as stored, for its fingerprint.
    fn result(&self, rows: usize, row_len: usize) -> ResultC {
        let (element, bytes): (Element, Vec<u8>) = match self {
            Out::F32(v) => (
                Element::F32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Out::F64(v) => (
                Element::F64,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Out::I32(v) => (
                Element::I32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
        };
        ResultC {
            element,
            rows,
            row_len,
            bytes,
        }
    }
}

/// How A, B and C are stored for one library and dtype (A and B empty, as a kind).
struct Layout {
    a: Data,
    b: Data,
    c: fn(usize) -> Out,
}

/// The storage of A, B and C for a library and dtype; None where it does not compute the dtype.
fn layout(api: &BlasApi, dtype: Dtype) -> Option<Layout> {
    let f32_out: fn(usize) -> Out = |n| Out::F32(vec![0.0; n]);
    let supported = api.dtypes().contains(&dtype);
    if !supported {
        return None;
    }
    let (a, b, c): (Data, Data, fn(usize) -> Out) = match (dtype, api) {
        (Dtype::F32, _) => (Data::F32(vec![]), Data::F32(vec![]), f32_out),
        (Dtype::F64, _) => (Data::F64(vec![]), Data::F64(vec![]), |n| {
            Out::F64(vec![0.0; n])
        }),
        (Dtype::Bf16, _) => (Data::Bf16(vec![]), Data::Bf16(vec![]), f32_out),
        (Dtype::F16, _) => (Data::F16(vec![]), Data::F16(vec![]), f32_out),
        // VNNI multiplies unsigned by signed bytes: oneDNN's gemm_u8s8s32 and MKL's
        // gemm_s8u8s32 both take unsigned A and signed B (row-major; verification checks it).
        (Dtype::Int8, _) => (Data::U8(vec![]), Data::I8(vec![]), |n| Out::I32(vec![0; n])),
        _ => return None,
    };
    Some(Layout { a, b, c })
}

/// The function called, as the library names it.
fn function_name(lib: &LoadedBlas, dtype: Dtype) -> &'static str {
    match (&lib.api, dtype) {
        (BlasApi::OneDnn { .. }, Dtype::F32) => "dnnl_sgemm",
        (BlasApi::OneDnn { .. }, Dtype::Bf16) => "dnnl_gemm_bf16bf16f32",
        (BlasApi::OneDnn { .. }, _) => "dnnl_gemm_u8s8s32",
        (_, Dtype::F64) => "cblas_dgemm",
        (_, Dtype::Bf16) if lib.family == cpu_libs::BlasFamily::OpenBlas => "cblas_sbgemm",
        (_, Dtype::Bf16) => "cblas_gemm_bf16bf16f32",
        (_, Dtype::F16) => "cblas_gemm_f16f16f32",
        (_, Dtype::Int8) => "cblas_gemm_s8u8s32",
        _ => "cblas_sgemm",
    }
}

struct Set {
    a: Data,
    b: Data,
    c: Out,
}

struct BlasSets {
    lib: &'static LoadedBlas,
    shape: Shape,
    dtype: Dtype,
    seed: u64,
    sets: Vec<Set>,
    next: usize,
}

/// A matrix dimension as a library's index type.
trait Idx: Copy {
    fn of(n: usize) -> Self;
}
impl Idx for i32 {
    fn of(n: usize) -> Self {
        n as i32
    }
}
impl Idx for i64 {
    fn of(n: usize) -> Self {
        n as i64
    }
}

/// One CBLAS float GEMM, C = A B, row-major: lda = k, ldb = ldc = n.
///
/// # Safety
/// A, B and C must hold m x k, k x n and m x n elements of the types `f` takes.
unsafe fn cgemm<I: Idx, E, S: From<f32>>(
    f: Cgemm<I, E, S>,
    s: Shape,
    (a, b, c): (*const c_void, *const c_void, *mut c_void),
) {
    let (m, n, k) = (I::of(s.m), I::of(s.n), I::of(s.k));
    let (one, zero) = (S::from(1.0), S::from(0.0));
    // SAFETY: the caller's contract; the prototype is CBLAS's.
    unsafe {
        f(
            ROW_MAJOR,
            NO_TRANS,
            NO_TRANS,
            m,
            n,
            k,
            one,
            a.cast(),
            k,
            b.cast(),
            n,
            zero,
            c.cast(),
            n,
        )
    }
}

/// C = A B through CBLAS (MKL's int8 GEMM with zero offsets).
fn call_cblas<I: Idx>(
    f: &CblasFns<I>,
    dtype: Dtype,
    s: Shape,
    set: &mut Set,
) -> Result<(), String> {
    let ptrs = (set.a.ptr(), set.b.ptr(), set.c.ptr());
    let missing = || format!("the library has no {dtype} GEMM");
    // SAFETY: A is m x k, B k x n and C m x n, row-major, as allocated for this shape and
    // dtype by `prepare` (`layout` picked the element types each function takes).
    unsafe {
        match dtype {
            Dtype::F32 => cgemm(f.sgemm, s, ptrs),
            Dtype::F64 => cgemm(f.dgemm, s, ptrs),
            Dtype::Bf16 => cgemm(f.bf16.ok_or_else(missing)?, s, ptrs),
            Dtype::F16 => cgemm(f.f16.ok_or_else(missing)?, s, ptrs),
            Dtype::Int8 => {
                let (m, n, k) = (s.m as i32, s.n as i32, s.k as i32);
                let (a, b, c) = ptrs;
                let zero = 0i32;
                (f.int8.ok_or_else(missing)?)(
                    ROW_MAJOR,
                    NO_TRANS,
                    NO_TRANS,
                    FIX_OFFSET,
                    m,
                    n,
                    k,
                    1.0,
                    a,
                    k,
                    0,
                    b,
                    n,
                    0,
                    0.0,
                    c.cast(),
                    n,
                    &zero,
                )
            }
            _ => return Err(missing()),
        }
    }
    Ok(())
}

/// C = A B through oneDNN's row-major GEMMs.
fn call_onednn(api: &BlasApi, dtype: Dtype, s: Shape, set: &mut Set) -> Result<(), String> {
    let BlasApi::OneDnn { sgemm, bf16, int8 } = api else {
        return Err("not oneDNN".into());
    };
    let (m, n, k) = (s.m as i64, s.n as i64, s.k as i64);
    let (a, b, c) = (set.a.ptr(), set.b.ptr(), set.c.ptr());
    let no = b'N' as std::ffi::c_char;
    let missing = || format!("oneDNN has no {dtype} GEMM here");
    // SAFETY: as in `call_cblas`; oneDNN's GEMMs are row-major with the same leading dimensions.
    let status = unsafe {
        match dtype {
            Dtype::F32 => sgemm(
                no,
                no,
                m,
                n,
                k,
                1.0,
                a.cast(),
                k,
                b.cast(),
                n,
                0.0,
                c.cast(),
                n,
            ),
            Dtype::Bf16 => (bf16.ok_or_else(missing)?)(
                no,
                no,
                m,
                n,
                k,
                1.0,
                a.cast(),
                k,
                b.cast(),
                n,
                0.0,
                c.cast(),
                n,
            ),
            Dtype::Int8 => {
                let zero = 0i32;
                (int8.ok_or_else(missing)?)(
                    no,
                    no,
                    b'F' as std::ffi::c_char,
                    m,
                    n,
                    k,
                    1.0,
                    a.cast(),
                    k,
                    0,
                    b.cast(),
                    n,
                    0,
                    0.0,
                    c.cast(),
                    n,
                    &zero,
                )
            }
            _ => return Err(missing()),
        }
    };
    if status != 0 {
        return Err(format!("oneDNN returned status {status}"));
    }
    Ok(())
}

impl Timed for BlasSets {
    fn run(&mut self) -> Result<Vec<f64>, String> {
        let i = self.next;
        self.next = (self.next + 1) % self.sets.len();
        let set = &mut self.sets[i];
        let start = Instant::now();
        match &self.lib.api {
            BlasApi::Lp64(f) => call_cblas(f, self.dtype, self.shape, set)?,
            BlasApi::Ilp64(f) => call_cblas(f, self.dtype, self.shape, set)?,
            api @ BlasApi::OneDnn { .. } => call_onednn(api, self.dtype, self.shape, set)?,
        }
        Ok(vec![start.elapsed().as_secs_f64()])
    }
}

impl Gemm for BlasSets {
    fn verify(&mut self) -> Result<Verification, String> {
        // Recompute set 0 so that C is known to belong to A and B of set 0.
        self.next = 0;
        self.run()?;
        let (s, set) = (self.shape, &self.sets[0]);
        Ok(verify(
            s,
            Precision::of(self.dtype),
            self.seed,
            |i, p| set.a.get(i * s.k + p),
            |p, j| set.b.get(p * s.n + j),
            |i, j| set.c.get(i * s.n + j),
        ))
    }

    fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String> {
        (0..self.sets.len())
            .map(|s| self.result(s).map(|c| c.fingerprint()))
            .collect()
    }

    fn result(&mut self, set: usize) -> Result<ResultC, String> {
        let s = self
            .sets
            .get(set)
            .ok_or_else(|| format!("no operand set {set}"))?;
        Ok(s.c.result(self.shape.m, self.shape.n))
    }
}

/// Allocates and fills the operand sets for one run of a library kernel.
pub fn prepare(
    kernel: &str,
    dtype: Dtype,
    shape: Shape,
    seed: u64,
    llc: u64,
    available_memory: u64,
) -> Result<Prepared, GemmError> {
    let lib =
        cpu_libs::loaded(kernel).map_err(|e| GemmError::Unsupported(format!("{kernel}: {e}")))?;
    let Layout {
        a: ka,
        b: kb,
        c: out,
    } = layout(&lib.api, dtype).ok_or_else(|| {
        GemmError::Unsupported(format!(
            "{kernel} has no {dtype} GEMM (it computes {:?})",
            lib.dtypes()
        ))
    })?;
    let (sa, sb, sc) = (shape.m * shape.k, shape.k * shape.n, shape.m * shape.n);
    // Checked against the free memory by the caller (cpu::check_memory), with the same count:
    // A and B in the dtype's own width, C as `layout` writes it (at least 4 bytes).
    debug_assert_eq!(ka.elem_bytes(), dtype.input_bytes() as u64);
    debug_assert_eq!(kb.elem_bytes(), dtype.input_bytes() as u64);
    let set_bytes = super::cpu::set_bytes(shape, dtype);
    let n = operand_sets(set_bytes, llc, (available_memory / 4).max(set_bytes));
    let sets = (0..n)
        .map(|i| Set {
            a: Data::random(&ka, sa, operand_seed(seed, i, 0)),
            b: Data::random(&kb, sb, operand_seed(seed, i, 1)),
            c: out(sc),
        })
        .collect();
    let function = function_name(lib, dtype);
    let mut details = std::collections::BTreeMap::from([
        (
            "library".to_string(),
            format!("{} {}", lib.family.name(), lib.version),
        ),
        ("library_path".to_string(), lib.path.clone()),
    ]);
    if let Some(p) = &lib.code_path {
        details.insert("library_code_path".into(), p.clone());
    }
    Ok(Prepared {
        operand_sets: n,
        timer: crate::results::Timer::HostMonotonic,
        compute_type: format!(
            "{} {} {function} ({}), {}",
            lib.family.name(),
            lib.version,
            dtype.describe(),
            threads_of(lib.family)
        ),
        details,
        gemm: Box::new(BlasSets {
            lib,
            shape,
            dtype,
            seed,
            sets,
            next: 0,
        }),
    })
}

/// The threads a library's product runs on. Every library but oneDNN is given rayon's count as
/// it is loaded; oneDNN's wheels run on TBB, whose pool takes every CPU the process may run on
/// and has no C call to narrow it (an affinity mask does).
fn threads_of(family: cpu_libs::BlasFamily) -> String {
    match family {
        cpu_libs::BlasFamily::OneDnn => format!(
            "{} threads (oneDNN's own pool: every CPU this process may run on)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ),
        _ => format!("{} threads", rayon::current_num_threads()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::VerificationStatus;

    /// The loaded OpenBLAS, or None (a failure under the test command, which installs it).
    fn openblas() -> Option<&'static LoadedBlas> {
        match cpu_libs::loaded("openblas") {
            Ok(l) => Some(l),
            Err(why) => {
                assert!(
                    std::env::var_os("FLOPMETER_REQUIRE_ALL").is_none(),
                    "OpenBLAS is required under the test command: {why}"
                );
                eprintln!("SKIPPED: OpenBLAS not loaded ({why})");
                None
            }
        }
    }

    fn check(g: &BlasSets) -> Verification {
        let (s, set) = (g.shape, &g.sets[0]);
        verify(
            s,
            Precision::of(g.dtype),
            g.seed,
            |i, p| set.a.get(i * s.k + p),
            |p, j| set.b.get(p * s.n + j),
            |i, j| set.c.get(i * s.n + j),
        )
    }

    #[test]
    fn a_library_result_is_read_row_major_and_a_wrong_element_fails() {
        let Some(lib) = openblas() else { return };
        for dtype in [Dtype::F32, Dtype::F64] {
            // Not square, so a transposed reading could not pass.
            let shape = Shape {
                m: 40,
                n: 56,
                k: 72,
            };
            let Layout {
                a: ka,
                b: kb,
                c: out,
            } = layout(&lib.api, dtype).unwrap();
            let mut g = BlasSets {
                lib,
                shape,
                dtype,
                seed: 3,
                sets: vec![Set {
                    a: Data::random(&ka, shape.m * shape.k, 1),
                    b: Data::random(&kb, shape.k * shape.n, 2),
                    c: out(shape.m * shape.n),
                }],
                next: 0,
            };
            g.run().unwrap();
            assert_eq!(check(&g).status, VerificationStatus::Passed, "{dtype}");
            match &mut g.sets[0].c {
                Out::F32(v) => v[0] += 0.5,
                Out::F64(v) => v[0] += 0.5,
                Out::I32(v) => v[0] += 1,
            }
            assert_eq!(check(&g).status, VerificationStatus::Failed, "{dtype}");
        }
    }

    #[test]
    fn int8_operands_use_the_full_byte_range_and_are_not_zero() {
        let a = Data::random(&Data::U8(vec![]), 10_000, 1);
        let b = Data::random(&Data::I8(vec![]), 10_000, 2);
        let (av, bv): (Vec<f64>, Vec<f64>) = (0..10_000).map(|i| (a.get(i), b.get(i))).unzip();
        assert!(av.iter().any(|x| *x > 200.0) && av.iter().any(|x| *x < 56.0));
        assert!(bv.iter().any(|x| *x > 70.0) && bv.iter().any(|x| *x < -70.0));
        assert!(bv.iter().filter(|x| **x == 0.0).count() < 200);
    }
}
