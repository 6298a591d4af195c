"""The reference a user checks flopmeter against: torch.matmul (torch._scaled_mm for fp8) at the
same shapes, dtypes and layout, timed the way flopmeter times itself, so that the ratio compares
the GEMMs and not the harnesses:

- "TN" layout: A is M x K row-major and B is stored transposed (N x K), C = A @ Bt.t();
- operand sets rotated so that together they exceed twice the L2 cache (cold operands);
- warm-up by time until the rate of two consecutive windows agrees within 2%;
- a CUDA event pair around every iteration, recorded back to back, one synchronisation per
  batch (no launch latency or host sync inside a sample);
- sampling for --min-time seconds at least, --max-time at most; the median is quoted.

    python3 scripts/torch_reference.py --sizes 4096,8192 --dtypes f64,f32,tf32,bf16,f16,fp8 > torch.json
"""
import argparse
import json
import statistics
import sys
import time

import torch

DTYPES = {"f64": torch.float64, "f32": torch.float32, "tf32": torch.float32,
          "bf16": torch.bfloat16, "f16": torch.float16}
BATCH = 32


def operand_sets(n, dtype, l2_bytes):
    """Enough (A, Bt) sets to cover twice the L2, at least two, as flopmeter rotates them."""
    elem = 1 if dtype == "fp8" else torch.tensor([], dtype=DTYPES[dtype]).element_size()
    out_elem = 2 if dtype == "fp8" else elem
    one = 2 * n * n * elem + n * n * out_elem
    count = max(2, min(64, -(-2 * l2_bytes // one) + 1))
    sets = []
    for _ in range(count):
        a = torch.randn(n, n, device="cuda")
        bt = torch.randn(n, n, device="cuda")
        if dtype == "fp8":
            sets.append((a.to(torch.float8_e4m3fn), bt.to(torch.float8_e4m3fn)))
        else:
            sets.append((a.to(DTYPES[dtype]), bt.to(DTYPES[dtype])))
    return sets


def timed_batch(step, sets, start, count):
    """`count` iterations, an event pair each, recorded back to back; one sync at the end."""
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
              for _ in range(count)]
    for i, (s, e) in enumerate(events):
        a, bt = sets[(start + i) % len(sets)]
        s.record()
        step(a, bt)
        e.record()
    events[-1][1].synchronize()
    return [s.elapsed_time(e) / 1e3 for s, e in events]


def settled(times, window=5):
    if len(times) < 2 * window:
        return False
    last = statistics.median(times[-window:])
    before = statistics.median(times[-2 * window:-window])
    return abs(last - before) <= 0.02 * before


def run(n, dtype, args, l2_bytes):
    torch.backends.cuda.matmul.allow_tf32 = dtype == "tf32"
    sets = operand_sets(n, dtype, l2_bytes)
    one = torch.ones((), device="cuda")
    if dtype == "fp8":
        def step(a, bt):
            return torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    else:
        def step(a, bt):
            return torch.matmul(a, bt.t())
    nxt, warm, begin = 0, [], time.perf_counter()
    while True:
        warm += timed_batch(step, sets, nxt, 5)
        nxt += 5
        elapsed = time.perf_counter() - begin
        if elapsed >= args.warmup and (settled(warm) or elapsed >= 3 * args.warmup):
            break
    samples, begin = [], time.perf_counter()
    while True:
        samples += timed_batch(step, sets, nxt, BATCH)
        nxt += BATCH
        elapsed = time.perf_counter() - begin
        if elapsed >= args.max_time or (elapsed >= args.min_time and len(samples) >= 10):
            break
    med = statistics.median(samples)
    return {"dtype": dtype, "m": n, "n": n, "k": n, "median_s": med,
            "tflops": 2 * n**3 / med / 1e12, "max_tflops": 2 * n**3 / min(samples) / 1e12,
            "samples": len(samples), "warmup_samples": len(warm), "operand_sets": len(sets)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="4096,8192")
    p.add_argument("--dtypes", default="f64,f32,tf32,bf16,f16,fp8")
    p.add_argument("--warmup", type=float, default=0.3, help="seconds, at least")
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--max-time", type=float, default=2.0)
    args = p.parse_args()
    props = torch.cuda.get_device_properties(0)
    l2_bytes = getattr(props, "L2_cache_size", 50 << 20)
    results = []
    for d in args.dtypes.split(","):
        for n in map(int, args.sizes.split(",")):
            try:
                results.append(run(n, d, args, l2_bytes))
            except Exception as e:  # a dtype the GPU lacks: say so, keep going
                results.append({"dtype": d, "m": n, "n": n, "k": n, "error": str(e)})
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    json.dump({"reference": "torch.matmul (torch._scaled_mm for fp8), TN layout",
               "torch": torch.__version__, "cuda": torch.version.cuda,
               "cublas_allow_bf16_reduced_precision_reduction":
                   torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
               "device": torch.cuda.get_device_name(), "l2_bytes": l2_bytes,
               "timing": "CUDA event pair per iteration, back to back, warm-up by time",
               "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
