//! What comes in through files, paths and signals is not trusted: forged results never reach a
//! chart or a table, outputs never replace inputs or special files, modes follow the umask, and
//! dead ranks are the first thing `merge` says.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{flopmeter, h100_results, sample_results};
use flopmeter::results::write_atomic;

/// Waits for `child` at most `secs`, killing it and failing the test past that.
fn output_within(
    mut child: std::process::Child,
    args: &[&std::ffi::OsStr],
    secs: u64,
) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("{args:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs the binary with a deadline, so that a hang fails the test instead of blocking it.
fn run_within(args: &[&std::ffi::OsStr], secs: u64) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let child = std::process::Command::new(bin)
        .env("FLOPMETER_BLAS", "off")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    output_within(child, args, secs)
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn forged_rates_never_reach_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    for (i, tflops) in [0.0, 5e-324, f64::MAX, -3.0].into_iter().enumerate() {
        let mut doc = sample_results();
        doc.runs[0].tflops.median = tflops;
        doc.runs[0].utilization.rated = None;
        let path = dir.path().join(format!("forged{i}.json"));
        // Written as JSON text (a file a user could have edited).
        let mut v = serde_json::to_value(&doc).unwrap();
        v["runs"][0]["tflops"]["median"] = serde_json::json!(tflops);
        std::fs::write(&path, v.to_string()).unwrap();
        let out = run_within(
            &[
                os("report"),
                path.as_os_str(),
                os("--html"),
                html.as_os_str(),
            ],
            20,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{tflops}: {stderr}");
        assert!(
            stderr.contains("runs[0]") && stderr.contains("tflops.median"),
            "{stderr}"
        );
        assert!(!html.exists());
    }
}

#[test]
fn an_output_never_replaces_an_input_or_a_special_file() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("v.json");
    write_atomic(&results, &sample_results()).unwrap();
    let before = std::fs::read(&results).unwrap();
    let out = run_within(
        &[
            os("report"),
            results.as_os_str(),
            os("--markdown"),
            results.as_os_str(),
        ],
        20,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is also an input"));
    assert_eq!(std::fs::read(&results).unwrap(), before);

    let other = dir.path().join("b.json");
    write_atomic(&other, &h100_results("node2", &[790.0], 690.0)).unwrap();
    let out = run_within(
        &[
            os("merge"),
            results.as_os_str(),
            other.as_os_str(),
            os("--out"),
            results.as_os_str(),
        ],
        20,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&results).unwrap(), before);

    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo.md");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let out = run_within(
            &[
                os("report"),
                results.as_os_str(),
                os("--markdown"),
                fifo.as_os_str(),
            ],
            20,
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
        let out = run_within(
            &[
                os("report"),
                results.as_os_str(),
                os("--markdown"),
                os("/dev/null"),
            ],
            20,
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(Path::new("/dev/null")
            .metadata()
            .unwrap()
            .file_type()
            .is_char_device_like());
    }
}

/// `/dev/null` must stay a character device.
trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            self.is_char_device()
        }
        #[cfg(not(unix))]
        {
            true
        }
    }
}

#[test]
fn an_unwritable_output_is_bad_input_naming_the_users_path() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("v.json");
    write_atomic(&results, &sample_results()).unwrap();
    let blocked = results.join("report.md");
    let out = run_within(
        &[
            os("report"),
            results.as_os_str(),
            os("--markdown"),
            blocked.as_os_str(),
        ],
        20,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("report.md") && stderr.contains("is a file, not a folder"),
        "{stderr}"
    );
    let out = run_within(
        &[
            os("merge"),
            results.as_os_str(),
            os("--out"),
            os("/proc/flopmeter/c.json"),
        ],
        20,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/proc/flopmeter/c.json") && !stderr.contains("probe"),
        "{stderr}"
    );
}

#[test]
fn merge_lists_dead_ranks_and_fails_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    std::fs::create_dir(&ranks).unwrap();
    let mut alive = h100_results("node1", &[790.0], 690.0);
    alive.host.rank = Some(0);
    write_atomic(&ranks.join("rank-00000-node1.json"), &alive).unwrap();
    // Rank 1 finished nothing; rank 2's only result failed verification.
    let mut dead = h100_results("node2", &[], 0.0);
    dead.host.rank = Some(1);
    dead.interrupted = true;
    write_atomic(&ranks.join("rank-00001-node2.json"), &dead).unwrap();
    let mut failed = h100_results("node3", &[780.0], 690.0);
    failed.host.rank = Some(2);
    failed.runs[0].verification.status = flopmeter::results::VerificationStatus::Failed;
    write_atomic(&ranks.join("rank-00002-node3.json"), &failed).unwrap();
    // An earlier merge's output sits in the same folder: it is skipped, not merged.
    let out = ranks.join("cluster.json");
    let first = run_within(
        &[os("merge"), ranks.as_os_str(), os("--out"), out.as_os_str()],
        20,
    );
    let text = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(1), "{text}");
    assert!(text.contains("Dead or failed ranks (2 of 3)"), "{text}");
    assert!(
        text.contains("interrupted before its first result"),
        "{text}"
    );
    assert!(
        text.contains("every result (1) failed verification"),
        "{text}"
    );
    let doc = flopmeter::results::cluster::load(&out).unwrap();
    assert_eq!(doc.cluster.dead_ranks.len(), 2);
    let again = run_within(
        &[
            os("merge"),
            ranks.as_os_str(),
            os("--out"),
            out.as_os_str(),
            os("--allow-dead-ranks"),
        ],
        20,
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("skipped") && stderr.contains("cluster.json"),
        "{stderr}"
    );
}

#[test]
fn a_duplicate_device_inside_one_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.json");
    let mut doc = sample_results();
    let d = doc.devices[0].clone();
    doc.devices.push(d);
    std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    let out = run_within(&[os("report"), path.as_os_str()], 20);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("devices[1] (cpu:0): the device id appears twice"),
        "{stderr}"
    );
}

#[test]
fn a_hostile_slurm_job_id_stays_a_folder_name() {
    let dir = tempfile::tempdir().unwrap();
    flopmeter()
        .current_dir(dir.path())
        .args(["bench", "--backend", "cpu", "--size", "64"])
        .args(common::FAST)
        .env("SLURM_PROCID", "0")
        .env("SLURM_NTASKS", "2")
        .env("SLURM_LOCALID", "0")
        .env("SLURM_JOB_ID", "../../escape")
        .assert()
        .success();
    let folder = dir.path().join("results/cluster-slurm-______escape");
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{folder:?}");
    assert!(!dir.path().join("escape").exists());
}

#[test]
fn help_into_a_full_disk_and_names_without_words_are_reported() {
    if Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("flopmeter"))
            .arg("--help")
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the help"));
    }
    for name in ["🚀", "!!!"] {
        let out = run_within(&[os("peaks"), os(name)], 20);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr.contains("has no letters or digits"), "{stderr}");
    }
    let out = run_within(&[os("peaks"), os("ＮＶＩＤＩＡ Ｈ１００")], 20);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The full-width name reaches its own row, not just some row.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("-> H100 SXM5 80GB"), "{stdout}");
}

/// Runs the binary from `sh` after `setup` (shell commands; `$$` is the binary's pid, as `exec`
/// keeps it), with a deadline.
#[cfg(unix)]
fn run_in_shell(setup: &str, args: &[&std::ffi::OsStr], secs: u64) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let script = format!("{setup}\nexec \"$0\" \"$@\"");
    let mut all: Vec<&std::ffi::OsStr> = vec![os("-c"), os(&script), bin.as_os_str()];
    all.extend_from_slice(args);
    let child = std::process::Command::new("sh")
        .args(&all)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    output_within(child, args, secs)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn new_files_get_the_mode_the_umask_gives() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("v.json");
    write_atomic(&results, &sample_results()).unwrap();
    for (umask, expected) in [("027", 0o640), ("077", 0o600), ("022", 0o644)] {
        let md = dir.path().join(format!("r{umask}.md"));
        let bench = dir.path().join(format!("b{umask}.json"));
        let out = run_in_shell(
            &format!("umask {umask}"),
            &[
                os("report"),
                results.as_os_str(),
                os("--markdown"),
                md.as_os_str(),
            ],
            20,
        );
        assert!(out.status.success(), "{out:?}");
        assert_eq!(mode(&md), expected, "umask {umask}: {:o}", mode(&md));
        let mut args = vec![
            os("bench"),
            os("--backend"),
            os("cpu"),
            os("--size"),
            os("32"),
        ];
        args.extend(common::FAST.iter().map(|s| os(s)));
        args.extend([os("--out"), bench.as_os_str()]);
        let out = run_in_shell(&format!("umask {umask}"), &args, 60);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(mode(&bench), expected, "umask {umask}: {:o}", mode(&bench));
    }
}

/// The attack of issue 25: links planted at the names a writer used to choose (its probe and
/// its temporary, both named after its pid) pointing at a victim's files.
#[cfg(unix)]
#[test]
fn links_planted_in_a_shared_folder_write_nothing_through() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("v.json");
    write_atomic(&results, &sample_results()).unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "secret").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let victim2 = dir.path().join("victim2");
    let setup = format!(
        "cd '{}' && ln -s '{}' .flopmeter-probe.$$ && ln -s '{}' .r.md.flopmeter-tmp.$$.md && \
         for i in 0 1 2 3 4 5 6 7 8 9; do ln -s '{}' .r.md.flopmeter-tmp.$$$i; done",
        shared.display(),
        victim.display(),
        victim2.display(),
        victim.display()
    );
    let out = run_in_shell(
        &setup,
        &[
            os("report"),
            results.as_os_str(),
            os("--markdown"),
            os("r.md"),
        ],
        20,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "secret");
    assert_eq!(mode(&victim), 0o600);
    assert!(!victim2.exists());
    let md = std::fs::symlink_metadata(shared.join("r.md")).unwrap();
    assert!(md.file_type().is_file());
}

#[test]
fn two_outputs_that_are_one_file_are_refused_however_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("v.json");
    write_atomic(&results, &sample_results()).unwrap();
    let out = flopmeter()
        .current_dir(dir.path())
        .args(["report", "v.json", "--markdown", "r.md", "--html", "./r.md"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("are the same file"), "{stderr}");
    assert!(!dir.path().join("r.md").exists());
}

#[cfg(unix)]
#[test]
fn long_output_names_are_written_or_refused_before_the_bench() {
    let dir = tempfile::tempdir().unwrap();
    // 250 bytes: a name the file system takes, whose old temporary name it did not.
    let long = dir.path().join(format!("{}.json", "r".repeat(245)));
    flopmeter()
        .args(["bench", "--backend", "cpu", "--size", "32"])
        .args(common::FAST)
        .arg("--out")
        .arg(&long)
        .assert()
        .success();
    flopmeter::results::load(&long).unwrap();
    let too_long = dir.path().join(format!("{}.json", "r".repeat(300)));
    let started = Instant::now();
    let out = flopmeter()
        .args(["bench", "--backend", "cpu", "--size", "32"])
        .args(["--warmup", "0", "--min-time", "30", "--max-time", "30"])
        .arg("--out")
        .arg(&too_long)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("name is too long"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it ran the bench first"
    );
}

/// Rank `rank` of a Slurm job's world of `world`: one H100 with one verified bf16 result.
fn slurm_rank(rank: u32, world: u32, job: &str, tflops: f64) -> flopmeter::results::Results {
    let mut r = h100_results(&format!("node{}", rank / 8), &[tflops], 690.0);
    r.host.rank = Some(rank);
    r.host.launcher = Some(flopmeter::results::RankInfo {
        launcher: flopmeter::results::Launcher::Slurm,
        rank,
        world_size: world,
        local_rank: rank % 8,
        job_id: Some(job.into()),
    });
    r
}

fn write_rank(dir: &Path, r: &flopmeter::results::Results) -> std::path::PathBuf {
    let p = dir.join(format!(
        "rank-{:05}-{}.json",
        r.host.rank.unwrap(),
        r.host.hostname
    ));
    write_atomic(&p, r).unwrap();
    p
}

fn merge_json(args: &[&std::ffi::OsStr]) -> (Option<i32>, serde_json::Value, String) {
    let mut all = vec![os("merge"), os("--json")];
    all.extend_from_slice(args);
    let out = run_within(&all, 20);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), v, stderr)
}

#[test]
fn a_rank_that_wrote_no_file_fails_the_merge_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    std::fs::create_dir(&ranks).unwrap();
    // Ranks 2 and 5 of 6 were killed before their first save.
    for rank in [0, 1, 3, 4] {
        write_rank(&ranks, &slurm_rank(rank, 6, "4242", 790.0));
    }
    let out = dir.path().join("cluster.json");
    let (code, v, stderr) = merge_json(&[ranks.as_os_str(), os("--out"), out.as_os_str()]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(v["cluster"]["missing_ranks"], serde_json::json!([2, 5]));
    assert!(
        stderr.contains("2 rank(s) brought no verified result or no file"),
        "{stderr}"
    );
    let text = run_within(
        &[os("merge"), ranks.as_os_str(), os("--out"), out.as_os_str()],
        20,
    );
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("Missing ranks (2): 2, 5: no file at all"),
        "{stdout}"
    );
    let (code, _, _) = merge_json(&[
        ranks.as_os_str(),
        os("--out"),
        out.as_os_str(),
        os("--allow-dead-ranks"),
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn a_rank_whose_dtype_all_failed_is_a_failed_rank_for_that_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_rank(dir.path(), &slurm_rank(0, 2, "7", 790.0));
    let mut r = slurm_rank(1, 2, "7", 785.0);
    // Rank 1 also measured f64 (at 8192^3): its one f64 result failed verification.
    let mut f64_run = r.runs[0].clone();
    f64_run.dtype = flopmeter::dtype::Dtype::F64;
    f64_run.tflops = flopmeter::results::Tflops {
        median: 50.0,
        max: 50.0,
    };
    f64_run.utilization.rated = None;
    f64_run.energy = flopmeter::results::Energy::of(50.0, f64_run.telemetry.as_ref());
    f64_run.verification.status = flopmeter::results::VerificationStatus::Failed;
    r.runs.push(f64_run);
    let bad = write_rank(dir.path(), &r);
    let out = dir.path().join("cluster.json");
    let (code, v, stderr) = merge_json(&[
        good.as_os_str(),
        bad.as_os_str(),
        os("--out"),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    let dead = &v["cluster"]["dead_ranks"];
    assert_eq!(dead.as_array().unwrap().len(), 1, "{dead}");
    assert_eq!(dead[0]["rank"], 1);
    assert_eq!(dead[0]["dtype"], "f64");
    assert_eq!(
        dead[0]["reason"],
        "every f64 result (1) failed verification"
    );
}

#[test]
fn files_of_other_shapes_are_not_compared_as_stragglers() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_rank(dir.path(), &slurm_rank(0, 2, "9", 790.0));
    // Rank 1 ran 4096^3, where the rate is lower: not a slow GPU.
    let mut r = slurm_rank(1, 2, "9", 600.0);
    r.settings.shapes = vec![flopmeter::shape::Shape::cube(4096)];
    (r.runs[0].m, r.runs[0].n, r.runs[0].k) = (4096, 4096, 4096);
    r.runs[0].flop = flopmeter::shape::Shape::cube(4096).flop();
    let b = write_rank(dir.path(), &r);
    let out = dir.path().join("cluster.json");
    let (code, v, stderr) = merge_json(&[
        a.as_os_str(),
        b.as_os_str(),
        os("--out"),
        out.as_os_str(),
        os("--fail-on-straggler"),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["stragglers"], serde_json::json!([]));
    let why = v["cluster"]["not_compared"][0].as_str().unwrap();
    assert!(
        why.contains("bf16: 2 groups") && why.contains("(different shapes)"),
        "{why}"
    );
}

#[test]
fn one_rank_claimed_by_two_jobs_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_rank(dir.path(), &slurm_rank(0, 2, "100", 790.0));
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let b = write_rank(&other, &slurm_rank(0, 2, "101", 790.0));
    let out = dir.path().join("cluster.json");
    let (code, _, stderr) =
        merge_json(&[a.as_os_str(), b.as_os_str(), os("--out"), out.as_os_str()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("both claim rank 0, of different jobs (100 and 101)"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn interrupted_files_are_marked_and_stragglers_can_fail_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    for (rank, tflops) in [(0, 790.0), (1, 792.0), (2, 700.0)] {
        let mut r = slurm_rank(rank, 3, "5", tflops);
        r.interrupted = rank == 1;
        write_rank(dir.path(), &r);
    }
    let out = dir.path().join("merged.json");
    let plain = run_within(
        &[
            os("merge"),
            dir.path().as_os_str(),
            os("--out"),
            out.as_os_str(),
        ],
        20,
    );
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert_eq!(plain.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Interrupted: ") && stdout.contains("rank-00001-node0.json stopped early"),
        "{stdout}"
    );
    let (code, v, stderr) = merge_json(&[
        dir.path().as_os_str(),
        os("--out"),
        out.as_os_str(),
        os("--fail-on-straggler"),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(v["cluster"]["interrupted"].as_array().unwrap().len(), 1);
    assert!(
        stderr.contains("1 straggler(s): node0/rank2/cuda:0 bf16 11.39% below"),
        "{stderr}"
    );
}

#[test]
fn one_machine_on_two_days_is_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let monday = dir.path().join("monday.json");
    write_atomic(&monday, &sample_results()).unwrap();
    // Tuesday: the same machine, f64.
    let mut tue = sample_results();
    tue.runs[0].dtype = flopmeter::dtype::Dtype::F64;
    tue.runs[0].utilization.rated = Some(0.0032 / 0.275);
    let tuesday = dir.path().join("tuesday.json");
    write_atomic(&tuesday, &tue).unwrap();
    let out = dir.path().join("node1.json");
    let (code, v, stderr) = merge_json(&[
        monday.as_os_str(),
        tuesday.as_os_str(),
        os("--out"),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["cluster"]["devices"], 1);
    let c = flopmeter::results::cluster::load(&out).unwrap();
    assert_eq!(c.jobs().count(), 2);
    // The same results twice are still refused.
    let (code, _, stderr) = merge_json(&[
        monday.as_os_str(),
        monday.as_os_str(),
        os("--out"),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("was measured in another file too"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn merge_reads_only_regular_results_files_of_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let ranks = dir.path().join("ranks");
    std::fs::create_dir(&ranks).unwrap();
    let r0 = write_rank(&ranks, &slurm_rank(0, 2, "3", 790.0));
    write_rank(&ranks, &slurm_rank(1, 2, "3", 791.0));
    // A killed writer's torn temporary, and a complete one (old flopmeters named them *.json),
    // a FIFO and a device node named like results files.
    std::fs::write(
        ranks.join(".rank-00001-node0.json.flopmeter-tmp.4999999.json"),
        "{\"schema\": \"flopm",
    )
    .unwrap();
    std::fs::copy(
        &r0,
        ranks.join(".rank-00000-node0.json.flopmeter-tmp.4999998.json"),
    )
    .unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(ranks.join("fifo.json"))
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("/dev/zero", ranks.join("zero.json")).unwrap();
    let out = dir.path().join("cluster.json");
    let (code, v, stderr) = merge_json(&[ranks.as_os_str(), os("--out"), out.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["cluster"]["files"], 2);
    assert!(stderr.contains("fifo.json: not a regular file"), "{stderr}");
    assert!(stderr.contains("a temporary of a write"), "{stderr}");
    // Named explicitly, a FIFO or a device is refused at once, not read.
    for special in ["fifo.json", "zero.json"] {
        let p = ranks.join(special);
        let out = run_within(&[os("report"), p.as_os_str()], 10);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is not a regular file"), "{stderr}");
    }
}

#[test]
fn a_merged_files_stragglers_must_be_its_devices() {
    let dir = tempfile::tempdir().unwrap();
    for (rank, tflops) in [(0, 790.0), (1, 792.0), (2, 700.0)] {
        write_rank(dir.path(), &slurm_rank(rank, 3, "5", tflops));
    }
    let out = dir.path().join("merged").join("cluster.json");
    let (code, _, stderr) = merge_json(&[dir.path().as_os_str(), os("--out"), out.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["stragglers"][0]["device"] = serde_json::json!("node7/rank9/cuda:0");
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, v.to_string()).unwrap();
    let report = run_within(&[os("report"), forged.as_os_str()], 20);
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert_eq!(report.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("stragglers[0] (node7/rank9/cuda:0 bf16): device node7/rank9/cuda:0 is not among the file's devices"),
        "{stderr}"
    );
}

/// Issue 25: a full stdout made every command panic (101), and a full stderr turned 2, 1 and
/// 143 into 101.
#[cfg(unix)]
#[test]
fn a_full_disk_on_stdout_or_stderr_is_an_exit_status_not_a_panic() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("v.json");
    write_atomic(&results, &sample_results()).unwrap();
    let merged = dir.path().join("m.json");
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let commands: Vec<Vec<&std::ffi::OsStr>> = vec![
        vec![os("peaks")],
        vec![os("peaks"), os("--json")],
        vec![os("devices"), os("--no-clock-probe")],
        vec![
            os("estimate"),
            os("hardware"),
            os("--gpu"),
            os("h100"),
            os("--count"),
            os("8"),
            os("--days"),
            os("10"),
        ],
        vec![os("trend")],
        vec![os("report"), results.as_os_str()],
        vec![
            os("merge"),
            results.as_os_str(),
            os("--out"),
            merged.as_os_str(),
            os("--json"),
        ],
    ];
    for args in &commands {
        let out = std::process::Command::new(&bin)
            .args(args)
            .stdout(full())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(
            stderr.trim(),
            "error: cannot write to stdout: No space left on device (os error 28)",
            "{args:?}"
        );
    }
    // A full stderr keeps the exit status: bad input 2.
    let out = std::process::Command::new(&bin)
        .args(["report", "missing.json"])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // And a bench stopped by SIGTERM, with its notes and progress going nowhere: 143.
    let partial = dir.path().join("b.json");
    let mut child = std::process::Command::new(&bin)
        .args(["bench", "--backend", "cpu", "--size", "64", "--warmup", "0"])
        .args(["--min-time", "30", "--max-time", "30", "--out"])
        .arg(&partial)
        .stdout(std::process::Stdio::null())
        .stderr(full())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(143));
    flopmeter::results::load(&partial).unwrap();
}

/// Issue 25: unbounded numbers panicked (capacity overflow) or wrapped.
#[test]
fn huge_counts_are_refused_before_any_work() {
    for (args, needle) in [
        (
            vec!["estimate", "hardware", "--gpu", "h100", "--count", "8", "--days", "1", "--draws", "18446744073709551615"],
            "invalid value '18446744073709551615' for '--draws <DRAWS>': expected a whole number from 1 to 1000000",
        ),
        (
            vec!["bench", "--backend", "cpu", "--model", "gpt2-small", "--tokens-per-step", "4611686018427387904"],
            "'--tokens-per-step <T>': expected tokens from 1 to 131072",
        ),
        (
            vec!["bench", "--m", "-64", "--n", "64", "--k", "64"],
            "invalid value '-64' for '--m <N|START:STOP:STEP>'",
        ),
        (
            vec!["bench", "--seed", "-1"],
            "invalid value '-1' for '--seed <SEED>'",
        ),
        (
            vec!["bench", "--rated-tflops", "1e-12"],
            "'--rated-tflops <TFLOPS>': expected TFLOP/s from 1.000e-9 to 1.000e6",
        ),
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| os(a)).collect();
        let out = run_within(&args, 20);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{needle}\n{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

/// A bench's own rated peak that its measurement contradicts (more than 10x) would make a file
/// its `report` refuses: it is bad input, and nothing is saved.
#[test]
fn a_rated_peak_the_bench_contradicts_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = flopmeter()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--size",
            "64",
            "--dtype",
            "f32",
        ])
        .args(common::FAST)
        .args(["--rated-tflops", "0.0001", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: --rated-tflops 1.000e-4: runs[0] (cpu:0 faer f32 64x64x64)")
            && stderr.contains("nothing saved"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn a_tiny_job_needs_one_chip_not_zero() {
    let out = run_within(
        &[
            os("estimate"),
            os("time"),
            os("--flops"),
            os("1e-300"),
            os("--gpu"),
            os("h100"),
            os("--days"),
            os("1e300"),
            os("--json"),
        ],
        20,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["count"], 1.0);
}

/// An address-space limit (ulimit -v) below what a run needs is an error that names it, not an
/// abort from the allocator.
#[cfg(target_os = "linux")]
#[test]
fn an_address_space_limit_below_the_need_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let mut args = vec![
        os("bench"),
        os("--backend"),
        os("cpu"),
        os("--size"),
        os("64"),
    ];
    args.extend(common::FAST.iter().map(|s| os(s)));
    args.extend([os("--out"), out.as_os_str()]);
    let o = run_in_shell("ulimit -v 100000", &args, 60);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the address-space limit (ulimit -v) leaves this process"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Threads that cannot be started (a process limit; root ignores it, so the test runs the bench
/// as nobody) are errors that say so, not panics.
#[cfg(target_os = "linux")]
#[test]
fn threads_that_cannot_start_are_a_clear_error() {
    let root = std::process::Command::new("id").arg("-u").output().unwrap();
    let setpriv = Path::new("/usr/bin/setpriv").exists();
    if String::from_utf8_lossy(&root.stdout).trim() != "0" || !setpriv {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let out = dir.path().join("r.json");
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let o = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "bash",
            "-c",
        ])
        .arg("ulimit -u 1; exec \"$0\" \"$@\"")
        .arg(&bin)
        .args([
            "bench",
            "--backend",
            "cpu",
            "--size",
            "64",
            "--dtype",
            "f32,f64",
        ])
        .args(common::FAST)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot start the signal thread"),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .matches("cannot start the CPU's worker threads")
            .count(),
        2,
        "each job: {stderr}"
    );
    assert!(stderr.contains("error: every job failed (2)"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Issue 25: fields the loader did not check drove estimates (3.5e13 pfs-days for one GPU-day,
/// negative pfs-days and kWh, "400% measured"). Each forged file is refused by `estimate`, with
/// the file, the entry and the problem, and no estimate is printed.
#[test]
fn forged_fields_never_reach_an_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    flopmeter()
        .args(["bench", "--backend", "cpu", "--dtype", "f32"])
        .args([
            "--model-config",
            "hidden=64,ffn=256,heads=4,layers=2,vocab=512,seq=64",
        ])
        .args(common::FAST)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    type Forge = Box<dyn Fn(&mut serde_json::Value)>;
    let forgeries: Vec<(&str, Forge)> = vec![
        (
            "is 1.000e15 times the rated f32 peak 1.000e-9",
            Box::new(|v| {
                v["devices"][0]["rated_tflops"]["f32"] = serde_json::json!(1e-9);
                for r in v["runs"].as_array_mut().unwrap() {
                    r["utilization"]["rated"] = serde_json::Value::Null;
                    r["tflops"] = serde_json::json!({"median": 1e6, "max": 1e6});
                }
            }),
        ),
        (
            "model.weighted[0] (cpu:0 f32): weighted_tflops -5.000",
            Box::new(|v| {
                v["model"]["weighted"][0]["weighted_tflops"] = serde_json::json!(-5.0);
                v["model"]["weighted_tflops"] = serde_json::json!(-5.0);
            }),
        ),
        (
            "model: unmeasured_share -3.000 is not the share of the GEMMs not benched",
            Box::new(|v| v["model"]["unmeasured_share"] = serde_json::json!(-3.0)),
        ),
        (
            "telemetry.power_w_median -700.0 W (must be from 0 to 1400 W",
            Box::new(|v| {
                for r in v["runs"].as_array_mut().unwrap() {
                    r["telemetry"] = serde_json::json!({
                        "source": "nvml", "samples": [], "sm_clock_mhz_median": null,
                        "power_w_median": -700.0, "power_limit_w": 700.0,
                        "temperature_c_max": null, "throttle_reasons": []
                    });
                }
            }),
        ),
        (
            "verification.status passed but max_rel_error",
            Box::new(|v| {
                for r in v["runs"].as_array_mut().unwrap() {
                    r["verification"]["max_rel_error"] = serde_json::json!(0.5);
                }
            }),
        ),
    ];
    for (needle, forge) in forgeries {
        let mut v = base.clone();
        forge(&mut v);
        let path = dir.path().join("forged.json");
        std::fs::write(&path, v.to_string()).unwrap();
        let out = run_within(
            &[
                os("estimate"),
                os("hardware"),
                os("--calibrate"),
                path.as_os_str(),
                os("--peak-tflops"),
                os("1"),
                os("--dtype"),
                os("f32"),
                os("--count"),
                os("1"),
                os("--days"),
                os("1"),
            ],
            20,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{needle}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {}: ", path.display())) && stderr.contains(needle),
            "{needle}\n{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

/// A launcher's environment that places a rank outside its world is bad input up front, not a
/// results file the reader refuses at the end.
#[test]
fn a_local_rank_outside_the_world_is_bad_input() {
    let out = flopmeter()
        .args(["bench", "--backend", "cpu", "--size", "32"])
        .args(common::FAST)
        .env("SLURM_PROCID", "0")
        .env("SLURM_NTASKS", "2")
        .env("SLURM_LOCALID", "9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the local rank 9 is not below SLURM_NTASKS=2"),
        "{stderr}"
    );
}
