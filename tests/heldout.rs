//! The hardware-time estimate on runs nobody had estimated: data/eval/heldout_runs_14.csv,
//! found after the chip-time factor was fitted to the 150 runs of sets 1-13 and calibrated about a
//! center tracked run by run, its conformal level adapted on how each set's interval held the next
//! set's runs (45f6ee4, 0.938), the whole set committed before any run was estimated, and
//! estimated once. Each run's published chip-time goes through `flopmeter estimate hardware` with
//! the default priors (MFU x goodput x the chip-time factor) and is set against its 6ND. Prints
//! the table and summary (`cargo test --release --test heldout -- --nocapture`); the summary is
//! pinned so that a change to a prior, a peak or the arithmetic shows up here, whichever way it
//! moves. The set's own tests keep it clean: no run in the evidence, none twice, each with its
//! source and its chip in the table. (Sets 1-13 are the factor's evidence,
//! data/priors/chip_time.csv; their outcomes are in README.md and in git history.)

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;
use serde_json::Value;

const HELDOUT: &str = include_str!("../data/eval/heldout_runs_14.csv");
const CHIP_TIME: &str = include_str!("../data/priors/chip_time.csv");
const REPORTED: &str = include_str!("../data/priors/reported_mfu.csv");
const GOODPUT: &str = include_str!("../data/priors/goodput.csv");
const EPOCH: &str = include_str!("../data/priors/epoch_mfu.csv");

fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

/// A run's name without case, spaces or dashes, so "mGPT 13B" and "mgpt-13b" meet (the dot
/// stays: mGPT 1.3B is another run).
fn key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric() || *c == '.')
        .collect::<String>()
        .to_lowercase()
}

/// One run's estimate: the ratio's median and 90% interval, and the implied utilization.
struct Outcome {
    run: String,
    ratio: f64,
    p5: f64,
    p95: f64,
    implied: f64,
}

impl Outcome {
    fn covered(&self) -> bool {
        self.p5 <= 1.0 && 1.0 <= self.p95
    }
}

fn estimate(row: &BTreeMap<String, String>) -> Outcome {
    let mut args = vec!["estimate", "hardware", "--json", "--gpu", &row["gpu"]];
    for (flag, column) in [
        ("--dtype", "dtype"),
        ("--count", "count"),
        ("--days", "days"),
        ("--gpu-hours", "gpu_hours"),
        ("--params", "params"),
        ("--tokens", "tokens"),
    ] {
        if !row[column].is_empty() {
            args.extend([flag, &row[column]]);
        }
    }
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        row["run"],
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = |v: &Value| v.as_f64().unwrap();
    Outcome {
        run: row["run"].clone(),
        ratio: n(&v["ratio_hardware_over_ops"]),
        p5: n(&v["ratio_interval"]["p5"]),
        p95: n(&v["ratio_interval"]["p95"]),
        implied: n(&v["implied_utilization"]),
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[test]
fn no_held_out_run_is_in_the_evidence_or_twice_in_the_set() {
    let evidence: BTreeSet<String> = [REPORTED, GOODPUT, CHIP_TIME]
        .iter()
        .flat_map(|t| rows(t))
        .map(|r| key(&r["run"]))
        .chain(rows(EPOCH).iter().map(|r| key(&r["model"])))
        .collect();
    let set = rows(HELDOUT);
    assert_eq!(set.len(), 13, "README says how many runs the set holds");
    let mut seen = BTreeSet::new();
    for r in &set {
        let name = key(&r["run"]);
        assert!(!evidence.contains(&name), "{} is evidence", r["run"]);
        assert!(seen.insert(name), "{} is in the set twice", r["run"]);
        assert!(r["source"].len() > 80, "{}: quote the source", r["run"]);
        // A TPU slice's name ("v4-32") carries its count.
        let slice = r["gpu"]
            .rsplit_once('-')
            .is_some_and(|(_, n)| n.parse::<u32>().is_ok());
        let count = !r["count"].is_empty() || slice;
        let time = !r["gpu_hours"].is_empty() || (count && !r["days"].is_empty());
        assert!(
            time && !r["params"].is_empty() && !r["tokens"].is_empty(),
            "{}",
            r["run"]
        );
    }
}

#[test]
fn every_held_out_chip_is_in_the_rated_peak_table() {
    for r in rows(HELDOUT) {
        let out = Command::cargo_bin("flopmeter")
            .unwrap()
            .args(["peaks", &r["gpu"]])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", r["run"], r["gpu"]);
    }
}

/// How a set came out: its size, the median of hardware / 6ND, how many intervals hold 6ND and
/// how many lie above it.
#[derive(Debug, PartialEq)]
struct Summary {
    runs: usize,
    median: f64,
    covered: usize,
    above: usize,
}

fn evaluate(name: &str, text: &str) -> Summary {
    let outcomes: Vec<Outcome> = rows(text).iter().map(estimate).collect();
    println!("{name}");
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9}  6ND in",
        "run", "hw/6ND", "p5", "p95", "implied"
    );
    for o in &outcomes {
        println!(
            "{:<28} {:>9.3} {:>9.3} {:>9.3} {:>9.3}  {}",
            o.run,
            o.ratio,
            o.p5,
            o.p95,
            o.implied,
            if o.covered() { "yes" } else { "no" }
        );
    }
    let s = Summary {
        runs: outcomes.len(),
        median: median(outcomes.iter().map(|o| o.ratio).collect()),
        covered: outcomes.iter().filter(|o| o.covered()).count(),
        above: outcomes.iter().filter(|o| o.p5 > 1.0).count(),
    };
    println!(
        "{} runs: median hardware/6ND {:.3}; 6ND inside the 90% interval for {}; interval above \
         6ND for {}, below for {}\n",
        s.runs,
        s.median,
        s.covered,
        s.above,
        s.runs - s.covered - s.above
    );
    s
}

/// Pinned: the numbers README reports. The target of issue 22 is a median between 0.85 and 1.2
/// and 9 runs in 10 inside the interval.
fn assert_pinned(s: &Summary, pinned: &Summary) {
    assert_eq!(
        (s.runs, s.covered, s.above),
        (pinned.runs, pinned.covered, pinned.above),
        "{s:?}"
    );
    assert!((s.median - pinned.median).abs() < 0.0005, "{s:?}");
}

#[test]
fn the_default_priors_on_the_fourteenth_set_committed_before_it_was_estimated() {
    let s = evaluate("data/eval/heldout_runs_14.csv", HELDOUT);
    assert_pinned(&s, &PINNED);
}

/// What the default priors give (README, estimate section): the first set to meet both targets,
/// and the first test of the tracked center (chosen after set 13): median 1.116, inside
/// 0.85-1.2, and 6ND inside the interval for all 13. Highest: the Epiplexity paper's 124M, whose
/// 8 hours on a TPU v4-32 slice for 15.7B tokens imply 9.2% of the peak (2.35x its 6ND, inside).
const PINNED: Summary = Summary {
    runs: 13,
    median: 1.1158,
    covered: 13,
    above: 0,
};
