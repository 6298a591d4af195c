//! A deliberately wrong kernel, run for real on the wgpu adapter, must fail verification.

use flopmeter::dtype::Dtype;
use flopmeter::gemm::kernels::{wgsl_kernel, WgslKernel};
use flopmeter::gemm::wgpu::{prepare_kernel, WgpuContext};
use flopmeter::results::{Shape, VerificationStatus};

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
                "acc = fma(f32(a[row * dims.lda + p]), f32(b[p * dims.ldb + col]), acc);",
                "acc = f32(f16(fma(f32(a[row * dims.lda + p]), f32(b[p * dims.ldb + col]), acc)));"
            )
        )
        .into_boxed_str(),
    );
    assert_eq!(verify_with(&ctx, coarse), VerificationStatus::Failed);
}
