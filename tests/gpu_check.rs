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

/// The libraries the GPU image (Ubuntu, CUDA, PyTorch; no Open MPI) is known to have for a
/// program built here: glibc's and GCC's runtime. Anything else must be loaded at run time.
const GPU_IMAGE_HAS: [&str; 7] = [
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
];

/// The shared libraries a binary names as needed (its ELF NEEDED entries).
fn needed(binary: &str) -> Vec<String> {
    let out = Command::new("readelf")
        .args(["--dynamic", "--wide", binary])
        .output()
        .expect("readelf (binutils) is needed to read the binary's dependencies");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split('[').nth(1)?.trim_end_matches(']').to_string()))
        .collect()
}

#[test]
fn the_carried_binary_needs_only_what_the_gpu_image_has() {
    let libs = needed(env!("CARGO_BIN_EXE_flopmeter"));
    assert!(libs.iter().any(|l| l == "libc.so.6"), "{libs:?}");
    let extra: Vec<&String> = libs
        .iter()
        .filter(|l| !GPU_IMAGE_HAS.contains(&l.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "target/release/flopmeter links {extra:?}, which the GPU image lacks (an mpi build?)"
    );
}

/// A program that links a library, which is then removed: what a binary built with
/// `--features mpi` is on a machine without Open MPI.
fn binary_missing_a_library(dir: &Path) -> std::path::PathBuf {
    let gcc = |args: &[&str]| {
        let o = Command::new("gcc")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    std::fs::write(
        dir.join("absent.c"),
        "int flopmeter_absent(void) { return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.c"),
        "int flopmeter_absent(void);\nint main(void) { return flopmeter_absent(); }\n",
    )
    .unwrap();
    gcc(&[
        "-shared",
        "-fPIC",
        "-o",
        "libflopmeter_absent.so",
        "absent.c",
    ]);
    gcc(&["-o", "stub", "main.c", "-L.", "-lflopmeter_absent"]);
    std::fs::remove_file(dir.join("libflopmeter_absent.so")).unwrap();
    dir.join("stub")
}

#[test]
fn a_binary_that_cannot_start_stops_the_check_naming_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let stub = binary_missing_a_library(dir.path());
    let out = dir.path().join("out");
    let run = Command::new("timeout")
        .args([
            "60",
            "bash",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-check.sh"),
        ])
        .env("OUT", &out)
        .env("FLOPMETER_BIN", &stub)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(4), "{stdout}");
    let stops: Vec<&str> = stdout.lines().filter(|l| l.starts_with("STOP: ")).collect();
    assert_eq!(stops.len(), 1, "{stdout}");
    assert!(
        stops[0].contains("needs libraries this machine lacks: libflopmeter_absent.so"),
        "{}",
        stops[0]
    );
    // It stops before anything else runs.
    assert!(!stdout.contains("] environment =="), "{stdout}");
}

/// One flopmeter run in the shape the GPU check writes.
fn run(kernel: &str, dtype: &str, size: u64, tflops: f64, status: &str) -> serde_json::Value {
    serde_json::json!({
        "kernel": kernel, "dtype": dtype, "m": size, "n": size, "k": size,
        "tflops": {"median": tflops, "max": tflops},
        "utilization": {"rated": tflops / 989.4, "at_sampled_clock": tflops / 900.0},
        "telemetry": {"sm_clock_mhz_median": 1755.0, "power_w_median": 690.0},
        "verification": {"status": status}
    })
}

/// Files for compare_torch.py where every target is met: cuBLAS at 0.99x torch, both through
/// the same library files (`blas`, `lt`).
fn passing_inputs(blas: &Path, lt: &Path) -> [serde_json::Value; 3] {
    let libraries = |a: &str, b: &str| {
        serde_json::json!([
            {"name": a, "version": "13.1.0", "path": blas},
            {"name": b, "version": "130100", "path": lt},
        ])
    };
    let mut runs = Vec::new();
    for size in [8192, 4096] {
        runs.push(run("cublas", "bf16", size, 782.0, "passed"));
        runs.push(run("cublaslt", "bf16", size, 801.0, "passed"));
        runs.push(run("mma", "bf16", size, 308.0, "passed"));
        runs.push(run("cublas", "f32", size, 50.0, "passed"));
    }
    let cuda = serde_json::json!({"host": {"libraries": libraries("cuBLAS", "cuBLASLt")},
                                  "runs": runs});
    let torch = serde_json::json!({"libraries": libraries("cublas", "cublasLt"),
                                   "results": [{"dtype": "bf16", "m": 8192, "tflops": 790.0}]});
    let wgpu = serde_json::json!({"runs": [run("tiled", "f32", 4096, 20.0, "passed")]});
    [cuda, torch, wgpu]
}

fn compare(dir: &Path, [cuda, torch, wgpu]: &[serde_json::Value; 3]) -> (Option<i32>, String) {
    for (name, v) in [
        ("cuda.json", cuda),
        ("torch.json", torch),
        ("wgpu.json", wgpu),
    ] {
        std::fs::write(dir.join(name), v.to_string()).unwrap();
    }
    let o = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/compare_torch.py"
        ))
        .args(["cuda.json", "torch.json", "wgpu.json"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn the_comparison_passes_only_when_every_target_is_met() {
    let dir = tempfile::tempdir().unwrap();
    let (blas, lt) = (
        dir.path().join("libcublas.so.13"),
        dir.path().join("libcublasLt.so.13"),
    );
    std::fs::write(&blas, "").unwrap();
    std::fs::write(&lt, "").unwrap();

    let (code, text) = compare(dir.path(), &passing_inputs(&blas, &lt));
    assert_eq!(code, Some(0), "{text}");
    // 782 / 790 = 0.990; cuBLASLt reported apart (801 / 790 = 1.014); mma / best cuBLAS(Lt)
    // = 308 / 801 = 0.385; WGSL / cuBLAS f32 = 20 / 50 = 0.4.
    for line in [
        "PASS  cublas bf16 8192^3 / torch.matmul = 0.990 (>= 0.98: the harness check)",
        "PASS  cublaslt bf16 8192^3 / torch.matmul = 1.014 (reported)",
        "PASS  one cuBLAS for both sides (same cuBLAS and cuBLASLt files)",
        "PASS  mma / cuBLAS bf16 at 8192^3 = 0.385 (reported)",
        "PASS  WGSL tiled f32 (Vulkan) / cuBLAS true f32 at 4096^3 = 0.400 (reported)",
        "PASS  NVML: SM clock in 8/8 runs",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("FAIL"), "{text}");

    // cuBLAS 5% slower than torch: the harness check fails, whatever cuBLASLt does.
    let mut slow = passing_inputs(&blas, &lt);
    slow[0]["runs"][0]["tflops"]["median"] = serde_json::json!(750.5);
    let (code, text) = compare(dir.path(), &slow);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL  cublas bf16 8192^3 / torch.matmul = 0.950"),
        "{text}"
    );

    // torch loaded another cuBLAS file: the comparison is not like with like.
    let other = dir.path().join("other-libcublasLt.so.13");
    std::fs::write(&other, "").unwrap();
    let mut mixed = passing_inputs(&blas, &lt);
    mixed[1]["libraries"][1]["path"] = serde_json::json!(other);
    let (code, text) = compare(dir.path(), &mixed);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  one cuBLAS for both sides"), "{text}");

    // A failed verification fails the check.
    let mut wrong = passing_inputs(&blas, &lt);
    wrong[0]["runs"][2]["verification"]["status"] = serde_json::json!("failed");
    let (code, text) = compare(dir.path(), &wrong);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not passed: ['mma bf16 8192']"), "{text}");
}

/// scripts/torch_reference.py against a stand-in torch (tests/fixtures/fake_torch): what it
/// writes, and that a stop (the GPU check's cap) still writes what was measured.
fn torch_reference(args: &[&str]) -> std::process::Child {
    let root = env!("CARGO_MANIFEST_DIR");
    Command::new("python3")
        .arg(format!("{root}/scripts/torch_reference.py"))
        .args(args)
        .env("PYTHONPATH", format!("{root}/tests/fixtures/fake_torch"))
        .env("FAKE_TORCH_MATMUL_S", "0.001")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn the_torch_reference_writes_every_dtype_headline_first() {
    let quick = [
        "--warmup",
        "0.02",
        "--min-time",
        "0.02",
        "--max-time",
        "0.05",
    ];
    let mut args = vec!["--sizes", "128,64"];
    args.extend(quick);
    let out = torch_reference(&args).wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interrupted"], false);
    assert!(v["libraries"].is_array());
    let got: Vec<(String, u64)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["dtype"].as_str().unwrap().to_string(),
                r["m"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut want = Vec::new();
    for d in ["bf16", "fp8", "f16", "tf32", "f32", "f64"] {
        for n in [128, 64] {
            want.push((d.to_string(), n));
        }
    }
    assert_eq!(got, want);
    assert!(v["results"][0]["tflops"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_stopped_torch_reference_still_writes_what_it_measured() {
    use std::io::{BufRead, BufReader};
    // 120 measurements of about 0.1 s if nothing stops it; SIGINT once the first is printed.
    let sizes = vec!["64"; 20].join(",");
    let mut child = torch_reference(&[
        "--sizes",
        &sizes,
        "--warmup",
        "0.01",
        "--min-time",
        "0.05",
        "--max-time",
        "0.1",
    ]);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("\"dtype\": \"bf16\""), "{first}");
    let sent = std::time::Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(sent.elapsed().as_secs() < 5, "{:?}", sent.elapsed());
    assert_eq!(out.status.code(), Some(130));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    let results = v["results"].as_array().unwrap();
    assert!((1..120).contains(&results.len()), "{}", results.len());
    assert_eq!(results[0]["dtype"], "bf16");
    assert!(
        results.iter().all(|r| r["tflops"].as_f64().is_some()),
        "{results:?}"
    );
}
