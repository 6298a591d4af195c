//! Batched GEMM against the loop it replaces: the same B products of one shape, as one batched
//! call (`bench --batch B`) and as B calls of a single GEMM (`bench --shape`), side by side on the
//! CPU (faer) and the wgpu adapter (WGSL tiled). Throughput is in FLOP (elements = 2 B m n k), so
//! criterion prints FLOP/s for both. Times are wall-clock, from the call to its completion (on
//! wgpu: submission to the finished passes, the loop's up to 32 passes a submission as `bench`
//! encodes them): what the B products cost either way. Device timestamps would flatter the loop
//! (no gaps between its dispatches).
//!
//! Criterion times one side after the other, so on a shared host a change of load between them
//! reads as a difference between them. After criterion's two, each problem therefore runs both
//! sides in alternating slices (which goes first swaps every round) and prints the median of the
//! per-round ratios, the CPUs each side kept busy and its FLOP per CPU-second (process CPU time,
//! every thread counted): the work done whatever share of the host each side was given.
//!
//! Both sides run on the host's CPUs here (faer, or lavapipe's threads). Linux's default policy
//! lets a thread that wakes from a short sleep preempt the one running: the loop's workers, idle
//! for a moment between its short dispatches, win the CPUs from other processes' builds that the
//! batch, busy through one long dispatch, waits behind. The bench therefore runs under
//! SCHED_BATCH, which treats every thread as CPU-bound (no wake-up preemption) and changes nothing
//! on an idle host; `FLOPMETER_BENCH_SCHED=other` keeps the inherited policy.
//!
//!     cargo bench --bench batched
//!     cargo bench --bench batched -- wgpu    # one backend

use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use flopmeter::dtype::Dtype;
use flopmeter::gemm::{cpu, wgpu as wgpu_gemm, Prepared};
use flopmeter::results::Shape;
use flopmeter::shape::Problem;

const LLC: u64 = 32 << 20;
const MEMORY: u64 = 8 << 30;
/// Alternating rounds per problem, and the least time each side gets in one.
const ROUNDS: usize = 12;
const SLICE: Duration = Duration::from_millis(600);

fn problem(batch: usize, m: usize, n: usize, k: usize) -> Problem {
    Problem {
        shape: Shape { m, n, k },
        batch,
    }
}

/// GPT-2 small's attention (12 heads of 64) at 1024 tokens: QK^T and PV of one sequence.
const GPT2_QK_1024: (usize, usize, usize, usize) = (12, 1024, 1024, 64);
const GPT2_PV_1024: (usize, usize, usize, usize) = (12, 1024, 64, 1024);

fn of(t: (usize, usize, usize, usize)) -> Problem {
    problem(t.0, t.1, t.2, t.3)
}

/// Switches this thread, and the threads it starts from now on (rayon's, lavapipe's), to
/// SCHED_BATCH, unless `FLOPMETER_BENCH_SCHED=other` (see the module comment).
fn batch_scheduling() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var("FLOPMETER_BENCH_SCHED").is_ok_and(|v| v == "other") {
            eprintln!("scheduling policy: inherited (FLOPMETER_BENCH_SCHED=other)");
            return;
        }
        #[cfg(target_os = "linux")]
        {
            let param = libc::sched_param { sched_priority: 0 };
            // SAFETY: pid 0 is this thread; `param` is a valid sched_param that outlives the call.
            let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
            match rc {
                0 => eprintln!("scheduling policy: SCHED_BATCH"),
                _ => eprintln!(
                    "scheduling policy: inherited (SCHED_BATCH refused: {})",
                    std::io::Error::last_os_error()
                ),
            }
        }
    });
}

/// CPU time of the whole process (every thread), seconds; NaN where unknown.
fn process_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec, which `ts` is and outlives the call.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    f64::NAN
}

/// The host's one-minute load average, as /proc/loadavg prints it; "?" elsewhere.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
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

/// One side of a comparison.
struct Side<'a> {
    prepared: &'a mut Prepared,
    /// Products per iteration of a call.
    per_call: u64,
}

/// Wall seconds, CPU seconds and products of one slice of whole calls at least `SLICE` long.
fn slice(side: &mut Side) -> (f64, f64, u64) {
    let (cpu, start) = (process_cpu_seconds(), Instant::now());
    let mut products = 0u64;
    while start.elapsed() < SLICE {
        products += side.per_call * side.prepared.gemm.run().unwrap().len() as u64;
    }
    let wall = start.elapsed().as_secs_f64();
    (wall, process_cpu_seconds() - cpu, products)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (v[(n - 1) / 2] + v[n / 2]) / 2.0
}

/// `ROUNDS` rounds of a slice of each side, the first swapped every round; prints the median
/// rates, the median of the per-round ratios batched / loop with their range, each side's CPUs
/// busy and FLOP per CPU-second, and the load average before and after.
fn alternate(label: &str, batched: &mut Side, single: &mut Side, product_flop: f64) {
    let load0 = load_average();
    slice(batched);
    slice(single);
    let mut rounds = Vec::with_capacity(ROUNDS);
    for r in 0..ROUNDS {
        let (x, y) = if r % 2 == 0 {
            let x = slice(batched);
            (x, slice(single))
        } else {
            let y = slice(single);
            (slice(batched), y)
        };
        rounds.push([x, y]);
    }
    let rate = |(wall, _, n): (f64, f64, u64)| n as f64 * product_flop / wall;
    let col = |i: usize, f: &dyn Fn((f64, f64, u64)) -> f64| {
        median(rounds.iter().map(|r| f(r[i])).collect())
    };
    let ratios: Vec<f64> = rounds.iter().map(|r| rate(r[0]) / rate(r[1])).collect();
    let (lo, hi) = ratios
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(*x), h.max(*x)));
    let busy = |(wall, cpu, _): (f64, f64, u64)| cpu / wall;
    let per_cpu = |(_, cpu, n): (f64, f64, u64)| n as f64 * product_flop / cpu;
    eprintln!(
        "{label}: alternating {ROUNDS} rounds (load {load0} -> {}): batched {:.3} / loop {:.3} \
         GFLOP/s, batched/loop median {:.2} [{lo:.2}, {hi:.2}]; CPUs busy {:.2} / {:.2}; GFLOP \
         per CPU-second {:.3} / {:.3}",
        load_average(),
        col(0, &rate) * 1e-9,
        col(1, &rate) * 1e-9,
        median(ratios.clone()),
        col(0, &busy),
        col(1, &busy),
        col(0, &per_cpu) * 1e-9,
        col(1, &per_cpu) * 1e-9,
    );
}

/// One group per backend: for each problem, "batched" (one call of B products) and "loop" (B
/// calls of one), each iteration being the B products; then both in alternating rounds.
fn compare(
    c: &mut Criterion,
    group: &str,
    problems: &[Problem],
    prepare: &dyn Fn(Problem) -> Prepared,
) {
    let mut g = c.benchmark_group(group);
    // Flat: ten samples of equal iterations, not 1..10 times as many, for products of a second.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for &problem in problems {
        let b = problem.batch as u64;
        g.throughput(Throughput::Elements(problem.flop() as u64));
        let id = problem.to_string();
        let mut batched = prepare(problem);
        let mut single = prepare(Problem::single(problem.shape));
        // Criterion calls the closure only where its filter picks the problem.
        let mut picked = false;
        g.bench_with_input(BenchmarkId::new("batched", &id), &id, |bench, _| {
            picked = true;
            bench.iter_custom(|iters| time_products(&mut batched, b, iters * b))
        });
        g.bench_with_input(BenchmarkId::new("loop", &id), &id, |bench, _| {
            bench.iter_custom(|iters| time_products(&mut single, 1, iters * b))
        });
        if picked {
            alternate(
                &format!("{group}/{id}"),
                &mut Side {
                    prepared: &mut batched,
                    per_call: b,
                },
                &mut Side {
                    prepared: &mut single,
                    per_call: 1,
                },
                Problem::single(problem.shape).flop(),
            );
        }
    }
    g.finish();
}

fn cpu_batched(c: &mut Criterion) {
    batch_scheduling();
    // GPT-2 small's attention at 256 and 1024 tokens, many small products, and a few large ones.
    let problems = [
        problem(12, 256, 256, 64),
        of(GPT2_QK_1024),
        of(GPT2_PV_1024),
        problem(64, 128, 128, 128),
        problem(4, 512, 512, 512),
    ];
    compare(c, "cpu-faer-f32", &problems, &|p| {
        cpu::prepare_batched(Dtype::F32, p, 1, LLC, MEMORY).unwrap()
    });
}

fn wgpu_batched(c: &mut Criterion) {
    batch_scheduling();
    let Some(adapter) = flopmeter::device::wgpu::adapters().into_iter().next() else {
        eprintln!("no wgpu adapter: skipping the wgpu benches");
        return;
    };
    let ctx = wgpu_gemm::WgpuContext::open(&adapter, LLC).unwrap();
    let problems = [
        problem(12, 256, 256, 64),
        of(GPT2_QK_1024),
        of(GPT2_PV_1024),
        problem(64, 64, 64, 64),
        problem(2, 512, 512, 512),
    ];
    compare(c, "wgpu-tiled-f32", &problems, &|p| {
        wgpu_gemm::prepare(&ctx, "tiled", Dtype::F32, p, 1).unwrap()
    });
}

criterion_group!(benches, cpu_batched, wgpu_batched);
criterion_main!(benches);
