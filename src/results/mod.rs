//! The results JSON: types, schema, atomic writing and checked loading.

pub mod best;
pub mod env;
pub mod io;
pub mod schema;
pub mod sustain;
pub mod types;
pub mod validate;

pub use io::{load, parse, write_atomic, ResultsError};
pub use types::*;
