"""Side by side: every flopmeter CUDA result against torch.matmul at the same dtype and shape
(from scripts/torch_reference.py), then the GPU check's targets:
- the harness check: flopmeter's `cublas` kernel (cublasGemmEx, default algorithm, the call
  torch.matmul makes) bf16 at 8192^3 at least 0.98x torch, both through one cuBLAS file;
- `cublaslt` (autotuned over cuBLASLt's heuristic candidates) against torch, reported apart:
  it may beat torch, which is not a harness property;
- every result verified, our mma kernel against cuBLAS bf16, our WGSL kernel (through Vulkan)
  against cuBLAS true f32, NVML clocks and power present.

    python3 scripts/compare_torch.py cuda.json torch.json [wgpu.json]

Exit status 0 when every target is met, 1 otherwise (missing inputs count as not met).
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read {path}: {e}")
        return None


def best(runs, dtype, size, kernels):
    """The fastest verified run of one of `kernels` at dtype and size^3."""
    found = [r for r in runs if r["dtype"] == dtype and r["m"] == size and r["n"] == size
             and r["k"] == size and r["kernel"] in kernels
             and r["verification"]["status"] == "passed"]
    return max(found, key=lambda r: r["tflops"]["median"], default=None)


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


DTYPE_ORDER = ["bf16", "fp8", "f16", "tf32", "f32", "f64"]


def dtype_rank(d):
    return DTYPE_ORDER.index(d) if d in DTYPE_ORDER else len(DTYPE_ORDER)


def table(runs, ref):
    print(f"{'dtype':5} {'size':>5} {'kernel':9} {'TFLOP/s':>8} {'torch':>8} {'ratio':>6} "
          f"{'util':>6} {'@clock':>6} {'SM MHz':>6} {'W':>5} verified")
    for r in sorted(runs, key=lambda r: (dtype_rank(r["dtype"]), -r["m"], r["kernel"])):
        t = ref.get((r["dtype"], r["m"]))
        tf = r["tflops"]["median"]
        u = r["utilization"]
        tel = r.get("telemetry") or {}
        print(f"{r['dtype']:5} {r['m']:5} {r['kernel']:9} {tf:8.1f} "
              f"{fmt(t and t['tflops'], '8.1f'):>8} {fmt(t and tf / t['tflops'], '6.3f'):>6} "
              f"{fmt(u.get('rated') and 100 * u['rated'], '5.1f'):>6} "
              f"{fmt(u.get('at_sampled_clock') and 100 * u['at_sampled_clock'], '5.1f'):>6} "
              f"{fmt(tel.get('sm_clock_mhz_median'), '6.0f'):>6} "
              f"{fmt(tel.get('power_w_median'), '5.0f'):>5} {r['verification']['status']}")


def real(path):
    try:
        return os.path.realpath(path)
    except (TypeError, OSError):
        return None


def same_blas(ours, torch):
    """Both sides loaded the same cuBLAS and cuBLASLt files; prints both versions."""
    mine = {l["name"].lower(): l for l in ((ours or {}).get("host") or {}).get("libraries", [])
            if l.get("path")}
    theirs = {l.get("name", "").lower(): l for l in (torch or {}).get("libraries", [])}
    same = []
    for name in ("cublas", "cublaslt"):
        a, b = mine.get(name, {}), theirs.get(name, {})
        print(f"{name:9} flopmeter {a.get('version', '-')} {a.get('path', '-')}")
        print(f"{'':9} torch     {b.get('version', '-')} {b.get('path', '-')}")
        same.append(real(a.get("path")) is not None and real(a.get("path")) == real(b.get("path")))
    return ("one cuBLAS for both sides (same cuBLAS and cuBLASLt files)", all(same))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    ours, torch = load(sys.argv[1]), load(sys.argv[2])
    wgpu = load(sys.argv[3]) if len(sys.argv) > 3 else None
    runs = ours["runs"] if ours else []
    ref = {(r["dtype"], r["m"]): r for r in (torch or {}).get("results", []) if "tflops" in r}
    table(runs, ref)
    for name, doc in (("flopmeter", ours), ("torch", torch), ("wgpu", wgpu)):
        if doc and doc.get("interrupted"):
            print(f"note: the {name} file was interrupted: it holds what was measured before")
    print()
    checks = []

    t = ref.get(("bf16", 8192))
    for kernel, target in (("cublas", 0.98), ("cublaslt", None)):
        lib = best(runs, "bf16", 8192, {kernel})
        ratio = lib and t and lib["tflops"]["median"] / t["tflops"]
        if target is None:
            checks.append((f"{kernel} bf16 8192^3 / torch.matmul = {fmt(ratio, '.3f')} (reported)",
                           ratio is not None))
        else:
            checks.append((f"{kernel} bf16 8192^3 / torch.matmul = {fmt(ratio, '.3f')} "
                           f"(>= {target}: the harness check)",
                           ratio is not None and ratio >= target))
    checks.append(same_blas(ours, torch))

    failed = [f"{r['kernel']} {r['dtype']} {r['m']}" for r in runs
              if r["verification"]["status"] != "passed"]
    checks.append((f"every result verified ({len(runs)} runs; not passed: {failed or 'none'})",
                   bool(runs) and not failed))

    for size in (4096, 8192):
        mma, blas = best(runs, "bf16", size, {"mma"}), best(runs, "bf16", size, {"cublas", "cublaslt"})
        r = mma and blas and mma["tflops"]["median"] / blas["tflops"]["median"]
        checks.append((f"mma / cuBLAS bf16 at {size}^3 = {fmt(r, '.3f')} (reported)", r is not None))

    wruns = (wgpu or {}).get("runs", [])
    for size in sorted({r["m"] for r in wruns}) or [4096]:
        w = best(wruns, "f32", size, {"tiled"})
        blas = best(runs, "f32", size, {"cublas", "cublaslt"})
        r = w and blas and w["tflops"]["median"] / blas["tflops"]["median"]
        checks.append((f"WGSL tiled f32 (Vulkan) / cuBLAS true f32 at {size}^3 = {fmt(r, '.3f')} "
                       "(reported)", r is not None))

    tel = [r.get("telemetry") or {} for r in runs]
    clocks = sum(1 for t in tel if t.get("sm_clock_mhz_median"))
    power = sum(1 for t in tel if t.get("power_w_median"))
    at_clock = sum(1 for r in runs if r["utilization"].get("at_sampled_clock"))
    checks.append((f"NVML: SM clock in {clocks}/{len(runs)} runs, power in {power}/{len(runs)}, "
                   f"utilization at the sampled clock in {at_clock}/{len(runs)}",
                   bool(runs) and clocks == power == at_clock == len(runs)))

    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
