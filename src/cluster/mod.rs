//! Clusters: ranks under Slurm, MPI or torchrun, and merging their results.

pub mod launcher;
pub mod merge;
pub mod sync;
