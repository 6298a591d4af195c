//! The BLAS libraries loaded at run time as CPU kernels beside faer: found and named in
//! `devices` with version and file, measured and verified by `bench`, an error when named and
//! missing, and absent with FLOPMETER_BLAS=off.

mod common;

use common::*;
use serde_json::Value;

/// The binary with the machine's BLAS libraries (the shared helper turns them off).
fn with_blas() -> assert_cmd::Command {
    let mut cmd = flopmeter();
    cmd.env_remove("FLOPMETER_BLAS");
    cmd
}

fn cpu_libraries(cmd: &mut assert_cmd::Command) -> Vec<Value> {
    let out = cmd
        .args(["devices", "--backend", "cpu", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["cpu"]["devices"][0]["cpu"]["libraries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn devices_names_each_library_with_its_version_and_file() {
    if !requires(
        Dep::Blas,
        "devices_names_each_library_with_its_version_and_file",
    ) {
        return;
    }
    let libs = cpu_libraries(&mut with_blas());
    let names: Vec<&str> = libs.iter().map(|l| l["kernel"].as_str().unwrap()).collect();
    assert_eq!(names, ["openblas", "mkl", "blis", "onednn"]);
    for kernel in ["openblas", "blis"] {
        let l = libs.iter().find(|l| l["kernel"] == kernel).unwrap();
        assert_eq!(l["loaded"], true, "{l}");
        assert!(!l["version"].as_str().unwrap().is_empty(), "{l}");
        let path = l["path"].as_str().unwrap();
        assert!(std::path::Path::new(path).is_file(), "{path}");
        let dtypes = l["dtypes"].as_array().unwrap();
        assert!(dtypes.contains(&"f32".into()) && dtypes.contains(&"f64".into()));
    }
    // The text lists them too.
    with_blas()
        .args(["devices", "--backend", "cpu"])
        .assert()
        .success()
        .stdout(predicates::str::contains("libraries:"))
        .stdout(predicates::str::contains("OpenBLAS"));
}

#[test]
fn bench_measures_and_verifies_the_libraries() {
    if !requires(Dep::Blas, "bench_measures_and_verifies_the_libraries") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("blas.json");
    with_blas()
        .args([
            "bench",
            "--backend",
            "cpu",
            "--kernel",
            "openblas,blis,faer",
        ])
        .args(["--dtype", "f32,f64", "--size", "96,130", "--json", "--out"])
        .arg(&out)
        .args(FAST)
        .assert()
        .success();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3 * 2 * 2, "{runs:#?}");
    for r in runs {
        assert_eq!(r["verification"]["status"], "passed", "{r}");
        let kernel = r["kernel"].as_str().unwrap();
        let ct = r["compute_type"].as_str().unwrap();
        match kernel {
            "openblas" => assert!(ct.starts_with("OpenBLAS ") && ct.contains("cblas_"), "{ct}"),
            "blis" => assert!(ct.starts_with("BLIS ") && ct.contains("cblas_"), "{ct}"),
            _ => assert!(ct.starts_with("faer"), "{ct}"),
        }
    }
}

#[test]
fn a_named_library_that_is_missing_is_a_one_line_error() {
    let mut cmd = with_blas();
    cmd.env("FLOPMETER_BLAS", "off").args([
        "bench",
        "--backend",
        "cpu",
        "--kernel",
        "openblas",
        "--size",
        "64",
    ]);
    one_line_error(
        &mut cmd,
        &["openblas", "OpenBLAS unavailable", "FLOPMETER_BLAS=off"],
    );
    // Not named, it is left out and faer runs.
    let libs = cpu_libraries(&mut flopmeter());
    assert!(libs.iter().all(|l| l["loaded"] == false), "{libs:?}");
}
