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

use super::verify::{verify, verify_batch, Precision};
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
}

fn random_mat<T: Elem>(rows: usize, cols: usize, seed: u64) -> Mat<T> {
    let v = normal_f64(rows * cols, seed);
    Mat::from_fn(rows, cols, |i, j| T::from_f64(v[i * cols + j]))
}

fn prepare_typed<T: Elem>(problem: Problem, seed: u64, llc: u64, memory_budget: u64) -> Prepared {
    let Problem { shape, batch } = problem;
    let elem = std::mem::size_of::<T>() as u64;
    let set_bytes =
        elem * (shape.m * shape.k + shape.k * shape.n + shape.m * shape.n) as u64 * batch as u64;
    let n = operand_sets(set_bytes, llc, memory_budget);
    let dtype = if elem == 8 { Dtype::F64 } else { Dtype::F32 };
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

/// As `check_memory`, for a batch: all its products at once.
pub fn check_memory_batched(
    problem: Problem,
    dtype: Dtype,
    available_memory: u64,
) -> Result<(), GemmError> {
    let need = set_bytes(problem.shape, dtype) * problem.batch as u64;
    if need > available_memory / 2 {
        return Err(GemmError::TooLarge(format!(
            "{problem} in {dtype} needs {} for A, B and C; this machine has {} free",
            crate::units::bytes(need),
            crate::units::bytes(available_memory)
        )));
    }
    check_memory(problem.shape, dtype, available_memory)
}

/// Allocates and fills the operand sets for one CPU run.
pub fn prepare(
    dtype: Dtype,
    shape: Shape,
    seed: u64,
    llc: u64,
    available_memory: u64,
) -> Result<Prepared, GemmError> {
    prepare_batched(dtype, Problem::single(shape), seed, llc, available_memory)
}

/// As `prepare`, for `problem.batch` products per call.
pub fn prepare_batched(
    dtype: Dtype,
    problem: Problem,
    seed: u64,
    llc: u64,
    available_memory: u64,
) -> Result<Prepared, GemmError> {
    check_memory_batched(problem, dtype, available_memory)?;
    let need = set_bytes(problem.shape, dtype) * problem.batch as u64;
    let budget = (available_memory / 4).max(need);
    match dtype {
        Dtype::F32 => Ok(prepare_typed::<f32>(problem, seed, llc, budget)),
        Dtype::F64 => Ok(prepare_typed::<f64>(problem, seed, llc, budget)),
        other => Err(GemmError::Unsupported(format!(
            "the CPU backend measures f32 and f64, not {other}"
        ))),
    }
}
