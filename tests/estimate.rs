//! `flopmeter estimate`: the worked examples of AI and Compute's appendix, conversions,
//! inverse consistency, intervals, calibration and bad input.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn estimate(args: &[&str]) -> Value {
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .arg("estimate")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("no number {k} in {v}"))
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn alexnet_by_both_methods() {
    // Method 2: 2 GTX 580 x 5.5 days x 1.58 TFLOPS x 0.33 = 500 PF = 0.0058 pfs-days.
    let hw = estimate(&[
        "hardware",
        "--gpu",
        "GTX 580",
        "--count",
        "2",
        "--days",
        "5.5",
        "--utilization",
        "0.33",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&hw, "flops"), 500e15, 0.01), "{hw}");
    assert!(close(f(&hw, "pfs_days"), 0.0058, 0.02));
    assert_eq!(hw["dtype"], "f32");
    // Method 1: 0.75 GMAC x 2 x 3 x 1.2M x 90 (the appendix prints 470 PF, its inputs give 486).
    let ops = estimate(&[
        "ops",
        "--macs-per-example",
        "0.75e9",
        "--examples",
        "1.2e6",
        "--epochs",
        "90",
    ]);
    assert!(close(f(&ops, "flops"), 486e15, 1e-9));
    assert!(close(f(&ops, "pfs_days"), 0.0054, 0.05));
    // Both at once: both reported, with their ratio (the appendix's two estimates agree).
    let both = estimate(&[
        "ops",
        "--macs-per-example",
        "0.75e9",
        "--examples",
        "1.2e6",
        "--epochs",
        "90",
        "--gpu",
        "GTX 580",
        "--count",
        "2",
        "--days",
        "5.5",
        "--prior",
        "ai-and-compute-gpu",
    ]);
    // AI and Compute's 33% is a share of the days of training: goodput is inside it.
    assert_eq!(both["hardware"]["goodput"]["median"], 1.0);
    let r = f(&both, "ratio_hardware_over_ops");
    assert!(close(r, 496.0 / 486.0, 0.01), "{r}");
    assert!(close(
        both["hardware"]["flops"].as_f64().unwrap(),
        f(&hw, "flops"),
        0.01
    ));
}

#[test]
fn resnet151_and_deepspeech2() {
    let resnet = estimate(&[
        "ops",
        "--macs-per-example",
        "11.4e9",
        "--examples",
        "1.2e6",
        "--epochs",
        "128",
    ]);
    assert!(close(f(&resnet, "pfs_days"), 0.117, 0.05), "{resnet}");
    // DeepSpeech2: 16 Titan X at the 6 TFLOPS the appendix used, 5 days, 50%.
    let ds2 = estimate(&[
        "hardware",
        "--gpu",
        "Titan X",
        "--peak-tflops",
        "6",
        "--count",
        "16",
        "--days",
        "5",
        "--utilization",
        "0.5",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&ds2, "flops"), 21_000e15, 0.02), "{ds2}");
    assert!(close(f(&ds2, "pfs_days"), 0.25, 0.05));
    assert!(ds2["peak_source"].as_str().unwrap().contains("overrides"));
}

#[test]
fn units_and_conventions() {
    // 1 pfs-day = 8.64e19 FLOP; a MAC is 2 FLOP; hours and days agree.
    let a = estimate(&[
        "ops",
        "--flops-per-example",
        "8.64e19",
        "--examples",
        "1",
        "--backward-factor",
        "0.0001",
    ]);
    assert!(close(f(&a, "pfs_days"), 1.0001, 1e-9));
    let macs = estimate(&["ops", "--macs-per-example", "1e9", "--examples", "10"]);
    let flops = estimate(&["ops", "--flops-per-example", "2e9", "--examples", "10"]);
    assert_eq!(f(&macs, "flops"), f(&flops, "flops"));
    let days = estimate(&[
        "hardware",
        "--gpu",
        "V100",
        "--count",
        "8",
        "--days",
        "2",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    let hours = estimate(&[
        "hardware",
        "--gpu",
        "V100",
        "--count",
        "8",
        "--hours",
        "48",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&days, "flops"), f(&hours, "flops"), 1e-12));
    // 6ND, recompute (8ND) and goodput.
    let t = estimate(&["ops", "--params", "1e9", "--tokens", "2e10"]);
    assert_eq!(f(&t, "flops"), 1.2e20);
    let r = estimate(&["ops", "--params", "1e9", "--tokens", "2e10", "--recompute"]);
    assert_eq!(f(&r, "flops"), 1.6e20);
    let g = estimate(&[
        "hardware",
        "--gpu",
        "V100",
        "--count",
        "8",
        "--days",
        "2",
        "--utilization",
        "0.4",
        "--goodput",
        "0.5",
    ]);
    assert!(close(f(&g, "flops"), 0.5 * f(&days, "flops"), 1e-12));
}

#[test]
fn attention_term_of_the_palm_appendix() {
    let v = estimate(&[
        "ops",
        "--params",
        "1e9",
        "--tokens",
        "1e10",
        "--layers",
        "24",
        "--heads",
        "16",
        "--head-dim",
        "64",
        "--seq-len",
        "2048",
    ]);
    let want = (6.0 * 1e9 + 12.0 * 24.0 * 16.0 * 64.0 * 2048.0) * 1e10;
    assert!(close(f(&v, "flops"), want, 1e-12));
}

#[test]
fn estimate_then_time_gives_back_the_input() {
    let hw = estimate(&[
        "hardware",
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--days",
        "30",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    let flops = format!("{:e}", f(&hw, "flops"));
    let days = estimate(&[
        "time",
        "--flops",
        &flops,
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&days, "days"), 30.0, 1e-9), "{days}");
    let chips = estimate(&[
        "time",
        "--flops",
        &flops,
        "--gpu",
        "H100",
        "--days",
        "30",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&chips, "count_exact"), 1024.0, 1e-9), "{chips}");
    assert_eq!(f(&chips, "count"), 1024.0);
    let pd = format!("{}", f(&hw, "pfs_days"));
    let by_pfs = estimate(&[
        "time",
        "--pfs-days",
        &pd,
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&by_pfs, "days"), 30.0, 1e-9));
}

#[test]
fn distributions_give_intervals_with_the_hand_computed_ends() {
    // The default prior's piecewise-linear CDF through 0.245 / 0.325 / 0.41 / 0.4656 / 0.5827:
    // its 5th percentile is 0.245 + 0.2 x (0.325 - 0.245) = 0.261 and its 95th
    // 0.4656 + 0.8 x (0.5827 - 0.4656) = 0.5593. With goodput 1, pfs-days = 64 x 312 TFLOP/s x
    // 10 days x u.
    let v = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--count",
        "64",
        "--days",
        "10",
        "--goodput",
        "1",
    ]);
    let pfs = |u: f64| 64.0 * 312e12 * 10.0 * 86400.0 * u / 8.64e19;
    let i = &v["interval"];
    assert!(close(f(i, "p5"), pfs(0.261), 0.01), "{i} vs {}", pfs(0.261));
    assert!(close(f(i, "p50"), pfs(0.41), 0.01), "{i}");
    assert!(
        close(f(i, "p95"), pfs(0.5593), 0.01),
        "{i} vs {}",
        pfs(0.5593)
    );
    assert!(close(f(&v, "pfs_days"), f(i, "p50"), 1e-12));
    assert!(v["utilization"]["source"]
        .as_str()
        .unwrap()
        .contains("reported-mfu"));
    // For time the interval is of days, and its ends swap: the low utilization gives the most
    // days. 1000 pfs-days on 64 A100s at u: 1000 x 8.64e19 / (64 x 312e12 x 86400 x u) days.
    let t = estimate(&[
        "time",
        "--pfs-days",
        "1000",
        "--gpu",
        "A100",
        "--count",
        "64",
        "--goodput",
        "1",
    ]);
    let days = |u: f64| 1000.0 * 8.64e19 / (64.0 * 312e12 * 86400.0 * u);
    let i = &t["interval"];
    assert!(
        close(f(i, "p5"), days(0.5593), 0.01),
        "{i} vs {}",
        days(0.5593)
    );
    assert!(
        close(f(i, "p95"), days(0.261), 0.01),
        "{i} vs {}",
        days(0.261)
    );
    // A fixed utilization and goodput have no interval.
    let fixed = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--count",
        "64",
        "--days",
        "10",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(fixed.get("interval").is_none());
}

#[test]
fn the_chip_time_factor_completes_the_priors_and_only_theirs() {
    let run = [
        "hardware", "--gpu", "H100", "--count", "1024", "--days", "30",
    ];
    let with = |extra: &[&str]| estimate(&[&run[..], extra].concat());
    let width = |v: &Value| {
        let i = &v["interval_flops"];
        f(i, "p95") / f(i, "p5")
    };
    // By default (reported-mfu x goodput): a third factor fitted to runs that publish
    // chip-time, said like goodput.
    let v = with(&[]);
    let s = &v["chip_time_factor"];
    assert_eq!(s["distribution"]["kind"], "lognormal");
    assert_eq!(
        (&s["prior"]["name"], &s["prior"]["evidence"]),
        (&"chip-time".into(), &"back-computed".into())
    );
    let source = s["source"].as_str().unwrap();
    assert!(source.contains("fitted to the 163 runs"), "{source}");
    assert!(source.contains("ln peak alone"), "{source}");
    // Published chip-time holds less than MFU x goodput of the tuned runs: below 1.
    assert!(f(s, "median") < 0.9, "{s}");
    // The parameter count moves it: smaller models use less of the peak. It does not narrow
    // it: on unseen runs the size did not help, so the calibration's width holds at any size.
    // (Only the cap at the peak narrows an interval, and then the larger model's, whose factor
    // sits nearer it.)
    let sized = |n: &str| with(&["--params", n, "--tokens", "1e12"]);
    let (small, large) = (sized("0.3e9"), sized("70e9"));
    let sigma = |v: &Value| f(&v["chip_time_factor"]["distribution"], "sigma");
    assert_eq!(sigma(&small), sigma(&large));
    assert!(width(&large) <= width(&small));
    assert!(source.contains("calibrated on 140 predictions"), "{source}");
    let median = |v: &Value| f(&v["chip_time_factor"], "median");
    assert!(median(&small) < 0.8 * median(&large));
    // The same model on a slower chip uses more of its peak.
    let a100 = estimate(&[
        "hardware", "--gpu", "A100", "--count", "1024", "--days", "30", "--params", "70e9",
        "--tokens", "1e12",
    ]);
    assert!(median(&a100) > 1.2 * median(&large));
    // A TPU core row is read as its chip: 2048 cores or 1024 chips, one estimate.
    let tpu = |name: &str, count: &str| {
        f(
            &estimate(&["hardware", "--gpu", name, "--count", count, "--days", "30"]),
            "flops",
        )
    };
    assert_eq!(tpu("TPU v3 cores", "2048"), tpu("TPU v3", "1024"));
    // Chosen by name it is the same pair; anything the user gives, or another prior, has none.
    assert_eq!(with(&["--prior", "reported-mfu"])["chip_time_factor"], *s);
    for extra in [
        &["--goodput", "0.9"][..],
        &["--utilization", "0.4"],
        &["--prior", "observed-mfu"],
        &["--prior", "ai-and-compute-gpu"],
    ] {
        assert!(with(extra)["chip_time_factor"].is_null(), "{extra:?}");
    }
    // The inverse has it too; its pure training time is the in-job MFU's alone, the same as
    // with goodput given (where the factor does not apply).
    let time = |extra: &[&str]| {
        estimate(&[&["time", "--pfs-days", "1000", "--gpu", "H100"][..], extra].concat())
    };
    let t = time(&[]);
    assert_eq!(t["chip_time_factor"]["prior"]["name"], "chip-time");
    let g = time(&["--goodput", "0.5"]);
    assert!(g["chip_time_factor"].is_null());
    assert_eq!(t["training_gpu_hours"], g["training_gpu_hours"]);
    assert!(f(&t, "gpu_hours") > f(&t, "training_gpu_hours") * 1.5);
}

#[test]
fn goodput_is_its_own_factor_beside_utilization() {
    // peak x time x MFU x goodput, each said.
    let hw = |goodput: &str| {
        estimate(&[
            "hardware",
            "--gpu",
            "H100",
            "--count",
            "1024",
            "--days",
            "30",
            "--utilization",
            "0.4",
            "--goodput",
            goodput,
        ])
    };
    let (one, half) = (hw("1"), hw("0.5"));
    let hand = 1024.0 * 989.4e12 * 30.0 * 86400.0 * 0.4;
    assert!(close(f(&one, "flops"), hand, 1e-12));
    assert!(close(f(&half, "flops"), hand * 0.5, 1e-12));
    assert_eq!(half["goodput"]["median"], 0.5);
    assert!(half["goodput"]["source"]
        .as_str()
        .unwrap()
        .contains("--goodput"));
    // By default: the goodput prior, with the same keys as utilization.
    let v = estimate(&[
        "hardware", "--gpu", "H100", "--count", "1024", "--days", "30",
    ]);
    let g = &v["goodput"];
    for key in ["median", "distribution", "source"] {
        assert!(
            g.get(key).is_some() && v["utilization"].get(key).is_some(),
            "{key}"
        );
    }
    assert_eq!(g["median"], 0.8417);
    assert_eq!(g["distribution"]["kind"], "quantiles");
    assert_eq!(
        g["distribution"]["values"],
        serde_json::json!([0.589, 0.71745, 0.8417, 0.9497, 1.0])
    );
    assert_eq!(
        (&g["prior"]["name"], &g["prior"]["default"]),
        (&"goodput".into(), &true.into())
    );
    assert!(g["source"]
        .as_str()
        .unwrap()
        .contains("data/priors/goodput.csv"));
    // Independent draws of MFU, goodput and the chip-time factor: the product's median is 0.935
    // of the product of the medians (goodput's long lower tail; 1M draws give 0.9348; of MFU x
    // goodput alone, 0.9416).
    let factor = f(&v["chip_time_factor"], "median");
    let median = 1024.0 * 989.4e12 * 30.0 * 86400.0 * 0.41 * 0.8417 * factor * 0.935;
    assert!(
        close(f(&v, "flops"), median, 0.01),
        "{} vs {median:e}",
        f(&v, "flops")
    );
    // A prior of utilization over wall-clock time has goodput inside it: 1, and said so.
    let aic = estimate(&[
        "hardware",
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--days",
        "30",
        "--prior",
        "ai-and-compute-gpu",
    ]);
    assert_eq!(aic["goodput"]["median"], 1.0);
    assert!(aic["goodput"]["source"]
        .as_str()
        .unwrap()
        .contains("wall-clock"));
    assert!(close(
        f(&aic, "flops"),
        1024.0 * 989.4e12 * 30.0 * 86400.0 * 0.33,
        1e-12
    ));
    // In the text, both factors are named.
    let t = text(&[
        "hardware", "--gpu", "H100", "--count", "1024", "--days", "30",
    ]);
    assert!(
        t.contains("utilization: 0.41 median; prior 'reported-mfu'"),
        "{t}"
    );
    assert!(t.contains("goodput: 0.8417 median; prior 'goodput'"), "{t}");
}

#[test]
fn time_reports_training_alone_and_the_wall_clock_to_expect() {
    let args = [
        "time",
        "--flops",
        "1e24",
        "--gpu",
        "H100",
        "--count",
        "512",
        "--utilization",
        "0.4",
        "--goodput",
        "0.8",
    ];
    let v = estimate(&args);
    let training = 1e24 / (989.4e12 * 0.4) / 3600.0;
    assert!(close(f(&v, "training_gpu_hours"), training, 1e-12), "{v}");
    assert!(close(f(&v, "gpu_hours"), training / 0.8, 1e-12));
    let days = training / 512.0 / 24.0;
    assert!(close(f(&v, "training_days"), days, 1e-12));
    assert!(close(f(&v, "days"), days / 0.8, 1e-12));
    let t = text(&args);
    assert!(
        t.contains("training alone (goodput 1): 57.12 days, 701900 GPU-hours"),
        "{t}"
    );
}

#[test]
fn both_methods_give_the_implied_mfu_and_flag_the_implausible() {
    // Llama 2 70B: 2T tokens in 1.72M A100-hours.
    let v = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--gpu-hours",
        "1720320",
        "--params",
        "70e9",
        "--tokens",
        "2e12",
        "--goodput",
        "0.8",
        "--utilization",
        "0.4",
    ]);
    let implied = 6.0 * 70e9 * 2e12 / (1720320.0 * 3600.0 * 312e12);
    assert!(close(f(&v, "implied_utilization"), implied, 1e-12), "{v}");
    assert!(close(f(&v, "implied_mfu"), implied / 0.8, 1e-12));
    assert_eq!(v["notes"], serde_json::json!([]));
    // Ten times the tokens in the same time: an MFU above 0.75 is noted, not refused.
    let high = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--gpu-hours",
        "1720320",
        "--params",
        "70e9",
        "--tokens",
        "2e13",
    ]);
    let notes = high["notes"].to_string();
    assert!(notes.contains("above 0.75"), "{notes}");
    let low = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--gpu-hours",
        "1720320",
        "--params",
        "70e9",
        "--tokens",
        "1e11",
    ]);
    assert!(
        low["notes"].to_string().contains("below 0.05"),
        "{}",
        low["notes"]
    );
}

#[test]
fn implausible_inputs_are_noted_not_refused() {
    let billions = estimate(&["hardware", "--gpu", "H100", "--count", "2e9", "--days", "1"]);
    assert!(
        billions["notes"].to_string().contains("in the billions"),
        "{billions}"
    );
    let short = estimate(&[
        "hardware", "--gpu", "H100", "--count", "8", "--hours", "0.5",
    ]);
    assert!(
        short["notes"].to_string().contains("less than an hour"),
        "{short}"
    );
    let fine = estimate(&["hardware", "--gpu", "H100", "--count", "8", "--hours", "1"]);
    assert_eq!(fine["notes"], serde_json::json!([]));
    let t = text(&["hardware", "--gpu", "H100", "--count", "2e9", "--days", "1"]);
    assert!(
        t.contains("note: a count of 2e9 chips is in the billions"),
        "{t}"
    );
}

#[test]
fn tpu_slice_names_give_the_chip_and_the_count() {
    let slice = estimate(&[
        "hardware",
        "--gpu",
        "v5p-1024",
        "--days",
        "10",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert_eq!(
        (&slice["chip"], &slice["count"]),
        (&"Google TPU v5p (chip)".into(), &512.0.into())
    );
    assert!(slice["chip_note"]
        .as_str()
        .unwrap()
        .contains("1024 TensorCores = 512 chips"));
    assert!(close(
        f(&slice, "flops"),
        512.0 * 459e12 * 10.0 * 86400.0 * 0.4,
        1e-12
    ));
    for (name, chips) in [
        ("TPUv5e-256", 256.0),
        ("v5litepod-256", 256.0),
        ("TPUv3-32", 16.0),
        ("v4-128", 64.0),
    ] {
        let v = estimate(&["hardware", "--gpu", name, "--days", "1"]);
        assert_eq!(v["count"], chips, "{name}");
        // A count that agrees is accepted; one that disagrees is an error naming both.
        let agree = chips.to_string();
        estimate(&["hardware", "--gpu", name, "--count", &agree, "--days", "1"]);
    }
    bad(
        &[
            "hardware", "--gpu", "v5p-1024", "--count", "1024", "--days", "1",
        ],
        "--count 1024 disagrees with --gpu 'v5p-1024', which is 512 chips",
    );
    bad(
        &["hardware", "--gpu", "v3-33", "--days", "1"],
        "'v3-33' is not a TPU slice",
    );
    // The inverse takes the slice's chips and gives days.
    let t = estimate(&["time", "--pfs-days", "1000", "--gpu", "v5p-1024"]);
    assert_eq!(
        (&t["solved_for"], &t["count"]),
        (&"days".into(), &512.0.into())
    );
    bad(
        &[
            "time",
            "--pfs-days",
            "1000",
            "--gpu",
            "v5p-1024",
            "--days",
            "3",
        ],
        "slice of 512 chips",
    );
    // TPU time is chip-hours, not GPU-hours.
    assert_eq!(slice["hours_unit"], "chip-hours");
    let text = text(&["hardware", "--gpu", "v4-128", "--days", "2"]);
    assert!(text.contains("2 days = 3072 chip-hours"), "{text}");
    assert!(!text.contains("GPU-hours"), "{text}");
}

#[test]
fn mi250x_gcds_are_half_a_board_and_board_counts_are_noted() {
    let run = |gpu: &str, count: &str| {
        estimate(&[
            "hardware",
            "--gpu",
            gpu,
            "--count",
            count,
            "--days",
            "10",
            "--utilization",
            "0.4",
            "--goodput",
            "1",
        ])
    };
    let gcds = run("MI250X GCD", "1024");
    let boards = run("MI250X", "512");
    assert_eq!(gcds["chip"], "Instinct MI250X (GCD)");
    assert!(close(f(&gcds, "flops"), f(&boards, "flops"), 1e-12));
    assert!(close(
        f(&gcds, "flops"),
        1024.0 * 191.5e12 * 10.0 * 86400.0 * 0.4,
        1e-12
    ));
    assert_eq!(gcds["notes"], serde_json::json!([]));
    let note = boards["notes"].to_string();
    assert!(
        note.contains("count GCDs") && note.contains("'MI250X GCD'"),
        "{note}"
    );
}

#[test]
fn no_draw_does_more_than_the_peak() {
    // A 70B model on A100s: the factor's 90% reaches past the peak, the estimate stops there.
    let v = estimate(&[
        "hardware", "--gpu", "A100", "--count", "8", "--days", "1", "--params", "70e9", "--tokens",
        "1e12",
    ]);
    let at_peak = 8.0 * 312e12 * 86400.0;
    let p95 = f(&v["interval"], "p95") * 8.64e19;
    assert!(p95 <= at_peak * (1.0 + 1e-9), "{p95} > {at_peak}");
    assert!(p95 > 0.95 * at_peak, "the cap binds here: {p95}");
    let source = v["chip_time_factor"]["source"].as_str().unwrap();
    assert!(source.contains("to 1, the peak)"), "{source}");
}

#[test]
fn a_run_counted_in_parts_or_in_wholes_gets_one_estimate() {
    // With the default priors the chip-time factor reads the chip's peak: 1024 MI250X GCDs and
    // 512 boards, or 256 TPU v3 cores and 128 chips, are one run and one answer, median and
    // interval.
    let run = |gpu: &str, count: &str| {
        estimate(&[
            "hardware", "--gpu", gpu, "--count", count, "--days", "10", "--params", "7e9",
            "--tokens", "1e12",
        ])
    };
    for ((part, parts), (whole, wholes)) in [
        (("MI250X GCD", "1024"), ("MI250X", "512")),
        (("MI250 GCD", "64"), ("MI250", "32")),
        (("TPU v3 cores", "256"), ("TPU v3", "128")),
        (("TPU v4 cores", "256"), ("TPU v4", "128")),
        (("Trainium NeuronCore", "64"), ("Trainium", "32")),
        (("Trainium2 NeuronCore", "64"), ("Trainium2", "8")),
    ] {
        let (a, b) = (run(part, parts), run(whole, wholes));
        assert_ne!(a["chip"], b["chip"], "{part}");
        for k in ["flops", "ratio_hardware_over_ops"] {
            assert!(close(f(&a, k), f(&b, k), 1e-9), "{part} vs {whole}: {k}");
        }
        for end in ["p5", "p95"] {
            let (x, y) = (f(&a["interval"], end), f(&b["interval"], end));
            assert!(close(x, y, 1e-9), "{part} vs {whole}: {end} {x} {y}");
        }
    }
}

#[test]
fn facility_energy_adds_hosts_and_pue_to_the_chips() {
    // Patterson et al. 2021 Table 4, T5-11B: 512 TPU v3 for 20 days at a measured 310 W per
    // chip including its host, PUE 1.12: 85.7 MWh published.
    let t5 = estimate(&[
        "hardware",
        "--gpu",
        "TPU v3",
        "--count",
        "512",
        "--days",
        "20",
        "--watts",
        "310",
        "--pue",
        "1.12",
        "--host-watts",
        "0",
    ]);
    assert!(close(f(&t5, "facility_energy_kwh"), 85_700.0, 0.01), "{t5}");
    assert!(close(f(&t5, "energy_kwh"), 512.0 * 480.0 * 0.310, 1e-12));
    // Defaults: PUE 1.2 and, for an H100, a DGX H100's 10.2 kW less its 8 GPUs' 5.6 kW.
    let h100 = estimate(&["hardware", "--gpu", "H100", "--count", "64", "--days", "1"]);
    let gpu_hours = 64.0 * 24.0;
    let hand = (gpu_hours * 700.0 + gpu_hours / 8.0 * 4600.0) / 1000.0 * 1.2;
    assert!(
        close(f(&h100, "facility_energy_kwh"), hand, 1e-12),
        "{h100}"
    );
    assert_eq!(
        (f(&h100, "pue"), f(&h100, "host_watts_per_node")),
        (1.2, 4600.0)
    );
    assert!(h100["host_source"].as_str().unwrap().contains("DGX H100"));
    assert!(h100["pue_source"]
        .as_str()
        .unwrap()
        .starts_with("default 1.2"));
    // A chip without a known node counts no hosts, and says so.
    let tpu = estimate(&["hardware", "--gpu", "TPU v3", "--count", "8", "--days", "1"]);
    assert!(tpu["host_watts_per_node"].is_null());
    assert!(close(
        f(&tpu, "facility_energy_kwh"),
        f(&tpu, "energy_kwh") * 1.2,
        1e-12
    ));
    // --host-watts with --chips-per-node.
    let given = estimate(&[
        "hardware",
        "--gpu",
        "A100",
        "--count",
        "16",
        "--days",
        "1",
        "--host-watts",
        "2000",
        "--chips-per-node",
        "4",
        "--pue",
        "1",
    ]);
    let hand = (384.0 * 400.0 + 384.0 / 4.0 * 2000.0) / 1000.0;
    assert!(
        close(f(&given, "facility_energy_kwh"), hand, 1e-12),
        "{given}"
    );
    bad(
        &[
            "hardware", "--gpu", "A100", "--count", "1", "--days", "1", "--pue", "0.9",
        ],
        "'0.9'",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "A100",
            "--count",
            "1",
            "--days",
            "1",
            "--host-watts",
            "-5",
        ],
        "'-5'",
    );
    bad(
        &["ops", "--params", "1e9", "--tokens", "1e9", "--pue", "1.1"],
        "hardware",
    );
}

#[test]
fn calibration_from_a_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu.json");
    flopmeter::results::write_atomic(&path, &common::sample_results()).unwrap();
    let calibrated = |path: &std::path::Path| {
        let args = common::calibrate_args(path, "0.55", "1");
        estimate(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let v = calibrated(&path);
    let cal = &v["utilization"]["calibration"];
    // Recomputed from the measured rate and the file's rated peak, not read from the file.
    assert!(close(
        cal["matmul_utilization"].as_f64().unwrap(),
        0.0032 / 0.55,
        1e-12
    ));
    assert_eq!(cal["basis"], "best matmul");
    assert_eq!(cal["above_peak"], false);
    assert_eq!(cal["device"], "cpu:0");
    // The best result is named as its problem: a batched one with its batch.
    let best = cal["best_result"].as_str().unwrap();
    assert!(!best.contains("x("), "{best}");
    let mut batched = common::sample_results();
    for run in &mut batched.runs {
        // Two problems of half the rows: the same FLOP, so the same rates.
        (run.batch, run.m) = (2, run.m / 2);
    }
    let path = dir.path().join("batched.json");
    flopmeter::results::write_atomic(&path, &batched).unwrap();
    let v = calibrated(&path);
    let best = v["utilization"]["calibration"]["best_result"]
        .as_str()
        .unwrap();
    assert!(best.contains("2x(128x256x256)"), "{best}");
    // Median utilization = measured ceiling x the factor's median (0.525).
    assert!(close(
        v["utilization"]["median"].as_f64().unwrap(),
        0.0032 / 0.55 * 0.525,
        1e-9
    ));
    assert!(v.get("interval").is_some());
}

#[test]
fn a_calibration_above_the_peak_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fast.json");
    let mut doc = common::sample_results();
    doc.runs[0].tflops.median = 0.7;
    doc.runs[0].tflops.max = 0.7;
    doc.runs[0].utilization.rated = Some(0.7 / 0.55);
    flopmeter::results::write_atomic(&path, &doc).unwrap();
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .args(["--json", "estimate", "hardware", "--calibrate"])
        .arg(&path)
        .args([
            "--peak-tflops",
            "0.55",
            "--dtype",
            "f32",
            "--count",
            "1",
            "--days",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("above 100%"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["utilization"]["calibration"]["above_peak"], true);
}

fn bad(args: &[&str], needle: &str) {
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .arg("estimate")
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err:?}");
    // A run of spaces is a source line folded into the text without its `\`.
    assert!(!err.contains("  "), "{args:?}: a run of spaces: {err:?}");
}

#[test]
fn bad_input_is_a_one_line_error() {
    let hw = ["hardware", "--gpu", "V100", "--count", "8", "--days", "2"];
    for (flag, value) in [
        ("--utilization", "0"),
        ("--utilization", "1.5"),
        ("--goodput", "nan"),
        ("--utilization", "-0.3"),
    ] {
        let mut a = hw.to_vec();
        a.extend([flag, value]);
        bad(&a, value);
    }
    bad(
        &["hardware", "--gpu", "V100", "--count", "-8", "--days", "2"],
        "'-8'",
    );
    bad(
        &["hardware", "--gpu", "V100", "--count", "8", "--days", "inf"],
        "'inf'",
    );
    bad(
        &["hardware", "--gpu", "V100", "--count", "2.5", "--days", "2"],
        "'2.5'",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "Frobnicator 9000",
            "--count",
            "8",
            "--days",
            "2",
        ],
        "Frobnicator",
    );
    bad(&["hardware", "--gpu", "V100", "--days", "2"], "--count");
    bad(&["hardware", "--gpu", "V100", "--count", "8"], "--days");
    bad(&["hardware", "--count", "8", "--days", "2"], "--gpu");
    bad(
        &[
            "hardware", "--gpu", "V100", "--count", "8", "--days", "2", "--hours", "3",
        ],
        "not both",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "V100",
            "--count",
            "8",
            "--days",
            "2",
            "--utilization",
            "0.3",
            "--prior",
            "epoch-llm",
        ],
        "only one",
    );
    bad(
        &[
            "hardware", "--gpu", "V100", "--count", "8", "--days", "2", "--prior", "rosy",
        ],
        "'rosy'",
    );
    bad(
        &[
            "hardware", "--gpu", "V100", "--count", "8", "--days", "2", "--dtype", "bf16",
        ],
        "no dense bf16",
    );
    bad(&["ops", "--macs-per-example", "1e9"], "--examples");
    bad(
        &[
            "ops",
            "--macs-per-example",
            "1e9",
            "--flops-per-example",
            "2e9",
            "--examples",
            "1",
        ],
        "not both",
    );
    bad(
        &["ops", "--params", "1e9", "--tokens", "1e9", "--layers", "2"],
        "--heads",
    );
    bad(
        &[
            "ops",
            "--params",
            "1e9",
            "--tokens",
            "1e9",
            "--utilization",
            "0.3",
            "--goodput",
            "1",
        ],
        "hardware",
    );
    bad(&["ops"], "needs");
    bad(&["time", "--gpu", "V100", "--count", "8"], "--flops");
    bad(
        &[
            "time",
            "--pfs-days",
            "10",
            "--gpu",
            "V100",
            "--count",
            "8",
            "--days",
            "3",
        ],
        "not both",
    );
    bad(
        &["time", "--pfs-days", "0", "--gpu", "V100", "--count", "8"],
        "'0'",
    );
}

#[test]
fn calibration_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu.json");
    flopmeter::results::write_atomic(&path, &common::sample_results()).unwrap();
    let p = path.to_str().unwrap();
    bad(
        &[
            "hardware",
            "--calibrate",
            p,
            "--gpu",
            "V100",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "no verified f16",
    );
    bad(
        &[
            "hardware",
            "--calibrate",
            p,
            "--gpu",
            "V100",
            "--dtype",
            "f32",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "--allow-other-device",
    );
    bad(
        &[
            "hardware",
            "--calibrate",
            "/nonexistent.json",
            "--gpu",
            "V100",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "/nonexistent.json",
    );
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    bad(
        &[
            "hardware",
            "--calibrate",
            empty.to_str().unwrap(),
            "--peak-tflops",
            "1",
            "--dtype",
            "f32",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "empty",
    );
    // With the flag, another chip's file is accepted and said so.
    let v = estimate(&[
        "hardware",
        "--calibrate",
        p,
        "--gpu",
        "V100",
        "--dtype",
        "f32",
        "--count",
        "1",
        "--days",
        "1",
        "--allow-other-device",
    ]);
    assert_eq!(v["utilization"]["calibration"]["device_name"], "AMD EPYC");
}

fn text(args: &[&str]) -> String {
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .arg("estimate")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn gpu_hours_as_papers_report_them() {
    // DeepSeek-V3 reports 2.788M H800 GPU-hours; the estimate multiplies them out.
    let v = estimate(&[
        "hardware",
        "--gpu",
        "H800",
        "--gpu-hours",
        "2.788e6",
        "--utilization",
        "0.2",
        "--goodput",
        "1",
    ]);
    assert_eq!(v["chip"], "H800 SXM5 80GB");
    assert_eq!(v["dtype"], "bf16");
    assert_eq!(f(&v, "gpu_hours"), 2.788e6);
    assert!(v["count"].is_null() && v["days"].is_null(), "{v}");
    assert!(close(
        f(&v, "flops"),
        2.788e6 * 3600.0 * 989.4e12 * 0.2,
        1e-12
    ));
    // The same chip time written as chips x days gives the same compute.
    let by_days = estimate(&[
        "hardware",
        "--gpu",
        "H800",
        "--count",
        "2048",
        "--days",
        "30",
        "--utilization",
        "0.2",
        "--goodput",
        "1",
    ]);
    assert_eq!(f(&by_days, "gpu_hours"), 2048.0 * 30.0 * 24.0);
    let by_hours = estimate(&[
        "hardware",
        "--gpu",
        "H800",
        "--gpu-hours",
        "1474560",
        "--count",
        "2048",
        "--utilization",
        "0.2",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&by_hours, "flops"), f(&by_days, "flops"), 1e-12));
    assert!(close(f(&by_hours, "days"), 30.0, 1e-12));
}

#[test]
fn time_answers_in_gpu_hours() {
    let flops = "1e24";
    let hours = estimate(&[
        "time",
        "--flops",
        flops,
        "--gpu",
        "H100",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert_eq!(hours["solved_for"], "gpu_hours");
    let want = 1e24 / (989.4e12 * 0.4) / 3600.0;
    assert!(close(f(&hours, "gpu_hours"), want, 1e-12), "{hours}");
    assert!(hours["count"].is_null() && hours["days"].is_null());
    // Beside days and beside chips, the same GPU-hours.
    let days = estimate(&[
        "time",
        "--flops",
        flops,
        "--gpu",
        "H100",
        "--count",
        "512",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&days, "gpu_hours"), want, 1e-12));
    assert!(close(f(&days, "days") * 24.0 * 512.0, want, 1e-12));
    let chips = estimate(&[
        "time",
        "--flops",
        flops,
        "--gpu",
        "H100",
        "--days",
        "20",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert!(close(f(&chips, "count_exact") * 20.0 * 24.0, want, 1e-12));
    assert!(close(f(&chips, "gpu_hours"), want, 1e-12));
}

#[test]
fn tpu_cores_are_half_a_chip() {
    // Meena: "a TPU-v3 Pod (2048 TPU cores)" for 30 days is 1024 chips, not 2048.
    let cores = estimate(&[
        "hardware",
        "--gpu",
        "TPU v3 cores",
        "--count",
        "2048",
        "--days",
        "30",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    let chips = estimate(&[
        "hardware",
        "--gpu",
        "Cloud TPU v3",
        "--count",
        "1024",
        "--days",
        "30",
        "--utilization",
        "0.4",
        "--goodput",
        "1",
    ]);
    assert_eq!(cores["chip"], "Google TPU v3 (core)");
    assert_eq!(cores["count_unit"], "core");
    assert_eq!(chips["count_unit"], "chip");
    assert!(
        close(f(&cores, "flops"), f(&chips, "flops"), 1e-12),
        "{cores}"
    );
    assert!(text(&[
        "hardware",
        "--gpu",
        "TPU v3 cores",
        "--count",
        "2048",
        "--days",
        "30",
    ])
    .contains("core-hours"));
}

#[test]
fn an_fp8_estimate_converts_the_16_bit_prior() {
    // DeepSeek-V3: 2.664M H800 GPU-hours of pre-training in fp8; 6ND with 37B active
    // parameters and 14.8T tokens must fall inside the 90% interval of the default prior.
    let six_nd = 6.0 * 37e9 * 14.8e12;
    let fp8 = estimate(&[
        "hardware",
        "--gpu",
        "H800",
        "--gpu-hours",
        "2.664e6",
        "--dtype",
        "fp8",
    ]);
    let u = &fp8["utilization"];
    assert_eq!(u["prior"]["peak_dtype"], "bf16");
    assert_eq!(u["prior"]["evidence"], "mixed");
    assert!(close(
        u["dtype_scale"].as_f64().unwrap(),
        989.4 / 1978.9,
        1e-12
    ));
    let i = &fp8["interval_flops"];
    assert!(
        f(i, "p5") < six_nd && six_nd < f(i, "p95"),
        "{i} vs {six_nd:e}"
    );
    // The 16-bit estimate of the same run gives the same FLOP: only the peak's unit moved.
    let bf16 = estimate(&["hardware", "--gpu", "H800", "--gpu-hours", "2.664e6"]);
    assert!(bf16["utilization"]["dtype_scale"].is_null());
    assert!(close(f(&fp8, "flops"), f(&bf16, "flops"), 1e-9));
    // A number the user gives is theirs: never converted.
    let given = estimate(&[
        "hardware",
        "--gpu",
        "H800",
        "--gpu-hours",
        "2.664e6",
        "--dtype",
        "fp8",
        "--utilization",
        "0.2",
        "--goodput",
        "1",
    ]);
    assert!(given["utilization"]["dtype_scale"].is_null());
    // A custom fp8 peak has no 16-bit peak to convert by, and the estimate says so.
    let custom = estimate(&[
        "hardware",
        "--peak-tflops",
        "1979",
        "--dtype",
        "fp8",
        "--count",
        "8",
        "--days",
        "1",
    ]);
    let note = custom["utilization"]["prior"]["dtype_note"]
        .as_str()
        .unwrap();
    assert!(note.contains("as it is"), "{note}");
    assert!(close(
        f(&given, "flops"),
        2.664e6 * 3600.0 * 1978.9e12 * 0.2,
        1e-12
    ));
}

#[test]
fn cost_and_energy_of_the_chip_hours() {
    let base = [
        "hardware",
        "--gpu",
        "A100",
        "--count",
        "64",
        "--days",
        "10",
        "--utilization",
        "0.4",
        "--price-per-hour",
        "2",
    ];
    let v = estimate(&base);
    assert_eq!(f(&v, "gpu_hours"), 15360.0);
    assert_eq!(f(&v, "cost"), 30720.0);
    // Default power: the table's board power, labelled as such.
    assert_eq!(f(&v, "watts"), 400.0);
    assert!(v["watts_source"].as_str().unwrap().contains("table"));
    assert!(close(f(&v, "energy_kwh"), 6144.0, 1e-12));
    let mut with_watts = base.to_vec();
    with_watts.extend(["--watts", "300"]);
    let w = estimate(&with_watts);
    assert!(close(f(&w, "energy_kwh"), 4608.0, 1e-12));
    assert!(w["watts_source"].as_str().unwrap().contains("--watts"));
    // Without a price there is no cost; the planned run of `time` has one, with its interval.
    let t = estimate(&[
        "time",
        "--pfs-days",
        "1000",
        "--gpu",
        "A100",
        "--count",
        "64",
        "--price-per-hour",
        "1.5",
    ]);
    assert!(close(f(&t, "cost"), 1.5 * f(&t, "gpu_hours"), 1e-12));
    let ic = &t["interval_cost"];
    let ih = &t["interval_gpu_hours"];
    assert!(close(f(ic, "p95"), 1.5 * f(ih, "p95"), 1e-12), "{t}");
    assert!(t["interval_energy_kwh"].is_object());
    let none = estimate(&["hardware", "--gpu", "A100", "--count", "1", "--days", "1"]);
    assert!(none["cost"].is_null() && none["price_per_hour"].is_null());
}

#[test]
fn calibration_offers_the_measured_power() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpu.json");
    let mut r = common::sample_results();
    r.runs[0].telemetry = Some(flopmeter::results::Telemetry {
        source: "nvml".into(),
        power_w_median: Some(250.0),
        ..Default::default()
    });
    flopmeter::results::write_atomic(&path, &r).unwrap();
    let owned = common::calibrate_args(&path, "0.55", "2");
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let v = estimate(&args);
    assert_eq!(f(&v, "watts"), 250.0);
    assert!(v["watts_source"].as_str().unwrap().contains("measured"));
    assert_eq!(f(&v, "energy_kwh"), 48.0 * 0.25);
    let mut given = args.to_vec();
    given.extend(["--watts", "100"]);
    assert_eq!(f(&estimate(&given), "watts"), 100.0);
}

#[test]
fn each_interval_key_has_one_meaning() {
    let hw = estimate(&["hardware", "--gpu", "A100", "--count", "64", "--days", "10"]);
    assert_eq!(hw["interval"], hw["interval_pfs_days"]);
    assert!(hw.get("interval_days").is_none() && hw.get("interval_chips").is_none());
    let t = ["time", "--pfs-days", "1000", "--gpu", "A100"];
    let days = estimate(&[&t[..], &["--count", "64"]].concat());
    assert_eq!(days["interval"], days["interval_days"]);
    assert!(days.get("interval_chips").is_none());
    assert!(f(&days["interval_gpu_hours"], "p5") < f(&days["interval_gpu_hours"], "p95"));
    let chips = estimate(&[&t[..], &["--days", "30"]].concat());
    assert_eq!(chips["interval"], chips["interval_chips"]);
    assert!(chips.get("interval_days").is_none());
    let hours = estimate(&t);
    assert_eq!(hours["interval"], hours["interval_gpu_hours"]);
    assert!(hours.get("interval_days").is_none() && hours.get("interval_chips").is_none());
}

#[test]
fn overflow_is_bad_input_naming_the_inputs() {
    Command::cargo_bin("flopmeter")
        .unwrap()
        .args(["estimate", "ops", "--params", "1e300", "--tokens", "1e300"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("not a finite number")
                .and(predicate::str::contains("--params 1e300"))
                .and(predicate::str::contains("--tokens 1e300")),
        );
    bad(
        &[
            "hardware",
            "--peak-tflops",
            "1e300",
            "--count",
            "1e10",
            "--days",
            "1e300",
            "--utilization",
            "1",
        ],
        "--days 1e300",
    );
    bad(
        &[
            "time",
            "--flops",
            "1e300",
            "--peak-tflops",
            "1e-300",
            "--utilization",
            "1",
        ],
        "--flops 1e300",
    );
}

#[test]
fn hints_name_flags_that_exist() {
    Command::cargo_bin("flopmeter")
        .unwrap()
        .args([
            "estimate", "hardware", "--gpu", "H1OO", "--count", "8", "--days", "2",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--peak-tflops")
                .and(predicate::str::contains("--rated-tflops").not()),
        );
    let help = |sub: &str| {
        let out = Command::cargo_bin("flopmeter")
            .unwrap()
            .args(["estimate", sub, "--help"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let hardware = help("hardware");
    assert!(!hardware.contains("--flops ") && !hardware.contains("--pfs-days"));
    assert!(hardware.contains("--gpu-hours") && hardware.contains("--price-per-hour"));
    let time = help("time");
    assert!(time.contains("--pfs-days") && !time.contains("--gpu-hours"));
    bad(
        &[
            "hardware",
            "--gpu",
            "Titan RTX",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "--dtype",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "Ascend 910B",
            "--count",
            "1",
            "--days",
            "1",
        ],
        "910B1",
    );
    bad(
        &[
            "hardware",
            "--gpu",
            "A100",
            "--gpu-hours",
            "10",
            "--days",
            "2",
        ],
        "not both",
    );
    bad(
        &[
            "time",
            "--pfs-days",
            "1",
            "--gpu",
            "A100",
            "--gpu-hours",
            "2",
        ],
        "--gpu-hours",
    );
}

#[test]
fn names_as_papers_write_them_reach_the_estimate() {
    let hw = |gpu: &str| {
        estimate(&[
            "hardware",
            "--gpu",
            gpu,
            "--count",
            "8",
            "--days",
            "1",
            "--utilization",
            "0.4",
            "--goodput",
            "1",
        ])
    };
    assert_eq!(hw("A100-40G")["chip"], "A100 SXM4 40GB");
    assert_eq!(hw("NVIDIA A100 GPUs")["chip"], "A100 SXM4 80GB");
    let dgx = hw("DGX A100");
    assert_eq!(dgx["chip"], "A100 SXM4 80GB");
    assert!(dgx["chip_note"].as_str().unwrap().contains("DGX"));
    assert!(hw("A100")["chip_note"].is_null());
}

#[test]
fn human_output_has_four_significant_figures() {
    let hw = text(&[
        "hardware",
        "--gpu",
        "GTX 580",
        "--count",
        "2",
        "--days",
        "5.5",
        "--utilization",
        "0.33",
        "--goodput",
        "1",
    ]);
    assert!(hw.contains("4.959e17 FLOP = 0.005739 pfs-days"), "{hw}");
    assert!(hw.contains("5.5 days = 264.0 GPU-hours"), "{hw}");
    let t = text(&[
        "time",
        "--pfs-days",
        "1000",
        "--gpu",
        "H100",
        "--count",
        "1024",
        "--price-per-hour",
        "2",
    ]);
    // No long fractions, no 300-digit integers: at most 4 significant figures per result.
    for word in t.split(|c: char| c.is_whitespace() || "(),;:".contains(c)) {
        let digits: String = word
            .split(['e', 'E'])
            .next()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let significant = digits.trim_start_matches('0').trim_end_matches('0');
        assert!(significant.len() <= 4, "too many digits in '{word}':\n{t}");
    }
    assert!(
        t.contains("Wall-clock time:") && t.contains("90% interval"),
        "{t}"
    );
}
