//! Training compute in pfs-days: the two methods of "AI and Compute", utilization models
//! (fixed, literature priors, calibrated from measurements), goodput, what published chip-time holds beyond them,
//! energy, uncertainty, and the inverses.
//!
//! The command layer builds a typed `request::Request`; `answer::answer` turns it into a
//! `result::Estimate`, which is serialized for `--json` and rendered for people. Nothing here
//! parses flags or names them.

pub mod answer;
pub mod calibrate;
pub mod chip;
pub mod chip_time;
mod chip_time_calibration;
mod chip_time_fit;
pub mod dist;
pub mod energy;
pub mod goodput;
pub mod model;
pub mod notes;
#[cfg(test)]
mod prior_evidence;
pub mod priors;
pub mod request;
pub mod result;
pub mod utilization;
