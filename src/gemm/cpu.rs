//! CPU GEMM through faer (multi-threaded, SIMD), timed with a monotonic clock.

use std::time::Instant;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use crate::dtype::Dtype;
use crate::measure::cache::operand_sets;
use crate::measure::inputs::{normal_f64, operand_seed};
use crate::measure::Timed;
use crate::results::Shape;

use super::verify::{verify, Precision};
use super::{Gemm, GemmError, Prepared};
use crate::results::Verification;

/// Element types faer multiplies here.
trait Elem: faer::traits::ComplexField + Copy + Send + Sync + 'static {
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Elem for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Elem for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

struct Sets<T: Elem> {
    shape: Shape,
    dtype: Dtype,
    seed: u64,
    a: Vec<Mat<T>>,
    b: Vec<Mat<T>>,
    c: Vec<Mat<T>>,
    next: usize,
}

impl<T: Elem> Timed for Sets<T> {
    fn run(&mut self) -> Result<Vec<f64>, String> {
        let i = self.next;
        self.next = (self.next + 1) % self.a.len();
        let start = Instant::now();
        matmul(
            self.c[i].as_mut(),
            Accum::Replace,
            self.a[i].as_ref(),
            self.b[i].as_ref(),
            T::from_f64(1.0),
            Par::rayon(0),
        );
        Ok(vec![start.elapsed().as_secs_f64()])
    }
}

impl<T: Elem> Gemm for Sets<T> {
    fn verify(&mut self) -> Result<Verification, String> {
        // Recompute set 0 so that C is known to belong to A and B of set 0.
        self.next = 0;
        self.run()?;
        let (a, b, c) = (&self.a[0], &self.b[0], &self.c[0]);
        Ok(verify(
            self.shape,
            Precision::of(self.dtype),
            self.seed,
            |i, p| a[(i, p)].to_f64(),
            |p, j| b[(p, j)].to_f64(),
            |i, j| c[(i, j)].to_f64(),
        ))
    }
}

fn random_mat<T: Elem>(rows: usize, cols: usize, seed: u64) -> Mat<T> {
    let v = normal_f64(rows * cols, seed);
    Mat::from_fn(rows, cols, |i, j| T::from_f64(v[i * cols + j]))
}

fn prepare_typed<T: Elem>(shape: Shape, seed: u64, llc: u64, memory_budget: u64) -> Prepared {
    let elem = std::mem::size_of::<T>() as u64;
    let dtype = if elem == 8 { Dtype::F64 } else { Dtype::F32 };
    let n = operand_sets(set_bytes(shape, dtype), llc, memory_budget);
    let mut sets = Sets::<T> {
        shape,
        dtype,
        seed,
        a: Vec::with_capacity(n),
        b: Vec::with_capacity(n),
        c: Vec::with_capacity(n),
        next: 0,
    };
    for s in 0..n {
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

/// Bytes one operand set of `shape` needs on the CPU (saturating: never a wrapped size).
pub fn set_bytes(shape: Shape, dtype: Dtype) -> u64 {
    shape.operand_bytes(dtype.input_bytes(), dtype.input_bytes())
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

/// One operand set must fit in half of the free memory (rotation gets at most a quarter); under
/// an address-space limit, the set and faer's workspace must fit in what it leaves.
pub fn check_memory(shape: Shape, dtype: Dtype, memory: Memory, llc: u64) -> Result<(), GemmError> {
    let need = set_bytes(shape, dtype);
    let bytes = crate::units::bytes;
    if need > memory.free / 2 {
        return Err(GemmError::TooLarge(format!(
            "shape {shape} in {dtype} needs {} for A, B and C; this machine has {} free",
            bytes(need),
            bytes(memory.free)
        )));
    }
    let workspace = workspace_bytes(llc);
    if let Some(left) = memory.address_space {
        if need.saturating_add(workspace) > left {
            return Err(GemmError::TooLarge(format!(
                "shape {shape} in {dtype} needs {} for A, B and C and {} of matmul workspace; \
                 the address-space limit (ulimit -v) leaves this process {}",
                bytes(need),
                bytes(workspace),
                bytes(left)
            )));
        }
    }
    Ok(())
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

/// Allocates and fills the operand sets for one CPU run.
pub fn prepare(
    dtype: Dtype,
    shape: Shape,
    seed: u64,
    llc: u64,
    memory: impl Into<Memory>,
) -> Result<Prepared, GemmError> {
    let memory = memory.into();
    check_memory(shape, dtype, memory, llc)?;
    start_threads()?;
    let need = set_bytes(shape, dtype);
    let usable = match memory.address_space {
        Some(left) => memory.free.min(left.saturating_sub(workspace_bytes(llc))),
        None => memory.free,
    };
    let budget = (usable / 4).max(need);
    match dtype {
        Dtype::F32 => Ok(prepare_typed::<f32>(shape, seed, llc, budget)),
        Dtype::F64 => Ok(prepare_typed::<f64>(shape, seed, llc, budget)),
        other => Err(GemmError::Unsupported(format!(
            "the CPU backend measures f32 and f64, not {other}"
        ))),
    }
}
