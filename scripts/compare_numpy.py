"""Reference for the CPU backend: numpy's matmul (OpenBLAS) at the same shapes, timed the same
way (median of per-call monotonic times after a warm-up). Prints one JSON line per dtype.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/compare_numpy.py 2048
"""
import json
import sys
import time

import numpy as np

try:
    from threadpoolctl import threadpool_info
except ImportError:  # optional: only to say which BLAS kernel ran
    threadpool_info = None

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
rng = np.random.default_rng(42)
for dtype in (np.float32, np.float64):
    sets = [(rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)) for _ in range(3)]
    out = np.empty((n, n), dtype=dtype)
    for a, b in sets:  # warm-up
        np.matmul(a, b, out=out)
    times = []
    deadline = time.monotonic() + 5
    i = 0
    while time.monotonic() < deadline or len(times) < 10:
        a, b = sets[i % len(sets)]
        t0 = time.monotonic()
        np.matmul(a, b, out=out)
        times.append(time.monotonic() - t0)
        i += 1
    times.sort()
    med = times[len(times) // 2]
    info = threadpool_info() if threadpool_info else []
    print(json.dumps({
        "dtype": np.dtype(dtype).name, "n": n, "samples": len(times),
        "median_s": med, "gflops": 2 * n**3 / med / 1e9,
        "blas": [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in info],
    }))
