//! A model's GEMMs measured: each shape's share of the training step's FLOP, and the
//! FLOP-weighted rate of the step on each device and dtype. The weighted rate is the step's
//! FLOP over the time its GEMMs take, each at its best verified rate (any kernel): the harmonic
//! mean a step really runs at, not the arithmetic mean of the rates. Every GEMM of the step is
//! benched, attention's per-head products and the experts as batched GEMMs, so the figure covers
//! all of the step's matrix FLOP; it is broken down into projection, attention, experts and
//! logits.

use crate::dtype::Dtype;
use crate::model::params;
use crate::model::shapes::Part;
use crate::results::best::weighted_rate;
use crate::results::{ModelGemm, ModelRecord, PartFigure, PartShare, Results, WeightedFigure};

use super::options::ModelBench;

/// The weighted figure of one device and dtype over the step's GEMMs (`results::best`'s rule),
/// and over each part's.
fn figure(doc: &Results, model: &ModelBench, device: &str, dtype: Dtype) -> WeightedFigure {
    let of_part = |part: Option<Part>| {
        let gemms = model
            .gemms
            .iter()
            .filter(move |g| part.is_none_or(|p| g.role.part() == p));
        let flop: f64 = gemms.clone().map(|g| g.flop()).sum();
        let rate = weighted_rate(doc, device, dtype, gemms.map(|g| (g.problem(), g.flop())));
        (flop, rate)
    };
    let (step_flop, step) = of_part(None);
    let peak = doc
        .devices
        .iter()
        .find(|d| d.id == device)
        .and_then(|d| d.rated_tflops.get(&dtype).copied());
    WeightedFigure {
        device: device.to_string(),
        dtype,
        weighted_tflops: step.tflops,
        weighted_utilization: step.tflops.zip(peak).map(|(w, p)| w / p),
        slowest_tflops: step.slowest,
        fastest_tflops: step.fastest,
        parts: Part::ALL
            .iter()
            .map(|part| (*part, of_part(Some(*part))))
            .filter(|(_, (flop, _))| *flop > 0.0)
            .map(|(part, (flop, rate))| PartFigure {
                part,
                flop_share: flop / step_flop,
                tflops: rate.tflops,
                // The part's time over the step's: (flop / its rate) / (step flop / step rate).
                time_share: step
                    .tflops
                    .zip(rate.tflops)
                    .map(|(s, p)| (flop / p) / (step_flop / s)),
            })
            .collect(),
        missing: step.missing,
    }
}

/// How the step's FLOP are counted, with the sources (the rules live in model::shapes).
fn counting(model: &ModelBench) -> String {
    let mut text = "attention's Q K^T and P V counted whole per query head, forward and both \
                    backward products (no halving for the causal mask), as PaLM (appendix B, \
                    12 L H Q T per token) and Chinchilla (appendix F) count them; Kaplan et al. \
                    (2020, Table 1) count half"
        .to_string();
    if model.config.moe.is_some() {
        text.push_str(
            "; experts at the balanced load, ceil(tokens x top_k / experts) tokens from each \
             of the ep GPUs (the expert capacity at capacity factor 1, GShard / Switch \
             Transformer), this GPU's experts as one batched GEMM",
        );
    }
    text
}

/// The step's FLOP by part.
fn breakdown(model: &ModelBench, step_flop: f64) -> Vec<PartShare> {
    Part::ALL
        .iter()
        .map(|part| {
            let flop: f64 = model
                .gemms
                .iter()
                .filter(|g| g.role.part() == *part)
                .map(|g| g.flop())
                .sum();
            PartShare {
                part: *part,
                flop,
                flop_share: flop / step_flop,
            }
        })
        .filter(|p| p.flop > 0.0)
        .collect()
}

/// The results file's `model`: the step's GEMMs with their FLOP shares, and the weighted rate
/// on every device and dtype that ran.
pub fn record(model: &ModelBench, doc: &Results) -> ModelRecord {
    let step_flop: f64 = model.gemms.iter().map(|g| g.flop()).sum();
    let gemms = model
        .gemms
        .iter()
        .map(|g| ModelGemm {
            role: g.role,
            pass: g.pass,
            m: g.shape.m,
            n: g.shape.n,
            k: g.shape.k,
            batch: g.batch,
            calls: g.calls,
            flop_share: g.flop() / step_flop,
            measured: true,
        })
        .collect();
    let mut pairs: Vec<(String, Dtype)> = doc
        .runs
        .iter()
        .map(|r| (r.device.clone(), r.dtype))
        .collect();
    pairs.dedup();
    let weighted: Vec<WeightedFigure> = pairs
        .iter()
        .map(|(device, dtype)| figure(doc, model, device, *dtype))
        .collect();
    ModelRecord {
        name: model.name.clone(),
        source: model.source.clone(),
        config: model.config.clone(),
        split: model.split,
        step_flop,
        gemms,
        unmeasured_share: 0.0,
        unmeasured_note: "every GEMM of the step is benched, attention's per-head products and \
                          the experts as batched GEMMs: the weighted figure covers 100% of the \
                          step's GEMM FLOP"
            .into(),
        counting: counting(model),
        params: Some(params::count(&model.config)),
        breakdown: breakdown(model, step_flop),
        weighted_tflops: weighted.first().and_then(|w| w.weighted_tflops),
        weighted_utilization: weighted.first().and_then(|w| w.weighted_utilization),
        weighted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shapes::{step_gemms, Pass, Role, Split};

    /// gpt2-small's forward GEMMs of the given roles, 1024 tokens per step.
    fn gpt2_forward(roles: &[Role]) -> ModelBench {
        let config = crate::model::preset("gpt2-small").unwrap().config.clone();
        let split = Split {
            tokens_per_step: 1024,
            tp: 1,
            ep: 1,
        };
        let mut gemms = step_gemms(&config, split).unwrap();
        gemms.retain(|g| g.pass == Pass::Forward && roles.contains(&g.role));
        ModelBench {
            name: "gpt2-small".into(),
            source: None,
            config,
            split,
            gemms,
        }
    }

    /// A real results file (the dev VM's), its runs replaced by cpu:0 f32 runs of the given
    /// (shape, batch, median TFLOP/s).
    fn cpu_runs(runs: &[((usize, usize, usize), usize, f64)]) -> Results {
        let mut doc: Results =
            serde_json::from_str(include_str!("../../results/dev-vm-cpu-lavapipe.json")).unwrap();
        doc.runs
            .retain(|r| r.device == "cpu:0" && r.dtype == Dtype::F32);
        let base = doc.runs[0].clone();
        doc.runs = runs
            .iter()
            .map(|&(shape, batch, tflops)| {
                let mut r = base.clone();
                (r.m, r.n, r.k) = shape;
                r.batch = batch;
                r.tflops.median = tflops;
                r
            })
            .collect();
        doc
    }

    /// Two shapes: one of 3/4 of the FLOP at 100 TFLOP/s, one of 1/4 at 25. The step takes
    /// 0.75/100 + 0.25/25 = 0.0175 units of time per unit of FLOP: 57.1 TFLOP/s, not the
    /// arithmetic 81.25.
    #[test]
    fn the_weighted_rate_is_flop_over_time() {
        // Up: 1024x3072x768 x 12 calls; out: 1024x768x768 x 12 calls: 4 : 1 of the FLOP.
        let model = gpt2_forward(&[Role::MlpUp, Role::AttentionOut]);
        let mut doc = cpu_runs(&[((1024, 3072, 768), 1, 100.0), ((1024, 768, 768), 1, 25.0)]);
        let rec = record(&model, &doc);
        let w = rec.weighted_tflops.unwrap();
        let expected = 1.0 / (0.8 / 100.0 + 0.2 / 25.0);
        assert!((w - expected).abs() < 1e-9, "{w} vs {expected}");
        assert_eq!(rec.unmeasured_share, 0.0);
        let shares: f64 = rec.gemms.iter().map(|g| g.flop_share).sum();
        assert!((shares - 1.0).abs() < 1e-12);
        // Both GEMMs are projections: one part, all the FLOP and all the time.
        let parts = &rec.weighted[0].parts;
        assert_eq!(parts.len(), 1);
        assert_eq!(
            (parts[0].part, parts[0].flop_share),
            (Part::Projection, 1.0)
        );
        assert!((parts[0].tflops.unwrap() - expected).abs() < 1e-9);
        // A shape without a verified rate: no weighted figure, and it says which.
        doc.runs[1].verification.status = crate::results::VerificationStatus::Failed;
        let rec = record(&model, &doc);
        assert_eq!(rec.weighted_tflops, None);
        assert_eq!(rec.weighted[0].missing, vec!["1024x768x768".to_string()]);
    }

    /// Attention's products count only at their batch: a plain GEMM of the same shape is not
    /// their rate. With the MLP up projection at 100 TFLOP/s and the scores at 25, each part's
    /// rate is its own, and the time shares follow FLOP / rate.
    #[test]
    fn parts_use_their_batched_rates() {
        // Up: 2 x 1024 x 3072 x 768 x 12 calls; scores: 2 x 1024^2 x 64 x 12 heads x 12: 3 : 1.
        let model = gpt2_forward(&[Role::MlpUp, Role::AttentionScores]);
        let mut doc = cpu_runs(&[
            ((1024, 3072, 768), 1, 100.0),
            ((1024, 1024, 64), 1, 1000.0),
            ((1024, 1024, 64), 12, 25.0),
        ]);
        let rec = record(&model, &doc);
        let shares: Vec<(Part, f64)> = rec
            .breakdown
            .iter()
            .map(|p| (p.part, p.flop_share))
            .collect();
        assert_eq!(shares, [(Part::Projection, 0.75), (Part::Attention, 0.25)]);
        let w = &rec.weighted[0];
        let expected = 1.0 / (0.75 / 100.0 + 0.25 / 25.0);
        assert!((w.weighted_tflops.unwrap() - expected).abs() < 1e-9);
        let attention = &w.parts[1];
        assert_eq!(attention.part, Part::Attention);
        assert!((attention.tflops.unwrap() - 25.0).abs() < 1e-9);
        let time = (0.25 / 25.0) / (0.75 / 100.0 + 0.25 / 25.0);
        assert!((attention.time_share.unwrap() - time).abs() < 1e-12);
        // Without the batched run, attention has no rate, and the batched problem is named.
        doc.runs.pop();
        let rec = record(&model, &doc);
        assert_eq!(rec.weighted[0].missing, ["12x(1024x1024x64)"]);
        assert_eq!(rec.weighted[0].parts[1].tflops, None);
        assert!(rec.weighted[0].parts[0].tflops.is_some());
    }
}
