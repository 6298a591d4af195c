//! The measurement engine: statistics, warm-up and stopping rule, cache defeat, inputs.

pub mod cache;
pub mod inputs;
pub mod sampler;
pub mod stats;

pub use sampler::{sample, Budget, Sampling, Timed};
