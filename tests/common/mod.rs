//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod synth;

use std::collections::BTreeMap;

use flopmeter::dtype::Dtype;
use flopmeter::peaks::PeakKind;
use flopmeter::results::*;

/// `estimate hardware` calibrated by the results file at `path`: f32 on a chip of `peak`
/// TFLOP/s, `count` chips for a day.
pub fn calibrate_args(path: &std::path::Path, peak: &str, count: &str) -> Vec<String> {
    let path = path.to_str().expect("a UTF-8 temporary path").to_string();
    [
        "hardware",
        "--calibrate",
        &path,
        "--peak-tflops",
        peak,
        "--dtype",
        "f32",
        "--count",
        count,
        "--days",
        "1",
    ]
    .map(String::from)
    .to_vec()
}

/// The flopmeter binary built for these tests, with faer as the only CPU kernel
/// (FLOPMETER_BLAS=off), so a test does not depend on the BLAS libraries the machine has; the
/// tests of those libraries remove it.
pub fn flopmeter() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("flopmeter").unwrap();
    cmd.env("FLOPMETER_BLAS", "off");
    cmd
}

/// Minimal bench time budgets: one warm-up iteration, a handful of samples.
pub const FAST: [&str; 6] = ["--warmup", "0", "--min-time", "0", "--max-time", "0.05"];

/// A small but complete results document.
pub fn sample_results() -> Results {
    let samples = vec![0.010, 0.011, 0.0105, 0.0102];
    Results {
        schema: SCHEMA_ID.into(),
        tool: Tool {
            name: "flopmeter".into(),
            version: "0.1.0".into(),
            git_commit: Some("abc1234".into()),
        },
        created_at: "2026-11-26T22:00:00Z".into(),
        host: Host {
            hostname: "node1".into(),
            os: "Linux".into(),
            kernel: Some("6.1".into()),
            cpu: "AMD EPYC".into(),
            physical_cores: Some(2),
            logical_cores: 2,
            memory_bytes: 1 << 34,
            rank: None,
            launcher: None,
            libraries: Vec::new(),
        },
        settings: Settings {
            command: vec!["flopmeter".into(), "bench".into()],
            backends: vec!["cpu".into()],
            dtypes: vec![Dtype::F32],
            kernels: vec!["faer".into()],
            shapes: vec![Shape::cube(256)],
            sweep: Some(Sweep::Quick),
            warmup_s: 0.5,
            min_time_s: 0.5,
            max_time_s: 2.0,
            target_rel_spread: 0.01,
            seed: 42,
        },
        devices: vec![DeviceRecord {
            id: "cpu:0".into(),
            backend: Backend::Cpu,
            index: 0,
            name: "AMD EPYC".into(),
            rated_tflops: BTreeMap::from([(Dtype::F32, 0.55), (Dtype::F64, 0.275)]),
            rated_source: "estimated".into(),
            rated_kind: PeakKind::Estimated,
            rated_matched: None,
            cpu: None,
            cuda: None,
            wgpu: None,
            rank: None,
            host: None,
        }],
        runs: vec![Run {
            device: "cpu:0".into(),
            backend: Backend::Cpu,
            kernel: "faer".into(),
            dtype: Dtype::F32,
            compute_type: "f32 FMA".into(),
            m: 256,
            n: 256,
            k: 256,
            batch: 1,
            flop: Shape::cube(256).flop(),
            samples: samples.clone(),
            time_s: Stats {
                count: 4,
                median: 0.0104,
                mean: 0.0104,
                min: 0.010,
                max: 0.011,
                p25: 0.0101,
                p75: 0.0106,
                stdev: 0.0004,
            },
            tflops: Tflops {
                median: 0.0032,
                max: 0.0034,
            },
            utilization: Utilization {
                rated: Some(0.0032 / 0.55),
                at_sampled_clock: None,
                above_peak: false,
            },
            verification: Verification {
                status: VerificationStatus::Passed,
                max_rel_error: Some(1e-7),
                tolerance: Some(1e-5),
                checked: 260,
                message: None,
            },
            telemetry: None,
            energy: None,
            timer: Timer::HostMonotonic,
            warmup: Warmup {
                seconds: 0.5,
                iterations: 40,
                stable: true,
            },
            stop_reason: StopReason::Converged,
            operand_sets: 3,
            seed: 42,
            details: BTreeMap::new(),
            rank: None,
            host: None,
        }],
        interrupted: false,
        notes: vec![],
        collectives: vec![],
        cluster: None,
        model: None,
        verdicts: Vec::new(),
        stragglers: None,
    }
}

/// A results file of `host` with one H100 SXM per entry of `bf16_tflops`, each with one
/// verified bf16 cuBLAS run at 8192^3 at that rate, drawing `power_w` of a 700 W cap.
pub fn h100_results(host: &str, bf16_tflops: &[f64], power_w: f64) -> Results {
    let mut doc = sample_results();
    doc.host.hostname = host.into();
    let template_device = doc.devices[0].clone();
    let template_run = doc.runs[0].clone();
    doc.devices.clear();
    doc.runs.clear();
    for (i, tflops) in bf16_tflops.iter().enumerate() {
        let mut d = template_device.clone();
        d.id = format!("cuda:{i}");
        d.backend = Backend::Cuda;
        d.index = i;
        d.name = "NVIDIA H100 80GB HBM3".into();
        d.rated_tflops = BTreeMap::from([(Dtype::Bf16, 989.4)]);
        d.rated_source = "table".into();
        d.rated_kind = PeakKind::Table;
        d.rated_matched = Some("H100 SXM5 80GB".into());
        let mut r = template_run.clone();
        r.device = d.id.clone();
        r.backend = Backend::Cuda;
        r.kernel = "cublas".into();
        r.dtype = Dtype::Bf16;
        (r.m, r.n, r.k) = (8192, 8192, 8192);
        r.flop = Shape::cube(8192).flop();
        r.tflops = Tflops {
            median: *tflops,
            max: *tflops,
        };
        r.utilization.rated = Some(tflops / 989.4);
        r.telemetry = Some(Telemetry {
            source: "nvml".into(),
            power_w_median: Some(power_w),
            power_limit_w: Some(700.0),
            ..Default::default()
        });
        r.energy = Energy::of(*tflops, r.telemetry.as_ref());
        doc.devices.push(d);
        doc.runs.push(r);
    }
    doc
}

/// What some tests need beyond the Rust toolchain; `scripts/test.sh` installs each.
#[derive(Debug, Clone, Copy)]
pub enum Dep {
    /// A Vulkan adapter (Mesa's lavapipe).
    Vulkan,
    /// Debian's chromium, for the HTML reports.
    Chromium,
    /// Open MPI's mpirun.
    Mpi,
    /// libnvrtc (PyPI's nvidia-cuda-nvrtc).
    Nvrtc,
    /// Debian's OpenBLAS and BLIS (libopenblas0-pthread, libblis4-pthread).
    Blas,
}

impl Dep {
    fn opt_out(self) -> &'static str {
        match self {
            Dep::Vulkan => "FLOPMETER_NO_VULKAN",
            Dep::Chromium => "FLOPMETER_NO_CHROMIUM",
            Dep::Mpi => "FLOPMETER_NO_MPI",
            Dep::Nvrtc => "FLOPMETER_NO_NVRTC",
            Dep::Blas => "FLOPMETER_NO_BLAS",
        }
    }

    /// Why the dependency is missing here, or None when it is present.
    fn missing(self) -> Option<String> {
        let found = match self {
            Dep::Vulkan => !flopmeter::device::wgpu::adapters().is_empty(),
            Dep::Chromium => chromium().is_some(),
            Dep::Mpi => std::process::Command::new("mpirun")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success()),
            Dep::Nvrtc => flopmeter::gemm::cuda::nvrtc::nvrtc_present(),
            Dep::Blas => ["openblas", "blis"]
                .iter()
                .all(|k| flopmeter::device::cpu_libs::loaded(k).is_ok()),
        };
        (!found).then(|| format!("{self:?} not found"))
    }
}

/// Debian's chromium, where installed.
pub fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// True when the test can run. Without the dependency (or with its FLOPMETER_NO_* opt-out set)
/// the test says on stderr that it skipped; under the README's test command
/// (FLOPMETER_REQUIRE_ALL=1, set by scripts/test.sh) a skip is a failure instead, so CI cannot
/// pass having checked nothing.
pub fn requires(dep: Dep, test: &str) -> bool {
    let why = if std::env::var_os(dep.opt_out()).is_some() {
        format!("{} is set", dep.opt_out())
    } else {
        match dep.missing() {
            None => return true,
            Some(why) => why,
        }
    };
    assert!(
        std::env::var_os("FLOPMETER_REQUIRE_ALL").is_none(),
        "{test}: cannot run ({why}) under the test command, which requires every dependency \
         (scripts/test.sh installs them)"
    );
    eprintln!("SKIPPED {test}: {why}");
    false
}

/// Runs a command that must fail on bad input: exit status 2, and exactly one line on stderr
/// containing every one of `needles`. Returns that line.
pub fn one_line_error(cmd: &mut assert_cmd::Command, needles: &[&str]) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr:?}");
    }
    stderr
}
