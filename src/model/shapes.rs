//! The GEMMs of one training step of a transformer on one GPU, Megatron-style: activations are
//! tokens x features (M = tokens), tensor parallelism splits the QKV and MLP-up columns and the
//! attention-out and MLP-down rows (and the vocabulary of the logits) across `tp` GPUs, and
//! expert parallelism spreads a layer's experts over `ep` GPUs.
//!
//! Each forward GEMM Y[M x N] = X[M x K] W[K x N] has two backward GEMMs of the same FLOP:
//! dgrad dX = dY W^T (M x K, inner N) and wgrad dW = X^T dY (K x N, inner M).
//!
//! Attention's products are counted whole, as a batched GEMM computes them: Q K^T (seq x seq,
//! inner head dim) and P V (seq x head dim, inner seq) per query head and sequence, with no
//! halving for the causal mask. That is how PaLM (Chowdhery et al. 2022, appendix B: 6N + 12 L H
//! Q T per token) and Chinchilla (Hoffmann et al. 2022, appendix F: "Key @ Query logits" and
//! "Softmax @ query reductions", 2 x seq x seq x key size x heads each) count them; Kaplan et al.
//! 2020 (Table 1) count 2 n_layer n_ctx d_attn per token forward, half of this, which is what a
//! causal mask leaves. With grouped-query attention the products still run per query head (a
//! group shares its K and V: fewer KV heads narrow the QKV projection, not these products).
//!
//! A mixture of experts routes each GPU's tokens to `top_k` of `experts` experts. The experts
//! are benched at the balanced load: each expert gets ceil(tokens x top_k / experts) tokens from
//! each of the `ep` GPUs, the expert capacity at capacity factor 1 (GShard, Lepikhin et al. 2020;
//! Switch Transformer, Fedus et al. 2021), and the experts of one GPU (experts / ep of them) run
//! as one batched GEMM, which is what a grouped GEMM is when every group has the same size.
//! Experts are not split by `tp` (expert tensor parallelism 1): with tp, each GPU routes its
//! 1/tp of the tokens, as Megatron-Core's MoE runs with sequence parallelism.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::shape::{Problem, Shape};

use super::{ModelConfig, ModelError};

/// How one GPU takes part in the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Split {
    /// Tokens of the micro-batch on this GPU (sequences x sequence length).
    pub tokens_per_step: usize,
    /// Tensor-parallel degree.
    pub tp: usize,
    /// Expert-parallel degree: the GPUs a layer's experts are spread over.
    #[serde(default = "one")]
    pub ep: usize,
}

fn one() -> usize {
    1
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
    /// Latent attention: hidden to the query latent.
    QDown,
    /// Latent attention: query latent to every head's query.
    QUp,
    /// Latent attention: hidden to the key/value latent and the shared rotary key.
    KvDown,
    /// Latent attention: key/value latent to every head's key and value.
    KvUp,
    /// A mixture's gate: hidden to one score per expert.
    Router,
    /// Shared experts' up projection(s) (every token).
    SharedUp,
    SharedDown,
    /// Routed experts' up projection(s), batched over this GPU's experts.
    ExpertUp,
    ExpertDown,
}

/// The parts of a step the weighted figure is broken down into.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Attention's projections and the dense MLPs.
    Projection,
    /// The per-head products Q K^T and P V.
    Attention,
    /// A mixture's router, shared and routed experts.
    Experts,
    /// The output layer.
    Logits,
}

impl Part {
    pub const ALL: [Part; 4] = [
        Part::Projection,
        Part::Attention,
        Part::Experts,
        Part::Logits,
    ];
}

impl Role {
    /// The per-head attention products: batched over sequences and heads.
    pub fn is_attention(self) -> bool {
        matches!(self, Role::AttentionScores | Role::AttentionContext)
    }

    pub fn part(self) -> Part {
        match self {
            Role::AttentionScores | Role::AttentionContext => Part::Attention,
            Role::Router
            | Role::SharedUp
            | Role::SharedDown
            | Role::ExpertUp
            | Role::ExpertDown => Part::Experts,
            Role::Logits => Part::Logits,
            _ => Part::Projection,
        }
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
            Role::QDown => "q_down",
            Role::QUp => "q_up",
            Role::KvDown => "kv_down",
            Role::KvUp => "kv_up",
            Role::Router => "router",
            Role::SharedUp => "shared_up",
            Role::SharedDown => "shared_down",
            Role::ExpertUp => "expert_up",
            Role::ExpertDown => "expert_down",
        })
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Projection => "projection",
            Part::Attention => "attention",
            Part::Experts => "experts",
            Part::Logits => "logits",
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
    /// Gradient of the input (attention: of Q, or of the probabilities P).
    Dgrad,
    /// Gradient of the weight (attention: of K, or of V).
    Wgrad,
}

/// One GEMM of the step, with how often it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepGemm {
    pub role: Role,
    pub pass: Pass,
    pub shape: Shape,
    /// Independent products per call: sequences x local heads for attention, local experts for
    /// routed experts, else 1.
    pub batch: usize,
    /// Calls per step: layers (x 2 for a gated MLP's up projections), or 1 for the logits.
    pub calls: usize,
}

impl StepGemm {
    pub fn flop(&self) -> f64 {
        self.problem().flop() * self.calls as f64
    }

    /// What one call computes.
    pub fn problem(&self) -> Problem {
        Problem {
            shape: self.shape,
            batch: self.batch,
        }
    }
}

fn invalid(msg: String) -> ModelError {
    ModelError::Invalid(msg)
}

/// The split as one GPU sees it.
struct Local {
    /// Query heads and KV heads on this GPU.
    heads: usize,
    kv: usize,
    sequences: usize,
    seq: usize,
}

fn divides(what: &str, n: usize, by: &str, d: usize) -> Result<(), ModelError> {
    if n.is_multiple_of(d) {
        Ok(())
    } else {
        Err(invalid(format!("{by} {d} does not divide {what} {n}")))
    }
}

/// Checks the split against the model.
fn local(c: &ModelConfig, s: Split) -> Result<Local, ModelError> {
    if s.tp == 0 || s.ep == 0 || s.tokens_per_step == 0 {
        return Err(invalid(
            "tp, ep and tokens per step must be at least 1".into(),
        ));
    }
    divides("heads", c.heads, "tp", s.tp)?;
    if c.dense_and_moe_layers().0 > 0 {
        divides("ffn", c.ffn, "tp", s.tp)?;
    }
    match c.moe {
        Some(m) => {
            divides("experts", m.experts, "ep", s.ep)?;
            divides("tokens per step", s.tokens_per_step, "tp", s.tp)?;
        }
        None if s.ep > 1 => {
            return Err(invalid(format!(
                "ep {} needs a mixture of experts; this model is dense",
                s.ep
            )))
        }
        None => {}
    }
    // Megatron replicates KV heads when there are fewer than tp of them.
    let kv = if c.kv_heads >= s.tp {
        divides("kv_heads", c.kv_heads, "tp", s.tp)?;
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
    Ok(Local {
        heads: c.heads / s.tp,
        kv,
        sequences: s.tokens_per_step / seq,
        seq,
    })
}

fn gemm(role: Role, (m, n, k): (usize, usize, usize), batch: usize, calls: usize) -> StepGemm {
    StepGemm {
        role,
        pass: Pass::Forward,
        shape: Shape { m, n, k },
        batch,
        calls,
    }
}

/// One layer's attention, forward: the projections and the per-head products, every layer.
fn attention(c: &ModelConfig, s: Split, l: &Local) -> Vec<StepGemm> {
    let (t, h, layers) = (s.tokens_per_step, c.hidden, c.layers);
    let (dqk, dv) = c.attention_dims();
    let per_head = l.sequences * l.heads;
    let products = [
        gemm(Role::AttentionScores, (l.seq, l.seq, dqk), per_head, layers),
        gemm(Role::AttentionContext, (l.seq, dv, l.seq), per_head, layers),
        gemm(Role::AttentionOut, (t, h, l.heads * dv), 1, layers),
    ];
    let projections = match c.mla {
        None => vec![gemm(
            Role::Qkv,
            (t, (l.heads + 2 * l.kv) * dqk, h),
            1,
            layers,
        )],
        // The down projections are not split by tp; the up projections are, by heads.
        Some(m) => vec![
            gemm(Role::QDown, (t, m.q_lora_rank, h), 1, layers),
            gemm(Role::QUp, (t, l.heads * dqk, m.q_lora_rank), 1, layers),
            gemm(
                Role::KvDown,
                (t, m.kv_lora_rank + m.qk_rope_dim, h),
                1,
                layers,
            ),
            gemm(
                Role::KvUp,
                (t, l.heads * (m.qk_nope_dim + dv), m.kv_lora_rank),
                1,
                layers,
            ),
        ],
    };
    projections.into_iter().chain(products).collect()
}

/// The MLPs, forward: the dense layers', then the mixture's router and experts.
fn mlp(c: &ModelConfig, s: Split) -> Vec<StepGemm> {
    let (t, h) = (s.tokens_per_step, c.hidden);
    let ups = if c.gated_mlp { 2 } else { 1 };
    let (dense, moe_layers) = c.dense_and_moe_layers();
    let mut out = Vec::new();
    if dense > 0 {
        let f = c.ffn / s.tp;
        out.push(gemm(Role::MlpUp, (t, f, h), 1, ups * dense));
        out.push(gemm(Role::MlpDown, (t, h, f), 1, dense));
    }
    let Some(m) = c.moe else { return out };
    let routed = t / s.tp;
    out.push(gemm(Role::Router, (routed, m.experts, h), 1, moe_layers));
    if m.shared_experts > 0 {
        let f = m.shared_experts * m.expert_ffn;
        out.push(gemm(Role::SharedUp, (routed, f, h), 1, ups * moe_layers));
        out.push(gemm(Role::SharedDown, (routed, h, f), 1, moe_layers));
    }
    let per_expert = (routed * m.top_k).div_ceil(m.experts) * s.ep;
    let local = m.experts / s.ep;
    let f = m.expert_ffn;
    out.push(gemm(
        Role::ExpertUp,
        (per_expert, f, h),
        local,
        ups * moe_layers,
    ));
    out.push(gemm(
        Role::ExpertDown,
        (per_expert, h, f),
        local,
        moe_layers,
    ));
    out
}

/// The forward GEMMs of one step: per layer in the order they run, then the logits.
fn forward(c: &ModelConfig, s: Split) -> Result<Vec<StepGemm>, ModelError> {
    let l = local(c, s)?;
    let mut all = attention(c, s, &l);
    all.extend(mlp(c, s));
    // Vocabulary-parallel logits, padded up to a multiple of tp.
    all.push(gemm(
        Role::Logits,
        (s.tokens_per_step, c.vocab.div_ceil(s.tp), c.hidden),
        1,
        1,
    ));
    Ok(all)
}

/// Every GEMM of one training step: the forward ones and their dgrad and wgrad.
pub fn step_gemms(c: &ModelConfig, s: Split) -> Result<Vec<StepGemm>, ModelError> {
    let fwd = forward(c, s)?;
    let mut all = Vec::with_capacity(3 * fwd.len());
    for f in fwd {
        let Shape { m, n, k } = f.shape;
        // The right operand's gradient: dW = X^T dY (K x N); for Q K^T it is dK = dS^T Q
        // (seq x head dim, inner seq), as attention's backward computes it, not dK^T.
        let wgrad = if f.role == Role::AttentionScores {
            Shape { m: n, n: k, k: m }
        } else {
            Shape { m: k, n, k: m }
        };
        all.push(f);
        all.push(StepGemm {
            pass: Pass::Dgrad,
            shape: Shape { m, n: k, k: n },
            ..f
        });
        all.push(StepGemm {
            pass: Pass::Wgrad,
            shape: wgrad,
            ..f
        });
    }
    Ok(all)
}

/// The distinct problems to bench (shape and batch), each once, in step order.
pub fn bench_problems(gemms: &[StepGemm]) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    for g in gemms {
        if !out.contains(&g.problem()) {
            out.push(g.problem());
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

    fn split(tokens_per_step: usize, tp: usize, ep: usize) -> Split {
        Split {
            tokens_per_step,
            tp,
            ep,
        }
    }

    fn s(m: usize, n: usize, k: usize) -> Shape {
        Shape { m, n, k }
    }

    /// GPT-2 small, one sequence of 1024 tokens per step, worked by hand:
    /// QKV 1024 x 2304 x 768 (3 x 12 heads x 64), out 1024 x 768 x 768, up 1024 x 3072 x 768,
    /// down 1024 x 768 x 3072, logits 1024 x 50257 x 768; attention 12 heads of 1024 x 1024 x 64.
    #[test]
    fn gpt2_small_by_hand() {
        let c = &preset("gpt2-small").unwrap().config;
        let all = step_gemms(c, split(1024, 1, 1)).unwrap();
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
        // Backward of S = Q K^T: dQ = dS K and dK = dS^T Q, both 1024 x 64 with inner 1024;
        // of O = P V: dP = dO V^T (1024 x 1024, inner 64) and dV = P^T dO.
        for (role, pass, shape) in [
            (Role::AttentionScores, Pass::Dgrad, s(1024, 64, 1024)),
            (Role::AttentionScores, Pass::Wgrad, s(1024, 64, 1024)),
            (Role::AttentionContext, Pass::Forward, s(1024, 64, 1024)),
            (Role::AttentionContext, Pass::Dgrad, s(1024, 1024, 64)),
            (Role::AttentionContext, Pass::Wgrad, s(1024, 64, 1024)),
        ] {
            let g = find(&all, role, pass);
            assert_eq!((g.shape, g.batch), (shape, 12), "{role} {pass}");
        }
        // Per layer 2 x 1024 x 768 x (2304 + 768 + 3072 + 3072) FLOP forward, x 3 passes, x 12
        // layers: 6 N D with N the 85M non-embedding parameters.
        let layers: f64 = all
            .iter()
            .filter(|g| g.role.part() == Part::Projection)
            .map(StepGemm::flop)
            .sum();
        assert_eq!(layers, 3.0 * 12.0 * 2.0 * 1024.0 * 768.0 * 9216.0);
        // Attention: 2 products x 3 passes x 12 layers x 12 heads x 2 x 1024^2 x 64.
        let attention: f64 = all
            .iter()
            .filter(|g| g.role.is_attention())
            .map(StepGemm::flop)
            .sum();
        assert_eq!(attention, 2.0 * 3.0 * 144.0 * 2.0 * 1024.0 * 1024.0 * 64.0);
        // The distinct problems: out's dgrad equals out's forward, up's dgrad equals down's,
        // ...; attention adds two (12 x 1024x1024x64 and 12 x 1024x64x1024).
        let problems = bench_problems(&all);
        assert_eq!(problems.len(), 14, "{problems:?}");
        assert!(problems.contains(&Problem {
            shape: s(1024, 1024, 64),
            batch: 12
        }));
    }

    /// Llama 2 70B across 8 GPUs, one 4096-token sequence each: QKV keeps 64/8 = 8 query heads
    /// and 8/8 = 1 KV head: (8 + 2) x 128 = 1280 columns; the MLP keeps 28672 / 8 = 3584 twice
    /// (gate and up); the vocabulary 32000 / 8 = 4000.
    #[test]
    fn llama2_70b_tensor_parallel_by_hand() {
        let c = &preset("llama2-70b").unwrap().config;
        let all = step_gemms(c, split(4096, 8, 1)).unwrap();
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
        let tp16 = step_gemms(c, split(4096, 16, 1)).unwrap();
        assert_eq!(find(&tp16, Role::Qkv, Pass::Forward).shape.n, (4 + 2) * 128);
    }

    /// Mixtral 8x7B, one 32768-token sequence, 8 experts over ep 4: each token goes to 2 of 8
    /// experts, so an expert gets 32768 x 2 / 8 = 8192 tokens from each of the 4 GPUs: 32768
    /// rows, and each GPU runs its 2 experts as one batch. The router is 32768 x 8 x 4096.
    #[test]
    fn mixtral_experts_by_hand() {
        let c = &preset("mixtral-8x7b").unwrap().config;
        let all = step_gemms(c, split(32768, 1, 4)).unwrap();
        let up = find(&all, Role::ExpertUp, Pass::Forward);
        assert_eq!(
            (up.shape, up.batch, up.calls),
            (s(32768, 14336, 4096), 2, 64)
        );
        let down = find(&all, Role::ExpertDown, Pass::Wgrad);
        assert_eq!((down.shape, down.batch), (s(14336, 4096, 32768), 2));
        assert_eq!(
            find(&all, Role::Router, Pass::Forward).shape,
            s(32768, 8, 4096)
        );
        assert!(all.iter().all(|g| g.role != Role::MlpUp));
        // Expert FLOP do not depend on ep: 2 of the 8 experts' 3 x 2 x 4096 x 14336 per token.
        let experts = |ep| -> f64 {
            step_gemms(c, split(32768, 1, ep))
                .unwrap()
                .iter()
                .filter(|g| matches!(g.role, Role::ExpertUp | Role::ExpertDown))
                .map(StepGemm::flop)
                .sum()
        };
        let by_hand = 3.0 * 32768.0 * 2.0 * 3.0 * 2.0 * 4096.0 * 14336.0 * 32.0;
        assert_eq!(experts(1), by_hand);
        assert_eq!(experts(8), by_hand);
        // Uneven loads round up to the expert capacity: 1000 tokens x 2 / 8 = 250 each; 999
        // tokens give 249.75, so 250.
        let c999 = ModelConfig {
            seq: 999,
            ..c.clone()
        };
        let up = find(
            &step_gemms(&c999, split(999, 1, 1)).unwrap(),
            Role::ExpertUp,
            Pass::Forward,
        );
        assert_eq!((up.shape.m, up.batch), (250, 8));
    }

    /// DeepSeek-V3 on one GPU, 4096 tokens: latent attention's projections, 192-wide query/key
    /// heads and 128-wide values, the three dense layers and 58 MoE layers whose 256 experts get
    /// 4096 x 8 / 256 = 128 tokens each, beside one shared expert of 2048.
    #[test]
    fn deepseek_v3_by_hand() {
        let c = &preset("deepseek-v3").unwrap().config;
        let all = step_gemms(c, split(4096, 1, 1)).unwrap();
        let f = |role| find(&all, role, Pass::Forward);
        assert_eq!(f(Role::QDown).shape, s(4096, 1536, 7168));
        assert_eq!(f(Role::QUp).shape, s(4096, 128 * 192, 1536));
        assert_eq!(f(Role::KvDown).shape, s(4096, 576, 7168));
        assert_eq!(f(Role::KvUp).shape, s(4096, 128 * 256, 512));
        assert_eq!(f(Role::AttentionOut).shape, s(4096, 7168, 128 * 128));
        let scores = f(Role::AttentionScores);
        assert_eq!((scores.shape, scores.batch), (s(4096, 4096, 192), 128));
        assert_eq!(f(Role::AttentionContext).shape, s(4096, 128, 4096));
        assert_eq!(
            (f(Role::MlpUp).shape, f(Role::MlpUp).calls),
            (s(4096, 18432, 7168), 6)
        );
        assert_eq!(f(Role::SharedUp).shape, s(4096, 2048, 7168));
        let up = f(Role::ExpertUp);
        assert_eq!(
            (up.shape, up.batch, up.calls),
            (s(128, 2048, 7168), 256, 116)
        );
        // Spread over 64 GPUs: 4 experts each, with 128 tokens from each of the 64.
        let ep64 = step_gemms(c, split(4096, 1, 64)).unwrap();
        let up = find(&ep64, Role::ExpertUp, Pass::Forward);
        assert_eq!((up.shape.m, up.batch), (8192, 4));
    }

    /// Forward FLOP per token of every GEMM but attention's products is twice the active
    /// parameters, for dense and MoE presets alike.
    #[test]
    fn forward_flop_per_token_is_twice_the_active_parameters() {
        for name in [
            "gpt2-small",
            "llama3-8b",
            "mixtral-8x7b",
            "deepseek-v3",
            "llama4-scout",
        ] {
            let c = &preset(name).unwrap().config;
            let t = c.seq;
            let fwd: f64 = step_gemms(c, split(t, 1, 1))
                .unwrap()
                .iter()
                .filter(|g| g.pass == Pass::Forward && !g.role.is_attention())
                .map(StepGemm::flop)
                .sum();
            let active = crate::model::params::count(c).active;
            assert!(
                (fwd / t as f64 / (2.0 * active) - 1.0).abs() < 1e-12,
                "{name}: {} vs {}",
                fwd / t as f64,
                2.0 * active
            );
        }
    }

    #[test]
    fn impossible_splits_are_refused() {
        let c = &preset("gpt2-small").unwrap().config;
        assert!(step_gemms(c, split(1024, 5, 1)).is_err());
        assert!(step_gemms(c, split(1500, 1, 1)).is_err());
        assert!(step_gemms(c, split(0, 1, 1)).is_err());
        let e = step_gemms(c, split(1024, 1, 2)).unwrap_err().to_string();
        assert!(e.contains("ep 2 needs a mixture of experts"), "{e}");
        // Shorter than a sequence: one sequence of that length.
        assert!(step_gemms(c, split(512, 1, 1)).is_ok());
        let mixtral = &preset("mixtral-8x7b").unwrap().config;
        let e = step_gemms(mixtral, split(32768, 1, 3))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "ep 3 does not divide experts 8");
    }
}
