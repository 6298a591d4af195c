//! The ninth held-out set, being assembled (data/eval/heldout_runs_9.csv): runs found after the
//! chip-time factor of 98edc26, none estimated yet. It is to be estimated once, when it holds at
//! least 8 runs, as sets 4-8 were (their tests are in git history: `git log --follow
//! tests/heldout.rs`). Until then these tests keep it clean: no run in the evidence, none twice,
//! each with its source and its chip in the table. Nothing here runs an estimate.

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;

const HELDOUT: &str = include_str!("../data/eval/heldout_runs_9.csv");
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

#[test]
fn no_held_out_run_is_in_the_evidence_or_twice_in_the_set() {
    let evidence: BTreeSet<String> = [REPORTED, GOODPUT, CHIP_TIME]
        .iter()
        .flat_map(|t| rows(t))
        .map(|r| key(&r["run"]))
        .chain(rows(EPOCH).iter().map(|r| key(&r["model"])))
        .collect();
    let set = rows(HELDOUT);
    assert_eq!(set.len(), 7, "README says how many runs the set holds");
    let mut seen = BTreeSet::new();
    for r in &set {
        let name = key(&r["run"]);
        assert!(!evidence.contains(&name), "{} is evidence", r["run"]);
        assert!(seen.insert(name), "{} is in the set twice", r["run"]);
        assert!(r["source"].len() > 80, "{}: quote the source", r["run"]);
        let time = !r["gpu_hours"].is_empty() || !(r["count"].is_empty() || r["days"].is_empty());
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
