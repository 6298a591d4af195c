//! `bench --batch B` through the real binary: one strided-batched GEMM of B products per call,
//! counted as 2 B m n k FLOP, verified product by product, and recorded with its `batch`.

mod common;

use common::{flopmeter, one_line_error, requires, Dep, FAST};

fn bench(args: &[&str]) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.json");
    let assert = flopmeter()
        .arg("bench")
        .args(args)
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    // The file loads back (its values are checked on loading, the FLOP count included).
    flopmeter().arg("report").arg(&out).assert().success();
    let doc = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (doc, stdout)
}

/// Each run: batch, FLOP, and the rate the FLOP and the median time give.
fn check_runs(doc: &serde_json::Value, batch: u64, (m, n, k): (f64, f64, f64)) {
    let runs = doc["runs"].as_array().unwrap();
    assert!(!runs.is_empty());
    for r in runs {
        assert_eq!(r["batch"], batch, "{r}");
        let flop = r["flop"].as_f64().unwrap();
        assert_eq!(flop, 2.0 * batch as f64 * m * n * k);
        let rate = flop / r["time_s"]["median"].as_f64().unwrap() / 1e12;
        let tflops = r["tflops"]["median"].as_f64().unwrap();
        assert!((tflops / rate - 1.0).abs() < 1e-9, "{tflops} vs {rate}");
        assert_eq!(r["verification"]["status"], "passed", "{r}");
        // Three products are checked (first, middle, last), each at the corners and 256 points.
        assert!(
            r["verification"]["checked"].as_u64().unwrap() > 2 * 256,
            "{r}"
        );
    }
}

#[test]
fn a_batch_on_the_cpu_counts_2_b_m_n_k() {
    let (doc, text) = bench(&[
        "--backend",
        "cpu",
        "--dtype",
        "f32,f64",
        "--shape",
        "64x48x40",
        "--batch",
        "6",
    ]);
    check_runs(&doc, 6, (64.0, 48.0, 40.0));
    assert!(text.contains("6x(64x48x40)"), "{text}");
}

/// Products large enough that faer splits each over the threads, in a batch that is not a
/// multiple of the threads: every checked product (first, middle, last) must verify.
#[test]
fn a_batch_of_products_faer_parallelizes_verifies() {
    let (doc, _) = bench(&[
        "--backend",
        "cpu",
        "--dtype",
        "f32",
        "--shape",
        "1024x1024x64",
        "--batch",
        "11",
    ]);
    check_runs(&doc, 11, (1024.0, 1024.0, 64.0));
}

#[test]
fn a_batch_on_the_wgpu_adapter_is_one_dispatch_and_verifies() {
    if !requires(
        Dep::Vulkan,
        "a_batch_on_the_wgpu_adapter_is_one_dispatch_and_verifies",
    ) {
        return;
    }
    let (doc, _) = bench(&[
        "--backend",
        "wgpu",
        "--dtype",
        "f32",
        "--shape",
        "100x72x36",
        "--batch",
        "7",
    ]);
    check_runs(&doc, 7, (100.0, 72.0, 36.0));
    let kernels: Vec<&str> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kernel"].as_str().unwrap())
        .collect();
    assert_eq!(kernels, ["naive", "tiled"]);
}

#[test]
fn bad_batches_are_refused_before_any_work() {
    for (args, needle) in [
        (&["--batch", "0"][..], "--batch"),
        (&["--batch", "-3"][..], "--batch"),
        (&["--batch", "many"][..], "--batch"),
        (&["--batch", "999999999"][..], "--batch"),
        // A batch whose operands cannot fit in memory: named, before anything is allocated.
        (
            &["--batch", "131072", "--size", "16384"][..],
            "131072x(16384x16384x16384)",
        ),
    ] {
        one_line_error(
            flopmeter()
                .args(["bench", "--backend", "cpu", "--dtype", "f32"])
                .args(args),
            &[needle],
        );
    }
}
