#!/usr/bin/env bash
# Runs every cargo-fuzz target under fuzz/ for SECONDS each (default 60), seeded from the shared
# fixtures and reference data (../shared), and prints executions and crashes per target.
# Crashes land in fuzz/artifacts/TARGET/; each one found becomes a regression case in
# tests/hostile.rs. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
shared="$(cd .. && pwd)/shared"
[[ -d $shared/fixtures/dicom/lung2-crop ]] || { echo "fuzz: missing $shared/fixtures" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz missing; run scripts/setup.sh" >&2; exit 1; }
targets=("$@")
((${#targets[@]})) || targets=(dicom_ct seg rtstruct nrrd nifti params classifier)

# Seeds: a few real files per reader (copied once; libFuzzer adds what it finds beside them).
seed() {
  local target=$1; shift
  local dir=fuzz/corpus/$target
  mkdir -p "$dir"
  [[ -n "$(ls -A "$dir")" ]] && return
  local n=0
  for f in "$@"; do cp "$f" "$dir/seed-$((n++))"; done
}
fx=$shared/fixtures/dicom
rd=$shared/refdata
seed dicom_ct "$fx"/lung2-crop/ct/CT000001.dcm "$fx"/lung2-crop/ct/CT000030.dcm \
  "$(ls "$fx"/lung1/ct-rle/* | head -1)"
seed seg "$fx"/lung2-crop/seg/seg.dcm
seed rtstruct "$fx"/lung2-crop/rtstruct/rtstruct.dcm
seed nrrd "$fx"/lung2-crop/label.nrrd "$rd"/pyradiomics/prostate_phantom_subvolume-label.nrrd
seed nifti "$rd"/ibsi/digital_phantom/phantom.nii.gz "$rd"/ibsi/digital_phantom/mask.nii.gz
mkdir -p fuzz/corpus/nifti
[[ -f fuzz/corpus/nifti/seed-plain ]] || gzip -dc "$rd"/ibsi/digital_phantom/mask.nii.gz > fuzz/corpus/nifti/seed-plain
seed params firmware-config/radiomics-paper.yaml
seed classifier $(find "$rd"/deepradscore/models -name '*.json' | sort | head -12)

export RUSTC_BOOTSTRAP=1
cd fuzz
# No sanitizer (safe Rust; the unsafe parts are read-only maps), debug assertions on so that an
# arithmetic overflow is a crash.
cargo fuzz build -s none -a
summary=()
failed=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  status=0
  cargo fuzz run -s none -a "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
    -max_len=262144 -timeout=20 -print_final_stats=1 >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  summary+=("$t: ${execs} executions in ${seconds} s, exit ${status}, ${crashes} artifact(s)")
  ((status == 0)) || { tail -30 "$log"; failed=1; }
  rm -f "$log"
done
printf '%s\n' "${summary[@]}"
((failed == 0)) || { echo "fuzz: a target crashed; its input is in fuzz/artifacts/" >&2; exit 1; }
