//! Every table a person reads, at 80, 120 and 200 columns (COLUMNS, as a terminal of that width
//! sets it): each fits the width, each row stays on one line, and every cell shown is a cell of
//! the unfitted table (a number, a shape or an id is never split or changed; a name may be cut
//! with "…"). Also: control characters from files never reach the terminal or Markdown.

mod common;

use std::path::{Path, PathBuf};

use common::{flopmeter, h100_results, sample_results, FAST};
use console::measure_text_width;
use flopmeter::results::write_atomic;

const WIDTHS: [usize; 3] = [80, 120, 200];

/// One table as printed: its header cells and its rows of cells.
#[derive(Debug)]
struct Parsed {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    lines: Vec<String>,
}

fn cells(line: &str) -> Vec<String> {
    line.trim_matches('│')
        .split('┆')
        .map(|c| c.trim().to_string())
        .collect()
}

/// The tables in `text`, each from its ┌ line to its └ line.
fn tables(text: &str) -> Vec<Parsed> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with('┌') {
            i += 1;
            continue;
        }
        let start = i;
        while !lines[i].starts_with('└') {
            i += 1;
        }
        let block: Vec<&str> = lines[start..=i].to_vec();
        let sep = block.iter().position(|l| l.starts_with('╞')).unwrap();
        assert_eq!(
            sep,
            2,
            "a header on more than one line:\n{}",
            block.join("\n")
        );
        out.push(Parsed {
            header: cells(block[1]),
            rows: block[3..block.len() - 1].iter().map(|l| cells(l)).collect(),
            lines: block.iter().map(|l| l.to_string()).collect(),
        });
        i += 1;
    }
    out
}

/// `text` fitted to `width` against the same output unfitted (`wide`): same tables, same rows,
/// every line within the width, every cell a cell of the wide table (or a cut name).
fn assert_fits(what: &str, text: &str, wide: &str, width: usize) {
    let (narrow, full) = (tables(text), tables(wide));
    assert!(!full.is_empty(), "{what}: no table in\n{wide}");
    assert_eq!(narrow.len(), full.len(), "{what} at {width}:\n{text}");
    for line in text.lines() {
        assert!(
            measure_text_width(line) <= width,
            "{what}: a line of {} columns at {width}:\n{line}\n{text}",
            measure_text_width(line)
        );
    }
    for (n, f) in narrow.iter().zip(&full) {
        assert_eq!(
            n.rows.len(),
            f.rows.len(),
            "{what} at {width}: a row split:\n{}",
            n.lines.join("\n")
        );
        for (r, (nrow, frow)) in n.rows.iter().zip(&f.rows).enumerate() {
            assert!(
                !nrow[0].is_empty(),
                "{what} at {width}: a continued line:\n{}",
                n.lines.join("\n")
            );
            for cell in nrow {
                let whole = frow.contains(cell);
                // A cut name: its start, "…", and maybe its end ("gpu-node-a…/cuda:0").
                let cut = cell.split_once('…').is_some_and(|(head, tail)| {
                    frow.iter().any(|c| {
                        c.starts_with(head) && c.ends_with(tail) && c.len() > cell.len() - 3
                    })
                });
                assert!(
                    whole || cut,
                    "{what} at {width}, row {r}: '{cell}' is not a cell of {frow:?}:\n{}",
                    n.lines.join("\n")
                );
            }
        }
        assert!(n.header.len() <= f.header.len());
    }
}

/// stdout of `flopmeter ARGS` with COLUMNS set (0: not fitted), exit status `code`.
fn run(args: &[&str], columns: usize, code: i32) -> String {
    let out = flopmeter()
        .args(args)
        .env("COLUMNS", columns.to_string())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Cells of a table that must be whole: shapes MxNxK, numbers, percentages.
fn assert_cells_whole(what: &str, t: &Parsed) {
    for row in &t.rows {
        for (h, cell) in t.header.iter().zip(row) {
            let ok = match h.as_str() {
                "shape" => {
                    let dims: Vec<&str> = cell.split('x').collect();
                    dims.len() == 3 && dims.iter().all(|d| d.parse::<usize>().is_ok())
                }
                "TFLOP/s" | "peak" => cell.parse::<f64>().is_ok(),
                "util." | "±95%" => {
                    let n = cell.trim_start_matches('±').trim_end_matches(['*', '%']);
                    n.parse::<f64>().is_ok()
                }
                _ => true,
            };
            assert!(
                ok,
                "{what}: '{cell}' in column {h}:\n{}",
                t.lines.join("\n")
            );
        }
    }
}

/// A bench measures anew each time: its table is checked for fit and whole cells alone.
fn check_bench(args: &[&str], jobs: usize) {
    for w in WIDTHS {
        let text = run(args, w, 0);
        let t = tables(&text);
        assert_eq!(t[0].rows.len(), jobs, "{text}");
        for line in text.lines() {
            assert!(measure_text_width(line) <= w, "bench at {w}:\n{text}");
        }
        assert!(t[0].rows.iter().all(|r| !r[0].is_empty()));
        assert_cells_whole("bench", &t[0]);
        if w == 200 {
            assert!(
                t[0].header.contains(&"median TFLOP/s".to_string()),
                "{text}"
            );
        }
    }
}

fn check(what: &str, args: &[&str], code: i32) -> String {
    let wide = run(args, 0, code);
    for w in WIDTHS {
        assert_fits(what, &run(args, w, code), &wide, w);
    }
    wide
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Results files of several kinds: the dev VM's bench, an H100 with a verdict and energy, and
/// a second machine's copy of the dev VM with one job slower.
struct Files {
    _dir: tempfile::TempDir,
    dev_vm: PathBuf,
    h100: PathBuf,
    other_vm: PathBuf,
    cluster: PathBuf,
    node_a: PathBuf,
    node_b: PathBuf,
    model: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let dev_vm = dir.path().join("dev-vm-cpu-lavapipe.json");
    std::fs::copy("results/dev-vm-cpu-lavapipe.json", &dev_vm).unwrap();
    let mut other = flopmeter::results::load(&dev_vm).unwrap();
    for t in &mut other.runs[8].samples {
        *t *= 1.25;
    }
    let other_vm = dir.path().join("an-other-machine-of-the-same-kind.json");
    write_atomic(&other_vm, &other).unwrap();
    let h100 = dir.path().join("h100.json");
    write_atomic(&h100, &h100_results("node1", &[600.0], 550.0)).unwrap();
    let (a, b) = (
        dir.path().join("node-a.json"),
        dir.path().join("node-b.json"),
    );
    write_atomic(
        &a,
        &h100_results("gpu-node-a.example.org", &[790.0, 800.0], 690.0),
    )
    .unwrap();
    write_atomic(
        &b,
        &h100_results("gpu-node-b.example.org", &[795.0, 700.0], 690.0),
    )
    .unwrap();
    let cluster = dir.path().join("cluster.json");
    flopmeter()
        .args(["merge", path(&a), path(&b), "--out", path(&cluster)])
        .assert()
        .success();
    let model = dir.path().join("model.json");
    flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--dtype",
            "f32",
            "--model-config",
            "hidden=64,ffn=128,heads=2,layers=1,vocab=96,seq=32",
            "--quiet",
        ])
        .args(FAST)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    Files {
        _dir: dir,
        dev_vm,
        h100,
        other_vm,
        cluster,
        node_a: a,
        node_b: b,
        model,
    }
}

#[test]
fn report_tables_fit_80_120_and_200_columns() {
    let f = files();
    let all = [&f.dev_vm, &f.other_vm, &f.h100, &f.cluster, &f.model];
    let mut args = vec!["report"];
    args.extend(all.iter().map(|p| path(p)));
    let wide = check("report", &args, 0);
    for needed in [
        "FLOP-weighted",
        "Stragglers",
        "Energy",
        "below expected by 24%",
        "±95%",
    ] {
        assert!(wide.contains(needed), "{needed}:\n{wide}");
    }
    check("report of one file", &["report", path(&f.dev_vm)], 0);
    // One file at 80 columns keeps the spread beside each median.
    let one = run(&["report", path(&f.dev_vm)], 80, 0);
    assert!(
        tables(&one)[0].header.contains(&"±95%".to_string()),
        "{one}"
    );
}

#[test]
fn bench_merge_and_compare_tables_fit() {
    let f = files();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.json");
    let bench = [
        "bench",
        "--backend",
        "cpu",
        "--shape",
        "1024x96x64,64x64x64",
        "--quiet",
        "--warmup",
        "0",
        "--min-time",
        "0",
        "--max-time",
        "0.05",
        "--out",
        path(&out),
    ];
    check_bench(&bench, 4);
    let merged = dir.path().join("m.json");
    check(
        "merge",
        &[
            "merge",
            path(&f.node_a),
            path(&f.node_b),
            "--out",
            path(&merged),
        ],
        0,
    );
    check(
        "compare",
        &["compare", path(&f.dev_vm), path(&f.other_vm)],
        1,
    );
}

#[test]
fn peaks_and_trend_tables_fit() {
    check("peaks", &["peaks"], 0);
    check("peaks K80", &["peaks", "Tesla K80"], 0);
    check("trend", &["trend"], 0);
    check("trend since 1950", &["trend", "--since", "1950"], 0);
}

/// A device name and a hostname carrying escape sequences (clear the screen, set the window
/// title, recolour) never reach a terminal or a Markdown file raw.
#[test]
fn control_characters_from_files_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = sample_results();
    doc.devices[0].name = "AMD \u{1b}[2J\u{1b}]0;owned\u{7}EPYC\u{9b}31m".into();
    doc.host.hostname = "node\u{1b}[31m1".into();
    doc.notes = vec!["note \u{1b}[5m blinking".into()];
    let file = dir.path().join("hostile.json");
    write_atomic(&file, &doc).unwrap();
    let md = dir.path().join("r.md");
    let html = dir.path().join("r.html");
    let csv = dir.path().join("r.csv");
    let text = run(
        &[
            "report",
            path(&file),
            "--markdown",
            path(&md),
            "--html",
            path(&html),
            "--csv",
            path(&csv),
        ],
        200,
        0,
    );
    let compare = run(&["compare", path(&file), path(&file)], 200, 0);
    for (what, out) in [
        ("terminal", text),
        ("compare", compare),
        ("markdown", std::fs::read_to_string(&md).unwrap()),
        ("html", std::fs::read_to_string(&html).unwrap()),
        ("csv", std::fs::read_to_string(&csv).unwrap()),
    ] {
        let raw: Vec<char> = out
            .chars()
            .filter(|c| c.is_control() && *c != '\n' && *c != '\r')
            .collect();
        assert!(raw.is_empty(), "{what}: {raw:?}\n{out}");
        if what != "compare" {
            assert!(
                out.contains("\\u{1b}[2J"),
                "{what} shows the name, escaped:\n{out}"
            );
        }
    }
}
