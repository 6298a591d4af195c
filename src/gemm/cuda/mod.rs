//! The CUDA backend: cuBLAS, cuBLASLt and our NVRTC-compiled kernels, timed with CUDA events.

pub mod fp8;
pub mod nvrtc;
pub mod operands;
pub mod ops;
pub mod runner;
