"""The reference a user checks flopmeter against: torch.matmul at the same shapes and dtypes,
timed with a CUDA event pair per iteration, median over the samples, operands rotated the way
flopmeter rotates them (B is stored transposed, as in flopmeter's "TN" cuBLAS calls).

    python3 scripts/torch_reference.py --sizes 4096,8192 --dtypes f32,tf32,bf16,f16,fp8 > torch.json
"""
import argparse
import json
import statistics
import sys

import torch


def operands(n, dtype, sets):
    out = []
    for _ in range(sets):
        a = torch.randn(n, n, device="cuda")
        bt = torch.randn(n, n, device="cuda")
        if dtype == "fp8":
            out.append((a.to(torch.float8_e4m3fn), bt.to(torch.float8_e4m3fn)))
        else:
            t = {"f32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16, "f64": torch.float64}[dtype]
            out.append((a.to(t), bt.to(t)))
    return out


def run(n, dtype, iters, warmup):
    torch.backends.cuda.matmul.allow_tf32 = dtype == "tf32"
    sets = operands(n, dtype, 2)
    one = torch.ones((), device="cuda")

    def step(i):
        a, bt = sets[i % len(sets)]
        if dtype == "fp8":
            return torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        return torch.matmul(a, bt.t())

    for i in range(warmup):
        step(i)
    torch.cuda.synchronize()
    times = []
    for i in range(iters):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        step(i)
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    med = statistics.median(times)
    return {"dtype": dtype, "m": n, "n": n, "k": n, "median_s": med, "tflops": 2 * n**3 / med / 1e12,
            "samples": len(times), "torch": torch.__version__, "device": torch.cuda.get_device_name()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="4096,8192")
    p.add_argument("--dtypes", default="f32,tf32,bf16,f16,fp8")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=20)
    args = p.parse_args()
    results = []
    for d in args.dtypes.split(","):
        for n in map(int, args.sizes.split(",")):
            try:
                results.append(run(n, d, args.iters, args.warmup))
            except Exception as e:  # a dtype the GPU lacks: say so, keep going
                results.append({"dtype": d, "m": n, "n": n, "k": n, "error": str(e)})
            print(json.dumps(results[-1]), file=sys.stderr)
    json.dump({"reference": "torch.matmul", "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
