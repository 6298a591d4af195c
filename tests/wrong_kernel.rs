//! A deliberately wrong kernel, run for real on the wgpu adapter, must fail verification.

use flopmeter::dtype::Dtype;
use flopmeter::gemm::kernels::{wgsl_kernel, WgslKernel};
use flopmeter::gemm::wgpu::{prepare_kernel, WgpuContext};
use flopmeter::results::{Shape, VerificationStatus};
use flopmeter::shape::Problem;

mod common;
use common::{requires, Dep};

fn context(test: &str) -> Option<WgpuContext> {
    if !requires(Dep::Vulkan, test) {
        return None;
    }
    let adapter = flopmeter::device::wgpu::adapters().into_iter().next()?;
    Some(WgpuContext::open(&adapter, 32 << 20).unwrap())
}

fn verify_with(ctx: &WgpuContext, source: &'static str) -> VerificationStatus {
    let naive = wgsl_kernel("naive").unwrap();
    let kernel = WgslKernel { source, ..*naive };
    let shape = Shape {
        m: 200,
        n: 130,
        k: 300,
    };
    let mut p = prepare_kernel(ctx, &kernel, Dtype::F32, shape, 5).unwrap();
    p.gemm.run().unwrap();
    p.gemm.verify().unwrap().status
}

#[test]
fn a_kernel_that_drops_the_last_k_term_is_caught() {
    let Some(ctx) = context("a_kernel_that_drops_the_last_k_term_is_caught") else {
        return;
    };
    let good = wgsl_kernel("naive").unwrap().source;
    assert_eq!(verify_with(&ctx, good), VerificationStatus::Passed);
    // Off by one in the k loop.
    let short: &'static str = Box::leak(
        good.replace("p < dims.k;", "p + 1u < dims.k;")
            .into_boxed_str(),
    );
    assert_ne!(short, good);
    assert_eq!(verify_with(&ctx, short), VerificationStatus::Failed);
    // Accumulating in f16 while claiming f32 accumulate.
    let coarse: &'static str = Box::leak(
        format!(
            "enable f16;\n{}",
            good.replace(
                "acc = fma(f32(a[a0 + p]), f32(b[b0 + p * dims.ldb]), acc);",
                "acc = f32(f16(fma(f32(a[a0 + p]), f32(b[b0 + p * dims.ldb]), acc)));"
            )
        )
        .into_boxed_str(),
    );
    assert_eq!(verify_with(&ctx, coarse), VerificationStatus::Failed);
}

/// A batch run for real on the adapter: both kernels verify every checked product, and a naive
/// kernel that writes every product's C over product 0's is caught.
#[test]
fn a_batched_dispatch_verifies_and_a_kernel_ignoring_the_batch_is_caught() {
    let Some(ctx) =
        context("a_batched_dispatch_verifies_and_a_kernel_ignoring_the_batch_is_caught")
    else {
        return;
    };
    let problem = Problem {
        shape: Shape {
            m: 70,
            n: 130,
            k: 96,
        },
        batch: 5,
    };
    let run = |kernel: &WgslKernel| {
        let mut p = prepare_kernel(&ctx, kernel, Dtype::F32, problem, 7).unwrap();
        let times = p.gemm.run().unwrap();
        assert!(times.iter().all(|t| *t > 0.0));
        p.gemm.verify().unwrap()
    };
    for name in ["naive", "tiled"] {
        let v = run(wgsl_kernel(name).unwrap());
        assert_eq!(v.status, VerificationStatus::Passed, "{name}: {v:?}");
    }
    let good = wgsl_kernel("naive").unwrap().source;
    let one_c: &'static str = Box::leak(
        good.replace(
            "c[gid.z * dims.stride_c + row * dims.ldc + col] = acc;",
            "c[row * dims.ldc + col] = acc;",
        )
        .into_boxed_str(),
    );
    assert_ne!(one_c, good);
    let v = run(&WgslKernel {
        source: one_c,
        ..*wgsl_kernel("naive").unwrap()
    });
    assert_eq!(v.status, VerificationStatus::Failed, "{v:?}");
    assert!(v.message.unwrap().contains("of 5: "));
}
