#!/usr/bin/env bash
# The whole test run, as CI runs it: set-up, formatting, lints, every test, the Jetson (aarch64)
# build check, and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d ../shared/refdata ]] || { echo "test: ../shared (reference data) is missing beside the repository" >&2; exit 1; }
scripts/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
scripts/check-aarch64.sh
scripts/fuzz.sh 5
