//! The rated peak attached to a discovered device, with where it came from.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dtype::Dtype;

use super::formula::Estimate;
use super::matching::{Matched, MatchedBy};

/// Where a device's rated peak came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeakKind {
    /// A row of the bundled table (a datasheet value).
    Table,
    /// A formula from the device's own properties.
    Estimated,
    /// Given by the user.
    User,
    /// Nothing known: utilization cannot be computed.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RatedPeaks {
    /// Dense TFLOP/s (TOPS for int8) per dtype for this one device.
    pub tflops: BTreeMap<Dtype, f64>,
    pub kind: PeakKind,
    /// A sentence naming the source or the formula.
    pub source: String,
    /// The table key that matched, if any.
    pub matched: Option<String>,
}

impl RatedPeaks {
    pub fn unknown(reason: impl Into<String>) -> Self {
        RatedPeaks {
            tflops: BTreeMap::new(),
            kind: PeakKind::Unknown,
            source: reason.into(),
            matched: None,
        }
    }

    pub fn estimated(est: Estimate) -> Self {
        RatedPeaks {
            tflops: est.tflops,
            kind: PeakKind::Estimated,
            source: est.how,
            matched: None,
        }
    }

    /// Peaks of one device of a table row. `units_seen` is the SM/CU count the driver reports:
    /// a device with fewer units than one device of the row (a MIG slice) gets its share.
    pub fn from_table(m: &Matched, units_seen: Option<u32>) -> Self {
        let row = m.row;
        let mut scale = 1.0;
        let mut source = format!(
            "table: {} (matched by {}); {}",
            row.key,
            match m.by {
                MatchedBy::Name => "name",
                MatchedBy::PciId => "PCI id",
            },
            row.source
        );
        if row.devices_per_board > 1 {
            source.push_str(&format!(
                "; board value / {} devices",
                row.devices_per_board
            ));
        }
        if let (Some(seen), Some(units)) = (units_seen, row.units) {
            let per_device = f64::from(units) / f64::from(row.devices_per_board);
            if f64::from(seen) < per_device {
                scale = f64::from(seen) / per_device;
                source.push_str(&format!(
                    "; scaled to {seen} of {per_device} units (partitioned device)"
                ));
            }
        }
        let tflops = Dtype::ALL
            .into_iter()
            .filter_map(|d| row.device_peak(d).map(|p| (d, p * scale)))
            .collect();
        RatedPeaks {
            tflops,
            kind: PeakKind::Table,
            source,
            matched: Some(row.key.clone()),
        }
    }

    /// The user's own figure for one dtype, replacing whatever was known for it.
    pub fn with_user_value(mut self, dtype: Dtype, tflops: f64) -> Self {
        self.tflops.insert(dtype, tflops);
        self.kind = PeakKind::User;
        self.source = format!("given by the user: {tflops} TFLOP/s {dtype}");
        self
    }

    pub fn get(&self, dtype: Dtype) -> Option<f64> {
        self.tflops.get(&dtype).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peaks::lookup;

    #[test]
    fn a_k80_device_gets_half_the_board() {
        let m = lookup("Tesla K80").unwrap();
        let p = RatedPeaks::from_table(&m, Some(13));
        assert_eq!(p.get(Dtype::F32), Some(4.37));
        assert!(p.source.contains("/ 2 devices"));
    }

    #[test]
    fn a_partitioned_device_gets_its_share_of_units() {
        let m = lookup("NVIDIA A100-SXM4-40GB").unwrap();
        let p = RatedPeaks::from_table(&m, Some(54));
        assert_eq!(p.get(Dtype::Bf16), Some(156.0));
        let full = RatedPeaks::from_table(&m, Some(108));
        assert_eq!(full.get(Dtype::Bf16), Some(312.0));
    }
}
