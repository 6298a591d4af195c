#!/usr/bin/env bash
# All the GPU work of one check, in one run on a lent NVIDIA machine (no Rust there: the release
# binary is built elsewhere and carried). In under 7 minutes on an H100, each step capped:
#
#   1. environment: GPU, driver, torch; ONE CUDA install chosen (toolkit or pip) and every library
#      pointed at it through a folder of symlinks first on LD_LIBRARY_PATH;
#   2. `flopmeter devices` (which library files were really loaded, and their versions);
#      stops here, with the reason, when there is no CUDA device;
#   3. pre-flight: a 256^3 bench of every CUDA kernel and dtype, which must verify before the
#      long bench starts;
#   4. the bench: every CUDA kernel and dtype at 4096^3 and 8192^3;
#   5. our WGSL kernels on the GPU through Vulkan;
#   6. torch.matmul at the same shapes and dtypes, timed the same way (scripts/torch_reference.py);
#   7. the comparison and the check's targets (scripts/compare_torch.py).
#
# Everything goes to $OUT (default ./gpu-check-out), six files at most: gpu-check.log (all text),
# devices.json, smoke.json, cuda.json, wgpu.json, torch.json. A step that hits its cap gets
# SIGINT, so flopmeter stops after the current sample and keeps what it measured (it also saves
# its results file after every job).
#
#   cargo build --release && OUT=/tmp/out scripts/gpu-check.sh
#
# The caps add up to 405 s (devices 2 x 20, pre-flight 45, bench 190, WGSL 50, torch 80).
# Exit status: 0 all targets met; 1 a step failed or a target was missed; 3 no CUDA device.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
BIN=${FLOPMETER_BIN:-target/release/flopmeter}
LOG="$OUT/gpu-check.log"
: >"$LOG"
START=$(date +%s)
STATUS=0

log() { echo "== [$(($(date +%s) - START))s] $* ==" | tee -a "$LOG"; }
say() { echo "$*" | tee -a "$LOG"; }
# capped SECONDS CMD...: SIGINT at the cap, SIGKILL 15 s later; output into the log.
capped() {
  local secs=$1
  shift
  timeout -s INT -k 15 "$secs" "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || say "(exit status $rc)"
  return "$rc"
}
stop() {
  say "STOP: $*"
  log "done in $(($(date +%s) - START)) s"
  exit 3
}

log "environment"
say "flopmeter: $("$BIN" --version 2>&1)"
say "kernel: $(uname -r)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,temperature.gpu \
    --format=csv 2>&1 | tee -a "$LOG"
else
  say "nvidia-smi: not found"
fi
SITE=$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || true)
say "python3: $(python3 --version 2>&1), site-packages ${SITE:-none}"
say "torch: $(python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)' 2>&1 | tail -n 1)"

# --- One CUDA install for cuBLAS, cuBLASLt and NVRTC --------------------------------------
# cudarc asks the loader for libcublas.so first, then libcublas.so.13, ...; if two installs are
# on the path the loader may take cuBLAS from one and its libcublasLt dependency from the other.
# So: pick the first folder holding all three (the toolkit before pip's wheels, since the
# toolkit's NVRTC matches the driver it was installed with), and link each library from there.
has_all() { ls "$1"/libcublas.so.* "$1"/libcublasLt.so.* "$1"/libnvrtc.so.* >/dev/null 2>&1; }
candidates() {
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
           /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib; do
    [ -d "$d" ] && echo "$d"
  done
  [ -n "$SITE" ] && find "$SITE/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort
}
CUDA_LIB=""
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
NCCL_LIB=$(dirname "$( { [ -n "$SITE" ] && find "$SITE/nvidia" -name 'libnccl.so*' 2>/dev/null
                        ls /usr/lib/x86_64-linux-gnu/libnccl.so* 2>/dev/null; } | head -n 1)" 2>/dev/null)
[ "$NCCL_LIB" = . ] && NCCL_LIB=""

LINKS=$(mktemp -d /tmp/flopmeter-cuda-libs.XXXXXX)
trap 'rm -rf "$LINKS"' EXIT
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
export LD_LIBRARY_PATH="$LINKS${CUDA_LIB:+:$CUDA_LIB}${NCCL_LIB:+:$NCCL_LIB}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

# Vulkan loader for wgpu, carried as Debian packages in .gl (see the device README).
if ! ldconfig -p 2>/dev/null | grep -q libvulkan && [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

log "devices"
capped 20 "$BIN" devices --no-clock-probe
timeout -s INT 20 "$BIN" devices --json --no-clock-probe >"$OUT/devices.json" 2>>"$LOG"
# json_field EXPR: a Python expression over d, the devices JSON.
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$OUT/devices.json" 2>/dev/null; }
CUDA_STATUS=$(json_field "d['cuda']['status']")
if [ "$CUDA_STATUS" != available ]; then
  stop "no CUDA device: $(json_field "d['cuda'].get('reason', 'devices --json failed')")"
fi
WGPU_GPU=$(json_field \
  "next((x['id'] for x in d['wgpu'].get('devices', []) if x['wgpu']['device_type'] != 'cpu'), '')")

log "pre-flight: every CUDA kernel and dtype at 256^3 must verify"
capped 45 "$BIN" bench --backend cuda --size 256 --warmup 0.05 --min-time 0.05 --max-time 0.2 \
  --out "$OUT/smoke.json" || STATUS=1
PASSED=$(python3 -c "import json,sys; print(sum(r['verification']['status'] == 'passed' for r in json.load(open(sys.argv[1]))['runs']))" "$OUT/smoke.json" 2>/dev/null || echo 0)
say "pre-flight: $PASSED runs verified"
[ "$PASSED" -gt 0 ] || { say "STOP: nothing verified at 256^3; the long bench would measure nothing"; log "done"; exit 1; }

log "bench: every CUDA kernel and dtype at 4096^3 and 8192^3"
capped 190 "$BIN" bench --backend cuda --size 4096,8192 --out "$OUT/cuda.json" || STATUS=1

log "bench: WGSL kernels on the GPU through Vulkan"
if [ -n "$WGPU_GPU" ]; then
  capped 50 "$BIN" bench --backend wgpu --device "$WGPU_GPU" --size 4096 --out "$OUT/wgpu.json" || STATUS=1
else
  say "no Vulkan GPU adapter: $(json_field "d['wgpu'].get('reason', 'only CPU adapters')")"
  STATUS=1
fi

log "torch.matmul reference, timed as flopmeter times itself"
timeout -s INT -k 10 80 python3 scripts/torch_reference.py --sizes 4096,8192 \
  >"$OUT/torch.json" 2>>"$LOG" || { say "(torch reference exit status $?)"; STATUS=1; }

log "flopmeter against torch, and the targets"
python3 scripts/compare_torch.py "$OUT/cuda.json" "$OUT/torch.json" "$OUT/wgpu.json" 2>&1 \
  | tee -a "$LOG"
[ "${PIPESTATUS[0]}" = 0 ] || STATUS=1
log "done in $(($(date +%s) - START)) s, status $STATUS"
exit "$STATUS"
