//! What ranks do together. With the `mpi` feature and an MPI launcher: a barrier before every
//! timed job, and rank 0 gathers every rank's summary into one cluster file. Without it,
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

    /// Rank 0 collects every rank's summary (not its samples: they stay in its file) and writes
    /// `cluster.json` beside its own file as they come. Returns the cluster file's path on
    /// rank 0.
    pub fn gather(&self, own: &Results, own_path: &Path) -> Result<Option<PathBuf>, String> {
        #[cfg(feature = "mpi")]
        if let Some(u) = &self.mpi {
            use crate::cluster::merge::{summary, MergeOptions, Merger, Summarized};
            use mpi::point_to_point::{Destination, Source};
            use mpi::topology::Communicator;
            let world = u.world();
            let bytes = std::fs::read(own_path)
                .map_err(|e| format!("cannot read {}: {e}", own_path.display()))?;
            let file = own_path.display().to_string();
            let mine = summary::summarize(&file, &bytes, own, false);
            if world.rank() != 0 {
                let sent = serde_json::to_vec(&mine).map_err(|e| e.to_string())?;
                world.process_at_rank(0).send(&sent[..]);
                return Ok(None);
            }
            let path = own_path.with_file_name("cluster.json");
            let options = MergeOptions {
                threshold: crate::cluster::merge::DEFAULT_STRAGGLER_THRESHOLD,
                with_samples: false,
            };
            let mut merger = Merger::create(&path, options)?;
            merger.add(mine)?;
            for r in 1..world.size() {
                let (data, _) = world.process_at_rank(r).receive_vec::<u8>();
                let s: Summarized = serde_json::from_slice(&data)
                    .map_err(|e| format!("rank {r} sent a bad summary: {e}"))?;
                merger.add(s).map_err(|e| format!("rank {r}: {e}"))?;
            }
            let (_, file) = merger.finish(&path)?;
            file.commit().map_err(|e| e.to_string())?;
            return Ok(Some(path));
        }
        let _ = (own, own_path);
        Ok(None)
    }
}
