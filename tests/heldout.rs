//! The hardware-time estimate on runs its priors never saw (data/eval/heldout_runs.csv): each
//! run's published chip-time through `flopmeter estimate hardware` with the default priors,
//! against its 6ND. Prints the table and the summary; `cargo test --release --test heldout --
//! --nocapture` recomputes it. The summary is pinned so that a change to a prior, a peak or the
//! arithmetic shows up here, whichever way it moves.

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;
use serde_json::Value;

const HELDOUT: &str = include_str!("../data/eval/heldout_runs.csv");
const REPORTED: &str = include_str!("../data/priors/reported_mfu.csv");
const GOODPUT: &str = include_str!("../data/priors/goodput.csv");

fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
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
fn no_held_out_run_is_in_the_evidence_of_the_priors() {
    let evidence: BTreeSet<String> = rows(REPORTED)
        .into_iter()
        .chain(rows(GOODPUT))
        .map(|r| r["run"].to_lowercase())
        .collect();
    let held: Vec<_> = rows(HELDOUT);
    assert!(held.len() >= 20, "{}", held.len());
    for r in &held {
        assert!(!evidence.contains(&r["run"].to_lowercase()), "{}", r["run"]);
        assert!(!r["source"].is_empty(), "{}", r["run"]);
    }
}

#[test]
fn the_default_priors_on_runs_they_never_saw() {
    let outcomes: Vec<Outcome> = rows(HELDOUT).iter().map(estimate).collect();
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9}  6ND in",
        "run", "hw/6ND", "p5", "p95", "implied"
    );
    for o in &outcomes {
        println!(
            "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>9.3}  {}",
            o.run,
            o.ratio,
            o.p5,
            o.p95,
            o.implied,
            if o.covered() { "yes" } else { "no" }
        );
    }
    let med = median(outcomes.iter().map(|o| o.ratio).collect());
    let covered = outcomes.iter().filter(|o| o.covered()).count();
    let above = outcomes.iter().filter(|o| o.p5 > 1.0).count();
    println!(
        "{} runs: median hardware/6ND {med:.3}; 6ND inside the 90% interval for {covered}; \
         interval above 6ND for {above}, below for {}",
        outcomes.len(),
        outcomes.len() - covered - above
    );
    // Pinned: the numbers README reports. The target of issue 22 is a median between 0.85 and
    // 1.2 and 9 runs in 10 inside the interval.
    assert_eq!(outcomes.len(), 23);
    assert!((med - PINNED_MEDIAN).abs() < 0.0005, "median {med}");
    assert_eq!((covered, above), PINNED_COVERED_ABOVE);
}

/// What the default priors give on the held-out runs (README, estimate section): the median
/// meets the target, the interval does not (18 of 23, not 9 in 10).
const PINNED_MEDIAN: f64 = 0.9469;
const PINNED_COVERED_ABOVE: (usize, usize) = (18, 1);
