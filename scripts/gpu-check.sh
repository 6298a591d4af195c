#!/usr/bin/env bash
# All the GPU work of one check, in one run on a lent NVIDIA machine (no Rust there: the
# default-features release binary is built elsewhere and carried). Steps, each capped:
#
#   0. the binary starts here: `ldd` names any library it needs that this machine lacks;
#   1. environment: GPU, driver, torch; ONE cuBLAS for flopmeter and torch (the one torch
#      loads, when torch is there; else the toolkit's, else pip's), linked into a folder first
#      on LD_LIBRARY_PATH so the loader cannot mix two installs;
#   2. `flopmeter devices --backend cuda` (which library files were really loaded, and their
#      versions), then `--backend wgpu` apart, so a failing Vulkan probe cannot stop the CUDA
#      work; stops here, with the reason, when there is no CUDA device;
#   3. preflight: a 256^3 bench of every CUDA kernel and dtype, which must verify before the
#      long bench starts;
#   4. bench: every CUDA kernel and dtype at 8192^3 and 4096^3, the headline first (bf16,
#      fp8, f16, tf32, f32, f64);
#   5. wgpu: our WGSL kernels on the GPU through Vulkan;
#   6. model: `bench --model llama3-8b`, then `estimate` calibrated on it (measurement to
#      estimate on real hardware);
#   7. torch: torch.matmul at the same shapes and dtypes, timed the same way
#      (scripts/torch_reference.py), with the library path torch was started with;
#   8. compare: flopmeter against torch, and the check's targets (scripts/compare_torch.py).
#
# Everything goes to $OUT (default ./gpu-check-out), seven files at most: gpu-check.log (all
# text), devices.json, smoke.json, cuda.json, wgpu.json, model.json, torch.json. A step that
# hits its cap gets SIGINT, so flopmeter stops after the current sample and keeps what it
# measured (it also saves its results file after every job), and the torch reference writes
# what it has.
#
#   cargo build --release && OUT=/tmp/out scripts/gpu-check.sh
#   STEPS=bench,torch,compare OUT=/tmp/out scripts/gpu-check.sh   # a rerun of some steps
#
# Caps: environment 15 + 45, devices 20 + 20, preflight 40, bench 160, wgpu 40, model 75,
# estimates 2 x 10, torch 75: 510 s at most, about 6 minutes when every step ends on its own.
# Exit status: 0 all targets met; 1 a step failed or a target was missed; 3 no CUDA device;
# 4 the binary cannot start on this machine.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
BIN=${FLOPMETER_BIN:-target/release/flopmeter}
STEPS=${STEPS:-preflight,bench,wgpu,model,torch,compare}
LOG="$OUT/gpu-check.log"
: >"$LOG"
START=$(date +%s)
STATUS=0
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}

log() { echo "== [$(($(date +%s) - START))s] $* ==" | tee -a "$LOG"; }
say() { echo "$*" | tee -a "$LOG"; }
wanted() { [[ ",$STEPS," == *",$1,"* ]]; }
# capped SECONDS CMD...: SIGINT at the cap, SIGKILL 15 s later; output into the log.
capped() {
  local secs=$1
  shift
  timeout -s INT -k 15 "$secs" "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || say "(exit status $rc)"
  return "$rc"
}
# stop STATUS REASON: one STOP line, then exit.
stop() {
  say "STOP: $2"
  log "done in $(($(date +%s) - START)) s"
  exit "$1"
}

# --- 0. Does the binary start here? ---------------------------------------------------------
[ -x "$BIN" ] || stop 4 "no flopmeter binary at $BIN (build it with cargo build --release, or set FLOPMETER_BIN)"
MISSING=$(ldd "$BIN" 2>&1 | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
if [ -n "$MISSING" ]; then
  stop 4 "$BIN needs libraries this machine lacks: ${MISSING% } (carry the default-features build: cargo build --release, no --features)"
fi

log "environment"
say "flopmeter: $("$BIN" --version 2>&1)"
say "kernel: $(uname -r)"
if command -v nvidia-smi >/dev/null 2>&1; then
  capped 15 nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,temperature.gpu \
    --format=csv
else
  say "nvidia-smi: not found"
fi
say "python3: $(python3 --version 2>&1)"

# --- 1. One cuBLAS for flopmeter and torch --------------------------------------------------
# torch loads its own pip cuBLAS; the comparison is fair only when flopmeter loads the same
# file. So ask torch which files it mapped after a small matmul on the GPU (capped: the
# import alone can take seconds). Without torch: the toolkit's install, else pip's wheels.
TORCH_LIBS=$(timeout -k 5 45 python3 - 2>>"$LOG" <<'EOF'
import glob, os
import torch
print("torch", torch.__version__, "CUDA", torch.version.cuda)
if torch.cuda.is_available():
    a = torch.randn(64, 64, device="cuda", dtype=torch.bfloat16)
    (a @ a).float().sum().item()
    with open("/proc/self/maps") as f:
        mapped = {l.split()[-1] for l in f if "/libcublas" in l}
    for p in sorted(mapped):
        print("mapped", p)
    site = os.path.dirname(os.path.dirname(torch.__file__))
    for p in sorted(glob.glob(os.path.join(site, "nvidia", "**", "libnvrtc.so*"), recursive=True)):
        print("nvrtc", p)
EOF
)
say "${TORCH_LIBS:-torch: not importable or timed out}"
SITE=$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || true)
has_all() { ls "$1"/libcublas.so.* "$1"/libcublasLt.so.* "$1"/libnvrtc.so.* >/dev/null 2>&1; }
candidates() {
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
           /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib; do
    [ -d "$d" ] && echo "$d"
  done
  [ -n "$SITE" ] && find "$SITE/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort
}
CUDA_LIB=""
TORCH_BLAS=$(echo "$TORCH_LIBS" | awk '$1 == "mapped" && $2 ~ /\/libcublasLt\.so/ {print $2; exit}')
if [ -n "$TORCH_BLAS" ]; then
  blas=$(dirname "$TORCH_BLAS")
  rtc=$(echo "$TORCH_LIBS" | awk -v d="$blas" '$1 == "nvrtc" {print $2}' | grep -F "$blas/" | head -n 1)
  [ -n "$rtc" ] || rtc=$(echo "$TORCH_LIBS" | awk '$1 == "nvrtc" {print $2; exit}')
  CUDA_LIB="$blas${rtc:+:$(dirname "$rtc")}"
  say "cuBLAS: the one torch loaded ($TORCH_BLAS)"
else
  for d in $(candidates); do
    if has_all "$d"; then CUDA_LIB=$d; break; fi
  done
  # pip splits the libraries over nvidia/cublas/lib and nvidia/cuda_nvrtc/lib (cu12 wheels):
  # accept those two as one install when no single folder has all three.
  if [ -z "$CUDA_LIB" ] && [ -n "$SITE" ]; then
    blas=$(dirname "$(find "$SITE/nvidia" -name 'libcublasLt.so.*' 2>/dev/null | head -n 1)" 2>/dev/null)
    rtc=$(dirname "$(find "$SITE/nvidia" -name 'libnvrtc.so.*' 2>/dev/null | head -n 1)" 2>/dev/null)
    [ -n "$blas" ] && [ "$blas" != . ] && [ -n "$rtc" ] && [ "$rtc" != . ] && CUDA_LIB="$blas:$rtc"
  fi
fi
NCCL_LIB=$(dirname "$( { [ -n "$SITE" ] && find "$SITE/nvidia" -name 'libnccl.so*' 2>/dev/null
                        ls /usr/lib/x86_64-linux-gnu/libnccl.so* 2>/dev/null; } | head -n 1)" 2>/dev/null)
[ "$NCCL_LIB" = . ] && NCCL_LIB=""

LINKS=$(mktemp -d /tmp/flopmeter-cuda-libs.XXXXXX)
SCRATCH=$(mktemp -d /tmp/flopmeter-gpu-check.XXXXXX)
trap 'rm -rf "$LINKS" "$SCRATCH"' EXIT
link() { # link NAME FOLDERS: NAME (unversioned) and every NAME.* of the first folder that has one
  local name=$1 dirs=$2 d f
  for d in ${dirs//:/ }; do
    f=$(ls "$d/$name".* 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$f" ]; then
      for v in "$d/$name".*; do ln -sf "$v" "$LINKS/"; done
      ln -sf "$f" "$LINKS/$name"
      say "  $name -> $f"
      return
    fi
  done
}
log "CUDA libraries"
if [ -n "$CUDA_LIB" ]; then
  say "chosen install: $CUDA_LIB"
  for n in libcublas.so libcublasLt.so libnvrtc.so libnvrtc-builtins.so; do link "$n" "$CUDA_LIB"; done
else
  say "no folder with cuBLAS, cuBLASLt and NVRTC found: flopmeter reports them unavailable"
fi
[ -n "$NCCL_LIB" ] && link libnccl.so "$NCCL_LIB"
export LD_LIBRARY_PATH="$LINKS${CUDA_LIB:+:$CUDA_LIB}${NCCL_LIB:+:$NCCL_LIB}${ORIG_LD_LIBRARY_PATH:+:$ORIG_LD_LIBRARY_PATH}"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

# Vulkan loader for wgpu, carried as Debian packages in .gl (see the device README).
if ! ldconfig -p 2>/dev/null | grep -q libvulkan && [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

# --- 2. Devices: CUDA and Vulkan probed apart -----------------------------------------------
log "devices"
capped 20 "$BIN" devices --backend cuda --no-clock-probe
timeout -s INT -k 5 20 "$BIN" devices --backend cuda --json --no-clock-probe \
  >"$OUT/devices.json" 2>"$SCRATCH/devices.err"
DEVICES_RC=$?
cat "$SCRATCH/devices.err" >>"$LOG"
# json_field FILE EXPR: a Python expression over d, the JSON in FILE.
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
CUDA_STATUS=$(json_field "$OUT/devices.json" "d['cuda']['status']")
if [ "$CUDA_STATUS" != available ]; then
  WHY=$(json_field "$OUT/devices.json" "d['cuda'].get('reason', '')")
  [ -n "$WHY" ] || WHY="flopmeter devices exited with status $DEVICES_RC: $(tail -n 1 "$SCRATCH/devices.err")"
  stop 3 "no CUDA device: $WHY"
fi
GPU_NAME=$(json_field "$OUT/devices.json" "d['cuda']['devices'][0]['name']")
capped 20 "$BIN" devices --backend wgpu --json --no-clock-probe >"$SCRATCH/wgpu-devices.json"
WGPU_GPU=$(json_field "$SCRATCH/wgpu-devices.json" \
  "next((x['id'] for x in d['wgpu'].get('devices', []) if x['wgpu']['device_type'] != 'cpu'), '')")

# --- 3-6. flopmeter's measurements ----------------------------------------------------------
if wanted preflight; then
  log "preflight: every CUDA kernel and dtype at 256^3 must verify"
  capped 40 "$BIN" bench --backend cuda --size 256 --warmup 0.05 --min-time 0.05 --max-time 0.2 \
    --out "$OUT/smoke.json" || STATUS=1
  PASSED=$(json_field "$OUT/smoke.json" "sum(r['verification']['status'] == 'passed' for r in d['runs'])")
  say "preflight: ${PASSED:-0} runs verified"
  [ "${PASSED:-0}" -gt 0 ] || stop 1 "nothing verified at 256^3; the long bench would measure nothing"
fi

if wanted bench; then
  log "bench: every CUDA kernel and dtype at 8192^3 and 4096^3, bf16 first"
  capped 160 "$BIN" bench --backend cuda --size 8192,4096 --out "$OUT/cuda.json" || STATUS=1
fi

if wanted wgpu; then
  log "wgpu: WGSL kernels on the GPU through Vulkan"
  if [ -n "$WGPU_GPU" ]; then
    capped 40 "$BIN" bench --backend wgpu --device "$WGPU_GPU" --size 4096 --out "$OUT/wgpu.json" || STATUS=1
  else
    say "no Vulkan GPU adapter: $(json_field "$SCRATCH/wgpu-devices.json" "d['wgpu'].get('reason', 'only CPU adapters')")"
    STATUS=1
  fi
fi

if wanted model; then
  log "model: llama3-8b's GEMMs in bf16, then the estimate calibrated on them"
  # cuBLASLt alone: every GEMM of the step (attention's batched ones too) once, not per kernel.
  capped 75 "$BIN" bench --backend cuda --device cuda:0 --kernel cublaslt --model llama3-8b \
    --min-time 0.2 --max-time 1 --out "$OUT/model.json" || STATUS=1
  # Llama 3 8B as Meta trained it: 15T tokens (6ND); how long on 1024 of this GPU, and what
  # one GPU-day of it is worth, at the calibrated utilization.
  capped 10 "$BIN" estimate time --params 8.03e9 --tokens 15e12 --gpu "$GPU_NAME" --count 1024 \
    --calibrate "$OUT/model.json" || STATUS=1
  capped 10 "$BIN" estimate hardware --gpu "$GPU_NAME" --count 1 --days 1 \
    --calibrate "$OUT/model.json" || STATUS=1
fi

# --- 7-8. torch, with the library path it was started with ----------------------------------
if wanted torch; then
  log "torch: torch.matmul timed as flopmeter times itself"
  LD_LIBRARY_PATH="$ORIG_LD_LIBRARY_PATH" timeout -s INT -k 10 75 \
    python3 scripts/torch_reference.py --sizes 8192,4096 --dtypes bf16,fp8,f16,tf32,f32,f64 \
    >"$OUT/torch.json" 2>>"$LOG" || { say "(torch reference exit status $?)"; STATUS=1; }
fi

if wanted compare; then
  log "compare: flopmeter against torch, and the targets"
  python3 scripts/compare_torch.py "$OUT/cuda.json" "$OUT/torch.json" "$OUT/wgpu.json" 2>&1 \
    | tee -a "$LOG"
  [ "${PIPESTATUS[0]}" = 0 ] || STATUS=1
fi
log "done in $(($(date +%s) - START)) s, status $STATUS"
exit "$STATUS"
