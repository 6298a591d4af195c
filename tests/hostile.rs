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
        .env("FLOPMETER_BLAS", "off")
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

#[cfg(unix)]
#[test]
fn results_are_readable_by_others_as_the_umask_says() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    flopmeter()
        .args(["bench", "--backend", "cpu", "--size", "64"])
        .args(common::FAST)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    // The test runner's umask is 022 or 002: the file is readable by everyone.
    assert_eq!(mode & 0o044, 0o044, "{mode:o}");
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
