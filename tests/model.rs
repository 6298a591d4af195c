//! `bench --model` and range sweeps through the real binary: the results file records the
//! model, its GEMMs' FLOP shares, the weighted figure and its breakdown; a range names its best
//! shape; the FLOP per token of `bench` and `estimate ops --model` agree with the scaling-law
//! papers' counts, worked by hand.

mod common;

use common::{flopmeter, one_line_error, FAST};

fn bench(args: &[&str]) -> (serde_json::Value, String) {
    let (doc, text, _) = bench_file(args);
    (doc, text)
}

/// As `bench`, keeping the results file.
fn bench_file(args: &[&str]) -> (serde_json::Value, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let assert = flopmeter()
        .args(["bench", "--backend", "cpu"])
        .args(args)
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let doc = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (doc, stdout, dir)
}

#[test]
fn gpt2_small_on_the_cpu_records_its_gemms_and_the_weighted_figure() {
    let (doc, text, dir) = bench_file(&["--model", "gpt2-small", "--tokens-per-step", "256"]);
    let m = &doc["model"];
    assert_eq!(m["name"], "gpt2-small");
    assert_eq!(m["config"]["hidden"], 768);
    assert_eq!(m["split"]["tokens_per_step"], 256);
    // 14 distinct problems benched (5 forward, 2 new dgrad, 5 wgrad of the projections and
    // logits; attention's 12 x 256x256x64 and 12 x 256x64x256), f32 on the CPU.
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 14);
    assert!(runs.iter().all(|r| r["dtype"] == "f32"));
    let batched: Vec<(u64, u64, u64, u64)> = runs
        .iter()
        .filter(|r| r["batch"] != 1)
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (n("batch"), n("m"), n("n"), n("k"))
        })
        .collect();
    assert_eq!(batched, [(12, 256, 256, 64), (12, 256, 64, 256)]);
    let gemms = m["gemms"].as_array().unwrap();
    assert_eq!(gemms.len(), 21);
    assert!(gemms.iter().all(|g| g["measured"] == true));
    let share: f64 = gemms
        .iter()
        .map(|g| g["flop_share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    // Every GEMM is benched now: nothing unmeasured. By hand, per layer and pass: attention
    // 4 T^2 d against projections 24 T d^2, plus the logits 2 T d V once a pass: over 2 T d,
    // attention 2 L T, projections 12 L d, logits V (T 256, d 768, V 50257, L 12), of
    // 6144 + 110592 + 50257 = 166993. Attention's share is 6144 / 166993 = 12288 / 333986,
    // the share that was left out before it was benched.
    assert_eq!(m["unmeasured_share"].as_f64().unwrap(), 0.0);
    let parts: Vec<(String, f64)> = m["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["part"].as_str().unwrap().to_string(),
                p["flop_share"].as_f64().unwrap(),
            )
        })
        .collect();
    let by_hand = [
        ("projection", 110592.0 / 166993.0),
        ("attention", 12288.0 / 333986.0),
        ("logits", 50257.0 / 166993.0),
    ];
    assert_eq!(parts.len(), 3, "{parts:?}");
    for ((part, got), (want_part, want)) in parts.iter().zip(by_hand) {
        assert_eq!(part, want_part);
        assert!((got - want).abs() < 1e-12, "{part}: {got} vs {want}");
    }
    // The step's FLOP per token, 3 x (2 N + 2 d V + 4 L T d) with N = 84 934 656 (Kaplan's
    // non-embedding count) and T 256: 3 x (169 869 312 + 77 194 752 + 9 437 184), as
    // `estimate ops --model` counts it too.
    let per_token = m["step_flop"].as_f64().unwrap() / 256.0;
    assert_eq!(per_token, 769_503_744.0);
    assert_eq!(
        estimate_ops_flop(&["gpt2-small", "--seq-len", "256"], 256.0),
        256.0 * per_token
    );
    // The device's figure, part by part: the time shares add up, each part's rate is within the
    // range of the step's.
    let w = &m["weighted"][0];
    let time: f64 = w["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["time_share"].as_f64().unwrap())
        .sum();
    assert!((time - 1.0).abs() < 1e-9, "{time}");
    assert!(text.contains("Breakdown (cpu:0 f32)"), "{text}");
    assert!(
        text.contains("covers 100% of the step's GEMM FLOP"),
        "{text}"
    );
    assert!(text.contains("12x(256x256x64)"), "{text}");
    let w = m["weighted_tflops"].as_f64().unwrap();
    let best = runs
        .iter()
        .map(|r| r["tflops"]["median"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(
        w > 0.0 && w <= best,
        "weighted {w} above the best shape {best}"
    );
    let u = m["weighted_utilization"].as_f64().unwrap();
    assert!(u > 0.0 && u < 1.5, "{u}");
    assert!(text.contains("FLOP-weighted: cpu:0 f32"), "{text}");
    assert!(!text.contains("Not measured"), "{text}");

    // `estimate --calibrate` prefers the model's weighted figure, and says so.
    let out = flopmeter()
        .args(["--json", "estimate"])
        .args(common::calibrate_args(&dir.path().join("m.json"), "1", "1"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds a model bench"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cal = &v["utilization"]["calibration"];
    assert_eq!(cal["basis"], "model GEMMs (FLOP-weighted)");
    let peak = doc["devices"][0]["rated_tflops"]["f32"].as_f64().unwrap();
    let got = cal["matmul_utilization"].as_f64().unwrap();
    assert!((got - w / peak).abs() < 1e-12, "{got} vs {}", w / peak);
}

#[test]
fn a_range_sweep_names_its_best_shape() {
    let (doc, text) = bench(&[
        "--dtype",
        "f32",
        "--m",
        "64:256:64",
        "--n",
        "128",
        "--k",
        "96",
    ]);
    let runs = doc["runs"].as_array().unwrap();
    let ms: Vec<u64> = runs.iter().map(|r| r["m"].as_u64().unwrap()).collect();
    assert_eq!(ms, vec![64, 128, 192, 256]);
    let best = runs
        .iter()
        .max_by(|a, b| {
            let t = |r: &&serde_json::Value| r["tflops"]["median"].as_f64().unwrap();
            t(a).total_cmp(&t(b))
        })
        .unwrap();
    let line = format!(
        "at {}x128x96 (faer, best of 4 shapes)",
        best["m"].as_u64().unwrap()
    );
    assert!(text.contains("Maximum achievable: cpu:0 f32"), "{text}");
    assert!(text.contains(&line), "{line} not in {text}");
}

#[test]
fn bad_model_and_range_input_is_refused_before_any_work() {
    // A minute's budget per job: refused after any work, a case would take minutes.
    let bad = |args: &[&str], needle: &str| {
        let start = std::time::Instant::now();
        one_line_error(
            flopmeter()
                .args([
                    "bench",
                    "--backend",
                    "cpu",
                    "--min-time",
                    "60",
                    "--max-time",
                    "60",
                ])
                .args(args),
            &[needle],
        );
        assert!(
            start.elapsed().as_secs() < 20,
            "{args:?}: {:?}",
            start.elapsed()
        );
    };
    bad(&["--model", "gpt5"], "unknown model 'gpt5'");
    bad(
        &["--model", "gpt2-small", "--tp", "5"],
        "tp 5 does not divide heads 12",
    );
    bad(
        &["--model", "gpt2-small", "--tokens-per-step", "1500"],
        "1500",
    );
    bad(&["--tp", "2"], "go with --model");
    bad(&["--seq-len", "512"], "go with --model");
    bad(&["--ep", "2", "--size", "64"], "go with --model");
    bad(
        &["--model", "gpt2-small", "--ep", "2"],
        "ep 2 needs a mixture of experts",
    );
    bad(
        &["--model", "mixtral-8x7b", "--ep", "3"],
        "ep 3 does not divide experts 8",
    );
    bad(
        &["--model", "gpt2-small", "--batch", "4"],
        "cannot be used with",
    );
    bad(&["--model", "gpt2-small", "--seq-len", "0"], "--seq-len");
    bad(&["--m", "64:256:64"], "--n");
    bad(
        &["--m", "256:64:64", "--n", "1", "--k", "1"],
        "ends (64) before it starts (256)",
    );
    bad(
        &["--m", "1:10000:1", "--n", "1:10:1", "--k", "1"],
        "at most 10000",
    );
    bad(&["--model-config", "hidden=768,heads=5"], "missing ffn=");
    bad(
        &["--model", "gpt2-small", "--size", "64"],
        "cannot be used with",
    );
}

#[test]
fn a_custom_model_split_across_gpus() {
    let (doc, _) = bench(&[
        "--model-config",
        "hidden=256,ffn=1024,heads=8,kv_heads=2,layers=2,vocab=1000,seq=128,gated=true",
        "--tp",
        "2",
    ]);
    let m = &doc["model"];
    assert_eq!(m["name"], "custom");
    // QKV: (8/2 + 2 x 2/2) heads x 32 = 192 columns; the gated MLP's up runs twice a layer.
    let qkv = m["gemms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["role"] == "qkv" && g["pass"] == "forward")
        .unwrap();
    assert_eq!(
        (&qkv["m"], &qkv["n"], &qkv["k"]),
        (&128.into(), &192.into(), &256.into())
    );
    let up = m["gemms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["role"] == "mlp_up" && g["pass"] == "forward")
        .unwrap();
    assert_eq!((&up["n"], &up["calls"]), (&512.into(), &4.into()));
}

/// `estimate ops --model NAME --tokens T [...]`: the training FLOP it counts.
fn estimate_ops_flop(model: &[&str], tokens: f64) -> f64 {
    let out = flopmeter()
        .args(["--json", "estimate", "ops", "--model"])
        .args(model)
        .args(["--tokens", &tokens.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"]["model"], model[0]);
    v["flops"].as_f64().unwrap()
}

/// The FLOP per token of a step, forward, by the two scaling-law papers' own formulas for two
/// presets, and what `estimate ops --model` (the same count as `bench --model`'s step) gives.
/// Kaplan et al. 2020, Table 1: C_forward = 2N + 2 n_layer n_ctx d_attn with
/// N = 2 d_model n_layer (2 d_attn + d_ff), plus the de-embedding row 2 d_model n_vocab;
/// their attention term is half of the full products flopmeter counts (the causal half).
/// Chinchilla (Hoffmann et al. 2022), appendix F, per token: QKV 6 d (k H), logits and
/// reductions 2 T (k H) each, final linear 2 (k H) d, dense 4 d f, and the output 2 d V; flopmeter
/// leaves out their embedding (a lookup, not a GEMM) and softmax (not a matrix product) rows.
#[test]
fn per_token_totals_agree_with_kaplan_and_chinchilla_by_hand() {
    // (name, n_ctx, d_model, n_layer, d_ff, n_vocab, forward FLOP per token worked by hand)
    let presets = [
        (
            "gpt2-small",
            1024.0,
            768.0,
            12.0,
            3072.0,
            50257.0,
            284_812_800.0,
        ),
        (
            "gpt3-175b",
            2048.0,
            12288.0,
            96.0,
            49152.0,
            50257.0,
            358_791_143_424.0,
        ),
    ];
    for (name, t, d, l, f, v, by_hand) in presets {
        let n = 2.0 * d * l * (2.0 * d + f);
        let kaplan = 2.0 * n + 2.0 * l * t * d;
        let deembed = 2.0 * d * v;
        let causal_half = 2.0 * l * t * d;
        assert_eq!(kaplan + deembed + causal_half, by_hand, "{name}: Kaplan");
        let chinchilla =
            l * (6.0 * d * d + 2.0 * t * d + 2.0 * t * d + 2.0 * d * d + 4.0 * d * f) + 2.0 * d * v;
        assert_eq!(chinchilla, by_hand, "{name}: Chinchilla");
        // Training: forward and backward, three forward passes.
        let flop = estimate_ops_flop(&[name], t);
        assert!(
            (flop / t / (3.0 * by_hand) - 1.0).abs() < 1e-12,
            "{name}: {} vs {}",
            flop / t,
            3.0 * by_hand
        );
    }
}

/// A small mixture of experts through the real binary: 8 experts, 2 per token, spread over 2
/// GPUs: each GPU runs its 4 experts as one batch, each expert with 128 x 2 / 8 x 2 = 64 rows.
#[test]
fn a_mixture_of_experts_benches_its_experts_as_batches() {
    let (doc, text) = bench(&[
        "--model-config",
        "hidden=128,ffn=256,heads=4,kv_heads=2,layers=2,vocab=500,seq=128,gated=true,\
         experts=8,top_k=2,expert_ffn=96,shared_experts=1",
        "--ep",
        "2",
    ]);
    let m = &doc["model"];
    let up = m["gemms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["role"] == "expert_up" && g["pass"] == "forward")
        .unwrap();
    let dims =
        |g: &serde_json::Value| ["m", "n", "k", "batch", "calls"].map(|k| g[k].as_u64().unwrap());
    assert_eq!(dims(up), [64, 96, 128, 4, 4]);
    assert_eq!(m["split"]["ep"], 2);
    assert!(doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| (r["m"].as_u64(), r["batch"].as_u64()) == (Some(64), Some(4))));
    let parts: Vec<&str> = m["weighted"][0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["projection", "attention", "experts", "logits"]);
    assert!(m["weighted_tflops"].as_f64().unwrap() > 0.0);
    assert!(text.contains("│ experts"), "{text}");
}
