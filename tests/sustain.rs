//! `flopmeter sustain` end to end, on the CPU and on wgpu (lavapipe): a planted slowdown (a
//! kernel wrapper that sleeps in later windows, its iterations taking four times as long) is a
//! drop that fails the threshold; a planted wrong result (a wrapper whose result has one bit
//! flipped after N iterations) is a corruption with exit 1; SIGTERM mid-run keeps the series;
//! Slurm ranks write their own files and `merge` names the outlier among them; bad input is a
//! one-line error. The plants go through `main_with_plant`, in this process.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{flopmeter, one_line_error, requires, Dep};
use flopmeter::gemm::{Fingerprint, Gemm, ResultC};
use flopmeter::measure::Timed;
use flopmeter::results::sustain::{io, validate, FailureKind, SustainResults};
use flopmeter::results::{DeviceRecord, Verification};
use predicates::prelude::*;

/// What a test kernel does to the real one it wraps.
#[derive(Clone, Copy)]
enum Fault {
    None,
    /// From this long after its first iteration on, every iteration takes ten times as long
    /// (it sleeps nine times its own time, and says so).
    SlowAfter(Duration),
    /// This many iterations into the series (past the prelude, which runs every operand set
    /// twice and keeps its first results), its result (and so its fingerprint) has one bit
    /// flipped, from then on.
    FlipAfter(u64),
}

struct Planted {
    inner: Box<dyn Gemm>,
    fault: Fault,
    first: Option<Instant>,
    iterations: u64,
    /// Its operand sets, once asked for their fingerprints.
    sets: Option<u64>,
}

impl Planted {
    fn flipped(&self) -> bool {
        match (self.fault, self.sets) {
            (Fault::FlipAfter(n), Some(sets)) => self.iterations >= 2 * sets + n,
            _ => false,
        }
    }
}

impl Timed for Planted {
    fn run(&mut self) -> Result<Vec<f64>, String> {
        let first = *self.first.get_or_insert_with(Instant::now);
        let mut times = self.inner.run()?;
        self.iterations += times.len() as u64;
        if let Fault::SlowAfter(after) = self.fault {
            if first.elapsed() >= after {
                std::thread::sleep(Duration::from_secs_f64(9.0 * times.iter().sum::<f64>()));
                times.iter_mut().for_each(|t| *t *= 10.0);
            }
        }
        Ok(times)
    }
}

impl Gemm for Planted {
    fn verify(&mut self) -> Result<Verification, String> {
        self.inner.verify()
    }
    fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String> {
        let mut f = self.inner.fingerprints()?;
        self.sets = Some(f.len() as u64);
        if self.flipped() {
            // The last operand set's C differs: so does its digest.
            let last = f.len() - 1;
            f[last].0 ^= 0x9E37_79B9_7F4A_7C15;
        }
        Ok(f)
    }
    fn result(&mut self, set: usize) -> Result<ResultC, String> {
        let mut c = self.inner.result(set)?;
        if self.flipped() && set == self.inner.fingerprints()?.len() - 1 {
            // The lowest mantissa bit of one element in the middle of C.
            let at = c.bytes.len() / 2 / 4 * 4;
            c.bytes[at] ^= 1;
        }
        Ok(c)
    }
}

/// Runs `flopmeter sustain ARGS --out OUT --quiet` in this process with every device's kernel
/// wrapped to carry `fault`; its exit status and its results.
fn sustain_planted(args: &[&str], fault: Fault, out: &Path) -> (i32, SustainResults) {
    let plant = move |_: &DeviceRecord, inner: Box<dyn Gemm>| -> Box<dyn Gemm> {
        Box::new(Planted {
            inner,
            fault,
            first: None,
            iterations: 0,
            sets: None,
        })
    };
    let mut argv: Vec<String> = ["flopmeter", "sustain", "--quiet", "--out"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    argv.push(out.display().to_string());
    argv.extend(args.iter().map(|s| s.to_string()));
    let code = flopmeter::main_with_plant(argv, &plant);
    (
        code,
        io::load(out).expect("a sustain always writes its file"),
    )
}

/// One kernel, one dtype, one size: nothing to choose, so the run starts at once.
const CPU: [&str; 8] = [
    "--backend",
    "cpu",
    "--kernel",
    "faer",
    "--dtype",
    "f32",
    "--size",
    "256",
];
const WGPU: [&str; 8] = [
    "--backend",
    "wgpu",
    "--kernel",
    "tiled",
    "--dtype",
    "f32",
    "--size",
    "128",
];

/// Five seconds in half-second windows; a drop fails only past 70% of the burst, far more than
/// a busy shared machine makes, so only the planted slowdown can fail it.
const RUN: [&str; 6] = ["--duration", "5", "--window", "0.5", "--max-drop", "0.7"];

fn slowdown_is_a_drop_that_fails(device: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = device.iter().chain(&RUN).copied().collect();
    // The control: the same run without a fault passes.
    let (code, doc) = sustain_planted(&args, Fault::None, &dir.path().join("healthy.json"));
    let s = &doc.series[0];
    assert_eq!(code, 0, "{:?}", s.verdict);
    assert!(s.verdict.passed && s.failures.is_empty(), "{:?}", s.verdict);
    assert!(s.verdict.ratio.unwrap() > 0.3, "{:?}", s.verdict);
    // Slow from 2 s after the first iteration: the first window is the burst, the last half
    // of the series runs at a tenth of it (less where the machine is busy).
    let slow = Fault::SlowAfter(Duration::from_secs(2));
    let (code, doc) = sustain_planted(&args, slow, &dir.path().join("slow.json"));
    let s = &doc.series[0];
    assert_eq!(code, 1, "{:?}", s.verdict);
    assert!(!s.verdict.passed);
    let ratio = s.verdict.ratio.unwrap();
    assert!(ratio < 0.2, "{ratio}: {:?}", s.verdict);
    assert!(
        s.verdict
            .reasons
            .iter()
            .any(|r| r.contains("below the burst")),
        "{:?}",
        s.verdict.reasons
    );
    // Every result was still right: a slow device is not a wrong one.
    assert!(s.failures.is_empty(), "{:?}", s.failures);
    assert!(s.windows.len() >= 9, "{} windows", s.windows.len());
}

fn bit_flip_is_corruption(device: &[&str], flip_after: u64) {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = device
        .iter()
        .chain(&["--duration", "3", "--window", "0.5", "--check-every", "3"])
        .chain(&["--max-drop", "0.9"])
        .copied()
        .collect();
    let (code, doc) = sustain_planted(
        &args,
        Fault::FlipAfter(flip_after),
        &dir.path().join("flip.json"),
    );
    let s = &doc.series[0];
    assert_eq!(code, 1, "{:?} {:?}", s.verdict, s.checks);
    assert!(!s.verdict.passed);
    let f = s
        .failures
        .iter()
        .find(|f| f.kind == FailureKind::Corruption)
        .unwrap_or_else(|| panic!("no corruption found: {:?} {:?}", s.failures, s.checks));
    // Found in the series, in the window of its time, sized: one element, one bit.
    let w = f.window.expect("found during the series");
    assert!(
        s.windows[w].start_s <= f.t_s && f.t_s <= s.windows[w].end_s,
        "{f:?}"
    );
    assert!(f.iteration > 0 && f.iteration <= s.checks.iterations);
    assert_eq!((f.elements_differing, f.bits), (Some(1), Some(1)), "{f:?}");
    assert!(f.message.contains("bit for bit"), "{}", f.message);
    assert!(s.checks.mismatches >= 1 && s.checks.bitwise > s.checks.mismatches);
    assert!(
        s.verdict.reasons.iter().any(|r| r.contains("window")),
        "{:?}",
        s.verdict.reasons
    );
}

#[test]
fn cpu_a_planted_slowdown_is_a_drop_that_fails_the_threshold() {
    slowdown_is_a_drop_that_fails(&CPU);
}

#[test]
fn wgpu_a_planted_slowdown_is_a_drop_that_fails_the_threshold() {
    if requires(
        Dep::Vulkan,
        "wgpu_a_planted_slowdown_is_a_drop_that_fails_the_threshold",
    ) {
        slowdown_is_a_drop_that_fails(&WGPU);
    }
}

#[test]
fn cpu_a_planted_bit_flip_is_corruption_and_exit_1() {
    bit_flip_is_corruption(&CPU, 100);
}

#[test]
fn wgpu_a_planted_bit_flip_is_corruption_and_exit_1() {
    if requires(
        Dep::Vulkan,
        "wgpu_a_planted_bit_flip_is_corruption_and_exit_1",
    ) {
        bit_flip_is_corruption(&WGPU, 100);
    }
}

/// Starts a minute-long sustain writing `out`, and waits until its checkpoint (every 5 s)
/// holds a series of at least `windows` windows.
fn sustain_until(device: &[&str], out: &Path, windows: usize) -> std::process::Child {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("flopmeter"))
        .arg("sustain")
        .args(device)
        .args(["--duration", "60", "--window", "0.5", "--quiet", "--out"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Ok(doc) = io::load(out) {
            // Until the run is over the file says it is incomplete.
            assert!(doc.interrupted);
            if doc
                .series
                .first()
                .is_some_and(|s| s.windows.len() >= windows)
            {
                return child;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "sustain ended early");
        assert!(start.elapsed().as_secs() < 60, "no checkpoint after 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigterm_keeps_the_series(device: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("term.json");
    // Signalled once the checkpoint holds 9 windows (its last may be open), so the 8 measured
    // windows asserted below have closed: waiting for 4 let a loaded machine signal at the 7th
    // (seen in CI: 7 windows, the last started 26 ms before the signal and empty).
    let mut child = sustain_until(device, &out, 9);
    let sent = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(sent.elapsed().as_secs_f64() < 10.0, "{:?}", sent.elapsed());
    assert_eq!(status.code(), Some(143), "{status:?}");
    let doc = io::load(&out).unwrap();
    assert!(doc.interrupted);
    let s = &doc.series[0];
    assert_eq!(s.stopped.as_deref(), Some("stopped by a signal"));
    // Every window up to the signal, none of the minute it did not run.
    let last = s.windows.last().unwrap();
    assert!(s.windows.len() >= 8 && last.end_s < 40.0, "{last:?}");
    assert!(s.windows.iter().filter(|w| w.tflops.is_some()).count() >= 8);
    assert!(s.verdict.burst_tflops.is_some() && s.verdict.sustained_tflops.is_some());
    assert!(s.failures.is_empty(), "{:?}", s.failures);
    assert!(
        s.checks.bitwise > 0 && s.checks.reference >= 2,
        "{:?}",
        s.checks
    );
}

#[test]
fn cpu_sigterm_keeps_the_series_and_exits_143() {
    sigterm_keeps_the_series(&CPU);
}

#[test]
fn wgpu_sigterm_keeps_the_series_and_exits_143() {
    if requires(Dep::Vulkan, "wgpu_sigterm_keeps_the_series_and_exits_143") {
        sigterm_keeps_the_series(&WGPU);
    }
}

/// Rank `rank` of 2 of Slurm job 99 runs a short CPU sustain into `dir`; its file.
fn slurm_rank(dir: &Path, rank: u32) -> PathBuf {
    flopmeter()
        .arg("sustain")
        .args(CPU)
        .args(["--duration", "2", "--window", "0.5", "--max-drop", "0.9"])
        .arg("--out-dir")
        .arg(dir)
        .env("SLURM_PROCID", rank.to_string())
        .env("SLURM_NTASKS", "2")
        .env("SLURM_LOCALID", rank.to_string())
        .env("SLURM_JOB_ID", "99")
        .assert()
        .success();
    let prefix = format!("rank-{rank:05}-");
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&prefix)
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// Scales every rate of a sustain file by about `f` (its iterations, so its device times stay
/// true): the device ran that much slower.
fn slow_down(path: &Path, f: f64) {
    let mut doc = io::load(path).unwrap();
    for s in &mut doc.series {
        for w in s.windows.iter_mut().filter(|w| w.iterations > 0) {
            w.iterations = ((w.iterations as f64 * f).round() as u64).max(1);
            w.tflops = Some(w.iterations as f64 * s.flop / w.device_s / 1e12);
        }
        let was = s.verdict.sustained_tflops.unwrap();
        let v = &mut s.verdict;
        v.burst_tflops = validate::burst(&s.windows);
        v.sustained_tflops = validate::sustained(&s.windows);
        let now = v.sustained_tflops.unwrap();
        v.ratio = Some(now / v.burst_tflops.unwrap());
        v.utilization = v.utilization.map(|u| u * now / was);
    }
    io::write_atomic(path, &doc).unwrap();
}

/// Each file is valid against the committed results/sustain-schema.json.
fn assert_schema_valid(files: &[&Path]) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/sustain-schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for f in files {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

#[test]
fn slurm_ranks_write_their_files_and_merge_names_the_outlier() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    let r0 = slurm_rank(&ranks, 0);
    let doc = io::load(&r0).unwrap();
    assert_eq!(doc.host.rank, Some(0));
    // A bench's reader says what the file is and which commands read it.
    let mut cmd = flopmeter();
    cmd.arg("compare").arg(&r0).arg(&r0);
    one_line_error(
        &mut cmd,
        &["holds a sustained run", "`report` and `merge` read it"],
    );
    // One rank alone: the other is named missing, and merging it alone fails.
    let cluster = dir.path().join("cluster.json");
    flopmeter()
        .args(["merge"])
        .arg(&ranks)
        .arg("--out")
        .arg(&cluster)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 rank(s) brought no file"));
    let r1 = slurm_rank(&ranks, 1);
    // Rank 1's device ran at half the sustained rate of rank 0's.
    let rate = |p: &Path| {
        io::load(p).unwrap().series[0]
            .verdict
            .sustained_tflops
            .unwrap()
    };
    slow_down(&r1, 0.5 * rate(&r0) / rate(&r1));
    let out = flopmeter()
        .args(["merge"])
        .arg(&ranks)
        .arg("--out")
        .arg(&cluster)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = io::load(&cluster).unwrap();
    assert_schema_valid(&[&r0, &r1, &cluster]);
    let c = merged.cluster.as_ref().unwrap();
    assert_eq!((c.ranks, c.devices), (2, 2));
    assert!(c.missing_ranks.is_empty());
    assert_eq!(c.outliers.len(), 1, "{:?}", c.outliers);
    assert!(c.outliers[0].contains("/rank1/cpu:0"), "{:?}", c.outliers);
    let slow = merged
        .series
        .iter()
        .find(|s| s.device.contains("/rank1/"))
        .unwrap();
    let o = slow.verdict.outlier.as_ref().unwrap();
    // Half of rank 0's rate is a third below the median of the two.
    assert!((o.shortfall - 1.0 / 3.0).abs() < 0.05, "{o:?}");
    // Asked to, an outlier fails the merge.
    flopmeter()
        .args(["merge"])
        .arg(&r0)
        .arg(&r1)
        .arg("--out")
        .arg(dir.path().join("c2.json"))
        .arg("--fail-on-straggler")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("outlier"));
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never.json");
    for (args, needles) in [
        (vec!["--duration", "0"], vec!["--duration", "1 s to 7 days"]),
        (vec!["--duration", "8d"], vec!["8d"]),
        (vec!["--window", "0.01"], vec!["--window", "0.05"]),
        (
            vec!["--duration", "2", "--window", "5"],
            vec!["--window 5", "longer than --duration"],
        ),
        (vec!["--max-drop", "1.5"], vec!["--max-drop"]),
        (vec!["--check-every", "0"], vec!["--check-every"]),
        (vec!["--out-dir", "somewhere"], vec!["launcher"]),
    ] {
        let mut cmd = flopmeter();
        cmd.arg("sustain").args(&args).arg("--out").arg(&out);
        one_line_error(&mut cmd, &needles);
        assert!(!out.exists(), "{args:?} wrote a file");
    }
}

/// Debian's Open MPI launches two ranks on the CPU; each writes its own file, and the merge of
/// the folder holds both devices, no outlier among two alike.
#[test]
fn mpirun_two_ranks_each_write_a_sustain_file_and_merge() {
    if !requires(
        Dep::Mpi,
        "mpirun_two_ranks_each_write_a_sustain_file_and_merge",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    let out = std::process::Command::new("mpirun")
        .args(["-np", "2", "--allow-run-as-root", "--oversubscribe"])
        .arg(assert_cmd::cargo::cargo_bin("flopmeter"))
        .arg("sustain")
        .args(CPU)
        .args([
            "--duration",
            "2",
            "--window",
            "0.5",
            "--max-drop",
            "0.9",
            "--quiet",
        ])
        .arg("--out-dir")
        .arg(&ranks)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cluster = dir.path().join("cluster.json");
    flopmeter()
        .arg("merge")
        .arg(&ranks)
        .arg("--out")
        .arg(&cluster)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 rank(s), from 2 file(s)"));
    let merged = io::load(&cluster).unwrap();
    let ids: Vec<&str> = merged.series.iter().map(|s| s.device.as_str()).collect();
    assert!(
        ids.len() == 2 && ids[0].ends_with("/rank0/cpu:0") && ids[1].ends_with("/rank1/cpu:0"),
        "{ids:?}"
    );
    assert!(merged.series.iter().all(|s| s.windows.len() == 4));
}
