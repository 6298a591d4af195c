"""Side by side on one machine, in one run: flopmeter's CPU kernels against the libraries Python
users already run (numpy's bundled OpenBLAS, MKL and oneDNN from PyPI wheels), in interleaved
rounds so that a busy machine slows every contender alike.

Setup, in a venv of its own (the MKL and oneDNN wheels are large; the test suite does not need
them):

    python3 -m venv .venv-blas && .venv-blas/bin/pip install numpy mkl onednn
    cargo build --release
    .venv-blas/bin/python scripts/compare_numpy.py --sizes 2048,4096 --rounds 6

Each round times, per size: numpy.matmul in f32 and f64 (OpenBLAS as numpy ships it), MKL's
cblas_sgemm/cblas_dgemm and cblas_gemm_bf16bf16f32 and oneDNN's dnnl_sgemm and
dnnl_gemm_bf16bf16f32 through ctypes; then `flopmeter bench --backend cpu` (faer and every
library flopmeter loads from this venv). Python-side times are the median of per-call monotonic
times over --seconds after a warm-up, rotating three operand sets, as flopmeter does. It prints
the median over rounds of each, the ratio of flopmeter's best verified kernel (and of faer alone)
to the best library, and the rated f32 peak against a fresh FMA-loop ceiling probed at the end. `--threads N` runs every
library on N threads (thread variables, and the affinity mask for oneDNN's TBB pool), for the
two-thread scaling (run it beside a default run).
"""
import argparse
import ctypes
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROW_MAJOR, NO_TRANS = 101, 111


def timed(call, seconds):
    """Median seconds of `call(i)` over `seconds` (at least 3 calls) after a warm-up call."""
    call(0)
    times, deadline, i = [], time.monotonic() + seconds, 0
    while time.monotonic() < deadline or len(times) < 3:
        t0 = time.monotonic()
        call(i)
        times.append(time.monotonic() - t0)
        i += 1
    return statistics.median(times)


def operands(n, dtype, rng):
    return [(rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype))
            for _ in range(3)]


def to_bf16(x):
    """float32 -> bf16 bits, rounded to nearest even."""
    u = x.astype(np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


class Libraries:
    """MKL and oneDNN from this venv, through ctypes."""

    def __init__(self):
        lib = os.path.join(sys.prefix, "lib")
        self.mkl = self._load(glob.glob(os.path.join(lib, "libmkl_rt.so*")))
        self.dnnl = self._load(glob.glob(os.path.join(lib, "libdnnl.so*")))

    @staticmethod
    def _load(paths):
        for p in sorted(paths, key=len, reverse=True):
            try:
                return ctypes.CDLL(p)
            except OSError as e:
                print(f"note: {p}: {e}", file=sys.stderr)
        return None

    @staticmethod
    def cblas_args(f, scalar):
        """CBLAS prototype (LP64): layout, transposes, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc."""
        i, p = ctypes.c_int, ctypes.c_void_p
        f.argtypes = [i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i]
        return f

    def mkl_gemm(self, dtype):
        scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
        f = self.cblas_args(self.mkl.cblas_sgemm if dtype == np.float32 else self.mkl.cblas_dgemm,
                            scalar)

        def run(a, b, c, n):
            f(ROW_MAJOR, NO_TRANS, NO_TRANS, n, n, n, scalar(1.0), a.ctypes.data, n,
              b.ctypes.data, n, scalar(0.0), c.ctypes.data, n)
        return run

    def mkl_bf16(self, a, b, c, n):
        self.cblas_args(self.mkl.cblas_gemm_bf16bf16f32, ctypes.c_float)(ROW_MAJOR, NO_TRANS, NO_TRANS, n, n, n, ctypes.c_float(1.0),
                                        a.ctypes.data, n, b.ctypes.data, n, ctypes.c_float(0.0),
                                        c.ctypes.data, n)

    def dnnl_call(self, name):
        f = getattr(self.dnnl, name)
        f.argtypes = [ctypes.c_char, ctypes.c_char] + [ctypes.c_int64] * 3 + [
            ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
            ctypes.c_float, ctypes.c_void_p, ctypes.c_int64]

        def run(a, b, c, n):
            status = f(b"N", b"N", n, n, n, 1.0, a.ctypes.data, n, b.ctypes.data, n, 0.0,
                       c.ctypes.data, n)
            assert status == 0, f"{name} returned {status}"
        return run


def python_round(libs, sizes, seconds):
    """GFLOP/s of each library per (dtype, size) for one round."""
    out, rng = {}, np.random.default_rng(42)
    for n in sizes:
        flop = 2.0 * n ** 3
        for dtype in (np.float32, np.float64):
            name = np.dtype(dtype).name.replace("float", "f")
            sets = operands(n, dtype, rng)
            c = np.empty((n, n), dtype=dtype)
            out[("numpy (OpenBLAS)", name, n)] = flop / timed(
                lambda i: np.matmul(*sets[i % 3], out=c), seconds) / 1e9
            if libs.mkl:
                g = libs.mkl_gemm(dtype)
                out[("MKL", name, n)] = flop / timed(lambda i: g(*sets[i % 3], c, n), seconds) / 1e9
            if libs.dnnl and dtype == np.float32:
                g = libs.dnnl_call("dnnl_sgemm")
                out[("oneDNN", name, n)] = flop / timed(lambda i: g(*sets[i % 3], c, n), seconds) / 1e9
        half = [(to_bf16(a), to_bf16(b)) for a, b in operands(n, np.float32, rng)]
        c = np.empty((n, n), dtype=np.float32)
        if libs.mkl:
            out[("MKL", "bf16", n)] = flop / timed(
                lambda i: libs.mkl_bf16(*half[i % 3], c, n), seconds) / 1e9
        if libs.dnnl:
            g = libs.dnnl_call("dnnl_gemm_bf16bf16f32")
            out[("oneDNN", "bf16", n)] = flop / timed(lambda i: g(*half[i % 3], c, n), seconds) / 1e9
    return out


def flopmeter_env():
    env = dict(os.environ, VIRTUAL_ENV=sys.prefix)
    lib = os.path.join(sys.prefix, "lib")
    paths = [p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p]
    env["LD_LIBRARY_PATH"] = ":".join([lib] + [p for p in paths if p != lib])
    return env


def flopmeter_round(binary, sizes, seconds, out_file):
    """GFLOP/s of each verified flopmeter CPU kernel per (dtype, size), and the rated peaks."""
    cmd = [binary, "bench", "--backend", "cpu", "--dtype", "f32,f64,bf16,int8",
           "--size", ",".join(map(str, sizes)), "--warmup", "1", "--min-time", str(seconds),
           "--max-time", str(seconds), "--json", "--out", out_file]
    subprocess.run(cmd, env=flopmeter_env(), stdout=subprocess.DEVNULL, check=False)
    with open(out_file) as f:
        doc = json.load(f)
    out = {}
    for r in doc["runs"]:
        if r["verification"]["status"] == "passed":
            out[("flopmeter " + r["kernel"], r["dtype"], r["n"])] = r["tflops"]["median"] * 1e3
    rated = doc["devices"][0]["rated_tflops"]
    return out, rated, doc


def fresh_ceiling(binary):
    """The f32 FMA-loop ceiling probed now (in a cache folder of its own), TFLOP/s."""
    with tempfile.TemporaryDirectory() as d:
        env = dict(flopmeter_env(), FLOPMETER_CACHE_DIR=d, FLOPMETER_BLAS="off")
        doc = json.loads(subprocess.run([binary, "devices", "--backend", "cpu", "--json"], env=env,
                                        capture_output=True, check=True).stdout)
    probe = doc["cpu"]["devices"][0]["cpu"]["probe"]
    return next(i["ceiling_tflops"] for i in probe["instructions"] if i["dtype"] == "f32")


def summary(rounds, sizes):
    keys = sorted({k for r in rounds for k in r}, key=lambda k: (k[1], k[2], k[0]))
    med = {k: statistics.median([r[k] for r in rounds if k in r]) for k in keys}
    print(f"\nmedian GFLOP/s over {len(rounds)} rounds")
    for k in keys:
        print(f"  {k[1]:>4} {k[2]:>5}  {k[0]:<20} {med[k]:8.1f}")
    print("\nratio to the best library (numpy/OpenBLAS, MKL, oneDNN through Python):")
    lines = []
    for dtype in ("f32", "f64", "bf16"):
        for n in sizes:
            libs = [v for k, v in med.items() if k[1:] == (dtype, n) and not k[0].startswith("flopmeter")]
            ours = {k[0]: v for k, v in med.items() if k[1:] == (dtype, n) and k[0].startswith("flopmeter")}
            if not libs or not ours:
                continue
            best_kernel = max(ours, key=ours.get)
            line = (f"  {dtype:>4} {n:>5}: best flopmeter kernel ({best_kernel.split()[1]}) "
                    f"{ours[best_kernel] / max(libs):.3f}x")
            if "flopmeter faer" in ours:
                line += f", faer {ours['flopmeter faer'] / max(libs):.3f}x"
            lines.append(line)
    print("\n".join(lines))
    return med


THREAD_VARS = ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def with_venv_libraries(threads):
    """oneDNN's wheel needs the venv's lib folder (TBB, SYCL runtime) on the loader's path, and
    the libraries read their thread counts, at start-up: run again with them set. flopmeter gives
    every library it loads its rayon pool's thread count; oneDNN (TBB) follows the affinity mask,
    so --threads narrows that too."""
    lib = os.path.join(sys.prefix, "lib")
    env = flopmeter_env()
    if threads:
        env.update({v: str(threads) for v in THREAD_VARS})
        # TBB (oneDNN's pool) reads no thread variable; it sizes itself by the affinity mask,
        # which the children and the re-executed script inherit.
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, cpus[:threads])
    if lib not in os.environ.get("LD_LIBRARY_PATH", "").split(":") or any(
            os.environ.get(v) != env.get(v) for v in THREAD_VARS):
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="2048,4096")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per measurement")
    p.add_argument("--flopmeter", default="target/release/flopmeter")
    p.add_argument("--keep", help="write the last round's flopmeter results file here")
    p.add_argument("--threads", type=int, help="threads for every library (default: theirs)")
    a = p.parse_args()
    with_venv_libraries(a.threads)
    sizes = [int(s) for s in a.sizes.split(",")]
    libs = Libraries()
    rounds, rated = [], None
    with tempfile.TemporaryDirectory() as tmp:
        out_file = a.keep or os.path.join(tmp, "round.json")
        for r in range(a.rounds):
            t0 = time.monotonic()
            got = python_round(libs, sizes, a.seconds)
            ours, rated, _ = flopmeter_round(a.flopmeter, sizes, a.seconds, out_file)
            got.update(ours)
            rounds.append(got)
            print(f"round {r + 1}/{a.rounds} ({time.monotonic() - t0:.0f} s, load "
                  f"{os.getloadavg()[0]:.1f})", file=sys.stderr)
    med = summary(rounds, sizes)
    ceiling = fresh_ceiling(a.flopmeter)
    print(f"\nrated f32 peak {rated['f32']:.4f} TFLOP/s (kept for this boot) vs a fresh FMA-loop "
          f"ceiling {ceiling:.4f}: {rated['f32'] / ceiling:.3f}x")
    for dtype in ("f32", "f64", "bf16", "int8"):
        for n in sizes:
            ours = {k[0]: v for k, v in med.items() if k[1:] == (dtype, n) and k[0].startswith("flopmeter")}
            if ours and dtype in rated:
                best = max(ours, key=ours.get)
                print(f"  {dtype:>4} {n:>5}: best verified kernel {best.split()[1]} "
                      f"{ours[best] / 1e3:.4f} TFLOP/s = {ours[best] / 1e3 / rated[dtype]:.1%} of the "
                      f"rated {rated[dtype]:.4f}")


if __name__ == "__main__":
    main()
