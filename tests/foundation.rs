//! The foundation as a user meets it: `devices`, `peaks`, results files.

mod common;

use assert_cmd::Command;
use common::{flopmeter, one_line_error, requires, Dep};
use predicates::prelude::*;

fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn devices_lists_cpu_and_says_why_cuda_is_missing() {
    let v = json_of(flopmeter().args(["devices", "--json"]));
    let cpu = &v["cpu"];
    assert_eq!(cpu["status"], "available");
    let dev = &cpu["devices"][0];
    assert_eq!(dev["id"], "cpu:0");
    assert!(dev["rated_tflops"]["f32"].as_f64().unwrap() > 0.0);
    assert!(dev["rated_source"].as_str().unwrap().contains("GHz"));
    // CI and development machines have no NVIDIA driver: CUDA must be reported, not crash.
    if !std::path::Path::new("/proc/driver/nvidia").exists() {
        assert_eq!(v["cuda"]["status"], "unavailable");
        assert!(v["cuda"]["reason"].as_str().unwrap().contains("libcuda"));
    }
}

#[test]
fn devices_finds_a_vulkan_adapter_with_rated_peaks() {
    if !requires(
        Dep::Vulkan,
        "devices_finds_a_vulkan_adapter_with_rated_peaks",
    ) {
        return;
    }
    let v = json_of(flopmeter().args(["devices", "--json", "--no-clock-probe"]));
    assert_eq!(v["wgpu"]["status"], "available", "{}", v["wgpu"]);
    let dev = &v["wgpu"]["devices"][0];
    assert!(dev["wgpu"]["max_buffer_size"].as_u64().unwrap() > 0);
    assert!(
        dev["rated_tflops"]["f32"].as_f64().is_some(),
        "adapter without a rated peak: {dev}"
    );
}

#[test]
fn devices_human_output_names_every_backend() {
    flopmeter()
        .args(["devices", "--no-clock-probe"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cpu: 1 device"))
        .stdout(predicate::str::contains("cuda:"))
        .stdout(predicate::str::contains("wgpu:"));
}

#[test]
fn peaks_h100_bf16_is_the_dense_value() {
    let v = json_of(flopmeter().args([
        "peaks",
        "NVIDIA H100 80GB HBM3",
        "--dtype",
        "bf16",
        "--json",
    ]));
    assert_eq!(v["tflops"], 989.4);
    assert_eq!(v["matched"], "H100 SXM5 80GB");
    assert!(!v["source"].as_str().unwrap().is_empty());
}

#[test]
fn peaks_of_the_reference_chips_by_driver_name() {
    // (driver name, dtype, dense value from the datasheet)
    let cases = [
        ("NVIDIA A100-SXM4-80GB", "bf16", 312.0),
        ("NVIDIA A100-SXM4-80GB", "tf32", 156.0),
        ("NVIDIA H100 PCIe", "bf16", 756.0),
        ("NVIDIA H100 NVL", "fp8", 1670.5),
        ("NVIDIA H200", "bf16", 989.5),
        ("NVIDIA B200", "bf16", 2250.0),
        ("NVIDIA GB200", "bf16", 2500.0),
        ("NVIDIA L4", "bf16", 121.0),
        ("NVIDIA L40", "bf16", 181.05),
        ("NVIDIA L40S", "bf16", 362.05),
        ("NVIDIA A10", "bf16", 125.0),
        ("NVIDIA GeForce RTX 4090", "bf16", 165.2),
        ("NVIDIA GeForce RTX 3090", "fp16", 71.0),
        ("Tesla V100-SXM2-16GB", "half", 125.0),
        ("Tesla T4", "f16", 65.0),
        ("AMD Instinct MI300X", "bf16", 1307.4),
        ("NVIDIA H100 80GB HBM3", "fp64", 66.9),
        ("NVIDIA H100 80GB HBM3", "fp32", 66.9),
    ];
    for (name, dtype, want) in cases {
        let v = json_of(flopmeter().args(["peaks", name, "--dtype", dtype, "--json"]));
        assert_eq!(v["tflops"].as_f64().unwrap(), want, "{name} {dtype}");
    }
}

#[test]
fn peaks_without_dtype_maps_every_dtype() {
    let v = json_of(flopmeter().args(["peaks", "NVIDIA A100-SXM4-80GB", "--json"]));
    let p = &v["peaks_tflops"];
    assert_eq!(p["bf16"], 312.0);
    assert_eq!(p["f64"], 19.5);
    assert!(p.get("fp8").is_none());
}

#[test]
fn peaks_lists_the_table() {
    let v = json_of(flopmeter().args(["peaks", "--json"]));
    assert!(v["chips"].as_array().unwrap().len() >= 50);
    flopmeter()
        .args(["peaks", "--dtype", "fp8"])
        .assert()
        .success()
        .stdout(predicate::str::contains("H100 SXM5 80GB"));
}

#[test]
fn unknown_names_are_errors_with_suggestions_never_numbers() {
    for name in [
        "NVIDIA H100 SXM6",
        "NVIDIA A10G",
        "Frobnicator 9000",
        "NVIDIA L4S",
    ] {
        flopmeter()
            .args(["peaks", name, "--dtype", "bf16", "--json"])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(name));
    }
    flopmeter()
        .args(["peaks", "NVIDIA H1OO"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nearest known").and(predicate::str::contains("H100")));
}

#[test]
fn bad_dtypes_and_missing_rates_are_one_line_errors() {
    one_line_error(
        flopmeter().args(["peaks", "H100", "--dtype", "fp4"]),
        &["'fp4'", "bf16"],
    );
    one_line_error(
        flopmeter().args(["peaks", "Tesla V100-SXM2-16GB", "--dtype", "bf16"]),
        &["no dense bf16"],
    );
}

#[test]
fn unknown_subcommands_and_flags_exit_2() {
    flopmeter().arg("frobnicate").assert().code(2);
    flopmeter().args(["devices", "--bogus"]).assert().code(2);
}

/// A run that does not select wgpu never initialises Vulkan, so a Vulkan driver that fails
/// cannot stop it. The Vulkan loader announces itself with VK_LOADER_DEBUG=info.
#[test]
fn backends_not_selected_are_never_initialised() {
    if !requires(Dep::Vulkan, "backends_not_selected_are_never_initialised") {
        return;
    }
    let loader_started = |args: &[&str]| {
        let o = flopmeter()
            .args(args)
            .env("VK_LOADER_DEBUG", "info")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).contains("Vulkan Loader")
    };
    // The control: probing wgpu starts the loader, so its message is seen when it happens.
    assert!(loader_started(&[
        "devices",
        "--backend",
        "wgpu",
        "--no-clock-probe"
    ]));
    assert!(!loader_started(&[
        "devices",
        "--backend",
        "cpu",
        "--no-clock-probe"
    ]));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cpu.json");
    let mut args = vec!["bench", "--backend", "cpu", "--size", "64"];
    args.extend(common::FAST);
    args.extend(["--out", out.to_str().unwrap()]);
    assert!(!loader_started(&args));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["device"], "cpu:0");
}
