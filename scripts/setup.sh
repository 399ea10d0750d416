#!/usr/bin/env bash
# Installs everything radscored's build, tests and benchmarks need on a fresh Debian machine with
# the Rust toolchain. Idempotent: a second run only checks. Run as root (CI) or with sudo rights.
#   - Debian packages: a C compiler (libdeflate is built by its crate), python3 with venv, GNU
#     time (peak memory in `radscored bench`), dcmtk (storescu, echoscu, storescp, dcmdump: the
#     real DICOM peers of the network tests), mosquitto and mosquitto-clients (MQTT tests),
#     openssl (a throwaway CA for the MQTT TLS test), dicom3tools (dciodvfy) and dcmtk's dsrdump,
#     the validators of the DICOM results
#   - .venv-ref/: Python reference tools (PyRadiomics, pydicom, scipy, PyWavelets, onnx,
#     onnxruntime) used only as oracles in tests and as the peer in benchmarks, never by the
#     product's Python-free run time; the one exception is the ONNX Runtime shared library
#     (onnxruntime/capi/libonnxruntime.so.*) that the deep engine loads, taken from the wheel
#   - .venv-ref/: NVIDIA's NVRTC wheel (libnvrtc.so.12), for the test that compiles the CUDA kernels
#   - engines/reference/: the demonstration model bundle's generated DenseNet121 (ONNX), made
#     byte for byte the same on every machine and checked against the sha256 in its manifest
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, installed only when the command they provide is missing (python3 may come
# from pyenv, which has venv built in).
missing=()
command -v cc >/dev/null || missing+=(gcc)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
[[ -x /usr/bin/time ]] || missing+=(time) # GNU time: the benchmark's peak-memory figure
command -v storescu >/dev/null || missing+=(dcmtk) # DICOM network peers of the tests: storescu, echoscu, storescp
[[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto) # MQTT tests: a real broker
command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients) # MQTT tests: subscriber
command -v openssl >/dev/null || missing+=(openssl) # MQTT TLS test: a throwaway CA
command -v dciodvfy >/dev/null || missing+=(dicom3tools) # validates the SR and key image
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Reference tools, pinned so that the oracles do not move under the tests.
REF_PACKAGES=(
  pyradiomics-bhklab==3.1.4 numpy==2.4.6 scipy==1.17.1 SimpleITK==2.5.7 PyWavelets==1.9.0 pynrrd==1.1.3
  pydicom==3.0.2 onnx==1.19.1 onnxruntime==1.22.1 protobuf==7.36.2
  highdicom==0.28.2 pillow==13.0.0 pylibjpeg==2.1.0 pylibjpeg-openjpeg==2.6.0 pylibjpeg-rle==2.2.0 pyjpegls==1.5.1
)
stamp=.venv-ref/.radscored-setup
want="$(printf '%s\n' "${REF_PACKAGES[@]}")"
if [[ ! -x .venv-ref/bin/python || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: creating .venv-ref (PyRadiomics and friends, reference tools only)"
  python3 -m venv .venv-ref
  .venv-ref/bin/pip install -q -U pip wheel setuptools
  .venv-ref/bin/pip install -q "${REF_PACKAGES[@]}"
  printf '%s' "$want" > "$stamp"
fi
.venv-ref/bin/python -c 'import radiomics, pywt, scipy, nrrd, pydicom, onnx, onnxruntime, highdicom, openjpeg, jpeg_ls' \
  || { echo "setup: .venv-ref is broken; delete it and rerun" >&2; exit 1; }

# NVRTC of CUDA 12 (libnvrtc.so.12 from NVIDIA's wheel, no GPU or CUDA toolkit needed): the test
# that compiles every CUDA kernel to PTX runs on every machine (tests/gpu.rs, src/gpu/compile.rs).
NVRTC_WHEEL=nvidia-cuda-nvrtc-cu12==12.9.86
if ! compgen -G ".venv-ref/lib/python3*/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12" >/dev/null; then
  echo "setup: installing $NVRTC_WHEEL into .venv-ref (NVRTC for the kernel compile test)"
  .venv-ref/bin/pip install -q --no-deps "$NVRTC_WHEEL"
fi

# The reference bundle's network is generated, not committed (about 28 MB); the script checks the
# result against the sha256 pinned in engines/reference/manifest.toml.
.venv-ref/bin/python scripts/make_reference_bundle.py --check

# cargo-fuzz, for scripts/fuzz.sh (libFuzzer targets under fuzz/; stable rustc with
# RUSTC_BOOTSTRAP=1 accepts the flags it passes).
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
