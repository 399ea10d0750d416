#!/usr/bin/env bash
# The one-shot analysis of the bundled sample study (samples/lung2-crop: a real chest CT series
# with its tumor as DICOM SEG and RTSTRUCT): builds radscored and prints the summary of the
# analysis (regions, the ten endpoints with what drove them); `--format json` prints the whole
# report. The appliance's demo is scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec target/release/radscored analyze samples/lung2-crop "$@"
