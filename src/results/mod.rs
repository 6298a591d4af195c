//! The results JSON: types, schema, atomic writing and checked loading.

pub mod best;
pub mod cluster;
pub mod env;
pub mod io;
pub mod schema;
pub mod sustain;
pub mod types;
pub mod validate;

pub use io::{load, load_any, parse, write_atomic, Document, ResultsError};
pub use types::*;
