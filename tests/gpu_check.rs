//! Rehearsal of scripts/gpu-check.sh on a machine without a GPU: it must run every step that
//! needs none (environment, the choice of CUDA libraries, `devices`), stop at CUDA with a one-line
//! reason, and leave no more files in $OUT than the GPU machine sends back (8), each with a name
//! it accepts.

use std::path::Path;
use std::process::Command;

/// Names the device tool brings back: letters, digits, '.', '_' and '-'.
fn portable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.extend(
                files_under(&e.path())
                    .into_iter()
                    .map(|f| format!("{name}/{f}")),
            );
        } else {
            out.push(name);
        }
    }
    out
}

#[test]
fn the_gpu_check_stops_at_cuda_with_a_reason_and_few_files() {
    if flopmeter::device::cuda::driver_present() {
        eprintln!("skipped: this machine has a CUDA driver; the rehearsal is for machines without");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-check.sh");
    let run = Command::new("timeout")
        .args(["300", "bash", script])
        .env("OUT", out.path())
        .env("FLOPMETER_BIN", env!("CARGO_BIN_EXE_flopmeter"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(3),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let log = std::fs::read_to_string(out.path().join("gpu-check.log")).unwrap();
    let stops: Vec<&str> = log.lines().filter(|l| l.starts_with("STOP: ")).collect();
    assert_eq!(stops.len(), 1, "{log}");
    assert!(
        stops[0].starts_with("STOP: no CUDA device: "),
        "{}",
        stops[0]
    );
    for step in ["environment", "CUDA libraries", "devices"] {
        assert!(
            log.contains(&format!("] {step} ==")),
            "step '{step}' missing:\n{log}"
        );
    }

    let devices: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("devices.json")).unwrap())
            .unwrap();
    assert_eq!(devices["cuda"]["status"], "unavailable");
    assert!(devices["cuda_libraries"]
        .as_array()
        .is_some_and(|l| l.len() == 4));

    let files = files_under(out.path());
    assert!(files.len() <= 8, "{files:?}");
    assert!(files.iter().all(|f| portable_name(f)), "{files:?}");
}

#[test]
fn the_comparison_checks_every_target() {
    // A tiny pair of files in the shapes the GPU check writes; the targets are evaluated and a
    // missed one makes the exit status 1.
    let dir = tempfile::tempdir().unwrap();
    let run = |kernel: &str, dtype: &str, tflops: f64, status: &str| {
        serde_json::json!({
            "kernel": kernel, "dtype": dtype, "m": 8192, "n": 8192, "k": 8192,
            "tflops": {"median": tflops, "max": tflops},
            "utilization": {"rated": tflops / 989.4, "at_sampled_clock": tflops / 900.0},
            "telemetry": {"sm_clock_mhz_median": 1755.0, "power_w_median": 690.0},
            "verification": {"status": status}
        })
    };
    let cuda = serde_json::json!({"runs": [
        run("cublaslt", "bf16", 780.0, "passed"),
        run("mma", "bf16", 300.0, "passed"),
        run("cublas", "f32", 50.0, "passed"),
    ]});
    let torch = serde_json::json!({"results": [
        {"dtype": "bf16", "m": 8192, "tflops": 790.0}
    ]});
    let wgpu = serde_json::json!({"runs": [run("tiled", "f32", 20.0, "passed")]});
    for (name, v) in [
        ("cuda.json", &cuda),
        ("torch.json", &torch),
        ("wgpu.json", &wgpu),
    ] {
        std::fs::write(dir.path().join(name), v.to_string()).unwrap();
    }
    let compare = |cuda: &str| {
        Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/compare_torch.py"
            ))
            .args([cuda, "torch.json", "wgpu.json"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let ok = compare("cuda.json");
    let text = String::from_utf8_lossy(&ok.stdout);
    // 780 / 790 = 0.987 >= 0.98; mma / cuBLAS = 0.385; WGSL / f32 = 0.4; NVML present.
    assert!(
        text.contains("PASS  cuBLAS(Lt) bf16 8192^3 / torch.matmul = 0.987"),
        "{text}"
    );
    assert!(
        text.contains("mma / cuBLAS bf16 at 8192^3 = 0.385"),
        "{text}"
    );
    assert!(
        text.contains("WGSL tiled f32 (Vulkan) / cuBLAS true f32 at 8192^3 = 0.400"),
        "{text}"
    );
    assert!(text.contains("PASS  NVML: SM clock in 3/3 runs"), "{text}");
    // The 4096 ratio has no data here, so the check is not all green.
    assert_eq!(ok.status.code(), Some(1), "{text}");

    let slow = serde_json::json!({"runs": [run("cublas", "bf16", 700.0, "passed")]});
    std::fs::write(dir.path().join("slow.json"), slow.to_string()).unwrap();
    let text = String::from_utf8_lossy(&compare("slow.json").stdout).into_owned();
    assert!(
        text.contains("FAIL  cuBLAS(Lt) bf16 8192^3 / torch.matmul = 0.886"),
        "{text}"
    );
}
