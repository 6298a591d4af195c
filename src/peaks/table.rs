//! The rated-peak table: one row per accelerator, loaded from `data/peaks.csv`, which is compiled
//! into the binary. Every value is a dense peak (never a sparse headline) with its source.

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize};

use crate::dtype::Dtype;

const PEAKS_CSV: &str = include_str!("../../data/peaks.csv");

/// One accelerator of the table. Peaks are TFLOP/s (TOPS for int8) for the whole board as the
/// literature counts it; `devices_per_board` says how many devices a driver shows for it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ChipRow {
    pub key: String,
    #[serde(deserialize_with = "semicolon_list")]
    pub aliases: Vec<String>,
    pub vendor: String,
    pub arch: String,
    pub cc: String,
    pub units: Option<u32>,
    pub devices_per_board: u32,
    pub boost_mhz: Option<f64>,
    pub tensor_mhz: Option<f64>,
    pub f64: Option<f64>,
    pub f64_tensor: Option<f64>,
    pub f32: Option<f64>,
    pub tf32: Option<f64>,
    pub bf16: Option<f64>,
    pub f16: Option<f64>,
    pub f16_f16acc: Option<f64>,
    pub fp8: Option<f64>,
    pub int8: Option<f64>,
    pub mem_gb: Option<f64>,
    pub mem_bw_gbs: Option<f64>,
    pub tdp_w: Option<f64>,
    #[serde(deserialize_with = "semicolon_list")]
    pub pci_ids: Vec<String>,
    pub released: String,
    pub source: String,
    pub notes: String,
    /// The row this is a part of where papers count either (a TPU chip's TensorCore, an MI250X
    /// board's GCD, a Trainium chip's NeuronCore): the key of the whole.
    pub part_of: Option<String>,
}

impl ChipRow {
    /// Dense matmul peak of the whole board for `dtype`. For f64 that is the FP64 tensor-core
    /// rate where the chip has one (cuBLAS DGEMM uses it), the vector rate otherwise.
    pub fn board_peak(&self, dtype: Dtype) -> Option<f64> {
        match dtype {
            Dtype::F64 => match (self.f64_tensor, self.f64) {
                (Some(t), Some(v)) => Some(t.max(v)),
                (t, v) => t.or(v),
            },
            Dtype::F32 => self.f32,
            Dtype::Tf32 => self.tf32,
            Dtype::Bf16 => self.bf16,
            Dtype::F16 => self.f16,
            Dtype::Fp8 => self.fp8,
            Dtype::Int8 => self.int8,
        }
    }

    /// Peak of one device as a driver shows it (half a K80 board, one MI250X GCD).
    pub fn device_peak(&self, dtype: Dtype) -> Option<f64> {
        self.board_peak(dtype)
            .map(|p| p / f64::from(self.devices_per_board.max(1)))
    }

    /// The whole this row is a part of (itself where it is no part): what a count of GCDs and a
    /// count of boards, or of cores and of chips, have in common.
    pub fn package(&self) -> &ChipRow {
        self.part_of
            .as_deref()
            .and_then(|key| chips().iter().find(|r| r.key == key))
            .unwrap_or(self)
    }

    /// True for a row of one core of a chip ("Google TPU v3 (core)"), which papers count in
    /// cores: counts and chip-hours of this row are of cores.
    pub fn is_core_row(&self) -> bool {
        self.key.ends_with("(core)")
    }

    /// False for accelerators that are not GPUs (TPU, Trainium, Gaudi, Ascend): their time is
    /// counted in chip-hours.
    pub fn is_gpu(&self) -> bool {
        !matches!(self.cc.as_str(), "XLA" | "Neuron" | "HPU" | "NPU")
    }

    /// Board peaks for every dtype the chip has.
    pub fn board_peaks(&self) -> Vec<(Dtype, f64)> {
        Dtype::ALL
            .into_iter()
            .filter_map(|d| self.board_peak(d).map(|p| (d, p)))
            .collect()
    }

    /// The dtype a literature estimate assumes for this chip: its fastest dense float format of
    /// 16 bits or more (f32 for chips without tensor units, such as the P100 whose f16 is packed
    /// vector math). None where the table cannot tell: no float rate, or tensor units (a tensor
    /// clock) whose rate is known only with f16 accumulate (Titan RTX), which training does not
    /// use.
    pub fn default_training_dtype(&self) -> Option<Dtype> {
        let tensor_units = self.tensor_mhz.is_some();
        if tensor_units && self.bf16.is_none() && self.f16.is_none() && self.f16_f16acc.is_some() {
            return None;
        }
        [Dtype::Bf16, Dtype::F16, Dtype::Tf32, Dtype::F32]
            .into_iter()
            .filter_map(|d| self.board_peak(d).map(|p| (d, p)))
            // Strictly greater, so bf16 wins a tie with f16 (the format large runs train in).
            .fold(None, |best: Option<(Dtype, f64)>, (d, p)| match best {
                Some((_, bp)) if bp >= p => best,
                _ => Some((d, p)),
            })
            .map(|(d, _)| d)
    }
}

fn semicolon_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let s = String::deserialize(d)?;
    Ok(s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect())
}

/// FLOP per clock per SM of an NVIDIA architecture, from `data/arch_rates.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct ArchRates {
    pub cc: String,
    pub arch: String,
    pub f64: Option<f64>,
    pub f32: Option<f64>,
    pub f64_tensor: Option<f64>,
    pub tf32: Option<f64>,
    pub bf16: Option<f64>,
    pub f16: Option<f64>,
    pub fp8: Option<f64>,
    pub int8: Option<f64>,
    /// Ratio of the clock the tensor ratings assume to the boost clock CUDA reports.
    pub tensor_clock_scale: f64,
    pub source: String,
}

const ARCH_CSV: &str = include_str!("../../data/arch_rates.csv");

pub(crate) fn parse_csv<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Vec<T> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        // The files are compiled in and parsed by a unit test, so this cannot fail at run time.
        .unwrap_or_else(|e| panic!("bundled {what} is malformed: {e}"))
}

static CHIPS: LazyLock<Vec<ChipRow>> = LazyLock::new(|| parse_csv(PEAKS_CSV, "data/peaks.csv"));
static ARCHES: LazyLock<Vec<ArchRates>> =
    LazyLock::new(|| parse_csv(ARCH_CSV, "data/arch_rates.csv"));

/// Every chip of the bundled table.
pub fn chips() -> &'static [ChipRow] {
    &CHIPS
}

/// Per-SM rates for a compute capability such as (9, 0).
pub fn arch_rates(major: i32, minor: i32) -> Option<&'static ArchRates> {
    let cc = format!("{major}.{minor}");
    ARCHES.iter().find(|a| a.cc == cc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_parse_and_every_row_has_a_source_and_a_peak() {
        assert!(chips().len() >= 80);
        for row in chips() {
            assert!(!row.source.is_empty(), "{} has no source", row.key);
            assert!(!row.aliases.is_empty(), "{} has no alias", row.key);
            // A family of SKUs with different peaks carries none, and says so.
            assert!(
                !row.board_peaks().is_empty() || row.notes.contains("family name"),
                "{} has no peak",
                row.key
            );
            assert!(row.devices_per_board >= 1);
        }
        assert!(arch_rates(9, 0).is_some());
        assert!(arch_rates(4, 2).is_none());
    }

    #[test]
    fn f64_gemm_peak_uses_the_tensor_rate_where_there_is_one() {
        let a100 = chips().iter().find(|r| r.key == "A100 SXM4 80GB").unwrap();
        assert_eq!(a100.board_peak(Dtype::F64), Some(19.5));
        let v100 = chips().iter().find(|r| r.key == "Tesla V100 SXM2").unwrap();
        assert_eq!(v100.board_peak(Dtype::F64), Some(7.8));
    }

    #[test]
    fn multi_device_boards_share_their_peak() {
        let k80 = chips()
            .iter()
            .find(|r| r.key.starts_with("Tesla K80"))
            .unwrap();
        assert_eq!(k80.board_peak(Dtype::F32), Some(8.74));
        assert_eq!(k80.device_peak(Dtype::F32), Some(4.37));
    }

    #[test]
    fn every_part_names_its_whole_and_divides_each_peak_by_its_count_of_parts() {
        let parts: Vec<&ChipRow> = chips().iter().filter(|r| r.part_of.is_some()).collect();
        assert_eq!(
            parts.len(),
            8,
            "TPU v2-v5p cores, MI250(X) GCDs, Trainium NeuronCores"
        );
        for part in parts {
            let whole = part.package();
            assert_ne!(whole.key, part.key, "{}: part_of names no row", part.key);
            let ratios: Vec<f64> = part
                .board_peaks()
                .into_iter()
                .map(|(d, p)| whole.board_peak(d).unwrap_or(f64::NAN) / p)
                .collect();
            let n = ratios[0].round();
            assert!(n >= 2.0, "{}: {ratios:?}", part.key);
            assert!(
                ratios.iter().all(|r| (r / n - 1.0).abs() < 0.002),
                "{}: {ratios:?}",
                part.key
            );
        }
        let whole = chips().iter().find(|r| r.key == "A100 SXM4 80GB").unwrap();
        assert!(std::ptr::eq(whole.package(), whole));
        // A new core or GCD row must name its whole, or the chip-time factor reads its own peak.
        for row in chips() {
            let part = row.is_core_row() || row.key.ends_with("(GCD)");
            assert_eq!(part, row.part_of.is_some(), "{}", row.key);
        }
    }

    #[test]
    fn tpu_core_rows_are_half_a_chip() {
        let find = |k: &str| chips().iter().find(|r| r.key == k).unwrap();
        for v in ["v2", "v3", "v4", "v5p"] {
            let chip = find(&format!("Google TPU {v} (chip)"));
            let core = find(&format!("Google TPU {v} (core)"));
            assert_eq!(chip.board_peaks().len(), core.board_peaks().len(), "{v}");
            for (d, p) in chip.board_peaks() {
                assert_eq!(core.board_peak(d), Some(p / 2.0), "{v} {d}");
            }
        }
    }

    #[test]
    fn gcd_rows_are_half_a_board_and_core_rows_are_not_gpus() {
        let find = |k: &str| chips().iter().find(|r| r.key == k).unwrap();
        for board in ["MI250X", "MI250"] {
            let b = find(&format!("Instinct {board} (board)"));
            let g = find(&format!("Instinct {board} (GCD)"));
            assert_eq!(g.devices_per_board, 1);
            for (d, p) in b.board_peaks() {
                assert_eq!(g.board_peak(d), Some(p / 2.0), "{board} {d}");
            }
            assert_eq!(g.tdp_w, b.tdp_w.map(|w| w / 2.0));
        }
        assert_eq!(
            find("Instinct MI250X (GCD)").board_peak(Dtype::Bf16),
            Some(191.5)
        );
        assert!(!find("Google TPU v7 (chip)").is_gpu());
        assert!(!find("AWS Trainium NeuronCore-v2 (core)").is_gpu());
        assert!(find("AWS Trainium NeuronCore-v2 (core)").is_core_row());
        assert!(find("B300 (HGX)").is_gpu());
        // Google publishes 393 TOPS int8 for v5e; the TPU v7 row holds Google's own figures.
        assert_eq!(
            find("Google TPU v5e (chip)").board_peak(Dtype::Int8),
            Some(393.0)
        );
        assert_eq!(
            find("Google TPU v7 (chip)").board_peak(Dtype::Bf16),
            Some(2307.0)
        );
        assert_eq!(
            find("Google TPU v7 (chip)").board_peak(Dtype::Fp8),
            Some(4614.0)
        );
    }

    #[test]
    fn export_variants_keep_their_own_figures() {
        let find = |k: &str| chips().iter().find(|r| r.key == k).unwrap();
        // H800 and A800: the H100 / A100 tensor rates, with the cut interconnect in the notes.
        assert_eq!(find("H800 SXM5 80GB").board_peak(Dtype::Bf16), Some(989.4));
        assert_eq!(find("H800 SXM5 80GB").board_peak(Dtype::Fp8), Some(1978.9));
        assert!(find("H800 SXM5 80GB").notes.contains("NVLink"));
        assert_eq!(find("A800 SXM4 80GB").board_peak(Dtype::Bf16), Some(312.0));
        assert!(find("A800 SXM4 80GB").notes.contains("NVLink"));
        // H20: about 15% of an H100's tensor rate.
        assert_eq!(find("H20 96GB").board_peak(Dtype::Bf16), Some(148.0));
        assert_eq!(find("H20 96GB").board_peak(Dtype::Fp8), Some(296.0));
    }

    #[test]
    fn literature_default_dtype_is_the_fastest_wide_float() {
        let find = |k: &str| chips().iter().find(|r| r.key == k).unwrap();
        assert_eq!(
            find("GeForce GTX 580").default_training_dtype(),
            Some(Dtype::F32)
        );
        assert_eq!(
            find("Tesla V100 SXM2").default_training_dtype(),
            Some(Dtype::F16)
        );
        assert_eq!(
            find("A100 SXM4 80GB").default_training_dtype(),
            Some(Dtype::Bf16)
        );
        // Only the f16-accumulate tensor rate is known: the table cannot say.
        assert_eq!(find("NVIDIA Titan RTX").default_training_dtype(), None);
        // No tensor units: f16 is packed vector math, and the literature used f32.
        assert_eq!(
            find("Tesla P100 SXM2").default_training_dtype(),
            Some(Dtype::F32)
        );
        assert_eq!(
            find("Huawei Ascend 910").default_training_dtype(),
            Some(Dtype::F16)
        );
    }
}
