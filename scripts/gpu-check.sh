#!/usr/bin/env bash
# The CUDA backend's device check (issue 14), for a machine with an NVIDIA GPU, its driver and
# CUDA 12's NVRTC (the CUDA toolkit, or NVIDIA's nvidia-cuda-nvrtc-cu12 wheel) but no Rust: it
# runs executables built on a Rust machine.
#
#   scripts/gpu-check.sh --prepare   on the Rust machine: release build of radscored and of the
#                                    test executable into target/gpu-check/ (stripped, gzipped:
#                                    unpacked on the GPU machine), with copies of lung1/lung2 from
#                                    ../shared in target/gpu-check/data; under 64 MiB in all
#   scripts/gpu-check.sh [ARGS...]   on the GPU machine, from the repository root: runs
#                                    `radscored gpu-check` (ARGS are passed on: --random N,
#                                    --repeat N, --case NAME, --data DIR, --study DIR), then the
#                                    test executable's device test; with --without-gpu, anywhere:
#                                    the whole check CPU against CPU (a check of the check)
#
# `radscored gpu-check` compares, CPU against GPU, on fresh random volumes and masks and on lung1
# and lung2: the 3 mm ring (and 1 and 4.2 mm), the discretised grey levels, the GLCM, GLRLM,
# GLSZM, GLDM and NGTDM (integer counts exactly equal) and every feature of the paper's setting
# (<= 1e-9 relative); then the bundled sample study analysed as the daemon analyses it (ring and
# features). It prints the table: kernel, case, CPU ms (one thread, or every core where the row
# says so), GPU ms, ratio.
#
# Exit status: 0 everything equal; 1 a difference or a failed GPU computation; 3 no CUDA device
# (nothing compared: the message says why); 2 anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/gpu-check

if [[ ${1:-} == --prepare ]]; then
  cargo build --release --bin radscored
  tests=$(cargo test --release --test tests --no-run 2>&1 | sed -n 's/.*Executable tests\/tests.rs (\(.*\)).*/\1/p')
  [[ -x $tests ]] || { echo "gpu-check: could not find the test executable" >&2; exit 2; }
  rm -rf "$dir"
  mkdir -p "$dir/data"
  # Stripped and gzipped: what travels to the device machine must stay under 64 MiB in all.
  for exe in radscored tests; do
    source=target/release/radscored
    [[ $exe == tests ]] && source=$tests
    objcopy --strip-all "$source" "$dir/$exe"
    gzip -9 -n "$dir/$exe"
  done
  for case in lung1 lung2; do
    for part in image label; do
      install -m 0644 "../shared/refdata/pyradiomics/${case}_${part}.nrrd" "$dir/data/"
    done
  done
  bytes=$(du -sb "$dir" | cut -f1)
  ((bytes <= 64 * 1024 * 1024)) || { echo "gpu-check: $dir holds $bytes bytes, over the 64 MiB that travel" >&2; exit 2; }
  echo "gpu-check: $dir holds $((bytes / 1024 / 1024)) MiB"
  echo "gpu-check: prepared; carry $dir to the GPU machine's copy of this repository and run scripts/gpu-check.sh there"
  exit 0
fi

# Unpacked outside the prepared folder, which stays as it travels.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for exe in radscored tests; do
  if [[ -f $dir/$exe.gz ]]; then
    gzip -dc "$dir/$exe.gz" >"$bin/$exe" && chmod 0755 "$bin/$exe"
  fi
done
radscored=${RADSCORED_BIN:-$bin/radscored}
tests=${RADSCORED_TESTS:-$bin/tests}
for exe in "$radscored" "$tests"; do
  [[ -x $exe ]] || { echo "gpu-check: no $(basename "$exe") in $dir: run scripts/gpu-check.sh --prepare on a Rust machine" >&2; exit 2; }
done
data=../shared/refdata/pyradiomics
[[ -f $data/lung2_image.nrrd ]] || data=$dir/data
[[ -f $data/lung2_image.nrrd ]] || { echo "gpu-check: lung1/lung2 NRRD files missing in ../shared and $data" >&2; exit 2; }

# NVRTC (libnvrtc.so.12) of a CUDA toolkit or of the wheel need not be on the library path.
extra=()
for lib in "${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda/targets/*/lib .venv-ref/lib/python3*/site-packages/nvidia/cuda_nvrtc/lib; do
  [[ -e $lib/libnvrtc.so.12 ]] && extra+=("$lib")
done
if ((${#extra[@]})); then
  LD_LIBRARY_PATH=$(IFS=:; echo "${extra[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu-check: card: /'
else
  echo "gpu-check: nvidia-smi not found"
fi

status=0
RADSCORED_LOG=${RADSCORED_LOG:-info} "$radscored" gpu-check --data "$data" "$@" || status=$?
if ((status == 3)); then
  echo "gpu-check: no CUDA device: nothing was compared and the device table is still to be measured" >&2
  exit 3
fi
((status == 0)) || { echo "gpu-check: radscored gpu-check failed (exit $status)" >&2; exit "$status"; }

if [[ " $* " == *" --without-gpu "* ]]; then
  echo "gpu-check: --without-gpu: the check ran CPU against CPU; the device test needs a GPU and was not run"
  exit 0
fi
# The test executable's device test (random cases through the public builders).
"$tests" --ignored --exact gpu::gpu_results_equal_the_cpu_on_random_cases --nocapture || exit 1
echo "gpu-check: all GPU results equal the CPU's"
