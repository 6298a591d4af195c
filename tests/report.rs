//! `flopmeter report`: tables, Markdown, self-contained HTML (checked in headless Chromium),
//! comparisons, and bad files.

mod common;

use std::path::{Path, PathBuf};

use common::flopmeter;
use predicates::prelude::*;

/// Two results files of the same device: a baseline and one 10% faster.
fn two_files(dir: &Path) -> (PathBuf, PathBuf) {
    let a = dir.join("baseline.json");
    let b = dir.join("faster.json");
    let mut r = common::sample_results();
    flopmeter::results::write_atomic(&a, &r).unwrap();
    r.runs[0].tflops.median *= 1.1;
    r.runs[0].tflops.max *= 1.1;
    r.runs[0].utilization.rated = r.runs[0].utilization.rated.map(|u| u * 1.1);
    flopmeter::results::write_atomic(&b, &r).unwrap();
    (a, b)
}

#[test]
fn json_markdown_and_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_files(dir.path());
    let md = dir.path().join("r.md");
    let out = flopmeter()
        .arg("report")
        .args([&a, &b])
        .arg("--markdown")
        .arg(&md)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    let ratio = v["comparisons"][0]["files"][1][2].as_f64().unwrap();
    assert!((ratio - 1.1).abs() < 1e-9, "{ratio}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("| file | device | kernel | dtype | best TFLOP/s"));
    assert!(text.contains("|:---|:---|:---|:---|---:|"));
    assert!(text.contains("(1.10x)"));
}

#[test]
fn html_is_self_contained_with_charts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_files(dir.path());
    let html = dir.path().join("r.html");
    flopmeter()
        .arg("report")
        .args([&a, &b])
        .arg("--html")
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.matches("<svg").count() >= 3,
        "TFLOP/s per size for each file + utilization"
    );
    // (The SVG namespace URI is an identifier, not a fetch.)
    for external in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "<script src",
        "<link",
        "@import",
    ] {
        assert!(!page.contains(external), "fetches {external}");
    }
}

/// Loads the page in headless Chromium: no console errors, and the charts are in the DOM.
#[test]
fn html_renders_in_headless_chromium() {
    if std::env::var_os("FLOPMETER_NO_CHROMIUM").is_some() {
        return;
    }
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Debian's chromium is needed (scripts/test.sh installs it)");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_files(dir.path());
    let html = dir.path().join("r.html");
    flopmeter()
        .arg("report")
        .args([&a, &b])
        .arg("--html")
        .arg(&html)
        .assert()
        .success();
    let profile = dir.path().join("profile");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(dom.contains("flopmeter report"));
    assert!(
        dom.matches("<svg").count() >= 3,
        "charts missing from the rendered DOM"
    );
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource")
        })
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:#?}");
}

#[test]
fn terminal_tables_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_files(dir.path());
    flopmeter()
        .arg("report")
        .arg(&a)
        .assert()
        .success()
        .stdout(predicate::str::contains("Kernels side by side"))
        .stdout(predicate::str::contains("utilization"));
}

#[test]
fn bad_files_and_paths_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_files(dir.path());
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"{"schema": "flopmeter.results/v9"}"#).unwrap();
    let notjson = dir.path().join("notes.txt");
    std::fs::write(&notjson, "hello").unwrap();
    for (file, needle) in [(&empty, "empty"), (&other, "v9"), (&notjson, "not JSON")] {
        flopmeter().arg("report").arg(file).assert().code(2).stderr(
            predicate::str::contains(file.to_str().unwrap()).and(predicate::str::contains(needle)),
        );
    }
    flopmeter()
        .arg("report")
        .arg(&a)
        .args(["--html", "/proc/nope/r.html"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/proc/nope/r.html"));
    flopmeter().arg("report").assert().code(2);
}
