//! A model's GEMMs measured: each shape's share of the training step's FLOP, and the
//! FLOP-weighted rate of the step on each device and dtype. The weighted rate is the step's
//! FLOP over the time its GEMMs take, each at its best verified rate (any kernel): the harmonic
//! mean a step really runs at, not the arithmetic mean of the rates.

use crate::dtype::Dtype;
use crate::results::best::weighted_rate;
use crate::results::{ModelGemm, ModelRecord, Results, WeightedFigure};

use super::options::ModelBench;

/// The weighted figure of one device and dtype over the benched GEMMs.
fn figure(doc: &Results, model: &ModelBench, device: &str, dtype: Dtype) -> WeightedFigure {
    let measured = model
        .gemms
        .iter()
        .filter(|g| !g.role.is_attention())
        .map(|g| (g.shape, g.flop()));
    let w = weighted_rate(doc, device, dtype, measured);
    let peak = doc
        .devices
        .iter()
        .find(|d| d.id == device)
        .and_then(|d| d.rated_tflops.get(&dtype).copied());
    WeightedFigure {
        device: device.to_string(),
        dtype,
        weighted_tflops: w.tflops,
        weighted_utilization: w.tflops.zip(peak).map(|(w, p)| w / p),
        slowest_tflops: w.slowest,
        fastest_tflops: w.fastest,
        missing: w.missing,
    }
}

/// The results file's `model`: the step's GEMMs with their FLOP shares, and the weighted rate
/// on every device and dtype that ran.
pub fn record(model: &ModelBench, doc: &Results) -> ModelRecord {
    let step_flop: f64 = model.gemms.iter().map(|g| g.flop()).sum();
    let unmeasured: f64 = model
        .gemms
        .iter()
        .filter(|g| g.role.is_attention())
        .map(|g| g.flop())
        .sum();
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
            measured: !g.role.is_attention(),
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
    let share = unmeasured / step_flop;
    ModelRecord {
        name: model.name.clone(),
        source: model.source.clone(),
        config: model.config.clone(),
        split: model.split,
        step_flop,
        gemms,
        unmeasured_share: share,
        unmeasured_note: format!(
            "the per-head attention products ({:.1}% of the step's GEMM FLOP) are batched GEMMs, \
             which flopmeter does not bench yet: the weighted figure covers the other {:.1}%",
            share * 100.0,
            (1.0 - share) * 100.0
        ),
        weighted_tflops: weighted.first().and_then(|w| w.weighted_tflops),
        weighted_utilization: weighted.first().and_then(|w| w.weighted_utilization),
        weighted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shapes::{step_gemms, Split};

    /// Two shapes: one of 3/4 of the FLOP at 100 TFLOP/s, one of 1/4 at 25. The step takes
    /// 0.75/100 + 0.25/25 = 0.0175 units of time per unit of FLOP: 57.1 TFLOP/s, not the
    /// arithmetic 81.25.
    #[test]
    fn the_weighted_rate_is_flop_over_time() {
        let config = crate::model::preset("gpt2-small").unwrap().config.clone();
        let split = Split {
            tokens_per_step: 1024,
            tp: 1,
        };
        let mut gemms = step_gemms(&config, split).unwrap();
        gemms.retain(|g| g.pass == crate::model::shapes::Pass::Forward);
        gemms.retain(|g| {
            matches!(
                g.role,
                crate::model::shapes::Role::MlpUp | crate::model::shapes::Role::AttentionOut
            )
        });
        // Up: 1024x3072x768 x 12 calls; out: 1024x768x768 x 12 calls: 4 : 1 of the FLOP.
        let model = ModelBench {
            name: "gpt2-small".into(),
            source: None,
            config,
            split,
            gemms,
        };
        // A real results file (the dev VM's), its runs replaced by two shapes of cpu:0.
        let mut doc: Results =
            serde_json::from_str(include_str!("../../results/dev-vm-cpu-lavapipe.json")).unwrap();
        doc.runs
            .retain(|r| r.device == "cpu:0" && r.dtype == Dtype::F32);
        let base = doc.runs[0].clone();
        doc.runs.clear();
        for (shape, tflops) in [((1024, 3072, 768), 100.0), ((1024, 768, 768), 25.0)] {
            let mut r = base.clone();
            (r.m, r.n, r.k) = shape;
            r.tflops.median = tflops;
            doc.runs.push(r);
        }
        let rec = record(&model, &doc);
        let w = rec.weighted_tflops.unwrap();
        let expected = 1.0 / (0.8 / 100.0 + 0.2 / 25.0);
        assert!((w - expected).abs() < 1e-9, "{w} vs {expected}");
        assert_eq!(rec.unmeasured_share, 0.0);
        let shares: f64 = rec.gemms.iter().map(|g| g.flop_share).sum();
        assert!((shares - 1.0).abs() < 1e-12);
        // A shape without a verified rate: no weighted figure, and it says which.
        doc.runs[1].verification.status = crate::results::VerificationStatus::Failed;
        let rec = record(&model, &doc);
        assert_eq!(rec.weighted_tflops, None);
        assert_eq!(rec.weighted[0].missing, vec!["1024x768x768".to_string()]);
    }
}
