//! Charts as a browser draws them: the HTML report and the trend plot are loaded in headless
//! Chromium with a script that measures every text of every SVG (its box as laid out, its font
//! size), and the test checks that each is 13 px or more, inside its chart, clear of every
//! other text, and that each axis has at least 4 tick labels written as plain numbers.

mod common;

use std::path::{Path, PathBuf};

use common::flopmeter;
use flopmeter::results::write_atomic;

/// Measures every `<svg>` of the page it is appended to, into `<pre id="measure">`.
const MEASURE: &str = r#"
<style>.chart svg, svg { max-width: none !important; width: auto; height: auto; border: none !important; }</style>
<pre id="measure"></pre>
<script>
const out = [];
for (const svg of document.querySelectorAll('svg')) {
  const box = svg.getBoundingClientRect();
  const texts = [];
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    texts.push({text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize),
      x0: r.left - box.left, y0: r.top - box.top, x1: r.right - box.left, y1: r.bottom - box.top});
  }
  out.push({width: box.width, height: box.height, texts: texts,
    titles: svg.querySelectorAll('title').length});
}
document.getElementById('measure').textContent = JSON.stringify(out);
</script>
"#;

/// The browser, where the test can run (see common::requires).
fn chromium(test: &str) -> Option<&'static str> {
    common::requires(common::Dep::Chromium, test).then(|| common::chromium().unwrap())
}

/// Chromium's flags for a quiet, offline, throw-away run.
pub fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

#[derive(Debug, serde::Deserialize)]
struct Measured {
    text: String,
    size: f64,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

#[derive(Debug, serde::Deserialize)]
struct Svg {
    width: f64,
    height: f64,
    texts: Vec<Measured>,
    titles: usize,
}

/// Loads `page` (HTML) with the measuring script in Chromium; the measurements of each SVG.
fn measure(browser: &str, page: &str, dir: &Path) -> Vec<Svg> {
    let html = match page.rfind("</body>") {
        Some(i) => format!("{}{MEASURE}{}", &page[..i], &page[i..]),
        None => format!("<!DOCTYPE html><html><body>{page}{MEASURE}</body></html>"),
    };
    let file = dir.join("measured.html");
    std::fs::write(&file, html).unwrap();
    let out = std::process::Command::new(browser)
        .args(chromium_args(&dir.join("profile")))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"measure\">").expect("the script ran") + 18;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// "0.25", "1500", "25%", "1e-6": a tick label as people write it.
fn plain_number(s: &str) -> bool {
    let n = s.trim_end_matches('%');
    if let Some((m, e)) = n.split_once('e') {
        // Exponents only far from 1.
        let e: i32 = e.parse().unwrap_or(0);
        return m.parse::<f64>().is_ok() && !(-4..6).contains(&e);
    }
    !n.is_empty() && n.parse::<f64>().is_ok() && !n.contains("+")
}

/// The most labels sharing one line: tick labels of the x axis share their top, those of the
/// y axis (right-aligned) their right end.
fn ticks(svg: &Svg, along_x: bool) -> usize {
    let numeric: Vec<&Measured> = svg.texts.iter().filter(|t| plain_number(&t.text)).collect();
    numeric
        .iter()
        .map(|a| {
            numeric
                .iter()
                .filter(|b| {
                    if along_x {
                        (a.y0 - b.y0).abs() < 0.5
                    } else {
                        (a.x1 - b.x1).abs() < 0.5
                    }
                })
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Every text 13 px or more, inside the chart, clear of the others; enough plain ticks.
fn assert_readable(what: &str, svg: &Svg, xy: bool) {
    assert!(!svg.texts.is_empty(), "{what}: no text");
    for (i, t) in svg.texts.iter().enumerate() {
        assert!(t.size >= 13.0, "{what}: '{}' at {} px", t.text, t.size);
        assert!(
            t.x0 >= -0.5 && t.y0 >= -0.5 && t.x1 <= svg.width + 0.5 && t.y1 <= svg.height + 0.5,
            "{what}: '{}' leaves the {}x{} canvas: {t:?}",
            t.text,
            svg.width,
            svg.height
        );
        for u in &svg.texts[i + 1..] {
            let w = t.x1.min(u.x1) - t.x0.max(u.x0);
            let h = t.y1.min(u.y1) - t.y0.max(u.y0);
            assert!(
                w <= 1.0 || h <= 1.0,
                "{what}: '{}' overlaps '{}' ({w:.1} x {h:.1} px)",
                t.text,
                u.text
            );
        }
    }
    assert!(
        ticks(svg, true) >= 4,
        "{what}: fewer than 4 x tick labels: {:?}",
        texts(svg)
    );
    if xy {
        assert!(
            ticks(svg, false) >= 4,
            "{what}: fewer than 4 y tick labels: {:?}",
            texts(svg)
        );
    }
}

fn texts(svg: &Svg) -> Vec<&str> {
    svg.texts.iter().map(|t| t.text.as_str()).collect()
}

/// The dev VM's bench with only the shapes of one octave (256 and 512: the wgpu runs).
fn one_octave(dir: &Path) -> PathBuf {
    let mut doc = flopmeter::results::load(Path::new("results/dev-vm-cpu-lavapipe.json")).unwrap();
    doc.runs.retain(|r| r.device == "wgpu:0");
    doc.devices.retain(|d| d.id == "wgpu:0");
    let p = dir.join("one-octave.json");
    write_atomic(&p, &doc).unwrap();
    p
}

#[test]
fn report_charts_are_readable_in_chromium() {
    let Some(browser) = chromium("report_charts_are_readable_in_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let octave = one_octave(dir.path());
    let (a, b) = (
        dir.path().join("node-a.json"),
        dir.path().join("node-b.json"),
    );
    write_atomic(&a, &common::h100_results("node-a", &[790.0, 800.0], 690.0)).unwrap();
    write_atomic(&b, &common::h100_results("node-b", &[795.0, 700.0], 690.0)).unwrap();
    let cluster = dir.path().join("cluster.json");
    flopmeter()
        .arg("merge")
        .args([&a, &b])
        .arg("--out")
        .arg(&cluster)
        .assert()
        .success();
    for (what, files, charts) in [
        (
            "dev VM",
            vec![PathBuf::from("results/dev-vm-cpu-lavapipe.json")],
            2,
        ),
        ("one octave of sizes", vec![octave.clone()], 2),
        // A cluster file: the job's histogram, then TFLOP/s per device.
        ("cluster", vec![cluster.clone()], 2),
    ] {
        let html = dir.path().join("r.html");
        flopmeter()
            .arg("report")
            .args(&files)
            .arg("--html")
            .arg(&html)
            .assert()
            .success();
        let svgs = measure(
            browser,
            &std::fs::read_to_string(&html).unwrap(),
            dir.path(),
        );
        assert_eq!(svgs.len(), charts, "{what}");
        // The first chart of a results file is TFLOP/s against size: two axes of numbers.
        let sized = what != "cluster";
        assert_readable(&format!("{what}: first chart"), &svgs[0], sized);
        for (i, s) in svgs.iter().enumerate().skip(1) {
            assert_readable(&format!("{what}: chart {i}"), s, false);
        }
        assert!(svgs.iter().all(|s| s.titles > 0), "{what}: hover values");
        if what == "cluster" {
            let histogram = texts(&svgs[0]).join(" | ");
            // A bin's value is its count of devices, a whole number ("1", not "1.000").
            let slow_bin = texts(&svgs[0])
                .into_iter()
                .find(|t| t.ends_with(" below the straggler threshold"))
                .unwrap_or_else(|| panic!("no straggler bin: {histogram}"));
            let count = slow_bin.split(' ').next().unwrap();
            assert!(count.parse::<u64>().is_ok(), "{slow_bin}");
            let bars = texts(&svgs[1]).join(" | ");
            assert!(
                bars.contains("straggler: 11.7% below the median") && bars.contains("median 792.5"),
                "{bars}"
            );
        }
    }
}

#[test]
fn the_trend_plot_is_readable_in_chromium() {
    let Some(browser) = chromium("the_trend_plot_is_readable_in_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (since, size) in [
        ("2012", "960x560"),
        ("1950", "960x560"),
        ("2012", "640x420"),
        ("1950", "1600x900"),
    ] {
        let svg = dir.path().join("trend.svg");
        flopmeter()
            .args([
                "trend",
                "--since",
                since,
                "--plot-size",
                size,
                "--add",
                "my run=300@2024-06-01",
                "--plot",
            ])
            .arg(&svg)
            .assert()
            .success();
        let measured = measure(browser, &std::fs::read_to_string(&svg).unwrap(), dir.path());
        let what = format!("trend --since {since} --plot-size {size}");
        assert_eq!(measured.len(), 1);
        let (w, h) = size.split_once('x').unwrap();
        assert_eq!(
            (measured[0].width, measured[0].height),
            (w.parse().unwrap(), h.parse().unwrap())
        );
        assert_readable(&what, &measured[0], true);
        assert!(
            texts(&measured[0]).contains(&"my run"),
            "{what}: the user's run is named"
        );
        assert!(
            texts(&measured[0]).contains(&"AlexNet"),
            "{what}: landmarks are named"
        );
    }
}

/// A sustain page: a real CPU run of two devices' worth (the CPU, and the same file again as a
/// second node), with board power, its cap and temperature added to every window as NVML
/// gives them on a GPU, so all four charts against time are drawn; each readable, with hover
/// values, and the missing telemetry of the real run named when it is not added.
#[test]
fn the_sustain_report_is_readable_in_chromium() {
    let Some(browser) = chromium("the_sustain_report_is_readable_in_chromium") else {
        return;
    };
    use flopmeter::results::sustain::io;
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("cpu.json");
    flopmeter()
        .args([
            "sustain",
            "--backend",
            "cpu",
            "--kernel",
            "faer",
            "--dtype",
            "f32",
        ])
        .args(["--size", "256", "--duration", "3", "--window", "0.25"])
        .args(["--max-drop", "0.9", "--quiet", "--out"])
        .arg(&run)
        .assert()
        .success();
    let html = dir.path().join("r.html");
    let report = |files: &[&Path]| {
        flopmeter()
            .arg("report")
            .args(files)
            .arg("--html")
            .arg(&html)
            .assert()
            .success();
        std::fs::read_to_string(&html).unwrap()
    };
    // As measured on the CPU: the rate and the clock, and what was not sampled said so.
    let page = report(&[&run]);
    assert!(
        page.contains("No power sampled: cpu:0 (cpu-clock)"),
        "{page}"
    );
    let svgs = measure(browser, &page, dir.path());
    assert_eq!(svgs.len(), 2);
    let mut doc = io::load(&run).unwrap();
    for s in &mut doc.series {
        for w in &mut s.windows {
            let t = w.start_s;
            w.power_w = Some(600.0 + 90.0 * (t / 3.0));
            w.power_limit_w = Some(700.0);
            w.temperature_c = Some(45.0 + 30.0 * (t / 3.0));
        }
    }
    let gpu_like = dir.path().join("gpu-like.json");
    io::write_atomic(&gpu_like, &doc).unwrap();
    let page = report(&[&run, &gpu_like]);
    let svgs = measure(browser, &page, dir.path());
    assert_eq!(svgs.len(), 4, "rate, clock, power, temperature");
    for (i, s) in svgs.iter().enumerate() {
        assert_readable(&format!("sustain chart {i}"), s, true);
        assert!(s.titles > 0, "chart {i}: hover values");
    }
    let all: Vec<&str> = svgs.iter().flat_map(texts).collect();
    for want in ["seconds since the start", "TFLOP/s", "MHz", "W", "C"] {
        assert!(all.contains(&want), "{want} not in {all:?}");
    }
}
