//! The two methods of "AI and Compute" and their inverses, as plain arithmetic.
//! Conventions: a multiply-add (MAC) is 2 FLOP; precision is ignored (an add is an add).

/// 1 petaflop/s-day = 1e15 FLOP/s x 86 400 s.
pub const PFS_DAY_FLOP: f64 = 8.64e19;
pub const SECONDS_PER_DAY: f64 = 86_400.0;

pub fn pfs_days(flop: f64) -> f64 {
    flop / PFS_DAY_FLOP
}

/// How many forward-pass equivalents one training step costs.
#[derive(Debug, Clone, Copy)]
pub struct Passes {
    /// Backward cost relative to forward (2 by default: forward + backward = 3).
    pub backward_factor: f64,
    /// Full activation recomputation: one more forward (hardware FLOPs, not model FLOPs).
    pub recompute: bool,
}

impl Passes {
    pub fn multiplier(&self) -> f64 {
        1.0 + self.backward_factor + if self.recompute { 1.0 } else { 0.0 }
    }
}

/// PaLM appendix B's attention term: 12 L H Q T FLOP per token for forward + backward.
#[derive(Debug, Clone, Copy)]
pub struct Attention {
    pub layers: f64,
    pub heads: f64,
    pub head_dim: f64,
    pub seq_len: f64,
}

#[derive(Debug, Clone, Copy)]
pub enum Workload {
    /// Method 1: forward FLOP per example x examples x epochs.
    PerExample {
        forward_flop: f64,
        examples: f64,
        epochs: f64,
    },
    /// Transformers: 6ND (+ the attention term), N parameters, D tokens.
    Transformer {
        params: f64,
        tokens: f64,
        attention: Option<Attention>,
    },
}

impl Workload {
    /// Forward FLOP of the whole run (one pass over the data).
    pub fn forward_flop(&self) -> f64 {
        match *self {
            Workload::PerExample {
                forward_flop,
                examples,
                epochs,
            } => forward_flop * examples * epochs,
            Workload::Transformer {
                params,
                tokens,
                attention,
            } => {
                let attn = attention
                    .map(|a| 4.0 * a.layers * a.heads * a.head_dim * a.seq_len)
                    .unwrap_or(0.0);
                (2.0 * params + attn) * tokens
            }
        }
    }
}

/// Method 1: counted operations.
pub fn ops_flop(w: &Workload, passes: &Passes) -> f64 {
    w.forward_flop() * passes.multiplier()
}

/// The hardware side of method 2, without utilization.
#[derive(Debug, Clone, Copy)]
pub struct Hardware {
    /// Dense peak of one chip in the precision used, TFLOP/s.
    pub peak_tflops: f64,
    pub count: f64,
    /// Fraction of wall-clock time doing useful work.
    pub goodput: f64,
}

impl Hardware {
    /// FLOP per second of wall-clock time for the whole fleet at utilization `u`.
    pub fn rate(&self, utilization: f64) -> f64 {
        self.count * self.peak_tflops * 1e12 * utilization * self.goodput
    }
}

/// Method 2: chips x peak x time x utilization (x goodput).
pub fn hardware_flop(h: &Hardware, seconds: f64, utilization: f64) -> f64 {
    h.rate(utilization) * seconds
}

/// Inverse: wall-clock seconds to do `flop` with the fleet.
pub fn seconds_needed(flop: f64, h: &Hardware, utilization: f64) -> f64 {
    flop / h.rate(utilization)
}

/// Inverse: chips needed to do `flop` in `seconds` (fractional; round up to buy).
pub fn chips_needed(flop: f64, one_chip: &Hardware, seconds: f64, utilization: f64) -> f64 {
    let per_chip = Hardware {
        count: 1.0,
        ..*one_chip
    };
    flop / (per_chip.rate(utilization) * seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    const TRAIN: Passes = Passes {
        backward_factor: 2.0,
        recompute: false,
    };

    #[test]
    fn alexnet_by_both_methods() {
        // Method 2: 2 GTX 580 x 5.5 days x 1.58 TFLOPS x 0.33 = 500 PF = 0.0058 pfs-days.
        let h = Hardware {
            peak_tflops: 1.58,
            count: 2.0,
            goodput: 1.0,
        };
        let f2 = hardware_flop(&h, 5.5 * SECONDS_PER_DAY, 0.33);
        assert!(close(f2, 500e15, 0.01), "{f2:e}");
        assert!(close(pfs_days(f2), 0.0058, 0.02));
        // Method 1: 0.75 GMAC x 2 x 3 x 1.2M images x 90 epochs. The appendix prints 470 PF;
        // the product of its own inputs is 486 PF (0.0056 pfs-days), within its stated 2-3x.
        let w = Workload::PerExample {
            forward_flop: 0.75e9 * 2.0,
            examples: 1.2e6,
            epochs: 90.0,
        };
        let f1 = ops_flop(&w, &TRAIN);
        assert!(close(f1, 486e15, 1e-9), "{f1:e}");
        assert!(close(pfs_days(f1), 0.0054, 0.05));
    }

    #[test]
    fn resnet151_and_deepspeech2() {
        let w = Workload::PerExample {
            forward_flop: 11.4e9 * 2.0,
            examples: 1.2e6,
            epochs: 128.0,
        };
        // Appendix: 10 000 PF = 0.117 pfs-days (the product is 10 506 PF).
        let f = ops_flop(&w, &TRAIN);
        assert!(close(f, 10_000e15, 0.06), "{f:e}");
        assert!(close(pfs_days(f), 0.117, 0.05));
        // DeepSpeech2: 16 Titan X x 5 days x 6 TFLOPS x 0.50 = 21 000 PF = 0.25 pfs-days.
        let h = Hardware {
            peak_tflops: 6.0,
            count: 16.0,
            goodput: 1.0,
        };
        let f = hardware_flop(&h, 5.0 * SECONDS_PER_DAY, 0.5);
        assert!(close(f, 21_000e15, 0.02), "{f:e}");
        assert!(close(pfs_days(f), 0.25, 0.05));
    }

    #[test]
    fn transformers_6nd_and_attention() {
        let plain = Workload::Transformer {
            params: 1e9,
            tokens: 1e10,
            attention: None,
        };
        assert_eq!(ops_flop(&plain, &TRAIN), 6.0 * 1e9 * 1e10);
        let attn = Workload::Transformer {
            params: 1e9,
            tokens: 1e10,
            attention: Some(Attention {
                layers: 24.0,
                heads: 16.0,
                head_dim: 64.0,
                seq_len: 2048.0,
            }),
        };
        let want = (6.0 * 1e9 + 12.0 * 24.0 * 16.0 * 64.0 * 2048.0) * 1e10;
        assert!(close(ops_flop(&attn, &TRAIN), want, 1e-12));
        let recompute = Passes {
            backward_factor: 2.0,
            recompute: true,
        };
        assert_eq!(ops_flop(&plain, &recompute), 8.0 * 1e9 * 1e10);
    }

    #[test]
    fn inverses_give_back_the_inputs() {
        let h = Hardware {
            peak_tflops: 989.4,
            count: 1024.0,
            goodput: 0.9,
        };
        let secs = 30.0 * SECONDS_PER_DAY;
        let f = hardware_flop(&h, secs, 0.4);
        assert!(close(seconds_needed(f, &h, 0.4), secs, 1e-12));
        assert!(close(chips_needed(f, &h, secs, 0.4), 1024.0, 1e-12));
        assert_eq!(pfs_days(PFS_DAY_FLOP), 1.0);
    }
}
