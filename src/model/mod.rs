//! A transformer's dimensions (data/models.csv presets, or given by the user), from which the
//! GEMMs one training step runs are derived (`shapes`) and its parameters counted (`params`).
//! Pure arithmetic: the bench combines the measured rates into the FLOP-weighted figure.

pub mod params;
pub mod shapes;

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A decoder-only transformer, as the GEMMs see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelConfig {
    /// Model (embedding) dimension.
    pub hidden: usize,
    /// Feed-forward inner dimension of a dense layer.
    pub ffn: usize,
    /// Attention (query) heads.
    pub heads: usize,
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    pub kv_heads: usize,
    pub layers: usize,
    pub vocab: usize,
    /// Training sequence length.
    pub seq: usize,
    /// SwiGLU-style MLP: two up projections (gate and up) instead of one (experts too).
    pub gated_mlp: bool,
    /// The output layer reuses the input embedding's matrix (GPT-2): counted once in the total.
    #[serde(default)]
    pub tied_embeddings: bool,
    /// A mixture of experts in place of the dense MLP (all layers but `dense_layers`).
    #[serde(default)]
    pub moe: Option<Moe>,
    /// Multi-head latent attention (DeepSeek-V2/V3) in place of grouped-query attention.
    #[serde(default)]
    pub mla: Option<Mla>,
}

/// A mixture-of-experts MLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Moe {
    /// Routed experts per layer.
    pub experts: usize,
    /// Routed experts each token goes to.
    pub top_k: usize,
    /// Experts every token goes to (DeepSeek's and Llama 4's shared experts).
    pub shared_experts: usize,
    /// Inner dimension of one expert.
    pub expert_ffn: usize,
    /// Leading layers that keep a dense MLP of `ffn` (DeepSeek-V3's first three).
    pub dense_layers: usize,
}

/// Multi-head latent attention: queries and keys/values go through low-rank projections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Mla {
    /// Query compression dimension (q_lora_rank).
    pub q_lora_rank: usize,
    /// Key/value compression dimension (kv_lora_rank).
    pub kv_lora_rank: usize,
    /// Per-head query/key dimension without rotary embedding.
    pub qk_nope_dim: usize,
    /// Per-head decoupled rotary query/key dimension (the rotary key is shared by the heads).
    pub qk_rope_dim: usize,
    /// Per-head value dimension.
    pub v_head_dim: usize,
}

/// A preset of data/models.csv.
#[derive(Debug, Clone)]
pub struct Preset {
    pub name: String,
    /// Other spellings, ';'-separated.
    pub aliases: String,
    pub config: ModelConfig,
    pub source: String,
}

/// One line of data/models.csv: the nested parts flat, 0 where a model has none.
#[derive(Deserialize)]
struct Row {
    name: String,
    aliases: String,
    hidden: usize,
    ffn: usize,
    heads: usize,
    kv_heads: usize,
    layers: usize,
    vocab: usize,
    seq: usize,
    gated_mlp: bool,
    tied_embeddings: bool,
    experts: usize,
    top_k: usize,
    shared_experts: usize,
    expert_ffn: usize,
    dense_layers: usize,
    q_lora_rank: usize,
    kv_lora_rank: usize,
    qk_nope_dim: usize,
    qk_rope_dim: usize,
    v_head_dim: usize,
    source: String,
}

impl From<Row> for Preset {
    fn from(r: Row) -> Preset {
        Preset {
            name: r.name,
            aliases: r.aliases,
            config: ModelConfig {
                hidden: r.hidden,
                ffn: r.ffn,
                heads: r.heads,
                kv_heads: r.kv_heads,
                layers: r.layers,
                vocab: r.vocab,
                seq: r.seq,
                gated_mlp: r.gated_mlp,
                tied_embeddings: r.tied_embeddings,
                moe: (r.experts > 0).then_some(Moe {
                    experts: r.experts,
                    top_k: r.top_k,
                    shared_experts: r.shared_experts,
                    expert_ffn: r.expert_ffn,
                    dense_layers: r.dense_layers,
                }),
                mla: (r.kv_lora_rank > 0).then_some(Mla {
                    q_lora_rank: r.q_lora_rank,
                    kv_lora_rank: r.kv_lora_rank,
                    qk_nope_dim: r.qk_nope_dim,
                    qk_rope_dim: r.qk_rope_dim,
                    v_head_dim: r.v_head_dim,
                }),
            },
            source: r.source,
        }
    }
}

/// What is wrong with a model's dimensions or its parallel split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model '{given}': presets are {known}")]
    UnknownPreset { given: String, known: String },
    #[error("{0}")]
    Invalid(String),
}

const DATA: &str = include_str!("../../data/models.csv");

/// Every preset (the file is checked by the tests).
pub fn presets() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        csv::Reader::from_reader(DATA.as_bytes())
            .deserialize::<Row>()
            .map(|r| r.map(Preset::from))
            .collect::<Result<_, _>>()
            .expect("data/models.csv is valid (tested)")
    })
}

fn normalize(s: &str) -> String {
    s.trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect()
}

/// A preset by name or alias, case and separators ignored ("Llama 3 70B" = "llama3-70b").
pub fn preset(name: &str) -> Result<&'static Preset, ModelError> {
    let wanted = normalize(name);
    presets()
        .iter()
        .find(|p| {
            normalize(&p.name) == wanted || p.aliases.split(';').any(|a| normalize(a) == wanted)
        })
        .ok_or_else(|| ModelError::UnknownPreset {
            given: name.to_string(),
            known: presets()
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The `key=value` pairs of a `--model-config`, read once.
struct Pairs(std::collections::BTreeMap<String, String>);

impl Pairs {
    const KNOWN: [&'static str; 19] = [
        "hidden",
        "ffn",
        "heads",
        "kv_heads",
        "layers",
        "vocab",
        "seq",
        "gated",
        "tied",
        "experts",
        "top_k",
        "shared_experts",
        "expert_ffn",
        "dense_layers",
        "q_lora_rank",
        "kv_lora_rank",
        "qk_nope_dim",
        "qk_rope_dim",
        "v_head_dim",
    ];

    fn read(text: &str) -> Result<Pairs, ModelError> {
        let mut v = std::collections::BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, val) = part
                .split_once('=')
                .ok_or_else(|| ModelError::Invalid(format!("'{part}' is not key=value")))?;
            v.insert(
                k.trim().to_ascii_lowercase().replace('-', "_"),
                val.trim().to_string(),
            );
        }
        if let Some(k) = v.keys().find(|k| !Self::KNOWN.contains(&k.as_str())) {
            return Err(ModelError::Invalid(format!(
                "unknown key '{k}': expected {}",
                Self::KNOWN.join(", ")
            )));
        }
        Ok(Pairs(v))
    }

    fn has(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }

    /// A whole number from `min`; `default` when absent (None: required).
    fn num(&self, k: &str, min: usize, default: Option<usize>) -> Result<usize, ModelError> {
        let Some(t) = self.0.get(k) else {
            return default.ok_or_else(|| ModelError::Invalid(format!("missing {k}=")));
        };
        t.parse::<usize>()
            .ok()
            .filter(|n| *n >= min && *n <= 1 << 24)
            .ok_or_else(|| {
                ModelError::Invalid(format!("{k}={t}: expected a whole number from {min}"))
            })
    }

    fn flag(&self, k: &str) -> Result<bool, ModelError> {
        match self.0.get(k).map(String::as_str) {
            None | Some("false") | Some("0") | Some("no") => Ok(false),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some(other) => Err(ModelError::Invalid(format!(
                "{k}={other}: expected true or false"
            ))),
        }
    }

    /// experts=,top_k=,expert_ffn= [,shared_experts=][,dense_layers=], or none of them.
    fn moe(&self) -> Result<Option<Moe>, ModelError> {
        if !self.has("experts") {
            return match ["top_k", "shared_experts", "expert_ffn", "dense_layers"]
                .iter()
                .find(|k| self.has(k))
            {
                Some(k) => Err(ModelError::Invalid(format!("{k}= needs experts="))),
                None => Ok(None),
            };
        }
        Ok(Some(Moe {
            experts: self.num("experts", 1, None)?,
            top_k: self.num("top_k", 1, None)?,
            shared_experts: self.num("shared_experts", 0, Some(0))?,
            expert_ffn: self.num("expert_ffn", 1, None)?,
            dense_layers: self.num("dense_layers", 0, Some(0))?,
        }))
    }

    /// kv_lora_rank=,q_lora_rank=,qk_nope_dim=,qk_rope_dim=,v_head_dim=, or none of them.
    fn mla(&self) -> Result<Option<Mla>, ModelError> {
        let keys = [
            "q_lora_rank",
            "kv_lora_rank",
            "qk_nope_dim",
            "qk_rope_dim",
            "v_head_dim",
        ];
        if !keys.iter().any(|k| self.has(k)) {
            return Ok(None);
        }
        Ok(Some(Mla {
            q_lora_rank: self.num("q_lora_rank", 1, None)?,
            kv_lora_rank: self.num("kv_lora_rank", 1, None)?,
            qk_nope_dim: self.num("qk_nope_dim", 1, None)?,
            qk_rope_dim: self.num("qk_rope_dim", 0, None)?,
            v_head_dim: self.num("v_head_dim", 1, None)?,
        }))
    }
}

impl ModelConfig {
    /// Reads `hidden=768,ffn=3072,heads=12,layers=12,vocab=50257,seq=1024` (kv_heads defaults
    /// to heads, gated and tied to false), with `experts=8,top_k=2,expert_ffn=14336
    /// [,shared_experts=1][,dense_layers=3]` for a mixture of experts and `q_lora_rank=..,
    /// kv_lora_rank=..,qk_nope_dim=..,qk_rope_dim=..,v_head_dim=..` for latent attention.
    pub fn parse(text: &str) -> Result<ModelConfig, ModelError> {
        let p = Pairs::read(text)?;
        let heads = p.num("heads", 1, None)?;
        let c = ModelConfig {
            hidden: p.num("hidden", 1, None)?,
            ffn: p.num("ffn", 1, None)?,
            heads,
            kv_heads: p.num("kv_heads", 1, Some(heads))?,
            layers: p.num("layers", 1, None)?,
            vocab: p.num("vocab", 1, None)?,
            seq: p.num("seq", 1, None)?,
            gated_mlp: p.flag("gated")?,
            tied_embeddings: p.flag("tied")?,
            moe: p.moe()?,
            mla: p.mla()?,
        };
        c.check()?;
        Ok(c)
    }

    /// Heads divide the model dimension (standard attention); KV heads divide the heads; a
    /// mixture routes each token to at most all of its experts and keeps a MoE layer.
    pub fn check(&self) -> Result<(), ModelError> {
        let invalid = |m: String| Err(ModelError::Invalid(m));
        if self.mla.is_none() && !self.hidden.is_multiple_of(self.heads) {
            return invalid(format!(
                "hidden {} is not a multiple of heads {}",
                self.hidden, self.heads
            ));
        }
        if self.kv_heads > self.heads || !self.heads.is_multiple_of(self.kv_heads) {
            return invalid(format!(
                "kv_heads {} must divide heads {}",
                self.kv_heads, self.heads
            ));
        }
        if let Some(m) = self.moe {
            if m.top_k > m.experts {
                return invalid(format!(
                    "top_k {} is more than the {} experts",
                    m.top_k, m.experts
                ));
            }
            if m.dense_layers >= self.layers {
                return invalid(format!(
                    "dense_layers {} leaves none of the {} layers a mixture of experts",
                    m.dense_layers, self.layers
                ));
            }
        }
        Ok(())
    }

    /// Dimension of one attention head (standard attention).
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }

    /// Per-head dimensions of the attention products: (query/key, value).
    pub fn attention_dims(&self) -> (usize, usize) {
        match self.mla {
            Some(m) => (m.qk_nope_dim + m.qk_rope_dim, m.v_head_dim),
            None => (self.head_dim(), self.head_dim()),
        }
    }

    /// Layers with a dense MLP, and layers with a mixture of experts.
    pub fn dense_and_moe_layers(&self) -> (usize, usize) {
        match self.moe {
            Some(m) => (m.dense_layers, self.layers - m.dense_layers),
            None => (self.layers, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_check_and_are_found_by_their_names() {
        assert!(presets().len() >= 11);
        for p in presets() {
            p.config
                .check()
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert!(!p.source.is_empty());
        }
        assert_eq!(preset("GPT-2 small").unwrap().name, "gpt2-small");
        assert_eq!(preset("Llama 3.1 405B").unwrap().config.layers, 126);
        assert_eq!(preset("llama2-70b").unwrap().config.kv_heads, 8);
        let e = preset("gpt5").unwrap_err().to_string();
        assert!(e.contains("'gpt5'") && e.contains("gpt2-small"), "{e}");
    }

    #[test]
    fn configs_are_read_and_checked() {
        let c = ModelConfig::parse(
            "hidden=768,ffn=3072,heads=12,layers=12,vocab=50257,seq=1024,tied=true",
        )
        .unwrap();
        assert_eq!(c, preset("gpt2-small").unwrap().config);
        assert!(ModelConfig::parse("hidden=768").is_err());
        assert!(ModelConfig::parse("hidden=770,ffn=1,heads=12,layers=1,vocab=1,seq=1").is_err());
        assert!(ModelConfig::parse("hidden=0,ffn=1,heads=1,layers=1,vocab=1,seq=1").is_err());
        let e = ModelConfig::parse("hidden=8,ffn=8,heads=2,layers=1,vocab=8,seq=8,bogus=4")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'bogus'"), "{e}");
        // A mixture of experts and latent attention, the keys named as data/models.csv names
        // them: the same as the DeepSeek-V3 preset.
        let ds = ModelConfig::parse(
            "hidden=7168,ffn=18432,heads=128,layers=61,vocab=129280,seq=4096,gated=true,\
             experts=256,top_k=8,shared_experts=1,expert_ffn=2048,dense_layers=3,\
             q_lora_rank=1536,kv_lora_rank=512,qk_nope_dim=128,qk_rope_dim=64,v_head_dim=128",
        )
        .unwrap();
        assert_eq!(ds, preset("DeepSeek V3").unwrap().config);
        let bad = |extra: &str, needle: &str| {
            let e = ModelConfig::parse(&format!(
                "hidden=64,ffn=64,heads=4,layers=2,vocab=10,seq=8,{extra}"
            ))
            .unwrap_err()
            .to_string();
            assert!(e.contains(needle), "{extra}: {e}");
        };
        bad("top_k=2", "top_k= needs experts=");
        bad(
            "experts=4,top_k=8,expert_ffn=16",
            "top_k 8 is more than the 4 experts",
        );
        bad("experts=4,top_k=1", "missing expert_ffn=");
        bad(
            "experts=4,top_k=1,expert_ffn=8,dense_layers=2",
            "leaves none",
        );
        bad("kv_lora_rank=16", "missing q_lora_rank=");
    }
}
