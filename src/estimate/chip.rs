//! The chip of a hardware estimate: a row of the rated-peak table found by its name as papers
//! write it, and the dense peak of the dtype the run used; or a peak given outright.

use crate::dtype::Dtype;
use crate::peaks::slice::Slice;
use crate::peaks::{lookup, ChipRow, LookupError};

/// A chip and the dense peak an estimate multiplies by.
#[derive(Debug, Clone)]
pub struct Chip {
    /// The table key, or "custom" for a peak given without a table row.
    pub name: String,
    /// The precision of the peak (None: a custom peak of unstated precision).
    pub dtype: Option<Dtype>,
    pub peak_tflops: f64,
    pub peak_source: String,
    pub row: Option<&'static ChipRow>,
    /// How the name was read, where it said more than the chip ("DGX A100", "8x H100", a TPU
    /// slice).
    pub note: Option<String>,
    /// The TPU slice the name was, with its size in chips.
    pub slice: Option<Slice>,
}

/// Why a chip name or dtype gives no peak. The command layer adds which flag helps.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChipError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// A row without any rated peak, such as a family name of several SKUs.
    #[error("'{key}' has no rated peak in the table: {notes}")]
    NoPeaks { key: String, notes: String },
    /// The table cannot tell which dtype a run on this chip trains in.
    #[error("'{key}' has no default training dtype in the table: {detail}")]
    NoDefaultDtype { key: String, detail: String },
    #[error("'{key}' has no dense {dtype} rate in the table (it has: {})", .has.join(", "))]
    NoRate {
        key: String,
        dtype: Dtype,
        has: Vec<String>,
    },
}

impl Chip {
    /// The table row of `name`, with the peak of `dtype` or of the chip's default training dtype.
    pub fn from_table(name: &str, dtype: Option<Dtype>) -> Result<Chip, ChipError> {
        let m = lookup(name)?;
        let row = m.row;
        if row.board_peaks().is_empty() {
            return Err(ChipError::NoPeaks {
                key: row.key.clone(),
                notes: row.notes.clone(),
            });
        }
        let dtype = match dtype {
            Some(d) => d,
            None => row
                .default_training_dtype()
                .ok_or_else(|| ChipError::NoDefaultDtype {
                    key: row.key.clone(),
                    detail: no_default_detail(row),
                })?,
        };
        let peak = row.board_peak(dtype).ok_or_else(|| ChipError::NoRate {
            key: row.key.clone(),
            dtype,
            has: row
                .board_peaks()
                .iter()
                .map(|(d, _)| d.name().to_string())
                .collect(),
        })?;
        Ok(Chip {
            name: row.key.clone(),
            dtype: Some(dtype),
            peak_tflops: peak,
            peak_source: format!("table: {} {dtype} dense peak; {}", row.key, row.source),
            row: Some(row),
            note: m.note,
            slice: m.slice,
        })
    }

    /// A chip known only by its peak.
    pub fn custom(peak_tflops: f64, dtype: Option<Dtype>, source: String) -> Chip {
        Chip {
            name: "custom".into(),
            dtype,
            peak_tflops,
            peak_source: source,
            row: None,
            note: None,
            slice: None,
        }
    }

    /// The same chip with the user's peak in place of the table's.
    pub fn with_peak(self, peak_tflops: f64, source: String) -> Chip {
        Chip {
            peak_tflops,
            peak_source: source,
            ..self
        }
    }

    /// Board power from the table, watts.
    pub fn table_watts(&self) -> Option<f64> {
        self.row.and_then(|r| r.tdp_w)
    }

    /// What its time is counted in: GPU-hours, chip-hours (TPU, Trainium, Gaudi, Ascend) or
    /// core-hours (a per-core row).
    pub fn hours_unit(&self) -> &'static str {
        match self.row {
            Some(r) if r.is_core_row() => "core-hours",
            Some(r) if !r.is_gpu() => "chip-hours",
            _ => "GPU-hours",
        }
    }
}

fn no_default_detail(row: &ChipRow) -> String {
    let has: Vec<String> = row
        .board_peaks()
        .iter()
        .map(|(d, p)| format!("{d} {p}"))
        .collect();
    match row.f16_f16acc {
        Some(v) if row.f16.is_none() => format!(
            "its tensor rate is known only with f16 accumulate ({v} TFLOP/s), not with the f32 \
             accumulate training uses (it has: {})",
            has.join(", ")
        ),
        _ => format!(
            "no dense float rate of 16 bits or more (it has: {})",
            has.join(", ")
        ),
    }
}
