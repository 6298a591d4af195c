//! `flopmeter estimate`: the worked examples of AI and Compute's appendix, conversions,
//! inverse consistency, intervals, calibration and bad input.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn estimate(args: &[&str]) -> Value {
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .arg("estimate")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("no number {k} in {v}"))
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn alexnet_by_both_methods() {
    // Method 2: 2 GTX 580 x 5.5 days x 1.58 TFLOPS x 0.33 = 500 PF = 0.0058 pfs-days.
    let hw = estimate(&[
        "hardware",
        "--gpu",
        "GTX 580",
        "--count",
        "2",
        "--days",
        "5.5",
        "--utilization",
        "0.33",
    ]);
    assert!(close(f(&hw, "flops"), 500e15, 0.01), "{hw}");
    assert!(close(f(&hw, "pfs_days"), 0.0058, 0.02));
    assert_eq!(hw["dtype"], "f32");
    // Method 1: 0.75 GMAC x 2 x 3 x 1.2M x 90 (the appendix prints 470 PF, its inputs give 486).
    let ops = estimate(&[
        "ops",
        "--macs-per-example",
        "0.75e9",
        "--examples",
        "1.2e6",
        "--epochs",
        "90",
    ]);
    assert!(close(f(&ops, "flops"), 486e15, 1e-9));
    assert!(close(f(&ops, "pfs_days"), 0.0054, 0.05));
    // Both at once: both reported, with their ratio (the appendix's two estimates agree).
    let both = estimate(&[
        "ops",
        "--macs-per-example",
        "0.75e9",
        "--examples",
        "1.2e6",
        "--epochs",
        "90",
        "--gpu",
        "GTX 580",
        "--count",
        "2",
        "--days",
        "5.5",
        "--prior",
        "ai-and-compute-gpu",
    ]);
    let r = f(&both, "ratio_hardware_over_ops");
    assert!(close(r, 496.0 / 486.0, 0.01), "{r}");
    assert!(close(
        both["hardware"]["flops"].as_f64().unwrap(),
        f(&hw, "flops"),
        0.01
    ));
}

#[test]
fn resnet151_and_deepspeech2() {
    let resnet = estimate(&[
        "ops",
        "--macs-per-example",
        "11.4e9",
        "--examples",
        "1.2e6",
        "--epochs",
        "128",
    ]);
    assert!(close(f(&resnet, "pfs_days"), 0.117, 0.05), "{resnet}");
    // DeepSpeech2: 16 Titan X at the 6 TFLOPS the appendix used, 5 days, 50%.
    let ds2 = estimate(&[
        "hardware",
        "--gpu",
        "Titan X",
        "--peak-tflops",
        "6",
        "--count",
        "16",
        "--days",
        "5",
        "--utilization",
        "0.5",
    ]);
    assert!(close(f(&ds2, "flops"), 21_000e15, 0.02), "{ds2}");
    assert!(close(f(&ds2, "pfs_days"), 0.25, 0.05));
    assert!(ds2["peak_source"].as_str().unwrap().contains("overrides"));
}

#[test]
fn units_and_conventions() {
    // 1 pfs-day = 8.64e19 FLOP; a MAC is 2 FLOP; hours and days agree.
    let a = estimate(&[
        "ops",
        "--flops-per-example",
        "8.64e19",
        "--examples",
        "1",
        "--backward-factor",
        "0.0001",
    ]);
    assert!(close(f(&a, "pfs_days"), 1.0001, 1e-9));
    let macs = estimate(&["ops", "--macs-per-example", "1e9", "--examples", "10"]);
    let flops = estimate(&["ops", "--flops-per-example", "2e9", "--examples", "10"]);
    assert_eq!(f(&macs, "flops"), f(&flops, "flops"));
    let days = estimate(&[
        "hardware",
        "--gpu",
        "V100",
        "--count",
        "8",
        "--days",
        "2",
        "--utilization",
        "0.4",
    ]);
    let hours = estimate(&[
        "hardware",
        "--gpu",
        "V100",
        "--count",
        "8",
        "--hours",
        "48",
        "--utilization",
        "0.4",
    ]);
    assert!(close(f(&days, "flops"), f(&hours, "flops"), 1e-12));
    // 6ND, recompute (8ND) and goodput.
    let t = estimate(&["ops", "--params", "1e9", "--tokens", "2e10"]);
    assert_eq!(f(&t, "flops"), 1.2e20);
    let r = estimate(&["ops", "--params", "1e9", "--tokens", "2e10", "--recompute"]);
    assert_eq!(f(&r, "flops"), 1.6e20);
    let g = estimate(&[
        "hardware",
        "--gpu",
        "V100",
        "--count",
        "8",
        "--days",
        "2",
        "--utilization",
        "0.4",
        "--goodput",
        "0.5",
    ]);
    assert!(close(f(&g, "flops"), 0.5 * f(&days, "flops"), 1e-12));
}

#[test]
fn attention_term_of_the_palm_appendix() {
    let v = estimate(&[
        "ops",
        "--params",
        "1e9",
        "--tokens",
        "1e10",
        "--layers",
        "24",
        "--heads",
        "16",
        "--head-dim",
        "64",
        "--seq-len",
        "2048",
    ]);
    let want = (6.0 * 1e9 + 12.0 * 24.0 * 16.0 * 64.0 * 2048.0) * 1e10;
    assert!(close(f(&v, "flops"), want, 1e-12));
}

#[test]
fn estimate_then_time_gives_back_the_input() {
    let hw = estimate(&[
        "hardware",
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--days",
        "30",
        "--utilization",
        "0.4",
    ]);
    let flops = format!("{:e}", f(&hw, "flops"));
    let days = estimate(&[
        "time",
        "--flops",
        &flops,
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--utilization",
        "0.4",
    ]);
    assert!(close(f(&days, "days"), 30.0, 1e-9), "{days}");
    let chips = estimate(&[
        "time",
        "--flops",
        &flops,
        "--gpu",
        "H100",
        "--days",
        "30",
        "--utilization",
        "0.4",
    ]);
    assert!(close(f(&chips, "count_exact"), 1024.0, 1e-9), "{chips}");
    assert_eq!(f(&chips, "count"), 1024.0);
    let pd = format!("{}", f(&hw, "pfs_days"));
    let by_pfs = estimate(&[
        "time",
        "--pfs-days",
        &pd,
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--utilization",
        "0.4",
    ]);
    assert!(close(f(&by_pfs, "days"), 30.0, 1e-9));
}

#[test]
fn distributions_give_ordered_intervals() {
    // Default: the observed-MFU distribution, with its source stated.
    let v = estimate(&["hardware", "--gpu", "A100", "--count", "64", "--days", "10"]);
    let i = &v["interval"];
    let (p5, p50, p95) = (f(i, "p5"), f(i, "p50"), f(i, "p95"));
    assert!(p5 < p50 && p50 < p95, "{i}");
    assert!(close(f(&v, "pfs_days"), p50, 1e-12));
    assert!(v["utilization"]["source"]
        .as_str()
        .unwrap()
        .contains("observed-mfu"));
    // For time the interval is of days: lower utilization means more days.
    let t = estimate(&[
        "time",
        "--pfs-days",
        "1000",
        "--gpu",
        "A100",
        "--count",
        "64",
    ]);
    let i = &t["interval"];
    assert!(f(i, "p5") < f(i, "p50") && f(i, "p50") < f(i, "p95"), "{i}");
    // A fixed utilization has no interval.
    let fixed = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--count",
        "64",
        "--days",
        "10",
        "--utilization",
        "0.4",
    ]);
    assert!(fixed.get("interval").is_none());
}

#[test]
fn calibration_from_a_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu.json");
    flopmeter::results::write_atomic(&path, &common::sample_results()).unwrap();
    let p = path.to_str().unwrap();
    let v = estimate(&[
        "hardware",
        "--calibrate",
        p,
        "--peak-tflops",
        "0.55",
        "--dtype",
        "f32",
        "--count",
        "1",
        "--days",
        "1",
    ]);
    let cal = &v["utilization"]["calibration"];
    assert_eq!(cal["matmul_utilization"], 0.006);
    assert_eq!(cal["device"], "cpu:0");
    // Median utilization = measured ceiling x the factor's median (0.525).
    assert!(close(
        v["utilization"]["median"].as_f64().unwrap(),
        0.006 * 0.525,
        1e-9
    ));
    assert!(v.get("interval").is_some());
}

fn bad(args: &[&str], needle: &str) {
    Command::cargo_bin("flopmeter")
        .unwrap()
        .arg("estimate")
        .args(args)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(needle));
}

#[test]
fn bad_input_is_a_one_line_error() {
    let hw = ["hardware", "--gpu", "V100", "--count", "8", "--days", "2"];
    for (flag, value) in [
        ("--utilization", "0"),
        ("--utilization", "1.5"),
        ("--goodput", "nan"),
        ("--utilization", "-0.3"),
    ] {
        let mut a = hw.to_vec();
        a.extend([flag, value]);
        bad(&a, value);
    }
    bad(
        &["hardware", "--gpu", "V100", "--count", "-8", "--days", "2"],
        "'-8'",
    );
    bad(
        &["hardware", "--gpu", "V100", "--count", "8", "--days", "inf"],
        "'inf'",
    );
    bad(
        &["hardware", "--gpu", "V100", "--count", "2.5", "--days", "2"],
        "'2.5'",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "Frobnicator 9000",
            "--count",
            "8",
            "--days",
            "2",
        ],
        "Frobnicator",
    );
    bad(&["hardware", "--gpu", "V100", "--days", "2"], "--count");
    bad(&["hardware", "--gpu", "V100", "--count", "8"], "--days");
    bad(&["hardware", "--count", "8", "--days", "2"], "--gpu");
    bad(
        &[
            "hardware", "--gpu", "V100", "--count", "8", "--days", "2", "--hours", "3",
        ],
        "not both",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "V100",
            "--count",
            "8",
            "--days",
            "2",
            "--utilization",
            "0.3",
            "--prior",
            "epoch-llm",
        ],
        "only one",
    );
    bad(
        &[
            "hardware", "--gpu", "V100", "--count", "8", "--days", "2", "--prior", "rosy",
        ],
        "'rosy'",
    );
    bad(
        &[
            "hardware", "--gpu", "V100", "--count", "8", "--days", "2", "--dtype", "bf16",
        ],
        "no dense bf16",
    );
    bad(&["ops", "--macs-per-example", "1e9"], "--examples");
    bad(
        &[
            "ops",
            "--macs-per-example",
            "1e9",
            "--flops-per-example",
            "2e9",
            "--examples",
            "1",
        ],
        "not both",
    );
    bad(
        &["ops", "--params", "1e9", "--tokens", "1e9", "--layers", "2"],
        "--heads",
    );
    bad(
        &[
            "ops",
            "--params",
            "1e9",
            "--tokens",
            "1e9",
            "--utilization",
            "0.3",
        ],
        "hardware",
    );
    bad(&["ops"], "needs");
    bad(&["time", "--gpu", "V100", "--count", "8"], "--flops");
    bad(
        &[
            "time",
            "--pfs-days",
            "10",
            "--gpu",
            "V100",
            "--count",
            "8",
            "--days",
            "3",
        ],
        "not both",
    );
    bad(
        &["time", "--pfs-days", "0", "--gpu", "V100", "--count", "8"],
        "'0'",
    );
}

#[test]
fn calibration_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu.json");
    flopmeter::results::write_atomic(&path, &common::sample_results()).unwrap();
    let p = path.to_str().unwrap();
    bad(
        &[
            "hardware",
            "--calibrate",
            p,
            "--gpu",
            "V100",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "no verified f16",
    );
    bad(
        &[
            "hardware",
            "--calibrate",
            p,
            "--gpu",
            "V100",
            "--dtype",
            "f32",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "--allow-other-device",
    );
    bad(
        &[
            "hardware",
            "--calibrate",
            "/nonexistent.json",
            "--gpu",
            "V100",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "/nonexistent.json",
    );
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    bad(
        &[
            "hardware",
            "--calibrate",
            empty.to_str().unwrap(),
            "--peak-tflops",
            "1",
            "--dtype",
            "f32",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "empty",
    );
    // With the flag, another chip's file is accepted and said so.
    let v = estimate(&[
        "hardware",
        "--calibrate",
        p,
        "--gpu",
        "V100",
        "--dtype",
        "f32",
        "--count",
        "1",
        "--days",
        "1",
        "--allow-other-device",
    ]);
    assert_eq!(v["utilization"]["calibration"]["device_name"], "AMD EPYC");
}
