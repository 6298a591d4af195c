//! A transformer's dimensions (data/models.csv presets, or given by the user), from which the
//! GEMMs one training step runs are derived (`shapes`). Pure arithmetic: the bench combines the
//! measured rates into the FLOP-weighted figure.

pub mod shapes;

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A decoder-only transformer, as the GEMMs see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelConfig {
    /// Model (embedding) dimension.
    pub hidden: usize,
    /// Feed-forward inner dimension.
    pub ffn: usize,
    /// Attention (query) heads.
    pub heads: usize,
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    pub kv_heads: usize,
    pub layers: usize,
    pub vocab: usize,
    /// Training sequence length.
    pub seq: usize,
    /// SwiGLU-style MLP: two up projections (gate and up) instead of one.
    pub gated_mlp: bool,
}

/// A preset of data/models.csv.
#[derive(Debug, Clone, Deserialize)]
pub struct Preset {
    pub name: String,
    /// Other spellings, ';'-separated.
    pub aliases: String,
    #[serde(flatten)]
    pub config: ModelConfig,
    pub source: String,
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
            .deserialize()
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

impl ModelConfig {
    /// Reads `hidden=768,ffn=3072,heads=12,layers=12,vocab=50257,seq=1024` (kv_heads defaults
    /// to heads, gated to false).
    pub fn parse(text: &str) -> Result<ModelConfig, ModelError> {
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
        let known = [
            "hidden", "ffn", "heads", "kv_heads", "layers", "vocab", "seq", "gated",
        ];
        if let Some(k) = v.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ModelError::Invalid(format!(
                "unknown key '{k}': expected {}",
                known.join(", ")
            )));
        }
        let num = |k: &str| -> Result<usize, ModelError> {
            let t = v
                .get(k)
                .ok_or_else(|| ModelError::Invalid(format!("missing {k}=")))?;
            t.parse::<usize>()
                .ok()
                .filter(|n| *n >= 1 && *n <= 1 << 24)
                .ok_or_else(|| {
                    ModelError::Invalid(format!("{k}={t}: expected a whole number from 1"))
                })
        };
        let heads = num("heads")?;
        let c = ModelConfig {
            hidden: num("hidden")?,
            ffn: num("ffn")?,
            heads,
            kv_heads: if v.contains_key("kv_heads") {
                num("kv_heads")?
            } else {
                heads
            },
            layers: num("layers")?,
            vocab: num("vocab")?,
            seq: num("seq")?,
            gated_mlp: match v.get("gated").map(String::as_str) {
                None | Some("false") | Some("0") | Some("no") => false,
                Some("true") | Some("1") | Some("yes") => true,
                Some(other) => {
                    return Err(ModelError::Invalid(format!(
                        "gated={other}: expected true or false"
                    )))
                }
            },
        };
        c.check()?;
        Ok(c)
    }

    /// Heads divide the model dimension; KV heads divide the heads.
    pub fn check(&self) -> Result<(), ModelError> {
        if !self.hidden.is_multiple_of(self.heads) {
            return Err(ModelError::Invalid(format!(
                "hidden {} is not a multiple of heads {}",
                self.hidden, self.heads
            )));
        }
        if self.kv_heads > self.heads || !self.heads.is_multiple_of(self.kv_heads) {
            return Err(ModelError::Invalid(format!(
                "kv_heads {} must divide heads {}",
                self.kv_heads, self.heads
            )));
        }
        Ok(())
    }

    /// Dimension of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_check_and_are_found_by_their_names() {
        assert!(presets().len() >= 7);
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
        let c = ModelConfig::parse("hidden=768,ffn=3072,heads=12,layers=12,vocab=50257,seq=1024")
            .unwrap();
        assert_eq!(c, preset("gpt2-small").unwrap().config);
        assert!(ModelConfig::parse("hidden=768").is_err());
        assert!(ModelConfig::parse("hidden=770,ffn=1,heads=12,layers=1,vocab=1,seq=1").is_err());
        assert!(ModelConfig::parse("hidden=0,ffn=1,heads=1,layers=1,vocab=1,seq=1").is_err());
        let e = ModelConfig::parse("hidden=8,ffn=8,heads=2,layers=1,vocab=8,seq=8,experts=4")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'experts'"), "{e}");
    }
}
