"""The reference a user checks flopmeter against: torch.matmul (torch._scaled_mm for fp8) at the
same shapes, dtypes and layout, timed the way flopmeter times itself, so that the ratio compares
the GEMMs and not the harnesses:

- "TN" layout: A is M x K row-major and B is stored transposed (N x K), C = A @ Bt.t();
- operand sets rotated so that together they exceed twice the L2 cache (cold operands);
- warm-up by time until the rate of two consecutive windows agrees within 2%;
- a CUDA event pair around every iteration, recorded back to back, one synchronisation per
  batch (no launch latency or host sync inside a sample);
- sampling for --min-time seconds at least, --max-time at most; the median is quoted;
- an output buffer per operand set (`out=`), as flopmeter rotates C with A and B.

It records the cuBLAS and cuBLASLt files torch really loaded, with their versions, so the
comparison can show both sides used one library. Stopped by SIGINT or SIGTERM (the GPU check's
cap), it still writes what it has measured, with "interrupted": true.

    python3 scripts/torch_reference.py --sizes 8192,4096 --dtypes bf16,fp8,f16,tf32,f32,f64 > torch.json
"""
import argparse
import ctypes
import json
import signal
import statistics
import sys
import time

import torch

DTYPES = {"f64": torch.float64, "f32": torch.float32, "tf32": torch.float32,
          "bf16": torch.bfloat16, "f16": torch.float16}
BATCH = 32


def operand_sets(n, dtype, l2_bytes):
    """Enough (A, Bt, C) sets to cover twice the L2, at least two, as flopmeter rotates them."""
    elem = 1 if dtype == "fp8" else torch.tensor([], dtype=DTYPES[dtype]).element_size()
    out_elem = 2 if dtype == "fp8" else elem
    one = 2 * n * n * elem + n * n * out_elem
    count = max(2, min(64, -(-2 * l2_bytes // one) + 1))
    sets = []
    for _ in range(count):
        a = torch.randn(n, n, device="cuda")
        bt = torch.randn(n, n, device="cuda")
        if dtype == "fp8":
            c = torch.empty(n, n, device="cuda", dtype=torch.bfloat16)
            sets.append((a.to(torch.float8_e4m3fn), bt.to(torch.float8_e4m3fn), c))
        else:
            c = torch.empty(n, n, device="cuda", dtype=DTYPES[dtype])
            sets.append((a.to(DTYPES[dtype]), bt.to(DTYPES[dtype]), c))
    return sets


def timed_batch(step, sets, start, count):
    """`count` iterations, an event pair each, recorded back to back; one sync at the end."""
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
              for _ in range(count)]
    for i, (s, e) in enumerate(events):
        a, bt, c = sets[(start + i) % len(sets)]
        s.record()
        step(a, bt, c)
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
        def step(a, bt, c):
            return torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                    out=c)
        try:
            step(*sets[0])
        except (TypeError, RuntimeError):  # a torch without _scaled_mm.out: a new C per call
            def step(a, bt, c):
                return torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one,
                                        out_dtype=torch.bfloat16)
    else:
        def step(a, bt, c):
            return torch.matmul(a, bt.t(), out=c)
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


def loaded_blas():
    """The cuBLAS and cuBLASLt files this process mapped, with the version each reports."""
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f if "/libcublas" in line})
    out = []
    for path in paths:
        entry = {"path": path}
        try:
            lib = ctypes.CDLL(path)
            if "libcublasLt" in path:
                entry["name"], entry["version"] = "cublasLt", lib.cublasLtGetVersion()
            else:
                parts = []
                for prop in (0, 1, 2):  # MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
                    v = ctypes.c_int()
                    lib.cublasGetProperty(prop, ctypes.byref(v))
                    parts.append(str(v.value))
                entry["name"], entry["version"] = "cublas", ".".join(parts)
        except (OSError, AttributeError) as e:
            entry["error"] = str(e)
        out.append(entry)
    return out


class Stopped(Exception):
    """SIGTERM, or SIGINT from the GPU check's cap."""


def stop(signum, _frame):
    raise Stopped(signal.Signals(signum).name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="8192,4096")
    p.add_argument("--dtypes", default="bf16,fp8,f16,tf32,f32,f64")
    p.add_argument("--warmup", type=float, default=0.3, help="seconds, at least")
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--max-time", type=float, default=2.0)
    args = p.parse_args()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    results, interrupted = [], None
    doc = {"reference": "torch.matmul (torch._scaled_mm for fp8), TN layout, out= per set",
           "torch": torch.__version__, "cuda": torch.version.cuda,
           "timing": "CUDA event pair per iteration, back to back, warm-up by time",
           "results": results}
    try:
        props = torch.cuda.get_device_properties(0)
        l2_bytes = getattr(props, "L2_cache_size", 50 << 20)
        doc.update({"device": torch.cuda.get_device_name(), "l2_bytes": l2_bytes,
                    "cublas_allow_bf16_reduced_precision_reduction":
                        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction})
        for d in args.dtypes.split(","):
            for n in map(int, args.sizes.split(",")):
                try:
                    results.append(run(n, d, args, l2_bytes))
                except Stopped:
                    raise
                except Exception as e:  # a dtype the GPU lacks: say so, keep going
                    results.append({"dtype": d, "m": n, "n": n, "k": n, "error": str(e)})
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    except Stopped as e:
        interrupted = str(e)
        print(f"stopped by {e}: writing the {len(results)} results measured", file=sys.stderr)
    doc["libraries"] = loaded_blas()
    doc["interrupted"] = interrupted is not None
    json.dump(doc, sys.stdout, indent=1)
    print()
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
