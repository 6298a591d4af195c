//! `flopmeter kernels --check [--arch sm_80,sm_90]`: every CUDA kernel through NVRTC for each
//! architecture and every WGSL kernel through naga for each dtype, with no GPU.

use serde::Serialize;

use crate::arch::ComputeCapability;
use crate::cli::KernelsArgs;
use crate::dtype::Dtype;
use crate::error::{AppError, AppResult};
use crate::gemm::cuda::nvrtc::{compile, supported_archs, Target};
use crate::gemm::kernels::{wgsl_source, CUDA_KERNELS, FINGERPRINT_KERNEL, WGSL_KERNELS};
use crate::output::table::{Column, Table};
use crate::output::{print_json, print_text, stdout_width};

#[derive(Debug, Serialize)]
struct Check {
    language: &'static str,
    kernel: &'static str,
    file: String,
    /// sm_90 for CUDA, the dtype for WGSL.
    target: String,
    ok: bool,
    detail: String,
}

/// `kernels --check --json`.
#[derive(Debug, Serialize)]
struct KernelsReport<'a> {
    /// True when every check passed.
    ok: bool,
    checks: &'a [Check],
}

fn validate_wgsl(src: &str) -> Result<String, String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| format!("{e:?}"))?;
    Ok(format!("{} entry point(s)", module.entry_points.len()))
}

/// Every `--arch` must be one some kernel runs on (else nothing would be compiled and the check
/// would say ok), and, where NVRTC says which it supports, one of those.
fn check_archs(archs: &[ComputeCapability]) -> AppResult<()> {
    let oldest = CUDA_KERNELS
        .iter()
        .map(|k| k.min_cc)
        .min()
        .expect("there are CUDA kernels");
    if let Some(a) = archs.iter().find(|a| **a < oldest) {
        return Err(AppError::usage(format!(
            "--arch {}: no kernel runs on it (the oldest architecture a kernel needs is {}), so \
             nothing would be compiled",
            a.sm(),
            oldest.sm()
        )));
    }
    let Some(supported) = supported_archs() else {
        return Ok(());
    };
    if let Some(a) = archs.iter().find(|a| !supported.contains(a)) {
        let names: Vec<String> = supported.iter().map(|s| s.sm()).collect();
        return Err(AppError::usage(format!(
            "--arch {}: this NVRTC compiles for {}",
            a.sm(),
            names.join(", ")
        )));
    }
    Ok(())
}

pub fn run(args: &KernelsArgs, json: bool) -> AppResult<()> {
    if !args.check {
        return Err(AppError::usage(
            "nothing to do: use `flopmeter kernels --check`",
        ));
    }
    check_archs(&args.arch)?;
    let mut checks = Vec::new();
    for k in CUDA_KERNELS.iter().chain([&FINGERPRINT_KERNEL]) {
        for &arch in &args.arch {
            let target = arch.sm();
            let (ok, detail) = if arch < k.min_cc {
                (true, format!("skipped: needs {}+", k.min_cc.sm()))
            } else {
                match (
                    compile(k, arch, Target::Cubin),
                    compile(k, arch, Target::Ptx),
                ) {
                    (Ok(cubin), Ok(ptx)) => (
                        true,
                        format!(
                            "{} bytes of CUBIN, {} bytes of PTX",
                            cubin.bytes.len(),
                            ptx.bytes.len()
                        ),
                    ),
                    (Err(e), _) | (_, Err(e)) => (false, e),
                }
            };
            checks.push(Check {
                language: "cuda",
                kernel: k.name,
                file: k.file.into(),
                target,
                ok,
                detail,
            });
        }
    }
    for k in WGSL_KERNELS {
        for d in [Dtype::F32, Dtype::F16] {
            let src = wgsl_source(k, d).expect("WGSL kernels have f32 and f16");
            let (ok, detail) = match validate_wgsl(&src) {
                Ok(d) => (true, d),
                Err(e) => (false, e),
            };
            checks.push(Check {
                language: "wgsl",
                kernel: k.name,
                file: format!("kernels/wgsl/{}.wgsl", k.name),
                target: d.to_string(),
                ok,
                detail,
            });
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if json {
        print_json(&KernelsReport {
            ok: failed == 0,
            checks: &checks,
        })?;
    } else {
        let mut t = Table::new(vec![
            Column::text("language"),
            Column::text("kernel"),
            Column::text("file").cut(12).drop(1),
            Column::text("target"),
            Column::text("result").cut(12),
        ]);
        for c in &checks {
            t.row(vec![
                c.language.to_string(),
                c.kernel.to_string(),
                c.file.clone(),
                c.target.clone(),
                if c.ok {
                    format!("ok ({})", c.detail)
                } else {
                    format!("FAILED: {}", c.detail)
                },
            ]);
            if !c.ok {
                t.note(format!(
                    "{} {} {}: {}",
                    c.language, c.kernel, c.target, c.detail
                ));
            }
        }
        print_text(&t.terminal(stdout_width()))?;
    }
    if failed > 0 {
        return Err(AppError::failed(format!("{failed} kernel check(s) failed")));
    }
    Ok(())
}
