//! Results JSON: round trip, atomic writing, schema validation, bad files.

mod common;

use flopmeter::results::{self, ResultsError};

#[test]
fn round_trip_preserves_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let r = common::sample_results();
    results::write_atomic(&path, &r).unwrap();
    assert_eq!(results::load(&path).unwrap(), r);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn written_file_validates_against_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/results/schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc = serde_json::to_value(common::sample_results()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // And the schema rejects a document missing a required field.
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("runs");
    assert!(!validator.is_valid(&broken));
}

fn load_text(text: &str) -> ResultsError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, text).unwrap();
    results::load(&path).unwrap_err()
}

#[test]
fn bad_files_say_what_is_wrong_with_the_path() {
    let e = load_text("");
    assert!(matches!(e, ResultsError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("bad.json"));

    let e = load_text("{not json");
    assert!(matches!(e, ResultsError::NotJson { .. }), "{e}");

    let e = load_text(r#"{"hello": 1}"#);
    assert!(matches!(e, ResultsError::NoSchema { .. }), "{e}");

    let e = load_text(r#"{"schema": "flopmeter.results/v0"}"#);
    assert!(matches!(e, ResultsError::WrongVersion { .. }), "{e}");
    assert!(e.to_string().contains("flopmeter.results/v0"));

    let mut v = serde_json::to_value(common::sample_results()).unwrap();
    v.as_object_mut().unwrap().remove("devices");
    let e = load_text(&v.to_string());
    assert!(matches!(e, ResultsError::BadField { .. }), "{e}");
    assert!(e.to_string().contains("devices"), "{e}");

    let missing = results::load(std::path::Path::new("/nonexistent/r.json")).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/r.json"));
}

#[test]
fn unwritable_paths_are_reported_before_work_starts() {
    use flopmeter::files::check_output;
    let e = check_output(std::path::Path::new("/proc/flopmeter/r.json"), &[]).unwrap_err();
    assert!(e.to_string().contains("/proc/flopmeter/r.json"));
    assert!(!e.to_string().contains("probe"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    assert!(check_output(dir.path(), &[]).is_err());
    assert!(check_output(&dir.path().join("sub/r.json"), &[]).is_ok());
}

#[test]
fn committed_reference_results_load_and_validate() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/results"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "json") || p.to_string_lossy().ends_with("schema.json")
        {
            continue;
        }
        results::load(&p).unwrap_or_else(|e| panic!("{e}"));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn the_best_verified_result_counts_only_passed_checks() {
    use flopmeter::dtype::Dtype;
    use flopmeter::results::best::{best_per_device, best_verified};
    use flopmeter::results::VerificationStatus;
    let mut doc = common::sample_results();
    let base = doc.runs[0].clone();
    let with = |tflops: f64, status: VerificationStatus| {
        let mut r = base.clone();
        r.tflops.median = tflops;
        r.verification.status = status;
        r
    };
    // The fastest run failed, the next was not checked: neither counts.
    doc.runs = vec![
        with(0.9, VerificationStatus::Failed),
        with(0.8, VerificationStatus::Skipped),
        with(0.4, VerificationStatus::Passed),
        with(0.3, VerificationStatus::Passed),
    ];
    let best = best_verified(&doc, "cpu:0", Dtype::F32).unwrap();
    assert_eq!(best.tflops.median, 0.4);
    assert!(best_verified(&doc, "cpu:0", Dtype::F64).is_none());
    assert!(best_verified(&doc, "cpu:1", Dtype::F32).is_none());
    let all = best_per_device(&doc);
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].device.id.as_str(), all[0].dtype),
        ("cpu:0", Dtype::F32)
    );
    // With nothing verified there is no best.
    doc.runs
        .retain(|r| r.verification.status != VerificationStatus::Passed);
    assert!(best_per_device(&doc).is_empty());
}

/// Loads `doc` after `forge` changed it; the error must name the entry and the problem.
fn forged(forge: impl FnOnce(&mut flopmeter::results::Results), needle: &str) {
    let mut doc = common::sample_results();
    forge(&mut doc);
    let text = serde_json::to_string(&doc).unwrap();
    let e = results::parse(&text, std::path::Path::new("forged.json")).unwrap_err();
    assert!(matches!(e, ResultsError::BadValue { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with("forged.json: "), "{msg}");
    assert!(msg.contains(needle), "{needle} not in {msg}");
}

#[test]
fn values_are_checked_as_well_as_types() {
    forged(
        |d| d.runs[0].tflops.median = -1.0,
        "runs[0] (cpu:0 faer f32 256x256x256): tflops.median -1",
    );
    forged(|d| d.runs[0].tflops.median = 0.0, "tflops.median 0");
    forged(|d| d.runs[0].tflops.max = 1e308, "tflops.max");
    forged(|d| d.runs[0].tflops.median = 1e-310, "tflops.median");
    forged(
        |d| {
            d.devices[0]
                .rated_tflops
                .insert(flopmeter::dtype::Dtype::F32, 0.0);
        },
        "devices[0] (cpu:0): rated f32 peak 0",
    );
    forged(
        |d| d.runs[0].utilization.rated = Some(50.0),
        "utilization.rated 50",
    );
    forged(
        |d| d.runs[0].utilization.rated = Some(0.5),
        "is not tflops.median / rated peak",
    );
    forged(
        |d| d.runs[0].device = "cuda:7".into(),
        "device cuda:7 is not among the file's devices",
    );
    forged(
        |d| {
            let dup = d.devices[0].clone();
            d.devices.push(dup);
        },
        "the device id appears twice",
    );
    forged(
        |d| {
            let dup = d.runs[0].clone();
            d.runs.push(dup);
        },
        "runs[1] (cpu:0 faer f32 256x256x256): the same run appears twice",
    );
    forged(
        |d| (d.runs[0].m, d.runs[0].n, d.runs[0].k) = (0, 0, 0),
        "a dimension is 0",
    );
    forged(
        |d| d.runs[0].samples.clear(),
        "samples must be a non-empty list",
    );
    forged(|d| d.runs[0].flop *= 2.0, "is not 2 m n k");
}

/// Issue 25: fields the loader did not check drove estimates. Each is now checked against the
/// values it must agree with.
#[test]
fn every_number_agrees_with_the_others() {
    use flopmeter::dtype::Dtype;
    use flopmeter::results::{Collective, Telemetry};
    // No utilization.rated: the rate over the peak is recomputed anyway.
    forged(
        |d| {
            d.devices[0].rated_tflops.insert(Dtype::F32, 1e-9);
            d.runs[0].tflops = flopmeter::results::Tflops {
                median: 1e6,
                max: 1e6,
            };
            d.runs[0].utilization.rated = None;
        },
        "is 1.000e15 times the rated f32 peak 1.000e-9",
    );
    forged(
        |d| d.runs[0].tflops.max = d.runs[0].tflops.median / 2.0,
        "tflops.max 0.001600 is below tflops.median 0.003200",
    );
    forged(
        |d| d.runs[0].verification.max_rel_error = Some(1e-5 * 900_000.0),
        "passed but max_rel_error 9.000 is above the tolerance 1.000e-5 (900000x)",
    );
    forged(
        |d| d.runs[0].verification.checked = 0,
        "passed with 0 elements checked",
    );
    forged(
        |d| d.runs[0].verification.tolerance = None,
        "needs a max_rel_error and a tolerance",
    );
    for (power, shown) in [(-700.0, "-700.0"), (1e308, "1.000e308"), (1401.0, "1401")] {
        forged(
            |d| {
                d.runs[0].telemetry = Some(Telemetry {
                    source: "nvml".into(),
                    power_w_median: Some(power),
                    power_limit_w: Some(700.0),
                    ..Default::default()
                })
            },
            &format!("telemetry.power_w_median {shown} W (must be from 0 to 1400 W"),
        );
    }
    forged(
        |d| {
            d.runs[0].telemetry = Some(Telemetry {
                source: "nvml".into(),
                power_w_median: Some(6000.0),
                ..Default::default()
            })
        },
        "6000 W (must be from 0 to 5000 W, the most any board draws)",
    );
    forged(
        |d| {
            d.collectives = vec![Collective {
                op: "all_reduce".into(),
                dtype: "f32 sum".into(),
                devices: vec!["cpu:0".into(), "cuda:7".into()],
                bytes: 1 << 20,
                time_s: 1e-3,
                algbw_gbs: 1.048576,
                busbw_gbs: 1.048576,
                samples: vec![1e-3],
            }]
        },
        "collectives[0] (all_reduce f32 sum): device cuda:7 is not among the file's devices",
    );
    forged(
        |d| {
            let mut other = d.devices[0].clone();
            other.id = "cpu:1".into();
            d.devices.push(other);
            d.collectives = vec![Collective {
                op: "all_reduce".into(),
                dtype: "f32 sum".into(),
                devices: vec!["cpu:0".into(), "cpu:1".into()],
                bytes: 1 << 20,
                time_s: 1e-3,
                algbw_gbs: 1e9,
                busbw_gbs: 1e9,
                samples: vec![1e-3],
            }]
        },
        "algbw 1.000e9 GB/s and busbw 1.000e9 GB/s are not bytes / time = 1.049",
    );
    forged(
        |d| {
            d.stragglers = Some(vec![flopmeter::results::Straggler {
                host: "node1".into(),
                rank: Some(3),
                device: "node9/rank3/cuda:0".into(),
                device_name: "NVIDIA H100".into(),
                dtype: Dtype::F32,
                tflops: 0.001,
                cluster_median_tflops: 0.0032,
                shortfall: 1.0 - 0.001 / 0.0032,
            }])
        },
        "stragglers listed in a file that is not a merged cluster file",
    );
    forged(
        |d| {
            d.host.launcher = Some(flopmeter::results::RankInfo {
                launcher: flopmeter::results::Launcher::Slurm,
                rank: 4,
                world_size: 4,
                local_rank: 0,
                job_id: None,
            })
        },
        "rank 4 (local rank 0) of a world of 4 is not a place in it",
    );
}
