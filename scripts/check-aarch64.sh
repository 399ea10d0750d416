#!/usr/bin/env bash
# Checks that radscored builds for the Jetson (aarch64-unknown-linux-gnu): installs, when missing,
# the Rust standard library for the target (rustup) and Debian's cross C compiler (libdeflate is
# C), then runs `cargo check` for the target. Idempotent; run as root (apt-get). Nothing of CUDA
# or ONNX Runtime is needed: both are opened at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  echo "check-aarch64: installing gcc-aarch64-linux-gnu"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-aarch64-linux-gnu
fi
CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc cargo check --target "$target"
