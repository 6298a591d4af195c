//! Rated peaks: the bundled table, name matching (TPU slice names too), and formula estimates.

pub mod cpu;
pub mod formula;
pub mod matching;
pub mod rated;
pub mod slice;
pub mod table;

pub use matching::{lookup, lookup_pci, LookupError, Matched};
pub use rated::{PeakKind, RatedPeaks};
pub use table::{chips, ChipRow};
