//! `flopmeter compare`: planted regressions among equal jobs, found from the samples alone.

mod common;

use std::path::{Path, PathBuf};

use common::{flopmeter, sample_results};
use flopmeter::results::{write_atomic, Results, Run, Shape};
use predicates::prelude::*;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};

/// A run of `n`^3 with 200 samples: times around `seconds` with log-normal noise of `spread`.
fn run(template: &Run, n: usize, seconds: f64, spread: f64, rng: &mut rand::rngs::StdRng) -> Run {
    let mut r = template.clone();
    (r.m, r.n, r.k) = (n, n, n);
    r.flop = Shape::cube(n).flop();
    let noise = LogNormal::new(0.0, spread).unwrap();
    r.samples = (0..200).map(|_| seconds * noise.sample(rng)).collect();
    r.time_s = flopmeter::measure::stats::summarize(&r.samples);
    r.tflops.median = r.flop / r.time_s.median / 1e12;
    r.tflops.max = r.flop / r.time_s.min / 1e12;
    r.utilization.rated = Some(r.tflops.median / 0.55);
    r
}

/// Six jobs, each time scaled by its factor (1.0: the same machine, fresh noise).
fn results(factors: &[f64; 6], seed: u64) -> Results {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut doc = sample_results();
    let template = doc.runs[0].clone();
    doc.runs = [64, 96, 128, 192, 256, 384]
        .iter()
        .zip(factors)
        .map(|(n, f)| {
            let base = Shape::cube(*n).flop() / 0.3e12;
            run(
                &template,
                *n,
                base * f,
                0.02 + rng.random::<f64>() * 0.01,
                &mut rng,
            )
        })
        .collect();
    doc
}

fn write(dir: &Path, name: &str, doc: &Results) -> PathBuf {
    let p = dir.join(name);
    write_atomic(&p, doc).unwrap();
    p
}

#[test]
fn one_job_ten_percent_slower_is_named_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &results(&[1.0; 6], 1));
    // 128^3 takes 1/0.9 the time (10% slower); 256^3 0.3% slower, within the noise.
    let slower = results(&[1.0, 1.0, 1.0 / 0.9, 1.0, 1.003, 1.0], 2);
    let cand = write(dir.path(), "cand.json", &slower);
    let out = flopmeter()
        .args(["compare"])
        .args([&base, &cand])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    let row = |shape: &str| {
        text.lines()
            .find(|l| l.contains(shape))
            .unwrap()
            .to_string()
    };
    assert!(row("128x128x128").contains("SLOWER"), "{text}");
    for shape in [
        "64x64x64",
        "96x96x96",
        "192x192x192",
        "256x256x256",
        "384x384x384",
    ] {
        assert!(
            row(shape).trim_end_matches(['│', ' ']).ends_with("same"),
            "{shape}:\n{text}"
        );
    }
    assert!(
        err.contains("cpu:0 faer f32 128x128x128 (-10.") && err.lines().count() == 1,
        "{err}"
    );
    // The ratio and its interval from the samples.
    let json = flopmeter()
        .args(["compare", "--json"])
        .args([&base, &cand])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let job = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["m"] == 128)
        .unwrap();
    let (ratio, lo, hi) = (
        job["ratio"].as_f64().unwrap(),
        job["interval"][0].as_f64().unwrap(),
        job["interval"][1].as_f64().unwrap(),
    );
    assert!(
        (ratio - 0.9).abs() < 0.01 && lo < ratio && ratio < hi && hi < 0.95,
        "{job}"
    );
    assert_eq!(v["regressions"], 1);
}

#[test]
fn equal_machines_pass_and_the_threshold_decides() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &results(&[1.0; 6], 3));
    let same = write(dir.path(), "same.json", &results(&[1.0; 6], 4));
    flopmeter()
        .args(["compare"])
        .args([&base, &same])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "6 jobs compared: 0 faster, 0 slower (0 beyond 5.0%), 6 the same within noise.",
        ));
    // 10% slower passes a 20% threshold (slower, not a regression).
    let slow = write(
        dir.path(),
        "slow.json",
        &results(&[1.0, 1.0, 1.0 / 0.9, 1.0, 1.0, 1.0], 5),
    );
    flopmeter()
        .args(["compare", "--threshold", "0.2"])
        .args([&base, &slow])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 slower (0 beyond 20.0%)"));
    // Markdown for a CI summary, on stdout.
    flopmeter()
        .args(["compare", "--markdown", "-"])
        .args([&base, &slow])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "### flopmeter compare\n\n| device | kernel |",
        ));
}

#[test]
fn folders_compare_file_by_file_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (d, seed) in [(&a, 6), (&b, 7)] {
        std::fs::create_dir(d).unwrap();
        let mut r = results(&[1.0; 6], seed);
        write(d, "rank-00000-node1.json", &r);
        r.host.hostname = "node2".into();
        write(d, "rank-00001-node2.json", &r);
    }
    let out = flopmeter()
        .args(["compare", "--json"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["jobs"].as_array().unwrap().len(),
        12,
        "6 jobs on each of 2 hosts"
    );
    assert!(v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["host"] == "node2"));
    flopmeter()
        .args(["compare", "--threshold", "5"])
        .args([&a, &b])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threshold"));
    flopmeter()
        .args(["compare"])
        .arg(&a)
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
    let other = write(dir.path(), "other.json", &{
        let mut r = results(&[1.0; 6], 8);
        r.runs.iter_mut().for_each(|x| x.kernel = "other".into());
        r
    });
    flopmeter()
        .args(["compare"])
        .arg(a.join("rank-00000-node1.json"))
        .arg(&other)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no job of"));
}

#[test]
fn a_batched_job_is_its_own_job_in_every_output() {
    // The 128^3 job again as a batch of 8, 10% slower on the candidate: a regression of its
    // own, named with its batch, and the plain 128^3 job the same.
    let batched = |doc: &mut Results, factor: f64| {
        let mut r = doc.runs[2].clone();
        r.batch = 8;
        r.flop *= 8.0;
        r.samples.iter_mut().for_each(|t| *t *= 8.0 * factor);
        r.time_s = flopmeter::measure::stats::summarize(&r.samples);
        doc.runs.push(r);
    };
    let dir = tempfile::tempdir().unwrap();
    let mut base = results(&[1.0; 6], 1);
    batched(&mut base, 1.0);
    let mut cand = results(&[1.0; 6], 2);
    batched(&mut cand, 1.0 / 0.9);
    let (base, cand) = (
        write(dir.path(), "base.json", &base),
        write(dir.path(), "cand.json", &cand),
    );
    let out = flopmeter()
        .args(["compare", "--json"])
        .args([&base, &cand])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 7, "{v}");
    let at = |batch: u64| {
        jobs.iter()
            .find(|j| j["m"] == 128 && j["batch"] == batch)
            .unwrap()
    };
    assert_eq!(
        (at(8)["regression"].as_bool(), at(1)["regression"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("8x(128x128x128)"));
    let csv = flopmeter()
        .args(["compare", "--csv", "-"])
        .args([&base, &cand])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.lines().next().unwrap().contains(",k,batch,"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(",128,128,128,8,"))
            .count(),
        1,
        "{text}"
    );
}
