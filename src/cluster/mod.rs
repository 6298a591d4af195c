//! Clusters: ranks under Slurm, MPI or torchrun, merging their results, and the NCCL all-reduce
//! between the GPUs of a node.

pub mod launcher;
pub mod merge;
pub mod nccl;
pub mod sync;
