//! The operation measured, per backend, and its verification.

pub mod cpu;
pub mod cpu_blas;
pub mod cuda;
pub mod fingerprint;
pub mod kernels;
pub mod verify;
pub mod wgpu;

use std::collections::BTreeMap;

use crate::measure::Timed;
use crate::results::Verification;

pub use fingerprint::{Fingerprint, ResultC};

/// A prepared GEMM: timed by the sampler, then verified.
pub trait Gemm: Timed {
    /// Checks the result of one iteration against an f64 reference.
    fn verify(&mut self) -> Result<Verification, String>;

    /// The fingerprint of every operand set's C as it stands (the result of the last iteration
    /// that used the set; zeros before the first), computed where C lives. `sustain` compares
    /// them with each set's first result, bit for bit.
    fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String>;

    /// Operand set `set`'s C as it stands, copied to the host (to tell how a result differs).
    fn result(&mut self, set: usize) -> Result<ResultC, String>;
}

/// Everything a backend sets up before timing starts.
pub struct Prepared {
    pub gemm: Box<dyn Gemm>,
    pub operand_sets: usize,
    pub timer: crate::results::Timer,
    pub compute_type: String,
    pub details: BTreeMap<String, String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum GemmError {
    /// The problem does not fit the device (memory, buffer or binding limits).
    #[error("{0}")]
    TooLarge(String),
    /// The device or kernel cannot run this dtype.
    #[error("{0}")]
    Unsupported(String),
    /// The device failed.
    #[error("{0}")]
    Device(String),
}
