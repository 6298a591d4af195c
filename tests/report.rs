//! `flopmeter report`: tables, Markdown, self-contained HTML (checked in headless Chromium),
//! comparisons, and bad files.

mod common;

use std::path::{Path, PathBuf};

use common::{flopmeter, one_line_error, requires, Dep};
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
    assert!(text.contains("| 1.100x |"), "{text}");
    // The same header as the HTML page: host, devices, driver, version.
    assert!(text.starts_with("## flopmeter report\n\n- **baseline**: 2026-11-26T22:00:00Z on node1 (AMD EPYC, Linux), 1 results, flopmeter 0.1.0 (abc1234)\n  - cpu:0 AMD EPYC\n"), "{text}");
    // Each column says what it holds.
    assert!(
        text.contains("**best TFLOP/s**: the median TFLOP/s of the fastest verified shape"),
        "{text}"
    );
}

#[test]
fn markdown_csv_and_html_go_to_stdout_with_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_files(dir.path());
    let md = flopmeter()
        .current_dir(dir.path())
        .args(["report", "--markdown", "-"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert!(md.status.success());
    let text = String::from_utf8(md.stdout).unwrap();
    assert!(
        text.starts_with("## flopmeter report\n") && !text.contains('┌'),
        "{text}"
    );
    assert!(!dir.path().join("-").exists(), "no file named -");
    let csv = flopmeter()
        .args(["report", "--csv", "-"])
        .args([&a, &b])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&r.headers().unwrap()[10], "median_tflops");
    assert!((rows[1][10].parse::<f64>().unwrap() - 0.0032 * 1.1).abs() < 1e-15);
    flopmeter()
        .args(["report", "--html", "-"])
        .arg(&a)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("<!DOCTYPE html>"));
    for both in [
        &["--markdown", "-", "--csv", "-"][..],
        &["--json", "--csv", "-", "--html", "r.html"],
    ] {
        flopmeter()
            .current_dir(dir.path())
            .arg("report")
            .args(both)
            .arg(&a)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("stdout"));
    }
}

/// An interrupted file, a rate above the peak and a model bench are said in every format.
#[test]
fn every_format_says_interrupted_above_peak_and_the_model_headline() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = common::sample_results();
    r.interrupted = true;
    r.runs[0].utilization.rated = Some(1.2);
    r.runs[0].utilization.above_peak = true;
    r.devices[0]
        .rated_tflops
        .insert(flopmeter::dtype::Dtype::F32, 0.0032 / 1.2);
    let file = dir.path().join("partial.json");
    flopmeter::results::write_atomic(&file, &r).unwrap();
    let model = dir.path().join("model.json");
    flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--dtype",
            "f32",
            "--quiet",
            "--out",
        ])
        .arg(&model)
        .args([
            "--model-config",
            "hidden=64,ffn=128,heads=2,layers=1,vocab=96,seq=32",
        ])
        .args(common::FAST)
        .assert()
        .success();
    let (md, html) = (dir.path().join("r.md"), dir.path().join("r.html"));
    let out = flopmeter()
        .arg("report")
        .args([&file, &model])
        .arg("--markdown")
        .arg(&md)
        .arg("--html")
        .arg(&html)
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let terminal = String::from_utf8(out.stdout).unwrap();
    for (what, text) in [
        ("terminal", terminal),
        ("markdown", std::fs::read_to_string(&md).unwrap()),
        ("html", std::fs::read_to_string(&html).unwrap()),
    ] {
        assert!(text.contains("partial is interrupted"), "{what}:\n{text}");
        assert!(text.contains("120.0% (!)"), "{what}:\n{text}");
        let headline = text
            .find("FLOP-weighted: cpu:0 f32 ")
            .unwrap_or_else(|| panic!("{what}:\n{text}"));
        let results = text.find("Results per device").unwrap();
        assert!(
            headline < results,
            "{what}: the model's headline comes first"
        );
        assert!(
            text.contains("GEMMs of one training step on cpu:0 f32"),
            "{what}"
        );
        assert!(
            text.contains("FLOP share") || text.contains("share"),
            "{what}"
        );
    }
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
    assert_eq!(
        page.matches("<svg").count(),
        2,
        "TFLOP/s against size for both files in one chart, and utilization"
    );
    assert!(
        page.contains(">baseline cpu:0 faer f32</text>")
            && page.contains(">faster cpu:0 faer f32</text>")
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

/// Loads the page in headless Chromium: no console errors, the charts are in the DOM, and a
/// screenshot of it is not blank.
#[test]
fn html_renders_in_headless_chromium() {
    if !requires(Dep::Chromium, "html_renders_in_headless_chromium") {
        return;
    }
    let chromium = common::chromium().unwrap();
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
    assert_eq!(
        dom.matches("<svg").count(),
        2,
        "charts missing from the rendered DOM"
    );
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource")
        })
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:#?}");
    // What a person would see: the page drawn, not a white (or black) rectangle.
    let shot = dir.path().join("shot.png");
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
            "--hide-scrollbars",
            "--window-size=1200,1600",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile2").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (width, height, pixels) = decode_rgb(&shot);
    assert_eq!((width, height), (1200, 1600));
    let background = pixels[0];
    let other = pixels.iter().filter(|p| **p != background).count();
    let mut colours: Vec<[u8; 3]> = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        other > pixels.len() / 50 && colours.len() > 50,
        "blank screenshot: {other} of {} pixels differ from the background, {} colours",
        pixels.len(),
        colours.len()
    );
}

/// A PNG's size and its pixels as RGB.
fn decode_rgb(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| [c[0], c[1.min(channels - 1)], c[2.min(channels - 1)]])
        .collect();
    (info.width, info.height, rgb)
}

#[test]
fn terminal_tables_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_files(dir.path());
    // One kernel: no side-by-side table.
    flopmeter()
        .arg("report")
        .arg(&a)
        .assert()
        .success()
        .stdout(predicate::str::contains("Kernels side by side").not())
        .stdout(predicate::str::contains("utilization"));
    flopmeter()
        .args(["report", "results/dev-vm-cpu-lavapipe.json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Kernels side by side"));
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
        one_line_error(
            flopmeter().arg("report").arg(file),
            &[file.to_str().unwrap(), needle],
        );
    }
    one_line_error(
        flopmeter()
            .arg("report")
            .arg(&a)
            .args(["--html", "/proc/nope/r.html"]),
        &["/proc/nope/r.html"],
    );
    one_line_error(flopmeter().arg("report"), &[]);
}
