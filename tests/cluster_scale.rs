//! Issue 27: the cluster file of summaries as the streaming merge writes it, with synthetic
//! rank files (tests/common/synth.rs) carrying planted stragglers, dead and missing ranks; the
//! reports that cap their rows; compare and calibration reading it.

mod common;

use std::path::{Path, PathBuf};

use common::flopmeter;
use common::synth::{write_ranks, Synth};
use serde_json::Value;

fn template() -> flopmeter::results::Results {
    let mut t = flopmeter::results::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/results/dev-vm-cpu-lavapipe.json"
    )))
    .unwrap();
    t.devices.retain(|d| d.id == "cpu:0");
    t
}

fn synth(ranks: u32, stragglers: Vec<u32>, dead: Vec<u32>, missing: Vec<u32>) -> Synth {
    Synth {
        ranks,
        jobs: 2,
        samples: 40,
        per_node: 8,
        stragglers,
        dead,
        missing,
        job_id: "77".into(),
    }
}

/// `merge DIR --out OUT --allow-dead-ranks [extra] --json`: its exit status, JSON and stdout
/// of the same merge without --json.
fn merge(dir: &Path, out: &Path, extra: &[&str]) -> (Value, String) {
    let o = flopmeter()
        .arg("merge")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .arg("--allow-dead-ranks")
        .args(extra)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = flopmeter()
        .arg("merge")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .arg("--allow-dead-ranks")
        .args(extra)
        .output()
        .unwrap();
    (v, String::from_utf8_lossy(&text.stdout).into_owned())
}

fn ranks_of(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["rank"].as_u64().unwrap())
        .collect()
}

#[test]
fn every_planted_straggler_dead_and_missing_rank_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    let mut missing: Vec<u32> = (40..48).collect();
    missing.push(199);
    let s = synth(200, vec![13, 77, 150], vec![5], missing);
    let files = write_ranks(&template(), &s, &ranks);
    let out = dir.path().join("cluster.json");
    let (v, text) = merge(&ranks, &out, &[]);
    assert_eq!(ranks_of(&v["stragglers"]), [13, 77, 150]);
    assert_eq!(ranks_of(&v["cluster"]["dead_ranks"]), [5]);
    assert_eq!(
        v["cluster"]["missing_ranks"],
        serde_json::json!([40, 41, 42, 43, 44, 45, 46, 47, 199])
    );
    assert_eq!(v["cluster"]["files"], 191);
    // Missing ranks by node: a whole node with no file, and rank 199 beside node00024's others.
    assert!(text.contains("Missing ranks (9): 40-47, 199"), "{text}");
    assert!(text.contains("ranks 40-47 (no file from any)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("node00024") && l.contains("199")),
        "{text}"
    );
    assert!(
        text.contains("every result (2) failed verification"),
        "{text}"
    );
    // Each job's distribution over the 190 live ranks.
    let d = &v["cluster"]["distributions"];
    assert_eq!(d.as_array().unwrap().len(), 2);
    assert_eq!(d[0]["count"], 190);
    assert_eq!(d[0]["unverified"], 1);
    // Every rank is there with its file's hash, and no samples.
    let c = flopmeter::results::cluster::load(&out).unwrap();
    assert_eq!(c.ranks.len(), files.len());
    let sha = std::process::Command::new("sha256sum")
        .arg(&files[0])
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&sha.stdout);
    assert_eq!(c.ranks[0].sha256, want.split_whitespace().next().unwrap());
    assert!(c
        .jobs()
        .all(|(_, j)| j.samples == 40 && j.times_s.is_none()));
}

#[test]
fn samples_stay_in_the_rank_files_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    write_ranks(&template(), &synth(24, vec![3], vec![], vec![]), &ranks);
    let (lean, with) = (dir.path().join("lean.json"), dir.path().join("with.json"));
    merge(&ranks, &lean, &[]);
    let (v, _) = merge(&ranks, &with, &["--with-samples"]);
    assert_eq!(v["with_samples"], true);
    let c = flopmeter::results::cluster::load(&with).unwrap();
    assert!(c
        .jobs()
        .all(|(_, j)| j.times_s.as_ref().is_some_and(|t| t.len() == 40)));
    let size = |p: &PathBuf| std::fs::metadata(p).unwrap().len();
    assert!(
        size(&with) > 2 * size(&lean),
        "{} {}",
        size(&with),
        size(&lean)
    );
    // Under 1.5 kB a rank of two jobs without them.
    assert!(size(&lean) < 24 * 1500, "{}", size(&lean));
}

#[test]
fn the_cluster_file_validates_against_its_committed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    write_ranks(&template(), &synth(16, vec![2], vec![9], vec![15]), &ranks);
    let out = dir.path().join("cluster.json");
    merge(&ranks, &out, &["--with-samples"]);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/cluster-schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("ranks");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn reports_never_print_a_row_per_device_past_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    // 60 stragglers among 400 ranks: 50 rows, the other 10 named by node.
    let stragglers: Vec<u32> = (0..60).map(|i| i * 6 + 1).collect();
    write_ranks(
        &template(),
        &synth(400, stragglers.clone(), vec![], vec![]),
        &ranks,
    );
    let out = dir.path().join("cluster.json");
    merge(&ranks, &out, &[]);
    let o = flopmeter()
        .arg("report")
        .arg(&out)
        .args(["--worst", "3"])
        .env("COLUMNS", "120")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = text.lines().filter(|l| l.contains("/cpu:0")).count();
    // 3 slowest per job dtype, 50 straggler rows, and 10 more on lines by node.
    assert!(rows <= 3 + 50 + 10, "{rows} lines name a device:\n{text}");
    assert!(text.contains("10 more stragglers, by node:"), "{text}");
    for r in stragglers {
        let device = format!("node{:05}/rank{r}/cpu:0", r / 8);
        assert!(text.contains(&device), "{device} is not named:\n{text}");
    }
    let slowest = text.split("The slowest GPUs per dtype").nth(1).unwrap();
    let listed = slowest.split("Stragglers").next().unwrap();
    assert_eq!(listed.lines().filter(|l| l.contains("/cpu:0")).count(), 3);
    // The HTML page draws each job's histogram, not a bar per device.
    let html = dir.path().join("r.html");
    flopmeter()
        .arg("report")
        .arg(&out)
        .arg("--html")
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("faer f32 512x512x512: 400 devices"));
    assert!(!page.contains("TFLOP/s per device"));
    // --csv: a row per rank and job.
    let csv = dir.path().join("r.csv");
    flopmeter()
        .arg("report")
        .arg(&out)
        .arg("--csv")
        .arg(&csv)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().count(),
        1 + 800
    );
}

#[test]
fn compare_finds_the_samples_in_the_rank_files_and_checks_their_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let t = template();
    write_ranks(&t, &synth(8, vec![], vec![], vec![]), &a);
    // The same ranks with rank 3 15% slow.
    write_ranks(&t, &synth(8, vec![3], vec![], vec![]), &b);
    let (ca, cb) = (dir.path().join("a.json"), dir.path().join("b.json"));
    merge(&a, &ca, &[]);
    merge(&b, &cb, &[]);
    let o = flopmeter()
        .args(["compare", "--json"])
        .arg(&ca)
        .arg(&cb)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["jobs"].as_array().unwrap().len(), 16);
    let slower: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["regression"] == true)
        .map(|j| j["device"].as_str().unwrap())
        .collect();
    assert_eq!(slower, ["node00000/rank3/cpu:0", "node00000/rank3/cpu:0"]);
    // A rank file changed since the merge: its samples are not those summarised.
    let rank0 = b.join("rank-00000-node00000.json");
    let mut text = std::fs::read_to_string(&rank0).unwrap();
    text.push('\n');
    std::fs::write(&rank0, text).unwrap();
    let o = flopmeter()
        .arg("compare")
        .arg(&ca)
        .arg(&cb)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SHA-256 differs"), "{stderr}");
}

#[test]
fn calibration_reads_the_slowest_device_of_a_cluster_file() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    write_ranks(&template(), &synth(8, vec![6], vec![], vec![]), &ranks);
    let out = dir.path().join("cluster.json");
    merge(&ranks, &out, &[]);
    let o = flopmeter()
        .args(["estimate", "hardware", "--calibrate"])
        .arg(&out)
        .args([
            "--peak-tflops",
            "0.55",
            "--dtype",
            "f32",
            "--count",
            "8",
            "--days",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let cal = &v["utilization"]["calibration"];
    assert_eq!(cal["device"], "node00000/rank6/cpu:0");
    assert_eq!(cal["devices_considered"], 8);
}

#[test]
fn a_forged_cluster_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    write_ranks(&template(), &synth(4, vec![], vec![], vec![]), &ranks);
    let out = dir.path().join("cluster.json");
    merge(&ranks, &out, &[]);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["ranks"][1]["jobs"][0]["median_tflops"] = serde_json::json!(-1.0);
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, v.to_string()).unwrap();
    for cmd in [vec!["report"], vec!["compare", out.to_str().unwrap()]] {
        let o = flopmeter().args(&cmd).arg(&forged).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {stderr}");
        assert!(
            stderr.contains("ranks[1]") && stderr.contains("median_tflops"),
            "{stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}
