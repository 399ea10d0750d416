#!/usr/bin/env bash
# The main job on the bundled sample study (samples/lung2-crop: a real chest CT series with its
# tumor as DICOM SEG and RTSTRUCT): builds radscored and prints the analysis report (tumor mask,
# 3 mm ring, deep patch, 851 features of tumor and ring) with the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec target/release/radscored analyze samples/lung2-crop "$@"
