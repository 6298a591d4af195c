//! `bench --model` and range sweeps through the real binary: the results file records the
//! model, its GEMMs' FLOP shares and the weighted figure; a range names its best shape.

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
    // 12 distinct shapes benched (5 forward, 2 new dgrad, 5 wgrad), f32 on the CPU.
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 12);
    assert!(runs.iter().all(|r| r["dtype"] == "f32"));
    let gemms = m["gemms"].as_array().unwrap();
    assert_eq!(gemms.len(), 21);
    let share: f64 = gemms
        .iter()
        .map(|g| g["flop_share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    // Attention: 2 products x 3 passes x 12 layers x 12 heads of 256 x 256 x 64 against the
    // rest; not measured, and said so. By hand, per layer and pass: attention 4 T^2 d against
    // projections 24 T d^2, plus the logits 2 T d V once: the share is
    // 48 T / (288 d + 2 V + 48 T) = 12288 / 333986 = 0.0367920 (T 256, d 768, V 50257).
    let unmeasured = m["unmeasured_share"].as_f64().unwrap();
    assert!(
        (unmeasured - 12288.0 / 333986.0).abs() < 1e-12,
        "{unmeasured}"
    );
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
    assert!(
        text.contains("Not measured: the attention products"),
        "{text}"
    );

    // `estimate --calibrate` prefers the model's weighted figure, and says so.
    let out = flopmeter()
        .args(["--json", "estimate", "hardware", "--calibrate"])
        .arg(dir.path().join("m.json"))
        .args([
            "--peak-tflops",
            "1",
            "--dtype",
            "f32",
            "--count",
            "1",
            "--days",
            "1",
        ])
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
