#!/usr/bin/env bash
# All the GPU work of one check, in one run on a lent NVIDIA machine (no Rust there: the release
# binary is built elsewhere and carried). Finds the CUDA libraries, lists the devices, benches
# every CUDA kernel and dtype at 4096^3 and 8192^3, runs the WGSL kernels on the GPU through
# Vulkan, measures torch.matmul at the same shapes as the reference, and writes everything to
# $OUT (default ./gpu-check-out). Budget: about 5 minutes on an H100.
#
#   cargo build --release && OUT=/tmp/out scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
BIN=${FLOPMETER_BIN:-target/release/flopmeter}
log() { echo "== $* ==" | tee -a "$OUT/gpu-check.log"; }

# CUDA libraries: the toolkit's and those pip installed beside torch (cuBLAS, cuBLASLt, NVRTC).
dirs=$( { find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu \
            -maxdepth 1 \( -name 'libcublas*.so*' -o -name 'libnvrtc.so*' \) 2>/dev/null
          find "$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null)" \
            -path '*nvidia*' \( -name 'libcublas*.so*' -o -name 'libnvrtc.so*' \) 2>/dev/null
        } | xargs -r -n1 dirname | sort -u | paste -sd: )
export LD_LIBRARY_PATH="${dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

# Vulkan loader for wgpu, carried as Debian packages in .gl (see the device README).
if ! ldconfig -p | grep -q libvulkan && [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

log "devices"
"$BIN" devices | tee "$OUT/devices.txt"
"$BIN" devices --json > "$OUT/devices.json"

log "bench: every CUDA kernel and dtype at 4096 and 8192"
timeout 300 "$BIN" bench --backend cuda --size 4096,8192 --warmup 1 --out "$OUT/cuda.json" 2>&1 | tee "$OUT/cuda.txt"

log "bench: WGSL kernels on the GPU through Vulkan"
timeout 90 "$BIN" bench --backend wgpu --size 4096 --out "$OUT/wgpu.json" 2>&1 | tee "$OUT/wgpu.txt"

log "torch.matmul reference"
timeout 120 python3 scripts/torch_reference.py --sizes 4096,8192 --dtypes f32,tf32,bf16,f16,fp8 > "$OUT/torch.json" 2>> "$OUT/gpu-check.log"

log "flopmeter against torch"
python3 scripts/compare_torch.py "$OUT/cuda.json" "$OUT/torch.json" | tee "$OUT/compare.txt"
