#!/usr/bin/env bash
# The main job on the bundled sample study (samples/lung2-crop, a real chest CT with its tumor):
# builds radscored and prints the tumor's radiomic features with the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec target/release/radscored features samples/lung2-crop/image.nrrd samples/lung2-crop/label.nrrd "$@"
