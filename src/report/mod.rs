//! Reports of results files: terminal tables, Markdown, and a self-contained HTML page with
//! charts; across several files, a comparison with ratios.

pub mod charts;
pub mod html;
pub mod summary;
pub mod tables;
