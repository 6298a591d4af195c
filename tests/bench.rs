//! `flopmeter bench` end to end on this machine's CPU and on Mesa's lavapipe.

use std::path::Path;

mod common;

use common::{flopmeter, FAST};
use predicates::prelude::*;

fn run_json(args: &[&str], out: &Path) -> serde_json::Value {
    let output = flopmeter()
        .arg("bench")
        .args(args)
        .args(FAST)
        .arg("--json")
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "bench {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(stdout, file, "--json prints what the file holds");
    file
}

fn validate(doc: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/results/schema.json"))
            .unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn every_wgsl_kernel_and_dtype_is_verified_at_awkward_sizes() {
    if std::env::var_os("FLOPMETER_NO_VULKAN").is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wgpu.json");
    let doc = run_json(
        &[
            "--backend",
            "wgpu",
            "--shape",
            "1000x1000x1000,1023x1023x1023,1x4096x1,4096x1x4096,130x67x9",
        ],
        &out,
    );
    validate(&doc);
    let runs = doc["runs"].as_array().unwrap();
    // naive and tiled, f32 and f16 (lavapipe has shader-f16), five shapes.
    assert_eq!(runs.len(), 2 * 2 * 5, "{runs:#?}");
    for r in runs {
        assert_eq!(r["verification"]["status"], "passed", "{r}");
        assert_eq!(r["timer"], "wgpu-timestamps");
        assert!(r["tflops"]["median"].as_f64().unwrap() > 0.0);
        assert!(!r["samples"].as_array().unwrap().is_empty());
    }
}

#[test]
fn cpu_bench_writes_a_valid_verified_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cpu.json");
    let doc = run_json(&["--backend", "cpu", "--size", "192,255"], &out);
    validate(&doc);
    assert_eq!(doc["schema"], "flopmeter.results/v1");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4); // f32, f64 x 2 sizes
    for r in runs {
        assert_eq!(r["verification"]["status"], "passed");
        let u = r["utilization"]["rated"].as_f64().unwrap();
        assert!(u > 0.0 && u < 1.5, "utilization {u}");
        let t = &r["time_s"];
        assert!(t["min"].as_f64() <= t["median"].as_f64());
        assert!(t["median"].as_f64() <= t["max"].as_f64());
        assert!(r["operand_sets"].as_u64().unwrap() >= 1);
    }
    // flopmeter can read back what it wrote.
    flopmeter::results::load(&out).unwrap();
}

#[test]
fn human_output_is_a_table_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h.json");
    flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--dtype",
            "fp32",
            "--size",
            "128",
        ])
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("utilization"))
        .stdout(predicate::str::contains("verified"))
        .stdout(predicate::str::contains(out.to_str().unwrap()));
}

#[test]
fn ctrl_c_stops_cleanly_and_keeps_what_was_measured() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("int.json");
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let mut child = std::process::Command::new(bin)
        .args([
            "bench",
            "--backend",
            "cpu",
            "--size",
            "256,384,512",
            "--warmup",
            "0.2",
        ])
        .args(["--min-time", "30", "--max-time", "60", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let doc = flopmeter::results::load(&out).unwrap();
    assert!(doc.interrupted);
    assert_eq!(doc.runs.len(), 1);
    assert_eq!(
        doc.runs[0].stop_reason,
        flopmeter::results::StopReason::Interrupted
    );
}

fn bad(args: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never.json");
    flopmeter()
        .arg("bench")
        .args(args)
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle));
    assert!(!out.exists(), "{args:?} left a file");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "{args:?} left a temp file"
    );
}

#[test]
fn bad_input_is_a_one_line_error_and_writes_nothing() {
    bad(&["--size", "0"], "'0'");
    bad(&["--size", "-5"], "'-5'");
    bad(&["--size", "abc"], "'abc'");
    bad(&["--shape", "4096x1"], "'4096x1'");
    bad(&["--dtype", "fp4"], "'fp4'");
    bad(&["--kernel", "bogus"], "'bogus'");
    bad(&["--backend", "opencl"], "'opencl'");
    bad(&["--device", "cuda:7"], "'cuda:7'");
    bad(
        &["--backend", "cpu", "--dtype", "bf16"],
        "does not support bf16",
    );
    bad(&["--backend", "cuda"], "unavailable");
    bad(&["--sweep", "medium"], "'medium'");
    bad(&["--target-spread", "2"], "'2'");
    bad(&["--rated-tflops", "0"], "'0'");
    bad(&["--backend", "cpu", "--size", "65536"], "free");
    if std::env::var_os("FLOPMETER_NO_VULKAN").is_none() {
        // 8192^2 f32 is 256 MiB, beyond lavapipe's 128 MiB storage binding limit.
        bad(&["--backend", "wgpu", "--size", "8192"], "binds at most");
    }
}

#[test]
fn bad_time_budgets_are_rejected() {
    flopmeter()
        .args(["bench", "--warmup", "-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--warmup '-1'"));
    flopmeter()
        .args(["bench", "--min-time", "5", "--max-time", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-time"));
}

#[test]
fn an_unwritable_out_fails_before_any_work() {
    flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--size",
            "64",
            "--out",
            "/proc/flopmeter/r.json",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/proc/flopmeter/r.json"));
}
