//! The data types a GEMM is measured in, with the aliases people type.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Canonical dtype of a measured GEMM. `Bf16`/`F16` mean tensor math with f32 accumulate,
/// `Fp8` means e4m3 inputs with f32 accumulate, `Tf32` means f32 storage with TF32 math.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    F64,
    F32,
    Tf32,
    Bf16,
    F16,
    Fp8,
    Int8,
}

impl Dtype {
    pub const ALL: [Dtype; 7] = [
        Dtype::F64,
        Dtype::F32,
        Dtype::Tf32,
        Dtype::Bf16,
        Dtype::F16,
        Dtype::Fp8,
        Dtype::Int8,
    ];

    /// The order a bench runs dtypes in when none are given: the training headline first, so a
    /// time cap or a crash late in a run keeps the number that matters most.
    pub const HEADLINE_FIRST: [Dtype; 7] = [
        Dtype::Bf16,
        Dtype::Fp8,
        Dtype::F16,
        Dtype::Tf32,
        Dtype::F32,
        Dtype::F64,
        Dtype::Int8,
    ];

    /// Position in [`Dtype::HEADLINE_FIRST`].
    pub fn headline_rank(self) -> usize {
        Dtype::HEADLINE_FIRST
            .iter()
            .position(|d| *d == self)
            .unwrap_or(usize::MAX)
    }

    pub fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "f64",
            Dtype::F32 => "f32",
            Dtype::Tf32 => "tf32",
            Dtype::Bf16 => "bf16",
            Dtype::F16 => "f16",
            Dtype::Fp8 => "fp8",
            Dtype::Int8 => "int8",
        }
    }

    /// Bytes of one input element as stored in memory.
    pub fn input_bytes(self) -> usize {
        match self {
            Dtype::F64 => 8,
            Dtype::F32 | Dtype::Tf32 => 4,
            Dtype::Bf16 | Dtype::F16 => 2,
            Dtype::Fp8 | Dtype::Int8 => 1,
        }
    }

    /// Unit round-off of the inputs (or of the math, for tf32), used for verification tolerances.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Dtype::F64 => f64::EPSILON / 2.0,
            Dtype::F32 => f32::EPSILON as f64 / 2.0,
            Dtype::Tf32 => 2f64.powi(-11),
            Dtype::Bf16 => 2f64.powi(-8),
            Dtype::F16 => 2f64.powi(-11),
            Dtype::Fp8 => 2f64.powi(-4),
            Dtype::Int8 => 0.0,
        }
    }

    /// The names accepted on the command line for each dtype.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Dtype::F64 => &["f64", "fp64", "double", "float64"],
            Dtype::F32 => &["f32", "fp32", "float32", "float", "single"],
            Dtype::Tf32 => &["tf32", "tensorfloat32"],
            Dtype::Bf16 => &["bf16", "bfloat16"],
            Dtype::F16 => &["f16", "fp16", "half", "float16"],
            Dtype::Fp8 => &["fp8", "e4m3", "f8", "float8", "fp8e4m3", "float8_e4m3fn"],
            Dtype::Int8 => &["int8", "i8", "s8"],
        }
    }

    /// Human description of the math this dtype names.
    pub fn describe(self) -> &'static str {
        match self {
            Dtype::F64 => "IEEE fp64 in, fp64 math",
            Dtype::F32 => "IEEE fp32 in, true fp32 math (never TF32)",
            Dtype::Tf32 => "fp32 in, TF32 tensor math, fp32 accumulate",
            Dtype::Bf16 => "bf16 in, tensor math, fp32 accumulate",
            Dtype::F16 => "fp16 in, tensor math, fp32 accumulate",
            Dtype::Fp8 => "fp8 e4m3 in, tensor math, fp32 accumulate",
            Dtype::Int8 => "int8 in, int32 accumulate",
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dtype '{given}': expected one of f64, f32, tf32, bf16, f16, fp8, int8 (aliases: fp64, double, fp32, float32, float, bfloat16, fp16, half, float16, e4m3)")]
pub struct UnknownDtype {
    pub given: String,
}

impl FromStr for Dtype {
    type Err = UnknownDtype;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
        Dtype::ALL
            .into_iter()
            .find(|d| {
                d.aliases()
                    .iter()
                    .any(|a| a.replace(['-', '_'], "") == wanted)
            })
            .ok_or_else(|| UnknownDtype {
                given: s.to_string(),
            })
    }
}

/// Parses a comma-separated list such as "bf16,fp32", keeping order and dropping repeats.
pub fn parse_list(s: &str) -> Result<Vec<Dtype>, UnknownDtype> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let d: Dtype = part.parse()?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.is_empty() {
        return Err(UnknownDtype {
            given: s.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_canonical_names() {
        let cases = [
            ("fp64", Dtype::F64),
            ("double", Dtype::F64),
            ("FP32", Dtype::F32),
            ("float32", Dtype::F32),
            ("float", Dtype::F32),
            ("bfloat16", Dtype::Bf16),
            ("fp16", Dtype::F16),
            ("half", Dtype::F16),
            ("float16", Dtype::F16),
            ("e4m3", Dtype::Fp8),
            ("tf32", Dtype::Tf32),
            ("int8", Dtype::Int8),
        ];
        for (alias, want) in cases {
            assert_eq!(alias.parse::<Dtype>().unwrap(), want, "{alias}");
        }
        for d in Dtype::ALL {
            assert_eq!(d.name().parse::<Dtype>().unwrap(), d);
        }
    }

    #[test]
    fn unknown_dtype_is_an_error_naming_the_value() {
        let err = "fp4".parse::<Dtype>().unwrap_err();
        assert!(err.to_string().contains("'fp4'"));
        assert!(parse_list("bf16,quarter").is_err());
        assert!(parse_list(",").is_err());
    }

    #[test]
    fn lists_keep_order_and_drop_repeats() {
        assert_eq!(
            parse_list("bf16, fp32,bfloat16").unwrap(),
            vec![Dtype::Bf16, Dtype::F32]
        );
    }
}
