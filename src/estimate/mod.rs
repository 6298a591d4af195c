//! Training compute in pfs-days: the two methods of "AI and Compute", utilization models
//! (fixed, literature priors, calibrated from measurements), uncertainty, and the inverses.

pub mod calibrate;
pub mod dist;
pub mod model;
pub mod priors;
pub mod request;
