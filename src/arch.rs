//! A CUDA compute capability, parsed once: "9.0", "sm_90", "compute_90" and "90" all mean the
//! same, compare in order (8.9 < 9.0 < 10.0), print as "9.0", and name their NVRTC target as
//! "sm_90". In results files it is the string "9.0".

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComputeCapability {
    pub major: u32,
    pub minor: u32,
}

impl ComputeCapability {
    pub const fn new(major: u32, minor: u32) -> ComputeCapability {
        ComputeCapability { major, minor }
    }

    /// The real architecture NVRTC compiles machine code for: "sm_90".
    pub fn sm(self) -> String {
        format!("sm_{}{}", self.major, self.minor)
    }

    /// The virtual architecture of PTX: "compute_90".
    pub fn compute(self) -> String {
        format!("compute_{}{}", self.major, self.minor)
    }
}

impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why a compute capability could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a compute capability: expected 9.0, sm_90 or 90")]
pub struct BadComputeCapability(pub String);

impl FromStr for ComputeCapability {
    type Err = BadComputeCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadComputeCapability(s.to_string());
        let t = s.trim();
        if let Some((major, minor)) = t.split_once('.') {
            return match (major.parse::<u32>(), minor.parse::<u32>()) {
                (Ok(ma), Ok(mi)) if (1..=99).contains(&ma) && mi <= 9 => Ok(Self::new(ma, mi)),
                _ => Err(bad()),
            };
        }
        let digits = t
            .strip_prefix("sm_")
            .or_else(|| t.strip_prefix("compute_"))
            .unwrap_or(t);
        // The last digit is the minor version: 90 is 9.0, 100 is 10.0, 120 is 12.0.
        match digits.parse::<u32>() {
            Ok(v) if (10..=999).contains(&v) && digits.len() >= 2 => Ok(Self::new(v / 10, v % 10)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for ComputeCapability {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ComputeCapability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for ComputeCapability {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ComputeCapability".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "CUDA compute capability, major.minor (e.g. \"9.0\").",
            "pattern": "^[0-9]{1,2}\\.[0-9]$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses_to_one_value() {
        let h100 = ComputeCapability::new(9, 0);
        for s in ["9.0", "sm_90", "compute_90", "90", " 9.0 "] {
            assert_eq!(s.parse::<ComputeCapability>(), Ok(h100), "{s}");
        }
        assert_eq!("sm_100".parse(), Ok(ComputeCapability::new(10, 0)));
        assert_eq!("12.0".parse(), Ok(ComputeCapability::new(12, 0)));
        for bad in ["", "sm_x", "9", "9.", "9.10", "sm_9", "abc", "0.0"] {
            assert!(bad.parse::<ComputeCapability>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ordered_printed_and_serialized_as_results_files_hold_it() {
        let ada = ComputeCapability::new(8, 9);
        assert!(ada < ComputeCapability::new(9, 0));
        assert!(ComputeCapability::new(9, 0) < ComputeCapability::new(10, 0));
        assert_eq!(ada.to_string(), "8.9");
        assert_eq!(
            (ada.sm(), ada.compute()),
            ("sm_89".into(), "compute_89".into())
        );
        assert_eq!(serde_json::to_string(&ada).unwrap(), "\"8.9\"");
        assert_eq!(
            serde_json::from_str::<ComputeCapability>("\"8.9\"").unwrap(),
            ada
        );
        assert!(serde_json::from_str::<ComputeCapability>("\"eight\"").is_err());
    }
}
