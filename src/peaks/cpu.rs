//! CPU rates beyond f32 and f64: FLOP per cycle per core of the low-precision units, from the
//! probed vector instructions (VDPBF16PS, VPDPBUSD, VFMADD231PH) and from Intel's documented
//! AMX rates (data/cpu_matrix_units.csv), whichever is higher for a dtype.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::dtype::Dtype;
use crate::results::InstructionRate;

use super::table::parse_csv;

/// One row of data/cpu_matrix_units.csv: a matrix unit's documented rate.
#[derive(Debug, Clone, Deserialize)]
pub struct MatrixUnitRate {
    /// "AMX-BF16", as `cpu_units` names it.
    pub unit: String,
    pub dtype: Dtype,
    pub flop_per_cycle_per_core: f64,
    pub source: String,
}

const UNITS_CSV: &str = include_str!("../../data/cpu_matrix_units.csv");

static MATRIX_UNITS: LazyLock<Vec<MatrixUnitRate>> =
    LazyLock::new(|| parse_csv(UNITS_CSV, "data/cpu_matrix_units.csv"));

/// The documented matrix-unit rates.
pub fn matrix_units() -> &'static [MatrixUnitRate] {
    &MATRIX_UNITS
}

/// A dtype's FLOP per cycle per core and where that figure comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRate {
    pub dtype: Dtype,
    pub flop_per_cycle: f64,
    pub from: String,
}

/// The best rate per low-precision dtype (bf16, f16, int8) of the CPU: its probed vector
/// instructions and the documented rates of the matrix units it has (`units`, as CPUID names
/// them). f32 and f64 are not here: the FMA width and count give those.
pub fn low_precision_rates(instructions: &[InstructionRate], units: &[String]) -> Vec<UnitRate> {
    let mut best: Vec<UnitRate> = Vec::new();
    let mut offer = |r: UnitRate| match best.iter_mut().find(|b| b.dtype == r.dtype) {
        Some(b) if b.flop_per_cycle >= r.flop_per_cycle => {}
        Some(b) => *b = r,
        None => best.push(r),
    };
    for i in instructions
        .iter()
        .filter(|i| matches!(i.dtype, Dtype::Bf16 | Dtype::F16 | Dtype::Int8))
    {
        offer(UnitRate {
            dtype: i.dtype,
            flop_per_cycle: i.flop_per_instruction * i.per_cycle,
            from: format!("{} x {}/cycle (probed)", i.instruction, i.per_cycle),
        });
    }
    for m in matrix_units().iter().filter(|m| units.contains(&m.unit)) {
        offer(UnitRate {
            dtype: m.dtype,
            flop_per_cycle: m.flop_per_cycle_per_core,
            from: format!(
                "{} {} per cycle (documented; unverified here)",
                m.unit, m.flop_per_cycle_per_core
            ),
        });
    }
    best.sort_by_key(|r| r.dtype);
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(insn: &str, dtype: Dtype, flop: f64, per_cycle: f64) -> InstructionRate {
        InstructionRate {
            instruction: insn.into(),
            dtype,
            flop_per_instruction: flop,
            measured_per_cycle: per_cycle,
            per_cycle,
            ceiling_tflops: 0.0,
        }
    }

    #[test]
    fn the_table_has_intels_amx_rates_with_sources() {
        let get = |u: &str| matrix_units().iter().find(|m| m.unit == u).unwrap();
        assert_eq!(get("AMX-BF16").flop_per_cycle_per_core, 1024.0);
        assert_eq!(get("AMX-INT8").flop_per_cycle_per_core, 2048.0);
        assert_eq!(get("AMX-INT8").dtype, Dtype::Int8);
        assert!(matrix_units().iter().all(|m| m.source.contains("Intel")));
    }

    #[test]
    fn amx_outranks_avx512_bf16_where_present() {
        let probed = [
            rate("vfmadd231ps zmm", Dtype::F32, 32.0, 2.0),
            rate("vdpbf16ps zmm", Dtype::Bf16, 64.0, 1.0),
            rate("vpdpbusd zmm", Dtype::Int8, 128.0, 2.0),
        ];
        let without = low_precision_rates(&probed, &[]);
        assert_eq!(
            without
                .iter()
                .map(|r| (r.dtype, r.flop_per_cycle))
                .collect::<Vec<_>>(),
            vec![(Dtype::Bf16, 64.0), (Dtype::Int8, 256.0)]
        );
        let with = low_precision_rates(&probed, &["AMX-BF16".into(), "AMX-INT8".into()]);
        assert_eq!(with[0].flop_per_cycle, 1024.0);
        assert!(with[0].from.contains("AMX-BF16"));
        assert_eq!(with[1].flop_per_cycle, 2048.0);
    }
}
