//! Times the vector units at their throughput: 24 independent accumulators per core, one vector
//! instruction after another (512- and 256-bit FMA, VDPBF16PS, VPDPBUSD, VFMADD231PH), on every
//! core at once, in thread CPU time. The rates give the FMA width and count per cycle and the
//! clock the vector unit really runs at (an AVX-512 load may run below the scalar clock).

use crate::dtype::Dtype;

use super::cpu_clock::{all_core_rate, thread_cpu_seconds};

/// One vector instruction the probe can time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VecOp {
    Fma512,
    Fma256,
    Bf16Dot512,
    Int8Dot512,
    Fp16Fma512,
}

impl VecOp {
    pub const ALL: [VecOp; 5] = [
        VecOp::Fma512,
        VecOp::Fma256,
        VecOp::Bf16Dot512,
        VecOp::Int8Dot512,
        VecOp::Fp16Fma512,
    ];

    /// The instruction as the manuals write it.
    pub fn instruction(self) -> &'static str {
        match self {
            VecOp::Fma512 => "vfmadd231ps zmm",
            VecOp::Fma256 => "vfmadd231ps ymm",
            VecOp::Bf16Dot512 => "vdpbf16ps zmm",
            VecOp::Int8Dot512 => "vpdpbusd zmm",
            VecOp::Fp16Fma512 => "vfmadd231ph zmm",
        }
    }

    /// The dtype whose peak it sets.
    pub fn dtype(self) -> Dtype {
        match self {
            VecOp::Fma512 | VecOp::Fma256 => Dtype::F32,
            VecOp::Bf16Dot512 => Dtype::Bf16,
            VecOp::Int8Dot512 => Dtype::Int8,
            VecOp::Fp16Fma512 => Dtype::F16,
        }
    }

    /// FLOP (int8: operations) one instruction does, a multiply and an add per product: an FMA
    /// on 16 (8) f32 lanes; VDPBF16PS 16 lanes x 2 bf16 products; VPDPBUSD 16 lanes x 4 byte
    /// products; VFMADD231PH 32 f16 lanes (Intel SDM Vol. 2 for each instruction).
    pub fn flop_per_instruction(self) -> f64 {
        match self {
            VecOp::Fma512 => 32.0,
            VecOp::Fma256 => 16.0,
            VecOp::Bf16Dot512 => 64.0,
            VecOp::Int8Dot512 => 128.0,
            VecOp::Fp16Fma512 => 64.0,
        }
    }

    /// Whether this CPU runs the instruction.
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                VecOp::Fma512 => has!("avx512f"),
                VecOp::Fma256 => has!("avx") && has!("fma"),
                VecOp::Bf16Dot512 => has!("avx512f") && has!("avx512bf16"),
                VecOp::Int8Dot512 => has!("avx512f") && has!("avx512vnni"),
                VecOp::Fp16Fma512 => has!("avx512f") && has!("avx512fp16"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Runs `iterations` loop trips; false where the CPU lacks the instruction.
    fn run(self, iterations: u64) -> bool {
        if !self.available() {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available` checked the CPU features each loop is compiled for.
        unsafe {
            match self {
                VecOp::Fma512 => loops::fma512(iterations),
                VecOp::Fma256 => loops::fma256(iterations),
                VecOp::Bf16Dot512 => loops::bf16dot512(iterations),
                VecOp::Int8Dot512 => loops::int8dot512(iterations),
                VecOp::Fp16Fma512 => loops::fp16fma512(iterations),
            }
        }
        true
    }
}

/// Instructions per loop trip (one per accumulator).
const PER_TRIP: u64 = 24;

/// The timed loops (x86-64 only).
#[cfg(target_arch = "x86_64")]
mod loops {
    use std::arch::asm;

    /// Source operands, as 32-bit patterns broadcast to every lane: f32 1e-3 and 1e-3; bf16 pairs
    /// (1.0, 1.0); bytes of 1; f16 pairs (1.0, 2^-7). Normal numbers that neither overflow nor go
    /// subnormal in the accumulators over any probe length.
    const F32_SRC: [u32; 2] = [0x3a83_126f, 0x3a83_126f];
    const BF16_SRC: [u32; 2] = [0x3f80_3f80, 0x3f80_3f80];
    const INT8_SRC: [u32; 2] = [0x0101_0101, 0x0101_0101];
    const F16_SRC: [u32; 2] = [0x3c00_3c00, 0x2000_2000];

    /// A throughput loop over zmm0-zmm23 with sources in zmm30 and zmm31.
    macro_rules! zmm_loop {
        ($name:ident, $features:literal, $insn:literal, $src:expr) => {
            // SAFETY: callers check the CPU features first (`VecOp::available`).
            #[target_feature(enable = $features)]
            pub(super) unsafe fn $name(iterations: u64) {
                let src = $src;
                // SAFETY: reads the 8 bytes of `src`; writes only the vector registers declared.
                unsafe {
                    asm!(
                        "vpbroadcastd zmm30, dword ptr [{s}]",
                        "vpbroadcastd zmm31, dword ptr [{s} + 4]",
                        ".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23",
                        "vpxord zmm\\r, zmm\\r, zmm\\r",
                        ".endr",
                        "2:",
                        ".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23",
                        concat!($insn, " zmm\\r, zmm30, zmm31"),
                        ".endr",
                        "dec {n}",
                        "jnz 2b",
                        s = in(reg) src.as_ptr(),
                        n = inout(reg) iterations.max(1) => _,
                        out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                        out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                        out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                        out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
                        out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
                        out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                        out("zmm30") _, out("zmm31") _,
                        options(nostack, readonly),
                    );
                }
            }
        };
    }

    zmm_loop!(fma512, "avx512f", "vfmadd231ps", F32_SRC);
    zmm_loop!(bf16dot512, "avx512f,avx512bf16", "vdpbf16ps", BF16_SRC);
    zmm_loop!(int8dot512, "avx512f,avx512vnni", "vpdpbusd", INT8_SRC);
    zmm_loop!(fp16fma512, "avx512f,avx512fp16", "vfmadd231ph", F16_SRC);

    /// The 256-bit FMA loop: 12 accumulators, each taken twice per trip (ymm0-11, sources ymm14-15:
    /// AVX2 machines have 16 vector registers).
    // SAFETY: callers check the CPU features first (`VecOp::available`).
    #[target_feature(enable = "avx,fma")]
    pub(super) unsafe fn fma256(iterations: u64) {
        let src = F32_SRC;
        // SAFETY: reads the 8 bytes of `src`; writes only the vector registers declared.
        unsafe {
            asm!(
                "vbroadcastss ymm14, dword ptr [{s}]",
                "vbroadcastss ymm15, dword ptr [{s} + 4]",
                ".irp r,0,1,2,3,4,5,6,7,8,9,10,11",
                "vxorps ymm\\r, ymm\\r, ymm\\r",
                ".endr",
                "2:",
                ".rept 2",
                ".irp r,0,1,2,3,4,5,6,7,8,9,10,11",
                "vfmadd231ps ymm\\r, ymm14, ymm15",
                ".endr",
                ".endr",
                "dec {n}",
                "jnz 2b",
                s = in(reg) src.as_ptr(),
                n = inout(reg) iterations.max(1) => _,
                out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
                out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
                out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
                out("ymm14") _, out("ymm15") _,
                options(nostack, readonly),
            );
        }
    }
}

/// CPU time one timed run aims at: long enough for the timer and for the clock to settle under
/// the load, short enough that the whole probe stays near a second.
const TARGET_SECONDS: f64 = 0.03;

/// Instructions per second of CPU time on this thread: a short run to size the loop, a warm-up
/// run, then the timed run. None where the CPU lacks the instruction or time cannot be read.
fn op_rate(op: VecOp) -> Option<f64> {
    let timed = |trips: u64| -> Option<f64> {
        let t0 = thread_cpu_seconds()?;
        op.run(trips).then_some(())?;
        let secs = thread_cpu_seconds()? - t0;
        (secs > 0.0).then(|| (trips * PER_TRIP) as f64 / secs)
    };
    let rough = timed(1 << 14)?;
    let trips = ((rough * TARGET_SECONDS) as u64 / PER_TRIP).max(1 << 14);
    timed(trips)?;
    timed(trips)
}

/// Instructions per second per core with every core busy: the slowest core of the best of
/// `tries` (interference only ever slows a run, so the best try is the unit's rate).
pub fn all_core_op_rate(op: VecOp, cores: usize, tries: usize) -> Option<f64> {
    if !op.available() {
        return None;
    }
    all_core_rate(cores, tries, move || op_rate(op))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_available_instruction_runs_at_a_plausible_rate() {
        let clock_hz = crate::device::cpu_clock::measure_all_core_mhz(1)
            .expect("the clock probe gave no result")
            * 1e6;
        for op in VecOp::ALL.into_iter().filter(|o| o.available()) {
            let rate = all_core_op_rate(op, 1, 2).expect("an available op must time");
            // Between one instruction every 4 cycles and 4 per cycle (noise allowed): a loop
            // that did not run, or timed the wrong thing, is off by orders of magnitude.
            let per_cycle = rate / clock_hz;
            assert!((0.2..5.0).contains(&per_cycle), "{op:?}: {per_cycle}/cycle");
        }
    }

    #[test]
    fn missing_instructions_give_no_rate() {
        for op in VecOp::ALL.into_iter().filter(|o| !o.available()) {
            assert_eq!(all_core_op_rate(op, 1, 1), None);
        }
    }
}
