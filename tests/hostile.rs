//! What comes in through files, paths and signals is not trusted: forged results never reach a
//! chart or a table, outputs never replace inputs or special files, modes follow the umask, and
//! dead ranks are the first thing `merge` says.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{flopmeter, h100_results, sample_results};
use flopmeter::results::write_atomic;

/// Runs the binary with a deadline, so that a hang fails the test instead of blocking it.
fn run_within(args: &[&std::ffi::OsStr], secs: u64) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let mut child = std::process::Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
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
    let doc = flopmeter::results::load(&out).unwrap();
    assert_eq!(doc.cluster.as_ref().unwrap().dead_ranks.len(), 2);
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
}

/// Runs the binary from `sh` after `setup` (shell commands; `$$` is the binary's pid, as `exec`
/// keeps it), with a deadline.
#[cfg(unix)]
fn run_in_shell(setup: &str, args: &[&std::ffi::OsStr], secs: u64) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("flopmeter");
    let script = format!("{setup}\nexec \"$0\" \"$@\"");
    let mut all: Vec<&std::ffi::OsStr> = vec![os("-c"), os(&script), bin.as_os_str()];
    all.extend_from_slice(args);
    let mut child = std::process::Command::new("sh")
        .args(&all)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
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
