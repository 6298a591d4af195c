//! What ranks do together. With the `mpi` feature and an MPI launcher: a barrier before every
//! timed job, and rank 0 gathers every rank's results into one merged cluster file. Without it,
//! ranks run independently and `flopmeter merge` combines their files afterwards.

use std::path::{Path, PathBuf};

use crate::cluster::launcher::RankInfo;
use crate::results::Results;

pub struct RankSync {
    #[cfg(feature = "mpi")]
    mpi: Option<mpi::environment::Universe>,
}

impl RankSync {
    /// Joins the MPI world when built with `mpi` and launched by an MPI launcher.
    pub fn new(launcher: Option<&RankInfo>) -> RankSync {
        #[cfg(feature = "mpi")]
        {
            let under_mpi = launcher.is_some_and(|r| r.launcher.is_mpi());
            RankSync {
                mpi: if under_mpi { mpi::initialize() } else { None },
            }
        }
        #[cfg(not(feature = "mpi"))]
        {
            let _ = launcher;
            RankSync {}
        }
    }

    /// Waits until every rank reaches this point (so timed work starts together).
    pub fn barrier(&self) {
        #[cfg(feature = "mpi")]
        if let Some(u) = &self.mpi {
            use mpi::collective::CommunicatorCollectives;
            u.world().barrier();
        }
    }

    /// Rank 0 collects every rank's results and writes `cluster.json` beside its own file.
    /// Returns the cluster file's path on rank 0.
    pub fn gather(&self, own: &Results, own_path: &Path) -> Result<Option<PathBuf>, String> {
        #[cfg(feature = "mpi")]
        if let Some(u) = &self.mpi {
            use mpi::point_to_point::{Destination, Source};
            use mpi::topology::Communicator;
            let world = u.world();
            let bytes = serde_json::to_vec(own).map_err(|e| e.to_string())?;
            if world.rank() != 0 {
                world.process_at_rank(0).send(&bytes[..]);
                return Ok(None);
            }
            let mut all = vec![(own_path.to_path_buf(), own.clone())];
            for r in 1..world.size() {
                let (data, _) = world.process_at_rank(r).receive_vec::<u8>();
                let doc: Results = serde_json::from_slice(&data)
                    .map_err(|e| format!("rank {r} sent bad results: {e}"))?;
                crate::results::validate::validate(&doc)
                    .map_err(|e| format!("rank {r} sent bad results: {e}"))?;
                all.push((PathBuf::from(format!("rank {r}")), doc));
            }
            let merged = crate::cluster::merge::merge(
                all,
                crate::cluster::merge::DEFAULT_STRAGGLER_THRESHOLD,
            )?;
            let path = own_path.with_file_name("cluster.json");
            crate::results::write_atomic(&path, &merged).map_err(|e| e.to_string())?;
            return Ok(Some(path));
        }
        let _ = (own, own_path);
        Ok(None)
    }
}
