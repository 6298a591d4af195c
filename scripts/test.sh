#!/usr/bin/env bash
# Runs the whole test suite, installing what the tests need when it is missing:
#   - Mesa's lavapipe (Debian: mesa-vulkan-drivers), a Vulkan driver on the CPU, so the WGSL
#     kernels run for real through wgpu;
#   - Debian's chromium, to check that `report --html` pages render without console errors;
#   - Debian's Open MPI (openmpi-bin, libopenmpi-dev) and libclang, for the mpirun tests and the
#     `mpi` feature build;
#   - PyPI's nvidia-cuda-nvrtc in .venv, so CUDA kernels can be compiled without a GPU;
#   - Debian's OpenBLAS and BLIS (libopenblas0-pthread, libblis4-pthread, ~11 MB), so the CPU
#     kernels loaded at run time are tested for real (MKL and oneDNN wheels are far larger: the
#     side-by-side benchmark, scripts/compare_numpy.py, installs those in its own venv).
#
# A test whose dependency is missing fails here rather than passing unchecked: this script sets
# FLOPMETER_REQUIRE_ALL=1, and it refuses to run with a FLOPMETER_NO_* opt-out set (those are
# for running single tests by hand on a machine without the dependency; a skip says so).
set -euo pipefail
cd "$(dirname "$0")/.."

optouts=$(env | grep -o '^FLOPMETER_NO_[A-Z_]*' || true)
if [ -n "$optouts" ]; then
  echo "error: $(echo $optouts) set: the test command runs every test; unset it to run them all" >&2
  exit 2
fi
export FLOPMETER_REQUIRE_ALL=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers libvulkan1)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
[ -f /usr/include/x86_64-linux-gnu/openmpi/mpi.h ] || [ -f /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h ] || missing+=(libopenmpi-dev)
ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 || missing+=(libclang-dev)
ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas*.so* >/dev/null 2>&1 || missing+=(libopenblas0-pthread)
ls /usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so* >/dev/null 2>&1 || missing+=(libblis4-pthread)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} =="
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv for nvidia-cuda-nvrtc =="
  python3 -m venv .venv
fi
nvrtc_lib() { find .venv -name 'libnvrtc.so*' 2>/dev/null | head -n 1; }
if [ -z "$(nvrtc_lib)" ]; then
  .venv/bin/pip install -q --disable-pip-version-check "nvidia-cuda-nvrtc>=13,<14"
fi
nvrtc_dir=$(dirname "$(nvrtc_lib)")
export LD_LIBRARY_PATH="$PWD/${nvrtc_dir}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "== cargo test (release) =="
cargo test --release --locked --lib --bins --tests "$@"

# In its own target folder, so target/release/flopmeter stays the default-features binary
# (the one carried to a GPU machine, which has no Open MPI).
echo "== cargo test --features mpi (cluster tests with an MPI barrier and gather) =="
CARGO_TARGET_DIR=target/mpi cargo test --release --locked --features mpi --test cluster "$@"
