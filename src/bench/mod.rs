//! The `bench` workflow: options, plan, execution, summary.

pub mod options;
pub mod plan;
pub mod runner;
pub mod summary;
