//! Clusters: ranks under Slurm, MPI or torchrun, merging their results, and the NCCL all-reduce
//! between the GPUs of a node; the rank files a cluster file names, read back.

pub mod launcher;
pub mod merge;
pub mod nccl;
pub mod rank_files;
pub mod sync;
