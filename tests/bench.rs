//! `flopmeter bench` end to end on this machine's CPU and on Mesa's lavapipe.

use std::path::Path;

mod common;

use common::{flopmeter, requires, Dep, FAST};
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
    if !requires(
        Dep::Vulkan,
        "every_wgsl_kernel_and_dtype_is_verified_at_awkward_sizes",
    ) {
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
    // Three jobs of 5 s each; Ctrl-C as soon as the first is in the results file (saved after
    // every job), so it lands while the second is being prepared or sampled.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("int.json");
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let mut child = std::process::Command::new(bin)
        .args([
            "bench",
            "--backend",
            "cpu",
            "--kernel",
            "faer",
            "--dtype",
            "f32",
        ])
        .args(["--size", "64,96,128", "--warmup", "0"])
        .args(["--min-time", "5", "--max-time", "5", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_runs(&mut child, &out, 1);
    let sent = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    // It stops after the current sample, not at the end of the 5 s job.
    assert!(sent.elapsed().as_secs_f64() < 3.0, "{:?}", sent.elapsed());
    // 128 + SIGINT, as shells expect of an interrupted program; the results are written first.
    assert_eq!(status.code(), Some(130), "{status:?}");
    let doc = flopmeter::results::load(&out).unwrap();
    assert!(doc.interrupted);
    use flopmeter::results::StopReason::Interrupted;
    let runs: Vec<_> = doc.runs.iter().map(|r| (r.m, r.stop_reason)).collect();
    // The finished job is kept as it was; the one running is kept with the samples it had
    // (none when the signal came while its operands were prepared); the third never starts.
    assert!(runs[0].0 == 64 && runs[0].1 != Interrupted, "{runs:?}");
    match runs.len() {
        1 => {}
        2 => {
            assert_eq!(runs[1], (96, Interrupted));
            assert!(!doc.runs[1].samples.is_empty());
        }
        _ => panic!("{runs:?}"),
    }
}

/// Waits until the results file `out` of a running bench holds at least `runs` finished runs.
fn wait_for_runs(child: &mut std::process::Child, out: &Path, runs: usize) {
    let start = std::time::Instant::now();
    loop {
        if let Ok(doc) = flopmeter::results::load(out) {
            // Until the last job is done, the file on disk says the run is incomplete.
            assert!(doc.interrupted);
            if doc.runs.len() >= runs {
                return;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "the bench ended early");
        assert!(start.elapsed().as_secs() < 60, "no checkpoint after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Starts a CPU bench of ten short jobs writing `out`, and waits until its results file holds
/// at least `runs` finished runs (it is saved after every job).
fn bench_until(out: &Path, runs: usize) -> std::process::Child {
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let mut child = std::process::Command::new(bin)
        .args([
            "bench",
            "--backend",
            "cpu",
            "--kernel",
            "faer",
            "--dtype",
            "f32",
        ])
        .args(["--size", "64,96,128,160,192,224,256,288,320,352"])
        .args([
            "--warmup",
            "0.1",
            "--min-time",
            "0.5",
            "--max-time",
            "0.5",
            "--out",
        ])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_runs(&mut child, out, runs);
    child
}

#[test]
fn sigterm_keeps_the_finished_runs_and_exits_143() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("term.json");
    let mut child = bench_until(&out, 2);
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    let doc = flopmeter::results::load(&out).unwrap();
    assert!(doc.interrupted);
    assert!((2..10).contains(&doc.runs.len()), "{} runs", doc.runs.len());
    assert!(doc
        .runs
        .iter()
        .all(|r| r.verification.status == flopmeter::results::VerificationStatus::Passed));
}

#[test]
fn a_killed_bench_leaves_a_valid_file_with_what_it_finished() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed.json");
    let mut child = bench_until(&out, 1);
    child.kill().unwrap();
    child.wait().unwrap();
    let doc = flopmeter::results::load(&out).unwrap();
    assert!(doc.interrupted, "a run that never finished must say so");
    assert!(!doc.runs.is_empty());
}

fn bad(args: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never.json");
    let assert = flopmeter()
        .arg("bench")
        .args(args)
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        !stderr.contains("  "),
        "{args:?}: a run of spaces: {stderr:?}"
    );
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
    bad(&["--sweep", "quick", "--size", "64"], "cannot be used with");
    bad(&["--size", "64,,128"], "'' for '--size");
    bad(&["--target-spread", "2"], "'2'");
    bad(&["--rated-tflops", "0"], "'0'");
    bad(&["--backend", "cpu", "--size", "65536"], "free");
    if requires(Dep::Vulkan, "bad_bench_flags (wgpu binding limit)") {
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
        .stderr(predicate::str::contains("'-1' for '--warmup"));
    flopmeter()
        .args(["bench", "--max-time", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-time '0'"));
    flopmeter()
        .args(["bench", "--min-time", "5", "--max-time", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-time"));
}

#[test]
fn a_closed_pipe_is_a_quiet_exit() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    // More than a pipe buffer (64 KiB), so the writer really meets the closed pipe.
    let whole = flopmeter().args(["peaks", "--json"]).output().unwrap();
    assert!(
        whole.stdout.len() > 65536 + 4096,
        "{} bytes",
        whole.stdout.len()
    );
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let mut child = std::process::Command::new(bin)
        .args(["peaks", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then close the pipe, as `| head -2` does.
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    // Ended by SIGPIPE, as `ls | head` is: no panic (101), no error message.
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

#[test]
fn an_unwritable_out_fails_before_any_work() {
    // A 60 s budget: an error after the bench would take a minute, before it a moment.
    let start = std::time::Instant::now();
    let o = flopmeter()
        .args(["bench", "--backend", "cpu", "--size", "64"])
        .args(["--min-time", "60", "--max-time", "60"])
        .args(["--out", "/proc/flopmeter/r.json"])
        .output()
        .unwrap();
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/proc/flopmeter/r.json"), "{stderr}");
}
