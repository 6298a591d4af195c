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
    let set_bytes = elem * (shape.m * shape.k + shape.k * shape.n + shape.m * shape.n) as u64;
    let n = operand_sets(set_bytes, llc, memory_budget);
    let dtype = if elem == 8 { Dtype::F64 } else { Dtype::F32 };
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

/// Bytes one operand set of `shape` needs on the CPU.
pub fn set_bytes(shape: Shape, dtype: Dtype) -> u64 {
    dtype.input_bytes() as u64 * (shape.m * shape.k + shape.k * shape.n + shape.m * shape.n) as u64
}

/// One operand set must fit in half of the free memory (rotation gets at most a quarter).
pub fn check_memory(shape: Shape, dtype: Dtype, available_memory: u64) -> Result<(), GemmError> {
    let need = set_bytes(shape, dtype);
    if need > available_memory / 2 {
        return Err(GemmError::TooLarge(format!(
            "shape {shape} in {dtype} needs {} for A, B and C; this machine has {} free",
            crate::units::bytes(need),
            crate::units::bytes(available_memory)
        )));
    }
    Ok(())
}

/// Allocates and fills the operand sets for one run of a CPU kernel: faer, or a BLAS library
/// loaded at run time (cpu_blas).
pub fn prepare_kernel(
    kernel: &str,
    dtype: Dtype,
    shape: Shape,
    seed: u64,
    llc: u64,
    available_memory: u64,
) -> Result<Prepared, GemmError> {
    match kernel {
        "faer" => prepare(dtype, shape, seed, llc, available_memory),
        lib => super::cpu_blas::prepare(lib, dtype, shape, seed, llc, available_memory),
    }
}

/// Allocates and fills the operand sets for one faer run.
pub fn prepare(
    dtype: Dtype,
    shape: Shape,
    seed: u64,
    llc: u64,
    available_memory: u64,
) -> Result<Prepared, GemmError> {
    check_memory(shape, dtype, available_memory)?;
    let need = set_bytes(shape, dtype);
    let budget = (available_memory / 4).max(need);
    match dtype {
        Dtype::F32 => Ok(prepare_typed::<f32>(shape, seed, llc, budget)),
        Dtype::F64 => Ok(prepare_typed::<f64>(shape, seed, llc, budget)),
        other => Err(GemmError::Unsupported(format!(
            "the CPU backend measures f32 and f64, not {other}"
        ))),
    }
}
