//! Rank, world size and local rank from the launcher's environment: Open MPI, MPICH/Intel MPI
//! (PMI), torchrun, or Slurm. The most specific launcher wins: mpirun inside a Slurm
//! allocation sets both, and only the MPI variables describe the process.

pub use crate::results::{Launcher, RankInfo};

/// (launcher, rank var, size var, local rank vars in order of preference)
const LAUNCHERS: &[(Launcher, &str, &str, &[&str])] = &[
    (
        Launcher::OpenMpi,
        "OMPI_COMM_WORLD_RANK",
        "OMPI_COMM_WORLD_SIZE",
        &["OMPI_COMM_WORLD_LOCAL_RANK"],
    ),
    (
        Launcher::Pmi,
        "PMI_RANK",
        "PMI_SIZE",
        &["MPI_LOCALRANKID", "PMI_LOCAL_RANK"],
    ),
    (Launcher::Torchrun, "RANK", "WORLD_SIZE", &["LOCAL_RANK"]),
    (
        Launcher::Slurm,
        "SLURM_PROCID",
        "SLURM_NTASKS",
        &["SLURM_LOCALID"],
    ),
];

/// Reads the launcher from `var` (the process environment in production, a map in tests).
pub fn detect_with(var: impl Fn(&str) -> Option<String>) -> Result<Option<RankInfo>, String> {
    let num = |name: &str| -> Result<Option<u32>, String> {
        match var(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .map(Some)
                .map_err(|_| format!("launcher variable {name}='{v}' is not a whole number")),
        }
    };
    for (launcher, rank_var, size_var, local_vars) in LAUNCHERS {
        let (Some(rank), Some(size)) = (num(rank_var)?, num(size_var)?) else {
            continue;
        };
        // torchrun's RANK alone is too common a name: require its LOCAL_RANK too.
        let mut local = None;
        for v in *local_vars {
            if let Some(l) = num(v)? {
                local = Some(l);
                break;
            }
        }
        if *launcher == Launcher::Torchrun && local.is_none() {
            continue;
        }
        if size == 0 || rank >= size {
            return Err(format!("{rank_var}={rank} is not below {size_var}={size}"));
        }
        if let Some(l) = local.filter(|l| *l >= size) {
            return Err(format!("the local rank {l} is not below {size_var}={size}"));
        }
        return Ok(Some(RankInfo {
            launcher: *launcher,
            rank,
            world_size: size,
            local_rank: local.unwrap_or(0),
            job_id: var("SLURM_JOB_ID"),
        }));
    }
    Ok(None)
}

pub fn detect() -> Result<Option<RankInfo>, String> {
    detect_with(|k| std::env::var(k).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn each_launcher_is_read() {
        let slurm = detect_with(env(&[
            ("SLURM_PROCID", "5"),
            ("SLURM_NTASKS", "16"),
            ("SLURM_LOCALID", "1"),
            ("SLURM_JOB_ID", "42"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (
                slurm.launcher,
                slurm.rank,
                slurm.world_size,
                slurm.local_rank
            ),
            (Launcher::Slurm, 5, 16, 1)
        );
        assert_eq!(slurm.job_id.as_deref(), Some("42"));
        let ompi = detect_with(env(&[
            ("OMPI_COMM_WORLD_RANK", "3"),
            ("OMPI_COMM_WORLD_SIZE", "8"),
            ("OMPI_COMM_WORLD_LOCAL_RANK", "3"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (ompi.launcher, ompi.rank, ompi.local_rank),
            (Launcher::OpenMpi, 3, 3)
        );
        let pmi = detect_with(env(&[
            ("PMI_RANK", "1"),
            ("PMI_SIZE", "2"),
            ("MPI_LOCALRANKID", "1"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((pmi.launcher, pmi.local_rank), (Launcher::Pmi, 1));
        let torch = detect_with(env(&[
            ("RANK", "7"),
            ("WORLD_SIZE", "8"),
            ("LOCAL_RANK", "3"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (torch.launcher, torch.rank, torch.local_rank),
            (Launcher::Torchrun, 7, 3)
        );
    }

    #[test]
    fn mpirun_inside_slurm_is_read_as_mpi() {
        let r = detect_with(env(&[
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "1"),
            ("OMPI_COMM_WORLD_RANK", "2"),
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_COMM_WORLD_LOCAL_RANK", "0"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((r.launcher, r.rank), (Launcher::OpenMpi, 2));
    }

    #[test]
    fn no_launcher_and_bad_values() {
        assert_eq!(detect_with(env(&[])).unwrap(), None);
        // A lone RANK (common in unrelated tools) is not torchrun.
        assert_eq!(
            detect_with(env(&[("RANK", "1"), ("WORLD_SIZE", "2")])).unwrap(),
            None
        );
        assert!(detect_with(env(&[("SLURM_PROCID", "x"), ("SLURM_NTASKS", "2")])).is_err());
        assert!(detect_with(env(&[("SLURM_PROCID", "4"), ("SLURM_NTASKS", "2")])).is_err());
    }
}
