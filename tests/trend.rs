//! `flopmeter trend`: the fit, the chart files, and bad input.

mod common;

use common::flopmeter;
use predicates::prelude::*;

#[test]
fn json_has_the_doubling_time_and_the_points() {
    let out = flopmeter().args(["trend", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let months = v["doubling_months"].as_f64().unwrap();
    assert!(months > 1.0 && months < 24.0, "{months}");
    let [lo, hi] = [
        v["doubling_months_ci95"][0].as_f64().unwrap(),
        v["doubling_months_ci95"][1].as_f64().unwrap(),
    ];
    assert!(lo < months && months < hi);
    assert!(v["points"].as_array().unwrap().len() >= 15);
    assert!(v["growth_factor"].as_f64().unwrap() > 1e6);
}

#[test]
fn windows_and_added_runs() {
    let out = flopmeter()
        .args([
            "trend",
            "--since",
            "2020",
            "--until",
            "2023",
            "--add",
            "mine=1e4@2023-05-01",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["points"].as_array().unwrap();
    assert!(points.iter().all(|p| {
        let y = p["year"].as_f64().unwrap();
        (2020.0..2024.0).contains(&y)
    }));
    let mine: Vec<_> = points.iter().filter(|p| p["user"] == true).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["pfs_days"], 1e4);
    // The user's runs are shown against the fit, not fitted.
    assert_eq!(
        v["fitted_runs"].as_u64().unwrap() as usize,
        points.len() - 1
    );
}

#[test]
fn plots_are_written_as_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let png = dir.path().join("t.png");
    flopmeter()
        .args(["trend", "--add", "mine=5e4@2025-01-01", "--plot"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("AlexNet") && text.contains("mine"));
    flopmeter()
        .args(["trend", "--plot"])
        .arg(&png)
        .assert()
        .success();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn bad_input() {
    for (args, needle) in [
        (vec!["--add", "oops"], "'oops'"),
        (vec!["--add", "x=1@2020-02-30"], "2020-02-30"),
        (vec!["--add", "x=-5@2020-01-01"], "positive"),
        (vec!["--since", "2020", "--until", "2019"], "after"),
        (vec!["--since", "twenty"], "'twenty'"),
        (vec!["--since", "2030"], "at least 2 runs"),
        (vec!["--plot", "chart.gif"], "chart.gif"),
        (
            vec!["--plot", "/proc/nope/chart.svg"],
            "/proc/nope/chart.svg",
        ),
    ] {
        flopmeter()
            .arg("trend")
            .args(&args)
            .assert()
            .failure()
            .stderr(predicate::str::contains(needle));
    }
}
