//! TPU slice names as Google Cloud writes them ("v5p-1024", "v5litepod-256", "TPUv3-32",
//! "v4-128"): the chip and how many chips the slice has.
//!
//! The number counts TensorCores on v2, v3, v4 and v5p (2 per chip: "v3-8" is 4 chips, "v5p-8"
//! is 4 chips in the v5p topology table) and chips on v5e and v6e (1 TensorCore per chip: a
//! "v5litepod-256" is 256 chips). Sources: Google Cloud TPU docs, "TPU v5p" (topology table:
//! 2x2x1 = 8 cores, 4 chips), "TPU v5e" ("Each v5e chip contains one TensorCore"; 256-chip
//! pod), "TPU v6e" (one TensorCore per chip), "TPU v3" ("Each v3 TPU chip contains two
//! TensorCores"; v3-8 = 4 chips) and the JAX ChipVersion table of TensorCores per chip.

/// What the number of a slice name counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceUnit {
    /// v2, v3, v4, v5p: TensorCores, 2 per chip.
    TensorCores,
    /// v5e, v6e: chips (1 TensorCore each).
    Chips,
}

/// A TPU slice: its name, the table row of its chip and its size in chips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// As written ("v5p-1024").
    pub name: String,
    /// The table key of one chip ("Google TPU v5p (chip)").
    pub chip_key: &'static str,
    /// The number in the name.
    pub number: u32,
    pub unit: SliceUnit,
    /// Chips in the slice.
    pub chips: u32,
}

impl Slice {
    /// How the name was read, for a note.
    pub fn describe(&self) -> String {
        match self.unit {
            SliceUnit::TensorCores => format!(
                "'{}' is a TPU slice of {} TensorCores = {} chips (v2, v3, v4 and v5p slice \
                 names count TensorCores, 2 per chip; Google Cloud TPU docs)",
                self.name, self.number, self.chips
            ),
            SliceUnit::Chips => format!(
                "'{}' is a TPU slice of {} chips (v5e and v6e slice names count chips, 1 \
                 TensorCore each; Google Cloud TPU docs)",
                self.name, self.chips
            ),
        }
    }
}

/// A slice name whose number cannot be a slice of that TPU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{name}' is not a TPU slice: {detail}")]
pub struct BadSlice {
    pub name: String,
    pub detail: String,
}

/// The versions a slice name may carry, the chip row and what the number counts.
const VERSIONS: &[(&str, &str, SliceUnit)] = &[
    ("v2", "Google TPU v2 (chip)", SliceUnit::TensorCores),
    ("v3", "Google TPU v3 (chip)", SliceUnit::TensorCores),
    ("v4", "Google TPU v4 (chip)", SliceUnit::TensorCores),
    ("v5p", "Google TPU v5p (chip)", SliceUnit::TensorCores),
    ("v5e", "Google TPU v5e (chip)", SliceUnit::Chips),
    ("v5litepod", "Google TPU v5e (chip)", SliceUnit::Chips),
    ("v5lite", "Google TPU v5e (chip)", SliceUnit::Chips),
    ("v6e", "Google TPU v6e (chip)", SliceUnit::Chips),
];

/// Reads `tokens` (the normalized words of `name`) as a slice name: an optional "tpu", a
/// version and a number. None when the name is not of that form; an error when it is but the
/// number cannot be a slice (zero, or an odd number of TensorCores).
pub fn parse(name: &str, tokens: &[String]) -> Option<Result<Slice, BadSlice>> {
    let words: Vec<&str> = tokens
        .iter()
        .map(String::as_str)
        .map(|t| t.strip_prefix("tpu").filter(|r| !r.is_empty()).unwrap_or(t))
        .filter(|t| *t != "tpu")
        .collect();
    let [version, number] = words.as_slice() else {
        return None;
    };
    let (_, chip_key, unit) = VERSIONS.iter().find(|(v, _, _)| v == version)?;
    let number: u32 = number.parse().ok()?;
    let bad = |detail: String| {
        Some(Err(BadSlice {
            name: name.trim().to_string(),
            detail,
        }))
    };
    let chips = match unit {
        _ if number == 0 => return bad("a slice has at least one chip".into()),
        SliceUnit::TensorCores if number % 2 == 1 => {
            return bad(format!(
                "{version} slice names count TensorCores, 2 per chip, so the number is even"
            ))
        }
        SliceUnit::TensorCores => number / 2,
        SliceUnit::Chips => number,
    };
    Some(Ok(Slice {
        name: name.trim().to_string(),
        chip_key,
        number,
        unit: *unit,
        chips,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peaks::matching::normalize;

    fn slice(name: &str) -> Option<Result<Slice, BadSlice>> {
        parse(name, &normalize(name))
    }

    #[test]
    fn slice_names_give_the_chip_and_the_count() {
        for (name, key, chips) in [
            ("TPUv5e-256", "Google TPU v5e (chip)", 256),
            ("v5litepod-256", "Google TPU v5e (chip)", 256),
            ("v5p-1024", "Google TPU v5p (chip)", 512),
            ("TPUv3-32", "Google TPU v3 (chip)", 16),
            ("v4-128", "Google TPU v4 (chip)", 64),
            ("TPU v4-128", "Google TPU v4 (chip)", 64),
            ("v2-8", "Google TPU v2 (chip)", 4),
            ("v6e-64", "Google TPU v6e (chip)", 64),
        ] {
            let s = slice(name).unwrap().unwrap();
            assert_eq!((s.chip_key, s.chips), (key, chips), "{name}");
        }
    }

    #[test]
    fn other_names_are_not_slices_and_bad_numbers_are_refused() {
        for name in [
            "TPU v3",
            "2048 TPU v3 cores",
            "TPU v4 chips",
            "V100-32",
            "A100",
        ] {
            assert!(slice(name).is_none(), "{name}");
        }
        let e = slice("v3-33").unwrap().unwrap_err();
        assert!(e.to_string().contains("even"), "{e}");
        assert!(slice("v5e-0").unwrap().is_err());
    }
}
