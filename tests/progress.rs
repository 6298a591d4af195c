//! Progress where nobody watches a terminal: a bench with stderr redirected to a file (Slurm,
//! nohup, `| tee`, CI) prints one line per finished job, numbered, with the rate, the
//! utilization and the best so far; `--quiet` prints none.

mod common;

use std::process::{Command, Stdio};

use common::FAST;

/// Runs a 4-job CPU bench with stderr into a file; returns (stderr, results).
fn bench_with_stderr_in_a_file(extra: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("job.log");
    let out = dir.path().join("r.json");
    let status = Command::new(env!("CARGO_BIN_EXE_flopmeter"))
        .args([
            "bench",
            "--backend",
            "cpu",
            "--kernel",
            "faer",
            "--dtype",
            "f32,f64",
            "--size",
            "48,64",
        ])
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .status()
        .unwrap();
    assert!(status.success());
    let doc = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (std::fs::read_to_string(&log).unwrap(), doc)
}

#[test]
fn a_log_gets_one_line_per_finished_job() {
    let (log, doc) = bench_with_stderr_in_a_file(&[]);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    let lines: Vec<&str> = log.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(lines.len(), runs.len(), "{log}");
    for (i, (line, run)) in lines.iter().zip(runs).enumerate() {
        // "[2/4 0.3 s] cpu:0 faer f32 64x64x64: 0.01234 TFLOP/s ±0.5%, 2.2% of peak; best ..."
        assert!(line.starts_with(&format!("[{}/4 ", i + 1)), "{line}");
        let shape = format!("{}x{}x{}", run["m"], run["n"], run["k"]);
        let what = format!("cpu:0 faer {} {shape}: ", run["dtype"].as_str().unwrap());
        assert!(line.contains(&what), "{line} lacks {what}");
        assert!(
            line.contains(" TFLOP/s ±") && line.contains("% of peak"),
            "{line}"
        );
        assert!(
            line.contains(&format!(
                "; best cpu:0 {} so far ",
                run["dtype"].as_str().unwrap()
            )),
            "{line}"
        );
    }
    // No bar, no carriage returns or escape sequences in a log.
    assert!(!log.contains('\r') && !log.contains('\u{1b}'), "{log:?}");
}

#[test]
fn quiet_prints_no_progress() {
    let (log, doc) = bench_with_stderr_in_a_file(&["--quiet"]);
    assert_eq!(doc["runs"].as_array().unwrap().len(), 4);
    assert!(!log.lines().any(|l| l.starts_with('[')), "{log}");
}
