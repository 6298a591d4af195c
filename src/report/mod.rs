//! Reports of results files: terminal tables, Markdown, CSV, and a self-contained HTML page with
//! charts; across several files, a comparison with ratios.

pub mod charts;
pub mod cluster;
pub mod cluster_charts;
pub mod cluster_tables;
pub mod csv;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod html;
pub mod model;
pub mod noise;
pub mod summary;
pub mod sustain;
pub mod tables;
