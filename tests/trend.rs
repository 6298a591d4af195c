//! `flopmeter trend`: AI and Compute reproduced from its own figure, the runs since, the charts,
//! and bad input.

mod common;

use std::time::Duration;

use common::flopmeter;
use predicates::prelude::*;
use serde_json::Value;

/// Every run plotted in AI and Compute's 2012-2018 figure, with the label the figure gives it.
const PAPER_POINTS: [&str; 15] = [
    "AlexNet",
    "Dropout",
    "Visualizing and Understanding Conv Nets",
    "DQN",
    "Seq2Seq",
    "GoogleNet",
    "VGG",
    "DeepSpeech2",
    "ResNets",
    "Neural Machine Translation (GNMT)",
    "Xception",
    "Neural Architecture Search",
    "TI7 Dota 1v1",
    "AlphaGo Zero",
    "AlphaZero",
];

fn trend_json(args: &[&str]) -> Value {
    let out = flopmeter()
        .arg("trend")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn trend_text(args: &[&str]) -> String {
    let out = flopmeter().arg("trend").args(args).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn era<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["era"] == id)
        .unwrap_or_else(|| panic!("no era {id}"))
}

fn point<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no run {name}"))
}

#[test]
fn the_paper_era_reproduces_ai_and_compute() {
    let v = trend_json(&["--since", "2012", "--until", "2018"]);
    let aic = era(&v, "2012-2018");
    assert_eq!(aic["runs"], 15);
    // The value the bundled data gives (the paper: 3.4 months).
    let months = aic["fit"]["doubling_months"].as_f64().unwrap();
    assert!((months - 3.43465).abs() < 5e-5, "{months}");
    assert_eq!(aic["published"]["doubling_months"][0], 3.4);
    let h = &v["headlines"][0];
    assert_eq!(
        (&h["from"], &h["to"]),
        (&"AlexNet".into(), &"AlphaGo Zero".into())
    );
    let factor = h["factor"].as_f64().unwrap();
    assert!((2.5e5..4e5).contains(&factor), "{factor}");
    assert_eq!(h["published_factor"], 300000.0);

    let text = trend_text(&["--since", "2012", "--until", "2018"]);
    assert!(
        text.contains("AI and Compute: 3.4 months; this fit: 3."),
        "{text}"
    );
    assert!(text.contains("AlexNet to AlphaGo Zero: AI and Compute: 300000x; this data: 3"));
    // 2018's runs belong to the next era, too few there to fit.
    assert!(text.contains("2018-now (since AI and Compute): not enough runs to fit"));
}

#[test]
fn every_point_of_the_paper_is_present_with_its_source() {
    let v = trend_json(&["--since", "2012", "--until", "2017"]);
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), PAPER_POINTS.len());
    for name in PAPER_POINTS {
        let p = point(&v, name);
        let source = p["source"].as_str().unwrap();
        assert!(source.contains("AI and Compute"), "{name}: {source}");
        assert_eq!(p["era"], "2012-2018");
    }
    // Where the appendix gives no inputs, the published total is labelled reported.
    for name in ["GoogleNet", "TI7 Dota 1v1", "AlphaGo Zero", "AlphaZero"] {
        let p = point(&v, name);
        assert_eq!(p["basis"], "reported", "{name}");
        assert!(
            p.get("method").is_none() && p.get("how").is_none(),
            "{name}"
        );
        assert!(p["source"].as_str().unwrap().contains("transcription"));
    }
    // AlphaGo Zero at the chart's 1860 pfs-days.
    assert_eq!(point(&v, "AlphaGo Zero")["pfs_days"], 1860.0);
    // Where it does, the value is derived here and the appendix's total is beside it.
    let alexnet = point(&v, "AlexNet");
    assert_eq!(
        (&alexnet["basis"], &alexnet["method"]),
        (&"derived".into(), &"hardware".into())
    );
    assert_eq!(alexnet["reported_pfs_days"], 0.0058);
    // By hand: 2 GPUs x 1.58 TFLOP/s x 5.5 days x 86400 s x 0.33 / 8.64e19 = 0.0057354.
    let hand = 2.0 * 1.58e12 * 5.5 * 86400.0 * 0.33 / 8.64e19;
    let alexnet_pfs = alexnet["pfs_days"].as_f64().unwrap();
    assert!(
        (alexnet_pfs - hand).abs() < 1e-12 && (hand - 0.0057354).abs() < 1e-9,
        "{alexnet_pfs}"
    );
}

#[test]
fn the_default_view_fits_both_eras_beside_the_published_figures() {
    let v = trend_json(&[]);
    let ids: Vec<_> = v["fits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["era"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2012-2018", "2018-now"]);
    let now = era(&v, "2018-now");
    assert!(now["runs"].as_u64().unwrap() >= 20, "{}", now["runs"]);
    assert_eq!(now["fit"]["points"], now["runs"]);
    // The value the bundled data gives (OPT-175B at its 300B tokens): 5.2185 months.
    let months = now["fit"]["doubling_months"].as_f64().unwrap();
    assert!((months - 5.2185).abs() < 5e-4, "{months}");
    assert_eq!(now["published"]["by"], "Epoch AI");
    let text = trend_text(&[]);
    assert!(text.contains("AI and Compute: 3.4 months; this fit: 3."));
    assert!(text.contains("Epoch AI: 4-5x a year (5.2-6.0 months); this fit: "));
}

#[test]
fn json_points_say_how_each_value_was_obtained() {
    let v = trend_json(&[]);
    let points = v["points"].as_array().unwrap();
    assert!(points.len() >= 55);
    for p in points {
        let name = p["name"].as_str().unwrap();
        assert!(p["date"].as_str().unwrap().len() == 10, "{name}");
        assert!(p["pfs_days"].as_f64().unwrap() > 0.0, "{name}");
        assert!(!p["source"].as_str().unwrap().is_empty(), "{name}");
        match p["basis"].as_str().unwrap() {
            "derived" => assert!(p["method"].is_string() && p["how"].is_string(), "{name}"),
            "reported" => assert!(p.get("method").is_none(), "{name}"),
            other => panic!("{name}: basis {other}"),
        }
    }
    // GPT-3's 6ND beside the 3640 pfs-days of its paper.
    let gpt3 = point(&v, "GPT-3 175B");
    assert_eq!(gpt3["method"], "6nd");
    let ratio = gpt3["pfs_days"].as_f64().unwrap() / 3640.0;
    assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
}

#[test]
fn text_fits_100_columns_and_sources_wait_for_verbose() {
    let plain = trend_text(&[
        "--since",
        "1950",
        "--add",
        "a rather long name for my run=5@2024-01-01",
    ]);
    let verbose = trend_text(&["--verbose"]);
    for out in [&plain, &verbose] {
        for line in out.lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
    }
    assert!(!plain.contains("https://"));
    assert!(verbose.contains("https://openai.com/index/ai-and-compute/"));
    assert!(verbose.contains("Epoch revises estimates"));
}

#[test]
fn windows_and_added_runs() {
    let v = trend_json(&[
        "--since",
        "2020",
        "--until",
        "2023",
        "--add",
        "mine=1e4@2023-05-01",
        "--add",
        "later=1e6@2026-01-01",
    ]);
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
        era(&v, "2018-now")["runs"].as_u64().unwrap() as usize,
        points.len() - 1
    );
    // And those the window leaves out are named.
    assert_eq!(v["outside_window"][0]["name"], "later");
    let text = trend_text(&["--until", "2023", "--add", "later=1e6@2026-01-01"]);
    assert!(text.contains("Outside 2012-2023, not shown: later (2026-01-01)"));
}

#[test]
fn too_few_runs_are_not_fitted() {
    let text = trend_text(&["--since", "2030"]);
    assert!(text.contains("No runs in 2030-now."), "{text}");
    assert!(text.contains("not enough runs to fit (0; a fit needs 3)"));
    let v = trend_json(&["--since", "2030"]);
    assert!(v["fits"][0]["fit"].is_null());
}

#[test]
fn plots_show_both_fits_both_bases_and_the_users_runs_in_red() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let png = dir.path().join("t.png");
    flopmeter()
        .args(["trend", "--add", "mine=5e4@2025-01-01", "--plot"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"));
    for needle in [
        "2012-2018 fit: 3.4",
        "2018-now fit: 5.",
        "derived here from published inputs",
        "reported totals",
        "AlexNet",
        "AlphaGo Zero",
        "GPT-4",
        "mine",
        "#D62728",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    flopmeter()
        .args(["trend", "--plot"])
        .arg(&png)
        .assert()
        .success();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn extreme_runs_are_refused_or_drawn_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    flopmeter()
        .args(["trend", "--add", "x=1e308@2020-01-01", "--plot"])
        .arg(&svg)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'x=1e308@2020-01-01'"));
    assert!(!svg.exists());
    // The widest runs allowed, at the ends of the years allowed.
    flopmeter()
        .args(["trend", "--since", "1950"])
        .args([
            "--add",
            "big=1e15@2100-12-31",
            "--add",
            "small=1e-15@1950-01-01",
        ])
        .arg("--plot")
        .arg(&svg)
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("small"));
}

#[test]
fn bad_input_is_one_line_naming_the_value() {
    for (args, needle) in [
        (vec!["--add", "oops"], "'oops'"),
        (vec!["--add", "x=1@2020-02-30"], "2020-02-30"),
        (vec!["--add", "x=-5@2020-01-01"], "'x=-5@2020-01-01'"),
        (vec!["--add", "x=1@-2020-01-01"], "'x=1@-2020-01-01'"),
        (
            vec!["--add", "x=1@0020-01-01"],
            "year 20 is outside 1950-2100",
        ),
        (vec!["--add", "x=1@12345-01-01"], "'x=1@12345-01-01'"),
        (vec!["--since", "2020", "--until", "2019"], "after"),
        (vec!["--until", "2011"], "default --since 2012"),
        (vec!["--since", "twenty"], "'twenty'"),
        (vec!["--until", "1800"], "'1800'"),
        (vec!["--plot", "chart.gif"], "chart.gif"),
        (
            vec!["--plot", "/proc/nope/chart.svg"],
            "/proc/nope/chart.svg",
        ),
    ] {
        let out = flopmeter().arg("trend").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("  "), "{args:?}: a run of spaces: {err:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
