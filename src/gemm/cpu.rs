//! CPU GEMM through faer (multi-threaded, SIMD), timed with a monotonic clock. A batch runs its
//! products in parallel, one per thread (`batched`).

use std::time::Instant;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use crate::dtype::Dtype;
use crate::measure::cache::operand_sets;
use crate::measure::inputs::{normal_f64, operand_seed};
use crate::measure::Timed;
use crate::results::Shape;
use crate::shape::Problem;

use super::fingerprint::{Digest, Element, Fingerprint, ResultC};
use super::verify::{verify, verify_batch, Precision};
use super::{Gemm, GemmError, Prepared};
use crate::results::Verification;

/// Element types faer multiplies here.
trait Elem: faer::traits::ComplexField + Copy + Send + Sync + 'static {
    const ELEMENT: Element;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// Appends the value's little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
    /// Values as their bytes in memory (little-endian on every target faer runs on here).
    fn as_bytes(values: &[Self]) -> &[u8];
}

impl Elem for f32 {
    const ELEMENT: Element = Element::F32;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn as_bytes(values: &[Self]) -> &[u8] {
        bytemuck::cast_slice(values)
    }
}

impl Elem for f64 {
    const ELEMENT: Element = Element::F64;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn as_bytes(values: &[Self]) -> &[u8] {
        bytemuck::cast_slice(values)
    }
}

struct Sets<T: Elem> {
    shape: Shape,
    /// Products per call: set i is matrices i * batch .. (i + 1) * batch.
    batch: usize,
    dtype: Dtype,
    seed: u64,
    a: Vec<Mat<T>>,
    b: Vec<Mat<T>>,
    c: Vec<Mat<T>>,
    next: usize,
}

impl<T: Elem> Timed for Sets<T> {
    fn run(&mut self) -> Result<Vec<f64>, String> {
        let at = self.next * self.batch;
        self.next = (self.next + 1) % (self.a.len() / self.batch);
        let span = at..at + self.batch;
        let start = Instant::now();
        batched(
            &mut self.c[span.clone()],
            &self.a[span.clone()],
            &self.b[span],
        );
        Ok(vec![start.elapsed().as_secs_f64()])
    }
}

/// C_i = A_i B_i for every product of a batch: whole waves of one product per thread run in
/// parallel, each product on its thread alone; what is left (all of a batch of 1) runs product
/// after product with every thread, as faer runs a single GEMM. Never a parallel faer call
/// inside a parallel loop: a rayon thread waiting inside one product's matmul can pick up
/// another's work on the same thread, and the two then share that thread's packing buffers
/// (the model bench saw products come out wrong that way).
fn batched<T: Elem>(c: &mut [Mat<T>], a: &[Mat<T>], b: &[Mat<T>]) {
    use rayon::prelude::*;
    let one = |c: &mut Mat<T>, a: &Mat<T>, b: &Mat<T>, par| {
        matmul(
            c.as_mut(),
            Accum::Replace,
            a.as_ref(),
            b.as_ref(),
            T::from_f64(1.0),
            par,
        )
    };
    let threads = rayon::current_num_threads().max(1);
    let waves = c.len() / threads * threads;
    let (c_waves, c_rest) = c.split_at_mut(waves);
    c_waves
        .par_iter_mut()
        .zip(a[..waves].par_iter().zip(b[..waves].par_iter()))
        .for_each(|(c, (a, b))| one(c, a, b, Par::Seq));
    for (c, (a, b)) in c_rest.iter_mut().zip(a[waves..].iter().zip(&b[waves..])) {
        one(c, a, b, Par::rayon(0));
    }
}

impl<T: Elem> Gemm for Sets<T> {
    fn verify(&mut self) -> Result<Verification, String> {
        // Recompute set 0 so that C is known to belong to A and B of set 0.
        self.next = 0;
        self.run()?;
        Ok(verify_batch(self.batch, |e| {
            let (a, b, c) = (&self.a[e], &self.b[e], &self.c[e]);
            verify(
                self.shape,
                Precision::of(self.dtype),
                self.seed,
                |i, p| a[(i, p)].to_f64(),
                |p, j| b[(p, j)].to_f64(),
                |i, j| c[(i, j)].to_f64(),
            )
        }))
    }

    /// Each set's C digested as it lies in memory, column after column (faer's order, read
    /// once, not copied): a fingerprint compared only with this kernel's own.
    fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String> {
        Ok(self
            .c
            .chunks(self.batch)
            .map(|products| {
                let mut d = Digest::default();
                for c in products {
                    for j in 0..c.ncols() {
                        d.add(T::as_bytes(c.col_as_slice(j)));
                    }
                }
                d.finish()
            })
            .collect())
    }

    fn result(&mut self, set: usize) -> Result<ResultC, String> {
        let span = set * self.batch..(set + 1) * self.batch;
        let products = self
            .c
            .get(span)
            .ok_or_else(|| format!("no operand set {set}"))?;
        let (m, n) = (self.shape.m, self.shape.n);
        let mut bytes = Vec::with_capacity(products.len() * m * n * std::mem::size_of::<T>());
        for c in products {
            for i in 0..m {
                for j in 0..n {
                    c[(i, j)].put(&mut bytes);
                }
            }
        }
        Ok(ResultC {
            element: T::ELEMENT,
            rows: m,
            row_len: n,
            bytes,
        })
    }
}

fn random_mat<T: Elem>(rows: usize, cols: usize, seed: u64) -> Mat<T> {
    let v = normal_f64(rows * cols, seed);
    Mat::from_fn(rows, cols, |i, j| T::from_f64(v[i * cols + j]))
}

fn prepare_typed<T: Elem>(problem: Problem, seed: u64, llc: u64, memory_budget: u64) -> Prepared {
    let Problem { shape, batch } = problem;
    let elem = std::mem::size_of::<T>() as u64;
    let dtype = if elem == 8 { Dtype::F64 } else { Dtype::F32 };
    let n = operand_sets(
        set_bytes(shape, dtype).saturating_mul(batch as u64),
        llc,
        memory_budget,
    );
    let mut sets = Sets::<T> {
        shape,
        batch,
        dtype,
        seed,
        a: Vec::with_capacity(n * batch),
        b: Vec::with_capacity(n * batch),
        c: Vec::with_capacity(n * batch),
        next: 0,
    };
    // Matrix e of the batch of set s is the (s * batch + e)-th: a batch of 1 gets the seeds a
    // plain GEMM always had.
    for s in 0..n * batch {
        sets.a
            .push(random_mat(shape.m, shape.k, operand_seed(seed, s, 0)));
        sets.b
            .push(random_mat(shape.k, shape.n, operand_seed(seed, s, 1)));
        sets.c.push(Mat::zeros(shape.m, shape.n));
    }
    Prepared {
        operand_sets: n,
        timer: crate::results::Timer::HostMonotonic,
        compute_type: format!(
            "faer {dtype} matmul ({dtype} FMA), {} threads",
            rayon::current_num_threads()
        ),
        details: Default::default(),
        gemm: Box::new(sets),
    }
}

/// Bytes one operand set of `shape` needs on the CPU (saturating: never a wrapped size): A and B
/// in the dtype, C as every CPU kernel writes it (f64 for f64; f32, or i32 for int8, otherwise:
/// at least 4 bytes). The planner and each kernel's prepare count with this one rule.
pub fn set_bytes(shape: Shape, dtype: Dtype) -> u64 {
    shape.operand_bytes(dtype.input_bytes(), dtype.input_bytes().max(4))
}

/// faer's matmul keeps a workspace of twice the last-level cache in each thread that runs it
/// (private-gemm-x86 0.1, `gemm`'s thread-local `MEM`): it counts against an address-space
/// limit as much as the operands do.
fn workspace_bytes(llc: u64) -> u64 {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    (2 * llc).saturating_mul(threads + 1)
}

/// Memory a CPU run may use: what the machine has free, and what an address-space limit
/// (`ulimit -v`) leaves this process.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub free: u64,
    pub address_space: Option<u64>,
}

impl From<u64> for Memory {
    fn from(free: u64) -> Memory {
        Memory {
            free,
            address_space: None,
        }
    }
}

impl Memory {
    /// What the machine and the process's limits allow now.
    pub fn now() -> Memory {
        use sysinfo::{MemoryRefreshKind, RefreshKind, System};
        let free = System::new_with_specifics(
            RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
        )
        .map(|s| s.available_memory())
        .unwrap_or(u64::MAX);
        Memory {
            free,
            address_space: address_space_left(),
        }
    }
}

/// The address space this process may still map under RLIMIT_AS: the limit less what is
/// mapped now (VmSize). None without a limit.
#[cfg(target_os = "linux")]
fn address_space_left() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct it is given, which lives here.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    let mapped_kib: u64 = std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    // rlim_t is u32 on 32-bit Linux.
    #[allow(clippy::unnecessary_cast)]
    let limit = limit.rlim_cur as u64;
    Some(limit.saturating_sub(mapped_kib * 1024))
}

#[cfg(not(target_os = "linux"))]
fn address_space_left() -> Option<u64> {
    None
}

/// One operand set (every product of a batch) must fit in half of the free memory (rotation
/// gets at most a quarter); under an address-space limit, the set and faer's workspace must fit
/// in what it leaves.
pub fn check_memory(
    problem: Problem,
    dtype: Dtype,
    memory: Memory,
    llc: u64,
) -> Result<(), GemmError> {
    let need = set_bytes(problem.shape, dtype).saturating_mul(problem.batch as u64);
    let bytes = crate::units::bytes;
    if need > memory.free / 2 {
        return Err(GemmError::TooLarge(format!(
            "{problem} in {dtype} needs {} for A, B and C; this machine has {} free",
            bytes(need),
            bytes(memory.free)
        )));
    }
    let workspace = workspace_bytes(llc);
    if let Some(left) = memory.address_space {
        if need.saturating_add(workspace) > left {
            return Err(GemmError::TooLarge(format!(
                "{problem} in {dtype} needs {} for A, B and C and {} of matmul workspace; \
                 the address-space limit (ulimit -v) leaves this process {}",
                bytes(need),
                bytes(workspace),
                bytes(left)
            )));
        }
    }
    Ok(())
}

/// Why BLAS libraries must not be loaded under this process's limits, if they must not: a
/// library starts its own threads and maps its buffers as it is loaded (OpenBLAS aborts when a
/// thread will not start, and spins under a tight address-space limit), and none of that can be
/// caught. So they are loaded only when the worker threads start and no address-space limit
/// (`ulimit -v`) leaves under 4 GiB; faer runs either way.
pub fn limits_forbid_libraries() -> Option<String> {
    const ROOM: u64 = 4 << 30;
    if let Err(e) = start_threads() {
        return Some(format!("not loaded: {e}"));
    }
    match address_space_left() {
        Some(left) if left < ROOM => Some(format!(
            "not loaded: the address-space limit (ulimit -v) leaves {}, under the {} a library \
             may map as it starts",
            crate::units::bytes(left),
            crate::units::bytes(ROOM)
        )),
        _ => None,
    }
}

/// How many threads the CPU kernels use (rayon's pool, which faer runs on, and the count BLAS
/// libraries are given): 1 when the pool cannot start, which `prepare` then reports.
pub fn worker_threads() -> usize {
    match start_threads() {
        Ok(()) => rayon::current_num_threads().max(1),
        Err(_) => 1,
    }
}

/// faer's threads are rayon's global pool: started here, so that a failure to start them (a
/// thread or address-space limit) is an error that says so, not a panic inside faer. Tried
/// once: rayon does not retry a pool that failed to start.
fn start_threads() -> Result<(), GemmError> {
    static STARTED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    STARTED
        .get_or_init(|| match rayon::ThreadPoolBuilder::new().build_global() {
            Ok(()) => Ok(()),
            // Already started: the error carries no cause.
            Err(e) if std::error::Error::source(&e).is_none() => Ok(()),
            Err(e) => Err(format!("cannot start the CPU's worker threads: {e}")),
        })
        .clone()
        .map_err(GemmError::Device)
}

/// Allocates and fills the operand sets for one run of a CPU kernel: faer, or a BLAS library
/// loaded at run time (cpu_blas), which runs one product per call.
pub fn prepare_kernel(
    kernel: &str,
    dtype: Dtype,
    problem: Problem,
    seed: u64,
    llc: u64,
    memory: impl Into<Memory>,
) -> Result<Prepared, GemmError> {
    let memory = memory.into();
    match kernel {
        "faer" => prepare_batched(dtype, problem, seed, llc, memory),
        lib if problem.batch == 1 => {
            check_memory(problem, dtype, memory, llc)?;
            super::cpu_blas::prepare(lib, dtype, problem.shape, seed, llc, memory.free)
        }
        lib => Err(GemmError::Unsupported(format!(
            "{lib} runs one product per call; batched problems ({problem}) run on faer"
        ))),
    }
}

/// Allocates and fills the operand sets for one faer run.
pub fn prepare(
    dtype: Dtype,
    shape: Shape,
    seed: u64,
    llc: u64,
    memory: impl Into<Memory>,
) -> Result<Prepared, GemmError> {
    prepare_batched(dtype, Problem::single(shape), seed, llc, memory)
}

/// As `prepare`, for `problem.batch` products per call.
pub fn prepare_batched(
    dtype: Dtype,
    problem: Problem,
    seed: u64,
    llc: u64,
    memory: impl Into<Memory>,
) -> Result<Prepared, GemmError> {
    let memory = memory.into();
    check_memory(problem, dtype, memory, llc)?;
    start_threads()?;
    let need = set_bytes(problem.shape, dtype).saturating_mul(problem.batch as u64);
    let usable = match memory.address_space {
        Some(left) => memory.free.min(left.saturating_sub(workspace_bytes(llc))),
        None => memory.free,
    };
    let budget = (usable / 4).max(need);
    match dtype {
        Dtype::F32 => Ok(prepare_typed::<f32>(problem, seed, llc, budget)),
        Dtype::F64 => Ok(prepare_typed::<f64>(problem, seed, llc, budget)),
        other => Err(GemmError::Unsupported(format!(
            "the CPU backend measures f32 and f64, not {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_check_counts_c_as_the_kernels_write_it() {
        // bf16 1000^3: A and B 2 MB each, C 4 MB in f32 (the libraries' output): 8 MB, more
        // than half of 15.9 MB. Counted at 2 bytes, C would let the planner accept a job the
        // library's prepare then refused.
        let problem = Problem::single(Shape::cube(1000));
        assert_eq!(set_bytes(problem.shape, Dtype::Bf16), 8_000_000);
        assert!(check_memory(problem, Dtype::Bf16, Memory::from(15_900_000), 0).is_err());
        assert!(check_memory(problem, Dtype::Bf16, Memory::from(16_100_000), 0).is_ok());
        // faer's f64: every operand 8 bytes.
        assert_eq!(set_bytes(problem.shape, Dtype::F64), 24_000_000);
    }
}
