//! Which devices and jobs each rank adds, their ids prefixed with host (and rank):
//! `node1/rank3/cuda:0`. Files of one machine without a launcher (f32 one day, f64 the next)
//! make one machine's record: a device seen before is the same device, and only a job measured
//! twice (same device, kernel, dtype and shape) is an error. Only ids are kept.

use std::collections::{HashMap, HashSet};

use crate::dtype::Dtype;
use crate::results::cluster::RankRecord;
use crate::shape::Problem;

/// What has been merged so far, by id.
#[derive(Default)]
pub struct Seen {
    /// Merged device id -> (its chip, the file it came from first).
    devices: HashMap<String, (String, String)>,
    /// (device, kernel, dtype, problem) of every merged job.
    jobs: HashSet<(String, String, Dtype, Problem)>,
}

impl Seen {
    fn add_devices(&mut self, r: &RankRecord) -> Result<(), String> {
        let mut own = HashSet::new();
        for d in &r.devices {
            if !own.insert(d.id.as_str()) {
                return Err(format!(
                    "{}: device {} appears twice in this file",
                    r.file, d.id
                ));
            }
            match self.devices.get(&d.id) {
                Some((name, first)) if r.rank.is_some() || *name != d.name => {
                    return Err(format!(
                        "{}: device {} is already in another file ({first}): the same rank \
                         merged twice?",
                        r.file, d.id
                    ))
                }
                Some(_) => {}
                None => {
                    self.devices
                        .insert(d.id.clone(), (d.name.clone(), r.file.clone()));
                }
            }
        }
        Ok(())
    }

    /// Adds a rank's devices and jobs; a job merged from an earlier file is an error.
    pub fn add(&mut self, r: &RankRecord) -> Result<(), String> {
        self.add_devices(r)?;
        for j in &r.jobs {
            let key = (j.device.clone(), j.kernel.clone(), j.dtype, j.problem());
            if !self.jobs.insert(key) {
                return Err(format!(
                    "{}: {} {} was measured in another file too: the same results merged twice?",
                    r.file,
                    j.device,
                    j.job()
                ));
            }
        }
        Ok(())
    }

    pub fn devices(&self) -> usize {
        self.devices.len()
    }
}
