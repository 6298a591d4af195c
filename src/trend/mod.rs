//! The AI-and-Compute trend: the bundled training runs (the paper's own figure, then runs since),
//! each era fitted on its own beside the doubling time published for it, and the user's runs.

pub mod data;
pub mod date;
pub mod eras;
pub mod fit;
pub mod view;
pub mod window;
