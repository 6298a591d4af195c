//! A model's parameters: all of them, and the active ones, those one token's forward pass
//! multiplies (its attention, its dense MLP or its shared and top-k routed experts, the output
//! layer). Two times the active count is the forward FLOP per token of every GEMM but
//! attention's own products, so 6 x active x tokens is the 6ND of a mixture of experts.
//!
//! Weight matrices only: norms and biases (under 0.1% of any preset) and GPT-2's learned
//! position table (0.8M) are left out.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ModelConfig;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Params {
    /// Every weight matrix: all the experts, both embeddings (once when they are tied).
    pub total: f64,
    /// The weights one token's forward pass multiplies: every layer's attention, its dense MLP
    /// or its shared, top-k routed experts and router, and the output layer; not the input
    /// embedding, which is looked up. DeepSeek counts V3's 37B "activated" parameters this way
    /// (36.6B with the 0.9B output head, README_WEIGHTS.md).
    pub active: f64,
    /// The input embedding (vocab x hidden). Meta's 17B for Llama 4 Scout and AI2's 1.3B for
    /// OLMoE count it among the active parameters; add it to compare.
    pub input_embedding: f64,
}

/// Weights of one layer's attention.
pub fn attention(c: &ModelConfig) -> f64 {
    let h = c.hidden as f64;
    let heads = c.heads as f64;
    match c.mla {
        None => {
            let d = c.head_dim() as f64;
            h * (heads + 2.0 * c.kv_heads as f64) * d + heads * d * h
        }
        Some(m) => {
            let (q, kv) = (m.q_lora_rank as f64, m.kv_lora_rank as f64);
            let (nope, rope, v) = (
                m.qk_nope_dim as f64,
                m.qk_rope_dim as f64,
                m.v_head_dim as f64,
            );
            // Query down and up; the joint KV down projection with the shared rotary key; KV
            // up to each head's key and value; the output.
            h * q
                + q * heads * (nope + rope)
                + h * (kv + rope)
                + kv * heads * (nope + v)
                + heads * v * h
        }
    }
}

/// Weights of one MLP (or one expert) of inner width `width`.
pub fn mlp(c: &ModelConfig, width: usize) -> f64 {
    let ups = if c.gated_mlp { 2.0 } else { 1.0 };
    (ups + 1.0) * c.hidden as f64 * width as f64
}

pub fn count(c: &ModelConfig) -> Params {
    let h = c.hidden as f64;
    let embedding = c.vocab as f64 * h;
    let (dense_layers, moe_layers) = c.dense_and_moe_layers();
    let common = c.layers as f64 * attention(c) + dense_layers as f64 * mlp(c, c.ffn);
    let (moe_total, moe_active) = match c.moe {
        Some(m) => {
            let expert = mlp(c, m.expert_ffn);
            let fixed = h * m.experts as f64 + m.shared_experts as f64 * expert;
            (
                fixed + m.experts as f64 * expert,
                fixed + m.top_k as f64 * expert,
            )
        }
        None => (0.0, 0.0),
    };
    let moe_layers = moe_layers as f64;
    let output = if c.tied_embeddings { 0.0 } else { embedding };
    Params {
        total: common + moe_layers * moe_total + embedding + output,
        active: common + moe_layers * moe_active + embedding,
        input_embedding: embedding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::preset;

    fn params(name: &str) -> Params {
        count(&preset(name).unwrap().config)
    }

    fn within(got: f64, published: f64, rel: f64) -> bool {
        (got / published - 1.0).abs() <= rel
    }

    /// Against the counts the model's authors publish (rounded as they round them).
    #[test]
    fn published_totals_and_active_counts() {
        // GPT-2 small, 124M with the position table and biases; Llama 3 8B, 8.03B.
        assert!(within(params("gpt2-small").total, 124.4e6, 0.01));
        assert!(within(params("llama3-8b").total, 8.03e9, 0.005));
        // Mixtral 8x7B: 46.7B total, 12.9B active (the paper: 47B and 13B).
        let m = params("mixtral-8x7b");
        assert!(within(m.total, 46.7e9, 0.005), "{m:?}");
        assert!(within(m.active + m.input_embedding, 12.9e9, 0.005), "{m:?}");
        // DeepSeek-V3: 671B total; 36.6B activated with the output head, no input embedding.
        let d = params("deepseek-v3");
        assert!(within(d.total, 671e9, 0.002), "{d:?}");
        assert!(within(d.active, 36.6e9, 0.005), "{d:?}");
        // OLMoE-1B-7B: 6.9B total, 1.3B active with the embeddings.
        let o = params("olmoe-1b-7b");
        assert!(within(o.total, 6.9e9, 0.01), "{o:?}");
        assert!(within(o.active + o.input_embedding, 1.3e9, 0.02), "{o:?}");
        // Llama 4 Scout: 17B active; 109B total counts its vision encoder too, which is not
        // here (text weights 107.8B).
        let s = params("llama4-scout");
        assert!(within(s.active + s.input_embedding, 17e9, 0.02), "{s:?}");
        assert!(within(s.total, 109e9, 0.02), "{s:?}");
    }

    /// By hand: GPT-2 small's layer is 768 x (2304 + 768) of attention and 2 x 768 x 3072 of
    /// MLP, 7 077 888 weights; 12 layers, and the tied 50257 x 768 embedding once.
    #[test]
    fn gpt2_small_by_hand() {
        let p = params("gpt2-small");
        let layers = 12.0 * 7_077_888.0;
        let embedding = 50257.0 * 768.0;
        assert_eq!(p.total, layers + embedding);
        assert_eq!(p.active, layers + embedding);
        assert_eq!(p.input_embedding, embedding);
    }
}
