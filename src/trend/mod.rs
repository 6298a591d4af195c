//! The AI-and-Compute trend: landmark runs, the fit of their growth, and the user's estimates.

pub mod data;
pub mod fit;
