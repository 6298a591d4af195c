//! `flopmeter kernels --check`: every CUDA kernel through NVRTC (no GPU needed) and every WGSL
//! kernel through naga. CI installs PyPI's nvidia-cuda-nvrtc (scripts/test.sh).

use assert_cmd::Command;
use flopmeter::arch::ComputeCapability;
use flopmeter::gemm::cuda::nvrtc::{compile, Target};
use flopmeter::gemm::kernels::{cuda_kernel, CudaKernel};
use predicates::prelude::*;

mod common;
use common::{requires, Dep};

#[test]
fn every_kernel_compiles_for_sm80_and_sm90() {
    if !requires(Dep::Nvrtc, "every_kernel_compiles_for_sm80_and_sm90") {
        return;
    }
    let out = Command::cargo_bin("flopmeter")
        .unwrap()
        .args(["kernels", "--check", "--arch", "sm_80,sm_90", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(
        checks.iter().filter(|c| c["language"] == "cuda").count(),
        4 * 2
    );
    assert_eq!(
        checks.iter().filter(|c| c["language"] == "wgsl").count(),
        2 * 2
    );
}

#[test]
fn the_tensor_core_kernel_really_uses_mma() {
    if !requires(Dep::Nvrtc, "the_tensor_core_kernel_really_uses_mma") {
        return;
    }
    let ptx = compile(
        cuda_kernel("mma").unwrap(),
        ComputeCapability::new(9, 0),
        Target::Ptx,
    )
    .unwrap()
    .ptx_text();
    assert!(
        ptx.contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"),
        "{ptx}"
    );
    let tiled = compile(
        cuda_kernel("tiled").unwrap(),
        ComputeCapability::new(8, 0),
        Target::Ptx,
    )
    .unwrap()
    .ptx_text();
    assert!(
        tiled.contains(".shared"),
        "the tiled kernel stages through shared memory"
    );
}

#[test]
fn a_broken_kernel_fails_with_the_compiler_log() {
    if !requires(Dep::Nvrtc, "a_broken_kernel_fails_with_the_compiler_log") {
        return;
    }
    let broken = CudaKernel {
        source: "extern \"C\" __global__ void naive_f32(float* a) { undeclared_name = 1; }",
        ..*cuda_kernel("naive").unwrap()
    };
    for target in [Target::Cubin, Target::Ptx] {
        let e = compile(&broken, ComputeCapability::new(8, 0), target).unwrap_err();
        assert!(e.contains("undeclared_name"), "{target}: {e}");
    }
}

#[test]
fn cubin_is_machine_code_for_the_exact_architecture() {
    if !requires(
        Dep::Nvrtc,
        "cubin_is_machine_code_for_the_exact_architecture",
    ) {
        return;
    }
    // What the runner loads first, so that a driver older than NVRTC still takes our kernels.
    for (arch, kernel) in [((9, 0), "mma"), ((8, 0), "tiled"), ((8, 9), "naive")] {
        let arch = ComputeCapability::new(arch.0, arch.1);
        let image = compile(cuda_kernel(kernel).unwrap(), arch, Target::Cubin).unwrap();
        let bytes = &image.bytes;
        assert_eq!(
            &bytes[..4],
            b"\x7fELF",
            "{kernel} {}: CUBIN is an ELF file",
            arch.sm()
        );
        // The ELF header's e_flags hold the SM version: bits 8-15 in CUDA 13's ELF ABI
        // (0x5a for sm_90), the low byte in older ones.
        let flags = u32::from_le_bytes(bytes[48..52].try_into().unwrap());
        let sm = arch.major * 10 + arch.minor;
        assert!(
            flags & 0xff == sm || (flags >> 8) & 0xff == sm,
            "{kernel}: e_flags {flags:#x} for sm_{sm}"
        );
    }
}

#[test]
fn bad_arch_is_a_usage_error() {
    Command::cargo_bin("flopmeter")
        .unwrap()
        .args(["kernels", "--check", "--arch", "sm_x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'sm_x'"));
    Command::cargo_bin("flopmeter")
        .unwrap()
        .args(["kernels"])
        .assert()
        .code(2);
}

/// Issue 25: `--arch sm_10` said ok without compiling anything, and `sm_999` failed as a
/// compile error: both are bad input.
#[test]
fn an_architecture_nothing_compiles_for_is_bad_input() {
    let run = |arch: &str| {
        Command::cargo_bin("flopmeter")
            .unwrap()
            .args(["kernels", "--check", "--arch", arch])
            .output()
            .unwrap()
    };
    let out = run("sm_10");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--arch sm_10: no kernel runs on it"),
        "{stderr}"
    );
    if !requires(
        Dep::Nvrtc,
        "an_arch_no_kernel_runs_on_is_bad_input (sm_999)",
    ) {
        return;
    }
    let out = run("sm_80,sm_999");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--arch sm_999: this NVRTC compiles for") && stderr.contains("sm_90"),
        "{stderr}"
    );
}
