#!/usr/bin/env bash
# The whole test run, as CI runs it: set-up, formatting, lints, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d ../shared/refdata ]] || { echo "test: ../shared (reference data) is missing beside the repository" >&2; exit 1; }
scripts/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
