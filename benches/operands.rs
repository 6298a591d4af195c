//! Host-side operand preparation for the CUDA backend: FP8 E4M3 encoding, direct (what the
//! tool does) against the binary search over codes it replaced, side by side. An 8192^2 operand
//! is 67M elements, so the per-element cost decides whether preparing fp8 operands takes
//! seconds or a minute.
//!
//!     cargo bench --bench operands

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flopmeter::gemm::cuda::fp8::{decode, encode};

/// The earlier encoder: binary search over the 127 positive codes.
fn encode_by_search(x: f64) -> u8 {
    let sign = if x.is_sign_negative() { 0x80 } else { 0 };
    let a = x.abs().min(448.0);
    let (mut lo, mut hi) = (0u8, 126u8);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if decode(mid) <= a {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (dl, dh) = (a - decode(lo), decode(hi) - a);
    sign | if dl < dh || (dl == dh && lo % 2 == 0) {
        lo
    } else {
        hi
    }
}

fn fp8_encode(c: &mut Criterion) {
    let values = flopmeter::measure::inputs::normal_f64(1 << 16, 1);
    let mut g = c.benchmark_group("fp8-encode");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(values.len() as u64));
    g.bench_function("direct", |b| {
        b.iter(|| values.iter().map(|x| u32::from(encode(*x))).sum::<u32>())
    });
    g.bench_function("binary-search", |b| {
        b.iter(|| {
            values
                .iter()
                .map(|x| u32::from(encode_by_search(*x)))
                .sum::<u32>()
        })
    });
    g.finish();
}

criterion_group!(benches, fp8_encode);
criterion_main!(benches);
