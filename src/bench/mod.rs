//! The `bench` workflow: options, plan, execution, and a model's weighted figure.

pub mod options;
pub mod plan;
pub mod runner;
pub mod weighted;
