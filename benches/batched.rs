//! Batched GEMM against the loop it replaces: the same B products of one shape, as one batched
//! call (`bench --batch B`) and as B calls of a single GEMM (`bench --shape`), side by side on the
//! CPU (faer) and the wgpu adapter (WGSL tiled). Throughput is in FLOP (elements = 2 B m n k), so
//! criterion prints FLOP/s for both. Times are wall-clock, from the call to its completion (on
//! wgpu: submission to the finished passes, the loop's up to 32 passes a submission as `bench`
//! encodes them): what the B products cost either way. Device timestamps would flatter the loop
//! (no gaps between its dispatches) and, on a busy host, reward small dispatches that finish
//! within one scheduler slice.
//!
//!     cargo bench --bench batched

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flopmeter::dtype::Dtype;
use flopmeter::gemm::{cpu, wgpu as wgpu_gemm, Prepared};
use flopmeter::results::Shape;
use flopmeter::shape::Problem;

const LLC: u64 = 32 << 20;
const MEMORY: u64 = 8 << 30;

fn shape(m: usize, n: usize, k: usize) -> Shape {
    Shape { m, n, k }
}

/// Wall-clock time of `products` products: whole calls of `per_call` products each (a call
/// may run several iterations: one time each).
fn time_products(p: &mut Prepared, per_call: u64, products: u64) -> Duration {
    let mut done = 0u64;
    let start = Instant::now();
    while done < products {
        done += per_call * p.gemm.run().unwrap().len() as u64;
    }
    start.elapsed().mul_f64(products as f64 / done as f64)
}

/// One group per backend: for each problem, "batched" (one call of B products) and "loop" (B
/// calls of one), each iteration being the B products.
fn compare(
    c: &mut Criterion,
    group: &str,
    problems: &[Problem],
    prepare: &dyn Fn(Problem) -> Prepared,
) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for &problem in problems {
        let b = problem.batch as u64;
        g.throughput(Throughput::Elements(problem.flop() as u64));
        let id = problem.to_string();
        let mut batched = prepare(problem);
        g.bench_with_input(BenchmarkId::new("batched", &id), &id, |bench, _| {
            bench.iter_custom(|iters| time_products(&mut batched, b, iters * b))
        });
        drop(batched);
        let mut single = prepare(Problem::single(problem.shape));
        g.bench_with_input(BenchmarkId::new("loop", &id), &id, |bench, _| {
            bench.iter_custom(|iters| time_products(&mut single, 1, iters * b))
        });
    }
    g.finish();
}

fn cpu_batched(c: &mut Criterion) {
    // GPT-2 small's attention at 256 and 1024 tokens (12 heads of 64), many small products,
    // and a few large ones.
    let problems = [
        Problem {
            shape: shape(256, 256, 64),
            batch: 12,
        },
        Problem {
            shape: shape(1024, 64, 1024),
            batch: 12,
        },
        Problem {
            shape: shape(128, 128, 128),
            batch: 64,
        },
        Problem {
            shape: shape(512, 512, 512),
            batch: 4,
        },
    ];
    compare(c, "cpu-faer-f32", &problems, &|p| {
        cpu::prepare_batched(Dtype::F32, p, 1, LLC, MEMORY).unwrap()
    });
}

fn wgpu_batched(c: &mut Criterion) {
    let Some(adapter) = flopmeter::device::wgpu::adapters().into_iter().next() else {
        eprintln!("no wgpu adapter: skipping the wgpu benches");
        return;
    };
    let ctx = wgpu_gemm::WgpuContext::open(&adapter, LLC).unwrap();
    let problems = [
        Problem {
            shape: shape(256, 256, 64),
            batch: 12,
        },
        Problem {
            shape: shape(64, 64, 64),
            batch: 64,
        },
    ];
    compare(c, "wgpu-tiled-f32", &problems, &|p| {
        wgpu_gemm::prepare(&ctx, "tiled", Dtype::F32, p, 1).unwrap()
    });
}

criterion_group!(benches, cpu_batched, wgpu_batched);
criterion_main!(benches);
