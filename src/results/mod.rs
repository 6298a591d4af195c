//! The results JSON: types, schema, atomic writing and checked loading.

pub mod best;
pub mod env;
pub mod io;
pub mod schema;
pub mod types;

pub use io::{check_writable, load, write_atomic, write_text_atomic, ResultsError};
pub use types::*;
