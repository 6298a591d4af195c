//! Clusters: rank detection from each launcher through the binary, mpirun with two ranks, the
//! merge and its stragglers, `--device all`, and calibration from a cluster file.

mod common;

use std::path::{Path, PathBuf};

use common::{flopmeter, requires, Dep, FAST};
use predicates::prelude::*;
use serde_json::Value;

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_slurm_rank_writes_its_own_file_into_the_shared_folder() {
    let dir = tempfile::tempdir().unwrap();
    flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--dtype",
            "f32",
            "--size",
            "64",
        ])
        .args(FAST)
        .arg("--out-dir")
        .arg(dir.path())
        .env("SLURM_PROCID", "1")
        .env("SLURM_NTASKS", "2")
        .env("SLURM_LOCALID", "1")
        .env("SLURM_JOB_ID", "777")
        .assert()
        .success();
    let files = json_files(dir.path());
    assert_eq!(files.len(), 1);
    assert!(files[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("rank-00001-"));
    let r = flopmeter::results::load(&files[0]).unwrap();
    assert_eq!(r.host.rank, Some(1));
    let l = r.host.launcher.unwrap();
    assert_eq!(
        (l.launcher, l.world_size, l.local_rank),
        (flopmeter::results::Launcher::Slurm, 2, 1)
    );
}

#[test]
fn ranks_need_a_shared_folder() {
    flopmeter()
        .args(["bench", "--backend", "cpu", "--size", "64"])
        .env("OMPI_COMM_WORLD_RANK", "0")
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .env("OMPI_COMM_WORLD_LOCAL_RANK", "0")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out-dir"));
    flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--size",
            "64",
            "--out",
            "x.json",
        ])
        .env("RANK", "0")
        .env("WORLD_SIZE", "2")
        .env("LOCAL_RANK", "0")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("all 2 ranks"));
    flopmeter()
        .args(["bench", "--out-dir", "somewhere"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("launcher"));
}

/// A rank's number and file hash, and per job its device, samples and median rate.
type RankKey = (Option<u32>, String, Vec<(String, usize, f64)>);

/// Debian's Open MPI launches two ranks of the CPU backend; merging gives a two-rank file.
#[test]
fn mpirun_two_ranks_then_merge() {
    if !requires(Dep::Mpi, "mpirun_two_ranks_then_merge") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    let out = std::process::Command::new("mpirun")
        .env("FLOPMETER_BLAS", "off")
        .args(["-np", "2", "--allow-run-as-root", "--oversubscribe"])
        .arg(assert_cmd::cargo::cargo_bin("flopmeter"))
        .args([
            "bench",
            "--backend",
            "cpu",
            "--dtype",
            "f32",
            "--size",
            "64,96",
        ])
        .args(FAST)
        .arg("--out-dir")
        .arg(&ranks)
        .output()
        .expect("mpirun (Debian's openmpi-bin) is needed: scripts/test.sh installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rank_files: Vec<PathBuf> = json_files(&ranks)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("rank-")
        })
        .collect();
    assert_eq!(rank_files.len(), 2, "{rank_files:?}");
    let cluster = dir.path().join("cluster.json");
    let merged = flopmeter()
        .arg("merge")
        .args(&rank_files)
        .arg("--out")
        .arg(&cluster)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let v: Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(v["cluster"]["ranks"], 2);
    assert_eq!(v["cluster"]["devices"], 2);
    assert_eq!(v["cluster"]["aggregates"][0]["cluster"]["count"], 2);
    let c = flopmeter::results::cluster::load(&cluster).unwrap();
    for r in &c.ranks {
        assert!(
            r.rank.is_some() && r.devices[0].id.contains(&r.host),
            "{r:?}"
        );
        assert_eq!(r.jobs.len(), 2);
        assert!(r.jobs.iter().all(|j| j.samples > 0 && j.times_s.is_none()));
    }
    // With the mpi feature, rank 0 also gathered every rank's summary itself (not its samples).
    if cfg!(feature = "mpi") {
        gathered_like_merged(&ranks.join("cluster.json"), &c);
    }
}

/// Rank 0's gathered cluster file: the same ranks, files and rates as the merge of the files,
/// and no samples.
fn gathered_like_merged(path: &Path, c: &flopmeter::results::cluster::ClusterFile) {
    let g = flopmeter::results::cluster::load(path).unwrap();
    assert!(!g.with_samples);
    assert_eq!(g.cluster.ranks, 2);
    let key = |c: &flopmeter::results::cluster::ClusterFile| {
        let mut v: Vec<RankKey> = c
            .ranks
            .iter()
            .map(|r| {
                let jobs = r
                    .jobs
                    .iter()
                    .map(|j| (j.device.clone(), j.samples, j.median_tflops))
                    .collect();
                (r.rank, r.sha256.clone(), jobs)
            })
            .collect();
        v.sort_by_key(|x| x.0);
        v
    };
    let (gathered, merged) = (key(&g), key(c));
    assert_eq!(gathered.len(), merged.len());
    for (a, b) in gathered.iter().zip(&merged) {
        assert_eq!((a.0, &a.1, a.2.len()), (b.0, &b.1, b.2.len()));
        for (x, y) in a.2.iter().zip(&b.2) {
            assert_eq!((&x.0, x.1), (&y.0, y.1));
            assert!((x.2 / y.2 - 1.0).abs() < 1e-9, "{x:?} {y:?}");
        }
    }
    assert!(g.jobs().all(|(_, j)| j.times_s.is_none() && j.samples > 0));
}

/// Eight GPUs on two hosts, one of them 10% slow.
fn planted(dir: &Path) -> Vec<PathBuf> {
    (0..8)
        .map(|rank| {
            let mut r = common::sample_results();
            r.host.hostname = format!("node{}", rank / 4);
            r.host.rank = Some(rank);
            let speed = if rank == 6 {
                0.90
            } else {
                1.0 + 0.005 * f64::from(rank % 3)
            };
            r.runs[0].tflops.median *= speed;
            r.runs[0].utilization.rated = r.runs[0].utilization.rated.map(|u| u * speed);
            let p = dir.join(format!("rank-{rank}.json"));
            flopmeter::results::write_atomic(&p, &r).unwrap();
            p
        })
        .collect()
}

#[test]
fn merge_names_the_planted_straggler() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let out = dir.path().join("merged").join("cluster.json");
    let o = flopmeter()
        .arg("merge")
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = v["stragglers"].as_array().unwrap();
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0]["host"], "node1");
    assert_eq!(s[0]["rank"], 6);
    assert_eq!(s[0]["dtype"], "f32");
    assert!(s[0]["device"].as_str().unwrap().contains("cpu:0"));
    let shortfall = s[0]["shortfall"].as_f64().unwrap();
    assert!((shortfall - 0.10).abs() < 0.01, "{shortfall}");
    let agg = &v["cluster"]["aggregates"][0];
    assert_eq!(agg["cluster"]["count"], 8);
    assert_eq!(agg["nodes"].as_array().unwrap().len(), 2);
    // A looser threshold finds none.
    flopmeter()
        .arg("merge")
        .arg(dir.path().join("rank-0.json"))
        .arg(dir.path().join("rank-6.json"))
        .args(["--threshold", "0.2", "--out"])
        .arg(dir.path().join("two.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("No stragglers"));
}

#[test]
fn estimate_calibrates_on_the_slowest_gpu_of_a_cluster_by_default() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let cluster = dir.path().join("cluster.json");
    flopmeter()
        .arg("merge")
        .arg(dir.path())
        .arg("--out")
        .arg(&cluster)
        .assert()
        .success();
    let run = |extra: &[&str]| -> Value {
        let o = flopmeter()
            .args(["estimate", "hardware", "--calibrate"])
            .arg(&cluster)
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
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let slow = run(&[]);
    let cal = &slow["utilization"]["calibration"];
    assert_eq!(cal["cluster_stat"], "slowest");
    assert!(cal["device"].as_str().unwrap().contains("rank6"));
    let median = run(&["--cluster-stat", "median"]);
    assert!(
        median["utilization"]["calibration"]["matmul_utilization"]
            .as_f64()
            .unwrap()
            > cal["matmul_utilization"].as_f64().unwrap()
    );
}

#[test]
fn merge_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let files = planted(dir.path());
    let out = dir.path().join("out.json");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "x").unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (args, needle) in [
        (
            vec![files[0].clone(), files[0].clone()],
            "already in another file".to_string(),
        ),
        (vec![notes.clone()], notes.display().to_string()),
        (vec![empty.clone()], "no .json".to_string()),
    ] {
        flopmeter()
            .arg("merge")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
    flopmeter()
        .arg("merge")
        .arg(&files[0])
        .args(["--threshold", "1.5", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'1.5'"));
    assert!(!out.exists());
}

#[test]
fn device_all_runs_every_selected_device_together() {
    if !requires(
        Dep::Vulkan,
        "device_all_runs_every_selected_device_together",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.json");
    let o = flopmeter()
        .args([
            "bench",
            "--backend",
            "wgpu,cpu",
            "--device",
            "all",
            "--dtype",
            "f32",
            "--kernel",
            "tiled,faer",
            "--size",
            "128,192",
        ])
        .args(FAST)
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut devices: Vec<&str> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["device"].as_str().unwrap())
        .collect();
    devices.sort();
    assert_eq!(devices, ["cpu:0", "cpu:0", "wgpu:0", "wgpu:0"]);
}

#[test]
fn device_all_without_a_gpu_says_so() {
    if std::path::Path::new("/proc/driver/nvidia").exists() {
        return;
    }
    flopmeter()
        .args(["bench", "--device", "all", "--size", "64"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no GPU"));
}

#[test]
fn report_of_a_cluster_file_charts_each_gpu_and_lists_stragglers() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let cluster = dir.path().join("out").join("cluster.json");
    flopmeter()
        .arg("merge")
        .arg(dir.path())
        .arg("--out")
        .arg(&cluster)
        .assert()
        .success();
    let md = dir.path().join("r.md");
    let html = dir.path().join("r.html");
    flopmeter()
        .arg("report")
        .arg(&cluster)
        .arg("--markdown")
        .arg(&md)
        .arg("--html")
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("### Stragglers"));
    assert!(text.contains("node1/rank6/cpu:0"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("TFLOP/s per device"));
    assert!(
        page.contains("f32 256x256x256: 8 devices"),
        "the job's histogram"
    );
}
