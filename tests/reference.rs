//! What good looks like: results files of H100s (the JSON is the contract) against the
//! published measured rate of the chip, through `report` and `merge` as a user runs them.

mod common;

use common::{flopmeter, h100_results};
use std::path::Path;

use flopmeter::results::write_atomic;

fn report_json(doc: &flopmeter::results::Results) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h100.json");
    write_atomic(&path, doc).unwrap();
    let out = flopmeter()
        .args(["report", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_h100_at_600_tflops_bf16_is_about_24_percent_below_the_reference() {
    let doc = h100_results("node1", &[600.0], 550.0);
    let v = report_json(&doc);
    let verdict = &v["verdicts"][0];
    assert_eq!(verdict["device"], "cuda:0");
    assert_eq!(verdict["dtype"], "bf16");
    assert_eq!(verdict["verdict"], "below");
    assert_eq!(verdict["reference_tflops"], 794.5);
    let ratio = verdict["vs_reference"].as_f64().unwrap();
    assert!((ratio - 600.0 / 794.5).abs() < 1e-12, "{ratio}");
    assert_eq!(verdict["power_w"], 550.0);
    assert_eq!(verdict["power_limit_w"], 700.0);
    // Energy: 600 TFLOP/s at 550 W.
    let row = &v["rows"][0];
    assert!((row["gflop_per_joule"].as_f64().unwrap() - 600_000.0 / 550.0).abs() < 1e-9);

    // The text says it in words, with the power it ran at.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h100.json");
    write_atomic(&path, &doc).unwrap();
    let out = flopmeter().arg("report").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("below expected by 24%"), "{text}");
    assert!(
        text.contains("600.0 (794.5)") && text.contains("550 / 700 W"),
        "{text}"
    );
    assert!(text.contains("GFLOP/J"), "{text}");
}

#[test]
fn as_expected_and_above_the_reference() {
    let v = report_json(&h100_results("node1", &[790.0, 860.0], 690.0));
    let verdicts = v["verdicts"].as_array().unwrap();
    assert_eq!(verdicts[0]["verdict"], "as_expected");
    assert_eq!(verdicts[1]["verdict"], "above");
}

/// `merge A B --out OUT`, and its stdout.
fn merge(a: &Path, b: &Path, out: &Path) -> (std::process::Output, String) {
    let o = flopmeter()
        .arg("merge")
        .args([a, b])
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    (o, text)
}

#[test]
fn a_cluster_slow_everywhere_is_a_cluster_wide_problem_not_a_straggler() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    // Every GPU about 25% below the reference, all within 1% of each other.
    write_atomic(&a, &h100_results("node-a", &[596.0, 600.0], 520.0)).unwrap();
    write_atomic(&b, &h100_results("node-b", &[598.0, 601.0], 520.0)).unwrap();
    let out = dir.path().join("cluster.json");
    let (merged, text) = merge(&a, &b, &out);
    assert!(merged.status.success(), "{text}");
    assert!(text.contains("No stragglers"), "{text}");
    assert!(
        text.contains("Cluster-wide: bf16: all 4 GPUs are below their reference"),
        "{text}"
    );
    let doc = flopmeter::results::cluster::load(&out).unwrap();
    assert_eq!(doc.jobs().filter(|(_, j)| j.verdict.is_some()).count(), 4);
    assert!(doc.notes.iter().any(|n| n.contains("cluster-wide problem")));
    let o = flopmeter()
        .arg("report")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &v["clusters"][0];
    assert_eq!(c["cluster_wide"].as_array().unwrap().len(), 1);
    assert_eq!(c["verdict_counts"][0]["below"], 4);

    // One machine's two files (no launcher: the same devices, other jobs) are still its 2 GPUs,
    // each judged by its best job, as `report` counts them: all 2 GPUs, not 4.
    let mut other_jobs = h100_results("node-a", &[598.0, 601.0], 520.0);
    for r in &mut other_jobs.runs {
        (r.batch, r.m) = (8, 1024);
    }
    write_atomic(&a, &h100_results("node-a", &[596.0, 600.0], 520.0)).unwrap();
    write_atomic(&b, &other_jobs).unwrap();
    let (merged, text) = merge(&a, &b, &out);
    assert!(merged.status.success(), "{text}");
    assert!(
        text.contains("Cluster-wide: bf16: all 2 GPUs are below their reference"),
        "{text}"
    );
    let notes = flopmeter::results::cluster::load(&out).unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("bf16: all 2 GPUs are below")),
        "{notes:?}"
    );

    // One slow GPU among good ones is a straggler, and no cluster-wide problem.
    write_atomic(&a, &h100_results("node-a", &[790.0, 600.0], 690.0)).unwrap();
    write_atomic(&b, &h100_results("node-b", &[795.0, 792.0], 690.0)).unwrap();
    let (merged, text) = merge(&a, &b, &out);
    assert!(merged.status.success(), "{text}");
    assert!(!text.contains("Cluster-wide"), "{text}");
    assert!(
        text.contains("below expected by 24% (600.0 vs 794.5 TFLOP/s; at 690 W of a 700 W cap: power-limited)"),
        "{text}"
    );
}

#[test]
fn peaks_gives_the_reference_with_its_source() {
    for (name, dtype, tflops) in [
        ("NVIDIA H100 80GB HBM3", "bf16", 794.5),
        ("NVIDIA A100-SXM4-80GB", "bf16", 271.2),
        ("AMD Instinct MI300X", "bf16", 708.0),
        ("NVIDIA L4", "bf16", 70.89),
    ] {
        let out = flopmeter()
            .args(["peaks", name, "--dtype", dtype, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let r = &v["reference"];
        assert_eq!(r["tflops"], tflops, "{name}");
        assert!(r["source"].as_str().unwrap().starts_with("http"), "{name}");
        let f = r["fraction_of_peak"].as_f64().unwrap();
        assert!(f > 0.5 && f < 1.0, "{name}: {f}");
    }
    // A chip without a published measurement says so with null.
    let out = flopmeter()
        .args(["peaks", "Tesla K80", "--dtype", "f32", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["reference"].is_null());
}
