//! The merge at cluster scale: N synthetic rank files made from one real results file (the CPU
//! runs of results/dev-vm-cpu-lavapipe.json; by default 2 jobs of 2,600 samples each, as a
//! quick acceptance bench of one GPU writes), with planted stragglers, dead ranks, scattered
//! missing ranks and one whole missing node, merged by the release binary under
//! `/usr/bin/time -v`. Prints per N the merge's wall time, its peak memory, the sizes of the
//! inputs and of the cluster file, whether every planted straggler, dead and missing rank is
//! named, and the load average (the machine may be shared).
//!
//!     cargo bench --bench merge_scale
//!     FLOPMETER_SCALE_RANKS=1000,5000,20000 FLOPMETER_SCALE_JOBS=2 \
//!     FLOPMETER_SCALE_SAMPLES=2600 FLOPMETER_SCALE_DIR=target/merge-scale cargo bench --bench merge_scale

#[path = "../tests/common/synth.rs"]
mod synth;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use synth::Synth;

fn env_list(name: &str, default: &str) -> Vec<u32> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|v| v.trim().parse().expect("a number"))
        .collect()
}

/// About one straggler and half a dead rank per 1,000 ranks, a missing rank per 2,500, and the
/// whole node in the middle of the job missing.
fn plan(ranks: u32, jobs: usize, samples: usize) -> Synth {
    let per_node = 8;
    let whole_node = (ranks / per_node / 2) * per_node;
    let mut missing: Vec<u32> = (0..ranks).filter(|r| r % 2503 == 100).collect();
    missing.extend(whole_node..whole_node + per_node);
    let taken = |r: &u32| missing.contains(r);
    let stragglers: Vec<u32> = (0..ranks).filter(|r| r % 997 == 13 && !taken(r)).collect();
    let dead: Vec<u32> = (0..ranks)
        .filter(|r| r % 1999 == 7 && !taken(r) && !stragglers.contains(r))
        .collect();
    Synth {
        ranks,
        jobs,
        samples,
        per_node,
        stragglers,
        dead,
        missing,
        job_id: "4242".into(),
    }
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:12.34" and "Maximum resident set size
/// (kbytes): 123456" from `/usr/bin/time -v`.
fn time_v(stderr: &str) -> (f64, u64) {
    let field = |name: &str| {
        stderr
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .and_then(|l| l.rsplit(": ").next())
            .unwrap_or_else(|| panic!("/usr/bin/time -v printed no {name}:\n{stderr}"))
            .trim()
            .to_string()
    };
    let wall = field("Elapsed (wall clock) time")
        .split(':')
        .fold(0.0, |acc, p| acc * 60.0 + p.parse::<f64>().unwrap());
    let rss = field("Maximum resident set size (kbytes)").parse().unwrap();
    (wall, rss)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Every planted straggler, dead and missing rank named in the cluster file and on stdout.
fn all_named(out: &Path, s: &Synth, stdout: &str) -> Result<(), String> {
    let c = flopmeter::results::cluster::load(out).map_err(|e| e.to_string())?;
    let stragglers: BTreeSet<u32> = c.stragglers.iter().filter_map(|g| g.rank).collect();
    let dead: BTreeSet<u32> = c.cluster.dead_ranks.iter().filter_map(|d| d.rank).collect();
    let missing: BTreeSet<u32> = c.cluster.missing_ranks.iter().copied().collect();
    let want = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
    if stragglers != want(&s.stragglers) || dead != want(&s.dead) || missing != want(&s.missing) {
        return Err(format!(
            "named stragglers {stragglers:?}, dead {dead:?}, missing {missing:?}; planted {:?}, \
             {:?}, {:?}",
            s.stragglers, s.dead, s.missing
        ));
    }
    for r in &s.stragglers {
        let device = format!("node{:05}/rank{r}/cpu:0", r / s.per_node);
        if !stdout.contains(&device) {
            return Err(format!("stdout does not name straggler {device}"));
        }
    }
    Ok(())
}

fn one(bin: &Path, template: &flopmeter::results::Results, root: &Path, s: &Synth) {
    let dir = root.join(format!("ranks-{}-{}x{}", s.ranks, s.jobs, s.samples));
    let made = std::time::Instant::now();
    if !dir.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        synth::write_ranks(template, s, &dir);
        std::fs::write(dir.join(".complete"), "").unwrap();
    }
    let made = made.elapsed().as_secs_f64();
    let out = root.join(format!("cluster-{}.json", s.ranks));
    let load_before = load_average();
    let o = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(["merge", "--allow-dead-ranks", "--out"])
        .arg(&out)
        .arg(&dir)
        .env("COLUMNS", "100")
        .output()
        .expect("/usr/bin/time (Debian's `time` package) runs the merge");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "merge failed: {stderr}");
    let (wall, rss_kb) = time_v(&stderr);
    let named = all_named(&out, s, &String::from_utf8_lossy(&o.stdout));
    println!(
        "| {} | {} x {} | {:.0} MB | {:.1} s | {:.0} MB | {:.1} MB | {} | {} -> {} |",
        s.ranks,
        s.jobs,
        s.samples,
        folder_bytes(&dir) as f64 / 1e6,
        wall,
        rss_kb as f64 * 1024.0 / 1e6,
        std::fs::metadata(&out).unwrap().len() as f64 / 1e6,
        match &named {
            Ok(()) => format!(
                "yes ({} stragglers, {} dead, {} missing)",
                s.stragglers.len(),
                s.dead.len(),
                s.missing.len()
            ),
            Err(e) => format!("NO: {e}"),
        },
        load_before,
        load_average()
    );
    eprintln!(
        "  ({} ranks written in {made:.0} s, kept in {})",
        s.ranks,
        dir.display()
    );
    if std::env::var_os("FLOPMETER_SCALE_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(named.is_ok(), "{named:?}");
}

fn main() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_flopmeter"));
    let template = flopmeter::results::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/results/dev-vm-cpu-lavapipe.json"
    )))
    .unwrap();
    let mut template = template;
    // Its CPU device first: the ranks are made of its runs.
    template.devices.retain(|d| d.id == "cpu:0");
    let root = PathBuf::from(
        std::env::var("FLOPMETER_SCALE_DIR").unwrap_or_else(|_| "target/merge-scale".into()),
    );
    std::fs::create_dir_all(&root).unwrap();
    let jobs = env_list("FLOPMETER_SCALE_JOBS", "2")[0] as usize;
    let samples = env_list("FLOPMETER_SCALE_SAMPLES", "2600")[0] as usize;
    println!(
        "| ranks | jobs x samples | rank files | merge wall time | peak memory | cluster file | \
         every planted straggler, dead and missing rank named | load average before -> after |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ranks in env_list("FLOPMETER_SCALE_RANKS", "1000,5000,20000") {
        one(&bin, &template, &root, &plan(ranks, jobs, samples));
    }
}
