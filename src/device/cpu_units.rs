//! The CPU's matrix and low-precision units, read from CPUID: AMX (BF16, INT8, FP16), AVX512-BF16,
//! AVX512-FP16 and VNNI. A unit counts only where the OS saves its registers (XCR0), since a
//! library cannot use it otherwise.
//!
//! Bits from the Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 2A, CPUID
//! leaf 07H (https://www.intel.com/content/www/us/en/developer/articles/technical/intel-sdm.html),
//! and Vol. 1 section 13.3 for XCR0.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One matrix or low-precision unit the CPU reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum CpuUnit {
    /// AMX tiles with TDPBF16PS: bf16 products, f32 accumulate.
    #[serde(rename = "AMX-BF16")]
    AmxBf16,
    /// AMX tiles with TDPBSSD and kin: int8 products, int32 accumulate.
    #[serde(rename = "AMX-INT8")]
    AmxInt8,
    /// AMX tiles with TDPFP16PS: fp16 products, f32 accumulate.
    #[serde(rename = "AMX-FP16")]
    AmxFp16,
    /// VDPBF16PS on 512-bit vectors.
    #[serde(rename = "AVX512-BF16")]
    Avx512Bf16,
    /// Native fp16 arithmetic (VFMADD*PH) on 512-bit vectors.
    #[serde(rename = "AVX512-FP16")]
    Avx512Fp16,
    /// VPDPBUSD on 512-bit vectors.
    #[serde(rename = "AVX512-VNNI")]
    Avx512Vnni,
    /// VPDPBUSD on 256-bit vectors, VEX-encoded.
    #[serde(rename = "AVX-VNNI")]
    AvxVnni,
}

impl CpuUnit {
    pub fn name(self) -> &'static str {
        match self {
            CpuUnit::AmxBf16 => "AMX-BF16",
            CpuUnit::AmxInt8 => "AMX-INT8",
            CpuUnit::AmxFp16 => "AMX-FP16",
            CpuUnit::Avx512Bf16 => "AVX512-BF16",
            CpuUnit::Avx512Fp16 => "AVX512-FP16",
            CpuUnit::Avx512Vnni => "AVX512-VNNI",
            CpuUnit::AvxVnni => "AVX-VNNI",
        }
    }

    pub fn is_amx(self) -> bool {
        matches!(self, CpuUnit::AmxBf16 | CpuUnit::AmxInt8 | CpuUnit::AmxFp16)
    }
}

impl std::fmt::Display for CpuUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The CPUID and XCR0 words the units are read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuidWords {
    /// Leaf 7 subleaf 0: (EBX, ECX, EDX).
    pub leaf7_0: (u32, u32, u32),
    /// Leaf 7 subleaf 1: EAX.
    pub leaf7_1_eax: u32,
    /// XCR0, the state components the OS saves and restores (0 where XGETBV is absent).
    pub xcr0: u64,
}

/// What CPUID says: the units usable here, and those the CPU has but the OS does not enable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Units {
    pub usable: Vec<CpuUnit>,
    pub disabled_by_os: Vec<CpuUnit>,
}

const fn bit(word: u32, n: u32) -> bool {
    word >> n & 1 == 1
}

/// XCR0 bits: 5-7 opmask and ZMM state (AVX-512), 17-18 XTILECFG and XTILEDATA (AMX).
const XCR0_AVX512: u64 = 0b111 << 5 | 0b110;
const XCR0_AMX: u64 = 0b11 << 17;
const XCR0_AVX: u64 = 0b110;

/// The units described by CPUID words (pure, so the bits can be tested by hand).
pub fn units_from(w: CpuidWords) -> Units {
    let (ebx, ecx, edx) = w.leaf7_0;
    let eax1 = w.leaf7_1_eax;
    let avx512f = bit(ebx, 16);
    let found = [
        (CpuUnit::AmxBf16, bit(edx, 22), XCR0_AMX),
        (CpuUnit::AmxInt8, bit(edx, 25), XCR0_AMX),
        (CpuUnit::AmxFp16, bit(eax1, 21), XCR0_AMX),
        (CpuUnit::Avx512Bf16, avx512f && bit(eax1, 5), XCR0_AVX512),
        (CpuUnit::Avx512Fp16, avx512f && bit(edx, 23), XCR0_AVX512),
        (CpuUnit::Avx512Vnni, avx512f && bit(ecx, 11), XCR0_AVX512),
        (CpuUnit::AvxVnni, bit(eax1, 4), XCR0_AVX),
    ];
    let mut units = Units::default();
    for (unit, present, state) in found {
        if !present {
            continue;
        }
        if w.xcr0 & state == state {
            units.usable.push(unit);
        } else {
            units.disabled_by_os.push(unit);
        }
    }
    units
}

/// This CPU's CPUID words.
#[cfg(target_arch = "x86_64")]
pub fn cpuid_words() -> CpuidWords {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    let max_leaf = __cpuid(0).eax;
    if max_leaf < 7 {
        return CpuidWords::default();
    }
    let l70 = __cpuid_count(7, 0);
    let l71 = if l70.eax >= 1 {
        __cpuid_count(7, 1).eax
    } else {
        0
    };
    // CPUID.1:ECX.OSXSAVE[bit 27] says XGETBV may be executed.
    let xcr0 = if bit(__cpuid(1).ecx, 27) {
        // SAFETY: OSXSAVE is set, so XGETBV with ECX = 0 is defined; it only reads XCR0.
        unsafe { std::arch::x86_64::_xgetbv(0) }
    } else {
        0
    };
    CpuidWords {
        leaf7_0: (l70.ebx, l70.ecx, l70.edx),
        leaf7_1_eax: l71,
        xcr0,
    }
}

/// The units of this CPU (none off x86-64).
pub fn detect() -> Units {
    #[cfg(target_arch = "x86_64")]
    {
        units_from(cpuid_words())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Units::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AMX machine (Sapphire Rapids) built from the bits the SDM names: AVX512F (7.0 EBX 16),
    /// AVX512-VNNI (ECX 11), AMX-BF16/AVX512-FP16/AMX-TILE/AMX-INT8 (EDX 22/23/24/25), AVX-VNNI
    /// and AVX512-BF16 (7.1 EAX 4/5); XCR0 with AVX, AVX-512 and tile state (bits 1-2, 5-7, 17-18).
    const SPR: CpuidWords = CpuidWords {
        leaf7_0: (1 << 16, 1 << 11, 1 << 22 | 1 << 23 | 1 << 24 | 1 << 25),
        leaf7_1_eax: 1 << 4 | 1 << 5,
        xcr0: 0b111 | 0b111 << 5 | 0b11 << 17,
    };

    /// The dev VM's CPU (AMD EPYC, family 1Ah), as CPUID and XGETBV read there.
    const DEV_VM: CpuidWords = CpuidWords {
        leaf7_0: (0xf1bf_07ab, 0x0040_5fc6, 0x0000_0110),
        leaf7_1_eax: 0x0000_0030,
        xcr0: 0xe7,
    };

    #[test]
    fn sapphire_rapids_has_amx_bf16_int8_and_avx512_fp16() {
        let u = units_from(SPR);
        assert_eq!(
            u.usable,
            vec![
                CpuUnit::AmxBf16,
                CpuUnit::AmxInt8,
                CpuUnit::Avx512Bf16,
                CpuUnit::Avx512Fp16,
                CpuUnit::Avx512Vnni,
                CpuUnit::AvxVnni
            ]
        );
        assert!(u.disabled_by_os.is_empty());
    }

    #[test]
    fn the_dev_vm_has_bf16_and_vnni_but_no_amx() {
        let u = units_from(DEV_VM);
        assert_eq!(
            u.usable,
            vec![CpuUnit::Avx512Bf16, CpuUnit::Avx512Vnni, CpuUnit::AvxVnni]
        );
        assert!(!u.usable.iter().any(|x| x.is_amx()));
    }

    #[test]
    fn amx_without_os_tile_state_is_reported_as_disabled() {
        // A kernel older than 5.16 does not enable XTILECFG/XTILEDATA in XCR0.
        let old_kernel = CpuidWords {
            xcr0: 0b111 | 0b111 << 5,
            ..SPR
        };
        let u = units_from(old_kernel);
        assert_eq!(u.disabled_by_os, vec![CpuUnit::AmxBf16, CpuUnit::AmxInt8]);
        assert!(u.usable.contains(&CpuUnit::Avx512Bf16));
    }

    #[test]
    fn each_amx_unit_is_its_own_bit_not_the_tile_bit() {
        // Tiles and BF16 (EDX 24 and 22) without INT8 (EDX 25).
        let bf16_only = CpuidWords {
            leaf7_0: (1 << 16, 0, 1 << 22 | 1 << 24),
            ..SPR
        };
        let u = units_from(bf16_only);
        assert!(u.usable.contains(&CpuUnit::AmxBf16));
        assert!(!u.usable.contains(&CpuUnit::AmxInt8), "{u:?}");
        assert!(!u.usable.contains(&CpuUnit::Avx512Fp16), "{u:?}");
    }

    #[test]
    fn amx_fp16_is_read_from_leaf_7_subleaf_1() {
        let granite_rapids = CpuidWords {
            leaf7_1_eax: SPR.leaf7_1_eax | 1 << 21,
            ..SPR
        };
        assert!(units_from(granite_rapids)
            .usable
            .contains(&CpuUnit::AmxFp16));
        assert!(!units_from(SPR).usable.contains(&CpuUnit::AmxFp16));
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn this_cpu_agrees_with_the_std_feature_probe() {
        let u = detect();
        assert_eq!(
            u.usable.contains(&CpuUnit::Avx512Bf16),
            std::arch::is_x86_feature_detected!("avx512bf16")
        );
        assert_eq!(
            u.usable.contains(&CpuUnit::Avx512Vnni),
            std::arch::is_x86_feature_detected!("avx512vnni")
        );
    }
}
