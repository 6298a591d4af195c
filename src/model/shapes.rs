//! The GEMMs of one training step of a transformer on one GPU, Megatron-style: activations are
//! tokens x features (M = tokens), tensor parallelism splits the QKV and MLP-up columns and the
//! attention-out and MLP-down rows (and the vocabulary of the logits) across `tp` GPUs.
//!
//! Each forward GEMM Y[M x N] = X[M x K] W[K x N] has two backward GEMMs of the same FLOP:
//! dgrad dX = dY W^T (M x K, inner N) and wgrad dW = X^T dY (K x N, inner M).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::shape::Shape;

use super::{ModelConfig, ModelError};

/// How one GPU takes part in the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Split {
    /// Tokens of the micro-batch on this GPU (sequences x sequence length).
    pub tokens_per_step: usize,
    /// Tensor-parallel degree.
    pub tp: usize,
}

/// Which product of the model a GEMM is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Qkv,
    AttentionOut,
    /// The MLP's up projection (two of them, gate and up, in a gated MLP).
    MlpUp,
    MlpDown,
    Logits,
    /// Q K^T per head (batched over sequences and heads).
    AttentionScores,
    /// softmax(Q K^T) V per head (batched over sequences and heads).
    AttentionContext,
}

impl Role {
    /// The per-head attention products: batched GEMMs, not benched as single ones.
    pub fn is_attention(self) -> bool {
        matches!(self, Role::AttentionScores | Role::AttentionContext)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Qkv => "qkv",
            Role::AttentionOut => "attention_out",
            Role::MlpUp => "mlp_up",
            Role::MlpDown => "mlp_down",
            Role::Logits => "logits",
            Role::AttentionScores => "attention_scores",
            Role::AttentionContext => "attention_context",
        })
    }
}

impl std::fmt::Display for Pass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pass::Forward => "forward",
            Pass::Dgrad => "dgrad",
            Pass::Wgrad => "wgrad",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    Forward,
    /// Gradient of the input.
    Dgrad,
    /// Gradient of the weight.
    Wgrad,
}

/// One GEMM of the step, with how often it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepGemm {
    pub role: Role,
    pub pass: Pass,
    pub shape: Shape,
    /// Independent products per call (sequences x local heads for attention, else 1).
    pub batch: usize,
    /// Calls per step: layers (x 2 for a gated MLP's up projections), or 1 for the logits.
    pub calls: usize,
}

impl StepGemm {
    pub fn flop(&self) -> f64 {
        self.shape.flop() * self.batch as f64 * self.calls as f64
    }
}

fn invalid(msg: String) -> ModelError {
    ModelError::Invalid(msg)
}

/// Checks the split against the model and returns (local heads, local KV heads, sequences,
/// sequence length).
fn local(c: &ModelConfig, s: Split) -> Result<(usize, usize, usize, usize), ModelError> {
    if s.tp == 0 || s.tokens_per_step == 0 {
        return Err(invalid("tp and tokens per step must be at least 1".into()));
    }
    for (what, n) in [("heads", c.heads), ("ffn", c.ffn)] {
        if n % s.tp != 0 {
            return Err(invalid(format!("tp {} does not divide {what} {n}", s.tp)));
        }
    }
    // Megatron replicates KV heads when there are fewer than tp of them.
    let kv = if c.kv_heads >= s.tp {
        if !c.kv_heads.is_multiple_of(s.tp) {
            return Err(invalid(format!(
                "tp {} does not divide kv_heads {}",
                s.tp, c.kv_heads
            )));
        }
        c.kv_heads / s.tp
    } else {
        1
    };
    let seq = c.seq.min(s.tokens_per_step);
    if !s.tokens_per_step.is_multiple_of(seq) {
        return Err(invalid(format!(
            "tokens per step {} is not a whole number of sequences of {}",
            s.tokens_per_step, c.seq
        )));
    }
    Ok((c.heads / s.tp, kv, s.tokens_per_step / seq, seq))
}

/// The forward GEMMs of one step: per layer, then the logits.
fn forward(c: &ModelConfig, s: Split) -> Result<Vec<StepGemm>, ModelError> {
    let (heads, kv, sequences, seq) = local(c, s)?;
    let (t, h, d) = (s.tokens_per_step, c.hidden, c.head_dim());
    let g = |role, m, n, k, batch, calls| StepGemm {
        role,
        pass: Pass::Forward,
        shape: Shape { m, n, k },
        batch,
        calls,
    };
    let l = c.layers;
    let up_calls = if c.gated_mlp { 2 * l } else { l };
    Ok(vec![
        g(Role::Qkv, t, (heads + 2 * kv) * d, h, 1, l),
        g(Role::AttentionOut, t, h, heads * d, 1, l),
        g(Role::MlpUp, t, c.ffn / s.tp, h, 1, up_calls),
        g(Role::MlpDown, t, h, c.ffn / s.tp, 1, l),
        g(Role::AttentionScores, seq, seq, d, sequences * heads, l),
        g(Role::AttentionContext, seq, d, seq, sequences * heads, l),
        // Vocabulary-parallel logits, padded up to a multiple of tp.
        g(Role::Logits, t, c.vocab.div_ceil(s.tp), h, 1, 1),
    ])
}

/// Every GEMM of one training step: the forward ones and their dgrad and wgrad.
pub fn step_gemms(c: &ModelConfig, s: Split) -> Result<Vec<StepGemm>, ModelError> {
    let fwd = forward(c, s)?;
    let mut all = Vec::with_capacity(3 * fwd.len());
    for f in fwd {
        let Shape { m, n, k } = f.shape;
        all.push(f);
        all.push(StepGemm {
            pass: Pass::Dgrad,
            shape: Shape { m, n: k, k: n },
            ..f
        });
        all.push(StepGemm {
            pass: Pass::Wgrad,
            shape: Shape { m: k, n, k: m },
            ..f
        });
    }
    Ok(all)
}

/// The distinct shapes to bench: every non-attention GEMM's, each once, in step order.
pub fn bench_shapes(gemms: &[StepGemm]) -> Vec<Shape> {
    let mut out: Vec<Shape> = Vec::new();
    for g in gemms.iter().filter(|g| !g.role.is_attention()) {
        if !out.contains(&g.shape) {
            out.push(g.shape);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::preset;

    fn find(all: &[StepGemm], role: Role, pass: Pass) -> StepGemm {
        *all.iter()
            .find(|g| g.role == role && g.pass == pass)
            .unwrap()
    }

    /// GPT-2 small, one sequence of 1024 tokens per step, worked by hand:
    /// QKV 1024 x 2304 x 768 (3 x 12 heads x 64), out 1024 x 768 x 768, up 1024 x 3072 x 768,
    /// down 1024 x 768 x 3072, logits 1024 x 50257 x 768; attention 12 heads of 1024 x 1024 x 64.
    #[test]
    fn gpt2_small_by_hand() {
        let c = &preset("gpt2-small").unwrap().config;
        let all = step_gemms(
            c,
            Split {
                tokens_per_step: 1024,
                tp: 1,
            },
        )
        .unwrap();
        let s = |m, n, k| Shape { m, n, k };
        assert_eq!(
            find(&all, Role::Qkv, Pass::Forward).shape,
            s(1024, 2304, 768)
        );
        assert_eq!(find(&all, Role::Qkv, Pass::Dgrad).shape, s(1024, 768, 2304));
        assert_eq!(find(&all, Role::Qkv, Pass::Wgrad).shape, s(768, 2304, 1024));
        assert_eq!(
            find(&all, Role::AttentionOut, Pass::Forward).shape,
            s(1024, 768, 768)
        );
        assert_eq!(
            find(&all, Role::MlpUp, Pass::Forward).shape,
            s(1024, 3072, 768)
        );
        assert_eq!(
            find(&all, Role::MlpDown, Pass::Forward).shape,
            s(1024, 768, 3072)
        );
        assert_eq!(
            find(&all, Role::Logits, Pass::Forward).shape,
            s(1024, 50257, 768)
        );
        let scores = find(&all, Role::AttentionScores, Pass::Forward);
        assert_eq!(
            (scores.shape, scores.batch, scores.calls),
            (s(1024, 1024, 64), 12, 12)
        );
        // Per layer 2 x 1024 x 768 x (2304 + 768 + 3072 + 3072) FLOP forward, x 3 passes, x 12
        // layers: 6 N D with N the 85M non-embedding parameters.
        let layers: f64 = all
            .iter()
            .filter(|g| !g.role.is_attention() && g.role != Role::Logits)
            .map(StepGemm::flop)
            .sum();
        assert_eq!(layers, 3.0 * 12.0 * 2.0 * 1024.0 * 768.0 * 9216.0);
        // The distinct shapes: out's dgrad equals out's forward, up's dgrad equals down's, ...
        let shapes = bench_shapes(&all);
        assert_eq!(shapes.len(), 12, "{shapes:?}");
    }

    /// Llama 2 70B across 8 GPUs, one 4096-token sequence each: QKV keeps 64/8 = 8 query heads
    /// and 8/8 = 1 KV head: (8 + 2) x 128 = 1280 columns; the MLP keeps 28672 / 8 = 3584 twice
    /// (gate and up); the vocabulary 32000 / 8 = 4000.
    #[test]
    fn llama2_70b_tensor_parallel_by_hand() {
        let c = &preset("llama2-70b").unwrap().config;
        let all = step_gemms(
            c,
            Split {
                tokens_per_step: 4096,
                tp: 8,
            },
        )
        .unwrap();
        let s = |m, n, k| Shape { m, n, k };
        assert_eq!(
            find(&all, Role::Qkv, Pass::Forward).shape,
            s(4096, 1280, 8192)
        );
        assert_eq!(
            find(&all, Role::AttentionOut, Pass::Forward).shape,
            s(4096, 8192, 1024)
        );
        let up = find(&all, Role::MlpUp, Pass::Forward);
        assert_eq!((up.shape, up.calls), (s(4096, 3584, 8192), 160));
        assert_eq!(
            find(&all, Role::MlpDown, Pass::Forward).shape,
            s(4096, 8192, 3584)
        );
        assert_eq!(
            find(&all, Role::Logits, Pass::Forward).shape,
            s(4096, 4000, 8192)
        );
        let ctx = find(&all, Role::AttentionContext, Pass::Forward);
        assert_eq!((ctx.shape, ctx.batch), (s(4096, 128, 4096), 8));
        // With tp 16 the 8 KV heads are replicated: one per GPU.
        let tp16 = step_gemms(
            c,
            Split {
                tokens_per_step: 4096,
                tp: 16,
            },
        )
        .unwrap();
        assert_eq!(find(&tp16, Role::Qkv, Pass::Forward).shape.n, (4 + 2) * 128);
    }

    #[test]
    fn impossible_splits_are_refused() {
        let c = &preset("gpt2-small").unwrap().config;
        let split = |tokens_per_step, tp| Split {
            tokens_per_step,
            tp,
        };
        assert!(step_gemms(c, split(1024, 5)).is_err());
        assert!(step_gemms(c, split(1500, 1)).is_err());
        assert!(step_gemms(c, split(0, 1)).is_err());
        // Shorter than a sequence: one sequence of that length.
        assert!(step_gemms(c, split(512, 1)).is_ok());
    }
}
