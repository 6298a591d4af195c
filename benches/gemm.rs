//! Criterion benches of the CPU (faer and every BLAS library flopmeter loads here) and wgpu
//! (naive, tiled) GEMMs at a few sizes. They
//! time one prepared iteration through the same `Timed` interface `flopmeter bench` uses, and
//! report throughput in FLOP (elements = 2mnk) so criterion prints FLOP/s.
//!
//!     cargo bench --bench gemm

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flopmeter::dtype::Dtype;
use flopmeter::gemm::{cpu, wgpu as wgpu_gemm};
use flopmeter::results::Shape;

fn cpu_gemm(c: &mut Criterion) {
    let kernels = flopmeter::gemm::kernels::kernel_names(flopmeter::results::Backend::Cpu);
    for kernel in kernels {
        if kernel != "faer" && flopmeter::device::cpu_libs::loaded(kernel).is_err() {
            continue;
        }
        let mut g = c.benchmark_group(format!("cpu-{kernel}"));
        g.sample_size(10).measurement_time(Duration::from_secs(3));
        for n in [256usize, 512, 1024] {
            for dtype in [Dtype::F32, Dtype::F64] {
                let shape = Shape::cube(n);
                let Ok(mut p) =
                    cpu::prepare_kernel(kernel, dtype, shape.into(), 1, 32 << 20, 8 << 30)
                else {
                    continue;
                };
                g.throughput(Throughput::Elements(shape.flop() as u64));
                g.bench_with_input(BenchmarkId::new(dtype.name(), n), &n, |b, _| {
                    b.iter(|| p.gemm.run().unwrap())
                });
            }
        }
        g.finish();
    }
}

fn wgpu_gemm(c: &mut Criterion) {
    let Some(adapter) = flopmeter::device::wgpu::adapters().into_iter().next() else {
        eprintln!("no wgpu adapter: skipping the wgpu benches");
        return;
    };
    let ctx = wgpu_gemm::WgpuContext::open(&adapter, 32 << 20).unwrap();
    let mut g = c.benchmark_group("wgpu");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for kernel in ["naive", "tiled"] {
        for n in [256usize, 512] {
            let shape = Shape::cube(n);
            let mut p = wgpu_gemm::prepare(&ctx, kernel, Dtype::F32, shape, 1).unwrap();
            g.throughput(Throughput::Elements(shape.flop() as u64));
            // Device time from timestamps, as the tool reports it.
            g.bench_with_input(BenchmarkId::new(kernel, n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = 0.0;
                    let mut done = 0u64;
                    while done < iters {
                        let times = p.gemm.run().unwrap();
                        done += times.len() as u64;
                        total += times.iter().sum::<f64>();
                    }
                    Duration::from_secs_f64(total * iters as f64 / done as f64)
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, cpu_gemm, wgpu_gemm);
criterion_main!(benches);
