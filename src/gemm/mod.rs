//! The operation measured, per backend, and its verification.

pub mod cpu;
pub mod cpu_blas;
pub mod cuda;
pub mod kernels;
pub mod verify;
pub mod wgpu;

use std::collections::BTreeMap;

use crate::measure::Timed;
use crate::results::Verification;

/// A prepared GEMM: timed by the sampler, then verified.
pub trait Gemm: Timed {
    /// Checks the result of one iteration against an f64 reference.
    fn verify(&mut self) -> Result<Verification, String>;
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
